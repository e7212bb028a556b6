//! The one place a session is opened: a DataFusion `SessionContext` with the `flows` table
//! (`flows.rs`), the inventory's tables, the `flows_classified` view and vpcflow's SQL
//! functions, in this process or on a cluster.
//!
//! [`open`] takes [`SessionOptions`]: where the statements run ([`Place`]), what `flows` reads,
//! the inventory, the window and the audit's prices. A cluster comes in through the [`Cluster`]
//! trait, which the `cluster` module implements, so this layer never depends on it. User SQL is
//! planned read-only by [`super::user`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{MemTable, ViewTable};
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::fence::{self, Fence};
use super::first_match;
use super::flows;
use super::queries::{self, REPORTS, Report};
use super::udf::{self, PriceList, with_prices};
use crate::error::{Error, Result};
use crate::ingest::discover::Window;
use crate::inventory::lookup::Lookup;
use crate::inventory::{Inventory, TABLES};

pub use super::flows::{DiagnosticsFactory, FlowsSource};

/// The view of classified flows, registered when an inventory is given.
pub const CLASSIFIED: &str = "flows_classified";

/// Where a session's statements run.
#[derive(Clone, Debug, Default)]
pub enum Place {
    /// In this process.
    #[default]
    Local,
    /// On a cluster, which plans and runs each statement as a job of its own.
    Cluster(Arc<dyn Cluster>),
}

impl Place {
    /// Whether statements run in this process.
    pub fn is_local(&self) -> bool {
        matches!(self, Place::Local)
    }
}

/// What a session on a cluster asks of the cluster. The `cluster` module implements it for a
/// Ballista cluster; a session reads an ingested dataset that every node reaches.
#[async_trait]
pub trait Cluster: std::fmt::Debug + Send + Sync {
    /// A context whose statements the cluster plans and runs, with the settings and planner of
    /// a local session; it fails when the cluster cannot be reached or has nothing to run on.
    async fn connect(&self) -> Result<SessionContext>;

    /// Makes `store` the one this process reads the dataset at `url` (`s3://...`) with.
    fn share_store(&self, url: &str, store: Arc<dyn object_store::ObjectStore>) -> Result<()>;

    /// Publishes `inventory`'s tables beside the dataset at `root` (its directory, or its
    /// `s3://` URL), where every node reads them.
    fn publish(&self, root: &str, inventory: &Inventory) -> Result<Published>;

    /// How long this end waits for one statement's job to finish.
    fn job_limit(&self) -> JobLimit;
}

/// How long a client waits for one statement's job on a cluster before it gives up on it:
/// a job can wait forever on the cluster (after an executor was lost), and a scheduled run
/// must end.
#[derive(Clone, Debug)]
pub struct JobLimit {
    /// The longest wait.
    pub limit: std::time::Duration,
    /// The cluster, as its errors begin (`--cluster df://...`).
    pub cluster: String,
}

impl JobLimit {
    /// Runs `job` (a statement's planning, running and reading of results), and gives up with
    /// an error once it has run longer than the limit.
    pub async fn bound<T>(&self, job: impl Future<Output = Result<T>>) -> Result<T> {
        match tokio::time::timeout(self.limit, job).await {
            Ok(result) => result,
            Err(_) => Err(Error::Data(format!(
                "{}: a job did not finish within {}, so this end stopped waiting for it (the \
                 scheduler may still hold it: Ballista can leave a job waiting forever after \
                 losing an executor, see its log); run it again, or give --job-timeout more \
                 time",
                self.cluster,
                humantime::format_duration(self.limit)
            ))),
        }
    }
}

/// Runs `job` within `limit` when there is one (on a cluster), else as it is.
pub async fn bounded<T>(
    limit: Option<&JobLimit>,
    job: impl Future<Output = Result<T>>,
) -> Result<T> {
    match limit {
        Some(limit) => limit.bound(job).await,
        None => job.await,
    }
}

/// An inventory published for a cluster.
#[derive(Debug)]
pub struct Published {
    /// vpcflow's functions, answering from the published inventory on every node.
    pub functions: Vec<ScalarUDF>,
    /// Each table's Parquet file: a path or an `s3://` URL.
    pub files: Vec<(&'static str, String)>,
}

/// What a session holds and where it runs; [`SessionOptions::new`] gives a session in this
/// process over `flows` alone.
pub struct SessionOptions<'a> {
    place: Place,
    source: FlowsSource,
    inventory: Option<&'a Inventory>,
    window: Option<Window>,
    prices: Option<Arc<dyn PriceList>>,
}

impl<'a> SessionOptions<'a> {
    /// A session in this process whose `flows` reads `source`, without inventory, window or
    /// prices.
    pub fn new(source: FlowsSource) -> Self {
        SessionOptions {
            place: Place::Local,
            source,
            inventory: None,
            window: None,
            prices: None,
        }
    }

    /// Where the statements run.
    pub fn place(self, place: Place) -> Self {
        SessionOptions { place, ..self }
    }

    /// The inventory: its tables, the `flows_classified` view, and the functions that answer
    /// from it and its ip-ranges.json.
    pub fn inventory(self, inventory: impl Into<Option<&'a Inventory>>) -> Self {
        SessionOptions {
            inventory: inventory.into(),
            ..self
        }
    }

    /// `flows` holds only the records that overlap `window` (`end` at or after `since`,
    /// `start` before `until`); records without times are kept.
    pub fn window(self, window: Window) -> Self {
        SessionOptions {
            window: Some(window),
            ..self
        }
    }

    /// The prices `price(item, region)` answers from.
    pub fn prices(self, prices: Arc<dyn PriceList>) -> Self {
        SessionOptions {
            prices: Some(prices),
            ..self
        }
    }
}

/// An open session: its context, where its statements run and vpcflow's functions in it.
pub struct Session {
    ctx: SessionContext,
    place: Place,
    functions: Vec<ScalarUDF>,
    /// On a cluster: the dataset's directory or `s3://` URL, which every node reaches.
    dataset: Option<String>,
}

/// What a place contributes to a session before it is assembled.
struct Parts {
    ctx: SessionContext,
    flows: Arc<dyn TableProvider>,
    functions: Vec<ScalarUDF>,
    tables: Option<Vec<(&'static str, Arc<dyn TableProvider>)>>,
    /// On a cluster: the dataset's directory or `s3://` URL.
    dataset: Option<String>,
}

/// Opens the session `options` describe: the `flows` table; with an inventory, its tables and
/// the `flows_classified` view (queries/classify.sql); and vpcflow's SQL functions, which
/// answer from the inventory, its ip-ranges.json and the prices.
pub async fn open(options: SessionOptions<'_>) -> Result<Session> {
    let SessionOptions {
        place,
        source,
        inventory,
        window,
        prices,
    } = options;
    let parts = match &place {
        Place::Local => local_parts(source, inventory).await?,
        Place::Cluster(cluster) => cluster_parts(cluster.as_ref(), source, inventory).await?,
    };
    let functions = with_prices(parts.functions, prices);
    assemble(
        &parts.ctx,
        parts.flows,
        &functions,
        parts.tables,
        window.as_ref(),
    )
    .await?;
    Ok(Session {
        ctx: parts.ctx,
        place,
        functions,
        dataset: parts.dataset,
    })
}

/// A session in this process: the inventory's tables in memory, functions that answer from it.
async fn local_parts(source: FlowsSource, inventory: Option<&Inventory>) -> Result<Parts> {
    let ctx = local_context();
    let flows = flows::table(&ctx, source).await?;
    let index = inventory.and_then(|i| i.ip_ranges()).map(|r| r.index());
    let lookup = inventory.map(|i| Arc::new(Lookup::new(i, index.clone())));
    let tables = match inventory {
        Some(inv) => Some(
            inv.tables()
                .into_iter()
                .map(|(name, batch)| {
                    let mem = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
                    Ok((name, Arc::new(mem) as Arc<dyn TableProvider>))
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        None => None,
    };
    Ok(Parts {
        ctx,
        flows,
        functions: udf::all(index.as_ref(), lookup),
        tables,
        dataset: None,
    })
}

/// A session on `cluster`: over an ingested dataset only, with the inventory published beside
/// it.
async fn cluster_parts(
    cluster: &dyn Cluster,
    source: FlowsSource,
    inventory: Option<&Inventory>,
) -> Result<Parts> {
    let root = match &source {
        FlowsSource::Raw { .. } => {
            return Err(Error::Usage(
                "--cluster reads an ingested dataset, in S3 or in a directory every executor \
                 reaches at the same path: run `vpcflow ingest` into one and give it as the \
                 input"
                    .into(),
            ));
        }
        FlowsSource::Dataset(root) => std::fs::canonicalize(root)
            .map_err(|e| Error::io(root, e))?
            .to_string_lossy()
            .into_owned(),
        FlowsSource::RemoteDataset(_, url) => url.trim_end_matches('/').to_string(),
    };
    let ctx = cluster.connect().await?;
    if let FlowsSource::RemoteDataset(store, url) = &source {
        // The client reads with the store its command line built; nodes build their own.
        cluster.share_store(url, store.clone())?;
    }
    let flows = flows::table(&ctx, source).await?;
    let (functions, tables) = match inventory {
        Some(inventory) => {
            let published = cluster.publish(&root, inventory)?;
            let mut tables = Vec::new();
            for (name, file) in published.files {
                tables.push((name, parquet_table(&ctx, &file, None).await?));
            }
            (published.functions, Some(tables))
        }
        None => (udf::all(None, None), None),
    };
    Ok(Parts {
        ctx,
        flows,
        functions,
        tables,
        dataset: Some(root),
    })
}

/// A table over one Parquet file or a directory of them (a path or an `s3://` URL), with
/// `schema` (else the files' own, read now).
pub(crate) async fn parquet_table(
    ctx: &SessionContext,
    location: &str,
    schema: Option<SchemaRef>,
) -> Result<Arc<dyn TableProvider>> {
    let url = ListingTableUrl::parse(location)?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()));
    let config = ListingTableConfig::new(url).with_listing_options(options);
    let config = match schema {
        Some(schema) => config.with_schema(schema),
        None => config.infer_schema(&ctx.state()).await?,
    };
    Ok(Arc::new(ListingTable::try_new(config)?))
}

impl Session {
    /// The DataFusion context statements run in.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The context, for a caller that keeps it.
    pub fn into_context(self) -> SessionContext {
        self.ctx
    }

    /// Where the statements run.
    pub fn place(&self) -> &Place {
        &self.place
    }

    /// On a cluster, the dataset's directory or `s3://` URL, which every node reaches.
    pub fn dataset(&self) -> Option<&str> {
        self.dataset.as_deref()
    }

    /// On a cluster, how long one statement's job may take.
    pub fn job_limit(&self) -> Option<JobLimit> {
        match &self.place {
            Place::Local => None,
            Place::Cluster(cluster) => Some(cluster.job_limit()),
        }
    }

    /// A session in this process with this one's inventory tables and functions but no
    /// `flows`: for small tables made from this session's results, which then need not travel
    /// to a cluster.
    pub async fn in_process(&self) -> Result<Session> {
        let ctx = local_context();
        for name in TABLES {
            if let Ok(table) = self.ctx.table_provider(name).await {
                ctx.register_table(name, table)?;
            }
        }
        for function in &self.functions {
            ctx.register_udf(function.clone());
        }
        Ok(Session {
            ctx,
            place: Place::Local,
            functions: self.functions.clone(),
            dataset: None,
        })
    }

    /// Registers `table` as the report `name`'s table, `report_<name>` (dashes become
    /// underscores), in place of any table of that name.
    pub fn register_report(&self, name: &str, table: Arc<dyn TableProvider>) -> Result<()> {
        let name = format!("report_{}", name.replace('-', "_"));
        self.ctx.deregister_table(&name)?;
        self.ctx.register_table(&name, table)?;
        Ok(())
    }

    /// Registers each report (ours, then `extra`, which win on a shared name) as a view
    /// `report_<name>`, with `values` bound where a report declares them. Reports that cannot
    /// plan here (no inventory, or a missing table) are left out.
    pub async fn register_report_views(&self, extra: &[Report], values: &BTreeMap<String, String>) {
        for report in REPORTS.iter().chain(extra) {
            let Ok(sql) = report.bind(values) else {
                continue;
            };
            if let Ok(df) = self.ctx.sql(&sql).await {
                let _ = self.register_report(report.name, df.into_view());
            }
        }
    }

    /// A local session over an existing context, for tests.
    #[cfg(test)]
    pub(crate) fn over(ctx: SessionContext) -> Session {
        Session {
            ctx,
            place: Place::Local,
            functions: Vec::new(),
            dataset: None,
        }
    }
}

/// Runs `work` with `stand_in` registered as the table `name` of `ctx` in place of its own,
/// which is back in place afterwards whatever `work` returned.
pub(crate) async fn with_stand_in<T>(
    ctx: &SessionContext,
    name: &str,
    stand_in: Arc<dyn TableProvider>,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    let own = ctx.deregister_table(name)?;
    ctx.register_table(name, stand_in)?;
    let result = work.await;
    ctx.deregister_table(name)?;
    if let Some(own) = own {
        ctx.register_table(name, own)?;
    }
    result
}

/// The session settings every query runs with, locally or on a cluster.
pub(crate) fn config() -> SessionConfig {
    SessionConfig::new()
        .with_information_schema(true)
        .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()))
        // Filters evaluated while Parquet is decoded are asked for per table
        // (`flows::late_filtered`), not here: DataFusion turns them on for every Parquet scan
        // when this says so.
        .set_bool("datafusion.execution.parquet.reorder_filters", true)
        .set_bool("datafusion.sql_parser.collect_spans", true)
        // Twice DataFusion's default: half the per-batch work of every operator and of the
        // report pack's hand-offs, for more resident memory (the README's report-pack
        // figures give both, with the allocator's share).
        .with_batch_size(16384)
}

/// A context in this process with [`config`] and [`planner`].
fn local_context() -> SessionContext {
    SessionContext::new_with_state(state(config()))
}

/// DataFusion's default session state with `config` and [`planner`].
pub(crate) fn state(config: SessionConfig) -> SessionState {
    planner(
        SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .build(),
    )
}

/// DataFusion's optimizer rules that vpcflow's plans run without, on every node:
/// `extract_leaf_expressions` and `push_down_leaf_projections` move a struct field access
/// (`facts['peer']` in queries/classify.sql) into the projection that computes the struct, so
/// the struct-returning `flow_facts` would run once per field read instead of once per record;
/// and the second of them fails when a cluster's scheduler optimizes a plan once more.
const LEFT_OUT_RULES: [&str; 2] = ["extract_leaf_expressions", "push_down_leaf_projections"];

/// `state` without the [`LEFT_OUT_RULES`], with [`first_match::Rule`] and the physical planner
/// that knows a [`Fence`].
pub(crate) fn planner(state: SessionState) -> SessionState {
    let rules = state
        .optimizers()
        .iter()
        .filter(|r| !LEFT_OUT_RULES.contains(&r.name()))
        .cloned()
        .collect();
    SessionStateBuilder::new_from_existing(state)
        .with_optimizer_rules(rules)
        .with_physical_optimizer_rule(Arc::new(first_match::Rule))
        .with_query_planner(Arc::new(fence::Planner))
        .build()
}

/// Registers on `ctx` the `flows` table (restricted to `window`), the SQL functions and, given
/// the inventory's tables, those tables and the `flows_classified` view.
async fn assemble(
    ctx: &SessionContext,
    flows: Arc<dyn TableProvider>,
    functions: &[ScalarUDF],
    inventory: Option<Vec<(&'static str, Arc<dyn TableProvider>)>>,
    window: Option<&Window>,
) -> Result<()> {
    ctx.register_table("flows", flows)?;
    if let Some(w) = window {
        restrict(ctx, w).await?;
    }
    for function in functions {
        ctx.register_udf(function.clone());
    }
    if let Some(tables) = inventory {
        for (name, table) in tables {
            ctx.register_table(name, table)?;
        }
        // Analysed (types coerced), so that the view's columns have the types its rows have:
        // a CASE over text of two kinds is typed by the analyser.
        let state = ctx.state();
        let plan = state.analyzer().execute_and_check(
            ctx.sql(queries::CLASSIFY).await?.into_unoptimized_plan(),
            state.config_options(),
            |_, _| {},
        )?;
        let flows = ctx.table("flows").await?;
        let passing = flows.schema().fields().iter().map(|f| f.name().clone());
        let view = ViewTable::new(Fence::around(plan, &passing.collect()), None);
        ctx.register_table(CLASSIFIED, Arc::new(view))?;
    }
    Ok(())
}

/// Replaces `flows` by the records that overlap `window`. The filter also names the `date`
/// partition (a day's margin before `since`), so a dataset's files outside it are not read.
async fn restrict(ctx: &SessionContext, window: &Window) -> Result<()> {
    let mut conditions = Vec::new();
    if let Some(since) = window.since {
        let day = (since - chrono::Duration::days(1)).format("%Y-%m-%d");
        conditions.push(format!(
            "(\"end\" IS NULL OR \"end\" >= TIMESTAMP '{}') AND (date IS NULL OR date >= DATE '{day}')",
            since.format("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    if let Some(until) = window.until {
        conditions.push(format!(
            "(start IS NULL OR start < TIMESTAMP '{}') AND (date IS NULL OR date <= DATE '{}')",
            until.format("%Y-%m-%dT%H:%M:%SZ"),
            until.format("%Y-%m-%d")
        ));
    }
    if conditions.is_empty() {
        return Ok(());
    }
    let sql = format!("SELECT * FROM flows WHERE {}", conditions.join(" AND "));
    let view = ctx.sql(&sql).await?.into_view();
    ctx.deregister_table("flows")?;
    ctx.register_table("flows", view)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Mutex;

    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::ingest::format::Columns;
    use crate::ingest::parallel::{Discard, RunOptions};

    /// A cluster that is never reached: what a session asks of it first is an error.
    #[derive(Debug)]
    struct Unreachable;

    #[async_trait]
    impl Cluster for Unreachable {
        async fn connect(&self) -> Result<SessionContext> {
            Err(Error::Data("not reached".into()))
        }

        fn share_store(&self, _: &str, _: Arc<dyn object_store::ObjectStore>) -> Result<()> {
            Err(Error::Data("no store".into()))
        }

        fn job_limit(&self) -> JobLimit {
            JobLimit {
                limit: std::time::Duration::from_secs(1),
                cluster: "nowhere".into(),
            }
        }

        fn publish(&self, _: &str, _: &Inventory) -> Result<Published> {
            Err(Error::Data("not published".into()))
        }
    }

    /// One price for every item.
    #[derive(Debug)]
    struct Flat;

    impl PriceList for Flat {
        fn price(&self, _: &str, _: Option<&str>) -> Option<f64> {
            Some(0.5)
        }
    }

    fn raw_logs() -> FlowsSource {
        FlowsSource::Raw {
            inputs: Vec::new(),
            columns: Columns::default(),
            options: RunOptions::default(),
            diagnostics: Arc::new(|| Box::new(Discard)),
            totals: Arc::new(Mutex::new(Vec::new())),
            progress: Arc::default(),
        }
    }

    async fn rows(session: &Session, sql: &str) -> Vec<RecordBatch> {
        let df = session.context().sql(sql).await.expect("plans");
        df.collect().await.expect("runs")
    }

    #[tokio::test]
    async fn a_cluster_reads_only_a_dataset_and_is_asked_only_then() {
        let place = Place::Cluster(Arc::new(Unreachable));
        let raw = open(SessionOptions::new(raw_logs()).place(place.clone())).await;
        let err = raw.err().expect("raw logs are refused").to_string();
        assert!(err.contains("--cluster reads an ingested dataset"), "{err}");
        let dir = tempfile::tempdir().expect("tempdir");
        let dataset = FlowsSource::Dataset(dir.path().to_path_buf());
        let err = open(SessionOptions::new(dataset).place(place)).await;
        assert!(
            err.err()
                .expect("not reached")
                .to_string()
                .contains("not reached")
        );
    }

    #[tokio::test]
    async fn the_in_process_session_keeps_the_tables_functions_and_prices() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/inventory");
        let inventory = Inventory::load(&sample, None).expect("sample inventory");
        let options = SessionOptions::new(raw_logs())
            .inventory(&inventory)
            .prices(Arc::new(Flat));
        let session = open(options).await.expect("opens");
        assert!(session.place().is_local());
        let local = session.in_process().await.expect("in process");
        assert!(local.context().table_provider("flows").await.is_err());
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![7]))])
            .expect("batch");
        let table = MemTable::try_new(schema, vec![vec![batch]]).expect("table");
        local
            .register_report("idle-endpoints", Arc::new(table))
            .expect("registers");
        let sql = "SELECT n, price('nat_gateway_gb', NULL) AS p, ip_family('10.0.0.1') AS f, \
                   (SELECT count(*) FROM enis) > 0 AS enis FROM report_idle_endpoints";
        let got = arrow::util::pretty::pretty_format_batches(&rows(&local, sql).await)
            .expect("formats")
            .to_string();
        assert!(got.contains("| 7 | 0.5 | ipv4 | true |"), "{got}");
    }
}
