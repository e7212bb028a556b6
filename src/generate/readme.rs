//! The estate's `README.md`: what is where (accounts, networks, ENIs, gateways, endpoints, the
//! traffic and the files), so report output can be checked by eye.

use std::net::Ipv6Addr;

use chrono::TimeDelta;

use super::estate::{Endpoint, Eni, Estate, Nat, Policy, Usage, Vpc, WIDE_INTERNET};
use super::{EstateOptions, EstateSummary};

/// `README.md` of the estate.
pub(crate) fn text(e: &Estate, opts: &EstateOptions, summary: &EstateSummary) -> String {
    let mut s = String::new();
    s.push_str("# Sample estate\n\n");
    s.push_str(&format!(
        "Written by `vpcflow generate` (seed {}, {} hours from {}, {} connections per hour in \
         the primary account). Every file is derived from the seed; regenerating gives the same \
         bytes.\n\n",
        opts.seed,
        opts.hours,
        hour(opts, 0),
        opts.flows_per_hour
    ));
    if let Some(n) = opts.internet_peers {
        let networks: Vec<String> = WIDE_INTERNET
            .iter()
            .map(|n| format!("{}/8", n[0]))
            .collect();
        s.push_str(&format!(
            "Internet peers: {n} web servers, {n} scanners and {n} HTTPS clients, drawn from \
             {} instead of the documentation ranges the traffic below names.\n\n",
            networks.join(", ")
        ));
    }
    networks(&mut s, e);
    interfaces(&mut s, e);
    gateways(&mut s, e);
    traffic(&mut s, e, opts);
    files(&mut s, summary);
    s
}

/// The start of hour `h` of the window, as `YYYY-MM-DD HH:00Z`.
fn hour(opts: &EstateOptions, h: u32) -> String {
    opts.start
        .checked_add_signed(TimeDelta::hours(i64::from(h)))
        .unwrap_or(opts.start)
        .format("%Y-%m-%d %H:00Z")
        .to_string()
}

/// A VPC's CIDRs, IPv4 first, then its IPv6 block.
fn vpc_cidrs(v: &Vpc) -> String {
    let mut cidrs: Vec<String> = v.cidrs.iter().map(|c| c.0.to_string()).collect();
    if let Some((p, _)) = &v.ipv6 {
        cidrs.push(format!(
            "{}/56",
            Ipv6Addr::new(p[0], p[1], p[2], p[3], 0, 0, 0, 0)
        ));
    }
    cidrs.join(", ")
}

/// "Accounts and networks": each VPC with its subnets and their route tables.
fn networks(s: &mut String, e: &Estate) {
    s.push_str("## Accounts and networks\n\n");
    for v in &e.vpcs {
        s.push_str(&format!(
            "- Account {} ({}): VPC \"{}\" `{}`, {}.\n",
            v.account,
            v.region,
            v.name,
            v.id,
            vpc_cidrs(v)
        ));
        for (i, sub) in e
            .subnets
            .iter()
            .enumerate()
            .filter(|(_, x)| std::ptr::eq(&e.vpcs[x.vpc], v))
        {
            let table = e.route_table_of(i).map_or("-", |t| t.name);
            s.push_str(&format!(
                "  - subnet {} `{}` {} ({}, {}), route table {}\n",
                sub.name,
                sub.id,
                sub.cidr(),
                sub.az,
                sub.az_id,
                table
            ));
        }
    }
    s.push_str(
        "\nThe analytics VPC reuses 10.0.0.0/16 on purpose: addresses alone do not identify a \
         host across accounts.\n\n",
    );
}

/// An ENI's addresses: private IPv4 (with its public address, if any), then IPv6.
fn eni_addresses(n: &Eni) -> String {
    let mut ips: Vec<String> = n
        .ips
        .iter()
        .zip(&n.public)
        .map(|(ip, public)| match public {
            Some(p) => format!("{ip} (public {})", p.ip),
            None => ip.clone(),
        })
        .collect();
    ips.extend(n.ipv6.iter().cloned());
    ips.join(", ")
}

/// "Network interfaces": one table row per ENI, by VPC.
fn interfaces(s: &mut String, e: &Estate) {
    s.push_str("## Network interfaces\n\n");
    s.push_str(
        "| ENI | name | role | private IPs | subnet | flow log |\n|---|---|---|---|---|---|\n",
    );
    // By VPC, each in the order its ENIs were added.
    let by_vpc =
        (0..e.vpcs.len()).flat_map(|v| e.enis.iter().filter(move |n| e.subnets[n.subnet].vpc == v));
    for n in by_vpc {
        let id = format!("`{}`", n.id);
        let subnet = e.subnets[n.subnet].name;
        let flow_log = e.flow_logs[n.flow_log].id;
        let addresses = eni_addresses(n);
        s.push_str(&table_row(&[
            &id, &n.name, n.role, &addresses, subnet, flow_log,
        ]));
    }
}

/// One row of a Markdown table.
fn table_row(cells: &[&str]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

/// "NAT gateways and endpoints": each NAT gateway, each endpoint and how it is used, then the
/// Elastic IPs associated with nothing.
fn gateways(s: &mut String, e: &Estate) {
    s.push_str("\n## NAT gateways and endpoints\n\n");
    for nat in &e.nats {
        s.push_str(&nat_line(e, nat));
    }
    for ep in &e.endpoints {
        s.push_str(&format!(
            "- `{}` com.amazonaws.{}.{}: {}; {}.\n",
            ep.id,
            e.vpcs[ep.vpc].region,
            ep.service,
            endpoint_use(e, ep),
            endpoint_policy(ep)
        ));
    }
    for x in &e.spare_eips {
        s.push_str(&format!(
            "- Elastic IP {} (`{}`, account {}, Name {}): associated with nothing, {}.\n",
            x.ip, x.allocation, x.account, x.name, x.story
        ));
    }
    s.push_str(
        "\nEach account's `describe-addresses.json` lists its Elastic IPs: the NAT gateways' and \
         the ones associated with nothing. The public IPs of bastion, monitor, etl-1 and \
         legacy-web are assigned at launch and are not Elastic IPs.\n",
    );
}

/// A NAT gateway's line: a zonal one's subnet, or a regional one's ENI in each zone.
fn nat_line(e: &Estate, nat: &Nat) -> String {
    let eni_of = |x: usize| {
        let eni = &e.enis[x];
        format!(
            "ENI `{}` in {}, private IPs {}",
            eni.id,
            e.subnets[eni.subnet].name,
            eni.ips.join(" and ")
        )
    };
    match nat.subnet {
        Some(subnet) => format!(
            "- NAT gateway `{}` ({}) in {}: ENI `{}`, private IPs {}.\n",
            nat.id,
            nat.name,
            e.subnets[subnet].name,
            e.enis[nat.enis[0]].id,
            e.enis[nat.enis[0]].ips.join(" and ")
        ),
        None => {
            let zones: Vec<String> = nat
                .enis
                .iter()
                .map(|x| format!("in {}, {}", e.subnets[e.enis[*x].subnet].az, eni_of(*x)))
                .collect();
            format!(
                "- NAT gateway `{}` ({}), regional: no subnet, a route table of its own (`{}`), \
                 an Elastic IP in each of its zones: {}.\n",
                nat.id,
                nat.name,
                nat.route_table.as_deref().unwrap_or("-"),
                zones.join("; ")
            )
        }
    }
}

/// What an endpoint is and how it is used.
fn endpoint_use(e: &Estate, ep: &Endpoint) -> String {
    let Some(u) = ep.usage else {
        return "gateway endpoint (no ENI), route tables of private-a, private-b and batch-b \
                only; private-c has no route to it"
            .to_string();
    };
    let enis: Vec<String> = ep
        .enis
        .iter()
        .map(|x| {
            format!(
                "`{}` ({})",
                e.enis[*x].id, e.subnets[e.enis[*x].subnet].name
            )
        })
        .collect();
    let usage = match u {
        Usage::Busy => "used every hour",
        Usage::Low => "low traffic: three small calls (a few KB) in the whole window",
        Usage::Idle => "idle: only NODATA records, every 10 minutes on each ENI",
        Usage::Named => {
            "private DNS off, so only clients that name the endpoint use it (report-1's \
             exports, a few an hour); etl-1 still reaches S3 over the internet gateway"
        }
    };
    format!("interface endpoint, {usage}; ENIs {}", enis.join(", "))
}

/// What an endpoint's policy allows.
fn endpoint_policy(ep: &Endpoint) -> String {
    match ep.policy {
        Policy::FullAccess => "the default policy (everyone, every action, every resource)".into(),
        Policy::Buckets(buckets) => format!(
            "its policy allows the account's own principals on buckets {} only",
            buckets.join(", ")
        ),
    }
}

/// "Traffic": what talks to what, and the hours of the batch worker and the CloudWatch export.
fn traffic(s: &mut String, e: &Estate, opts: &EstateOptions) {
    s.push_str(&format!(
        "\n## Traffic\n\n\
         Each connection is recorded on every captured ENI it crosses, one record per direction \
         (request and response), with the same ports and byte counts on each ENI.\n\n\
         - app-a1/a2/b1/c1 -> internet HTTPS (198.51.100.0/24, 203.0.113.0/24, EC2 and CloudFront \
         addresses) through the NAT: two records on the app ENI and the four NAT legs on the NAT \
         ENI (legs b/c use a NAT private IP and a translated port).\n\
         - app-a1/a2/b1 and batch-worker -> S3 us-east-1 through the gateway endpoint: app ENI \
         only (traffic-path 7).\n\
         - app-c1 -> S3 us-east-1 through the NAT (private-c has no S3 endpoint route): the \
         avoidable NAT cost.\n\
         - apps -> S3 eu-west-1 (cross-region) and -> DynamoDB us-east-1 through the NAT; there \
         is no DynamoDB gateway endpoint.\n\
         - apps -> ssm and sts endpoint ENIs on 443 (same AZ when there is one; app-c1 crosses \
         AZs); recorded on both ENIs.\n\
         - app -> app-a1 Postgres :5432, app <-> app API :8080 (app-a1 serves it on its secondary \
         IP, so its own records show the primary IP and pkt-dstaddr the secondary).\n\
         - internet -> bastion SSH/RDP scans (REJECT, reject-reason `-`), HTTPS (ACCEPT), bastion \
         -> apps SSH.\n\
         - app-b1 -> IPv6 internet (2001:db8::/32) through the egress-only internet gateway.\n\
         - Two downloads above 4 GiB in one record (app-b1 at {}, batch-worker at {}).\n\
         - SKIPDATA rows on the NAT ENI, app-b1 and the bastion.\n\
         - monitor -> each app server's metrics :9100 every 5 minutes, from the window's first \
         minutes to its last; monitor never talks to the internet, so its public IP is paid for \
         nothing.\n\
         - app-a1 and app-c1 -> orders-db :5432 (RDS in us-east-1a), 20 queries an hour each \
         with answers of megabytes: app-a1's stay in its zone, app-c1's cross from us-east-1a \
         to us-east-1c.\n\
         - Account 044455556666: etl-1 -> S3 eu-west-1 over the internet gateway; report-1 -> \
         internet and DynamoDB eu-west-1 through the NAT gateway's ENI in eu-west-1a, and -> S3 \
         through the S3 interface endpoint (by its own DNS name), four exports an hour; \
         ingest-b1 -> internet through the NAT gateway's ENI in its own zone, eu-west-1b; \
         legacy-web is blocked by VPC Block Public Access (REJECT with reject-reason BPA, in \
         flow log fl-0bpaaudit00000007 because the default format has no reject-reason).\n\n\
         The batch worker runs only in hour {} ({}), the only hour its Parquet flow log holds. \
         app-a2 logs to CloudWatch Logs; only hour {} ({}) was exported, so in other hours its \
         traffic shows only on the NAT, endpoint and peer ENIs.\n\n",
        hour(opts, 1 % opts.hours),
        hour(opts, e.worker_hour),
        e.worker_hour,
        hour(opts, e.worker_hour),
        e.cloudwatch_hour,
        hour(opts, e.cloudwatch_hour)
    ));
}

/// "Files": one table row per flow log, then where each kind of file lives.
fn files(s: &mut String, summary: &EstateSummary) {
    s.push_str("## Files\n\n| flow log | account | delivery | version | files | records | fields |\n|---|---|---|---|---|---|---|\n");
    for t in &summary.flow_logs {
        let numbers = [
            t.version.to_string(),
            t.files.to_string(),
            t.records.to_string(),
        ];
        let [version, files, records] = &numbers;
        let (id, account, delivery) = (&t.flow_log_id, &t.account_id, &t.delivery);
        s.push_str(&table_row(&[
            id, account, delivery, version, files, records, &t.fields,
        ]));
    }
    s.push_str(
        "\n- `AWSLogs/111122223333/vpcflowlogs/us-east-1/YYYY/MM/DD/HH/`: gzipped text with a \
         header line, one object per flow log and hour; the Parquet object sits next to them.\n\
         - `AWSLogs/aws-account-id=044455556666/aws-service=vpcflowlogs/aws-region=eu-west-1/\
         year=…/month=…/day=…/hour=…/`: the second account, Hive-style.\n\
         - `cloudwatch/<eni>-all.log`: one exported log stream, default format, no header.\n\
         - `inventory/<account>/<region>/describe-*.json` and `inventory/ip-ranges.json` (a \
         subset of AWS's file).\n",
    );
}
