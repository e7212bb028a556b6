//! The audit as Markdown (for a terminal or a pull request) and as one self-contained HTML page
//! with its charts drawn as inline SVG: no script, style or font is fetched from anywhere.
//!
//! Both are deterministic: they show the window but no time of the run, and rows keep the
//! audit's order.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Audit, Finding};
use crate::sql::udf::{format_usd, human_bytes};

/// The colour of each traffic class in the charts.
const CLASS_COLOURS: &[(&str, &str)] = &[
    ("interface_endpoint", "#4e79a7"),
    ("gateway_endpoint", "#59a14f"),
    ("nat_gateway", "#e15759"),
    ("internet_gateway", "#f28e2b"),
    ("intra_vpc", "#76b7b2"),
    ("transit_gateway", "#b07aa1"),
    ("peering", "#edc948"),
    ("vpn", "#ff9da7"),
    ("other", "#9c755f"),
];

fn colour(class: &str) -> &'static str {
    CLASS_COLOURS
        .iter()
        .find(|(c, _)| *c == class)
        .map_or("#bab0ac", |(_, colour)| colour)
}

fn money(f: &Finding) -> String {
    f.monthly_usd.map(format_usd).unwrap_or_else(|| "-".into())
}

/// The window in one sentence.
fn window_line(a: &Audit) -> String {
    let w = &a.window;
    match (&w.since, &w.until) {
        (Some(s), Some(u)) => format!(
            "{s} to {u} ({:.2} h, from the {}); monthly figures are window figures x {:.2} ({} h a month / {:.2} h)",
            w.hours,
            if w.from == "logs" {
                "logs"
            } else {
                "arguments"
            },
            w.scale,
            w.month_hours,
            w.hours
        ),
        _ => "no records and no window given".to_string(),
    }
}

fn headline(a: &Audit) -> String {
    let s = &a.summary;
    let mut line = format!(
        "{} finding{}, about {} per month to save",
        s.findings,
        if s.findings == 1 { "" } else { "s" },
        format_usd(s.monthly_usd)
    );
    if a.fail.failing > 0 {
        let _ = write!(line, "; {} fail the run", a.fail.failing);
    }
    line
}

/// The coverage banner, when there is one, with whether it fails the run.
fn banner(a: &Audit) -> Option<String> {
    let b = a.coverage.banner.as_deref()?;
    Some(if a.coverage.fails {
        format!("{b} (fails the run)")
    } else {
        b.to_string()
    })
}

/// Text on one line, as a list item needs it.
fn one_line(text: &str) -> String {
    text.replace('\n', " ")
}

/// The audit as Markdown.
pub fn markdown(a: &Audit) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# vpcflow audit\n");
    let _ = writeln!(out, "Window: {}.\n", window_line(a));
    if let Some(b) = banner(a) {
        let _ = writeln!(out, "> **{}**\n", one_line(&b));
    }
    let _ = writeln!(out, "**{}.**\n", headline(a));
    let _ = writeln!(out, "## Findings\n");
    if a.findings.is_empty() {
        let _ = writeln!(out, "None.\n");
    } else {
        // A numbered list rather than a table: long evidence stays readable in a terminal.
        for (i, f) in a.findings.iter().enumerate() {
            let vpc = f.vpc_id.as_deref().filter(|v| *v != f.resource);
            let place: Vec<&str> = [vpc, f.region.as_deref()].into_iter().flatten().collect();
            let _ = writeln!(
                out,
                "{}. **{}** `{}`{}{}{}\n   {}\n   Action: {}",
                i + 1,
                f.finding,
                one_line(&f.resource),
                if place.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", place.join(", "))
                },
                f.monthly_usd
                    .map(|m| format!(": **{}/month**", format_usd(m)))
                    .unwrap_or_default(),
                if f.fails { " (fails the run)" } else { "" },
                one_line(&f.evidence),
                one_line(&f.action)
            );
        }
        out.push('\n');
    }
    if a.summary.below_minimum > 0 {
        let _ = writeln!(
            out,
            "{} finding(s) below {} a month left out.\n",
            a.summary.below_minimum,
            format_usd(a.summary.min_monthly_usd)
        );
    }
    let _ = writeln!(out, "## Traffic by class\n");
    let _ = writeln!(out, "| class | records | counted bytes | share |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    for c in &a.traffic {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1}% |",
            c.traffic_class,
            c.records,
            human_bytes(c.counted_bytes),
            c.share_of_counted_bytes * 100.0
        );
    }
    if !a.endpoints.is_empty() {
        let _ = writeln!(out, "\n## Bytes per VPC endpoint\n");
        let _ = writeln!(out, "| endpoint | type | service | VPC | bytes |");
        let _ = writeln!(out, "|---|---|---|---|---:|");
        for e in &a.endpoints {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                e.endpoint_id.as_deref().unwrap_or("-"),
                e.endpoint_type.as_deref().unwrap_or("-"),
                e.service.as_deref().unwrap_or("-"),
                e.vpc_id.as_deref().unwrap_or("-"),
                human_bytes(e.bytes)
            );
        }
    }
    let _ = writeln!(out, "\n## What was read\n");
    let _ = writeln!(
        out,
        "{} records ({} counted once); {} objects read, {} unreadable; {} bad lines.\n",
        a.summary.records,
        human_bytes(a.summary.counted_bytes),
        a.inputs.files,
        a.inputs.files_failed,
        a.inputs.bad_lines
    );
    let _ = writeln!(out, "Prices: {}", a.prices.source);
    out
}

fn h(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The audit as one self-contained HTML page.
pub fn html(a: &Audit) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vpcflow audit</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}}
h1{{margin-bottom:.2rem}} .window{{color:#555}}
.cards{{display:flex;gap:1rem;flex-wrap:wrap;margin:1.2rem 0}}
.card{{border:1px solid #ddd;border-radius:8px;padding:.8rem 1.2rem;min-width:10rem}}
.card b{{display:block;font-size:1.6rem}}
table{{border-collapse:collapse;width:100%;margin:.6rem 0 1.6rem;font-size:.9rem}}
th,td{{border-bottom:1px solid #e4e4e4;padding:.35rem .5rem;text-align:left;vertical-align:top}}
td.num{{text-align:right;white-space:nowrap}} tr.fails td{{background:#fdecea}}
.legend span{{display:inline-block;margin-right:1rem;font-size:.85rem}}
.legend i{{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}}
svg.chart{{width:100%;height:auto;border:1px solid #eee}}
.banner{{background:#fff4e5;border-left:4px solid #e69500;padding:.6rem 1rem;font-weight:600}}
</style></head>
<body>
<h1>vpcflow audit</h1>
<p class="window">Window: {window}.</p>
{banner}<div class="cards">
<div class="card">to save per month<b id="monthly-usd">{usd}</b></div>
<div class="card">findings<b id="findings">{findings}</b></div>
<div class="card">records<b id="records">{records}</b></div>
<div class="card">bytes (counted once)<b id="counted-bytes">{bytes}</b></div>
</div>
"#,
        window = h(&window_line(a)),
        banner = banner(a)
            .map(|b| format!("<p class=\"banner\" id=\"coverage-banner\">{}</p>\n", h(&b)))
            .unwrap_or_default(),
        usd = format_usd(a.summary.monthly_usd),
        findings = a.summary.findings,
        records = a.summary.records,
        bytes = h(&human_bytes(a.summary.counted_bytes)),
    );
    let _ = writeln!(out, "<h2>Findings</h2>");
    if a.findings.is_empty() {
        let _ = writeln!(out, "<p>None.</p>");
    } else {
        let _ = writeln!(
            out,
            "<table id=\"findings-table\"><tr><th>#</th><th>finding</th><th>resource</th><th>VPC</th><th>region</th><th>USD/month</th><th>evidence</th><th>action</th></tr>"
        );
        for (i, f) in a.findings.iter().enumerate() {
            let _ = writeln!(
                out,
                "<tr{}><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                if f.fails { " class=\"fails\"" } else { "" },
                i + 1,
                h(&f.finding),
                h(&f.resource),
                h(f.vpc_id.as_deref().unwrap_or("-")),
                h(f.region.as_deref().unwrap_or("-")),
                money(f),
                h(&f.evidence),
                h(&f.action)
            );
        }
        let _ = writeln!(out, "</table>");
    }
    if a.summary.below_minimum > 0 {
        let _ = writeln!(
            out,
            "<p>{} finding(s) below {} a month left out.</p>",
            a.summary.below_minimum,
            format_usd(a.summary.min_monthly_usd)
        );
    }
    out.push_str(&timeline_chart(a));
    out.push_str(&endpoint_chart(a));
    let _ = writeln!(
        out,
        "<h2>What was read</h2><p>{} objects read, {} unreadable; {} bad lines.</p><p>Prices: {}</p>",
        a.inputs.files,
        a.inputs.files_failed,
        a.inputs.bad_lines,
        h(&a.prices.source)
    );
    // A check the page runs on itself: how many charts have bars laid out with a size.
    out.push_str(
        "<script>(function(){var n=0;document.querySelectorAll('svg.chart').forEach(function(s){\
var b=s.querySelector('rect.bar');if(b){var r=b.getBoundingClientRect();if(r.width>0&&r.height>0)n++;}});\
document.body.setAttribute('data-charts-rendered',String(n));})();</script>\n</body></html>\n",
    );
    out
}

/// Counted bytes per class and hour, as stacked bars.
fn timeline_chart(a: &Audit) -> String {
    let mut out = String::from("<h2>Bytes per traffic class over time</h2>\n");
    let mut buckets: BTreeMap<&str, Vec<(&str, i64)>> = BTreeMap::new();
    for p in &a.timeline {
        buckets
            .entry(p.bucket.as_str())
            .or_default()
            .push((p.traffic_class.as_str(), p.counted_bytes));
    }
    if buckets.is_empty() {
        out.push_str("<p>No traffic in the window.</p>\n");
        return out;
    }
    let (width, height, left, bottom) = (960.0, 260.0, 70.0, 30.0);
    let max: i64 = buckets
        .values()
        .map(|v| v.iter().map(|(_, b)| b).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let step = (width - left - 10.0) / buckets.len() as f64;
    let plot = height - bottom - 10.0;
    let _ = writeln!(
        out,
        "<svg class=\"chart\" id=\"timeline\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"bytes per traffic class over time\">"
    );
    let _ = writeln!(
        out,
        "<text x=\"4\" y=\"16\" font-size=\"11\">{}</text><line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>",
        h(&human_bytes(max)),
        height - bottom,
        width - 10.0,
        height - bottom
    );
    for (i, (bucket, classes)) in buckets.iter().enumerate() {
        let x = left + i as f64 * step;
        let mut y = height - bottom;
        for (class, bytes) in classes {
            let bar = *bytes as f64 / max as f64 * plot;
            y -= bar;
            let _ = writeln!(
                out,
                "<rect class=\"bar\" x=\"{x:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{bar:.2}\" fill=\"{}\"><title>{} {}: {}</title></rect>",
                (step * 0.85).max(0.5),
                colour(class),
                h(bucket),
                h(class),
                h(&human_bytes(*bytes))
            );
        }
    }
    let first = buckets.keys().next().copied().unwrap_or_default();
    let last = buckets.keys().last().copied().unwrap_or_default();
    let _ = writeln!(
        out,
        "<text x=\"{left}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text></svg>",
        height - 10.0,
        h(first),
        width - 10.0,
        height - 10.0,
        h(last)
    );
    let mut classes: Vec<&str> = a
        .timeline
        .iter()
        .map(|p| p.traffic_class.as_str())
        .collect();
    classes.sort();
    classes.dedup();
    out.push_str("<p class=\"legend\">");
    for c in classes {
        let _ = write!(
            out,
            "<span><i style=\"background:{}\"></i>{}</span>",
            colour(c),
            h(c)
        );
    }
    out.push_str("</p>\n");
    out
}

/// Bytes per VPC endpoint, as horizontal bars.
fn endpoint_chart(a: &Audit) -> String {
    let mut out = String::from("<h2>Bytes per VPC endpoint</h2>\n");
    if a.endpoints.is_empty() {
        out.push_str("<p>No VPC endpoint in the inventory or the logs.</p>\n");
        return out;
    }
    let (width, row, label) = (960.0, 22.0, 330.0);
    let height = row * a.endpoints.len() as f64 + 10.0;
    let max = a
        .endpoints
        .iter()
        .map(|e| e.bytes)
        .max()
        .unwrap_or(0)
        .max(1);
    let _ = writeln!(
        out,
        "<svg class=\"chart\" id=\"endpoints\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"bytes per VPC endpoint\">"
    );
    for (i, e) in a.endpoints.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        // An idle endpoint still gets a sliver, so every row shows.
        let bar = (e.bytes as f64 / max as f64 * (width - label - 120.0)).max(1.0);
        let name = format!(
            "{} ({})",
            e.endpoint_id.as_deref().unwrap_or("-"),
            e.service.as_deref().unwrap_or("?")
        );
        let class = match e.endpoint_type.as_deref() {
            Some("gateway") => "gateway_endpoint",
            _ => "interface_endpoint",
        };
        let _ = writeln!(
            out,
            "<text x=\"4\" y=\"{:.1}\" font-size=\"12\">{}</text><rect class=\"bar\" x=\"{label}\" y=\"{y:.1}\" width=\"{bar:.2}\" height=\"{:.1}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            y + 14.0,
            h(&name),
            row - 6.0,
            colour(class),
            label + bar + 6.0,
            y + 14.0,
            h(&human_bytes(e.bytes))
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_it_shows() {
        assert_eq!(
            h("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
