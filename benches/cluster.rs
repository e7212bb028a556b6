#![allow(missing_docs)] // criterion_group! generates undocumented items
//! The report pack on a Ballista cluster of one and of two executors, each a `vpcflow executor`
//! process with one task slot on this machine, over a generated estate's ingested dataset.
//!
//! `VPCFLOW_BENCH_RECORDS` sets the estate's size (default 20 million records); it is written
//! once under `target/bench-estate-<records>/`, like the reports bench's.

mod common;
#[allow(dead_code)] // the tests also kill executors and read their logs
#[path = "../tests/common/cluster.rs"]
mod nodes;

use std::path::Path;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use vpcflow::inventory::Inventory;
use vpcflow::sql::pack;
use vpcflow::sql::queries::REPORTS;
use vpcflow::sql::session::FlowsSource;

fn pack_on(runtime: &tokio::runtime::Runtime, url: &str, dataset: &Path, inventory: &Inventory) {
    let queries: Vec<String> = REPORTS
        .iter()
        .map(|r| r.bind(&Default::default()).expect("binds"))
        .collect();
    runtime.block_on(async {
        let source = FlowsSource::Dataset(dataset.to_path_buf());
        let ctx = vpcflow::cluster::session(url, source, Some(inventory), None)
            .await
            .expect("session");
        let outputs = pack::run(&ctx, &queries).await.expect("reports run");
        assert_eq!(outputs.len(), REPORTS.len());
    });
}

fn cluster(c: &mut Criterion) {
    let records = common::records(20_000_000);
    let (estate, dataset) = common::estate(records);
    let inventory = Inventory::load(&estate.join("inventory"), None).expect("inventory");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(64 << 20)
        .enable_all()
        .build()
        .expect("runtime");
    let binary = Path::new(env!("CARGO_BIN_EXE_vpcflow"));
    let mut group = c.benchmark_group(format!("report pack on a cluster, {records} records"));
    // One pack per sample (a pack takes seconds to minutes), reported as records per second.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(records as u64));
    for executors in [1, 2] {
        let nodes = nodes::Cluster::start(binary, executors, 1);
        group.bench_function(format!("{executors} executor(s) of 1 slot"), |b| {
            b.iter(|| pack_on(&runtime, &nodes.url, &dataset, &inventory))
        });
    }
    group.finish();
}

criterion_group!(benches, cluster);
criterion_main!(benches);
