//! The external tools of the tests and benches, each found the same way and, when missing,
//! named in one line with the command that installs it (`./test`):
//! - the Python with the pinned packages of tests/requirements.txt (`VPCFLOW_PYTHON`, else the
//!   `target/pyenv` that `./test` makes): moto's server, boto3, DuckDB, pyarrow;
//! - moto's server (S3, and EC2 for the inventory collector): the one `./test` started (its state file named by `VPCFLOW_S3_STATE`), else
//!   one started here from tests/s3/server.py with that Python; it ends with this process;
//! - headless Chromium (`CHROMIUM`, else `chromium` on `PATH`).

#![allow(dead_code)] // the tests and the benches each use part of it

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use object_store::ObjectStoreExt;
use serde_json::Value;

/// The command that installs every tool the tests use.
const SETUP: &str = "run ./test once, which installs the pinned test tools";

/// The Python with the pinned test packages, checked to import `modules`; a test that needs
/// them fails with one line naming what is missing when it cannot.
pub fn python(modules: &[&str]) -> PathBuf {
    let python = match std::env::var_os("VPCFLOW_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => root().join("target/pyenv/bin/python"),
    };
    let check = format!("import {}", modules.join(", "));
    let ok = std::process::Command::new(&python)
        .args(["-c", &check])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "missing test tool: {} in {} ({SETUP}, or set VPCFLOW_PYTHON)",
        modules.join(", "),
        python.display()
    );
    python
}

/// Headless Chromium: `CHROMIUM`, else the first of its usual names on `PATH`.
pub fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(p);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("missing test tool: Chromium, not on PATH ({SETUP}, or set CHROMIUM)");
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// An access key of the server's IAM.
#[derive(Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

pub struct Server {
    pub endpoint: String,
    pub bucket: String,
    pub log: PathBuf,
    /// May do anything.
    pub admin: Key,
    /// May do anything but GET `mixed/denied.log`.
    pub reader: Key,
    /// An empty home, so that no real `~/.aws` is read.
    pub home: PathBuf,
}

fn key(v: &Value) -> Key {
    Key {
        id: v["key_id"].as_str().expect("key id").to_string(),
        secret: v["secret"].as_str().expect("secret").to_string(),
    }
}

pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let scratch = tempfile::tempdir().expect("tempdir").keep();
        let state = match std::env::var("VPCFLOW_S3_STATE") {
            Ok(s) => PathBuf::from(s),
            Err(_) => start_server(&scratch),
        };
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&state).expect("state")).expect("json");
        let home = scratch.join("home");
        std::fs::create_dir_all(&home).expect("home");
        Server {
            endpoint: v["endpoint"].as_str().expect("endpoint").to_string(),
            bucket: v["bucket"].as_str().expect("bucket").to_string(),
            log: PathBuf::from(v["log"].as_str().expect("log")),
            admin: key(&v["admin"]),
            reader: key(&v["reader"]),
            home,
        }
    })
}

/// The environment of a process that reaches the server with `key`: its endpoint, region and
/// key, and an empty home.
pub fn aws_env(key: &Key) -> Vec<(&'static str, String)> {
    let s = server();
    vec![
        ("HOME", s.home.to_string_lossy().into_owned()),
        ("AWS_ENDPOINT_URL", s.endpoint.clone()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", key.id.clone()),
        ("AWS_SECRET_ACCESS_KEY", key.secret.clone()),
    ]
}

/// Starts tests/s3/server.py; it ends when this process does.
fn start_server(dir: &Path) -> PathBuf {
    let python = python(&["moto.server", "boto3"]);
    let state = dir.join("state.json");
    let log = dir.join("requests.log");
    let out = std::fs::File::create(dir.join("server.out")).expect("server output");
    // Not waited for: it serves every test of this process and ends with it.
    let child = std::process::Command::new(&python)
        .arg(root().join("tests/s3/server.py"))
        .arg("--state")
        .arg(&state)
        .arg("--log")
        .arg(&log)
        .arg("--samples")
        .arg(root().join("sample-logs"))
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .spawn()
        .expect("start tests/s3/server.py");
    std::mem::forget(child);
    let began = Instant::now();
    while !state.exists() {
        assert!(
            began.elapsed() < Duration::from_secs(180),
            "the S3 server did not start: {}",
            std::fs::read_to_string(dir.join("server.out")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    state
}

/// Runs `f` on a store of the bucket with the admin's key, on a runtime of its own.
fn as_admin<T>(f: impl AsyncFnOnce(&object_store::aws::AmazonS3) -> T) -> T {
    let s = server();
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&s.endpoint)
        .with_allow_http(true)
        .with_bucket_name(&s.bucket)
        .with_region("us-east-1")
        .with_access_key_id(&s.admin.id)
        .with_secret_access_key(&s.admin.secret)
        .build()
        .expect("store");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(f(&store))
}

/// Puts objects into the bucket.
pub fn put(objects: &[(&str, &[u8])]) {
    as_admin(async |store| {
        for (key, body) in objects {
            let path = object_store::path::Path::from(*key);
            store.put(&path, body.to_vec().into()).await.expect("put");
        }
    })
}

/// Deletes an object (there or not).
pub fn delete(key: &str) {
    as_admin(async |store| {
        let _ = store.delete(&object_store::path::Path::from(key)).await;
    })
}

/// The keys under a prefix.
pub fn keys(prefix: &str) -> Vec<String> {
    use futures::TryStreamExt;
    as_admin(async |store| {
        let prefix = object_store::path::Path::from(prefix);
        let found: Vec<object_store::ObjectMeta> =
            object_store::ObjectStore::list(store, Some(&prefix))
                .try_collect()
                .await
                .expect("list");
        found.into_iter().map(|o| o.location.to_string()).collect()
    })
}
