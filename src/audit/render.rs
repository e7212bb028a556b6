//! The audit as Markdown (for a terminal or a pull request) and as one self-contained HTML page:
//! no script, style or font is fetched from anywhere. The page reads on a phone as on a desktop
//! (its findings turn from a table into cards on narrow screens, identifiers are never broken
//! across lines); its time chart is inline SVG (see `chart`), its endpoint and zone charts HTML
//! bars.
//!
//! Both are deterministic: they show the window but no time of the run, and rows keep the
//! audit's order.

use std::fmt::Write;

use super::{Audit, Finding, chart};
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

/// The colour of a traffic class in the charts.
pub(super) fn colour(class: &str) -> &'static str {
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
    if !a.cross_az.is_empty() {
        let _ = writeln!(out, "\n## Bytes between availability zones\n");
        let _ = writeln!(out, "| region | zones | bytes | billed |");
        let _ = writeln!(out, "|---|---|---:|---:|");
        for p in &a.cross_az {
            let _ = writeln!(
                out,
                "| {} | {} <-> {} | {} | {} |",
                p.region.as_deref().unwrap_or("-"),
                p.zone_a,
                p.zone_b,
                human_bytes(p.bytes),
                human_bytes(p.billed_bytes)
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

/// Text escaped for HTML.
pub(super) fn h(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page's style: a table of findings on wide screens, a card per finding on narrow ones;
/// identifiers never broken across lines; chart labels enlarged where the chart is scaled down.
const STYLE: &str = r#"body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222;line-height:1.4}
h1{margin-bottom:.2rem} .window{color:#555}
.id,.nb,.kind{white-space:nowrap}
.cards{display:flex;flex-wrap:wrap;gap:1rem;margin:1.2rem 0}
.card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1.2rem;min-width:10rem}
.card b{display:block;font-size:1.6rem;white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1.6rem;font-size:.9rem}
th,td{border-bottom:1px solid #e4e4e4;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th.num,td.num{text-align:right;white-space:nowrap} tr.fails td{background:#fdecea}
td.resource .place{display:block;color:#666;font-size:.8rem}
td.usd{font-weight:600}
.legend span{display:inline-block;margin-right:1rem;font-size:.85rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
svg.chart{display:block;width:100%;height:auto;border:1px solid #eee}
.hbar{display:grid;grid-template-columns:minmax(12rem,22rem) minmax(4rem,1fr) 5.5rem;gap:.2rem .8rem;align-items:center;padding:.2rem 0;font-size:.85rem}
.hbar .service{color:#666}
.hbar .track{background:#f2f2f2;height:.9rem}
.hbar .bar{display:block;height:100%;min-width:2px}
.hbar .value{text-align:right;white-space:nowrap}
.banner{background:#fff4e5;border-left:4px solid #e69500;padding:.6rem 1rem;font-weight:600}
@media (max-width:60rem){
#findings-table,#findings-table tbody{display:block}
#findings-table thead{display:none}
#findings-table tr.finding{display:grid;grid-template-columns:auto 1fr auto;gap:.1rem .6rem;border:1px solid #ddd;border-radius:8px;padding:.6rem .8rem;margin-bottom:.8rem}
#findings-table tr.fails{background:#fdecea;border-color:#f3b8b0}
#findings-table td{display:block;border:0;padding:.1rem 0;background:none}
#findings-table td.rank{grid-area:1/1;text-align:left}
#findings-table td.rank::before{content:'#'}
#findings-table td.kind{grid-area:1/2;font-weight:600}
#findings-table td.usd{grid-area:1/3}
#findings-table td.resource,#findings-table td.evidence,#findings-table td.action{grid-column:1/-1}
#findings-table td[data-label]::before{content:attr(data-label);display:block;color:#666;font-size:.75rem;font-weight:400}
#findings-table td.kind::before{content:none}
}
@media (max-width:40rem){
body{margin:1rem auto}
h1{font-size:1.6rem}
.cards{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.6rem}
.card{padding:.6rem .8rem;min-width:0}
.card b{font-size:1.25rem}
svg.chart text{font-size:22px}
.hbar{grid-template-columns:minmax(0,1fr) 5.5rem}
.hbar .label{grid-column:1/-1}
}"#;

/// Text escaped for HTML, with every identifier in it (a resource ID such as
/// `vpce-0a1b2c3d4e5f60718`, a region, a time) in a span that is never broken across lines, as
/// browsers otherwise do after a hyphen. The text is unchanged, so a copied ID is exact.
fn text(s: &str) -> String {
    let token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_');
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find(token_char) {
        out.push_str(&h(&rest[..start]));
        let after = &rest[start..];
        let token = &after[..after.find(|c| !token_char(c)).unwrap_or(after.len())];
        // Punctuation around a token belongs to the sentence, not to the identifier.
        let core = token.trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let lead = token.len()
            - token
                .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
                .len();
        out.push_str(&h(&token[..lead]));
        out.push_str(&identifier(core));
        out.push_str(&h(&token[lead + core.len()..]));
        rest = &after[token.len()..];
    }
    out.push_str(&h(rest));
    out
}

/// A token of text as HTML: in a `span.id` when it is a resource ID (`prefix-hex`, as
/// `eni-0123456789abcdef0`), in a `span.nb` when it is another figure with a hyphen (a region,
/// a date), else as it is.
fn identifier(token: &str) -> String {
    // Longer tokens (an object's path or file name) may break, or they would run off a phone.
    const LONGEST: usize = 40;
    if token.len() > LONGEST || !token.contains('-') || !token.bytes().any(|b| b.is_ascii_digit()) {
        return h(token);
    }
    let resource = token.rsplit_once('-').is_some_and(|(prefix, suffix)| {
        suffix.len() >= 8
            && suffix
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && prefix.starts_with(|c: char| c.is_ascii_lowercase())
            && prefix.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
    });
    format!(
        "<span class=\"{}\">{}</span>",
        if resource { "id" } else { "nb" },
        h(token)
    )
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
{STYLE}
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
        window = text(&window_line(a)),
        banner = banner(a)
            .map(|b| format!(
                "<p class=\"banner\" id=\"coverage-banner\">{}</p>\n",
                text(&b)
            ))
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
        findings_table(&mut out, &a.findings);
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
    out.push_str(&zone_chart(a));
    let _ = writeln!(
        out,
        "<h2>What was read</h2><p>{} objects read, {} unreadable; {} bad lines.</p><p>Prices: {}</p>",
        a.inputs.files,
        a.inputs.files_failed,
        a.inputs.bad_lines,
        text(&a.prices.source)
    );
    // A check the page runs on itself: how many charts have bars laid out with a size.
    out.push_str(
        "<script>(function(){var n=0;document.querySelectorAll('.chart').forEach(function(c){\
var b=c.querySelector('.bar');if(b){var r=b.getBoundingClientRect();if(r.width>0&&r.height>0)n++;}});\
document.body.setAttribute('data-charts-rendered',String(n));})();</script>\n</body></html>\n",
    );
    out
}

/// The findings as a table (a card per row on narrow screens): each row is a `tr.finding`
/// with its amount in `td.usd` and what to do in `td.action`.
fn findings_table(out: &mut String, findings: &[Finding]) {
    let _ = writeln!(
        out,
        "<table id=\"findings-table\"><thead><tr><th class=\"num\">#</th><th>finding</th><th>resource</th><th class=\"num\">USD/month</th><th>evidence</th><th>action</th></tr></thead><tbody>"
    );
    for (i, f) in findings.iter().enumerate() {
        let vpc = f.vpc_id.as_deref().filter(|v| *v != f.resource);
        let place: Vec<String> = [vpc, f.region.as_deref()]
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        let _ = writeln!(
            out,
            "<tr class=\"finding{}\" data-finding=\"{n}\"><td class=\"num rank\">{n}</td><td class=\"kind\" data-label=\"finding\">{}</td><td class=\"resource\" data-label=\"resource\">{}{}</td><td class=\"num usd\" data-label=\"USD/month\">{}</td><td class=\"evidence\" data-label=\"evidence\">{}</td><td class=\"action\" data-label=\"action\">{}</td></tr>",
            if f.fails { " fails" } else { "" },
            h(&f.finding),
            text(&f.resource),
            if place.is_empty() {
                String::new()
            } else {
                format!("<span class=\"place\">{}</span>", place.join(", "))
            },
            money(f),
            text(&f.evidence),
            text(&f.action),
            n = i + 1,
        );
    }
    out.push_str("</tbody></table>\n");
}

/// Counted bytes per class and hour, as stacked bars on a time axis, with a legend.
fn timeline_chart(a: &Audit) -> String {
    let mut out = String::from("<h2>Counted bytes per traffic class and hour (UTC)</h2>\n");
    let Some(svg) = chart::timeline_svg(a) else {
        out.push_str("<p>No traffic in the window.</p>\n");
        return out;
    };
    out.push_str(&svg);
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

/// Bytes per VPC endpoint, as horizontal bars in HTML: a row per endpoint with its ID and
/// service, a bar as long as its share of the largest, and its bytes.
fn endpoint_chart(a: &Audit) -> String {
    let mut out = String::from("<h2>Bytes per VPC endpoint</h2>\n");
    if a.endpoints.is_empty() {
        out.push_str("<p>No VPC endpoint in the inventory or the logs.</p>\n");
        return out;
    }
    let rows: Vec<HBar> = a
        .endpoints
        .iter()
        .map(|e| HBar {
            label: text(e.endpoint_id.as_deref().unwrap_or("-")),
            note: h(e.service.as_deref().unwrap_or("?")),
            bytes: e.bytes,
            colour: colour(match e.endpoint_type.as_deref() {
                Some("gateway") => "gateway_endpoint",
                _ => "interface_endpoint",
            }),
        })
        .collect();
    hbars(&mut out, "endpoints", &rows);
    out
}

/// Bytes between availability zones, a bar per pair of zones (billed ones in the intra-VPC
/// colour, unbilled ones grey).
fn zone_chart(a: &Audit) -> String {
    let mut out = String::from("<h2>Bytes between availability zones</h2>\n");
    if a.cross_az.is_empty() {
        out.push_str("<p>No traffic between availability zones seen.</p>\n");
        return out;
    }
    let rows: Vec<HBar> = a
        .cross_az
        .iter()
        .map(|p| HBar {
            label: text(&format!("{} <-> {}", p.zone_a, p.zone_b)),
            note: if p.billed_bytes == p.bytes {
                h(p.region.as_deref().unwrap_or("?"))
            } else {
                format!(
                    "{}, {} billed",
                    h(p.region.as_deref().unwrap_or("?")),
                    h(&human_bytes(p.billed_bytes))
                )
            },
            bytes: p.bytes,
            colour: if p.billed_bytes > 0 {
                colour("intra_vpc")
            } else {
                colour("none")
            },
        })
        .collect();
    hbars(&mut out, "cross-az", &rows);
    out
}

/// One row of a bar chart in HTML.
struct HBar {
    /// The label, as HTML.
    label: String,
    /// What follows it in brackets, as HTML.
    note: String,
    bytes: i64,
    colour: &'static str,
}

/// Horizontal bars in HTML: a row per item with its label, a bar as long as its share of the
/// largest, and its bytes.
fn hbars(out: &mut String, id: &str, rows: &[HBar]) {
    let max = rows.iter().map(|r| r.bytes).max().unwrap_or(0).max(1);
    let _ = writeln!(out, "<div class=\"chart hbars\" id=\"{id}\">");
    for r in rows {
        // A bar of no bytes is a sliver (the style's least width), so every row shows one.
        let _ = writeln!(
            out,
            "<div class=\"hbar\"><span class=\"label\">{} <span class=\"service\">({})</span></span><span class=\"track\"><span class=\"bar\" style=\"width:{:.1}%;background:{}\"></span></span><span class=\"value\">{}</span></div>",
            r.label,
            r.note,
            r.bytes.max(0) as f64 / max as f64 * 100.0,
            r.colour,
            h(&human_bytes(r.bytes))
        );
    }
    out.push_str("</div>\n");
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

    #[test]
    fn identifiers_are_kept_whole_and_the_text_unchanged() {
        let shown = text(
            "eni-0171ee8b557332b4a, vpce-0aa000000000000e2 (us-east-1a) at 2026-11-20T08:00:00Z: 10.0.1.196 & near-idle",
        );
        assert_eq!(
            shown,
            "<span class=\"id\">eni-0171ee8b557332b4a</span>, <span class=\"id\">vpce-0aa000000000000e2</span> \
             (<span class=\"nb\">us-east-1a</span>) at <span class=\"nb\">2026-11-20T08:00:00Z</span>: \
             10.0.1.196 &amp; near-idle"
        );
        assert_eq!(text("-"), "-");
        assert_eq!(text("<b>"), "&lt;b&gt;");
    }
}
