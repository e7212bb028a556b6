//! The scheduler and executor processes of a cluster, Ballista's with vpcflow's functions
//! registered and its codecs in place, so executors run `ip_in_cidr`, `flow_facts` and the rest.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_flight::flight_service_server::FlightServiceServer;
use ballista::prelude::SessionConfigExt;
use ballista_core::config::TaskSchedulingPolicy;
use ballista_core::error::BallistaError;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::protobuf::scheduler_grpc_server::SchedulerGrpcServer;
use ballista_core::utils::{
    GrpcServerConfig, create_grpc_server, default_config_producer, default_session_builder,
};
use ballista_executor::ArrowFlightServerProvider;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_executor::flight_service::BallistaFlightService;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::{create_scheduler, start_server};
use datafusion::execution::registry::FunctionRegistry;
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tonic::service::Routes;
use tonic::transport::Server;

use super::codec::{LogicalCodec, PhysicalCodec};
use super::security::Security;
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
    /// How its connections are secured.
    pub security: Security,
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
    /// How its connections are secured.
    pub security: Security,
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
    let security = &options.security;
    if security.is_on() {
        // Executors poll for tasks: no executor port takes them unauthenticated.
        config.scheduling_policy = TaskSchedulingPolicy::PullStaged;
        config.override_create_grpc_client_endpoint = security.endpoint_override();
        config.use_tls = security.uses_tls();
    }
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(cluster_error)?;
    eprintln!(
        "vpcflow scheduler listening on {}, secured by {}",
        options.bind,
        security.describe()
    );
    if !security.is_on() {
        return start_server(cluster, options.bind, Arc::new(config))
            .await
            .map_err(cluster_error);
    }
    config.validate().map_err(cluster_error)?;
    let config = Arc::new(config);
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config.clone())
        .await
        .map_err(cluster_error)?;
    let grpc = SchedulerGrpcServer::new(scheduler.clone())
        .max_encoding_message_size(config.grpc_server_max_encoding_message_size as usize)
        .max_decoding_message_size(config.grpc_server_max_decoding_message_size as usize);
    // The readiness the clients ask for before they submit anything (see super::Readiness).
    let readyz = axum::routing::get(move || async move {
        if scheduler.is_ready() {
            (http::StatusCode::OK, "ready\n")
        } else {
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                "not ready: no executor registered\n",
            )
        }
    });
    let routes = Routes::new(grpc)
        .into_axum_router()
        .route("/readyz", readyz);
    secured_server(security, &GrpcServerConfig::default())?
        .layer(security.secret_layer())
        .add_routes(Routes::from(routes))
        .serve(options.bind)
        .await
        .map_err(|e| Error::Data(format!("cluster: scheduler on {}: {e}", options.bind)))
}

/// A gRPC server with Ballista's settings (`config`: timeouts, keep-alives) and the TLS of
/// `security`, if any.
fn secured_server(security: &Security, config: &GrpcServerConfig) -> Result<Server> {
    let server = create_grpc_server(config);
    match security.server_tls() {
        Some(tls) => server
            .tls_config(tls)
            .map_err(|e| Error::Usage(format!("cluster: the TLS certificate or key: {e}"))),
        None => Ok(server),
    }
}

/// The Arrow Flight service of a secured executor: Ballista's, behind TLS and the secret.
fn secured_flight(
    security: Security,
    max_message: (usize, usize),
) -> Arc<ArrowFlightServerProvider> {
    Arc::new(move |work_dir, address, mut shutdown, config| {
        let security = security.clone();
        tokio::spawn(async move {
            let flight = FlightServiceServer::new(BallistaFlightService::new(work_dir))
                .max_encoding_message_size(max_message.0)
                .max_decoding_message_size(max_message.1);
            secured_server(&security, &config)
                .map_err(|e| BallistaError::General(e.to_string()))?
                .layer(security.secret_layer())
                .add_service(flight)
                .serve_with_shutdown(address, shutdown.recv())
                .await
                .map_err(BallistaError::TonicError)
        })
    })
}

/// Runs an executor until the process is stopped.
pub async fn executor(options: ExecutorOptions) -> Result<()> {
    log_to_stderr();
    let state = node_session(default_config_producer())?;
    std::fs::create_dir_all(&options.work_dir).map_err(|e| Error::io(&options.work_dir, e))?;
    let work_dir = options.work_dir.clone();
    let mut config = ExecutorProcessConfig {
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
    let security = &options.security;
    if security.is_on() {
        config.task_scheduling_policy = TaskSchedulingPolicy::PullStaged;
        let secure = security.endpoint_override();
        config.override_create_grpc_client_endpoint = secure.clone();
        // Tasks fetch shuffle data from the other executors over the same secured connections.
        let tls = security.uses_tls();
        config.override_config_producer = Some(Arc::new(move || {
            let config = default_config_producer().with_ballista_use_tls(tls);
            match &secure {
                Some(f) => config.with_ballista_override_create_grpc_client_endpoint(f.clone()),
                None => config,
            }
        }));
        // Pull mode opens no task port, but the scheduler still calls the one an executor
        // advertises (to cancel tasks, to stop it): name the Flight port, whose server checks
        // every caller, rather than a port any local process could bind.
        config.grpc_port = options.port;
        config.override_arrow_flight_service = Some(secured_flight(
            security.clone(),
            (
                config.grpc_max_encoding_message_size as usize,
                config.grpc_max_decoding_message_size as usize,
            ),
        ));
    }
    eprintln!(
        "vpcflow executor on {}:{} (flight){}, {} slots, scheduler {}:{}, secured by {}",
        options.host,
        options.port,
        if security.is_on() {
            String::new()
        } else {
            format!(" and :{} (grpc)", options.grpc_port)
        },
        options.slots,
        options.scheduler.0,
        options.scheduler.1,
        security.describe()
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
            // A secured scheduler that would refuse this executor is an error now, not a
            // registration retried forever.
            Ok(Ok(_)) if options.security.is_on() => {
                let address = format!("{host}:{port}");
                let asking = format!("executor: the scheduler at {address}");
                let readiness = super::Readiness::of(&address, &options.security, asking).await?;
                readiness.no_executor().await?;
                return Ok(());
            }
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
