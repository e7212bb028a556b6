//! A scheduled run never loses data: an input that could not be read, with nothing kept of
//! it, is not recorded as ingested, so the next run reads it; a damaged object whose good part
//! was kept is recorded with its damage and not parsed twice. (The S3 case is in s3.rs.)

use std::path::Path;

use serde_json::Value;

use crate::common::{root, vpcflow};

/// One v2 record of `bytes` bytes.
fn record(bytes: u64) -> String {
    format!(
        "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 49152 6 10 {bytes} \
         1795687200 1795687260 ACCEPT OK\n"
    )
}

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).expect("gzip");
    e.finish().expect("gzip")
}

/// `vpcflow ingest INPUT --out DS -o json`: the exit code and the summary.
fn ingest(input: &Path, ds: &Path) -> (Option<i32>, Value) {
    let out = vpcflow()
        .arg("ingest")
        .arg(input)
        .arg("--out")
        .arg(ds)
        .args(["-o", "json", "-q"])
        .output()
        .expect("runs");
    let summary = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code(), summary)
}

/// `count(*)` and `sum(bytes)` of a dataset.
fn totals(ds: &Path) -> String {
    let out = vpcflow()
        .args([
            "query",
            "SELECT count(*) AS n, sum(bytes) AS b FROM flows",
            "-o",
            "csv",
        ])
        .arg(ds)
        .output()
        .expect("runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn an_input_that_failed_is_read_by_the_next_run_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    std::fs::write(logs.join("a.log"), record(100)).expect("write");
    // b.log.gz: three records of 200 bytes, its deflate stream damaged from its first bytes,
    // so nothing of it can be read (a transfer cut short, a disk error).
    let good = gzip(&record(200).repeat(3));
    let mut damaged = good.clone();
    damaged[10..30].fill(0xff);
    let b = logs.join("b.log.gz");
    std::fs::write(&b, &damaged).expect("write");
    let ds = dir.path().join("ds");

    let (code, first) = ingest(&logs, &ds);
    assert_eq!(code, Some(2));
    assert_eq!(first["records"], 1);
    assert_eq!(first["failed"][0]["records_kept"], false, "{first}");
    assert_eq!(totals(&ds), "n,b\n1,100\n");

    // The object is whole again (as a retried transfer would leave it): read now, once.
    std::fs::write(&b, &good).expect("write");
    let (code, second) = ingest(&logs, &ds);
    assert_eq!(code, Some(0), "{second}");
    assert_eq!(
        (second["files"].clone(), second["already_ingested"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(totals(&ds), "n,b\n4,700\n");
    let (_, third) = ingest(&logs, &ds);
    assert_eq!(third["files"], 0, "nothing is read twice");
    assert_eq!(totals(&ds), "n,b\n4,700\n");
}

#[test]
fn a_damaged_object_whose_good_part_was_kept_is_not_parsed_twice() {
    // sample-logs/invalid/truncated.log.gz ends in the middle of its deflate stream: the
    // records before the cut are kept and the object is a file error.
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    std::fs::copy(
        root().join("sample-logs/invalid/truncated.log.gz"),
        logs.join("truncated.log.gz"),
    )
    .expect("copy");
    let ds = dir.path().join("ds");
    let (code, first) = ingest(&logs, &ds);
    assert_eq!(code, Some(2));
    assert_eq!(first["failed"][0]["records_kept"], true, "{first}");
    let kept = totals(&ds);
    assert_ne!(kept, "n,b\n0,\n", "the good part is kept");
    let (code, second) = ingest(&logs, &ds);
    assert_eq!(code, Some(0), "{second}");
    assert_eq!(second["already_ingested"], 1);
    assert_eq!(totals(&ds), kept, "not parsed twice");
    // The manifest says what happened to it.
    let commits = ds.join("_vpcflow/commits");
    let manifest = std::fs::read_dir(&commits)
        .expect("commits")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read"))
        .find(|m| m.contains("truncated.log.gz"))
        .expect("a manifest records it");
    assert!(manifest.contains("\"damaged\""), "{manifest}");
}
