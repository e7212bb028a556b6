//! A scheduled run never loses data: an input that could not be read, with nothing kept of
//! it, is not recorded as ingested, so the next run reads it; a damaged object whose good part
//! was kept is recorded with its damage and not parsed twice. (The S3 case is in s3.rs.)

use std::path::Path;

use serde_json::Value;

use crate::common::{AUDIT_JSON, gzip, resources_of, root, vpcflow};

/// One v2 record of `bytes` bytes.
fn record(bytes: u64) -> String {
    format!(
        "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 49152 6 10 {bytes} \
         1795687200 1795687260 ACCEPT OK\n"
    )
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
    let day = logs.join("AWSLogs/123456789010/vpcflowlogs/us-east-1/2026/11/20");
    std::fs::create_dir_all(&day).expect("mkdir");
    let b = day.join("b.log.gz");
    std::fs::write(&b, &damaged).expect("write");
    let ds = dir.path().join("ds");

    let (code, first) = ingest(&logs, &ds);
    assert_eq!(code, Some(2));
    assert_eq!(first["records"], 1);
    assert_eq!(first["failed"][0]["records_kept"], false, "{first}");
    assert_eq!(totals(&ds), "n,b\n1,100\n");
    // The audit of a window its path's day falls in names the hole; of another, not.
    let holes = |since: &str, until: &str| -> usize {
        let out = vpcflow()
            .arg("audit")
            .arg(&ds)
            .args(AUDIT_JSON)
            .args(["--since", since, "--until", until, "--allow-empty"])
            .output()
            .expect("runs");
        let a: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        resources_of(&a, "unreadable-inputs").len()
    };
    assert_eq!(holes("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"), 1);
    assert_eq!(holes("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"), 0);

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

#[test]
fn retry_damaged_reads_a_repaired_object_and_its_run_again_once() {
    // A run of two objects: good.log (2 records, 3 + 4 bytes) and a gzip object cut short
    // (of 400 records of 1,000 bytes each, only the first ones arrive whole).
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    std::fs::write(logs.join("good.log"), record(3) + &record(4)).expect("write");
    let text: String = (0..400).map(|_| record(1_000)).collect();
    let whole = gzip(&text);
    std::fs::write(logs.join("late.log.gz"), &whole[..whole.len() / 2]).expect("write");
    let ds = dir.path().join("ds");
    let (code, first) = ingest(&logs, &ds);
    assert_eq!(code, Some(2), "{first}");
    assert_eq!(first["failed"][0]["records_kept"], true, "{first}");
    let kept = totals(&ds);
    assert_ne!(
        kept,
        "n,b
402,400007
",
        "part of the object is missing"
    );
    // Delivered again whole: a plain run leaves it (recorded, changed since), the retry reads
    // it and good.log again and replaces the first run.
    std::fs::write(logs.join("late.log.gz"), &whole).expect("write");
    let (code, plain) = ingest(&logs, &ds);
    assert_eq!(code, Some(0), "{plain}");
    assert_eq!(totals(&ds), kept);
    let retry = |input: &Path| {
        let out = vpcflow()
            .arg("ingest")
            .arg(input)
            .arg("--out")
            .arg(&ds)
            .args(["--retry-damaged", "-o", "json", "-q"])
            .output()
            .expect("runs");
        let summary = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            out.status.code(),
            summary,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The run cannot be rebuilt without its other input: the retry names it and changes
    // nothing.
    let aside = dir.path().join("good.log");
    std::fs::rename(logs.join("good.log"), &aside).expect("move");
    let (code, _, err) = retry(&logs);
    assert_ne!(code, Some(0));
    assert!(err.contains("good.log"), "{err}");
    assert_eq!(totals(&ds), kept);
    std::fs::rename(&aside, logs.join("good.log")).expect("move back");
    let (code, summary, err) = retry(&logs);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(summary["damaged_retried"], 1, "{summary}");
    assert_eq!(summary["files"], 2, "{summary}");
    assert_eq!(totals(&ds), "n,b\n402,400007\n");
    // Nothing is left to retry: a second retry reads nothing and changes nothing.
    let (code, summary, err) = retry(&logs);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(summary["damaged_retried"], 0, "{summary}");
    assert_eq!(summary["already_ingested"], 2, "{summary}");
    assert_eq!(totals(&ds), "n,b\n402,400007\n");
}

/// The input of run `run` of [`readers_see_whole_runs`]: 1,000 records over 25 days (a
/// file per day in the dataset, so that moving a run into place takes a while), so that a
/// reader that sees part of a run counts a total that is no multiple of 1,000.
fn whole_run_input(dir: &Path, run: usize) -> std::path::PathBuf {
    let first = 1_717_200_000u64; // 2024-06-01
    let text: String = (0..1_000u64)
        .map(|n| {
            let start = first + (n % 25) * 86_400 + n;
            format!(
                "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.{}.{} 10.9.0.1 {} 443 6 1 {} {start} {} ACCEPT OK\n",
                run % 250,
                n % 250,
                1024 + n,
                40 + run,
                start + 60
            )
        })
        .collect();
    let path = dir.join(format!("run-{run:03}.log"));
    std::fs::write(&path, text).expect("write input");
    path
}

/// Commits `runs` runs (one new input each, by `ingest(folder)`) while a reader counts the
/// dataset's records in a loop with `count()`; every count must be a committed total, a
/// multiple of 1,000 (see [`whole_run_input`]). Returns how many counts were taken.
pub(crate) fn readers_see_whole_runs(
    runs: usize,
    ingest: &(dyn Fn(&Path) + Sync),
    count: &(dyn Fn() -> i64 + Sync),
) -> usize {
    let dir = tempfile::tempdir().expect("tempdir");
    whole_run_input(dir.path(), 0);
    ingest(dir.path());
    assert_eq!(count(), 1_000);
    let done = std::sync::atomic::AtomicBool::new(false);
    let seen = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut seen = Vec::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                seen.push(count());
            }
            seen
        });
        for run in 1..runs {
            whole_run_input(dir.path(), run);
            ingest(dir.path());
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        reader.join().expect("reader")
    });
    let partial: Vec<&i64> = seen.iter().filter(|n| *n % 1_000 != 0).collect();
    assert!(
        partial.is_empty(),
        "counts of part of a run: {partial:?} among {seen:?}"
    );
    assert!(
        seen.iter()
            .all(|n| (1_000..=runs as i64 * 1_000).contains(n)),
        "{seen:?}"
    );
    assert_eq!(count(), runs as i64 * 1_000);
    seen.len()
}

#[test]
fn readers_of_a_local_dataset_see_whole_runs_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ds = dir.path().join("ds");
    let ingest = |input: &Path| {
        let (code, summary) = ingest(input, &ds);
        assert_eq!(code, Some(0), "{summary}");
    };
    let count = || -> i64 {
        let out = totals(&ds);
        out.lines()
            .nth(1)
            .and_then(|l| l.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a count: {out}"))
    };
    let reads = readers_see_whole_runs(16, &ingest, &count);
    assert!(reads >= 4, "{reads} reads");
}
