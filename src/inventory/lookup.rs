//! The inventory as lookup structures for per-record questions that are not equi-joins: which
//! addresses an ENI owns, whether an address lies in a VPC's CIDR blocks, which ENI of a VPC
//! holds an address, and where a route table sends an address (longest prefix match, prefix
//! lists included).
//!
//! Built once from the inventory's tables, so every fact has one source: the tables users
//! query are the tables the classification reads.

use std::collections::HashMap;
use std::net::IpAddr;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use ipnet::IpNet;

use super::Inventory;
use super::ip_ranges::ServiceIndex;
use super::names::{service_of, split_at_region};

/// Per-address lookups over one loaded inventory.
#[derive(Debug, Default)]
pub struct Lookup {
    /// ENI id -> its private IPv4 and IPv6 addresses.
    eni_addresses: HashMap<Box<str>, Vec<IpAddr>>,
    /// VPC id -> its IPv4 and IPv6 CIDR blocks.
    vpc_cidrs: HashMap<Box<str>, Vec<IpNet>>,
    /// VPC id -> address -> the ENI holding it.
    vpc_enis: HashMap<Box<str>, HashMap<IpAddr, Box<str>>>,
    /// Route table id -> its routes.
    routes: HashMap<Box<str>, Vec<Route>>,
    /// ip-ranges.json, for prefix lists whose entries the inventory lacks.
    services: Option<ServiceIndex>,
}

/// One route of a route table.
#[derive(Debug)]
struct Route {
    destination: Destination,
    /// `local`, `igw-…`, `nat-…`, `vpce-…`, `tgw-…`, `pcx-…`, … or `blackhole`.
    target: Box<str>,
}

#[derive(Debug)]
enum Destination {
    Network(IpNet),
    /// An AWS-managed prefix list (`com.amazonaws.<region>.s3`) whose entries were not given:
    /// its ranges are the service's ranges of that region in ip-ranges.json.
    Service { service: String, region: String },
}

/// The string column `name` of `batch` (absent or of another type: no column).
fn column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a StringArray> {
    batch.column_by_name(name)?.as_string_opt::<i32>()
}

/// The value in `row` of an optional column.
fn value(column: Option<&StringArray>, row: usize) -> Option<&str> {
    let c = column?;
    (row < c.len() && c.is_valid(row)).then(|| c.value(row))
}

impl Lookup {
    /// Builds the lookups from `inventory`'s tables.
    pub fn new(inventory: &Inventory) -> Lookup {
        let mut lookup = Lookup {
            services: inventory.ip_ranges().map(|r| r.index()),
            ..Lookup::default()
        };
        if let Some(b) = inventory.table("eni_addresses") {
            let (eni, vpc, address) = (
                column(b, "eni_id"),
                column(b, "vpc_id"),
                column(b, "address"),
            );
            for row in 0..b.num_rows() {
                let (Some(e), Some(ip)) = (
                    value(eni, row),
                    value(address, row).and_then(|a| a.parse::<IpAddr>().ok()),
                ) else {
                    continue;
                };
                lookup.eni_addresses.entry(e.into()).or_default().push(ip);
                if let Some(v) = value(vpc, row) {
                    lookup
                        .vpc_enis
                        .entry(v.into())
                        .or_default()
                        .entry(ip)
                        .or_insert_with(|| e.into());
                }
            }
        }
        if let Some(b) = inventory.table("vpc_cidrs") {
            let (vpc, cidr) = (column(b, "vpc_id"), column(b, "cidr"));
            for row in 0..b.num_rows() {
                if let (Some(v), Some(net)) = (
                    value(vpc, row),
                    value(cidr, row).and_then(|c| c.parse::<IpNet>().ok()),
                ) {
                    lookup.vpc_cidrs.entry(v.into()).or_default().push(net);
                }
            }
        }
        lookup.routes = routes(inventory);
        lookup
    }

    /// Whether `ip` is one of the private addresses of ENI `eni` (false for an unknown ENI).
    pub fn eni_has_address(&self, eni: &str, ip: IpAddr) -> bool {
        self.eni_addresses
            .get(eni)
            .is_some_and(|addresses| addresses.contains(&ip))
    }

    /// Whether `ip` lies in one of the CIDR blocks of VPC `vpc` (false for an unknown VPC).
    pub fn vpc_contains(&self, vpc: &str, ip: IpAddr) -> bool {
        self.vpc_cidrs
            .get(vpc)
            .is_some_and(|nets| nets.iter().any(|n| n.contains(&ip)))
    }

    /// The ENI of VPC `vpc` that holds the private address `ip`.
    pub fn vpc_eni(&self, vpc: &str, ip: IpAddr) -> Option<&str> {
        self.vpc_enis.get(vpc)?.get(&ip).map(|e| &**e)
    }

    /// Where route table `table` sends `ip`: the target of the most specific matching route
    /// (`local`, `igw-…`, `nat-…`, `vpce-…`, …; `blackhole` for a route in that state). `None`
    /// for an unknown table or when no route matches.
    pub fn route_target(&self, table: &str, ip: IpAddr) -> Option<&str> {
        let mut best: Option<(u8, &Route)> = None;
        for route in self.routes.get(table)? {
            let len = match &route.destination {
                Destination::Network(net) => net.contains(&ip).then(|| net.prefix_len()),
                Destination::Service { service, region } => self
                    .services
                    .as_ref()
                    .and_then(|s| s.service_prefix_len(ip, service, Some(region))),
            };
            if let Some(len) = len
                && best.is_none_or(|(l, _)| len > l)
            {
                best = Some((len, route));
            }
        }
        best.map(|(_, r)| &*r.target)
    }
}

/// The routes of every route table, with prefix lists expanded to their entries where the
/// inventory has them, else (for AWS-managed lists) resolved through ip-ranges.json by the
/// list's name or the service of the gateway endpoint the route targets.
fn routes(inventory: &Inventory) -> HashMap<Box<str>, Vec<Route>> {
    let mut entries: HashMap<&str, Vec<IpNet>> = HashMap::new();
    let mut list_names: HashMap<&str, &str> = HashMap::new();
    if let Some(b) = inventory.table("prefix_lists") {
        let (id, name, cidr) = (
            column(b, "prefix_list_id"),
            column(b, "prefix_list_name"),
            column(b, "cidr"),
        );
        for row in 0..b.num_rows() {
            let Some(list) = value(id, row) else { continue };
            if let Some(n) = value(name, row) {
                list_names.insert(list, n);
            }
            if let Some(net) = value(cidr, row).and_then(|c| c.parse::<IpNet>().ok()) {
                entries.entry(list).or_default().push(net);
            }
        }
    }
    let mut endpoint_services: HashMap<&str, &str> = HashMap::new();
    if let Some(b) = inventory.table("vpc_endpoints") {
        let (id, name) = (column(b, "endpoint_id"), column(b, "service_name"));
        for row in 0..b.num_rows() {
            if let (Some(i), Some(n)) = (value(id, row), value(name, row)) {
                endpoint_services.insert(i, n);
            }
        }
    }
    let managed = |service_name: &str| -> Option<Destination> {
        let (region, _) = split_at_region(service_name)?;
        let service = service_of(service_name)?.to_ascii_uppercase();
        Some(Destination::Service {
            service,
            region: region.to_string(),
        })
    };
    let mut out: HashMap<Box<str>, Vec<Route>> = HashMap::new();
    let Some(b) = inventory.table("routes") else {
        return out;
    };
    let (table, destination, list, target, state) = (
        column(b, "route_table_id"),
        column(b, "destination"),
        column(b, "destination_prefix_list_id"),
        column(b, "target_id"),
        column(b, "state"),
    );
    for row in 0..b.num_rows() {
        let Some(t) = value(table, row) else { continue };
        let to: Box<str> = if value(state, row) == Some("blackhole") {
            "blackhole".into()
        } else {
            match value(target, row) {
                Some(id) => id.into(),
                None => continue,
            }
        };
        let routes = out.entry(t.into()).or_default();
        if let Some(pl) = value(list, row) {
            if let Some(nets) = entries.get(pl) {
                routes.extend(nets.iter().map(|net| Route {
                    destination: Destination::Network(*net),
                    target: to.clone(),
                }));
            } else if let Some(d) = list_names
                .get(pl)
                .copied()
                .or_else(|| endpoint_services.get(&*to).copied())
                .and_then(managed)
            {
                routes.push(Route {
                    destination: d,
                    target: to,
                });
            }
        } else if let Some(net) = value(destination, row).and_then(|d| d.parse::<IpNet>().ok()) {
            routes.push(Route {
                destination: Destination::Network(net),
                target: to,
            });
        }
    }
    out
}
