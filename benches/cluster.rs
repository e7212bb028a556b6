//! The report pack on a Ballista cluster of one and of two executors, each a `vpcflow executor`
//! process with one task slot on this machine, over a generated estate's ingested dataset:
//! wall time, records per second and records per executor-second, and the scaling from one
//! executor to two.
//!
//! One timed pack per cluster size, not a statistical sample: over the default 20 million
//! records a pack takes minutes, and criterion's ten samples would take hours. The local pack
//! over the same dataset is timed too, for comparison, and every result must equal it.
//! `VPCFLOW_BENCH_RECORDS` sets the estate's size; it is written once under
//! `target/bench-estate-<records>/`, like the reports bench's.

mod common;
#[allow(dead_code)] // the tests also kill executors and read their logs
#[path = "../tests/it/common/cluster.rs"]
mod nodes;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The whole pack over `dataset` as JSON, and the seconds it took; on `cluster` if given.
fn pack(dataset: &Path, inventory: &Path, cluster: Option<&str>) -> (Vec<u8>, f64) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vpcflow"));
    command
        .arg("report")
        .arg(dataset)
        .arg("--inventory")
        .arg(inventory)
        .args(["-o", "json"]);
    if let Some(url) = cluster {
        command.args(["--cluster", url]);
    }
    let started = Instant::now();
    let out = command.output().expect("vpcflow runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.stdout, seconds)
}

fn main() {
    // `cargo bench` passes harness flags (--bench, a filter); this bench takes none.
    let records = common::records(20_000_000);
    let (estate, dataset) = common::estate(records);
    let inventory = estate.join("inventory");
    let binary = Path::new(env!("CARGO_BIN_EXE_vpcflow"));
    let (local, seconds) = pack(&dataset, &inventory, None);
    println!("report pack, {records} records");
    println!(
        "  local (one process, all cores): {seconds:.1} s, {:.0} records/s",
        records as f64 / seconds
    );
    let mut one = None;
    for executors in [1usize, 2] {
        let cluster = nodes::Cluster::start(binary, executors, 1);
        let (result, seconds) = pack(&dataset, &inventory, Some(&cluster.url));
        assert!(
            result == local,
            "the cluster's pack differs from the local one"
        );
        let rate = records as f64 / seconds;
        let scaling = match one {
            Some(first) => format!(", {:.2}x one executor's rate", rate / first),
            None => String::new(),
        };
        one.get_or_insert(rate);
        println!(
            "  {executors} executor(s) of 1 slot: {seconds:.1} s, {rate:.0} records/s, {:.0} \
             records per executor-second{scaling}",
            rate / executors as f64
        );
    }
}
