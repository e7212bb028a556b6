//! The inventory as lookup structures for per-record questions: what the inventory says of a
//! record's ENI (its addresses, VPC, role, region, route table, and its VPC's NAT and gateway
//! endpoints), whether an address lies in a VPC's CIDR blocks, which ENI of a VPC holds an
//! address, and where a route table sends an address (longest prefix match, prefix lists
//! included).
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

/// A map keyed by inventory ids or addresses: asked several times per flow record, so hashed
/// with a fast hasher (the keys come from the user's own inventory).
pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Per-address lookups over one loaded inventory.
#[derive(Debug, Default)]
pub struct Lookup {
    /// ENI id -> what the inventory says of it.
    enis: Map<Box<str>, Eni>,
    /// VPC id -> its NAT gateways and gateway endpoints.
    vpcs: Map<Box<str>, Vpc>,
    /// VPC id -> its IPv4 and IPv6 CIDR blocks.
    vpc_cidrs: Map<Box<str>, Vec<IpNet>>,
    /// VPC id -> address -> the ENI holding it, and the interface endpoint that ENI serves.
    vpc_enis: Map<Box<str>, Map<IpAddr, Holder>>,
    /// Route table id -> its routes.
    routes: Map<Box<str>, Vec<Route>>,
    /// ip-ranges.json, for prefix lists whose entries the inventory lacks.
    services: Option<ServiceIndex>,
}

/// What the inventory says of one ENI.
#[derive(Debug, Default)]
pub struct Eni {
    /// Its private IPv4 and IPv6 addresses.
    pub addresses: Vec<IpAddr>,
    /// Its VPC.
    pub vpc: Option<Box<str>>,
    /// `workload`, `vpc_endpoint`, `nat_gateway`, ... (the `enis` table's `role`).
    pub role: Option<Box<str>>,
    /// The interface endpoint it serves.
    pub endpoint: Option<Box<str>>,
    /// The NAT gateway it belongs to.
    pub nat_gateway: Option<Box<str>>,
    /// Whether it has a public IPv4 address.
    pub public_ip: bool,
    /// Its VPC's region, else its own.
    pub region: Option<Box<str>>,
    /// Its subnet's route table, when the inventory holds that table's routes.
    pub route_table: Option<Box<str>>,
    /// Whether its VPC has a NAT gateway.
    pub vpc_has_nat_gateway: bool,
    /// Its VPC's NAT gateway, when the VPC has exactly one.
    pub vpc_nat_gateway: Option<Box<str>>,
}

/// What the inventory says of one VPC beyond its CIDR blocks.
#[derive(Debug, Default)]
pub struct Vpc {
    /// Its NAT gateways, in id order.
    pub nat_gateways: Vec<Box<str>>,
    /// Its gateway endpoints: (service as ip-ranges.json names it, endpoint id), in id order.
    pub gateway_endpoints: Vec<(Box<str>, Box<str>)>,
}

impl Vpc {
    /// The VPC's gateway endpoint for `service` (`S3`, `DYNAMODB`; the first by id).
    pub fn gateway_endpoint(&self, service: &str) -> Option<&str> {
        self.gateway_endpoints
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(service))
            .map(|(_, id)| &**id)
    }
}

/// The ENI that holds an address.
#[derive(Debug)]
struct Holder {
    eni: Box<str>,
    endpoint: Option<Box<str>>,
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
    Service {
        service: String,
        region: String,
    },
}

/// The string column `name` of `batch` (absent or of another type: no column).
pub(crate) fn column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a StringArray> {
    batch.column_by_name(name)?.as_string_opt::<i32>()
}

/// The value in `row` of an optional column.
pub(crate) fn value(column: Option<&StringArray>, row: usize) -> Option<&str> {
    let c = column?;
    (row < c.len() && c.is_valid(row)).then(|| c.value(row))
}

impl Lookup {
    /// Builds the lookups from `inventory`'s tables; `services` is the index of its
    /// ip-ranges.json, built once by the caller.
    pub fn new(inventory: &Inventory, services: Option<ServiceIndex>) -> Lookup {
        let mut lookup = Lookup {
            services,
            ..Lookup::default()
        };
        lookup.routes = routes(inventory);
        lookup.vpcs = vpcs(inventory);
        lookup.enis = enis(inventory, &lookup.vpcs);
        if let Some(b) = inventory.table("eni_addresses") {
            let (eni, vpc, address, role, endpoint) = (
                column(b, "eni_id"),
                column(b, "vpc_id"),
                column(b, "address"),
                column(b, "role"),
                column(b, "endpoint_id"),
            );
            for row in 0..b.num_rows() {
                let (Some(e), Some(ip)) = (
                    value(eni, row),
                    value(address, row).and_then(|a| a.parse::<IpAddr>().ok()),
                ) else {
                    continue;
                };
                lookup.enis.entry(e.into()).or_default().addresses.push(ip);
                if let Some(v) = value(vpc, row) {
                    let endpoint = value(endpoint, row)
                        .filter(|_| value(role, row) == Some("vpc_endpoint"))
                        .map(Box::from);
                    lookup
                        .vpc_enis
                        .entry(v.into())
                        .or_default()
                        .entry(ip)
                        .or_insert_with(|| Holder {
                            eni: e.into(),
                            endpoint,
                        });
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
        lookup
    }

    /// What the inventory says of ENI `eni`.
    pub fn eni(&self, eni: &str) -> Option<&Eni> {
        self.enis.get(eni)
    }

    /// What the inventory says of VPC `vpc` beyond its CIDR blocks.
    pub fn vpc(&self, vpc: &str) -> Option<&Vpc> {
        self.vpcs.get(vpc)
    }

    /// Whether `ip` is one of the private addresses of ENI `eni` (false for an unknown ENI).
    pub fn eni_has_address(&self, eni: &str, ip: IpAddr) -> bool {
        self.eni_addresses(eni).contains(&ip)
    }

    /// The private addresses of ENI `eni` (none for an unknown ENI).
    pub fn eni_addresses(&self, eni: &str) -> &[IpAddr] {
        self.enis.get(eni).map_or(&[], |e| e.addresses.as_slice())
    }

    /// Whether `ip` lies in one of the CIDR blocks of VPC `vpc` (false for an unknown VPC).
    pub fn vpc_contains(&self, vpc: &str, ip: IpAddr) -> bool {
        self.vpc_cidrs
            .get(vpc)
            .is_some_and(|nets| nets.iter().any(|n| n.contains(&ip)))
    }

    /// The ENI of VPC `vpc` that holds the private address `ip`.
    pub fn vpc_eni(&self, vpc: &str, ip: IpAddr) -> Option<&str> {
        self.vpc_holder(vpc, ip).map(|(eni, _)| eni)
    }

    /// The interface endpoint whose ENI in VPC `vpc` holds the address `ip`.
    pub fn vpc_endpoint_at(&self, vpc: &str, ip: IpAddr) -> Option<&str> {
        self.vpc_holder(vpc, ip)?.1
    }

    /// The ENI of VPC `vpc` that holds the private address `ip`, and the interface endpoint
    /// that ENI serves, if any.
    pub fn vpc_holder(&self, vpc: &str, ip: IpAddr) -> Option<(&str, Option<&str>)> {
        let h = self.vpc_enis.get(vpc)?.get(&ip)?;
        Some((&h.eni, h.endpoint.as_deref()))
    }

    /// The loaded ip-ranges.json, if any.
    pub fn services(&self) -> Option<&ServiceIndex> {
        self.services.as_ref()
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

/// Every ENI of the `enis` table with its VPC's region (else its own), its subnet's route
/// table when the `routes` table holds that table, and its VPC's NAT gateways from `vpcs`;
/// addresses are added by the caller.
fn enis(inventory: &Inventory, vpcs: &Map<Box<str>, Vpc>) -> Map<Box<str>, Eni> {
    let text = |table: &str, key: &str, field: &str| -> HashMap<String, String> {
        let Some(b) = inventory.table(table) else {
            return HashMap::new();
        };
        let (k, v) = (column(b, key), column(b, field));
        (0..b.num_rows())
            .filter_map(|row| Some((value(k, row)?.to_string(), value(v, row)?.to_string())))
            .collect()
    };
    let vpc_regions = text("vpcs", "vpc_id", "region");
    let subnet_tables = text("subnets", "subnet_id", "route_table_id");
    let routed: std::collections::HashSet<&str> = inventory
        .table("routes")
        .and_then(|b| Some((b, column(b, "route_table_id")?)))
        .map(|(b, c)| {
            (0..b.num_rows())
                .filter_map(|row| value(Some(c), row))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Map::default();
    let Some(b) = inventory.table("enis") else {
        return out;
    };
    let col = |name| column(b, name);
    let (id, vpc, subnet, region) = (
        col("eni_id"),
        col("vpc_id"),
        col("subnet_id"),
        col("region"),
    );
    let (role, endpoint, nat, public_ip) = (
        col("role"),
        col("endpoint_id"),
        col("nat_gateway_id"),
        col("public_ip"),
    );
    for row in 0..b.num_rows() {
        let Some(eni) = value(id, row) else { continue };
        let text = |c| value(c, row).map(Box::from);
        let own_vpc = value(vpc, row);
        let nat_gateways = own_vpc
            .and_then(|v| vpcs.get(v))
            .map_or(&[][..], |v| v.nat_gateways.as_slice());
        let route_table = value(subnet, row)
            .and_then(|s| subnet_tables.get(s))
            .filter(|t| routed.contains(t.as_str()));
        out.insert(
            eni.into(),
            Eni {
                addresses: Vec::new(),
                vpc: own_vpc.map(Box::from),
                role: text(role),
                endpoint: text(endpoint),
                nat_gateway: text(nat),
                public_ip: value(public_ip, row).is_some(),
                region: own_vpc
                    .and_then(|v| vpc_regions.get(v))
                    .map(|r| Box::from(r.as_str()))
                    .or_else(|| text(region)),
                route_table: route_table.map(|t| Box::from(t.as_str())),
                vpc_has_nat_gateway: !nat_gateways.is_empty(),
                vpc_nat_gateway: match nat_gateways {
                    [only] => Some(only.clone()),
                    _ => None,
                },
            },
        );
    }
    out
}

/// Every VPC's NAT gateways and gateway endpoints, each in id order.
fn vpcs(inventory: &Inventory) -> Map<Box<str>, Vpc> {
    let mut out: Map<Box<str>, Vpc> = Map::default();
    if let Some(b) = inventory.table("nat_gateways") {
        let (id, vpc) = (column(b, "nat_gateway_id"), column(b, "vpc_id"));
        for row in 0..b.num_rows() {
            if let (Some(i), Some(v)) = (value(id, row), value(vpc, row)) {
                out.entry(v.into()).or_default().nat_gateways.push(i.into());
            }
        }
    }
    if let Some(b) = inventory.table("vpc_endpoints") {
        let (id, vpc, kind, service) = (
            column(b, "endpoint_id"),
            column(b, "vpc_id"),
            column(b, "endpoint_type"),
            column(b, "service"),
        );
        for row in 0..b.num_rows() {
            if let (Some(i), Some(v), Some("gateway"), Some(s)) = (
                value(id, row),
                value(vpc, row),
                value(kind, row),
                value(service, row),
            ) {
                let endpoints = &mut out.entry(v.into()).or_default().gateway_endpoints;
                endpoints.push((s.to_ascii_uppercase().into(), i.into()));
            }
        }
    }
    for vpc in out.values_mut() {
        vpc.nat_gateways.sort();
        vpc.gateway_endpoints.sort_by(|a, b| a.1.cmp(&b.1));
    }
    out
}

/// The routes of every route table, with prefix lists expanded to their entries where the
/// inventory has them, else (for AWS-managed lists) resolved through ip-ranges.json by the
/// list's name or the service of the gateway endpoint the route targets.
fn routes(inventory: &Inventory) -> Map<Box<str>, Vec<Route>> {
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
    let mut out: Map<Box<str>, Vec<Route>> = Map::default();
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn lookup() -> Lookup {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classify/inventory");
        let inventory = Inventory::load(&dir, None).expect("fixture inventory loads");
        Lookup::new(&inventory, inventory.ip_ranges().map(|r| r.index()))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn enis_own_primary_secondary_and_ipv6_addresses() {
        let l = lookup();
        let a1 = "eni-0aa0000000000a001";
        for own in ["10.0.1.10", "10.0.1.11", "2600:1f18:aaaa:aa01::10"] {
            assert!(l.eni_has_address(a1, ip(own)), "{own}");
        }
        assert!(!l.eni_has_address(a1, ip("10.0.1.12")));
        assert!(!l.eni_has_address("eni-00000000000000000", ip("10.0.1.10")));
    }

    #[test]
    fn vpc_lookups_stay_in_their_vpc() {
        let l = lookup();
        let (a, b) = ("vpc-0aaaaaaaaaaaaaaaa", "vpc-0bbbbbbbbbbbbbbbb");
        assert!(l.vpc_contains(a, ip("10.5.200.1")), "secondary CIDR");
        assert!(!l.vpc_contains(b, ip("10.5.200.1")));
        assert!(
            l.vpc_contains(a, ip("2600:1f18:aaaa:aaff::1")),
            "IPv6 block"
        );
        assert_eq!(l.vpc_eni(a, ip("10.0.9.9")), Some("eni-0aa0000000000e001"));
        assert_eq!(l.vpc_eni(b, ip("10.0.9.9")), None);
        assert_eq!(l.vpc_eni(b, ip("10.0.1.10")), Some("eni-0bb0000000000b001"));
        assert_eq!(l.vpc_eni(a, ip("10.0.1.10")), Some("eni-0aa0000000000a001"));
        assert_eq!(
            l.vpc_endpoint_at(a, ip("10.0.9.9")),
            Some("vpce-0aa000000000000e1")
        );
        assert_eq!(l.vpc_endpoint_at(a, ip("10.0.1.10")), None);
        assert_eq!(l.vpc_endpoint_at(b, ip("10.0.9.9")), None);
    }

    #[test]
    fn routes_match_the_longest_prefix_and_resolve_prefix_lists() {
        let l = lookup();
        let private = "rtb-0cc00000000000002";
        let cases = [
            ("172.31.9.9", Some("local")),
            ("8.8.8.8", Some("nat-0cc000000000000d1")),
            // The S3 prefix list (no entries given) beats 0.0.0.0/0 through ip-ranges.json.
            ("52.216.1.1", Some("vpce-0cc000000000000e3")),
            // S3 of another region is not in this region's prefix list.
            ("3.5.1.1", Some("nat-0cc000000000000d1")),
            ("192.168.3.3", Some("pcx-0cc00000000000001")),
            ("10.200.1.1", Some("tgw-0cc00000000000001")),
            // No IPv6 route at all.
            ("2a00:1450::1", None),
        ];
        for (address, target) in cases {
            assert_eq!(l.route_target(private, ip(address)), target, "{address}");
        }
        assert_eq!(
            l.route_target("rtb-0cc00000000000001", ip("52.216.1.1")),
            Some("igw-0cc00000000000001")
        );
        assert_eq!(l.route_target("rtb-unknown", ip("8.8.8.8")), None);
    }
}
