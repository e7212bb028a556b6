//! The estate's inventory as the AWS CLI prints it: `describe-network-interfaces`,
//! `describe-vpc-endpoints`, `describe-nat-gateways`, `describe-vpcs`, `describe-subnets`,
//! `describe-route-tables` and `describe-addresses` JSON per account and region, and the subset
//! of `ip-ranges.json` the estate's public peers come from.

use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::EstateOptions;
use super::estate::{
    ACCOUNT_1, ACCOUNT_2, Dest, Endpoint, Eni, EniKind, Estate, IP_RANGES_V4, IP_RANGES_V6,
    NAT_REQUESTER, Nat, Policy, PublicIp, RDS_REQUESTER, REGION_1, REGION_2, Route, RouteTable,
    SpareEip, Subnet, Target, VPCE_REQUESTER, Vpc,
};
use super::output::Output;
use crate::error::Result;

/// A JSON object with keys in the given order (serde_json sorts them unless `preserve_order`
/// is on; both are deterministic).
fn object(pairs: Vec<(&str, Value)>) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// A `Name` tag list.
fn name_tags(name: &str) -> Value {
    json!([{"Key": "Name", "Value": name}])
}

/// The private DNS name AWS gives `ip` in `region`.
fn private_dns(region: &str, ip: &str) -> String {
    dns_name("ip", region, ip, ("ec2.internal", "compute.internal"))
}

/// The public DNS name AWS gives `ip` in `region`.
fn public_dns(region: &str, ip: &str) -> String {
    dns_name(
        "ec2",
        region,
        ip,
        ("compute-1.amazonaws.com", "compute.amazonaws.com"),
    )
}

/// `<prefix>-a-b-c-d.` followed by the us-east-1 domain, or by the region and the domain of
/// the other regions.
fn dns_name(prefix: &str, region: &str, ip: &str, domains: (&str, &str)) -> String {
    let host = format!("{prefix}-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.{}", domains.0)
    } else {
        format!("{host}.{region}.{}", domains.1)
    }
}

/// The public side of an address: an Elastic IP (with its ids) or an auto-assigned one.
fn association_json(region: &str, owner: &str, p: &PublicIp) -> Value {
    let mut pairs = Vec::new();
    if let Some((alloc, assoc)) = &p.eip {
        pairs.push(("AllocationId", json!(alloc)));
        pairs.push(("AssociationId", json!(assoc)));
        pairs.push(("IpOwnerId", json!(owner)));
    } else {
        pairs.push(("IpOwnerId", json!("amazon")));
    }
    pairs.push(("PublicDnsName", json!(public_dns(region, p.ip))));
    pairs.push(("PublicIp", json!(p.ip)));
    object(pairs)
}

/// The `Attachment` of an instance's, NAT gateway's or database's ENI; endpoint ENIs have
/// none.
fn attachment_json(v: &Vpc, eni: &Eni) -> Option<Value> {
    match &eni.kind {
        EniKind::Instance { instance_id } => Some(json!({
            "AttachTime": v.created,
            "AttachmentId": eni.attachment,
            "DeleteOnTermination": true,
            "DeviceIndex": 0,
            "InstanceId": instance_id,
            "InstanceOwnerId": v.account,
            "NetworkCardIndex": 0,
            "Status": "attached"
        })),
        EniKind::Nat { .. } => Some(json!({
            "AttachmentId": eni.attachment,
            "DeleteOnTermination": false,
            "DeviceIndex": 1,
            "InstanceOwnerId": "amazon-aws",
            "Status": "attached"
        })),
        EniKind::Rds => Some(json!({
            "AttachTime": v.created,
            "AttachmentId": eni.attachment,
            "DeleteOnTermination": false,
            "DeviceIndex": 1,
            "InstanceOwnerId": RDS_REQUESTER,
            "NetworkCardIndex": 0,
            "Status": "attached"
        })),
        EniKind::Endpoint { .. } => None,
    }
}

/// What an ENI is: its description, interface type and, when AWS manages it, the requester.
fn eni_identity(e: &Estate, eni: &Eni) -> (String, &'static str, Option<&'static str>) {
    match &eni.kind {
        EniKind::Instance { .. } => ("Primary network interface".to_string(), "interface", None),
        EniKind::Nat { nat } => (
            format!("Interface for NAT Gateway {}", e.nats[*nat].id),
            "nat_gateway",
            Some(NAT_REQUESTER),
        ),
        EniKind::Endpoint { endpoint } => (
            format!("VPC Endpoint Interface {}", e.endpoints[*endpoint].id),
            "vpc_endpoint",
            Some(VPCE_REQUESTER),
        ),
        EniKind::Rds => (
            "RDSNetworkInterface".to_string(),
            "interface",
            Some(RDS_REQUESTER),
        ),
    }
}

/// The security groups of an ENI or endpoint: none or one.
fn groups_json(group: &Option<(String, &'static str)>) -> Value {
    let groups: Vec<Value> = group
        .iter()
        .map(|(id, name)| json!({"GroupId": id, "GroupName": name}))
        .collect();
    json!(groups)
}

/// One JSON object per private address of `eni`, primary first: `entry` gets the address's
/// index, the address and its public side.
fn per_address(eni: &Eni, entry: impl Fn(usize, &str, Option<&PublicIp>) -> Value) -> Value {
    let public = |i: usize| eni.public.get(i).and_then(Option::as_ref);
    let entries: Vec<Value> = (0..eni.ips.len())
        .map(|i| entry(i, &eni.ips[i], public(i)))
        .collect();
    json!(entries)
}

/// An ENI's private addresses, each with its public association.
fn private_ips_json(v: &Vpc, eni: &Eni) -> Value {
    per_address(eni, |i, ip, public| {
        let mut p = Vec::new();
        if let Some(public) = public {
            p.push(("Association", association_json(v.region, v.account, public)));
        }
        p.push(("Primary", json!(i == 0)));
        p.push(("PrivateDnsName", json!(private_dns(v.region, ip))));
        p.push(("PrivateIpAddress", json!(ip)));
        object(p)
    })
}

/// One entry of `describe-network-interfaces`.
fn eni_json(e: &Estate, eni: &Eni) -> Value {
    let s = &e.subnets[eni.subnet];
    let v = &e.vpcs[s.vpc];
    let mut pairs = Vec::new();
    if let Some(Some(p)) = eni.public.first() {
        pairs.push(("Association", association_json(v.region, v.account, p)));
    }
    if let Some(attachment) = attachment_json(v, eni) {
        pairs.push(("Attachment", attachment));
    }
    let (description, interface_type, requester) = eni_identity(e, eni);
    let ipv6: Vec<Value> = eni
        .ipv6
        .iter()
        .map(|a| json!({"Ipv6Address": a, "IsPrimaryIpv6": false}))
        .collect();
    let primary = eni.ips.first().map_or("-", String::as_str);
    pairs.extend([
        ("AvailabilityZone", json!(s.az)),
        ("AvailabilityZoneId", json!(s.az_id)),
        ("Description", json!(description)),
        ("Groups", groups_json(&eni.group)),
        ("InterfaceType", json!(interface_type)),
        ("Ipv6Addresses", json!(ipv6)),
        ("MacAddress", json!(eni.mac)),
        ("NetworkInterfaceId", json!(eni.id)),
        ("OwnerId", json!(v.account)),
        ("PrivateDnsName", json!(private_dns(v.region, primary))),
        ("PrivateIpAddress", json!(primary)),
        ("PrivateIpAddresses", private_ips_json(v, eni)),
        ("Ipv4Prefixes", json!([])),
        ("Ipv6Prefixes", json!([])),
    ]);
    if let Some(r) = requester {
        pairs.push(("RequesterId", json!(r)));
    }
    let tags = match eni.kind {
        EniKind::Instance { .. } => name_tags(&eni.name),
        _ => json!([]),
    };
    pairs.extend([
        ("RequesterManaged", json!(requester.is_some())),
        (
            "SourceDestCheck",
            json!(!matches!(eni.kind, EniKind::Nat { .. })),
        ),
        ("Status", json!("in-use")),
        ("SubnetId", json!(s.id)),
        ("TagSet", tags),
        ("VpcId", json!(v.id)),
    ]);
    object(pairs)
}

/// The default endpoint policy, as the API returns it (a JSON string).
const FULL_ACCESS_POLICY: &str = "{\n  \"Statement\": [\n    {\n      \"Action\": \"*\", \n      \"Effect\": \"Allow\", \n      \"Principal\": \"*\", \n      \"Resource\": \"*\"\n    }\n  ]\n}";
/// The default policy of a gateway endpoint.
const GATEWAY_POLICY: &str = "{\"Version\":\"2008-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}";

/// An endpoint's `PolicyDocument`: the default (the gateway endpoints' spelling or the
/// interface endpoints'), or a policy allowing reads and writes of named S3 buckets to the
/// account's own principals.
fn policy_document(ep: &Endpoint, v: &Vpc) -> String {
    match ep.policy {
        Policy::FullAccess if ep.usage.is_none() => GATEWAY_POLICY.to_string(),
        Policy::FullAccess => FULL_ACCESS_POLICY.to_string(),
        Policy::Buckets(buckets) => {
            let resources: Vec<String> = buckets
                .iter()
                .flat_map(|b| [format!("arn:aws:s3:::{b}"), format!("arn:aws:s3:::{b}/*")])
                .collect();
            let policy = json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "OwnBucketsOnly",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                    "Resource": resources,
                    "Condition": {"StringEquals": {"aws:PrincipalAccount": v.account}}
                }]
            });
            policy.to_string()
        }
    }
}

/// The DNS names of an interface endpoint: regional, one per AZ of its ENIs, and the private
/// service name.
fn dns_entries(e: &Estate, ep: &Endpoint, v: &Vpc) -> Vec<Value> {
    let zone = format!(
        "{}-{}.{}.{}.vpce.amazonaws.com",
        ep.id, ep.dns_token, ep.service, v.region
    );
    let mut dns = vec![json!({"DnsName": zone, "HostedZoneId": "Z7HUB22UULQXV"})];
    for x in &ep.enis {
        let az = e.subnets[e.enis[*x].subnet].az;
        let name = format!(
            "{}-{}-{az}.{}.{}.vpce.amazonaws.com",
            ep.id, ep.dns_token, ep.service, v.region
        );
        dns.push(json!({"DnsName": name, "HostedZoneId": "Z7HUB22UULQXV"}));
    }
    dns.push(json!({
        "DnsName": format!("{}.{}.amazonaws.com", ep.service, v.region),
        "HostedZoneId": format!("Z0{}", ep.dns_token.repeat(2).to_uppercase())
    }));
    dns
}

/// One entry of `describe-vpc-endpoints`.
fn endpoint_json(e: &Estate, ep: &Endpoint) -> Value {
    let v = &e.vpcs[ep.vpc];
    let service_name = format!("com.amazonaws.{}.{}", v.region, ep.service);
    let gateway = ep.usage.is_none();
    let subnets: Vec<&str> = ep
        .enis
        .iter()
        .map(|x| e.subnets[e.enis[*x].subnet].id.as_str())
        .collect();
    let enis: Vec<&str> = ep.enis.iter().map(|x| e.enis[*x].id.as_str()).collect();
    let route_tables: Vec<&str> = ep
        .route_tables
        .iter()
        .map(|x| e.route_tables[*x].id.as_str())
        .collect();
    let dns = if gateway {
        Vec::new()
    } else {
        dns_entries(e, ep, v)
    };
    let mut pairs = vec![
        ("VpcEndpointId", json!(ep.id)),
        (
            "VpcEndpointType",
            json!(if gateway { "Gateway" } else { "Interface" }),
        ),
        ("VpcId", json!(v.id)),
        ("ServiceName", json!(service_name)),
        ("State", json!("available")),
        ("PolicyDocument", json!(policy_document(ep, v))),
        ("RouteTableIds", json!(route_tables)),
        ("SubnetIds", json!(subnets)),
        ("Groups", groups_json(&ep.group)),
        ("IpAddressType", json!("ipv4")),
    ];
    if !gateway {
        pairs.push(("DnsOptions", json!({"DnsRecordIpType": "ipv4"})));
    }
    pairs.extend([
        ("PrivateDnsEnabled", json!(ep.private_dns)),
        ("RequesterManaged", json!(false)),
        ("NetworkInterfaceIds", json!(enis)),
        ("DnsEntries", json!(dns)),
        ("CreationTimestamp", json!(ep.created)),
        ("Tags", name_tags(&format!("{}-{}", v.name, ep.service))),
        ("OwnerId", json!(v.account)),
    ]);
    object(pairs)
}

/// One entry of `describe-nat-gateways`: a zonal gateway with its subnet, or a regional one
/// whose addresses each name their zone.
fn nat_json(e: &Estate, nat: &Nat) -> Value {
    let mut addresses = Vec::new();
    for &x in &nat.enis {
        let eni = &e.enis[x];
        let s = &e.subnets[eni.subnet];
        let public = |i: usize| eni.public.get(i).and_then(Option::as_ref);
        for (i, ip) in eni.ips.iter().enumerate() {
            let public = public(i);
            let mut p = Vec::new();
            if let Some((alloc, _)) = public.and_then(|x| x.eip.as_ref()) {
                p.push(("AllocationId", json!(alloc)));
            }
            p.push(("NetworkInterfaceId", json!(eni.id)));
            p.push(("PrivateIp", json!(ip)));
            if let Some(public) = public {
                p.push(("PublicIp", json!(public.ip)));
                if let Some((_, assoc)) = &public.eip {
                    p.push(("AssociationId", json!(assoc)));
                }
            }
            p.push(("IsPrimary", json!(addresses.is_empty())));
            p.push(("Status", json!("succeeded")));
            if nat.regional() {
                p.push(("AvailabilityZone", json!(s.az)));
                p.push(("AvailabilityZoneId", json!(s.az_id)));
            }
            addresses.push(object(p));
        }
    }
    let mut pairs = vec![
        ("CreateTime", json!(nat.created)),
        ("NatGatewayAddresses", json!(addresses)),
        ("NatGatewayId", json!(nat.id)),
        ("State", json!("available")),
    ];
    if let Some(subnet) = nat.subnet {
        pairs.push(("SubnetId", json!(e.subnets[subnet].id)));
    }
    pairs.extend([
        ("VpcId", json!(e.vpcs[nat.vpc].id)),
        ("Tags", name_tags(nat.name)),
        ("ConnectivityType", json!("public")),
    ]);
    if nat.regional() {
        // Its zones and addresses were chosen (not provisioned by AWS as workloads appear).
        pairs.extend([
            ("AvailabilityMode", json!("regional")),
            ("AutoProvisionZones", json!("disabled")),
            ("AutoScalingIps", json!("disabled")),
            ("RouteTableId", json!(nat.route_table)),
        ]);
    } else {
        pairs.push(("AvailabilityMode", json!("zonal")));
    }
    object(pairs)
}

/// One entry of `describe-addresses`: an Elastic IP of an ENI's address, with its association.
fn eip_json(e: &Estate, eni: &Eni, ip: &str, public: &PublicIp) -> Option<Value> {
    let (alloc, assoc) = public.eip.as_ref()?;
    let v = &e.vpcs[e.subnets[eni.subnet].vpc];
    let mut pairs = Vec::new();
    if let EniKind::Instance { instance_id } = &eni.kind {
        pairs.push(("InstanceId", json!(instance_id)));
    }
    pairs.extend([
        ("PublicIp", json!(public.ip)),
        ("AllocationId", json!(alloc)),
        ("AssociationId", json!(assoc)),
        ("Domain", json!("vpc")),
        ("NetworkInterfaceId", json!(eni.id)),
        ("NetworkInterfaceOwnerId", json!(v.account)),
        ("PrivateIpAddress", json!(ip)),
    ]);
    if let EniKind::Nat { nat } = eni.kind {
        pairs.push(("Tags", name_tags(e.nats[nat].name)));
    }
    pairs.extend([
        ("PublicIpv4Pool", json!("amazon")),
        ("NetworkBorderGroup", json!(v.region)),
    ]);
    Some(object(pairs))
}

/// One entry of `describe-addresses`: an Elastic IP associated with nothing.
fn spare_eip_json(x: &SpareEip) -> Value {
    object(vec![
        ("PublicIp", json!(x.ip)),
        ("AllocationId", json!(x.allocation)),
        ("Domain", json!("vpc")),
        ("Tags", name_tags(x.name)),
        ("PublicIpv4Pool", json!("amazon")),
        ("NetworkBorderGroup", json!(x.region)),
    ])
}

/// The account's Elastic IPs: those of its ENIs' addresses, then the spare ones.
fn addresses_json(e: &Estate, account: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for eni in &e.enis {
        if e.vpcs[e.subnets[eni.subnet].vpc].account != account {
            continue;
        }
        for (ip, public) in eni.ips.iter().zip(&eni.public) {
            if let Some(entry) = public.as_ref().and_then(|p| eip_json(e, eni, ip, p)) {
                out.push(entry);
            }
        }
    }
    out.extend(
        e.spare_eips
            .iter()
            .filter(|x| x.account == account)
            .map(spare_eip_json),
    );
    out
}

/// VPC Block Public Access as describe-vpcs/describe-subnets report it: the second account
/// blocks internet ingress everywhere except its excluded subnet public-a (etl-1 and the NAT).
fn bpa_mode(v: &Vpc, subnet: Option<&Subnet>) -> &'static str {
    match (v.account, subnet) {
        (ACCOUNT_2, Some(s)) if s.name == "public-a" => "off",
        (ACCOUNT_2, _) => "block-ingress",
        _ => "off",
    }
}

/// One entry of `describe-vpcs`.
fn vpc_json(v: &Vpc) -> Value {
    let cidrs: Vec<Value> = v
        .cidrs
        .iter()
        .map(|(c, assoc)| {
            json!({"AssociationId": assoc, "CidrBlock": c, "CidrBlockState": {"State": "associated"}})
        })
        .collect();
    let mut pairs = vec![
        ("OwnerId", json!(v.account)),
        ("InstanceTenancy", json!("default")),
    ];
    if let Some((p, assoc)) = &v.ipv6 {
        let block = format!("{}/56", Ipv6Addr::new(p[0], p[1], p[2], p[3], 0, 0, 0, 0));
        pairs.push((
            "Ipv6CidrBlockAssociationSet",
            json!([{
                "AssociationId": assoc,
                "Ipv6CidrBlock": block,
                "Ipv6CidrBlockState": {"State": "associated"},
                "NetworkBorderGroup": v.region,
                "Ipv6Pool": "Amazon"
            }]),
        ));
    }
    pairs.extend([
        ("CidrBlockAssociationSet", json!(cidrs)),
        ("IsDefault", json!(false)),
        (
            "BlockPublicAccessStates",
            json!({"InternetGatewayBlockMode": bpa_mode(v, None)}),
        ),
        ("Tags", name_tags(v.name)),
        ("VpcId", json!(v.id)),
        ("State", json!("available")),
        ("CidrBlock", json!(v.cidrs.first().map_or("", |c| c.0))),
        ("DhcpOptionsId", json!(v.dhcp)),
    ]);
    object(pairs)
}

/// One entry of `describe-subnets`.
fn subnet_json(e: &Estate, s: &Subnet) -> Value {
    let v = &e.vpcs[s.vpc];
    let size = 1u64 << (32 - u32::from(s.len));
    let free = size.saturating_sub(5 + s.used.len() as u64);
    let ipv6: Vec<Value> = match (&s.ipv6, &v.ipv6) {
        (Some((k, assoc)), Some((p, _))) => {
            let block = format!(
                "{}/64",
                Ipv6Addr::new(p[0], p[1], p[2], p[3] + k, 0, 0, 0, 0)
            );
            vec![json!({
                "AssociationId": assoc,
                "Ipv6CidrBlock": block,
                "Ipv6CidrBlockState": {"State": "associated"}
            })]
        }
        _ => Vec::new(),
    };
    let assign_ipv6 = !ipv6.is_empty();
    json!({
        "AvailabilityZoneId": s.az_id,
        "MapCustomerOwnedIpOnLaunch": false,
        "OwnerId": v.account,
        "AssignIpv6AddressOnCreation": assign_ipv6,
        "Ipv6CidrBlockAssociationSet": ipv6,
        "Tags": name_tags(&format!("{}-{}", v.name, s.name)),
        "SubnetArn": format!("arn:aws:ec2:{}:{}:subnet/{}", v.region, v.account, s.id),
        "EnableDns64": false,
        "Ipv6Native": false,
        "PrivateDnsNameOptionsOnLaunch": {
            "HostnameType": "ip-name",
            "EnableResourceNameDnsARecord": false,
            "EnableResourceNameDnsAAAARecord": false
        },
        "BlockPublicAccessStates": {"InternetGatewayBlockMode": bpa_mode(v, Some(s))},
        "SubnetId": s.id,
        "State": "available",
        "VpcId": v.id,
        "CidrBlock": s.cidr(),
        "AvailableIpAddressCount": free,
        "AvailabilityZone": s.az,
        "DefaultForAz": false,
        "MapPublicIpOnLaunch": s.public
    })
}

/// One route of a route table, with the origin AWS reports.
fn route_json(route: &Route) -> Value {
    let mut pairs = match &route.dest {
        Dest::V4(c) => vec![("DestinationCidrBlock", json!(c))],
        Dest::V6(c) => vec![("DestinationIpv6CidrBlock", json!(c))],
        Dest::PrefixList(pl) => vec![("DestinationPrefixListId", json!(pl))],
    };
    let origin = match &route.target {
        Target::Local => {
            pairs.push(("GatewayId", json!("local")));
            "CreateRouteTable"
        }
        Target::Igw(id) | Target::Vpce(id) => {
            pairs.push(("GatewayId", json!(id)));
            "CreateRoute"
        }
        Target::Eigw(id) => {
            pairs.push(("EgressOnlyInternetGatewayId", json!(id)));
            "CreateRoute"
        }
        Target::Nat(id) => {
            pairs.push(("NatGatewayId", json!(id)));
            "CreateRoute"
        }
    };
    pairs.push(("Origin", json!(origin)));
    pairs.push(("State", json!("active")));
    object(pairs)
}

/// One entry of `describe-route-tables`.
fn route_table_json(e: &Estate, t: &RouteTable) -> Value {
    let v = &e.vpcs[t.vpc];
    let mut associations = Vec::new();
    if let Some(assoc) = &t.main {
        associations.push(json!({
            "Main": true,
            "RouteTableAssociationId": assoc,
            "RouteTableId": t.id,
            "AssociationState": {"State": "associated"}
        }));
    }
    for (subnet, assoc) in &t.subnets {
        associations.push(json!({
            "Main": false,
            "RouteTableAssociationId": assoc,
            "RouteTableId": t.id,
            "SubnetId": e.subnets[*subnet].id,
            "AssociationState": {"State": "associated"}
        }));
    }
    let routes: Vec<Value> = t.routes.iter().map(route_json).collect();
    json!({
        "Associations": associations,
        "PropagatingVgws": [],
        "RouteTableId": t.id,
        "Routes": routes,
        "Tags": name_tags(t.name),
        "VpcId": v.id,
        "OwnerId": v.account
    })
}

/// The subset of `ip-ranges.json`, published 20 hours before the window starts.
fn ip_ranges_json(opts: &EstateOptions) -> Value {
    let published = opts
        .start
        .checked_sub_signed(TimeDelta::hours(20))
        .unwrap_or(opts.start);
    let prefixes: Vec<Value> = IP_RANGES_V4
        .iter()
        .map(|(base, len, region, service)| {
            json!({
                "ip_prefix": format!("{}/{len}", Ipv4Addr::from(*base)),
                "region": region,
                "service": service,
                "network_border_group": region
            })
        })
        .collect();
    let ipv6: Vec<Value> = IP_RANGES_V6
        .iter()
        .map(|(prefix, region, service)| {
            json!({
                "ipv6_prefix": prefix,
                "region": region,
                "service": service,
                "network_border_group": region
            })
        })
        .collect();
    object(vec![
        ("syncToken", json!(published.timestamp().to_string())),
        (
            "createDate",
            json!(published.format("%Y-%m-%d-%H-%M-%S").to_string()),
        ),
        ("prefixes", json!(prefixes)),
        ("ipv6_prefixes", json!(ipv6)),
    ])
}

/// The entries of `items` that `keep` selects, as JSON.
fn listed<T>(items: &[T], keep: impl Fn(&T) -> bool, json: impl Fn(&T) -> Value) -> Vec<Value> {
    items.iter().filter(|x| keep(x)).map(json).collect()
}

/// The seven `describe-*` files of one account: file name, top-level key and entries.
fn account_files(e: &Estate, account: &str) -> [(&'static str, &'static str, Vec<Value>); 7] {
    let ours = |vpc: usize| e.vpcs[vpc].account == account;
    let in_ours = |subnet: usize| ours(e.subnets[subnet].vpc);
    let enis = listed(&e.enis, |n| in_ours(n.subnet), |n| eni_json(e, n));
    let endpoints = listed(&e.endpoints, |x| ours(x.vpc), |x| endpoint_json(e, x));
    let nats = listed(&e.nats, |n| ours(n.vpc), |n| nat_json(e, n));
    let vpcs = listed(&e.vpcs, |v| v.account == account, vpc_json);
    let subnets = listed(&e.subnets, |s| ours(s.vpc), |s| subnet_json(e, s));
    let tables = listed(&e.route_tables, |t| ours(t.vpc), |t| route_table_json(e, t));
    [
        (
            "describe-network-interfaces.json",
            "NetworkInterfaces",
            enis,
        ),
        ("describe-vpc-endpoints.json", "VpcEndpoints", endpoints),
        ("describe-nat-gateways.json", "NatGateways", nats),
        ("describe-vpcs.json", "Vpcs", vpcs),
        ("describe-subnets.json", "Subnets", subnets),
        ("describe-route-tables.json", "RouteTables", tables),
        (
            "describe-addresses.json",
            "Addresses",
            addresses_json(e, account),
        ),
    ]
}

/// Writes `inventory/ip-ranges.json` and each account's `describe-*` files.
pub(crate) fn write(out: &mut Output, e: &Estate, opts: &EstateOptions) -> Result<()> {
    let ranges = ip_ranges_json(opts);
    out.write_json("inventory/ip-ranges.json", &ranges)?;
    out.summary.inventory.records += IP_RANGES_V4.len() + IP_RANGES_V6.len();
    for (account, region) in [(ACCOUNT_1, REGION_1), (ACCOUNT_2, REGION_2)] {
        for (file, key, items) in account_files(e, account) {
            let count = items.len();
            let doc = object(vec![(key, Value::Array(items))]);
            out.write_json(&format!("inventory/{account}/{region}/{file}"), &doc)?;
            out.summary.inventory.records += count;
        }
    }
    Ok(())
}
