//! The field layouts the generator writes, and what the writers ask the field registry.
//!
//! Layouts are lists of hyphenated field names in record order. Which version a layout carries
//! and which Parquet type a column gets are registry facts ([`crate::ingest::fields`]): a field
//! added there is known here with no change. Names the registry does not know count as
//! version 2 and are written as text.

use arrow::datatypes::DataType;

use crate::ingest::fields;

/// The default (version 2) flow-log format, in AWS's order.
pub const DEFAULT_FIELDS: &[&str] = fields::DEFAULT_FORMAT;

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
pub(crate) const V8_FIELDS: &[&str] = &[
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

/// Fields of the estate's Parquet flow log (a version 3 format): the default format followed by
/// the VPC and subnet. Its column names use underscores.
pub(crate) fn parquet_fields() -> Vec<&'static str> {
    [DEFAULT_FIELDS, &["vpc-id", "subnet-id"]].concat()
}

/// The flow-log version that introduced a field, from the registry; unknown fields count as 2.
fn field_version(name: &str) -> u8 {
    fields::find(name).map_or(2, |f| f.version)
}

/// The `version` a record of this layout carries: the highest version among its fields.
pub(crate) fn layout_version(fields: &[&str]) -> u8 {
    fields
        .iter()
        .map(|f| field_version(f))
        .max()
        .unwrap_or(2)
        .max(2)
}

/// The Arrow type of a field in an AWS-style Parquet object, from the registry; unknown fields
/// are text.
pub(crate) fn parquet_type(name: &str) -> DataType {
    fields::find(name).map_or(DataType::Utf8, |f| f.kind.delivery_type())
}
