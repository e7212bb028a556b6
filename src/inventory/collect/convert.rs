//! The AWS SDK's EC2 types as the [`aws`](crate::inventory::aws) structs the loader reads, so
//! that a collected file holds what `aws ec2 describe-*` prints for the members vpcflow uses.

use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ec2::types as sdk;

use crate::inventory::aws::{
    Address, Association, Attachment, CidrBlockAssociation, Ipv6Address, Ipv6CidrBlockAssociation,
    NatGateway, NatGatewayAddress, NetworkInterface, PrefixList, PrefixListEntry, PrivateIpAddress,
    Route, RouteTable, RouteTableAssociation, StateHolder, Subnet, Vpc, VpcEndpoint,
};

fn text(value: Option<&str>) -> Option<String> {
    value.map(str::to_string)
}

/// An SDK enumeration as the wire value the CLI prints (`nat_gateway`, `available`, …).
fn wire<T: AsRef<str>>(value: Option<&T>) -> Option<String> {
    value.map(|v| v.as_ref().to_string())
}

/// A timestamp as ISO-8601 (`2025-01-20T10:00:00Z`), as the CLI prints it.
fn time(value: Option<&DateTime>) -> Option<String> {
    value.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
}

fn strings(values: &[String]) -> Vec<String> {
    values.to_vec()
}

fn state(value: Option<String>) -> Option<StateHolder> {
    value.map(|state| StateHolder { state: Some(state) })
}

/// An IPv6 block of a VPC or a subnet (the SDK has a type for each) and its state.
fn ipv6_block<T: AsRef<str>>(
    block: Option<&str>,
    block_state: Option<&T>,
) -> Ipv6CidrBlockAssociation {
    Ipv6CidrBlockAssociation {
        ipv6_cidr_block: text(block),
        ipv6_cidr_block_state: state(wire(block_state)),
    }
}

fn association(a: Option<&sdk::NetworkInterfaceAssociation>) -> Option<Association> {
    a.map(|a| Association {
        public_ip: text(a.public_ip()),
        ip_owner_id: text(a.ip_owner_id()),
    })
}

/// `describe-network-interfaces`.
pub fn network_interface(n: &sdk::NetworkInterface) -> NetworkInterface {
    NetworkInterface {
        network_interface_id: text(n.network_interface_id()),
        vpc_id: text(n.vpc_id()),
        subnet_id: text(n.subnet_id()),
        availability_zone: text(n.availability_zone()),
        availability_zone_id: text(n.availability_zone_id()),
        owner_id: text(n.owner_id()),
        interface_type: wire(n.interface_type()),
        description: text(n.description()),
        requester_managed: n.requester_managed(),
        requester_id: text(n.requester_id()),
        attachment: n.attachment().map(|a| Attachment {
            instance_id: text(a.instance_id()),
        }),
        association: association(n.association()),
        private_ip_address: text(n.private_ip_address()),
        private_ip_addresses: n
            .private_ip_addresses()
            .iter()
            .map(|p| PrivateIpAddress {
                private_ip_address: text(p.private_ip_address()),
                primary: p.primary(),
                association: association(p.association()),
            })
            .collect(),
        ipv6_addresses: n
            .ipv6_addresses()
            .iter()
            .map(|a| Ipv6Address {
                ipv6_address: text(a.ipv6_address()),
                is_primary_ipv6: a.is_primary_ipv6(),
            })
            .collect(),
        ipv6_address: text(n.ipv6_address()),
    }
}

/// `describe-vpc-endpoints`.
pub fn vpc_endpoint(e: &sdk::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
        vpc_endpoint_id: text(e.vpc_endpoint_id()),
        vpc_endpoint_type: wire(e.vpc_endpoint_type()),
        vpc_id: text(e.vpc_id()),
        service_name: text(e.service_name()),
        state: wire(e.state()),
        owner_id: text(e.owner_id()),
        subnet_ids: strings(e.subnet_ids()),
        network_interface_ids: strings(e.network_interface_ids()),
        route_table_ids: strings(e.route_table_ids()),
        creation_timestamp: time(e.creation_timestamp()),
        policy_document: text(e.policy_document()),
        private_dns_enabled: e.private_dns_enabled(),
    }
}

/// `describe-nat-gateways`.
pub fn nat_gateway(g: &sdk::NatGateway) -> NatGateway {
    NatGateway {
        nat_gateway_id: text(g.nat_gateway_id()),
        vpc_id: text(g.vpc_id()),
        subnet_id: text(g.subnet_id()),
        state: wire(g.state()),
        connectivity_type: wire(g.connectivity_type()),
        availability_mode: wire(g.availability_mode()),
        create_time: time(g.create_time()),
        nat_gateway_addresses: g
            .nat_gateway_addresses()
            .iter()
            .map(|a| NatGatewayAddress {
                network_interface_id: text(a.network_interface_id()),
                private_ip: text(a.private_ip()),
                public_ip: text(a.public_ip()),
                is_primary: a.is_primary(),
                availability_zone: text(a.availability_zone()),
                availability_zone_id: text(a.availability_zone_id()),
            })
            .collect(),
    }
}

/// `describe-vpcs`.
pub fn vpc(v: &sdk::Vpc) -> Vpc {
    Vpc {
        vpc_id: text(v.vpc_id()),
        owner_id: text(v.owner_id()),
        cidr_block: text(v.cidr_block()),
        is_default: v.is_default(),
        state: wire(v.state()),
        cidr_block_association_set: v
            .cidr_block_association_set()
            .iter()
            .map(|c| CidrBlockAssociation {
                cidr_block: text(c.cidr_block()),
                cidr_block_state: state(wire(c.cidr_block_state().and_then(|s| s.state()))),
            })
            .collect(),
        ipv6_cidr_block_association_set: v
            .ipv6_cidr_block_association_set()
            .iter()
            .map(|c| {
                ipv6_block(
                    c.ipv6_cidr_block(),
                    c.ipv6_cidr_block_state().and_then(|s| s.state()),
                )
            })
            .collect(),
    }
}

/// `describe-subnets`.
pub fn subnet(s: &sdk::Subnet) -> Subnet {
    Subnet {
        subnet_id: text(s.subnet_id()),
        vpc_id: text(s.vpc_id()),
        cidr_block: text(s.cidr_block()),
        ipv6_cidr_block_association_set: s
            .ipv6_cidr_block_association_set()
            .iter()
            .map(|c| {
                ipv6_block(
                    c.ipv6_cidr_block(),
                    c.ipv6_cidr_block_state().and_then(|s| s.state()),
                )
            })
            .collect(),
        availability_zone: text(s.availability_zone()),
        availability_zone_id: text(s.availability_zone_id()),
        owner_id: text(s.owner_id()),
    }
}

/// `describe-route-tables`.
pub fn route_table(t: &sdk::RouteTable) -> RouteTable {
    RouteTable {
        route_table_id: text(t.route_table_id()),
        vpc_id: text(t.vpc_id()),
        routes: t.routes().iter().map(route).collect(),
        associations: t
            .associations()
            .iter()
            .map(|a| RouteTableAssociation {
                subnet_id: text(a.subnet_id()),
                main: a.main(),
                gateway_id: text(a.gateway_id()),
                association_state: state(wire(a.association_state().and_then(|s| s.state()))),
            })
            .collect(),
    }
}

fn route(r: &sdk::Route) -> Route {
    Route {
        destination_cidr_block: text(r.destination_cidr_block()),
        destination_ipv6_cidr_block: text(r.destination_ipv6_cidr_block()),
        destination_prefix_list_id: text(r.destination_prefix_list_id()),
        gateway_id: text(r.gateway_id()),
        nat_gateway_id: text(r.nat_gateway_id()),
        transit_gateway_id: text(r.transit_gateway_id()),
        vpc_peering_connection_id: text(r.vpc_peering_connection_id()),
        egress_only_internet_gateway_id: text(r.egress_only_internet_gateway_id()),
        local_gateway_id: text(r.local_gateway_id()),
        carrier_gateway_id: text(r.carrier_gateway_id()),
        core_network_arn: text(r.core_network_arn()),
        network_interface_id: text(r.network_interface_id()),
        instance_id: text(r.instance_id()),
        state: wire(r.state()),
    }
}

/// `describe-prefix-lists` (AWS services' lists, with their CIDRs).
pub fn prefix_list(l: &sdk::PrefixList) -> PrefixList {
    PrefixList {
        prefix_list_id: text(l.prefix_list_id()),
        prefix_list_name: text(l.prefix_list_name()),
        cidrs: strings(l.cidrs()),
        prefix_list_arn: None,
    }
}

/// `describe-managed-prefix-lists` (without CIDRs: those come from the entries).
pub fn managed_prefix_list(l: &sdk::ManagedPrefixList) -> PrefixList {
    PrefixList {
        prefix_list_id: text(l.prefix_list_id()),
        prefix_list_name: text(l.prefix_list_name()),
        cidrs: Vec::new(),
        prefix_list_arn: text(l.prefix_list_arn()),
    }
}

/// `get-managed-prefix-list-entries`.
pub fn prefix_list_entry(e: &sdk::PrefixListEntry) -> PrefixListEntry {
    PrefixListEntry {
        cidr: text(e.cidr()),
    }
}

/// `describe-addresses`.
pub fn address(a: &sdk::Address) -> Address {
    Address {
        public_ip: text(a.public_ip()),
        allocation_id: text(a.allocation_id()),
        association_id: text(a.association_id()),
        network_interface_id: text(a.network_interface_id()),
        private_ip_address: text(a.private_ip_address()),
        instance_id: text(a.instance_id()),
        domain: wire(a.domain()),
        network_border_group: text(a.network_border_group()),
    }
}
