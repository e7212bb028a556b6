//! Collecting the inventory from AWS: the EC2 API, read with the AWS SDK for Rust, written as
//! the folder [`Inventory::load`](crate::inventory::Inventory::load) reads.
//!
//! For each profile (an account) and region, the `describe-*` calls the loader knows are made
//! (every page) and written to `OUT/ACCOUNT/REGION/describe-*.json` in the shape the AWS CLI
//! prints (the members vpcflow reads; absent ones are left out), together with the entries of
//! the managed prefix lists that `describe-prefix-lists` does not list with their CIDRs.
//! AWS's `ip-ranges.json` is downloaded to `OUT/ip-ranges.json`.
//!
//! A folder is written whole or not at all: its files are written to a hidden folder beside it
//! (which the loader does not read) and renamed into place once every call of that account and
//! region succeeded, replacing what an earlier collection left there. A part that fails (a
//! denied call, a region that does not answer, a download that is not ip-ranges.json) is a
//! [`Failure`] naming the profile, region and API call; the rest is still collected, and what
//! the failed part had from an earlier collection stays as it was.

mod convert;

use std::collections::{BTreeMap, HashSet};
use std::error::Error as StdError;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::inventory::Kind;
use crate::inventory::aws::{Document, PrefixList};
use crate::inventory::ip_ranges::IpRanges;

/// Where AWS publishes its address ranges.
pub const IP_RANGES_URL: &str = "https://ip-ranges.amazonaws.com/ip-ranges.json";

/// How many regions are read at once.
const REGIONS_AT_ONCE: usize = 4;

/// What to collect and where to write it.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Profiles of the AWS configuration, one per account; empty: the default credentials.
    pub profiles: Vec<String>,
    /// Regions; `all` stands for every region enabled for the account; empty: each profile's
    /// configured region.
    pub regions: Vec<String>,
    /// An endpoint to use instead of AWS's (an EC2-compatible server).
    pub endpoint_url: Option<String>,
    /// Where to download `ip-ranges.json` from; `None`: not downloaded.
    pub ip_ranges_url: Option<String>,
    /// The inventory folder.
    pub out: PathBuf,
}

/// One account and region, written.
#[derive(Clone, Debug)]
pub struct Written {
    /// The account id (from STS `GetCallerIdentity`).
    pub account: String,
    /// The region.
    pub region: String,
    /// The folder written.
    pub path: PathBuf,
    /// How many resources of each kind it holds.
    pub counts: Vec<(Kind, usize)>,
}

/// A part that could not be collected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What: `default credentials` or `profile P` (the account could not be read),
    /// `account A (profile P), region R`, or `ip-ranges.json`.
    pub part: String,
    /// The call or step that failed and why, e.g. `ec2:DescribeNatGateways: UnauthorizedOperation: …`.
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.part, self.reason)
    }
}

/// What a collection did.
#[derive(Debug, Default)]
pub struct Collected {
    /// The folders written, by account and region.
    pub written: Vec<Written>,
    /// `ip-ranges.json`, when downloaded.
    pub ip_ranges: Option<PathBuf>,
    /// The parts not collected.
    pub failures: Vec<Failure>,
}

/// Collects what `request` asks for. `progress` hears of each part as it starts.
pub async fn collect(request: &Request, progress: &(dyn Fn(&str) + Sync)) -> Collected {
    let mut collected = Collected::default();
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let profiles: Vec<Option<&str>> = if request.profiles.is_empty() {
        vec![None]
    } else {
        request.profiles.iter().map(|p| Some(p.as_str())).collect()
    };
    for profile in profiles {
        let part = match profile {
            Some(p) => format!("profile {p}"),
            None => "default credentials".to_string(),
        };
        progress(&format!("reading the account of the {part}"));
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http.clone());
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        if let Some(e) = &request.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let config = loader.load().await;
        match account(&config, request).await {
            Ok((account, regions)) => {
                let account = Account {
                    config: &config,
                    part: &part,
                    id: &account,
                    out: &request.out,
                };
                account.collect(&regions, progress, &mut collected).await;
            }
            Err(reason) => collected.failures.push(Failure { part, reason }),
        }
    }
    if let Some(url) = &request.ip_ranges_url {
        progress(&format!("downloading {url}"));
        match download_ip_ranges(url, &request.out).await {
            Ok(path) => collected.ip_ranges = Some(path),
            Err(reason) => collected.failures.push(Failure {
                part: "ip-ranges.json".to_string(),
                reason,
            }),
        }
    }
    collected
        .written
        .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    collected
}

/// The account id of `config`'s credentials and the regions to read in it.
async fn account(config: &SdkConfig, request: &Request) -> Result<(String, Vec<String>), String> {
    let home = config
        .region()
        .map(|r| r.to_string())
        .or_else(|| request.regions.iter().find(|r| *r != "all").cloned())
        .ok_or_else(|| {
            "no region to start from: name one with --region (besides `all`), or set one in \
             the profile (or AWS_REGION)"
                .to_string()
        })?;
    let sts_config = aws_sdk_sts::config::Builder::from(config)
        .region(Region::new(home.clone()))
        .build();
    let identity = aws_sdk_sts::Client::from_conf(sts_config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| reason("sts:GetCallerIdentity", e))?;
    let id = identity
        .account()
        .ok_or("sts:GetCallerIdentity: no account in the answer")?
        .to_string();
    let mut regions: Vec<String> = Vec::new();
    for r in &request.regions {
        if r == "all" {
            let answer = ec2(config, &home)
                .describe_regions()
                .send()
                .await
                .map_err(|e| reason("ec2:DescribeRegions", e))?;
            regions.extend(
                answer
                    .regions()
                    .iter()
                    .filter_map(|r| r.region_name())
                    .map(String::from),
            );
        } else {
            regions.push(r.clone());
        }
    }
    if regions.is_empty() {
        regions.push(home);
    }
    let mut seen = HashSet::new();
    regions.retain(|r| seen.insert(r.clone()));
    Ok((id, regions))
}

fn ec2(config: &SdkConfig, region: &str) -> aws_sdk_ec2::Client {
    let conf = aws_sdk_ec2::config::Builder::from(config)
        .region(Region::new(region.to_string()))
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

/// An SDK error as `call: Code: message`, or the whole chain of causes when the service did
/// not answer with an error code (a refused connection, a timeout).
fn reason<E, R>(call: &str, e: SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: fmt::Debug,
{
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{call}: {code}: {message}"),
        (Some(code), None) => format!("{call}: {code}"),
        _ => format!("{call}: {}", DisplayErrorContext(&e)),
    }
}

/// One account's part of a collection.
struct Account<'a> {
    config: &'a SdkConfig,
    part: &'a str,
    id: &'a str,
    out: &'a Path,
}

impl Account<'_> {
    async fn collect(
        &self,
        regions: &[String],
        progress: &(dyn Fn(&str) + Sync),
        collected: &mut Collected,
    ) {
        let results: Vec<(String, Result<Written, String>)> = futures::stream::iter(regions)
            .map(|region| async move {
                progress(&format!(
                    "reading account {} ({}), {region}",
                    self.id, self.part
                ));
                (region.clone(), self.region(region).await)
            })
            .buffer_unordered(REGIONS_AT_ONCE)
            .collect()
            .await;
        for (region, result) in results {
            match result {
                Ok(written) => collected.written.push(written),
                Err(reason) => collected.failures.push(Failure {
                    part: format!("account {} ({}), region {region}", self.id, self.part),
                    reason,
                }),
            }
        }
        collected.failures.sort_by(|a, b| a.part.cmp(&b.part));
    }

    async fn region(&self, region: &str) -> Result<Written, String> {
        let files = read_region(&ec2(self.config, region)).await?;
        let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
        for (kind, _, doc) in &files {
            *counts.entry(*kind).or_default() += count(doc);
        }
        // A list can be in both describe-prefix-lists and describe-managed-prefix-lists.
        let lists: HashSet<&str> = files
            .iter()
            .flat_map(|(_, _, doc)| doc.prefix_lists.iter().flatten())
            .filter_map(|l| l.prefix_list_id.as_deref())
            .collect();
        counts.insert(Kind::PrefixLists, lists.len());
        let path = write_folder(&self.out.join(self.id), region, &files)?;
        Ok(Written {
            account: self.id.to_string(),
            region: region.to_string(),
            path,
            counts: counts.into_iter().collect(),
        })
    }
}

/// Every page of a paginated call, `$size` items a page (AWS's largest for the call), each
/// item converted.
macro_rules! every {
    ($call:expr, $size:literal, $name:literal, $convert:path) => {
        async {
            $call
                .into_paginator()
                .page_size($size)
                .items()
                .send()
                .try_collect()
                .await
                .map(|items| items.iter().map($convert).collect::<Vec<_>>())
                .map_err(|e| reason($name, e))
        }
    };
}

/// A document filled in by `fill`.
fn doc(fill: impl FnOnce(&mut Document)) -> Document {
    let mut d = Document::default();
    fill(&mut d);
    d
}

/// A file of one kind, under its usual name.
fn file(kind: Kind, doc: Document) -> (Kind, String, Document) {
    (kind, kind.file_name().to_string(), doc)
}

/// One region's documents: (kind, file name, document).
async fn read_region(
    client: &aws_sdk_ec2::Client,
) -> Result<Vec<(Kind, String, Document)>, String> {
    use convert as c;
    // describe-addresses has no pages: one call answers every address.
    let addresses = async {
        let answer = client
            .describe_addresses()
            .send()
            .await
            .map_err(|e| reason("ec2:DescribeAddresses", e))?;
        Ok::<_, String>(
            answer
                .addresses()
                .iter()
                .map(c::address)
                .collect::<Vec<_>>(),
        )
    };
    let (enis, endpoints, nats, vpcs, subnets, tables, lists, managed, addresses) = futures::try_join!(
        every!(
            client.describe_network_interfaces(),
            1000,
            "ec2:DescribeNetworkInterfaces",
            c::network_interface
        ),
        every!(
            client.describe_vpc_endpoints(),
            1000,
            "ec2:DescribeVpcEndpoints",
            c::vpc_endpoint
        ),
        every!(
            client.describe_nat_gateways(),
            1000,
            "ec2:DescribeNatGateways",
            c::nat_gateway
        ),
        every!(client.describe_vpcs(), 1000, "ec2:DescribeVpcs", c::vpc),
        every!(
            client.describe_subnets(),
            1000,
            "ec2:DescribeSubnets",
            c::subnet
        ),
        every!(
            client.describe_route_tables(),
            100,
            "ec2:DescribeRouteTables",
            c::route_table
        ),
        every!(
            client.describe_prefix_lists(),
            1000,
            "ec2:DescribePrefixLists",
            c::prefix_list
        ),
        every!(
            client.describe_managed_prefix_lists(),
            100,
            "ec2:DescribeManagedPrefixLists",
            c::managed_prefix_list
        ),
        addresses,
    )?;
    let unlisted = without_cidrs(&lists, managed);
    let mut files = vec![
        file(
            Kind::NetworkInterfaces,
            doc(|d| d.network_interfaces = Some(enis)),
        ),
        file(
            Kind::VpcEndpoints,
            doc(|d| d.vpc_endpoints = Some(endpoints)),
        ),
        file(Kind::NatGateways, doc(|d| d.nat_gateways = Some(nats))),
        file(Kind::Vpcs, doc(|d| d.vpcs = Some(vpcs))),
        file(Kind::Subnets, doc(|d| d.subnets = Some(subnets))),
        file(Kind::RouteTables, doc(|d| d.route_tables = Some(tables))),
        file(Kind::PrefixLists, doc(|d| d.prefix_lists = Some(lists))),
        file(Kind::Addresses, doc(|d| d.addresses = Some(addresses))),
    ];
    for id in unlisted.iter().filter_map(|l| l.prefix_list_id.as_deref()) {
        let entries = every!(
            client.get_managed_prefix_list_entries().prefix_list_id(id),
            100,
            "ec2:GetManagedPrefixListEntries",
            c::prefix_list_entry
        )
        .await?;
        let name = format!("get-managed-prefix-list-entries-{id}.json");
        let entries = doc(|d| {
            d.entries = Some(entries);
            d.prefix_list_id = Some(id.to_string());
        });
        files.push((Kind::PrefixListEntries, name, entries));
    }
    if !unlisted.is_empty() {
        let name = "describe-managed-prefix-lists.json".to_string();
        files.push((
            Kind::PrefixLists,
            name,
            doc(|d| d.prefix_lists = Some(unlisted)),
        ));
    }
    Ok(files)
}

/// The managed prefix lists whose CIDRs `describe-prefix-lists` did not give (it lists AWS's
/// service lists with their CIDRs): their entries are read one list at a time.
fn without_cidrs(listed: &[PrefixList], managed: Vec<PrefixList>) -> Vec<PrefixList> {
    let known: HashSet<&str> = listed
        .iter()
        .filter(|l| !l.cidrs.is_empty())
        .filter_map(|l| l.prefix_list_id.as_deref())
        .collect();
    managed
        .into_iter()
        .filter(|l| {
            l.prefix_list_id
                .as_deref()
                .is_some_and(|id| !known.contains(id))
        })
        .collect()
}

/// The resources a document lists.
fn count(doc: &Document) -> usize {
    [
        doc.network_interfaces.as_ref().map(Vec::len),
        doc.vpc_endpoints.as_ref().map(Vec::len),
        doc.nat_gateways.as_ref().map(Vec::len),
        doc.vpcs.as_ref().map(Vec::len),
        doc.subnets.as_ref().map(Vec::len),
        doc.route_tables.as_ref().map(Vec::len),
        doc.entries.as_ref().map(Vec::len),
        doc.addresses.as_ref().map(Vec::len),
    ]
    .into_iter()
    .flatten()
    .sum()
}

fn io(path: &Path, e: std::io::Error) -> String {
    Error::io(path, e).to_string()
}

/// Writes `files` as `parent/region/`, replacing that folder whole once every file is written.
/// The old folder is moved aside first and put back if the new one cannot take its place; one
/// left aside by an interrupted run is put back before anything else.
fn write_folder(
    parent: &Path,
    region: &str,
    files: &[(Kind, String, Document)],
) -> Result<PathBuf, String> {
    let dest = parent.join(region);
    let staging = parent.join(format!(".{region}.partial"));
    let old = parent.join(format!(".{region}.old"));
    if old.exists() {
        if dest.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| io(&old, e))?;
        } else {
            std::fs::rename(&old, &dest).map_err(|e| io(&old, e))?;
        }
    }
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| io(&staging, e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
    for (_, name, doc) in files {
        let path = staging.join(name);
        write_json(&path, doc).map_err(|e| io(&path, e))?;
    }
    let had = dest.exists();
    if had {
        std::fs::rename(&dest, &old).map_err(|e| io(&dest, e))?;
    }
    if let Err(e) = std::fs::rename(&staging, &dest) {
        if had {
            // Put the earlier collection back; the error is the one that matters.
            let _ = std::fs::rename(&old, &dest);
        }
        return Err(io(&dest, e));
    }
    if had {
        std::fs::remove_dir_all(&old).map_err(|e| io(&old, e))?;
    }
    Ok(dest)
}

/// Writes `value` as the AWS CLI prints JSON: four-space indents, absent members left out.
fn write_json(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let mut json = serde_json::to_value(value).map_err(std::io::Error::other)?;
    drop_nulls(&mut json);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    json.serialize(&mut ser).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    out.flush()
}

fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Downloads ip-ranges.json to `out`, checking that it is one before replacing the old one.
async fn download_ip_ranges(url: &str, out: &Path) -> Result<PathBuf, String> {
    let failed = |e: reqwest::Error| format!("GET {url}: {}", Error::with_causes(&e));
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(failed)?;
    let body = client
        .get(url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(failed)?
        .bytes()
        .await
        .map_err(failed)?;
    IpRanges::parse(Path::new(url), &body).map_err(|e| e.to_string())?;
    let path = out.join(Kind::IpRanges.file_name());
    let staging = out.join(".ip-ranges.json.partial");
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    std::fs::write(&staging, &body).map_err(|e| io(&staging, e))?;
    std::fs::rename(&staging, &path).map_err(|e| io(&path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_members_are_left_out_and_lists_kept() {
        let mut v = serde_json::json!({"A": null, "B": [{"C": null, "D": 1}], "E": []});
        drop_nulls(&mut v);
        assert_eq!(v, serde_json::json!({"B": [{"D": 1}], "E": []}));
    }

    fn list(id: &str, cidrs: &[&str]) -> PrefixList {
        PrefixList {
            prefix_list_id: Some(id.to_string()),
            cidrs: cidrs.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn entries_are_read_only_for_lists_without_cidrs() {
        // AWS's S3 list comes with its CIDRs; a customer list and a service list given
        // without them need their entries.
        let listed = [list("pl-s3", &["52.216.0.0/15"]), list("pl-ddb", &[])];
        let managed = vec![
            list("pl-s3", &[]),
            list("pl-ddb", &[]),
            list("pl-mine", &[]),
        ];
        let ids: Vec<_> = without_cidrs(&listed, managed)
            .into_iter()
            .filter_map(|l| l.prefix_list_id)
            .collect();
        assert_eq!(ids, ["pl-ddb", "pl-mine"]);
    }

    #[test]
    fn an_interrupted_swap_is_undone_before_the_next() {
        let dir = tempfile::tempdir().expect("temp dir");
        let parent = dir.path().join("111122223333");
        // A run stopped after moving the earlier folder aside.
        std::fs::create_dir_all(parent.join(".us-east-1.old")).expect("mkdir");
        std::fs::write(parent.join(".us-east-1.old/describe-vpcs.json"), "{}").expect("write");
        // This run fails before writing: the earlier folder is back where the loader reads.
        let failing = vec![(
            Kind::Vpcs,
            "no/such/dir/describe-vpcs.json".to_string(),
            Document::default(),
        )];
        assert!(write_folder(&parent, "us-east-1", &failing).is_err());
        assert!(parent.join("us-east-1/describe-vpcs.json").is_file());
    }

    #[test]
    fn a_folder_is_replaced_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let parent = dir.path().join("111122223333");
        std::fs::create_dir_all(parent.join("us-east-1")).expect("mkdir");
        std::fs::write(parent.join("us-east-1/stale.json"), "{}").expect("write");
        let files = vec![(
            Kind::Vpcs,
            "describe-vpcs.json".to_string(),
            Document {
                vpcs: Some(Vec::new()),
                ..Default::default()
            },
        )];
        let dest = write_folder(&parent, "us-east-1", &files).expect("written");
        let mut names: Vec<String> = std::fs::read_dir(&parent)
            .expect("read")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["us-east-1"]);
        let text = std::fs::read_to_string(dest.join("describe-vpcs.json")).expect("read");
        assert_eq!(text, "{\n    \"Vpcs\": []\n}\n");
        assert!(!dest.join("stale.json").exists());
    }
}
