//! Rendering query results: table, CSV, JSON and NDJSON, always to a writer.
//!
//! Renderers only format; they never print progress or errors (those go to stderr elsewhere),
//! so stdout carries nothing but data. CSV, JSON and NDJSON are written batch by batch as
//! results arrive ([`Renderer`]), so output of any size needs no memory; the table needs every
//! row for its column widths and is built at the end.

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

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
struct Tracked<W: Write> {
    inner: W,
    failed: Rc<Cell<Option<std::io::ErrorKind>>>,
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner
            .write(buf)
            .inspect_err(|e| self.failed.set(Some(e.kind())))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner
            .flush()
            .inspect_err(|e| self.failed.set(Some(e.kind())))
    }
}

enum Sink<W: Write> {
    Table(Tracked<W>, Vec<RecordBatch>),
    Csv(Box<arrow::csv::Writer<Tracked<W>>>),
    Json(arrow::json::ArrayWriter<Tracked<W>>),
    Ndjson(arrow::json::LineDelimitedWriter<Tracked<W>>),
}

/// Writes result batches as they come.
pub struct Renderer<W: Write> {
    sink: Sink<W>,
    schema: SchemaRef,
    wrote: bool,
    failed: Rc<Cell<Option<std::io::ErrorKind>>>,
}

impl<W: Write> Renderer<W> {
    /// A renderer of `format` writing to `out` results of `schema` (an empty result still
    /// shows its columns).
    pub fn new(out: W, format: Format, schema: SchemaRef) -> Renderer<W> {
        let failed = Rc::new(Cell::new(None));
        let out = Tracked {
            inner: out,
            failed: failed.clone(),
        };
        let sink = match format {
            Format::Table => Sink::Table(out, Vec::new()),
            Format::Csv => Sink::Csv(Box::new(
                arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(out),
            )),
            Format::Json => Sink::Json(arrow::json::ArrayWriter::new(out)),
            Format::Ndjson => Sink::Ndjson(arrow::json::LineDelimitedWriter::new(out)),
        };
        Renderer {
            sink,
            schema,
            wrote: false,
            failed,
        }
    }

    /// An error, with a closed pipe kept recognisable.
    fn wrap(&self, e: impl Into<Error>) -> Error {
        match self.failed.get() {
            Some(kind) => Error::io("<stdout>", kind.into()),
            None => e.into(),
        }
    }

    /// Writes one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.wrote = true;
        let result = match &mut self.sink {
            Sink::Table(_, all) => {
                all.push(batch.clone());
                Ok(())
            }
            Sink::Csv(w) => w.write(batch),
            Sink::Json(w) => w.write(batch),
            Sink::Ndjson(w) => w.write(batch),
        };
        result.map_err(|e| self.wrap(e))
    }

    /// Ends the output.
    pub fn finish(mut self) -> Result<()> {
        if !self.wrote && matches!(self.sink, Sink::Csv(_)) {
            // The CSV header comes with the first batch: give it an empty one.
            self.write(&RecordBatch::new_empty(self.schema.clone()))?;
        }
        let failed = self.failed.clone();
        let wrap = |e: Error| match failed.get() {
            Some(kind) => Error::io("<stdout>", kind.into()),
            None => e,
        };
        let io = |e: std::io::Error| Error::io("<stdout>", e);
        match self.sink {
            Sink::Table(mut out, all) => {
                let table =
                    arrow::util::pretty::pretty_format_batches_with_schema(self.schema, &all)
                        .map_err(Error::from)?;
                writeln!(out, "{table}").map_err(io)?;
                out.flush().map_err(io)
            }
            Sink::Csv(w) => w.into_inner().flush().map_err(io),
            Sink::Json(mut w) => {
                w.finish().map_err(|e| wrap(e.into()))?;
                let mut out = w.into_inner();
                writeln!(out).map_err(io)?;
                out.flush().map_err(io)
            }
            Sink::Ndjson(mut w) => {
                w.finish().map_err(|e| wrap(e.into()))?;
                w.into_inner().flush().map_err(io)
            }
        }
    }
}

/// Writes a whole result set to `out` in the given format.
pub fn render(
    out: &mut dyn Write,
    schema: SchemaRef,
    batches: &[RecordBatch],
    format: Format,
) -> Result<()> {
    let mut r = Renderer::new(out, format, schema);
    for b in batches {
        r.write(b)?;
    }
    r.finish()
}
