//! The files of the estate: where each flow log's objects go (plain or Hive S3 layout, Parquet,
//! CloudWatch export), what they are called, and the tallies of what was written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::estate::{Delivery, Estate, FlowLog};
use super::layouts::layout_version;
use super::render::{fnv1a, gzip, render_parquet, render_text};
use super::traffic::{Row, hour_of};
use super::{EstateSummary, FlowLogTally};
use crate::error::{Error, Result};

/// Writes files under the output directory and keeps the tallies.
pub(crate) struct Output {
    root: PathBuf,
    /// What has been written so far.
    pub(crate) summary: EstateSummary,
}

impl Output {
    /// Output under `root`, with a tally for every flow log of the estate.
    pub(crate) fn new(root: &Path, e: &Estate) -> Output {
        let flow_logs = e
            .flow_logs
            .iter()
            .map(|fl| FlowLogTally {
                flow_log_id: fl.id.to_string(),
                account_id: fl.account.to_string(),
                region: fl.region.to_string(),
                delivery: fl.delivery.name().to_string(),
                version: layout_version(&fl.fields),
                fields: fl.fields.join(" "),
                files: 0,
                records: 0,
            })
            .collect();
        Output {
            root: root.to_path_buf(),
            summary: EstateSummary {
                flow_logs,
                ..EstateSummary::default()
            },
        }
    }

    /// Writes one file at `rel` below the root, creating its directory.
    pub(crate) fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        self.summary.total_files += 1;
        self.summary.total_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Writes an inventory file: JSON indented by four spaces, as the AWS CLI prints it.
    pub(crate) fn write_json(&mut self, rel: &str, value: &Value) -> Result<()> {
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

    /// The objects of one delivery hour's records: one per flow log (per ENI for CloudWatch).
    pub(crate) fn flow_logs(&mut self, e: &Estate, rows: &[Row], t0: i64) -> Result<()> {
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
            let hour_start = t0 + i64::from(hour) * 3_600;
            let t = DateTime::from_timestamp(hour_start, 0)
                .ok_or_else(|| Error::Usage(format!("start time {hour_start} is out of range")))?;
            let files_before = self.summary.total_files;
            self.flow_log_hour(e, &e.flow_logs[fl_ix], t, &group)?;
            let files = self.summary.total_files - files_before;
            let tally = &mut self.summary.flow_logs[fl_ix];
            tally.files += files;
            tally.records += group.len();
        }
        Ok(())
    }

    /// The objects of one flow log for the hour starting at `t`.
    fn flow_log_hour(
        &mut self,
        e: &Estate,
        fl: &FlowLog,
        t: DateTime<Utc>,
        group: &[&Row],
    ) -> Result<()> {
        match fl.delivery {
            Delivery::S3Text | Delivery::S3Hive => {
                let text = render_text(&fl.fields, group, true);
                let data = gzip(&text).map_err(|err| Error::io(&self.root, err))?;
                let name = object_name(fl, t, fnv1a(&text), "log.gz");
                self.write(&format!("{}/{name}", s3_dir(fl, t)), &data)?;
                let tally = if fl.delivery == Delivery::S3Hive {
                    &mut self.summary.s3_hive_text
                } else {
                    &mut self.summary.s3_text
                };
                tally.files += 1;
                tally.records += group.len();
            }
            Delivery::S3Parquet { .. } => {
                let data = render_parquet(&fl.fields, group)?;
                let name = object_name(fl, t, fnv1a(&data), "log.parquet");
                self.write(&format!("{}/{name}", s3_dir(fl, t)), &data)?;
                self.summary.s3_parquet.files += 1;
                self.summary.s3_parquet.records += group.len();
            }
            Delivery::CloudWatch { .. } => self.cloudwatch(e, fl, group)?,
        }
        Ok(())
    }

    /// A CloudWatch Logs export: one log stream per ENI, named `<eni>-all`, without a header.
    fn cloudwatch(&mut self, e: &Estate, fl: &FlowLog, group: &[&Row]) -> Result<()> {
        let mut by_eni: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for row in group {
            by_eni.entry(&e.enis[row.eni].id).or_default().push(row);
        }
        for (eni, stream) in by_eni {
            let text = render_text(&fl.fields, &stream, false);
            self.write(&format!("cloudwatch/{eni}-all.log"), &text)?;
            self.summary.cloudwatch.files += 1;
            self.summary.cloudwatch.records += stream.len();
        }
        Ok(())
    }
}

/// An S3 object name as AWS writes it: account, region, flow log, hour, a content hash.
fn object_name(fl: &FlowLog, t: DateTime<Utc>, hash: u32, extension: &str) -> String {
    format!(
        "{}_vpcflowlogs_{}_{}_{}_{hash:08x}.{extension}",
        fl.account,
        fl.region,
        fl.id,
        t.format("%Y%m%dT%H%MZ")
    )
}

/// The S3 prefix of the hour starting at `t`: Hive-style partitions or the plain layout.
fn s3_dir(fl: &FlowLog, t: DateTime<Utc>) -> String {
    if fl.delivery == Delivery::S3Hive {
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
    }
}
