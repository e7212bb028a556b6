//! What the benches that drive the `vpcflow` binary share: the size knob and the runner.

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
