//! `s3://` inputs against a real S3-compatible server: moto's, on 127.0.0.1, with
//! authentication and IAM policies on (tests/s3/server.py). `./test` starts it and names its
//! state file in `VPCFLOW_S3_STATE`; without that, the first test starts one (see
//! `common::tools`).
//!
//! Checked: query, report, audit and ingest over `s3://` answer exactly as over the local copy;
//! a time window and an account filter list only the prefixes they need (LIST requests counted
//! in the server's own request log, expected counts worked out from the tree's shape);
//! incremental ingest by ETag; a forbidden object, a wrong endpoint, bad credentials and a
//! missing bucket each give a clear error and never print a secret; shared-file profiles.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use crate::common::tools::{Key, aws_env, delete, keys, put, server};
use crate::common::{AUDIT_JSON, gzip, resources_of, root};

/// The binary with the server's endpoint and `key` in the environment, and nothing else of AWS.
fn process_as(key: &Key) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_vpcflow"));
    c.current_dir(root());
    for var in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ENDPOINT_URL_S3",
        "AWS_DEFAULT_REGION",
    ] {
        c.env_remove(var);
    }
    c.envs(aws_env(key));
    c
}

fn vpcflow_as(key: &Key) -> Command {
    Command::from(process_as(key))
}

fn run_as(key: &Key, args: &[&str]) -> (Option<i32>, String, String) {
    let out = vpcflow_as(key).args(args).output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    run_as(&server().reader, args)
}

fn url(key: &str) -> String {
    format!("s3://{}/{key}", server().bucket)
}

/// What a command printed over the bucket's copy of sample-logs/, with the copy's names made
/// the local ones.
fn as_local(text: &str) -> String {
    text.replace(&url("sample/"), "sample-logs/")
}

/// The lines, sorted: row order of a query without ORDER BY is the input's, and listing and
/// walking order the same objects alike, but the comparison should not hang on it.
fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

fn errors(stderr: &str) -> Vec<String> {
    sorted_lines(stderr)
        .into_iter()
        .filter(|l| l.starts_with("error:"))
        .collect()
}

#[test]
fn query_report_and_audit_answer_as_over_the_local_copy() {
    let remote = url("sample/");
    let every_row = "SELECT * FROM flows";
    let (code_s3, out_s3, err_s3) = run(&["query", every_row, &remote, "-o", "csv"]);
    let (code, out, err) = run(&["query", every_row, "sample-logs", "-o", "csv"]);
    assert_eq!(
        code,
        Some(2),
        "sample-logs/invalid holds damaged objects: {err}"
    );
    assert_eq!(code_s3, code, "{err_s3}");
    assert!(out.lines().count() > 1000, "{out}");
    assert_eq!(sorted_lines(&as_local(&out_s3)), sorted_lines(&out));
    // The damaged objects are named the same way, with the same reasons.
    assert_eq!(errors(&as_local(&err_s3)), errors(&err));
    assert!(
        err_s3.contains(&format!(
            "{}: corrupt deflate stream",
            url("sample/invalid/corrupt.log.gz")
        )),
        "{err_s3}"
    );

    let inventory = "sample-logs/inventory";
    let (code_s3, out_s3, err_s3) =
        run(&["report", &remote, "--inventory", inventory, "-o", "json"]);
    let (code, out, _) = run(&[
        "report",
        "sample-logs",
        "--inventory",
        inventory,
        "-o",
        "json",
    ]);
    assert_eq!((code_s3, code), (Some(2), Some(2)), "{err_s3}");
    assert!(out.contains("traffic_class"), "{out}");
    assert_eq!(as_local(&out_s3), out);

    let audit = |input: &str| {
        run(&[
            "audit",
            input,
            "--inventory",
            inventory,
            "-o",
            "json",
            "--no-html",
        ])
    };
    let ((code_s3, out_s3, err_s3), (code, out, _)) = (audit(&remote), audit("sample-logs"));
    assert_eq!(code_s3, code, "{err_s3}");
    assert!(out.contains("findings"), "{out}");
    assert_eq!(as_local(&out_s3), out);
}

fn list_requests(prefix: &str) -> usize {
    let log = std::fs::read_to_string(&server().log).expect("request log");
    // The log shows the query string as the client sent it, escaped or not.
    let wanted = format!("prefix={prefix}");
    log.lines()
        .map(|l| l.replace("%2F", "/"))
        .filter(|l| l.contains("list-type=2") && l.contains(&wanted))
        .count()
}

/// Runs a count over the two-account, two-year tree (`years/`, one one-record object at noon
/// on days 1, 9, 10, 11 and 20 of every month), returning the count and the LIST requests.
fn count_years(extra: &[&str]) -> (i64, usize) {
    let before = list_requests("years/");
    let remote = url("years/");
    // Some windows hold no object: that is what is counted.
    let mut args = vec![
        "query",
        "SELECT count(*) AS n FROM flows",
        &remote,
        "-o",
        "json",
        "--allow-empty",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let n = v[0]["n"].as_i64().expect("n");
    (n, list_requests("years/") - before)
}

#[test]
fn a_window_lists_only_the_prefixes_it_needs() {
    // Everything: years/, AWSLogs/, 2 accounts, 2 vpcflowlogs/, 2 regions, 4 years,
    // 48 months, 240 days = 300 listings, and one of years/_vpcflow/commits/ (is the prefix an
    // ingested dataset?): 301; 2 x 2 x 12 x 5 objects of one record.
    assert_eq!(count_years(&[]), (240, 301));
    // One day: the same first 8 listings, then one year and one month per account, and the
    // days 9, 10 and 11 (a day either side may hold late deliveries): 8 + 2 + 2 + 6 = 18, and
    // the dataset check.
    // Only the day-10 noon objects fall in the window (by their names' stamps).
    let day = ["--since", "2024-06-10", "--until", "2024-06-11"];
    assert_eq!(count_years(&day), (2, 19));
    // One account: 1 + 1 + 1 + 1 + 1 + 1 + 1 + 3 = 10, and the dataset check.
    let one = [&day[..], &["--account", "111122223333"]].concat();
    assert_eq!(count_years(&one), (1, 11));
    // A region nobody logs in: the vpcflowlogs/ prefixes are listed, no region below them:
    // 1 + 1 + 2 + 2 = 6, and the dataset check.
    let elsewhere = [&day[..], &["--region-filter", "eu-west-3"]].concat();
    assert_eq!(count_years(&elsewhere), (0, 7));
}

#[test]
fn a_forbidden_object_is_named_and_the_run_goes_on() {
    let (code, out, err) = run(&[
        "query",
        "SELECT count(*) AS n FROM flows",
        &url("mixed/"),
        "-o",
        "csv",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(out, "n\n3\n", "ok.log's three records are kept");
    assert!(
        err.contains(&format!(
            "error: {}: access denied (403 AccessDenied",
            url("mixed/denied.log")
        )),
        "{err}"
    );
    // A key named on its own is read like a file named on the command line.
    let (code, out, err) = run(&[
        "query",
        "SELECT count(*) AS n FROM flows",
        &url("mixed/ok.log"),
        "-o",
        "csv",
    ]);
    assert_eq!((code, out.as_str()), (Some(0), "n\n3\n"), "{err}");
}

#[test]
fn wrong_endpoint_bad_credentials_and_missing_bucket_are_clear_errors() {
    let q = "SELECT count(*) FROM flows";
    let s = server();
    let (code, _, err) = run(&[
        "query",
        q,
        &url("mixed/"),
        "--endpoint-url",
        "http://127.0.0.1:1",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("http://127.0.0.1:1/"), "{err}");
    assert!(err.contains("check the endpoint"), "{err}");

    let wrong = Key {
        id: s.reader.id.clone(),
        secret: "not-the-secret-0123456789".into(),
    };
    let (code, _, err) = run_as(&wrong, &["query", q, &url("mixed/")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!("error: {}: SignatureDoesNotMatch", url("mixed/"))),
        "{err}"
    );
    assert!(err.contains("check the credentials"), "{err}");
    let unknown = Key {
        id: "AKIAUNKNOWNKEY000000".into(),
        secret: s.reader.secret.clone(),
    };
    let (code, _, err) = run_as(&unknown, &["query", q, &url("mixed/")]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("InvalidAccessKeyId"), "{err}");
    for secret in [&s.reader.secret, &wrong.secret] {
        assert!(
            !err.contains(secret.as_str()),
            "a secret was printed: {err}"
        );
    }

    let (code, _, err) = run(&["query", q, "s3://no-such-bucket/AWSLogs/"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("error: s3://no-such-bucket/AWSLogs/: NoSuchBucket"),
        "{err}"
    );
}

#[test]
fn credentials_from_a_profile_of_the_shared_files() {
    let s = server();
    let home = tempfile::tempdir().expect("home");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).expect("dir");
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[flows]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            s.reader.id, s.reader.secret
        ),
    )
    .expect("credentials");
    std::fs::write(
        aws.join("config"),
        format!(
            "[profile flows]\nregion = us-east-1\nendpoint_url = {}\n\n[profile assumed]\nrole_arn = arn:aws:iam::111122223333:role/x\nsource_profile = flows\n",
            s.endpoint
        ),
    )
    .expect("config");
    let q = "SELECT count(*) AS n FROM flows";
    let target = url("mixed/ok.log");
    let bare = |profile: Option<&str>, env_profile: Option<&str>| {
        let mut c = vpcflow_as(&s.reader);
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_REGION")
            .env("HOME", home.path());
        if let Some(p) = env_profile {
            c.env("AWS_PROFILE", p);
        }
        c.args(["query", q, &target, "-o", "csv"]);
        if let Some(p) = profile {
            c.args(["--profile", p]);
        }
        let out = c.output().expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = bare(Some("flows"), None);
    assert_eq!((code, out.as_str()), (Some(0), "n\n3\n"), "{err}");
    let (code, out, err) = bare(None, Some("flows"));
    assert_eq!((code, out.as_str()), (Some(0), "n\n3\n"), "{err}");
    let (code, _, err) = bare(Some("nope"), None);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("profile nope: not found in"), "{err}");
    let (code, _, err) = bare(Some("assumed"), None);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("role_arn"), "{err}");
    assert!(!err.contains(&s.reader.secret), "{err}");
}

fn record(n: u32) -> String {
    format!(
        "2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.{n} 443 49152 6 10 8400 1717243200 1717243260 ACCEPT OK\n"
    )
}

fn ingest(input: &str, out: &Path) -> Value {
    let out = out.to_str().expect("utf-8");
    let (code, stdout, err) = run(&["ingest", input, "--out", out, "-o", "json"]);
    assert_eq!(code, Some(0), "{err}");
    serde_json::from_str(&stdout).expect("summary")
}

/// An object beside its own gzip copy under one prefix (`x.log` and `x.log.gz`) is read once,
/// from the gzip object, and the copy is named.
#[test]
fn a_plain_copy_beside_its_gzip_object_is_read_once() {
    let prefix = format!("copies-{}/", std::process::id());
    let text = record(1) + &record(2);
    let gz = gzip(&text);
    let (x, x_gz, y) = (
        format!("{prefix}x.log"),
        format!("{prefix}x.log.gz"),
        format!("{prefix}y.log"),
    );
    put(&[
        (x.as_str(), text.as_bytes()),
        (x_gz.as_str(), gz.as_slice()),
        (y.as_str(), record(3).as_bytes()),
    ]);
    let sql = "SELECT count(*) AS n FROM flows";
    let (code, stdout, err) = run(&["query", sql, &url(&prefix), "-o", "csv"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(stdout, "n\n3\n");
    assert!(
        err.contains("x.log: skipped: the same name as x.log.gz beside it"),
        "{err}"
    );
}

#[test]
fn ingest_from_s3_is_the_local_ingest_and_fetches_only_new_objects() {
    let dir = tempfile::tempdir().expect("tmp");
    let prefix = format!(
        "incremental-{}/AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/06/01/",
        std::process::id()
    );
    let a = format!("{prefix}a.log");
    let b = format!("{prefix}b.log");
    put(&[
        (a.as_str(), (record(1) + &record(2)).as_bytes()),
        (b.as_str(), record(3).as_bytes()),
    ]);
    let remote = url(&prefix);
    let ds = dir.path().join("ds");
    let first = ingest(&remote, &ds);
    assert_eq!(
        (first["files"].as_u64(), first["records"].as_u64()),
        (Some(2), Some(3))
    );
    let again = ingest(&remote, &ds);
    assert_eq!(
        (again["files"].as_u64(), again["already_ingested"].as_u64()),
        (Some(0), Some(2))
    );
    let c = format!("{prefix}c.log");
    put(&[(c.as_str(), record(4).as_bytes())]);
    let third = ingest(&remote, &ds);
    assert_eq!(
        (
            third["files"].as_u64(),
            third["records"].as_u64(),
            third["already_ingested"].as_u64()
        ),
        (Some(1), Some(1), Some(2))
    );
    // Same size, other content: only the ETag tells.
    put(&[(b.as_str(), record(5).as_bytes())]);
    let (code, out, err) = run(&[
        "ingest",
        &remote,
        "--out",
        ds.to_str().expect("utf-8"),
        "-o",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).expect("summary");
    assert_eq!(v["changed_since_ingest"].as_u64(), Some(1), "{out}");
    assert!(
        err.contains(&format!("{}: changed since it was ingested", url(&b))),
        "{err}"
    );
    let (_, rows, err) = run(&[
        "query",
        "SELECT dstaddr FROM flows ORDER BY dstaddr",
        ds.to_str().expect("utf-8"),
        "-o",
        "csv",
    ]);
    assert_eq!(
        rows, "dstaddr\n10.0.2.1\n10.0.2.2\n10.0.2.3\n10.0.2.4\n",
        "{err}"
    );

    // The bucket's copy of sample-logs/ ingests to the same rows as the local one.
    let (local, copy) = (dir.path().join("local"), dir.path().join("copy"));
    let local_s = local.to_str().expect("utf-8");
    let copy_s = copy.to_str().expect("utf-8");
    let (code_l, _, err_l) = run(&["ingest", "sample-logs", "--out", local_s, "-o", "json"]);
    let (code_c, _, err_c) = run(&["ingest", &url("sample/"), "--out", copy_s, "-o", "json"]);
    assert_eq!((code_l, code_c), (Some(2), Some(2)), "{err_l}\n{err_c}");
    let rows = |ds: &str| {
        let (code, out, err) = run(&["query", "SELECT * FROM flows", ds, "-o", "csv"]);
        assert_eq!(code, Some(0), "{err}");
        sorted_lines(&as_local(&out))
    };
    let local_rows = rows(local_s);
    assert!(local_rows.len() > 1000);
    assert_eq!(rows(copy_s), local_rows);

    // And to a dataset in S3, read back from there: the same rows again.
    let out = url(&format!("datasets-{}/sample/", std::process::id()));
    let (code, _, err) = run(&["ingest", &url("sample/"), "--out", &out, "-o", "json"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(rows(&out), local_rows);
}

#[test]
fn an_s3_dataset_is_written_whole_incrementally_and_one_ingest_at_a_time() {
    let base = format!("datasets-{}/small/", std::process::id());
    let logs = format!("{base}logs/AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/06/01/");
    let a = format!("{logs}a.log");
    put(&[(a.as_str(), (record(1) + &record(2)).as_bytes())]);
    let (input, out) = (url(&format!("{base}logs/")), url(&format!("{base}ds")));
    let ingest_to = |extra: &[&str]| {
        let mut args = vec![
            "ingest",
            input.as_str(),
            "--out",
            out.as_str(),
            "-o",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, stdout, err) = run(&args);
        assert_eq!(code, Some(0), "{err}");
        serde_json::from_str::<Value>(&stdout).expect("summary")
    };
    let first = ingest_to(&[]);
    assert_eq!(
        (first["records"].as_u64(), first["files_written"].as_u64()),
        (Some(2), Some(1))
    );
    let b = format!("{logs}b.log");
    put(&[(b.as_str(), record(3).as_bytes())]);
    let second = ingest_to(&[]);
    assert_eq!(
        (
            second["files"].as_u64(),
            second["already_ingested"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let count = || {
        let (code, stdout, err) = run(&[
            "query",
            "SELECT count(*) AS n FROM flows",
            &out,
            "-o",
            "csv",
        ]);
        assert_eq!(code, Some(0), "{err}");
        stdout
    };
    assert_eq!(count(), "n\n3\n");
    // A rebuild replaces both earlier runs: still three records, one run's files.
    let rebuilt = ingest_to(&["--force"]);
    assert_eq!(rebuilt["records"].as_u64(), Some(3));
    assert_eq!(count(), "n\n3\n");

    // A lock that says neither who holds it nor when it was renewed stops this one, and says
    // how to clear it.
    let lock = format!("{base}locked/_vpcflow/lock");
    put(&[(lock.as_str(), b"{}".as_slice())]);
    let (code, _, err) = run(&[
        "ingest",
        &input,
        "--out",
        &url(&format!("{base}locked")),
        "-o",
        "json",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("another vpcflow ingest (an unknown ingest) is writing to this dataset"),
        "{err}"
    );
    assert!(err.contains(&format!("delete {}", url(&lock))), "{err}");
}

#[test]
fn a_killed_s3_ingest_never_shows_a_partial_dataset_and_the_rerun_is_exact() {
    let base = format!("datasets-{}/killed", std::process::id());
    let count = |ds: &str| count_records(ds, &[]);
    let ingest_into = |out: &str| {
        process_as(&server().reader)
            .args(["ingest", &url("sample/"), "--out", out, "-q"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn")
    };
    // A whole run, timed, and what it holds.
    let reference = url(&format!("{base}/reference"));
    let began = std::time::Instant::now();
    ingest_into(&reference).wait().expect("ingest");
    let took = began.elapsed();
    let whole = count(&reference);
    assert!(whole > 1000, "{whole}");
    // An object under flows/ that no manifest names (an uncommitted run's upload) is not
    // read: it is no Parquet file, so reading it would fail.
    let stray = format!("{base}/reference/flows/date=2024-06-01/part-uncommitted-00000.parquet");
    put(&[(&stray, b"not parquet")]);
    assert_eq!(count(&reference), whole);
    delete(&stray);
    let files = keys(&format!("{base}/reference/flows/")).len();
    for (i, at) in [0.1, 0.3, 0.5, 0.7, 0.85, 0.95].into_iter().enumerate() {
        let rel = format!("{base}/{i}");
        let out = url(&rel);
        let mut child = ingest_into(&out);
        std::thread::sleep(took.mul_f64(at));
        let _ = child.kill();
        let _ = child.wait();
        // A reader sees nothing or everything.
        let seen = count_records(&out, &["--allow-empty"]);
        assert!(
            seen == 0 || seen == whole,
            "killed at {at}: {seen} of {whole} records visible"
        );
        // A killed ingest leaves its lock; removed as the error says, the next run completes.
        delete(&format!("{rel}/_vpcflow/lock"));
        let (code, _, err) = run(&["ingest", &url("sample/"), "--out", &out, "-o", "json"]);
        // 2 when it ingests the sample (damaged objects), 0 when the killed run had committed.
        assert!(matches!(code, Some(0 | 2)), "{err}");
        assert_eq!(count(&out), whole, "killed at {at}");
        // What the killed run uploaded and never committed is gone.
        assert_eq!(
            keys(&format!("{rel}/flows/")).len(),
            files,
            "killed at {at}"
        );
        assert_eq!(
            keys(&format!("{rel}/_vpcflow/staging/")),
            Vec::<String>::new()
        );
        assert_eq!(keys(&format!("{rel}/_vpcflow/lock")), Vec::<String>::new());
    }
}

/// `count(*)` of the dataset `ds`, read with `extra` arguments.
fn count_records(ds: &str, extra: &[&str]) -> i64 {
    let mut args = vec!["query", "SELECT count(*) AS n FROM flows", ds, "-o", "json"];
    args.extend_from_slice(extra);
    let (code, seen, err) = run(&args);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&seen).expect("json");
    v[0]["n"].as_i64().expect("n")
}

#[test]
fn readers_of_an_s3_dataset_see_whole_runs_only() {
    let out = url(&format!("datasets-{}/whole-runs", std::process::id()));
    let ingest = |input: &Path| {
        let input = input.to_str().expect("utf-8");
        let (code, _, err) = run(&["ingest", input, "--out", &out, "-q"]);
        assert_eq!(code, Some(0), "{err}");
    };
    let count = || count_records(&out, &[]);
    let reads = crate::nothing_lost::readers_see_whole_runs(16, &ingest, &count);
    assert!(reads >= 4, "{reads} reads");
}

#[test]
fn an_object_refused_on_one_run_and_served_on_the_next_is_ingested_exactly_once() {
    // mixed/ holds ok.log and denied.log, three records each; the reader may not GET denied.log.
    let dir = tempfile::tempdir().expect("tempdir");
    let ds = dir.path().join("ds");
    let ds = ds.to_str().expect("path");
    let ingest = |key: &Key| {
        let (code, out, err) = run_as(key, &["ingest", &url("mixed/"), "--out", ds, "-o", "json"]);
        let summary: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        (code, summary)
    };
    let (code, first) = ingest(&server().reader);
    assert_eq!(code, Some(2), "a refused object fails the run");
    assert_eq!(first["records"], 3);
    assert_eq!(first["failed"][0]["path"], url("mixed/denied.log"));
    assert_eq!(first["failed"][0]["records_kept"], false);
    assert!(
        first["failed"][0]["reason"]
            .as_str()
            .expect("reason")
            .contains("access denied"),
        "{first}"
    );
    // The dataset remembers the hole until it is filled: the audit names it.
    let audit = |expect: usize| {
        let (_, out, err) = run(&[&["audit", ds][..], &AUDIT_JSON].concat());
        let a: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
        let named = resources_of(&a, "unreadable-inputs");
        assert_eq!(named.len(), expect, "{named:?}");
        named
    };
    assert_eq!(audit(1), [Value::from(url("mixed/denied.log"))]);

    // The next run (here with a key that may read it) takes the refused object, and only it.
    let (code, second) = ingest(&server().admin);
    assert_eq!(code, Some(0), "{second}");
    assert_eq!(
        (second["files"].clone(), second["records"].clone()),
        (1.into(), 3.into())
    );
    assert_eq!(second["already_ingested"], 1);
    let (code, out, err) = run(&["query", "SELECT count(*) AS n FROM flows", ds, "-o", "csv"]);
    assert_eq!((code, out.as_str()), (Some(0), "n\n6\n"), "{err}");
    audit(0);
}

#[test]
fn a_lock_left_by_a_killed_ingest_is_taken_over_after_its_lease() {
    let base = format!("datasets-{}/lease", std::process::id());
    let out = url(&base);
    let held = || {
        keys(&format!("{base}/_vpcflow/"))
            .iter()
            .any(|k| k.ends_with("/_vpcflow/lock"))
    };
    let lease = ["--lock-lease", "2s"];
    // An ingest killed (-9) while it holds the lock: the lock stays behind.
    let mut child = process_as(&server().reader)
        .args(["ingest", &url("sample/AWSLogs/"), "--out", &out, "-q"])
        .args(lease)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let began = std::time::Instant::now();
    while !held() {
        assert!(
            began.elapsed().as_secs() < 60,
            "the ingest never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        child.try_wait().expect("wait").is_none(),
        "killed while it runs"
    );
    let killed = child.id();
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(held(), "a killed ingest leaves its lock");

    let ingest = || {
        let input = url("sample/AWSLogs/");
        run(&["ingest", &input, "--out", &out, lease[0], lease[1]])
    };
    // Within the lease the lock holds: refused, naming the holder.
    let (code, _, err) = ingest();
    assert_eq!(code, Some(2));
    assert!(
        err.contains("another vpcflow ingest (") && err.contains(&format!("process {killed})")),
        "{err}"
    );
    // Once the lease has run out, the next ingest takes it over, says so, and completes.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let (code, _, err) = ingest();
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("took over the lock of") && err.contains(&format!("process {killed},")),
        "{err}"
    );
    assert!(!held(), "the lock is released");
    let count = |input: &str| {
        let (code, out, err) = run(&[
            "query",
            "SELECT count(*) AS n FROM flows",
            input,
            "-o",
            "csv",
        ]);
        assert_eq!(code, Some(0), "{err}");
        out
    };
    assert_eq!(
        count(&out),
        count(&url("sample/AWSLogs/")),
        "exactly the records"
    );
}
