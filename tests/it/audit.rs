//! The cost audit through the binary: on the hand-built estate of tests/fixtures/classify,
//! whose every finding and dollar figure is worked out below by hand from its README, and on
//! sample-logs/ as a new user runs it. The HTML page is checked in a real headless Chromium, at a
//! desktop's width and a phone's.

use std::path::Path;

use crate::common::{resources_of, root, vpcflow};
use serde_json::Value;

fn fixture(part: &str) -> String {
    root()
        .join("tests/fixtures/classify")
        .join(part)
        .to_string_lossy()
        .into_owned()
}

/// The audit of the fixture over the hour 10:00-11:00 of its records' day (so monthly figures
/// are window figures x 730), with every finding kept, plus `extra`.
fn audit(extra: &[&str]) -> std::process::Output {
    audit_of(&fixture("logs"), extra)
}

/// The same audit of other flow logs (the fixture's, ingested).
fn audit_of(input: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "--since",
        "2026-11-26T10:00:00Z",
        "--until",
        "2026-11-26T11:00:00Z",
        "--min-monthly-usd",
        "0",
    ];
    args.extend_from_slice(extra);
    audit_inputs(&[input], &args)
}

/// The audit of `inputs` with the fixture's inventory, no page and no warnings, plus `extra`.
fn audit_inputs(inputs: &[&str], extra: &[&str]) -> std::process::Output {
    vpcflow()
        .arg("audit")
        .args(inputs)
        .args(["--inventory", &fixture("inventory"), "--no-html", "-q"])
        .args(extra)
        .output()
        .expect("runs")
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// (finding, resource, monthly_usd) of every finding, in the audit's order.
fn findings(audit: &Value) -> Vec<(String, String, Option<f64>)> {
    audit["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["finding"].as_str().expect("kind").to_string(),
                f["resource"].as_str().expect("resource").to_string(),
                f["monthly_usd"].as_f64(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, Option<f64>)]) -> Vec<(String, String, Option<f64>)> {
    rows.iter()
        .map(|(k, r, m)| (k.to_string(), r.to_string(), *m))
        .collect()
}

/// The fixture's findings, worked out by hand (record numbers as in the fixture's README):
/// - kms endpoint e2 (1 AZ) logged only NODATA (#18): idle, 1 x $0.01 x 730 h = $7.30;
/// - ssm endpoint e1 (1 AZ) carried 1000 + 5000 bytes (#16, #17), under 1 MiB: near-idle,
///   its hourly fee $7.30;
/// - NAT d1 sent 7000 bytes of same-region S3 (#21) and 100 of DynamoDB (#22): 7000 / 2^30 x
///   $0.045 x 730 and 100 / 2^30 x $0.045 x 730, both $0.00 to the cent;
/// - rejects #12, #15, #33: a summary, and #15's source 10.5.2.20 is inside VPC A;
/// - eni f001 (#27) is not in the inventory; a003 (VPC A) and NAT C's cd01 logged nothing;
/// - a001 (us-east-1a) sent 4000 bytes to a002 (us-east-1b) (#4; #11 is it received):
///   4000 / 2^30 x $0.01 x 2 x 730 = $0.00;
/// - subnet cc…02 (us-east-1b) routes 0/0 to NAT cc…d1 in subnet cc…01 (us-east-1a); its
///   client c002 sent 300 bytes through it (#30): $0.00 of cross-AZ transfer.
fn expected() -> Vec<(String, String, Option<f64>)> {
    owned(&[
        ("idle-endpoints", "vpce-0aa000000000000e2", Some(7.30)),
        ("near-idle-endpoints", "vpce-0aa000000000000e1", Some(7.30)),
        (
            "cross-az-traffic",
            "instance i-0aa0000000000a001 (us-east-1a) <-> instance i-0aa0000000000a002 (us-east-1b)",
            Some(0.0),
        ),
        ("nat-cross-az", "subnet-0cc00000000000002", Some(0.0)),
        ("nat-dynamodb", "nat-0aa000000000000d1", Some(0.0)),
        ("nat-s3", "nat-0aa000000000000d1", Some(0.0)),
        ("inside-rejects", "10.5.2.20", None),
        ("rejects", "all ENIs", None),
        ("unknown-enis", "-", None),
        ("unlogged-enis", "vpc-0aaaaaaaaaaaaaaaa", None),
        ("unlogged-enis", "vpc-0cccccccccccccccc", None),
    ])
}

#[test]
fn every_finding_and_figure_is_the_one_worked_out_by_hand() {
    let out = audit(&["-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "no --fail-on: exit 0");
    let a = json_of(&out);
    assert_eq!(a["schema_version"], 1);
    assert_eq!(a["window"]["hours"], 1.0);
    assert_eq!(a["window"]["scale"], 730.0);
    assert_eq!(a["window"]["from"], "arguments");
    assert_eq!(findings(&a), expected());
    assert_eq!(a["summary"]["monthly_usd"], 14.6);
    assert_eq!(a["summary"]["findings"], 11);
    // 36 records: 34 OK and 2 NODATA.
    assert_eq!(a["summary"]["records"], 36);
    let s3 = &a["findings"][5];
    assert_eq!(s3["bytes"], 7000);
    assert!(
        s3["evidence"]
            .as_str()
            .expect("text")
            .contains("gateway endpoint vpce-0aa000000000000e3"),
        "{s3}"
    );
    let dynamo = &a["findings"][4];
    assert!(
        dynamo["evidence"]
            .as_str()
            .expect("text")
            .contains("no DYNAMODB gateway endpoint"),
        "{dynamo}"
    );
    let rejects = &a["findings"][7];
    assert_eq!(rejects["bytes"], 40 + 60 + 44);
    assert!(
        rejects["evidence"]
            .as_str()
            .expect("text")
            .starts_with("3 rejected records"),
        "{rejects}"
    );
}

#[test]
fn the_minimum_leaves_out_small_figures_and_counts_them() {
    let a = json_of(&audit(&["-o", "json", "--min-monthly-usd", "1"]));
    let kept: Vec<_> = expected()
        .into_iter()
        .filter(|(_, _, m)| m.is_none_or(|m| m >= 1.0))
        .collect();
    assert_eq!(findings(&a), kept);
    assert_eq!(a["summary"]["below_minimum"], 4);
}

#[test]
fn hourly_fees_do_not_scale_with_the_window() {
    // Without a window it is read from the logs: every record spans the same 60 s.
    let out = audit_without_window(&["-o", "json"]);
    let a = json_of(&out);
    assert_eq!(a["window"]["from"], "logs");
    assert_eq!(a["window"]["since"], "2026-11-26T10:00:00Z");
    assert_eq!(a["window"]["until"], "2026-11-26T10:01:00Z");
    assert_eq!(a["window"]["scale"], 730.0 * 60.0);
    let f = findings(&a);
    assert_eq!(f[0], expected()[0], "the idle fee is still $7.30");
    assert_eq!(f[1], expected()[1]);
    // 7000 bytes over 60 s: 7000 / 2^30 x 0.045 x 43800 = $0.0128..., under the $1 minimum.
    assert!(!f.iter().any(|(k, _, _)| k == "nat-s3"));
}

#[test]
fn the_fail_policy_sets_the_exit_code() {
    let out = audit(&[
        "-o",
        "json",
        "--fail-on",
        "idle-endpoints,nat-s3",
        "--fail-above-usd",
        "5",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the idle endpoint's $7.30 is above $5"
    );
    let a = json_of(&out);
    assert_eq!(a["fail"]["failing"], 1);
    assert_eq!(a["findings"][0]["fails"], true);
    assert_eq!(
        a["findings"][5]["fails"], false,
        "nat-s3's $0.00 is below $5"
    );

    let out = audit(&[
        "-o",
        "json",
        "--fail-on",
        "idle-endpoints",
        "--fail-above-usd",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(0));

    // A finding without a dollar figure fails whenever it is there.
    let out = audit(&[
        "-o",
        "json",
        "--fail-on",
        "inside-rejects",
        "--fail-above-usd",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(1));

    let out = audit(&["--fail-on", "idle"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--fail-on idle: no such finding") && err.contains("idle-endpoints"),
        "{err}"
    );
}

#[test]
fn json_and_markdown_are_the_same_bytes_every_run() {
    for format in ["json", "markdown"] {
        let first = audit(&["-o", format]).stdout;
        let second = audit(&["-o", format]).stdout;
        assert!(!first.is_empty());
        assert_eq!(first, second, "{format} output is deterministic");
    }
}

#[test]
fn the_markdown_page_of_the_fixture() {
    let out = audit(&["-o", "markdown"]);
    insta::assert_snapshot!(String::from_utf8(out.stdout).expect("utf-8"));
}

#[test]
fn a_config_file_sets_prices_and_print_config_shows_the_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("audit.toml");
    std::fs::write(
        &config,
        "[fail]\non = [\"near-idle-endpoints\"]\nabove_usd = 10\n\n\
         [prices.regions.us-east-1]\ninterface_endpoint_hour = 0.02\n",
    )
    .expect("writes");
    let config = config.to_string_lossy().into_owned();
    let out = audit(&["-o", "json", "--config", &config]);
    // Both endpoints now cost 1 AZ x $0.02 x 730 h = $14.60 a month; the near-idle one fails.
    assert_eq!(out.status.code(), Some(1));
    let a = json_of(&out);
    assert_eq!(findings(&a)[0].2, Some(14.6));
    assert_eq!(
        findings(&a)[1],
        owned(&[("near-idle-endpoints", "vpce-0aa000000000000e1", Some(14.6))])[0]
    );
    assert_eq!(a["summary"]["monthly_usd"], 29.2);

    let printed = vpcflow()
        .args([
            "audit",
            "--config",
            &config,
            "--print-config",
            "--fail-above-usd",
            "3",
        ])
        .output()
        .expect("runs");
    assert!(printed.status.success());
    let text = String::from_utf8(printed.stdout).expect("utf-8");
    let shown: toml::Value = toml::from_str(&text).expect("TOML");
    assert_eq!(
        shown["fail"]["above_usd"].as_float(),
        Some(3.0),
        "the command line wins"
    );
    assert_eq!(
        shown["prices"]["regions"]["us-east-1"]["interface_endpoint_hour"].as_float(),
        Some(0.02)
    );
    assert_eq!(
        shown["prices"]["default"]["nat_gateway_gb"].as_float(),
        Some(0.045),
        "defaults are shown too"
    );
}

#[test]
fn an_unreadable_input_is_a_finding_and_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.log.gz");
    // A gzip header and then garbage.
    std::fs::write(
        &broken,
        [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef],
    )
    .expect("writes");
    let out = audit_inputs(
        &[&fixture("logs"), broken.to_str().expect("path")],
        &["-o", "json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let a = json_of(&out);
    let unreadable = resources_of(&a, "unreadable-inputs");
    assert_eq!(unreadable, [broken.to_str().expect("path")], "{a}");
    assert_eq!(a["inputs"]["files_failed"], 1);
    // The readable file is still audited.
    assert_eq!(a["summary"]["records"], 36);
}

#[test]
fn last_sets_a_window_ending_now() {
    let out = audit_without_window(&["--last", "7d", "-o", "json"]);
    let a = json_of(&out);
    assert_eq!(a["window"]["from"], "arguments");
    assert_eq!(a["window"]["hours"], 168.0);
    let out = audit_without_window(&["--last", "seven days"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--last seven days"));
}

fn audit_without_window(extra: &[&str]) -> std::process::Output {
    audit_inputs(&[&fixture("logs")], extra)
}

/// Runs headless Chromium on `page` with `args` and returns its stdout.
pub(crate) fn browse(page: &Path, args: &[&str]) -> String {
    browse_in((1280, 1800), page, args)
}

/// Runs headless Chromium in a window of `size` on `page` with `args` and returns its stdout.
fn browse_in(size: (u32, u32), page: &Path, args: &[&str]) -> String {
    let profile = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(crate::common::tools::chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium starts");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of the element with this id in a dumped DOM.
fn text_of(dom: &str, id: &str) -> String {
    let at = dom
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("#{id} in the page"));
    let rest = &dom[at + id.len() + 6..];
    rest[..rest.find('<').expect("closing tag")].to_string()
}

#[test]
fn the_html_page_renders_its_figures_and_charts_in_a_browser() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("audit.html");
    let out = vpcflow()
        .args([
            "audit",
            &fixture("logs"),
            "--inventory",
            &fixture("inventory"),
        ])
        .args([
            "--since",
            "2026-11-26T10:00:00Z",
            "--until",
            "2026-11-26T11:00:00Z",
        ])
        .args(["--min-monthly-usd", "0", "-q", "-o", "markdown", "--html"])
        .arg(&page)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let html = std::fs::read_to_string(&page).expect("the page was written");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page fetches nothing"
    );

    let dom = browse(&page, &["--dump-dom"]);
    assert_eq!(text_of(&dom, "monthly-usd"), "$14.60");
    assert_eq!(text_of(&dom, "findings"), "11");
    assert_eq!(text_of(&dom, "records"), "36");
    assert!(
        dom.contains("data-charts-rendered=\"3\""),
        "the time, endpoint and zone charts laid out with bars of a size"
    );
    assert_eq!(
        dom.matches("<tr").count(),
        1 + 11,
        "a header and a row per finding"
    );

    let shot = root().join("target/audit-page.png");
    browse(&page, &[&format!("--screenshot={}", shot.display())]);
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real picture"
    );
}

/// The measuring script of tests/it/audit_layout.js.
const LAYOUT_SCRIPT: &str = include_str!("audit_layout.js");

/// The layout of `page` in a frame `width` pixels wide, as tests/it/audit_layout.js measures it
/// in headless Chromium (whose windows are never narrower than 500 pixels).
fn layout(page: &str, width: u32, dir: &Path) -> Value {
    let measured = page.replace(
        "</body>",
        &format!("<script>{LAYOUT_SCRIPT}</script></body>"),
    );
    assert_ne!(measured, page, "the page has a body to append to");
    let escaped = measured.replace('&', "&amp;").replace('"', "&quot;");
    let frame = dir.join(format!("frame-{width}.html"));
    std::fs::write(
        &frame,
        format!(
            "<!DOCTYPE html><html><body style=\"margin:0\"><iframe style=\"width:{width}px;height:1800px;border:0\" srcdoc=\"{escaped}\"></iframe></body></html>"
        ),
    )
    .expect("writes");
    let dom = browse_in((width.max(1280) + 40, 1900), &frame, &["--dump-dom"]);
    let marker = "<pre id=\"layout-verdict\">";
    let at = dom
        .rfind(marker)
        .unwrap_or_else(|| panic!("no verdict from the measuring script at {width} px"));
    let rest = &dom[at + marker.len()..];
    let json = rest[..rest.find("</pre>").expect("end of the verdict")]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).expect("the verdict is JSON")
}

fn px(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is a number in {v}"))
}

/// An element the verdict measured is drawn, on top, within the page's width.
fn assert_in_view(what: &str, e: &Value, width: f64) {
    assert_eq!(e["styled"], true, "{what} is not hidden: {e}");
    assert_eq!(
        e["on_top"], true,
        "{what} is what is drawn where it is: {e}"
    );
    assert!(
        px(e, "width") > 0.0 && px(e, "height") > 0.0,
        "{what} has a size: {e}"
    );
    assert!(
        px(e, "left") >= 0.0 && px(e, "right") <= width + 0.5,
        "{what} lies within the {width} px of the page: {e}"
    );
}

/// Chart labels as measured: every one shown and inside the chart, at least `min` of them, of
/// a readable size, none over another along `axis` ("left" or "top", in the order given).
fn assert_readable_labels(what: &str, labels: &Value, min: usize, along: &str) -> Vec<String> {
    let labels = labels.as_array().expect("labels");
    assert!(labels.len() >= min, "at least {min} {what}: {labels:?}");
    for l in labels {
        assert_eq!(l["shown"], true, "{what} shown: {l}");
        assert_eq!(l["inside"], true, "{what} inside the chart: {l}");
        assert!(px(l, "height") >= 8.0, "{what} of a readable size: {l}");
    }
    let (start, end) = if along == "left" {
        ("left", "right")
    } else {
        ("top", "bottom")
    };
    let mut ordered: Vec<&Value> = labels.iter().collect();
    ordered.sort_by(|a, b| px(a, start).total_cmp(&px(b, start)));
    for pair in ordered.windows(2) {
        assert!(
            px(pair[0], end) <= px(pair[1], start),
            "{what} do not overlap: {} and {}",
            pair[0],
            pair[1]
        );
    }
    labels
        .iter()
        .map(|l| l["text"].as_str().expect("text").to_string())
        .collect()
}

/// The y labels are 0 and then even steps of one binary unit, going up the chart.
fn assert_byte_ticks(labels: &[String], y: &Value) {
    assert_eq!(labels[0], "0", "the axis starts at zero: {labels:?}");
    let units: Vec<&str> = labels[1..]
        .iter()
        .map(|l| l.rsplit_once(' ').expect("a value and a unit").1)
        .collect();
    assert!(
        ["B", "KiB", "MiB", "GiB", "TiB", "PiB"].contains(&units[0]),
        "{labels:?}"
    );
    assert!(units.iter().all(|u| *u == units[0]), "one unit: {labels:?}");
    let values: Vec<f64> = labels[1..]
        .iter()
        .map(|l| {
            l.split(' ')
                .next()
                .and_then(|v| v.parse().ok())
                .expect("a number")
        })
        .collect();
    for (i, v) in values.iter().enumerate() {
        let expected = values[0] * (i + 1) as f64;
        assert!((v - expected).abs() < 1e-9, "even steps: {labels:?}");
    }
    let tops: Vec<f64> = y
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| px(l, "top"))
        .collect();
    assert!(
        tops.windows(2).all(|p| p[1] < p[0]),
        "larger values higher up: {tops:?}"
    );
}

/// The time chart's axes, labels and bars as measured.
fn assert_chart_axes(chart: &Value, width: f64) {
    assert!(
        px(chart, "left") >= 0.0 && px(chart, "right") <= width + 0.5,
        "the chart fits the page: {chart}"
    );
    assert!(
        chart["axis_lines"].as_u64().expect("count") >= 2,
        "an x and a y axis line"
    );
    let y = assert_readable_labels("y tick labels", &chart["y_labels"], 3, "top");
    assert_byte_ticks(&y, &chart["y_labels"]);
    let x = assert_readable_labels("x tick labels", &chart["x_labels"], 3, "left");
    assert!(x.iter().all(|l| !l.is_empty()), "{x:?}");
    let (zero, top) = (px(chart, "zero"), px(chart, "top"));
    let bars = chart["bars"].as_array().expect("bars");
    assert!(!bars.is_empty());
    for b in bars {
        assert!(
            px(b, "top") >= top - 1.0 && px(b, "bottom") <= zero + 1.0,
            "bars stay between the axis' zero and its top tick: {b}, {zero}, {top}"
        );
    }
    let highest = bars.iter().map(|b| px(b, "top")).fold(f64::MAX, f64::min);
    assert!(
        zero - highest >= (zero - top) / 2.0,
        "the axis fits the data: its tallest bar reaches half way up at least"
    );
}

#[test]
fn the_sample_page_reads_on_a_phone_and_on_a_desktop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("audit.html");
    let out = vpcflow()
        .arg("audit")
        .arg(root().join("sample-logs/AWSLogs"))
        .arg("--inventory")
        .arg(root().join("sample-logs/inventory"))
        .args(["-q", "-o", "json", "--html"])
        .arg(&page)
        .output()
        .expect("runs");
    let audit = json_of(&out);
    let expected = audit["findings"].as_array().expect("findings");
    assert!(!expected.is_empty(), "the sample estate has findings");
    let html = std::fs::read_to_string(&page).expect("the page was written");

    for width in [1280u32, 420] {
        let v = layout(&html, width, dir.path());
        assert_eq!(v["inner_width"], width, "the page is {width} px wide");
        let client = px(&v, "client_width");
        assert!(
            px(&v, "scroll_width") <= client,
            "at {width} px the page does not scroll sideways: {}",
            v["scroll_width"]
        );

        let shown = v["findings"].as_array().expect("findings");
        assert_eq!(shown.len(), expected.len(), "a row or card per finding");
        for (i, (row, f)) in shown.iter().zip(expected).enumerate() {
            assert_eq!(row["n"], (i + 1).to_string());
            let what = format!("finding {} at {width} px", i + 1);
            let usd = &row["usd"];
            assert_in_view(&format!("the amount of {what}"), usd, client);
            let amount = usd["text"].as_str().expect("text");
            match f["monthly_usd"].as_f64() {
                Some(_) => assert!(amount.starts_with('$'), "{what}: {amount}"),
                None => assert_eq!(amount, "-", "{what}"),
            }
            let action = &row["action"];
            assert_in_view(&format!("the action of {what}"), action, client);
            assert_eq!(action["text"], f["action"], "{what}: the action as written");
        }

        // Resource IDs keep their hyphens and never break across lines.
        let ids: Vec<&str> = v["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|i| i.as_str().expect("id"))
            .collect();
        for f in expected {
            let resource = f["resource"].as_str().expect("resource");
            if ["vpce-", "nat-", "vpc-", "eni-"]
                .iter()
                .any(|p| resource.starts_with(p))
            {
                assert!(ids.contains(&resource), "{resource} in the page's text");
            }
        }
        assert_eq!(
            v["breakable_ids"],
            Value::Array(Vec::new()),
            "at {width} px"
        );

        assert_chart_axes(&v["chart"], client);

        let shot = root().join(format!("target/audit-page-{width}.png"));
        browse_in(
            (width, 2400),
            &page,
            &[&format!("--screenshot={}", shot.display())],
        );
        let png = std::fs::read(&shot).expect("a screenshot");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "a real picture"
        );
    }
}

#[test]
fn a_new_user_runs_the_readme_command_on_the_sample_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = vpcflow()
        .current_dir(dir.path())
        .args(["audit"])
        .arg(root().join("sample-logs/AWSLogs"))
        .arg("--inventory")
        .arg(root().join("sample-logs/inventory"))
        .args(["-o", "markdown"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.starts_with("# vpcflow audit"));
    assert!(
        dir.path().join("vpcflow-audit.html").is_file(),
        "the page is on disk"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn an_ingested_dataset_gives_the_audit_of_the_raw_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = dir.path().join("flows-ds");
    let ingest = vpcflow()
        .args(["ingest", &fixture("logs"), "-q", "--out"])
        .arg(&dataset)
        .output()
        .expect("runs");
    assert!(
        ingest.status.success(),
        "{}",
        String::from_utf8_lossy(&ingest.stderr)
    );
    let of = |input: &str| {
        let mut a = json_of(&audit_of(input, &["-o", "json"]));
        // What was read differs (objects versus a dataset); every answer must not.
        a["inputs"] = Value::Null;
        a
    };
    let raw = of(&fixture("logs"));
    assert_eq!(findings(&raw), expected());
    assert_eq!(of(dataset.to_str().expect("path")), raw);
}

#[test]
fn no_record_and_no_window_gives_no_advice() {
    let empty = tempfile::tempdir().expect("tempdir");
    let out = audit_inputs(&[empty.path().to_str().expect("path")], &["-o", "json"]);
    assert_eq!(out.status.code(), Some(2), "nothing read is an error");
    let a = json_of(&out);
    assert_eq!(a["window"]["from"], "none");
    assert_eq!(a["summary"]["records"], 0);
    assert_eq!(a["coverage"]["status"], "nothing");
    // Not even the unlogged ENIs: with nothing seen there is nothing to advise on.
    assert_eq!(findings(&a), []);
}
