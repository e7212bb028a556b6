//! The AWS inventory: `aws ec2 describe-*` JSON and ip-ranges.json -> Arrow tables.
pub mod ip_ranges;
