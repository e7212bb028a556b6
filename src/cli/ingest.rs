//! `vpcflow ingest`: raw flow logs -> a date-partitioned Parquet dataset, atomically and
//! incrementally (what a run reads and records is `ingest::ledger`'s).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use super::Reporter;
use super::common::{Bar, InputArgs, Outcome, print_json, report_prepared};
use crate::error::{Error, Result};
use crate::ingest::decode::DecodeConfig;
use crate::ingest::discover::is_remote;
use crate::ingest::ledger::{Ledger, Mode};
use crate::ingest::parallel::{self, FailedInput, Progress, RunOptions, RunTotals};
use crate::ingest::remote::dataset::S3Dataset;
use crate::ingest::sink::{Dataset, RunWriter};
use crate::ingest::{self, Prepared};

/// Arguments of `vpcflow ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// What to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// The dataset directory (created if missing), or an `s3://bucket/prefix`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Region of `s3://` inputs' buckets (default: AWS_REGION, the profile's, us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Rebuild the dataset from this run's inputs, even those already ingested; the data of
    /// earlier runs is replaced when this run commits.
    #[arg(long)]
    pub force: bool,
    /// Read again the inputs recorded as damaged (only their good part was kept) that this
    /// run finds, with the other inputs of the runs that hold them: those runs are replaced
    /// when this one commits, so that no record counts twice. For an object repaired or
    /// delivered again after a damaged read.
    #[arg(long, conflicts_with = "force")]
    pub retry_damaged: bool,
    /// For an `s3://` dataset: how long its lock holds without renewal (it is renewed every
    /// third of this while the ingest runs). A lock left by an ingest that died is taken over
    /// once this has passed since its last renewal.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub lock_lease: std::time::Duration,
    /// `json` prints a machine-readable run summary on stdout.
    #[arg(long, short, value_enum, default_value_t = SummaryFormat::Text)]
    pub output: SummaryFormat,
}

/// How the run summary is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    /// A few lines on stderr.
    Text,
    /// One JSON object on stdout.
    Json,
}

/// The run summary (`--output json`).
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The dataset directory.
    pub dataset: String,
    /// Objects parsed in this run.
    pub files: u64,
    /// Objects with a file-level error.
    pub files_failed: u64,
    /// Each of them: `path`, `reason`, and `records_kept` (true for a damaged object whose
    /// good part was kept: it is recorded as ingested, with its damage; false: nothing of it
    /// was kept, it is not recorded, and the next run tries it again).
    pub failed: Vec<FailedInput>,
    /// Objects skipped because they were ingested before.
    pub already_ingested: u64,
    /// Damaged objects read again (`--retry-damaged`).
    pub damaged_retried: u64,
    /// Objects skipped because they changed since they were ingested.
    pub changed_since_ingest: u64,
    /// Objects skipped by --since/--until.
    pub outside_window: u64,
    /// Objects in the trees that are not read, each named in a warning: not flow logs, a
    /// dataset, or a log beside its own gzip copy.
    pub not_flow_logs: u64,
    /// Records parsed (all log statuses).
    pub records: u64,
    /// NODATA records.
    pub nodata: u64,
    /// SKIPDATA records.
    pub skipdata: u64,
    /// Bad lines, in total and by reason.
    pub bad_lines: BadLines,
    /// Bytes read from the objects.
    pub bytes_read: u64,
    /// Rows written to the dataset.
    pub rows_written: u64,
    /// Parquet files this run added.
    pub files_written: usize,
    /// Wall time.
    pub seconds: f64,
}

/// Bad-line counts.
#[derive(Debug, Serialize)]
pub struct BadLines {
    /// All bad lines.
    pub total: u64,
    /// By reason.
    pub by_reason: BTreeMap<&'static str, u64>,
}

/// Runs the ingest.
pub fn run(args: IngestArgs, opts: RunOptions) -> Result<Outcome> {
    let started = Instant::now();
    let read = args.input.read_options(args.region.as_deref())?;
    let reporter = args.input.reporter()?;
    let mut listing = ingest::find(&args.input.inputs, &read)?;
    let out_existed = args.out.exists();
    // A dataset in S3 is written through a local staging dataset, then committed to S3.
    let (dataset, remote_out, _staging) = if is_remote(&args.out) {
        let out = S3Dataset::open(
            &args.out.to_string_lossy(),
            &read.connection,
            args.lock_lease,
        )?;
        if let Some(warning) = out.took_over() {
            reporter.warn(warning);
        }
        let staging = tempfile::Builder::new()
            .prefix("vpcflow-ingest-")
            .tempdir()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        (Dataset::open(staging.path())?, Some(out), Some(staging))
    } else {
        (Dataset::open(&args.out)?, None, None)
    };
    let manifests = match &remote_out {
        Some(out) => out.committed().to_vec(),
        None => dataset.manifests()?,
    };
    let mode = if args.retry_damaged {
        Mode::RetryDamaged
    } else if args.force {
        Mode::Force
    } else {
        Mode::Incremental
    };
    let mut ledger = Ledger::plan(&manifests, &mut listing.discovery.found, mode)?;
    for path in &ledger.changed {
        reporter.warn(&format!(
            "{}: changed since it was ingested; skipped (use --force to rebuild the dataset)",
            path.display()
        ));
    }
    let prepared = ingest::prepare(listing, &read)?;
    report_prepared(&prepared, &reporter);
    let cfg = Arc::new(DecodeConfig::new(prepared.columns.clone(), None));
    let mut writer = dataset.writer(cfg.schema.clone())?;
    let (totals, write_error) = parse_into(&prepared, cfg, opts, &reporter, &mut writer);
    reporter.finish()?;
    if let Some(e) = write_error {
        dataset.abort(writer);
        return Err(e);
    }
    if let Some(e) = refusal(&totals, args.input.max_bad_lines) {
        dataset.abort(writer);
        return Err(e);
    }
    // Nothing read is loud, unless every object found was ingested before (a rerun).
    let rerun =
        ledger.already + ledger.changed.len() as u64 > 0 && totals.files + totals.files_failed == 0;
    if !rerun && args.input.check_empty(&totals, &reporter) && !args.input.allow_empty {
        dataset.abort(writer);
        if !out_existed && remote_out.is_none() {
            let _ = std::fs::remove_dir_all(&args.out);
        }
        return Ok(Outcome::Failed);
    }
    let unread = ledger.settle(&totals.failed);
    let rows_written = writer.rows();
    let manifest = dataset.commit(
        writer,
        ledger.records.clone(),
        unread,
        ledger.replaces.clone(),
    )?;
    if let Some(out) = &remote_out {
        out.commit(dataset.root(), &manifest)?;
    }
    let summary = Summary {
        dataset: args.out.display().to_string(),
        files: totals.files,
        files_failed: totals.files_failed,
        failed: totals.failed.clone(),
        already_ingested: ledger.already,
        damaged_retried: ledger.damaged_retried,
        changed_since_ingest: ledger.changed.len() as u64,
        outside_window: prepared.discovery.outside_window as u64,
        not_flow_logs: prepared.discovery.skipped.len() as u64,
        records: totals.counts.records,
        nodata: totals.counts.nodata,
        skipdata: totals.counts.skipdata,
        bad_lines: BadLines {
            total: totals.bad_lines,
            by_reason: totals.bad_lines_by_reason.clone(),
        },
        bytes_read: totals.bytes_read,
        rows_written,
        files_written: manifest.files.len(),
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    };
    print_summary(&summary, args.output, args.input.quiet)?;
    if totals.files_failed > 0 || reporter.errors() > 0 {
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Success)
}

/// Parses the run into the writer, with a progress bar on a terminal; the run's totals, and
/// the error that stopped the writing, if one did.
fn parse_into(
    prepared: &Prepared,
    cfg: Arc<DecodeConfig>,
    opts: RunOptions,
    reporter: &Reporter,
    writer: &mut RunWriter,
) -> (RunTotals, Option<Error>) {
    let progress = Arc::new(Progress::default());
    let bar = Bar::start(&progress, prepared.size());
    let mut run = parallel::start_watched(
        prepared.inputs.clone(),
        cfg,
        opts,
        Box::new(reporter.clone()),
        progress,
    );
    let mut write_error = None;
    while let Some(batch) = run.batches.blocking_recv() {
        if let Err(e) = writer.write(&batch) {
            write_error = Some(e);
            break;
        }
    }
    let totals = run.finish();
    drop(bar);
    (totals, write_error)
}

/// Why a run that read its inputs must not commit: objects that changed while they were read,
/// or more bad lines than `--max-bad-lines` allows.
fn refusal(totals: &RunTotals, max_bad_lines: Option<u64>) -> Option<Error> {
    if totals.files_changed > 0 {
        return Some(Error::ChangedWhileRead(totals.files_changed));
    }
    match max_bad_lines {
        Some(max) if totals.bad_lines > max => Some(Error::TooManyBadLines {
            found: totals.bad_lines,
            allowed: max,
        }),
        _ => None,
    }
}

/// Prints the run summary: JSON on stdout, or a line on stderr unless `quiet`.
fn print_summary(summary: &Summary, format: SummaryFormat, quiet: bool) -> Result<()> {
    match format {
        SummaryFormat::Json => print_json(summary),
        SummaryFormat::Text => {
            if !quiet {
                eprintln!(
                    "ingested {} records ({} NODATA, {} SKIPDATA) from {} objects into {} ({} files); {} bad lines; {} objects already ingested",
                    summary.records,
                    summary.nodata,
                    summary.skipdata,
                    summary.files,
                    summary.dataset,
                    summary.files_written,
                    summary.bad_lines.total,
                    summary.already_ingested
                );
            }
            Ok(())
        }
    }
}
