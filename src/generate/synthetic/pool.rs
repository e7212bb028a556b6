//! The fixed world synthetic records are drawn from: six VPCs over three regions, eighteen
//! subnets (one in an Outpost, one in a Local Zone), two transit gateways and 192 ENIs of every
//! kind, some running ECS tasks, some tagged.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::SYNTH_BASE;
use crate::generate::estate::v4;

/// What a synthetic ENI belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SynthKind {
    Instance,
    NatGateway,
    VpcEndpoint,
    LoadBalancer,
    TransitGateway,
    Lambda,
}

impl SynthKind {
    /// The `interface-type` AWS reports for it.
    pub(crate) fn interface_type(self) -> &'static str {
        match self {
            SynthKind::Instance => "interface",
            SynthKind::NatGateway => "nat_gateway",
            SynthKind::VpcEndpoint => "vpc_endpoint",
            SynthKind::LoadBalancer => "network_load_balancer",
            SynthKind::TransitGateway => "transit_gateway",
            SynthKind::Lambda => "lambda",
        }
    }

    /// Whether AWS manages the ENI (no `instance-id`).
    pub(crate) fn requester_managed(self) -> bool {
        self != SynthKind::Instance
    }
}

/// A VPC: its account, region and transit-gateway attachment.
pub(crate) struct SynthVpc {
    pub(crate) id: String,
    pub(crate) account: &'static str,
    pub(crate) region: &'static str,
    pub(crate) attachment: String,
    pub(crate) tgw: usize,
}

/// A subnet: its AZ id, or a sublocation.
pub(crate) struct SynthSubnet {
    pub(crate) id: String,
    pub(crate) vpc: usize,
    pub(crate) az_id: String,
    /// Sublocation type and id; such subnets have az-id `-`.
    pub(crate) sublocation: Option<(&'static str, String)>,
}

/// An ECS task running on an instance's ENI.
pub(crate) struct EcsTask {
    pub(crate) cluster_arn: String,
    pub(crate) cluster_name: &'static str,
    pub(crate) container_instance: Option<(String, String)>,
    pub(crate) task_definition_arn: String,
    pub(crate) task_arn: String,
    pub(crate) task_id: String,
    pub(crate) container_id: String,
    pub(crate) second_container_id: Option<String>,
    pub(crate) service: Option<&'static str>,
}

/// A network interface with everything a record of it may name.
pub(crate) struct SynthEni {
    pub(crate) id: String,
    pub(crate) account: &'static str,
    pub(crate) instance: Option<String>,
    pub(crate) subnet: usize,
    pub(crate) vpc: usize,
    pub(crate) kind: SynthKind,
    pub(crate) v4: u32,
    pub(crate) v6: [u16; 8],
    pub(crate) ecs: Option<EcsTask>,
    pub(crate) resource_id: Option<String>,
    pub(crate) tags: [Option<&'static str>; 6],
}

/// The fixed world synthetic records are drawn from.
pub(crate) struct SynthPool {
    pub(crate) subnets: Vec<SynthSubnet>,
    pub(crate) vpcs: Vec<SynthVpc>,
    pub(crate) enis: Vec<SynthEni>,
    pub(crate) tgws: [String; 2],
    pub(crate) base: i64,
}

/// Accounts of the VPCs, in turn.
const SYNTH_ACCOUNTS: &[&str] = &[
    "111122223333",
    "044455556666",
    "001607371330",
    "123456789012",
    "098765432109",
];
/// Regions of the VPCs, in turn, with their AZ-id prefix.
const SYNTH_REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "use1"),
    ("eu-west-1", "euw1"),
    ("ap-southeast-2", "apse2"),
];

/// Values of the six tag fields (instance, interface, Auto Scaling group; two each).
const TAG_VALUES: [&[&str]; 6] = [
    &["web", "payments-api", "batch%20jobs", "team%3Ddata"],
    &["prod", "staging", "cost-center-42"],
    &["primary", "eth1"],
    &["blue", "green"],
    &["asg-web-prod", "asg-batch"],
    &["spot", "on-demand"],
];

/// `n` random lowercase hex digits.
fn hex_token(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16usize)]))
        .collect()
}

/// An AWS-shaped id (`prefix-0` + 16 hex digits); repeats are not checked.
fn synth_id(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    let v: u64 = rng.random();
    format!("{prefix}-0{v:016x}")
}

impl SynthPool {
    /// Draws the world from `rng`, in a fixed order.
    pub(crate) fn new(rng: &mut ChaCha8Rng) -> SynthPool {
        let tgws = [synth_id(rng, "tgw"), synth_id(rng, "tgw")];
        let (vpcs, subnets) = networks(rng);
        let enis = (0..192usize)
            .map(|i| synth_eni(rng, i, &vpcs, &subnets))
            .collect();
        SynthPool {
            subnets,
            vpcs,
            enis,
            tgws,
            base: SYNTH_BASE,
        }
    }
}

/// Six VPCs, each with three subnets; VPC 3 has a Local Zone subnet, VPC 4 an Outpost one.
fn networks(rng: &mut ChaCha8Rng) -> (Vec<SynthVpc>, Vec<SynthSubnet>) {
    let mut vpcs = Vec::new();
    let mut subnets = Vec::new();
    for v in 0..6usize {
        let (region, short) = SYNTH_REGIONS[v % SYNTH_REGIONS.len()];
        vpcs.push(SynthVpc {
            id: synth_id(rng, "vpc"),
            account: SYNTH_ACCOUNTS[v % SYNTH_ACCOUNTS.len()],
            region,
            attachment: synth_id(rng, "tgw-attach"),
            tgw: v % 2,
        });
        for k in 0..3usize {
            let sublocation = match (v, k) {
                (4, 2) => Some(("outpost", synth_id(rng, "op"))),
                (3, 2) => Some(("localzone", format!("{region}-bos-1a"))),
                _ => None,
            };
            subnets.push(SynthSubnet {
                id: synth_id(rng, "subnet"),
                vpc: v,
                az_id: format!("{short}-az{}", k + 1),
                sublocation,
            });
        }
    }
    (vpcs, subnets)
}

/// What kind of ENI the next one is: mostly instances, then NAT gateways, endpoints, load
/// balancers, transit gateways and Lambda functions.
fn synth_kind(rng: &mut ChaCha8Rng) -> SynthKind {
    match rng.random_range(0..100u32) {
        0..70 => SynthKind::Instance,
        70..78 => SynthKind::NatGateway,
        78..90 => SynthKind::VpcEndpoint,
        90..95 => SynthKind::LoadBalancer,
        95..98 => SynthKind::TransitGateway,
        _ => SynthKind::Lambda,
    }
}

/// ENI number `i`: a random subnet and kind, its addresses, and what instances may carry (an
/// ECS task, tags).
fn synth_eni(
    rng: &mut ChaCha8Rng,
    i: usize,
    vpcs: &[SynthVpc],
    subnets: &[SynthSubnet],
) -> SynthEni {
    let subnet = rng.random_range(0..subnets.len());
    let vpc = subnets[subnet].vpc;
    let kind = synth_kind(rng);
    let account = if kind == SynthKind::VpcEndpoint && i.is_multiple_of(3) {
        "unknown"
    } else {
        vpcs[vpc].account
    };
    let ecs = (kind == SynthKind::Instance && rng.random_range(0..10u32) == 0)
        .then(|| synth_task(rng, &vpcs[vpc]));
    let tags = std::array::from_fn(|t| {
        let values = TAG_VALUES[t];
        (kind == SynthKind::Instance && rng.random_bool(0.7))
            .then(|| values[rng.random_range(0..values.len())])
    });
    let v4 = v4([
        10,
        (vpc * 16 + subnet % 3) as u8,
        rng.random(),
        rng.random_range(4..255),
    ]);
    let v6 = [
        0x2600,
        0x1f18,
        0x6a00 + vpc as u16,
        0x9d00 + subnet as u16,
        rng.random_range(1..=0xffff),
        rng.random_range(1..=0xffff),
        rng.random_range(1..=0xffff),
        rng.random_range(1..=0xffff),
    ];
    SynthEni {
        id: synth_id(rng, "eni"),
        account,
        subnet,
        vpc,
        kind,
        instance: (!kind.requester_managed()).then(|| synth_id(rng, "i")),
        v4,
        v6,
        ecs,
        resource_id: (kind == SynthKind::NatGateway && rng.random_bool(0.3))
            .then(|| synth_id(rng, "nat")),
        tags,
    }
}

/// An ECS task in `vpc`: cluster, optional container instance, containers, service and ids.
fn synth_task(rng: &mut ChaCha8Rng, vpc: &SynthVpc) -> EcsTask {
    const CLUSTERS: &[&str] = &["prod-cluster", "batch", "web-frontend"];
    let cluster_name = CLUSTERS[rng.random_range(0..CLUSTERS.len())];
    let prefix = format!("arn:aws:ecs:{}:{}", vpc.region, vpc.account);
    let task_id = hex_token(rng, 32);
    let container_instance = rng.random_bool(0.5).then(|| {
        let id = hex_token(rng, 32);
        (
            format!("{prefix}:container-instance/{cluster_name}/{id}"),
            id,
        )
    });
    EcsTask {
        cluster_arn: format!("{prefix}:cluster/{cluster_name}"),
        cluster_name,
        container_instance,
        container_id: hex_token(rng, 64),
        second_container_id: rng.random_bool(0.3).then(|| hex_token(rng, 64)),
        service: rng.random_bool(0.7).then_some(if cluster_name == "batch" {
            "jobs"
        } else {
            "api"
        }),
        task_definition_arn: format!(
            "{prefix}:task-definition/{cluster_name}-task:{}",
            rng.random_range(1..40u32)
        ),
        task_arn: format!("{prefix}:task/{cluster_name}/{task_id}"),
        task_id,
    }
}
