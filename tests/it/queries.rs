//! One snapshot per file of `queries/` and `queries/findings/`, run on the sample estate
//! (sample-logs/, described by its README): a new query file gets its snapshot by being there,
//! and a file that the binary does not run fails here.
//!
//! The reports come from one run of the whole pack, each snapshot its own section; the view
//! (`classify.sql`) is summarised by class, rule and `counted`; each findings file is the
//! audit's findings of the kinds its `Findings:` header line declares.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::{root, vpcflow};

const INPUTS: [&str; 3] = [
    "sample-logs/AWSLogs",
    "--inventory",
    "sample-logs/inventory",
];

/// The `.sql` files of `dir` (relative to the crate root), by name without `.sql`, sorted.
fn sql_files(dir: &str) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(root().join(dir))
        .expect("queries folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .map(|p| {
            let name = p.file_stem().expect("stem").to_string_lossy().into_owned();
            (name, p)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .sql file in {dir}");
    files
}

/// Runs vpcflow on the sample estate with `args`, expecting success; its standard output.
fn run(args: &[&str]) -> String {
    let out = vpcflow().args(args).args(INPUTS).output().expect("runs");
    assert!(
        out.status.success(),
        "vpcflow {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The report pack's Markdown, split at its `## <report>` headings.
fn pack_sections() -> &'static Vec<(String, String)> {
    static PACK: OnceLock<Vec<(String, String)>> = OnceLock::new();
    PACK.get_or_init(|| {
        let text = run(&["report", "-o", "markdown", "-q"]);
        text.split("## ")
            .skip(1)
            .map(|section| {
                let (name, _) = section.split_once('\n').expect("a heading line");
                (
                    name.trim().to_string(),
                    format!("## {}", section.trim_end()),
                )
            })
            .collect()
    })
}

#[test]
fn each_report_on_the_sample_estate() {
    let sections = pack_sections();
    let files: Vec<(String, PathBuf)> = sql_files("queries")
        .into_iter()
        .filter(|(name, _)| name != "classify")
        .collect();
    for (name, path) in &files {
        let Some((_, section)) = sections.iter().find(|(n, _)| n == name) else {
            panic!(
                "{} is not in the report pack: list it in src/sql/queries.rs",
                path.display()
            );
        };
        insta::assert_snapshot!(format!("report-{name}"), section);
    }
    assert_eq!(
        sections.len(),
        files.len(),
        "every report of the pack is a file"
    );
}

#[test]
fn the_classification_view_on_the_sample_estate() {
    let summary = run(&[
        "query",
        "SELECT traffic_class, class_reason, counted, count(*) AS records, sum(bytes) AS bytes \
         FROM flows_classified GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        "-o",
        "csv",
    ]);
    insta::assert_snapshot!("view-classify", summary);
}

#[test]
fn each_findings_query_on_the_sample_estate() {
    let audit: Value =
        serde_json::from_str(&run(&["audit", "-o", "json", "--no-html", "-q"])).expect("json");
    let findings = audit["findings"].as_array().expect("findings");
    let mut shown = 0;
    for (name, path) in sql_files("queries/findings") {
        let sql = std::fs::read_to_string(&path).expect("read");
        let kinds: Vec<&str> = sql
            .lines()
            .find_map(|l| l.strip_prefix("-- Findings:"))
            .unwrap_or_else(|| panic!("{}: no `-- Findings:` header line", path.display()))
            .trim()
            .trim_end_matches('.')
            .split(',')
            .map(str::trim)
            .collect();
        let mine: Vec<String> = findings
            .iter()
            .filter(|f| kinds.contains(&f["finding"].as_str().expect("kind")))
            .map(|f| serde_json::to_string_pretty(f).expect("json"))
            .collect();
        shown += mine.len();
        let text = format!("kinds: {}\n{}", kinds.join(", "), mine.join("\n"));
        insta::assert_snapshot!(format!("finding-{name}"), text);
    }
    assert_eq!(shown, findings.len(), "every finding comes from one file");
}
