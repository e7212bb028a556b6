//! What the subcommands share: the options of every command that reads flow logs
//! ([`InputArgs`]), the inventory option, how a command ends ([`Outcome`]) and how a run's
//! preparation and summary are printed. Subcommands import from here, never from each other.

use std::path::{Path, PathBuf};

use clap::Args;

use super::Reporter;
use crate::error::{Error, Result};
use crate::ingest::discover::{Scope, Window, parse_time};
use crate::ingest::format::Layout;
use crate::ingest::parallel::RunTotals;
use crate::ingest::remote;
use crate::ingest::{Prepared, ReadOptions};
use crate::inventory::{Inventory, Kind};

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went well (exit 0).
    Success,
    /// The work was done but something must be looked at (exit 2): unreadable objects.
    Failed,
    /// The audit found what `--fail-on` names (exit 1).
    Findings,
}

/// Options of every command that reads flow logs.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files, directories (read recursively), S3-layout trees, `s3://bucket/prefix` URLs, or
    /// `-` for standard input.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Field order of header-less input: AWS's `${version} ${account-id} ...` or plain names.
    /// Objects whose first line is a header use their header. Default: the v2 default format.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Keep the records that end at or after TIME (RFC 3339, a date, or Unix seconds). Objects
    /// whose S3 path or file name says they hold only older records are not read at all, and
    /// a dataset's partitions and row groups outside the window are skipped. `ingest` keeps
    /// whole objects (each is recorded once), choosing them by the same path rule.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Keep the records that start before TIME (exclusive); see --since.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Write every bad line (file, line, reason, text) to this file as JSON lines.
    #[arg(long, value_name = "FILE")]
    pub bad_lines: Option<PathBuf>,
    /// Fail (exit 2) when more than N lines are bad.
    #[arg(long, value_name = "N")]
    pub max_bad_lines: Option<u64>,
    /// Print no warnings and no bad lines on stderr (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    /// Read only these accounts, by the S3 key layout of the objects' paths (comma-separated or
    /// repeated). In `s3://` trees other accounts' prefixes are not even listed.
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub account: Vec<String>,
    /// Read only these regions, like --account.
    #[arg(long, value_name = "REGION", value_delimiter = ',')]
    pub region_filter: Vec<String>,
    /// Profile of the shared AWS config and credentials files, for `s3://` inputs (default:
    /// AWS_PROFILE when no AWS_ACCESS_KEY_ID is set, else `default`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Endpoint of an S3-compatible store (default: AWS_ENDPOINT_URL, the profile's, AWS's).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// `s3://` objects fetched at once, ahead of the parser.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub fetch_concurrency: usize,
    /// Exit 0 (with a warning) when no object is found, no record is read, or every line is
    /// bad; without it that is an error (exit 2), and `ingest` commits nothing.
    #[arg(long)]
    pub allow_empty: bool,
}

impl InputArgs {
    /// The reading options these arguments describe (S3 in the default region: see
    /// [`InputArgs::prepare`]).
    pub fn read_options(&self) -> Result<ReadOptions> {
        if self.inputs.is_empty() {
            return Err(Error::Usage(
                "no input: give files, directories, S3-layout trees, an ingested dataset or - \
                 for standard input"
                    .into(),
            ));
        }
        let format = match &self.format {
            Some(f) => {
                Some(Layout::parse_format(f).map_err(|e| Error::Usage(format!("--format: {e}")))?)
            }
            None => None,
        };
        let window = Window {
            since: self.since.as_deref().map(parse_time).transpose()?,
            until: self.until.as_deref().map(parse_time).transpose()?,
        };
        Ok(ReadOptions {
            format,
            window,
            max_line: None,
            scope: Scope {
                accounts: self.account.clone(),
                regions: self.region_filter.clone(),
            },
            connection: self.connection(None),
        })
    }

    /// How to reach S3 for these inputs; `region` is the command's `--region`.
    pub fn connection(&self, region: Option<&str>) -> remote::Connection {
        remote::Connection {
            profile: self.profile.clone(),
            region: region.map(str::to_string),
            endpoint_url: self.endpoint_url.clone(),
            concurrency: self.fetch_concurrency,
        }
    }

    /// The ingested dataset in S3 that the inputs name, if that is what they are: a single
    /// `s3://` prefix holding a committed run.
    pub fn remote_dataset(
        &self,
        region: Option<&str>,
    ) -> Result<Option<remote::dataset::S3Dataset>> {
        remote::dataset::S3Dataset::named_by(&self.inputs, &self.connection(region))
    }

    /// Opens the inputs as one run ([`ingest::open`], local and `s3://` inputs alike);
    /// `region` is the command's `--region`.
    pub fn prepare(&self, read: &ReadOptions, region: Option<&str>) -> Result<Prepared> {
        let read = ReadOptions {
            connection: self.connection(region),
            ..read.clone()
        };
        crate::ingest::open(&self.inputs, &read)
    }

    /// The reporter for bad lines and warnings these arguments ask for.
    pub fn reporter(&self) -> Result<Reporter> {
        Reporter::new(self.bad_lines.as_deref(), self.quiet)
            .map_err(|e| Error::Usage(format!("--bad-lines: {e}")))
    }

    /// Reports a run that read nothing worth reading ([`emptiness`]): an error, which makes the
    /// run exit 2, or with --allow-empty a warning. Whether it was empty.
    pub fn check_empty(&self, totals: &RunTotals, reporter: &Reporter) -> bool {
        let Some(why) = emptiness(totals) else {
            return false;
        };
        if self.allow_empty {
            reporter.warn(&why);
        } else {
            reporter.error(&format!("{why} (--allow-empty accepts an empty run)"));
        }
        true
    }
}

/// Why a run read nothing worth reading, if it did not: no flow-log object found, objects
/// without a single record, or objects whose every line was bad. `None` once a record was read.
fn emptiness(t: &RunTotals) -> Option<String> {
    if t.counts.records > 0 {
        return None;
    }
    if t.files == 0 {
        return Some(if t.files_failed > 0 {
            "no object could be read: nothing was seen".to_string()
        } else {
            "no flow-log object found in the inputs (or none in the window): check the path; in \
             folders only .log, .gz, .log.parquet and .txt objects are read"
                .to_string()
        });
    }
    if t.bad_lines > 0 {
        let (reason, _) = t
            .bad_lines_by_reason
            .iter()
            .max_by_key(|(_, n)| **n)
            .unwrap_or((&"bad", &0));
        return Some(format!(
            "every line of the {} object(s) read was bad (mostly {reason}): not a flow log? If \
             the first line is not a header, pass --format",
            t.files
        ));
    }
    Some(format!(
        "no record in the {} object(s) read: empty or header-only objects",
        t.files
    ))
}

/// Loads the inventory that `--inventory DIR` names. Errors name the option, and a folder
/// without a single inventory file is one error rather than a warning per missing file.
pub(crate) fn load_inventory(dir: &Path, region: Option<&str>) -> Result<Inventory> {
    let refuse = |reason: String| Error::Usage(format!("--inventory {}: {reason}", dir.display()));
    if !dir.exists() {
        return Err(refuse("no such file or directory".into()));
    }
    let inventory = Inventory::load(dir, region).map_err(|e| refuse(e.to_string()))?;
    if !Kind::ALL.iter().any(|k| inventory.has(*k)) {
        return Err(refuse(
            "no inventory file in it: it needs the JSON of `aws ec2 describe-network-interfaces`, \
             `describe-vpcs`, ... and AWS's ip-ranges.json (see the README)"
                .into(),
        ));
    }
    Ok(inventory)
}

/// Prints what preparing a run found worth saying.
pub(crate) fn report_prepared(p: &Prepared, reporter: &Reporter) {
    for w in &p.warnings {
        reporter.warn(w);
    }
    for (path, why) in &p.discovery.skipped {
        reporter.warn(&format!("{}: skipped: {why}", path.display()));
    }
    for e in &p.discovery.errors {
        reporter.error(e);
    }
}

/// Prints a value as pretty JSON on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Data(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| Error::io("<stdout>", e))
}
