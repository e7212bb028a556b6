//! The generator's own tests: the estate is reproducible and complete, synthetic records have
//! the requested shape and valid values, and versions follow the fields.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use super::layouts::{V8_FIELDS, layout_version, parquet_fields};
use super::synthetic::SYNTH_BASE;
use super::*;

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

fn small() -> EstateOptions {
    EstateOptions {
        hours: 3,
        flows_per_hour: 150,
        ..EstateOptions::default()
    }
}

/// Every file under `root`, by relative path.
fn read_tree(root: &Path) -> std::io::Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                files.insert(rel, std::fs::read(&path)?);
            }
        }
    }
    Ok(files)
}

#[test]
fn estate_is_byte_identical_across_runs() -> TestResult {
    let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let sa = generate_estate(&small(), a.path())?;
    let sb = generate_estate(&small(), b.path())?;
    assert_eq!(sa, sb);
    let (ta, tb) = (read_tree(a.path())?, read_tree(b.path())?);
    assert_eq!(ta.len(), sa.total_files);
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (path, bytes) in &ta {
        assert!(tb.get(path) == Some(bytes), "{} differs", path.display());
    }
    let other = tempfile::tempdir()?;
    let opts = EstateOptions { seed: 8, ..small() };
    generate_estate(&opts, other.path())?;
    assert_ne!(
        read_tree(other.path())?,
        ta,
        "another seed gives another estate"
    );
    Ok(())
}

#[test]
fn estate_writes_every_kind_of_output() -> TestResult {
    let dir = tempfile::tempdir()?;
    let s = generate_estate(&small(), dir.path())?;
    // Three text flow logs per hour in account 1, two Hive flow logs per hour in account 2.
    assert_eq!(s.s3_text.files, 9);
    assert_eq!(s.s3_hive_text.files, 6);
    assert_eq!(s.s3_parquet.files, 1);
    assert_eq!(s.cloudwatch.files, 1);
    assert_eq!(s.inventory.files, 15);
    assert_eq!(s.total_files, 9 + 6 + 1 + 1 + 15 + 1);
    let per_flow_log: usize = s.flow_logs.iter().map(|f| f.records).sum();
    assert_eq!(
        per_flow_log,
        s.s3_text.records + s.s3_hive_text.records + s.s3_parquet.records + s.cloudwatch.records
    );

    for (path, bytes) in read_tree(dir.path())? {
        let name = path.to_string_lossy().to_string();
        if name.ends_with(".log.gz") {
            let mut text = String::new();
            flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut text)?;
            let mut lines = text.lines();
            let header: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
            assert!(header[0] == "version", "{name}: header {header:?}");
            assert!(text.ends_with('\n') && !text.contains('\r'));
            for line in lines {
                assert_eq!(line.split(' ').count(), header.len(), "{name}: {line}");
            }
        } else if name.ends_with(".log.parquet") {
            let file = std::fs::File::open(dir.path().join(&path))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)?;
            let schema = reader.schema();
            assert_eq!(schema.field(1).name(), "account_id");
            assert_eq!(schema.fields().len(), parquet_fields().len());
            let rows: usize = reader
                .build()?
                .map(|b| b.map(|b| b.num_rows()))
                .sum::<std::result::Result<_, _>>()?;
            assert_eq!(rows, s.s3_parquet.records);
        } else if name.ends_with(".json") {
            let v: Value = serde_json::from_slice(&bytes)?;
            assert!(v.is_object(), "{name}");
        }
    }
    let enis = std::fs::read(
        dir.path()
            .join("inventory/111122223333/us-east-1/describe-network-interfaces.json"),
    )?;
    let enis: Value = serde_json::from_slice(&enis)?;
    let list = enis["NetworkInterfaces"].as_array().map_or(0, Vec::len);
    assert_eq!(list, 17);
    Ok(())
}

/// A JSON file of the estate in `dir`.
fn json(dir: &Path, rel: &str) -> std::result::Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_slice(&std::fs::read(dir.join(rel))?)?)
}

#[test]
fn estate_has_a_regional_nat_gateway_elastic_ips_and_endpoint_settings() -> TestResult {
    let dir = tempfile::tempdir()?;
    generate_estate(&small(), dir.path())?;
    let eu = "inventory/044455556666/eu-west-1";
    let nats = json(dir.path(), &format!("{eu}/describe-nat-gateways.json"))?;
    let nat = &nats["NatGateways"][0];
    assert_eq!(nat["AvailabilityMode"], "regional");
    assert!(nat.get("SubnetId").is_none(), "{nat}");
    let zones: Vec<&str> = nat["NatGatewayAddresses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["AvailabilityZone"].as_str())
        .collect();
    assert_eq!(zones, ["eu-west-1a", "eu-west-1b"]);
    let enis = json(
        dir.path(),
        &format!("{eu}/describe-network-interfaces.json"),
    )?;
    let nat_enis = enis["NetworkInterfaces"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["InterfaceType"] == "nat_gateway")
        .filter(|n| {
            n["Description"]
                == format!(
                    "Interface for NAT Gateway {}",
                    nat["NatGatewayId"].as_str().unwrap_or("")
                )
        })
        .count();
    assert_eq!(nat_enis, 2);

    let endpoints = json(dir.path(), &format!("{eu}/describe-vpc-endpoints.json"))?;
    let s3 = &endpoints["VpcEndpoints"][0];
    assert_eq!(s3["ServiceName"], "com.amazonaws.eu-west-1.s3");
    assert_eq!(s3["VpcEndpointType"], "Interface");
    assert_eq!(s3["PrivateDnsEnabled"], false);
    let us = "inventory/111122223333/us-east-1";
    let endpoints = json(dir.path(), &format!("{us}/describe-vpc-endpoints.json"))?;
    let gateway = endpoints["VpcEndpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["VpcEndpointType"] == "Gateway")
        .ok_or("a gateway endpoint")?;
    let policy: Value = serde_json::from_str(gateway["PolicyDocument"].as_str().unwrap_or(""))?;
    assert_eq!(
        policy["Statement"][0]["Resource"][0],
        "arn:aws:s3:::prod-app-assets"
    );

    // Each account lists its NAT gateways' Elastic IPs; the first account also one associated
    // with nothing.
    for (folder, associated, spare) in [(us, 2, 1), (eu, 2, 0)] {
        let addresses = json(dir.path(), &format!("{folder}/describe-addresses.json"))?;
        let list = addresses["Addresses"].as_array().ok_or("Addresses")?;
        let with = list
            .iter()
            .filter(|a| a.get("AssociationId").is_some())
            .count();
        assert_eq!((with, list.len() - with), (associated, spare), "{folder}");
    }
    Ok(())
}

#[test]
fn estate_needs_an_hour() {
    let opts = EstateOptions {
        hours: 0,
        ..EstateOptions::default()
    };
    let dir = std::env::temp_dir().join("vpcflow-generate-zero-hours");
    assert!(matches!(generate_estate(&opts, &dir), Err(Error::Usage(_))));
}

#[test]
fn synthetic_text_has_the_requested_shape() {
    let text = synthetic_text(42, 5_000, V5_CUSTOM_FIELDS, true);
    assert!(text.ends_with(b"\n"));
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5_001);
    assert_eq!(lines[0], V5_CUSTOM_FIELDS.join(" "));
    for line in &lines[1..] {
        let tokens: Vec<&str> = line.split(' ').collect();
        assert_eq!(tokens.len(), V5_CUSTOM_FIELDS.len(), "{line}");
        assert_eq!(tokens[0], "5");
    }
    let no_data = lines.iter().filter(|l| l.contains(" NODATA ")).count();
    assert!((10..150).contains(&no_data), "{no_data} NODATA rows");

    let bare = synthetic_text(42, 100, DEFAULT_FIELDS, false);
    assert_eq!(bare.iter().filter(|b| **b == b'\n').count(), 100);
    assert_eq!(bare, synthetic_text(42, 100, DEFAULT_FIELDS, false));
    assert_ne!(bare, synthetic_text(43, 100, DEFAULT_FIELDS, false));
    assert!(synthetic_text(1, 0, DEFAULT_FIELDS, false).is_empty());
}

#[test]
fn synthetic_text_values_are_valid() {
    let text = synthetic_text(9, 20_000, DEFAULT_FIELDS, false);
    let text = String::from_utf8_lossy(&text);
    let mut big = 0;
    for line in text.lines() {
        let t: Vec<&str> = line.split(' ').collect();
        assert_eq!(t[0], "2");
        assert_eq!(t[1].len(), if t[1] == "unknown" { 7 } else { 12 });
        assert!(t[2].starts_with("eni-0") && t[2].len() == 21);
        let start: i64 = t[10].parse().unwrap_or(-1);
        let end: i64 = t[11].parse().unwrap_or(-2);
        assert!(end >= start && start >= SYNTH_BASE, "{line}");
        if t[13] == "OK" {
            assert!(
                t[5].parse::<u16>().is_ok() && t[6].parse::<u16>().is_ok(),
                "{line}"
            );
            assert!(["6", "17", "1"].contains(&t[7]), "{line}");
            assert!(t[3].parse::<std::net::IpAddr>().is_ok(), "{line}");
            assert!(["ACCEPT", "REJECT"].contains(&t[12]));
            if t[9].parse::<u64>().unwrap_or(0) > u64::from(u32::MAX) {
                big += 1;
            }
        } else {
            assert!(["NODATA", "SKIPDATA"].contains(&t[13]));
            assert!(t[3..10].iter().all(|v| *v == "-") && t[12] == "-", "{line}");
        }
    }
    assert!(big > 0, "some byte counts need 64 bits");
}

#[test]
fn unknown_fields_get_tokens_and_versions_follow_fields() {
    let text = synthetic_text(5, 10, &["version", "made-up-field", "ecs-task-id"], true);
    let text = String::from_utf8_lossy(&text);
    for line in text.lines().skip(1) {
        let t: Vec<&str> = line.split(' ').collect();
        assert_eq!(t[0], "7");
        assert!(t[1].len() == 8 && t[1].bytes().all(|b| b.is_ascii_alphanumeric()));
    }
    assert_eq!(layout_version(DEFAULT_FIELDS), 2);
    assert_eq!(layout_version(&parquet_fields()), 3);
    assert_eq!(layout_version(V5_CUSTOM_FIELDS), 5);
    assert_eq!(layout_version(V8_FIELDS), 8);
    assert_eq!(layout_version(&["next_hop_az_id"]), 11);
}
