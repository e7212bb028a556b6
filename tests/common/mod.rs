//! What the SQL and hostile-input tests share: the binary, run from the crate root.

use assert_cmd::Command;

/// The `vpcflow` binary, in the crate root (where `sample-logs/` is).
pub fn vpcflow() -> Command {
    let mut c = Command::cargo_bin("vpcflow").expect("binary");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
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
