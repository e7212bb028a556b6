#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Parse throughput in bytes/s: the decoder alone and the whole parallel pipeline, for the v2
//! default layout and a v5 custom layout, plain text and gzip, one thread and all threads; the
//! decoder with every column built and with the two columns a count query reads.
//! Records per second = bytes per second / the average record size printed at setup.
//!
//! `VPCFLOW_BENCH_MB` sets the input size (default 64 MB of text per case).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vpcflow::generate::{DEFAULT_FIELDS, V5_CUSTOM_FIELDS, synthetic_text};
use vpcflow::ingest::decode::{DecodeConfig, Origin, decode};
use vpcflow::ingest::format::{Columns, Layout};
use vpcflow::ingest::parallel::{self, Discard, Input, RunOptions};

/// The allocator the binary uses.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/size.rs"]
mod size;
use size::target_bytes;

struct Case {
    name: &'static str,
    text: Vec<u8>,
    layout: Layout,
    records: usize,
}

fn case(name: &'static str, fields: &[&str]) -> Case {
    // Size the record count from a small sample of this layout.
    let sample = synthetic_text(1, 1000, fields, false);
    let records = target_bytes() / (sample.len() / 1000).max(1);
    let text = synthetic_text(42, records, fields, true);
    let layout = Layout::parse_format(&fields.join(" ")).expect("layout");
    eprintln!(
        "{name}: {} records, {} bytes, {:.1} bytes/record",
        records,
        text.len(),
        text.len() as f64 / records as f64
    );
    Case {
        name,
        text,
        layout,
        records,
    }
}

/// Writes the text as a tree of gzip objects of about 8 MB of text each, as S3 delivers them.
fn gzip_tree(dir: &Path, text: &[u8]) -> Vec<PathBuf> {
    let header_end = memchr::memchr(b'\n', text).map_or(0, |i| i + 1);
    let (header, body) = text.split_at(header_end);
    let mut paths = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let cut = (8 << 20).min(rest.len());
        let cut = memchr::memrchr(b'\n', &rest[..cut]).map_or(rest.len(), |i| i + 1);
        let path = dir.join(format!("part-{:04}.log.gz", paths.len()));
        let f = std::fs::File::create(&path).expect("create");
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
        gz.write_all(header).expect("write");
        gz.write_all(&rest[..cut]).expect("write");
        gz.finish().expect("finish");
        paths.push(path);
        rest = &rest[cut..];
    }
    paths
}

fn run_pipeline(paths: &[PathBuf], layout: &Layout, threads: usize) -> usize {
    let columns = Columns::default();
    let cfg = Arc::new(DecodeConfig::new(columns, None));
    let inputs: Vec<Input> = paths
        .iter()
        .map(|p| Input::local(p, layout.clone()))
        .collect();
    let opts = RunOptions {
        threads,
        ..RunOptions::default()
    };
    let mut rows = 0;
    parallel::read(inputs, cfg, opts, Box::new(Discard), |b| {
        rows += b.num_rows()
    });
    rows
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tmp");
    let all = std::thread::available_parallelism().map_or(2, |n| n.get());
    for (name, fields) in [
        ("v2-default", DEFAULT_FIELDS),
        ("v5-custom", V5_CUSTOM_FIELDS),
    ] {
        let case = case(name, fields);
        let mut g = c.benchmark_group(format!("parse/{}", case.name));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(case.text.len() as u64));

        let cfg = DecodeConfig::new(Columns::default(), None);
        let origin = Origin {
            name: "bench".into(),
        };
        let layout = Arc::new(case.layout.clone());
        g.bench_function("decode-only/1-thread", |b| {
            b.iter(|| {
                let d = decode(&case.text, layout.clone(), true, &cfg, &origin);
                assert_eq!(d.counts.records as usize, case.records);
            })
        });
        // What `SELECT action, count(*), sum(bytes) ... GROUP BY 1` needs: two columns built,
        // every field of every line still checked.
        let columns = Columns::default();
        let two = ["action", "bytes"]
            .iter()
            .map(|n| columns.schema().index_of(n).expect("known field"))
            .collect();
        let cfg_two = DecodeConfig::new(columns, Some(two));
        g.bench_function("decode-two-columns/1-thread", |b| {
            b.iter(|| {
                let d = decode(&case.text, layout.clone(), true, &cfg_two, &origin);
                assert_eq!(d.counts.records as usize, case.records);
            })
        });

        let plain = dir.path().join(format!("{name}.log"));
        std::fs::write(&plain, &case.text).expect("write");
        for threads in [1, all] {
            g.bench_function(format!("plain/{threads}-threads"), |b| {
                b.iter(|| {
                    assert_eq!(
                        run_pipeline(std::slice::from_ref(&plain), &case.layout, threads),
                        case.records
                    )
                })
            });
        }
        let tree = dir.path().join(format!("{name}-gz"));
        std::fs::create_dir_all(&tree).expect("mkdir");
        let gz = gzip_tree(&tree, &case.text);
        for threads in [1, all] {
            g.bench_function(format!("gzip-tree/{threads}-threads"), |b| {
                b.iter(|| assert_eq!(run_pipeline(&gz, &case.layout, threads), case.records))
            });
        }
        g.finish();
    }
}

criterion_group!(parse, benches);
criterion_main!(parse);
