//! The audit's network findings through the binary, on the hand-built estate of
//! tests/fixtures/network: cross-AZ traffic, NAT in another zone, bypassed endpoints, a regional
//! NAT gateway, public IPv4 and endpoint policies, each with a near miss. Every figure below is
//! worked out by hand from the fixture's README.

use serde_json::Value;

use crate::common::{root, vpcflow};

fn fixture(part: &str) -> String {
    root()
        .join("tests/fixtures/network")
        .join(part)
        .to_string_lossy()
        .into_owned()
}

/// `vpcflow ARGS` over the fixture's logs and inventory, for the hour 10:00-11:00 (monthly =
/// window x 730).
fn over_fixture(args: &[&str]) -> std::process::Output {
    vpcflow()
        .args(args)
        .arg(fixture("logs"))
        .args(["--inventory", &fixture("inventory")])
        .args([
            "--since",
            "2026-11-26T10:00:00Z",
            "--until",
            "2026-11-26T11:00:00Z",
        ])
        .output()
        .expect("runs")
}

fn audit() -> Value {
    let out = over_fixture(&[
        "audit",
        "--no-html",
        "-q",
        "-o",
        "json",
        "--min-monthly-usd",
        "0",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// (finding, resource, bytes, monthly_usd) of the findings of `kinds`, in the audit's order.
fn of_kinds(audit: &Value, kinds: &[&str]) -> Vec<(String, String, Option<i64>, Option<f64>)> {
    audit["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| kinds.contains(&f["finding"].as_str().expect("kind")))
        .map(|f| {
            (
                f["finding"].as_str().expect("kind").to_string(),
                f["resource"].as_str().expect("resource").to_string(),
                f["bytes"].as_i64(),
                f["monthly_usd"].as_f64(),
            )
        })
        .collect()
}

fn text(audit: &Value, kind: &str, resource: &str, field: &str) -> String {
    audit["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["finding"] == kind && f["resource"] == resource)
        .unwrap_or_else(|| panic!("no {kind} finding for {resource}"))[field]
        .as_str()
        .expect("text")
        .to_string()
}

const GIB: i64 = 1 << 30;

fn row(
    kind: &str,
    resource: &str,
    bytes: Option<i64>,
    usd: Option<f64>,
) -> (String, String, Option<i64>, Option<f64>) {
    (kind.to_string(), resource.to_string(), bytes, usd)
}

#[test]
fn cross_az_traffic_counts_each_byte_once_and_prices_both_directions() {
    let a = audit();
    let side = |kind: &str, id: &str, zone: &str| format!("{kind} {id} (us-east-1{zone})");
    let i01 = side("instance", "i-0bb00000000000001", "a");
    // Each GB moved costs $0.01 out of one zone and $0.01 into the other: x 0.02 x 730.
    // #1 + #3 (#2 is #1 seen receiving): 1.5 GiB -> 1.5 x 0.02 x 730 = $21.90.
    // #7 over peering (#8 is it received in Y): 0.5 GiB -> $7.30.
    // #9 to an address of subnet …b1 that no ENI holds: 0.5 GiB -> $7.30.
    // #5 to the NLB: 0.25 GiB -> $3.65. #4 (same zone) and #6 (an ALB: free) are not here.
    let pair = |other: String| format!("{i01} <-> {other}");
    assert_eq!(
        of_kinds(&a, &["cross-az-traffic"]),
        vec![
            row(
                "cross-az-traffic",
                &pair(side("instance", "i-0bb00000000000002", "b")),
                Some(GIB * 3 / 2),
                Some(21.90)
            ),
            row(
                "cross-az-traffic",
                &pair(side("instance", "i-0bb00000000000006", "c")),
                Some(GIB / 2),
                Some(7.30)
            ),
            row(
                "cross-az-traffic",
                &pair(side("subnet", "subnet-0bb000000000000b1", "b")),
                Some(GIB / 2),
                Some(7.30)
            ),
            row(
                "cross-az-traffic",
                &pair(side("load_balancer", "net/api/0123456789abcdef", "b")),
                Some(GIB / 4),
                Some(3.65)
            ),
        ]
    );
    let peered = pair(side("instance", "i-0bb00000000000006", "c"));
    assert!(text(&a, "cross-az-traffic", &peered, "evidence").contains("over VPC peering"));
    let nlb = pair(side("load_balancer", "net/api/0123456789abcdef", "b"));
    assert!(text(&a, "cross-az-traffic", &nlb, "action").contains("cross-zone load balancing"));
}

#[test]
fn a_subnet_routed_to_a_nat_gateway_in_another_zone_is_found() {
    let a = audit();
    // Subnet …b1 (1b) -> NAT A (1a): #10 + #16 seen at the client, #11 + #17 at the NAT: 2 GiB
    // either way, x 0.02 x 730 = $29.20. Subnet …b2 (1b) -> NAT R (1a and 1c): no traffic, so
    // no dollar figure. Near misses: …a1 (1a) -> NAT A (1a), …c1 (1c) -> NAT R (1a, 1c).
    assert_eq!(
        of_kinds(&a, &["nat-cross-az"]),
        vec![
            row(
                "nat-cross-az",
                "subnet-0bb000000000000b1",
                Some(2 * GIB),
                Some(29.20)
            ),
            row("nat-cross-az", "subnet-0bb000000000000b2", Some(0), None),
        ]
    );
    // No NAT gateway in 1b: create one, at 0.045 x 730 = $32.85 a month.
    let action = text(&a, "nat-cross-az", "subnet-0bb000000000000b1", "action");
    assert!(
        action.starts_with("Create a NAT gateway in us-east-1b ($32.85/month"),
        "{action}"
    );
    // The regional gateway expands instead: regional_nat_gateway_zone_hour 0.045 x 730.
    let action = text(&a, "nat-cross-az", "subnet-0bb000000000000b2", "action");
    assert!(
        action.starts_with("Let nat-0bb000000000000r1 expand into us-east-1b"),
        "{action}"
    );
    assert!(action.contains("$32.85/month for the zone"), "{action}");
}

#[test]
fn an_endpoint_bypassed_through_nat_or_internet_gateway_is_found() {
    let a = audit();
    // e1 is an S3 interface endpoint. Through NAT A: #18 (counted on the NAT's ENI), 1 GiB of
    // S3 in us-east-1; through the internet gateway: #19, 0.5 GiB. No dollar figure on either:
    // the NAT's processing, 730 GB a month x 0.045 = $32.85, is nat-s3's saving (a gateway
    // endpoint is free), and the internet gateway charges nothing. #28, S3 of eu-west-1 through
    // the internet gateway, is no bypass: the endpoint serves its own region only.
    assert_eq!(
        of_kinds(&a, &["endpoint-bypassed", "nat-s3"]),
        vec![
            row("nat-s3", "nat-0bb000000000000a1", Some(GIB), Some(32.85)),
            row(
                "endpoint-bypassed",
                "vpce-0bb000000000000e1",
                Some(GIB),
                None
            ),
            row(
                "endpoint-bypassed",
                "vpce-0bb000000000000e1",
                Some(GIB / 2),
                None
            ),
        ]
    );
    let evidence = text(
        &a,
        "endpoint-bypassed",
        "vpce-0bb000000000000e1",
        "evidence",
    );
    assert!(evidence.contains("PrivateDnsEnabled: false"), "{evidence}");
    assert!(evidence.contains("charges $32.85/month"), "{evidence}");
}

#[test]
fn public_ipv4_addresses_without_internet_traffic_are_found() {
    let a = audit();
    // $0.005 an hour x 730 = $3.65 each: 54.0.0.9 is associated with nothing; 3.80.0.6 (ENI 9)
    // logged from 10:00 to 10:59 (#25, #26) and exchanged no byte with the internet. Near
    // misses: 3.80.0.5 (#19), 54.0.0.1 (NAT A, #12), 54.0.0.3 (NAT R, #22) carried internet
    // traffic; 3.80.0.7 (ENI 10) and 54.0.0.2 (ENI 14) never logged, so nothing is said of them.
    assert_eq!(
        of_kinds(&a, &["public-ipv4"]),
        vec![
            row("public-ipv4", "3.80.0.6", Some(0), Some(3.65)),
            row("public-ipv4", "54.0.0.9", Some(0), Some(3.65)),
        ]
    );
}

#[test]
fn only_an_open_endpoint_policy_is_a_finding() {
    let a = audit();
    // e1 has the default policy; e2's names one bucket's objects.
    assert_eq!(
        of_kinds(&a, &["endpoint-policy"]),
        vec![row("endpoint-policy", "vpce-0bb000000000000e1", None, None)]
    );
    let evidence = text(&a, "endpoint-policy", "vpce-0bb000000000000e1", "evidence");
    assert!(evidence.contains(r#""Principal":"*""#), "{evidence}");
}

#[test]
fn a_regional_nat_gateway_is_reported_in_its_zones() {
    let out = over_fixture(&["report", "nat-gateway-bytes", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let regional = rows["nat-gateway-bytes"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["nat_gateway_id"] == "nat-0bb000000000000r1")
        .expect("NAT R");
    assert_eq!(regional["availability_mode"], "regional");
    assert_eq!(regional["zones"], "us-east-1a, us-east-1c");
    assert_eq!(regional["region"], "us-east-1");
    // Counted once, on its own ENI toward the internet: #22 (#20 and #21 are the inside legs).
    assert_eq!(regional["bytes"], GIB / 4);
    // #20, the client's record, went through it by its subnet's route.
    let out = over_fixture(&[
        "query",
        "SELECT nat_gateway_id, traffic_class FROM flows_classified \
         WHERE interface_id = 'eni-0bb00000000000007'",
        "-o",
        "csv",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "nat_gateway_id,traffic_class\nnat-0bb000000000000r1,nat_gateway\n"
    );
}

#[test]
fn bytes_between_zones_are_in_the_json_and_on_the_page() {
    let a = audit();
    // Zones 1a and 1b: #1 1 GiB, #3 0.5, #5 0.25, #6 1 (the ALB: not billed), #9 0.5 = 3.25 GiB,
    // 2.25 billed. Zones 1a and 1c: #7 over peering, 0.5 GiB.
    let pair = |a: &str, b: &str, bytes: i64, billed: i64| serde_json::json!({"region": "us-east-1", "zone_a": a, "zone_b": b, "bytes": bytes, "billed_bytes": billed});
    assert_eq!(
        a["cross_az"],
        serde_json::json!([
            pair("us-east-1a", "us-east-1b", GIB * 13 / 4, GIB * 9 / 4),
            pair("us-east-1a", "us-east-1c", GIB / 2, GIB / 2),
        ])
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("audit.html");
    let out = over_fixture(&[
        "audit",
        "-q",
        "-o",
        "json",
        "--html",
        page.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let dom = crate::audit::browse(&page, &["--dump-dom"]);
    assert!(
        dom.contains("data-charts-rendered=\"3\""),
        "the time, endpoint and zone charts laid out with bars of a size"
    );
    let chart = &dom[dom.find("id=\"cross-az\"").expect("the zone chart")..];
    let chart = &chart[..chart.find("</div>\n</div>").unwrap_or(chart.len())];
    assert_eq!(chart.matches("class=\"hbar\"").count(), 2, "{chart}");
    assert!(
        chart.contains("3.25 GiB") && chart.contains("2.25 GiB billed"),
        "{chart}"
    );
    assert!(chart.contains("512.00 MiB"), "{chart}");
}
