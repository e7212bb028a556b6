//! `ip-ranges.json` on any content: parsed or refused, never a panic; and for a parsed file the
//! prefix index answers every lookup exactly as a plain scan of the ranges does (the most
//! specific non-AMAZON prefix, alphabetical on ties, AMAZON only when nothing else matches).
#![no_main]

use std::net::IpAddr;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vpcflow::inventory::ip_ranges::{AMAZON, IpRange, IpRanges};

fuzz_target!(|data: &[u8]| {
    // The file, then after a NUL byte the addresses to look up, one per line.
    let (file, probes) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(ranges) = IpRanges::parse(Path::new("ip-ranges.json"), file) else {
        return;
    };
    let index = ranges.index();
    let mut addresses: Vec<IpAddr> = String::from_utf8_lossy(probes)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    // Every prefix's first and last address, and the one past its end.
    for r in &ranges.ranges {
        addresses.push(r.prefix.network());
        addresses.push(r.prefix.broadcast());
        if let IpAddr::V4(a) = r.prefix.broadcast() {
            addresses.push(IpAddr::V4(a.to_bits().wrapping_add(1).into()));
        }
    }
    for ip in addresses {
        let scan = scan(&ranges.ranges, ip);
        assert_eq!(
            index.lookup(ip),
            scan.as_ref().map(|(s, r)| (s.as_str(), r.as_str())),
            "{ip}"
        );
        for r in &ranges.ranges {
            let expected = ranges.ranges.iter().any(|o| {
                o.prefix.contains(&ip)
                    && o.service.eq_ignore_ascii_case(&r.service)
                    && o.region.eq_ignore_ascii_case(&r.region)
            });
            assert_eq!(
                index.in_service(ip, &r.service, Some(&r.region)),
                expected,
                "{ip}"
            );
        }
    }
});

/// The answer by brute force.
fn scan(ranges: &[IpRange], ip: IpAddr) -> Option<(String, String)> {
    let best = |amazon: bool| {
        ranges
            .iter()
            .filter(|r| r.prefix.contains(&ip) && (r.service == AMAZON) == amazon)
            .map(|r| {
                (
                    std::cmp::Reverse(r.prefix.prefix_len()),
                    &r.service,
                    &r.region,
                )
            })
            .min()
            .map(|(_, s, r)| (s.clone(), r.clone()))
    };
    best(false).or_else(|| best(true))
}
