//! `vpcflow generate`: writes the seeded sample estate (logs, Parquet, inventory).

use std::path::PathBuf;

use clap::Args;

use super::common::Outcome;
use crate::error::Error;
use crate::error::Result;
use crate::generate::{
    DEFAULT_FIELDS, EstateOptions, MAX_INTERNET_PEERS, V5_CUSTOM_FIELDS, generate_estate,
    synthetic_text,
};
use crate::ingest::format::Layout;

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
    /// Internet peers of each kind (web servers, scanners, HTTPS clients) drawn from wide
    /// public networks, instead of the few dozen of the sample: traffic with many distinct ENI
    /// and address pairs, for benchmarks.
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=MAX_INTERNET_PEERS as i64))]
    pub internet_peers: Option<u32>,
    /// When the traffic starts (RFC 3339 or a date; rounded down to the hour).
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Instead of an estate, write N random valid records as one plain text file at --out
    /// (with a header line): input for benchmarks and load tests.
    #[arg(long, value_name = "N")]
    pub synthetic: Option<usize>,
    /// Field order of --synthetic records: `v2` (the default format), `v5` (a custom v5 order),
    /// or AWS's `${...}` format string.
    #[arg(long, default_value = "v2", requires = "synthetic")]
    pub layout: String,
    /// Write the estate into a folder that is not empty (its files of the same names are
    /// replaced, the others stay).
    #[arg(long, conflicts_with = "synthetic")]
    pub force: bool,
}

/// Writes the estate (or synthetic records) and prints a summary as JSON.
pub fn run(args: GenerateArgs) -> Result<Outcome> {
    if let Some(records) = args.synthetic {
        return synthetic(&args, records);
    }
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
    opts.internet_peers = args.internet_peers.map(|n| n as usize);
    if let Some(t) = &args.start {
        opts.start = crate::ingest::discover::parse_time(t)?;
    }
    let occupied = std::fs::read_dir(&args.out).is_ok_and(|mut entries| entries.next().is_some());
    if occupied && !args.force {
        return Err(Error::Usage(format!(
            "--out {}: the folder is not empty, and a second estate would mix with what is \
             there; give a new or empty folder, or --force to write over it",
            args.out.display()
        )));
    }
    let summary = generate_estate(&opts, &args.out)?;
    super::common::print_json(&summary)?;
    Ok(Outcome::Success)
}

/// Writes `records` synthetic records in blocks, so memory stays small for any size.
fn synthetic(args: &GenerateArgs, records: usize) -> Result<Outcome> {
    let owned: Vec<String>;
    let fields: &[&str] = match args.layout.as_str() {
        "v2" => DEFAULT_FIELDS,
        "v5" => V5_CUSTOM_FIELDS,
        spec => {
            let layout =
                Layout::parse_format(spec).map_err(|e| Error::Usage(format!("--layout: {e}")))?;
            owned = layout.header().split(' ').map(str::to_string).collect();
            return write_synthetic(
                args,
                records,
                &owned.iter().map(String::as_str).collect::<Vec<_>>(),
            );
        }
    };
    write_synthetic(args, records, fields)
}

fn write_synthetic(args: &GenerateArgs, records: usize, fields: &[&str]) -> Result<Outcome> {
    use std::io::Write;
    let file = std::fs::File::create(&args.out).map_err(|e| Error::io(&args.out, e))?;
    let mut out = std::io::BufWriter::new(file);
    let block = 100_000;
    let mut written = 0usize;
    let mut bytes = 0usize;
    while written < records {
        let n = block.min(records - written);
        let seed = args.seed.unwrap_or(7).wrapping_add(written as u64);
        let text = synthetic_text(seed, n, fields, written == 0);
        out.write_all(&text).map_err(|e| Error::io(&args.out, e))?;
        written += n;
        bytes += text.len();
    }
    out.flush().map_err(|e| Error::io(&args.out, e))?;
    super::common::print_json(
        &serde_json::json!({ "records": written, "bytes": bytes, "fields": fields.len() }),
    )?;
    Ok(Outcome::Success)
}
