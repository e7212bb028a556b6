//! `vpcflow scheduler` and `vpcflow executor` (with the `cluster` feature), which start the
//! nodes of a Ballista cluster; the `--cluster` option of the commands that run SQL is
//! `common::ClusterArgs`.

#[cfg(feature = "cluster")]
pub use nodes::{CertsArgs, ExecutorArgs, SchedulerArgs, certs, executor, scheduler};

#[cfg(feature = "cluster")]
mod nodes {
    use std::net::SocketAddr;
    use std::path::PathBuf;

    use clap::Args;

    use super::super::common::{Outcome, SecurityArgs, runtime};
    use crate::cluster::node::{self, ExecutorOptions, SchedulerOptions};
    use crate::cluster::security::Security;
    use crate::error::{Error, Result};
    use crate::ingest::parallel::RunOptions;

    /// Arguments of `vpcflow scheduler`.
    #[derive(Debug, Args)]
    pub struct SchedulerArgs {
        /// The address to listen on, for clients (`--cluster df://HOST:PORT`) and executors.
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50050")]
        pub bind: SocketAddr,
        /// Seconds without a heartbeat after which an executor is taken as lost and its tasks
        /// run elsewhere.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        pub executor_timeout: u64,
        /// Listen on an address other machines reach without TLS: the cluster's connections
        /// are then not encrypted (and, without a secret, not authenticated).
        #[arg(long)]
        pub insecure: bool,
        /// How the cluster's connections are secured.
        #[command(flatten)]
        pub security: SecurityArgs,
    }

    /// Arguments of `vpcflow cluster certs`.
    #[derive(Debug, Args)]
    pub struct CertsArgs {
        /// Where to write ca.pem, ca-key.pem and a certificate and key for the scheduler,
        /// the executors and the clients (created if missing; existing files are never
        /// replaced).
        #[arg(value_name = "DIR")]
        pub dir: PathBuf,
    }

    /// Arguments of `vpcflow executor`.
    #[derive(Debug, Args)]
    pub struct ExecutorArgs {
        /// The scheduler, as HOST:PORT or df://HOST:PORT.
        #[arg(long, value_name = "HOST:PORT", default_value = "localhost:50050")]
        pub scheduler: String,
        /// The host to listen on, which the scheduler and the other executors connect to.
        #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
        pub host: String,
        /// The Arrow Flight port: shuffle data and results are fetched from it.
        #[arg(long, value_name = "PORT", default_value_t = 50051)]
        pub port: u16,
        /// The gRPC port the scheduler sends tasks to (not opened when the cluster is secured:
        /// executors then poll the scheduler for tasks).
        #[arg(long, value_name = "PORT", default_value_t = 50052)]
        pub grpc_port: u16,
        /// Tasks run at once (default: the machine's cores).
        #[arg(long, value_name = "N")]
        pub slots: Option<usize>,
        /// Where shuffle files are kept (default: a temporary directory).
        #[arg(long, value_name = "DIR")]
        pub work_dir: Option<PathBuf>,
        /// Seconds between heartbeats to the scheduler (keep it well under the scheduler's
        /// --executor-timeout).
        #[arg(long, value_name = "SECONDS", default_value_t = 5)]
        pub heartbeat: u64,
        /// Seconds to wait for the scheduler to answer at start (it may be starting too).
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        pub wait: u64,
        /// Listen on a host other machines reach without TLS: the cluster's connections are
        /// then not encrypted (and, without a secret, not authenticated).
        #[arg(long)]
        pub insecure: bool,
        /// How the cluster's connections are secured.
        #[command(flatten)]
        pub security: SecurityArgs,
    }

    /// Refuses to listen unsecured where other machines reach the node, unless `insecure`:
    /// anyone who reaches a scheduler could have plans run with the executors' credentials,
    /// and anyone who reaches an executor could fetch its shuffle data (flow records).
    fn exposed(
        node: &str,
        address: &str,
        loopback: bool,
        insecure: bool,
        security: &Security,
    ) -> Result<()> {
        if loopback || insecure || security.uses_tls() {
            return Ok(());
        }
        let why = if security.is_on() {
            "a secret alone travels unencrypted, so anyone who sees the traffic could replay it"
        } else {
            "the cluster's connections would be neither encrypted nor authenticated"
        };
        Err(Error::Usage(format!(
            "vpcflow {node}: not listening on {address} without TLS: {why}, and anyone who \
             reaches this address could then run plans with the executors' credentials or read \
             flow records. Give --tls-cert, --tls-key and --tls-ca (`vpcflow cluster certs` \
             makes them), or --insecure on a private network, or listen on 127.0.0.1 for a \
             cluster of one machine"
        )))
    }

    /// Whether `host` names this machine only (`127.0.0.1`, `::1`, `localhost`).
    pub(super) fn is_loopback(host: &str) -> bool {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_matches(|c| c == '[' || c == ']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// Runs a scheduler until stopped.
    pub fn scheduler(args: SchedulerArgs, opts: RunOptions) -> Result<Outcome> {
        let bind = args.bind.to_string();
        let security = Security::load(&args.security.options())?;
        let loopback = args.bind.ip().is_loopback();
        exposed("scheduler", &bind, loopback, args.insecure, &security)?;
        runtime(opts)?.block_on(node::scheduler(SchedulerOptions {
            bind: args.bind,
            executor_timeout_seconds: args.executor_timeout,
            security,
        }))?;
        Ok(Outcome::Success)
    }

    /// Runs an executor until stopped (Ctrl-C or SIGTERM).
    pub fn executor(args: ExecutorArgs, opts: RunOptions) -> Result<Outcome> {
        let security = Security::load(&args.security.options())?;
        let loopback = is_loopback(&args.host);
        exposed("executor", &args.host, loopback, args.insecure, &security)?;
        let address = args.scheduler.trim_start_matches("df://");
        let (host, port) = address
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--scheduler {}: expected HOST:PORT",
                    args.scheduler
                ))
            })?;
        // A temporary work directory lives as long as the executor.
        let temp;
        let work_dir = match args.work_dir {
            Some(dir) => dir,
            None => {
                temp = tempfile::tempdir().map_err(|e| Error::io("<temporary directory>", e))?;
                temp.path().to_path_buf()
            }
        };
        runtime(opts)?.block_on(node::executor(ExecutorOptions {
            scheduler: (host, port),
            host: args.host,
            port: args.port,
            grpc_port: args.grpc_port,
            slots: args.slots.unwrap_or(opts.threads).max(1),
            work_dir,
            heartbeat_seconds: args.heartbeat.max(1),
            wait_seconds: args.wait,
            security,
        }))?;
        Ok(Outcome::Success)
    }

    /// Writes a CA and the certificates of a cluster's nodes and clients.
    pub fn certs(args: CertsArgs) -> Result<Outcome> {
        for path in crate::cluster::certs::write(&args.dir)? {
            println!("{}", path.display());
        }
        Ok(Outcome::Success)
    }
}

#[cfg(all(test, feature = "cluster"))]
mod tests {
    use super::nodes::is_loopback;

    #[test]
    fn only_this_machine_s_names_are_loopback() {
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "localhost",
            "LOCALHOST",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "0.0.0.0",
            "10.0.0.5",
            "::",
            "worker-1.internal",
            "localhost.example",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
