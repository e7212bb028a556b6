//! `vpcflow inventory collect` against moto's server (the one of the S3 tests, which implements
//! the EC2 describe calls and applies IAM policies to them): an estate made there through the
//! EC2 API (tests/ec2/estate.py) is collected, loaded back and classified, each record's class
//! worked out by hand from the estate's shape; ip-ranges.json comes over HTTP from a server of
//! the test's own. A key without EC2 permissions and a download that is not ip-ranges.json are
//! named, exit 2, and leave what an earlier collection wrote as it was.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use serde_json::Value;

use crate::common::tools::{Key, aws_env, python, server};
use crate::common::{root, vpcflow};

/// Makes the estate in `region` with the server's admin key; its ids and addresses.
fn estate(region: &str) -> Value {
    let s = server();
    let out = std::process::Command::new(python(&["boto3"]))
        .arg(root().join("tests/ec2/estate.py"))
        .args(["--endpoint", &s.endpoint, "--region", region])
        .args(["--key-id", &s.admin.id, "--secret", &s.admin.secret])
        .output()
        .expect("estate.py runs");
    assert!(
        out.status.success(),
        "estate.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("estate JSON")
}

/// Serves `body` to every GET on 127.0.0.1 (one thread, for the life of the test process);
/// the URL of `/ip-ranges.json` there.
fn http_serving(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://127.0.0.1:{port}/ip-ranges.json")
}

/// Runs `vpcflow inventory collect ARGS` with `key`: (exit code, stdout, stderr).
fn collect(key: &Key, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vpcflow"))
        .args(["inventory", "collect"])
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_REGION")
        .envs(aws_env(key))
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .to_string()
}

/// The first address of a CIDR, e.g. `52.219.0.0/16` -> `52.219.0.1`.
fn host_in(cidr: &str) -> String {
    let base = cidr.split('/').next().expect("cidr");
    let mut octets: Vec<u8> = base.split('.').map(|o| o.parse().expect("octet")).collect();
    octets[3] += 1;
    octets
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// `flows_classified` of one record per (interface, source, destination) of `records`, read
/// with the inventory at `inventory`: the output of `query -o csv`, each record numbered by
/// its source port (40001, …).
fn classify(
    account: &str,
    records: &[(&String, &str, &str)],
    dir: &Path,
    inventory: &str,
) -> std::process::Output {
    let mut logs = String::from(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes \
         start end action log-status\n",
    );
    for (n, (eni, src, dst)) in records.iter().enumerate() {
        logs.push_str(&format!(
            "2 {account} {eni} {src} {dst} {} 443 6 10 1000 1764000000 1764000060 ACCEPT OK\n",
            40001 + n
        ));
    }
    let log_path = dir.join("flows.log");
    std::fs::write(&log_path, logs).expect("write logs");
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_vpcflow"))
        .args([
            "query",
            "SELECT srcport - 40000 AS n, traffic_class, endpoint_id, nat_gateway_id \
             FROM flows_classified ORDER BY srcport",
            log_path.to_str().expect("path"),
            "--inventory",
            inventory,
            "-o",
            "csv",
        ])
        .output()
        .expect("runs")
}

#[test]
fn a_collected_estate_loads_and_classifies() {
    // moto lists the same S3 addresses in every region's S3 prefix list: us-east-1's, which is
    // where ip-ranges.json puts them.
    let region = "us-east-1";
    let e = estate(region);
    let ip_ranges =
        std::fs::read(root().join("sample-logs/inventory/ip-ranges.json")).expect("read");
    let url = http_serving(ip_ranges.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let inv = dir.path().join("inv");
    let inv_arg = inv.to_str().expect("path");
    let (code, stdout, stderr) = collect(
        &server().admin,
        &[
            "--out",
            inv_arg,
            "--region",
            region,
            "--ip-ranges-url",
            &url,
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let folder = inv.join(text(&e, "account")).join(region);
    assert!(
        stdout.contains(&format!("{}: ", folder.display())),
        "{stdout}"
    );
    let nats = std::fs::read_to_string(folder.join("describe-nat-gateways.json")).expect("NATs");
    assert!(nats.contains(&text(&e, "nat_gateway")), "{nats}");
    assert_eq!(
        std::fs::read(inv.join("ip-ranges.json")).expect("ip-ranges"),
        ip_ranges
    );
    for file in [
        "describe-network-interfaces.json",
        "describe-vpc-endpoints.json",
        "describe-nat-gateways.json",
        "describe-vpcs.json",
        "describe-subnets.json",
        "describe-route-tables.json",
        "describe-prefix-lists.json",
        "describe-addresses.json",
    ] {
        assert!(folder.join(file).is_file(), "{file} missing");
    }
    // The spare elastic IP loads as one associated with nothing.
    let spare = &e["spare_eip"];
    let sql = format!(
        "SELECT public_ip, association_id IS NULL AND eni_id IS NULL AS unused \
         FROM elastic_ips WHERE allocation_id = '{}'",
        spare["allocation"].as_str().expect("id")
    );
    // A query reads flow logs: a file of none.
    let no_logs = dir.path().join("none.log");
    std::fs::write(&no_logs, "version interface-id log-status\n").expect("write");
    let out = vpcflow()
        .args(["query", &sql, no_logs.to_str().expect("path")])
        .args(["--inventory", inv_arg, "-o", "csv"])
        .output()
        .expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "public_ip,unused\n{},true\n",
            spare["ip"].as_str().expect("ip")
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hidden: Vec<_> = std::fs::read_dir(folder.parent().expect("account folder"))
        .expect("read")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "staging left behind: {hidden:?}");

    let instance = text(&e, "instance_eni");
    let nat_eni = e["nat_enis"][0].as_str().expect("NAT ENI").to_string();
    let sqs_eni = e["sqs_enis"][0].as_str().expect("endpoint ENI").to_string();
    let address = |eni: &str| {
        e["eni_addresses"][eni]
            .as_str()
            .expect("address")
            .to_string()
    };
    let (nat_ip, sqs_ip) = (address(&nat_eni), address(&sqs_eni));
    let s3_ip = host_in(&text(&e, "s3_cidr"));
    let account = text(&e, "account");
    // srcport numbers the records.
    let records = [
        (&instance, "10.20.2.10", "10.20.1.7"),
        (&instance, "10.20.2.10", "8.8.8.8"),
        (&nat_eni, nat_ip.as_str(), "8.8.8.8"),
        (&sqs_eni, "10.20.2.10", sqs_ip.as_str()),
        (&instance, "10.20.2.10", s3_ip.as_str()),
        (
            &"eni-0000000000000000f".to_string(),
            "10.20.2.11",
            "10.20.1.7",
        ),
    ];
    let out = classify(&account, &records, dir.path(), inv_arg);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (nat, sqs, s3) = (
        text(&e, "nat_gateway"),
        text(&e, "sqs_endpoint"),
        text(&e, "s3_endpoint"),
    );
    let expected = [
        "n,traffic_class,endpoint_id,nat_gateway_id".to_string(),
        // Both ends in the VPC.
        "1,intra_vpc,,".to_string(),
        // The private subnet's default route goes to the NAT gateway.
        format!("2,nat_gateway,,{nat}"),
        // On the NAT gateway's own interface.
        format!("3,nat_gateway,,{nat}"),
        // On the interface endpoint's interface.
        format!("4,interface_endpoint,{sqs},"),
        // To S3's prefix list, routed to the gateway endpoint.
        format!("5,gateway_endpoint,{s3},"),
        // An interface the inventory does not list.
        "6,other,,".to_string(),
    ];
    let got = String::from_utf8_lossy(&out.stdout);
    assert_eq!(got.lines().collect::<Vec<_>>(), expected, "{got}");
}

#[test]
fn refused_calls_and_a_bad_download_are_named_and_keep_the_earlier_collection() {
    let region = "eu-west-3";
    let dir = tempfile::tempdir().expect("temp dir");
    let inv = dir.path().join("inv");
    // What an earlier collection wrote.
    let account = estate(region)["account"]
        .as_str()
        .expect("account")
        .to_string();
    let earlier = inv.join(&account).join(region);
    std::fs::create_dir_all(&earlier).expect("mkdir");
    std::fs::write(earlier.join("describe-vpcs.json"), "{\"Vpcs\": []}").expect("write");
    std::fs::write(inv.join("ip-ranges.json"), "earlier").expect("write");
    let url = http_serving(b"{\"not\": \"ip-ranges\"}".to_vec());

    // The reader may use S3 only: every EC2 call is refused.
    let (code, stdout, stderr) = collect(
        &server().reader,
        &[
            "--out",
            inv.to_str().expect("path"),
            "--region",
            region,
            "--ip-ranges-url",
            &url,
        ],
    );
    assert_eq!(code, Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "not collected: account {account} (default credentials), region {region}: ec2:Describe"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("not collected: ip-ranges.json: "),
        "{stderr}"
    );
    assert!(stderr.contains("2 part(s) not collected"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(earlier.join("describe-vpcs.json")).expect("kept"),
        "{\"Vpcs\": []}"
    );
    assert_eq!(
        std::fs::read_to_string(inv.join("ip-ranges.json")).expect("kept"),
        "earlier"
    );
    let names = |p: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(p)
            .expect("read")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&inv.join(&account)), [region]);
    assert_eq!(names(&inv), [account.as_str(), "ip-ranges.json"]);
}
