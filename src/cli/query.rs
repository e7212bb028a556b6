//! `vpcflow query`: read-only SQL over `flows`, from raw logs or an ingested dataset.

use std::sync::{Arc, Mutex};

use clap::Args;

use super::{InputArgs, Outcome, report_prepared};
use crate::error::{Error, Result};
use crate::ingest::discover::dataset_root;
use crate::ingest::parallel::RunOptions;
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
    /// inventory tables (enis, vpc_endpoints, nat_gateways, vpcs, subnets, routes, ...).
    #[arg(long, value_name = "DIR")]
    pub inventory: Option<std::path::PathBuf>,
    /// Region of inventory files that name none (e.g. describe-vpcs outside a region folder).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

/// Runs the query.
pub fn run(args: QueryArgs, opts: RunOptions) -> Result<Outcome> {
    let reporter = args.input.reporter()?;
    let inventory = match &args.inventory {
        Some(dir) => Some(Inventory::load(dir, args.region.as_deref())?),
        None => None,
    };
    let totals = Arc::new(Mutex::new(Vec::new()));
    let source = match dataset_root(&args.input.inputs) {
        Some(root) => FlowsSource::Dataset(root),
        None => {
            let prepared = prepare(&args.input.inputs, &args.input.read_options()?)?;
            report_prepared(&prepared, &reporter);
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| Error::Data(format!("cannot start the query runtime: {e}")))?;
    // Rows are written as they arrive (the table waits for all of them), so a large result
    // needs no memory. A run with too many bad lines still ends with exit 2.
    let stdout = std::io::stdout().lock();
    runtime.block_on(async {
        let ctx = session(source, inventory.as_ref()).await?;
        let df = read_only_sql(&ctx, &args.sql).await?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let mut stream = df.execute_stream().await?;
        let mut out = Renderer::new(std::io::BufWriter::new(stdout), args.output, schema);
        while let Some(batch) = stream.next().await {
            out.write(&batch?)?;
        }
        out.finish()
    })?;
    reporter.finish()?;
    // A scan may run more than once per statement; each run saw every line.
    let bad: u64 = totals
        .lock()
        .map(|t| t.iter().map(|t| t.bad_lines).max().unwrap_or(0))
        .unwrap_or(0);
    if let Some(max) = args.input.max_bad_lines
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
