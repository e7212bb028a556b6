//! `vpcflow audit`: the cost audit over a window of flow logs, for a terminal (Markdown), other
//! tools (JSON) and people (a self-contained HTML page written beside the run).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;

use super::common::{
    ClusterArgs, InputArgs, Outcome, finish, flows_source, load_inventory, runtime, session_options,
};
use crate::audit::config::Config;
use crate::audit::{self, InputsSeen, render};
use crate::error::{Error, Result};
use crate::ingest::discover::{dataset_root, parse_time, path_info};
use crate::ingest::parallel::RunOptions;
use crate::ingest::sink::{read_manifests, unread};
use crate::sql::queries::Report;

/// Where the HTML page goes when neither the config nor `--html` says.
const DEFAULT_HTML: &str = "vpcflow-audit.html";

/// Arguments of `vpcflow audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// What to read (else the config's `inputs`); `--since`/`--until` also set the window.
    #[command(flatten)]
    pub input: InputArgs,
    /// The AWS inventory: describe-* JSON and ip-ranges.json, found anywhere under DIR.
    #[arg(long, value_name = "DIR")]
    pub inventory: Option<PathBuf>,
    /// AWS region: of inventory files that name none (e.g. describe-vpcs outside a region
    /// folder), of prices, and of `s3://` inputs' buckets (default: AWS_REGION, the profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// A TOML file with prices, thresholds, the window, inputs and the fail policy (see
    /// --print-config); the command line wins over it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the effective configuration as TOML and stop.
    #[arg(long)]
    pub print_config: bool,
    /// The window is this span up to now, e.g. `7d`, `24h`, `2w`.
    #[arg(long, value_name = "SPAN", conflicts_with_all = ["since", "until"])]
    pub last: Option<String>,
    /// Output on stdout (default: markdown on a terminal, else json).
    #[arg(long, short, value_enum)]
    pub output: Option<AuditFormat>,
    /// Also write the HTML page here (default: vpcflow-audit.html, unless -o html).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write no HTML page.
    #[arg(long, conflicts_with = "html")]
    pub no_html: bool,
    /// Findings that fail the run (exit 1), comma-separated, or `all`.
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub fail_on: Option<Vec<String>>,
    /// A finding with a dollar figure fails the run only from this many USD per month.
    #[arg(long, value_name = "USD", overrides_with = "fail_above_usd")]
    pub fail_above_usd: Option<f64>,
    /// Leave out findings whose monthly figure is below this many USD (default 1).
    #[arg(long, value_name = "USD", overrides_with = "min_monthly_usd")]
    pub min_monthly_usd: Option<f64>,
    /// An interface endpoint with traffic below this many bytes in the window is near-idle.
    #[arg(long, value_name = "BYTES")]
    pub near_idle_bytes: Option<u64>,
    /// Where the audit's queries run.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Output formats of the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// A Markdown summary and tables.
    Markdown,
    /// One JSON object (schema_version 1, documented in the README).
    Json,
    /// The self-contained HTML page.
    Html,
}

/// The configuration: the file's (or the defaults), then the command line over it.
fn effective(args: &mut AuditArgs) -> Result<Config> {
    let mut c = match &args.config {
        Some(path) => Config::load(path).map_err(|e| Error::Usage(format!("--config: {e}")))?,
        None => Config::default(),
    };
    if args.input.inputs.is_empty() {
        args.input.inputs = c.inputs.clone();
    } else {
        c.inputs = args.input.inputs.clone();
    }
    if let Some(dir) = &args.inventory {
        c.inventory = Some(dir.clone());
    }
    if let Some(r) = &args.region {
        c.region = Some(r.clone());
    }
    if args.input.since.is_some() || args.input.until.is_some() || args.last.is_some() {
        c.window.since = args.input.since.clone();
        c.window.until = args.input.until.clone();
        c.window.last = args.last.clone();
    }
    if let Some(on) = &args.fail_on {
        c.fail.on = on.iter().map(|k| k.trim().to_string()).collect();
    }
    if let Some(usd) = args.fail_above_usd {
        c.fail.above_usd = usd;
    }
    if let Some(usd) = args.min_monthly_usd {
        c.thresholds.min_monthly_usd = usd;
    }
    if let Some(bytes) = args.near_idle_bytes {
        c.thresholds.near_idle_bytes = bytes;
    }
    if let Some(path) = &args.html {
        c.html = Some(path.clone());
    }
    audit::check_fail_kinds(&c.fail.on)?;
    Ok(c)
}

/// The window the configuration gives, if any: `last` ends now.
fn window(c: &Config) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
    if let Some(span) = &c.window.last {
        let d = humantime::parse_duration(span)
            .map_err(|e| Error::Usage(format!("--last {span}: {e} (e.g. 7d, 24h, 2w)")))?;
        let d = chrono::Duration::from_std(d)
            .map_err(|_| Error::Usage(format!("--last {span}: too long")))?;
        let until = Utc::now();
        return Ok(Some((until - d, until)));
    }
    let since = c.window.since.as_deref().map(parse_time).transpose()?;
    let until = c.window.until.as_deref().map(parse_time).transpose()?;
    Ok(match (since, until) {
        (Some(s), Some(u)) if u <= s => {
            return Err(Error::Usage(format!(
                "the window ends ({u}) before it starts ({s})"
            )));
        }
        (Some(s), Some(u)) => Some((s, u)),
        // A window open at one end is closed by the logs; the reader still filters by it.
        _ => None,
    })
}

/// Runs the audit.
pub fn run(mut args: AuditArgs, opts: RunOptions) -> Result<Outcome> {
    let config = effective(&mut args)?;
    let stdout = std::io::stdout();
    if args.print_config {
        let mut out = stdout.lock();
        return write!(out, "{}", config.to_toml()?)
            .map(|_| Outcome::Success)
            .map_err(|e| Error::io("<stdout>", e));
    }
    let dir = config.inventory.clone().ok_or_else(|| {
        Error::Usage("--inventory is required (or `inventory` in the config)".into())
    })?;
    let bounds = window(&config)?;
    if let Some((since, until)) = bounds {
        let text = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        args.input.since = Some(text(since));
        args.input.until = Some(text(until));
    } else {
        args.input.since = config.window.since.clone();
        args.input.until = config.window.until.clone();
    }
    let format = args.output.unwrap_or(if stdout.is_terminal() {
        AuditFormat::Markdown
    } else {
        AuditFormat::Json
    });
    let html_path = match (&config.html, args.no_html, format) {
        (_, true, _) => None,
        (Some(p), false, _) => Some(p.clone()).filter(|p| !p.as_os_str().is_empty()),
        (None, false, AuditFormat::Html) => None,
        (None, false, _) => Some(PathBuf::from(DEFAULT_HTML)),
    };

    let reporter = args.input.reporter()?;
    let inventory = load_inventory(&dir, config.region.as_deref())?;
    let mut missing: Vec<_> = audit::REPORTS
        .iter()
        .filter_map(|name| Report::named(name))
        .flat_map(|r| r.missing(&inventory))
        .collect();
    missing.sort();
    missing.dedup();
    for kind in missing {
        reporter.warn(&format!(
            "audit: no {} under {}; the findings leave out what that file describes",
            kind.file_name(),
            dir.display()
        ));
    }
    let window = args.input.read_options(config.region.as_deref())?.window;
    let region = config.region.as_deref();
    let flows = flows_source(&args.input, region, opts, &reporter, true)?;
    let (source, totals) = (flows.source, flows.totals);
    let options = session_options(source, &args.cluster, Some(&inventory), window);
    // The totals are complete only once the scan ends, so they are filled in after.
    let audit = runtime(opts)?.block_on(audit::run(options, &config, bounds));
    drop(flows.bar);
    let audit = audit?;
    let seen = totals
        .lock()
        .ok()
        .and_then(|t| t.iter().max_by_key(|t| t.files).cloned());
    let mut unreadable = reporter.error_messages();
    unreadable.extend(earlier_unread(&args.input, config.region.as_deref())?);
    let audit = audit::complete(
        audit,
        InputsSeen {
            files: seen.as_ref().map_or(0, |t| t.files),
            files_failed: seen.as_ref().map_or(0, |t| t.files_failed),
            bad_lines: seen.as_ref().map_or(0, |t| t.bad_lines),
        },
        &unreadable,
        &config,
    );

    let text = match format {
        AuditFormat::Markdown => render::markdown(&audit),
        AuditFormat::Html => render::html(&audit),
        AuditFormat::Json => {
            serde_json::to_string_pretty(&audit).map_err(|e| Error::Data(e.to_string()))? + "\n"
        }
    };
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("<stdout>", e))?;
    if let Some(path) = html_path {
        write_atomically(&path, render::html(&audit).as_bytes())?;
        if !args.input.quiet {
            eprintln!("wrote {}", path.display());
        }
    }
    let outcome = finish(&reporter, &totals, &args.input)?;
    // With no record in the window the audit gave no advice: a script must notice (unless the
    // inputs were already reported empty or unreadable).
    if audit.coverage.status == audit::Seen::Nothing && outcome == Outcome::Success {
        let window = match (&audit.window.since, &audit.window.until) {
            (Some(s), Some(u)) => format!("{s} to {u}"),
            _ => "none given".to_string(),
        };
        let why = format!(
            "audit: no flow-log record in the window ({window}), so no advice: do the logs cover \
             it?"
        );
        if !args.input.allow_empty {
            reporter.error(&format!("{why} (--allow-empty accepts this)"));
            return Ok(Outcome::Failed);
        }
        reporter.warn(&why);
    }
    match outcome {
        Outcome::Success if audit.fail.failing > 0 => Ok(Outcome::Findings),
        outcome => Ok(outcome),
    }
}

/// The inputs that earlier ingests into the audited dataset could not read and none has read
/// since (`path: reason`, as the reader's errors): their records are missing from every figure.
/// Those whose path names a time outside the audit's window are left out (their records could
/// not be in it); those whose path names none are listed whatever the window.
fn earlier_unread(input: &InputArgs, region: Option<&str>) -> Result<Vec<String>> {
    let window = input.read_options(region)?.window;
    let manifests = if let Some(root) = dataset_root(&input.inputs) {
        read_manifests(&root)?
    } else if let Some(ds) = input.remote_dataset(region)? {
        ds.read_manifests()?
    } else {
        return Ok(Vec::new());
    };
    Ok(unread(&manifests)
        .into_iter()
        .filter(|u| window.admits(&path_info(std::path::Path::new(&u.path))))
        .map(|u| {
            format!(
                "{}: an earlier ingest could not read it ({}); the next ingest tries it again",
                u.path, u.reason
            )
        })
        .collect())
}

/// Writes `bytes` to `path` through a temporary file beside it, so a reader never sees half a
/// page.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}
