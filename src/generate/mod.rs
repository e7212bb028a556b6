//! Synthetic VPC Flow Log data: the sample estate behind `sample-logs/` and fast random records
//! for benchmarks.
//!
//! This module owns everything vpcflow *writes* as test input. [`generate_estate`] builds a small
//! AWS estate (two accounts, their VPCs, subnets, route tables, NAT gateways zonal and regional,
//! VPC endpoints, Elastic IPs, instances and a database), renders its traffic as flow-log records
//! on every ENI each flow crosses, and writes the files AWS would deliver for it: gzipped S3 text
//! objects in the plain and Hive layouts, an AWS-style Parquet object, a header-less CloudWatch
//! export, `aws ec2 describe-*` JSON and a subset of `ip-ranges.json`. [`synthetic_text`] renders
//! random but valid records in any field layout, fast, for throughput benchmarks. Output depends
//! only on the seed and the options: no clock, no hash-map order, fixed gzip and Parquet
//! settings. Reading and classifying the data is left to the rest of the crate.
//!
//! What each field is (its spelling, version and type) comes from the field registry,
//! [`crate::ingest::fields`]; this module only knows which values to write. The rooms:
//!
//! - `layouts`: the field layouts the estate's flow logs use, and the registry facts the writers
//!   need (a layout's version, a field's Parquet type).
//! - `estate`: the estate's model (accounts, VPCs, subnets, ENIs, NAT gateways, endpoints, route
//!   tables), how it is built from the seed, and the public peers it talks to.
//! - `traffic`: connection profiles, how a connection becomes records on every ENI it crosses,
//!   and what each account does hour by hour.
//! - `render`: records to text, gzip and Parquet bytes.
//! - `output`: the files written, their S3 object names and the tallies.
//! - `inventory`: the `describe-*` JSON and `ip-ranges.json`.
//! - `readme`: the estate's `README.md`.
//! - `synthetic`: [`synthetic_text`], random records in any layout for load tests.

mod estate;
mod inventory;
mod layouts;
mod output;
mod readme;
mod render;
mod synthetic;
#[cfg(test)]
mod tests;
mod traffic;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::error::{Error, Result};

pub use estate::MAX_INTERNET_PEERS;
pub use layouts::{DEFAULT_FIELDS, V5_CUSTOM_FIELDS};
pub use synthetic::synthetic_text;

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
    /// Internet peers of each kind (web servers, scanners, HTTPS clients). `None`: a few dozen,
    /// as a small estate has; a large number makes the traffic less repetitive (more distinct
    /// ENI and address pairs), for benchmarks. At most [`MAX_INTERNET_PEERS`].
    pub internet_peers: Option<usize>,
}

impl Default for EstateOptions {
    /// Seed 7, six hours from 2026-11-20T08:00:00Z, sized so the whole estate is about 1.3 MB.
    fn default() -> Self {
        EstateOptions {
            seed: 7,
            start: Utc
                .with_ymd_and_hms(2026, 11, 20, 8, 0, 0)
                .single()
                .unwrap_or_default(),
            hours: 6,
            flows_per_hour: 2_500,
            internet_peers: None,
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

/// Writes the sample estate into `out` (directories are created; files of the same name are
/// replaced, other files are left alone) and returns what was written.
///
/// The estate: account 111122223333 (us-east-1, VPC "prod" with a NAT gateway, interface and
/// gateway endpoints, app servers, a bastion, a batch worker, a monitoring instance and an RDS
/// database, and an Elastic IP associated with nothing) and account 044455556666 (eu-west-1,
/// VPC "analytics" with an overlapping CIDR, a regional NAT gateway and an S3 interface
/// endpoint with private DNS off). Its traffic is recorded on every ENI it crosses, each ENI by
/// exactly one flow log, in three text layouts, Hive and plain S3 layouts, one Parquet object
/// and one CloudWatch export, next to `inventory/` JSON in the shape `aws ec2 describe-…`
/// prints and a `README.md` describing it all. The same options always give byte-identical
/// files.
pub fn generate_estate(opts: &EstateOptions, out: &Path) -> Result<EstateSummary> {
    if opts.hours == 0 {
        return Err(Error::Usage("the estate needs at least one hour".into()));
    }
    let t0 = opts.start.timestamp().div_euclid(3_600) * 3_600;
    let estate = estate::build(opts);
    let mut output = output::Output::new(out, &estate);
    traffic::emit_flows(&estate, opts, t0, |rows| {
        output.flow_logs(&estate, &rows, t0)
    })?;
    inventory::write(&mut output, &estate, opts)?;
    let readme = readme::text(&estate, opts, &output.summary);
    output.write("README.md", readme.as_bytes())?;
    Ok(output.summary)
}
