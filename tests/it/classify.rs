//! The classification and the reports on a hand-built estate whose answers were worked out by
//! hand (tests/fixtures/classify/README.md explains every record), run through the binary.

use std::path::{Path, PathBuf};

use crate::common::vpcflow;

fn fixture(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/classify")
        .join(part)
}

/// Runs vpcflow with `args`, expecting success, and returns stdout.
fn run(args: &[&str]) -> String {
    let out = vpcflow().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "vpcflow {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// One report over the fixture logs, as CSV.
fn report(name: &str, extra: &[&str]) -> String {
    let logs = fixture("logs");
    let inventory = fixture("inventory");
    let mut args = vec![
        "report",
        name,
        logs.to_str().expect("path"),
        "--inventory",
        inventory.to_str().expect("path"),
        "-o",
        "csv",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// Lines of text, for readable comparisons.
fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn every_record_gets_the_class_worked_out_by_hand() {
    let logs = fixture("logs");
    let inventory = fixture("inventory");
    let out = run(&[
        "query",
        "SELECT srcport - 40000 AS n, traffic_class, counted, peer, direction, endpoint_id, \
         nat_gateway_id FROM flows_classified ORDER BY srcport NULLS FIRST, interface_id",
        logs.to_str().expect("path"),
        "--inventory",
        inventory.to_str().expect("path"),
        "-o",
        "csv",
    ]);
    let vpce_ssm = "vpce-0aa000000000000e1";
    let vpce_s3_a = "vpce-0aa000000000000e3";
    let vpce_s3_c = "vpce-0cc000000000000e3";
    let nat_a = "nat-0aa000000000000d1";
    let nat_c = "nat-0cc000000000000d1";
    let expected = [
        "n,traffic_class,counted,peer,direction,endpoint_id,nat_gateway_id".to_string(),
        // NODATA on an instance ENI and on the idle endpoint's ENI: no class.
        ",,false,,,,".to_string(),
        ",,false,,,,".to_string(),
        format!("1,interface_endpoint,false,10.0.9.9,egress,{vpce_ssm},"),
        format!("2,gateway_endpoint,true,52.216.1.1,egress,{vpce_s3_a},"),
        format!("3,nat_gateway,false,3.5.1.1,ingress,,{nat_a}"),
        "4,intra_vpc,true,10.5.2.20,egress,,".to_string(),
        format!("5,nat_gateway,false,52.94.0.5,egress,,{nat_a}"),
        "6,internet_gateway,true,2a00:1450::1,egress,,".to_string(),
        "7,other,true,192.168.5.5,egress,,".to_string(),
        "8,other,true,,,,".to_string(),
        format!("9,nat_gateway,false,3.218.181.1,egress,,{nat_a}"),
        "11,intra_vpc,false,10.0.1.10,ingress,,".to_string(),
        "12,internet_gateway,true,198.51.100.7,ingress,,".to_string(),
        "13,internet_gateway,true,8.8.8.8,egress,,".to_string(),
        "14,intra_vpc,true,10.0.200.200,ingress,,".to_string(),
        "15,intra_vpc,true,10.0.1.99,egress,,".to_string(),
        format!("16,interface_endpoint,true,10.0.1.10,ingress,{vpce_ssm},"),
        format!("17,interface_endpoint,true,10.0.1.10,egress,{vpce_ssm},"),
        format!("19,nat_gateway,false,10.0.1.10,ingress,,{nat_a}"),
        format!("20,nat_gateway,true,3.5.1.1,egress,,{nat_a}"),
        format!("21,nat_gateway,true,52.216.9.9,ingress,,{nat_a}"),
        format!("22,nat_gateway,true,3.218.181.1,egress,,{nat_a}"),
        format!("23,nat_gateway,false,10.0.1.10,egress,,{nat_a}"),
        format!("24,nat_gateway,true,52.94.0.5,egress,,{nat_a}"),
        "25,intra_vpc,true,10.0.9.9,egress,,".to_string(),
        "26,other,true,52.216.1.1,egress,,".to_string(),
        "27,other,true,,,,".to_string(),
        format!("28,gateway_endpoint,true,52.216.1.1,egress,{vpce_s3_c},"),
        "29,internet_gateway,true,52.216.1.1,egress,,".to_string(),
        format!("30,nat_gateway,false,8.8.4.4,egress,,{nat_c}"),
        "31,peering,true,192.168.1.1,egress,,".to_string(),
        "32,transit_gateway,true,10.200.0.9,egress,,".to_string(),
        "33,internet_gateway,true,203.0.113.9,ingress,,".to_string(),
        format!("34,gateway_endpoint,true,52.216.1.1,egress,{vpce_s3_a},"),
        format!("35,interface_endpoint,false,10.0.9.9,egress,{vpce_ssm},"),
        format!("36,nat_gateway,false,52.94.0.5,egress,,{nat_a}"),
    ];
    assert_eq!(lines(&out), expected);
}

#[test]
fn traffic_summary_counts_each_byte_once() {
    let out = report("traffic-summary", &[]);
    assert_eq!(
        lines(&out),
        [
            "traffic_class,records,bytes,packets,counted_records,counted_bytes,share_of_counted_bytes",
            "nat_gateway,11,25300,11,4,10500,0.2855",
            "intra_vpc,5,10260,5,4,6260,0.1702",
            "interface_endpoint,4,7100,4,2,6000,0.1632",
            "other,4,5000,4,4,5000,0.136",
            "internet_gateway,5,4284,5,5,4284,0.1165",
            "gateway_endpoint,3,4100,3,3,4100,0.1115",
            "transit_gateway,1,320,1,1,320,0.0087",
            "peering,1,310,1,1,310,0.0084",
            "nodata,2,0,0,0,0,0.0",
        ]
    );
}

#[test]
fn endpoint_bytes_bill_interface_endpoints_on_their_own_enis() {
    let out = report("endpoint-bytes", &[]);
    assert_eq!(
        lines(&out),
        [
            "endpoint_id,endpoint_type,service,vpc_id,region,az_count,records,bytes,in_vpc_bytes",
            // #16 and #17: the client 10.0.1.10 is in VPC A.
            "vpce-0aa000000000000e1,interface,ssm,vpc-0aaaaaaaaaaaaaaaa,us-east-1,1,2,6000,6000",
            "vpce-0aa000000000000e3,gateway,s3,vpc-0aaaaaaaaaaaaaaaa,us-east-1,0,2,2100,0",
            "vpce-0cc000000000000e3,gateway,s3,vpc-0cccccccccccccccc,us-east-1,0,1,2000,0",
            "vpce-0aa000000000000e2,interface,kms,vpc-0aaaaaaaaaaaaaaaa,us-east-1,1,0,0,0",
        ]
    );
}

#[test]
fn idle_endpoints_and_the_low_traffic_threshold() {
    // Each endpoint has one ENI, logged by its records only (#18 for kms, #16 and #17 for
    // ssm), all from 10:00 to 10:01.
    let header = "endpoint_id,status,service,vpc_id,region,az_count,state,ok_records,bytes,\
                  nodata_records,skipdata_records,created,age_days,enis,enis_logged,logged_from,\
                  logged_until";
    let kms = "vpce-0aa000000000000e2,idle,kms,vpc-0aaaaaaaaaaaaaaaa,us-east-1,1,available,0,0,1,0,\
               2026-10-21T10:00:00Z,36,1,1,2026-11-26T10:00:00Z,2026-11-26T10:01:00Z";
    let ssm = "vpce-0aa000000000000e1,low_traffic,ssm,vpc-0aaaaaaaaaaaaaaaa,us-east-1,1,available,2,\
               6000,0,0,2026-01-01T00:00:00Z,329,1,1,2026-11-26T10:00:00Z,2026-11-26T10:01:00Z";
    assert_eq!(lines(&report("idle-endpoints", &[])), [header, kms, ssm]);
    assert_eq!(
        lines(&report(
            "idle-endpoints",
            &["--param", "low_traffic_bytes=5000"]
        )),
        [header, kms]
    );
}

#[test]
fn nat_gateway_bytes_count_the_outside_legs_only() {
    assert_eq!(
        lines(&report("nat-gateway-bytes", &[])),
        [
            "nat_gateway_id,vpc_id,subnet_id,connectivity_type,availability_mode,zones,region,records,bytes,egress_bytes,ingress_bytes",
            // d1's subnet is not described: its zone is its ENI d01's.
            "nat-0aa000000000000d1,vpc-0aaaaaaaaaaaaaaaa,subnet-0aa00000000000003,public,zonal,us-east-1a,us-east-1,4,10500,3500,7000",
            "nat-0cc000000000000d1,vpc-0cccccccccccccccc,subnet-0cc00000000000001,public,zonal,us-east-1a,us-east-1,0,0,0,0",
        ]
    );
}

#[test]
fn nat_aws_services_split_same_region_from_cross_region() {
    assert_eq!(
        lines(&report("nat-aws-services", &[])),
        [
            "nat_gateway_id,vpc_id,region,service,records,bytes,egress_bytes,same_region_bytes",
            "nat-0aa000000000000d1,vpc-0aaaaaaaaaaaaaaaa,us-east-1,S3,2,10000,3000,7000",
            // #24: 52.94.0.5 lies in an AMAZON range of us-east-1 only.
            "nat-0aa000000000000d1,vpc-0aaaaaaaaaaaaaaaa,us-east-1,AMAZON,1,400,400,400",
            "nat-0aa000000000000d1,vpc-0aaaaaaaaaaaaaaaa,us-east-1,DYNAMODB,1,100,100,100",
        ]
    );
}

#[test]
fn rejects_by_every_dimension() {
    assert_eq!(
        lines(&report("rejects", &[])),
        [
            "dimension,rank,key,vpc_id,records,bytes,packets",
            "source,1,10.5.2.20,,1,60,1",
            "source,2,198.51.100.7,,1,40,1",
            "source,3,203.0.113.9,,1,44,1",
            "destination_port,1,22,,1,40,1",
            "destination_port,2,3389,,1,44,1",
            "destination_port,3,5432,,1,60,1",
            "eni,1,eni-0aa0000000000a002,,2,100,2",
            "eni,2,eni-0cc0000000000c001,,1,44,1",
            "reject_reason,1,-,,3,144,3",
            "inside_source,1,10.5.2.20,vpc-0aaaaaaaaaaaaaaaa,1,60,1",
        ]
    );
}

#[test]
fn top_talkers_rank_counted_bytes() {
    assert_eq!(
        lines(&report("top-talkers", &["--param", "top=3"])),
        [
            "scope,rank,interface_id,peer,traffic_class,records,bytes,packets",
            "eni,1,eni-0aa00000000000d01,,,4,10500,4",
            "eni,2,eni-0aa0000000000a001,,,6,8200,6",
            "eni,3,eni-0aa0000000000e001,,,2,6000,2",
            "eni_peer,1,eni-0aa00000000000d01,52.216.9.9,nat_gateway,1,7000,1",
            "eni_peer,2,eni-0aa0000000000e001,10.0.1.10,interface_endpoint,2,6000,2",
            "eni_peer,3,eni-0aa0000000000a001,10.5.2.20,intra_vpc,1,4000,1",
        ]
    );
}

#[test]
fn vantage_conflicts_name_each_disagreement() {
    assert_eq!(
        lines(&report("vantage-conflicts", &[])),
        [
            "check_name,traffic_class,logged,inferred,records,bytes,example_interface_id",
            "flow_direction,,ingress,egress,1,100,eni-0aa0000000000a001",
            "pkt_dst_aws_service,,EC2,AMAZON,1,100,eni-0aa0000000000a001",
            "traffic_path,gateway_endpoint,8,gateway_endpoint,1,100,eni-0aa0000000000a001",
        ]
    );
}

#[test]
fn an_ingested_dataset_gives_the_same_reports_as_the_raw_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dataset = dir.path().join("ds");
    let logs = fixture("logs");
    let inventory = fixture("inventory");
    run(&[
        "ingest",
        logs.to_str().expect("path"),
        "--out",
        dataset.to_str().expect("path"),
    ]);
    let pack = |input: &str| {
        run(&[
            "report",
            input,
            "--inventory",
            inventory.to_str().expect("path"),
            "-o",
            "json",
        ])
    };
    let raw = pack(logs.to_str().expect("path"));
    let ingested = pack(dataset.to_str().expect("path"));
    assert_eq!(raw, ingested);
    let parsed: serde_json::Value = serde_json::from_str(&raw).expect("one JSON document");
    let names: Vec<&str> = parsed
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names.len(), 15, "{names:?}");
    assert_eq!(parsed["endpoint-bytes"][0]["bytes"], 6000);
}

#[test]
fn a_window_keeps_only_the_records_inside_it() {
    // Every fixture record lies in 2026-11-26T10:00-10:01: a later window leaves nothing.
    let out = report(
        "traffic-summary",
        &[
            "--since",
            "2026-11-26T11:00:00Z",
            "--until",
            "2026-11-27T00:00:00Z",
        ],
    );
    assert_eq!(
        lines(&out),
        [
            "traffic_class,records,bytes,packets,counted_records,counted_bytes,share_of_counted_bytes"
        ]
    );
    let out = report(
        "traffic-summary",
        &[
            "--since",
            "2026-11-26T09:00:00Z",
            "--until",
            "2026-11-26T11:00:00Z",
        ],
    );
    assert!(out.contains("nat_gateway,11,25300"), "{out}");
}

#[test]
fn a_report_says_which_inventory_file_it_misses() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        fixture("inventory/999900001111/us-east-1/describe-network-interfaces.json"),
        dir.path().join("describe-network-interfaces.json"),
    )
    .expect("copy");
    let logs = fixture("logs");
    let out = vpcflow()
        .args([
            "report",
            "endpoint-bytes",
            logs.to_str().expect("path"),
            "--inventory",
            dir.path().to_str().expect("path"),
            "--region",
            "us-east-1",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("report endpoint-bytes: no describe-vpc-endpoints.json"),
        "{stderr}"
    );
    assert!(stderr.contains("describe-vpcs.json"), "{stderr}");
}

#[test]
fn report_list_and_bad_parameters() {
    let list = run(&["report", "--list"]);
    assert!(list.starts_with("traffic-summary "), "{list}");
    assert_eq!(list.lines().count(), 15);
    assert!(list.contains("[--param low_traffic_bytes=1048576]"));
    let logs = fixture("logs");
    let inventory = fixture("inventory");
    let out = vpcflow()
        .args([
            "report",
            "rejects",
            logs.to_str().expect("path"),
            "--inventory",
            inventory.to_str().expect("path"),
            "--param",
            "low_traffic_bytes=5",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no chosen report has this parameter"));
}

#[test]
fn the_sample_estate_report_pack() {
    // Every report shows something real on sample-logs/ (whose README describes the estate):
    // the idle kms endpoint, the low-traffic ecr.api one, S3 through the NAT gateway, BPA
    // rejects. Each report's review copy is its snapshot in queries.rs.
    let out = run(&[
        "report",
        "sample-logs/AWSLogs",
        "--inventory",
        "sample-logs/inventory",
        "-o",
        "markdown",
        "-q",
    ]);
    for expected in [
        "| vpce-0c5a94e5acd2d14bc | idle | kms |",
        "| vpce-07dada93596c86feb | low_traffic | ecr.api |",
        "| nat-082f5993f8ba05753 | vpc-0a1b2c3d4e5f60718 | us-east-1 | S3 |",
        "| reject_reason | 2 | BPA |",
    ] {
        assert!(out.contains(expected), "{expected} in\n{out}");
    }
}

#[test]
fn endpoint_clients_by_zone() {
    // #16 and #17 on e001 (us-east-1a); the client 10.0.1.10 is a001's, also in us-east-1a.
    assert_eq!(
        lines(&report("endpoint-clients", &[])),
        [
            "endpoint_id,endpoint_az,client_az,cross_az,clients,records,bytes",
            "vpce-0aa000000000000e1,us-east-1a,us-east-1a,false,1,2,6000",
        ]
    );
}

#[test]
fn a_timeline_bucket_sums_the_minutes_inside_it() {
    // The sample estate spans six hours of one day; each hour's and the day's rows must hold
    // exactly the records and bytes of the minute rows that fall inside them (the text of a
    // bucket's start names its hour and day).
    let timeline = |bucket: &str| {
        let out = run(&[
            "report",
            "traffic-timeline",
            "sample-logs/AWSLogs",
            "--inventory",
            "sample-logs/inventory",
            "--param",
            &format!("bucket={bucket}"),
            "-o",
            "csv",
            "-q",
        ]);
        let mut rows = std::collections::BTreeMap::new();
        for line in out.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 4, "{line}");
            let figures = (
                f[2].parse::<u64>().expect("records"),
                f[3].parse::<u64>().expect("bytes"),
            );
            assert!(
                rows.insert((f[0].to_string(), f[1].to_string()), figures)
                    .is_none()
            );
        }
        rows
    };
    let minutes = timeline("minute");
    assert!(minutes.len() > 10, "{minutes:?}");
    for (bucket, start_len, pad) in [("hour", 13, ":00:00Z"), ("day", 10, "T00:00:00Z")] {
        let mut expected = std::collections::BTreeMap::new();
        for ((minute, class), (records, bytes)) in &minutes {
            let key = (format!("{}{pad}", &minute[..start_len]), class.clone());
            let sum: &mut (u64, u64) = expected.entry(key).or_default();
            sum.0 += records;
            sum.1 += bytes;
        }
        assert_eq!(timeline(bucket), expected, "{bucket}");
    }
}

#[test]
fn the_classification_computes_flow_facts_once_per_record() {
    // Each field of the classification's facts is read from one `flow_facts` call. A filter on a
    // computed column, pushed down through the view's projections, would copy the call into
    // every use of every field it depends on (hundreds per record); it stays above the view,
    // while a filter on a column of `flows` (the date) still goes down to the scan.
    let out = run(&[
        "query",
        "EXPLAIN SELECT endpoint_id, sum(bytes) FROM flows_classified \
         WHERE counted AND traffic_class IN ('interface_endpoint', 'gateway_endpoint') \
         AND date >= DATE '2020-01-01' GROUP BY 1",
        "sample-logs/AWSLogs",
        "--inventory",
        "sample-logs/inventory",
        "-o",
        "csv",
        "-q",
    ]);
    let physical = out.find("physical_plan").expect("a physical plan");
    let (logical, physical) = out.split_at(physical);
    assert_eq!(logical.matches("flow_facts(").count(), 1, "{logical}");
    assert_eq!(physical.matches("flow_facts(").count(), 1, "{physical}");
    let fence = physical.find("FenceExec").expect("a fence");
    let (above, below) = physical.split_at(fence);
    assert!(above.contains("traffic_class@"), "{physical}");
    assert!(below.contains("date@"), "{physical}");
}
