//! `vpcflow generate`: writes the seeded sample estate (logs, Parquet, inventory).

use std::path::PathBuf;

use clap::Args;

use super::Outcome;
use crate::error::Result;
use crate::generate::{EstateOptions, generate_estate};

/// Arguments of `vpcflow generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to write the estate into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the generator: the same seed writes the same bytes.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Hours of traffic to write.
    #[arg(long)]
    pub hours: Option<u32>,
    /// Flows per hour.
    #[arg(long)]
    pub flows_per_hour: Option<u32>,
}

/// Writes the estate and prints its summary as JSON.
pub fn run(args: GenerateArgs) -> Result<Outcome> {
    let mut opts = EstateOptions::default();
    if let Some(s) = args.seed {
        opts.seed = s;
    }
    if let Some(h) = args.hours {
        opts.hours = h;
    }
    if let Some(f) = args.flows_per_hour {
        opts.flows_per_hour = f;
    }
    let summary = generate_estate(&opts, &args.out)?;
    super::print_json(&summary)?;
    Ok(Outcome::Success)
}
