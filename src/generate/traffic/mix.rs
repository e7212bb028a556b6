//! What the estate does hour by hour: the primary account's mix of connections, the batch
//! worker's hour, the second account, two downloads above 4 GiB, and the quiet records (idle
//! endpoints, dropped capture windows) that follow.

use std::collections::BTreeSet;

use rand::Rng;

use super::emitter::Emitter;
use super::profiles::{
    API, BASTION_HTTPS, ConnKind, DYNAMODB, ECR, ETL_S3, HTTPS_WEB, MIX, POSTGRES, S3_CROSS_REGION,
    S3_GET, S3_VIA_NAT, SSH, SSM, STS, Volume,
};
use crate::generate::EstateOptions;

impl Emitter<'_> {
    /// A connection kind of the primary account, by the weights of [`MIX`].
    fn pick_kind(&mut self) -> ConnKind {
        let total: u32 = MIX.iter().map(|(_, w)| w).sum();
        let mut x = self.rng.random_range(0..total);
        for (kind, w) in MIX {
            if x < *w {
                return *kind;
            }
            x -= w;
        }
        ConnKind::WebViaNat
    }

    /// One connection of the primary account.
    fn account1(&mut self, kind: ConnKind, hour: i64) {
        match kind {
            ConnKind::WebViaNat => self.web_via_nat(hour),
            ConnKind::S3Gateway
            | ConnKind::S3ViaNatFromC
            | ConnKind::S3CrossRegion
            | ConnKind::DynamoDbViaNat => self.aws_service(kind, hour),
            ConnKind::Ssm | ConnKind::Sts | ConnKind::Postgres | ConnKind::Api => {
                self.inside(kind, hour);
            }
            ConnKind::SshScan | ConnKind::BastionHttps | ConnKind::BastionSsh => {
                self.bastion(kind, hour);
            }
            ConnKind::Ipv6Web => {
                let e = self.e;
                let server = self.pick(&e.peers.web6);
                let b1 = e.roles.apps.b1;
                let ip = e.enis[b1].ipv6.first().map_or("-", String::as_str);
                self.direct(b1, ip, server, HTTPS_WEB, 8, hour);
            }
        }
    }

    /// An app server -> internet HTTPS through the NAT gateway.
    fn web_via_nat(&mut self, hour: i64) {
        let e = self.e;
        let p = &e.peers;
        let client = *self.pick(&self.e.roles.apps.all());
        let server = match self.rng.random_range(0..100u32) {
            0..20 => self.pick(&p.saas),
            20..35 => self.pick(&p.cdn),
            _ => self.pick(&p.web),
        };
        self.via_nat(client, e.roles.nat, server, HTTPS_WEB, hour);
    }

    /// An app server -> S3 or DynamoDB: through the gateway endpoint, or through the NAT.
    fn aws_service(&mut self, kind: ConnKind, hour: i64) {
        let e = self.e;
        let (r, p) = (&e.roles, &e.peers);
        let apps = self.e.roles.apps.all();
        match kind {
            ConnKind::S3Gateway => {
                let client = *self.pick(&apps[..3]);
                let server = self.pick(&p.s3.use1);
                self.direct(client, e.primary_ip(client), server, S3_GET, 7, hour);
            }
            ConnKind::S3ViaNatFromC => {
                let server = self.pick(&p.s3.use1);
                self.via_nat(r.apps.c1, r.nat, server, S3_VIA_NAT, hour);
            }
            ConnKind::S3CrossRegion => {
                let client = *self.pick(&apps);
                let server = self.pick(&p.s3.euw1);
                self.via_nat(client, r.nat, server, S3_CROSS_REGION, hour);
            }
            _ => {
                let client = *self.pick(&apps);
                let server = self.pick(&p.ddb.use1);
                self.via_nat(client, r.nat, server, DYNAMODB, hour);
            }
        }
    }

    /// A connection inside the VPC: to the ssm or sts endpoint, Postgres on app-a1, or the API
    /// of another app server.
    fn inside(&mut self, kind: ConnKind, hour: i64) {
        let e = self.e;
        let r = &e.roles;
        let apps = self.e.roles.apps.all();
        match kind {
            ConnKind::Ssm | ConnKind::Sts => {
                let client = *self.pick(&apps);
                let start = self.at(hour);
                let (enis, profile) = match kind {
                    ConnKind::Ssm => (&r.ssm, SSM),
                    _ => (&r.sts, STS),
                };
                self.via_endpoint(client, enis, profile, start);
            }
            ConnKind::Postgres => {
                let client = *self.pick(&apps[1..]);
                let start = self.at(hour);
                self.intra(client, r.apps.a1, e.primary_ip(r.apps.a1), POSTGRES, start);
            }
            _ => {
                let server = *self.pick(&apps);
                let others: Vec<usize> = apps.iter().copied().filter(|a| *a != server).collect();
                let client = *self.pick(&others);
                self.api_call(client, server, hour);
            }
        }
    }

    /// A call to an app server's API; app-a1 serves it on its secondary address.
    fn api_call(&mut self, client: usize, server: usize, hour: i64) {
        let ips = &self.e.enis[server].ips;
        let server_ip = ips.get(1).unwrap_or(&ips[0]).clone();
        let start = self.at(hour);
        self.intra(client, server, &server_ip, API, start);
    }

    /// The bastion: scanned from the internet (rejected), serving HTTPS, or opening SSH to an
    /// app server.
    fn bastion(&mut self, kind: ConnKind, hour: i64) {
        let e = self.e;
        let (r, p) = (&e.roles, &e.peers);
        match kind {
            ConnKind::SshScan => {
                let from = self.pick(&p.scanners);
                let port = if self.rng.random_range(0..10u32) == 0 {
                    3389
                } else {
                    22
                };
                self.rejected_inbound(r.bastion, from, port, "-", hour);
            }
            ConnKind::BastionHttps => {
                let from = self.pick(&p.https_clients);
                let start = self.at(hour);
                let server = (e.primary_ip(r.bastion), "-");
                let c = self.conn(start, (&from.ip, from.service), server, BASTION_HTTPS);
                self.server_view(r.bastion, &c, 8);
            }
            _ => {
                let server = *self.pick(&self.e.roles.apps.all());
                let start = self.at(hour);
                self.intra(r.bastion, server, e.primary_ip(server), SSH, start);
            }
        }
    }

    /// One connection of the batch worker (only in the Parquet flow log's hour).
    fn worker(&mut self, hour: i64) {
        let e = self.e;
        let r = &e.roles;
        match self.rng.random_range(0..100u32) {
            0..60 => {
                let server = self.pick(&e.peers.s3.use1);
                self.direct(r.worker, e.primary_ip(r.worker), server, S3_GET, 7, hour);
            }
            60..85 => {
                let server = *self.pick(&[r.apps.a1, r.apps.b1]);
                self.api_call(r.worker, server, hour);
            }
            _ => {
                let server = self.pick(&e.peers.ddb.use1);
                self.via_nat(r.worker, r.nat, server, DYNAMODB, hour);
            }
        }
    }

    /// One connection of the second account.
    fn account2(&mut self, hour: i64) {
        let e = self.e;
        let r = &e.roles;
        let p = &e.peers;
        match self.rng.random_range(0..100u32) {
            0..45 => {
                let server = self.pick(&p.s3.euw1);
                self.direct(r.etl, e.primary_ip(r.etl), server, ETL_S3, 8, hour);
            }
            45..70 => {
                let server = self.pick(&p.web);
                self.via_nat(r.report, r.nat2, server, HTTPS_WEB, hour);
            }
            70..80 => {
                let server = self.pick(&p.ddb.euw1);
                self.via_nat(r.report, r.nat2, server, DYNAMODB, hour);
            }
            80..95 => {
                let from = self.pick(&p.scanners);
                let port = *self.pick(&[443u16, 443, 80, 22]);
                self.rejected_inbound(r.legacy, from, port, "BPA", hour);
            }
            _ => {
                let to = self.pick(&p.web);
                self.rejected_outbound(r.legacy, to, "BPA", hour);
            }
        }
    }

    /// A download big enough that `bytes` needs more than 32 bits.
    fn huge_s3_download(&mut self, client: usize, hour: i64, bytes: u64) {
        let e = self.e;
        let server = self.pick(&e.peers.s3.use1);
        let start = hour + 1_800;
        let mut c = self.conn(
            start,
            (e.primary_ip(client), "-"),
            (&server.ip, server.service),
            S3_GET,
        );
        c.long = true;
        c.end = start + 59;
        c.down = Volume {
            packets: bytes / 1_448 + 1,
            bytes,
        };
        self.client_view(client, &c, 7);
    }

    /// The traffic of hour `h`: every record it adds starts inside that hour.
    pub(crate) fn traffic(&mut self, opts: &EstateOptions, h: u32, t0: i64) {
        let r = &self.e.roles;
        let hour = t0 + i64::from(h) * 3_600;
        for _ in 0..opts.flows_per_hour {
            let kind = self.pick_kind();
            self.account1(kind, hour);
        }
        if h == self.e.worker_hour {
            for _ in 0..(opts.flows_per_hour / 5).max(1) {
                self.worker(hour);
            }
            self.huge_s3_download(r.worker, hour, 6_120_448_512);
        }
        if h == 1 % opts.hours {
            self.huge_s3_download(r.apps.b1, hour, 4_617_089_024);
        }
        for _ in 0..(opts.flows_per_hour / 8).max(1) {
            self.account2(hour);
        }
    }

    /// A NODATA record on `eni` for most of the 10-minute window starting at `ws`.
    fn idle_window(&mut self, eni: usize, ws: i64) {
        let start = ws + self.rng.random_range(0..30i64);
        let end = ws + 599 - self.rng.random_range(0..30i64);
        self.no_traffic(eni, start, end, "NODATA");
    }

    /// What follows the traffic of every hour: idle and nearly idle interface endpoints and a
    /// few capture windows where records were dropped.
    pub(crate) fn quiet(&mut self, hours: u32, t0: i64) {
        let r = &self.e.roles;
        // Interface endpoints: kms is idle (NODATA every 10 minutes on each ENI); ecr.api sees
        // three small calls over the whole window and NODATA in every other 10-minute window.
        let windows = i64::from(hours) * 6;
        let ecr_windows: BTreeSet<i64> = [windows / 10, windows / 2, windows * 9 / 10]
            .into_iter()
            .collect();
        for w in 0..windows {
            let ws = t0 + w * 600;
            for &kms in &r.kms {
                self.idle_window(kms, ws);
            }
            for (i, &ecr) in r.ecr.iter().enumerate() {
                if ecr_windows.contains(&w) && i == 0 {
                    let client = if w == windows / 2 {
                        r.apps.a1
                    } else {
                        r.apps.b1
                    };
                    let start = ws + self.rng.random_range(0..500i64);
                    self.intra(client, ecr, self.e.primary_ip(ecr), ECR, start);
                } else {
                    self.idle_window(ecr, ws);
                }
            }
        }
        for (eni, h, minute) in [(r.nat, 1, 23), (r.apps.b1, 3, 41), (r.bastion, 4, 7)] {
            let start = t0 + i64::from(h % hours) * 3_600 + minute * 60;
            self.no_traffic(eni, start, start + 59, "SKIPDATA");
        }
    }
}
