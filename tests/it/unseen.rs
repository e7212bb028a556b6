//! Never advise on what was not seen: the audit's coverage (nothing seen, a partial view with
//! its banner on every output, endpoints called idle only where their own ENIs were logged),
//! one meaning for `--since/--until`, runs that read nothing fail loudly, and arguments that
//! are not what they seem are named.
//!
//! Expected figures are worked out by hand from tests/fixtures/classify (its README numbers
//! every record: all 36 start at 2026-11-26T10:00:00Z and end a minute later) or counted here
//! from the sample text.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{root, vpcflow};

fn fixture(part: &str) -> PathBuf {
    root().join("tests/fixtures/classify").join(part)
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read")
}

/// The kms endpoint's only ENI, whose only record is #18 (NODATA).
const KMS_ENI: &str = "eni-0aa0000000000e002";

/// A copy of the fixture's estate in `dir` without record #18, and with an inventory whose
/// describe-network-interfaces keeps only `enis`: (logs, inventory).
fn trimmed_estate(dir: &Path, enis: &[&str]) -> (PathBuf, PathBuf) {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    for name in ["flows.log", "flows-v5.log"] {
        let kept: String = text(&fixture("logs").join(name))
            .lines()
            .filter(|l| !l.contains(KMS_ENI))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(logs.join(name), kept).expect("write");
    }
    let inventory = dir.join("inventory");
    let region = inventory.join("999900001111/us-east-1");
    std::fs::create_dir_all(&region).expect("mkdir");
    std::fs::copy(
        fixture("inventory/ip-ranges.json"),
        inventory.join("ip-ranges.json"),
    )
    .expect("copy");
    for entry in std::fs::read_dir(fixture("inventory/999900001111/us-east-1")).expect("dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        let mut doc: Value = serde_json::from_str(&text(&path)).expect("json");
        if let Some(list) = doc
            .get_mut("NetworkInterfaces")
            .and_then(Value::as_array_mut)
        {
            list.retain(|n| enis.contains(&n["NetworkInterfaceId"].as_str().expect("id")));
        }
        std::fs::write(region.join(name), doc.to_string()).expect("write");
    }
    (logs, inventory)
}

/// The audit of `input` with `inventory` and no page, plus `extra`.
fn run_audit(input: &Path, inventory: &Path, extra: &[&str]) -> std::process::Output {
    vpcflow()
        .arg("audit")
        .arg(input)
        .arg("--inventory")
        .arg(inventory)
        .arg("--no-html")
        .args(extra)
        .output()
        .expect("runs")
}

/// The audit of `logs` over the fixture's hour with every finding kept, plus `extra`.
fn audit(logs: &Path, inventory: &Path, extra: &[&str]) -> std::process::Output {
    let window = [
        "--since",
        "2026-11-26T10:00:00Z",
        "--until",
        "2026-11-26T11:00:00Z",
    ];
    let keep_all = ["--min-monthly-usd", "0", "-q"];
    run_audit(logs, inventory, &[&window[..], &keep_all, extra].concat())
}

/// The audit of the sample estate, plus `extra`.
fn sample_audit(extra: &[&str]) -> std::process::Output {
    run_audit(
        &root().join("sample-logs/AWSLogs"),
        &root().join("sample-logs/inventory"),
        extra,
    )
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_partial_view_has_a_banner_everywhere_and_no_idle_advice_for_unseen_endpoints() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The inventory describes a001, e001 and e002 only. The logs (without #18) hold 35 records
    // on 8 ENIs: a001, a002, e001, d01, b001, c001, c002 and f001; 6 of those 8 are not in the
    // inventory, and of its 3 ENIs e002 logged nothing (2 of 3 logged: 67% < 80%).
    let (logs, inventory) = trimmed_estate(
        dir.path(),
        &["eni-0aa0000000000a001", "eni-0aa0000000000e001", KMS_ENI],
    );
    let out = audit(&logs, &inventory, &["-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let a = json(&out);
    let c = &a["coverage"];
    assert_eq!(c["status"], "partial");
    assert_eq!(c["records"], 35);
    assert_eq!(c["inventory_enis"], 3);
    assert_eq!(c["inventory_enis_logged"], 2);
    assert_eq!(c["enis_in_logs"], 8);
    assert_eq!(c["unknown_enis"], 6);
    let banner = c["banner"].as_str().expect("a banner");
    for gap in [
        "1 of the inventory's 3 ENIs logged nothing",
        "6 of the 8 ENIs in the logs are not in the inventory",
        // One minute of records in a one-hour window.
        "the logs span 0.02 h of the 1.00 h window",
    ] {
        assert!(banner.contains(gap), "{gap} in {banner}");
    }

    // The kms endpoint's ENI logged nothing: not idle, no dollar figure, no advice to delete.
    // The ssm endpoint's ENI e001 logged at the window's start (#16, #17), within the hour's
    // edge of both ends, so it is still near-idle at 1 AZ x $0.01 x 730 h = $7.30.
    let findings = a["findings"].as_array().expect("findings");
    let of =
        |kind: &str| -> Vec<&Value> { findings.iter().filter(|f| f["finding"] == kind).collect() };
    assert!(of("idle-endpoints").is_empty(), "{findings:#?}");
    let unobserved = of("unobserved-endpoints");
    assert_eq!(unobserved.len(), 1, "{findings:#?}");
    assert_eq!(unobserved[0]["resource"], "vpce-0aa000000000000e2");
    assert_eq!(unobserved[0]["monthly_usd"], Value::Null);
    assert!(
        unobserved[0]["evidence"]
            .as_str()
            .expect("evidence")
            .contains("1 of its 1 ENI(s) have no record in the window")
    );
    let near = of("near-idle-endpoints");
    assert_eq!(near.len(), 1);
    assert_eq!(near[0]["monthly_usd"], 7.3);

    let markdown = audit(&logs, &inventory, &["-o", "markdown"]);
    let markdown = String::from_utf8(markdown.stdout).expect("utf-8");
    let at = markdown.find("> **Partial coverage:").expect("a banner");
    assert!(
        at < markdown.find("## Findings").expect("findings"),
        "on top"
    );
    let html = audit(&logs, &inventory, &["-o", "html"]);
    let html = String::from_utf8(html.stdout).expect("utf-8");
    assert!(
        html.contains("<p class=\"banner\" id=\"coverage-banner\">Partial coverage:"),
        "{html}"
    );

    // --fail-on coverage fails the run on the gap alone.
    let failing = audit(&logs, &inventory, &["-o", "json", "--fail-on", "coverage"]);
    assert_eq!(failing.status.code(), Some(1));
    assert_eq!(json(&failing)["coverage"]["fails"], true);
}

#[test]
fn an_audit_that_saw_no_record_gives_no_advice_and_exits_2() {
    let in_2020 = ["--since", "2020-01-01", "--until", "2020-01-02"];
    // Raw logs outside the window: no object is even read.
    let out = sample_audit(&[&in_2020[..], &["-o", "json"]].concat());
    assert_eq!(out.status.code(), Some(2));
    let a = json(&out);
    assert_eq!(a["findings"], Value::Array(vec![]));
    assert_eq!(a["coverage"]["status"], "nothing");
    assert_eq!(a["coverage"]["records"], 0);
    assert!(
        stderr(&out).contains("no flow-log object found"),
        "{}",
        stderr(&out)
    );

    // An ingested dataset whose records all lie outside the window: the case of a nightly
    // audit whose ingest fell behind.
    let dir = tempfile::tempdir().expect("tempdir");
    let ds = dir.path().join("ds");
    let ingest = vpcflow()
        .args(["ingest", "-q", "--out"])
        .arg(&ds)
        .arg(fixture("logs"))
        .output()
        .expect("runs");
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    let out = run_audit(
        &ds,
        &fixture("inventory"),
        &[&in_2020[..], &["-o", "markdown"]].concat(),
    );
    assert_eq!(out.status.code(), Some(2));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains("> **Nothing seen:"), "{page}");
    assert!(page.contains("## Findings\n\nNone."), "{page}");
    assert!(
        stderr(&out).contains("no flow-log record in the window (2020-01-01T00:00:00Z"),
        "{}",
        stderr(&out)
    );
    // A script that expects it says so.
    let allowed = run_audit(
        &ds,
        &fixture("inventory"),
        &[&in_2020[..], &["-o", "json", "--allow-empty"]].concat(),
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
}

#[test]
fn per_eni_gaps_are_one_finding_per_vpc() {
    // sample-logs/ holds one SKIPDATA record on each of three ENIs of its one VPC.
    let out = sample_audit(&["-o", "json", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let a = json(&out);
    let skipdata: Vec<&Value> = a["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["finding"] == "skipdata")
        .collect();
    assert_eq!(skipdata.len(), 1);
    assert_eq!(skipdata[0]["resource"], "vpc-0a1b2c3d4e5f60718");
    let evidence = skipdata[0]["evidence"].as_str().expect("evidence");
    assert!(
        evidence.starts_with("3 ENI(s) logged 3 SKIPDATA records"),
        "{evidence}"
    );
}

#[test]
fn since_and_until_keep_the_overlapping_records_of_raw_logs_and_datasets_alike() {
    let file = root().join("sample-logs/cloudwatch/eni-0167055fb165e7559-all.log");
    // 11:10:00 to 11:26:40 on 2026-11-20, as Unix seconds: the records that end at or after
    // the start and start before the end, counted from the text (v2: start and end are the
    // 11th and 12th fields).
    let (since, until) = (1_795_173_000_i64, 1_795_174_000_i64);
    let expected = text(&file)
        .lines()
        .filter(|l| {
            let f: Vec<i64> = l
                .split(' ')
                .skip(10)
                .take(2)
                .map(|v| v.parse().expect("time"))
                .collect();
            f[1] >= since && f[0] < until
        })
        .count();
    assert!(expected > 0 && expected < text(&file).lines().count());

    let dir = tempfile::tempdir().expect("tempdir");
    let ds = dir.path().join("ds");
    let ingest = vpcflow()
        .args(["ingest", "-q", "--out"])
        .arg(&ds)
        .arg(&file)
        .output()
        .expect("runs");
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    for input in [&file, &ds] {
        let out = vpcflow()
            .args(["query", "SELECT count(*) AS n FROM flows", "-o", "csv"])
            .arg(input)
            .args([
                "--since",
                "2026-11-20T11:10:00Z",
                "--until",
                "2026-11-20T11:26:40Z",
            ])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("n\n{expected}\n"),
            "{}",
            input.display()
        );
    }
}

#[test]
fn reading_nothing_is_an_error_that_names_the_likely_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let prose = dir.path().join("notes.txt");
    std::fs::write(&prose, "this is not\na flow log at all\n").expect("write");
    // Records of a custom layout (interface-id first), without the header that would say so.
    let custom = dir.path().join("custom.log");
    std::fs::write(
        &custom,
        "eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 8400 ACCEPT\n\
         eni-0a1b2c3d4e5f60718 10.0.2.6 10.0.1.5 9100 ACCEPT\n",
    )
    .expect("write");
    let header_only = root().join("sample-logs/invalid/header-only.log");
    let cases: [(&Path, &str); 4] = [
        (&empty, "no flow-log object found"),
        (&prose, "not a flow log?"),
        (&custom, "pass --format"),
        (&header_only, "no record in the 1 object(s) read"),
    ];
    for (input, cause) in cases {
        for command in [
            vec!["query", "SELECT count(*) FROM flows"],
            vec!["report", "rejects"],
        ] {
            let mut run = vpcflow();
            run.args(&command).arg(input);
            if command[0] == "report" {
                run.args(["--inventory", "sample-logs/inventory"]);
            }
            let out = run.output().expect("runs");
            assert_eq!(
                out.status.code(),
                Some(2),
                "{command:?} {}",
                input.display()
            );
            assert!(
                stderr(&out).contains(cause),
                "{command:?} {}: {}",
                input.display(),
                stderr(&out)
            );
        }
        // ingest commits nothing, and makes no dataset.
        let ds = dir.path().join("ds");
        let out = vpcflow()
            .args(["ingest", "--out"])
            .arg(&ds)
            .arg(input)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "ingest {}", input.display());
        assert!(stderr(&out).contains(cause), "{}", stderr(&out));
        assert!(!ds.exists(), "no dataset for {}", input.display());
    }
    // --allow-empty: a warning and exit 0.
    let out = vpcflow()
        .args([
            "query",
            "SELECT count(*) AS n FROM flows",
            "--allow-empty",
            "-o",
            "csv",
        ])
        .arg(&empty)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: no flow-log object found"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "n\n0\n");
}

#[test]
fn names_that_are_not_what_they_seem_are_refused_clearly() {
    let report = |args: &[&str]| vpcflow().arg("report").args(args).output().expect("runs");
    // A mistyped report name is not read as an input path.
    let out = report(&[
        "idle-endpoint",
        "sample-logs/AWSLogs",
        "--inventory",
        "sample-logs/inventory",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("idle-endpoint: no report of that name (did you mean idle-endpoints?)"),
        "{}",
        stderr(&out)
    );
    // A wrong inventory path names the option.
    let out = report(&["sample-logs/AWSLogs", "--inventory", "sample-logs/inv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--inventory sample-logs/inv: no such file or directory"),
        "{}",
        stderr(&out)
    );
    // A folder without a single inventory file is one error, not a warning per file.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = report(&[
        "sample-logs/AWSLogs",
        "--inventory",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no inventory file in it"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
