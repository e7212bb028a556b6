//! Adding parts to the estate: VPCs, subnets, ENIs, NAT gateways, interface endpoints and route
//! tables. Each part draws its ids and addresses from the estate's one random stream, so the
//! order of the calls fixes the estate.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use rand::Rng;

use super::ids::{Ids, v4};
use super::{
    Dest, Endpoint, Eni, EniKind, Estate, FL_V5, Nat, PROD_IPV6, Policy, Public, PublicIp, Route,
    RouteTable, Subnet, Target, Usage, Vpc,
};

/// What an ENI belongs to, before ids are drawn.
#[derive(Clone, Copy)]
pub(crate) enum EniOf {
    Instance,
    Nat(usize),
    Endpoint(usize),
    Rds,
}

/// Everything an ENI needs besides ids.
pub(crate) struct EniSpec {
    pub(crate) name: String,
    pub(crate) role: &'static str,
    pub(crate) subnet: usize,
    pub(crate) kind: EniOf,
    pub(crate) public: &'static [Public],
    pub(crate) ips: usize,
    pub(crate) ipv6: bool,
    pub(crate) group: Option<&'static str>,
    pub(crate) flow_log: usize,
}

impl EniSpec {
    /// An instance's ENI: one private address, no public one, and the security group its role
    /// suggests (`bastion`, `batch` or `app`).
    pub(crate) fn instance(
        name: &str,
        role: &'static str,
        subnet: usize,
        flow_log: usize,
    ) -> EniSpec {
        let group = match role {
            r if r.starts_with("bastion") => "bastion",
            r if r.starts_with("batch") => "batch",
            _ => "app",
        };
        EniSpec {
            name: name.to_string(),
            role,
            subnet,
            kind: EniOf::Instance,
            ips: 1,
            ipv6: false,
            public: &[],
            group: Some(group),
            flow_log,
        }
    }

    /// The same ENI reachable from the internet: with public IPv4 addresses and a security
    /// group of its own.
    pub(crate) fn exposed(self, public: &'static [Public], group: &'static str) -> EniSpec {
        EniSpec {
            public,
            group: Some(group),
            ..self
        }
    }
}

/// A VPC before ids are drawn; `id` fixes the VPC id instead of drawing one.
pub(crate) struct VpcSpec {
    pub(crate) id: Option<&'static str>,
    pub(crate) name: &'static str,
    pub(crate) account: &'static str,
    pub(crate) region: &'static str,
    pub(crate) cidrs: &'static [&'static str],
    pub(crate) ipv6: Option<[u16; 4]>,
    pub(crate) eigw: bool,
}

/// An Availability Zone: its name and its AZ id.
pub(crate) type Az = (&'static str, &'static str);

/// A subnet before ids are drawn: name, AZ, IPv4 base and prefix length, index of its IPv6 /64
/// in the VPC's /56 (if any), and whether it maps public IPs on launch.
pub(crate) type SubnetSpec = (&'static str, Az, [u8; 4], u8, Option<u16>, bool);

impl Estate {
    /// Adds a VPC; returns its index.
    pub(crate) fn add_vpc(&mut self, ids: &mut Ids, s: VpcSpec, created: String) -> usize {
        let id = s.id.map_or_else(|| ids.next("vpc"), str::to_string);
        let cidrs = s
            .cidrs
            .iter()
            .map(|c| (*c, ids.next("vpc-cidr-assoc")))
            .collect();
        let ipv6 = s.ipv6.map(|p| (p, ids.next("vpc-cidr-assoc")));
        self.vpcs.push(Vpc {
            id,
            name: s.name,
            account: s.account,
            region: s.region,
            cidrs,
            ipv6,
            dhcp: ids.next("dopt"),
            igw: ids.next("igw"),
            eigw: s.eigw.then(|| ids.next("eigw")),
            created,
        });
        self.vpcs.len() - 1
    }

    /// Adds a subnet to `vpc`; returns its index.
    pub(crate) fn add_subnet(&mut self, ids: &mut Ids, vpc: usize, s: SubnetSpec) -> usize {
        let (name, (az, az_id), base, len, ipv6, public) = s;
        self.subnets.push(Subnet {
            id: ids.next("subnet"),
            name,
            vpc,
            az,
            az_id,
            base: v4(base),
            len,
            ipv6: ipv6.map(|k| (k, ids.next("subnet-cidr-assoc"))),
            public,
            used: BTreeSet::new(),
        });
        self.subnets.len() - 1
    }

    /// The VPC's security group of this name, drawn on first use.
    fn group(&mut self, ids: &mut Ids, vpc: usize, name: &'static str) -> (String, &'static str) {
        let id = self
            .groups
            .entry((vpc, name))
            .or_insert_with(|| ids.next("sg"))
            .clone();
        (id, name)
    }

    /// A free private address in the subnet (AWS reserves the first four and the last).
    fn alloc_ip(&mut self, ids: &mut Ids, subnet: usize) -> String {
        let s = &mut self.subnets[subnet];
        let size = 1u32 << (32 - u32::from(s.len));
        loop {
            let offset = ids.rng.random_range(4..size - 1);
            if s.used.insert(offset) {
                return Ipv4Addr::from(s.base + offset).to_string();
            }
        }
    }

    /// Adds an ENI with its addresses, attachment and security group; returns its index.
    pub(crate) fn add_eni(&mut self, ids: &mut Ids, spec: EniSpec) -> usize {
        let id = ids.next("eni");
        let ips: Vec<String> = (0..spec.ips.max(1))
            .map(|_| self.alloc_ip(ids, spec.subnet))
            .collect();
        let vpc = self.subnets[spec.subnet].vpc;
        let ipv6 = match (spec.ipv6, self.subnets[spec.subnet].ipv6.as_ref()) {
            (true, Some((k, _))) => {
                let p = self.vpcs[vpc].ipv6.as_ref().map_or(PROD_IPV6, |v| v.0);
                let g: [u16; 4] = std::array::from_fn(|_| ids.rng.random_range(1..=0xffff));
                vec![Ipv6Addr::new(p[0], p[1], p[2], p[3] + k, g[0], g[1], g[2], g[3]).to_string()]
            }
            _ => Vec::new(),
        };
        let public = (0..ips.len())
            .map(|i| {
                spec.public.get(i).map(|p| match *p {
                    Public::Auto(ip) => PublicIp { ip, eip: None },
                    Public::Elastic(ip) => PublicIp {
                        ip,
                        eip: Some((ids.next("eipalloc"), ids.next("eipassoc"))),
                    },
                })
            })
            .collect();
        let attachment = match spec.kind {
            EniOf::Nat(_) => format!("ela-attach-{}", ids.hex(8)),
            _ => ids.next("eni-attach"),
        };
        let kind = match spec.kind {
            EniOf::Instance => EniKind::Instance {
                instance_id: ids.next("i"),
            },
            EniOf::Nat(nat) => EniKind::Nat { nat },
            EniOf::Endpoint(endpoint) => EniKind::Endpoint { endpoint },
            EniOf::Rds => EniKind::Rds,
        };
        let group = spec.group.map(|g| self.group(ids, vpc, g));
        self.enis.push(Eni {
            id,
            name: spec.name,
            subnet: spec.subnet,
            kind,
            ips,
            ipv6,
            public,
            mac: ids.mac(),
            attachment,
            group,
            flow_log: spec.flow_log,
            role: spec.role,
        });
        self.enis.len() - 1
    }

    /// Adds a zonal NAT gateway with its ENI (one private address per Elastic IP); returns its
    /// index.
    pub(crate) fn add_nat(
        &mut self,
        ids: &mut Ids,
        name: &'static str,
        subnet: usize,
        eips: &'static [Public],
        flow_log: usize,
        created: String,
    ) -> usize {
        let nat_id = ids.next("nat");
        let nat = self.nats.len();
        let eni = self.add_eni(
            ids,
            Self::nat_eni(name.to_string(), nat, subnet, eips, flow_log),
        );
        self.nats.push(Nat {
            id: nat_id,
            name,
            vpc: self.subnets[subnet].vpc,
            subnet: Some(subnet),
            enis: vec![eni],
            route_table: None,
            created,
        });
        nat
    }

    /// Makes NAT gateway `nat` regional: it leaves its subnet (its ENI stays, serving that
    /// subnet's zone), gets a route table of its own and an ENI named `name` in `subnet`'s zone
    /// with `eips`; returns the new ENI.
    pub(crate) fn make_regional(
        &mut self,
        ids: &mut Ids,
        nat: usize,
        (name, subnet): (&str, usize),
        eips: &'static [Public],
        flow_log: usize,
    ) -> usize {
        let eni = self.add_eni(
            ids,
            Self::nat_eni(name.to_string(), nat, subnet, eips, flow_log),
        );
        let route_table = ids.next("rtb");
        let n = &mut self.nats[nat];
        n.subnet = None;
        n.enis.push(eni);
        n.route_table = Some(route_table);
        eni
    }

    /// A NAT gateway's ENI: one private address per Elastic IP.
    fn nat_eni(
        name: String,
        nat: usize,
        subnet: usize,
        eips: &'static [Public],
        flow_log: usize,
    ) -> EniSpec {
        EniSpec {
            name,
            role: "NAT gateway",
            subnet,
            kind: EniOf::Nat(nat),
            ips: eips.len(),
            ipv6: false,
            public: eips,
            group: None,
            flow_log,
        }
    }

    /// Adds an interface endpoint with one ENI per subnet, its private DNS on and the default
    /// policy, its ENIs logged by the prod VPC's v5 flow log; returns the ENIs.
    pub(crate) fn add_interface_endpoint(
        &mut self,
        ids: &mut Ids,
        vpc: usize,
        service: &'static str,
        usage: Usage,
        subnets: &[usize],
        created: String,
    ) -> Vec<usize> {
        self.add_interface_endpoint_logged(ids, (vpc, service, usage), subnets, FL_V5, created)
    }

    /// [`Estate::add_interface_endpoint`] with its ENIs in `flow_log`; private DNS is off for
    /// [`Usage::Named`].
    pub(crate) fn add_interface_endpoint_logged(
        &mut self,
        ids: &mut Ids,
        (vpc, service, usage): (usize, &'static str, Usage),
        subnets: &[usize],
        flow_log: usize,
        created: String,
    ) -> Vec<usize> {
        let endpoint = self.endpoints.len();
        let id = ids.next("vpce");
        let group = Some(self.group(ids, vpc, "vpce-https"));
        let mut enis = Vec::new();
        for &subnet in subnets {
            let az = self.subnets[subnet].az;
            let suffix = az.rsplit('-').next().unwrap_or(az);
            let letter = suffix.trim_start_matches(|c: char| c.is_ascii_digit());
            enis.push(self.add_eni(
                ids,
                EniSpec {
                    name: format!("vpce-{service}-{letter}"),
                    role: "interface endpoint",
                    subnet,
                    kind: EniOf::Endpoint(endpoint),
                    ips: 1,
                    ipv6: false,
                    public: &[],
                    group: Some("vpce-https"),
                    flow_log,
                },
            ));
        }
        self.endpoints.push(Endpoint {
            id,
            vpc,
            service,
            usage: Some(usage),
            enis: enis.clone(),
            route_tables: Vec::new(),
            group,
            dns_token: ids.hex(8),
            private_dns: usage != Usage::Named,
            policy: Policy::FullAccess,
            created,
        });
        enis
    }

    /// Adds a route table with a local route per VPC CIDR before `extra`; returns its index.
    pub(crate) fn add_route_table(
        &mut self,
        ids: &mut Ids,
        name: &'static str,
        vpc: usize,
        main: bool,
        subnets: &[usize],
        extra: Vec<Route>,
    ) -> usize {
        let v = &self.vpcs[vpc];
        let mut routes: Vec<Route> = v
            .cidrs
            .iter()
            .map(|(c, _)| Route {
                dest: Dest::V4((*c).to_string()),
                target: Target::Local,
            })
            .collect();
        if let Some((p, _)) = &v.ipv6 {
            routes.push(Route {
                dest: Dest::V6(format!(
                    "{}/56",
                    Ipv6Addr::new(p[0], p[1], p[2], p[3], 0, 0, 0, 0)
                )),
                target: Target::Local,
            });
        }
        routes.extend(extra);
        let id = ids.next("rtb");
        self.route_tables.push(RouteTable {
            id,
            name,
            vpc,
            main: main.then(|| ids.next("rtbassoc")),
            subnets: subnets.iter().map(|s| (*s, ids.next("rtbassoc"))).collect(),
            routes,
        });
        self.route_tables.len() - 1
    }
}
