//! Addresses and networks as the SQL functions and the classification read them: IPv4 and IPv6
//! text to [`IpAddr`] (with a fast path for dotted quads), CIDR text to [`IpNet`], and which
//! addresses are public. Text that is not an address or a CIDR gives `None`; nothing here fails.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

/// An IPv4 or IPv6 address (surrounding spaces allowed); anything else is `None`.
///
/// Dotted quads, by far the most common input, take a direct path (the classification parses
/// several addresses per record); everything else goes to the standard parser, which accepts
/// and rejects exactly the same dotted quads.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    if let Some(v4) = dotted_quad(text.as_bytes()) {
        return Some(IpAddr::V4(v4));
    }
    text.trim().parse().ok()
}

/// `a.b.c.d` with each part 0-255 written without leading zeros; `None` for anything else
/// (including spaces), which [`parse_ip`] then hands to the standard parser. One pass over the
/// bytes, each digit or dot checked as it comes.
pub fn dotted_quad(bytes: &[u8]) -> Option<Ipv4Addr> {
    if !(7..=15).contains(&bytes.len()) {
        return None;
    }
    let mut octets = [0u8; 4];
    let (mut part, mut value, mut digits) = (0, 0u16, 0);
    for &b in bytes {
        if b == b'.' {
            if digits == 0 || part == 3 {
                return None;
            }
            octets[part] = u8::try_from(value).ok()?;
            (part, value, digits) = (part + 1, 0, 0);
            continue;
        }
        let digit = b.wrapping_sub(b'0');
        // Not a digit; a fourth digit; or a second one after a leading zero.
        if digit > 9 || digits == 3 || (digits == 1 && value == 0) {
            return None;
        }
        value = value * 10 + u16::from(digit);
        digits += 1;
    }
    if digits == 0 || part != 3 {
        return None;
    }
    octets[3] = u8::try_from(value).ok()?;
    Some(Ipv4Addr::from(octets))
}

/// A CIDR such as `10.0.0.0/8` or `2001:db8::/32` (host bits allowed), or a bare address taken
/// as a single-address network; anything else is `None`.
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if text.contains('/') {
        text.parse().ok()
    } else {
        text.parse::<IpAddr>().ok().map(IpNet::from)
    }
}

/// IPv4 blocks that are not public, as (network, prefix length): this network, RFC 1918,
/// shared address space (CGNAT), loopback, link-local, and multicast plus the reserved space
/// above it.
const NOT_PUBLIC_V4: [(Ipv4Addr, u32); 8] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(224, 0, 0, 0), 3),
];

/// Whether an address is public: IPv4 outside `NOT_PUBLIC_V4`, IPv6 inside global unicast
/// (`2000::/3`). IPv4-mapped IPv6 addresses count as IPv6 (so not public).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let bits = a.to_bits();
            !NOT_PUBLIC_V4
                .iter()
                .any(|(net, len)| bits >> (32 - len) == net.to_bits() >> (32 - len))
        }
        IpAddr::V6(a) => a.segments()[0] & 0xe000 == 0x2000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_and_cidrs() {
        assert_eq!(parse_ip(" 10.0.0.1 "), Some(IpAddr::from([10, 0, 0, 1])));
        assert_eq!(parse_ip("10.0.0.1/32"), None);
        assert_eq!(parse_ip(""), None);
        // The dotted-quad path agrees with the standard parser on edge cases.
        for text in [
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            "1.2.3.4 ",
            "a.b.c.d",
            "1.2.3.-4",
            "+1.2.3.4",
            "1.2.3.4/8",
            "999.1.1.1",
        ] {
            assert_eq!(
                dotted_quad(text.as_bytes()).map(IpAddr::V4),
                text.parse::<IpAddr>().ok().filter(|_| !text.contains(' ')),
                "{text}"
            );
        }
        assert_eq!(parse_ip("::ffff:1.2.3.4").map(|a| a.is_ipv6()), Some(true));
        // Every octet from 0 to 999, with and without a leading zero, in each place.
        for n in 0..1000 {
            for octet in [n.to_string(), format!("0{n}")] {
                for place in 0..4 {
                    let mut parts = ["1", "22", "3", "4"].map(String::from);
                    parts[place].clone_from(&octet);
                    let text = parts.join(".");
                    assert_eq!(
                        dotted_quad(text.as_bytes()).map(IpAddr::V4),
                        text.parse::<IpAddr>().ok(),
                        "{text}"
                    );
                }
            }
        }
        assert_eq!(
            parse_cidr("10.1.2.3/8").map(|n| n.trunc().to_string()),
            Some("10.0.0.0/8".to_string())
        );
        assert_eq!(
            parse_cidr("2001:db8::1").map(|n| n.to_string()),
            Some("2001:db8::1/128".to_string())
        );
        assert_eq!(parse_cidr("10.0.0.0/33"), None);
        assert_eq!(parse_cidr("nope"), None);
        assert_eq!(parse_cidr("/"), None);
    }

    proptest::proptest! {
        /// The dotted-quad path accepts exactly what the standard parser does, and reads the
        /// same address, on random text of digits and dots (and a letter).
        #[test]
        fn dotted_quads_agree_with_the_standard_parser(text in "[0-9.a]{0,17}") {
            proptest::prop_assert_eq!(
                dotted_quad(text.as_bytes()).map(IpAddr::V4),
                text.parse::<IpAddr>().ok().filter(IpAddr::is_ipv4)
            );
        }
    }

    #[test]
    fn public_and_private_blocks() {
        let public = |s: &str| is_public(s.parse().expect("address"));
        for private in [
            "0.1.2.3",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:8.8.8.8",
            "4000::1",
        ] {
            assert!(!public(private), "{private} is not public");
        }
        for address in [
            "1.1.1.1",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "223.255.255.255",
            "2001:db8::1",
            "2600:1f18::1",
            "3fff:ffff::1",
        ] {
            assert!(public(address), "{address} is public");
        }
    }
}
