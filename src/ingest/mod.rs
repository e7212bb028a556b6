//! Reading flow logs: discovery, format resolution, parallel decoding, the Parquet dataset.
//!
//! [`prepare`] turns command-line inputs into a [`Prepared`] run: the objects to read, each with
//! its first layout resolved, and the run's columns (every known field plus the unknown ones
//! met in headers). [`parallel::start`] then streams RecordBatches from it; `sink` writes them
//! as a dataset; the SQL layer reads them as the `flows` table.

pub mod decode;
pub mod discover;
pub mod fields;
pub mod format;
pub mod parallel;
pub mod sink;
pub mod source;

use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::Result;
use decode::Origin;
use discover::{Discovery, Found, Window};
use format::{Columns, Layout};
use parallel::Input;

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
}

/// Discovers the inputs and resolves each object's first layout.
pub fn prepare(paths: &[PathBuf], opts: &ReadOptions) -> Result<Prepared> {
    let discovery = discover::discover(paths, &opts.window, &opts.scope)?;
    prepare_found(discovery, opts)
}

/// Resolves layouts for already discovered objects (used by incremental ingest after it has
/// dropped the objects it already has).
pub fn prepare_found(discovery: Discovery, opts: &ReadOptions) -> Result<Prepared> {
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
            if f.path.as_os_str() == "-" {
                return source::stdin_layout(&fallback, max_line);
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
        inputs.push(input_for(f, layout));
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
        stamp: (f.path.as_os_str() != "-").then_some((f.size, f.modified)),
        fetcher: None,
    }
}
