//! Hostile input: the run reports it, keeps going where it can, and never loses good records.
//!
//! Each fixture is built here from `sample-logs/invalid/field-count.log`, whose lines 2 and 4
//! are good records of 1000 and 2000 bytes (line 3 lacks a field).

use std::io::Write;

mod common;

use common::run;

const TWO_RECORDS: &str = "sample-logs/invalid/field-count.log";
const TOTALS: &str = "SELECT count(*) AS n, sum(bytes) AS b FROM flows";

fn lines() -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TWO_RECORDS);
    let text = std::fs::read_to_string(path).expect("fixture");
    text.lines().map(str::to_string).collect()
}

/// Records and bytes of `input`, as CSV: exit code, standard output, standard error.
fn totals(input: &std::path::Path) -> (Option<i32>, String, String) {
    run(&["query", TOTALS, "-o", "csv", utf8(input)], "")
}

fn utf8(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn a_line_longer_than_the_limit_is_reported_and_the_records_around_it_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("long.log");
    let l = lines();
    let long = "x".repeat(3_000_000);
    std::fs::write(&path, format!("{}\n{}\n{long}\n{}\n", l[0], l[1], l[3])).expect("write");
    let (code, out, err) = totals(&path);
    assert_eq!((code, out.as_str()), (Some(0), "n,b\n2,3000\n"), "{err}");
    assert!(
        err.contains("long.log:3: line-too-long: 3000000 bytes"),
        "{err}"
    );
}

#[test]
fn a_gzip_bomb_is_one_bad_line_not_a_crash() {
    // 200 MB of zeros, no newline, in about 200 KB of gzip, after the header and one record.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bomb.log.gz");
    let l = lines();
    let file = std::fs::File::create(&path).expect("create");
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    writeln!(gz, "{}\n{}", l[0], l[1]).expect("write");
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..200 {
        gz.write_all(&zeros).expect("write");
    }
    gz.finish().expect("finish");
    let (code, out, err) = totals(&path);
    assert_eq!((code, out.as_str()), (Some(0), "n,b\n1,1000\n"), "{err}");
    assert!(
        err.contains("bomb.log.gz:3: line-too-long: 209715200 bytes"),
        "{err}"
    );
}

#[test]
fn inventory_json_nested_a_million_levels_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    std::fs::write(dir.path().join("deep.json"), deep).expect("write");
    let (code, _, err) = run(
        &[
            "query",
            "SELECT count(*) FROM enis",
            TWO_RECORDS,
            "-q",
            "--inventory",
            utf8(dir.path()),
        ],
        "",
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("deep.json: recursion limit exceeded"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_reported_and_the_files_beside_it_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TWO_RECORDS);
    std::fs::copy(source, logs.join("a.log")).expect("copy");
    std::os::unix::fs::symlink("..", logs.join("up")).expect("symlink");
    let (code, out, err) = totals(&logs);
    // The good records are all there; the loop makes the run exit 2 (an input it could not read).
    assert_eq!((code, out.as_str()), (Some(2), "n,b\n2,3000\n"), "{err}");
    assert!(err.contains("File system loop found"), "{err}");
}

#[test]
fn a_header_of_thousands_of_unknown_fields_is_not_taken_for_one() {
    // 14 known fields then 5000 unknown ones: less than half are flow-log fields, so the line
    // is not a header; it and the record after it are reported as bad lines, and kept.
    let dir = tempfile::tempdir().expect("tempdir");
    let wide = dir.path().join("wide.log");
    let l = lines();
    let extra: Vec<String> = (0..5000).map(|i| format!("extra-{i}")).collect();
    let values = vec!["v"; 5000].join(" ");
    std::fs::write(
        &wide,
        format!("{} {}\n{} {values}\n", l[0], extra.join(" "), l[1]),
    )
    .expect("write");
    let bad = dir.path().join("bad.ndjson");
    let (code, out, err) = run(
        &[
            "query",
            TOTALS,
            "-o",
            "csv",
            "--bad-lines",
            utf8(&bad),
            utf8(&wide),
        ],
        "",
    );
    assert_eq!((code, out.as_str()), (Some(0), "n,b\n0,\n"), "{err}");
    assert!(
        err.contains("wide.log:1: field-count: expected 14 fields, found 5014"),
        "{err}"
    );
    assert!(
        err.contains("wide.log:2: field-count: expected 14 fields, found 5014"),
        "{err}"
    );
    let kept = std::fs::read_to_string(&bad).expect("bad lines kept");
    assert_eq!(kept.lines().count(), 2, "{kept}");
    assert!(kept.contains("extra-4999"), "the whole line is kept");
}
