//! Rendering query results: table, CSV, JSON and NDJSON, always to a writer.
//!
//! Renderers only format; they never print progress or errors (those go to stderr elsewhere),
//! so stdout carries nothing but data.

use std::io::Write;

use arrow::array::RecordBatch;

use crate::error::{Error, Result};

/// Output formats for result sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table.
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One JSON object per line.
    Ndjson,
}

/// Remembers the kind of the last I/O error, which Arrow's writers turn into text: a closed
/// pipe (`| head`) must stay recognisable as one.
struct Tracked<'a> {
    inner: &'a mut dyn Write,
    failed: Option<std::io::ErrorKind>,
}

impl Write for Tracked<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner
            .write(buf)
            .inspect_err(|e| self.failed = Some(e.kind()))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner
            .flush()
            .inspect_err(|e| self.failed = Some(e.kind()))
    }
}

/// Writes `batches` to `out` in the given format.
pub fn render(out: &mut dyn Write, batches: &[RecordBatch], format: Format) -> Result<()> {
    let mut tracked = Tracked {
        inner: out,
        failed: None,
    };
    let result = render_to(&mut tracked, batches, format);
    match (result, tracked.failed) {
        (Err(_), Some(kind)) => Err(Error::io("<stdout>", kind.into())),
        (r, _) => r,
    }
}

fn render_to(out: &mut dyn Write, batches: &[RecordBatch], format: Format) -> Result<()> {
    let io = |e: std::io::Error| Error::io("<stdout>", e);
    match format {
        Format::Table => {
            let table = arrow::util::pretty::pretty_format_batches(batches)?;
            writeln!(out, "{table}").map_err(io)?;
        }
        Format::Csv => {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut *out);
            if batches.is_empty() {
                return Ok(());
            }
            for b in batches {
                w.write(b)?;
            }
        }
        Format::Json => {
            let mut w = arrow::json::ArrayWriter::new(&mut *out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            drop(w);
            if batches.iter().all(|b| b.num_rows() == 0) {
                write!(out, "[]").map_err(io)?;
            }
            writeln!(out).map_err(io)?;
        }
        Format::Ndjson => {
            let mut w = arrow::json::LineDelimitedWriter::new(&mut *out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
        }
    }
    Ok(())
}
