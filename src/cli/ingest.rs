//! `vpcflow ingest`: raw flow logs -> a date-partitioned Parquet dataset, atomically and
//! incrementally (objects already ingested are skipped by path, size and modification time;
//! `s3://` objects by URL, size and ETag). Only what was read is recorded as ingested: an
//! object that could not be read, with nothing kept of it, is left for the next run.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use super::{InputArgs, Outcome, report_prepared};
use crate::error::{Error, Result};
use crate::ingest::decode::DecodeConfig;
use crate::ingest::discover::Found;
use crate::ingest::parallel::{self, FailedInput, RunOptions};
use crate::ingest::prepare_found;
use crate::ingest::sink::{Dataset, IngestedInput, Manifest, Unread};
use crate::remote;
use crate::remote::dataset::S3Dataset;

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
    /// Objects in the trees that are not flow logs.
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

fn key(f: &Found) -> Option<String> {
    if f.path.as_os_str() == "-" {
        return None;
    }
    if remote::is_remote(&f.path) {
        return Some(f.path.display().to_string());
    }
    std::fs::canonicalize(&f.path)
        .ok()
        .map(|p| p.display().to_string())
}

/// Runs the ingest.
pub fn run(args: IngestArgs, opts: RunOptions) -> Result<Outcome> {
    let started = Instant::now();
    let read = args.input.read_options()?;
    let reporter = args.input.reporter()?;
    let (mut discovery, fetcher) = args.input.discover(&read, args.region.as_deref())?;
    let out_existed = args.out.exists();
    // A dataset in S3 is written through a local staging dataset, then committed to S3.
    let (dataset, remote_out, _staging) = if remote::is_remote(&args.out) {
        let conn = args.input.connection(args.region.as_deref());
        let out = S3Dataset::open(&args.out.to_string_lossy(), &conn, args.lock_lease)?;
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
    let known: BTreeMap<&str, &IngestedInput> = manifests
        .iter()
        .flat_map(|m| &m.inputs)
        .map(|i| (i.path.as_str(), i))
        .collect();
    let (redo, replaces) = if args.retry_damaged {
        let found: BTreeSet<String> = discovery.found.iter().filter_map(key).collect();
        retry_plan(&manifests, &found)?
    } else if args.force {
        (
            BTreeSet::new(),
            manifests.iter().map(|m| m.run.clone()).collect(),
        )
    } else {
        (BTreeSet::new(), Vec::new())
    };
    let damaged_retried = known
        .values()
        .filter(|i| i.damaged.is_some() && redo.contains(&i.path))
        .count() as u64;
    let (mut already, mut changed) = (0u64, 0u64);
    let mut records: Vec<IngestedInput> = Vec::new();
    // The key each object is recorded under, by the name the reader reports it with.
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    discovery.found.retain(|f| {
        let Some(k) = key(f) else { return true };
        keys.insert(f.path.display().to_string(), k.clone());
        if !args.force
            && !redo.contains(&k)
            && let Some(prev) = known.get(k.as_str())
        {
            let same = match (&prev.etag, &f.etag) {
                (Some(a), Some(b)) => prev.size == f.size && a == b,
                _ => prev.size == f.size && prev.modified == f.modified,
            };
            if same {
                already += 1;
            } else {
                changed += 1;
                reporter.warn(&format!(
                    "{}: changed since it was ingested; skipped (use --force to rebuild the dataset)",
                    f.path.display()
                ));
            }
            return false;
        }
        records.push(IngestedInput {
            path: k,
            size: f.size,
            modified: f.modified,
            etag: f.etag.clone(),
            damaged: None,
        });
        true
    });
    let mut prepared = prepare_found(discovery, &read)?;
    if let Some(f) = &fetcher {
        remote::attach(&mut prepared.inputs, f);
    }
    report_prepared(&prepared, &reporter);
    let cfg = Arc::new(DecodeConfig::new(prepared.columns.clone(), None));
    let mut writer = dataset.writer(cfg.schema.clone())?;
    let progress = progress_bar();
    let mut run = parallel::start(
        prepared.inputs.clone(),
        cfg,
        opts,
        Box::new(reporter.clone()),
    );
    let mut write_error = None;
    while let Some(batch) = run.batches.blocking_recv() {
        if let Err(e) = writer.write(&batch) {
            write_error = Some(e);
            break;
        }
        if let Some(p) = &progress {
            p.set_message(format!("{} records", writer.rows()));
        }
    }
    let totals = run.finish();
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    reporter.finish()?;
    if let Some(e) = write_error {
        dataset.abort(writer);
        return Err(e);
    }
    if totals.files_changed > 0 {
        dataset.abort(writer);
        return Err(Error::ChangedWhileRead(totals.files_changed));
    }
    if let Some(max) = args.input.max_bad_lines
        && totals.bad_lines > max
    {
        dataset.abort(writer);
        return Err(Error::TooManyBadLines {
            found: totals.bad_lines,
            allowed: max,
        });
    }
    // Nothing read is loud, unless every object found was ingested before (a rerun).
    let rerun = already + changed > 0 && totals.files + totals.files_failed == 0;
    if !rerun && args.input.check_empty(&totals, &reporter) && !args.input.allow_empty {
        dataset.abort(writer);
        if !out_existed && remote_out.is_none() {
            let _ = std::fs::remove_dir_all(&args.out);
        }
        return Ok(Outcome::Failed);
    }
    let unread = settle_failures(&totals.failed, &keys, &mut records);
    let rows_written = writer.rows();
    let manifest = dataset.commit(writer, records, unread, replaces)?;
    if let Some(out) = &remote_out {
        out.commit(dataset.root(), &manifest)?;
    }
    let summary = Summary {
        dataset: args.out.display().to_string(),
        files: totals.files,
        files_failed: totals.files_failed,
        failed: totals.failed.clone(),
        already_ingested: already,
        damaged_retried,
        changed_since_ingest: changed,
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
    match args.output {
        SummaryFormat::Json => {
            super::print_json(&summary)?;
        }
        SummaryFormat::Text => {
            if !args.input.quiet {
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
        }
    }
    if totals.files_failed > 0 || reporter.errors() > 0 {
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Success)
}

/// What `--retry-damaged` reads again: every input of the runs that hold a damaged input this
/// run finds (`found`, by key), and those runs, which this one replaces. A run whose other
/// inputs are not all found cannot be rebuilt, and is an error that names them.
fn retry_plan(
    manifests: &[Manifest],
    found: &BTreeSet<String>,
) -> Result<(BTreeSet<String>, Vec<String>)> {
    let mut redo = BTreeSet::new();
    let mut runs = Vec::new();
    for m in manifests {
        if !m
            .inputs
            .iter()
            .any(|i| i.damaged.is_some() && found.contains(&i.path))
        {
            continue;
        }
        let missing: Vec<&str> = m
            .inputs
            .iter()
            .map(|i| i.path.as_str())
            .filter(|p| !found.contains(*p))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Usage(format!(
                "--retry-damaged: the damaged inputs of run {} are read again with the other \
                 inputs of that run, and this run does not find {}; give them as inputs too",
                m.run,
                missing.join(", ")
            )));
        }
        redo.extend(m.inputs.iter().map(|i| i.path.clone()));
        runs.push(m.run.clone());
    }
    Ok((redo, runs))
}

/// Applies the run's failures to what it records: an object with records kept is recorded
/// with its damage; one with nothing kept is dropped from the record (so the next run reads it
/// again) and returned as unread.
fn settle_failures(
    failed: &[FailedInput],
    keys: &BTreeMap<String, String>,
    records: &mut Vec<IngestedInput>,
) -> Vec<Unread> {
    let mut unread = Vec::new();
    for f in failed {
        let Some(key) = keys.get(&f.path) else {
            continue;
        };
        if f.records_kept {
            if let Some(r) = records.iter_mut().find(|r| &r.path == key) {
                r.damaged = Some(f.reason.clone());
            }
        } else {
            records.retain(|r| &r.path != key);
            unread.push(Unread {
                path: key.clone(),
                reason: f.reason.clone(),
            });
        }
    }
    unread
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let p = indicatif::ProgressBar::new_spinner();
    p.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(p)
}
