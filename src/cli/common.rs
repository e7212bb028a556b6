//! What the subcommands share: the options of every command that reads flow logs
//! ([`InputArgs`]), the inventory, parameter, output and `--cluster` options, the query
//! runtime, the session a command opens and how it runs statements, how a command ends
//! ([`Outcome`], [`finish`]), and how a run's preparation, JSON and reference tables are
//! printed. Subcommands import from here, never from each other.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arrow::array::RecordBatch;
use clap::Args;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::Reporter;
pub(crate) use super::progress::Bar;
use crate::error::{Error, Result};
use crate::ingest::discover::{Scope, Window, dataset_root, parse_time};
use crate::ingest::format::Layout;
use crate::ingest::parallel::{Progress, RunOptions, RunTotals};
use crate::ingest::remote;
use crate::ingest::{Prepared, ReadOptions};
use crate::inventory::{Inventory, Kind};
use crate::report::{Expanded, Format, Renderer, TableLimits, is_number};
use crate::sql::queries::{self, Report};
use crate::sql::session::{self, FlowsSource, JobLimit, Place, SessionOptions, bounded};
use crate::sql::user;

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
    /// The reading options these arguments describe; `region` is the command's `--region`
    /// (the region of `s3://` inputs' buckets).
    pub fn read_options(&self, region: Option<&str>) -> Result<ReadOptions> {
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
            connection: self.connection(region),
        })
    }

    /// How to reach S3 for these inputs; `region` is the command's `--region`.
    fn connection(&self, region: Option<&str>) -> remote::Connection {
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

    /// Opens the inputs as one run ([`crate::ingest::open`], local and `s3://` inputs alike);
    /// `region` is the command's `--region`.
    pub fn prepare(&self, region: Option<&str>) -> Result<Prepared> {
        crate::ingest::open(&self.inputs, &self.read_options(region)?)
    }

    /// The reporter for bad lines and warnings these arguments ask for.
    pub fn reporter(&self) -> Result<Reporter> {
        Reporter::new(self.bad_lines.as_deref(), self.quiet)
            .map_err(|e| Error::Usage(format!("--bad-lines: {e}")))
    }

    /// Reports a run that read nothing worth reading (see `emptiness`): an error, which makes the
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
    // Overlapping folders repeat every object under both: the first few are named.
    const NAMED: usize = 10;
    let repeated = &p.discovery.repeated;
    for path in repeated.iter().take(NAMED) {
        reporter.warn(&format!(
            "{}: given more than once (by name, link or folder): read once",
            path.display()
        ));
    }
    if repeated.len() > NAMED {
        let more = repeated.len() - NAMED;
        reporter.warn(&format!(
            "and {more} more object(s) given more than once: each read once"
        ));
    }
    for e in &p.discovery.errors {
        reporter.error(e);
    }
}

/// Prints a value as pretty JSON on stdout.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Data(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| Error::io("<stdout>", e))
}

/// Where statements run.
#[derive(Debug, Default, Args)]
pub struct ClusterArgs {
    /// Run on the Ballista cluster whose scheduler is at df://HOST:PORT (see `vpcflow
    /// scheduler`). The input must be an ingested dataset that every executor reaches at the same
    /// path; the inventory's tables are written beside it, under inventory/.
    #[cfg(feature = "cluster")]
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
    /// With --cluster: how long to wait for the scheduler to have an executor before the
    /// statements start, then give up with an error (exit 2) [default: 60s].
    #[cfg(feature = "cluster")]
    #[arg(long, value_name = "DURATION", requires = "cluster", value_parser = humantime::parse_duration)]
    pub wait: Option<std::time::Duration>,
    /// With --cluster: how long to wait for one statement's job to finish and its results to
    /// be read (in a report pack, up to eight jobs share the cluster at once), then give up on
    /// it with an error (exit 2); a job can wait forever on a cluster that lost an executor
    /// [default: 2h].
    #[cfg(feature = "cluster")]
    #[arg(long, value_name = "DURATION", requires = "cluster", value_parser = humantime::parse_duration)]
    pub job_timeout: Option<std::time::Duration>,
    /// With --cluster: how this client's connections to the cluster are secured.
    #[cfg(feature = "cluster")]
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// How a cluster's connections are secured, for the nodes and their clients alike: mutual TLS
/// with certificates of the cluster's CA (`vpcflow cluster certs` makes them), a shared
/// secret, or both.
#[cfg(feature = "cluster")]
#[derive(Debug, Default, Clone, Args)]
pub struct SecurityArgs {
    /// This end's certificate (PEM), signed by the cluster's CA.
    #[arg(long, value_name = "FILE", env = "VPCFLOW_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// This end's private key (PEM).
    #[arg(long, value_name = "FILE", env = "VPCFLOW_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// The cluster's CA certificate (PEM): the other end must show a certificate it signed.
    #[arg(long, value_name = "FILE", env = "VPCFLOW_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// A file holding the cluster's shared secret (or the secret itself in
    /// VPCFLOW_CLUSTER_SECRET); every request must carry it.
    #[arg(long, value_name = "FILE", env = "VPCFLOW_CLUSTER_SECRET_FILE")]
    pub secret_file: Option<PathBuf>,
}

#[cfg(feature = "cluster")]
impl SecurityArgs {
    /// The options, with the secret from the environment when it is there.
    pub fn options(&self) -> crate::cluster::security::SecurityOptions {
        crate::cluster::security::SecurityOptions {
            cert: self.tls_cert.clone(),
            key: self.tls_key.clone(),
            ca: self.tls_ca.clone(),
            secret_file: self.secret_file.clone(),
            secret: std::env::var(crate::cluster::security::SECRET_VARIABLE).ok(),
        }
    }
}

impl ClusterArgs {
    /// Where statements run: on the cluster if one is named, else in this process.
    pub fn place(&self) -> Place {
        #[cfg(feature = "cluster")]
        if let Some(url) = &self.cluster {
            let wait = self.wait.unwrap_or(std::time::Duration::from_secs(60));
            let job = self
                .job_timeout
                .unwrap_or(std::time::Duration::from_secs(2 * 3600));
            return crate::cluster::place(url, wait, job, self.security.options());
        }
        Place::Local
    }
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
            .map(|d| load_inventory(d, self.region.as_deref()))
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
    /// Output format; parquet and arrow are binary and hold one result [default: the one
    /// --out's extension names, else table].
    #[arg(long, short, value_enum)]
    pub output: Option<Format>,
    /// Rows a table shows; 0 shows all. Default: 100 on a terminal, all otherwise.
    #[arg(long, value_name = "N")]
    pub max_rows: Option<usize>,
    /// Print each statement's elapsed time and row count on standard error.
    #[arg(long)]
    pub timing: bool,
    /// In table and Markdown output, write byte counts (integer columns named `bytes` or
    /// `..._bytes`) in binary units: 1.50 GiB. Other formats keep the numbers.
    #[arg(long)]
    pub human: bool,
}

/// The width a table on standard output fits: the terminal's, else `COLUMNS` when set;
/// `to_stdout` says whether the table goes to standard output.
fn screen_width(to_stdout: bool) -> Option<usize> {
    (to_stdout && std::io::stdout().is_terminal())
        .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
        .flatten()
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
}

/// Prints a reference list (`fields`, `functions`) on standard output in `format`: as a table,
/// every row, its long texts wrapped at words so that it fits the screen's width.
pub(crate) fn print_fitted(batch: &RecordBatch, format: Format) -> Result<()> {
    let width = screen_width(true);
    let batch = match (format, width) {
        (Format::Table, Some(width)) => wrapped(batch, width)?,
        _ => batch.clone(),
    };
    let limits = TableLimits {
        width,
        ..TableLimits::default()
    };
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let mut renderer = Renderer::with_limits(&mut out, format, batch.schema(), limits)?;
    renderer.write(&batch)?;
    renderer.finish()
}

/// The batch with its text columns wrapped at words, the widest first, until a table of it is
/// `width` characters wide (no column narrower than 12); numbers are left whole.
fn wrapped(batch: &RecordBatch, width: usize) -> Result<RecordBatch> {
    let options = arrow::util::display::FormatOptions::default();
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(batch.num_columns());
    for column in batch.columns() {
        let f = arrow::util::display::ArrayFormatter::try_new(column.as_ref(), &options)?;
        cells.push(
            (0..batch.num_rows())
                .map(|r| f.value(r).to_string())
                .collect(),
        );
    }
    let schema = batch.schema();
    let mut widths: Vec<usize> = cells
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            c.iter()
                .chain([f.name()])
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let room = width.saturating_sub(3 * widths.len() + 1);
    let text: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| !is_number(f.data_type()))
        .collect();
    while widths.iter().sum::<usize>() > room {
        let narrowable = widths
            .iter_mut()
            .zip(&text)
            .filter(|(w, t)| **t && **w > 12);
        match narrowable.map(|(w, _)| w).max_by_key(|w| **w) {
            Some(widest) => *widest -= 1,
            None => break,
        }
    }
    // Numbers stay numbers (narrow, and right-aligned); text is wrapped.
    let mut columns: Vec<arrow::array::ArrayRef> = Vec::with_capacity(cells.len());
    let mut fields: Vec<arrow::datatypes::Field> = Vec::with_capacity(cells.len());
    for (((c, w), field), column) in cells
        .iter()
        .zip(&widths)
        .zip(schema.fields())
        .zip(batch.columns())
    {
        if !is_number(field.data_type()) {
            let text: Vec<String> = c.iter().map(|s| wrap_words(s, *w)).collect();
            columns.push(Arc::new(arrow::array::StringArray::from(text)));
            let utf8 = arrow::datatypes::DataType::Utf8;
            fields.push(arrow::datatypes::Field::new(field.name(), utf8, true));
        } else {
            columns.push(column.clone());
            fields.push(field.as_ref().clone());
        }
    }
    let schema = Arc::new(arrow::datatypes::Schema::new(fields));
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word is cut).
fn wrap_words(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        let len = line.chars().count();
        if len > 0 && len + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            let rest = word.split_off(width);
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.into_iter().collect());
            word = rest;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.extend(word);
    }
    lines.push(line);
    lines.join("\n")
}

/// The scans' totals of a session over raw logs, one per scan (see [`flows_source`]).
pub(crate) type Totals = Arc<Mutex<Vec<RunTotals>>>;

/// The session of `query` or `shell`, with what the command needs beside it.
pub(crate) struct Opened {
    /// The runtime the session runs on.
    pub rt: tokio::runtime::Runtime,
    /// The session.
    pub ctx: SessionContext,
    /// On a cluster, how long one statement's job may take.
    pub job_limit: Option<JobLimit>,
    /// What its scans of raw logs add up.
    pub totals: Totals,
    /// Where bad lines and warnings go.
    pub reporter: Reporter,
}

/// Opens the session of `query` and `shell`: `flows` (the records that overlap the inputs'
/// window), the inventory's tables and views, and every report and `named` query (with the
/// parameters' values) as a view.
pub(crate) fn open_session(
    input: &InputArgs,
    tables: &TableArgs,
    cluster: &ClusterArgs,
    named: (&[Report], &BTreeMap<String, String>),
    opts: RunOptions,
) -> Result<Opened> {
    let region = tables.region.as_deref();
    let window = input.read_options(region)?.window;
    let reporter = input.reporter()?;
    let inventory = tables.inventory()?;
    let flows = flows_source(input, region, opts, &reporter, false)?;
    let (source, totals) = (flows.source, flows.totals);
    let options = session_options(source, cluster, inventory.as_ref(), window);
    let rt = runtime(opts)?;
    let (ctx, job_limit) = rt.block_on(async {
        let session = session::open(options).await?;
        session.register_report_views(named.0, named.1).await;
        let job_limit = session.job_limit();
        Ok::<_, Error>((session.into_context(), job_limit))
    })?;
    Ok(Opened {
        rt,
        ctx,
        job_limit,
        totals,
        reporter,
    })
}

/// Plans every statement of `sql` (so a mistake anywhere stops the run before any output),
/// then runs each (each within `job_limit`, given one), writing its result to `out`.
pub(crate) async fn run_sql(
    ctx: &SessionContext,
    job_limit: Option<&JobLimit>,
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
    if several && output.format().is_binary() {
        return Err(Error::Usage(format!(
            "--output {:?} holds one result; the SQL has {} statements",
            output.format(),
            statements.len()
        )));
    }
    let mut frames = Vec::with_capacity(statements.len());
    for (i, statement) in statements.into_iter().enumerate() {
        frames.push(user::plan(ctx, statement, sql, several.then_some(i + 1)).await?);
    }
    for (i, df) in frames.into_iter().enumerate() {
        if i > 0 && matches!(output.format(), Format::Table | Format::Markdown) {
            writeln!(out).map_err(|e| Error::io("<stdout>", e))?;
        }
        let started = Instant::now();
        let schema = Arc::new(df.schema().as_arrow().clone());
        let mut renderer = Renderer::with_limits(&mut *out, output.format(), schema, limits)?;
        let rows = bounded(job_limit, async {
            let mut stream = df.execute_stream().await?;
            let mut rows = 0usize;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows();
                renderer.write(&batch)?;
            }
            Ok(rows)
        })
        .await?;
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
    /// The format asked for (a table unless one is named).
    pub fn format(&self) -> Format {
        self.output.unwrap_or(Format::Table)
    }

    /// Settles the format of results written to `out`: the one `-o` names, else the one the
    /// file's extension names (`.parquet`, `.csv`, ...), else a table. `-o` and an extension
    /// that name two formats are refused.
    pub fn settle_for(&mut self, out: Option<&Path>) -> Result<()> {
        let named = out.and_then(|path| {
            let ext = path.extension()?.to_str()?.to_ascii_lowercase();
            let format = match ext.as_str() {
                "parquet" => Format::Parquet,
                "arrow" | "arrows" | "ipc" | "feather" => Format::Arrow,
                "csv" => Format::Csv,
                "tsv" => Format::Tsv,
                "json" => Format::Json,
                "ndjson" | "jsonl" => Format::Ndjson,
                "md" | "markdown" => Format::Markdown,
                "txt" => Format::Table,
                _ => return None,
            };
            Some((path, format))
        });
        match (self.output, named) {
            (Some(asked), Some((path, format))) if asked != format => Err(Error::Usage(format!(
                "--out {}: its extension names {format:?} output, and -o asks for {asked:?};                  drop -o or change one of them",
                path.display()
            ))),
            (None, Some((_, format))) => {
                self.output = Some(format);
                Ok(())
            }
            _ => Ok(()),
        }
    }

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
        TableLimits {
            max_rows,
            width: screen_width(to_stdout),
            in_shell: false,
            human: self.human,
            expanded: Expanded::Off,
        }
    }
}

/// Standard output, or a file written under a temporary name and renamed once complete.
pub(crate) struct Target {
    out: Box<dyn Write + Send>,
    file: Option<(PathBuf, PathBuf)>,
}

impl Target {
    /// Opens the output; binary formats are not written to a terminal.
    pub(crate) fn open(format: Format, out: Option<&Path>) -> Result<Target> {
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
    pub(crate) fn writer(&mut self) -> &mut (dyn Write + Send) {
        &mut *self.out
    }

    /// Flushes, and moves a finished file into place.
    pub(crate) fn publish(mut self) -> Result<()> {
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

/// Where `flows` reads from, what its scans add up, and the progress bar of its reading.
pub(crate) struct Flows {
    /// The ingested dataset, or the raw logs.
    pub source: FlowsSource,
    /// The scans' totals (raw logs only).
    pub totals: Totals,
    /// The bar that follows the reading of raw logs, when asked for and standard error is a
    /// terminal; dropping it clears it.
    pub bar: Option<Bar>,
}

/// Where `flows` reads from: the ingested dataset the inputs name, or the raw logs (whose
/// discovery is reported now, and whose scans add their totals to the returned list). With
/// `bar`, reading raw logs shows a progress bar (see [`Bar`]).
pub(crate) fn flows_source(
    input: &InputArgs,
    region: Option<&str>,
    opts: RunOptions,
    reporter: &Reporter,
    bar: bool,
) -> Result<Flows> {
    let totals = Arc::new(Mutex::new(Vec::new()));
    let mut shown = None;
    let source = if let Some(root) = dataset_root(&input.inputs) {
        FlowsSource::Dataset(root)
    } else if let Some(ds) = input.remote_dataset(region)? {
        let (store, url) = ds.reader();
        FlowsSource::RemoteDataset(store, url)
    } else {
        let prepared = input.prepare(region)?;
        report_prepared(&prepared, reporter);
        let progress = Arc::new(Progress::default());
        if bar {
            shown = Bar::start(&progress, prepared.size());
        }
        let r = reporter.clone();
        FlowsSource::Raw {
            inputs: prepared.inputs,
            columns: prepared.columns,
            options: opts,
            diagnostics: Arc::new(move || Box::new(r.clone())),
            totals: totals.clone(),
            progress,
        }
    };
    Ok(Flows {
        source,
        totals,
        bar: shown,
    })
}

/// The runtime queries run on, with one worker per parser thread. Its threads get deep stacks:
/// planning and (on a cluster) encoding and decoding the classification's plan recurse deeply.
pub(crate) fn runtime(opts: RunOptions) -> Result<tokio::runtime::Runtime> {
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
pub(crate) fn finish(
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

/// The options of a session over `source` for a command's inventory and `--cluster`: `flows`
/// keeps the records that overlap `window`.
pub(crate) fn session_options<'a>(
    source: FlowsSource,
    cluster: &ClusterArgs,
    inventory: Option<&'a Inventory>,
    window: Window,
) -> SessionOptions<'a> {
    SessionOptions::new(source)
        .place(cluster.place())
        .inventory(inventory)
        .window(window)
}
