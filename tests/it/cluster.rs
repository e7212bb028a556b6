//! The same answers on a Ballista cluster as in one process: the report pack, the audit and SQL
//! with vpcflow's functions, over an ingested sample dataset, on a scheduler and two executors
//! (separate processes on 127.0.0.1; `VPCFLOW_CLUSTER` names a running one, else the test
//! starts its own). And an executor killed during a query gives a clear error or the right
//! answer, never a wrong one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::cluster::{Cluster, credentials, free_port, make_credentials, wait_for};
use crate::common::tools as s3;

const INVENTORY: &str = "sample-logs/inventory";

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vpcflow"))
}

/// Runs `vpcflow` from the crate root.
fn vpcflow(args: &[&str]) -> Output {
    vpcflow_with_env(&[], args)
}

/// Runs `vpcflow` from the crate root with `env` added to its environment.
fn vpcflow_with_env(env: &[(&str, String)], args: &[&str]) -> Output {
    Command::new(binary())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .envs(env.iter().cloned())
        .args(args)
        .output()
        .expect("vpcflow runs")
}

/// Standard output of a run that must succeed.
fn stdout(args: &[&str]) -> String {
    stdout_with_env(&[], args)
}

/// Standard output of a run with `env` that must succeed.
fn stdout_with_env(env: &[(&str, String)], args: &[&str]) -> String {
    let out = vpcflow_with_env(env, args);
    assert!(
        out.status.success(),
        "vpcflow {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The sample logs ingested into a new dataset.
fn sample_dataset(dir: &Path) -> PathBuf {
    let dataset = dir.join("dataset");
    stdout(&[
        "ingest",
        "sample-logs/AWSLogs",
        "--out",
        dataset.to_str().expect("path"),
        "-q",
    ]);
    dataset
}

/// `args` run locally and with `cluster` (`--cluster URL` and the client's credentials): both
/// outputs.
fn both(args: &[&str], cluster: &[String]) -> (String, String) {
    both_with_env(&[], args, cluster)
}

/// [`both`] with `env` added to the runs' environment.
fn both_with_env(env: &[(&str, String)], args: &[&str], cluster: &[String]) -> (String, String) {
    let local = stdout_with_env(env, args);
    let mut remote = args.to_vec();
    remote.extend(cluster.iter().map(String::as_str));
    (local, stdout_with_env(env, &remote))
}

/// The options that run a command on `cluster`.
fn on(cluster: &Cluster) -> Vec<String> {
    let mut args = vec!["--cluster".to_string(), cluster.url.clone()];
    args.extend(cluster.client.iter().cloned());
    args
}

/// How long the tests' commands wait for a cluster job: a job Ballista never ends fails its
/// test instead of holding up the run.
const JOB_TIMEOUT: &str = "5m";

/// The cluster of ./test (secured, its client's credentials in a folder), else one of the
/// test's own (kept alive by the first value), and the options that run a command on it.
fn shared_cluster() -> (Option<Cluster>, Vec<String>) {
    let (own, mut args) = match std::env::var("VPCFLOW_CLUSTER") {
        Ok(url) => {
            let mut args = vec!["--cluster".to_string(), url];
            if let Some(dir) = std::env::var_os("VPCFLOW_CLUSTER_CREDENTIALS") {
                args.extend(credentials(Path::new(&dir), "client"));
            }
            (None, args)
        }
        Err(_) => {
            let own = Cluster::start_secured(binary(), 2, 2);
            let args = on(&own);
            (Some(own), args)
        }
    };
    args.extend(["--job-timeout".to_string(), JOB_TIMEOUT.to_string()]);
    (own, args)
}

#[test]
fn reports_audit_and_sql_on_a_cluster_equal_a_local_run() {
    let (_own, url) = shared_cluster();
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = sample_dataset(dir.path());
    let ds = dataset.to_str().expect("path");

    let (local, remote) = both(
        &["report", ds, "--inventory", INVENTORY, "-o", "json"],
        &url,
    );
    assert_eq!(local, remote, "the report pack differs on the cluster");
    let parsed: serde_json::Value = serde_json::from_str(&remote).expect("JSON");
    let summary = parsed["traffic-summary"].as_array().expect("rows");
    let classes: Vec<&str> = summary
        .iter()
        .filter_map(|r| r["traffic_class"].as_str())
        .collect();
    for class in [
        "gateway_endpoint",
        "interface_endpoint",
        "nat_gateway",
        "intra_vpc",
    ] {
        assert!(classes.contains(&class), "{class} missing from {classes:?}");
    }
    // The inventory's tables were published beside the dataset for the executors; the
    // classified records the reports shared are gone.
    let published = std::fs::read_dir(dataset.join("inventory"))
        .expect("inventory/")
        .count();
    assert_eq!(published, 1);
    assert!(!dataset.join("scratch").exists(), "scratch output left");

    let (local, remote) = both(
        &[
            "audit",
            ds,
            "--inventory",
            INVENTORY,
            "-o",
            "json",
            "--no-html",
            "-q",
        ],
        &url,
    );
    assert_eq!(local, remote, "the audit differs on the cluster");
    assert!(remote.contains("\"findings\""));

    // Every kind of function: an address one, an ip-ranges one, an inventory one.
    let sql = "SELECT aws_service(dstaddr) AS service, eni_has_ip(interface_id, srcaddr) AS sender, \
               is_private_ip(srcaddr) AS private, count(*) AS records, sum(bytes) AS bytes \
               FROM flows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    let (local, remote) = both(
        &["query", sql, ds, "--inventory", INVENTORY, "-o", "csv"],
        &url,
    );
    assert_eq!(local, remote, "SQL with functions differs on the cluster");
    assert!(local.lines().count() > 3, "{local}");
}

#[test]
fn an_s3_dataset_gives_the_same_answers_on_a_cluster() {
    // Every process, client and nodes, reaches the test's S3 server from its environment.
    let env = s3::aws_env(&s3::server().admin);
    let cluster = Cluster::start_with_env(binary(), 2, 1, &env);
    let prefix = format!("cluster-{}", std::process::id());
    let dataset = format!("s3://{}/{prefix}", s3::server().bucket);
    stdout_with_env(
        &env,
        &["ingest", "sample-logs/AWSLogs", "--out", &dataset, "-q"],
    );

    let (local, remote) = both_with_env(
        &env,
        &[
            "report",
            "traffic-summary",
            "endpoint-bytes",
            &dataset,
            "--inventory",
            INVENTORY,
            "-o",
            "json",
        ],
        &on(&cluster),
    );
    assert_eq!(
        local,
        remote,
        "reports differ on the cluster:\n{}",
        cluster.logs()
    );
    let parsed: serde_json::Value = serde_json::from_str(&remote).expect("JSON");
    let bytes: Vec<u64> = parsed["endpoint-bytes"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["bytes"].as_u64())
        .collect();
    assert!(bytes.iter().any(|b| *b > 0), "{remote}");

    let sql = "SELECT aws_service(dstaddr) AS service, eni_has_ip(interface_id, srcaddr) AS sender, \
               count(*) AS records, sum(bytes) AS bytes FROM flows GROUP BY 1, 2 ORDER BY 1, 2";
    let (local, remote) = both_with_env(
        &env,
        &[
            "query",
            sql,
            &dataset,
            "--inventory",
            INVENTORY,
            "-o",
            "csv",
        ],
        &on(&cluster),
    );
    assert_eq!(
        local,
        remote,
        "SQL differs on the cluster:\n{}",
        cluster.logs()
    );
    assert!(local.lines().count() > 3, "{local}");

    // The inventory's tables were published beside the dataset, in the bucket.
    let published = s3::keys(&format!("{prefix}/inventory/"));
    assert!(
        published.iter().any(|k| k.ends_with("/enis.parquet")),
        "{published:?}"
    );
    let scratch = s3::keys(&format!("{prefix}/scratch/"));
    assert!(scratch.is_empty(), "scratch output left: {scratch:?}");
}

#[test]
fn a_killed_executor_gives_a_clear_error_or_the_right_answer() {
    let mut nodes = Cluster::start(binary(), 2, 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = sample_dataset(dir.path());
    let ds = dataset.to_str().expect("path");
    let args = [
        "report",
        "endpoint-bytes",
        "nat-gateway-bytes",
        "top-talkers",
        ds,
        "--inventory",
        INVENTORY,
        "-o",
        "json",
    ];
    let expected = stdout(&args);

    let url = nodes.url.clone();
    let mut remote = args.to_vec();
    remote.extend(["--cluster", &url]);
    let child = Command::new(binary())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(&remote)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vpcflow runs");
    // A quarter of a second in, early in the job. Killed later, after the executor has finished a stage
    // that a running one reads, Ballista 55's adaptive planner can leave the job waiting
    // forever (README, "Known problem"), which this test would only time out on.
    std::thread::sleep(Duration::from_millis(250));
    nodes.kill_executor(0);
    let out = wait(child, Duration::from_secs(300), &nodes);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "a wrong answer after an executor was lost"
        );
    } else {
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(out.stdout.is_empty(), "no partial output");
    }
    // Whether the jobs ended well or not, their scratch output is removed.
    assert!(!dataset.join("scratch").exists(), "scratch output left");

    // The cluster goes on with the executor left.
    let again = vpcflow(&remote);
    assert!(
        again.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&again.stderr),
        nodes.logs()
    );
    assert_eq!(String::from_utf8_lossy(&again.stdout), expected);
}

/// Waits for `child`, killing it after `limit` (and then showing what the nodes logged).
fn wait(mut child: std::process::Child, limit: Duration, nodes: &Cluster) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "the query did not end within {limit:?}\n{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                nodes.logs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn a_cluster_needs_an_ingested_dataset_and_a_scheduler_that_answers() {
    let run = |input: &str| {
        let out = vpcflow(&[
            "report",
            input,
            "--inventory",
            INVENTORY,
            "--cluster",
            "df://127.0.0.1:1",
        ]);
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run("sample-logs/AWSLogs");
    assert!(stderr.contains("ingested dataset"), "{stderr}");
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = sample_dataset(dir.path());
    let stderr = run(dataset.to_str().expect("path"));
    assert!(
        stderr.contains("df://127.0.0.1:1: cannot reach the scheduler"),
        "{stderr}"
    );
}

/// `report top-talkers` of `ds` on the cluster at `url` with `client`'s options: the exit code
/// and standard error.
fn report_on(url: &str, ds: &str, client: &[String]) -> (Option<i32>, String) {
    let out = Command::new(binary())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "report",
            "top-talkers",
            ds,
            "--inventory",
            INVENTORY,
            "-o",
            "csv",
        ])
        .args(["--cluster", url, "--wait", "3s"])
        .args(client)
        .output()
        .expect("vpcflow runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_secured_cluster_lets_in_only_who_has_its_certificates_and_secret() {
    let nodes = Cluster::start_secured(binary(), 1, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = sample_dataset(dir.path());
    let ds = dataset.to_str().expect("path");
    let (code, stderr) = report_on(&nodes.url, ds, &nodes.client);
    assert_eq!(code, Some(0), "{stderr}\n{}", nodes.logs());

    // Certificates of another CA, and no certificate at all.
    let other = dir.path().join("other");
    make_credentials(binary(), &other, "a-secret-of-another-cluster-0123456");
    let (code, stderr) = report_on(&nodes.url, ds, &credentials(&other, "client"));
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no TLS connection to the scheduler"),
        "{stderr}"
    );
    let (code, stderr) = report_on(&nodes.url, ds, &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("a secured cluster needs its credentials"),
        "{stderr}"
    );
    // The right certificate without the secret, and with another.
    let without: Vec<String> = nodes.client[..6].to_vec();
    let (code, stderr) = report_on(&nodes.url, ds, &without);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("the cluster's secret is missing or wrong"),
        "{stderr}"
    );
    let mut wrong = nodes.client.clone();
    wrong[7] = other.join("secret").to_string_lossy().into_owned();
    let (code, stderr) = report_on(&nodes.url, ds, &wrong);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("the cluster's secret is missing or wrong"),
        "{stderr}"
    );

    // Plain bytes to an executor's Flight port: a TLS alert (record type 21) or nothing.
    let mut flight = TcpStream::connect(("127.0.0.1", nodes.flight_ports[0])).expect("connects");
    flight
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    flight
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .expect("writes");
    let mut answer = Vec::new();
    let _ = flight.read_to_end(&mut answer);
    assert!(answer.is_empty() || answer[0] == 21, "{answer:?}");
}

/// What a gRPC call to `port` over TLS (trusting the CA of `dir`, with its client certificate
/// when `cert`, the secret of `dir` when `secret`) comes to: `admitted` when the server
/// answered the call (even with "unimplemented"), else the status code, the connection error
/// or `no answer`. A client without a certificate learns of its refusal only when it reads
/// (TLS 1.3 checks the client's certificate after the client's side of the handshake); now and
/// then tonic's client misses that the server closed the connection and waits for ever, so the
/// call is given 20 s.
fn grpc_call(port: u16, dir: &Path, cert: bool, secret: bool) -> String {
    use arrow_flight::flight_service_client::FlightServiceClient;
    use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
    let read = |name: &str| std::fs::read(dir.join(name)).expect("credentials");
    let mut tls = ClientTlsConfig::new()
        .domain_name("vpcflow-cluster")
        .ca_certificate(Certificate::from_pem(read("ca.pem")));
    if cert {
        tls = tls.identity(Identity::from_pem(
            read("client.pem"),
            read("client-key.pem"),
        ));
    }
    let mut endpoint = Endpoint::from_shared(format!("https://127.0.0.1:{port}"))
        .expect("endpoint")
        .tls_config(tls)
        .expect("TLS");
    if secret {
        let secret = String::from_utf8(read("secret")).expect("UTF-8");
        endpoint = endpoint
            .user_agent(format!("vpcflow-secret/{secret}"))
            .expect("header");
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let call = async {
        let channel = match endpoint.connect().await {
            Ok(c) => c,
            Err(e) => return format!("no connection: {e}"),
        };
        let call = FlightServiceClient::new(channel)
            .list_flights(arrow_flight::Criteria::default())
            .await;
        match call {
            Ok(_) => "admitted".to_string(),
            Err(s) if s.code() == tonic::Code::Unimplemented => "admitted".to_string(),
            Err(s) => format!("{:?}: {}", s.code(), s.message()),
        }
    };
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), call)
            .await
            .unwrap_or_else(|_| "no answer".to_string())
    })
}

#[test]
fn every_server_of_a_secured_cluster_wants_a_certificate_and_the_secret() {
    let nodes = Cluster::start_secured(binary(), 1, 1);
    let dir = Path::new(&nodes.client[5])
        .parent()
        .expect("credentials folder");
    for (port, server) in [
        (nodes.port(), "scheduler"),
        (nodes.flight_ports[0], "Flight"),
    ] {
        assert_eq!(grpc_call(port, dir, true, true), "admitted", "{server}");
        let unauthenticated = grpc_call(port, dir, true, false);
        assert!(
            unauthenticated.starts_with("Unauthenticated"),
            "{server}: {unauthenticated}"
        );
        let anonymous = grpc_call(port, dir, false, true);
        assert_ne!(
            anonymous, "admitted",
            "{server}: a client without a certificate"
        );
        assert!(
            !anonymous.starts_with("Unauthenticated"),
            "{server}: {anonymous}"
        );
        // The refused clients cost the server nothing: it still admits the cluster's own.
        assert_eq!(grpc_call(port, dir, true, true), "admitted", "{server}");
    }
    // A secured executor polls for tasks: its task port is not opened.
    assert!(TcpStream::connect(("127.0.0.1", nodes.grpc_ports[0])).is_err());
}

#[test]
fn an_executor_without_the_cluster_s_certificate_is_not_let_in() {
    let nodes = Cluster::start_secured(binary(), 0, 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("other");
    make_credentials(binary(), &other, "a-secret-of-another-cluster-0123456");
    // Its own certificate is of another CA; it trusts the cluster's and knows the secret.
    let mut options = credentials(&other, "executor");
    options[5] = nodes.client[5].clone();
    options[7] = nodes.client[7].clone();
    let intruder = Command::new(binary())
        .args([
            "executor",
            "--scheduler",
            nodes.url.trim_start_matches("df://"),
        ])
        .args([
            "--port",
            &free_port().to_string(),
            "--grpc-port",
            &free_port().to_string(),
        ])
        .args(["--heartbeat", "1"])
        .args(&options)
        .arg("--work-dir")
        .arg(dir.path().join("work"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vpcflow runs");
    // It is told so and stops, rather than retry for ever.
    let out = wait(intruder, Duration::from_secs(60), &nodes);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("no TLS connection to the scheduler"),
        "{said}"
    );
    let dataset = sample_dataset(dir.path());
    let (code, stderr) = report_on(&nodes.url, dataset.to_str().expect("path"), &nodes.client);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no executor was registered"), "{stderr}");
}

#[test]
fn nodes_listen_beyond_this_machine_only_with_insecure() {
    let refused = |args: &[&str], address: &str| {
        let out = Command::new(binary())
            .args(args)
            .env_remove("VPCFLOW_TLS_CERT")
            .env_remove("VPCFLOW_TLS_KEY")
            .env_remove("VPCFLOW_TLS_CA")
            .env_remove("VPCFLOW_CLUSTER_SECRET_FILE")
            .env_remove("VPCFLOW_CLUSTER_SECRET")
            .output()
            .expect("vpcflow runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("not listening on {address} without TLS")),
            "{stderr}"
        );
    };
    refused(&["scheduler", "--bind", "0.0.0.0:50050"], "0.0.0.0:50050");
    // A secret alone is not enough: it would travel unencrypted.
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "a-secret-long-enough-0123456789").expect("secret");
    let secret = secret.to_str().expect("path");
    refused(
        &[
            "scheduler",
            "--bind",
            "0.0.0.0:50050",
            "--secret-file",
            secret,
        ],
        "0.0.0.0:50050",
    );
    refused(
        &[
            "executor",
            "--host",
            "10.0.0.5",
            "--scheduler",
            "127.0.0.1:1",
        ],
        "10.0.0.5",
    );
    // With --insecure, a scheduler listens on every interface (127.0.0.1 among them).
    let port = free_port();
    let mut scheduler = Command::new(binary())
        .args([
            "scheduler",
            "--insecure",
            "--bind",
            &format!("0.0.0.0:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("vpcflow runs");
    wait_for(port);
    let _ = scheduler.kill();
    let _ = scheduler.wait();
}

#[test]
fn an_executor_waits_for_its_scheduler_then_says_it_cannot_reach_it() {
    let started = Instant::now();
    let out = vpcflow(&[
        "executor",
        "--scheduler",
        "127.0.0.1:1",
        "--wait",
        "2",
        "--port",
        "1",
        "--grpc-port",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(started.elapsed() >= Duration::from_secs(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot reach the scheduler at 127.0.0.1:1 after waiting 2 s"),
        "{stderr}"
    );
}

#[test]
fn a_cluster_without_executors_is_a_clear_error_within_the_wait() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = sample_dataset(dir.path());
    let ds = dataset.to_str().expect("path");
    let report = |url: &str| {
        Command::new(binary())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["report", "top-talkers", ds, "--inventory", INVENTORY])
            .args(["--cluster", url, "--wait", "3s"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("vpcflow runs")
    };
    // No executor at all: the client says so after --wait instead of waiting forever.
    let nodes = Cluster::start(binary(), 0, 1);
    let started = Instant::now();
    let out = wait(report(&nodes.url), Duration::from_secs(60), &nodes);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(
        stderr.contains("no executor was registered with the scheduler for 3s before running"),
        "{stderr}"
    );
    assert!(
        stderr.contains("not ready: 0/1 executors registered"),
        "{stderr}"
    );
    drop(nodes);

    // The only executor lost for good while the job runs: an error within the scheduler's
    // executor timeout (3 s here) and --wait, from Ballista or from the client.
    let mut nodes = Cluster::start(binary(), 1, 1);
    let child = report(&nodes.url);
    std::thread::sleep(Duration::from_millis(250));
    nodes.kill_executor(0);
    let out = wait(child, Duration::from_secs(90), &nodes);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}\n{}", nodes.logs());
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(out.stdout.is_empty(), "no partial output");
}

#[test]
fn a_job_past_its_timeout_is_a_clear_error() {
    // Ballista can leave a job waiting forever after losing an executor; whatever holds a job
    // up, the client gives up on it after --job-timeout, names the cluster and exits 2. A
    // cluster of its own: the jobs given up on go on running there.
    let nodes = Cluster::start(binary(), 1, 1);
    let cluster = on(&nodes);
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = sample_dataset(dir.path());
    let ds = dataset.to_str().expect("path");
    let url = cluster[1].clone();
    for args in [
        vec!["report", ds, "--inventory", INVENTORY],
        vec!["query", "SELECT count(*) FROM flows", ds],
    ] {
        let started = Instant::now();
        let mut command = Command::new(binary());
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .args(&cluster)
            .args(["--job-timeout", "10ms"]);
        let out = command.output().expect("vpcflow runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "--cluster {url}: a job did not finish within 10ms"
            )),
            "{stderr}"
        );
        assert!(stderr.contains("give --job-timeout more time"), "{stderr}");
        assert!(out.stdout.is_empty(), "no partial output");
        assert!(started.elapsed() < Duration::from_secs(60));
    }
}
