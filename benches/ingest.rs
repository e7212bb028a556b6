#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Ingest throughput in bytes of text per second: the dataset writer alone (decoded batches of
//! every column into date-partitioned Parquet, committed) and the whole ingest (the parallel
//! parser feeding the writer, as `vpcflow ingest` runs it), for the v2 default layout over a few
//! days of records.
//!
//! `VPCFLOW_BENCH_MB` sets the input size (default 64 MB of text).

use std::sync::Arc;

use arrow::array::RecordBatch;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vpcflow::generate::{DEFAULT_FIELDS, synthetic_text};
use vpcflow::ingest::decode::{DecodeConfig, Origin, decode};
use vpcflow::ingest::format::{Columns, Layout};
use vpcflow::ingest::parallel::{self, Discard, Input, RunOptions};
use vpcflow::ingest::sink::Dataset;

#[path = "common/size.rs"]
mod size;
use size::target_bytes;

/// Writes `batches` as one committed run of a new dataset; the rows written.
fn write(batches: &[RecordBatch], cfg: &DecodeConfig) -> u64 {
    let dir = tempfile::tempdir().expect("tmp");
    let ds = Dataset::open(dir.path()).expect("dataset");
    let mut w = ds.writer(cfg.schema.clone()).expect("writer");
    for b in batches {
        w.write(b).expect("write");
    }
    let rows = w.rows();
    ds.commit(w, Vec::new(), Vec::new(), Vec::new())
        .expect("commit");
    rows
}

/// Parses `input` with the parallel pipeline into a new dataset; the rows written.
fn ingest(input: &Input, cfg: &Arc<DecodeConfig>) -> u64 {
    let dir = tempfile::tempdir().expect("tmp");
    let ds = Dataset::open(dir.path()).expect("dataset");
    let mut w = ds.writer(cfg.schema.clone()).expect("writer");
    parallel::read(
        vec![input.clone()],
        cfg.clone(),
        RunOptions::default(),
        Box::new(Discard),
        |b| w.write(&b).expect("write"),
    );
    let rows = w.rows();
    ds.commit(w, Vec::new(), Vec::new(), Vec::new())
        .expect("commit");
    rows
}

fn benches(c: &mut Criterion) {
    let sample = synthetic_text(1, 1000, DEFAULT_FIELDS, false);
    let records = target_bytes() / (sample.len() / 1000).max(1);
    let text = synthetic_text(42, records, DEFAULT_FIELDS, true);
    let layout = Arc::new(Layout::parse_format(&DEFAULT_FIELDS.join(" ")).expect("layout"));
    let cfg = Arc::new(DecodeConfig::new(Columns::default(), None));
    let origin = Origin {
        name: "bench".into(),
    };
    let decoded = decode(&text, layout.clone(), true, &cfg, &origin);
    assert_eq!(decoded.counts.records as usize, records);
    eprintln!("ingest: {records} records, {} bytes", text.len());

    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("v2.log");
    std::fs::write(&path, &text).expect("write");
    let input = Input::local(&path, (*layout).clone());

    let mut g = c.benchmark_group("ingest/v2-default");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("write-only", |b| {
        b.iter(|| assert_eq!(write(&decoded.batches, &cfg), records as u64))
    });
    g.bench_function("parse-and-write", |b| {
        b.iter(|| assert_eq!(ingest(&input, &cfg), records as u64))
    });
    g.finish();
}

criterion_group!(ingest_benches, benches);
criterion_main!(ingest_benches);
