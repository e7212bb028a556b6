//! The public side of the estate: the subset of `ip-ranges.json` it knows, and the internet and
//! AWS-service peers its instances talk to.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::ids::v4;

/// Subset of ip-ranges.json (IPv4): prefix, length, region, service. Each service prefix is also
/// listed as AMAZON, as AWS does; the order is the file's order.
pub(crate) const IP_RANGES_V4: &[([u8; 4], u8, &str, &str)] = &[
    ([3, 5, 0, 0], 19, "us-east-1", "AMAZON"),
    ([3, 5, 0, 0], 19, "us-east-1", "S3"),
    ([3, 5, 64, 0], 21, "eu-west-1", "AMAZON"),
    ([3, 5, 64, 0], 21, "eu-west-1", "S3"),
    ([3, 80, 0, 0], 12, "us-east-1", "AMAZON"),
    ([3, 80, 0, 0], 12, "us-east-1", "EC2"),
    ([3, 218, 180, 0], 22, "us-east-1", "AMAZON"),
    ([3, 218, 180, 0], 22, "us-east-1", "DYNAMODB"),
    ([13, 32, 0, 0], 15, "GLOBAL", "AMAZON"),
    ([13, 32, 0, 0], 15, "GLOBAL", "CLOUDFRONT"),
    ([34, 240, 0, 0], 13, "eu-west-1", "AMAZON"),
    ([34, 240, 0, 0], 13, "eu-west-1", "EC2"),
    ([52, 0, 0, 0], 11, "us-east-1", "AMAZON"),
    ([52, 20, 0, 0], 14, "us-east-1", "EC2"),
    ([52, 94, 0, 0], 22, "us-east-1", "AMAZON"),
    ([52, 94, 0, 0], 22, "us-east-1", "DYNAMODB"),
    ([52, 94, 24, 0], 23, "eu-west-1", "AMAZON"),
    ([52, 94, 24, 0], 23, "eu-west-1", "DYNAMODB"),
    ([52, 216, 0, 0], 15, "us-east-1", "AMAZON"),
    ([52, 216, 0, 0], 15, "us-east-1", "S3"),
    ([52, 218, 0, 0], 17, "eu-west-1", "AMAZON"),
    ([52, 218, 0, 0], 17, "eu-west-1", "S3"),
    ([54, 231, 0, 0], 17, "us-east-1", "AMAZON"),
    ([54, 231, 0, 0], 17, "us-east-1", "S3"),
];

/// Subset of ip-ranges.json (IPv6): prefix, region, service.
pub(crate) const IP_RANGES_V6: &[(&str, &str, &str)] = &[
    ("2600:1f18::/33", "us-east-1", "AMAZON"),
    ("2600:1f18::/33", "us-east-1", "EC2"),
    ("2600:1fa0:4000::/40", "us-east-1", "AMAZON"),
    ("2600:1fa0:4000::/40", "us-east-1", "S3"),
    ("2600:9000::/28", "GLOBAL", "AMAZON"),
    ("2600:9000::/28", "GLOBAL", "CLOUDFRONT"),
    ("2a05:d018::/35", "eu-west-1", "AMAZON"),
    ("2a05:d018::/35", "eu-west-1", "EC2"),
];

/// A public peer: an address and its ip-ranges.json service (`-` when it is not AWS's).
pub(crate) struct Peer {
    pub(crate) ip: String,
    pub(crate) service: &'static str,
}

/// The peers of each kind of traffic, drawn once per estate.
#[derive(Default)]
pub(crate) struct Peers {
    /// Web servers in the documentation ranges.
    pub(crate) web: Vec<Peer>,
    /// SaaS endpoints on EC2 addresses in us-east-1.
    pub(crate) saas: Vec<Peer>,
    /// CloudFront edges.
    pub(crate) cdn: Vec<Peer>,
    /// S3.
    pub(crate) s3: Regional,
    /// DynamoDB.
    pub(crate) ddb: Regional,
    /// Internet scanners (203.0.113.0/24).
    pub(crate) scanners: Vec<Peer>,
    /// Internet clients of the bastion's HTTPS (198.51.100.0/24).
    pub(crate) https_clients: Vec<Peer>,
    /// IPv6 web servers (2001:db8::/32).
    pub(crate) web6: Vec<Peer>,
}

/// The addresses of an AWS service in the estate's two regions.
#[derive(Default)]
pub(crate) struct Regional {
    /// us-east-1.
    pub(crate) use1: Vec<Peer>,
    /// eu-west-1.
    pub(crate) euw1: Vec<Peer>,
}

/// A random host address inside `base/len`, skipping network and broadcast addresses.
fn addr_in(rng: &mut ChaCha8Rng, base: [u8; 4], len: u8) -> String {
    let size = 1u64 << (32 - u32::from(len));
    let offset = if size > 2 {
        rng.random_range(1..size - 1)
    } else {
        0
    };
    // The offset is below 2^32 because len >= 1 for every range used here.
    let host = v4(base).wrapping_add(u32::try_from(offset).unwrap_or(0));
    Ipv4Addr::from(host).to_string()
}

/// `n` distinct peers drawn from the IPv4 ranges of one ip-ranges.json service and region.
fn aws_peers(rng: &mut ChaCha8Rng, service: &'static str, region: &str, n: usize) -> Vec<Peer> {
    let ranges: Vec<_> = IP_RANGES_V4
        .iter()
        .filter(|r| r.3 == service && r.2 == region)
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < n && !ranges.is_empty() {
        let r = ranges[rng.random_range(0..ranges.len())];
        let ip = addr_in(rng, r.0, r.1);
        if seen.insert(ip.clone()) {
            out.push(Peer { ip, service });
        }
    }
    out
}

/// `n` distinct internet peers from the documentation ranges.
fn doc_peers(rng: &mut ChaCha8Rng, ranges: &[[u8; 4]], n: usize) -> Vec<Peer> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < n {
        let base = ranges[rng.random_range(0..ranges.len())];
        let ip = addr_in(rng, base, 24);
        if seen.insert(ip.clone()) {
            out.push(Peer { ip, service: "-" });
        }
    }
    out
}

impl Peers {
    /// Draws every list of peers, in a fixed order.
    pub(crate) fn build(rng: &mut ChaCha8Rng) -> Peers {
        const DOC_A: [u8; 4] = [198, 51, 100, 0];
        const DOC_B: [u8; 4] = [203, 0, 113, 0];
        let web6 = (0..6)
            .map(|_| {
                let g: [u16; 5] = std::array::from_fn(|_| rng.random_range(1..=0xffff));
                let ip = Ipv6Addr::new(0x2001, 0xdb8, g[0], g[1], g[2], g[3], g[4], 0x443);
                Peer {
                    ip: ip.to_string(),
                    service: "-",
                }
            })
            .collect();
        Peers {
            web: doc_peers(rng, &[DOC_A, DOC_B], 14),
            saas: aws_peers(rng, "EC2", "us-east-1", 4),
            cdn: aws_peers(rng, "CLOUDFRONT", "GLOBAL", 3),
            s3: Regional {
                use1: aws_peers(rng, "S3", "us-east-1", 12),
                euw1: aws_peers(rng, "S3", "eu-west-1", 8),
            },
            ddb: Regional {
                use1: aws_peers(rng, "DYNAMODB", "us-east-1", 7),
                euw1: aws_peers(rng, "DYNAMODB", "eu-west-1", 4),
            },
            scanners: doc_peers(rng, &[DOC_B], 30),
            https_clients: doc_peers(rng, &[DOC_A], 16),
            web6,
        }
    }
}
