//! `vpcflow query`: read-only SQL over `flows`, from raw logs or an ingested dataset.

use std::sync::{Arc, Mutex};

use clap::Args;

use super::{InputArgs, Outcome, Reporter, report_prepared};
use crate::error::{Error, Result};
use crate::ingest::discover::dataset_root;
use crate::ingest::parallel::{RunOptions, RunTotals};
use crate::ingest::prepare;
use crate::inventory::Inventory;
use futures::StreamExt;

use crate::report::{Format, Renderer};
use crate::sql::session::{FlowsSource, read_only_sql, session};

/// Arguments of `vpcflow query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL statement; the table is `flows`.
    pub sql: String,
    /// What to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// The AWS inventory: describe-* JSON and ip-ranges.json, found anywhere under DIR. Adds the
    /// inventory tables (enis, vpc_endpoints, nat_gateways, vpcs, subnets, routes, ...) and the
    /// flows_classified view (each record with its traffic_class; see `vpcflow report`).
    #[arg(long, value_name = "DIR")]
    pub inventory: Option<std::path::PathBuf>,
    /// Region of inventory files that name none (e.g. describe-vpcs outside a region folder).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

/// Runs the query.
pub fn run(args: QueryArgs, opts: RunOptions) -> Result<Outcome> {
    let reporter = args.input.reporter()?;
    let inventory = load_inventory(args.inventory.as_deref(), args.region.as_deref())?;
    let (source, totals) = flows_source(&args.input, opts, &reporter)?;
    // Rows are written as they arrive (the table waits for all of them), so a large result
    // needs no memory. A run with too many bad lines still ends with exit 2.
    let stdout = std::io::stdout().lock();
    runtime(opts)?.block_on(async {
        let ctx = session(source, inventory.as_ref(), None).await?;
        let df = read_only_sql(&ctx, &args.sql).await?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let mut stream = df.execute_stream().await?;
        let mut out = Renderer::new(std::io::BufWriter::new(stdout), args.output, schema);
        while let Some(batch) = stream.next().await {
            out.write(&batch?)?;
        }
        out.finish()
    })?;
    finish(&reporter, &totals, args.input.max_bad_lines)
}

/// The inventory under `dir`, if one is given.
pub(super) fn load_inventory(
    dir: Option<&std::path::Path>,
    region: Option<&str>,
) -> Result<Option<Inventory>> {
    dir.map(|d| Inventory::load(d, region)).transpose()
}

/// Where `flows` reads from: the ingested dataset the inputs name, or the raw logs (whose
/// discovery is reported now, and whose scans add their totals to the returned list).
pub(super) fn flows_source(
    input: &InputArgs,
    opts: RunOptions,
    reporter: &Reporter,
) -> Result<(FlowsSource, Arc<Mutex<Vec<RunTotals>>>)> {
    let totals = Arc::new(Mutex::new(Vec::new()));
    let source = match dataset_root(&input.inputs) {
        Some(root) => FlowsSource::Dataset(root),
        None => {
            let prepared = prepare(&input.inputs, &input.read_options()?)?;
            report_prepared(&prepared, reporter);
            let r = reporter.clone();
            FlowsSource::Raw {
                inputs: prepared.inputs,
                columns: prepared.columns,
                options: opts,
                diagnostics: Arc::new(move || Box::new(r.clone())),
                totals: totals.clone(),
            }
        }
    };
    Ok((source, totals))
}

/// The runtime queries run on, with one worker per parser thread.
pub(super) fn runtime(opts: RunOptions) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| Error::Data(format!("cannot start the query runtime: {e}")))
}

/// The outcome once the results are written: too many bad lines is an error, unreadable
/// objects a failed run.
pub(super) fn finish(
    reporter: &Reporter,
    totals: &Mutex<Vec<RunTotals>>,
    max_bad_lines: Option<u64>,
) -> Result<Outcome> {
    reporter.finish()?;
    // A scan may run more than once per statement; each run saw every line.
    let bad: u64 = totals
        .lock()
        .map(|t| t.iter().map(|t| t.bad_lines).max().unwrap_or(0))
        .unwrap_or(0);
    if let Some(max) = max_bad_lines
        && bad > max
    {
        return Err(Error::TooManyBadLines {
            found: bad,
            allowed: max,
        });
    }
    if reporter.errors() > 0 {
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Success)
}
