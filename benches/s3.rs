//! Ingest of a tree of gzip objects (`VPCFLOW_BENCH_OBJECTS`, default 200, of
//! `VPCFLOW_BENCH_RECORDS` v2 records each, default 10,000) from a local S3 server (moto's,
//! tests/s3/server.py; started like the tests' S3 server) at several fetch concurrencies,
//! against the same tree read from local disk. Throughput is in compressed bytes; objects/s is
//! the object count over the time.

#![allow(missing_docs)] // criterion_group! generates undocumented items

#[path = "../tests/it/common/tools.rs"]
mod harness;

use std::io::Write;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flate2::Compression;
use flate2::write::GzEncoder;

fn objects() -> usize {
    std::env::var("VPCFLOW_BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// One object: `records` v2 lines of varied addresses, ports and counts, gzipped.
fn object(n: usize, records: usize) -> Vec<u8> {
    let mut text = String::with_capacity(records * 130);
    for i in 0..records {
        let k = n * records + i;
        let t = 1_717_200_000 + (k % 86_000) as u64;
        text.push_str(&format!(
            "2 111122223333 eni-{:017x} 10.0.{}.{} 52.{}.{}.{} {} 443 6 {} {} {} {} ACCEPT OK\n",
            k % 97,
            k % 250,
            (k * 7) % 250,
            k % 200,
            (k * 3) % 250,
            (k * 11) % 250,
            1024 + k % 60_000,
            1 + k % 40,
            60 + (k * 13) % 90_000,
            t,
            t + 60
        ));
    }
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(text.as_bytes()).expect("gzip");
    gz.finish().expect("gzip")
}

fn ingest(input: &str, extra: &[&str]) {
    let s = harness::server();
    let out = tempfile::tempdir().expect("tmp");
    let status = Command::new(env!("CARGO_BIN_EXE_vpcflow"))
        .env("HOME", &s.home)
        .env("AWS_ENDPOINT_URL", &s.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", &s.reader.id)
        .env("AWS_SECRET_ACCESS_KEY", &s.reader.secret)
        .args(["ingest", input, "-q", "--out"])
        .arg(out.path())
        .args(extra)
        .status()
        .expect("vpcflow runs");
    assert!(status.success(), "ingest {input} {extra:?}");
}

fn s3_ingest(c: &mut Criterion) {
    let count = objects();
    let records: usize = std::env::var("VPCFLOW_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let prefix =
        format!("bench-{count}x{records}/AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/06/01/");
    let local = tempfile::tempdir().expect("tmp");
    let dir = local.path().join(&prefix);
    std::fs::create_dir_all(&dir).expect("dir");
    let bodies: Vec<(String, Vec<u8>)> = (0..count)
        .map(|n| (format!("{prefix}{n:04}.log.gz"), object(n, records)))
        .collect();
    let bytes: u64 = bodies.iter().map(|(_, b)| b.len() as u64).sum();
    for (key, body) in &bodies {
        let name = key.rsplit('/').next().unwrap_or(key);
        std::fs::write(dir.join(name), body).expect("write");
    }
    let refs: Vec<(&str, &[u8])> = bodies
        .iter()
        .map(|(k, b)| (k.as_str(), b.as_slice()))
        .collect();
    harness::put(&refs);
    eprintln!(
        "{count} objects, {records} records each, {:.1} MB gzip",
        bytes as f64 / 1e6
    );

    let mut group = c.benchmark_group(format!("ingest {count} gz objects"));
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    let tree = local
        .path()
        .join(prefix.split('/').next().unwrap_or_default());
    let tree = tree.to_string_lossy().into_owned();
    group.bench_function("local disk", |b| b.iter(|| ingest(&tree, &[])));
    let url = format!("s3://{}/{prefix}", harness::server().bucket);
    for concurrency in ["4", "16", "64"] {
        group.bench_function(format!("s3, {concurrency} fetches at once"), |b| {
            b.iter(|| ingest(&url, &["--fetch-concurrency", concurrency]))
        });
    }
    group.finish();
}

criterion_group!(benches, s3_ingest);
criterion_main!(benches);
