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
    internet_peers(rng, ranges, 24, n)
}

/// `n` distinct internet peers (no AWS service's) from the `/len` networks at `ranges`; `n`
/// must be below the networks' host count.
fn internet_peers(rng: &mut ChaCha8Rng, ranges: &[[u8; 4]], len: u8, n: usize) -> Vec<Peer> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < n {
        let base = ranges[rng.random_range(0..ranges.len())];
        let ip = addr_in(rng, base, len);
        if seen.insert(ip.clone()) {
            out.push(Peer { ip, service: "-" });
        }
    }
    out
}

/// Public /8 networks outside every range of [`IP_RANGES_V4`], for estates with many internet
/// peers: addresses there are the internet's, no AWS service's.
pub(crate) const WIDE_INTERNET: [[u8; 4]; 4] = [
    [81, 0, 0, 0],
    [151, 0, 0, 0],
    [185, 0, 0, 0],
    [193, 0, 0, 0],
];

/// The most internet peers of one kind an estate can have: a small share of
/// `WIDE_INTERNET`'s addresses, so that drawing them distinct stays quick.
pub const MAX_INTERNET_PEERS: usize = 1 << 20;

impl Peers {
    /// Draws every list of peers, in a fixed order. With `internet`, the web servers, the
    /// scanners and the HTTPS clients are that many each, drawn afterwards from wide public
    /// networks (the other lists, and so the rest of the estate, stay those of the seed).
    pub(crate) fn build(rng: &mut ChaCha8Rng, internet: Option<usize>) -> Peers {
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
        let mut peers = Peers {
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
        };
        if let Some(n) = internet {
            let n = n.clamp(1, MAX_INTERNET_PEERS);
            peers.web = internet_peers(rng, &WIDE_INTERNET, 8, n);
            peers.scanners = internet_peers(rng, &WIDE_INTERNET, 8, n);
            peers.https_clients = internet_peers(rng, &WIDE_INTERNET, 8, n);
        }
        peers
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::net::Ipv4Addr;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::{IP_RANGES_V4, Peer, Peers};
    use crate::generate::estate::ids::v4;

    fn addresses(peers: &[Peer]) -> BTreeSet<Ipv4Addr> {
        peers.iter().filter_map(|p| p.ip.parse().ok()).collect()
    }

    /// Many internet peers are that many distinct public addresses of no AWS range, and they
    /// leave every other list of the seed as it was.
    #[test]
    fn many_internet_peers_are_distinct_public_and_not_aws() {
        let small = Peers::build(&mut ChaCha8Rng::seed_from_u64(3), None);
        let wide = Peers::build(&mut ChaCha8Rng::seed_from_u64(3), Some(20_000));
        for list in [&wide.web, &wide.scanners, &wide.https_clients] {
            let ips = addresses(list);
            assert_eq!(ips.len(), 20_000);
            for ip in &ips {
                assert!(crate::net::is_public((*ip).into()), "{ip}");
                let aws = IP_RANGES_V4.iter().any(|(base, len, _, _)| {
                    let mask = u32::MAX << (32 - u32::from(*len));
                    u32::from(*ip) & mask == v4(*base) & mask
                });
                assert!(!aws, "{ip} lies in an AWS range");
            }
        }
        assert_eq!(
            (
                small.web.len(),
                small.scanners.len(),
                small.https_clients.len()
            ),
            (14, 30, 16)
        );
        for (a, b) in [(&small.saas, &wide.saas), (&small.s3.use1, &wide.s3.use1)] {
            assert_eq!(addresses(a), addresses(b));
        }
    }
}
