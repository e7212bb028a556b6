//! Running queries, reports and audits on a DataFusion Ballista cluster: the client session
//! here, the scheduler and executor processes in [`node`].
//!
//! A cluster reads an ingested dataset on storage every node reaches: a directory at the same
//! path on every node, or S3 ([`stores`]). The client publishes the inventory's tables beside
//! it as Parquet ([`inventory`]), registers the same tables, functions and views as a local
//! session, and lets the scheduler plan and the executors run each statement; [`codec`]
//! carries vpcflow's functions across.

pub mod codec;
pub mod inventory;
pub mod node;
pub mod stores;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::config::BallistaConfig;
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::ingest::discover::Window;
use crate::ingest::remote::S3Url;
use crate::inventory::Inventory;
use crate::sql::session::{self, FlowsSource};
use crate::sql::udf;

/// A session whose statements run on the cluster whose scheduler is at `url`
/// (`df://host:port`), over the ingested dataset `source` names, with `inventory`'s tables,
/// functions and `flows_classified` view, like [`session::session`].
pub async fn session(
    url: &str,
    source: FlowsSource,
    inventory: Option<&Inventory>,
    window: Option<&Window>,
    wait: Duration,
) -> Result<SessionContext> {
    let root = match &source {
        FlowsSource::Raw { .. } => {
            return Err(Error::Usage(
                "--cluster reads an ingested dataset, in S3 or in a directory every executor \
                 reads at the same path: run `vpcflow ingest` into one and give it as the input"
                    .into(),
            ));
        }
        FlowsSource::Dataset(root) => std::fs::canonicalize(root)
            .map_err(|e| Error::io(root, e))?
            .to_string_lossy()
            .into_owned(),
        FlowsSource::RemoteDataset(_, url) => url.trim_end_matches('/').to_string(),
    };
    let Some(address) = url.strip_prefix("df://").filter(|a| a.contains(':')) else {
        return Err(Error::Usage(format!(
            "--cluster {url}: expected df://HOST:PORT, the scheduler's address"
        )));
    };
    // Say plainly when the scheduler cannot be reached, before planning anything for it.
    let reach = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::net::TcpStream::connect(address),
    )
    .await;
    match reach {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return Err(Error::Data(format!(
                "--cluster {url}: cannot reach the scheduler: {e}"
            )));
        }
        Err(_) => {
            return Err(Error::Data(format!(
                "--cluster {url}: the scheduler did not answer within 10 seconds"
            )));
        }
    }
    // A job submitted to a scheduler without executors would wait for one forever. (Executors
    // all lost while a job runs fail it after the scheduler's --executor-timeout.)
    let began = Instant::now();
    while let Some(said) = no_executor(address).await {
        if began.elapsed() >= wait {
            return Err(Error::Data(format!(
                "--cluster {url}: no executor was registered with the scheduler for {} before \
                 running anything (the scheduler says: {said}); start one (`vpcflow executor \
                 --scheduler {address}`) or give --wait more time",
                humantime::format_duration(wait)
            )));
        }
        tokio::time::sleep(POLL).await;
    }
    let config = session::config()
        .with_ballista_logical_extension_codec(Arc::new(codec::LogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(codec::PhysicalCodec::default()));
    let ctx = SessionContext::remote_with_state(url, session::state(config)).await?;
    let flows = match source {
        FlowsSource::RemoteDataset(store, url) => {
            // The client reads with the store its command line built; nodes build their own.
            stores::remember(&S3Url::parse(&url)?.bucket, store.clone());
            session::remote_dataset(&ctx, store, &url).await?
        }
        _ => session::local_dataset(&ctx, std::path::Path::new(&root)).await?,
    };
    let (functions, tables) = match inventory {
        Some(inventory) => {
            let dir = inventory::publish(&root, inventory)?;
            let functions = inventory::functions(&dir)?;
            let mut tables = Vec::new();
            for (name, file) in inventory::table_files(&dir) {
                tables.push((name, parquet_table(&ctx, &file).await?));
            }
            (functions.as_ref().clone(), Some(tables))
        }
        None => (udf::all(None, None), None),
    };
    session::assemble(&ctx, flows, functions, tables, window).await?;
    Ok(ctx)
}

/// How often the scheduler's readiness is asked for.
const POLL: Duration = Duration::from_millis(500);

/// What the scheduler at `address` (`HOST:PORT`) says when its `/readyz` reports no executor
/// registered; `None` when it is ready, or does not say (cannot be reached now, or answers no
/// `/readyz`), which is not taken for a lack of executors.
async fn no_executor(address: &str) -> Option<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?;
    let answer = client
        .get(format!("http://{address}/readyz"))
        .send()
        .await
        .ok()?;
    if answer.status().as_u16() != 503 {
        return None;
    }
    let said = answer.text().await.unwrap_or_default();
    Some(said.trim().to_string())
}

/// Whether `ctx` runs its statements on a cluster.
pub fn is_cluster(ctx: &SessionContext) -> bool {
    ctx.state()
        .config()
        .options()
        .extensions
        .get::<BallistaConfig>()
        .is_some()
}

/// A table over one Parquet file (a path or an `s3://` URL).
async fn parquet_table(ctx: &SessionContext, file: &str) -> Result<Arc<dyn TableProvider>> {
    let url = ListingTableUrl::parse(file)?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()));
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .infer_schema(&ctx.state())
        .await?;
    Ok(Arc::new(ListingTable::try_new(config)?))
}
