//! Reading flow logs: discovery, format resolution, parallel decoding, the Parquet dataset.
//!
//! [`open`] turns inputs (local and `s3://`) into a [`Prepared`] run: the objects to read, each with
//! its first layout resolved, and the run's columns (every known field plus the unknown ones
//! met in headers). [`parallel::start`] then streams RecordBatches from it; `sink` writes them
//! as a dataset; the SQL layer reads them as the `flows` table.

pub mod decode;
pub mod discover;
pub mod fields;
pub mod format;
pub mod ledger;
pub mod parallel;
#[cfg(feature = "cli")]
pub mod remote;
pub mod sink;
pub mod source;

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::Result;
use decode::Origin;
use discover::{Discovery, Found, Window};
use format::{Columns, Layout};
use parallel::{Fetcher, Input};

/// A run ready to parse.
#[derive(Debug)]
pub struct Prepared {
    /// Objects to parse, in order, with their first layouts.
    pub inputs: Vec<Input>,
    /// What discovery found (including skipped objects).
    pub discovery: Discovery,
    /// The run's columns.
    pub columns: Columns,
    /// Warnings met while preparing (unknown fields), as `path: message`.
    pub warnings: Vec<String>,
}

impl Prepared {
    /// What the run reads: its objects, and their bytes as found (standard input counts none),
    /// the totals of a [`parallel::Progress`].
    pub fn size(&self) -> (u64, u64) {
        let bytes = self.discovery.found.iter().map(|f| f.size).sum();
        (self.inputs.len() as u64, bytes)
    }
}

/// How to read the inputs.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// The layout of header-less input (`--format`); the v2 default when absent.
    pub format: Option<Layout>,
    /// Objects outside this window (by their path) are skipped.
    pub window: Window,
    /// Longest accepted line.
    pub max_line: Option<usize>,
    /// Accounts and regions to read.
    pub scope: discover::Scope,
    /// How to reach S3 for `s3://` inputs.
    #[cfg(feature = "cli")]
    pub connection: remote::Connection,
}

/// What a run's inputs hold, found before any object is opened: the local objects and the
/// `s3://` ones, in the order of the inputs.
#[derive(Debug, Default)]
pub struct Listing {
    /// What discovery found (including skipped objects).
    pub discovery: Discovery,
    /// What brings the `s3://` objects to local files during the run, if there are any.
    pub fetcher: Option<Arc<dyn Fetcher>>,
}

/// Opens the inputs as one run: [`find`], then [`prepare`]. The entry for every reader of
/// flow logs: the command line, the benchmarks and the tests.
pub fn open(inputs: &[PathBuf], opts: &ReadOptions) -> Result<Prepared> {
    prepare(find(inputs, opts)?, opts)
}

/// Finds the objects of `inputs` (files, folders, S3-layout trees, `s3://` URLs, `-`) that
/// the window and the scope admit, in the order of the inputs.
pub fn find(inputs: &[PathBuf], opts: &ReadOptions) -> Result<Listing> {
    let (remote, fetcher) = list_remote(inputs, opts)?;
    let mut remote = remote.into_iter();
    let mut discovery = Discovery::default();
    for input in inputs {
        let found = if discover::is_remote(input) {
            remote.next().unwrap_or_default()
        } else {
            discover::discover(std::slice::from_ref(input), &opts.window, &opts.scope)?
        };
        discovery.append(found);
    }
    discovery.drop_repeats();
    Ok(Listing { discovery, fetcher })
}

/// One discovery per `s3://` input, and what fetches their objects.
type Remote = (Vec<Discovery>, Option<Arc<dyn Fetcher>>);

/// Lists the `s3://` inputs: one discovery per URL, and their fetcher.
#[cfg(feature = "cli")]
fn list_remote(inputs: &[PathBuf], opts: &ReadOptions) -> Result<Remote> {
    let urls: Vec<&str> = inputs
        .iter()
        .filter(|i| discover::is_remote(i))
        .filter_map(|i| i.to_str())
        .collect();
    if urls.is_empty() {
        return Ok((Vec::new(), None));
    }
    let listed = remote::discover(&urls, opts, &opts.connection)?;
    let fetcher: Arc<dyn Fetcher> = listed.fetcher;
    Ok((listed.discoveries, Some(fetcher)))
}

/// Without the object-store client, an `s3://` input is refused.
#[cfg(not(feature = "cli"))]
fn list_remote(inputs: &[PathBuf], _: &ReadOptions) -> Result<Remote> {
    match inputs.iter().find(|i| discover::is_remote(i)) {
        Some(url) => Err(crate::error::Error::Usage(format!(
            "{}: this build reads no s3:// input (it has no `cli` feature)",
            url.display()
        ))),
        None => Ok((Vec::new(), None)),
    }
}

/// Resolves the first layout of every object found, and the run's columns (an incremental
/// ingest drops the objects it already has from the listing first).
pub fn prepare(listing: Listing, opts: &ReadOptions) -> Result<Prepared> {
    let Listing { discovery, fetcher } = listing;
    let fallback = opts.format.clone().unwrap_or_else(Layout::default_v2);
    let max_line = opts.max_line.unwrap_or(1 << 20);
    // An object whose layout cannot be read keeps the fallback; its error is reported when it
    // is parsed, once.
    let resolved: Vec<Layout> = discovery
        .found
        .par_iter()
        .map(|f| {
            if let Some(layout) = &f.layout {
                return layout.clone();
            }
            if f.stream {
                return source::stream_layout(&f.path, &fallback, max_line);
            }
            source::first_layout(&f.path, &fallback, max_line).unwrap_or_else(|_| fallback.clone())
        })
        .collect();
    let mut columns = Columns::default();
    let mut warnings = Vec::new();
    let mut inputs = Vec::with_capacity(resolved.len());
    for (f, layout) in discovery.found.iter().zip(resolved) {
        let new = columns.add_layout(&layout);
        if !new.is_empty() {
            warnings.push(format!(
                "{}: unknown field(s) kept as text columns: {}",
                f.path.display(),
                new.join(", ")
            ));
        }
        let mut input = input_for(f, layout);
        if discover::is_remote(&f.path) {
            // Whether an object changed is its ETag's business (see `remote`), not a local
            // stamp's.
            input.stamp = None;
            input.fetcher = fetcher.clone();
        }
        inputs.push(input);
    }
    Ok(Prepared {
        inputs,
        discovery,
        columns,
        warnings,
    })
}

fn input_for(f: &Found, layout: Layout) -> Input {
    let name = if f.path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        f.path.display().to_string()
    };
    Input {
        path: f.path.clone(),
        origin: Origin {
            name: Arc::from(name),
        },
        layout: Arc::new(layout),
        // A stream has no size, and a pipe's time changes as it is written.
        stamp: (!f.stream).then_some((f.size, f.modified)),
        fetcher: None,
    }
}
