//! How each kind of connection looks (server port, bytes each way, how often it spans the whole
//! capture window) and how often the primary account makes each kind.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Packets and bytes of one direction of a connection.
#[derive(Clone, Copy, Default)]
pub(crate) struct Volume {
    pub(crate) packets: u64,
    pub(crate) bytes: u64,
}

/// How a kind of connection looks: server port and byte ranges per direction.
#[derive(Clone, Copy)]
pub(crate) struct Profile {
    pub(crate) port: u16,
    pub(crate) up: (u64, u64),
    pub(crate) down: (u64, u64),
    /// Percentage of connections that span the whole capture window (SYN/SYN-ACK flags only).
    pub(crate) long_pct: u32,
}

/// A profile: server port, byte ranges up and down, percentage of long connections.
const fn profile(port: u16, up: (u64, u64), down: (u64, u64), long_pct: u32) -> Profile {
    Profile {
        port,
        up,
        down,
        long_pct,
    }
}

pub(crate) const HTTPS_WEB: Profile = profile(443, (400, 8_000), (2_000, 400_000), 10);
pub(crate) const S3_GET: Profile = profile(443, (500, 20_000), (50_000, 80_000_000), 40);
pub(crate) const S3_VIA_NAT: Profile = profile(443, (500, 30_000), (20_000, 30_000_000), 40);
pub(crate) const S3_CROSS_REGION: Profile = profile(443, (500, 10_000), (10_000, 5_000_000), 20);
pub(crate) const DYNAMODB: Profile = profile(443, (300, 4_000), (500, 20_000), 5);
pub(crate) const SSM: Profile = profile(443, (800, 6_000), (1_000, 8_000), 30);
pub(crate) const STS: Profile = profile(443, (1_500, 3_000), (2_000, 4_500), 0);
pub(crate) const ECR: Profile = profile(443, (600, 1_200), (900, 2_000), 0);
pub(crate) const POSTGRES: Profile = profile(5432, (200, 20_000), (500, 2_000_000), 30);
pub(crate) const API: Profile = profile(8080, (300, 10_000), (500, 200_000), 10);
pub(crate) const SSH: Profile = profile(22, (2_000, 60_000), (3_000, 400_000), 80);
pub(crate) const BASTION_HTTPS: Profile = profile(443, (500, 5_000), (2_000, 100_000), 5);
pub(crate) const ETL_S3: Profile = profile(443, (1_000, 50_000), (100_000, 200_000_000), 60);
/// The later parts: a metrics scrape, a query of orders-db, an export to S3 and a download
/// through the regional NAT gateway.
pub(crate) const METRICS: Profile = profile(9100, (250, 600), (20_000, 60_000), 0);
pub(crate) const ORDERS_QUERY: Profile = profile(5432, (400, 8_000), (4_000_000, 24_000_000), 30);
pub(crate) const S3_EXPORT: Profile = profile(443, (200_000, 6_000_000), (1_000, 4_000), 20);
pub(crate) const INGEST_PULL: Profile = profile(443, (400, 4_000), (50_000, 20_000_000), 20);
/// A connection attempt that never gets an answer (SYN only).
pub(crate) const PROBE: Profile = profile(22, (40, 180), (0, 0), 100);

/// Connection kinds of the primary account and their share of `flows_per_hour`.
#[derive(Clone, Copy)]
pub(crate) enum ConnKind {
    WebViaNat,
    S3Gateway,
    S3ViaNatFromC,
    S3CrossRegion,
    DynamoDbViaNat,
    Ssm,
    Sts,
    Postgres,
    Api,
    SshScan,
    BastionHttps,
    BastionSsh,
    Ipv6Web,
}

/// Each kind with its share of the primary account's connections, in percent.
pub(crate) const MIX: &[(ConnKind, u32)] = {
    use ConnKind::*;
    &[
        (WebViaNat, 20),
        (S3Gateway, 14),
        (S3ViaNatFromC, 8),
        (S3CrossRegion, 3),
        (DynamoDbViaNat, 8),
        (Ssm, 8),
        (Sts, 5),
        (Postgres, 10),
        (Api, 10),
        (SshScan, 8),
        (BastionHttps, 3),
        (BastionSsh, 1),
        (Ipv6Web, 2),
    ]
};

/// Roughly log-uniform integer in `lo..=hi`, integer-only so every platform draws the same.
pub(crate) fn spread(rng: &mut ChaCha8Rng, lo: u64, hi: u64) -> u64 {
    if hi <= lo {
        return lo;
    }
    let lo1 = lo.max(1);
    let octaves = (hi / lo1).max(1).ilog2();
    let k = rng.random_range(0..=octaves);
    let a = lo1.saturating_mul(1 << k).min(hi);
    let b = a.saturating_mul(2).min(hi);
    rng.random_range(a..=b)
}
