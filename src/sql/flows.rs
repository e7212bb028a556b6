//! The `flows` table: an ingested Parquet dataset (a listing table partitioned by `date`, so
//! filters on `date` skip whole files), in a directory or an object store, or raw logs read
//! directly: a table whose scan starts the parallel parser for just the projected columns and
//! streams its batches, with the parser's bounded memory.

use std::sync::{Arc, Mutex};

use arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::datasource::TableType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::TaskContext;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::functions::expr_fn::nullif;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::prelude::{SessionContext, cast, ident, lit};

use super::committed::{self, Committed};
use super::streamed::{Streamed, Streams};
use crate::error::{Error, Result};
use crate::ingest::decode::DecodeConfig;
use crate::ingest::fields::FIELDS;
use crate::ingest::format::{Columns, DATE_COLUMN, SOURCE_COLUMN};
use crate::ingest::parallel::{self, Diagnostics, Input, Progress, RunOptions, RunTotals};
use crate::ingest::remote::commits;
use crate::ingest::sink::{self, FLOWS_DIR};

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
        /// Where every scan counts the objects and bytes it has read, for a progress bar.
        progress: Arc<Progress>,
    },
    /// An ingested dataset directory.
    Dataset(std::path::PathBuf),
    /// An ingested dataset in an object store: the store and the dataset's URL
    /// (`s3://BUCKET/PREFIX`).
    RemoteDataset(Arc<dyn object_store::ObjectStore>, String),
}

/// The `flows` table of `source`, read through `ctx` (which learns the dataset's store).
pub(crate) async fn table(
    ctx: &SessionContext,
    source: FlowsSource,
) -> Result<Arc<dyn TableProvider>> {
    Ok(match source {
        FlowsSource::Raw {
            inputs,
            columns,
            options,
            diagnostics,
            totals,
            progress,
        } => {
            let run = RawRun {
                inputs: Arc::new(inputs),
                options,
                diagnostics,
                totals,
                progress,
            };
            Streamed::new(columns.schema(), TableType::Base, RawFlows { columns, run })
        }
        FlowsSource::Dataset(root) => local_dataset(ctx, &root).await?,
        FlowsSource::RemoteDataset(store, url) => remote_dataset(ctx, store, &url).await?,
    })
}

/// The table over the ingested dataset in the directory `root` (created if missing).
async fn local_dataset(
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
async fn remote_dataset(
    ctx: &SessionContext,
    store: Arc<dyn object_store::ObjectStore>,
    url: &str,
) -> Result<Arc<dyn TableProvider>> {
    let at = crate::ingest::remote::S3Url::parse(url)?;
    let root = object_store::path::Path::parse(at.key.trim_matches('/'))
        .map_err(|e| Error::Usage(format!("{url}: {e}")))?;
    dataset_table(ctx, store, &format!("s3://{}", at.bucket), &root).await
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
    let options = ListingOptions::new(Arc::new(late_filtered()))
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
    let file_schema = text_as_views(&Schema::new(file_fields));
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

/// `schema` with its text columns as string views, the type a dataset's `flows` gives text in
/// SQL. Read as views, text stays in the Parquet pages it was decoded from (a dictionary
/// page's values are not copied once per row), and the reports' filters move 16-byte views
/// instead of text: the report pack over a dataset of 5 million records runs about 6% fewer
/// instructions. Raw logs keep Utf8: turning the parser's text into views cost more than
/// it saved.
pub(crate) fn text_as_views(schema: &Schema) -> SchemaRef {
    crate::report::text_as(schema, &DataType::Utf8View)
}

/// What every scan of the raw logs shares.
#[derive(Clone)]
struct RawRun {
    inputs: Arc<Vec<Input>>,
    options: RunOptions,
    diagnostics: DiagnosticsFactory,
    totals: Arc<Mutex<Vec<RunTotals>>>,
    progress: Arc<Progress>,
}

impl std::fmt::Debug for RawRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRun")
            .field("inputs", &self.inputs.len())
            .finish()
    }
}

/// Raw logs as a table: each scan parses the inputs for the projected columns only.
#[derive(Debug)]
struct RawFlows {
    columns: Columns,
    run: RawRun,
}

impl Streams for RawFlows {
    fn stream(
        &self,
        projection: Option<&Vec<usize>>,
    ) -> datafusion::error::Result<Arc<dyn PartitionStream>> {
        let cfg = DecodeConfig::new(self.columns.clone(), projection.cloned());
        Ok(Arc::new(RawPartition {
            cfg: Arc::new(cfg),
            run: self.run.clone(),
        }))
    }
}

/// One scan of the raw logs: a parse for its columns.
#[derive(Debug)]
struct RawPartition {
    cfg: Arc<DecodeConfig>,
    run: RawRun,
}

impl PartitionStream for RawPartition {
    fn schema(&self) -> &SchemaRef {
        &self.cfg.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let run = parallel::start_watched(
            self.run.inputs.as_ref().clone(),
            self.cfg.clone(),
            self.run.options,
            (self.run.diagnostics)(),
            self.run.progress.clone(),
        );
        let totals = self.run.totals.clone();
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

/// The Parquet format of a dataset's `flows`: a query's filters are evaluated while the files
/// are decoded, and only the rows that pass are built (a filter on one ENI, address or hour
/// reads a sliver of the records). Scans of other Parquet files, such as the scratch files a
/// cluster's reports read nearly whole, decode every row and filter after: there the
/// evaluation during decoding cost the cluster's report pack about 8% of its CPU.
fn late_filtered() -> ParquetFormat {
    let mut options = datafusion::config::TableParquetOptions::default();
    options.global.pushdown_filters = true;
    ParquetFormat::default().with_options(options)
}
