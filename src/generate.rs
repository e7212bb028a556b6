//! Synthetic VPC Flow Log data: the sample estate behind `sample-logs/` and fast random records
//! for benchmarks.
//!
//! This module owns everything vpcflow *writes* as test input. [`generate_estate`] builds a small
//! AWS estate (two accounts, their VPCs, subnets, route tables, NAT gateways, VPC endpoints and
//! instances), renders its traffic as flow-log records on every ENI each flow crosses, and writes
//! the files AWS would deliver for it: gzipped S3 text objects in the plain and Hive layouts, an
//! AWS-style Parquet object, a header-less CloudWatch export, `aws ec2 describe-*` JSON and a
//! subset of `ip-ranges.json`. [`synthetic_text`] renders random but valid records in any field
//! layout, fast, for throughput benchmarks. Output depends only on the seed and the options: no
//! clock, no hash-map order, fixed gzip and Parquet settings. Reading and classifying the data is
//! left to the rest of the crate.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use flate2::{Compression, GzBuilder};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::{Compression as ParquetCompression, GzipLevel};
use parquet::file::properties::WriterProperties;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::{Error, Result};

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// The default (version 2) flow-log format, in AWS's order.
pub const DEFAULT_FIELDS: &[&str] = &[
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

/// A version 5 custom format: AWS's published v3 custom order (note `bytes` before `packets`)
/// followed by v4 and v5 fields. The sample estate's `fl-0v5custom00000002` uses exactly this.
pub const V5_CUSTOM_FIELDS: &[&str] = &[
    "version",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "interface-id",
    "account-id",
    "type",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "protocol",
    "bytes",
    "packets",
    "start",
    "end",
    "action",
    "tcp-flags",
    "log-status",
    "region",
    "az-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
];

/// A version 8 custom format (with `reject-reason`) in yet another order; used by the estate's
/// bastion and BPA flow logs.
const V8_FIELDS: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "instance-id",
    "vpc-id",
    "subnet-id",
    "az-id",
    "flow-direction",
    "srcaddr",
    "srcport",
    "dstaddr",
    "dstport",
    "protocol",
    "tcp-flags",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "reject-reason",
    "traffic-path",
    "log-status",
];

/// Fields of the estate's Parquet flow log (a version 3 format); column names use underscores.
const PARQUET_FIELDS: &[&str] = &[
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
    "vpc-id",
    "subnet-id",
];

/// What [`generate_estate`] builds: the seed, the time window and how busy the estate is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateOptions {
    /// Seed for every random choice (ids, addresses, traffic); the same seed gives the same bytes.
    pub seed: u64,
    /// Start of the first hour of traffic (UTC); truncated to the hour.
    pub start: DateTime<Utc>,
    /// Hours of traffic; each hour becomes one object per flow log.
    pub hours: u32,
    /// Connections per hour in the primary account. Each connection becomes one record per
    /// direction on every captured ENI it crosses (2 to 6 records); the second account gets an
    /// eighth of this.
    pub flows_per_hour: u32,
}

impl Default for EstateOptions {
    /// Seed 7, six hours from 2026-11-20T08:00:00Z, sized so the whole estate is about 1.2 MB.
    fn default() -> Self {
        EstateOptions {
            seed: 7,
            start: Utc
                .with_ymd_and_hms(2026, 11, 20, 8, 0, 0)
                .single()
                .unwrap_or_default(),
            hours: 6,
            flows_per_hour: 2_500,
        }
    }
}

/// Files and records written for one kind of output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FileTally {
    /// Files written.
    pub files: usize,
    /// Records written (for inventory files: resources or prefixes listed).
    pub records: usize,
}

/// What one flow log of the estate delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowLogTally {
    /// Flow-log id, as in the object names.
    pub flow_log_id: String,
    /// Account the flow log belongs to.
    pub account_id: String,
    /// Region of the flow log.
    pub region: String,
    /// Where it delivers: `s3-text`, `s3-hive-text`, `s3-parquet` or `cloudwatch`.
    pub delivery: String,
    /// The `version` its records carry (highest field version of its format).
    pub version: u8,
    /// Its fields, hyphenated, in record order.
    pub fields: String,
    /// Files written.
    pub files: usize,
    /// Records written.
    pub records: usize,
}

/// What [`generate_estate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EstateSummary {
    /// Gzipped text objects with a header line, plain S3 layout (primary account).
    pub s3_text: FileTally,
    /// Gzipped text objects with a header line, Hive-compatible S3 layout (second account).
    pub s3_hive_text: FileTally,
    /// AWS-style Parquet objects.
    pub s3_parquet: FileTally,
    /// Header-less CloudWatch Logs export files.
    pub cloudwatch: FileTally,
    /// `describe-*` JSON files and `ip-ranges.json`.
    pub inventory: FileTally,
    /// Per flow log, in a fixed order.
    pub flow_logs: Vec<FlowLogTally>,
    /// Every file written, `README.md` included.
    pub total_files: usize,
    /// Bytes written over all files.
    pub total_bytes: u64,
}

// ---------------------------------------------------------------------------------------------
// Field versions (shared by the estate and synthetic_text)
// ---------------------------------------------------------------------------------------------

/// Lower-case, hyphenated spelling of a field name (`log_status` -> `log-status`).
fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('_', "-")
}

/// The flow-log version that introduced a field; unknown fields count as 2.
fn field_version(name: &str) -> u8 {
    let n = normalize(name);
    match n.as_str() {
        "vpc-id" | "subnet-id" | "instance-id" | "tcp-flags" | "type" | "pkt-srcaddr"
        | "pkt-dstaddr" => 3,
        "region" | "az-id" | "sublocation-type" | "sublocation-id" => 4,
        "pkt-src-aws-service" | "pkt-dst-aws-service" | "flow-direction" | "traffic-path" => 5,
        "resource-type" => 6,
        "reject-reason" => 8,
        "resource-id" => 9,
        "encryption-status" => 10,
        "interface-type" => 11,
        _ if n.starts_with("tgw-") || n.starts_with("packets-lost-") => 6,
        _ if n.starts_with("ecs-") => 7,
        _ if n.starts_with("next-hop-")
            || n.starts_with("instance-tag")
            || n.starts_with("interface-tag")
            || n.starts_with("asg-tag") =>
        {
            11
        }
        _ => 2,
    }
}

/// The `version` a record of this layout carries: the highest version among its fields.
fn layout_version(fields: &[&str]) -> u8 {
    fields
        .iter()
        .map(|f| field_version(f))
        .max()
        .unwrap_or(2)
        .max(2)
}

// ---------------------------------------------------------------------------------------------
// The estate: a small data model and the function that builds it from the seed
// ---------------------------------------------------------------------------------------------

const ACCOUNT_1: &str = "111122223333";
const REGION_1: &str = "us-east-1";
const ACCOUNT_2: &str = "044455556666";
const REGION_2: &str = "eu-west-1";
const PROD_VPC_ID: &str = "vpc-0a1b2c3d4e5f60718";
/// AWS-managed prefix list `com.amazonaws.us-east-1.s3`.
const S3_PREFIX_LIST_USE1: &str = "pl-63a5400a";
/// Account AWS uses as requester for NAT gateway ENIs (as in AWS's own examples).
const NAT_REQUESTER: &str = "036872051663";
/// Account AWS uses as requester for interface-endpoint ENIs (as in AWS's own examples).
const VPCE_REQUESTER: &str = "727180483921";

/// The flow logs, in the order of [`Estate::flow_logs`].
const FL_DEFAULT: usize = 0;
const FL_V5: usize = 1;
const FL_V8: usize = 2;
const FL_PARQUET: usize = 3;
const FL_CLOUDWATCH: usize = 4;
const FL_ANALYTICS: usize = 5;
const FL_BPA: usize = 6;

/// Subset of ip-ranges.json (IPv4): prefix, length, region, service. Each service prefix is also
/// listed as AMAZON, as AWS does; the order is the file's order.
const IP_RANGES_V4: &[([u8; 4], u8, &str, &str)] = &[
    ([3, 5, 0, 0], 19, "us-east-1", "AMAZON"),
    ([3, 5, 0, 0], 19, "us-east-1", "S3"),
    ([3, 5, 64, 0], 21, "eu-west-1", "AMAZON"),
    ([3, 5, 64, 0], 21, "eu-west-1", "S3"),
    ([3, 80, 0, 0], 12, "us-east-1", "AMAZON"),
    ([3, 80, 0, 0], 12, "us-east-1", "EC2"),
    ([3, 218, 180, 0], 22, "us-east-1", "AMAZON"),
    ([3, 218, 180, 0], 22, "us-east-1", "DYNAMODB"),
    ([13, 32, 0, 0], 15, "GLOBAL", "AMAZON"),
    ([13, 32, 0, 0], 15, "GLOBAL", "CLOUDFRONT"),
    ([34, 240, 0, 0], 13, "eu-west-1", "AMAZON"),
    ([34, 240, 0, 0], 13, "eu-west-1", "EC2"),
    ([52, 0, 0, 0], 11, "us-east-1", "AMAZON"),
    ([52, 20, 0, 0], 14, "us-east-1", "EC2"),
    ([52, 94, 0, 0], 22, "us-east-1", "AMAZON"),
    ([52, 94, 0, 0], 22, "us-east-1", "DYNAMODB"),
    ([52, 94, 24, 0], 23, "eu-west-1", "AMAZON"),
    ([52, 94, 24, 0], 23, "eu-west-1", "DYNAMODB"),
    ([52, 216, 0, 0], 15, "us-east-1", "AMAZON"),
    ([52, 216, 0, 0], 15, "us-east-1", "S3"),
    ([52, 218, 0, 0], 17, "eu-west-1", "AMAZON"),
    ([52, 218, 0, 0], 17, "eu-west-1", "S3"),
    ([54, 231, 0, 0], 17, "us-east-1", "AMAZON"),
    ([54, 231, 0, 0], 17, "us-east-1", "S3"),
];

/// Subset of ip-ranges.json (IPv6): prefix, region, service.
const IP_RANGES_V6: &[(&str, &str, &str)] = &[
    ("2600:1f18::/33", "us-east-1", "AMAZON"),
    ("2600:1f18::/33", "us-east-1", "EC2"),
    ("2600:1fa0:4000::/40", "us-east-1", "AMAZON"),
    ("2600:1fa0:4000::/40", "us-east-1", "S3"),
    ("2600:9000::/28", "GLOBAL", "AMAZON"),
    ("2600:9000::/28", "GLOBAL", "CLOUDFRONT"),
    ("2a05:d018::/35", "eu-west-1", "AMAZON"),
    ("2a05:d018::/35", "eu-west-1", "EC2"),
];

/// The prod VPC's IPv6 block is `2600:1f18:6a3c:9d00::/56`; subnet k gets `…:9d0k::/64`.
const PROD_IPV6: [u16; 4] = [0x2600, 0x1f18, 0x6a3c, 0x9d00];

/// How a flow log delivers its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
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
    fn delivers(self, hour: u32) -> bool {
        match self {
            Delivery::S3Text | Delivery::S3Hive => true,
            Delivery::S3Parquet { hour: h } | Delivery::CloudWatch { hour: h } => h == hour,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Delivery::S3Text => "s3-text",
            Delivery::S3Hive => "s3-hive-text",
            Delivery::S3Parquet { .. } => "s3-parquet",
            Delivery::CloudWatch { .. } => "cloudwatch",
        }
    }
}

struct FlowLog {
    id: &'static str,
    account: &'static str,
    region: &'static str,
    fields: &'static [&'static str],
    delivery: Delivery,
}

struct Vpc {
    id: String,
    name: &'static str,
    account: &'static str,
    region: &'static str,
    /// IPv4 CIDRs with their association ids; the first is the primary.
    cidrs: Vec<(&'static str, String)>,
    /// IPv6 block (first four groups of a /56) with its association id.
    ipv6: Option<([u16; 4], String)>,
    dhcp: String,
    igw: String,
    eigw: Option<String>,
    created: String,
}

struct Subnet {
    id: String,
    name: &'static str,
    vpc: usize,
    az: &'static str,
    az_id: &'static str,
    base: u32,
    len: u8,
    /// Index of the /64 inside the VPC's /56, when the subnet has IPv6.
    ipv6: Option<(u16, String)>,
    public: bool,
    /// Host offsets already handed out.
    used: BTreeSet<u32>,
}

impl Subnet {
    fn cidr(&self) -> String {
        format!("{}/{}", Ipv4Addr::from(self.base), self.len)
    }
}

enum Target {
    Local,
    Igw(String),
    Eigw(String),
    Nat(String),
    Vpce(String),
}

enum Dest {
    V4(String),
    V6(String),
    PrefixList(&'static str),
}

struct Route {
    dest: Dest,
    target: Target,
}

struct RouteTable {
    id: String,
    name: &'static str,
    vpc: usize,
    /// The main table's own association id.
    main: Option<String>,
    /// Explicit subnet associations: subnet index and association id.
    subnets: Vec<(usize, String)>,
    routes: Vec<Route>,
}

#[derive(Clone, Copy)]
enum Public {
    /// An auto-assigned public IPv4 address (owner `amazon`).
    Auto(&'static str),
    /// An Elastic IP.
    Elastic(&'static str),
}

struct PublicIp {
    ip: &'static str,
    /// Allocation and association ids of an Elastic IP.
    eip: Option<(String, String)>,
}

enum EniKind {
    Instance { instance_id: String },
    Nat { nat: usize },
    Endpoint { endpoint: usize },
}

struct Eni {
    id: String,
    /// Human name used in the README and the Name tag (`app-a1`, `nat-prod`, `vpce-kms-b` …).
    name: String,
    subnet: usize,
    kind: EniKind,
    /// Private IPv4 addresses, primary first.
    ips: Vec<String>,
    ipv6: Vec<String>,
    /// Public address per private address (same index).
    public: Vec<Option<PublicIp>>,
    mac: String,
    attachment: String,
    group: Option<(String, &'static str)>,
    flow_log: usize,
    role: &'static str,
}

struct Nat {
    id: String,
    name: &'static str,
    subnet: usize,
    eni: usize,
    created: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Usage {
    Busy,
    Low,
    Idle,
}

struct Endpoint {
    id: String,
    vpc: usize,
    service: &'static str,
    /// `None` for gateway endpoints.
    usage: Option<Usage>,
    enis: Vec<usize>,
    route_tables: Vec<usize>,
    group: Option<(String, &'static str)>,
    dns_token: String,
    created: String,
}

/// A public peer: an address and its ip-ranges.json service (`-` when it is not AWS's).
struct Peer {
    ip: String,
    service: &'static str,
}

#[derive(Default)]
struct Peers {
    web: Vec<Peer>,
    saas: Vec<Peer>,
    cdn: Vec<Peer>,
    s3_use1: Vec<Peer>,
    s3_euw1: Vec<Peer>,
    ddb_use1: Vec<Peer>,
    ddb_euw1: Vec<Peer>,
    scanners: Vec<Peer>,
    https_clients: Vec<Peer>,
    web6: Vec<Peer>,
}

/// ENI (and NAT) indices of the estate's named actors.
#[derive(Default)]
struct Roles {
    bastion: usize,
    app_a1: usize,
    app_a2: usize,
    app_b1: usize,
    app_c1: usize,
    worker: usize,
    nat: usize,
    ssm: Vec<usize>,
    sts: Vec<usize>,
    kms: Vec<usize>,
    ecr: Vec<usize>,
    etl: usize,
    report: usize,
    nat2: usize,
    legacy: usize,
}

struct Estate {
    flow_logs: Vec<FlowLog>,
    vpcs: Vec<Vpc>,
    subnets: Vec<Subnet>,
    route_tables: Vec<RouteTable>,
    enis: Vec<Eni>,
    nats: Vec<Nat>,
    endpoints: Vec<Endpoint>,
    groups: BTreeMap<(usize, &'static str), String>,
    peers: Peers,
    roles: Roles,
    /// The hour (0-based) the Parquet flow log delivered, and the batch worker ran.
    worker_hour: u32,
    /// The hour (0-based) exported from CloudWatch Logs.
    cloudwatch_hour: u32,
}

/// Draws AWS-shaped ids (`prefix-0` + 16 hex digits) without repeats.
struct Ids {
    rng: ChaCha8Rng,
    seen: BTreeSet<String>,
}

impl Ids {
    fn new(seed: u64) -> Self {
        Ids {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seen: BTreeSet::new(),
        }
    }

    fn next(&mut self, prefix: &str) -> String {
        loop {
            let v: u64 = self.rng.random();
            let id = format!("{prefix}-0{v:016x}");
            if self.seen.insert(id.clone()) {
                return id;
            }
        }
    }

    /// `n` lowercase hex digits.
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.rng.random_range(0..16usize)]))
            .collect()
    }

    fn mac(&mut self) -> String {
        let b: [u8; 5] = self.rng.random();
        format!(
            "0e:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4]
        )
    }
}

/// `t` minus `days` days, as the CLI prints creation times.
fn aws_time(t: DateTime<Utc>, days: i64, seconds: i64) -> String {
    let shifted = t
        .checked_sub_signed(TimeDelta::days(days))
        .and_then(|t| t.checked_add_signed(TimeDelta::seconds(seconds)))
        .unwrap_or(t);
    shifted.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

fn v4(a: [u8; 4]) -> u32 {
    u32::from(Ipv4Addr::from(a))
}

/// A random host address inside `base/len`, skipping network and broadcast addresses.
fn addr_in(rng: &mut ChaCha8Rng, base: [u8; 4], len: u8) -> String {
    let size = 1u64 << (32 - u32::from(len));
    let offset = if size > 2 {
        rng.random_range(1..size - 1)
    } else {
        0
    };
    // The offset is below 2^32 because len >= 1 for every range used here.
    let host = v4(base).wrapping_add(u32::try_from(offset).unwrap_or(0));
    Ipv4Addr::from(host).to_string()
}

/// `n` distinct peers drawn from the IPv4 ranges of one ip-ranges.json service and region.
fn aws_peers(rng: &mut ChaCha8Rng, service: &'static str, region: &str, n: usize) -> Vec<Peer> {
    let ranges: Vec<_> = IP_RANGES_V4
        .iter()
        .filter(|r| r.3 == service && r.2 == region)
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < n && !ranges.is_empty() {
        let r = ranges[rng.random_range(0..ranges.len())];
        let ip = addr_in(rng, r.0, r.1);
        if seen.insert(ip.clone()) {
            out.push(Peer { ip, service });
        }
    }
    out
}

/// `n` distinct internet peers from the documentation ranges.
fn doc_peers(rng: &mut ChaCha8Rng, ranges: &[[u8; 4]], n: usize) -> Vec<Peer> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < n {
        let base = ranges[rng.random_range(0..ranges.len())];
        let ip = addr_in(rng, base, 24);
        if seen.insert(ip.clone()) {
            out.push(Peer { ip, service: "-" });
        }
    }
    out
}

impl Peers {
    fn build(rng: &mut ChaCha8Rng) -> Peers {
        const DOC_A: [u8; 4] = [198, 51, 100, 0];
        const DOC_B: [u8; 4] = [203, 0, 113, 0];
        let web6 = (0..6)
            .map(|_| {
                let g: [u16; 5] = std::array::from_fn(|_| rng.random_range(1..=0xffff));
                let ip = Ipv6Addr::new(0x2001, 0xdb8, g[0], g[1], g[2], g[3], g[4], 0x443);
                Peer {
                    ip: ip.to_string(),
                    service: "-",
                }
            })
            .collect();
        Peers {
            web: doc_peers(rng, &[DOC_A, DOC_B], 14),
            saas: aws_peers(rng, "EC2", "us-east-1", 4),
            cdn: aws_peers(rng, "CLOUDFRONT", "GLOBAL", 3),
            s3_use1: aws_peers(rng, "S3", "us-east-1", 12),
            s3_euw1: aws_peers(rng, "S3", "eu-west-1", 8),
            ddb_use1: aws_peers(rng, "DYNAMODB", "us-east-1", 7),
            ddb_euw1: aws_peers(rng, "DYNAMODB", "eu-west-1", 4),
            scanners: doc_peers(rng, &[DOC_B], 30),
            https_clients: doc_peers(rng, &[DOC_A], 16),
            web6,
        }
    }
}

/// What an ENI belongs to, before ids are drawn.
#[derive(Clone, Copy)]
enum EniOf {
    Instance,
    Nat(usize),
    Endpoint(usize),
}

/// Everything an ENI needs besides ids.
struct EniSpec {
    name: String,
    role: &'static str,
    subnet: usize,
    kind: EniOf,
    ips: usize,
    ipv6: bool,
    public: &'static [Public],
    group: Option<&'static str>,
    flow_log: usize,
}

struct VpcSpec {
    id: Option<&'static str>,
    name: &'static str,
    account: &'static str,
    region: &'static str,
    cidrs: &'static [&'static str],
    ipv6: Option<[u16; 4]>,
    eigw: bool,
}

struct SubnetSpec {
    name: &'static str,
    vpc: usize,
    az: &'static str,
    az_id: &'static str,
    base: [u8; 4],
    len: u8,
    ipv6: Option<u16>,
    public: bool,
}

impl Estate {
    fn add_vpc(&mut self, ids: &mut Ids, s: VpcSpec, created: String) -> usize {
        let id = s.id.map_or_else(|| ids.next("vpc"), str::to_string);
        let cidrs = s
            .cidrs
            .iter()
            .map(|c| (*c, ids.next("vpc-cidr-assoc")))
            .collect();
        let ipv6 = s.ipv6.map(|p| (p, ids.next("vpc-cidr-assoc")));
        self.vpcs.push(Vpc {
            id,
            name: s.name,
            account: s.account,
            region: s.region,
            cidrs,
            ipv6,
            dhcp: ids.next("dopt"),
            igw: ids.next("igw"),
            eigw: s.eigw.then(|| ids.next("eigw")),
            created,
        });
        self.vpcs.len() - 1
    }

    fn add_subnet(&mut self, ids: &mut Ids, s: SubnetSpec) -> usize {
        self.subnets.push(Subnet {
            id: ids.next("subnet"),
            name: s.name,
            vpc: s.vpc,
            az: s.az,
            az_id: s.az_id,
            base: v4(s.base),
            len: s.len,
            ipv6: s.ipv6.map(|k| (k, ids.next("subnet-cidr-assoc"))),
            public: s.public,
            used: BTreeSet::new(),
        });
        self.subnets.len() - 1
    }

    fn group(&mut self, ids: &mut Ids, vpc: usize, name: &'static str) -> (String, &'static str) {
        let id = self
            .groups
            .entry((vpc, name))
            .or_insert_with(|| ids.next("sg"))
            .clone();
        (id, name)
    }

    /// A free private address in the subnet (AWS reserves the first four and the last).
    fn alloc_ip(&mut self, ids: &mut Ids, subnet: usize) -> String {
        let s = &mut self.subnets[subnet];
        let size = 1u32 << (32 - u32::from(s.len));
        loop {
            let offset = ids.rng.random_range(4..size - 1);
            if s.used.insert(offset) {
                return Ipv4Addr::from(s.base + offset).to_string();
            }
        }
    }

    fn add_eni(&mut self, ids: &mut Ids, spec: EniSpec) -> usize {
        let id = ids.next("eni");
        let ips: Vec<String> = (0..spec.ips.max(1))
            .map(|_| self.alloc_ip(ids, spec.subnet))
            .collect();
        let vpc = self.subnets[spec.subnet].vpc;
        let ipv6 = match (spec.ipv6, self.subnets[spec.subnet].ipv6.as_ref()) {
            (true, Some((k, _))) => {
                let p = self.vpcs[vpc].ipv6.as_ref().map_or(PROD_IPV6, |v| v.0);
                let g: [u16; 4] = std::array::from_fn(|_| ids.rng.random_range(1..=0xffff));
                vec![Ipv6Addr::new(p[0], p[1], p[2], p[3] + k, g[0], g[1], g[2], g[3]).to_string()]
            }
            _ => Vec::new(),
        };
        let public = (0..ips.len())
            .map(|i| {
                spec.public.get(i).map(|p| match *p {
                    Public::Auto(ip) => PublicIp { ip, eip: None },
                    Public::Elastic(ip) => PublicIp {
                        ip,
                        eip: Some((ids.next("eipalloc"), ids.next("eipassoc"))),
                    },
                })
            })
            .collect();
        let attachment = match spec.kind {
            EniOf::Nat(_) => format!("ela-attach-{}", ids.hex(8)),
            _ => ids.next("eni-attach"),
        };
        let kind = match spec.kind {
            EniOf::Instance => EniKind::Instance {
                instance_id: ids.next("i"),
            },
            EniOf::Nat(nat) => EniKind::Nat { nat },
            EniOf::Endpoint(endpoint) => EniKind::Endpoint { endpoint },
        };
        let group = spec.group.map(|g| self.group(ids, vpc, g));
        self.enis.push(Eni {
            id,
            name: spec.name,
            subnet: spec.subnet,
            kind,
            ips,
            ipv6,
            public,
            mac: ids.mac(),
            attachment,
            group,
            flow_log: spec.flow_log,
            role: spec.role,
        });
        self.enis.len() - 1
    }

    fn add_instance(
        &mut self,
        ids: &mut Ids,
        name: &'static str,
        role: &'static str,
        subnet: usize,
        flow_log: usize,
    ) -> usize {
        let group = match role {
            r if r.starts_with("bastion") => "bastion",
            r if r.starts_with("batch") => "batch",
            _ => "app",
        };
        self.add_eni(
            ids,
            EniSpec {
                name: name.to_string(),
                role,
                subnet,
                kind: EniOf::Instance,
                ips: 1,
                ipv6: false,
                public: &[],
                group: Some(group),
                flow_log,
            },
        )
    }

    fn add_nat(
        &mut self,
        ids: &mut Ids,
        name: &'static str,
        subnet: usize,
        eips: &'static [Public],
        flow_log: usize,
        created: String,
    ) -> usize {
        let nat_id = ids.next("nat");
        let nat = self.nats.len();
        let eni = self.add_eni(
            ids,
            EniSpec {
                name: name.to_string(),
                role: "NAT gateway",
                subnet,
                kind: EniOf::Nat(nat),
                ips: eips.len(),
                ipv6: false,
                public: eips,
                group: None,
                flow_log,
            },
        );
        self.nats.push(Nat {
            id: nat_id,
            name,
            subnet,
            eni,
            created,
        });
        nat
    }

    fn add_interface_endpoint(
        &mut self,
        ids: &mut Ids,
        vpc: usize,
        service: &'static str,
        usage: Usage,
        subnets: &[usize],
        created: String,
    ) -> Vec<usize> {
        let endpoint = self.endpoints.len();
        let id = ids.next("vpce");
        let group = Some(self.group(ids, vpc, "vpce-https"));
        let mut enis = Vec::new();
        for &subnet in subnets {
            let az = self.subnets[subnet].az;
            let suffix = az.rsplit('-').next().unwrap_or(az);
            let letter = suffix.trim_start_matches(|c: char| c.is_ascii_digit());
            enis.push(self.add_eni(
                ids,
                EniSpec {
                    name: format!("vpce-{service}-{letter}"),
                    role: "interface endpoint",
                    subnet,
                    kind: EniOf::Endpoint(endpoint),
                    ips: 1,
                    ipv6: false,
                    public: &[],
                    group: Some("vpce-https"),
                    flow_log: FL_V5,
                },
            ));
        }
        self.endpoints.push(Endpoint {
            id,
            vpc,
            service,
            usage: Some(usage),
            enis: enis.clone(),
            route_tables: Vec::new(),
            group,
            dns_token: ids.hex(8),
            created,
        });
        enis
    }

    fn add_route_table(
        &mut self,
        ids: &mut Ids,
        name: &'static str,
        vpc: usize,
        main: bool,
        subnets: &[usize],
        extra: Vec<Route>,
    ) -> usize {
        let v = &self.vpcs[vpc];
        let mut routes: Vec<Route> = v
            .cidrs
            .iter()
            .map(|(c, _)| Route {
                dest: Dest::V4((*c).to_string()),
                target: Target::Local,
            })
            .collect();
        if let Some((p, _)) = &v.ipv6 {
            routes.push(Route {
                dest: Dest::V6(format!(
                    "{}/56",
                    Ipv6Addr::new(p[0], p[1], p[2], p[3], 0, 0, 0, 0)
                )),
                target: Target::Local,
            });
        }
        routes.extend(extra);
        let id = ids.next("rtb");
        self.route_tables.push(RouteTable {
            id,
            name,
            vpc,
            main: main.then(|| ids.next("rtbassoc")),
            subnets: subnets.iter().map(|s| (*s, ids.next("rtbassoc"))).collect(),
            routes,
        });
        self.route_tables.len() - 1
    }

    /// The subnet's route table: its explicit association, else the VPC's main table.
    fn route_table_of(&self, subnet: usize) -> Option<&RouteTable> {
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

    fn az_id(&self, eni: usize) -> &'static str {
        self.subnets[self.enis[eni].subnet].az_id
    }

    fn primary_ip(&self, eni: usize) -> &str {
        self.enis[eni].ips.first().map_or("-", String::as_str)
    }

    /// How the ENI records `ip` as its own address: traffic to or from a secondary private IPv4
    /// address shows the primary address (the real one is only in `pkt-*`).
    fn local_addr(&self, eni: usize, ip: &str) -> String {
        let n = &self.enis[eni];
        if n.ips.iter().any(|a| a == ip) {
            self.primary_ip(eni).to_string()
        } else {
            ip.to_string()
        }
    }
}

/// Builds the estate from the seed: ids, addresses and peers are drawn from one RNG in a fixed
/// order, so a seed always yields the same estate.
fn build_estate(opts: &EstateOptions) -> Estate {
    let mut ids = Ids::new(opts.seed);
    let last = opts.hours.saturating_sub(1);
    let worker_hour = 2.min(last);
    let cloudwatch_hour = 3.min(last);
    let start = opts.start;
    let flow_log = |id, account, region, fields, delivery| FlowLog {
        id,
        account,
        region,
        fields,
        delivery,
    };
    let peers = Peers::build(&mut ids.rng);
    let mut e = Estate {
        flow_logs: vec![
            flow_log(
                "fl-0default000000001",
                ACCOUNT_1,
                REGION_1,
                DEFAULT_FIELDS,
                Delivery::S3Text,
            ),
            flow_log(
                "fl-0v5custom00000002",
                ACCOUNT_1,
                REGION_1,
                V5_CUSTOM_FIELDS,
                Delivery::S3Text,
            ),
            flow_log(
                "fl-0v8custom00000003",
                ACCOUNT_1,
                REGION_1,
                V8_FIELDS,
                Delivery::S3Text,
            ),
            flow_log(
                "fl-0parquet0000000004",
                ACCOUNT_1,
                REGION_1,
                PARQUET_FIELDS,
                Delivery::S3Parquet { hour: worker_hour },
            ),
            flow_log(
                "fl-0cloudwatch000005",
                ACCOUNT_1,
                REGION_1,
                DEFAULT_FIELDS,
                Delivery::CloudWatch {
                    hour: cloudwatch_hour,
                },
            ),
            flow_log(
                "fl-0analytics0000006",
                ACCOUNT_2,
                REGION_2,
                DEFAULT_FIELDS,
                Delivery::S3Hive,
            ),
            flow_log(
                "fl-0bpaaudit00000007",
                ACCOUNT_2,
                REGION_2,
                V8_FIELDS,
                Delivery::S3Hive,
            ),
        ],
        vpcs: Vec::new(),
        subnets: Vec::new(),
        route_tables: Vec::new(),
        enis: Vec::new(),
        nats: Vec::new(),
        endpoints: Vec::new(),
        groups: BTreeMap::new(),
        peers,
        roles: Roles::default(),
        worker_hour,
        cloudwatch_hour,
    };

    // Account 1, us-east-1: VPC "prod".
    let prod = e.add_vpc(
        &mut ids,
        VpcSpec {
            id: Some(PROD_VPC_ID),
            name: "prod",
            account: ACCOUNT_1,
            region: REGION_1,
            cidrs: &["10.0.0.0/16", "10.1.0.0/16"],
            ipv6: Some(PROD_IPV6),
            eigw: true,
        },
        aws_time(start, 412, 3_187),
    );
    let subnet = |name, az, az_id, base, len, ipv6, public| SubnetSpec {
        name,
        vpc: prod,
        az,
        az_id,
        base,
        len,
        ipv6,
        public,
    };
    let public_a = e.add_subnet(
        &mut ids,
        subnet(
            "public-a",
            "us-east-1a",
            "use1-az1",
            [10, 0, 0, 0],
            24,
            Some(0),
            true,
        ),
    );
    let private_a = e.add_subnet(
        &mut ids,
        subnet(
            "private-a",
            "us-east-1a",
            "use1-az1",
            [10, 0, 16, 0],
            20,
            Some(1),
            false,
        ),
    );
    let private_b = e.add_subnet(
        &mut ids,
        subnet(
            "private-b",
            "us-east-1b",
            "use1-az2",
            [10, 0, 32, 0],
            20,
            Some(2),
            false,
        ),
    );
    let private_c = e.add_subnet(
        &mut ids,
        subnet(
            "private-c",
            "us-east-1c",
            "use1-az4",
            [10, 0, 48, 0],
            20,
            None,
            false,
        ),
    );
    let batch_b = e.add_subnet(
        &mut ids,
        subnet(
            "batch-b",
            "us-east-1b",
            "use1-az2",
            [10, 1, 0, 0],
            20,
            None,
            false,
        ),
    );

    e.roles.bastion = e.add_eni(
        &mut ids,
        EniSpec {
            name: "bastion".into(),
            role: "bastion host (public IP)",
            subnet: public_a,
            kind: EniOf::Instance,
            ips: 1,
            ipv6: false,
            public: &[Public::Auto("3.88.120.20")],
            group: Some("bastion"),
            flow_log: FL_V8,
        },
    );
    e.roles.app_a1 = e.add_eni(
        &mut ids,
        EniSpec {
            name: "app-a1".into(),
            role: "app server, Postgres :5432, API :8080 on its secondary IP",
            subnet: private_a,
            kind: EniOf::Instance,
            ips: 2,
            ipv6: false,
            public: &[],
            group: Some("app"),
            flow_log: FL_DEFAULT,
        },
    );
    e.roles.app_a2 = e.add_instance(
        &mut ids,
        "app-a2",
        "app server (CloudWatch Logs only)",
        private_a,
        FL_CLOUDWATCH,
    );
    e.roles.app_b1 = e.add_eni(
        &mut ids,
        EniSpec {
            name: "app-b1".into(),
            role: "app server, dual-stack",
            subnet: private_b,
            kind: EniOf::Instance,
            ips: 1,
            ipv6: true,
            public: &[],
            group: Some("app"),
            flow_log: FL_DEFAULT,
        },
    );
    e.roles.app_c1 = e.add_instance(
        &mut ids,
        "app-c1",
        "app server (subnet without S3 endpoint route)",
        private_c,
        FL_DEFAULT,
    );
    e.roles.worker = e.add_instance(
        &mut ids,
        "batch-worker",
        "batch worker in the secondary CIDR",
        batch_b,
        FL_PARQUET,
    );
    let nat = e.add_nat(
        &mut ids,
        "nat-prod",
        public_a,
        &[
            Public::Elastic("52.20.147.81"),
            Public::Elastic("3.91.41.17"),
        ],
        FL_V5,
        aws_time(start, 380, 41_020),
    );
    e.roles.nat = e.nats[nat].eni;
    e.roles.ssm = e.add_interface_endpoint(
        &mut ids,
        prod,
        "ssm",
        Usage::Busy,
        &[private_a, private_b],
        aws_time(start, 301, 7_310),
    );
    e.roles.kms = e.add_interface_endpoint(
        &mut ids,
        prod,
        "kms",
        Usage::Idle,
        &[private_a, private_b, private_c],
        aws_time(start, 188, 52_111),
    );
    e.roles.ecr = e.add_interface_endpoint(
        &mut ids,
        prod,
        "ecr.api",
        Usage::Low,
        &[private_b],
        aws_time(start, 97, 30_402),
    );
    e.roles.sts = e.add_interface_endpoint(
        &mut ids,
        prod,
        "sts",
        Usage::Busy,
        &[private_a, private_b],
        aws_time(start, 301, 7_655),
    );

    let vpc = &e.vpcs[prod];
    let (igw, eigw) = (vpc.igw.clone(), vpc.eigw.clone().unwrap_or_default());
    let nat_id = e.nats[nat].id.clone();
    let s3_endpoint = ids.next("vpce");
    e.add_route_table(&mut ids, "prod-main", prod, true, &[], Vec::new());
    e.add_route_table(
        &mut ids,
        "prod-public",
        prod,
        false,
        &[public_a],
        vec![
            Route {
                dest: Dest::V4("0.0.0.0/0".into()),
                target: Target::Igw(igw.clone()),
            },
            Route {
                dest: Dest::V6("::/0".into()),
                target: Target::Igw(igw),
            },
        ],
    );
    let rt_ab = e.add_route_table(
        &mut ids,
        "prod-private-ab",
        prod,
        false,
        &[private_a, private_b, batch_b],
        vec![
            Route {
                dest: Dest::V4("0.0.0.0/0".into()),
                target: Target::Nat(nat_id.clone()),
            },
            Route {
                dest: Dest::V6("::/0".into()),
                target: Target::Eigw(eigw),
            },
            Route {
                dest: Dest::PrefixList(S3_PREFIX_LIST_USE1),
                target: Target::Vpce(s3_endpoint.clone()),
            },
        ],
    );
    e.add_route_table(
        &mut ids,
        "prod-private-c",
        prod,
        false,
        &[private_c],
        vec![Route {
            dest: Dest::V4("0.0.0.0/0".into()),
            target: Target::Nat(nat_id),
        }],
    );
    e.endpoints.push(Endpoint {
        id: s3_endpoint,
        vpc: prod,
        service: "s3",
        usage: None,
        enis: Vec::new(),
        route_tables: vec![rt_ab],
        group: None,
        dns_token: String::new(),
        created: aws_time(start, 377, 12_940),
    });

    // Account 2, eu-west-1: VPC "analytics", same 10.0.0.0/16 as prod on purpose.
    let analytics = e.add_vpc(
        &mut ids,
        VpcSpec {
            id: None,
            name: "analytics",
            account: ACCOUNT_2,
            region: REGION_2,
            cidrs: &["10.0.0.0/16"],
            ipv6: None,
            eigw: false,
        },
        aws_time(start, 233, 61_200),
    );
    let subnet2 = |name, az, az_id, base, len, public| SubnetSpec {
        name,
        vpc: analytics,
        az,
        az_id,
        base,
        len,
        ipv6: None,
        public,
    };
    let a2_public_a = e.add_subnet(
        &mut ids,
        subnet2(
            "public-a",
            "eu-west-1a",
            "euw1-az3",
            [10, 0, 0, 0],
            24,
            true,
        ),
    );
    let a2_public_b = e.add_subnet(
        &mut ids,
        subnet2(
            "public-b",
            "eu-west-1b",
            "euw1-az1",
            [10, 0, 1, 0],
            24,
            true,
        ),
    );
    let a2_private_a = e.add_subnet(
        &mut ids,
        subnet2(
            "private-a",
            "eu-west-1a",
            "euw1-az3",
            [10, 0, 16, 0],
            20,
            false,
        ),
    );
    e.roles.etl = e.add_eni(
        &mut ids,
        EniSpec {
            name: "etl-1".into(),
            role: "ETL instance, reads S3 eu-west-1 over the internet gateway",
            subnet: a2_public_a,
            kind: EniOf::Instance,
            ips: 1,
            ipv6: false,
            public: &[Public::Auto("34.245.60.12")],
            group: Some("etl"),
            flow_log: FL_ANALYTICS,
        },
    );
    e.roles.report = e.add_instance(
        &mut ids,
        "report-1",
        "reporting instance behind the NAT gateway",
        a2_private_a,
        FL_ANALYTICS,
    );
    e.roles.legacy = e.add_eni(
        &mut ids,
        EniSpec {
            name: "legacy-web".into(),
            role: "web server blocked by VPC Block Public Access",
            subnet: a2_public_b,
            kind: EniOf::Instance,
            ips: 1,
            ipv6: false,
            public: &[Public::Auto("34.247.9.200")],
            group: Some("legacy-web"),
            flow_log: FL_BPA,
        },
    );
    let nat2 = e.add_nat(
        &mut ids,
        "nat-analytics",
        a2_public_a,
        &[Public::Elastic("34.242.17.5")],
        FL_ANALYTICS,
        aws_time(start, 230, 3_600),
    );
    e.roles.nat2 = e.nats[nat2].eni;
    let igw2 = e.vpcs[analytics].igw.clone();
    let nat2_id = e.nats[nat2].id.clone();
    e.add_route_table(&mut ids, "analytics-main", analytics, true, &[], Vec::new());
    e.add_route_table(
        &mut ids,
        "analytics-public",
        analytics,
        false,
        &[a2_public_a, a2_public_b],
        vec![Route {
            dest: Dest::V4("0.0.0.0/0".into()),
            target: Target::Igw(igw2),
        }],
    );
    e.add_route_table(
        &mut ids,
        "analytics-private",
        analytics,
        false,
        &[a2_private_a],
        vec![Route {
            dest: Dest::V4("0.0.0.0/0".into()),
            target: Target::Nat(nat2_id),
        }],
    );
    e
}

// ---------------------------------------------------------------------------------------------
// Traffic: flows rendered as (capturing ENI, field -> value) records
// ---------------------------------------------------------------------------------------------

/// One record's values by hyphenated field name; absent fields render as `-`, and `version`
/// comes from the layout, so every format renders from the same map.
type Record = BTreeMap<&'static str, String>;

/// A record captured on one ENI.
struct Row {
    eni: usize,
    start: i64,
    rec: Record,
}

#[derive(Clone, Copy, Default)]
struct Volume {
    packets: u64,
    bytes: u64,
}

/// How a kind of connection looks: server port and byte ranges per direction.
#[derive(Clone, Copy)]
struct Profile {
    port: u16,
    up: (u64, u64),
    down: (u64, u64),
    /// Percentage of connections that span the whole capture window (SYN/SYN-ACK flags only).
    long_pct: u32,
}

const HTTPS_WEB: Profile = Profile {
    port: 443,
    up: (400, 8_000),
    down: (2_000, 400_000),
    long_pct: 10,
};
const S3_GET: Profile = Profile {
    port: 443,
    up: (500, 20_000),
    down: (50_000, 80_000_000),
    long_pct: 40,
};
const S3_VIA_NAT: Profile = Profile {
    port: 443,
    up: (500, 30_000),
    down: (20_000, 30_000_000),
    long_pct: 40,
};
const S3_CROSS_REGION: Profile = Profile {
    port: 443,
    up: (500, 10_000),
    down: (10_000, 5_000_000),
    long_pct: 20,
};
const DYNAMODB: Profile = Profile {
    port: 443,
    up: (300, 4_000),
    down: (500, 20_000),
    long_pct: 5,
};
const SSM: Profile = Profile {
    port: 443,
    up: (800, 6_000),
    down: (1_000, 8_000),
    long_pct: 30,
};
const STS: Profile = Profile {
    port: 443,
    up: (1_500, 3_000),
    down: (2_000, 4_500),
    long_pct: 0,
};
const ECR: Profile = Profile {
    port: 443,
    up: (600, 1_200),
    down: (900, 2_000),
    long_pct: 0,
};
const POSTGRES: Profile = Profile {
    port: 5432,
    up: (200, 20_000),
    down: (500, 2_000_000),
    long_pct: 30,
};
const API: Profile = Profile {
    port: 8080,
    up: (300, 10_000),
    down: (500, 200_000),
    long_pct: 10,
};
const SSH: Profile = Profile {
    port: 22,
    up: (2_000, 60_000),
    down: (3_000, 400_000),
    long_pct: 80,
};
const BASTION_HTTPS: Profile = Profile {
    port: 443,
    up: (500, 5_000),
    down: (2_000, 100_000),
    long_pct: 5,
};
const ETL_S3: Profile = Profile {
    port: 443,
    up: (1_000, 50_000),
    down: (100_000, 200_000_000),
    long_pct: 60,
};
/// A connection attempt that never gets an answer (SYN only).
const PROBE: Profile = Profile {
    port: 22,
    up: (40, 180),
    down: (0, 0),
    long_pct: 100,
};

/// Connection kinds of the primary account and their share of `flows_per_hour`.
#[derive(Clone, Copy)]
enum Kind {
    WebViaNat,
    S3Gateway,
    S3ViaNatFromC,
    S3CrossRegion,
    DynamoDbViaNat,
    Ssm,
    Sts,
    Postgres,
    Api,
    SshScan,
    BastionHttps,
    BastionSsh,
    Ipv6Web,
}

const MIX: &[(Kind, u32)] = &[
    (Kind::WebViaNat, 20),
    (Kind::S3Gateway, 14),
    (Kind::S3ViaNatFromC, 8),
    (Kind::S3CrossRegion, 3),
    (Kind::DynamoDbViaNat, 8),
    (Kind::Ssm, 8),
    (Kind::Sts, 5),
    (Kind::Postgres, 10),
    (Kind::Api, 10),
    (Kind::SshScan, 8),
    (Kind::BastionHttps, 3),
    (Kind::BastionSsh, 1),
    (Kind::Ipv6Web, 2),
];

/// One connection during one capture window: the addresses the packets carry.
struct Conn {
    start: i64,
    end: i64,
    proto: u8,
    client: String,
    cport: u16,
    client_svc: &'static str,
    server: String,
    sport: u16,
    server_svc: &'static str,
    up: Volume,
    down: Volume,
    long: bool,
}

/// One record's view of a connection, before the ENI's metadata is added.
struct Leg<'a> {
    src: &'a str,
    dst: &'a str,
    pkt_src: &'a str,
    pkt_dst: &'a str,
    srcport: u16,
    dstport: u16,
    src_svc: &'static str,
    dst_svc: &'static str,
    vol: Volume,
    flags: u8,
    /// `Some(traffic-path)` for egress records, `None` for ingress.
    egress: Option<u8>,
    action: &'static str,
    reject_reason: &'static str,
}

impl Conn {
    /// Client -> server, as an ingress record with the packet's own addresses.
    fn request(&self) -> Leg<'_> {
        Leg {
            src: &self.client,
            dst: &self.server,
            pkt_src: &self.client,
            pkt_dst: &self.server,
            srcport: self.cport,
            dstport: self.sport,
            src_svc: self.client_svc,
            dst_svc: self.server_svc,
            vol: self.up,
            flags: if self.long { 2 } else { 3 },
            egress: None,
            action: "ACCEPT",
            reject_reason: "-",
        }
    }

    /// Server -> client, as an ingress record with the packet's own addresses.
    fn response(&self) -> Leg<'_> {
        Leg {
            src: &self.server,
            dst: &self.client,
            pkt_src: &self.server,
            pkt_dst: &self.client,
            srcport: self.sport,
            dstport: self.cport,
            src_svc: self.server_svc,
            dst_svc: self.client_svc,
            vol: self.down,
            flags: if self.long { 18 } else { 19 },
            egress: None,
            action: "ACCEPT",
            reject_reason: "-",
        }
    }
}

/// Roughly log-uniform integer in `lo..=hi`, integer-only so every platform draws the same.
fn spread(rng: &mut ChaCha8Rng, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    let lo1 = lo.max(1);
    let octaves = (hi / lo1).max(1).ilog2();
    let k = rng.random_range(0..=octaves);
    let a = lo1.saturating_mul(1 << k).min(hi);
    let b = a.saturating_mul(2).min(hi);
    rng.random_range(a..=b)
}

struct Emitter<'a> {
    e: &'a Estate,
    rng: ChaCha8Rng,
    rows: Vec<Row>,
}

impl Emitter<'_> {
    fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn volume(&mut self, range: (u64, u64)) -> Volume {
        if range.1 == 0 {
            return Volume::default();
        }
        let bytes = spread(&mut self.rng, range.0, range.1);
        let mss = self.rng.random_range(900..=1_400u64);
        let packets = (bytes / mss + self.rng.random_range(1..=3u64))
            .min(bytes / 40)
            .max(1);
        Volume { packets, bytes }
    }

    /// A start time inside the hour that leaves room for a 60-second window.
    fn at(&mut self, hour_start: i64) -> i64 {
        hour_start + self.rng.random_range(0..3_540i64)
    }

    fn conn(
        &mut self,
        start: i64,
        client: (&str, &'static str),
        server: (&str, &'static str),
        p: Profile,
    ) -> Conn {
        let long = self.rng.random_range(0..100u32) < p.long_pct;
        let duration = if long {
            self.rng.random_range(40..=59i64)
        } else {
            self.rng.random_range(0..=20i64)
        };
        let up = self.volume(p.up);
        let down = self.volume(p.down);
        Conn {
            start,
            end: start + duration,
            proto: 6,
            client: client.0.to_string(),
            cport: self.rng.random_range(32_768..=60_999u16),
            client_svc: client.1,
            server: server.0.to_string(),
            sport: p.port,
            server_svc: server.1,
            up,
            down,
            long,
        }
    }

    /// The per-ENI fields every record of `eni` carries.
    fn meta(&self, eni: usize) -> Record {
        let e = self.e;
        let n = &e.enis[eni];
        let s = &e.subnets[n.subnet];
        let v = &e.vpcs[s.vpc];
        let mut r = Record::new();
        r.insert("account-id", v.account.to_string());
        r.insert("interface-id", n.id.clone());
        r.insert("vpc-id", v.id.clone());
        r.insert("subnet-id", s.id.clone());
        if let EniKind::Instance { instance_id } = &n.kind {
            r.insert("instance-id", instance_id.clone());
        }
        r.insert("region", v.region.to_string());
        r.insert("az-id", s.az_id.to_string());
        r
    }

    fn push(&mut self, eni: usize, c: &Conn, leg: Leg<'_>) {
        let mut r = self.meta(eni);
        let flags = if c.proto == 6 { leg.flags } else { 0 };
        let family = if leg.pkt_src.contains(':') {
            "IPv6"
        } else {
            "IPv4"
        };
        let direction = if leg.egress.is_some() {
            "egress"
        } else {
            "ingress"
        };
        r.insert("srcaddr", leg.src.to_string());
        r.insert("dstaddr", leg.dst.to_string());
        r.insert("srcport", leg.srcport.to_string());
        r.insert("dstport", leg.dstport.to_string());
        r.insert("protocol", c.proto.to_string());
        r.insert("packets", leg.vol.packets.to_string());
        r.insert("bytes", leg.vol.bytes.to_string());
        r.insert("start", c.start.to_string());
        r.insert("end", c.end.to_string());
        r.insert("action", leg.action.to_string());
        r.insert("log-status", "OK".to_string());
        r.insert("tcp-flags", flags.to_string());
        r.insert("type", family.to_string());
        r.insert("pkt-srcaddr", leg.pkt_src.to_string());
        r.insert("pkt-dstaddr", leg.pkt_dst.to_string());
        r.insert("pkt-src-aws-service", leg.src_svc.to_string());
        r.insert("pkt-dst-aws-service", leg.dst_svc.to_string());
        r.insert("flow-direction", direction.to_string());
        if let Some(path) = leg.egress {
            r.insert("traffic-path", path.to_string());
        }
        r.insert("reject-reason", leg.reject_reason.to_string());
        self.rows.push(Row {
            eni,
            start: c.start,
            rec: r,
        });
    }

    /// A NODATA or SKIPDATA record: only the ENI's metadata and the window.
    fn no_traffic(&mut self, eni: usize, start: i64, end: i64, status: &str) {
        let mut r = self.meta(eni);
        r.insert("start", start.to_string());
        r.insert("end", end.to_string());
        r.insert("log-status", status.to_string());
        self.rows.push(Row { eni, start, rec: r });
    }

    /// The client's ENI: the request leaves by `path`, the response arrives.
    fn client_view(&mut self, eni: usize, c: &Conn, path: u8) {
        let local = self.e.local_addr(eni, &c.client);
        let mut up = c.request();
        up.src = &local;
        up.egress = Some(path);
        self.push(eni, c, up);
        let mut down = c.response();
        down.dst = &local;
        self.push(eni, c, down);
    }

    /// The server's ENI: the request arrives, the response leaves by `path`.
    fn server_view(&mut self, eni: usize, c: &Conn, path: u8) {
        let local = self.e.local_addr(eni, &c.server);
        let mut up = c.request();
        up.dst = &local;
        self.push(eni, c, up);
        let mut down = c.response();
        down.src = &local;
        down.egress = Some(path);
        self.push(eni, c, down);
    }

    /// The NAT gateway's ENI: legs a (client -> NAT), b (NAT -> server, after source NAT to
    /// `snat:snat_port`), c (server -> NAT) and d (NAT -> client).
    fn nat_view(&mut self, nat_eni: usize, c: &Conn, snat: &str, snat_port: u16) {
        let nat_ip = self.e.primary_ip(nat_eni).to_string();
        let mut a = c.request();
        a.dst = &nat_ip;
        self.push(nat_eni, c, a);
        let mut b = c.request();
        b.src = snat;
        b.pkt_src = snat;
        b.srcport = snat_port;
        b.src_svc = "-";
        b.egress = Some(8);
        self.push(nat_eni, c, b);
        let mut cc = c.response();
        cc.dst = snat;
        cc.pkt_dst = snat;
        cc.dstport = snat_port;
        cc.dst_svc = "-";
        self.push(nat_eni, c, cc);
        let mut d = c.response();
        d.src = &nat_ip;
        d.egress = Some(1);
        self.push(nat_eni, c, d);
    }

    /// A connection from an instance through a NAT gateway to a public server.
    fn via_nat(&mut self, client: usize, nat_eni: usize, server: &Peer, p: Profile, hour: i64) {
        let e = self.e;
        let start = self.at(hour);
        let c = self.conn(
            start,
            (e.primary_ip(client), "-"),
            (&server.ip, server.service),
            p,
        );
        self.client_view(client, &c, 1);
        let ips = &e.enis[nat_eni].ips;
        // Most connections leave from the primary address; the secondary takes the rest.
        let snat = if ips.len() > 1 && self.rng.random_range(0..10u32) < 3 {
            &ips[1]
        } else {
            &ips[0]
        };
        let port = self.rng.random_range(1_024..=65_535u16);
        self.nat_view(nat_eni, &c, snat, port);
    }

    /// An instance talking straight to a public server (gateway endpoint, IGW, egress-only IGW).
    fn direct(
        &mut self,
        client: usize,
        client_ip: &str,
        server: &Peer,
        p: Profile,
        path: u8,
        hour: i64,
    ) -> Conn {
        let start = self.at(hour);
        let c = self.conn(start, (client_ip, "-"), (&server.ip, server.service), p);
        self.client_view(client, &c, path);
        c
    }

    /// Two ENIs of the same VPC: client and server both record it.
    fn intra(&mut self, client: usize, server: usize, server_ip: &str, p: Profile, start: i64) {
        let e = self.e;
        let c = self.conn(start, (e.primary_ip(client), "-"), (server_ip, "-"), p);
        self.client_view(client, &c, 1);
        self.server_view(server, &c, 1);
    }

    /// An instance calling an interface endpoint, preferring the endpoint ENI in its own AZ.
    fn via_endpoint(&mut self, client: usize, endpoint_enis: &[usize], p: Profile, start: i64) {
        let e = self.e;
        let same_az: Vec<usize> = endpoint_enis
            .iter()
            .copied()
            .filter(|x| e.az_id(*x) == e.az_id(client))
            .collect();
        let target = if same_az.is_empty() {
            *self.pick(endpoint_enis)
        } else {
            *self.pick(&same_az)
        };
        self.intra(client, target, e.primary_ip(target), p, start);
    }

    /// Unanswered connection attempts from the internet, rejected on the ENI.
    fn rejected_inbound(
        &mut self,
        eni: usize,
        from: &Peer,
        port: u16,
        reason: &'static str,
        hour: i64,
    ) {
        let e = self.e;
        let start = self.at(hour);
        let mut c = self.conn(
            start,
            (&from.ip, from.service),
            (e.primary_ip(eni), "-"),
            PROBE,
        );
        c.sport = port;
        let packets = self.rng.random_range(1..=3u64);
        c.up = Volume {
            packets,
            bytes: packets * 44,
        };
        let local = e.local_addr(eni, &c.server);
        let mut leg = c.request();
        leg.dst = &local;
        leg.action = "REJECT";
        leg.reject_reason = reason;
        self.push(eni, &c, leg);
    }

    /// Outbound connection attempts rejected on the ENI.
    fn rejected_outbound(&mut self, eni: usize, to: &Peer, reason: &'static str, hour: i64) {
        let e = self.e;
        let start = self.at(hour);
        let mut c = self.conn(start, (e.primary_ip(eni), "-"), (&to.ip, to.service), PROBE);
        c.sport = 443;
        let packets = self.rng.random_range(1..=3u64);
        c.up = Volume {
            packets,
            bytes: packets * 60,
        };
        let mut leg = c.request();
        leg.egress = Some(8);
        leg.action = "REJECT";
        leg.reject_reason = reason;
        self.push(eni, &c, leg);
    }

    fn pick_kind(&mut self) -> Kind {
        let total: u32 = MIX.iter().map(|(_, w)| w).sum();
        let mut x = self.rng.random_range(0..total);
        for (kind, w) in MIX {
            if x < *w {
                return *kind;
            }
            x -= w;
        }
        Kind::WebViaNat
    }

    /// One connection of the primary account.
    fn account1(&mut self, kind: Kind, hour: i64) {
        let e = self.e;
        let r = &e.roles;
        let p = &e.peers;
        let apps = [r.app_a1, r.app_a2, r.app_b1, r.app_c1];
        match kind {
            Kind::WebViaNat => {
                let client = *self.pick(&apps);
                let server = match self.rng.random_range(0..100u32) {
                    0..20 => self.pick(&p.saas),
                    20..35 => self.pick(&p.cdn),
                    _ => self.pick(&p.web),
                };
                self.via_nat(client, r.nat, server, HTTPS_WEB, hour);
            }
            Kind::S3Gateway => {
                let client = *self.pick(&apps[..3]);
                let server = self.pick(&p.s3_use1);
                self.direct(client, e.primary_ip(client), server, S3_GET, 7, hour);
            }
            Kind::S3ViaNatFromC => {
                let server = self.pick(&p.s3_use1);
                self.via_nat(r.app_c1, r.nat, server, S3_VIA_NAT, hour);
            }
            Kind::S3CrossRegion => {
                let client = *self.pick(&apps);
                let server = self.pick(&p.s3_euw1);
                self.via_nat(client, r.nat, server, S3_CROSS_REGION, hour);
            }
            Kind::DynamoDbViaNat => {
                let client = *self.pick(&apps);
                let server = self.pick(&p.ddb_use1);
                self.via_nat(client, r.nat, server, DYNAMODB, hour);
            }
            Kind::Ssm => {
                let client = *self.pick(&apps);
                let start = self.at(hour);
                self.via_endpoint(client, &r.ssm, SSM, start);
            }
            Kind::Sts => {
                let client = *self.pick(&apps);
                let start = self.at(hour);
                self.via_endpoint(client, &r.sts, STS, start);
            }
            Kind::Postgres => {
                let client = *self.pick(&apps[1..]);
                let start = self.at(hour);
                self.intra(client, r.app_a1, e.primary_ip(r.app_a1), POSTGRES, start);
            }
            Kind::Api => {
                let server = *self.pick(&apps);
                let others: Vec<usize> = apps.iter().copied().filter(|a| *a != server).collect();
                let client = *self.pick(&others);
                // app-a1 serves its API on its secondary address.
                let ips = &e.enis[server].ips;
                let server_ip = ips.get(1).unwrap_or(&ips[0]).clone();
                let start = self.at(hour);
                self.intra(client, server, &server_ip, API, start);
            }
            Kind::SshScan => {
                let from = self.pick(&p.scanners);
                let port = if self.rng.random_range(0..10u32) == 0 {
                    3389
                } else {
                    22
                };
                self.rejected_inbound(r.bastion, from, port, "-", hour);
            }
            Kind::BastionHttps => {
                let from = self.pick(&p.https_clients);
                let start = self.at(hour);
                let c = self.conn(
                    start,
                    (&from.ip, from.service),
                    (e.primary_ip(r.bastion), "-"),
                    BASTION_HTTPS,
                );
                self.server_view(r.bastion, &c, 8);
            }
            Kind::BastionSsh => {
                let server = *self.pick(&apps);
                let start = self.at(hour);
                self.intra(r.bastion, server, e.primary_ip(server), SSH, start);
            }
            Kind::Ipv6Web => {
                let server = self.pick(&p.web6);
                let ip = e.enis[r.app_b1].ipv6.first().map_or("-", String::as_str);
                self.direct(r.app_b1, ip, server, HTTPS_WEB, 8, hour);
            }
        }
    }

    /// One connection of the batch worker (only in the Parquet flow log's hour).
    fn worker(&mut self, hour: i64) {
        let e = self.e;
        let r = &e.roles;
        match self.rng.random_range(0..100u32) {
            0..60 => {
                let server = self.pick(&e.peers.s3_use1);
                self.direct(r.worker, e.primary_ip(r.worker), server, S3_GET, 7, hour);
            }
            60..85 => {
                let server = *self.pick(&[r.app_a1, r.app_b1]);
                let ips = &e.enis[server].ips;
                let server_ip = ips.get(1).unwrap_or(&ips[0]).clone();
                let start = self.at(hour);
                self.intra(r.worker, server, &server_ip, API, start);
            }
            _ => {
                let server = self.pick(&e.peers.ddb_use1);
                self.via_nat(r.worker, r.nat, server, DYNAMODB, hour);
            }
        }
    }

    /// One connection of the second account.
    fn account2(&mut self, hour: i64) {
        let e = self.e;
        let r = &e.roles;
        let p = &e.peers;
        match self.rng.random_range(0..100u32) {
            0..45 => {
                let server = self.pick(&p.s3_euw1);
                self.direct(r.etl, e.primary_ip(r.etl), server, ETL_S3, 8, hour);
            }
            45..70 => {
                let server = self.pick(&p.web);
                self.via_nat(r.report, r.nat2, server, HTTPS_WEB, hour);
            }
            70..80 => {
                let server = self.pick(&p.ddb_euw1);
                self.via_nat(r.report, r.nat2, server, DYNAMODB, hour);
            }
            80..95 => {
                let from = self.pick(&p.scanners);
                let port = *self.pick(&[443u16, 443, 80, 22]);
                self.rejected_inbound(r.legacy, from, port, "BPA", hour);
            }
            _ => {
                let to = self.pick(&p.web);
                self.rejected_outbound(r.legacy, to, "BPA", hour);
            }
        }
    }

    /// A download big enough that `bytes` needs more than 32 bits.
    fn huge_s3_download(&mut self, client: usize, hour: i64, bytes: u64) {
        let e = self.e;
        let server = self.pick(&e.peers.s3_use1);
        let start = hour + 1_800;
        let mut c = self.conn(
            start,
            (e.primary_ip(client), "-"),
            (&server.ip, server.service),
            S3_GET,
        );
        c.long = true;
        c.end = start + 59;
        c.down = Volume {
            packets: bytes / 1_448 + 1,
            bytes,
        };
        self.client_view(client, &c, 7);
    }
}

/// The hour (from `t0`) a record starting at `start` is delivered in.
fn hour_of(start: i64, t0: i64) -> u32 {
    u32::try_from((start - t0).div_euclid(3_600)).unwrap_or(0)
}

impl<'a> Emitter<'a> {
    fn new(e: &'a Estate, opts: &EstateOptions) -> Self {
        Emitter {
            e,
            rng: ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5eed_f10f_0000_0001),
            rows: Vec::new(),
        }
    }

    /// The traffic of hour `h`: every record it adds starts inside that hour.
    fn traffic(&mut self, opts: &EstateOptions, h: u32, t0: i64) {
        let r = &self.e.roles;
        let hour = t0 + i64::from(h) * 3_600;
        for _ in 0..opts.flows_per_hour {
            let kind = self.pick_kind();
            self.account1(kind, hour);
        }
        if h == self.e.worker_hour {
            for _ in 0..(opts.flows_per_hour / 5).max(1) {
                self.worker(hour);
            }
            self.huge_s3_download(r.worker, hour, 6_120_448_512);
        }
        if h == 1 % opts.hours {
            self.huge_s3_download(r.app_b1, hour, 4_617_089_024);
        }
        for _ in 0..(opts.flows_per_hour / 8).max(1) {
            self.account2(hour);
        }
    }

    /// What follows the traffic of every hour: idle and nearly idle interface endpoints and a
    /// few capture windows where records were dropped.
    fn quiet(&mut self, hours: u32, t0: i64) {
        let r = &self.e.roles;
        // Interface endpoints: kms is idle (NODATA every 10 minutes on each ENI); ecr.api sees
        // three small calls over the whole window and NODATA in every other 10-minute window.
        let windows = i64::from(hours) * 6;
        let ecr_windows: BTreeSet<i64> = [windows / 10, windows / 2, windows * 9 / 10]
            .into_iter()
            .collect();
        for w in 0..windows {
            let ws = t0 + w * 600;
            for &kms in &r.kms {
                let start = ws + self.rng.random_range(0..30i64);
                let end = ws + 599 - self.rng.random_range(0..30i64);
                self.no_traffic(kms, start, end, "NODATA");
            }
            for (i, &ecr) in r.ecr.iter().enumerate() {
                if ecr_windows.contains(&w) && i == 0 {
                    let client = if w == windows / 2 { r.app_a1 } else { r.app_b1 };
                    let start = ws + self.rng.random_range(0..500i64);
                    self.intra(client, ecr, self.e.primary_ip(ecr), ECR, start);
                } else {
                    let start = ws + self.rng.random_range(0..30i64);
                    let end = ws + 599 - self.rng.random_range(0..30i64);
                    self.no_traffic(ecr, start, end, "NODATA");
                }
            }
        }
        for (eni, h, minute) in [(r.nat, 1, 23), (r.app_b1, 3, 41), (r.bastion, 4, 7)] {
            let start = t0 + i64::from(h % hours) * 3_600 + minute * 60;
            self.no_traffic(eni, start, start + 59, "SKIPDATA");
        }
    }
}

/// The estate's records, handed to `sink` one delivery hour at a time (each record in
/// generation order: the traffic of every hour, then the quiet records), so memory holds one
/// hour. The quiet records draw from the random stream after all the traffic; a first pass
/// runs the traffic only to reach that point, and keeps just the quiet records.
fn emit_flows(
    e: &Estate,
    opts: &EstateOptions,
    t0: i64,
    mut sink: impl FnMut(Vec<Row>) -> Result<()>,
) -> Result<()> {
    let mut first = Emitter::new(e, opts);
    for h in 0..opts.hours {
        first.traffic(opts, h, t0);
        first.rows.clear();
    }
    first.quiet(opts.hours, t0);
    let mut quiet: BTreeMap<u32, Vec<Row>> = BTreeMap::new();
    for row in first.rows {
        quiet.entry(hour_of(row.start, t0)).or_default().push(row);
    }
    let mut em = Emitter::new(e, opts);
    for h in 0..opts.hours {
        em.traffic(opts, h, t0);
        let mut rows = std::mem::take(&mut em.rows);
        rows.extend(quiet.remove(&h).unwrap_or_default());
        sink(rows)?;
    }
    for rows in quiet.into_values() {
        sink(rows)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Writers: flow-log objects
// ---------------------------------------------------------------------------------------------

/// Renders records in `fields` order, one per line, optionally after a header line.
fn render_text(fields: &[&str], rows: &[&Row], header: bool) -> Vec<u8> {
    let version = layout_version(fields).to_string();
    let mut s = String::with_capacity(rows.len() * fields.len() * 10 + 256);
    if header {
        s.push_str(&fields.join(" "));
        s.push('\n');
    }
    for row in rows {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            if *f == "version" {
                s.push_str(&version);
            } else {
                s.push_str(row.rec.get(*f).map_or("-", String::as_str));
            }
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// Gzip with a fixed header (no name, mtime 0) and level, so the bytes never vary.
fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzBuilder::new()
        .mtime(0)
        .write(Vec::with_capacity(data.len() / 4), Compression::new(6));
    enc.write_all(data)?;
    enc.finish()
}

/// 32-bit FNV-1a: the 8-hex-digit suffix of object names, from the object's content.
fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[derive(Clone, Copy)]
enum ParquetType {
    Int32,
    Int64,
    Utf8,
}

fn parquet_type(field: &str) -> ParquetType {
    match field {
        "version" | "srcport" | "dstport" | "protocol" | "tcp-flags" | "traffic-path" => {
            ParquetType::Int32
        }
        "packets" | "bytes" | "start" | "end" => ParquetType::Int64,
        _ => ParquetType::Utf8,
    }
}

/// An AWS-style Parquet object: underscore column names, INT32/INT64/UTF8 types, `-` as null,
/// GZIP compression, no embedded Arrow schema.
fn render_parquet(fields: &[&str], rows: &[&Row]) -> Result<Vec<u8>> {
    let version = i32::from(layout_version(fields));
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    let mut schema_fields = Vec::with_capacity(fields.len());
    for f in fields {
        let value = |row: &Row| -> Option<String> {
            if *f == "version" {
                return Some(version.to_string());
            }
            row.rec.get(*f).filter(|v| v.as_str() != "-").cloned()
        };
        let (array, data_type): (ArrayRef, DataType) = match parquet_type(f) {
            ParquetType::Int32 => {
                let mut b = Int32Builder::with_capacity(rows.len());
                for row in rows {
                    b.append_option(value(row).and_then(|v| v.parse::<i32>().ok()));
                }
                (Arc::new(b.finish()), DataType::Int32)
            }
            ParquetType::Int64 => {
                let mut b = Int64Builder::with_capacity(rows.len());
                for row in rows {
                    b.append_option(value(row).and_then(|v| v.parse::<i64>().ok()));
                }
                (Arc::new(b.finish()), DataType::Int64)
            }
            ParquetType::Utf8 => {
                let mut b = StringBuilder::new();
                for row in rows {
                    b.append_option(value(row));
                }
                (Arc::new(b.finish()), DataType::Utf8)
            }
        };
        columns.push(array);
        schema_fields.push(Field::new(f.replace('-', "_"), data_type, true));
    }
    let schema = Arc::new(Schema::new(schema_fields));
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    let props = WriterProperties::builder()
        .set_compression(ParquetCompression::GZIP(GzipLevel::default()))
        .build();
    let options = ArrowWriterOptions::new()
        .with_properties(props)
        .with_skip_arrow_metadata(true);
    let mut buf = Vec::new();
    let mut writer = ArrowWriter::try_new_with_options(&mut buf, schema, options)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(buf)
}

/// Writes files under the output directory and keeps the tallies.
struct Output {
    root: PathBuf,
    summary: EstateSummary,
}

impl Output {
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        self.summary.total_files += 1;
        self.summary.total_bytes += bytes.len() as u64;
        Ok(())
    }

    fn write_json(&mut self, rel: &str, value: &Value) -> Result<()> {
        let mut buf = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
        value
            .serialize(&mut ser)
            .map_err(|e| Error::Data(format!("{rel}: {e}")))?;
        buf.push(b'\n');
        self.write(rel, &buf)?;
        self.summary.inventory.files += 1;
        Ok(())
    }

    /// The tally of every flow log, before anything is written.
    fn start_tallies(&mut self, e: &Estate) {
        self.summary.flow_logs = e
            .flow_logs
            .iter()
            .map(|fl| FlowLogTally {
                flow_log_id: fl.id.to_string(),
                account_id: fl.account.to_string(),
                region: fl.region.to_string(),
                delivery: fl.delivery.name().to_string(),
                version: layout_version(fl.fields),
                fields: fl.fields.join(" "),
                files: 0,
                records: 0,
            })
            .collect();
    }

    /// The objects of one delivery hour's records: one per flow log (per ENI for CloudWatch).
    fn flow_logs(&mut self, e: &Estate, rows: &[Row], t0: i64) -> Result<()> {
        let mut groups: BTreeMap<(usize, u32), Vec<&Row>> = BTreeMap::new();
        for row in rows {
            let fl = e.enis[row.eni].flow_log;
            let hour = hour_of(row.start, t0);
            if e.flow_logs[fl].delivery.delivers(hour) {
                groups.entry((fl, hour)).or_default().push(row);
            }
        }
        for ((fl_ix, hour), mut group) in groups {
            // Stable: records of one window keep their generation order.
            group.sort_by_key(|r| r.start);
            let fl = &e.flow_logs[fl_ix];
            let hour_start = t0 + i64::from(hour) * 3_600;
            let t = DateTime::from_timestamp(hour_start, 0)
                .ok_or_else(|| Error::Usage(format!("start time {hour_start} is out of range")))?;
            let stamp = t.format("%Y%m%dT%H%MZ");
            let files_before = self.summary.total_files;
            match fl.delivery {
                Delivery::S3Text | Delivery::S3Hive => {
                    let text = render_text(fl.fields, &group, true);
                    let data = gzip(&text).map_err(|err| Error::io(&self.root, err))?;
                    let name = format!(
                        "{}_vpcflowlogs_{}_{}_{stamp}_{:08x}.log.gz",
                        fl.account,
                        fl.region,
                        fl.id,
                        fnv1a(&text)
                    );
                    let dir = if fl.delivery == Delivery::S3Hive {
                        format!(
                            "AWSLogs/aws-account-id={}/aws-service=vpcflowlogs/aws-region={}/{}",
                            fl.account,
                            fl.region,
                            t.format("year=%Y/month=%m/day=%d/hour=%H")
                        )
                    } else {
                        format!(
                            "AWSLogs/{}/vpcflowlogs/{}/{}",
                            fl.account,
                            fl.region,
                            t.format("%Y/%m/%d/%H")
                        )
                    };
                    self.write(&format!("{dir}/{name}"), &data)?;
                    let tally = if fl.delivery == Delivery::S3Hive {
                        &mut self.summary.s3_hive_text
                    } else {
                        &mut self.summary.s3_text
                    };
                    tally.files += 1;
                    tally.records += group.len();
                }
                Delivery::S3Parquet { .. } => {
                    let data = render_parquet(fl.fields, &group)?;
                    let name = format!(
                        "{}_vpcflowlogs_{}_{}_{stamp}_{:08x}.log.parquet",
                        fl.account,
                        fl.region,
                        fl.id,
                        fnv1a(&data)
                    );
                    let dir = format!(
                        "AWSLogs/{}/vpcflowlogs/{}/{}",
                        fl.account,
                        fl.region,
                        t.format("%Y/%m/%d/%H")
                    );
                    self.write(&format!("{dir}/{name}"), &data)?;
                    self.summary.s3_parquet.files += 1;
                    self.summary.s3_parquet.records += group.len();
                }
                Delivery::CloudWatch { .. } => {
                    // One log stream per ENI, named `<eni>-all`.
                    let mut by_eni: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
                    for row in &group {
                        by_eni.entry(&e.enis[row.eni].id).or_default().push(row);
                    }
                    for (eni, stream) in by_eni {
                        let text = render_text(fl.fields, &stream, false);
                        self.write(&format!("cloudwatch/{eni}-all.log"), &text)?;
                        self.summary.cloudwatch.files += 1;
                        self.summary.cloudwatch.records += stream.len();
                    }
                }
            }
            let files = self.summary.total_files - files_before;
            let tally = &mut self.summary.flow_logs[fl_ix];
            tally.files += files;
            tally.records += group.len();
        }
        Ok(())
    }
}

/// Writes the sample estate into `out` (directories are created; files of the same name are
/// replaced, other files are left alone) and returns what was written.
///
/// The estate: account 111122223333 (us-east-1, VPC "prod" with a NAT gateway, interface and
/// gateway endpoints, app servers, a bastion and a batch worker) and account 044455556666
/// (eu-west-1, VPC "analytics" with an overlapping CIDR). Its traffic is recorded on every ENI
/// it crosses, each ENI by exactly one flow log, in three text layouts, Hive and plain S3
/// layouts, one Parquet object and one CloudWatch export, next to `inventory/` JSON in the
/// shape `aws ec2 describe-…` prints and a `README.md` describing it all. The same options
/// always give byte-identical files.
pub fn generate_estate(opts: &EstateOptions, out: &Path) -> Result<EstateSummary> {
    if opts.hours == 0 {
        return Err(Error::Usage("the estate needs at least one hour".into()));
    }
    let t0 = opts.start.timestamp().div_euclid(3_600) * 3_600;
    let estate = build_estate(opts);
    let mut output = Output {
        root: out.to_path_buf(),
        summary: EstateSummary::default(),
    };
    output.start_tallies(&estate);
    emit_flows(&estate, opts, t0, |rows| {
        output.flow_logs(&estate, &rows, t0)
    })?;
    write_inventory(&mut output, &estate, opts)?;
    let readme = readme(&estate, opts, &output.summary);
    output.write("README.md", readme.as_bytes())?;
    Ok(output.summary)
}

// ---------------------------------------------------------------------------------------------
// Writers: inventory JSON (as `aws ec2 describe-… --output json` prints it) and the README
// ---------------------------------------------------------------------------------------------

/// A JSON object with keys in the given order (serde_json sorts them unless `preserve_order`
/// is on; both are deterministic).
fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn name_tags(name: &str) -> Value {
    json!([{"Key": "Name", "Value": name}])
}

fn private_dns(region: &str, ip: &str) -> String {
    let host = format!("ip-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.ec2.internal")
    } else {
        format!("{host}.{region}.compute.internal")
    }
}

fn public_dns(region: &str, ip: &str) -> String {
    let host = format!("ec2-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.compute-1.amazonaws.com")
    } else {
        format!("{host}.{region}.compute.amazonaws.com")
    }
}

fn association_json(region: &str, owner: &str, p: &PublicIp) -> Value {
    let mut pairs = Vec::new();
    if let Some((alloc, assoc)) = &p.eip {
        pairs.push(("AllocationId", json!(alloc)));
        pairs.push(("AssociationId", json!(assoc)));
        pairs.push(("IpOwnerId", json!(owner)));
    } else {
        pairs.push(("IpOwnerId", json!("amazon")));
    }
    pairs.push(("PublicDnsName", json!(public_dns(region, p.ip))));
    pairs.push(("PublicIp", json!(p.ip)));
    object(pairs)
}

fn eni_json(e: &Estate, eni: &Eni) -> Value {
    let s = &e.subnets[eni.subnet];
    let v = &e.vpcs[s.vpc];
    let mut pairs = Vec::new();
    if let Some(Some(p)) = eni.public.first() {
        pairs.push(("Association", association_json(v.region, v.account, p)));
    }
    match &eni.kind {
        EniKind::Instance { instance_id } => pairs.push((
            "Attachment",
            json!({
                "AttachTime": v.created,
                "AttachmentId": eni.attachment,
                "DeleteOnTermination": true,
                "DeviceIndex": 0,
                "InstanceId": instance_id,
                "InstanceOwnerId": v.account,
                "NetworkCardIndex": 0,
                "Status": "attached"
            }),
        )),
        EniKind::Nat { .. } => pairs.push((
            "Attachment",
            json!({
                "AttachmentId": eni.attachment,
                "DeleteOnTermination": false,
                "DeviceIndex": 1,
                "InstanceOwnerId": "amazon-aws",
                "Status": "attached"
            }),
        )),
        EniKind::Endpoint { .. } => {}
    }
    let (description, interface_type, requester) = match &eni.kind {
        EniKind::Instance { .. } => ("Primary network interface".to_string(), "interface", None),
        EniKind::Nat { nat } => (
            format!("Interface for NAT Gateway {}", e.nats[*nat].id),
            "nat_gateway",
            Some(NAT_REQUESTER),
        ),
        EniKind::Endpoint { endpoint } => (
            format!("VPC Endpoint Interface {}", e.endpoints[*endpoint].id),
            "vpc_endpoint",
            Some(VPCE_REQUESTER),
        ),
    };
    pairs.push(("AvailabilityZone", json!(s.az)));
    pairs.push(("AvailabilityZoneId", json!(s.az_id)));
    pairs.push(("Description", json!(description)));
    let groups: Vec<Value> = eni
        .group
        .iter()
        .map(|(id, name)| json!({"GroupId": id, "GroupName": name}))
        .collect();
    pairs.push(("Groups", json!(groups)));
    pairs.push(("InterfaceType", json!(interface_type)));
    let ipv6: Vec<Value> = eni
        .ipv6
        .iter()
        .map(|a| json!({"Ipv6Address": a, "IsPrimaryIpv6": false}))
        .collect();
    pairs.push(("Ipv6Addresses", json!(ipv6)));
    pairs.push(("MacAddress", json!(eni.mac)));
    pairs.push(("NetworkInterfaceId", json!(eni.id)));
    pairs.push(("OwnerId", json!(v.account)));
    let primary = eni.ips.first().map_or("-", String::as_str);
    pairs.push(("PrivateDnsName", json!(private_dns(v.region, primary))));
    pairs.push(("PrivateIpAddress", json!(primary)));
    let private: Vec<Value> = eni
        .ips
        .iter()
        .enumerate()
        .map(|(i, ip)| {
            let mut p = Vec::new();
            if let Some(Some(public)) = eni.public.get(i) {
                p.push(("Association", association_json(v.region, v.account, public)));
            }
            p.push(("Primary", json!(i == 0)));
            p.push(("PrivateDnsName", json!(private_dns(v.region, ip))));
            p.push(("PrivateIpAddress", json!(ip)));
            object(p)
        })
        .collect();
    pairs.push(("PrivateIpAddresses", json!(private)));
    pairs.push(("Ipv4Prefixes", json!([])));
    pairs.push(("Ipv6Prefixes", json!([])));
    if let Some(r) = requester {
        pairs.push(("RequesterId", json!(r)));
    }
    pairs.push(("RequesterManaged", json!(requester.is_some())));
    let source_dest_check = !matches!(eni.kind, EniKind::Nat { .. });
    pairs.push(("SourceDestCheck", json!(source_dest_check)));
    pairs.push(("Status", json!("in-use")));
    pairs.push(("SubnetId", json!(s.id)));
    let tags = match eni.kind {
        EniKind::Instance { .. } => name_tags(&eni.name),
        _ => json!([]),
    };
    pairs.push(("TagSet", tags));
    pairs.push(("VpcId", json!(v.id)));
    object(pairs)
}

/// The default endpoint policy, as the API returns it (a JSON string).
const FULL_ACCESS_POLICY: &str = "{\n  \"Statement\": [\n    {\n      \"Action\": \"*\", \n      \"Effect\": \"Allow\", \n      \"Principal\": \"*\", \n      \"Resource\": \"*\"\n    }\n  ]\n}";
const GATEWAY_POLICY: &str = "{\"Version\":\"2008-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}";

fn endpoint_json(e: &Estate, ep: &Endpoint) -> Value {
    let v = &e.vpcs[ep.vpc];
    let service_name = format!("com.amazonaws.{}.{}", v.region, ep.service);
    let gateway = ep.usage.is_none();
    let subnets: Vec<&str> = ep
        .enis
        .iter()
        .map(|x| e.subnets[e.enis[*x].subnet].id.as_str())
        .collect();
    let enis: Vec<&str> = ep.enis.iter().map(|x| e.enis[*x].id.as_str()).collect();
    let route_tables: Vec<&str> = ep
        .route_tables
        .iter()
        .map(|x| e.route_tables[*x].id.as_str())
        .collect();
    let mut dns = Vec::new();
    if !gateway {
        let zone = format!(
            "{}-{}.{}.{}.vpce.amazonaws.com",
            ep.id, ep.dns_token, ep.service, v.region
        );
        dns.push(json!({"DnsName": zone, "HostedZoneId": "Z7HUB22UULQXV"}));
        for x in &ep.enis {
            let az = e.subnets[e.enis[*x].subnet].az;
            let name = format!(
                "{}-{}-{az}.{}.{}.vpce.amazonaws.com",
                ep.id, ep.dns_token, ep.service, v.region
            );
            dns.push(json!({"DnsName": name, "HostedZoneId": "Z7HUB22UULQXV"}));
        }
        dns.push(json!({
            "DnsName": format!("{}.{}.amazonaws.com", ep.service, v.region),
            "HostedZoneId": format!("Z0{}", ep.dns_token.repeat(2).to_uppercase())
        }));
    }
    let groups: Vec<Value> = ep
        .group
        .iter()
        .map(|(id, name)| json!({"GroupId": id, "GroupName": name}))
        .collect();
    let mut pairs = vec![
        ("VpcEndpointId", json!(ep.id)),
        (
            "VpcEndpointType",
            json!(if gateway { "Gateway" } else { "Interface" }),
        ),
        ("VpcId", json!(v.id)),
        ("ServiceName", json!(service_name)),
        ("State", json!("available")),
        (
            "PolicyDocument",
            json!(if gateway {
                GATEWAY_POLICY
            } else {
                FULL_ACCESS_POLICY
            }),
        ),
        ("RouteTableIds", json!(route_tables)),
        ("SubnetIds", json!(subnets)),
        ("Groups", json!(groups)),
        ("IpAddressType", json!("ipv4")),
    ];
    if !gateway {
        pairs.push(("DnsOptions", json!({"DnsRecordIpType": "ipv4"})));
    }
    pairs.extend([
        ("PrivateDnsEnabled", json!(!gateway)),
        ("RequesterManaged", json!(false)),
        ("NetworkInterfaceIds", json!(enis)),
        ("DnsEntries", json!(dns)),
        ("CreationTimestamp", json!(ep.created)),
        ("Tags", name_tags(&format!("{}-{}", v.name, ep.service))),
        ("OwnerId", json!(v.account)),
    ]);
    object(pairs)
}

fn nat_json(e: &Estate, nat: &Nat) -> Value {
    let s = &e.subnets[nat.subnet];
    let eni = &e.enis[nat.eni];
    let addresses: Vec<Value> = eni
        .ips
        .iter()
        .enumerate()
        .map(|(i, ip)| {
            let mut p = Vec::new();
            let public = eni.public.get(i).and_then(Option::as_ref);
            if let Some(PublicIp {
                eip: Some((alloc, _)),
                ..
            }) = public
            {
                p.push(("AllocationId", json!(alloc)));
            }
            p.push(("NetworkInterfaceId", json!(eni.id)));
            p.push(("PrivateIp", json!(ip)));
            if let Some(public) = public {
                p.push(("PublicIp", json!(public.ip)));
                if let Some((_, assoc)) = &public.eip {
                    p.push(("AssociationId", json!(assoc)));
                }
            }
            p.push(("IsPrimary", json!(i == 0)));
            p.push(("Status", json!("succeeded")));
            object(p)
        })
        .collect();
    json!({
        "CreateTime": nat.created,
        "NatGatewayAddresses": addresses,
        "NatGatewayId": nat.id,
        "State": "available",
        "SubnetId": s.id,
        "VpcId": e.vpcs[s.vpc].id,
        "Tags": name_tags(nat.name),
        "ConnectivityType": "public",
        "AvailabilityMode": "zonal"
    })
}

/// VPC Block Public Access as describe-vpcs/describe-subnets report it: the second account
/// blocks internet ingress everywhere except its excluded subnet public-a (etl-1 and the NAT).
fn bpa_mode(v: &Vpc, subnet: Option<&Subnet>) -> &'static str {
    match (v.account, subnet) {
        (ACCOUNT_2, Some(s)) if s.name == "public-a" => "off",
        (ACCOUNT_2, _) => "block-ingress",
        _ => "off",
    }
}

fn vpc_json(v: &Vpc) -> Value {
    let cidrs: Vec<Value> = v
        .cidrs
        .iter()
        .map(|(c, assoc)| {
            json!({"AssociationId": assoc, "CidrBlock": c, "CidrBlockState": {"State": "associated"}})
        })
        .collect();
    let mut pairs = vec![
        ("OwnerId", json!(v.account)),
        ("InstanceTenancy", json!("default")),
    ];
    if let Some((p, assoc)) = &v.ipv6 {
        let block = format!("{}/56", Ipv6Addr::new(p[0], p[1], p[2], p[3], 0, 0, 0, 0));
        pairs.push((
            "Ipv6CidrBlockAssociationSet",
            json!([{
                "AssociationId": assoc,
                "Ipv6CidrBlock": block,
                "Ipv6CidrBlockState": {"State": "associated"},
                "NetworkBorderGroup": v.region,
                "Ipv6Pool": "Amazon"
            }]),
        ));
    }
    pairs.extend([
        ("CidrBlockAssociationSet", json!(cidrs)),
        ("IsDefault", json!(false)),
        (
            "BlockPublicAccessStates",
            json!({"InternetGatewayBlockMode": bpa_mode(v, None)}),
        ),
        ("Tags", name_tags(v.name)),
        ("VpcId", json!(v.id)),
        ("State", json!("available")),
        ("CidrBlock", json!(v.cidrs.first().map_or("", |c| c.0))),
        ("DhcpOptionsId", json!(v.dhcp)),
    ]);
    object(pairs)
}

fn subnet_json(e: &Estate, s: &Subnet) -> Value {
    let v = &e.vpcs[s.vpc];
    let size = 1u64 << (32 - u32::from(s.len));
    let free = size.saturating_sub(5 + s.used.len() as u64);
    let ipv6: Vec<Value> = match (&s.ipv6, &v.ipv6) {
        (Some((k, assoc)), Some((p, _))) => {
            let block = format!(
                "{}/64",
                Ipv6Addr::new(p[0], p[1], p[2], p[3] + k, 0, 0, 0, 0)
            );
            vec![json!({
                "AssociationId": assoc,
                "Ipv6CidrBlock": block,
                "Ipv6CidrBlockState": {"State": "associated"}
            })]
        }
        _ => Vec::new(),
    };
    let assign_ipv6 = !ipv6.is_empty();
    json!({
        "AvailabilityZoneId": s.az_id,
        "MapCustomerOwnedIpOnLaunch": false,
        "OwnerId": v.account,
        "AssignIpv6AddressOnCreation": assign_ipv6,
        "Ipv6CidrBlockAssociationSet": ipv6,
        "Tags": name_tags(&format!("{}-{}", v.name, s.name)),
        "SubnetArn": format!("arn:aws:ec2:{}:{}:subnet/{}", v.region, v.account, s.id),
        "EnableDns64": false,
        "Ipv6Native": false,
        "PrivateDnsNameOptionsOnLaunch": {
            "HostnameType": "ip-name",
            "EnableResourceNameDnsARecord": false,
            "EnableResourceNameDnsAAAARecord": false
        },
        "BlockPublicAccessStates": {"InternetGatewayBlockMode": bpa_mode(v, Some(s))},
        "SubnetId": s.id,
        "State": "available",
        "VpcId": v.id,
        "CidrBlock": s.cidr(),
        "AvailableIpAddressCount": free,
        "AvailabilityZone": s.az,
        "DefaultForAz": false,
        "MapPublicIpOnLaunch": s.public
    })
}

fn route_json(route: &Route) -> Value {
    let mut pairs = match &route.dest {
        Dest::V4(c) => vec![("DestinationCidrBlock", json!(c))],
        Dest::V6(c) => vec![("DestinationIpv6CidrBlock", json!(c))],
        Dest::PrefixList(pl) => vec![("DestinationPrefixListId", json!(pl))],
    };
    let origin = match &route.target {
        Target::Local => {
            pairs.push(("GatewayId", json!("local")));
            "CreateRouteTable"
        }
        Target::Igw(id) | Target::Vpce(id) => {
            pairs.push(("GatewayId", json!(id)));
            "CreateRoute"
        }
        Target::Eigw(id) => {
            pairs.push(("EgressOnlyInternetGatewayId", json!(id)));
            "CreateRoute"
        }
        Target::Nat(id) => {
            pairs.push(("NatGatewayId", json!(id)));
            "CreateRoute"
        }
    };
    pairs.push(("Origin", json!(origin)));
    pairs.push(("State", json!("active")));
    object(pairs)
}

fn route_table_json(e: &Estate, t: &RouteTable) -> Value {
    let v = &e.vpcs[t.vpc];
    let mut associations = Vec::new();
    if let Some(assoc) = &t.main {
        associations.push(json!({
            "Main": true,
            "RouteTableAssociationId": assoc,
            "RouteTableId": t.id,
            "AssociationState": {"State": "associated"}
        }));
    }
    for (subnet, assoc) in &t.subnets {
        associations.push(json!({
            "Main": false,
            "RouteTableAssociationId": assoc,
            "RouteTableId": t.id,
            "SubnetId": e.subnets[*subnet].id,
            "AssociationState": {"State": "associated"}
        }));
    }
    let routes: Vec<Value> = t.routes.iter().map(route_json).collect();
    json!({
        "Associations": associations,
        "PropagatingVgws": [],
        "RouteTableId": t.id,
        "Routes": routes,
        "Tags": name_tags(t.name),
        "VpcId": v.id,
        "OwnerId": v.account
    })
}

fn ip_ranges_json(opts: &EstateOptions) -> Value {
    let published = opts
        .start
        .checked_sub_signed(TimeDelta::hours(20))
        .unwrap_or(opts.start);
    let prefixes: Vec<Value> = IP_RANGES_V4
        .iter()
        .map(|(base, len, region, service)| {
            json!({
                "ip_prefix": format!("{}/{len}", Ipv4Addr::from(*base)),
                "region": region,
                "service": service,
                "network_border_group": region
            })
        })
        .collect();
    let ipv6: Vec<Value> = IP_RANGES_V6
        .iter()
        .map(|(prefix, region, service)| {
            json!({
                "ipv6_prefix": prefix,
                "region": region,
                "service": service,
                "network_border_group": region
            })
        })
        .collect();
    object(vec![
        ("syncToken", json!(published.timestamp().to_string())),
        (
            "createDate",
            json!(published.format("%Y-%m-%d-%H-%M-%S").to_string()),
        ),
        ("prefixes", json!(prefixes)),
        ("ipv6_prefixes", json!(ipv6)),
    ])
}

fn write_inventory(out: &mut Output, e: &Estate, opts: &EstateOptions) -> Result<()> {
    let ranges = ip_ranges_json(opts);
    out.write_json("inventory/ip-ranges.json", &ranges)?;
    out.summary.inventory.records += IP_RANGES_V4.len() + IP_RANGES_V6.len();
    for (account, region) in [(ACCOUNT_1, REGION_1), (ACCOUNT_2, REGION_2)] {
        let in_account = |vpc: usize| e.vpcs[vpc].account == account;
        let files: [(&str, &str, Vec<Value>); 6] = [
            (
                "describe-network-interfaces.json",
                "NetworkInterfaces",
                e.enis
                    .iter()
                    .filter(|n| in_account(e.subnets[n.subnet].vpc))
                    .map(|n| eni_json(e, n))
                    .collect(),
            ),
            (
                "describe-vpc-endpoints.json",
                "VpcEndpoints",
                e.endpoints
                    .iter()
                    .filter(|x| in_account(x.vpc))
                    .map(|x| endpoint_json(e, x))
                    .collect(),
            ),
            (
                "describe-nat-gateways.json",
                "NatGateways",
                e.nats
                    .iter()
                    .filter(|n| in_account(e.subnets[n.subnet].vpc))
                    .map(|n| nat_json(e, n))
                    .collect(),
            ),
            (
                "describe-vpcs.json",
                "Vpcs",
                e.vpcs
                    .iter()
                    .filter(|v| v.account == account)
                    .map(vpc_json)
                    .collect(),
            ),
            (
                "describe-subnets.json",
                "Subnets",
                e.subnets
                    .iter()
                    .filter(|s| in_account(s.vpc))
                    .map(|s| subnet_json(e, s))
                    .collect(),
            ),
            (
                "describe-route-tables.json",
                "RouteTables",
                e.route_tables
                    .iter()
                    .filter(|t| in_account(t.vpc))
                    .map(|t| route_table_json(e, t))
                    .collect(),
            ),
        ];
        for (file, key, items) in files {
            let count = items.len();
            let doc = object(vec![(key, Value::Array(items))]);
            out.write_json(&format!("inventory/{account}/{region}/{file}"), &doc)?;
            out.summary.inventory.records += count;
        }
    }
    Ok(())
}

/// `README.md` of the estate: what is where, so report output can be checked by eye.
fn readme(e: &Estate, opts: &EstateOptions, summary: &EstateSummary) -> String {
    let hour = |h: u32| {
        opts.start
            .checked_add_signed(TimeDelta::hours(i64::from(h)))
            .unwrap_or(opts.start)
            .format("%Y-%m-%d %H:00Z")
            .to_string()
    };
    let mut s = String::new();
    s.push_str("# Sample estate\n\n");
    s.push_str(&format!(
        "Written by `vpcflow generate` (seed {}, {} hours from {}, {} connections per hour in \
         the primary account). Every file is derived from the seed; regenerating gives the same \
         bytes.\n\n",
        opts.seed,
        opts.hours,
        hour(0),
        opts.flows_per_hour
    ));
    s.push_str("## Accounts and networks\n\n");
    for v in &e.vpcs {
        let mut cidrs: Vec<String> = v.cidrs.iter().map(|c| c.0.to_string()).collect();
        if let Some((p, _)) = &v.ipv6 {
            cidrs.push(format!(
                "{}/56",
                Ipv6Addr::new(p[0], p[1], p[2], p[3], 0, 0, 0, 0)
            ));
        }
        s.push_str(&format!(
            "- Account {} ({}): VPC \"{}\" `{}`, {}.\n",
            v.account,
            v.region,
            v.name,
            v.id,
            cidrs.join(", ")
        ));
        for (i, sub) in e
            .subnets
            .iter()
            .enumerate()
            .filter(|(_, x)| std::ptr::eq(&e.vpcs[x.vpc], v))
        {
            let table = e.route_table_of(i).map_or("-", |t| t.name);
            s.push_str(&format!(
                "  - subnet {} `{}` {} ({}, {}), route table {}\n",
                sub.name,
                sub.id,
                sub.cidr(),
                sub.az,
                sub.az_id,
                table
            ));
        }
    }
    s.push_str(
        "\nThe analytics VPC reuses 10.0.0.0/16 on purpose: addresses alone do not identify a \
         host across accounts.\n\n",
    );
    s.push_str("## Network interfaces\n\n");
    s.push_str(
        "| ENI | name | role | private IPs | subnet | flow log |\n|---|---|---|---|---|---|\n",
    );
    for n in &e.enis {
        let mut ips: Vec<String> = n
            .ips
            .iter()
            .zip(&n.public)
            .map(|(ip, public)| match public {
                Some(p) => format!("{ip} (public {})", p.ip),
                None => ip.clone(),
            })
            .collect();
        ips.extend(n.ipv6.iter().cloned());
        let ips = ips.join(", ");
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            n.id, n.name, n.role, ips, e.subnets[n.subnet].name, e.flow_logs[n.flow_log].id
        ));
    }
    s.push_str("\n## NAT gateways and endpoints\n\n");
    for nat in &e.nats {
        let eni = &e.enis[nat.eni];
        s.push_str(&format!(
            "- NAT gateway `{}` ({}) in {}: ENI `{}`, private IPs {}.\n",
            nat.id,
            nat.name,
            e.subnets[nat.subnet].name,
            eni.id,
            eni.ips.join(" and ")
        ));
    }
    for ep in &e.endpoints {
        let what = match ep.usage {
            None => "gateway endpoint (no ENI), route tables of private-a, private-b and batch-b \
                     only; private-c has no route to it"
                .to_string(),
            Some(u) => {
                let enis: Vec<String> = ep
                    .enis
                    .iter()
                    .map(|x| {
                        format!(
                            "`{}` ({})",
                            e.enis[*x].id, e.subnets[e.enis[*x].subnet].name
                        )
                    })
                    .collect();
                let usage = match u {
                    Usage::Busy => "used every hour",
                    Usage::Low => "low traffic: three small calls (a few KB) in the whole window",
                    Usage::Idle => "idle: only NODATA records, every 10 minutes on each ENI",
                };
                format!("interface endpoint, {usage}; ENIs {}", enis.join(", "))
            }
        };
        s.push_str(&format!(
            "- `{}` com.amazonaws.{}.{}: {what}.\n",
            ep.id, e.vpcs[ep.vpc].region, ep.service
        ));
    }
    s.push_str(&format!(
        "\n## Traffic\n\n\
         Each connection is recorded on every captured ENI it crosses, one record per direction \
         (request and response), with the same ports and byte counts on each ENI.\n\n\
         - app-a1/a2/b1/c1 -> internet HTTPS (198.51.100.0/24, 203.0.113.0/24, EC2 and CloudFront \
         addresses) through the NAT: two records on the app ENI and the four NAT legs on the NAT \
         ENI (legs b/c use a NAT private IP and a translated port).\n\
         - app-a1/a2/b1 and batch-worker -> S3 us-east-1 through the gateway endpoint: app ENI \
         only (traffic-path 7).\n\
         - app-c1 -> S3 us-east-1 through the NAT (private-c has no S3 endpoint route): the \
         avoidable NAT cost.\n\
         - apps -> S3 eu-west-1 (cross-region) and -> DynamoDB us-east-1 through the NAT; there \
         is no DynamoDB gateway endpoint.\n\
         - apps -> ssm and sts endpoint ENIs on 443 (same AZ when there is one; app-c1 crosses \
         AZs); recorded on both ENIs.\n\
         - app -> app-a1 Postgres :5432, app <-> app API :8080 (app-a1 serves it on its secondary \
         IP, so its own records show the primary IP and pkt-dstaddr the secondary).\n\
         - internet -> bastion SSH/RDP scans (REJECT, reject-reason `-`), HTTPS (ACCEPT), bastion \
         -> apps SSH.\n\
         - app-b1 -> IPv6 internet (2001:db8::/32) through the egress-only internet gateway.\n\
         - Two downloads above 4 GiB in one record (app-b1 at {}, batch-worker at {}).\n\
         - SKIPDATA rows on the NAT ENI, app-b1 and the bastion.\n\
         - Account 044455556666: etl-1 -> S3 eu-west-1 over the internet gateway; report-1 -> \
         internet and DynamoDB eu-west-1 through its NAT; legacy-web is blocked by VPC Block \
         Public Access (REJECT with reject-reason BPA, in flow log fl-0bpaaudit00000007 because \
         the default format has no reject-reason).\n\n\
         The batch worker runs only in hour {} ({}), the only hour its Parquet flow log holds. \
         app-a2 logs to CloudWatch Logs; only hour {} ({}) was exported, so in other hours its \
         traffic shows only on the NAT, endpoint and peer ENIs.\n\n",
        hour(1 % opts.hours),
        hour(e.worker_hour),
        e.worker_hour,
        hour(e.worker_hour),
        e.cloudwatch_hour,
        hour(e.cloudwatch_hour)
    ));
    s.push_str("## Files\n\n| flow log | account | delivery | version | files | records | fields |\n|---|---|---|---|---|---|---|\n");
    for t in &summary.flow_logs {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            t.flow_log_id, t.account_id, t.delivery, t.version, t.files, t.records, t.fields
        ));
    }
    s.push_str(
        "\n- `AWSLogs/111122223333/vpcflowlogs/us-east-1/YYYY/MM/DD/HH/`: gzipped text with a \
         header line, one object per flow log and hour; the Parquet object sits next to them.\n\
         - `AWSLogs/aws-account-id=044455556666/aws-service=vpcflowlogs/aws-region=eu-west-1/\
         year=…/month=…/day=…/hour=…/`: the second account, Hive-style.\n\
         - `cloudwatch/<eni>-all.log`: one exported log stream, default format, no header.\n\
         - `inventory/<account>/<region>/describe-*.json` and `inventory/ip-ranges.json` (a \
         subset of AWS's file).\n",
    );
    s
}

// ---------------------------------------------------------------------------------------------
// synthetic_text: random valid records in any layout, fast
// ---------------------------------------------------------------------------------------------

/// A column of a synthetic layout, resolved once from its name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Version,
    AccountId,
    InterfaceId,
    SrcAddr,
    DstAddr,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    VpcId,
    SubnetId,
    InstanceId,
    TcpFlags,
    Type,
    PktSrcAddr,
    PktDstAddr,
    Region,
    AzId,
    SublocationType,
    SublocationId,
    PktSrcAwsService,
    PktDstAwsService,
    FlowDirection,
    TrafficPath,
    EcsClusterArn,
    EcsClusterName,
    EcsContainerInstanceArn,
    EcsContainerInstanceId,
    EcsContainerId,
    EcsSecondContainerId,
    EcsServiceName,
    EcsTaskDefinitionArn,
    EcsTaskArn,
    EcsTaskId,
    RejectReason,
    ResourceId,
    EncryptionStatus,
    InstanceTag,
    InstanceTag2,
    InterfaceTag,
    InterfaceTag2,
    AsgTag,
    AsgTag2,
    InterfaceType,
    NextHopInterfaceId,
    NextHopSubnetId,
    NextHopAzId,
    NextHopVpcId,
    NextHopInterfaceType,
    ResourceType,
    TgwId,
    TgwAttachmentId,
    TgwPairAttachmentId,
    TgwSrcVpcAccountId,
    TgwDstVpcAccountId,
    TgwSrcVpcId,
    TgwDstVpcId,
    TgwSrcSubnetId,
    TgwDstSubnetId,
    TgwSrcEni,
    TgwDstEni,
    TgwSrcAzId,
    TgwDstAzId,
    PacketsLost,
    Unknown,
}

impl Col {
    fn from_name(name: &str) -> Col {
        match normalize(name).as_str() {
            "version" => Col::Version,
            "account-id" => Col::AccountId,
            "interface-id" => Col::InterfaceId,
            "srcaddr" => Col::SrcAddr,
            "dstaddr" => Col::DstAddr,
            "srcport" => Col::SrcPort,
            "dstport" => Col::DstPort,
            "protocol" => Col::Protocol,
            "packets" => Col::Packets,
            "bytes" => Col::Bytes,
            "start" => Col::Start,
            "end" => Col::End,
            "action" => Col::Action,
            "log-status" => Col::LogStatus,
            "vpc-id" => Col::VpcId,
            "subnet-id" => Col::SubnetId,
            "instance-id" => Col::InstanceId,
            "tcp-flags" => Col::TcpFlags,
            "type" => Col::Type,
            "pkt-srcaddr" => Col::PktSrcAddr,
            "pkt-dstaddr" => Col::PktDstAddr,
            "region" => Col::Region,
            "az-id" => Col::AzId,
            "sublocation-type" => Col::SublocationType,
            "sublocation-id" => Col::SublocationId,
            "pkt-src-aws-service" => Col::PktSrcAwsService,
            "pkt-dst-aws-service" => Col::PktDstAwsService,
            "flow-direction" => Col::FlowDirection,
            "traffic-path" => Col::TrafficPath,
            "ecs-cluster-arn" => Col::EcsClusterArn,
            "ecs-cluster-name" => Col::EcsClusterName,
            "ecs-container-instance-arn" => Col::EcsContainerInstanceArn,
            "ecs-container-instance-id" => Col::EcsContainerInstanceId,
            "ecs-container-id" => Col::EcsContainerId,
            "ecs-second-container-id" => Col::EcsSecondContainerId,
            "ecs-service-name" => Col::EcsServiceName,
            "ecs-task-definition-arn" => Col::EcsTaskDefinitionArn,
            "ecs-task-arn" => Col::EcsTaskArn,
            "ecs-task-id" => Col::EcsTaskId,
            "reject-reason" => Col::RejectReason,
            "resource-id" => Col::ResourceId,
            "encryption-status" => Col::EncryptionStatus,
            "instance-tag" => Col::InstanceTag,
            "instance-tag-2" => Col::InstanceTag2,
            "interface-tag" => Col::InterfaceTag,
            "interface-tag-2" => Col::InterfaceTag2,
            "asg-tag" => Col::AsgTag,
            "asg-tag-2" => Col::AsgTag2,
            "interface-type" => Col::InterfaceType,
            "next-hop-interface-id" => Col::NextHopInterfaceId,
            "next-hop-subnet-id" => Col::NextHopSubnetId,
            "next-hop-az-id" => Col::NextHopAzId,
            "next-hop-vpc-id" => Col::NextHopVpcId,
            "next-hop-interface-type" => Col::NextHopInterfaceType,
            "resource-type" => Col::ResourceType,
            "tgw-id" => Col::TgwId,
            "tgw-attachment-id" => Col::TgwAttachmentId,
            "tgw-pair-attachment-id" => Col::TgwPairAttachmentId,
            "tgw-src-vpc-account-id" => Col::TgwSrcVpcAccountId,
            "tgw-dst-vpc-account-id" => Col::TgwDstVpcAccountId,
            "tgw-src-vpc-id" => Col::TgwSrcVpcId,
            "tgw-dst-vpc-id" => Col::TgwDstVpcId,
            "tgw-src-subnet-id" => Col::TgwSrcSubnetId,
            "tgw-dst-subnet-id" => Col::TgwDstSubnetId,
            "tgw-src-eni" => Col::TgwSrcEni,
            "tgw-dst-eni" => Col::TgwDstEni,
            "tgw-src-az-id" => Col::TgwSrcAzId,
            "tgw-dst-az-id" => Col::TgwDstAzId,
            n if n.starts_with("packets-lost-") => Col::PacketsLost,
            _ => Col::Unknown,
        }
    }

    /// Fields that come from packets, written as `-` on NODATA and SKIPDATA rows.
    fn is_packet_derived(self) -> bool {
        matches!(
            self,
            Col::SrcAddr
                | Col::DstAddr
                | Col::SrcPort
                | Col::DstPort
                | Col::Protocol
                | Col::Packets
                | Col::Bytes
                | Col::Action
                | Col::TcpFlags
                | Col::Type
                | Col::PktSrcAddr
                | Col::PktDstAddr
                | Col::PktSrcAwsService
                | Col::PktDstAwsService
                | Col::FlowDirection
                | Col::TrafficPath
                | Col::RejectReason
                | Col::EncryptionStatus
                | Col::NextHopInterfaceId
                | Col::NextHopSubnetId
                | Col::NextHopAzId
                | Col::NextHopVpcId
                | Col::NextHopInterfaceType
                | Col::PacketsLost
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SynthKind {
    Instance,
    NatGateway,
    VpcEndpoint,
    LoadBalancer,
    TransitGateway,
    Lambda,
}

impl SynthKind {
    fn interface_type(self) -> &'static str {
        match self {
            SynthKind::Instance => "interface",
            SynthKind::NatGateway => "nat_gateway",
            SynthKind::VpcEndpoint => "vpc_endpoint",
            SynthKind::LoadBalancer => "network_load_balancer",
            SynthKind::TransitGateway => "transit_gateway",
            SynthKind::Lambda => "lambda",
        }
    }

    fn requester_managed(self) -> bool {
        self != SynthKind::Instance
    }
}

struct SynthVpc {
    id: String,
    account: &'static str,
    region: &'static str,
    attachment: String,
    tgw: usize,
}

struct SynthSubnet {
    id: String,
    vpc: usize,
    az_id: String,
    /// Sublocation type and id; such subnets have az-id `-`.
    sublocation: Option<(&'static str, String)>,
}

struct EcsTask {
    cluster_arn: String,
    cluster_name: &'static str,
    container_instance: Option<(String, String)>,
    container_id: String,
    second_container_id: Option<String>,
    service: Option<&'static str>,
    task_definition_arn: String,
    task_arn: String,
    task_id: String,
}

struct SynthEni {
    id: String,
    account: &'static str,
    subnet: usize,
    vpc: usize,
    kind: SynthKind,
    instance: Option<String>,
    v4: u32,
    v6: [u16; 8],
    ecs: Option<EcsTask>,
    resource_id: Option<String>,
    tags: [Option<&'static str>; 6],
}

/// The fixed world synthetic records are drawn from.
struct SynthPool {
    subnets: Vec<SynthSubnet>,
    vpcs: Vec<SynthVpc>,
    enis: Vec<SynthEni>,
    tgws: [String; 2],
    base: i64,
}

const SYNTH_ACCOUNTS: &[&str] = &[
    "111122223333",
    "044455556666",
    "001607371330",
    "123456789012",
    "098765432109",
];
const SYNTH_REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "use1"),
    ("eu-west-1", "euw1"),
    ("ap-southeast-2", "apse2"),
];
const SERVICES: &[&str] = &["S3", "DYNAMODB", "AMAZON", "EC2", "CLOUDFRONT", "ROUTE53"];
const TCP_PORTS: &[u16] = &[
    443, 443, 443, 443, 443, 80, 80, 22, 5432, 3306, 6379, 8080, 8443, 9092, 27017, 3389, 25, 2049,
];
const UDP_PORTS: &[u16] = &[53, 53, 53, 123, 514, 4789, 8125, 51820];
const CLIENT_FLAGS: &[u8] = &[2, 3, 3, 3, 0, 1, 4, 2];
const SERVER_FLAGS: &[u8] = &[18, 19, 19, 19, 0, 1, 4, 18];
const TRAFFIC_PATHS: &[u8] = &[1, 1, 1, 1, 1, 1, 8, 8, 7, 7, 2, 4, 3, 5, 6];
const TAG_VALUES: [&[&str]; 6] = [
    &["web", "payments-api", "batch%20jobs", "team%3Ddata"],
    &["prod", "staging", "cost-center-42"],
    &["primary", "eth1"],
    &["blue", "green"],
    &["asg-web-prod", "asg-batch"],
    &["spot", "on-demand"],
];

/// 2026-11-20T00:00:00Z.
const SYNTH_BASE: i64 = 1_795_132_800;

fn hex_token(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16usize)]))
        .collect()
}

fn synth_id(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    let v: u64 = rng.random();
    format!("{prefix}-0{v:016x}")
}

impl SynthPool {
    fn new(rng: &mut ChaCha8Rng) -> SynthPool {
        let tgws = [synth_id(rng, "tgw"), synth_id(rng, "tgw")];
        let mut vpcs = Vec::new();
        let mut subnets = Vec::new();
        for v in 0..6usize {
            let (region, short) = SYNTH_REGIONS[v % SYNTH_REGIONS.len()];
            vpcs.push(SynthVpc {
                id: synth_id(rng, "vpc"),
                account: SYNTH_ACCOUNTS[v % SYNTH_ACCOUNTS.len()],
                region,
                attachment: synth_id(rng, "tgw-attach"),
                tgw: v % 2,
            });
            for k in 0..3usize {
                let sublocation = match (v, k) {
                    (4, 2) => Some(("outpost", synth_id(rng, "op"))),
                    (3, 2) => Some(("localzone", format!("{region}-bos-1a"))),
                    _ => None,
                };
                subnets.push(SynthSubnet {
                    id: synth_id(rng, "subnet"),
                    vpc: v,
                    az_id: format!("{short}-az{}", k + 1),
                    sublocation,
                });
            }
        }
        let mut enis = Vec::new();
        for i in 0..192usize {
            let subnet = rng.random_range(0..subnets.len());
            let vpc = subnets[subnet].vpc;
            let kind = match rng.random_range(0..100u32) {
                0..70 => SynthKind::Instance,
                70..78 => SynthKind::NatGateway,
                78..90 => SynthKind::VpcEndpoint,
                90..95 => SynthKind::LoadBalancer,
                95..98 => SynthKind::TransitGateway,
                _ => SynthKind::Lambda,
            };
            let account = if kind == SynthKind::VpcEndpoint && i % 3 == 0 {
                "unknown"
            } else {
                vpcs[vpc].account
            };
            let ecs = (kind == SynthKind::Instance && rng.random_range(0..10u32) == 0)
                .then(|| synth_task(rng, &vpcs[vpc]));
            let tags = std::array::from_fn(|t| {
                let values = TAG_VALUES[t];
                (kind == SynthKind::Instance && rng.random_bool(0.7))
                    .then(|| values[rng.random_range(0..values.len())])
            });
            let v4 = v4([
                10,
                (vpc * 16 + subnet % 3) as u8,
                rng.random(),
                rng.random_range(4..255),
            ]);
            let v6 = [
                0x2600,
                0x1f18,
                0x6a00 + vpc as u16,
                0x9d00 + subnet as u16,
                rng.random_range(1..=0xffff),
                rng.random_range(1..=0xffff),
                rng.random_range(1..=0xffff),
                rng.random_range(1..=0xffff),
            ];
            enis.push(SynthEni {
                id: synth_id(rng, "eni"),
                account,
                subnet,
                vpc,
                kind,
                instance: (!kind.requester_managed()).then(|| synth_id(rng, "i")),
                v4,
                v6,
                ecs,
                resource_id: (kind == SynthKind::NatGateway && rng.random_bool(0.3))
                    .then(|| synth_id(rng, "nat")),
                tags,
            });
        }
        SynthPool {
            subnets,
            vpcs,
            enis,
            tgws,
            base: SYNTH_BASE,
        }
    }
}

fn synth_task(rng: &mut ChaCha8Rng, vpc: &SynthVpc) -> EcsTask {
    const CLUSTERS: &[&str] = &["prod-cluster", "batch", "web-frontend"];
    let cluster_name = CLUSTERS[rng.random_range(0..CLUSTERS.len())];
    let prefix = format!("arn:aws:ecs:{}:{}", vpc.region, vpc.account);
    let task_id = hex_token(rng, 32);
    let container_instance = rng.random_bool(0.5).then(|| {
        let id = hex_token(rng, 32);
        (
            format!("{prefix}:container-instance/{cluster_name}/{id}"),
            id,
        )
    });
    EcsTask {
        cluster_arn: format!("{prefix}:cluster/{cluster_name}"),
        cluster_name,
        container_instance,
        container_id: hex_token(rng, 64),
        second_container_id: rng.random_bool(0.3).then(|| hex_token(rng, 64)),
        service: rng.random_bool(0.7).then_some(if cluster_name == "batch" {
            "jobs"
        } else {
            "api"
        }),
        task_definition_arn: format!(
            "{prefix}:task-definition/{cluster_name}-task:{}",
            rng.random_range(1..40u32)
        ),
        task_arn: format!("{prefix}:task/{cluster_name}/{task_id}"),
        task_id,
    }
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Addr {
    #[default]
    None,
    V4(u32),
    V6([u16; 8]),
}

fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

fn push_addr(out: &mut Vec<u8>, a: Addr) {
    match a {
        Addr::None => out.push(b'-'),
        Addr::V4(ip) => {
            for (i, octet) in ip.to_be_bytes().iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                push_u64(out, u64::from(*octet));
            }
        }
        Addr::V6(groups) => {
            // Every group is non-zero, so the full form is also the canonical one.
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    out.push(b':');
                }
                let mut started = false;
                for shift in [12u16, 8, 4, 0] {
                    let nibble = (g >> shift) & 0xf;
                    if nibble != 0 || started || shift == 0 {
                        started = true;
                        out.push(b"0123456789abcdef"[usize::from(nibble)]);
                    }
                }
            }
        }
    }
}

fn push_opt(out: &mut Vec<u8>, v: Option<&str>) {
    out.extend_from_slice(v.unwrap_or("-").as_bytes());
}

/// Public IPv4 addresses outside the private and documentation-free ranges we use for hosts.
fn public_v4(rng: &mut ChaCha8Rng) -> u32 {
    const FIRST: &[u8] = &[3, 13, 18, 34, 35, 44, 52, 54, 99, 104, 151, 185, 198, 203];
    let first = FIRST[rng.random_range(0..FIRST.len())];
    (u32::from(first) << 24) | (rng.random::<u32>() & 0x00ff_fffe) | 1
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Status {
    #[default]
    Ok,
    NoData,
    SkipData,
}

/// The values of one synthetic record, drawn before any field is written.
#[derive(Default)]
struct SynthRow {
    eni: usize,
    hop: usize,
    has_hop: bool,
    status: Status,
    start: i64,
    end: i64,
    src: Addr,
    dst: Addr,
    pkt_src: Addr,
    pkt_dst: Addr,
    srcport: u16,
    dstport: u16,
    proto: u8,
    packets: u64,
    bytes: u64,
    accept: bool,
    bpa: bool,
    flags: u8,
    egress: bool,
    path: u8,
    src_svc: Option<&'static str>,
    dst_svc: Option<&'static str>,
    encryption: u8,
    lost: u64,
}

impl SynthRow {
    fn fill(&mut self, rng: &mut ChaCha8Rng, pool: &SynthPool, offset: i64) {
        self.eni = rng.random_range(0..pool.enis.len());
        self.hop = rng.random_range(0..pool.enis.len());
        self.start = pool.base + offset + rng.random_range(0..60i64);
        self.status = match rng.random_range(0..1_000u32) {
            0..7 => Status::NoData,
            7..10 => Status::SkipData,
            _ => Status::Ok,
        };
        if self.status != Status::Ok {
            self.end = self.start + rng.random_range(50..=60i64);
            return;
        }
        self.end = self.start + rng.random_range(0..=60i64);
        let eni = &pool.enis[self.eni];
        let v6 = rng.random_range(0..100u32) < 5;
        self.proto = match rng.random_range(0..100u32) {
            0..85 => 6,
            85..97 => 17,
            _ if v6 => 17,
            _ => 1,
        };
        self.egress = rng.random_bool(0.5);
        let local_is_client = rng.random_bool(0.5);
        let (server_port, client_port) = match self.proto {
            6 => (
                TCP_PORTS[rng.random_range(0..TCP_PORTS.len())],
                rng.random_range(1_024..=65_535u16),
            ),
            17 => (
                UDP_PORTS[rng.random_range(0..UDP_PORTS.len())],
                rng.random_range(1_024..=65_535u16),
            ),
            _ => (0, 0),
        };
        let (local_port, peer_port) = if local_is_client {
            (client_port, server_port)
        } else {
            (server_port, client_port)
        };
        let peer_public = rng.random_range(0..100u32) < 40;
        let (local, peer) = if v6 {
            let mut peer = [0u16; 8];
            peer[0] = 0x2001;
            peer[1] = 0xdb8;
            for g in &mut peer[2..] {
                *g = rng.random_range(1..=0xffff);
            }
            (Addr::V6(eni.v6), Addr::V6(peer))
        } else if peer_public {
            (Addr::V4(eni.v4), Addr::V4(public_v4(rng)))
        } else {
            let peer = (10 << 24) | (rng.random::<u32>() & 0x00ff_fffe) | 1;
            (Addr::V4(eni.v4), Addr::V4(peer))
        };
        if self.egress {
            (self.src, self.dst, self.srcport, self.dstport) = (local, peer, local_port, peer_port);
        } else {
            (self.src, self.dst, self.srcport, self.dstport) = (peer, local, peer_port, local_port);
        }
        (self.pkt_src, self.pkt_dst) = (self.src, self.dst);
        // On NAT and transit-gateway ENIs the packet's far end is often not the recorded peer.
        let hop = matches!(eni.kind, SynthKind::NatGateway | SynthKind::TransitGateway);
        if hop && !v6 && rng.random_bool(0.5) {
            let far = Addr::V4(public_v4(rng));
            if self.egress {
                self.pkt_src = far;
            } else {
                self.pkt_dst = far;
            }
        }
        let mut svc = |a: Addr| match a {
            Addr::V4(ip) if ip >> 24 != 10 && rng.random_range(0..100u32) < 35 => {
                Some(SERVICES[rng.random_range(0..SERVICES.len())])
            }
            _ => None,
        };
        self.src_svc = svc(self.pkt_src);
        self.dst_svc = svc(self.pkt_dst);
        if rng.random_range(0..1_000u32) < 3 {
            self.packets = rng.random_range(3_100_000..6_000_000u64);
            self.bytes = self.packets * rng.random_range(1_400..=1_500u64);
        } else {
            self.packets = spread(rng, 1, 20_000);
            let size = if self.proto == 1 {
                rng.random_range(64..=100u64)
            } else {
                rng.random_range(40..=1_500u64)
            };
            self.bytes = self.packets * size;
        }
        self.accept = rng.random_range(0..100u32) < 90;
        self.bpa = !self.accept && rng.random_range(0..100u32) < 15;
        self.flags = if self.proto != 6 {
            0
        } else if !self.accept {
            2
        } else if local_is_client == self.egress {
            CLIENT_FLAGS[rng.random_range(0..CLIENT_FLAGS.len())]
        } else {
            SERVER_FLAGS[rng.random_range(0..SERVER_FLAGS.len())]
        };
        self.path = if self.egress {
            TRAFFIC_PATHS[rng.random_range(0..TRAFFIC_PATHS.len())]
        } else {
            0
        };
        self.has_hop = rng.random_range(0..100u32) < 30;
        self.encryption = rng.random_range(0..5u8);
        self.lost = if rng.random_range(0..100u32) < 3 {
            rng.random_range(1..50u64)
        } else {
            0
        };
    }

    fn write(
        &self,
        col: Col,
        version: u8,
        pool: &SynthPool,
        rng: &mut ChaCha8Rng,
        out: &mut Vec<u8>,
    ) {
        if self.status != Status::Ok && col.is_packet_derived() {
            out.push(b'-');
            return;
        }
        let eni = &pool.enis[self.eni];
        let subnet = &pool.subnets[eni.subnet];
        let vpc = &pool.vpcs[eni.vpc];
        let hop = &pool.enis[self.hop];
        let ecs = eni.ecs.as_ref();
        match col {
            Col::Version => push_u64(out, u64::from(version)),
            Col::AccountId => out.extend_from_slice(eni.account.as_bytes()),
            Col::InterfaceId => out.extend_from_slice(eni.id.as_bytes()),
            Col::SrcAddr => push_addr(out, self.src),
            Col::DstAddr => push_addr(out, self.dst),
            Col::SrcPort => push_u64(out, u64::from(self.srcport)),
            Col::DstPort => push_u64(out, u64::from(self.dstport)),
            Col::Protocol => push_u64(out, u64::from(self.proto)),
            Col::Packets => push_u64(out, self.packets),
            Col::Bytes => push_u64(out, self.bytes),
            Col::Start => push_i64(out, self.start),
            Col::End => push_i64(out, self.end),
            Col::Action => {
                out.extend_from_slice(if self.accept { b"ACCEPT" } else { b"REJECT" });
            }
            Col::LogStatus => out.extend_from_slice(match self.status {
                Status::Ok => b"OK",
                Status::NoData => b"NODATA",
                Status::SkipData => b"SKIPDATA",
            }),
            Col::VpcId => out.extend_from_slice(vpc.id.as_bytes()),
            Col::SubnetId => out.extend_from_slice(subnet.id.as_bytes()),
            Col::InstanceId => push_opt(out, eni.instance.as_deref()),
            Col::TcpFlags => push_u64(out, u64::from(self.flags)),
            Col::Type => out.extend_from_slice(match self.src {
                Addr::V6(_) => b"IPv6",
                _ => b"IPv4",
            }),
            Col::PktSrcAddr => push_addr(out, self.pkt_src),
            Col::PktDstAddr => push_addr(out, self.pkt_dst),
            Col::Region => out.extend_from_slice(vpc.region.as_bytes()),
            Col::AzId => match subnet.sublocation {
                Some(_) => out.push(b'-'),
                None => out.extend_from_slice(subnet.az_id.as_bytes()),
            },
            Col::SublocationType => push_opt(out, subnet.sublocation.as_ref().map(|s| s.0)),
            Col::SublocationId => push_opt(out, subnet.sublocation.as_ref().map(|s| s.1.as_str())),
            Col::PktSrcAwsService => push_opt(out, self.src_svc),
            Col::PktDstAwsService => push_opt(out, self.dst_svc),
            Col::FlowDirection => {
                out.extend_from_slice(if self.egress { b"egress" } else { b"ingress" });
            }
            Col::TrafficPath => match self.path {
                0 => out.push(b'-'),
                p => push_u64(out, u64::from(p)),
            },
            Col::EcsClusterArn => push_opt(out, ecs.map(|t| t.cluster_arn.as_str())),
            Col::EcsClusterName => push_opt(out, ecs.map(|t| t.cluster_name)),
            Col::EcsContainerInstanceArn => push_opt(
                out,
                ecs.and_then(|t| t.container_instance.as_ref().map(|c| c.0.as_str())),
            ),
            Col::EcsContainerInstanceId => push_opt(
                out,
                ecs.and_then(|t| t.container_instance.as_ref().map(|c| c.1.as_str())),
            ),
            Col::EcsContainerId => push_opt(out, ecs.map(|t| t.container_id.as_str())),
            Col::EcsSecondContainerId => {
                push_opt(out, ecs.and_then(|t| t.second_container_id.as_deref()));
            }
            Col::EcsServiceName => push_opt(out, ecs.and_then(|t| t.service)),
            Col::EcsTaskDefinitionArn => push_opt(out, ecs.map(|t| t.task_definition_arn.as_str())),
            Col::EcsTaskArn => push_opt(out, ecs.map(|t| t.task_arn.as_str())),
            Col::EcsTaskId => push_opt(out, ecs.map(|t| t.task_id.as_str())),
            Col::RejectReason => push_opt(out, self.bpa.then_some("BPA")),
            Col::ResourceId => push_opt(out, eni.resource_id.as_deref()),
            Col::EncryptionStatus => match self.encryption {
                4 => out.push(b'-'),
                e => push_u64(out, u64::from(e)),
            },
            Col::InstanceTag => push_opt(out, eni.tags[0]),
            Col::InstanceTag2 => push_opt(out, eni.tags[1]),
            Col::InterfaceTag => push_opt(out, eni.tags[2]),
            Col::InterfaceTag2 => push_opt(out, eni.tags[3]),
            Col::AsgTag => push_opt(out, eni.tags[4]),
            Col::AsgTag2 => push_opt(out, eni.tags[5]),
            Col::InterfaceType => out.extend_from_slice(eni.kind.interface_type().as_bytes()),
            Col::NextHopInterfaceId => push_opt(out, self.has_hop.then_some(hop.id.as_str())),
            Col::NextHopSubnetId => push_opt(
                out,
                self.has_hop.then_some(pool.subnets[hop.subnet].id.as_str()),
            ),
            Col::NextHopAzId => {
                let hop_subnet = &pool.subnets[hop.subnet];
                let az = (self.has_hop && hop_subnet.sublocation.is_none())
                    .then_some(hop_subnet.az_id.as_str());
                push_opt(out, az);
            }
            Col::NextHopVpcId => {
                push_opt(out, self.has_hop.then_some(pool.vpcs[hop.vpc].id.as_str()));
            }
            Col::NextHopInterfaceType => {
                push_opt(out, self.has_hop.then_some(hop.kind.interface_type()));
            }
            Col::ResourceType => out.extend_from_slice(if self.has_hop {
                b"TransitGatewayAttachment"
            } else {
                b"TransitGateway"
            }),
            Col::TgwId => out.extend_from_slice(pool.tgws[vpc.tgw].as_bytes()),
            Col::TgwAttachmentId => out.extend_from_slice(vpc.attachment.as_bytes()),
            Col::TgwPairAttachmentId => {
                out.extend_from_slice(pool.vpcs[hop.vpc].attachment.as_bytes());
            }
            Col::TgwSrcVpcAccountId => out.extend_from_slice(vpc.account.as_bytes()),
            Col::TgwDstVpcAccountId => out.extend_from_slice(pool.vpcs[hop.vpc].account.as_bytes()),
            Col::TgwSrcVpcId => out.extend_from_slice(vpc.id.as_bytes()),
            Col::TgwDstVpcId => out.extend_from_slice(pool.vpcs[hop.vpc].id.as_bytes()),
            Col::TgwSrcSubnetId => out.extend_from_slice(subnet.id.as_bytes()),
            Col::TgwDstSubnetId => out.extend_from_slice(pool.subnets[hop.subnet].id.as_bytes()),
            Col::TgwSrcEni => out.extend_from_slice(eni.id.as_bytes()),
            Col::TgwDstEni => out.extend_from_slice(hop.id.as_bytes()),
            Col::TgwSrcAzId => out.extend_from_slice(subnet.az_id.as_bytes()),
            Col::TgwDstAzId => out.extend_from_slice(pool.subnets[hop.subnet].az_id.as_bytes()),
            Col::PacketsLost => push_u64(out, self.lost),
            Col::Unknown => {
                const ALNUM: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
                let mut bits: u64 = rng.random();
                for _ in 0..8 {
                    out.push(ALNUM[(bits % 36) as usize]);
                    bits /= 36;
                }
            }
        }
    }
}

/// Renders `records` random, valid flow-log records in the layout `fields` (hyphenated field
/// names, any field of any version; unknown names get a random `[a-z0-9]` token), one per line
/// with `\n` endings, after a header line of the field names when `header` is true.
///
/// Values follow each field's rules: `version` is the layout's highest field version, ports
/// 0-65535, protocol 6/17/1, 64-bit byte counts (now and then above 2^32), start/end Unix
/// seconds over 2026-11-20 with `end >= start`, about 1% NODATA/SKIPDATA rows whose
/// packet-derived fields are `-`, about 5% IPv6 rows, `-` for instance-id on requester-managed
/// ENIs, traffic-path on ingress and other fields that may be missing, and AWS-shaped ids.
/// Deterministic for a seed; built for speed (benchmarks generate hundreds of MB with it).
pub fn synthetic_text(seed: u64, records: usize, fields: &[&str], header: bool) -> Vec<u8> {
    let cols: Vec<Col> = fields.iter().map(|f| Col::from_name(f)).collect();
    let version = layout_version(fields);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pool = SynthPool::new(&mut rng);
    let per_record = 12 * fields.len() + 1;
    let mut out = Vec::with_capacity(records.saturating_mul(per_record).min(1 << 31) + 1_024);
    if header {
        out.extend_from_slice(fields.join(" ").as_bytes());
        out.push(b'\n');
    }
    let span = records.max(1) as u64;
    let mut row = SynthRow::default();
    for i in 0..records {
        // Spread the records over one day, in roughly increasing time order.
        let offset = (i as u64 * 86_400 / span) as i64;
        row.fill(&mut rng, &pool, offset);
        for (k, col) in cols.iter().enumerate() {
            if k > 0 {
                out.push(b' ');
            }
            row.write(*col, version, &pool, &mut rng, &mut out);
        }
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn small() -> EstateOptions {
        EstateOptions {
            hours: 3,
            flows_per_hour: 150,
            ..EstateOptions::default()
        }
    }

    /// Every file under `root`, by relative path.
    fn read_tree(root: &Path) -> std::io::Result<BTreeMap<PathBuf, Vec<u8>>> {
        let mut files = BTreeMap::new();
        let mut dirs = vec![root.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                    files.insert(rel, std::fs::read(&path)?);
                }
            }
        }
        Ok(files)
    }

    #[test]
    fn estate_is_byte_identical_across_runs() -> TestResult {
        let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
        let sa = generate_estate(&small(), a.path())?;
        let sb = generate_estate(&small(), b.path())?;
        assert_eq!(sa, sb);
        let (ta, tb) = (read_tree(a.path())?, read_tree(b.path())?);
        assert_eq!(ta.len(), sa.total_files);
        assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
        for (path, bytes) in &ta {
            assert!(tb.get(path) == Some(bytes), "{} differs", path.display());
        }
        let other = tempfile::tempdir()?;
        let opts = EstateOptions { seed: 8, ..small() };
        generate_estate(&opts, other.path())?;
        assert_ne!(
            read_tree(other.path())?,
            ta,
            "another seed gives another estate"
        );
        Ok(())
    }

    #[test]
    fn estate_writes_every_kind_of_output() -> TestResult {
        let dir = tempfile::tempdir()?;
        let s = generate_estate(&small(), dir.path())?;
        // Three text flow logs per hour in account 1, two Hive flow logs per hour in account 2.
        assert_eq!(s.s3_text.files, 9);
        assert_eq!(s.s3_hive_text.files, 6);
        assert_eq!(s.s3_parquet.files, 1);
        assert_eq!(s.cloudwatch.files, 1);
        assert_eq!(s.inventory.files, 13);
        assert_eq!(s.total_files, 9 + 6 + 1 + 1 + 13 + 1);
        let per_flow_log: usize = s.flow_logs.iter().map(|f| f.records).sum();
        assert_eq!(
            per_flow_log,
            s.s3_text.records
                + s.s3_hive_text.records
                + s.s3_parquet.records
                + s.cloudwatch.records
        );

        for (path, bytes) in read_tree(dir.path())? {
            let name = path.to_string_lossy().to_string();
            if name.ends_with(".log.gz") {
                let mut text = String::new();
                flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut text)?;
                let mut lines = text.lines();
                let header: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
                assert!(header[0] == "version", "{name}: header {header:?}");
                assert!(text.ends_with('\n') && !text.contains('\r'));
                for line in lines {
                    assert_eq!(line.split(' ').count(), header.len(), "{name}: {line}");
                }
            } else if name.ends_with(".log.parquet") {
                let file = std::fs::File::open(dir.path().join(&path))?;
                let reader = ParquetRecordBatchReaderBuilder::try_new(file)?;
                let names: Vec<String> = reader
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                assert_eq!(names[1], "account_id");
                assert_eq!(names.len(), PARQUET_FIELDS.len());
                let rows: usize = reader
                    .build()?
                    .map(|b| b.map(|b| b.num_rows()))
                    .sum::<std::result::Result<_, _>>()?;
                assert_eq!(rows, s.s3_parquet.records);
            } else if name.ends_with(".json") {
                let v: Value = serde_json::from_slice(&bytes)?;
                assert!(v.is_object(), "{name}");
            }
        }
        let enis = std::fs::read(
            dir.path()
                .join("inventory/111122223333/us-east-1/describe-network-interfaces.json"),
        )?;
        let enis: Value = serde_json::from_slice(&enis)?;
        let list = enis["NetworkInterfaces"].as_array().map_or(0, Vec::len);
        assert_eq!(list, 15);
        Ok(())
    }

    #[test]
    fn estate_needs_an_hour() {
        let opts = EstateOptions {
            hours: 0,
            ..EstateOptions::default()
        };
        let dir = std::env::temp_dir().join("vpcflow-generate-zero-hours");
        assert!(matches!(generate_estate(&opts, &dir), Err(Error::Usage(_))));
    }

    #[test]
    fn synthetic_text_has_the_requested_shape() {
        let text = synthetic_text(42, 5_000, V5_CUSTOM_FIELDS, true);
        assert!(text.ends_with(b"\n"));
        let text = String::from_utf8_lossy(&text);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5_001);
        assert_eq!(lines[0], V5_CUSTOM_FIELDS.join(" "));
        for line in &lines[1..] {
            let tokens: Vec<&str> = line.split(' ').collect();
            assert_eq!(tokens.len(), V5_CUSTOM_FIELDS.len(), "{line}");
            assert_eq!(tokens[0], "5");
        }
        let no_data = lines.iter().filter(|l| l.contains(" NODATA ")).count();
        assert!((10..150).contains(&no_data), "{no_data} NODATA rows");

        let bare = synthetic_text(42, 100, DEFAULT_FIELDS, false);
        assert_eq!(bare.iter().filter(|b| **b == b'\n').count(), 100);
        assert_eq!(bare, synthetic_text(42, 100, DEFAULT_FIELDS, false));
        assert_ne!(bare, synthetic_text(43, 100, DEFAULT_FIELDS, false));
        assert!(synthetic_text(1, 0, DEFAULT_FIELDS, false).is_empty());
    }

    #[test]
    fn synthetic_text_values_are_valid() {
        let text = synthetic_text(9, 20_000, DEFAULT_FIELDS, false);
        let text = String::from_utf8_lossy(&text);
        let mut big = 0;
        for line in text.lines() {
            let t: Vec<&str> = line.split(' ').collect();
            assert_eq!(t[0], "2");
            assert_eq!(t[1].len(), if t[1] == "unknown" { 7 } else { 12 });
            assert!(t[2].starts_with("eni-0") && t[2].len() == 21);
            let start: i64 = t[10].parse().unwrap_or(-1);
            let end: i64 = t[11].parse().unwrap_or(-2);
            assert!(end >= start && start >= SYNTH_BASE, "{line}");
            if t[13] == "OK" {
                assert!(
                    t[5].parse::<u16>().is_ok() && t[6].parse::<u16>().is_ok(),
                    "{line}"
                );
                assert!(["6", "17", "1"].contains(&t[7]), "{line}");
                assert!(t[3].parse::<std::net::IpAddr>().is_ok(), "{line}");
                assert!(["ACCEPT", "REJECT"].contains(&t[12]));
                if t[9].parse::<u64>().unwrap_or(0) > u64::from(u32::MAX) {
                    big += 1;
                }
            } else {
                assert!(["NODATA", "SKIPDATA"].contains(&t[13]));
                assert!(t[3..10].iter().all(|v| *v == "-") && t[12] == "-", "{line}");
            }
        }
        assert!(big > 0, "some byte counts need 64 bits");
    }

    #[test]
    fn unknown_fields_get_tokens_and_versions_follow_fields() {
        let text = synthetic_text(5, 10, &["version", "made-up-field", "ecs-task-id"], true);
        let text = String::from_utf8_lossy(&text);
        for line in text.lines().skip(1) {
            let t: Vec<&str> = line.split(' ').collect();
            assert_eq!(t[0], "7");
            assert!(t[1].len() == 8 && t[1].bytes().all(|b| b.is_ascii_alphanumeric()));
        }
        assert_eq!(layout_version(DEFAULT_FIELDS), 2);
        assert_eq!(layout_version(PARQUET_FIELDS), 3);
        assert_eq!(layout_version(V5_CUSTOM_FIELDS), 5);
        assert_eq!(layout_version(V8_FIELDS), 8);
        assert_eq!(layout_version(&["next_hop_az_id"]), 11);
    }
}
