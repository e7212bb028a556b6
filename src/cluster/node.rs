//! The scheduler and executor processes of a cluster, Ballista's with vpcflow's functions
//! registered and its codecs in place, so executors run `ip_in_cidr`, `flow_facts` and the rest.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::{default_config_producer, default_session_builder};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::registry::FunctionRegistry;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionConfig;

use super::codec::{LogicalCodec, PhysicalCodec};
use super::stores;
use crate::error::{Error, Result};
use crate::sql::{session, udf};

/// How a scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Where it listens for clients and executors.
    pub bind: SocketAddr,
    /// An executor silent for this long is taken as lost, and its tasks run elsewhere.
    pub executor_timeout_seconds: u64,
}

/// How an executor runs.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host and port.
    pub scheduler: (String, u16),
    /// The address it listens on (and advertises).
    pub host: String,
    /// Its Arrow Flight port (shuffle data and results).
    pub port: u16,
    /// Its gRPC port (tasks from the scheduler).
    pub grpc_port: u16,
    /// Tasks it runs at once.
    pub slots: usize,
    /// Where it keeps shuffle files.
    pub work_dir: PathBuf,
    /// Seconds between heartbeats to the scheduler.
    pub heartbeat_seconds: u64,
    /// Seconds to wait at start for the scheduler to listen.
    pub wait_seconds: u64,
}

/// A session with Ballista's defaults, vpcflow's planner ([`session::planner`]), its
/// functions (without an inventory: plans bring theirs, see [`super::codec`]) and every `s3://`
/// bucket ([`stores`]).
fn node_session(config: SessionConfig) -> datafusion::error::Result<SessionState> {
    let state = session::planner(default_session_builder(config)?);
    let mut state = SessionStateBuilder::new_from_existing(state)
        .with_runtime_env(stores::runtime(None)?)
        .build();
    for function in udf::all(None, None) {
        state.register_udf(Arc::new(function))?;
    }
    Ok(state)
}

/// Sends the nodes' log to standard error: warnings and errors, or what `RUST_LOG` asks for.
fn log_to_stderr() {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .try_init();
}

/// Runs a scheduler until the process is stopped.
pub async fn scheduler(options: SchedulerOptions) -> Result<()> {
    log_to_stderr();
    let mut config = SchedulerConfig::default()
        .with_hostname(options.bind.ip().to_string())
        .with_port(options.bind.port());
    config.bind_host = options.bind.ip().to_string();
    config.executor_timeout_seconds = options.executor_timeout_seconds;
    config.no_executors_grace_period_seconds = options.executor_timeout_seconds;
    config.expire_dead_executor_interval_seconds =
        (options.executor_timeout_seconds / 2).clamp(1, 15);
    // Spread a stage's tasks over the executors rather than fill one first.
    config.task_distribution = TaskDistributionPolicy::RoundRobin;
    config.override_session_builder = Some(Arc::new(node_session));
    config.override_logical_codec = Some(Arc::new(LogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(PhysicalCodec::default()));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(cluster_error)?;
    eprintln!("vpcflow scheduler listening on {}", options.bind);
    start_server(cluster, options.bind, Arc::new(config))
        .await
        .map_err(cluster_error)
}

/// Runs an executor until the process is stopped.
pub async fn executor(options: ExecutorOptions) -> Result<()> {
    log_to_stderr();
    let state = node_session(default_config_producer())?;
    std::fs::create_dir_all(&options.work_dir).map_err(|e| Error::io(&options.work_dir, e))?;
    let work_dir = options.work_dir.clone();
    let config = ExecutorProcessConfig {
        bind_host: options.host.clone(),
        external_host: Some(options.host.clone()),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler.0.clone(),
        scheduler_port: options.scheduler.1,
        vcores: options.slots,
        work_dir: Some(options.work_dir.to_string_lossy().into_owned()),
        executor_heartbeat_interval_seconds: options.heartbeat_seconds,
        override_runtime_producer: Some(Arc::new(move |_: &SessionConfig| {
            stores::runtime(Some(work_dir.clone()))
        })),
        override_function_registry: Some(Arc::new(BallistaFunctionRegistry::from(&state))),
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        ..ExecutorProcessConfig::default()
    };
    eprintln!(
        "vpcflow executor on {}:{} (flight) and :{} (grpc), {} slots, scheduler {}:{}",
        options.host,
        options.port,
        options.grpc_port,
        options.slots,
        options.scheduler.0,
        options.scheduler.1
    );
    wait_for_scheduler(&options).await?;
    start_executor_process(Arc::new(config))
        .await
        .map_err(cluster_error)
}

/// Waits until the scheduler accepts connections: executors and their scheduler are often
/// started together, and Ballista gives up at once when the first attempt is refused.
async fn wait_for_scheduler(options: &ExecutorOptions) -> Result<()> {
    let (host, port) = (&options.scheduler.0, options.scheduler.1);
    let deadline = Instant::now() + Duration::from_secs(options.wait_seconds);
    loop {
        let attempt = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::TcpStream::connect((host.as_str(), port)),
        )
        .await;
        let reason = match attempt {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer within 5 seconds".to_string(),
        };
        if Instant::now() >= deadline {
            return Err(Error::Data(format!(
                "cluster: cannot reach the scheduler at {host}:{port} after waiting {} s: {reason}",
                options.wait_seconds
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn cluster_error(e: ballista_core::error::BallistaError) -> Error {
    Error::Data(format!("cluster: {e}"))
}
