//! Drawing one synthetic record: which ENI captured it, when, its status, addresses, ports,
//! protocol, volume and verdict. All values are drawn before any field is written, so every
//! layout of the same seed describes the same traffic.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::pool::{SynthEni, SynthKind, SynthPool};
use super::text::Addr;
use crate::generate::traffic::spread;

/// Services `pkt-*-aws-service` may name.
const SERVICES: &[&str] = &["S3", "DYNAMODB", "AMAZON", "EC2", "CLOUDFRONT", "ROUTE53"];
/// Server ports of TCP flows, the common ones repeated.
const TCP_PORTS: &[u16] = &[
    443, 443, 443, 443, 443, 80, 80, 22, 5432, 3306, 6379, 8080, 8443, 9092, 27017, 3389, 25, 2049,
];
/// Server ports of UDP flows.
const UDP_PORTS: &[u16] = &[53, 53, 53, 123, 514, 4789, 8125, 51820];
/// TCP flags of records the client sends.
const CLIENT_FLAGS: &[u8] = &[2, 3, 3, 3, 0, 1, 4, 2];
/// TCP flags of records the server sends.
const SERVER_FLAGS: &[u8] = &[18, 19, 19, 19, 0, 1, 4, 18];
/// Traffic paths of egress records, the same-VPC path most often.
const TRAFFIC_PATHS: &[u8] = &[1, 1, 1, 1, 1, 1, 8, 8, 7, 7, 2, 4, 3, 5, 6];

/// Public IPv4 addresses outside the private and documentation-free ranges we use for hosts.
fn public_v4(rng: &mut ChaCha8Rng) -> u32 {
    const FIRST: &[u8] = &[3, 13, 18, 34, 35, 44, 52, 54, 99, 104, 151, 185, 198, 203];
    let first = FIRST[rng.random_range(0..FIRST.len())];
    (u32::from(first) << 24) | (rng.random::<u32>() & 0x00ff_fffe) | 1
}

/// A record's `log-status`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Status {
    #[default]
    Ok,
    NoData,
    SkipData,
}

/// The values of one synthetic record, drawn before any field is written. NODATA and SKIPDATA
/// rows draw only the ENI, the next hop and the window; their other values stay those of the
/// row before (and are written as `-` where packets make them).
#[derive(Default)]
pub(crate) struct SynthRow {
    /// The capturing ENI, the capture window and the status.
    pub(crate) eni: usize,
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) status: Status,
    /// Recorded addresses and ports, and the AWS service of the packet source.
    pub(crate) src: Addr,
    pub(crate) dst: Addr,
    pub(crate) srcport: u16,
    pub(crate) dstport: u16,
    pub(crate) src_svc: Option<&'static str>,
    /// Packet-level addresses and protocol, and the AWS service of the packet destination.
    pub(crate) pkt_src: Addr,
    pub(crate) pkt_dst: Addr,
    pub(crate) proto: u8,
    pub(crate) dst_svc: Option<&'static str>,
    /// Volume and verdict; the traffic path of egress records.
    pub(crate) packets: u64,
    pub(crate) bytes: u64,
    pub(crate) accept: bool,
    pub(crate) bpa: bool,
    pub(crate) path: Option<u8>,
    /// TCP flags, direction, packets lost and the encryption status, when known.
    pub(crate) flags: u8,
    pub(crate) egress: bool,
    pub(crate) lost: u64,
    pub(crate) encryption: Option<u8>,
    /// The next hop: another ENI of the pool, named on about 30% of the records.
    pub(crate) hop: usize,
    pub(crate) has_hop: bool,
}

impl SynthRow {
    /// Draws the next record, `offset` seconds into the day.
    pub(crate) fn fill(&mut self, rng: &mut ChaCha8Rng, pool: &SynthPool, offset: i64) {
        self.eni = rng.random_range(0..pool.enis.len());
        self.hop = rng.random_range(0..pool.enis.len());
        self.start = pool.base + offset + rng.random_range(0..60i64);
        self.status = match rng.random_range(0..1_000u32) {
            0..7 => Status::NoData,
            7..10 => Status::SkipData,
            _ => Status::Ok,
        };
        if self.status != Status::Ok {
            self.end = self.start + rng.random_range(50..=60i64);
            return;
        }
        self.end = self.start + rng.random_range(0..=60i64);
        let v6 = rng.random_range(0..100u32) < 5;
        let (local_is_client, local_port, peer_port) = self.draw_ports(rng, v6);
        self.draw_addresses(rng, &pool.enis[self.eni], v6, local_port, peer_port);
        self.draw_services(rng);
        self.draw_volume(rng);
        self.draw_verdict(rng, local_is_client);
    }

    /// Protocol, direction and ports; returns whether the capturing ENI is the client, and its
    /// port and the peer's.
    fn draw_ports(&mut self, rng: &mut ChaCha8Rng, v6: bool) -> (bool, u16, u16) {
        self.proto = match rng.random_range(0..100u32) {
            0..85 => 6,
            85..97 => 17,
            _ if v6 => 17,
            _ => 1,
        };
        self.egress = rng.random_bool(0.5);
        let local_is_client = rng.random_bool(0.5);
        let (server_port, client_port) = match self.proto {
            6 => (
                TCP_PORTS[rng.random_range(0..TCP_PORTS.len())],
                rng.random_range(1_024..=65_535u16),
            ),
            17 => (
                UDP_PORTS[rng.random_range(0..UDP_PORTS.len())],
                rng.random_range(1_024..=65_535u16),
            ),
            _ => (0, 0),
        };
        if local_is_client {
            (local_is_client, client_port, server_port)
        } else {
            (local_is_client, server_port, client_port)
        }
    }

    /// Source and destination (the ENI's own address and a private, public or IPv6 peer), and
    /// the packet-level addresses, which differ on NAT and transit-gateway ENIs now and then.
    fn draw_addresses(
        &mut self,
        rng: &mut ChaCha8Rng,
        eni: &SynthEni,
        v6: bool,
        local_port: u16,
        peer_port: u16,
    ) {
        let peer_public = rng.random_range(0..100u32) < 40;
        let (local, peer) = if v6 {
            let mut peer = [0u16; 8];
            peer[0] = 0x2001;
            peer[1] = 0xdb8;
            for g in &mut peer[2..] {
                *g = rng.random_range(1..=0xffff);
            }
            (Addr::V6(eni.v6), Addr::V6(peer))
        } else if peer_public {
            (Addr::V4(eni.v4), Addr::V4(public_v4(rng)))
        } else {
            let peer = (10 << 24) | (rng.random::<u32>() & 0x00ff_fffe) | 1;
            (Addr::V4(eni.v4), Addr::V4(peer))
        };
        if self.egress {
            (self.src, self.dst, self.srcport, self.dstport) = (local, peer, local_port, peer_port);
        } else {
            (self.src, self.dst, self.srcport, self.dstport) = (peer, local, peer_port, local_port);
        }
        (self.pkt_src, self.pkt_dst) = (self.src, self.dst);
        // On NAT and transit-gateway ENIs the packet's far end is often not the recorded peer.
        let hop = matches!(eni.kind, SynthKind::NatGateway | SynthKind::TransitGateway);
        if hop && !v6 && rng.random_bool(0.5) {
            let far = Addr::V4(public_v4(rng));
            if self.egress {
                self.pkt_src = far;
            } else {
                self.pkt_dst = far;
            }
        }
    }

    /// The AWS services of public packet addresses, for about a third of them.
    fn draw_services(&mut self, rng: &mut ChaCha8Rng) {
        let mut svc = |a: Addr| match a {
            Addr::V4(ip) if ip >> 24 != 10 && rng.random_range(0..100u32) < 35 => {
                Some(SERVICES[rng.random_range(0..SERVICES.len())])
            }
            _ => None,
        };
        self.src_svc = svc(self.pkt_src);
        self.dst_svc = svc(self.pkt_dst);
    }

    /// Packets and bytes; three records in a thousand are big enough to need 64 bits.
    fn draw_volume(&mut self, rng: &mut ChaCha8Rng) {
        if rng.random_range(0..1_000u32) < 3 {
            self.packets = rng.random_range(3_100_000..6_000_000u64);
            self.bytes = self.packets * rng.random_range(1_400..=1_500u64);
        } else {
            self.packets = spread(rng, 1, 20_000);
            let size = if self.proto == 1 {
                rng.random_range(64..=100u64)
            } else {
                rng.random_range(40..=1_500u64)
            };
            self.bytes = self.packets * size;
        }
    }

    /// Accept or reject (some rejects by Block Public Access), TCP flags, traffic path, next
    /// hop, encryption status and packets lost.
    fn draw_verdict(&mut self, rng: &mut ChaCha8Rng, local_is_client: bool) {
        self.accept = rng.random_range(0..100u32) < 90;
        self.bpa = !self.accept && rng.random_range(0..100u32) < 15;
        self.flags = if self.proto != 6 {
            0
        } else if !self.accept {
            2
        } else if local_is_client == self.egress {
            CLIENT_FLAGS[rng.random_range(0..CLIENT_FLAGS.len())]
        } else {
            SERVER_FLAGS[rng.random_range(0..SERVER_FLAGS.len())]
        };
        self.path = self
            .egress
            .then(|| TRAFFIC_PATHS[rng.random_range(0..TRAFFIC_PATHS.len())]);
        self.has_hop = rng.random_range(0..100u32) < 30;
        // Four values in five: 0 to 3; the fifth draw leaves it unknown.
        self.encryption = Some(rng.random_range(0..5u8)).filter(|e| *e < 4);
        self.lost = if rng.random_range(0..100u32) < 3 {
            rng.random_range(1..50u64)
        } else {
            0
        };
    }
}
