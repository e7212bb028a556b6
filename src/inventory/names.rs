//! Small readers of AWS names: region names (from availability zones, path components, service
//! and prefix-list names, ARNs), enum spellings normalised to lower snake case, and resource ids
//! embedded in ENI descriptions and file names. No regular expressions; every function is total.

use std::path::Path;

/// Lower snake case of an AWS enum value, so the API model's spelling and the wire spelling
/// agree: `natGateway`, `nat_gateway` and `NatGateway` all give `nat_gateway`; `Interface` gives
/// `interface`; `efa-only` gives `efa_only`; `IPv4` gives `ipv4`.
pub(crate) fn normalise_enum(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    let mut prev: Option<char> = None;
    for c in value.trim().chars() {
        if c == '-' || c == '_' || c.is_whitespace() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        } else if c.is_uppercase() {
            if prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit()) && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
        prev = Some(c);
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

fn is_geo(part: &str) -> bool {
    part.len() == 2 && part.bytes().all(|b| b.is_ascii_lowercase())
}

fn is_word(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase())
}

fn is_number(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is a region name: `xx-yyyy-N` (`us-east-1`) or with one more word
/// (`us-gov-west-1`, `us-isob-east-1`).
pub(crate) fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    (3..=4).contains(&parts.len())
        && is_geo(parts[0])
        && parts[1..parts.len() - 1].iter().all(|p| is_word(p))
        && parts.last().is_some_and(|p| is_number(p))
}

/// The region of an availability zone name: `us-east-1a` -> `us-east-1`, local zones
/// `us-west-2-lax-1a` -> `us-west-2`, `us-gov-west-1b` -> `us-gov-west-1`. `None` for anything
/// else (including zone ids like `use1-az1`).
pub(crate) fn region_from_az(az: &str) -> Option<String> {
    let parts: Vec<&str> = az.trim().split('-').collect();
    if parts.first().is_none_or(|p| !is_geo(p)) {
        return None;
    }
    // The first part that starts with a digit ends the region name.
    let at = parts
        .iter()
        .position(|p| p.starts_with(|c: char| c.is_ascii_digit()))?;
    if !(2..=3).contains(&at) || !parts[1..at].iter().all(|p| is_word(p)) {
        return None;
    }
    let last = parts[at];
    let digits = last.bytes().take_while(u8::is_ascii_digit).count();
    let suffix = &last[digits..];
    // A zone letter follows the number (`1a`), or the number stands alone and a local-zone or
    // wavelength name follows (`2-lax-1a`).
    let zone_shaped = if suffix.is_empty() {
        parts.len() > at + 1
    } else {
        suffix.bytes().all(|b| b.is_ascii_lowercase()) && parts.len() == at + 1
    };
    if !zone_shaped {
        return None;
    }
    let mut region = parts[..at].join("-");
    region.push('-');
    region.push_str(&last[..digits]);
    Some(region)
}

/// The region named by a component of `path`, the one nearest the file winning
/// (`inventory/111122223333/us-east-1/describe-vpcs.json` -> `us-east-1`).
pub(crate) fn region_in_path(path: &Path) -> Option<String> {
    let parent = path.parent()?;
    parent
        .components()
        .rev()
        .filter_map(|c| c.as_os_str().to_str())
        .find(|c| is_region(c))
        .map(str::to_string)
}

/// The first dot-separated part of `name` that is a region, and what follows it:
/// `com.amazonaws.us-east-1.ecr.api` -> (`us-east-1`, `ecr.api`).
pub(crate) fn split_at_region(name: &str) -> Option<(&str, &str)> {
    let mut offset = 0;
    for part in name.split('.') {
        let end = offset + part.len();
        if is_region(part) {
            let rest = name.get(end + 1..).unwrap_or("");
            return Some((part, rest));
        }
        offset = end + 1;
    }
    None
}

/// The service of an endpoint service name: the part after the region
/// (`com.amazonaws.us-east-1.s3` -> `s3`, `com.amazonaws.vpce.us-east-1.vpce-svc-0123` ->
/// `vpce-svc-0123`); without a region, the name less any `com.amazonaws.` prefix.
pub(crate) fn service_of(service_name: &str) -> Option<String> {
    let service = match split_at_region(service_name) {
        Some((_, rest)) => rest,
        None => service_name
            .strip_prefix("com.amazonaws.")
            .unwrap_or(service_name),
    };
    (!service.is_empty()).then(|| service.to_string())
}

/// The region field of an ARN (`arn:aws:ec2:us-west-2:123456789012:prefix-list/pl-…`).
pub(crate) fn region_of_arn(arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3)?;
    is_region(region).then(|| region.to_string())
}

/// The id that follows `prefix` in an ENI description such as
/// `Interface for NAT Gateway nat-0a8b0e0d28266841f`, if it starts with `id_prefix`.
pub(crate) fn id_after(description: &str, prefix: &str, id_prefix: &str) -> Option<String> {
    let id = text_after(description, prefix)?.split_whitespace().next()?;
    id.starts_with(id_prefix).then(|| id.to_string())
}

/// The rest of `description` after `prefix` (compared without case), trimmed; `None` when it
/// does not start with it or nothing follows.
pub(crate) fn text_after<'a>(description: &'a str, prefix: &str) -> Option<&'a str> {
    let head = description.get(..prefix.len())?;
    let rest = description[prefix.len()..].trim();
    (head.eq_ignore_ascii_case(prefix) && !rest.is_empty()).then_some(rest)
}

/// A prefix-list id (`pl-` and hex digits) standing as its own token in a file name:
/// `get-managed-prefix-list-entries.pl-0123456abcabcabc1.json` -> `pl-0123456abcabcabc1`.
pub(crate) fn prefix_list_id_in(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut from = 0;
    while let Some(at) = name.get(from..).and_then(|rest| rest.find("pl-")) {
        let start = from + at;
        from = start + 3;
        if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let id_len = bytes[start + 3..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            .count();
        let end = start + 3 + id_len;
        if id_len > 0 && bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric()) {
            return Some(name[start..end].to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_are_lower_snake_case() {
        assert_eq!(normalise_enum("natGateway"), "nat_gateway");
        assert_eq!(normalise_enum("nat_gateway"), "nat_gateway");
        assert_eq!(normalise_enum("Interface"), "interface");
        assert_eq!(
            normalise_enum("GatewayLoadBalancer"),
            "gateway_load_balancer"
        );
        assert_eq!(normalise_enum("pendingAcceptance"), "pending_acceptance");
        assert_eq!(normalise_enum("Available"), "available");
        assert_eq!(normalise_enum("efa-only"), "efa_only");
        assert_eq!(normalise_enum("IPv4"), "ipv4");
        assert_eq!(normalise_enum(""), "");
    }

    #[test]
    fn regions_from_zones_and_paths() {
        assert_eq!(region_from_az("us-east-1a").as_deref(), Some("us-east-1"));
        assert_eq!(
            region_from_az("us-west-2-lax-1a").as_deref(),
            Some("us-west-2")
        );
        assert_eq!(
            region_from_az("us-gov-west-1b").as_deref(),
            Some("us-gov-west-1")
        );
        assert_eq!(
            region_from_az("us-east-1-wl1-bos-wlz-1").as_deref(),
            Some("us-east-1")
        );
        assert_eq!(region_from_az("use1-az1"), None);
        assert_eq!(region_from_az("us-east-1"), None);
        assert_eq!(region_from_az(""), None);
        assert!(is_region("eu-west-1") && is_region("us-gov-east-1"));
        assert!(!is_region("111122223333") && !is_region("us-east-1a") && !is_region("a-b-1"));
        let p = Path::new("inventory/111122223333/us-east-1/describe-vpcs.json");
        assert_eq!(region_in_path(p).as_deref(), Some("us-east-1"));
        assert_eq!(region_in_path(Path::new("us-east-1")), None);
    }

    #[test]
    fn service_names() {
        assert_eq!(
            service_of("com.amazonaws.us-east-1.ecr.api").as_deref(),
            Some("ecr.api")
        );
        assert_eq!(
            service_of("com.amazonaws.vpce.eu-west-1.vpce-svc-0123abcd").as_deref(),
            Some("vpce-svc-0123abcd")
        );
        assert_eq!(
            service_of("com.amazonaws.s3-global.accesspoint").as_deref(),
            Some("s3-global.accesspoint")
        );
        assert_eq!(
            split_at_region("com.amazonaws.us-east-1.s3"),
            Some(("us-east-1", "s3"))
        );
        assert_eq!(
            region_of_arn("arn:aws:ec2:us-west-2:123456789012:prefix-list/pl-1").as_deref(),
            Some("us-west-2")
        );
    }

    #[test]
    fn ids_in_text() {
        assert_eq!(
            id_after(
                "Interface for NAT Gateway nat-0a8b",
                "Interface for NAT Gateway ",
                "nat-"
            )
            .as_deref(),
            Some("nat-0a8b")
        );
        assert_eq!(
            id_after(
                "Primary network interface",
                "VPC Endpoint Interface ",
                "vpce-"
            ),
            None
        );
        assert_eq!(
            prefix_list_id_in("entries-pl-0123456abcabcabc1.json").as_deref(),
            Some("pl-0123456abcabcabc1")
        );
        assert_eq!(
            prefix_list_id_in("get-managed-prefix-list-entries.json"),
            None
        );
        assert_eq!(prefix_list_id_in("sample-pl-foo.json"), None);
    }
}
