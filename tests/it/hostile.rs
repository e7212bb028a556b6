//! Hostile input: the run reports it, keeps going where it can, and never loses good records.
//!
//! Each fixture is built here from `sample-logs/invalid/field-count.log`, whose lines 2 and 4
//! are good records of 1000 and 2000 bytes (line 3 lacks a field).

use std::io::Write;

use crate::common::run;

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
    let file = std::fs::File::create(&path).expect("create");
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    a_record_then_one_line(&mut gz, b'0', 200);
    gz.finish().expect("finish");
    // A small gzip object is inflated whole by a worker, up to 256 MiB; past that it is
    // streamed. So memory is bounded by that cap, not by what the object inflates to.
    one_record_and_one_long_line(
        &path,
        "bomb.log.gz:3: line-too-long: 209715200 bytes",
        400 << 20,
    );
}

#[test]
fn a_gigabyte_without_a_newline_is_one_bad_line_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("no-newline.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    a_record_then_one_line(&mut file, b'a', 1024);
    file.flush().expect("flush");
    drop(file);
    one_record_and_one_long_line(
        &path,
        "no-newline.log:3: line-too-long: 1073741824 bytes",
        256 << 20,
    );
}

/// Writes the fixture's header and its first record (1000 bytes), then `mib` MiB of `byte`
/// without a newline.
fn a_record_then_one_line(out: &mut impl Write, byte: u8, mib: usize) {
    let l = lines();
    writeln!(out, "{}\n{}", l[0], l[1]).expect("write");
    let block = vec![byte; 1 << 20];
    for _ in 0..mib {
        out.write_all(&block).expect("write");
    }
}

/// Querying `path` keeps its one record, reports its long line as `reported`, and peaks below
/// `max_memory` bytes resident.
fn one_record_and_one_long_line(path: &std::path::Path, reported: &str, max_memory: u64) {
    let (code, out, err, peak) = measured(&["query", TOTALS, "-o", "csv", utf8(path)]);
    assert_eq!((code, out.as_str()), (Some(0), "n,b\n1,1000\n"), "{err}");
    assert!(err.contains(reported), "{err}");
    assert!(peak < max_memory, "peak resident memory {peak} bytes");
}

/// Runs `vpcflow` with `args`: exit code, standard output, standard error and the peak
/// resident memory in bytes (`VmHWM`, sampled every few milliseconds until it exits).
fn measured(args: &[&str]) -> (Option<i32>, String, String, u64) {
    let child = spawn(args);
    let pid = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output());
    let mut peak = 0;
    while !waiter.is_finished() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok());
        peak = peak.max(kb.unwrap_or(0) * 1024);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = waiter.join().expect("waiter").expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        peak,
    )
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
            "--allow-empty",
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

// Faults: the process killed, the disk full or read-only, two writers, inputs that change.

/// Synthetic records per copy in [`big_log`].
const COPY: u64 = 20_000;

/// A text log of `copies` × 20,000 synthetic records (about 2.4 MB) under one header, written
/// to `path`; the records are generated once per test process.
fn big_log(path: &std::path::Path, copies: u64) -> u64 {
    static BODY: std::sync::OnceLock<(String, Vec<u8>)> = std::sync::OnceLock::new();
    let (header, body) = BODY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("gen.log");
        let (code, _, err) = run(
            &[
                "generate",
                "--synthetic",
                &COPY.to_string(),
                "--out",
                utf8(&file),
            ],
            "",
        );
        assert_eq!(code, Some(0), "{err}");
        let text = std::fs::read(&file).expect("generated");
        let cut = text.iter().position(|b| *b == b'\n').expect("a header") + 1;
        (
            String::from_utf8_lossy(&text[..cut]).into_owned(),
            text[cut..].to_vec(),
        )
    });
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    out.write_all(header.as_bytes()).expect("write");
    for _ in 0..copies {
        out.write_all(body).expect("write");
    }
    out.flush().expect("flush");
    COPY * copies
}

/// Records in a dataset by `query` (0 when it holds no data yet), and whether it exited 0.
fn dataset_count(ds: &std::path::Path) -> u64 {
    if !ds.join("flows").exists() {
        return 0;
    }
    let (code, out, err) = run(
        &[
            "query",
            "SELECT count(*) FROM flows",
            "-o",
            "csv",
            "-q",
            utf8(ds),
        ],
        "",
    );
    assert_eq!(code, Some(0), "the dataset stays readable: {err}");
    out.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("a count")
}

/// Every Parquet file visible under `ds/flows` opens and has a valid footer.
fn every_visible_file_is_whole(ds: &std::path::Path) {
    let flows = ds.join("flows");
    if !flows.exists() {
        return;
    }
    for entry in walkdir::WalkDir::new(&flows) {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let file = std::fs::File::open(entry.path()).expect("open");
            parquet::file::reader::SerializedFileReader::new(file)
                .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        }
    }
}

fn bytes_read(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("rchar: ").and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Waits until `child` has read `bytes` (its `rchar`); a child that ends first fails the test.
fn wait_until_read(child: &mut std::process::Child, bytes: u64) {
    while bytes_read(child.id()) < bytes {
        let ended = child.try_wait().expect("wait");
        assert!(
            ended.is_none(),
            "the run ended before reading {bytes} bytes"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

fn spawn(args: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("vpcflow"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts")
}

fn signal(child: &std::process::Child, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn kill_9_at_twenty_four_points_never_shows_a_partial_dataset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    let mut records = 0;
    for i in 0..3 {
        records += big_log(&logs.join(format!("part-{i}.log")), 1);
    }
    // How long a whole run takes here, to spread the kills over it (and a little past it).
    let started = std::time::Instant::now();
    let probe = dir.path().join("probe");
    let (code, _, err) = run(&["ingest", "-q", "--out", utf8(&probe), utf8(&logs)], "");
    assert_eq!(code, Some(0), "{err}");
    let span = started.elapsed().as_millis() as u64 * 11 / 10;
    assert_eq!(dataset_count(&probe), records);
    let trials = 24u64;
    for trial in 0..trials {
        let ds = dir.path().join(format!("ds-{trial}"));
        // Half the trials kill a first run; the other half kill a second run over a dataset
        // that already holds the first file, which must keep exactly that file's records.
        let before = if trial % 2 == 1 {
            let (code, _, err) = run(
                &[
                    "ingest",
                    "-q",
                    "--out",
                    utf8(&ds),
                    utf8(&logs.join("part-0.log")),
                ],
                "",
            );
            assert_eq!(code, Some(0), "{err}");
            COPY
        } else {
            0
        };
        let mut child = spawn(&["ingest", "-q", "--out", utf8(&ds), utf8(&logs)]);
        std::thread::sleep(std::time::Duration::from_millis(span * trial / trials));
        let _ = child.kill();
        let _ = child.wait();
        every_visible_file_is_whole(&ds);
        let seen = dataset_count(&ds);
        assert!(
            seen == before || seen == records,
            "trial {trial}: {seen} records visible"
        );
        let (code, _, err) = run(&["ingest", "-q", "--out", utf8(&ds), utf8(&logs)], "");
        assert_eq!(code, Some(0), "trial {trial}: {err}");
        assert_eq!(dataset_count(&ds), records, "trial {trial}");
        let staging = ds.join("_vpcflow/staging");
        let left = std::fs::read_dir(&staging).map_or(0, |d| d.count());
        assert_eq!(left, 0, "trial {trial}: staging is cleaned up");
    }
}

#[test]
fn a_second_ingest_while_one_runs_is_refused_and_the_first_completes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("big.log");
    let records = big_log(&log, 25);
    let small = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TWO_RECORDS);
    let ds = dir.path().join("ds");
    let mut first = spawn(&["ingest", "-q", "--out", utf8(&ds), utf8(&log)]);
    // Wait until the first run has started reading (it holds the lock from before that).
    wait_until_read(&mut first, 1 << 20);
    let (code, _, err) = run(&["ingest", "--out", utf8(&ds), utf8(&small)], "");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("another vpcflow ingest is writing to this dataset; try again when it ends"),
        "{err}"
    );
    let out = first.wait_with_output().expect("first run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(dataset_count(&ds), records);
    // Once the first has ended, the second goes in.
    let (code, _, err) = run(&["ingest", "-q", "--out", utf8(&ds), utf8(&small)], "");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(dataset_count(&ds), records + 2);
}

/// Starts `query` over `log` with its output unread, so that it stops mid-file once the pipe
/// and its buffers are full; `change` then alters the file and the output is read to the end.
fn query_while(log: &std::path::Path, change: impl FnOnce()) -> (Option<i32>, u64, String) {
    let mut child = spawn(&[
        "query",
        "SELECT srcaddr FROM flows",
        "-o",
        "csv",
        "--threads",
        "1",
        utf8(log),
    ]);
    let size = std::fs::metadata(log).expect("log").len();
    // Wait until reading has started and stalled well before the end of the file.
    wait_until_read(&mut child, 1 << 20);
    let mut last = 0;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let now = bytes_read(child.id());
        if now == last {
            break;
        }
        last = now;
    }
    assert!(last < size / 2, "stalled at {last} of {size} bytes");
    change();
    let out = child.wait_with_output().expect("query");
    let rows = out.stdout.iter().filter(|b| **b == b'\n').count() as u64 - 1;
    (
        out.status.code(),
        rows,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_file_that_grows_or_disappears_while_read_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("live.log");
    let records = big_log(&log, 50);
    let extra = lines()[1].clone() + "\n";
    let (code, rows, err) = query_while(&log, || {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .expect("open");
        f.write_all(extra.as_bytes()).expect("append");
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("live.log: changed while being read (size"),
        "{err}"
    );
    // What was read is the file as it was and the line added to it: nothing made up.
    assert!(rows == records || rows == records + 1, "{rows}");

    let (code, rows, err) = query_while(&log, || std::fs::remove_file(&log).expect("remove"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("live.log: removed while being read"), "{err}");
    assert_eq!(rows, records + 1, "an open file is read to its end");
}

#[test]
fn an_ingest_whose_input_changes_commits_nothing_and_the_rerun_is_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("live.log");
    let records = big_log(&log, 50);
    let ds = dir.path().join("ds");
    let mut child = spawn(&["ingest", "--threads", "1", "--out", utf8(&ds), utf8(&log)]);
    wait_until_read(&mut child, 8 << 20);
    signal(&child, "-STOP");
    let size = std::fs::metadata(&log).expect("log").len();
    assert!(bytes_read(child.id()) < size / 2, "stopped mid-file");
    let extra = lines()[1].clone() + "\n";
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open");
    f.write_all(extra.as_bytes()).expect("append");
    signal(&child, "-CONT");
    let out = child.wait_with_output().expect("ingest");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("live.log: changed while being read"), "{err}");
    assert!(
        err.contains("1 object(s) changed while being read"),
        "{err}"
    );
    assert!(err.contains("nothing was committed"), "{err}");
    assert_eq!(dataset_count(&ds), 0);
    let (code, _, err) = run(&["ingest", "-q", "--out", utf8(&ds), utf8(&log)], "");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(dataset_count(&ds), records + 1);
}

/// A small tmpfs mounted for the test and unmounted when dropped; `None` where mounting is not
/// allowed (not root, or no mount permission in a container).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: &std::path::Path, bytes: u64) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).ok()?;
        let ok = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={bytes}"),
                "tmpfs",
                utf8(at),
            ])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(at.to_path_buf()))
    }

    fn read_only(&self) {
        let status = std::process::Command::new("mount")
            .args(["-o", "remount,ro", utf8(&self.0)])
            .status()
            .expect("mount runs");
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// An ingest that cannot write (disk full, file too large, read-only) fails with the reason
/// and the path, and leaves the dataset as it was: same records, nothing staged, no lock held.
fn assert_failed_write_kept(
    ds: &std::path::Path,
    input: &std::path::Path,
    reason: &str,
    before: u64,
    limit: Option<u64>,
) {
    let mut cmd = std::process::Command::new("sh");
    // A file-size limit with SIGXFSZ ignored turns writes past it into EFBIG errors.
    let ulimit = limit.map_or(String::new(), |blocks| {
        format!("trap '' XFSZ; ulimit -f {blocks}; ")
    });
    cmd.args([
        "-c",
        &format!("{ulimit}exec \"$0\" ingest -q --out \"$1\" \"$2\""),
        utf8(&assert_cmd::cargo::cargo_bin("vpcflow")),
        utf8(ds),
        utf8(input),
    ]);
    let out = cmd.output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(reason), "{err}");
    assert!(err.contains(utf8(ds)), "the error names the path: {err}");
    every_visible_file_is_whole(ds);
    assert_eq!(dataset_count(ds), before);
    let staging = ds.join("_vpcflow/staging");
    assert_eq!(
        std::fs::read_dir(&staging).map_or(0, |d| d.count()),
        0,
        "{err}"
    );
}

#[test]
fn a_full_disk_fails_clearly_and_keeps_the_dataset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TWO_RECORDS);
    let log = dir.path().join("big.log");
    big_log(&log, 25);
    // A file-size limit works everywhere: writes past 2 MB fail with "File too large".
    let ds = dir.path().join("ds");
    let (code, _, err) = run(&["ingest", "-q", "--out", utf8(&ds), utf8(&small)], "");
    assert_eq!(code, Some(0), "{err}");
    assert_failed_write_kept(&ds, &log, "File too large", 2, Some(4096));
    // A real full file system where the machine lets the test mount one.
    let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), 3 << 20) else {
        eprintln!("a_full_disk: tmpfs cannot be mounted here; the file-size limit stood in");
        return;
    };
    let ds = disk.0.join("ds");
    let (code, _, err) = run(&["ingest", "-q", "--out", utf8(&ds), utf8(&small)], "");
    assert_eq!(code, Some(0), "{err}");
    assert_failed_write_kept(&ds, &log, "No space left on device", 2, None);
    // Room again: the same ingest completes.
    let (code, _, err) = run(&["ingest", "-q", "--out", utf8(&ds), utf8(&small)], "");
    assert_eq!((code, dataset_count(&ds)), (Some(0), 2), "{err}");
    drop(disk);
}

#[test]
fn a_read_only_dataset_fails_clearly_and_stays_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TWO_RECORDS);
    let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), 16 << 20) else {
        eprintln!("a_read_only_dataset: tmpfs cannot be mounted here; not run");
        return;
    };
    let ds = disk.0.join("ds");
    let (code, _, err) = run(&["ingest", "-q", "--out", utf8(&ds), utf8(&small)], "");
    assert_eq!(code, Some(0), "{err}");
    disk.read_only();
    let other = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-logs/invalid/repeated-header.log");
    assert_failed_write_kept(&ds, &other, "Read-only file system", 2, None);
    drop(disk);
}

#[test]
fn nothing_is_written_outside_the_dataset_whatever_the_input_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TWO_RECORDS))
        .expect("fixture");
    // Names that look like paths out of the tree: Hive keys of `..`, encoded slashes, dots.
    let logs = dir.path().join("logs");
    for name in [
        "date=../a.log",
        "date=..%2F..%2Fb.log",
        "..%2Fc.log",
        "...log",
        "d/date=2026-11-01%2F..%2F..%2Fx/e.log",
    ] {
        let path = logs.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &source).expect("write");
    }
    let before: Vec<_> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .map(|e| e.expect("walk").into_path())
        .collect();
    let ds = dir.path().join("out").join("ds");
    let (code, _, err) = run(&["ingest", "-q", "--out", utf8(&ds), utf8(&logs)], "");
    assert_eq!(code, Some(0), "{err}");
    // Hidden names (a leading dot) are skipped in trees: three files of two records are read.
    assert_eq!(dataset_count(&ds), 6);
    for entry in walkdir::WalkDir::new(dir.path()) {
        let path = entry.expect("walk").into_path();
        assert!(
            before.contains(&path) || path.starts_with(&ds) || path == dir.path().join("out"),
            "written outside the dataset: {}",
            path.display()
        );
    }
}

#[test]
fn an_enormous_header_line_is_one_bad_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("huge-header.log");
    let l = lines();
    // A header of 3 MB (past the 1 MiB line limit), then the two good records.
    let header = format!("{} {}", l[0], "extra-field ".repeat(250_000));
    std::fs::write(&file, format!("{header}\n{}\n{}\n", l[1], l[3])).expect("write");
    let (code, out, err) = totals(&file);
    assert_eq!((code, out.as_str()), (Some(0), "n,b\n2,3000\n"), "{err}");
    assert!(err.contains("huge-header.log:1: line-too-long"), "{err}");
}
