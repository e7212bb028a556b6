//! The field registry: every VPC (and transit-gateway) flow-log field vpcflow knows.
//!
//! One entry per field: its canonical name (the underscore spelling AWS uses in its Parquet
//! delivery, and our column name), the version it arrived in, its value kind (which fixes the
//! Arrow type and the decoder) and one line of meaning. Header spellings with hyphens or
//! underscores, and `${...}` format tokens, all resolve here. Adding a field is one entry.

use arrow::datatypes::{DataType, TimeUnit};

/// How a field's text is checked and which Arrow type holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A plain decimal integer in an inclusive range, stored as Int32.
    Int {
        /// Smallest accepted value.
        min: i32,
        /// Largest accepted value.
        max: i32,
    },
    /// A plain decimal counter, stored as UInt64.
    Count,
    /// Unix seconds (or milliseconds, recognised by size), stored as a UTC timestamp.
    Time,
    /// Free text, stored as Utf8.
    Text,
    /// An identifier (of an account, interface, VPC, subnet, ...): printable ASCII only,
    /// stored as Utf8. Neither its length nor its digits are checked: real records carry
    /// `unknown` as an account, and shared samples obfuscate ids.
    Id,
    /// Percent-encoded UTF-8 (tag values), decoded and stored as Utf8.
    Encoded,
    /// An IPv4 or IPv6 address, checked and stored as Utf8.
    Addr,
    /// One of a closed set of words, stored as Utf8.
    Enum(&'static [&'static str]),
}

impl Kind {
    /// The Arrow type of a column of this kind.
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Int { .. } => DataType::Int32,
            Kind::Count => DataType::UInt64,
            Kind::Time => DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
            Kind::Text | Kind::Id | Kind::Encoded | Kind::Addr | Kind::Enum(_) => DataType::Utf8,
        }
    }

    /// A short name for the kind, as `vpcflow fields` prints it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Int { .. } => "int32",
            Kind::Count => "uint64",
            Kind::Time => "timestamp",
            Kind::Text => "string",
            Kind::Id => "ascii id",
            Kind::Encoded => "string (percent-decoded)",
            Kind::Addr => "ip address",
            Kind::Enum(_) => "enum",
        }
    }

    /// The Arrow type AWS's own Parquet delivery gives a field of this kind: INT32 for small
    /// integers, INT64 for counters and times, UTF8 for the rest.
    pub fn delivery_type(self) -> DataType {
        match self {
            Kind::Int { .. } => DataType::Int32,
            Kind::Count | Kind::Time => DataType::Int64,
            Kind::Text | Kind::Id | Kind::Encoded | Kind::Addr | Kind::Enum(_) => DataType::Utf8,
        }
    }
}

/// One known flow-log field.
#[derive(Debug)]
pub struct FieldDef {
    /// Canonical (underscore) name; also the column name.
    pub name: &'static str,
    /// The flow-log version that introduced the field (6 = transit-gateway flow logs).
    pub version: u8,
    /// Value kind: decoder and Arrow type.
    pub kind: Kind,
    /// One line of meaning.
    pub doc: &'static str,
}

const PORT: Kind = Kind::Int { min: 0, max: 65535 };
const BYTE: Kind = Kind::Int { min: 0, max: 255 };
const ACTIONS: &[&str] = &["ACCEPT", "REJECT"];
const STATUSES: &[&str] = &["OK", "NODATA", "SKIPDATA"];

macro_rules! fields {
    ($(($name:literal, $version:literal, $kind:expr, $doc:literal)),* $(,)?) => {
        /// Every known field, in the order of AWS's documentation tables.
        pub static FIELDS: &[FieldDef] = &[
            $(FieldDef { name: $name, version: $version, kind: $kind, doc: $doc }),*
        ];
    };
}

fields![
    (
        "version",
        2,
        Kind::Int {
            min: 0,
            max: i32::MAX
        },
        "Flow log format version (the highest version among the logged fields)."
    ),
    (
        "account_id",
        2,
        Kind::Id,
        "AWS account that owns the network interface; a 12-digit string or 'unknown'."
    ),
    (
        "interface_id",
        2,
        Kind::Id,
        "Network interface (eni-...) the record was captured on."
    ),
    (
        "srcaddr",
        2,
        Kind::Addr,
        "Source address (for egress, the interface's own private address)."
    ),
    (
        "dstaddr",
        2,
        Kind::Addr,
        "Destination address (for ingress, the interface's own private address)."
    ),
    ("srcport", 2, PORT, "Source port (0 for ICMP)."),
    ("dstport", 2, PORT, "Destination port (0 for ICMP)."),
    (
        "protocol",
        2,
        BYTE,
        "IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6)."
    ),
    (
        "packets",
        2,
        Kind::Count,
        "Packets in the flow during the aggregation interval."
    ),
    (
        "bytes",
        2,
        Kind::Count,
        "Bytes in the flow during the aggregation interval."
    ),
    (
        "start",
        2,
        Kind::Time,
        "Time the first packet of the interval was received (UTC)."
    ),
    (
        "end",
        2,
        Kind::Time,
        "Time the last packet of the interval was received (UTC)."
    ),
    (
        "action",
        2,
        Kind::Enum(ACTIONS),
        "ACCEPT or REJECT by security groups and network ACLs; null on NODATA/SKIPDATA."
    ),
    (
        "log_status",
        2,
        Kind::Enum(STATUSES),
        "OK, NODATA (no traffic in the interval) or SKIPDATA (records were lost)."
    ),
    ("vpc_id", 3, Kind::Id, "VPC of the network interface."),
    ("subnet_id", 3, Kind::Id, "Subnet of the network interface."),
    (
        "instance_id",
        3,
        Kind::Id,
        "Instance attached to the interface; null for requester-managed interfaces."
    ),
    (
        "tcp_flags",
        3,
        BYTE,
        "OR of the TCP flags seen in the interval (1 FIN, 2 SYN, 4 RST, 18 SYN-ACK)."
    ),
    ("type", 3, Kind::Text, "Traffic type: IPv4, IPv6 or EFA."),
    (
        "pkt_srcaddr",
        3,
        Kind::Addr,
        "Packet-level source address (the real sender behind a NAT or transit hop)."
    ),
    (
        "pkt_dstaddr",
        3,
        Kind::Addr,
        "Packet-level destination address (the real receiver behind a hop)."
    ),
    ("region", 4, Kind::Text, "Region of the network interface."),
    (
        "az_id",
        4,
        Kind::Id,
        "Availability Zone ID (e.g. use1-az4) of the network interface."
    ),
    (
        "sublocation_type",
        4,
        Kind::Text,
        "wavelength, outpost or localzone, when the interface is in a sublocation."
    ),
    ("sublocation_id", 4, Kind::Id, "ID of the sublocation."),
    (
        "pkt_src_aws_service",
        5,
        Kind::Text,
        "ip-ranges.json service of pkt_srcaddr, when it is an AWS public address."
    ),
    (
        "pkt_dst_aws_service",
        5,
        Kind::Text,
        "ip-ranges.json service of pkt_dstaddr, when it is an AWS public address."
    ),
    (
        "flow_direction",
        5,
        Kind::Text,
        "ingress or egress, relative to the capturing interface."
    ),
    (
        "traffic_path",
        5,
        BYTE,
        "Egress path: 1 same VPC, 2 IGW or gateway endpoint, 3 VGW, 4/5 peering, 6 local gateway, 7 gateway endpoint, 8 IGW."
    ),
    (
        "resource_type",
        6,
        Kind::Text,
        "Transit gateway flow logs: TransitGateway or TransitGatewayAttachment."
    ),
    ("tgw_id", 6, Kind::Id, "Transit gateway ID."),
    (
        "tgw_attachment_id",
        6,
        Kind::Id,
        "Transit gateway attachment ID."
    ),
    (
        "tgw_src_vpc_account_id",
        6,
        Kind::Id,
        "Account of the source VPC attachment."
    ),
    (
        "tgw_dst_vpc_account_id",
        6,
        Kind::Id,
        "Account of the destination VPC attachment."
    ),
    (
        "tgw_src_vpc_id",
        6,
        Kind::Id,
        "Source VPC of the transit gateway flow."
    ),
    (
        "tgw_dst_vpc_id",
        6,
        Kind::Id,
        "Destination VPC of the transit gateway flow."
    ),
    (
        "tgw_src_subnet_id",
        6,
        Kind::Id,
        "Source subnet of the transit gateway flow."
    ),
    (
        "tgw_dst_subnet_id",
        6,
        Kind::Id,
        "Destination subnet of the transit gateway flow."
    ),
    (
        "tgw_src_eni",
        6,
        Kind::Text,
        "Source attachment network interface."
    ),
    (
        "tgw_dst_eni",
        6,
        Kind::Text,
        "Destination attachment network interface."
    ),
    (
        "tgw_src_az_id",
        6,
        Kind::Id,
        "Availability Zone ID of the source attachment."
    ),
    (
        "tgw_dst_az_id",
        6,
        Kind::Id,
        "Availability Zone ID of the destination attachment."
    ),
    (
        "tgw_pair_attachment_id",
        6,
        Kind::Id,
        "The other attachment of the flow (egress or ingress side)."
    ),
    (
        "packets_lost_no_route",
        6,
        Kind::Count,
        "Packets dropped by the transit gateway: no route."
    ),
    (
        "packets_lost_blackhole",
        6,
        Kind::Count,
        "Packets dropped by the transit gateway: blackhole route."
    ),
    (
        "packets_lost_mtu_exceeded",
        6,
        Kind::Count,
        "Packets dropped by the transit gateway: MTU exceeded."
    ),
    (
        "packets_lost_ttl_expired",
        6,
        Kind::Count,
        "Packets dropped by the transit gateway: TTL expired."
    ),
    (
        "ecs_cluster_arn",
        7,
        Kind::Text,
        "ARN of the ECS cluster of the task."
    ),
    (
        "ecs_cluster_name",
        7,
        Kind::Text,
        "Name of the ECS cluster of the task."
    ),
    (
        "ecs_container_instance_arn",
        7,
        Kind::Text,
        "ECS container instance ARN (EC2 capacity only)."
    ),
    (
        "ecs_container_instance_id",
        7,
        Kind::Id,
        "ECS container instance ID (EC2 capacity only)."
    ),
    (
        "ecs_container_id",
        7,
        Kind::Id,
        "Runtime ID of the task's first container."
    ),
    (
        "ecs_second_container_id",
        7,
        Kind::Id,
        "Runtime ID of the task's second container."
    ),
    (
        "ecs_service_name",
        7,
        Kind::Text,
        "ECS service that started the task."
    ),
    (
        "ecs_task_definition_arn",
        7,
        Kind::Text,
        "ARN of the task definition."
    ),
    ("ecs_task_arn", 7, Kind::Text, "ARN of the ECS task."),
    ("ecs_task_id", 7, Kind::Id, "ID of the ECS task."),
    (
        "reject_reason",
        8,
        Kind::Text,
        "Why traffic was rejected: BPA (VPC Block Public Access), EC (encryption controls)."
    ),
    (
        "resource_id",
        9,
        Kind::Id,
        "Regional NAT gateway associated with the traffic."
    ),
    (
        "encryption_status",
        10,
        BYTE,
        "0 clear text, 1 Nitro-encrypted, 2 application-encrypted, 3 both."
    ),
    (
        "instance_tag",
        11,
        Kind::Encoded,
        "Value of the first configured instance tag."
    ),
    (
        "instance_tag_2",
        11,
        Kind::Encoded,
        "Value of the second configured instance tag."
    ),
    (
        "interface_tag",
        11,
        Kind::Encoded,
        "Value of the first configured network-interface tag."
    ),
    (
        "interface_tag_2",
        11,
        Kind::Encoded,
        "Value of the second configured network-interface tag."
    ),
    (
        "asg_tag",
        11,
        Kind::Encoded,
        "Value of the first configured Auto Scaling group tag."
    ),
    (
        "asg_tag_2",
        11,
        Kind::Encoded,
        "Value of the second configured Auto Scaling group tag."
    ),
    (
        "interface_type",
        11,
        Kind::Text,
        "Type of the capturing interface (nat_gateway, vpc_endpoint, transit_gateway, ...)."
    ),
    (
        "next_hop_interface_id",
        11,
        Kind::Id,
        "Network interface of the next hop."
    ),
    (
        "next_hop_subnet_id",
        11,
        Kind::Id,
        "Subnet of the next-hop interface."
    ),
    (
        "next_hop_az_id",
        11,
        Kind::Id,
        "Availability Zone ID of the next-hop interface."
    ),
    (
        "next_hop_vpc_id",
        11,
        Kind::Id,
        "VPC of the next-hop interface."
    ),
    (
        "next_hop_interface_type",
        11,
        Kind::Text,
        "Type of the next-hop interface."
    ),
];

/// The fields of AWS's default format, in order and in its spelling
/// (`${version} ${account-id} ... ${log-status}`).
pub const DEFAULT_FORMAT: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

/// Normalises a field spelling: `${account-id}`, `account-id`, `Account_ID` -> `account_id`.
/// Returns `None` when the token is not shaped like a field name at all.
pub fn normalize(token: &str) -> Option<String> {
    let t = token
        .strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(token);
    let first = t.chars().next()?;
    if !first.is_ascii_alphabetic()
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    Some(t.to_ascii_lowercase().replace('-', "_"))
}

/// Finds a known field by any spelling; returns its index in [`FIELDS`].
pub fn lookup(token: &str) -> Option<usize> {
    let name = normalize(token)?;
    FIELDS.iter().position(|f| f.name == name)
}

/// Finds a known field by any spelling.
pub fn find(token: &str) -> Option<&'static FieldDef> {
    lookup(token).map(|i| &FIELDS[i])
}

/// The hyphenated spelling used in format strings and S3 header lines.
pub fn hyphenated(name: &str) -> String {
    name.replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_canonical() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(normalize(f.name).as_deref(), Some(f.name));
            assert_eq!(lookup(f.name), Some(i));
            assert_eq!(lookup(&hyphenated(f.name)), Some(i));
        }
    }

    #[test]
    fn spellings_resolve() {
        assert_eq!(lookup("${log-status}"), lookup("log_status"));
        assert_eq!(lookup("Pkt-Src-AWS-Service"), lookup("pkt_src_aws_service"));
        assert_eq!(lookup("no-such-field"), None);
        assert_eq!(normalize("10.0.0.1"), None);
        assert_eq!(normalize("-"), None);
    }

    #[test]
    fn default_format_is_known() {
        for name in DEFAULT_FORMAT {
            assert!(lookup(name).is_some(), "{name}");
        }
        assert_eq!(FIELDS.len(), 72);
    }
}
