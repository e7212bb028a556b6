//! A Ballista cluster of `vpcflow` processes on 127.0.0.1: a scheduler and executors, each a
//! process of its own, stopped when the value is dropped.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running cluster.
pub struct Cluster {
    /// Its address for `--cluster`.
    pub url: String,
    /// What a client adds to `--cluster` to be let in: its certificate and the secret of a
    /// secured cluster, nothing for another.
    pub client: Vec<String>,
    /// The executors' Arrow Flight ports.
    pub flight_ports: Vec<u16>,
    /// The executors' task ports (`--grpc-port`).
    pub grpc_ports: Vec<u16>,
    scheduler: Child,
    executors: Vec<Child>,
    work: tempfile::TempDir,
    certs: Option<tempfile::TempDir>,
}

/// The options that secure a node or a client with the certificate `role` of `dir` (written
/// by `vpcflow cluster certs`) and the secret in `dir/secret`.
pub fn credentials(dir: &Path, role: &str) -> Vec<String> {
    let path = |name: String| dir.join(name).to_string_lossy().into_owned();
    vec![
        "--tls-cert".to_string(),
        path(format!("{role}.pem")),
        "--tls-key".to_string(),
        path(format!("{role}-key.pem")),
        "--tls-ca".to_string(),
        path("ca.pem".to_string()),
        "--secret-file".to_string(),
        path("secret".to_string()),
    ]
}

/// Writes a cluster's certificates and a secret into `dir` with `binary`.
pub fn make_credentials(binary: &Path, dir: &Path, secret: &str) {
    let out = Command::new(binary)
        .args(["cluster", "certs"])
        .arg(dir)
        .output()
        .expect("vpcflow runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join("secret"), secret).expect("secret");
}

impl Cluster {
    /// Starts `executors` executors of `slots` task slots each and then a scheduler (executors
    /// wait for theirs, as when a whole cluster is started at once), and waits until every one
    /// listens. Executors beat every second and the scheduler gives up on one after three
    /// silent seconds, so a lost executor is noticed quickly.
    pub fn start(binary: &Path, executors: usize, slots: usize) -> Cluster {
        Cluster::start_with_env(binary, executors, slots, &[])
    }

    /// [`Cluster::start`] with mutual TLS and a shared secret: certificates made by `vpcflow
    /// cluster certs` in the cluster's work folder; [`Cluster::client`] holds a client's.
    pub fn start_secured(binary: &Path, executors: usize, slots: usize) -> Cluster {
        let certs = tempfile::tempdir().expect("tempdir");
        make_credentials(binary, certs.path(), "a-secret-of-this-test-cluster-0123");
        let mut cluster = Cluster::start_nodes(binary, executors, slots, &[], Some(certs.path()));
        cluster.client = credentials(certs.path(), "client");
        cluster.certs = Some(certs);
        cluster
    }

    /// [`Cluster::start`] with `env` in every node's environment.
    pub fn start_with_env(
        binary: &Path,
        executors: usize,
        slots: usize,
        env: &[(&str, String)],
    ) -> Cluster {
        Cluster::start_nodes(binary, executors, slots, env, None)
    }

    /// Starts the nodes, secured with the credentials in `certs` when given.
    fn start_nodes(
        binary: &Path,
        executors: usize,
        slots: usize,
        env: &[(&str, String)],
        certs: Option<&Path>,
    ) -> Cluster {
        let secured = |role: &str| certs.map(|dir| credentials(dir, role)).unwrap_or_default();
        let work = tempfile::tempdir().expect("tempdir");
        let log = |name: &str| {
            std::fs::File::create(work.path().join(format!("{name}.log"))).expect("log file")
        };
        let port = free_port();
        let mut running = Vec::new();
        let mut ports = vec![port];
        let mut flight_ports = Vec::new();
        let mut grpc_ports = Vec::new();
        for i in 0..executors {
            let (flight, grpc) = (free_port(), free_port());
            let dir = work.path().join(format!("executor-{i}"));
            running.push(
                Command::new(binary)
                    .envs(env.iter().cloned())
                    .arg("executor")
                    .args(["--scheduler", &format!("127.0.0.1:{port}")])
                    .args(["--port", &flight.to_string()])
                    .args(["--grpc-port", &grpc.to_string()])
                    .args(["--slots", &slots.to_string(), "--heartbeat", "1"])
                    .args(secured("executor"))
                    .arg("--work-dir")
                    .arg(&dir)
                    .stdout(Stdio::null())
                    .stderr(log(&format!("executor-{i}")))
                    .spawn()
                    .expect("an executor starts"),
            );
            // A secured executor takes no tasks on its gRPC port: it polls for them.
            ports.push(flight);
            if certs.is_none() {
                ports.push(grpc);
            }
            flight_ports.push(flight);
            grpc_ports.push(grpc);
        }
        std::thread::sleep(Duration::from_millis(500));
        let scheduler = Command::new(binary)
            .envs(env.iter().cloned())
            .args(["scheduler", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--executor-timeout", "3"])
            .args(secured("scheduler"))
            .stdout(Stdio::null())
            .stderr(log("scheduler"))
            .spawn()
            .expect("the scheduler starts");
        for port in ports {
            wait_for(port);
        }
        // Registration with the scheduler follows the first heartbeat.
        std::thread::sleep(Duration::from_millis(1500));
        Cluster {
            url: format!("df://127.0.0.1:{port}"),
            client: Vec::new(),
            flight_ports,
            grpc_ports,
            certs: None,
            scheduler,
            executors: running,
            work,
        }
    }

    /// The scheduler's port.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port")
    }

    /// Kills executor `i` at once (SIGKILL: no goodbye to the scheduler).
    pub fn kill_executor(&mut self, i: usize) {
        let e = &mut self.executors[i];
        e.kill().expect("kill");
        e.wait().expect("wait");
    }

    /// What the processes wrote on standard error, for a failure's message.
    pub fn logs(&self) -> String {
        let mut all = String::new();
        let mut names: Vec<_> = std::fs::read_dir(self.work.path())
            .expect("work dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
            .collect();
        names.sort();
        for path in names {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            all.push_str(&format!("== {}\n{text}\n", path.display()));
        }
        all
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.executors.iter_mut().chain([&mut self.scheduler]) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port nobody listens on now.
/// A port nothing listens on, for a node to take. Not one the system hands out (its ephemeral
/// range starts at 32768, and an outgoing connection or another test could take the port
/// before the node binds it), but the next of this process's own below that range, skipping
/// any already in use.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    // Each test process starts at its own place among 20000-31099 (./test's cluster uses 31150+).
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 111) as u16 * 100;
    loop {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 100;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Waits (up to a minute) until something listens on `port`.
pub fn wait_for(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "nothing listens on port {port} after a minute"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
