//! AWS's published address ranges (`ip-ranges.json`): parsing the file, and the longest-prefix
//! index that says which AWS service, in which region, an address belongs to.
//!
//! Every AWS range is listed under the catch-all service `AMAZON`, and the ranges of a specific
//! service (`S3`, `EC2`, …) are listed again under that service, often as more specific prefixes
//! inside a broader `AMAZON` one. A lookup therefore prefers the most specific non-`AMAZON` prefix
//! and falls back to `AMAZON` only when no other service covers the address. The index keeps one
//! hash table per prefix length present and probes them from the longest length down, so a lookup
//! costs at most one probe per distinct length (a few dozen), whatever the number of prefixes.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use ipnet::IpNet;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{Error, Result};

/// The catch-all service code under which AWS lists every one of its ranges.
pub const AMAZON: &str = "AMAZON";

/// One published range: an IPv4 or IPv6 prefix of one service in one region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRange {
    /// The prefix, with any host bits cleared.
    pub prefix: IpNet,
    /// The region (`us-east-1`, or `GLOBAL` for CloudFront and Route 53).
    pub region: String,
    /// The network border group (a region or a Local Zone); empty in old files that lack it.
    pub network_border_group: String,
    /// The service code (`AMAZON`, `S3`, `EC2`, …).
    pub service: String,
}

/// A parsed `ip-ranges.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRanges {
    /// The publication time as Unix seconds, as AWS writes it (a string).
    pub sync_token: String,
    /// The publication time as `YYYY-MM-DD-hh-mm-ss` (UTC); empty when the file has none.
    pub create_date: String,
    /// IPv4 ranges first, then IPv6, each in file order.
    pub ranges: Vec<IpRange>,
}

/// The file's layout, for serde.
#[derive(Deserialize)]
struct RangesFile {
    #[serde(rename = "syncToken")]
    sync_token: String,
    #[serde(rename = "createDate", default)]
    create_date: String,
    prefixes: Vec<V4Entry>,
    #[serde(default)]
    ipv6_prefixes: Vec<V6Entry>,
}

#[derive(Deserialize)]
struct V4Entry {
    ip_prefix: Net,
    region: String,
    #[serde(default)]
    network_border_group: String,
    service: String,
}

#[derive(Deserialize)]
struct V6Entry {
    ipv6_prefix: Net,
    region: String,
    #[serde(default)]
    network_border_group: String,
    service: String,
}

/// A prefix in CIDR notation, parsed while deserializing so errors carry the JSON path.
struct Net(IpNet);

impl<'de> Deserialize<'de> for Net {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<IpNet>()
            .map(|net| Net(net.trunc()))
            .map_err(|_| D::Error::custom(format_args!("invalid IP network {text:?}")))
    }
}

impl IpRanges {
    /// Parses AWS's ip-ranges.json (both `prefixes` with `ip_prefix` and `ipv6_prefixes` with
    /// `ipv6_prefix`).
    ///
    /// Errors name the file and the JSON path of the bad value, e.g.
    /// `prefixes[3].ip_prefix: invalid IP network "1.2.3/99"`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<IpRanges> {
        let doc: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::input(path, format!("not valid JSON: {e}")))?;
        Self::from_value(path, doc)
    }

    /// Builds the ranges from an already parsed JSON document (see [`IpRanges::recognise`]);
    /// `path` is only used in error messages, which have the same form as [`IpRanges::parse`]'s.
    pub fn from_value(path: &Path, doc: Value) -> Result<IpRanges> {
        if !doc.is_object() {
            return Err(Error::input(
                path,
                "expected a JSON object with `syncToken` and `prefixes` (ip-ranges.json)",
            ));
        }
        let file: RangesFile = serde_path_to_error::deserialize(doc).map_err(|e| {
            let at = e.path().to_string();
            let inner = e.into_inner();
            if at == "." {
                Error::input(path, inner.to_string())
            } else {
                Error::input(path, format!("{at}: {inner}"))
            }
        })?;
        let v4 = file.prefixes.into_iter().map(|p| IpRange {
            prefix: p.ip_prefix.0,
            region: p.region,
            network_border_group: p.network_border_group,
            service: p.service,
        });
        let v6 = file.ipv6_prefixes.into_iter().map(|p| IpRange {
            prefix: p.ipv6_prefix.0,
            region: p.region,
            network_border_group: p.network_border_group,
            service: p.service,
        });
        Ok(IpRanges {
            sync_token: file.sync_token,
            create_date: file.create_date,
            ranges: v4.chain(v6).collect(),
        })
    }

    /// Whether a parsed JSON document is an ip-ranges.json (has `prefixes` and `syncToken`).
    pub fn recognise(doc: &Value) -> bool {
        doc.get("prefixes").is_some_and(Value::is_array) && doc.get("syncToken").is_some()
    }

    /// The longest-prefix service index of these ranges.
    pub fn index(&self) -> ServiceIndex {
        ServiceIndex::new(&self.ranges)
    }
}

/// Longest-prefix lookup of the AWS service of an address.
///
/// Cheap to clone (the tables are shared). Service and region names are compared exactly in
/// [`ServiceIndex::lookup`] and ASCII case-insensitively in [`ServiceIndex::in_service`].
#[derive(Clone, Debug, Default)]
pub struct ServiceIndex {
    tables: Arc<Tables>,
}

#[derive(Default)]
struct Tables {
    v4: Table,
    v6: Table,
}

impl fmt::Debug for Tables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tables")
            .field("v4", &self.v4)
            .field("v6", &self.v6)
            .finish()
    }
}

/// The prefixes of one address family.
#[derive(Default)]
struct Table {
    /// One level per prefix length present, longest first.
    levels: Vec<Level>,
    /// Bit `b` set when some prefix covers addresses whose first byte is `b`: most addresses
    /// a flow log holds (private ones) are in no range, and this tells so without a probe.
    first_bytes: [u64; 4],
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lengths: Vec<u8> = self.levels.iter().map(|l| l.len).collect();
        let prefixes: usize = self.levels.iter().map(|l| l.map.len()).sum();
        f.debug_struct("Table")
            .field("prefixes", &prefixes)
            .field("lengths", &lengths)
            .finish()
    }
}

/// The prefixes of one length, keyed by their network bits shifted down to the low end.
struct Level {
    len: u8,
    /// Address width minus `len`; only used when `len > 0`.
    shift: u32,
    /// The entries of each prefix, best first: non-`AMAZON` services alphabetically, then
    /// `AMAZON`; within a service, regions alphabetically.
    map: HashMap<u128, Vec<Entry>, BuildHasherDefault<KeyHasher>>,
}

impl Level {
    fn key(&self, bits: u128) -> u128 {
        if self.len == 0 { 0 } else { bits >> self.shift }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    /// Sorts `AMAZON` after every specific service.
    amazon: bool,
    service: Box<str>,
    region: Box<str>,
}

impl Entry {
    /// Whether the entry is of `service` in `region` (`None`: any), ASCII case-insensitively.
    fn is(&self, service: &str, region: Option<&str>) -> bool {
        self.service.eq_ignore_ascii_case(service)
            && region.is_none_or(|r| self.region.eq_ignore_ascii_case(r))
    }
}

/// A fast hasher for the `u128` keys of a level (integers from AWS's own file).
#[derive(Default)]
struct KeyHasher(u64);

impl KeyHasher {
    fn mix(mut x: u64) -> u64 {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = Self::mix(self.0 ^ u64::from(*b));
        }
    }

    fn write_u128(&mut self, n: u128) {
        let low = n as u64;
        let high = (n >> 64) as u64;
        self.0 = Self::mix(self.0 ^ Self::mix(low) ^ high.rotate_left(29));
    }
}

/// The first byte of an address `width` bits wide, given as an integer.
fn first_byte(bits: u128, width: u32) -> usize {
    (bits >> (width - 8)) as usize
}

/// The address as an integer, and the family's table and width.
fn bits_of(ip: IpAddr) -> (u128, bool) {
    match ip {
        IpAddr::V4(a) => (u128::from(u32::from(a)), true),
        IpAddr::V6(a) => (u128::from(a), false),
    }
}

impl Table {
    fn build(ranges: impl Iterator<Item = (u128, u8, u32, Entry)>) -> Table {
        let mut by_len: BTreeMap<u8, Level> = BTreeMap::new();
        let mut first_bytes = [0u64; 4];
        for (bits, len, width, entry) in ranges {
            // The first bytes this prefix covers: 2^(8 - len) of them from its own.
            let span = 1usize << 8u32.saturating_sub(u32::from(len));
            let start = first_byte(bits, width) & !(span - 1);
            for b in start..start + span {
                first_bytes[b / 64] |= 1 << (b % 64);
            }
            let level = by_len.entry(len).or_insert_with(|| Level {
                len,
                shift: width - u32::from(len),
                map: HashMap::default(),
            });
            let key = level.key(bits);
            level.map.entry(key).or_default().push(entry);
        }
        for level in by_len.values_mut() {
            for entries in level.map.values_mut() {
                entries.sort();
                entries.dedup();
            }
        }
        Table {
            levels: by_len.into_values().rev().collect(),
            first_bytes,
        }
    }

    /// The levels that may hold a prefix containing `bits` (an address `width` bits wide):
    /// none when no prefix covers its first byte.
    fn candidates(&self, bits: u128, width: u32) -> &[Level] {
        let b = first_byte(bits, width);
        if self.first_bytes[b / 64] & (1 << (b % 64)) == 0 {
            &[]
        } else {
            &self.levels
        }
    }

    /// The entries of every prefix containing `bits`, most specific first.
    fn matches(&self, bits: u128, width: u32) -> impl Iterator<Item = (u8, &[Entry])> {
        self.candidates(bits, width)
            .iter()
            .filter_map(move |l| l.map.get(&l.key(bits)).map(|e| (l.len, e.as_slice())))
    }
}

impl ServiceIndex {
    /// Builds the index of some ranges (duplicates are merged).
    pub fn new(ranges: &[IpRange]) -> ServiceIndex {
        let entry = |r: &IpRange| Entry {
            amazon: r.service == AMAZON,
            service: r.service.as_str().into(),
            region: r.region.as_str().into(),
        };
        let of_family = |v4: bool| {
            ranges.iter().filter_map(move |r| match r.prefix {
                IpNet::V4(n) if v4 => Some((
                    u128::from(u32::from(n.network())),
                    n.prefix_len(),
                    32,
                    entry(r),
                )),
                IpNet::V6(n) if !v4 => {
                    Some((u128::from(n.network()), n.prefix_len(), 128, entry(r)))
                }
                _ => None,
            })
        };
        ServiceIndex {
            tables: Arc::new(Tables {
                v4: Table::build(of_family(true)),
                v6: Table::build(of_family(false)),
            }),
        }
    }

    /// The entries of every prefix holding `ip`, most specific first, with the prefix length.
    fn matches(&self, ip: IpAddr) -> impl Iterator<Item = (u8, &[Entry])> {
        let (bits, v4) = bits_of(ip);
        if v4 {
            self.tables.v4.matches(bits, 32)
        } else {
            self.tables.v6.matches(bits, 128)
        }
    }

    /// The number of distinct prefixes indexed (a prefix listed under several services counts
    /// once).
    pub fn len(&self) -> usize {
        [&self.tables.v4, &self.tables.v6]
            .iter()
            .flat_map(|t| t.levels.iter())
            .map(|l| l.map.len())
            .sum()
    }

    /// Whether the index holds no prefix at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The service of `ip`: the most specific matching prefix whose service is not AMAZON wins;
    /// AMAZON only when no other service matches. Ties on the same prefix: alphabetical.
    /// Returns (service, region of that prefix).
    ///
    /// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as IPv6, like any other.
    pub fn lookup(&self, ip: IpAddr) -> Option<(&str, &str)> {
        let mut fallback: Option<&Entry> = None;
        for (_, entries) in self.matches(ip) {
            let Some(best) = entries.first() else {
                continue;
            };
            if !best.amazon {
                return Some((&best.service, &best.region));
            }
            fallback = fallback.or(Some(best));
        }
        fallback.map(|e| (&*e.service, &*e.region))
    }

    /// The length of the most specific prefix of `service` in `region` (`None`: any region)
    /// that holds `ip`, compared as [`ServiceIndex::in_service`] does; `None` when none does.
    pub fn service_prefix_len(
        &self,
        ip: IpAddr,
        service: &str,
        region: Option<&str>,
    ) -> Option<u8> {
        self.matches(ip)
            .find(|(_, entries)| entries.iter().any(|e| e.is(service, region)))
            .map(|(len, _)| len)
    }

    /// The first of `services` that [`ServiceIndex::in_service`] finds `ip` in, from one walk of
    /// the index.
    pub fn first_service_of<'s>(
        &self,
        ip: IpAddr,
        services: &[&'s str],
        region: Option<&str>,
    ) -> Option<&'s str> {
        let mut first: Option<usize> = None;
        for (_, entries) in self.matches(ip) {
            let found = services
                .iter()
                .position(|s| entries.iter().any(|e| e.is(s, region)));
            if let Some(i) = found
                && first.is_none_or(|f| i < f)
            {
                first = Some(i);
            }
        }
        first.map(|i| services[i])
    }

    /// Whether `ip` lies in a prefix of `service` (exactly that service; AMAZON prefixes that
    /// overlap don't count) in `region` (`None`: any region). Service and region compare
    /// ASCII case-insensitively, so `s3` finds `S3`.
    pub fn in_service(&self, ip: IpAddr, service: &str, region: Option<&str>) -> bool {
        self.service_prefix_len(ip, service, region).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "syncToken": "1700000000",
      "createDate": "2023-11-14-22-13-20",
      "prefixes": [
        {"ip_prefix": "52.0.0.0/11", "region": "us-east-1", "network_border_group": "us-east-1", "service": "AMAZON"},
        {"ip_prefix": "52.16.0.0/16", "region": "eu-west-1", "network_border_group": "eu-west-1", "service": "S3"},
        {"ip_prefix": "52.16.0.0/16", "region": "eu-west-1", "network_border_group": "eu-west-1", "service": "AMAZON"},
        {"ip_prefix": "52.16.0.0/16", "region": "eu-west-1", "network_border_group": "eu-west-1", "service": "EC2"},
        {"ip_prefix": "52.16.5.0/24", "region": "eu-west-1", "network_border_group": "eu-west-1", "service": "AMAZON"},
        {"ip_prefix": "52.16.9.0/24", "region": "eu-west-1", "network_border_group": "eu-west-1", "service": "ROUTE53_HEALTHCHECKS"},
        {"ip_prefix": "3.5.140.7/32", "region": "ap-northeast-2", "network_border_group": "ap-northeast-2", "service": "EC2"},
        {"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "network_border_group": "ap-northeast-2", "service": "S3"},
        {"ip_prefix": "15.230.0.0/16", "region": "GLOBAL", "network_border_group": "GLOBAL", "service": "AMAZON"}
      ],
      "ipv6_prefixes": [
        {"ipv6_prefix": "2600:1f00::/24", "region": "us-east-1", "network_border_group": "us-east-1", "service": "AMAZON"},
        {"ipv6_prefix": "2600:1f18::/33", "region": "us-east-1", "network_border_group": "us-east-1", "service": "EC2"},
        {"ipv6_prefix": "2600:1f18:4000::/36", "region": "us-east-1", "network_border_group": "us-east-1", "service": "DYNAMODB"}
      ]
    }"#;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn sample() -> IpRanges {
        IpRanges::parse(Path::new("ip-ranges.json"), SAMPLE.as_bytes()).expect("sample parses")
    }

    #[test]
    fn parses_both_families() {
        let r = sample();
        assert_eq!(r.sync_token, "1700000000");
        assert_eq!(r.create_date, "2023-11-14-22-13-20");
        assert_eq!(r.ranges.len(), 12);
        assert_eq!(
            r.ranges[0],
            IpRange {
                prefix: "52.0.0.0/11".parse().expect("net"),
                region: "us-east-1".into(),
                network_border_group: "us-east-1".into(),
                service: "AMAZON".into(),
            }
        );
        assert_eq!(r.ranges[11].prefix.to_string(), "2600:1f18:4000::/36");
        assert_eq!(r.ranges[11].service, "DYNAMODB");
    }

    #[test]
    fn host_bits_are_cleared_and_optional_fields_default() {
        let json = r#"{"syncToken": "1", "prefixes": [
            {"ip_prefix": "10.1.2.3/8", "region": "r", "service": "S3"}]}"#;
        let r = IpRanges::parse(Path::new("x.json"), json.as_bytes()).expect("parses");
        assert_eq!(r.create_date, "");
        assert_eq!(r.ranges[0].prefix.to_string(), "10.0.0.0/8");
        assert_eq!(r.ranges[0].network_border_group, "");
    }

    #[test]
    fn most_specific_non_amazon_wins() {
        let idx = sample().index();
        // Inside the S3/EC2/AMAZON /16 only: the tie goes alphabetically to EC2.
        assert_eq!(idx.lookup(ip("52.16.1.1")), Some(("EC2", "eu-west-1")));
        // A more specific AMAZON /24 does not hide the /16 services.
        assert_eq!(idx.lookup(ip("52.16.5.5")), Some(("EC2", "eu-west-1")));
        // A more specific service /24 wins over the /16.
        assert_eq!(
            idx.lookup(ip("52.16.9.200")),
            Some(("ROUTE53_HEALTHCHECKS", "eu-west-1"))
        );
        // Only the AMAZON /11 covers it.
        assert_eq!(idx.lookup(ip("52.1.2.3")), Some(("AMAZON", "us-east-1")));
        assert_eq!(idx.lookup(ip("15.230.4.4")), Some(("AMAZON", "GLOBAL")));
        // Outside every range.
        assert_eq!(idx.lookup(ip("8.8.8.8")), None);
        assert_eq!(idx.lookup(ip("52.32.0.0")), None);
        assert_eq!(idx.lookup(ip("::1")), None);
    }

    #[test]
    fn a_slash_32_beats_its_enclosing_prefix() {
        let idx = sample().index();
        assert_eq!(idx.lookup(ip("3.5.140.7")), Some(("EC2", "ap-northeast-2")));
        assert_eq!(idx.lookup(ip("3.5.140.8")), Some(("S3", "ap-northeast-2")));
        assert_eq!(
            idx.lookup(ip("3.5.143.255")),
            Some(("S3", "ap-northeast-2"))
        );
        assert_eq!(idx.lookup(ip("3.5.144.0")), None);
    }

    #[test]
    fn ipv6_lookups() {
        let idx = sample().index();
        assert_eq!(
            idx.lookup(ip("2600:1f18:4000::1")),
            Some(("DYNAMODB", "us-east-1"))
        );
        assert_eq!(idx.lookup(ip("2600:1f18:1::1")), Some(("EC2", "us-east-1")));
        assert_eq!(
            idx.lookup(ip("2600:1fff::1")),
            Some(("AMAZON", "us-east-1"))
        );
        assert_eq!(idx.lookup(ip("2600:2000::1")), None);
        // An IPv4 range never matches an IPv6 address with the same bits, and vice versa.
        assert_eq!(idx.lookup(ip("::305:8c07")), None);
    }

    #[test]
    fn prefixes_shorter_than_a_byte_cover_every_first_byte_they_hold() {
        // 6.0.0.0/7 holds 6.x and 7.x; 8.x and 5.x are in no range.
        let json = r#"{"syncToken": "1", "prefixes": [
            {"ip_prefix": "6.0.0.0/7", "region": "r", "service": "EC2"},
            {"ip_prefix": "0.0.0.0/0", "region": "r", "service": "AMAZON"}],
            "ipv6_prefixes": [
            {"ipv6_prefix": "2600::/6", "region": "r", "service": "EC2"}]}"#;
        let idx = IpRanges::parse(Path::new("x.json"), json.as_bytes())
            .expect("parses")
            .index();
        assert_eq!(idx.lookup(ip("6.1.1.1")), Some(("EC2", "r")));
        assert_eq!(idx.lookup(ip("7.255.0.1")), Some(("EC2", "r")));
        assert_eq!(idx.lookup(ip("8.0.0.1")), Some(("AMAZON", "r")));
        assert_eq!(idx.lookup(ip("255.0.0.1")), Some(("AMAZON", "r")));
        // 2600::/6 spans first bytes 0x24 to 0x27.
        assert_eq!(idx.lookup(ip("2400::1")), Some(("EC2", "r")));
        assert_eq!(idx.lookup(ip("27ff::1")), Some(("EC2", "r")));
        assert_eq!(idx.lookup(ip("2800::1")), None);
        assert_eq!(idx.lookup(ip("2300::1")), None);
    }

    #[test]
    fn first_service_of_takes_the_first_listed_service_that_holds_the_address() {
        let idx = sample().index();
        // 52.16.5.5: in S3 and EC2 (eu-west-1) and in an AMAZON /24.
        assert_eq!(
            idx.first_service_of(ip("52.16.5.5"), &["S3", "EC2"], None),
            Some("S3")
        );
        assert_eq!(
            idx.first_service_of(ip("52.16.5.5"), &["DYNAMODB", "EC2", "S3"], None),
            Some("EC2")
        );
        assert_eq!(
            idx.first_service_of(ip("52.16.5.5"), &["S3"], Some("us-east-1")),
            None
        );
        // 3.5.140.7: EC2 on the /32, S3 on the /22 around it.
        assert_eq!(
            idx.first_service_of(ip("3.5.140.7"), &["S3", "DYNAMODB"], Some("ap-northeast-2")),
            Some("S3")
        );
        assert_eq!(idx.first_service_of(ip("10.0.0.1"), &["S3"], None), None);
    }

    #[test]
    fn in_service_is_exact_about_the_service() {
        let idx = sample().index();
        assert!(idx.in_service(ip("52.16.5.5"), "S3", None));
        assert!(idx.in_service(ip("52.16.5.5"), "s3", Some("EU-WEST-1")));
        assert!(idx.in_service(ip("52.16.5.5"), "EC2", Some("eu-west-1")));
        assert!(!idx.in_service(ip("52.16.5.5"), "S3", Some("us-east-1")));
        // AMAZON is a service like any other when asked for by name.
        assert!(idx.in_service(ip("52.1.2.3"), "AMAZON", None));
        // ... but an AMAZON prefix does not make an address S3.
        assert!(!idx.in_service(ip("52.1.2.3"), "S3", None));
        assert!(idx.in_service(ip("3.5.140.7"), "S3", None));
        assert!(idx.in_service(ip("3.5.140.7"), "EC2", None));
        assert!(!idx.in_service(ip("3.5.140.8"), "EC2", None));
        assert!(idx.in_service(ip("2600:1f18:4000::9"), "EC2", Some("us-east-1")));
        assert!(!idx.in_service(ip("8.8.8.8"), "AMAZON", None));
    }

    #[test]
    fn empty_index() {
        let idx = ServiceIndex::default();
        assert!(idx.is_empty());
        assert_eq!(idx.lookup(ip("52.16.1.1")), None);
        assert!(!idx.in_service(ip("52.16.1.1"), "S3", None));
        // The sample's /16 listed under three services is one prefix.
        assert_eq!(sample().index().len(), 10);
    }

    #[test]
    fn a_slash_zero_matches_everything_of_its_family() {
        let json = r#"{"syncToken": "1", "prefixes": [
            {"ip_prefix": "0.0.0.0/0", "region": "r", "service": "AMAZON"}],
            "ipv6_prefixes": [{"ipv6_prefix": "::/0", "region": "r6", "service": "EC2"}]}"#;
        let idx = IpRanges::parse(Path::new("x.json"), json.as_bytes())
            .expect("parses")
            .index();
        assert_eq!(idx.lookup(ip("1.2.3.4")), Some(("AMAZON", "r")));
        assert_eq!(idx.lookup(ip("ffff::1")), Some(("EC2", "r6")));
    }

    #[test]
    fn malformed_prefix_names_file_and_path() {
        let json = r#"{"syncToken": "1", "createDate": "x", "prefixes": [
            {"ip_prefix": "1.0.0.0/8", "region": "r", "service": "S3"},
            {"ip_prefix": "2.0.0.0/8", "region": "r", "service": "S3"},
            {"ip_prefix": "3.0.0.0/8", "region": "r", "service": "S3"},
            {"ip_prefix": "1.2.3/99", "region": "r", "service": "S3"}]}"#;
        let err = IpRanges::parse(Path::new("inv/ip-ranges.json"), json.as_bytes())
            .expect_err("bad prefix");
        assert_eq!(
            err.to_string(),
            r#"inv/ip-ranges.json: prefixes[3].ip_prefix: invalid IP network "1.2.3/99""#
        );
    }

    #[test]
    fn other_malformed_files() {
        let p = Path::new("r.json");
        let err = |json: &str| {
            IpRanges::parse(p, json.as_bytes())
                .expect_err("malformed")
                .to_string()
        };
        assert_eq!(
            err(
                r#"{"syncToken": "1", "prefixes": [], "ipv6_prefixes": [{"ipv6_prefix": "2600::/24", "service": "S3"}]}"#
            ),
            "r.json: ipv6_prefixes[0]: missing field `region`"
        );
        assert_eq!(
            err(r#"{"prefixes": []}"#),
            "r.json: missing field `syncToken`"
        );
        assert_eq!(
            err(r#"{"syncToken": 5, "prefixes": []}"#),
            "r.json: syncToken: invalid type: integer `5`, expected a string"
        );
        assert_eq!(
            err("[1]"),
            "r.json: expected a JSON object with `syncToken` and `prefixes` (ip-ranges.json)"
        );
        assert_eq!(
            err(r#"{"syncToken": "1", "#),
            "r.json: not valid JSON: EOF while parsing a value at line 1 column 19"
        );
    }

    #[test]
    fn recognises_ip_ranges_documents() {
        let doc: Value = serde_json::from_str(SAMPLE).expect("json");
        assert!(IpRanges::recognise(&doc));
        let other: Value = serde_json::from_str(r#"{"NetworkInterfaces": []}"#).expect("json");
        assert!(!IpRanges::recognise(&other));
        let no_token: Value = serde_json::from_str(r#"{"prefixes": []}"#).expect("json");
        assert!(!IpRanges::recognise(&no_token));
        assert!(!IpRanges::recognise(&Value::Null));
    }
}
