//! What the benches that drive the `vpcflow` binary share: the size knob, the runner and the
//! generated estate.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Records the estate generator writes per flow and hour (4.79 million at 48,676 flows per hour
/// over 24 hours).
pub const RECORDS_PER_FLOW_HOUR: f64 = 4.1;

/// `VPCFLOW_BENCH_RECORDS`, else `default`.
pub fn records(default: usize) -> usize {
    std::env::var("VPCFLOW_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the binary with `args`, its stdout discarded; a failure stops the bench.
pub fn vpcflow(args: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_vpcflow"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("vpcflow runs");
    assert!(status.success(), "vpcflow {args:?}");
}

/// The estate of `n` records (logs and inventory) and its ingested dataset, written on first
/// use under `target/bench-estate-<n>/` and reused by later runs.
#[allow(dead_code)] // not every bench reads this estate
pub fn estate(n: usize) -> (PathBuf, PathBuf) {
    estate_with(n, None)
}

/// Internet peers of each kind in the bench's less repetitive estate: with 5 million records
/// it holds about 690,000 distinct (ENI, source, destination) triples, against about 900 in
/// [`estate`]'s.
#[allow(dead_code)] // not every bench reads this estate
pub const WIDE_PEERS: u32 = 100_000;

/// [`estate`] with `internet_peers` (`vpcflow generate --internet-peers`), under
/// `target/bench-wide-<n>/` when given.
#[allow(dead_code)] // not every bench reads this estate
pub fn estate_with(n: usize, internet_peers: Option<u32>) -> (PathBuf, PathBuf) {
    let name = match internet_peers {
        None => format!("bench-estate-{n}"),
        Some(_) => format!("bench-wide-{n}"),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(name);
    let estate = root.join("estate");
    let dataset = root.join("dataset");
    if !dataset.join("flows").exists() {
        let _ = std::fs::remove_dir_all(&root);
        let hours = 24u32;
        let per_hour = (n as f64 / RECORDS_PER_FLOW_HOUR / f64::from(hours)).ceil() as u32;
        let (hours, per_hour) = (hours.to_string(), per_hour.max(1).to_string());
        let out = estate.to_str().expect("path");
        let peers = internet_peers.map(|p| p.to_string());
        let mut args = vec![
            "generate",
            "--out",
            out,
            "--hours",
            &hours,
            "--flows-per-hour",
            &per_hour,
        ];
        if let Some(p) = &peers {
            args.extend(["--internet-peers", p]);
        }
        vpcflow(&args);
        let logs = [estate.join("AWSLogs"), dataset.clone()];
        let (logs, ds) = (
            logs[0].to_str().expect("path"),
            logs[1].to_str().expect("path"),
        );
        vpcflow(&["ingest", logs, "--out", ds, "-q"]);
    }
    (estate, dataset)
}
