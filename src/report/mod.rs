//! Rendering query results: table, Markdown, CSV, JSON and NDJSON, always to a writer.
//!
//! Renderers only format; they never print progress or errors (those go to stderr elsewhere),
//! so stdout carries nothing but data. CSV, JSON and NDJSON are written batch by batch as
//! results arrive ([`Renderer`]), so output of any size needs no memory; the tables need every
//! row for their column widths and are built at the end. [`render_reports`] writes several
//! named results as one document.

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
    /// A Markdown (GitHub) table; numbers right-aligned.
    Markdown,
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
    Markdown(Tracked<W>, Vec<RecordBatch>),
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
            Format::Markdown => Sink::Markdown(out, Vec::new()),
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
            Sink::Table(_, all) | Sink::Markdown(_, all) => {
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
            Sink::Markdown(mut out, all) => {
                let text = markdown(&self.schema, &all)?;
                out.write_all(text.as_bytes()).map_err(io)?;
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

/// A Markdown table of `batches`: `|` in values escaped, numeric columns right-aligned, nulls
/// empty.
fn markdown(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let options = FormatOptions::default();
    let escape = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut text = String::new();
    let names: Vec<String> = schema.fields().iter().map(|f| escape(f.name())).collect();
    text.push_str(&format!("| {} |\n", names.join(" | ")));
    let rules: Vec<&str> = schema
        .fields()
        .iter()
        .map(|f| {
            if f.data_type().is_numeric() {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    text.push_str(&format!("|{}|\n", rules.join("|")));
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = formatters
                .iter()
                .map(|f| escape(&f.value(row).to_string()))
                .collect();
            text.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    Ok(text)
}

/// One named result of [`render_reports`].
pub struct Named<'a> {
    /// The report's name.
    pub name: &'a str,
    /// What it answers, in one line.
    pub description: &'a str,
    /// Its schema.
    pub schema: SchemaRef,
    /// Its rows.
    pub batches: &'a [RecordBatch],
}

/// Writes several results as one document: a titled section each for the table, Markdown and
/// CSV formats (CSV sections start with a `# name` line); one JSON object from report name to
/// its rows; NDJSON rows with a leading `report` member.
pub fn render_reports(out: &mut dyn Write, results: &[Named<'_>], format: Format) -> Result<()> {
    let io = |e: std::io::Error| Error::io("<stdout>", e);
    match format {
        Format::Json => {
            write!(out, "{{").map_err(io)?;
            for (i, r) in results.iter().enumerate() {
                let name = serde_json::to_string(r.name).map_err(|e| Error::Data(e.to_string()))?;
                write!(out, "{}\n{name}: ", if i == 0 { "" } else { "," }).map_err(io)?;
                let mut rows = Vec::new();
                render(&mut rows, r.schema.clone(), r.batches, Format::Json)?;
                out.write_all(rows.trim_ascii_end()).map_err(io)?;
            }
            writeln!(out, "\n}}").map_err(io)?;
        }
        Format::Ndjson => {
            for r in results {
                let mut fields = vec![arrow::datatypes::Field::new(
                    "report",
                    arrow::datatypes::DataType::Utf8,
                    false,
                )];
                fields.extend(r.schema.fields().iter().map(|f| f.as_ref().clone()));
                let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(fields));
                let mut tagged = Vec::with_capacity(r.batches.len());
                for b in r.batches {
                    let mut columns: Vec<arrow::array::ArrayRef> = vec![std::sync::Arc::new(
                        arrow::array::StringArray::from(vec![r.name; b.num_rows()]),
                    )];
                    columns.extend(b.columns().iter().cloned());
                    tagged.push(RecordBatch::try_new(schema.clone(), columns)?);
                }
                render(out, schema, &tagged, Format::Ndjson)?;
            }
        }
        Format::Table | Format::Markdown | Format::Csv => {
            for (i, r) in results.iter().enumerate() {
                if i > 0 {
                    writeln!(out).map_err(io)?;
                }
                match format {
                    Format::Markdown => {
                        writeln!(out, "## {}\n\n{}\n", r.name, r.description).map_err(io)?
                    }
                    Format::Csv if results.len() > 1 => {
                        writeln!(out, "# {}", r.name).map_err(io)?
                    }
                    Format::Csv => {}
                    _ => writeln!(out, "{}: {}", r.name, r.description).map_err(io)?,
                }
                render(out, r.schema.clone(), r.batches, format)?;
            }
        }
    }
    out.flush().map_err(io)
}
