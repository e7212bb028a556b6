//! The emitter: turns one connection into the records each ENI it crosses captures, with the
//! addresses, ports and flags that ENI sees (client, server, NAT gateway, endpoint).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::profiles::{PROBE, Profile, Volume, spread};
use super::{Record, Row};
use crate::generate::EstateOptions;
use crate::generate::estate::{EniKind, Estate, Peer};

/// One connection during one capture window: the addresses the packets carry.
pub(crate) struct Conn {
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) client: String,
    pub(crate) client_svc: &'static str,
    pub(crate) cport: u16,
    pub(crate) server: String,
    pub(crate) server_svc: &'static str,
    pub(crate) sport: u16,
    pub(crate) proto: u8,
    pub(crate) up: Volume,
    pub(crate) down: Volume,
    pub(crate) long: bool,
}

/// One record's view of a connection, before the ENI's metadata is added.
pub(crate) struct Leg<'a> {
    pub(crate) src: &'a str,
    pub(crate) dst: &'a str,
    pub(crate) pkt_src: &'a str,
    pub(crate) pkt_dst: &'a str,
    pub(crate) srcport: u16,
    pub(crate) dstport: u16,
    pub(crate) src_svc: &'static str,
    pub(crate) dst_svc: &'static str,
    pub(crate) vol: Volume,
    pub(crate) flags: u8,
    /// `Some(traffic-path)` for egress records, `None` for ingress.
    pub(crate) egress: Option<u8>,
    pub(crate) action: &'static str,
    pub(crate) reject_reason: &'static str,
}

impl Conn {
    /// Client -> server, as an ingress record with the packet's own addresses.
    pub(crate) fn request(&self) -> Leg<'_> {
        Leg {
            src: &self.client,
            dst: &self.server,
            pkt_src: &self.client,
            pkt_dst: &self.server,
            srcport: self.cport,
            dstport: self.sport,
            src_svc: self.client_svc,
            dst_svc: self.server_svc,
            vol: self.up,
            flags: if self.long { 2 } else { 3 },
            egress: None,
            action: "ACCEPT",
            reject_reason: "-",
        }
    }

    /// Server -> client, as an ingress record with the packet's own addresses.
    pub(crate) fn response(&self) -> Leg<'_> {
        Leg {
            src: &self.server,
            dst: &self.client,
            pkt_src: &self.server,
            pkt_dst: &self.client,
            srcport: self.sport,
            dstport: self.cport,
            src_svc: self.server_svc,
            dst_svc: self.client_svc,
            vol: self.down,
            flags: if self.long { 18 } else { 19 },
            egress: None,
            action: "ACCEPT",
            reject_reason: "-",
        }
    }
}

/// Renders connections of the estate as records, drawing from its own random stream.
pub(crate) struct Emitter<'a> {
    pub(crate) e: &'a Estate,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) rows: Vec<Row>,
}

impl<'a> Emitter<'a> {
    /// An emitter with the traffic's own random stream.
    pub(crate) fn new(e: &'a Estate, opts: &EstateOptions) -> Self {
        Self::with_stream(e, opts, 0x5eed_f10f_0000_0001)
    }

    /// An emitter drawing from the stream of the seed mixed with `stream`.
    pub(crate) fn with_stream(e: &'a Estate, opts: &EstateOptions, stream: u64) -> Self {
        Emitter {
            e,
            rng: ChaCha8Rng::seed_from_u64(opts.seed ^ stream),
            rows: Vec::new(),
        }
    }

    /// One of `items`, at random.
    pub(crate) fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.rng.random_range(0..items.len())]
    }

    /// Bytes in `range` (log-spread) and packets to carry them.
    pub(crate) fn volume(&mut self, range: (u64, u64)) -> Volume {
        if range.1 == 0 {
            return Volume::default();
        }
        let bytes = spread(&mut self.rng, range.0, range.1);
        let mss = self.rng.random_range(900..=1_400u64);
        let packets = (bytes / mss + self.rng.random_range(1..=3u64))
            .min(bytes / 40)
            .max(1);
        Volume { packets, bytes }
    }

    /// A start time inside the hour that leaves room for a 60-second window.
    pub(crate) fn at(&mut self, hour_start: i64) -> i64 {
        hour_start + self.rng.random_range(0..3_540i64)
    }

    /// A TCP connection from `client` to `server` (address, ip-ranges service) starting at
    /// `start`, with duration and volumes drawn for profile `p`.
    pub(crate) fn conn(
        &mut self,
        start: i64,
        client: (&str, &'static str),
        server: (&str, &'static str),
        p: Profile,
    ) -> Conn {
        let long = self.rng.random_range(0..100u32) < p.long_pct;
        let duration = if long {
            self.rng.random_range(40..=59i64)
        } else {
            self.rng.random_range(0..=20i64)
        };
        let up = self.volume(p.up);
        let down = self.volume(p.down);
        Conn {
            start,
            end: start + duration,
            proto: 6,
            client: client.0.to_string(),
            cport: self.rng.random_range(32_768..=60_999u16),
            client_svc: client.1,
            server: server.0.to_string(),
            sport: p.port,
            server_svc: server.1,
            up,
            down,
            long,
        }
    }

    /// The per-ENI fields every record of `eni` carries.
    pub(crate) fn meta(&self, eni: usize) -> Record {
        let e = self.e;
        let n = &e.enis[eni];
        let s = &e.subnets[n.subnet];
        let v = &e.vpcs[s.vpc];
        let mut r = Record::new();
        r.insert("account-id", v.account.to_string());
        r.insert("interface-id", n.id.clone());
        r.insert("vpc-id", v.id.clone());
        r.insert("subnet-id", s.id.clone());
        if let EniKind::Instance { instance_id } = &n.kind {
            r.insert("instance-id", instance_id.clone());
        }
        r.insert("region", v.region.to_string());
        r.insert("az-id", s.az_id.to_string());
        r
    }

    /// Adds the record `eni` captures of one leg of `c`.
    pub(crate) fn push(&mut self, eni: usize, c: &Conn, leg: Leg<'_>) {
        let mut r = self.meta(eni);
        let flags = if c.proto == 6 { leg.flags } else { 0 };
        let family = if leg.pkt_src.contains(':') {
            "IPv6"
        } else {
            "IPv4"
        };
        let direction = if leg.egress.is_some() {
            "egress"
        } else {
            "ingress"
        };
        r.insert("srcaddr", leg.src.to_string());
        r.insert("dstaddr", leg.dst.to_string());
        r.insert("srcport", leg.srcport.to_string());
        r.insert("dstport", leg.dstport.to_string());
        r.insert("protocol", c.proto.to_string());
        r.insert("packets", leg.vol.packets.to_string());
        r.insert("bytes", leg.vol.bytes.to_string());
        r.insert("start", c.start.to_string());
        r.insert("end", c.end.to_string());
        r.insert("action", leg.action.to_string());
        r.insert("log-status", "OK".to_string());
        r.insert("tcp-flags", flags.to_string());
        r.insert("type", family.to_string());
        r.insert("pkt-srcaddr", leg.pkt_src.to_string());
        r.insert("pkt-dstaddr", leg.pkt_dst.to_string());
        r.insert("pkt-src-aws-service", leg.src_svc.to_string());
        r.insert("pkt-dst-aws-service", leg.dst_svc.to_string());
        r.insert("flow-direction", direction.to_string());
        if let Some(path) = leg.egress {
            r.insert("traffic-path", path.to_string());
        }
        r.insert("reject-reason", leg.reject_reason.to_string());
        self.rows.push(Row {
            eni,
            start: c.start,
            rec: r,
        });
    }

    /// A NODATA or SKIPDATA record: only the ENI's metadata and the window.
    pub(crate) fn no_traffic(&mut self, eni: usize, start: i64, end: i64, status: &str) {
        let mut r = self.meta(eni);
        r.insert("start", start.to_string());
        r.insert("end", end.to_string());
        r.insert("log-status", status.to_string());
        self.rows.push(Row { eni, start, rec: r });
    }

    /// The client's ENI: the request leaves by `path`, the response arrives.
    pub(crate) fn client_view(&mut self, eni: usize, c: &Conn, path: u8) {
        let local = self.e.local_addr(eni, &c.client);
        let mut up = c.request();
        up.src = &local;
        up.egress = Some(path);
        self.push(eni, c, up);
        let mut down = c.response();
        down.dst = &local;
        self.push(eni, c, down);
    }

    /// The server's ENI: the request arrives, the response leaves by `path`.
    pub(crate) fn server_view(&mut self, eni: usize, c: &Conn, path: u8) {
        let local = self.e.local_addr(eni, &c.server);
        let mut up = c.request();
        up.dst = &local;
        self.push(eni, c, up);
        let mut down = c.response();
        down.src = &local;
        down.egress = Some(path);
        self.push(eni, c, down);
    }

    /// The NAT gateway's ENI: legs a (client -> NAT), b (NAT -> server, after source NAT to
    /// `snat:snat_port`), c (server -> NAT) and d (NAT -> client).
    pub(crate) fn nat_view(&mut self, nat_eni: usize, c: &Conn, snat: &str, snat_port: u16) {
        let nat_ip = self.e.primary_ip(nat_eni).to_string();
        let mut a = c.request();
        a.dst = &nat_ip;
        self.push(nat_eni, c, a);
        let mut b = c.request();
        (b.src, b.pkt_src, b.srcport, b.src_svc) = (snat, snat, snat_port, "-");
        b.egress = Some(8);
        self.push(nat_eni, c, b);
        let mut cc = c.response();
        (cc.dst, cc.pkt_dst, cc.dstport, cc.dst_svc) = (snat, snat, snat_port, "-");
        self.push(nat_eni, c, cc);
        let mut d = c.response();
        d.src = &nat_ip;
        d.egress = Some(1);
        self.push(nat_eni, c, d);
    }

    /// A connection from an instance through a NAT gateway to a public server.
    pub(crate) fn via_nat(
        &mut self,
        client: usize,
        nat_eni: usize,
        server: &Peer,
        p: Profile,
        hour: i64,
    ) {
        let e = self.e;
        let start = self.at(hour);
        let c = self.conn(
            start,
            (e.primary_ip(client), "-"),
            (&server.ip, server.service),
            p,
        );
        self.client_view(client, &c, 1);
        let ips = &e.enis[nat_eni].ips;
        // Most connections leave from the primary address; the secondary takes the rest.
        let snat = if ips.len() > 1 && self.rng.random_range(0..10u32) < 3 {
            &ips[1]
        } else {
            &ips[0]
        };
        let port = self.rng.random_range(1_024..=65_535u16);
        self.nat_view(nat_eni, &c, snat, port);
    }

    /// An instance talking straight to a public server (gateway endpoint, IGW, egress-only IGW).
    pub(crate) fn direct(
        &mut self,
        client: usize,
        client_ip: &str,
        server: &Peer,
        p: Profile,
        path: u8,
        hour: i64,
    ) -> Conn {
        let start = self.at(hour);
        let c = self.conn(start, (client_ip, "-"), (&server.ip, server.service), p);
        self.client_view(client, &c, path);
        c
    }

    /// Two ENIs of the same VPC: client and server both record it.
    pub(crate) fn intra(
        &mut self,
        client: usize,
        server: usize,
        server_ip: &str,
        p: Profile,
        start: i64,
    ) {
        let e = self.e;
        let c = self.conn(start, (e.primary_ip(client), "-"), (server_ip, "-"), p);
        self.client_view(client, &c, 1);
        self.server_view(server, &c, 1);
    }

    /// An instance calling an interface endpoint, preferring the endpoint ENI in its own AZ.
    pub(crate) fn via_endpoint(
        &mut self,
        client: usize,
        endpoint_enis: &[usize],
        p: Profile,
        start: i64,
    ) {
        let e = self.e;
        let same_az: Vec<usize> = endpoint_enis
            .iter()
            .copied()
            .filter(|x| e.az_id(*x) == e.az_id(client))
            .collect();
        let target = if same_az.is_empty() {
            *self.pick(endpoint_enis)
        } else {
            *self.pick(&same_az)
        };
        self.intra(client, target, e.primary_ip(target), p, start);
    }

    /// Unanswered connection attempts from the internet, rejected on the ENI.
    pub(crate) fn rejected_inbound(
        &mut self,
        eni: usize,
        from: &Peer,
        port: u16,
        reason: &'static str,
        hour: i64,
    ) {
        let e = self.e;
        let start = self.at(hour);
        let mut c = self.conn(
            start,
            (&from.ip, from.service),
            (e.primary_ip(eni), "-"),
            PROBE,
        );
        c.sport = port;
        let packets = self.rng.random_range(1..=3u64);
        c.up = Volume {
            packets,
            bytes: packets * 44,
        };
        let local = e.local_addr(eni, &c.server);
        let mut leg = c.request();
        leg.dst = &local;
        leg.action = "REJECT";
        leg.reject_reason = reason;
        self.push(eni, &c, leg);
    }

    /// Outbound connection attempts rejected on the ENI.
    pub(crate) fn rejected_outbound(
        &mut self,
        eni: usize,
        to: &Peer,
        reason: &'static str,
        hour: i64,
    ) {
        let e = self.e;
        let start = self.at(hour);
        let mut c = self.conn(start, (e.primary_ip(eni), "-"), (&to.ip, to.service), PROBE);
        c.sport = 443;
        let packets = self.rng.random_range(1..=3u64);
        c.up = Volume {
            packets,
            bytes: packets * 60,
        };
        let mut leg = c.request();
        leg.egress = Some(8);
        leg.action = "REJECT";
        leg.reject_reason = reason;
        self.push(eni, &c, leg);
    }
}
