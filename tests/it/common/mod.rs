//! What the tests share: the binary, run from the crate root (where `sample-logs/` is), and the
//! external tools and servers some tests need.

#[cfg(feature = "cluster")]
pub mod cluster;
pub mod tools;

use std::path::Path;

use assert_cmd::Command;

/// The arguments after `audit DATASET` for a quiet JSON audit with the sample inventory.
pub const AUDIT_JSON: [&str; 6] = [
    "--inventory",
    "sample-logs/inventory",
    "-o",
    "json",
    "--no-html",
    "-q",
];

/// The resources of the findings of `kind` in an audit's JSON.
pub fn resources_of(audit: &serde_json::Value, kind: &str) -> Vec<serde_json::Value> {
    audit["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["finding"] == kind)
        .map(|f| f["resource"].clone())
        .collect()
}

/// The crate root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `vpcflow` binary, in the crate root.
pub fn vpcflow() -> Command {
    let mut c = Command::cargo_bin("vpcflow").expect("binary");
    c.current_dir(root());
    c
}

/// `text` as one gzip member, as S3 delivers flow logs.
pub fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).expect("gzip");
    e.finish().expect("gzip")
}

/// Runs `vpcflow` with `args` and `stdin`: exit code, standard output, standard error.
pub fn run(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let out = vpcflow()
        .args(args)
        .write_stdin(stdin.to_string())
        .output()
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
