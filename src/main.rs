//! The `vpcflow` binary: parse arguments, run, map the outcome to an exit code, print errors
//! once. Exit codes: 0 success, 1 audit findings that meet `--fail-on`, 2 error (bad arguments,
//! unreadable input, too many bad lines).

use std::process::ExitCode;

use clap::Parser;
use vpcflow::cli::{Cli, Outcome, run};

/// Arrow and DataFusion allocate and free many short-lived buffers from several threads;
/// mimalloc does that with less CPU than the system allocator, for more resident memory (the
/// README's report-pack figures give both).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(2),
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// A reader that stops early (`| head`) is not an error.
fn is_broken_pipe(e: &vpcflow::Error) -> bool {
    matches!(e, vpcflow::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
}
