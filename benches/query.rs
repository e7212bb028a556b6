#![allow(missing_docs)] // criterion_group! generates undocumented items
//! A selective query over an ingested month: one hour of one ENI. The scan should read only the
//! day's file (statistics on `start` prune the other days) and, in it, the pages whose `start`
//! range meets the hour and the row groups whose bloom filter may hold the ENI. Prints what the
//! scan read (from EXPLAIN ANALYZE's metrics), then times it against the same query over the
//! whole month.
//!
//! `VPCFLOW_BENCH_RECORDS` sets the month's size (default 3 million records). The estate and its
//! dataset are written once under `target/bench-month-<records>/` and reused.

mod common;

use std::path::{Path, PathBuf};

use arrow::array::AsArray;
use common::{RECORDS_PER_FLOW_HOUR, vpcflow};
use criterion::{Criterion, criterion_group, criterion_main};
use datafusion::prelude::SessionContext;
use vpcflow::sql::session::{self, FlowsSource, SessionOptions};

const HOURS: u32 = 30 * 24;
const START: &str = "2026-10-01";
const HOUR: &str = "start >= '2026-10-15T10:00:00Z' AND start < '2026-10-15T11:00:00Z'";

/// The ingested month, written on first use.
fn month() -> PathBuf {
    let n = common::records(3_000_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(format!("bench-month-{n}"));
    let dataset = root.join("dataset");
    if !dataset.join("flows").exists() {
        let _ = std::fs::remove_dir_all(&root);
        let per_hour = (n as f64 / RECORDS_PER_FLOW_HOUR / f64::from(HOURS)).ceil() as u32;
        let estate = root.join("estate");
        let (estate, ds) = (
            estate.to_str().expect("path"),
            dataset.to_str().expect("path"),
        );
        let (hours, per_hour) = (HOURS.to_string(), per_hour.max(1).to_string());
        vpcflow(&[
            "generate",
            "--out",
            estate,
            "--hours",
            &hours,
            "--flows-per-hour",
            &per_hour,
            "--start",
            START,
        ]);
        vpcflow(&["ingest", &format!("{estate}/AWSLogs"), "--out", ds, "-q"]);
    }
    dataset
}

/// The first value of the first column of `sql`'s result, as text.
async fn scalar(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx
        .sql(sql)
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    let column = arrow::compute::cast(batches[0].column(0), &arrow::datatypes::DataType::Utf8)
        .expect("as text");
    column.as_string::<i32>().value(0).to_string()
}

/// The scan's metrics from EXPLAIN ANALYZE: the parts that say what was read.
async fn scan_metrics(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let batches = ctx
        .sql(&format!("EXPLAIN ANALYZE {sql}"))
        .await
        .expect("plans")
        .collect()
        .await
        .expect("runs");
    let wanted = [
        "files_ranges_pruned_statistics",
        "row_groups_pruned_bloom_filter",
        "page_index_rows_pruned",
        "bytes_scanned",
        "pushdown_rows_pruned",
    ];
    let plan = batches[0].column(1).as_string::<i32>().value(0).to_string();
    plan.split([',', '[', ']'])
        .map(str::trim)
        .filter(|m| wanted.iter().any(|w| m.starts_with(w)))
        .map(str::to_string)
        .collect()
}

fn selective(c: &mut Criterion) {
    let dataset = month();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let ctx = runtime.block_on(async {
        let source = FlowsSource::Dataset(dataset.clone());
        session::open(SessionOptions::new(source))
            .await
            .expect("session")
            .into_context()
    });
    // The ENI with the fewest records in the hour: the most selective question.
    let eni = runtime.block_on(scalar(
        &ctx,
        &format!(
            "SELECT interface_id FROM flows WHERE {HOUR} GROUP BY 1 ORDER BY count(*), 1 LIMIT 1"
        ),
    ));
    let one_hour =
        format!("SELECT count(*), sum(bytes) FROM flows WHERE interface_id = '{eni}' AND {HOUR}");
    let month_of_eni =
        format!("SELECT count(*), sum(bytes) FROM flows WHERE interface_id = '{eni}'");
    runtime.block_on(async {
        let total = scalar(&ctx, "SELECT count(*) FROM flows").await;
        let matched = scalar(&ctx, &one_hour).await;
        let bytes: u64 = walkdir::WalkDir::new(&dataset)
            .into_iter()
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        println!(
            "month: {total} records, {bytes} bytes on disk; {eni} in one hour: {matched} records"
        );
        println!(
            "one hour of one ENI reads: {}",
            scan_metrics(&ctx, &one_hour).await.join(", ")
        );
        println!(
            "the ENI's month reads: {}",
            scan_metrics(&ctx, &month_of_eni).await.join(", ")
        );
    });
    let mut group = c.benchmark_group("query");
    group.sample_size(20);
    for (name, sql) in [
        ("one ENI, one hour of a month", &one_hour),
        ("one ENI, the month", &month_of_eni),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    ctx.sql(sql)
                        .await
                        .expect("plans")
                        .collect()
                        .await
                        .expect("runs")
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, selective);
criterion_main!(benches);
