//! The estate's plan: which flow logs, networks, instances, gateways and endpoints it has, added
//! in a fixed order so that a seed always yields the same estate.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::ids::{Ids, aws_time};
use super::parts::{Az, EniOf, EniSpec, SubnetSpec, VpcSpec};
use super::{
    ACCOUNT_1, ACCOUNT_2, Delivery, Dest, Endpoint, Estate, FL_ANALYTICS, FL_BPA, FL_CLOUDWATCH,
    FL_DEFAULT, FL_PARQUET, FL_V5, FL_V8, FlowLog, PROD_IPV6, PROD_VPC_ID, Peers, Policy, Public,
    REGION_1, REGION_2, Roles, Route, S3_PREFIX_LIST_USE1, SpareEip, Target, Usage,
};
use crate::generate::EstateOptions;
use crate::generate::layouts::{DEFAULT_FIELDS, V5_CUSTOM_FIELDS, V8_FIELDS, parquet_fields};

/// Availability Zones of the estate's subnets.
const USE1A: Az = ("us-east-1a", "use1-az1");
const USE1B: Az = ("us-east-1b", "use1-az2");
const USE1C: Az = ("us-east-1c", "use1-az4");
const EUW1A: Az = ("eu-west-1a", "euw1-az3");
const EUW1B: Az = ("eu-west-1b", "euw1-az1");

/// The prod VPC's subnets: public-a, private-a, private-b, private-c, batch-b.
const PROD_SUBNETS: [SubnetSpec; 5] = [
    ("public-a", USE1A, [10, 0, 0, 0], 24, Some(0), true),
    ("private-a", USE1A, [10, 0, 16, 0], 20, Some(1), false),
    ("private-b", USE1B, [10, 0, 32, 0], 20, Some(2), false),
    ("private-c", USE1C, [10, 0, 48, 0], 20, None, false),
    ("batch-b", USE1B, [10, 1, 0, 0], 20, None, false),
];

/// The analytics VPC's subnets: public-a, public-b, private-a.
const ANALYTICS_SUBNETS: [SubnetSpec; 3] = [
    ("public-a", EUW1A, [10, 0, 0, 0], 24, None, true),
    ("public-b", EUW1B, [10, 0, 1, 0], 24, None, true),
    ("private-a", EUW1A, [10, 0, 16, 0], 20, None, false),
];

/// The analytics VPC's later subnet, private-b.
const ANALYTICS_PRIVATE_B: SubnetSpec = ("private-b", EUW1B, [10, 0, 32, 0], 20, None, false);

/// The buckets prod's S3 gateway endpoint allows.
const PROD_BUCKETS: [&str; 3] = ["prod-app-assets", "prod-app-uploads", "prod-batch-results"];

/// Builds the estate from the seed: ids, addresses and peers are drawn from one RNG in a fixed
/// order, so a seed always yields the same estate.
pub(crate) fn build(opts: &EstateOptions) -> Estate {
    let mut ids = Ids::new(opts.seed);
    let last = opts.hours.saturating_sub(1);
    let worker_hour = 2.min(last);
    let cloudwatch_hour = 3.min(last);
    let peers = Peers::build(&mut ids.rng, opts.internet_peers);
    let mut e = Estate {
        flow_logs: flow_logs(worker_hour, cloudwatch_hour),
        worker_hour,
        cloudwatch_hour,
        vpcs: Vec::new(),
        subnets: Vec::new(),
        route_tables: Vec::new(),
        groups: BTreeMap::new(),
        enis: Vec::new(),
        nats: Vec::new(),
        endpoints: Vec::new(),
        spare_eips: Vec::new(),
        peers,
        roles: Roles::default(),
    };
    let prod_subnets = prod(&mut e, &mut ids, opts.start);
    let analytics = analytics(&mut e, &mut ids, opts.start);
    // The parts added to the sample later draw their ids and addresses after the first ones,
    // so those keep theirs.
    prod_later(&mut e, &mut ids, prod_subnets);
    analytics_later(&mut e, &mut ids, &analytics, opts.start);
    e
}

/// The seven flow logs, in the order of the `FL_*` indices.
fn flow_logs(worker_hour: u32, cloudwatch_hour: u32) -> Vec<FlowLog> {
    let primary = |id, fields: &[&'static str], delivery| FlowLog {
        id,
        account: ACCOUNT_1,
        region: REGION_1,
        fields: fields.to_vec(),
        delivery,
    };
    let second = |id, fields: &[&'static str]| FlowLog {
        id,
        account: ACCOUNT_2,
        region: REGION_2,
        fields: fields.to_vec(),
        delivery: Delivery::S3Hive,
    };
    let parquet = Delivery::S3Parquet { hour: worker_hour };
    let cloudwatch = Delivery::CloudWatch {
        hour: cloudwatch_hour,
    };
    vec![
        primary("fl-0default000000001", DEFAULT_FIELDS, Delivery::S3Text),
        primary("fl-0v5custom00000002", V5_CUSTOM_FIELDS, Delivery::S3Text),
        primary("fl-0v8custom00000003", V8_FIELDS, Delivery::S3Text),
        primary("fl-0parquet0000000004", &parquet_fields(), parquet),
        primary("fl-0cloudwatch000005", DEFAULT_FIELDS, cloudwatch),
        second("fl-0analytics0000006", DEFAULT_FIELDS),
        second("fl-0bpaaudit00000007", V8_FIELDS),
    ]
}

/// A default route (`0.0.0.0/0`) to `target`.
fn default_v4(target: Target) -> Route {
    Route {
        dest: Dest::V4("0.0.0.0/0".into()),
        target,
    }
}

/// A default IPv6 route (`::/0`) to `target`.
fn default_v6(target: Target) -> Route {
    Route {
        dest: Dest::V6("::/0".into()),
        target,
    }
}

/// Account 1, us-east-1: VPC "prod" with its subnets, instances, NAT gateway, endpoints and
/// route tables; returns the subnets.
fn prod(e: &mut Estate, ids: &mut Ids, start: DateTime<Utc>) -> [usize; 5] {
    let vpc = e.add_vpc(
        ids,
        VpcSpec {
            id: Some(PROD_VPC_ID),
            name: "prod",
            account: ACCOUNT_1,
            region: REGION_1,
            cidrs: &["10.0.0.0/16", "10.1.0.0/16"],
            ipv6: Some(PROD_IPV6),
            eigw: true,
        },
        aws_time(start, 412, 3_187),
    );
    let subnets = PROD_SUBNETS.map(|s| e.add_subnet(ids, vpc, s));
    prod_instances(e, ids, subnets);
    let nat = prod_gateways(e, ids, vpc, subnets, start);
    prod_routes(e, ids, vpc, nat, subnets, start);
    subnets
}

/// The prod VPC's instances: bastion, four app servers and the batch worker.
fn prod_instances(e: &mut Estate, ids: &mut Ids, subnets: [usize; 5]) {
    let [public_a, private_a, private_b, private_c, batch_b] = subnets;
    let instance = EniSpec::instance;
    let role = "bastion host (public IP)";
    let bastion = instance("bastion", role, public_a, FL_V8);
    let bastion = bastion.exposed(&[Public::Auto("3.88.120.20")], "bastion");
    e.roles.bastion = e.add_eni(ids, bastion);
    let role = "app server, Postgres :5432, API :8080 on its secondary IP";
    e.roles.apps.a1 = e.add_eni(
        ids,
        EniSpec {
            ips: 2,
            ..instance("app-a1", role, private_a, FL_DEFAULT)
        },
    );
    let role = "app server (CloudWatch Logs only)";
    e.roles.apps.a2 = e.add_eni(ids, instance("app-a2", role, private_a, FL_CLOUDWATCH));
    e.roles.apps.b1 = e.add_eni(
        ids,
        EniSpec {
            ipv6: true,
            ..instance("app-b1", "app server, dual-stack", private_b, FL_DEFAULT)
        },
    );
    let role = "app server (subnet without S3 endpoint route)";
    e.roles.apps.c1 = e.add_eni(ids, instance("app-c1", role, private_c, FL_DEFAULT));
    let role = "batch worker in the secondary CIDR";
    e.roles.worker = e.add_eni(ids, instance("batch-worker", role, batch_b, FL_PARQUET));
}

/// The prod VPC's NAT gateway and interface endpoints; returns the NAT gateway.
fn prod_gateways(
    e: &mut Estate,
    ids: &mut Ids,
    vpc: usize,
    subnets: [usize; 5],
    start: DateTime<Utc>,
) -> usize {
    let [public_a, private_a, private_b, private_c, _] = subnets;
    let eips = &[
        Public::Elastic("52.20.147.81"),
        Public::Elastic("3.91.41.17"),
    ];
    let created = aws_time(start, 380, 41_020);
    let nat = e.add_nat(ids, "nat-prod", public_a, eips, FL_V5, created);
    e.roles.nat = e.nats[nat].enis[0];
    let (ab, abc) = (&[private_a, private_b], &[private_a, private_b, private_c]);
    let created = aws_time(start, 301, 7_310);
    e.roles.ssm = e.add_interface_endpoint(ids, vpc, "ssm", Usage::Busy, ab, created);
    let created = aws_time(start, 188, 52_111);
    e.roles.kms = e.add_interface_endpoint(ids, vpc, "kms", Usage::Idle, abc, created);
    let created = aws_time(start, 97, 30_402);
    e.roles.ecr = e.add_interface_endpoint(ids, vpc, "ecr.api", Usage::Low, &[private_b], created);
    let created = aws_time(start, 301, 7_655);
    e.roles.sts = e.add_interface_endpoint(ids, vpc, "sts", Usage::Busy, ab, created);
    nat
}

/// The prod VPC's route tables and its S3 gateway endpoint (routed from private-a, private-b
/// and batch-b only).
fn prod_routes(
    e: &mut Estate,
    ids: &mut Ids,
    vpc: usize,
    nat: usize,
    subnets: [usize; 5],
    start: DateTime<Utc>,
) {
    let [public_a, private_a, private_b, private_c, batch_b] = subnets;
    let v = &e.vpcs[vpc];
    let (igw, eigw) = (v.igw.clone(), v.eigw.clone().unwrap_or_default());
    let nat_id = e.nats[nat].id.clone();
    let s3_endpoint = ids.next("vpce");
    e.add_route_table(ids, "prod-main", vpc, true, &[], Vec::new());
    let routes = vec![
        default_v4(Target::Igw(igw.clone())),
        default_v6(Target::Igw(igw)),
    ];
    e.add_route_table(ids, "prod-public", vpc, false, &[public_a], routes);
    let routes = vec![
        default_v4(Target::Nat(nat_id.clone())),
        default_v6(Target::Eigw(eigw)),
        Route {
            dest: Dest::PrefixList(S3_PREFIX_LIST_USE1),
            target: Target::Vpce(s3_endpoint.clone()),
        },
    ];
    let private = &[private_a, private_b, batch_b];
    let rt_ab = e.add_route_table(ids, "prod-private-ab", vpc, false, private, routes);
    let routes = vec![default_v4(Target::Nat(nat_id))];
    e.add_route_table(ids, "prod-private-c", vpc, false, &[private_c], routes);
    e.endpoints.push(Endpoint {
        id: s3_endpoint,
        vpc,
        service: "s3",
        usage: None,
        enis: Vec::new(),
        route_tables: vec![rt_ab],
        group: None,
        dns_token: String::new(),
        private_dns: false,
        policy: Policy::Buckets(&PROD_BUCKETS),
        created: aws_time(start, 377, 12_940),
    });
}

/// What [`analytics_later`] builds on.
struct Analytics {
    vpc: usize,
    public_b: usize,
    private_a: usize,
    nat: usize,
    private_table: usize,
}

/// Account 2, eu-west-1: VPC "analytics", same 10.0.0.0/16 as prod on purpose, with an ETL
/// instance, a reporting instance, a web server blocked by Block Public Access and a NAT
/// gateway (made regional by [`analytics_later`]).
fn analytics(e: &mut Estate, ids: &mut Ids, start: DateTime<Utc>) -> Analytics {
    let vpc = e.add_vpc(
        ids,
        VpcSpec {
            id: None,
            name: "analytics",
            account: ACCOUNT_2,
            region: REGION_2,
            cidrs: &["10.0.0.0/16"],
            ipv6: None,
            eigw: false,
        },
        aws_time(start, 233, 61_200),
    );
    let [public_a, public_b, private_a] = ANALYTICS_SUBNETS.map(|s| e.add_subnet(ids, vpc, s));
    let instance = EniSpec::instance;
    let role = "ETL instance, reads S3 eu-west-1 over the internet gateway";
    let etl = instance("etl-1", role, public_a, FL_ANALYTICS);
    e.roles.etl = e.add_eni(ids, etl.exposed(&[Public::Auto("34.245.60.12")], "etl"));
    let role = "reporting instance behind the NAT gateway";
    e.roles.report = e.add_eni(ids, instance("report-1", role, private_a, FL_ANALYTICS));
    let role = "web server blocked by VPC Block Public Access";
    let legacy = instance("legacy-web", role, public_b, FL_BPA);
    let legacy = legacy.exposed(&[Public::Auto("34.247.9.200")], "legacy-web");
    e.roles.legacy = e.add_eni(ids, legacy);
    let eips = &[Public::Elastic("34.242.17.5")];
    let created = aws_time(start, 230, 3_600);
    let nat = e.add_nat(ids, "nat-analytics", public_a, eips, FL_ANALYTICS, created);
    e.roles.nat2 = e.nats[nat].enis[0];
    let igw = e.vpcs[vpc].igw.clone();
    let nat_id = e.nats[nat].id.clone();
    e.add_route_table(ids, "analytics-main", vpc, true, &[], Vec::new());
    let routes = vec![default_v4(Target::Igw(igw))];
    let public = &[public_a, public_b];
    e.add_route_table(ids, "analytics-public", vpc, false, public, routes);
    let routes = vec![default_v4(Target::Nat(nat_id))];
    let private_table =
        e.add_route_table(ids, "analytics-private", vpc, false, &[private_a], routes);
    Analytics {
        vpc,
        public_b,
        private_a,
        nat,
        private_table,
    }
}

/// Prod's later parts: a monitoring instance in public-a (which assigns public IPs at launch)
/// that only talks inside the VPC, an RDS database in private-a, and an Elastic IP kept for a
/// NAT gateway in us-east-1c that was never created.
fn prod_later(e: &mut Estate, ids: &mut Ids, subnets: [usize; 5]) {
    let [public_a, private_a, ..] = subnets;
    let role = "monitoring, scrapes the app servers' :9100; public IP assigned at launch, unused";
    let monitor = EniSpec::instance("monitor", role, public_a, FL_V8);
    let monitor = monitor.exposed(&[Public::Auto("3.84.201.45")], "monitor");
    e.roles.monitor = e.add_eni(ids, monitor);
    e.roles.orders_db = e.add_eni(
        ids,
        EniSpec {
            kind: EniOf::Rds,
            group: Some("orders-db"),
            ..EniSpec::instance(
                "orders-db",
                "RDS for PostgreSQL :5432, read by app-a1 and app-c1",
                private_a,
                FL_DEFAULT,
            )
        },
    );
    e.spare_eips.push(SpareEip {
        account: ACCOUNT_1,
        region: REGION_1,
        ip: "3.94.23.118",
        allocation: ids.next("eipalloc"),
        name: "nat-prod-c",
        story: "allocated for a NAT gateway in us-east-1c that was never created",
    });
}

/// The analytics VPC's later parts: its NAT gateway becomes regional (an address in
/// eu-west-1a and one in eu-west-1b), a private subnet in eu-west-1b with an ingest instance
/// shares the private route table, and an S3 interface endpoint with private DNS off serves
/// report-1's exports.
fn analytics_later(e: &mut Estate, ids: &mut Ids, a: &Analytics, start: DateTime<Utc>) {
    let private_b = e.add_subnet(ids, a.vpc, ANALYTICS_PRIVATE_B);
    let association = ids.next("rtbassoc");
    e.route_tables[a.private_table]
        .subnets
        .push((private_b, association));
    let role = "ingest worker behind the regional NAT gateway";
    let ingest = EniSpec::instance("ingest-b1", role, private_b, FL_ANALYTICS);
    e.roles.ingest = e.add_eni(ids, ingest);
    e.enis[e.roles.nat2].name = "nat-analytics-a".into();
    let eips = &[Public::Elastic("34.246.130.77")];
    let zone_b = ("nat-analytics-b", a.public_b);
    e.roles.nat2_b = e.make_regional(ids, a.nat, zone_b, eips, FL_ANALYTICS);
    let created = aws_time(start, 41, 50_311);
    let s3 = (a.vpc, "s3", Usage::Named);
    e.roles.s3_interface =
        e.add_interface_endpoint_logged(ids, s3, &[a.private_a], FL_ANALYTICS, created);
}
