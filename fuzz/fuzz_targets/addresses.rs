//! The address parsing under the SQL functions: the dotted-quad fast path accepts exactly what
//! the standard parser accepts, CIDR parsing never panics, a parsed network holds exactly the
//! addresses whose leading bits match it, and "public" agrees with a scan of the blocks that
//! are not.
#![no_main]

use std::net::IpAddr;

use ipnet::IpNet;
use libfuzzer_sys::fuzz_target;
use vpcflow::net::{is_public, parse_cidr, parse_ip};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('|').unwrap_or((text, ""));
    let ip = parse_ip(a);
    assert_eq!(ip, a.trim().parse::<IpAddr>().ok(), "{a:?}");
    let net = parse_cidr(b);
    if let Some(ip) = ip {
        let blocks: [IpNet; 8] = [
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "224.0.0.0/3",
        ]
        .map(|n| n.parse().expect("a block"));
        let public = match ip {
            IpAddr::V4(_) => !blocks.iter().any(|n| n.contains(&ip)),
            IpAddr::V6(_) => "2000::/3".parse::<IpNet>().expect("a block").contains(&ip),
        };
        assert_eq!(is_public(ip), public, "{ip}");
        if let Some(net) = net {
            let by_bits = match (ip, net.network()) {
                (IpAddr::V4(x), IpAddr::V4(n)) => {
                    let shift = 32 - u32::from(net.prefix_len());
                    x.to_bits().checked_shr(shift).unwrap_or(0)
                        == n.to_bits().checked_shr(shift).unwrap_or(0)
                }
                (IpAddr::V6(x), IpAddr::V6(n)) => {
                    let shift = 128 - u32::from(net.prefix_len());
                    x.to_bits().checked_shr(shift).unwrap_or(0)
                        == n.to_bits().checked_shr(shift).unwrap_or(0)
                }
                _ => false,
            };
            assert_eq!(net.contains(&ip), by_bits, "{ip} in {net}");
        }
    }
});
