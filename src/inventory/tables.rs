//! The inventory's Arrow tables, built from the parsed CLI documents: the joins between
//! resources (which ENI belongs to which endpoint or NAT gateway, which route table a subnet
//! uses), each resource's region (availability zone, then its VPC's zones, then a region in the
//! file's path, then the default), and one RecordBatch per table. Every column is nullable;
//! the schema of a table does not depend on whether rows were found.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Int32Array, ListBuilder, RecordBatch, StringArray, StringBuilder,
    TimestampMillisecondArray,
};
use arrow::datatypes::{Field, Schema};
use chrono::{DateTime, NaiveDateTime};
use ipnet::IpNet;

use super::Kind;
use super::aws::{
    Address as ElasticIp, Association, Document, NatGateway, NatGatewayAddress, NetworkInterface,
    PrefixList, RouteTable, StateHolder, Subnet, Vpc, VpcEndpoint,
};
use super::ip_ranges::IpRanges;
use super::names::{
    id_after, is_region, normalise_enum, region_from_az, region_in_path, region_of_arn, service_of,
    split_at_region,
};
use super::resources::{Policy, endpoint_policy, eni_resource, ip_ranges_service};
use crate::error::Result;

/// One parsed CLI output file.
pub(super) struct LoadedDoc {
    /// The file, as found by the walk.
    pub path: PathBuf,
    /// The file's path as text (the `source_file` column).
    pub name: String,
    /// A region named by a component of the file's path.
    pub region: Option<String>,
    /// Its content.
    pub doc: Document,
}

impl LoadedDoc {
    /// Wraps the document read from `path`.
    pub fn new(path: &Path, doc: Document) -> LoadedDoc {
        LoadedDoc {
            path: path.to_path_buf(),
            name: path.to_string_lossy().into_owned(),
            region: region_in_path(path),
            doc,
        }
    }

    /// The kinds of content this file holds (entries only once their list id is known).
    pub fn kinds(&self) -> Vec<Kind> {
        let d = &self.doc;
        [
            (d.network_interfaces.is_some(), Kind::NetworkInterfaces),
            (d.vpc_endpoints.is_some(), Kind::VpcEndpoints),
            (d.nat_gateways.is_some(), Kind::NatGateways),
            (d.vpcs.is_some(), Kind::Vpcs),
            (d.subnets.is_some(), Kind::Subnets),
            (d.route_tables.is_some(), Kind::RouteTables),
            (d.prefix_lists.is_some(), Kind::PrefixLists),
            (d.addresses.is_some(), Kind::Addresses),
            (
                d.entries.is_some() && d.prefix_list_id.is_some(),
                Kind::PrefixListEntries,
            ),
        ]
        .into_iter()
        .filter_map(|(present, kind)| present.then_some(kind))
        .collect()
    }
}

/// Every table, in [`super::TABLES`] order.
pub(super) fn build(
    docs: &[LoadedDoc],
    ip_ranges: Option<&IpRanges>,
    default_region: Option<&str>,
) -> Result<Vec<(&'static str, RecordBatch)>> {
    let estate = Estate::new(docs, default_region);
    Ok(vec![
        ("enis", estate.enis()?),
        ("eni_addresses", estate.eni_addresses()?),
        ("vpc_endpoints", estate.vpc_endpoints()?),
        ("nat_gateways", estate.nat_gateways()?),
        ("vpcs", estate.vpcs()?),
        ("vpc_cidrs", estate.vpc_cidrs()?),
        ("subnets", estate.subnets()?),
        ("routes", estate.routes()?),
        (
            "route_table_associations",
            estate.route_table_associations()?,
        ),
        ("prefix_lists", estate.prefix_lists()?),
        ("elastic_ips", estate.elastic_ips()?),
        ("aws_ip_ranges", aws_ip_ranges(ip_ranges)?),
    ])
}

/// A resource and the file it came from.
type Sourced<'a, T> = (&'a LoadedDoc, &'a T);

/// Every resource of every file (each id once, first file wins) and the lookups between them.
struct Estate<'a> {
    default_region: Option<&'a str>,
    docs: &'a [LoadedDoc],
    enis: Vec<Sourced<'a, NetworkInterface>>,
    endpoints: Vec<Sourced<'a, VpcEndpoint>>,
    nats: Vec<Sourced<'a, NatGateway>>,
    vpcs: Vec<Sourced<'a, Vpc>>,
    subnets: Vec<Sourced<'a, Subnet>>,
    route_tables: Vec<Sourced<'a, RouteTable>>,
    elastic_ips: Vec<Sourced<'a, ElasticIp>>,
    /// Region of each VPC, read from the zones of its subnets and ENIs.
    vpc_region: HashMap<&'a str, String>,
    /// Region of each subnet, read from its zone.
    subnet_region: HashMap<&'a str, String>,
    /// Zone of each subnet.
    subnet_zone: HashMap<&'a str, &'a str>,
    /// ENI -> the endpoint listing it in `NetworkInterfaceIds`.
    eni_endpoint: HashMap<&'a str, &'a str>,
    /// ENI -> the NAT gateway listing it in `NatGatewayAddresses`.
    eni_nat: HashMap<&'a str, &'a str>,
    /// Subnet -> its explicitly associated route table.
    subnet_table: HashMap<&'a str, &'a str>,
    /// VPC -> its main route table.
    main_table: HashMap<&'a str, &'a str>,
}

/// The resources of `pick` in every file, each id once (the first seen).
fn unique<'a, T>(
    docs: &'a [LoadedDoc],
    pick: impl Fn(&'a Document) -> Option<&'a Vec<T>>,
    id: impl Fn(&'a T) -> Option<&'a str>,
) -> Vec<Sourced<'a, T>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for loaded in docs {
        for item in pick(&loaded.doc).into_iter().flatten() {
            if id(item).is_none_or(|id| seen.insert(id)) {
                out.push((loaded, item));
            }
        }
    }
    out
}

/// Whether an association state means "in use": `associated`, or no state given.
fn current(state: Option<&StateHolder>) -> bool {
    state
        .and_then(|s| s.state.as_deref())
        .is_none_or(|s| normalise_enum(s) == "associated")
}

impl<'a> Estate<'a> {
    fn new(docs: &'a [LoadedDoc], default_region: Option<&'a str>) -> Estate<'a> {
        let enis = unique(
            docs,
            |d| d.network_interfaces.as_ref(),
            |e| e.network_interface_id.as_deref(),
        );
        let endpoints = unique(
            docs,
            |d| d.vpc_endpoints.as_ref(),
            |e| e.vpc_endpoint_id.as_deref(),
        );
        let nats = unique(
            docs,
            |d| d.nat_gateways.as_ref(),
            |n| n.nat_gateway_id.as_deref(),
        );
        let vpcs = unique(docs, |d| d.vpcs.as_ref(), |v| v.vpc_id.as_deref());
        let subnets = unique(docs, |d| d.subnets.as_ref(), |s| s.subnet_id.as_deref());
        let route_tables = unique(
            docs,
            |d| d.route_tables.as_ref(),
            |t| t.route_table_id.as_deref(),
        );
        let elastic_ips = unique(
            docs,
            |d| d.addresses.as_ref(),
            |a| a.allocation_id.as_deref().or(a.public_ip.as_deref()),
        );
        let subnet_zone = subnets
            .iter()
            .filter_map(|(_, s)| Some((s.subnet_id.as_deref()?, s.availability_zone.as_deref()?)))
            .collect();

        let mut vpc_region = HashMap::new();
        let mut subnet_region = HashMap::new();
        for (_, s) in &subnets {
            if let Some(region) = s.availability_zone.as_deref().and_then(region_from_az) {
                if let Some(vpc) = s.vpc_id.as_deref() {
                    vpc_region.entry(vpc).or_insert_with(|| region.clone());
                }
                if let Some(subnet) = s.subnet_id.as_deref() {
                    subnet_region.insert(subnet, region);
                }
            }
        }
        for (_, e) in &enis {
            if let (Some(vpc), Some(region)) = (
                e.vpc_id.as_deref(),
                e.availability_zone.as_deref().and_then(region_from_az),
            ) {
                vpc_region.entry(vpc).or_insert(region);
            }
        }

        let mut eni_endpoint = HashMap::new();
        for (_, ep) in &endpoints {
            if let Some(id) = ep.vpc_endpoint_id.as_deref() {
                for eni in &ep.network_interface_ids {
                    eni_endpoint.entry(eni.as_str()).or_insert(id);
                }
            }
        }
        let mut eni_nat = HashMap::new();
        for (_, nat) in &nats {
            if let Some(id) = nat.nat_gateway_id.as_deref() {
                for address in &nat.nat_gateway_addresses {
                    if let Some(eni) = address.network_interface_id.as_deref() {
                        eni_nat.entry(eni).or_insert(id);
                    }
                }
            }
        }

        let mut subnet_table = HashMap::new();
        let mut main_table = HashMap::new();
        for (_, table) in &route_tables {
            let Some(id) = table.route_table_id.as_deref() else {
                continue;
            };
            for a in &table.associations {
                if !current(a.association_state.as_ref()) {
                    continue;
                }
                if let Some(subnet) = a.subnet_id.as_deref() {
                    subnet_table.entry(subnet).or_insert(id);
                }
                if a.main == Some(true)
                    && let Some(vpc) = table.vpc_id.as_deref()
                {
                    main_table.entry(vpc).or_insert(id);
                }
            }
        }

        Estate {
            default_region,
            docs,
            enis,
            endpoints,
            nats,
            vpcs,
            subnets,
            route_tables,
            elastic_ips,
            vpc_region,
            subnet_region,
            subnet_zone,
            eni_endpoint,
            eni_nat,
            subnet_table,
            main_table,
        }
    }

    /// The region of a resource: its zone's, else its VPC's (from the VPC's zones), else the
    /// file path's, else `fallback` (a region named by the resource itself), else the default.
    fn region(
        &self,
        file: &LoadedDoc,
        az: Option<&str>,
        vpc: Option<&str>,
        fallback: Option<String>,
    ) -> Option<String> {
        az.and_then(region_from_az)
            .or_else(|| vpc.and_then(|v| self.vpc_region.get(v).cloned()))
            .or_else(|| file.region.clone())
            .or(fallback)
            .or_else(|| self.default_region.map(str::to_string))
    }

    /// Role, endpoint id and NAT gateway id of an ENI: from the endpoint and NAT gateway lists
    /// first, then `InterfaceType`, then the description, then an instance attachment.
    fn eni_role(&self, eni: &NetworkInterface) -> EniRole {
        let id = eni.network_interface_id.as_deref().unwrap_or_default();
        let description = eni.description.as_deref().unwrap_or_default();
        let listed_endpoint = self.eni_endpoint.get(id).map(|s| s.to_string());
        let listed_nat = self.eni_nat.get(id).map(|s| s.to_string());
        let described_endpoint = id_after(description, "VPC Endpoint Interface ", "vpce-");
        let described_nat = id_after(description, "Interface for NAT Gateway ", "nat-");
        let described_tgw = id_after(
            description,
            "Network Interface for Transit Gateway Attachment ",
            "tgw-attach-",
        );
        let interface_type = eni.interface_type.as_deref().map(normalise_enum);
        let role = if listed_endpoint.is_some() {
            "vpc_endpoint"
        } else if listed_nat.is_some() {
            "nat_gateway"
        } else {
            match interface_type.as_deref() {
                Some("vpc_endpoint" | "gateway_load_balancer_endpoint") => "vpc_endpoint",
                Some("nat_gateway" | "regional_nat_gateway") => "nat_gateway",
                Some("transit_gateway") => "transit_gateway",
                _ if described_endpoint.is_some() => "vpc_endpoint",
                _ if described_nat.is_some() => "nat_gateway",
                _ if described_tgw.is_some() => "transit_gateway",
                _ if eni
                    .attachment
                    .as_ref()
                    .is_some_and(|a| a.instance_id.is_some()) =>
                {
                    "instance"
                }
                _ => "other",
            }
        };
        EniRole {
            role,
            endpoint_id: (role == "vpc_endpoint")
                .then(|| listed_endpoint.or(described_endpoint))
                .flatten(),
            nat_gateway_id: (role == "nat_gateway")
                .then(|| listed_nat.or(described_nat))
                .flatten(),
            interface_type,
        }
    }

    fn enis(&self) -> Result<RecordBatch> {
        let roles: Vec<EniRole> = self.enis.iter().map(|(_, e)| self.eni_role(e)).collect();
        let regions: Vec<Option<String>> = self
            .enis
            .iter()
            .map(|(f, e)| self.region(f, e.availability_zone.as_deref(), e.vpc_id.as_deref(), None))
            .collect();
        let resources: Vec<_> = self
            .enis
            .iter()
            .zip(&roles)
            .map(|((_, e), r)| {
                let own_id = match r.role {
                    "instance" => e.attachment.as_ref().and_then(|a| a.instance_id.as_deref()),
                    _ => r.endpoint_id.as_deref().or(r.nat_gateway_id.as_deref()),
                };
                eni_resource(
                    e.network_interface_id.as_deref(),
                    r.role,
                    own_id,
                    r.interface_type.as_deref(),
                    e.description.as_deref(),
                )
            })
            .collect();
        let e = || self.enis.iter().map(|(_, e)| *e);
        batch(vec![
            (
                "eni_id",
                utf8(e().map(|e| e.network_interface_id.as_deref())),
            ),
            ("vpc_id", utf8(e().map(|e| e.vpc_id.as_deref()))),
            ("subnet_id", utf8(e().map(|e| e.subnet_id.as_deref()))),
            (
                "availability_zone",
                utf8(e().map(|e| e.availability_zone.as_deref())),
            ),
            (
                "az_id",
                utf8(e().map(|e| e.availability_zone_id.as_deref())),
            ),
            ("region", utf8(regions.iter().map(Option::as_deref))),
            ("account_id", utf8(e().map(|e| e.owner_id.as_deref()))),
            (
                "interface_type",
                utf8(roles.iter().map(|r| r.interface_type.as_deref())),
            ),
            ("description", utf8(e().map(|e| e.description.as_deref()))),
            (
                "requester_managed",
                booleans(e().map(|e| e.requester_managed)),
            ),
            ("requester_id", utf8(e().map(|e| e.requester_id.as_deref()))),
            (
                "resource_type",
                utf8(resources.iter().map(|r| Some(r.kind.as_str()))),
            ),
            (
                "resource_id",
                utf8(resources.iter().map(|r| r.id.as_deref())),
            ),
            (
                "instance_id",
                utf8(e().map(|e| e.attachment.as_ref().and_then(|a| a.instance_id.as_deref()))),
            ),
            (
                "public_ip",
                utf8(e().map(|e| e.association.as_ref().and_then(|a| a.public_ip.as_deref()))),
            ),
            ("role", utf8(roles.iter().map(|r| Some(r.role)))),
            (
                "endpoint_id",
                utf8(roles.iter().map(|r| r.endpoint_id.as_deref())),
            ),
            (
                "nat_gateway_id",
                utf8(roles.iter().map(|r| r.nat_gateway_id.as_deref())),
            ),
            (
                "source_file",
                utf8(self.enis.iter().map(|(f, _)| Some(f.name.as_str()))),
            ),
        ])
    }

    fn eni_addresses(&self) -> Result<RecordBatch> {
        let mut rows: Vec<AddressRow> = Vec::new();
        for (_, eni) in &self.enis {
            let role = self.eni_role(eni);
            for address in addresses_of(eni) {
                rows.push(AddressRow {
                    eni_id: eni.network_interface_id.clone(),
                    vpc_id: eni.vpc_id.clone(),
                    address: address.address,
                    family: address.family,
                    is_primary: address.is_primary,
                    public_ip: address.public_ip,
                    public_ip_owner: address.public_ip_owner,
                    role: role.role,
                    endpoint_id: role.endpoint_id.clone(),
                    nat_gateway_id: role.nat_gateway_id.clone(),
                });
            }
        }
        batch(vec![
            ("eni_id", utf8(rows.iter().map(|r| r.eni_id.as_deref()))),
            ("vpc_id", utf8(rows.iter().map(|r| r.vpc_id.as_deref()))),
            (
                "address",
                utf8(rows.iter().map(|r| Some(r.address.as_str()))),
            ),
            ("family", utf8(rows.iter().map(|r| Some(r.family)))),
            (
                "is_primary",
                booleans(rows.iter().map(|r| Some(r.is_primary))),
            ),
            (
                "public_ip",
                utf8(rows.iter().map(|r| r.public_ip.as_deref())),
            ),
            (
                "public_ip_owner",
                utf8(rows.iter().map(|r| r.public_ip_owner.as_deref())),
            ),
            ("role", utf8(rows.iter().map(|r| Some(r.role)))),
            (
                "endpoint_id",
                utf8(rows.iter().map(|r| r.endpoint_id.as_deref())),
            ),
            (
                "nat_gateway_id",
                utf8(rows.iter().map(|r| r.nat_gateway_id.as_deref())),
            ),
        ])
    }

    fn vpc_endpoints(&self) -> Result<RecordBatch> {
        let regions: Vec<Option<String>> = self
            .endpoints
            .iter()
            .map(|(f, ep)| {
                let named = ep
                    .service_name
                    .as_deref()
                    .and_then(split_at_region)
                    .map(|(region, _)| region.to_string());
                self.region(f, None, ep.vpc_id.as_deref(), named)
            })
            .collect();
        let policies: Vec<Policy> = self
            .endpoints
            .iter()
            .map(|(_, e)| endpoint_policy(e.policy_document.as_deref()))
            .collect();
        let e = || self.endpoints.iter().map(|(_, e)| *e);
        batch(vec![
            (
                "endpoint_id",
                utf8(e().map(|e| e.vpc_endpoint_id.as_deref())),
            ),
            (
                "endpoint_type",
                utf8_owned(e().map(|e| e.vpc_endpoint_type.as_deref().map(normalise_enum))),
            ),
            ("vpc_id", utf8(e().map(|e| e.vpc_id.as_deref()))),
            ("service_name", utf8(e().map(|e| e.service_name.as_deref()))),
            (
                "service",
                utf8_owned(e().map(|e| e.service_name.as_deref().and_then(service_of))),
            ),
            (
                "state",
                utf8_owned(e().map(|e| e.state.as_deref().map(normalise_enum))),
            ),
            ("region", utf8(regions.iter().map(Option::as_deref))),
            ("account_id", utf8(e().map(|e| e.owner_id.as_deref()))),
            ("subnet_ids", lists(e().map(|e| e.subnet_ids.as_slice()))),
            (
                "eni_ids",
                lists(e().map(|e| e.network_interface_ids.as_slice())),
            ),
            (
                "route_table_ids",
                lists(e().map(|e| e.route_table_ids.as_slice())),
            ),
            (
                "az_count",
                int32(e().map(|e| Some(i32::try_from(e.subnet_ids.len()).unwrap_or(i32::MAX)))),
            ),
            (
                "created",
                timestamps(e().map(|e| e.creation_timestamp.as_deref().and_then(millis))),
            ),
            (
                "private_dns_enabled",
                booleans(e().map(|e| e.private_dns_enabled)),
            ),
            (
                "ip_ranges_service",
                utf8(e().map(|e| {
                    let service = e.service_name.as_deref().and_then(service_of)?;
                    ip_ranges_service(&service)
                })),
            ),
            (
                "policy_document",
                utf8(e().map(|e| e.policy_document.as_deref())),
            ),
            (
                "policy_allows_all",
                booleans(policies.iter().map(|p| match p {
                    Policy::Unknown => None,
                    Policy::AllowsAll(_) => Some(true),
                    Policy::Restricts => Some(false),
                })),
            ),
            (
                "policy_open_statement",
                utf8(policies.iter().map(|p| match p {
                    Policy::AllowsAll(statement) => Some(statement.as_str()),
                    _ => None,
                })),
            ),
        ])
    }

    fn nat_gateways(&self) -> Result<RecordBatch> {
        let regions: Vec<Option<String>> = self
            .nats
            .iter()
            .map(|(f, nat)| {
                let az = nat
                    .nat_gateway_addresses
                    .iter()
                    .find_map(|a| a.availability_zone.as_deref());
                let of_subnet = || {
                    nat.subnet_id
                        .as_deref()
                        .and_then(|s| self.subnet_region.get(s).cloned())
                };
                az.and_then(region_from_az)
                    .or_else(of_subnet)
                    .or_else(|| self.region(f, None, nat.vpc_id.as_deref(), None))
            })
            .collect();
        let eni_ids: Vec<Option<&str>> = self
            .nats
            .iter()
            .map(|(_, nat)| {
                let addresses = &nat.nat_gateway_addresses;
                addresses
                    .iter()
                    .find(|a| a.is_primary == Some(true) && a.network_interface_id.is_some())
                    .or_else(|| addresses.iter().find(|a| a.network_interface_id.is_some()))
                    .and_then(|a| a.network_interface_id.as_deref())
            })
            .collect();
        let addresses = |pick: fn(&NatGatewayAddress) -> Option<&str>| -> Vec<Vec<String>> {
            self.nats
                .iter()
                .map(|(_, nat)| distinct(nat.nat_gateway_addresses.iter().map(pick)))
                .collect()
        };
        let private_ips = addresses(|a| a.private_ip.as_deref());
        let public_ips = addresses(|a| a.public_ip.as_deref());
        // A zonal gateway's zone is its subnet's; a regional one's, those of its addresses; and
        // either is in the zones of its ENIs.
        let eni_zone: HashMap<&str, &str> = self
            .enis
            .iter()
            .filter_map(|(_, e)| {
                Some((
                    e.network_interface_id.as_deref()?,
                    e.availability_zone.as_deref()?,
                ))
            })
            .collect();
        let zones: Vec<Vec<String>> = self
            .nats
            .iter()
            .map(|(_, nat)| {
                let of_subnet = nat
                    .subnet_id
                    .as_deref()
                    .and_then(|s| self.subnet_zone.get(s).copied());
                let of_addresses = nat.nat_gateway_addresses.iter().flat_map(|a| {
                    let of_eni = a
                        .network_interface_id
                        .as_deref()
                        .and_then(|e| eni_zone.get(e).copied());
                    [a.availability_zone.as_deref(), of_eni]
                });
                let mut zones = distinct(of_addresses.chain(std::iter::once(of_subnet)));
                zones.sort();
                zones
            })
            .collect();
        let n = || self.nats.iter().map(|(_, n)| *n);
        batch(vec![
            (
                "nat_gateway_id",
                utf8(n().map(|n| n.nat_gateway_id.as_deref())),
            ),
            ("vpc_id", utf8(n().map(|n| n.vpc_id.as_deref()))),
            ("subnet_id", utf8(n().map(|n| n.subnet_id.as_deref()))),
            (
                "state",
                utf8_owned(n().map(|n| n.state.as_deref().map(normalise_enum))),
            ),
            (
                "connectivity_type",
                utf8_owned(n().map(|n| {
                    Some(
                        n.connectivity_type
                            .as_deref()
                            .map_or_else(|| "public".into(), normalise_enum),
                    )
                })),
            ),
            (
                "availability_mode",
                utf8_owned(n().map(|n| {
                    Some(
                        n.availability_mode
                            .as_deref()
                            .map_or_else(|| "zonal".into(), normalise_enum),
                    )
                })),
            ),
            ("region", utf8(regions.iter().map(Option::as_deref))),
            ("eni_id", utf8(eni_ids.iter().copied())),
            ("private_ips", lists(private_ips.iter().map(Vec::as_slice))),
            ("public_ips", lists(public_ips.iter().map(Vec::as_slice))),
            (
                "created",
                timestamps(n().map(|n| n.create_time.as_deref().and_then(millis))),
            ),
            ("availability_zones", lists(zones.iter().map(Vec::as_slice))),
            (
                "az_count",
                int32(zones.iter().map(|z| i32::try_from(z.len()).ok())),
            ),
        ])
    }

    fn vpc_regions(&self) -> Vec<Option<String>> {
        self.vpcs
            .iter()
            .map(|(f, v)| self.region(f, None, v.vpc_id.as_deref(), None))
            .collect()
    }

    fn vpcs(&self) -> Result<RecordBatch> {
        let regions = self.vpc_regions();
        let v = || self.vpcs.iter().map(|(_, v)| *v);
        batch(vec![
            ("vpc_id", utf8(v().map(|v| v.vpc_id.as_deref()))),
            ("account_id", utf8(v().map(|v| v.owner_id.as_deref()))),
            ("region", utf8(regions.iter().map(Option::as_deref))),
            ("cidr_block", utf8(v().map(|v| v.cidr_block.as_deref()))),
            ("is_default", booleans(v().map(|v| v.is_default))),
            (
                "state",
                utf8_owned(v().map(|v| v.state.as_deref().map(normalise_enum))),
            ),
        ])
    }

    fn vpc_cidrs(&self) -> Result<RecordBatch> {
        let regions = self.vpc_regions();
        let mut seen: HashSet<(Option<&str>, &str)> = HashSet::new();
        // (vpc_id, cidr, family, region)
        let mut rows: Vec<(Option<&str>, &str, &'static str, Option<&str>)> = Vec::new();
        for ((_, vpc), region) in self.vpcs.iter().zip(&regions) {
            let vpc_id = vpc.vpc_id.as_deref();
            let v4 = vpc.cidr_block.as_deref().into_iter().chain(
                vpc.cidr_block_association_set
                    .iter()
                    .filter(|a| current(a.cidr_block_state.as_ref()))
                    .filter_map(|a| a.cidr_block.as_deref()),
            );
            let v6 = vpc
                .ipv6_cidr_block_association_set
                .iter()
                .filter(|a| current(a.ipv6_cidr_block_state.as_ref()))
                .filter_map(|a| a.ipv6_cidr_block.as_deref());
            let all = v4.map(|c| (c, "ipv4")).chain(v6.map(|c| (c, "ipv6")));
            for (cidr, family) in all {
                if seen.insert((vpc_id, cidr)) {
                    rows.push((vpc_id, cidr, family, region.as_deref()));
                }
            }
        }
        batch(vec![
            ("vpc_id", utf8(rows.iter().map(|r| r.0))),
            ("cidr", utf8(rows.iter().map(|r| Some(r.1)))),
            ("family", utf8(rows.iter().map(|r| Some(r.2)))),
            ("region", utf8(rows.iter().map(|r| r.3))),
        ])
    }

    fn subnets(&self) -> Result<RecordBatch> {
        let tables_loaded = self.docs.iter().any(|d| d.doc.route_tables.is_some());
        let route_tables: Vec<Option<&str>> = self
            .subnets
            .iter()
            .map(|(_, s)| {
                if !tables_loaded {
                    return None;
                }
                s.subnet_id
                    .as_deref()
                    .and_then(|id| self.subnet_table.get(id))
                    .or_else(|| s.vpc_id.as_deref().and_then(|v| self.main_table.get(v)))
                    .copied()
            })
            .collect();
        let regions: Vec<Option<String>> = self
            .subnets
            .iter()
            .map(|(f, s)| self.region(f, s.availability_zone.as_deref(), s.vpc_id.as_deref(), None))
            .collect();
        let s = || self.subnets.iter().map(|(_, s)| *s);
        batch(vec![
            ("subnet_id", utf8(s().map(|s| s.subnet_id.as_deref()))),
            ("vpc_id", utf8(s().map(|s| s.vpc_id.as_deref()))),
            ("cidr_block", utf8(s().map(|s| s.cidr_block.as_deref()))),
            (
                "ipv6_cidr_block",
                utf8(s().map(|s| {
                    s.ipv6_cidr_block_association_set
                        .iter()
                        .filter(|a| current(a.ipv6_cidr_block_state.as_ref()))
                        .find_map(|a| a.ipv6_cidr_block.as_deref())
                })),
            ),
            (
                "availability_zone",
                utf8(s().map(|s| s.availability_zone.as_deref())),
            ),
            (
                "az_id",
                utf8(s().map(|s| s.availability_zone_id.as_deref())),
            ),
            ("region", utf8(regions.iter().map(Option::as_deref))),
            ("account_id", utf8(s().map(|s| s.owner_id.as_deref()))),
            ("route_table_id", utf8(route_tables.iter().copied())),
        ])
    }

    fn routes(&self) -> Result<RecordBatch> {
        let mut rows: Vec<RouteRow> = Vec::new();
        for (f, table) in &self.route_tables {
            let region = self.region(f, None, table.vpc_id.as_deref(), None);
            for route in &table.routes {
                let (target_type, target_id) = target_of(route);
                rows.push(RouteRow {
                    route_table_id: table.route_table_id.as_deref(),
                    vpc_id: table.vpc_id.as_deref(),
                    region: region.clone(),
                    destination: route
                        .destination_cidr_block
                        .as_deref()
                        .or(route.destination_ipv6_cidr_block.as_deref())
                        .or(route.destination_prefix_list_id.as_deref()),
                    destination_prefix_list_id: route.destination_prefix_list_id.as_deref(),
                    target_type,
                    target_id,
                    state: route.state.as_deref().map(normalise_enum),
                });
            }
        }
        batch(vec![
            (
                "route_table_id",
                utf8(rows.iter().map(|r| r.route_table_id)),
            ),
            ("vpc_id", utf8(rows.iter().map(|r| r.vpc_id))),
            ("region", utf8(rows.iter().map(|r| r.region.as_deref()))),
            ("destination", utf8(rows.iter().map(|r| r.destination))),
            (
                "destination_prefix_list_id",
                utf8(rows.iter().map(|r| r.destination_prefix_list_id)),
            ),
            (
                "target_type",
                utf8(rows.iter().map(|r| Some(r.target_type))),
            ),
            ("target_id", utf8(rows.iter().map(|r| r.target_id))),
            ("state", utf8(rows.iter().map(|r| r.state.as_deref()))),
        ])
    }

    fn route_table_associations(&self) -> Result<RecordBatch> {
        let mut rows: Vec<AssociationRow> = Vec::new();
        for (_, table) in &self.route_tables {
            for a in &table.associations {
                let main = a.main == Some(true);
                // Gateway (edge) associations name no subnet and are not the main table.
                if !current(a.association_state.as_ref()) || (a.subnet_id.is_none() && !main) {
                    continue;
                }
                rows.push(AssociationRow {
                    route_table_id: table.route_table_id.as_deref(),
                    vpc_id: table.vpc_id.as_deref(),
                    subnet_id: a.subnet_id.as_deref(),
                    main,
                });
            }
        }
        batch(vec![
            (
                "route_table_id",
                utf8(rows.iter().map(|r| r.route_table_id)),
            ),
            ("vpc_id", utf8(rows.iter().map(|r| r.vpc_id))),
            ("subnet_id", utf8(rows.iter().map(|r| r.subnet_id))),
            ("main", booleans(rows.iter().map(|r| Some(r.main)))),
        ])
    }

    fn elastic_ips(&self) -> Result<RecordBatch> {
        let regions: Vec<Option<String>> = self
            .elastic_ips
            .iter()
            .map(|(f, a)| {
                let border = a.network_border_group.as_deref();
                let named = border.filter(|b| is_region(b)).map(str::to_string);
                self.region(f, None, None, named)
            })
            .collect();
        let a = || self.elastic_ips.iter().map(|(_, a)| *a);
        // Some EC2-compatible servers write "" for the members of an unassociated address.
        let given = |v: &'a Option<String>| v.as_deref().filter(|v| !v.is_empty());
        batch(vec![
            ("public_ip", utf8(a().map(|a| given(&a.public_ip)))),
            ("allocation_id", utf8(a().map(|a| given(&a.allocation_id)))),
            (
                "association_id",
                utf8(a().map(|a| given(&a.association_id))),
            ),
            ("eni_id", utf8(a().map(|a| given(&a.network_interface_id)))),
            (
                "private_ip",
                utf8(a().map(|a| given(&a.private_ip_address))),
            ),
            ("instance_id", utf8(a().map(|a| given(&a.instance_id)))),
            (
                "domain",
                utf8_owned(a().map(|a| a.domain.as_deref().map(normalise_enum))),
            ),
            ("region", utf8(regions.iter().map(Option::as_deref))),
            (
                "source_file",
                utf8(self.elastic_ips.iter().map(|(f, _)| Some(f.name.as_str()))),
            ),
        ])
    }

    fn prefix_lists(&self) -> Result<RecordBatch> {
        let lists: Vec<(&LoadedDoc, &PrefixList)> = self
            .docs
            .iter()
            .flat_map(|d| d.doc.prefix_lists.iter().flatten().map(move |l| (d, l)))
            .collect();
        let by_id: HashMap<&str, &PrefixList> = lists
            .iter()
            .rev()
            .filter_map(|(_, l)| l.prefix_list_id.as_deref().map(|id| (id, *l)))
            .collect();
        let region_of = |file: &LoadedDoc, list: Option<&PrefixList>| {
            let name = list.and_then(|l| l.prefix_list_name.as_deref());
            let arn = list.and_then(|l| l.prefix_list_arn.as_deref());
            // The ARN is the list's own; a name only looks like `com.amazonaws.<region>.…`.
            arn.and_then(region_of_arn)
                .or_else(|| {
                    name.and_then(split_at_region)
                        .map(|(region, _)| region.to_string())
                })
                .or_else(|| file.region.clone())
                .or_else(|| self.default_region.map(str::to_string))
        };

        let mut seen: HashSet<(Option<&str>, &str)> = HashSet::new();
        let mut rows: Vec<PrefixListRow> = Vec::new();
        for (file, list) in &lists {
            let id = list.prefix_list_id.as_deref();
            for cidr in &list.cidrs {
                if seen.insert((id, cidr)) {
                    rows.push(PrefixListRow {
                        id,
                        name: list.prefix_list_name.as_deref(),
                        region: region_of(file, Some(list)),
                        cidr,
                    });
                }
            }
        }
        for file in self.docs {
            let (Some(entries), Some(id)) = (&file.doc.entries, file.doc.prefix_list_id.as_deref())
            else {
                continue;
            };
            let list = by_id.get(id).copied();
            let region = region_of(file, list);
            for cidr in entries.iter().filter_map(|e| e.cidr.as_deref()) {
                if seen.insert((Some(id), cidr)) {
                    rows.push(PrefixListRow {
                        id: Some(id),
                        name: list.and_then(|l| l.prefix_list_name.as_deref()),
                        region: region.clone(),
                        cidr,
                    });
                }
            }
        }
        batch(vec![
            ("prefix_list_id", utf8(rows.iter().map(|r| r.id))),
            ("prefix_list_name", utf8(rows.iter().map(|r| r.name))),
            ("region", utf8(rows.iter().map(|r| r.region.as_deref()))),
            ("cidr", utf8(rows.iter().map(|r| Some(r.cidr)))),
        ])
    }
}

/// What an ENI is, as far as the inventory tells.
struct EniRole {
    role: &'static str,
    endpoint_id: Option<String>,
    nat_gateway_id: Option<String>,
    interface_type: Option<String>,
}

struct AddressRow {
    eni_id: Option<String>,
    vpc_id: Option<String>,
    address: String,
    family: &'static str,
    is_primary: bool,
    public_ip: Option<String>,
    public_ip_owner: Option<String>,
    role: &'static str,
    endpoint_id: Option<String>,
    nat_gateway_id: Option<String>,
}

struct RouteRow<'a> {
    route_table_id: Option<&'a str>,
    vpc_id: Option<&'a str>,
    region: Option<String>,
    destination: Option<&'a str>,
    destination_prefix_list_id: Option<&'a str>,
    target_type: &'static str,
    target_id: Option<&'a str>,
    state: Option<String>,
}

struct AssociationRow<'a> {
    route_table_id: Option<&'a str>,
    vpc_id: Option<&'a str>,
    subnet_id: Option<&'a str>,
    main: bool,
}

struct PrefixListRow<'a> {
    id: Option<&'a str>,
    name: Option<&'a str>,
    region: Option<String>,
    cidr: &'a str,
}

/// One address of an ENI.
struct Address {
    address: String,
    family: &'static str,
    is_primary: bool,
    public_ip: Option<String>,
    /// `amazon` for a public address AWS assigned, else the elastic IP's account.
    public_ip_owner: Option<String>,
}

/// The canonical text of an address (`2001:DB8::0:1` -> `2001:db8::1`), or the text as given
/// when it does not parse.
fn canonical(address: &str) -> String {
    let trimmed = address.trim();
    trimmed
        .parse::<IpAddr>()
        .map_or_else(|_| trimmed.to_string(), |ip| ip.to_string())
}

/// Every address of an ENI, once each: `PrivateIpAddresses` and `PrivateIpAddress` (IPv4),
/// `Ipv6Addresses` and `Ipv6Address` (IPv6).
fn addresses_of(eni: &NetworkInterface) -> Vec<Address> {
    let mut out: Vec<Address> = Vec::new();
    let mut add =
        |text: &str, family: &'static str, is_primary: bool, public: Option<&Association>| {
            let address = canonical(text);
            if address.is_empty() {
                return;
            }
            let public = public.filter(|a| a.public_ip.is_some());
            let public_ip = public.and_then(|a| a.public_ip.clone());
            let public_ip_owner = public.and_then(|a| a.ip_owner_id.clone());
            match out.iter_mut().find(|a| a.address == address) {
                Some(known) => {
                    known.is_primary |= is_primary;
                    if known.public_ip.is_none() {
                        known.public_ip = public_ip;
                        known.public_ip_owner = public_ip_owner;
                    }
                }
                None => out.push(Address {
                    address,
                    family,
                    is_primary,
                    public_ip,
                    public_ip_owner,
                }),
            }
        };
    for p in &eni.private_ip_addresses {
        if let Some(address) = p.private_ip_address.as_deref() {
            add(
                address,
                "ipv4",
                p.primary == Some(true),
                p.association.as_ref(),
            );
        }
    }
    if let Some(address) = eni.private_ip_address.as_deref() {
        add(address, "ipv4", true, eni.association.as_ref());
    }
    for p in &eni.ipv6_addresses {
        if let Some(address) = p.ipv6_address.as_deref() {
            add(address, "ipv6", p.is_primary_ipv6 == Some(true), None);
        }
    }
    if let Some(address) = eni.ipv6_address.as_deref() {
        add(address, "ipv6", true, None);
    }
    out
}

/// The target of a route: its type (`local`, `igw`, `nat`, `vpce`, …) and id.
fn target_of(route: &super::aws::Route) -> (&'static str, Option<&str>) {
    if let Some(gateway) = route.gateway_id.as_deref() {
        let lower = gateway.to_ascii_lowercase();
        let kind = if lower == "local" {
            "local"
        } else if lower.starts_with("igw-") {
            "igw"
        } else if lower.starts_with("vpce-") {
            "vpce"
        } else if lower.starts_with("vgw-") {
            "vgw"
        } else if lower.starts_with("eigw-") {
            "eigw"
        } else {
            "other"
        };
        return (kind, Some(gateway));
    }
    let targets = [
        ("nat", route.nat_gateway_id.as_deref()),
        ("tgw", route.transit_gateway_id.as_deref()),
        ("pcx", route.vpc_peering_connection_id.as_deref()),
        ("eigw", route.egress_only_internet_gateway_id.as_deref()),
        ("lgw", route.local_gateway_id.as_deref()),
        ("cgw", route.carrier_gateway_id.as_deref()),
        ("core_network", route.core_network_arn.as_deref()),
        ("eni", route.network_interface_id.as_deref()),
        ("instance", route.instance_id.as_deref()),
    ];
    targets
        .into_iter()
        .find_map(|(kind, id)| id.map(|id| (kind, Some(id))))
        .unwrap_or(("other", None))
}

/// The distinct non-empty values, in order.
fn distinct<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values.flatten() {
        if !value.is_empty() && !out.iter().any(|v| v == value) {
            out.push(value.to_string());
        }
    }
    out
}

/// Milliseconds since the epoch of an ISO-8601 time, with or without fractional seconds;
/// without an offset, UTC.
fn millis(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

fn aws_ip_ranges(ip_ranges: Option<&IpRanges>) -> Result<RecordBatch> {
    let ranges = ip_ranges.map_or(&[][..], |r| r.ranges.as_slice());
    let prefixes: Vec<String> = ranges.iter().map(|r| r.prefix.to_string()).collect();
    batch(vec![
        ("prefix", utf8(prefixes.iter().map(|p| Some(p.as_str())))),
        (
            "family",
            utf8(ranges.iter().map(|r| {
                Some(match r.prefix {
                    IpNet::V4(_) => "ipv4",
                    IpNet::V6(_) => "ipv6",
                })
            })),
        ),
        (
            "region",
            utf8(ranges.iter().map(|r| Some(r.region.as_str()))),
        ),
        (
            "network_border_group",
            utf8(ranges.iter().map(|r| Some(r.network_border_group.as_str()))),
        ),
        (
            "service",
            utf8(ranges.iter().map(|r| Some(r.service.as_str()))),
        ),
    ])
}

/// A batch of nullable columns named as given.
fn batch(columns: Vec<(&'static str, ArrayRef)>) -> Result<RecordBatch> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
        .collect();
    let arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, array)| array).collect();
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

fn utf8<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

fn utf8_owned(values: impl Iterator<Item = Option<String>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

fn booleans(values: impl Iterator<Item = Option<bool>>) -> ArrayRef {
    Arc::new(values.collect::<BooleanArray>())
}

fn int32(values: impl Iterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(values.collect::<Int32Array>())
}

fn timestamps(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(
        values
            .collect::<TimestampMillisecondArray>()
            .with_timezone("UTC"),
    )
}

fn lists<'a>(values: impl Iterator<Item = &'a [String]>) -> ArrayRef {
    let mut builder = ListBuilder::new(StringBuilder::new());
    for list in values {
        for value in list {
            builder.values().append_value(value);
        }
        builder.append(true);
    }
    Arc::new(builder.finish())
}
