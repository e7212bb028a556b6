//! Tests of the inventory loader: facts read by hand from `sample-logs/inventory`, and small
//! hand-written files for region inference, recognition by content, error messages and enum
//! spellings.

use std::fs;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, TimeUnit};

use super::{Inventory, Kind, TABLES};

fn sample() -> Inventory {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/inventory");
    Inventory::load(&dir, None).expect("sample inventory loads")
}

fn table<'a>(inventory: &'a Inventory, name: &str) -> &'a RecordBatch {
    inventory.table(name).expect("table exists")
}

/// A Utf8 column as owned values.
fn strings(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
    let array = batch.column_by_name(column).expect("column exists");
    let array = array.as_string::<i32>();
    (0..array.len())
        .map(|i| array.is_valid(i).then(|| array.value(i).to_string()))
        .collect()
}

/// A List<Utf8> column's value at `row`.
fn list_at(batch: &RecordBatch, column: &str, row: usize) -> Vec<String> {
    let array = batch.column_by_name(column).expect("column exists");
    let values = array.as_list::<i32>().value(row);
    let values = values.as_string::<i32>();
    (0..values.len())
        .map(|i| values.value(i).to_string())
        .collect()
}

/// The row whose `column` equals `value`.
fn row(batch: &RecordBatch, column: &str, value: &str) -> usize {
    strings(batch, column)
        .iter()
        .position(|v| v.as_deref() == Some(value))
        .unwrap_or_else(|| panic!("no row with {column} = {value}"))
}

fn cell(batch: &RecordBatch, column: &str, row: usize) -> Option<String> {
    strings(batch, column).swap_remove(row)
}

fn write(dir: &Path, relative: &str, text: &str) -> PathBuf {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    fs::write(&path, text).expect("write");
    path
}

#[test]
fn sample_enis_and_roles() {
    let inv = sample();
    for kind in Kind::ALL {
        let expected = !matches!(kind, Kind::PrefixLists | Kind::PrefixListEntries);
        assert_eq!(inv.has(kind), expected, "{kind}");
    }
    let enis = table(&inv, "enis");
    assert_eq!(enis.num_rows(), 24);

    let nat = row(enis, "eni_id", "eni-0171ee8b557332b4a");
    assert_eq!(cell(enis, "role", nat).as_deref(), Some("nat_gateway"));
    assert_eq!(
        cell(enis, "nat_gateway_id", nat).as_deref(),
        Some("nat-082f5993f8ba05753")
    );
    assert_eq!(cell(enis, "endpoint_id", nat), None);
    assert_eq!(cell(enis, "region", nat).as_deref(), Some("us-east-1"));
    assert_eq!(
        cell(enis, "public_ip", nat).as_deref(),
        Some("52.20.147.81")
    );
    assert!(
        cell(enis, "source_file", nat)
            .is_some_and(|f| f.ends_with("111122223333/us-east-1/describe-network-interfaces.json"))
    );

    let endpoint = row(enis, "eni_id", "eni-048cf6037a2dd9034");
    assert_eq!(
        cell(enis, "role", endpoint).as_deref(),
        Some("vpc_endpoint")
    );
    assert_eq!(
        cell(enis, "endpoint_id", endpoint).as_deref(),
        Some("vpce-0c5a94e5acd2d14bc")
    );

    let bastion = row(enis, "eni_id", "eni-07decfe6208bc2559");
    assert_eq!(cell(enis, "role", bastion).as_deref(), Some("instance"));
    assert_eq!(
        cell(enis, "instance_id", bastion).as_deref(),
        Some("i-076e93130c86f9357")
    );
    assert_eq!(
        cell(enis, "interface_type", bastion).as_deref(),
        Some("interface")
    );

    let eu_nat = row(enis, "eni_id", "eni-0fe80e310a670d55c");
    assert_eq!(cell(enis, "region", eu_nat).as_deref(), Some("eu-west-1"));
    assert_eq!(
        cell(enis, "account_id", eu_nat).as_deref(),
        Some("044455556666")
    );
}

#[test]
fn sample_addresses() {
    let inv = sample();
    let addresses = table(&inv, "eni_addresses");
    assert_eq!(addresses.num_rows(), 27);
    let secondary = row(addresses, "address", "10.0.0.89");
    assert_eq!(
        cell(addresses, "eni_id", secondary).as_deref(),
        Some("eni-0171ee8b557332b4a")
    );
    assert_eq!(
        cell(addresses, "public_ip", secondary).as_deref(),
        Some("3.91.41.17")
    );
    assert_eq!(
        cell(addresses, "role", secondary).as_deref(),
        Some("nat_gateway")
    );
    assert_eq!(
        cell(addresses, "nat_gateway_id", secondary).as_deref(),
        Some("nat-082f5993f8ba05753")
    );
    let primary = addresses.column_by_name("is_primary").expect("column");
    assert!(!primary.as_boolean().value(secondary));
    let v6 = row(
        addresses,
        "address",
        "2600:1f18:6a3c:9d02:bc66:be9f:c30:e2ae",
    );
    assert_eq!(cell(addresses, "family", v6).as_deref(), Some("ipv6"));
    assert_eq!(
        cell(addresses, "eni_id", v6).as_deref(),
        Some("eni-04599dfaeb1227a65")
    );
}

#[test]
fn sample_endpoints_and_nat_gateways() {
    let inv = sample();
    let endpoints = table(&inv, "vpc_endpoints");
    assert_eq!(endpoints.num_rows(), 6);
    let s3 = row(endpoints, "endpoint_id", "vpce-0c8518cb1b3a76125");
    assert_eq!(
        cell(endpoints, "endpoint_type", s3).as_deref(),
        Some("gateway")
    );
    assert_eq!(cell(endpoints, "service", s3).as_deref(), Some("s3"));
    assert_eq!(
        list_at(endpoints, "route_table_ids", s3),
        ["rtb-0424a5a56a5103a02"]
    );
    assert!(list_at(endpoints, "eni_ids", s3).is_empty());
    let ecr = row(endpoints, "endpoint_id", "vpce-07dada93596c86feb");
    assert_eq!(cell(endpoints, "service", ecr).as_deref(), Some("ecr.api"));
    assert_eq!(
        cell(endpoints, "endpoint_type", ecr).as_deref(),
        Some("interface")
    );
    let kms = row(endpoints, "endpoint_id", "vpce-0c5a94e5acd2d14bc");
    let az_count = endpoints.column_by_name("az_count").expect("column");
    assert_eq!(
        az_count
            .as_primitive::<arrow::datatypes::Int32Type>()
            .value(kms),
        3
    );
    let created = endpoints.column_by_name("created").expect("column");
    assert_eq!(
        created.data_type(),
        &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
    );
    // 2026-05-16T22:28:31.000Z
    assert_eq!(
        created
            .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
            .value(kms),
        1_778_970_511_000
    );

    let nats = table(&inv, "nat_gateways");
    assert_eq!(nats.num_rows(), 2);
    let nat = row(nats, "nat_gateway_id", "nat-082f5993f8ba05753");
    assert_eq!(
        cell(nats, "eni_id", nat).as_deref(),
        Some("eni-0171ee8b557332b4a")
    );
    assert_eq!(
        list_at(nats, "private_ips", nat),
        ["10.0.0.20", "10.0.0.89"]
    );
    assert_eq!(
        list_at(nats, "public_ips", nat),
        ["52.20.147.81", "3.91.41.17"]
    );
    assert_eq!(cell(nats, "region", nat).as_deref(), Some("us-east-1"));
    assert_eq!(
        cell(nats, "connectivity_type", nat).as_deref(),
        Some("public")
    );
}

#[test]
fn sample_vpcs_subnets_routes() {
    let inv = sample();
    let cidrs = table(&inv, "vpc_cidrs");
    let secondary = row(cidrs, "cidr", "10.1.0.0/16");
    assert_eq!(
        cell(cidrs, "vpc_id", secondary).as_deref(),
        Some("vpc-0a1b2c3d4e5f60718")
    );
    assert_eq!(cell(cidrs, "family", secondary).as_deref(), Some("ipv4"));
    assert_eq!(
        cell(cidrs, "region", secondary).as_deref(),
        Some("us-east-1")
    );
    // 10.0.0.0/16 twice (CidrBlock and the association set) in each VPC, kept once per VPC.
    let vpc = |v: &str| {
        strings(cidrs, "vpc_id")
            .iter()
            .filter(|x| x.as_deref() == Some(v))
            .count()
    };
    assert_eq!(vpc("vpc-0a1b2c3d4e5f60718"), 3);
    assert_eq!(vpc("vpc-02e0f797bf7d719ab"), 1);

    let subnets = table(&inv, "subnets");
    assert_eq!(subnets.num_rows(), 9);
    let batch_subnet = row(subnets, "subnet_id", "subnet-0b84387b0293d892a");
    assert_eq!(
        cell(subnets, "route_table_id", batch_subnet).as_deref(),
        Some("rtb-0424a5a56a5103a02")
    );
    let public = row(subnets, "subnet_id", "subnet-058dc2419dbc91f09");
    assert_eq!(
        cell(subnets, "route_table_id", public).as_deref(),
        Some("rtb-02c002f5191d86a0d")
    );
    assert_eq!(
        cell(subnets, "ipv6_cidr_block", public).as_deref(),
        Some("2600:1f18:6a3c:9d00::/64")
    );

    let routes = table(&inv, "routes");
    let to_s3 = row(routes, "destination", "pl-63a5400a");
    assert_eq!(cell(routes, "target_type", to_s3).as_deref(), Some("vpce"));
    assert_eq!(
        cell(routes, "target_id", to_s3).as_deref(),
        Some("vpce-0c8518cb1b3a76125")
    );
    assert_eq!(
        cell(routes, "destination_prefix_list_id", to_s3).as_deref(),
        Some("pl-63a5400a")
    );
    let types = strings(routes, "target_type");
    for expected in ["local", "igw", "nat", "eigw", "vpce"] {
        assert!(
            types.iter().any(|t| t.as_deref() == Some(expected)),
            "{expected}"
        );
    }

    let associations = table(&inv, "route_table_associations");
    // 9 subnet associations and 2 main tables.
    assert_eq!(associations.num_rows(), 11);

    let ranges = table(&inv, "aws_ip_ranges");
    assert_eq!(ranges.num_rows(), 32);
    assert!(inv.ip_ranges().is_some());
}

#[test]
fn tables_in_order_and_files_listed() {
    let inv = sample();
    let names: Vec<&str> = inv.tables().iter().map(|(n, _)| *n).collect();
    assert_eq!(names, TABLES);
    assert_eq!(inv.files().len(), 15);
    assert!(
        inv.files()
            .iter()
            .all(|(_, what)| !what.starts_with("skipped"))
    );
    let (last, what) = inv.files().last().expect("files");
    assert!(last.ends_with("ip-ranges.json"));
    assert_eq!(what, "ip-ranges.json");
}

#[test]
fn empty_directory_gives_empty_tables_with_schemas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inv = Inventory::load(dir.path(), None).expect("loads");
    assert_eq!(inv.tables().len(), TABLES.len());
    for (name, batch) in inv.tables() {
        assert_eq!(batch.num_rows(), 0, "{name}");
        assert!(batch.num_columns() > 0, "{name}");
    }
    let endpoints = table(&inv, "vpc_endpoints");
    let schema = endpoints.schema();
    let subnet_ids = schema.field_with_name("subnet_ids").expect("field");
    assert!(matches!(subnet_ids.data_type(), DataType::List(_)));
    assert!(schema.fields().iter().all(|f| f.is_nullable()));
    assert!(Kind::ALL.iter().all(|k| !inv.has(*k)));
    assert!(inv.ip_ranges().is_none());
}

#[test]
fn region_from_path_then_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vpcs = r#"{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "IsDefault": true,
        "State": "Available", "OwnerId": "111122223333"}]}"#;
    write(
        dir.path(),
        "111122223333/eu-central-1/describe-vpcs.json",
        vpcs,
    );
    let other = r#"{"Vpcs": [{"VpcId": "vpc-2", "CidrBlock": "10.9.0.0/16"}]}"#;
    write(dir.path(), "elsewhere/describe-vpcs.json", other);

    let inv = Inventory::load(dir.path(), Some("ap-south-1")).expect("loads");
    let vpcs = table(&inv, "vpcs");
    let first = row(vpcs, "vpc_id", "vpc-1");
    assert_eq!(cell(vpcs, "region", first).as_deref(), Some("eu-central-1"));
    assert_eq!(cell(vpcs, "state", first).as_deref(), Some("available"));
    assert!(
        vpcs.column_by_name("is_default")
            .expect("column")
            .as_boolean()
            .value(first)
    );
    let second = row(vpcs, "vpc_id", "vpc-2");
    assert_eq!(cell(vpcs, "region", second).as_deref(), Some("ap-south-1"));

    let inv = Inventory::load(dir.path(), None).expect("loads");
    let vpcs = table(&inv, "vpcs");
    assert_eq!(cell(vpcs, "region", row(vpcs, "vpc_id", "vpc-2")), None);
}

#[test]
fn recognised_by_content_not_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let subnets = r#"{"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1",
        "AvailabilityZone": "us-west-2-lax-1a", "CidrBlock": "10.0.0.0/24"}]}"#;
    write(dir.path(), "x/output-7.json", subnets);
    let enis = r#"
        {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "VpcId": "vpc-1",
          "InterfaceType": "interface", "Description": "VPC Endpoint Interface vpce-9",
          "PrivateIpAddress": "10.0.0.5"}]}"#;
    write(dir.path(), "x/enis.out", enis);
    write(dir.path(), "x/notes.txt", "remember to rerun describe-vpcs");
    write(dir.path(), "x/other.json", r#"{"Reservations": []}"#);
    write(dir.path(), "x/list.json", "[1, 2]");

    let inv = Inventory::load(dir.path(), None).expect("loads");
    assert!(inv.has(Kind::Subnets) && inv.has(Kind::NetworkInterfaces));
    assert!(!inv.has(Kind::Vpcs));
    let subnets = table(&inv, "subnets");
    assert_eq!(cell(subnets, "region", 0).as_deref(), Some("us-west-2"));
    // No route tables were loaded: unknown, not "none".
    assert_eq!(cell(subnets, "route_table_id", 0), None);
    let enis = table(&inv, "enis");
    assert_eq!(cell(enis, "role", 0).as_deref(), Some("vpc_endpoint"));
    assert_eq!(cell(enis, "endpoint_id", 0).as_deref(), Some("vpce-9"));
    // Region of the VPC, read from its subnet's zone.
    assert_eq!(cell(enis, "region", 0).as_deref(), Some("us-west-2"));

    let what = |name: &str| {
        inv.files()
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, w)| w.clone())
            .expect("listed")
    };
    assert_eq!(what("enis.out"), "describe-network-interfaces.json");
    assert_eq!(what("output-7.json"), "describe-subnets.json");
    assert_eq!(what("notes.txt"), "skipped: not JSON");
    assert_eq!(
        what("other.json"),
        "skipped: unrecognised content (members Reservations)"
    );
    assert_eq!(
        what("list.json"),
        "skipped: top level is an array, not an object"
    );
}

#[test]
fn wrong_type_names_file_and_json_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = r#"{"Vpcs": [{"VpcId": "vpc-1", "CidrBlockAssociationSet": [
        {"CidrBlock": "10.0.0.0/16"}, {"CidrBlock": 5}]}]}"#;
    let path = write(dir.path(), "inventory/a/describe-vpcs.json", text);
    let err = Inventory::load(dir.path(), None).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: Vpcs[0].CidrBlockAssociationSet[1].CidrBlock: invalid type: integer `5`, \
             expected a string",
            path.display()
        )
    );
}

#[test]
fn invalid_json_is_an_error_in_json_files_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.txt", "{ not json");
    let inv = Inventory::load(dir.path(), None).expect("loads");
    assert!(inv.files()[0].1.starts_with("skipped: not valid JSON"));

    let path = write(
        dir.path(),
        "b/describe-subnets.json",
        r#"{"Subnets": [{"SubnetId": }]}"#,
    );
    let err = Inventory::load(dir.path(), None).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: Subnets[0].SubnetId: expected value at line 1 column 27",
            path.display()
        )
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deep = "[".repeat(100_000);
    let path = write(dir.path(), "deep.json", &deep);
    let err = Inventory::load(dir.path(), None).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: recursion limit exceeded at line 1 column 128",
            path.display()
        )
    );

    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "deep.out", &format!("{{\"Vpcs\": {deep}"));
    let inv = Inventory::load(dir.path(), None).expect("a non-.json file is skipped");
    assert!(inv.files()[0].1.contains("recursion limit exceeded"));
}

#[test]
fn enum_spellings_are_normalised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let enis = r#"{"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-1", "InterfaceType": "natGateway",
         "Description": "Interface for NAT Gateway nat-0abc", "AvailabilityZone": "us-east-1a",
         "RequesterManaged": true,
         "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.7", "Primary": true}]},
        {"NetworkInterfaceId": "eni-2", "InterfaceType": "transit_gateway",
         "Description": "Network Interface for Transit Gateway Attachment tgw-attach-1"},
        {"NetworkInterfaceId": "eni-3", "InterfaceType": "lambda"}]}"#;
    write(dir.path(), "enis.json", enis);
    let endpoints = r#"{"VpcEndpoints": [{"VpcEndpointId": "vpce-1",
        "VpcEndpointType": "GatewayLoadBalancer", "State": "pendingAcceptance",
        "ServiceName": "com.amazonaws.vpce.eu-west-1.vpce-svc-0123",
        "CreationTimestamp": "2017-09-05T20:41:28Z"}]}"#;
    write(dir.path(), "endpoints.json", endpoints);
    let nats = r#"{"NatGateways": [{"NatGatewayId": "nat-0abc", "State": "Available",
        "NatGatewayAddresses": [{"PrivateIp": "10.0.0.7", "IsPrimary": false,
          "NetworkInterfaceId": "eni-9"}, {"PrivateIp": "10.0.0.8"}]}]}"#;
    write(dir.path(), "nats.json", nats);

    let inv = Inventory::load(dir.path(), None).expect("loads");
    let enis = table(&inv, "enis");
    assert_eq!(
        cell(enis, "interface_type", 0).as_deref(),
        Some("nat_gateway")
    );
    assert_eq!(cell(enis, "role", 0).as_deref(), Some("nat_gateway"));
    assert_eq!(cell(enis, "nat_gateway_id", 0).as_deref(), Some("nat-0abc"));
    assert_eq!(cell(enis, "role", 1).as_deref(), Some("transit_gateway"));
    assert_eq!(cell(enis, "role", 2).as_deref(), Some("other"));

    let endpoints = table(&inv, "vpc_endpoints");
    assert_eq!(
        cell(endpoints, "endpoint_type", 0).as_deref(),
        Some("gateway_load_balancer")
    );
    assert_eq!(
        cell(endpoints, "state", 0).as_deref(),
        Some("pending_acceptance")
    );
    assert_eq!(
        cell(endpoints, "service", 0).as_deref(),
        Some("vpce-svc-0123")
    );
    // No VPC region, no path region: the service name's.
    assert_eq!(cell(endpoints, "region", 0).as_deref(), Some("eu-west-1"));
    let created = endpoints.column_by_name("created").expect("column");
    assert_eq!(
        created
            .as_primitive::<arrow::datatypes::TimestampMillisecondType>()
            .value(0),
        1_504_644_088_000
    );

    let nats = table(&inv, "nat_gateways");
    assert_eq!(cell(nats, "state", 0).as_deref(), Some("available"));
    assert_eq!(
        cell(nats, "connectivity_type", 0).as_deref(),
        Some("public")
    );
    assert_eq!(cell(nats, "availability_mode", 0).as_deref(), Some("zonal"));
    assert_eq!(cell(nats, "eni_id", 0).as_deref(), Some("eni-9"));
    assert_eq!(list_at(nats, "public_ips", 0), Vec::<String>::new());
}

#[test]
fn main_route_table_and_prefix_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let subnets = r#"{"Subnets": [
        {"SubnetId": "subnet-a", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a"},
        {"SubnetId": "subnet-b", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1b"}]}"#;
    write(dir.path(), "acct/us-east-1/describe-subnets.json", subnets);
    let tables = r#"{"RouteTables": [
        {"RouteTableId": "rtb-main", "VpcId": "vpc-1",
         "Associations": [{"Main": true, "RouteTableId": "rtb-main"}],
         "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1",
                     "State": "blackhole"}]},
        {"RouteTableId": "rtb-a", "VpcId": "vpc-1",
         "Associations": [{"Main": false, "SubnetId": "subnet-a"},
                          {"Main": false, "SubnetId": "subnet-b",
                           "AssociationState": {"State": "disassociated"}},
                          {"Main": false, "GatewayId": "igw-1"}],
         "Routes": [{"DestinationIpv6CidrBlock": "::/0",
                     "EgressOnlyInternetGatewayId": "eigw-1"}]}]}"#;
    write(
        dir.path(),
        "acct/us-east-1/describe-route-tables.json",
        tables,
    );
    let lists = r#"{"PrefixLists": [
        {"PrefixListName": "com.amazonaws.us-east-1.s3", "Cidrs": ["54.231.0.0/17",
         "52.216.0.0/15"], "PrefixListId": "pl-63a5400a"}]}"#;
    write(
        dir.path(),
        "acct/us-east-1/describe-prefix-lists.json",
        lists,
    );
    // A name that looks like another region's service list: the ARN says where it is.
    let managed = r#"{"PrefixLists": [{"PrefixListId": "pl-0123456abcabcabc1",
        "PrefixListName": "com.amazonaws.eu-west-1.mirror",
        "PrefixListArn": "arn:aws:ec2:us-west-2:123456789012:prefix-list/pl-0123456abcabcabc1"}]}"#;
    write(
        dir.path(),
        "acct/us-west-2/describe-managed-prefix-lists.json",
        managed,
    );
    let entries = r#"{"Entries": [{"Cidr": "10.0.0.0/16", "Description": "vpc-a"},
        {"Cidr": "10.2.0.0/16", "Description": "vpc-b"}]}"#;
    write(
        dir.path(),
        "acct/us-west-2/get-managed-prefix-list-entries.json",
        entries,
    );
    write(
        dir.path(),
        "acct/ap/entries-pl-0ffff.json",
        r#"{"Entries": [{"Cidr": "10.7.0.0/16"}]}"#,
    );
    write(
        dir.path(),
        "acct/lost/entries.json",
        r#"{"Entries": [{"Cidr": "10.8.0.0/16"}]}"#,
    );

    let inv = Inventory::load(dir.path(), None).expect("loads");
    let subnets = table(&inv, "subnets");
    assert_eq!(cell(subnets, "route_table_id", 0).as_deref(), Some("rtb-a"));
    assert_eq!(
        cell(subnets, "route_table_id", 1).as_deref(),
        Some("rtb-main")
    );

    let associations = table(&inv, "route_table_associations");
    assert_eq!(associations.num_rows(), 2);
    assert_eq!(
        strings(associations, "subnet_id"),
        [None, Some("subnet-a".to_string())]
    );

    let routes = table(&inv, "routes");
    assert_eq!(
        strings(routes, "target_type"),
        [Some("tgw".to_string()), Some("eigw".to_string())]
    );
    assert_eq!(cell(routes, "state", 0).as_deref(), Some("blackhole"));
    assert_eq!(cell(routes, "region", 0).as_deref(), Some("us-east-1"));

    let lists = table(&inv, "prefix_lists");
    assert_eq!(
        strings(lists, "cidr"),
        [
            "54.231.0.0/17",
            "52.216.0.0/15",
            "10.7.0.0/16",
            "10.0.0.0/16",
            "10.2.0.0/16"
        ]
        .map(|c| Some(c.to_string()))
    );
    assert_eq!(cell(lists, "region", 0).as_deref(), Some("us-east-1"));
    assert_eq!(
        cell(lists, "prefix_list_id", 2).as_deref(),
        Some("pl-0ffff")
    );
    assert_eq!(cell(lists, "region", 2), None);
    assert_eq!(
        cell(lists, "prefix_list_id", 3).as_deref(),
        Some("pl-0123456abcabcabc1")
    );
    assert_eq!(
        cell(lists, "prefix_list_name", 3).as_deref(),
        Some("com.amazonaws.eu-west-1.mirror")
    );
    assert_eq!(cell(lists, "region", 3).as_deref(), Some("us-west-2"));
    assert!(inv.has(Kind::PrefixLists) && inv.has(Kind::PrefixListEntries));
    let lost = inv
        .files()
        .iter()
        .find(|(p, _)| p.ends_with("lost/entries.json"))
        .expect("listed");
    assert!(
        lost.1
            .starts_with("skipped: prefix-list entries without a prefix-list id")
    );
}

#[test]
fn tables_read_back_give_the_same_inventory() {
    let inventory = sample();
    let back = Inventory::from_tables(inventory.tables()).expect("reads back");
    let ranges = |i: &Inventory| i.ip_ranges().map(|r| r.ranges.clone()).unwrap_or_default();
    assert!(ranges(&inventory).len() > 10);
    assert_eq!(ranges(&back), ranges(&inventory));
    assert_eq!(back.tables(), inventory.tables());
    assert!(back.has(Kind::IpRanges));
}
