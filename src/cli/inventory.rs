//! `vpcflow inventory collect`: the inventory folder written from AWS's EC2 API.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::common::{Outcome, runtime};
use crate::error::Result;
use crate::ingest::parallel::RunOptions;
use crate::inventory::Kind;
use crate::inventory::collect::{self, IP_RANGES_URL, Request};

/// Arguments of `vpcflow inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(subcommand)]
    command: InventoryCommand,
}

#[derive(Debug, Subcommand)]
enum InventoryCommand {
    /// Reads the VPCs, subnets, route tables, network interfaces, VPC endpoints, NAT gateways
    /// and prefix lists of each profile (account) and region from AWS, with the same calls as
    /// `aws ec2 describe-*`, and downloads AWS's ip-ranges.json: the folder that --inventory
    /// reads (OUT/ACCOUNT/REGION/describe-*.json and OUT/ip-ranges.json).
    #[command(
        after_help = "Credentials come from the AWS configuration as for the AWS CLI (profiles, \
        environment, SSO, instance roles). The calls need ec2:DescribeNetworkInterfaces, \
        ec2:DescribeVpcEndpoints, ec2:DescribeNatGateways, ec2:DescribeVpcs, \
        ec2:DescribeSubnets, ec2:DescribeRouteTables, ec2:DescribePrefixLists, \
        ec2:DescribeManagedPrefixLists, ec2:GetManagedPrefixListEntries (and ec2:DescribeRegions \
        for --region all).\n\nEach ACCOUNT/REGION folder is replaced whole once all its calls \
        succeeded; a part that fails keeps what an earlier collection wrote.\n\nExit codes: 0 \
        everything collected; 2 a part could not be collected (each is named) or bad arguments."
    )]
    Collect(CollectArgs),
}

/// Arguments of `vpcflow inventory collect`.
#[derive(Debug, Args)]
struct CollectArgs {
    /// The inventory folder to write (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// A profile of the AWS configuration (one per account; repeat for several). Default: the
    /// default credentials.
    #[arg(long = "profile", value_name = "NAME")]
    profiles: Vec<String>,
    /// A region to read (repeat for several), or `all` for every region enabled in the account.
    /// Default: the profile's region.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// An endpoint for the EC2 and STS calls instead of AWS's (an EC2-compatible server).
    /// Without it, the AWS configuration's `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL` and
    /// profile settings apply, as for the AWS CLI.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Where to download ip-ranges.json from.
    #[arg(long, value_name = "URL", default_value = IP_RANGES_URL)]
    ip_ranges_url: String,
    /// Do not download ip-ranges.json.
    #[arg(long, conflicts_with = "ip_ranges_url")]
    no_ip_ranges: bool,
}

/// Runs `vpcflow inventory …`.
pub fn run(args: InventoryArgs, opts: RunOptions) -> Result<Outcome> {
    let InventoryCommand::Collect(args) = args.command;
    let request = Request {
        profiles: args.profiles,
        regions: args.regions,
        endpoint_url: args.endpoint_url,
        ip_ranges_url: (!args.no_ip_ranges).then_some(args.ip_ranges_url),
        out: args.out,
    };
    let progress = |what: &str| eprintln!("{what}…");
    let collected = runtime(opts)?.block_on(collect::collect(&request, &progress));
    for w in &collected.written {
        let counts: Vec<String> = w
            .counts
            .iter()
            .filter(|(kind, _)| *kind != Kind::PrefixListEntries)
            .map(|(kind, n)| counted(*kind, *n))
            .collect();
        println!("{}: {}", w.path.display(), counts.join(", "));
    }
    if let Some(path) = &collected.ip_ranges {
        println!("{}", path.display());
    }
    if collected.failures.is_empty() {
        return Ok(Outcome::Success);
    }
    for failure in &collected.failures {
        eprintln!("error: not collected: {failure}");
    }
    eprintln!(
        "error: {} part(s) not collected (named above); their folders keep what an earlier \
         collection wrote, if anything",
        collected.failures.len()
    );
    Ok(Outcome::Failed)
}

/// `n` resources of `kind`, e.g. `1 NAT gateway`, `3 subnets`.
fn counted(kind: Kind, n: usize) -> String {
    let (one, many) = match kind {
        Kind::NetworkInterfaces => ("network interface", "network interfaces"),
        Kind::VpcEndpoints => ("VPC endpoint", "VPC endpoints"),
        Kind::NatGateways => ("NAT gateway", "NAT gateways"),
        Kind::Vpcs => ("VPC", "VPCs"),
        Kind::Subnets => ("subnet", "subnets"),
        Kind::RouteTables => ("route table", "route tables"),
        Kind::PrefixLists => ("prefix list", "prefix lists"),
        Kind::PrefixListEntries => ("prefix list entry", "prefix list entries"),
        Kind::Addresses => ("elastic IP", "elastic IPs"),
        Kind::IpRanges => ("ip-ranges.json", "ip-ranges.json"),
    };
    format!("{n} {}", if n == 1 { one } else { many })
}
