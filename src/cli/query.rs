//! `vpcflow query`: read-only SQL over `flows`, from raw logs or an ingested dataset.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use clap::Args;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::cluster::ClusterArgs;
use super::{InputArgs, Outcome, Reporter, report_prepared};
use crate::error::{Error, Result};
use crate::ingest::discover::dataset_root;
use crate::ingest::parallel::{RunOptions, RunTotals};
use crate::inventory::Inventory;
use crate::report::{Format, Renderer, TableLimits};
use crate::sql::queries::{self, REPORTS, Report};
use crate::sql::session::{self, CLASSIFIED, FlowsSource, SessionOptions};
use crate::sql::user;

/// Arguments of `vpcflow query`.
#[derive(Debug, Args)]
#[command(after_help = QUERY_HELP)]
pub struct QueryArgs {
    /// The SQL: one or more statements separated by `;` (`-` reads them from standard input).
    /// With --file or --name, the first input instead.
    #[arg(value_name = "SQL")]
    pub sql: Option<String>,
    /// What to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Read the SQL from FILE (`-` for standard input): one or more statements.
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "name")]
    pub file: Option<PathBuf>,
    /// Run a named query: a report of `vpcflow report --list`, or NAME.sql from --queries.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Inventory, parameters and your own named queries.
    #[command(flatten)]
    pub tables: TableArgs,
    /// Write the result to FILE instead of standard output (complete or not at all).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Where the SQL runs.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// What a session holds beyond `flows`: the inventory and the named queries as views.
#[derive(Debug, Args)]
pub struct TableArgs {
    /// The AWS inventory: describe-* JSON and ip-ranges.json, found anywhere under DIR. Adds the
    /// inventory tables (enis, vpc_endpoints, nat_gateways, vpcs, subnets, routes, ...), the
    /// flows_classified view (each record with its traffic_class; see `vpcflow report`) and
    /// every report as a view (report_idle_endpoints, ...).
    #[arg(long, value_name = "DIR")]
    pub inventory: Option<PathBuf>,
    /// AWS region: of inventory files that name none (e.g. describe-vpcs outside a region
    /// folder), and of `s3://` inputs' buckets (default: AWS_REGION, the profile's, us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// A folder of your own named queries (NAME.sql, with a `-- NAME: what it answers` header
    /// and parameters declared as `$name (default VALUE)`); each is also a view `report_NAME`.
    #[arg(long, value_name = "DIR")]
    pub queries: Option<PathBuf>,
    /// Parameters.
    #[command(flatten)]
    pub params: ParamArgs,
}

impl TableArgs {
    /// The user's named queries.
    pub fn user_queries(&self) -> Result<Vec<Report>> {
        match &self.queries {
            Some(dir) => queries::load_dir(dir),
            None => Ok(Vec::new()),
        }
    }

    /// The inventory, if one is given.
    pub fn inventory(&self) -> Result<Option<Inventory>> {
        self.inventory
            .as_deref()
            .map(|d| super::load_inventory(d, self.region.as_deref()))
            .transpose()
    }
}

/// `--param NAME=VALUE`, repeated.
#[derive(Debug, Args)]
pub struct ParamArgs {
    /// Bind `$NAME` in the SQL, e.g. `--param since=2024-06-01` (see `vpcflow report --list`);
    /// numbers stay numbers, anything else becomes a quoted string.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub pairs: Vec<String>,
}

impl ParamArgs {
    /// The pairs by name.
    pub fn values(&self) -> Result<BTreeMap<String, String>> {
        self.pairs
            .iter()
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) => Ok((
                    name.trim().trim_start_matches('$').to_string(),
                    value.to_string(),
                )),
                None => Err(Error::Usage(format!("--param {pair}: expected NAME=VALUE"))),
            })
            .collect()
    }
}

/// Where and how results are written.
#[derive(Clone, Debug, Args)]
pub struct OutputArgs {
    /// Output format; parquet and arrow are binary and hold one result.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// Rows a table shows; 0 shows all. Default: 100 on a terminal, all otherwise.
    #[arg(long, value_name = "N")]
    pub max_rows: Option<usize>,
    /// Print each statement's elapsed time and row count on standard error.
    #[arg(long)]
    pub timing: bool,
}

const QUERY_HELP: &str = "Tables: flows (every flow-log field; `vpcflow fields`), and with \
--inventory the inventory tables, flows_classified and report_<name> views. Functions: \
`vpcflow functions`. SQL is read-only: write results with --output and --out.\n\nExamples:\n  \
vpcflow query \"SELECT action, count(*) FROM flows GROUP BY 1\" sample-logs/\n  \
vpcflow query --name idle-endpoints --param low_traffic_bytes=5000000 sample-logs/ --inventory inv/\n  \
vpcflow query -f mine.sql --output parquet --out result.parquet dataset/";

/// Runs the query.
pub fn run(mut args: QueryArgs, opts: RunOptions) -> Result<Outcome> {
    let user_queries = args.tables.user_queries()?;
    let values = args.tables.params.values()?;
    let sql = query_text(&mut args, &user_queries, &values)?;
    let reporter = args.input.reporter()?;
    let inventory = args.tables.inventory()?;
    let region = args.tables.region.as_deref();
    let (source, totals) = flows_source(&args.input, region, opts, &reporter)?;
    let mut target = Target::open(args.output.output, args.out.as_deref())?;
    let limits = args.output.limits(args.out.is_none());
    runtime(opts)?.block_on(async {
        let ctx = open_session(
            &args.cluster,
            source,
            inventory.as_ref(),
            &args.input,
            &user_queries,
            &values,
        )
        .await?;
        run_sql(&ctx, &sql, &args.output, limits, target.writer()).await
    })?;
    target.publish()?;
    finish(&reporter, &totals, &args.input)
}

/// The SQL to run: a named query bound with `values`, a file, standard input or the argument.
/// With --name or --file the SQL argument is the first input.
fn query_text(
    args: &mut QueryArgs,
    user_queries: &[Report],
    values: &BTreeMap<String, String>,
) -> Result<String> {
    let named = args.name.is_some() || args.file.is_some();
    if named && let Some(first) = args.sql.take() {
        args.input.inputs.insert(0, PathBuf::from(first));
    }
    let text = if let Some(name) = &args.name {
        let report = user_queries
            .iter()
            .chain(REPORTS)
            .find(|r| r.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = REPORTS.iter().chain(user_queries).map(|r| r.name).collect();
                Error::Usage(format!(
                    "--name {name}: no such query (known: {})",
                    known.join(", ")
                ))
            })?;
        if args.tables.inventory.is_none() && report.sql.contains(CLASSIFIED) {
            return Err(Error::Usage(format!(
                "--name {name} reads {CLASSIFIED}: give the inventory with --inventory DIR"
            )));
        }
        check_params(report.sql, values)?;
        return report.bind(values);
    } else if let Some(file) = &args.file {
        read_sql(file, &args.input.inputs)?
    } else {
        match args.sql.as_deref() {
            Some("-") => read_sql(Path::new("-"), &args.input.inputs)?,
            Some(sql) => sql.to_string(),
            None => {
                return Err(Error::Usage(
                    "no SQL: give it as the first argument, with -f FILE, or --name NAME".into(),
                ));
            }
        }
    };
    // A parameter may also be meant for a report view the SQL reads.
    let views: Vec<&str> = REPORTS.iter().chain(user_queries).map(|r| r.sql).collect();
    check_params(&format!("{text}\n{}", views.join("\n")), values)?;
    Ok(queries::substitute(&text, values))
}

/// Every `--param` must name a `$parameter` of the SQL (so a misspelt one is not ignored).
fn check_params(sql: &str, values: &BTreeMap<String, String>) -> Result<()> {
    match values
        .keys()
        .find(|name| !sql.contains(&format!("${name}")))
    {
        Some(name) => Err(Error::Usage(format!(
            "--param {name}: the SQL has no ${name}"
        ))),
        None => Ok(()),
    }
}

/// SQL from a file, or from standard input (`-`), which then cannot also be an input.
fn read_sql(file: &Path, inputs: &[PathBuf]) -> Result<String> {
    if file != Path::new("-") {
        return std::fs::read_to_string(file).map_err(|e| Error::io(file, e));
    }
    if inputs.iter().any(|i| i == Path::new("-")) {
        return Err(Error::Usage(
            "standard input holds the SQL, so it cannot also be an input".into(),
        ));
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::io("<stdin>", e))?;
    Ok(text)
}

/// The session with `flows` (the records that overlap `input`'s window), the inventory tables
/// and views, and every report as a view.
pub(super) async fn open_session(
    cluster: &ClusterArgs,
    source: FlowsSource,
    inventory: Option<&Inventory>,
    input: &InputArgs,
    user_queries: &[Report],
    values: &BTreeMap<String, String>,
) -> Result<SessionContext> {
    let options = SessionOptions::new(source)
        .place(cluster.place())
        .inventory(inventory)
        .window(input.read_options()?.window);
    let session = session::open(options).await?;
    session.register_report_views(user_queries, values).await;
    Ok(session.into_context())
}

/// Plans every statement of `sql` (so a mistake anywhere stops the run before any output),
/// then runs each, writing its result to `out`.
pub(super) async fn run_sql(
    ctx: &SessionContext,
    sql: &str,
    output: &OutputArgs,
    limits: TableLimits,
    out: &mut (dyn Write + Send),
) -> Result<()> {
    let statements = user::statements(sql)?;
    let several = statements.len() > 1;
    if statements.is_empty() {
        return Err(Error::Usage("no SQL statement given".into()));
    }
    if several && output.output.is_binary() {
        return Err(Error::Usage(format!(
            "--output {:?} holds one result; the SQL has {} statements",
            output.output,
            statements.len()
        )));
    }
    let mut frames = Vec::with_capacity(statements.len());
    for (i, statement) in statements.into_iter().enumerate() {
        frames.push(user::plan(ctx, statement, sql, several.then_some(i + 1)).await?);
    }
    for (i, df) in frames.into_iter().enumerate() {
        if i > 0 && matches!(output.output, Format::Table | Format::Markdown) {
            writeln!(out).map_err(|e| Error::io("<stdout>", e))?;
        }
        let started = Instant::now();
        let schema = Arc::new(df.schema().as_arrow().clone());
        let mut stream = df.execute_stream().await?;
        let mut renderer = Renderer::with_limits(&mut *out, output.output, schema, limits)?;
        let mut rows = 0usize;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows += batch.num_rows();
            renderer.write(&batch)?;
        }
        renderer.finish()?;
        if output.timing {
            eprintln!(
                "{rows} row{} in {:.3} s",
                if rows == 1 { "" } else { "s" },
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

impl OutputArgs {
    /// What a text table shows: on a terminal, 100 rows and its width; elsewhere every row
    /// and, when `COLUMNS` is set, that width. `to_stdout` says whether results go to
    /// standard output.
    pub fn limits(&self, to_stdout: bool) -> TableLimits {
        let terminal = to_stdout && std::io::stdout().is_terminal();
        let max_rows = match self.max_rows {
            Some(0) => None,
            Some(n) => Some(n),
            None if terminal => Some(100),
            None => None,
        };
        let width = terminal
            .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
            .flatten()
            .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok());
        TableLimits { max_rows, width }
    }
}

/// Standard output, or a file written under a temporary name and renamed once complete.
pub(super) struct Target {
    out: Box<dyn Write + Send>,
    file: Option<(PathBuf, PathBuf)>,
}

impl Target {
    /// Opens the output; binary formats are not written to a terminal.
    pub(super) fn open(format: Format, out: Option<&Path>) -> Result<Target> {
        match out {
            Some(path) => {
                let name = path.file_name().ok_or_else(|| {
                    Error::Usage(format!("--out {}: not a file name", path.display()))
                })?;
                let mut temp_name = std::ffi::OsString::from(".");
                temp_name.push(name);
                temp_name.push(".partial");
                let temp = path.with_file_name(temp_name);
                let file = std::fs::File::create(&temp).map_err(|e| Error::io(&temp, e))?;
                Ok(Target {
                    out: Box::new(std::io::BufWriter::new(file)),
                    file: Some((temp, path.to_path_buf())),
                })
            }
            None => {
                if format.is_binary() && std::io::stdout().is_terminal() {
                    return Err(Error::Usage(format!(
                        "--output {format:?} is binary: give --out FILE or redirect standard output"
                    )));
                }
                Ok(Target {
                    out: Box::new(std::io::BufWriter::new(std::io::stdout())),
                    file: None,
                })
            }
        }
    }

    /// Where results go.
    pub(super) fn writer(&mut self) -> &mut (dyn Write + Send) {
        &mut *self.out
    }

    /// Flushes, and moves a finished file into place.
    pub(super) fn publish(mut self) -> Result<()> {
        let target = self.file.take();
        let name = target
            .as_ref()
            .map_or(PathBuf::from("<stdout>"), |(t, _)| t.clone());
        self.out.flush().map_err(|e| Error::io(&name, e))?;
        self.out = Box::new(std::io::sink());
        if let Some((temp, path)) = target {
            std::fs::rename(&temp, &path).map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        // A run that failed leaves no partial file behind.
        if let Some((temp, _)) = &self.file {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Where `flows` reads from: the ingested dataset the inputs name, or the raw logs (whose
/// discovery is reported now, and whose scans add their totals to the returned list).
pub(super) fn flows_source(
    input: &InputArgs,
    region: Option<&str>,
    opts: RunOptions,
    reporter: &Reporter,
) -> Result<(FlowsSource, Arc<Mutex<Vec<RunTotals>>>)> {
    let totals = Arc::new(Mutex::new(Vec::new()));
    let source = if let Some(root) = dataset_root(&input.inputs) {
        FlowsSource::Dataset(root)
    } else if let Some(ds) = input.remote_dataset(region)? {
        let (store, url) = ds.reader();
        FlowsSource::RemoteDataset(store, url)
    } else {
        let prepared = input.prepare(&input.read_options()?, region)?;
        report_prepared(&prepared, reporter);
        let r = reporter.clone();
        FlowsSource::Raw {
            inputs: prepared.inputs,
            columns: prepared.columns,
            options: opts,
            diagnostics: Arc::new(move || Box::new(r.clone())),
            totals: totals.clone(),
        }
    };
    Ok((source, totals))
}

/// The runtime queries run on, with one worker per parser thread. Its threads get deep stacks:
/// planning and (on a cluster) encoding and decoding the classification's plan recurse deeply.
pub(super) fn runtime(opts: RunOptions) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads.max(1))
        .thread_stack_size(64 << 20)
        .enable_all()
        .build()
        .map_err(|e| Error::Data(format!("cannot start the query runtime: {e}")))
}

/// The outcome once the results are written: too many bad lines is an error; unreadable
/// objects, or raw logs that gave nothing to read (see [`InputArgs::check_empty`]), a failed
/// run.
pub(super) fn finish(
    reporter: &Reporter,
    totals: &Mutex<Vec<RunTotals>>,
    input: &InputArgs,
) -> Result<Outcome> {
    // A scan may run more than once per statement; each run saw every line. No scan at all
    // (a dataset, or SQL that never reads `flows`) has nothing to judge.
    let widest = totals
        .lock()
        .ok()
        .and_then(|t| t.iter().max_by_key(|t| (t.files, t.bad_lines)).cloned());
    if let Some(t) = &widest {
        input.check_empty(t, reporter);
    }
    reporter.finish()?;
    let bad = widest.as_ref().map_or(0, |t| t.bad_lines);
    if let Some(max) = input.max_bad_lines
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
