//! The SQL kept in `queries/`, embedded in the binary: the `flows_classified` view and the
//! reports, with what each report needs from the inventory.
//!
//! A query's description and parameters are read from its header comment, so each fact lives
//! in the `.sql` file: the first line is `-- <name>: <what it answers>`, and a parameter is
//! declared as `$name (default VALUE)`. Parameters are bound as literals before planning.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::inventory::{Inventory, Kind};

/// The view every report reads: each flow record with its traffic class.
pub const CLASSIFY: &str = include_str!("../../queries/classify.sql");

/// The inventory files the classification uses; without any of them every record is `other`.
pub const CLASSIFY_NEEDS: &[Kind] = &[Kind::NetworkInterfaces, Kind::Vpcs];

/// One report of `queries/`.
#[derive(Clone, Copy, Debug)]
pub struct Report {
    /// Its name, the file name without `.sql`.
    pub name: &'static str,
    /// Its SQL, header comment included.
    pub sql: &'static str,
    /// Inventory files it cannot answer without (besides [`CLASSIFY_NEEDS`]).
    pub needs: &'static [Kind],
}

/// Every report, in the order `report` runs them.
pub const REPORTS: &[Report] = &[
    Report {
        name: "traffic-summary",
        sql: include_str!("../../queries/traffic-summary.sql"),
        needs: &[],
    },
    Report {
        name: "endpoint-bytes",
        sql: include_str!("../../queries/endpoint-bytes.sql"),
        needs: &[Kind::VpcEndpoints],
    },
    Report {
        name: "idle-endpoints",
        sql: include_str!("../../queries/idle-endpoints.sql"),
        needs: &[Kind::VpcEndpoints],
    },
    Report {
        name: "endpoint-clients",
        sql: include_str!("../../queries/endpoint-clients.sql"),
        needs: &[Kind::VpcEndpoints],
    },
    Report {
        name: "nat-gateway-bytes",
        sql: include_str!("../../queries/nat-gateway-bytes.sql"),
        needs: &[Kind::NatGateways],
    },
    Report {
        name: "nat-aws-services",
        sql: include_str!("../../queries/nat-aws-services.sql"),
        needs: &[Kind::NatGateways, Kind::IpRanges],
    },
    Report {
        name: "nat-zones",
        sql: include_str!("../../queries/nat-zones.sql"),
        needs: &[Kind::NatGateways],
    },
    Report {
        name: "internet-aws-services",
        sql: include_str!("../../queries/internet-aws-services.sql"),
        needs: &[Kind::IpRanges],
    },
    Report {
        name: "cross-az",
        sql: include_str!("../../queries/cross-az.sql"),
        needs: &[Kind::Subnets],
    },
    Report {
        name: "public-ipv4",
        sql: include_str!("../../queries/public-ipv4.sql"),
        needs: &[],
    },
    Report {
        name: "rejects",
        sql: include_str!("../../queries/rejects.sql"),
        needs: &[],
    },
    Report {
        name: "top-talkers",
        sql: include_str!("../../queries/top-talkers.sql"),
        needs: &[],
    },
    Report {
        name: "vantage-conflicts",
        sql: include_str!("../../queries/vantage-conflicts.sql"),
        needs: &[Kind::IpRanges],
    },
    Report {
        name: "coverage",
        sql: include_str!("../../queries/coverage.sql"),
        needs: &[],
    },
    Report {
        name: "traffic-timeline",
        sql: include_str!("../../queries/traffic-timeline.sql"),
        needs: &[],
    },
];

/// The audit's findings, in the order they are computed: each reads the reports' results
/// (`report_<name>` tables), the inventory and `audit_basis`, and returns the columns of
/// [`FINDING_COLUMNS`].
pub const FINDINGS: &[Report] = &[
    finding(
        "idle-endpoints",
        include_str!("../../queries/findings/idle-endpoints.sql"),
    ),
    finding(
        "nat-gateway-endpoints",
        include_str!("../../queries/findings/nat-gateway-endpoints.sql"),
    ),
    finding(
        "s3-interface-endpoints",
        include_str!("../../queries/findings/s3-interface-endpoints.sql"),
    ),
    finding(
        "nat-aws-services",
        include_str!("../../queries/findings/nat-aws-services.sql"),
    ),
    finding(
        "endpoint-bypassed",
        include_str!("../../queries/findings/endpoint-bypassed.sql"),
    ),
    finding(
        "cross-az-traffic",
        include_str!("../../queries/findings/cross-az-traffic.sql"),
    ),
    finding(
        "nat-cross-az",
        include_str!("../../queries/findings/nat-cross-az.sql"),
    ),
    finding(
        "public-ipv4",
        include_str!("../../queries/findings/public-ipv4.sql"),
    ),
    finding(
        "endpoint-policy",
        include_str!("../../queries/findings/endpoint-policy.sql"),
    ),
    finding(
        "single-az-endpoints",
        include_str!("../../queries/findings/single-az-endpoints.sql"),
    ),
    finding(
        "rejects",
        include_str!("../../queries/findings/rejects.sql"),
    ),
    finding(
        "coverage",
        include_str!("../../queries/findings/coverage.sql"),
    ),
];

/// The columns every findings query returns, in order.
pub const FINDING_COLUMNS: &[&str] = &[
    "finding",
    "resource",
    "vpc_id",
    "region",
    "bytes",
    "monthly_usd",
    "evidence",
    "action",
];

const fn finding(name: &'static str, sql: &'static str) -> Report {
    Report {
        name,
        sql,
        needs: &[],
    }
}

/// The kinds of finding every findings query declares (`Findings: a, b.` in its header).
pub fn finding_kinds() -> Vec<&'static str> {
    FINDINGS.iter().flat_map(|f| f.kinds()).collect()
}

impl Report {
    /// The inventory files it needs (with the classification's) that `inventory` lacks.
    pub fn missing(&self, inventory: &Inventory) -> Vec<Kind> {
        let mut kinds: Vec<Kind> = CLASSIFY_NEEDS
            .iter()
            .chain(self.needs)
            .copied()
            .filter(|k| !inventory.has(*k))
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// The kinds of finding a findings query declares in its header.
    pub fn kinds(&self) -> Vec<&'static str> {
        let sql = self.sql;
        let header = &sql[..sql.len() - body(sql).len()];
        header
            .lines()
            .filter_map(|l| l.trim_start_matches('-').trim().strip_prefix("Findings:"))
            .flat_map(|l| l.trim().trim_end_matches('.').split(','))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect()
    }

    /// The report of that name.
    pub fn named(name: &str) -> Option<&'static Report> {
        REPORTS.iter().find(|r| r.name == name)
    }

    /// What it answers: the first paragraph of its header, after its name.
    pub fn description(&self) -> String {
        describe(self.sql)
    }

    /// Its parameters and their defaults, from the header comment.
    pub fn parameters(&self) -> BTreeMap<&'static str, &'static str> {
        parameters(self.sql)
    }

    /// Its SQL with every `$parameter` bound: `values` first, then the defaults. A value is
    /// bound as a number when it is one, else as a quoted string. A `$name` left without a
    /// value is an error.
    pub fn bind(&self, values: &BTreeMap<String, String>) -> Result<String> {
        let sql = substitute(self.sql, values);
        if let Some(at) = body(&sql).find('$') {
            let rest: String = body(&sql)[at..]
                .chars()
                .take_while(|c| *c == '$' || c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            return Err(Error::Usage(format!(
                "report {}: parameter {rest} has no value and no default",
                self.name
            )));
        }
        Ok(sql)
    }
}

/// `sql` with each parameter its header declares, and each of `values`, bound as a literal
/// (`values` win over defaults). Other `$` signs are left as they are.
pub fn substitute(sql: &str, values: &BTreeMap<String, String>) -> String {
    let mut bound: BTreeMap<&str, &str> = parameters(sql);
    for (name, value) in values {
        bound.insert(name, value);
    }
    let mut names: Vec<(&str, String)> = bound
        .into_iter()
        .map(|(name, value)| (name, literal(value)))
        .collect();
    // Longest first, so `$top` never replaces the start of `$top_n`.
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut sql = sql.to_string();
    for (name, value) in names {
        sql = sql.replace(&format!("${name}"), &value);
    }
    sql
}

/// The queries of a user's folder (`NAME.sql`, with the same header as ours), by name. They are
/// read once per run and live as long as the process.
pub fn load_dir(dir: &std::path::Path) -> Result<Vec<Report>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".sql"))
        else {
            continue;
        };
        let sql = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        found.push(Report {
            name: Box::leak(name.to_string().into_boxed_str()),
            sql: Box::leak(sql.into_boxed_str()),
            needs: &[],
        });
    }
    found.sort_by_key(|r| r.name);
    Ok(found)
}

/// The columns `flows_classified` adds, each with its meaning, as classify.sql's header
/// lists them (`--   name  meaning`, continued on lines indented further).
pub fn classified_columns() -> Vec<(&'static str, String)> {
    let mut columns: Vec<(&'static str, String)> = Vec::new();
    for line in header(CLASSIFY).lines() {
        let Some(text) = line.strip_prefix("--   ") else {
            continue;
        };
        if text.starts_with(' ') {
            if let Some((_, doc)) = columns.last_mut() {
                doc.push(' ');
                doc.push_str(text.trim());
            }
        } else if let Some((name, doc)) = text.split_once(' ')
            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            columns.push((name, doc.trim().to_string()));
        }
    }
    columns
}

/// The part of a query after its header comment.
fn body(sql: &str) -> &str {
    let mut rest = sql;
    while let Some(line_end) = rest.find('\n') {
        if rest.trim_start().starts_with("--") {
            rest = &rest[line_end + 1..];
        } else {
            break;
        }
    }
    rest
}

/// The header comment of a query.
fn header(sql: &str) -> &str {
    &sql[..sql.len() - body(sql).len()]
}

/// The header's first paragraph, after `name:`, as one line.
fn describe(sql: &str) -> String {
    let paragraph: Vec<&str> = sql
        .lines()
        .map(|l| l.trim_start_matches('-').trim())
        .take_while(|l| !l.is_empty())
        .collect();
    let text = paragraph.join(" ");
    match text.split_once(": ") {
        Some((_, d)) => d.trim().to_string(),
        None => text,
    }
}

/// Every `$name (default VALUE)` in the header comment.
fn parameters(sql: &str) -> BTreeMap<&str, &str> {
    let mut found = BTreeMap::new();
    let mut rest = header(sql);
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        let after = rest[name_len..].trim_start();
        if let Some(value) = after.strip_prefix("(default ")
            && let Some(end) = value.find(')')
            && !name.is_empty()
        {
            found.insert(name, value[..end].trim());
        }
    }
    found
}

/// A parameter value as SQL: a number as it is, anything else as a quoted string.
fn literal(value: &str) -> String {
    if value.parse::<i64>().is_ok() || value.parse::<f64>().is_ok_and(f64::is_finite) {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_classified_columns_come_with_their_meaning() {
        let columns = super::classified_columns();
        let class = columns.iter().find(|(n, _)| *n == "traffic_class");
        let class = class.map(|(_, d)| d.as_str()).unwrap_or_default();
        assert!(
            class.starts_with("interface_endpoint | gateway_endpoint"),
            "{class}"
        );
        assert!(
            class.ends_with("NULL for NODATA and SKIPDATA records"),
            "{class}"
        );
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "traffic_class",
                "class_reason",
                "counted",
                "peer",
                "direction",
                "peer_in_vpc",
                "peer_eni_id",
                "endpoint_id",
                "nat_gateway_id",
                "aws_service",
                "route_target"
            ]
        );
    }

    use super::*;

    #[test]
    fn every_report_has_a_header_an_order_and_its_own_name() {
        for r in REPORTS {
            assert!(
                r.sql.starts_with(&format!("-- {}: ", r.name)),
                "{} names itself",
                r.name
            );
            assert!(!r.description().is_empty());
            assert!(body(r.sql).contains("ORDER BY"), "{} is ordered", r.name);
            assert!(body(r.sql).contains("flows_classified"));
        }
        assert!(CLASSIFY.starts_with("-- flows_classified: "));
        for f in FINDINGS {
            assert!(f.sql.starts_with(&format!("-- {}: ", f.name)), "{}", f.name);
            assert!(!f.kinds().is_empty(), "{} declares its findings", f.name);
            assert!(body(f.sql).contains("ORDER BY"), "{} is ordered", f.name);
        }
        let kinds = finding_kinds();
        let mut unique = kinds.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), kinds.len(), "each kind is declared once");
    }

    #[test]
    fn every_file_in_queries_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let sql_files = |dir: &std::path::Path, prefix: &str| -> Vec<String> {
            std::fs::read_dir(dir)
                .expect("the queries folder is readable")
                .filter_map(|e| e.ok())
                .map(|e| format!("{prefix}{}", e.file_name().to_string_lossy()))
                .filter(|n| n.ends_with(".sql"))
                .collect()
        };
        let mut files = sql_files(&dir, "");
        files.extend(sql_files(&dir.join("findings"), "findings/"));
        files.sort();
        let mut listed: Vec<String> = REPORTS.iter().map(|r| format!("{}.sql", r.name)).collect();
        listed.extend(FINDINGS.iter().map(|f| format!("findings/{}.sql", f.name)));
        listed.push("classify.sql".to_string());
        listed.sort();
        assert_eq!(files, listed);
    }

    #[test]
    fn parameters_bind_with_defaults_and_overrides() {
        let idle = Report::named("idle-endpoints").expect("exists");
        assert_eq!(
            idle.parameters().into_iter().collect::<Vec<_>>(),
            [("low_traffic_bytes", "1048576")]
        );
        let sql = idle.bind(&BTreeMap::new()).expect("binds");
        assert!(sql.contains("p.bytes < 1048576"));
        let values = BTreeMap::from([("low_traffic_bytes".to_string(), "5".to_string())]);
        assert!(idle.bind(&values).expect("binds").contains("p.bytes < 5"));
        let odd = BTreeMap::from([("low_traffic_bytes".to_string(), "x'y".to_string())]);
        assert!(idle.bind(&odd).expect("binds").contains("p.bytes < 'x''y'"));
    }

    #[test]
    fn a_parameter_without_default_is_an_error() {
        let r = Report {
            name: "t",
            sql: "-- t: test\nSELECT $missing FROM flows_classified ORDER BY 1\n",
            needs: &[],
        };
        let err = r.bind(&BTreeMap::new()).expect_err("unbound");
        assert!(err.to_string().contains("$missing"), "{err}");
    }
}
