//! The JSON the AWS CLI prints for `aws ec2 describe-network-interfaces`,
//! `describe-vpc-endpoints`, `describe-nat-gateways`, `describe-vpcs`, `describe-subnets`,
//! `describe-route-tables`, `describe-prefix-lists`, `describe-managed-prefix-lists`,
//! `get-managed-prefix-list-entries` and `describe-addresses`, as serde structs holding only the members vpcflow uses.
//! Unknown members are ignored, absent or `null` ones take their default, and a member of the
//! wrong type is an error.

use serde::{Deserialize, Deserializer, Serialize};

/// Reads `null` as the default value (an empty list), like an absent member.
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// One CLI output file. The CLI prints one top-level list per command; a file holding several
/// (merged by hand) is read as all of them.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Document {
    /// `describe-network-interfaces`.
    pub network_interfaces: Option<Vec<NetworkInterface>>,
    /// `describe-vpc-endpoints`.
    pub vpc_endpoints: Option<Vec<VpcEndpoint>>,
    /// `describe-nat-gateways`.
    pub nat_gateways: Option<Vec<NatGateway>>,
    /// `describe-vpcs`.
    pub vpcs: Option<Vec<Vpc>>,
    /// `describe-subnets`.
    pub subnets: Option<Vec<Subnet>>,
    /// `describe-route-tables`.
    pub route_tables: Option<Vec<RouteTable>>,
    /// `describe-prefix-lists` or `describe-managed-prefix-lists`.
    pub prefix_lists: Option<Vec<PrefixList>>,
    /// `get-managed-prefix-list-entries`.
    pub entries: Option<Vec<PrefixListEntry>>,
    /// Not printed by the CLI; accepted when a file of entries carries its list's id.
    pub prefix_list_id: Option<String>,
    /// `describe-addresses`.
    pub addresses: Option<Vec<Address>>,
}

/// The top-level members of a [`Document`], in the order they are looked for.
pub const DOCUMENT_KEYS: [&str; 9] = [
    "NetworkInterfaces",
    "VpcEndpoints",
    "NatGateways",
    "Vpcs",
    "Subnets",
    "RouteTables",
    "PrefixLists",
    "Entries",
    "Addresses",
];

/// An elastic network interface.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkInterface {
    /// `eni-…`.
    pub network_interface_id: Option<String>,
    /// `vpc-…`.
    pub vpc_id: Option<String>,
    /// `subnet-…`.
    pub subnet_id: Option<String>,
    /// Zone name, e.g. `us-east-1a`.
    pub availability_zone: Option<String>,
    /// Zone id, e.g. `use1-az1`.
    pub availability_zone_id: Option<String>,
    /// Owning account.
    pub owner_id: Option<String>,
    /// `interface`, `nat_gateway` (model: `natGateway`), `vpc_endpoint`, `transit_gateway`, ….
    pub interface_type: Option<String>,
    /// Free text; names the owner for requester-managed interfaces.
    pub description: Option<String>,
    /// Whether an AWS service manages the interface.
    pub requester_managed: Option<bool>,
    /// The account or service that created a requester-managed interface.
    pub requester_id: Option<String>,
    /// The instance attachment.
    pub attachment: Option<Attachment>,
    /// The public address of the primary private address.
    pub association: Option<Association>,
    /// The primary private IPv4 address.
    pub private_ip_address: Option<String>,
    /// Every private IPv4 address.
    #[serde(deserialize_with = "null_default")]
    pub private_ip_addresses: Vec<PrivateIpAddress>,
    /// Every IPv6 address.
    #[serde(deserialize_with = "null_default")]
    pub ipv6_addresses: Vec<Ipv6Address>,
    /// The primary IPv6 address, when one is designated.
    pub ipv6_address: Option<String>,
}

/// `NetworkInterfaces[].Attachment`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Attachment {
    /// `i-…`; absent for interfaces of AWS services.
    pub instance_id: Option<String>,
}

/// A public address associated with a private one.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Association {
    /// The public IPv4 address.
    pub public_ip: Option<String>,
    /// `amazon` for an address AWS assigned, else the account owning the elastic IP.
    pub ip_owner_id: Option<String>,
}

/// `NetworkInterfaces[].PrivateIpAddresses[]`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrivateIpAddress {
    /// The address.
    pub private_ip_address: Option<String>,
    /// Whether it is the interface's primary address.
    pub primary: Option<bool>,
    /// Its public address, if any.
    pub association: Option<Association>,
}

/// `NetworkInterfaces[].Ipv6Addresses[]`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Address {
    /// The address.
    pub ipv6_address: Option<String>,
    /// Whether it is the interface's primary IPv6 address.
    pub is_primary_ipv6: Option<bool>,
}

/// A VPC endpoint.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VpcEndpoint {
    /// `vpce-…`.
    pub vpc_endpoint_id: Option<String>,
    /// `Interface`, `Gateway`, `GatewayLoadBalancer`, `Resource`, `ServiceNetwork`.
    pub vpc_endpoint_type: Option<String>,
    /// `vpc-…`.
    pub vpc_id: Option<String>,
    /// `com.amazonaws.<region>.<service>` or `com.amazonaws.vpce.<region>.vpce-svc-…`.
    pub service_name: Option<String>,
    /// `available`, `pendingAcceptance`, ….
    pub state: Option<String>,
    /// Owning account.
    pub owner_id: Option<String>,
    /// Subnets holding the endpoint's interfaces (one per zone).
    #[serde(deserialize_with = "null_default")]
    pub subnet_ids: Vec<String>,
    /// The endpoint's interfaces.
    #[serde(deserialize_with = "null_default")]
    pub network_interface_ids: Vec<String>,
    /// Route tables of a gateway endpoint.
    #[serde(deserialize_with = "null_default")]
    pub route_table_ids: Vec<String>,
    /// ISO-8601, with or without fractional seconds.
    pub creation_timestamp: Option<String>,
    /// The endpoint policy, a JSON document as text (gateway and most interface endpoints).
    pub policy_document: Option<String>,
    /// Whether the service's public DNS name resolves to the endpoint inside the VPC.
    pub private_dns_enabled: Option<bool>,
}

/// A NAT gateway.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NatGateway {
    /// `nat-…`.
    pub nat_gateway_id: Option<String>,
    /// `vpc-…`.
    pub vpc_id: Option<String>,
    /// `subnet-…` (zonal gateways).
    pub subnet_id: Option<String>,
    /// `pending`, `available`, `deleted`, ….
    pub state: Option<String>,
    /// `public` (the default) or `private`.
    pub connectivity_type: Option<String>,
    /// `zonal` (the default) or `regional`.
    pub availability_mode: Option<String>,
    /// ISO-8601.
    pub create_time: Option<String>,
    /// The gateway's addresses, several of which may share one interface.
    #[serde(deserialize_with = "null_default")]
    pub nat_gateway_addresses: Vec<NatGatewayAddress>,
}

/// `NatGateways[].NatGatewayAddresses[]`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NatGatewayAddress {
    /// The interface holding the address.
    pub network_interface_id: Option<String>,
    /// The private address.
    pub private_ip: Option<String>,
    /// The elastic IP (public gateways).
    pub public_ip: Option<String>,
    /// Whether this is the gateway's primary address.
    pub is_primary: Option<bool>,
    /// The zone of the address (regional gateways).
    pub availability_zone: Option<String>,
    /// The zone id of the address (regional gateways).
    pub availability_zone_id: Option<String>,
}

/// A VPC.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Vpc {
    /// `vpc-…`.
    pub vpc_id: Option<String>,
    /// Owning account.
    pub owner_id: Option<String>,
    /// The primary IPv4 block.
    pub cidr_block: Option<String>,
    /// Whether it is the region's default VPC.
    pub is_default: Option<bool>,
    /// `pending` or `available`.
    pub state: Option<String>,
    /// Every IPv4 block.
    #[serde(deserialize_with = "null_default")]
    pub cidr_block_association_set: Vec<CidrBlockAssociation>,
    /// Every IPv6 block.
    #[serde(deserialize_with = "null_default")]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrBlockAssociation>,
}

/// `Vpcs[].CidrBlockAssociationSet[]`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CidrBlockAssociation {
    /// The block.
    pub cidr_block: Option<String>,
    /// Its association state.
    pub cidr_block_state: Option<StateHolder>,
}

/// `Ipv6CidrBlockAssociationSet[]` of a VPC or subnet.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6CidrBlockAssociation {
    /// The block.
    pub ipv6_cidr_block: Option<String>,
    /// Its association state.
    pub ipv6_cidr_block_state: Option<StateHolder>,
}

/// `{"State": …}` objects (association states).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct StateHolder {
    /// `associating`, `associated`, `disassociating`, `disassociated`, `failed`, ….
    pub state: Option<String>,
}

/// A subnet.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Subnet {
    /// `subnet-…`.
    pub subnet_id: Option<String>,
    /// `vpc-…`.
    pub vpc_id: Option<String>,
    /// The IPv4 block.
    pub cidr_block: Option<String>,
    /// The IPv6 blocks.
    #[serde(deserialize_with = "null_default")]
    pub ipv6_cidr_block_association_set: Vec<Ipv6CidrBlockAssociation>,
    /// Zone name.
    pub availability_zone: Option<String>,
    /// Zone id.
    pub availability_zone_id: Option<String>,
    /// Owning account.
    pub owner_id: Option<String>,
}

/// A route table.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTable {
    /// `rtb-…`.
    pub route_table_id: Option<String>,
    /// `vpc-…`.
    pub vpc_id: Option<String>,
    /// The routes.
    #[serde(deserialize_with = "null_default")]
    pub routes: Vec<Route>,
    /// Subnets (and gateways) using the table, and whether it is the VPC's main table.
    #[serde(deserialize_with = "null_default")]
    pub associations: Vec<RouteTableAssociation>,
}

/// `RouteTables[].Routes[]`: one destination and one target member.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Route {
    /// IPv4 destination.
    pub destination_cidr_block: Option<String>,
    /// IPv6 destination.
    pub destination_ipv6_cidr_block: Option<String>,
    /// Prefix-list destination (`pl-…`, e.g. a gateway endpoint's).
    pub destination_prefix_list_id: Option<String>,
    /// `local`, `igw-…`, `vpce-…`, `vgw-…`.
    pub gateway_id: Option<String>,
    /// `nat-…`.
    pub nat_gateway_id: Option<String>,
    /// `tgw-…`.
    pub transit_gateway_id: Option<String>,
    /// `pcx-…`.
    pub vpc_peering_connection_id: Option<String>,
    /// `eigw-…`.
    pub egress_only_internet_gateway_id: Option<String>,
    /// `lgw-…`.
    pub local_gateway_id: Option<String>,
    /// `cagw-…`.
    pub carrier_gateway_id: Option<String>,
    /// A Cloud WAN core network ARN.
    pub core_network_arn: Option<String>,
    /// `eni-…`.
    pub network_interface_id: Option<String>,
    /// `i-…`.
    pub instance_id: Option<String>,
    /// `active` or `blackhole`.
    pub state: Option<String>,
}

/// `RouteTables[].Associations[]`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTableAssociation {
    /// The associated subnet (absent for the main association and gateway associations).
    pub subnet_id: Option<String>,
    /// Whether this is the VPC's main-table association.
    pub main: Option<bool>,
    /// An associated gateway (edge association).
    pub gateway_id: Option<String>,
    /// The association's state.
    pub association_state: Option<StateHolder>,
}

/// A prefix list from `describe-prefix-lists` (with `Cidrs`) or `describe-managed-prefix-lists`
/// (without).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixList {
    /// `pl-…`.
    pub prefix_list_id: Option<String>,
    /// E.g. `com.amazonaws.us-east-1.s3`.
    pub prefix_list_name: Option<String>,
    /// The CIDRs (`describe-prefix-lists` only).
    #[serde(deserialize_with = "null_default")]
    pub cidrs: Vec<String>,
    /// `arn:aws:ec2:<region>:…` (`describe-managed-prefix-lists` only).
    pub prefix_list_arn: Option<String>,
}

/// `Entries[]` of `get-managed-prefix-list-entries`.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrefixListEntry {
    /// The CIDR.
    pub cidr: Option<String>,
}

/// `Addresses[]` of `describe-addresses`: an elastic IP, associated or not.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Address {
    /// The public IPv4 address.
    pub public_ip: Option<String>,
    /// `eipalloc-…`.
    pub allocation_id: Option<String>,
    /// `eipassoc-…`; absent while the address is not associated.
    pub association_id: Option<String>,
    /// The interface it is associated with.
    pub network_interface_id: Option<String>,
    /// The private address it maps to.
    pub private_ip_address: Option<String>,
    /// The instance it is associated with.
    pub instance_id: Option<String>,
    /// `vpc` (or `standard` for EC2-Classic).
    pub domain: Option<String>,
    /// Where AWS advertises it, usually the region's name.
    pub network_border_group: Option<String>,
}
