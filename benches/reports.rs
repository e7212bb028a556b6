#![allow(missing_docs)] // criterion_group! generates undocumented items
//! The whole report pack (every report of queries/, one shared scan) over a generated estate:
//! from its gzip S3 tree of mixed formats (v2, v5 and v8 text, AWS Parquet, a Hive layout) and
//! from the same records ingested as a Parquet dataset; and over the dataset of a less
//! repetitive estate of as many records (`generate --internet-peers`, about 690,000 distinct
//! ENI and address triples against about 900).
//!
//! `VPCFLOW_BENCH_RECORDS` sets the estate's size (default 5 million records). The estate and
//! its dataset are written once under `target/bench-estate-<records>/` by the `vpcflow` binary
//! and reused by later runs.

mod common;

use std::sync::{Arc, Mutex};

use criterion::{Criterion, criterion_group, criterion_main};
use vpcflow::ingest::parallel::{Discard, RunOptions};
use vpcflow::ingest::{ReadOptions, open};
use vpcflow::inventory::Inventory;
use vpcflow::sql::pack;
use vpcflow::sql::queries::REPORTS;
use vpcflow::sql::session::{self, FlowsSource, SessionOptions};

/// The allocator the `vpcflow` binary runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn records() -> usize {
    common::records(5_000_000)
}

/// Runs every report once over `source`.
fn pack_over(runtime: &tokio::runtime::Runtime, source: FlowsSource, inventory: &Inventory) {
    let queries: Vec<String> = REPORTS
        .iter()
        .map(|r| r.bind(&Default::default()).expect("binds"))
        .collect();
    runtime.block_on(async {
        let options = SessionOptions::new(source).inventory(inventory);
        let session = session::open(options).await.expect("session");
        let outputs = pack::run(&session, &queries).await.expect("reports run");
        assert_eq!(outputs.len(), REPORTS.len());
    });
}

fn reports(c: &mut Criterion) {
    let (estate, dataset) = common::estate(records());
    let inventory = Inventory::load(&estate.join("inventory"), None).expect("inventory");
    let opts = RunOptions::default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads)
        .enable_all()
        .build()
        .expect("runtime");
    let logs = vec![estate.join("AWSLogs")];
    let mut group = c.benchmark_group(format!("report pack, {} records", records()));
    group.sample_size(10);
    group.bench_function("raw gzip tree", |b| {
        b.iter(|| {
            let prepared = open(&logs, &ReadOptions::default()).expect("inputs");
            let source = FlowsSource::Raw {
                inputs: prepared.inputs,
                columns: prepared.columns,
                options: opts,
                diagnostics: Arc::new(|| Box::new(Discard)),
                totals: Arc::new(Mutex::new(Vec::new())),
                progress: Arc::default(),
            };
            pack_over(&runtime, source, &inventory);
        })
    });
    group.bench_function("ingested dataset", |b| {
        b.iter(|| pack_over(&runtime, FlowsSource::Dataset(dataset.clone()), &inventory))
    });
    let (wide, wide_dataset) = common::estate_with(records(), Some(common::WIDE_PEERS));
    let wide_inventory = Inventory::load(&wide.join("inventory"), None).expect("inventory");
    group.bench_function("ingested dataset, many distinct peers", |b| {
        b.iter(|| {
            let source = FlowsSource::Dataset(wide_dataset.clone());
            pack_over(&runtime, source, &wide_inventory)
        })
    });
    group.finish();
}

criterion_group!(benches, reports);
criterion_main!(benches);
