//! Several reports over one scan: `flows_classified` is computed once and its batches are
//! broadcast to every report's plan, which run side by side.
//!
//! Each report is planned against a shared table that stands in for the view. Planning tells
//! which columns each report reads (its projection); the view is then planned once for the
//! union of those columns and one task streams its batches to a channel per report scan, each
//! batch projected to what that scan asked for. The reports aggregate as batches arrive, so
//! memory is that of their aggregates plus a few batches in flight, whatever the input size.
//!
//! Channels are bounded, so the slowest report paces the scan. A report that reads the view
//! twice in one plan (a self-join, a union) could wait on one of its inputs while the other
//! fills up; its channels are unbounded instead, trading memory for progress. A report that
//! finishes early (or never runs a scan) releases its channels, so it never holds the others
//! back.
//!
//! On a cluster ([`super::session::Place::Cluster`]) a scan cannot be shared between jobs, and
//! each report is a job of its own. There the view is classified once, by one job whose tasks
//! each write the columns the reports read to a scratch directory beside the dataset
//! (`scratch/<id>/`, Parquet, which every node reaches; [`super::scratch`]); the reports then
//! read that in place of the view, and the directory is removed afterwards, whether the jobs
//! succeeded or not.

use std::sync::{Arc, Mutex, PoisonError};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::TableType;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::physical_plan::{SendableRecordBatchStream, collect};
use datafusion::prelude::{DataFrame, SessionContext};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::mpsc;

use super::flows::text_as_views;
use super::scratch;
use super::session::{CLASSIFIED as VIEW, JobLimit, Session, parquet_table, with_stand_in};
use super::streamed::{Streamed, Streams};
use crate::error::{Error, Result};
use crate::ingest::remote::parquet_footer;

/// Batches in flight per report scan.
const CHANNEL_BATCHES: usize = 4;

type Item = std::result::Result<RecordBatch, DataFusionError>;

/// One report's result.
#[derive(Debug)]
pub struct Output {
    /// The result's schema (kept for empty results).
    pub schema: SchemaRef,
    /// Its rows.
    pub batches: Vec<RecordBatch>,
}

/// Runs `queries` (trusted SQL reading the view `flows_classified` and any other table of
/// `session`) with one scan of the view, and returns their results in order.
pub async fn run(session: &Session, queries: &[String]) -> Result<Vec<Output>> {
    let ctx = session.context();
    if let Some(limit) = session.job_limit() {
        return match session.dataset() {
            Some(dataset) if ctx.table_exist(VIEW)? => {
                on_cluster(ctx, dataset, &limit, queries).await
            }
            _ => one_by_one(ctx, &limit, queries).await,
        };
    }
    let view = ctx.table(VIEW).await?;
    let hub = Arc::new(Hub {
        schema: Arc::new(view.schema().as_arrow().clone()),
        state: Mutex::new(State::default()),
    });
    let shared = Streamed::new(
        hub.schema.clone(),
        TableType::View,
        SharedView { hub: hub.clone() },
    );
    let plans = with_stand_in(ctx, VIEW, shared, async {
        // The reports run side by side on the cores already: planned without round-robin
        // repartitioning, each reads its channel directly instead of handing every batch on
        // to another task and copying it into new batches there.
        let mut state = ctx.state();
        state
            .config_mut()
            .options_mut()
            .optimizer
            .enable_round_robin_repartition = false;
        let planner = SessionContext::new_with_state(state);
        let mut plans = Vec::with_capacity(queries.len());
        for (i, sql) in queries.iter().enumerate() {
            hub.lock().plan = i;
            let df = planner.sql(sql).await?;
            plans.push(df.create_physical_plan().await?);
        }
        Ok(plans)
    })
    .await?;

    let broadcast = hub.start(view).await?;
    let task_ctx = ctx.task_ctx();
    let mut running = Vec::with_capacity(plans.len());
    for (i, plan) in plans.into_iter().enumerate() {
        let (hub, task_ctx) = (hub.clone(), task_ctx.clone());
        running.push(tokio::spawn(async move {
            let schema = plan.schema();
            let result = collect(plan, task_ctx).await;
            hub.release(i);
            result.map(|batches| Output { schema, batches })
        }));
    }
    let mut outputs = Vec::with_capacity(running.len());
    let mut first_error: Option<Error> = None;
    for task in running {
        match task.await {
            Ok(Ok(output)) => outputs.push(output),
            Ok(Err(e)) => {
                first_error.get_or_insert(e.into());
            }
            Err(e) => {
                first_error.get_or_insert(Error::Data(format!("a report stopped: {e}")));
            }
        }
    }
    if let Some(task) = broadcast {
        match task.await {
            Ok(Err(e)) => {
                // The reports saw the failure too; report the scan's own error first.
                return Err(e);
            }
            Err(e) => return Err(Error::Data(format!("the scan stopped: {e}"))),
            Ok(Ok(())) => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(outputs),
    }
}

/// The directory, in a dataset, of a cluster's scratch output.
pub const SCRATCH: &str = "scratch";

/// Runs `queries` on a cluster, with the view classified once into a scratch directory of
/// `dataset` (the module's header says how), each job within `limit`.
async fn on_cluster(
    ctx: &SessionContext,
    dataset: &str,
    limit: &JobLimit,
    queries: &[String],
) -> Result<Vec<Output>> {
    let view = ctx.table(VIEW).await?;
    let schema = Arc::new(view.schema().as_arrow().clone());
    let read = columns_read(ctx, &schema, queries).await?;
    let columns: Vec<&str> = read
        .iter()
        .map(|i| schema.field(*i).name().as_str())
        .collect();
    let dir = format!(
        "{}/{SCRATCH}/pack-{}/",
        dataset.trim_end_matches('/'),
        crate::ingest::sink::run_id()
    );
    let result = async {
        let classified = view.select_columns(&columns)?;
        let written = Arc::new(classified.schema().as_arrow().clone());
        let wrote = limit
            .bound(async { Ok(scratch::write(ctx, classified, &dir).await?) })
            .await?;
        let table = parquet_table(ctx, &dir, Some(text_as_views(&written))).await?;
        // Every record the tasks wrote must be there: never a report over part of them.
        let held = rows_held(ctx, &dir).await?;
        if held != wrote {
            return Err(Error::Data(format!(
                "the cluster's tasks wrote {wrote} classified records to {dir}, but {held} are \
                 there; run it again"
            )));
        }
        with_stand_in(ctx, VIEW, table, one_by_one(ctx, limit, queries)).await
    }
    .await;
    let removed = remove_scratch(ctx, &dir).await;
    let outputs = result?;
    if let Err(e) = removed {
        // The answers stand; what is left behind is said, and safe to delete.
        eprintln!("warning: {e}; delete {dir} by hand");
    }
    Ok(outputs)
}

/// The rows of the Parquet files under `dir` (a path or an `s3://` URL), the files a table over
/// it reads (by their extension, as [`parquet_table`] lists them), from their footers, read
/// here: a count on the cluster would be a job, and a job's round trip costs more than reading
/// a few footers.
async fn rows_held(ctx: &SessionContext, dir: &str) -> Result<u64> {
    let url = ListingTableUrl::parse(dir)?;
    let store = ctx.runtime_env().object_store(url.object_store())?;
    let failed = |e: String| Error::input(dir, format!("reading scratch output: {e}"));
    let mut files: Vec<_> = store
        .list(Some(url.prefix()))
        .try_collect()
        .await
        .map_err(|e| failed(e.to_string()))?;
    let ext = ParquetFormat::default().get_ext();
    files.retain(|meta| meta.location.as_ref().ends_with(&ext));
    let footers = files.iter().map(|meta| async {
        let footer = parquet_footer(store.as_ref(), &meta.location, meta.size).await?;
        Ok(footer.file_metadata().num_rows().max(0) as u64)
    });
    let rows: Vec<u64> = futures::stream::iter(footers)
        .buffer_unordered(JOBS_AT_ONCE)
        .try_collect()
        .await
        .map_err(failed)?;
    Ok(rows.iter().sum())
}

/// The positions of the view's columns (of `schema`) that `queries` read, planned against a
/// stand-in; at least one, which carries the row count.
async fn columns_read(
    ctx: &SessionContext,
    schema: &SchemaRef,
    queries: &[String],
) -> Result<Vec<usize>> {
    let stand_in = Arc::new(EmptyTable::new(schema.clone()));
    let mut read = with_stand_in(ctx, VIEW, stand_in, async {
        let mut read = std::collections::BTreeSet::new();
        for sql in queries {
            let plan = ctx.sql(sql).await?.into_optimized_plan()?;
            plan.apply_with_subqueries(|node| {
                if let LogicalPlan::TableScan(scan) = node
                    && scan.table_name.table() == VIEW
                {
                    match &scan.projection {
                        Some(columns) => read.extend(columns.iter().copied()),
                        None => read.extend(0..schema.fields().len()),
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
        }
        Ok(read.into_iter().collect::<Vec<_>>())
    })
    .await?;
    if read.is_empty() {
        read.push(0);
    }
    // The optimizer may have dropped a column the SQL names (a CTE's unused column): every
    // query must still plan over the columns kept, else all of them are written.
    let kept = Arc::new(EmptyTable::new(Arc::new(schema.project(&read)?)));
    let plans = with_stand_in(ctx, VIEW, kept, async {
        for sql in queries {
            if ctx.sql(sql).await.is_err() {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .await?;
    if !plans {
        read = (0..schema.fields().len()).collect();
    }
    Ok(read)
}

/// Removes the scratch directory at `location` (a path or an `s3://` URL) and what is in it.
async fn remove_scratch(ctx: &SessionContext, location: &str) -> Result<()> {
    if !location.starts_with("s3://") {
        let dir = std::path::Path::new(location);
        return match std::fs::remove_dir_all(dir) {
            Ok(()) => {
                // The parent too, once no other run's scratch is in it.
                if let Some(parent) = dir.parent() {
                    let _ = std::fs::remove_dir(parent);
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(dir, e)),
        };
    }
    let url = ListingTableUrl::parse(location)?;
    let store = ctx.runtime_env().object_store(url.object_store())?;
    let listed = store
        .list(Some(url.prefix()))
        .map_ok(|meta| meta.location)
        .boxed();
    store
        .delete_stream(listed)
        .try_collect::<Vec<_>>()
        .await
        .map_err(|e| Error::input(location, format!("removing scratch output: {e}")))?;
    Ok(())
}

/// Statements a cluster runs at once for one pack. A job spends much of its time between
/// stages, waiting for the scheduler; several at once keep the executors' slots busy (over 5
/// million records on one 2-slot executor: 8.6 s one at a time, 7.4 s four, 7.0 s eight).
const JOBS_AT_ONCE: usize = 8;

/// Runs each of `queries` as a statement of its own (a few at once), each job within `limit`,
/// and returns their results in order.
async fn one_by_one(
    ctx: &SessionContext,
    limit: &JobLimit,
    queries: &[String],
) -> Result<Vec<Output>> {
    let jobs = queries.iter().enumerate().map(|(i, sql)| async move {
        let df = ctx.sql(sql).await?;
        let planned = Arc::new(df.schema().as_arrow().clone());
        let batches = limit.bound(async { Ok(df.collect().await?) }).await?;
        // A cluster's batches may differ from the planned schema in details such as a field's
        // nullability: the output carries the batches' own schema when there are any.
        let schema = batches.first().map_or(planned, RecordBatch::schema);
        Ok::<_, Error>((i, Output { schema, batches }))
    });
    // Unordered: a job that ends makes room for the next at once, even while an earlier one
    // still runs (the first error ends the pack).
    let mut done: Vec<(usize, Output)> = futures::stream::iter(jobs)
        .buffer_unordered(JOBS_AT_ONCE)
        .try_collect()
        .await?;
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, output)| output).collect())
}

/// The subscriptions of every report scan, and then their channels.
struct Hub {
    /// The view's full schema.
    schema: SchemaRef,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The report being planned.
    plan: usize,
    subscribers: Vec<Subscriber>,
}

/// One scan of the view in one report's plan.
struct Subscriber {
    plan: usize,
    /// Columns of the view it reads.
    columns: Vec<usize>,
    /// Its end of the channel, until the scan runs or the report ends.
    receiver: Option<Receiver>,
}

enum Receiver {
    Bounded(mpsc::Receiver<Item>),
    Unbounded(mpsc::UnboundedReceiver<Item>),
}

/// A report scan's sender and the positions of its columns in the broadcast batches.
type Outlet = (Sender, Vec<usize>);

enum Sender {
    Bounded(mpsc::Sender<Item>),
    Unbounded(mpsc::UnboundedSender<Item>),
}

impl Receiver {
    /// The next batch; `None` once the scan has ended.
    async fn recv(&mut self) -> Option<Item> {
        match self {
            Receiver::Bounded(r) => r.recv().await,
            Receiver::Unbounded(r) => r.recv().await,
        }
    }
}

impl Sender {
    /// Sends; false when the report no longer listens.
    async fn send(&self, item: Item) -> bool {
        match self {
            Sender::Bounded(s) => s.send(item).await.is_ok(),
            Sender::Unbounded(s) => s.send(item).is_ok(),
        }
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a scan of `columns` by the report being planned; returns its id.
    fn subscribe(&self, columns: Vec<usize>) -> usize {
        let mut state = self.lock();
        let plan = state.plan;
        state.subscribers.push(Subscriber {
            plan,
            columns,
            receiver: None,
        });
        state.subscribers.len() - 1
    }

    /// Takes the channel of scan `id`.
    fn take(&self, id: usize) -> Option<Receiver> {
        self.lock()
            .subscribers
            .get_mut(id)
            .and_then(|s| s.receiver.take())
    }

    /// Drops the channels report `plan` did not take: it has ended.
    fn release(&self, plan: usize) {
        for s in self.lock().subscribers.iter_mut() {
            if s.plan == plan {
                s.receiver = None;
            }
        }
    }

    /// Opens a channel per report scan: the view's columns any report reads, and per scan
    /// its sender with the positions of its columns among them. `None` when no report scans.
    fn open_channels(&self) -> Option<(Vec<usize>, Vec<Outlet>)> {
        let mut state = self.lock();
        if state.subscribers.is_empty() {
            return None;
        }
        let mut union: Vec<usize> = state
            .subscribers
            .iter()
            .flat_map(|s| s.columns.iter().copied())
            .collect();
        union.sort_unstable();
        union.dedup();
        if union.is_empty() {
            // Only row counts are wanted; any one column carries them.
            union.push(0);
        }
        let counts: Vec<usize> = state
            .subscribers
            .iter()
            .map(|s| {
                state
                    .subscribers
                    .iter()
                    .filter(|o| o.plan == s.plan)
                    .count()
            })
            .collect();
        let mut senders = Vec::with_capacity(state.subscribers.len());
        for (s, count) in state.subscribers.iter_mut().zip(counts) {
            let positions: Vec<usize> = s
                .columns
                .iter()
                .filter_map(|c| union.binary_search(c).ok())
                .collect();
            let (sender, receiver) = if count > 1 {
                let (tx, rx) = mpsc::unbounded_channel();
                (Sender::Unbounded(tx), Receiver::Unbounded(rx))
            } else {
                let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
                (Sender::Bounded(tx), Receiver::Bounded(rx))
            };
            s.receiver = Some(receiver);
            senders.push((sender, positions));
        }
        Some((union, senders))
    }

    /// Plans the view for the columns the reports read and starts streaming it to them.
    async fn start(&self, view: DataFrame) -> Result<Option<tokio::task::JoinHandle<Result<()>>>> {
        let Some((union, senders)) = self.open_channels() else {
            return Ok(None);
        };
        let names: Vec<String> = union
            .iter()
            .map(|i| self.schema.field(*i).name().clone())
            .collect();
        let selected =
            view.select_columns(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
        let task_ctx = selected.task_ctx();
        let mut plan = selected.create_physical_plan().await?;
        if plan.properties().partitioning.partition_count() > 1 {
            plan = Arc::new(CoalescePartitionsExec::new(plan));
        }
        Ok(Some(tokio::spawn(async move {
            let mut stream = match plan.execute(0, Arc::new(task_ctx)) {
                Ok(s) => s,
                Err(e) => {
                    broadcast_error(&senders, &e).await;
                    return Err(e.into());
                }
            };
            let mut live: Vec<Option<Outlet>> = senders.into_iter().map(Some).collect();
            while let Some(item) = stream.next().await {
                let batch = match item {
                    Ok(b) => b,
                    Err(e) => {
                        let senders: Vec<_> = live.into_iter().flatten().collect();
                        broadcast_error(&senders, &e).await;
                        return Err(e.into());
                    }
                };
                let mut listening = 0;
                for slot in live.iter_mut() {
                    let Some((sender, positions)) = slot else {
                        continue;
                    };
                    let part = batch.project(positions).map_err(DataFusionError::from);
                    if sender.send(part).await {
                        listening += 1;
                    } else {
                        *slot = None;
                    }
                }
                if listening == 0 {
                    break;
                }
            }
            Ok(())
        })))
    }
}

/// Tells every report the scan failed.
async fn broadcast_error(senders: &[Outlet], e: &DataFusionError) {
    for (sender, _) in senders {
        sender
            .send(Err(DataFusionError::Execution(e.to_string())))
            .await;
    }
}

/// The table that stands in for the view while the reports are planned.
#[derive(Debug)]
struct SharedView {
    hub: Arc<Hub>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Streams for SharedView {
    fn stream(
        &self,
        projection: Option<&Vec<usize>>,
    ) -> datafusion::error::Result<Arc<dyn PartitionStream>> {
        let columns: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.hub.schema.fields().len()).collect(),
        };
        let schema = Arc::new(self.hub.schema.project(&columns)?);
        let id = self.hub.subscribe(columns);
        Ok(Arc::new(SharedPartition {
            hub: self.hub.clone(),
            id,
            schema,
        }))
    }
}

/// One report scan's stream of the view.
struct SharedPartition {
    hub: Arc<Hub>,
    id: usize,
    schema: SchemaRef,
}

impl std::fmt::Debug for SharedPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPartition")
            .field("id", &self.id)
            .finish()
    }
}

impl PartitionStream for SharedPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let stream = match self.hub.take(self.id) {
            Some(rx) => futures::stream::unfold(rx, |mut rx| async {
                rx.recv().await.map(|item| (item, rx))
            })
            .boxed(),
            None => futures::stream::once(async {
                Err(DataFusionError::Execution(format!(
                    "{VIEW} can be read once per report"
                )))
            })
            .boxed(),
        };
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    /// A context whose `flows_classified` is a view over a small in-memory table.
    async fn context() -> SessionContext {
        let ctx = SessionContext::new();
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("v", DataType::Int64, true),
        ]));
        let batch = |ks: &[&str], vs: &[i64]| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from(ks.to_vec())),
                    Arc::new(Int64Array::from(vs.to_vec())),
                ],
            )
            .expect("batch")
        };
        let table = datafusion::datasource::MemTable::try_new(
            schema.clone(),
            vec![vec![
                batch(&["a", "b"], &[1, 2]),
                batch(&["a", "c"], &[3, 4]),
            ]],
        )
        .expect("table");
        ctx.register_table("t", Arc::new(table)).expect("register");
        ctx.sql(&format!(
            "CREATE VIEW {VIEW} AS SELECT k, v * 10 AS v FROM t"
        ))
        .await
        .expect("view");
        ctx
    }

    fn text(outputs: &[Output]) -> Vec<String> {
        outputs
            .iter()
            .map(|o| {
                arrow::util::pretty::pretty_format_batches_with_schema(o.schema.clone(), &o.batches)
                    .expect("format")
                    .to_string()
            })
            .collect()
    }

    #[tokio::test]
    async fn each_query_gets_the_answer_it_gets_alone() {
        let ctx = context().await;
        let queries: Vec<String> = [
            "SELECT k, sum(v) AS s FROM flows_classified GROUP BY k ORDER BY k",
            "SELECT count(*) AS n FROM flows_classified",
            "SELECT k FROM flows_classified WHERE v > 20 ORDER BY k LIMIT 1",
            "SELECT a.k, count(*) AS n FROM flows_classified a JOIN flows_classified b ON a.k = b.k GROUP BY a.k ORDER BY a.k",
            "SELECT 1 AS one",
        ]
        .map(String::from)
        .to_vec();
        let mut alone = Vec::new();
        for q in &queries {
            let df = ctx.sql(q).await.expect("plans");
            let schema = Arc::new(df.schema().as_arrow().clone());
            alone.push(Output {
                schema,
                batches: df.collect().await.expect("runs"),
            });
        }
        let shared = run(&Session::over(ctx.clone()), &queries)
            .await
            .expect("pack runs");
        assert_eq!(text(&shared), text(&alone));
        assert!(text(&shared)[1].contains("| 4 |"));
        assert!(text(&shared)[3].contains("| a | 4 |"));
        // The view is back in place afterwards.
        assert_eq!(
            ctx.sql("SELECT * FROM flows_classified")
                .await
                .expect("view")
                .collect()
                .await
                .expect("rows")
                .iter()
                .map(|b| b.num_rows())
                .sum::<usize>(),
            4
        );
    }

    #[tokio::test]
    async fn the_columns_a_cluster_classifies_are_those_the_reports_read() {
        let ctx = context().await;
        let view = ctx.table(VIEW).await.expect("view");
        let schema = Arc::new(view.schema().as_arrow().clone());
        let read = |queries: &[&str]| {
            let queries: Vec<String> = queries.iter().map(|q| q.to_string()).collect();
            let (ctx, schema) = (ctx.clone(), schema.clone());
            async move { columns_read(&ctx, &schema, &queries).await.expect("plans") }
        };
        assert_eq!(read(&["SELECT k FROM flows_classified"]).await, [0]);
        assert_eq!(read(&["SELECT sum(v) FROM flows_classified"]).await, [1]);
        // A filter's column, a subquery's, and a count that reads none (any one column).
        assert_eq!(
            read(&["SELECT k FROM flows_classified WHERE v > 20"]).await,
            [0, 1]
        );
        assert_eq!(
            read(&[
                "SELECT 1 AS one",
                "SELECT 2 WHERE EXISTS (SELECT 1 FROM flows_classified WHERE v > 1)"
            ])
            .await,
            [1]
        );
        assert_eq!(read(&["SELECT count(*) FROM flows_classified"]).await, [0]);
        // A column the SQL names but the optimizer drops: every column, so that it plans.
        assert_eq!(
            read(&["WITH t AS (SELECT k, v FROM flows_classified) SELECT k FROM t"]).await,
            [0, 1]
        );
        // The view is back in place afterwards.
        assert!(ctx.sql("SELECT k FROM flows_classified").await.is_ok());
    }

    #[tokio::test]
    async fn a_failing_query_reports_its_error() {
        let ctx = context().await;
        let session = Session::over(ctx);
        let err = run(&session, &["SELECT nope FROM flows_classified".to_string()])
            .await
            .expect_err("unknown column");
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
