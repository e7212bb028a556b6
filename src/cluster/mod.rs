//! Running queries, reports and audits on a DataFusion Ballista cluster: the place of a
//! client's sessions here ([`Scheduler`], with which `sql::session` opens them), the scheduler
//! and executor processes in [`node`].
//!
//! A cluster reads an ingested dataset on storage every node reaches: a directory at the same
//! path on every node, or S3 ([`stores`]). The client publishes the inventory's tables beside
//! it as Parquet ([`inventory`]), registers the same tables, functions and views as a local
//! session, and lets the scheduler plan and the executors run each statement; [`codec`]
//! carries vpcflow's functions across.

pub mod certs;
pub mod codec;
pub mod inventory;
pub mod node;
pub mod security;
pub mod stores;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::prelude::SessionContext;

use self::security::{Security, SecurityOptions};
use crate::error::{Error, Result};
use crate::ingest::remote::S3Url;
use crate::inventory::Inventory;
use crate::sql::session::{self, Cluster, JobLimit, Place, Published};

/// The Ballista cluster whose scheduler is at a `df://HOST:PORT` URL, as a session's [`Place`].
#[derive(Debug)]
pub struct Scheduler {
    /// `df://HOST:PORT`.
    url: String,
    /// How long to wait for an executor before running anything.
    wait: Duration,
    /// How long to wait for one statement's job.
    job_timeout: Duration,
    /// How the connections to the cluster are secured (read when connecting).
    security: SecurityOptions,
}

/// The place of sessions whose statements run on the cluster whose scheduler is at `url`
/// (`df://host:port`), once it has an executor: [`Cluster::connect`] waits up to `wait` for one.
/// A client gives up on a statement's job after `job_timeout`. `security` secures every
/// connection to the cluster's nodes.
pub fn place(url: &str, wait: Duration, job_timeout: Duration, security: SecurityOptions) -> Place {
    Place::Cluster(Arc::new(Scheduler {
        url: url.to_string(),
        wait,
        job_timeout,
        security,
    }))
}

#[async_trait]
impl Cluster for Scheduler {
    async fn connect(&self) -> Result<SessionContext> {
        let url = self.url.as_str();
        let Some(address) = url.strip_prefix("df://").filter(|a| a.contains(':')) else {
            return Err(Error::Usage(format!(
                "--cluster {url}: expected df://HOST:PORT, the scheduler's address"
            )));
        };
        let security = Security::load(&self.security)?;
        reach(url, address).await?;
        // A job submitted to a scheduler without executors would wait for one forever.
        // (Executors all lost while a job runs fail it after the scheduler's
        // --executor-timeout.)
        let began = Instant::now();
        let readiness = Readiness::of(address, &security, format!("--cluster {url}")).await?;
        while let Some(said) = readiness.no_executor().await? {
            if began.elapsed() >= self.wait {
                return Err(Error::Data(format!(
                    "--cluster {url}: no executor was registered with the scheduler for {} \
                     before running anything (the scheduler says: {said}); start one (`vpcflow \
                     executor --scheduler {address}`) or give --wait more time",
                    humantime::format_duration(self.wait)
                )));
            }
            tokio::time::sleep(POLL).await;
        }
        // Ballista's scheduler re-plans a stage's joins once their inputs are known and may
        // swap a hash join's sides, which DataFusion refuses once the join has built a dynamic
        // filter: the job then never ends (the scheduler logs "Cannot swap HashJoinExec
        // inputs"). So joins build none on a cluster: the general switch (which sets the
        // others when it is set) and the join's own, off in whatever order a node applies them.
        let mut config = session::config()
            .set_bool("datafusion.optimizer.enable_dynamic_filter_pushdown", false)
            .set_bool(
                "datafusion.optimizer.enable_join_dynamic_filter_pushdown",
                false,
            )
            .with_ballista_logical_extension_codec(Arc::new(codec::LogicalCodec::default()))
            .with_ballista_physical_extension_codec(Arc::new(codec::PhysicalCodec::default()));
        if let Some(secure) = security.endpoint_override() {
            config = config
                .with_ballista_use_tls(security.uses_tls())
                .with_ballista_override_create_grpc_client_endpoint(secure);
        }
        Ok(SessionContext::remote_with_state(url, session::state(config)).await?)
    }

    fn share_store(&self, url: &str, store: Arc<dyn object_store::ObjectStore>) -> Result<()> {
        stores::remember(&S3Url::parse(url)?.bucket, store);
        Ok(())
    }

    fn job_limit(&self) -> JobLimit {
        JobLimit {
            limit: self.job_timeout,
            cluster: format!("--cluster {}", self.url),
        }
    }

    fn publish(&self, root: &str, inventory: &Inventory) -> Result<Published> {
        let dir = inventory::publish(root, inventory)?;
        Ok(Published {
            functions: inventory::functions(&dir)?.as_ref().clone(),
            files: inventory::table_files(&dir),
        })
    }
}

/// Says plainly when the scheduler at `address` (of `url`) cannot be reached, before anything
/// is planned for it.
async fn reach(url: &str, address: &str) -> Result<()> {
    let reach = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::net::TcpStream::connect(address),
    )
    .await;
    match reach {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(Error::Data(format!(
            "--cluster {url}: cannot reach the scheduler: {e}"
        ))),
        Err(_) => Err(Error::Data(format!(
            "--cluster {url}: the scheduler did not answer within 10 seconds"
        ))),
    }
}

/// How often the scheduler's readiness is asked for.
const POLL: Duration = Duration::from_millis(500);

/// The scheduler's `/readyz`, asked the way this end's gRPC connections are made (TLS with its
/// certificate, the secret); the HTTP client is made once for all the asking.
pub(crate) struct Readiness<'a> {
    client: reqwest::Client,
    url: String,
    security: &'a Security,
    /// Who asks, e.g. `--cluster df://…`, which begins an error.
    asking: String,
}

impl<'a> Readiness<'a> {
    /// The readiness of the scheduler at `address` (`HOST:PORT`), asked by `asking`.
    pub(crate) async fn of(address: &str, security: &'a Security, asking: String) -> Result<Self> {
        let (client, base) = security.http_client(address).await?;
        Ok(Readiness {
            client,
            url: format!("{base}/readyz"),
            security,
            asking,
        })
    }

    /// What the scheduler says when it reports no executor registered; `None` when it is
    /// ready, or does not say (no answer in time, or no `/readyz`), which is not taken for a
    /// lack of executors. A secured scheduler that refuses this end (no certificate of the
    /// cluster's CA, no secret) is an error.
    pub(crate) async fn no_executor(&self) -> Result<Option<String>> {
        let asking = &self.asking;
        let answer = match self.client.get(&self.url).send().await {
            Ok(answer) => answer,
            Err(e) if e.is_timeout() => return Ok(None),
            Err(e) => return Err(refused(asking, self.security, &e)),
        };
        let unauthenticated = answer
            .headers()
            .get("grpc-status")
            .is_some_and(|s| s == "16");
        match answer.status().as_u16() {
            503 => Ok(Some(
                answer.text().await.unwrap_or_default().trim().to_string(),
            )),
            _ if unauthenticated => Err(Error::Data(format!(
                "{asking}: the scheduler refused this end: the cluster's secret is missing or \
                 wrong"
            ))),
            _ => Ok(None),
        }
    }
}

/// The scheduler did not answer a request that reached it, with the causes.
fn refused(asking: &str, security: &Security, e: &reqwest::Error) -> Error {
    let said = Error::with_causes(e);
    let hint = if security.uses_tls() {
        "no TLS connection to the scheduler (are this end's certificate and the scheduler's \
         signed by the same CA, the one --tls-ca names?)"
    } else {
        "the scheduler does not answer plain requests: a secured cluster needs its \
         credentials (--tls-cert, --tls-key and --tls-ca, and its secret if it has one)"
    };
    Error::Data(format!("{asking}: {hint}: {said}"))
}
