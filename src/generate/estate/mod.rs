//! The sample estate's model: two accounts, their VPCs, subnets, route tables, ENIs, NAT
//! gateways and VPC endpoints, the flow logs that capture each ENI, and the public peers they
//! talk to. `build` draws it all from the seed; the other rooms only read it.

mod build;
mod ids;
mod parts;
mod peers;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

pub(crate) use build::build;
pub(crate) use ids::v4;
pub use peers::MAX_INTERNET_PEERS;
pub(crate) use peers::{IP_RANGES_V4, IP_RANGES_V6, Peer, Peers, WIDE_INTERNET};

/// The primary account and its region.
pub(crate) const ACCOUNT_1: &str = "111122223333";
pub(crate) const REGION_1: &str = "us-east-1";
/// The second account and its region.
pub(crate) const ACCOUNT_2: &str = "044455556666";
pub(crate) const REGION_2: &str = "eu-west-1";
/// The prod VPC's id is fixed, so documentation can name it.
pub(crate) const PROD_VPC_ID: &str = "vpc-0a1b2c3d4e5f60718";
/// AWS-managed prefix list `com.amazonaws.us-east-1.s3`.
pub(crate) const S3_PREFIX_LIST_USE1: &str = "pl-63a5400a";
/// Account AWS uses as requester for NAT gateway ENIs (as in AWS's own examples).
pub(crate) const NAT_REQUESTER: &str = "036872051663";
/// Account AWS uses as requester for interface-endpoint ENIs (as in AWS's own examples).
pub(crate) const VPCE_REQUESTER: &str = "727180483921";
/// Requester and attachment owner of Amazon RDS's ENIs.
pub(crate) const RDS_REQUESTER: &str = "amazon-rds";

/// The flow logs, in the order of [`Estate::flow_logs`].
pub(crate) const FL_DEFAULT: usize = 0;
pub(crate) const FL_V5: usize = 1;
pub(crate) const FL_V8: usize = 2;
pub(crate) const FL_PARQUET: usize = 3;
pub(crate) const FL_CLOUDWATCH: usize = 4;
pub(crate) const FL_ANALYTICS: usize = 5;
pub(crate) const FL_BPA: usize = 6;

/// The prod VPC's IPv6 block is `2600:1f18:6a3c:9d00::/56`; subnet k gets `…:9d0k::/64`.
pub(crate) const PROD_IPV6: [u16; 4] = [0x2600, 0x1f18, 0x6a3c, 0x9d00];

/// How a flow log delivers its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Gzipped text with a header, `AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/HH/`.
    S3Text,
    /// Gzipped text with a header, Hive-compatible hourly partitions.
    S3Hive,
    /// One AWS-style Parquet object, for the given hour only.
    S3Parquet { hour: u32 },
    /// CloudWatch Logs, of which the given hour was exported (no header).
    CloudWatch { hour: u32 },
}

impl Delivery {
    /// Whether records of this (0-based) hour are delivered.
    pub(crate) fn delivers(self, hour: u32) -> bool {
        match self {
            Delivery::S3Text | Delivery::S3Hive => true,
            Delivery::S3Parquet { hour: h } | Delivery::CloudWatch { hour: h } => h == hour,
        }
    }

    /// The delivery's name in the summary.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Delivery::S3Text => "s3-text",
            Delivery::S3Hive => "s3-hive-text",
            Delivery::S3Parquet { .. } => "s3-parquet",
            Delivery::CloudWatch { .. } => "cloudwatch",
        }
    }
}

/// One flow log: whose it is, what it writes and where it delivers.
pub(crate) struct FlowLog {
    pub(crate) id: &'static str,
    pub(crate) account: &'static str,
    pub(crate) region: &'static str,
    /// Its layout: hyphenated field names in record order.
    pub(crate) fields: Vec<&'static str>,
    pub(crate) delivery: Delivery,
}

/// A VPC with its CIDRs, gateways and DHCP options.
pub(crate) struct Vpc {
    pub(crate) id: String,
    pub(crate) name: &'static str,
    pub(crate) account: &'static str,
    pub(crate) region: &'static str,
    /// IPv4 CIDRs with their association ids; the first is the primary.
    pub(crate) cidrs: Vec<(&'static str, String)>,
    /// IPv6 block (first four groups of a /56) with its association id.
    pub(crate) ipv6: Option<([u16; 4], String)>,
    pub(crate) dhcp: String,
    pub(crate) igw: String,
    pub(crate) eigw: Option<String>,
    pub(crate) created: String,
}

/// A subnet: its IPv4 block, AZ and the host addresses handed out so far.
pub(crate) struct Subnet {
    pub(crate) id: String,
    pub(crate) name: &'static str,
    pub(crate) vpc: usize,
    pub(crate) az: &'static str,
    pub(crate) az_id: &'static str,
    pub(crate) base: u32,
    pub(crate) len: u8,
    /// Index of the /64 inside the VPC's /56, when the subnet has IPv6.
    pub(crate) ipv6: Option<(u16, String)>,
    pub(crate) public: bool,
    /// Host offsets already handed out.
    pub(crate) used: BTreeSet<u32>,
}

impl Subnet {
    /// The subnet's IPv4 block, `a.b.c.d/len`.
    pub(crate) fn cidr(&self) -> String {
        format!("{}/{}", Ipv4Addr::from(self.base), self.len)
    }
}

/// Where a route sends its traffic.
pub(crate) enum Target {
    Local,
    Igw(String),
    Eigw(String),
    Nat(String),
    Vpce(String),
}

/// What a route matches.
pub(crate) enum Dest {
    V4(String),
    V6(String),
    PrefixList(&'static str),
}

/// One route of a route table.
pub(crate) struct Route {
    pub(crate) dest: Dest,
    pub(crate) target: Target,
}

/// A route table with its associations and routes.
pub(crate) struct RouteTable {
    pub(crate) id: String,
    pub(crate) name: &'static str,
    pub(crate) vpc: usize,
    /// The main table's own association id.
    pub(crate) main: Option<String>,
    /// Explicit subnet associations: subnet index and association id.
    pub(crate) subnets: Vec<(usize, String)>,
    pub(crate) routes: Vec<Route>,
}

/// How an ENI gets a public IPv4 address.
#[derive(Clone, Copy)]
pub(crate) enum Public {
    /// An auto-assigned public IPv4 address (owner `amazon`).
    Auto(&'static str),
    /// An Elastic IP.
    Elastic(&'static str),
}

/// A public address attached to a private one.
pub(crate) struct PublicIp {
    pub(crate) ip: &'static str,
    /// Allocation and association ids of an Elastic IP.
    pub(crate) eip: Option<(String, String)>,
}

/// What an ENI belongs to: an instance, a NAT gateway, an endpoint or a database of Amazon RDS
/// (whose ENI AWS manages: flow logs show no instance id).
pub(crate) enum EniKind {
    Instance { instance_id: String },
    Nat { nat: usize },
    Endpoint { endpoint: usize },
    Rds,
}

/// A network interface: addresses, security group and the flow log that captures it.
pub(crate) struct Eni {
    pub(crate) id: String,
    /// Human name used in the README and the Name tag (`app-a1`, `nat-prod`, `vpce-kms-b` …).
    pub(crate) name: String,
    /// What it is for, in the README's words.
    pub(crate) role: &'static str,
    pub(crate) subnet: usize,
    pub(crate) kind: EniKind,
    /// Private IPv4 addresses, primary first.
    pub(crate) ips: Vec<String>,
    pub(crate) ipv6: Vec<String>,
    /// Public address per private address (same index).
    pub(crate) public: Vec<Option<PublicIp>>,
    pub(crate) mac: String,
    pub(crate) attachment: String,
    pub(crate) group: Option<(String, &'static str)>,
    pub(crate) flow_log: usize,
}

/// A NAT gateway and its ENIs.
pub(crate) struct Nat {
    pub(crate) name: &'static str,
    pub(crate) id: String,
    pub(crate) vpc: usize,
    /// A zonal gateway's subnet; `None` for a regional gateway, which has no subnet.
    pub(crate) subnet: Option<usize>,
    /// Its ENIs: a zonal gateway's one, a regional gateway's one per zone (the ENI's subnet's
    /// zone), the first holding the primary address.
    pub(crate) enis: Vec<usize>,
    /// A regional gateway's own route table (AWS creates it with a route to the internet
    /// gateway); `None` for a zonal gateway.
    pub(crate) route_table: Option<String>,
    pub(crate) created: String,
}

impl Nat {
    /// Whether the gateway is regional (no subnet, an address in each of its zones).
    pub(crate) fn regional(&self) -> bool {
        self.subnet.is_none()
    }
}

/// How busy an interface endpoint is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usage {
    Busy,
    Low,
    Idle,
    /// Private DNS is off: only clients that name the endpoint use it, a few times an hour.
    Named,
}

/// An endpoint's policy.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// The policy AWS attaches when none is given: everyone, every action, every resource.
    FullAccess,
    /// S3 only: these buckets (and their objects), for principals of the endpoint's account.
    Buckets(&'static [&'static str]),
}

/// A VPC endpoint: interface (with ENIs) or gateway (with route tables).
pub(crate) struct Endpoint {
    pub(crate) id: String,
    pub(crate) vpc: usize,
    pub(crate) service: &'static str,
    /// `None` for gateway endpoints.
    pub(crate) usage: Option<Usage>,
    pub(crate) enis: Vec<usize>,
    pub(crate) route_tables: Vec<usize>,
    pub(crate) group: Option<(String, &'static str)>,
    pub(crate) dns_token: String,
    /// Whether the service's public DNS name resolves to the endpoint (interface endpoints).
    pub(crate) private_dns: bool,
    pub(crate) policy: Policy,
    pub(crate) created: String,
}

/// An Elastic IP allocated in an account and associated with nothing.
pub(crate) struct SpareEip {
    pub(crate) account: &'static str,
    pub(crate) region: &'static str,
    pub(crate) ip: &'static str,
    pub(crate) allocation: String,
    /// Its `Name` tag.
    pub(crate) name: &'static str,
    /// Why it is there, in the README's words.
    pub(crate) story: &'static str,
}

/// ENI (and NAT) indices of the estate's named actors.
#[derive(Default)]
pub(crate) struct Roles {
    /// Prod's bastion and NAT gateway.
    pub(crate) bastion: usize,
    pub(crate) nat: usize,
    /// The busy interface endpoints (ssm, sts) and the app servers that call them.
    pub(crate) ssm: Vec<usize>,
    pub(crate) sts: Vec<usize>,
    pub(crate) apps: Apps,
    /// The quiet interface endpoints: kms (idle) and ecr.api (three calls).
    pub(crate) kms: Vec<usize>,
    pub(crate) ecr: Vec<usize>,
    /// The batch worker; the second account's ETL and reporting instances, its web server
    /// blocked by Block Public Access and its NAT gateway's ENI in eu-west-1a.
    pub(crate) worker: usize,
    pub(crate) etl: usize,
    pub(crate) report: usize,
    pub(crate) legacy: usize,
    pub(crate) nat2: usize,
    /// Prod's monitoring instance (a public IP it never uses) and its RDS database.
    pub(crate) monitor: usize,
    pub(crate) orders_db: usize,
    /// The second account's S3 interface endpoint, its ingest instance in eu-west-1b and the
    /// regional NAT gateway's ENI there.
    pub(crate) s3_interface: Vec<usize>,
    pub(crate) ingest: usize,
    pub(crate) nat2_b: usize,
}

/// The ENIs of prod's four app servers.
#[derive(Clone, Copy, Default)]
pub(crate) struct Apps {
    /// app-a1 in private-a: Postgres, and the API on its secondary address.
    pub(crate) a1: usize,
    /// app-a2 in private-a, logged to CloudWatch Logs only.
    pub(crate) a2: usize,
    /// app-b1 in private-b, dual-stack.
    pub(crate) b1: usize,
    /// app-c1 in private-c, the subnet without a route to the S3 endpoint.
    pub(crate) c1: usize,
}

impl Apps {
    /// All four: app-a1, app-a2, app-b1, app-c1.
    pub(crate) fn all(self) -> [usize; 4] {
        [self.a1, self.a2, self.b1, self.c1]
    }
}

/// The whole estate; indices into its lists link the parts.
pub(crate) struct Estate {
    /// The flow logs, in the order of the `FL_*` indices.
    pub(crate) flow_logs: Vec<FlowLog>,
    /// The hour (0-based) the Parquet flow log delivered, and the batch worker ran.
    pub(crate) worker_hour: u32,
    /// The hour (0-based) exported from CloudWatch Logs.
    pub(crate) cloudwatch_hour: u32,
    /// The networks: VPCs, their subnets and route tables, and security groups by VPC and name.
    pub(crate) vpcs: Vec<Vpc>,
    pub(crate) subnets: Vec<Subnet>,
    pub(crate) groups: BTreeMap<(usize, &'static str), String>,
    pub(crate) route_tables: Vec<RouteTable>,
    /// The network interfaces, NAT gateways and VPC endpoints.
    pub(crate) enis: Vec<Eni>,
    pub(crate) nats: Vec<Nat>,
    pub(crate) endpoints: Vec<Endpoint>,
    /// Elastic IPs associated with nothing.
    pub(crate) spare_eips: Vec<SpareEip>,
    /// Who the estate talks to on the internet and at AWS.
    pub(crate) peers: Peers,
    /// The ENIs of the named actors.
    pub(crate) roles: Roles,
}

impl Estate {
    /// The subnet's route table: its explicit association, else the VPC's main table.
    pub(crate) fn route_table_of(&self, subnet: usize) -> Option<&RouteTable> {
        let vpc = self.subnets[subnet].vpc;
        self.route_tables
            .iter()
            .find(|t| t.subnets.iter().any(|(s, _)| *s == subnet))
            .or_else(|| {
                self.route_tables
                    .iter()
                    .find(|t| t.vpc == vpc && t.main.is_some())
            })
    }

    /// The AZ id of the ENI's subnet.
    pub(crate) fn az_id(&self, eni: usize) -> &'static str {
        self.subnets[self.enis[eni].subnet].az_id
    }

    /// The ENI's primary private IPv4 address.
    pub(crate) fn primary_ip(&self, eni: usize) -> &str {
        self.enis[eni].ips.first().map_or("-", String::as_str)
    }

    /// How the ENI records `ip` as its own address: traffic to or from a secondary private IPv4
    /// address shows the primary address (the real one is only in `pkt-*`).
    pub(crate) fn local_addr(&self, eni: usize, ip: &str) -> String {
        let n = &self.enis[eni];
        if n.ips.iter().any(|a| a == ip) {
            self.primary_ip(eni).to_string()
        } else {
            ip.to_string()
        }
    }
}
