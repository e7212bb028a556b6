//! `vpcflow query`: read-only SQL over `flows`, from raw logs or an ingested dataset.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;

use super::common::{
    ClusterArgs, InputArgs, Outcome, OutputArgs, TableArgs, Target, finish, open_session, run_sql,
};
use crate::error::{Error, Result};
use crate::ingest::parallel::RunOptions;
use crate::sql::queries::{self, REPORTS, Report};
use crate::sql::session::CLASSIFIED;

/// Arguments of `vpcflow query`.
#[derive(Debug, Args)]
#[command(after_help = QUERY_HELP)]
pub struct QueryArgs {
    /// The SQL: one or more statements separated by `;` (`-` reads them from standard input).
    /// With --file or --name, the first input instead.
    #[arg(value_name = "SQL")]
    pub sql: Option<String>,
    /// What to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Read the SQL from FILE (`-` for standard input): one or more statements.
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "name")]
    pub file: Option<PathBuf>,
    /// Run a named query: a report of `vpcflow report --list`, or NAME.sql from --queries.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Inventory, parameters and your own named queries.
    #[command(flatten)]
    pub tables: TableArgs,
    /// Write the result to FILE instead of standard output (complete or not at all).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Where the SQL runs.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

const QUERY_HELP: &str = "Tables: flows (every flow-log field; `vpcflow fields`), and with \
--inventory the inventory tables, flows_classified and report_<name> views. Functions: \
`vpcflow functions`. SQL is read-only: write results with --output and --out.\n\nExamples:\n  \
vpcflow query \"SELECT action, count(*) FROM flows GROUP BY 1\" sample-logs/\n  \
vpcflow query --name idle-endpoints --param low_traffic_bytes=5000000 sample-logs/ --inventory inv/\n  \
vpcflow query -f mine.sql --output parquet --out result.parquet dataset/";

/// Runs the query.
pub fn run(mut args: QueryArgs, opts: RunOptions) -> Result<Outcome> {
    args.output.settle_for(args.out.as_deref())?;
    let user_queries = args.tables.user_queries()?;
    let values = args.tables.params.values()?;
    let sql = query_text(&mut args, &user_queries, &values)?;
    let mut target = Target::open(args.output.format(), args.out.as_deref())?;
    let named = (user_queries.as_slice(), &values);
    let opened = open_session(&args.input, &args.tables, &args.cluster, named, opts)?;
    let limits = args.output.limits(args.out.is_none());
    let run = run_sql(
        &opened.ctx,
        opened.job_limit.as_ref(),
        &sql,
        &args.output,
        limits,
        target.writer(),
    );
    opened.rt.block_on(run)?;
    target.publish()?;
    finish(&opened.reporter, &opened.totals, &args.input)
}

/// The SQL to run: a named query bound with `values`, a file, standard input or the argument.
/// With --name or --file the SQL argument is the first input.
fn query_text(
    args: &mut QueryArgs,
    user_queries: &[Report],
    values: &BTreeMap<String, String>,
) -> Result<String> {
    let named = args.name.is_some() || args.file.is_some();
    if named && let Some(first) = args.sql.take() {
        args.input.inputs.insert(0, PathBuf::from(first));
    }
    let text = if let Some(name) = &args.name {
        let report = user_queries
            .iter()
            .chain(REPORTS)
            .find(|r| r.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = REPORTS.iter().chain(user_queries).map(|r| r.name).collect();
                Error::Usage(format!(
                    "--name {name}: no such query (known: {})",
                    known.join(", ")
                ))
            })?;
        if args.tables.inventory.is_none() && report.sql.contains(CLASSIFIED) {
            return Err(Error::Usage(format!(
                "--name {name} reads {CLASSIFIED}: give the inventory with --inventory DIR"
            )));
        }
        check_params(report.sql, values)?;
        return report.bind(values);
    } else if let Some(file) = &args.file {
        read_sql(file, &args.input.inputs)?
    } else {
        match args.sql.as_deref() {
            Some("-") => read_sql(Path::new("-"), &args.input.inputs)?,
            Some(sql) => sql.to_string(),
            None => {
                return Err(Error::Usage(
                    "no SQL: give it as the first argument, with -f FILE, or --name NAME".into(),
                ));
            }
        }
    };
    // A parameter may also be meant for a report view the SQL reads.
    let views: Vec<&str> = REPORTS.iter().chain(user_queries).map(|r| r.sql).collect();
    check_params(&format!("{text}\n{}", views.join("\n")), values)?;
    Ok(queries::substitute(&text, values))
}

/// Every `--param` must name a `$parameter` of the SQL (so a misspelt one is not ignored).
fn check_params(sql: &str, values: &BTreeMap<String, String>) -> Result<()> {
    match values
        .keys()
        .find(|name| !sql.contains(&format!("${name}")))
    {
        Some(name) => Err(Error::Usage(format!(
            "--param {name}: the SQL has no ${name}"
        ))),
        None => Ok(()),
    }
}

/// SQL from a file, or from standard input (`-`), which then cannot also be an input.
fn read_sql(file: &Path, inputs: &[PathBuf]) -> Result<String> {
    if file != Path::new("-") {
        return std::fs::read_to_string(file).map_err(|e| Error::io(file, e));
    }
    if inputs.iter().any(|i| i == Path::new("-")) {
        return Err(Error::Usage(
            "standard input holds the SQL, so it cannot also be an input".into(),
        ));
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Error::io("<stdin>", e))?;
    Ok(text)
}
