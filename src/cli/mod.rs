//! The command line: arguments (their doc comments are the help text) and dispatch.
//!
//! One file per subcommand; what they share (the options of commands that read flow logs,
//! [`InputArgs`], and the rest) lives in `common`. Commands return an [`Outcome`] that `main` maps to the exit code.

mod athena;
mod audit;
mod cluster;
mod common;
mod diag;
mod fields;
mod functions;
mod generate;
mod ingest;
#[cfg(feature = "collect")]
mod inventory;
mod progress;
mod query;
mod report;
mod shell;

use clap::{Parser, Subcommand};

use crate::error::Result;
use crate::ingest::parallel::RunOptions;

pub use common::{InputArgs, Outcome};
pub use diag::Reporter;

/// vpcflow: AWS VPC Flow Logs in, answers out.
#[derive(Debug, Parser)]
#[command(
    name = "vpcflow",
    version,
    about,
    long_about = None,
    after_help = "Exit codes: 0 success; 1 audit findings that meet --fail-on; 2 error (bad arguments or SQL, unreadable input or one that changed while read, more bad lines than --max-bad-lines, nothing read without --allow-empty, an audit that saw no record in its window, a dataset locked by another ingest, a failed write, a part of the inventory not collected)."
)]
pub struct Cli {
    /// Worker threads for parsing (default: all cores).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every flow-log field vpcflow knows: name, version, type and meaning.
    Fields(fields::FieldsArgs),
    /// List the SQL functions vpcflow adds (IP, CIDR and AWS-service matching).
    Functions(functions::FunctionsArgs),
    /// Parse flow logs into a date-partitioned Parquet dataset (atomic and incremental).
    Ingest(ingest::IngestArgs),
    /// Run read-only SQL over the `flows` table of raw logs or an ingested dataset.
    Query(query::QueryArgs),
    /// An interactive SQL prompt over the same tables as `query`, with history and completion.
    Shell(shell::ShellArgs),
    /// Classify traffic with the AWS inventory and report it: endpoints, NAT, rejects, talkers.
    #[command(
        override_usage = "vpcflow report [NAME]... <INPUT>... --inventory <DIR> [OPTIONS]\n       vpcflow report --list",
        after_help = "Report names (see --list) may come before the inputs; without any, every report runs, all from one scan of the input."
    )]
    Report(report::ReportArgs),
    /// The cost audit: findings with evidence, USD per month and what to do (Markdown, JSON or
    /// a self-contained HTML page).
    #[command(
        override_usage = "vpcflow audit <INPUT>... --inventory <DIR> [OPTIONS]\n       vpcflow audit --config <FILE>",
        after_help = audit_help()
    )]
    Audit(audit::AuditArgs),
    /// Print the CREATE EXTERNAL TABLE statement (partition projection) for Athena or Trino
    /// over an ingested dataset copied to S3.
    AthenaDdl(athena::AthenaArgs),
    /// Collect the inventory (VPCs, subnets, route tables, interfaces, endpoints, NAT gateways,
    /// prefix lists, ip-ranges.json) from AWS into the folder --inventory reads.
    #[cfg(feature = "collect")]
    Inventory(inventory::InventoryArgs),
    /// Write a small, consistent sample estate: S3-layout logs, Parquet, inventory JSON.
    Generate(generate::GenerateArgs),
    /// Run the scheduler of a Ballista cluster that `--cluster` sends queries, reports and
    /// audits to.
    #[cfg(feature = "cluster")]
    Scheduler(cluster::SchedulerArgs),
    /// Make the certificates of a cluster's mutual TLS: `vpcflow cluster certs DIR`.
    #[cfg(feature = "cluster")]
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Run an executor of a Ballista cluster: it takes tasks from the scheduler.
    #[cfg(feature = "cluster")]
    Executor(cluster::ExecutorArgs),
}

/// `vpcflow cluster …`.
#[cfg(feature = "cluster")]
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Write a CA (ca.pem, ca-key.pem) and certificates it signs for the scheduler, the
    /// executors and the clients (scheduler.pem, executor.pem, client.pem, each with its
    /// -key.pem), for --tls-cert, --tls-key and --tls-ca.
    Certs(cluster::CertsArgs),
}

/// The end of `vpcflow audit --help`: the kinds of finding and the exit codes.
fn audit_help() -> String {
    format!(
        "Findings (for --fail-on): {}.\n\nExit codes: 0 no finding meets --fail-on; 1 findings \
         meet it; 2 error (bad arguments or configuration, unreadable input, more bad lines than \
         --max-bad-lines, nothing read without --allow-empty, no record in the window).",
        crate::audit::kinds().join(", ")
    )
}

/// Parser options from the global flags.
fn run_options(cli_threads: Option<usize>) -> RunOptions {
    let mut o = RunOptions::default();
    if let Some(t) = cli_threads {
        o.threads = t.max(1);
    }
    o
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Outcome> {
    let opts = run_options(cli.threads);
    match cli.command {
        Command::Fields(a) => fields::run(a),
        Command::Functions(a) => functions::run(a),
        Command::Ingest(a) => ingest::run(a, opts),
        Command::Query(a) => query::run(a, opts),
        Command::Shell(a) => shell::run(a, opts),
        Command::AthenaDdl(a) => athena::run(a, opts),
        Command::Report(a) => report::run(a, opts),
        Command::Audit(a) => audit::run(a, opts),
        #[cfg(feature = "collect")]
        Command::Inventory(a) => inventory::run(a, opts),
        Command::Generate(a) => generate::run(a),
        #[cfg(feature = "cluster")]
        Command::Scheduler(a) => cluster::scheduler(a, opts),
        #[cfg(feature = "cluster")]
        Command::Cluster(ClusterCommand::Certs(a)) => cluster::certs(a),
        #[cfg(feature = "cluster")]
        Command::Executor(a) => cluster::executor(a, opts),
    }
}
