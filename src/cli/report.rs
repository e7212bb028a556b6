//! `vpcflow report`: the reports of `queries/` over raw logs or an ingested dataset, with the
//! AWS inventory, all from one scan of the classified flows.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use clap::Args;

use super::common::{
    ClusterArgs, InputArgs, Outcome, ParamArgs, finish, flows_source, load_inventory, runtime,
    session_options,
};
use crate::error::{Error, Result};
use crate::ingest::parallel::RunOptions;
use crate::report::{Format, Named, TableLimits, render_reports};
use crate::sql::pack;
use crate::sql::queries::{REPORTS, Report};
use crate::sql::session;

/// Arguments of `vpcflow report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// What to read; report names may come first (`vpcflow report rejects top-talkers LOGS`),
    /// else every report runs.
    #[command(flatten)]
    pub input: InputArgs,
    /// The AWS inventory: describe-* JSON and ip-ranges.json, found anywhere under DIR.
    #[arg(long, value_name = "DIR", required = true)]
    pub inventory: Option<std::path::PathBuf>,
    /// AWS region: of inventory files that name none (e.g. describe-vpcs outside a region
    /// folder), and of `s3://` inputs' buckets (default: AWS_REGION, the profile's, us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub output: Format,
    /// In table and Markdown output, write byte counts (integer columns named `bytes` or
    /// `..._bytes`) in binary units: 1.50 GiB. Other formats keep the numbers.
    #[arg(long)]
    pub human: bool,
    /// List the reports with one line each, and their parameters; needs no input.
    #[arg(long, exclusive = true)]
    pub list: bool,
    /// Report parameters.
    #[command(flatten)]
    pub params: ParamArgs,
    /// Where the reports run.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Lists the reports: name, what it answers and its parameters.
fn list() -> Result<Outcome> {
    let mut out = std::io::stdout().lock();
    let io = |e: std::io::Error| Error::io("<stdout>", e);
    let width = REPORTS.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in REPORTS {
        let params: Vec<String> = r
            .parameters()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let params = if params.is_empty() {
            String::new()
        } else {
            format!(" [--param {}]", params.join(" "))
        };
        writeln!(out, "{:width$}  {}{params}", r.name, r.description()).map_err(io)?;
    }
    Ok(Outcome::Success)
}

/// Runs the chosen reports.
pub fn run(mut args: ReportArgs, opts: RunOptions) -> Result<Outcome> {
    if args.list {
        return list();
    }
    let chosen = take_names(&mut args.input.inputs)?;
    if args.output.is_binary() && (chosen.len() != 1 || std::io::stdout().is_terminal()) {
        return Err(Error::Usage(format!(
            "--output {:?} holds one report and is binary: name one report and redirect \
             standard output",
            args.output
        )));
    }
    let params = parse_params(&args.params, &chosen)?;
    let reporter = args.input.reporter()?;
    let dir = args
        .inventory
        .ok_or_else(|| Error::Usage("--inventory is required".into()))?;
    let inventory = load_inventory(&dir, args.region.as_deref())?;
    for r in &chosen {
        for missing in r.missing(&inventory) {
            reporter.warn(&format!(
                "report {}: no {} under {}; its answer leaves out what that file describes",
                r.name,
                missing.file_name(),
                dir.display()
            ));
        }
    }
    let queries = chosen
        .iter()
        .map(|r| r.bind(&params))
        .collect::<Result<Vec<_>>>()?;
    let window = args.input.read_options(args.region.as_deref())?.window;
    let flows = flows_source(&args.input, args.region.as_deref(), opts, &reporter, true)?;
    let (source, totals) = (flows.source, flows.totals);
    let options = session_options(source, &args.cluster, Some(&inventory), window);
    let outputs = runtime(opts)?.block_on(async {
        let session = session::open(options).await?;
        pack::run(&session, &queries).await
    });
    drop(flows.bar);
    let outputs = outputs?;
    let descriptions: Vec<String> = chosen.iter().map(|r| r.description()).collect();
    let named: Vec<Named<'_>> = chosen
        .iter()
        .zip(&descriptions)
        .zip(&outputs)
        .map(|((r, description), o)| Named {
            name: r.name,
            description,
            schema: o.schema.clone(),
            batches: &o.batches,
        })
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let limits = TableLimits {
        human: args.human,
        ..TableLimits::default()
    };
    render_reports(&mut out, &named, args.output, limits)?;
    finish(&reporter, &totals, &args.input)
}

/// Moves the leading report names out of the positional arguments (a name that is also an
/// existing path is taken as the path); none means every report. A leading word that is
/// neither a report nor an existing path, and has no `/` or `.` of a path, is refused with the
/// closest report name.
fn take_names(positional: &mut Vec<std::path::PathBuf>) -> Result<Vec<&'static Report>> {
    let mut chosen = Vec::new();
    while let Some(first) = positional.first() {
        let Some(name) = first.to_str().filter(|_| !first.exists()) else {
            break;
        };
        let Some(report) = Report::named(name) else {
            if name != "-" && !name.contains(['/', '.', ':']) {
                return Err(unknown_report(name));
            }
            break;
        };
        if !chosen.iter().any(|c: &&Report| c.name == report.name) {
            chosen.push(report);
        }
        positional.remove(0);
    }
    if positional.is_empty() {
        return Err(Error::Usage(
            "no input: give the flow logs (or an ingested dataset) after the report names".into(),
        ));
    }
    Ok(if chosen.is_empty() {
        REPORTS.iter().collect()
    } else {
        chosen
    })
}

/// The error for a word that is neither a report nor an input, with the closest report name.
fn unknown_report(word: &str) -> Error {
    let closest = REPORTS
        .iter()
        .map(|r| (strsim::levenshtein(word, r.name), r.name))
        .min()
        .filter(|(distance, _)| *distance <= 3);
    let hint = closest
        .map(|(_, name)| format!(" (did you mean {name}?)"))
        .unwrap_or_default();
    Error::Usage(format!(
        "{word}: no report of that name{hint}, and no such input; `vpcflow report --list` lists \
         the reports"
    ))
}

/// `NAME=VALUE` pairs; a name no chosen report declares is an error.
fn parse_params(params: &ParamArgs, chosen: &[&Report]) -> Result<BTreeMap<String, String>> {
    let values = params.values()?;
    for name in values.keys() {
        let name = name.as_str();
        if !chosen.iter().any(|r| r.parameters().contains_key(name)) {
            let known: Vec<&str> = chosen
                .iter()
                .flat_map(|r| r.parameters().into_keys())
                .collect();
            return Err(Error::Usage(format!(
                "--param {name}: no chosen report has this parameter (they have: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    Ok(values)
}
