//! The cost audit: findings, each with its evidence, an estimate in USD per month and what to
//! do, from a window of flow logs and the AWS inventory.
//!
//! Two steps, both SQL kept in `queries/`. First the reports the findings need run as one pack
//! over a single scan of `flows_classified`. Their results become small tables
//! (`report_<name>`) beside the inventory and `audit_basis` (the window and its scaling to a
//! month), and the queries of `queries/findings/` turn those into findings, with prices from
//! the `price(item, region)` function. This module assembles the [`Audit`] (its JSON form is
//! the documented output, see [`SCHEMA_VERSION`]); [`render`] writes it as Markdown or HTML
//! (the HTML page's time chart is drawn by `chart`).

mod chart;
pub mod config;
pub mod render;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Float64Array, RecordBatch, TimestampSecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, SecondsFormat, Utc};
use datafusion::datasource::MemTable;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sql::pack;
use crate::sql::queries::{FINDINGS, Report, finding_kinds};
use crate::sql::session::{self, SessionOptions};
use config::Config;

/// The version of the JSON output's schema; it changes only when a field changes meaning or
/// goes away (new fields may be added within a version).
pub const SCHEMA_VERSION: u32 = 1;

/// The reports the findings read, run as one pack.
pub const REPORTS: &[&str] = &[
    "traffic-summary",
    "endpoint-bytes",
    "endpoint-clients",
    "idle-endpoints",
    "nat-aws-services",
    "nat-zones",
    "internet-aws-services",
    "cross-az",
    "public-ipv4",
    "rejects",
    "coverage",
    "traffic-timeline",
];

/// The finding for inputs that could not be read (not SQL: it comes from the reader).
pub const UNREADABLE: &str = "unreadable-inputs";

/// The `--fail-on` kind met when coverage is below a threshold of `[coverage]` (see
/// [`Coverage`]).
pub const COVERAGE: &str = "coverage";

/// Every kind of finding, for `--fail-on`.
pub fn kinds() -> Vec<&'static str> {
    let mut all = finding_kinds();
    all.extend([UNREADABLE, COVERAGE]);
    all
}

/// The whole audit, as the JSON output shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Audit {
    /// See [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The window and how figures are scaled to a month.
    pub window: Window,
    /// The headline figures.
    pub summary: Summary,
    /// What the audit saw, worked out before any finding.
    pub coverage: Coverage,
    /// The findings, largest monthly figure first, then those without one.
    pub findings: Vec<Finding>,
    /// Records and bytes per traffic class.
    pub traffic: Vec<ClassBytes>,
    /// Bytes per VPC endpoint.
    pub endpoints: Vec<EndpointBytes>,
    /// Bytes between availability zones, per pair of zones.
    pub cross_az: Vec<ZonePair>,
    /// Counted bytes per traffic class and hour.
    pub timeline: Vec<TimelinePoint>,
    /// What was read.
    pub inputs: InputsSeen,
    /// The fail policy and how many findings met it.
    pub fail: FailOutcome,
    /// The prices used.
    pub prices: config::Prices,
}

/// The audited window.
#[derive(Clone, Debug, Serialize)]
pub struct Window {
    /// Start (RFC 3339), when known.
    pub since: Option<String>,
    /// End, exclusive.
    pub until: Option<String>,
    /// Its length in hours.
    pub hours: f64,
    /// Hours in a month.
    pub month_hours: f64,
    /// What window figures are multiplied by to give monthly ones: month_hours / hours.
    pub scale: f64,
    /// `arguments` (--since/--until/--last or the config), `logs` (the first record's start to
    /// the last one's end) or `none` (no record and no window given).
    pub from: String,
}

/// The headline figures.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Flow-log records in the window (all log statuses).
    pub records: i64,
    /// Bytes, each counted once.
    pub counted_bytes: i64,
    /// Findings reported.
    pub findings: usize,
    /// The sum of the positive monthly figures of the findings reported.
    pub monthly_usd: f64,
    /// Findings left out because their monthly figure is below `min_monthly_usd`.
    pub below_minimum: usize,
    /// The threshold.
    pub min_monthly_usd: f64,
}

/// How much of the estate and the window the logs showed. Advice rests on it: with no record
/// in the window there is no finding at all, and below a threshold of `[coverage]` every
/// output opens with [`Coverage::banner`].
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    /// How much was seen.
    pub status: Seen,
    /// What was not seen, one sentence each.
    pub gaps: Vec<String>,
    /// The sentence every output opens with when `status` is not `complete`.
    pub banner: Option<String>,
    /// Records in the window (every log status).
    pub records: i64,
    /// Hours of the window between the first record's start and the last record's end.
    pub logged_hours: f64,
    /// `logged_hours` over the window's hours.
    pub window_share: f64,
    /// ENIs the inventory describes.
    pub inventory_enis: usize,
    /// Of those, the ENIs with at least one record (NODATA counts).
    pub inventory_enis_logged: usize,
    /// `inventory_enis_logged` over `inventory_enis`.
    pub inventory_logged_share: f64,
    /// ENIs with records.
    pub enis_in_logs: usize,
    /// Of those, the ENIs the inventory does not describe: their traffic is classed other.
    pub unknown_enis: usize,
    /// `unknown_enis` over `enis_in_logs`.
    pub unknown_share: f64,
    /// Hours covered by SKIPDATA records, summed over ENIs.
    pub skipdata_hours: f64,
    /// `skipdata_hours` over the logged ENI-hours (`enis_in_logs` x `logged_hours`).
    pub skipdata_share: f64,
    /// Whether the coverage fails the run (`--fail-on coverage` and a gap).
    pub fails: bool,
}

/// How much of the estate the audit saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Seen {
    /// Every threshold of `[coverage]` was met.
    Complete,
    /// Some threshold was not: every output opens with the banner.
    Partial,
    /// No record in the window: no finding is given and the run exits 2.
    Nothing,
}

/// One ENI's row of the coverage report.
#[derive(Deserialize)]
struct EniSeen {
    in_inventory: bool,
    records: i64,
    skipdata_hours: f64,
    first_start: Option<String>,
    last_end: Option<String>,
}

/// Rounds a share or an hour count to four decimals, so the JSON stays readable and stable.
fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Works out [`Coverage`] from the coverage report's rows, the window and the thresholds.
fn coverage_of(
    enis: &[EniSeen],
    bounds: Option<(DateTime<Utc>, DateTime<Utc>)>,
    records: i64,
    limits: &config::CoverageConfig,
) -> Result<Coverage> {
    let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
    let logged: Vec<&EniSeen> = enis.iter().filter(|e| e.records > 0).collect();
    let first = logged.iter().filter_map(|e| e.first_start.as_deref()).min();
    let last = logged.iter().filter_map(|e| e.last_end.as_deref()).max();
    let (window_hours, logged_hours) = match (bounds, first, last) {
        (Some((since, until)), Some(first), Some(last)) => {
            let from = parse_rfc3339(first)?.max(since);
            let to = parse_rfc3339(last)?.min(until);
            let hours = |d: chrono::Duration| d.num_seconds().max(0) as f64 / 3600.0;
            (hours(until - since), hours(to - from))
        }
        (Some((since, until)), _, _) => ((until - since).num_seconds() as f64 / 3600.0, 0.0),
        _ => (0.0, 0.0),
    };
    let inventory = enis.iter().filter(|e| e.in_inventory).count();
    let inventory_logged = logged.iter().filter(|e| e.in_inventory).count();
    let unknown = logged.iter().filter(|e| !e.in_inventory).count();
    let skipdata_hours: f64 = enis.iter().map(|e| e.skipdata_hours).sum();
    let mut c = Coverage {
        status: Seen::Complete,
        gaps: Vec::new(),
        banner: None,
        records,
        logged_hours: round4(logged_hours),
        window_share: round4(share(logged_hours, window_hours)),
        inventory_enis: inventory,
        inventory_enis_logged: inventory_logged,
        inventory_logged_share: round4(share(inventory_logged as f64, inventory as f64)),
        enis_in_logs: logged.len(),
        unknown_enis: unknown,
        unknown_share: round4(share(unknown as f64, logged.len() as f64)),
        skipdata_hours: round4(skipdata_hours),
        skipdata_share: round4(share(skipdata_hours, logged.len() as f64 * logged_hours)),
        fails: false,
    };
    let percent = |v: f64| format!("{:.0}%", v * 100.0);
    if records == 0 {
        c.status = Seen::Nothing;
        c.gaps.push("no flow-log record in the window".into());
        c.banner = Some(
            "Nothing seen: no flow-log record in the window, so no advice is given. Check that \
             the logs cover the window (an ingest that fell behind, a window outside the logs, \
             flow logs turned off)."
                .into(),
        );
        return Ok(c);
    }
    if c.window_share < limits.min_window_share {
        c.gaps.push(format!(
            "the logs span {:.2} h of the {window_hours:.2} h window ({})",
            logged_hours,
            percent(c.window_share)
        ));
    }
    if inventory == 0 {
        c.gaps.push("the inventory describes no ENI".into());
    } else if c.inventory_logged_share < limits.min_inventory_logged_share {
        c.gaps.push(format!(
            "{} of the inventory's {inventory} ENIs logged nothing ({} logged)",
            inventory - inventory_logged,
            percent(c.inventory_logged_share)
        ));
    }
    if c.unknown_share > limits.max_unknown_share {
        c.gaps.push(format!(
            "{unknown} of the {} ENIs in the logs {} not in the inventory, so their traffic is \
             classed other",
            logged.len(),
            if unknown == 1 { "is" } else { "are" }
        ));
    }
    if c.skipdata_share > limits.max_skipdata_share {
        c.gaps.push(format!(
            "SKIPDATA covers {:.2} ENI-hours, {} of what was logged",
            skipdata_hours,
            percent(c.skipdata_share)
        ));
    }
    if !c.gaps.is_empty() {
        c.status = Seen::Partial;
        c.banner = Some(format!(
            "Partial coverage: {}. Endpoints are called idle only where their own ENIs were seen \
             logging through the window, and every byte figure is a lower bound.",
            c.gaps.join("; ")
        ));
    }
    Ok(c)
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Its kind (see [`kinds`]).
    pub finding: String,
    /// The resource it is about (an endpoint, NAT gateway, VPC, ENI, address or input).
    pub resource: String,
    /// The VPC, when known.
    pub vpc_id: Option<String>,
    /// The region, when known.
    pub region: Option<String>,
    /// The bytes behind it, in the window.
    pub bytes: Option<i64>,
    /// The estimate in USD per month (a saving, or for availability and coverage findings
    /// none).
    pub monthly_usd: Option<f64>,
    /// What was seen.
    pub evidence: String,
    /// What to do.
    pub action: String,
    /// Whether it fails the run under the fail policy.
    #[serde(default)]
    pub fails: bool,
}

/// Records and bytes of one traffic class.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassBytes {
    /// The class (`nodata`/`skipdata` for records without traffic).
    pub traffic_class: String,
    /// Records, over every vantage.
    pub records: i64,
    /// Bytes, each counted once.
    pub counted_bytes: i64,
    /// Share of all counted bytes (0..1).
    pub share_of_counted_bytes: f64,
}

/// The bytes one VPC endpoint carried.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EndpointBytes {
    /// The endpoint.
    pub endpoint_id: Option<String>,
    /// interface | gateway.
    pub endpoint_type: Option<String>,
    /// The service.
    pub service: Option<String>,
    /// Its VPC.
    pub vpc_id: Option<String>,
    /// Bytes in the window.
    pub bytes: i64,
}

/// The bytes sent between two availability zones of a region, both ways (the `cross-az`
/// report's rows summed by pair of zones).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ZonePair {
    /// The region.
    pub region: Option<String>,
    /// One zone (the first of the two in name order).
    pub zone_a: String,
    /// The other zone.
    pub zone_b: String,
    /// Bytes between them in the window, each counted once.
    pub bytes: i64,
    /// Of those, the bytes AWS bills as cross-AZ transfer.
    pub billed_bytes: i64,
}

/// One row of the `cross-az` report, as far as [`ZonePair`] needs it.
#[derive(Deserialize)]
struct CrossAzRow {
    region: Option<String>,
    src_az: Option<String>,
    dst_az: Option<String>,
    billed: bool,
    bytes: i64,
}

/// The `cross-az` report's rows summed by region and pair of zones, most bytes first.
fn zone_pairs(rows: Vec<CrossAzRow>) -> Vec<ZonePair> {
    let mut pairs: BTreeMap<(Option<String>, String, String), (i64, i64)> = BTreeMap::new();
    for r in rows {
        // Zones told apart by their ids alone may have no name.
        let name = |z: Option<String>| z.unwrap_or_else(|| "unnamed zone".to_string());
        let (src, dst) = (name(r.src_az), name(r.dst_az));
        let (a, b) = if src <= dst { (src, dst) } else { (dst, src) };
        let sums = pairs.entry((r.region, a, b)).or_default();
        sums.0 += r.bytes;
        if r.billed {
            sums.1 += r.bytes;
        }
    }
    let mut out: Vec<ZonePair> = pairs
        .into_iter()
        .map(
            |((region, zone_a, zone_b), (bytes, billed_bytes))| ZonePair {
                region,
                zone_a,
                zone_b,
                bytes,
                billed_bytes,
            },
        )
        .collect();
    // Stable: ties keep the map's order (region, then zones).
    out.sort_by_key(|p| std::cmp::Reverse(p.bytes));
    out
}

/// Counted bytes of one class in one hour.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TimelinePoint {
    /// The hour's start.
    pub bucket: String,
    /// The class.
    pub traffic_class: String,
    /// Bytes, each counted once.
    pub counted_bytes: i64,
}

/// What was read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InputsSeen {
    /// Objects parsed (0 for an ingested dataset).
    pub files: u64,
    /// Objects that could not be read.
    pub files_failed: u64,
    /// Malformed lines (kept with --bad-lines).
    pub bad_lines: u64,
}

/// The fail policy and its result.
#[derive(Clone, Debug, Serialize)]
pub struct FailOutcome {
    /// Kinds that fail the run.
    pub on: Vec<String>,
    /// The monthly figure from which a finding with one fails.
    pub above_usd: f64,
    /// Findings that fail the run.
    pub failing: usize,
}

/// Runs the audit's queries in the session `options` describe (the flows, the inventory and the
/// window's filter), with `config`'s prices. `window` is the window given by the user; without
/// one it is read from the logs. The findings are raw until [`complete`] applies the thresholds
/// and the fail policy.
pub async fn run(
    options: SessionOptions<'_>,
    config: &Config,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<Audit> {
    let params = BTreeMap::from([
        (
            "low_traffic_bytes".to_string(),
            config.thresholds.near_idle_bytes.to_string(),
        ),
        ("top".to_string(), "10".to_string()),
        ("bucket".to_string(), "hour".to_string()),
    ]);
    let reports: Vec<&Report> = REPORTS
        .iter()
        .map(|name| {
            Report::named(name).ok_or_else(|| Error::Data(format!("no report named {name}")))
        })
        .collect::<Result<_>>()?;
    let queries = reports
        .iter()
        .map(|r| r.bind(&params))
        .collect::<Result<Vec<_>>>()?;
    let session = session::open(options.prices(Arc::new(config.prices.clone()))).await?;
    let outputs = pack::run(&session, &queries).await?;
    // The findings read the reports' results, the inventory and the audit's basis, all small:
    // they run in this process even when the reports ran on a cluster.
    let local = session.in_process().await?;
    let mut results: BTreeMap<&str, Vec<RecordBatch>> = BTreeMap::new();
    for (report, output) in reports.iter().zip(outputs) {
        let table = MemTable::try_new(output.schema.clone(), vec![output.batches.clone()])?;
        local.register_report(report.name, Arc::new(table))?;
        results.insert(report.name, output.batches);
    }
    let ctx = local.context();
    let result = |name: &str| results.get(name).map(Vec::as_slice).unwrap_or(&[]);

    let seen: Vec<EniSeen> = rows(result("coverage"))?;
    let (bounds, from) = match window {
        Some(bounds) => (Some(bounds), "arguments"),
        None => {
            let since = seen.iter().filter_map(|s| s.first_start.as_deref()).min();
            let until = seen.iter().filter_map(|s| s.last_end.as_deref()).max();
            match (since, until) {
                (Some(s), Some(u)) => (Some((parse_rfc3339(s)?, parse_rfc3339(u)?)), "logs"),
                _ => (None, "none"),
            }
        }
    };
    let window = window_of(bounds, from, config);
    ctx.register_batch("audit_basis", basis(bounds, &window, config)?)?;

    let traffic: Vec<ClassBytes> = rows(result("traffic-summary"))?;
    let records = traffic.iter().map(|c| c.records).sum();
    let coverage = coverage_of(&seen, bounds, records, &config.coverage)?;
    let mut all = Vec::new();
    // With nothing seen, silence would read as advice: no finding at all.
    let findings = if coverage.status == Seen::Nothing {
        &[]
    } else {
        FINDINGS
    };
    for f in findings {
        let batches = ctx
            .sql(&f.bind(&params)?)
            .await
            .map_err(|e| Error::Sql(format!("finding {}: {e}", f.name)))?
            .collect()
            .await
            .map_err(|e| Error::Sql(format!("finding {}: {e}", f.name)))?;
        all.extend(rows::<Finding>(&batches)?);
    }
    let summary = Summary {
        records,
        counted_bytes: traffic.iter().map(|c| c.counted_bytes).sum(),
        findings: 0,
        monthly_usd: 0.0,
        below_minimum: 0,
        min_monthly_usd: config.thresholds.min_monthly_usd,
    };
    let fail = FailOutcome {
        on: config.fail.on.clone(),
        above_usd: config.fail.above_usd,
        failing: 0,
    };
    Ok(Audit {
        schema_version: SCHEMA_VERSION,
        window,
        summary,
        coverage,
        findings: all,
        traffic,
        endpoints: rows(result("endpoint-bytes"))?,
        cross_az: zone_pairs(rows(result("cross-az"))?),
        timeline: rows(result("traffic-timeline"))?,
        inputs: InputsSeen::default(),
        fail,
        prices: config.prices.clone(),
    })
}

/// Completes an audit once the scan has ended: what was read, a finding per unreadable input
/// (`unreadable` holds the reader's messages, `path: reason`), then the threshold, the fail
/// policy, the order and the totals.
pub fn complete(
    mut audit: Audit,
    inputs: InputsSeen,
    unreadable: &[String],
    config: &Config,
) -> Audit {
    audit.inputs = inputs;
    audit.findings.extend(unreadable.iter().map(|message| {
        let (resource, reason) = message.split_once(": ").unwrap_or(("input", message));
        Finding {
            finding: UNREADABLE.to_string(),
            resource: resource.to_string(),
            vpc_id: None,
            region: None,
            bytes: None,
            monthly_usd: None,
            evidence: format!("could not be read: {reason}"),
            action: "Fix or remove the object; its records are missing from every figure."
                .to_string(),
            fails: false,
        }
    }));
    let total = audit.findings.len();
    let minimum = config.thresholds.min_monthly_usd;
    audit
        .findings
        .retain(|f| f.monthly_usd.is_none_or(|m| m >= minimum));
    for f in &mut audit.findings {
        f.monthly_usd = f.monthly_usd.map(|m| (m * 100.0).round() / 100.0);
        let listed = config.fail.on.iter().any(|k| k == "all" || *k == f.finding);
        f.fails = listed && f.monthly_usd.is_none_or(|m| m >= config.fail.above_usd);
    }
    audit.findings.sort_by(|a, b| {
        let money = |f: &Finding| f.monthly_usd.unwrap_or(f64::NEG_INFINITY);
        money(b)
            .total_cmp(&money(a))
            .then_with(|| a.finding.cmp(&b.finding))
            .then_with(|| a.resource.cmp(&b.resource))
            .then_with(|| a.evidence.cmp(&b.evidence))
    });
    let positive: f64 = audit
        .findings
        .iter()
        .filter_map(|f| f.monthly_usd)
        .filter(|m| *m > 0.0)
        .sum();
    audit.summary.findings = audit.findings.len();
    audit.summary.monthly_usd = (positive * 100.0).round() / 100.0;
    audit.summary.below_minimum = total - audit.findings.len();
    audit.coverage.fails = audit.coverage.status != Seen::Complete
        && config.fail.on.iter().any(|k| k == "all" || k == COVERAGE);
    audit.fail.failing =
        audit.findings.iter().filter(|f| f.fails).count() + usize::from(audit.coverage.fails);
    audit
}

/// A `--fail-on` kind that no finding has is an error that lists the kinds.
pub fn check_fail_kinds(on: &[String]) -> Result<()> {
    let known = kinds();
    for k in on {
        if k != "all" && !known.contains(&k.as_str()) {
            return Err(Error::Usage(format!(
                "--fail-on {k}: no such finding (they are: all, {})",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Data(format!("window bound {text:?}: {e}")))
}

fn window_of(
    bounds: Option<(DateTime<Utc>, DateTime<Utc>)>,
    from: &str,
    config: &Config,
) -> Window {
    let month_hours = config.prices.month_hours;
    let text = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let hours = bounds.map_or(0.0, |(s, u)| (u - s).num_seconds().max(0) as f64 / 3600.0);
    Window {
        since: bounds.map(|(s, _)| text(s)),
        until: bounds.map(|(_, u)| text(u)),
        hours,
        month_hours,
        scale: if hours > 0.0 {
            month_hours / hours
        } else {
            0.0
        },
        from: from.to_string(),
    }
}

/// The `audit_basis` table: one row with the window and the constants the findings use.
fn basis(
    bounds: Option<(DateTime<Utc>, DateTime<Utc>)>,
    window: &Window,
    config: &Config,
) -> Result<RecordBatch> {
    let utc = Some("UTC".into());
    let ts = DataType::Timestamp(TimeUnit::Second, utc.clone());
    let schema = Schema::new(vec![
        Field::new("since", ts.clone(), true),
        Field::new("until", ts, true),
        Field::new("window_hours", DataType::Float64, false),
        Field::new("month_hours", DataType::Float64, false),
        Field::new("scale", DataType::Float64, false),
        Field::new("bytes_per_gb", DataType::Float64, false),
        Field::new("edge_seconds", DataType::Float64, false),
    ]);
    let seconds = |t: Option<DateTime<Utc>>| {
        TimestampSecondArray::from(vec![t.map(|t| t.timestamp())]).with_timezone_opt(utc.clone())
    };
    let float = |v: f64| Arc::new(Float64Array::from(vec![v]));
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(seconds(bounds.map(|(since, _)| since))),
            Arc::new(seconds(bounds.map(|(_, until)| until))),
            float(window.hours),
            float(window.month_hours),
            float(window.scale),
            float(config.prices.bytes_per_gb),
            float(config.coverage.edge_minutes * 60.0),
        ],
    )?)
}

/// Result rows as values of `T`, through their JSON form.
fn rows<T: DeserializeOwned>(batches: &[RecordBatch]) -> Result<Vec<T>> {
    let mut buf = Vec::new();
    {
        let mut w = arrow::json::ArrayWriter::new(&mut buf);
        for b in batches {
            w.write(b)?;
        }
        w.finish()?;
    }
    if buf.trim_ascii().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&buf).map_err(|e| Error::Data(format!("audit rows: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eni(in_inventory: bool, records: i64, skipdata_hours: f64, from: &str, to: &str) -> EniSeen {
        let at = |t: &str| (!t.is_empty()).then(|| format!("2026-11-26T{t}:00Z"));
        EniSeen {
            in_inventory,
            records,
            skipdata_hours,
            first_start: at(from),
            last_end: at(to),
        }
    }

    fn window(from: &str, to: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let at = |t: &str| parse_rfc3339(&format!("2026-11-26T{t}:00Z")).expect("time");
        Some((at(from), at(to)))
    }

    #[test]
    fn coverage_names_each_gap_against_its_threshold() {
        let limits = config::CoverageConfig::default();
        // A 10-hour window. Four inventory ENIs, three of which logged; one ENI in the logs is
        // not in the inventory (1 of 4 = 25% > 5%). The logs span 10:00-18:00: 8 of 10 h
        // (80% < 90%). SKIPDATA: 0.4 h of 4 ENIs x 8 h = 1.25% > 1%.
        let enis = [
            eni(true, 10, 0.4, "10:00", "18:00"),
            eni(true, 5, 0.0, "11:00", "17:00"),
            eni(true, 3, 0.0, "12:00", "13:00"),
            eni(true, 0, 0.0, "", ""),
            eni(false, 2, 0.0, "10:30", "11:00"),
        ];
        let c = coverage_of(&enis, window("10:00", "20:00"), 20, &limits).expect("coverage");
        assert_eq!(c.status, Seen::Partial);
        assert_eq!(c.logged_hours, 8.0);
        assert_eq!(c.window_share, 0.8);
        assert_eq!((c.inventory_enis, c.inventory_enis_logged), (4, 3));
        assert_eq!(c.inventory_logged_share, 0.75);
        assert_eq!((c.enis_in_logs, c.unknown_enis), (4, 1));
        assert_eq!(c.skipdata_share, 0.0125);
        assert_eq!(c.gaps.len(), 4, "{:?}", c.gaps);
        assert!(
            c.banner
                .expect("banner")
                .starts_with("Partial coverage: the logs span 8.00 h")
        );

        // The same logs within every threshold: complete, no banner.
        let lenient = config::CoverageConfig {
            min_inventory_logged_share: 0.75,
            max_unknown_share: 0.25,
            min_window_share: 0.8,
            max_skipdata_share: 0.0125,
            ..limits.clone()
        };
        let c = coverage_of(&enis, window("10:00", "20:00"), 20, &lenient).expect("coverage");
        assert_eq!((c.status, c.banner), (Seen::Complete, None));

        // No record: nothing seen.
        let c = coverage_of(&enis[3..4], window("10:00", "20:00"), 0, &limits).expect("coverage");
        assert_eq!(c.status, Seen::Nothing);
        assert!(c.banner.expect("banner").starts_with("Nothing seen"));
    }
}
