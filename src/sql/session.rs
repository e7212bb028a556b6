//! The one place a DataFusion `SessionContext` is built, and the `flows` table behind it.
//!
//! `flows` is either an ingested Parquet dataset (a listing table partitioned by `date`, so
//! filters on `date` skip whole files) or raw logs read directly: a table whose scan starts the
//! parallel parser for just the projected columns and streams its batches, with the parser's
//! bounded memory. User SQL is planned read-only by [`super::user`].

use std::sync::{Arc, Mutex};

use arrow::datatypes::{DataType, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::{SessionState, SessionStateBuilder, TaskContext};
use datafusion::functions::expr_fn::nullif;
use datafusion::logical_expr::{Expr, ScalarUDF};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use datafusion::prelude::{SessionConfig, SessionContext, cast, ident, lit};

use datafusion::datasource::{MemTable, ViewTable};

use super::committed::{self, Committed};
use super::fence::{self, Fence};
use super::{queries, udf};
use crate::error::{Error, Result};
use crate::ingest::decode::DecodeConfig;
use crate::ingest::discover::Window;
use crate::ingest::fields::FIELDS;
use crate::ingest::format::{Columns, DATE_COLUMN, SOURCE_COLUMN};
use crate::ingest::parallel::{self, Diagnostics, Input, RunOptions, RunTotals};
use crate::ingest::remote::commits;
use crate::ingest::sink::{self, FLOWS_DIR};
use crate::inventory::Inventory;
use crate::inventory::lookup::Lookup;

/// The view of classified flows, registered when an inventory is given.
pub const CLASSIFIED: &str = "flows_classified";

/// Makes the diagnostics sink of one parse (a scan may run more than once per statement).
pub type DiagnosticsFactory = Arc<dyn Fn() -> Box<dyn Diagnostics> + Send + Sync>;

/// Where the `flows` table reads from.
pub enum FlowsSource {
    /// Raw logs, parsed on every scan.
    Raw {
        /// Objects with their first layouts.
        inputs: Vec<Input>,
        /// The run's columns.
        columns: Columns,
        /// Parser tuning.
        options: RunOptions,
        /// Where bad lines and warnings go.
        diagnostics: DiagnosticsFactory,
        /// Totals of every finished scan, for the caller's summary and limits.
        totals: Arc<Mutex<Vec<RunTotals>>>,
    },
    /// An ingested dataset directory.
    Dataset(std::path::PathBuf),
    /// An ingested dataset in an object store: the store and the dataset's URL
    /// (`s3://BUCKET/PREFIX`).
    RemoteDataset(Arc<dyn object_store::ObjectStore>, String),
}

/// Builds the session: the `flows` table; with an inventory, its tables and the
/// `flows_classified` view (queries/classify.sql); and vpcflow's SQL functions, which answer
/// from the inventory and its ip-ranges.json.
/// With a `window`, `flows` holds only the records that overlap it (`end` at or after `since`,
/// `start` before `until`); records without times are kept.
pub async fn session(
    source: FlowsSource,
    inventory: Option<&Inventory>,
    window: Option<&Window>,
) -> Result<SessionContext> {
    let ctx = local_context();
    let table: Arc<dyn TableProvider> = match source {
        FlowsSource::Raw {
            inputs,
            columns,
            options,
            diagnostics,
            totals,
        } => Arc::new(RawFlows {
            schema: columns.schema(),
            inputs: Arc::new(inputs),
            columns,
            options,
            diagnostics,
            totals,
        }),
        FlowsSource::Dataset(root) => local_dataset(&ctx, &root).await?,
        FlowsSource::RemoteDataset(store, url) => remote_dataset(&ctx, store, &url).await?,
    };
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
    assemble(
        &ctx,
        table,
        udf::all(index.as_ref(), lookup),
        tables,
        window,
    )
    .await?;
    Ok(ctx)
}

/// The session settings every query runs with, locally or on a cluster.
pub(crate) fn config() -> SessionConfig {
    SessionConfig::new()
        .with_information_schema(true)
        .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .set_bool("datafusion.execution.parquet.pushdown_filters", true)
        .set_bool("datafusion.execution.parquet.reorder_filters", true)
        .set_bool("datafusion.sql_parser.collect_spans", true)
        // Twice DataFusion's default: half the per-batch work of every operator and of the
        // report pack's hand-offs, for more resident memory (the README's report-pack
        // figures give both, with the allocator's share).
        .with_batch_size(16384)
}

/// A session in this process with [`config`] and [`planner`].
pub(crate) fn local_context() -> SessionContext {
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

/// `state` without the [`LEFT_OUT_RULES`], with the physical planner that knows a
/// [`Fence`].
pub(crate) fn planner(state: SessionState) -> SessionState {
    let rules = state
        .optimizers()
        .iter()
        .filter(|r| !LEFT_OUT_RULES.contains(&r.name()))
        .cloned()
        .collect();
    SessionStateBuilder::new_from_existing(state)
        .with_optimizer_rules(rules)
        .with_query_planner(Arc::new(fence::Planner))
        .build()
}

/// Registers on `ctx` the `flows` table (restricted to `window`), the SQL functions and, given
/// the inventory's tables, those tables and the `flows_classified` view.
pub(crate) async fn assemble(
    ctx: &SessionContext,
    flows: Arc<dyn TableProvider>,
    functions: Vec<ScalarUDF>,
    inventory: Option<Vec<(&'static str, Arc<dyn TableProvider>)>>,
    window: Option<&Window>,
) -> Result<()> {
    ctx.register_table("flows", flows)?;
    if let Some(w) = window {
        restrict(ctx, w).await?;
    }
    for function in functions {
        ctx.register_udf(function);
    }
    if let Some(tables) = inventory {
        for (name, table) in tables {
            ctx.register_table(name, table)?;
        }
        let plan = ctx.sql(queries::CLASSIFY).await?.into_unoptimized_plan();
        let flows = ctx.table("flows").await?;
        let passing = flows.schema().fields().iter().map(|f| f.name().clone());
        let view = ViewTable::new(Fence::around(plan, &passing.collect()), None);
        ctx.register_table(CLASSIFIED, Arc::new(view))?;
    }
    Ok(())
}

/// The table over the ingested dataset in the directory `root` (created if missing).
pub(crate) async fn local_dataset(
    ctx: &SessionContext,
    root: &std::path::Path,
) -> Result<Arc<dyn TableProvider>> {
    let dir = root.join(FLOWS_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let root = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    let path = object_store::path::Path::from_absolute_path(&root)
        .map_err(|e| Error::input(&root, e.to_string()))?;
    let store = Arc::new(object_store::local::LocalFileSystem::new());
    dataset_table(ctx, store, "file://", &path).await
}

/// The table over the ingested dataset at `url` (`s3://BUCKET/PREFIX`), read with `store`.
pub(crate) async fn remote_dataset(
    ctx: &SessionContext,
    store: Arc<dyn object_store::ObjectStore>,
    url: &str,
) -> Result<Arc<dyn TableProvider>> {
    let at = crate::ingest::remote::S3Url::parse(url)?;
    let root = object_store::path::Path::parse(at.key.trim_matches('/'))
        .map_err(|e| Error::Usage(format!("{url}: {e}")))?;
    dataset_table(ctx, store, &format!("s3://{}", at.bucket), &root).await
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

/// The listing table over the ingested dataset at `root` in `store` (whose URL's scheme and
/// host are `base`), as its committed runs stand now (see [`committed`]), with the canonical
/// schema (plus any unknown fields its files hold) so every known field can be queried
/// whatever the files contain.
async fn dataset_table(
    ctx: &SessionContext,
    store: Arc<dyn object_store::ObjectStore>,
    base: &str,
    root: &object_store::path::Path,
) -> Result<Arc<dyn TableProvider>> {
    let shown = format!("{base}/{root}");
    let upto = commits::latest_run(store.as_ref(), root)
        .await
        .map_err(|e| Error::input(&shown, e.to_string()))?;
    let place = ObjectStoreUrl::parse(base)?;
    ctx.register_object_store(place.as_ref(), Arc::new(Committed::new(store, base)));
    let view = committed::view_prefix(root, upto.as_deref());
    let url = ListingTableUrl::parse(format!("{base}/{view}/"))?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![(DATE_COLUMN.to_string(), DataType::Utf8)]);
    let mut columns = Columns::default();
    // An empty dataset has nothing to infer from; the canonical columns stand.
    if let Ok(found) = options.infer_schema(&ctx.state(), &url).await {
        for f in found.fields() {
            let name = f.name().as_str();
            if !FIELDS.iter().any(|k| k.name == name)
                && name != SOURCE_COLUMN
                && name != DATE_COLUMN
            {
                columns.extras.push(name.to_string());
            }
        }
    }
    let full = columns.schema();
    let file_fields: Vec<_> = full
        .fields()
        .iter()
        .filter(|f| f.name() != DATE_COLUMN)
        .cloned()
        .collect();
    let file_schema = Arc::new(arrow::datatypes::Schema::new(file_fields));
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(file_schema.clone());
    let files = ctx.read_table(Arc::new(ListingTable::try_new(config)?))?;
    // The partition is read as text, for `date=__HIVE_DEFAULT_PARTITION__` (records without
    // `start`) is null; filters on `date` still choose the files to read.
    let date = cast(
        nullif(ident(DATE_COLUMN), lit(sink::UNKNOWN_DATE)),
        DataType::Date32,
    );
    let columns = file_schema
        .fields()
        .iter()
        .map(|f| ident(f.name()))
        .chain([date.alias(DATE_COLUMN)]);
    Ok(files.select(columns)?.into_view())
}

/// Raw logs as a table: each scan parses the inputs for the projected columns only.
struct RawFlows {
    schema: SchemaRef,
    inputs: Arc<Vec<Input>>,
    columns: Columns,
    options: RunOptions,
    diagnostics: DiagnosticsFactory,
    totals: Arc<Mutex<Vec<RunTotals>>>,
}

impl std::fmt::Debug for RawFlows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawFlows")
            .field("inputs", &self.inputs.len())
            .finish()
    }
}

#[async_trait]
impl TableProvider for RawFlows {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        let cfg = Arc::new(DecodeConfig::new(self.columns.clone(), projection.cloned()));
        let schema = cfg.schema.clone();
        let partition = RawPartition {
            cfg,
            inputs: self.inputs.clone(),
            options: self.options,
            diagnostics: self.diagnostics.clone(),
            totals: self.totals.clone(),
        };
        Ok(Arc::new(StreamingTableExec::try_new(
            schema,
            vec![Arc::new(partition)],
            None,
            vec![],
            false,
            limit,
        )?))
    }
}

struct RawPartition {
    cfg: Arc<DecodeConfig>,
    inputs: Arc<Vec<Input>>,
    options: RunOptions,
    diagnostics: DiagnosticsFactory,
    totals: Arc<Mutex<Vec<RunTotals>>>,
}

impl std::fmt::Debug for RawPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawPartition")
            .field("inputs", &self.inputs.len())
            .finish()
    }
}

impl PartitionStream for RawPartition {
    fn schema(&self) -> &SchemaRef {
        &self.cfg.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let run = parallel::start(
            self.inputs.as_ref().clone(),
            self.cfg.clone(),
            self.options,
            (self.diagnostics)(),
        );
        let totals = self.totals.clone();
        let stream = futures::stream::unfold(Some(run), move |state| {
            let totals = totals.clone();
            async move {
                let mut run = state?;
                match run.batches.recv().await {
                    Some(batch) => Some((Ok(batch), Some(run))),
                    None => {
                        // The parser is done; its threads end right after the last batch.
                        let t = tokio::task::spawn_blocking(move || run.finish()).await;
                        if let (Ok(t), Ok(mut all)) = (t, totals.lock()) {
                            all.push(t);
                        }
                        None
                    }
                }
            }
        });
        Box::pin(RecordBatchStreamAdapter::new(
            self.cfg.schema.clone(),
            stream,
        ))
    }
}
