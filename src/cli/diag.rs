//! Where bad lines, warnings and file errors go: stderr (the first few) and `--bad-lines`.
//!
//! Messages name the place first: `path:line: reason: field=value`. Every bad line goes to the
//! `--bad-lines` file as one JSON object, with the raw text, so nothing is lost; stderr shows
//! the first [`SHOWN`] and a count of the rest.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::ingest::decode::{BadLine, Note};
use crate::ingest::parallel::{Diagnostics, Input};

/// Bad lines printed on stderr before the rest are only counted.
pub const SHOWN: u64 = 10;

struct State {
    bad_seen: u64,
    errors: Vec<String>,
    quiet: bool,
    file: Option<(BufWriter<File>, std::path::PathBuf)>,
    write_error: Option<Error>,
}

/// A shared handle on the run's diagnostics.
#[derive(Clone)]
pub struct Reporter(Arc<Mutex<State>>);

impl Reporter {
    /// A reporter writing every bad line to `bad_lines`, if given.
    pub fn new(bad_lines: Option<&Path>, quiet: bool) -> Result<Reporter> {
        let file = match bad_lines {
            Some(p) => Some((
                BufWriter::new(File::create(p).map_err(|e| Error::io(p, e))?),
                p.to_path_buf(),
            )),
            None => None,
        };
        Ok(Reporter(Arc::new(Mutex::new(State {
            bad_seen: 0,
            errors: Vec::new(),
            quiet,
            file,
            write_error: None,
        }))))
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Prints a warning (unless quiet).
    pub fn warn(&self, message: &str) {
        self.with(|s| {
            if !s.quiet {
                super::progress::suspend(|| eprintln!("warning: {message}"));
            }
        });
    }

    /// Prints an error and counts it.
    pub fn error(&self, message: &str) {
        self.with(|s| {
            s.errors.push(message.to_string());
            super::progress::suspend(|| eprintln!("error: {message}"));
        });
    }

    /// Errors reported so far (file-level errors, unreadable directory entries).
    pub fn errors(&self) -> u64 {
        self.with(|s| s.errors.len() as u64)
    }

    /// The errors reported so far, in order.
    pub fn error_messages(&self) -> Vec<String> {
        self.with(|s| s.errors.clone())
    }

    /// Flushes the bad-lines file and prints how many bad lines were not shown.
    pub fn finish(&self) -> Result<()> {
        self.with(|s| {
            if !s.quiet && s.bad_seen > SHOWN {
                let more = s.bad_seen - SHOWN;
                let hint = match &s.file {
                    Some((_, p)) => format!("all are in {}", p.display()),
                    None => "use --bad-lines FILE to keep them all".to_string(),
                };
                super::progress::suspend(|| eprintln!("... {more} more bad lines ({hint})"));
            }
            if let Some(e) = s.write_error.take() {
                return Err(e);
            }
            if let Some((f, p)) = &mut s.file {
                f.flush().map_err(|e| Error::io(p.as_path(), e))?;
            }
            Ok(())
        })
    }
}

#[derive(serde::Serialize)]
struct BadRecord<'a> {
    file: &'a str,
    line: u64,
    reason: &'static str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    /// Lines that are not UTF-8 are kept byte for byte, in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    text_hex: Option<String>,
}

impl Diagnostics for Reporter {
    fn bad_line(&mut self, input: &Input, bad: &BadLine) {
        let name = input.origin.name.as_ref();
        self.with(|s| {
            s.bad_seen += 1;
            if !s.quiet && s.bad_seen <= SHOWN {
                let detail = if bad.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", bad.detail)
                };
                super::progress::suspend(|| {
                    eprintln!("{name}:{}: {}{detail}", bad.line, bad.reason.key())
                });
            }
            if let Some((f, p)) = &mut s.file {
                let text = std::str::from_utf8(&bad.text).ok();
                let rec = BadRecord {
                    file: name,
                    line: bad.line,
                    reason: bad.reason.key(),
                    detail: &bad.detail,
                    text,
                    text_hex: text
                        .is_none()
                        .then(|| bad.text.iter().map(|b| format!("{b:02x}")).collect()),
                };
                let res = serde_json::to_writer(&mut *f, &rec)
                    .map_err(std::io::Error::other)
                    .and_then(|()| f.write_all(b"\n"));
                if let Err(e) = res
                    && s.write_error.is_none()
                {
                    s.write_error = Some(Error::io(p.as_path(), e));
                }
            }
        });
    }

    fn note(&mut self, input: &Input, note: &Note) {
        let name = input.origin.name.as_ref();
        if note.line == 0 {
            self.warn(&format!("{name}: {}", note.message));
        } else {
            self.warn(&format!("{name}:{}: {}", note.line, note.message));
        }
    }

    fn file_error(&mut self, input: &Input, message: &str) {
        self.error(&format!("{}: {message}", input.origin.name));
    }
}
