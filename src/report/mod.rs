//! Rendering query results: table, Markdown, CSV, TSV, JSON, NDJSON, Parquet and Arrow IPC,
//! always to a writer.
//!
//! Renderers only format; they never print progress or errors (those go to stderr elsewhere),
//! so stdout carries nothing but data. Every format but Markdown is written batch by batch as
//! results arrive ([`Renderer`]), so output of any size needs little memory: the text table
//! keeps only the rows it will show (see [`TableLimits`]) and counts the rest. Text tables
//! right-align numbers and, when asked ([`TableLimits::human`]), write byte counts in binary
//! units ([`human_bytes`]); the other formats keep every value as it is.
//! [`render_reports`] writes several named results as one document.

use std::io::Write;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::{Error, Result};

/// Output formats for result sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table; numbers right-aligned.
    Table,
    /// A Markdown (GitHub) table; numbers right-aligned.
    Markdown,
    /// CSV with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// One JSON array of row objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Parquet file (zstd); binary, so to a file or a pipe.
    Parquet,
    /// An Arrow IPC file; binary, so to a file or a pipe.
    Arrow,
}

impl Format {
    /// Whether the format is binary (never written to a terminal, one result per output).
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Parquet | Format::Arrow)
    }
}

/// What the text table shows: at most `max_rows` rows (the rest are counted, and the count is
/// printed below the table), no wider than `width` characters (the widest columns are cut,
/// their values ending in `…`). `None` is no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableLimits {
    /// Rows shown.
    pub max_rows: Option<usize>,
    /// Characters per line.
    pub width: Option<usize>,
    /// The table is shown in `vpcflow shell`: what it left out is shown by the shell's
    /// meta-commands, not by command-line options.
    pub in_shell: bool,
    /// Byte counts (integer columns named `bytes` or `..._bytes`) are written in binary units,
    /// `1.50 GiB`, in tables and Markdown.
    pub human: bool,
    /// Whether rows are drawn one block per record rather than as a table.
    pub expanded: Expanded,
}

/// Expanded display: each row drawn as a `-[ RECORD n ]` line followed by a `column | value`
/// line per column, for rows too wide to read as a table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Expanded {
    /// Rows as a table.
    #[default]
    Off,
    /// Rows as records.
    On,
    /// Rows as records when the table would be wider than its width limit.
    Auto,
}

/// The kind of the first I/O error of an output.
type Failure = Arc<Mutex<Option<std::io::ErrorKind>>>;

/// Remembers the kind of the first I/O error, which Arrow's writers turn into text: a closed
/// pipe (`| head`) must stay recognisable as one.
struct Tracked<W: Write> {
    inner: W,
    failed: Failure,
}

impl<W: Write> Tracked<W> {
    fn note(&self, e: &std::io::Error) {
        if let Ok(mut f) = self.failed.lock() {
            f.get_or_insert(e.kind());
        }
    }
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.note(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| self.note(e))
    }
}

/// The rows a text table will show, as text, and how many there were in all.
struct TableRows {
    limits: TableLimits,
    rows: Vec<Vec<String>>,
    total: u64,
}

enum Sink<W: Write + Send> {
    Table(Tracked<W>, TableRows),
    /// The batches, and whether byte counts are written in binary units.
    Markdown(Tracked<W>, Vec<RecordBatch>, bool),
    Csv(Box<arrow::csv::Writer<Tracked<W>>>),
    Json(arrow::json::ArrayWriter<Tracked<W>>),
    Ndjson(arrow::json::LineDelimitedWriter<Tracked<W>>),
    Parquet(Box<parquet::arrow::ArrowWriter<Tracked<W>>>),
    Arrow(Box<arrow::ipc::writer::FileWriter<Tracked<W>>>),
}

/// `schema` with every text column (Utf8 or Utf8View) of the type `text`, the rest as it is.
pub fn text_as(schema: &Schema, text: &DataType) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 | DataType::Utf8View => f.as_ref().clone().with_data_type(text.clone()),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `batch` with its string views as plain text, so that a result's file has the same types
/// whether the records came from raw logs or a dataset (whose text is read as views), and
/// readers without string views read it; the batch itself when it has none.
fn views_as_utf8(batch: &RecordBatch) -> Result<RecordBatch> {
    let is_view = |c: &ArrayRef| c.data_type() == &DataType::Utf8View;
    if !batch.columns().iter().any(is_view) {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .map(|c| match is_view(c) {
            true => arrow::compute::cast(c, &DataType::Utf8),
            false => Ok(c.clone()),
        })
        .collect::<std::result::Result<Vec<ArrayRef>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        text_as(&batch.schema(), &DataType::Utf8),
        columns,
        &options,
    )?)
}

/// Writes result batches as they come.
pub struct Renderer<W: Write + Send> {
    sink: Sink<W>,
    schema: SchemaRef,
    wrote: bool,
    failed: Failure,
}

impl<W: Write + Send> Renderer<W> {
    /// A renderer of `format` writing to `out` results of `schema` (an empty result still
    /// shows its columns); a text table shows every row.
    pub fn new(out: W, format: Format, schema: SchemaRef) -> Result<Renderer<W>> {
        Renderer::with_limits(out, format, schema, TableLimits::default())
    }

    /// A renderer whose text table keeps to `limits`.
    pub fn with_limits(
        out: W,
        format: Format,
        schema: SchemaRef,
        limits: TableLimits,
    ) -> Result<Renderer<W>> {
        let failed: Failure = Arc::new(Mutex::new(None));
        let schema = match format {
            Format::Parquet | Format::Arrow => text_as(&schema, &DataType::Utf8),
            _ => schema,
        };
        let out = Tracked {
            inner: out,
            failed: failed.clone(),
        };
        let csv = |out, delimiter| {
            Sink::Csv(Box::new(
                arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .with_delimiter(delimiter)
                    .build(out),
            ))
        };
        let sink = match format {
            Format::Table => Sink::Table(
                out,
                TableRows {
                    limits,
                    rows: Vec::new(),
                    total: 0,
                },
            ),
            Format::Markdown => Sink::Markdown(out, Vec::new(), limits.human),
            Format::Csv => csv(out, b','),
            Format::Tsv => csv(out, b'\t'),
            Format::Json => Sink::Json(arrow::json::ArrayWriter::new(out)),
            Format::Ndjson => Sink::Ndjson(arrow::json::LineDelimitedWriter::new(out)),
            Format::Parquet => {
                let level = parquet::basic::ZstdLevel::try_new(3)?;
                let props = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::ZSTD(level))
                    .build();
                Sink::Parquet(Box::new(parquet::arrow::ArrowWriter::try_new(
                    out,
                    schema.clone(),
                    Some(props),
                )?))
            }
            Format::Arrow => Sink::Arrow(Box::new(arrow::ipc::writer::FileWriter::try_new(
                out, &schema,
            )?)),
        };
        Ok(Renderer {
            sink,
            schema,
            wrote: false,
            failed,
        })
    }

    /// An error, with a closed pipe kept recognisable.
    fn wrap(&self, e: impl Into<Error>) -> Error {
        wrap(&self.failed, e.into())
    }

    /// Writes one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.wrote = true;
        let plain;
        let batch = match self.sink {
            // Files keep one type for text (see `views_as_utf8`); text formats write views as
            // they are.
            Sink::Parquet(_) | Sink::Arrow(_) => {
                plain = views_as_utf8(batch).map_err(|e| self.wrap(e))?;
                &plain
            }
            _ => batch,
        };
        let result: Result<()> = match &mut self.sink {
            Sink::Table(_, t) => t.add(batch),
            Sink::Markdown(_, all, _) => {
                all.push(batch.clone());
                Ok(())
            }
            Sink::Csv(w) => w.write(batch).map_err(Error::from),
            Sink::Json(w) => w.write(batch).map_err(Error::from),
            Sink::Ndjson(w) => w.write(batch).map_err(Error::from),
            Sink::Parquet(w) => w.write(batch).map_err(Error::from),
            Sink::Arrow(w) => w.write(batch).map_err(Error::from),
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
        let io = |e: std::io::Error| Error::io("<stdout>", e);
        let mut out = match self.sink {
            Sink::Table(mut out, rows) => {
                out.write_all(rows.draw(&self.schema).as_bytes())
                    .map_err(io)?;
                out
            }
            Sink::Markdown(mut out, all, human) => {
                let text = markdown(&self.schema, &all, human)?;
                out.write_all(text.as_bytes()).map_err(io)?;
                out
            }
            Sink::Csv(w) => w.into_inner(),
            Sink::Json(mut w) => {
                w.finish().map_err(|e| wrap(&failed, e.into()))?;
                let mut out = w.into_inner();
                writeln!(out).map_err(io)?;
                out
            }
            Sink::Ndjson(mut w) => {
                w.finish().map_err(|e| wrap(&failed, e.into()))?;
                w.into_inner()
            }
            Sink::Parquet(w) => w.into_inner().map_err(|e| wrap(&failed, e.into()))?,
            Sink::Arrow(mut w) => {
                w.finish().map_err(|e| wrap(&failed, e.into()))?;
                w.into_inner().map_err(|e| wrap(&failed, e.into()))?
            }
        };
        out.flush().map_err(io)
    }
}

/// `e`, or the I/O error behind it when the output failed (a closed pipe stays one).
fn wrap(failed: &Failure, e: Error) -> Error {
    match failed.lock().ok().and_then(|f| *f) {
        Some(kind) => Error::io("<stdout>", kind.into()),
        None => e,
    }
}

impl TableRows {
    /// Keeps the rows of `batch` that will be shown, as text; counts them all.
    fn add(&mut self, batch: &RecordBatch) -> Result<()> {
        self.total += batch.num_rows() as u64;
        let room = self
            .limits
            .max_rows
            .map_or(usize::MAX, |m| m.saturating_sub(self.rows.len()));
        let take = batch.num_rows().min(room);
        if take == 0 {
            return Ok(());
        }
        let options = FormatOptions::default();
        let columns = Cells::of(batch, &options, self.limits.human)?;
        for row in 0..take {
            self.rows
                .push(columns.iter().map(|c| c.cell(row)).collect());
        }
        Ok(())
    }

    /// The table, `+---+` ruled (or, expanded, one block per record), then a line saying how
    /// many rows and columns were left out, if any. A value with line breaks (an EXPLAIN plan)
    /// takes several lines.
    fn draw(&self, schema: &SchemaRef) -> String {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let natural: Vec<usize> = (0..names.len())
            .map(|c| {
                self.rows
                    .iter()
                    .flat_map(|r| r[c].lines())
                    .chain([names[c]])
                    .map(chars)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let (mut out, hidden) = if self.expanded(&natural) {
            (self.records(&names), 0)
        } else {
            self.grid(schema, &names, &natural)
        };
        out.push_str(&self.footer(hidden, names.len()));
        out
    }

    /// Whether the rows are drawn as records: expanded display on, or on `auto` when the table
    /// of columns `natural` characters wide is wider than the limit.
    fn expanded(&self, natural: &[usize]) -> bool {
        match self.limits.expanded {
            Expanded::Off => false,
            Expanded::On => true,
            Expanded::Auto => self
                .limits
                .width
                .is_some_and(|limit| natural.iter().map(|w| w + 3).sum::<usize>() + 1 > limit),
        }
    }

    /// Every row as a record: a `-[ RECORD n ]` line, then a `name | value` line per column
    /// (values cut to the width, their further lines under the first).
    fn records(&self, names: &[&str]) -> String {
        let name_width = names.iter().map(|n| chars(n)).max().unwrap_or(0);
        let value_width = self
            .rows
            .iter()
            .flatten()
            .flat_map(|v| v.lines())
            .map(chars)
            .max()
            .unwrap_or(0);
        let value_width = match self.limits.width {
            Some(limit) => value_width.min(limit.saturating_sub(name_width + 3).max(NARROWEST)),
            None => value_width,
        };
        let mut out = String::new();
        for (i, row) in self.rows.iter().enumerate() {
            let title = format!("-[ RECORD {} ]", i + 1);
            let line = (name_width + 3 + value_width).max(chars(&title));
            out.push_str(&title);
            out.push_str(&"-".repeat(line - chars(&title)));
            out.push('\n');
            for (name, value) in names.iter().zip(row) {
                let mut lines = value.lines();
                let first = lines.next().unwrap_or("");
                let mut push = |label: &str, text: &str| {
                    let pad = " ".repeat(name_width - chars(label));
                    let text = fit(text, value_width);
                    out.push_str(format!("{label}{pad} | {text}").trim_end());
                    out.push('\n');
                };
                push(name, first);
                for more in lines {
                    push("", more);
                }
            }
        }
        if self.rows.is_empty() {
            out.push_str("(no rows)\n");
        }
        out
    }

    /// The `+---+` ruled table of the columns that fit, and how many were left out.
    fn grid(&self, schema: &SchemaRef, names: &[&str], natural: &[usize]) -> (String, usize) {
        let (shown, hidden) = match self.limits.width {
            Some(limit) => columns_that_fit(natural, limit),
            None => ((0..names.len()).map(Some).collect(), 0),
        };
        // `None` is the `…` column standing for the hidden ones.
        let mut widths: Vec<usize> = shown.iter().map(|c| c.map_or(1, |c| natural[c])).collect();
        if let Some(limit) = self.limits.width {
            let room = limit.saturating_sub(3 * widths.len() + 1);
            while widths.iter().sum::<usize>() > room {
                let Some(widest) = widths
                    .iter_mut()
                    .filter(|w| **w > NARROWEST)
                    .max_by_key(|w| **w)
                else {
                    break;
                };
                *widest -= 1;
            }
        }
        let rule = {
            let mut s = String::from("+");
            for w in &widths {
                s.push_str(&"-".repeat(w + 2));
                s.push('+');
            }
            s.push('\n');
            s
        };
        let mut out = rule.clone();
        fn cell_of<'a>(row: &[&'a str], c: &Option<usize>) -> &'a str {
            c.map_or("…", |c| row[c])
        }
        // Numbers (and their names) are right-aligned, the rest left-aligned.
        let right: Vec<bool> = shown
            .iter()
            .map(|c| c.is_some_and(|c| is_number(schema.field(c).data_type())))
            .collect();
        let push_row = |out: &mut String, row: &[&str]| {
            let height = shown
                .iter()
                .map(|c| cell_of(row, c).lines().count().max(1))
                .max()
                .unwrap_or(1);
            for line in 0..height {
                out.push('|');
                for ((c, w), right) in shown.iter().zip(&widths).zip(&right) {
                    let text = fit(cell_of(row, c).lines().nth(line).unwrap_or(""), *w);
                    let pad = " ".repeat(w.saturating_sub(chars(&text)));
                    out.push(' ');
                    if *right {
                        out.push_str(&pad);
                        out.push_str(&text);
                    } else {
                        out.push_str(&text);
                        out.push_str(&pad);
                    }
                    out.push_str(" |");
                }
                out.push('\n');
            }
        };
        push_row(&mut out, names);
        out.push_str(&rule);
        for row in &self.rows {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            push_row(&mut out, &cells);
        }
        out.push_str(&rule);
        (out, hidden)
    }

    /// The line saying how many rows and how many of the `columns` columns (`hidden`) were left
    /// out; empty when nothing was.
    fn footer(&self, hidden: usize, columns: usize) -> String {
        let rows_shown = self.rows.len() as u64;
        let mut left_out = Vec::new();
        if self.total > rows_shown {
            left_out.push(format!(
                "{} rows in all, {} not shown ({})",
                self.total,
                self.total - rows_shown,
                if self.limits.in_shell {
                    "`\\o csv` shows every row, as does `--max-rows 0` when the shell starts"
                } else {
                    "--max-rows 0 shows every row"
                }
            ));
        }
        if hidden > 0 {
            left_out.push(format!(
                "{} of {} columns not shown (a wider terminal, a narrower SELECT or {} shows them)",
                hidden,
                columns,
                if self.limits.in_shell {
                    "`\\o csv`"
                } else {
                    "another --output"
                }
            ));
        }
        if left_out.is_empty() {
            return String::new();
        }
        left_out.join("; ") + "\n"
    }
}

/// The characters of `s` (what a terminal column holds, near enough).
fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Whether values of type `t` are numbers (integers, floats, decimals, also dictionary-encoded),
/// which tables right-align.
pub fn is_number(t: &DataType) -> bool {
    match t {
        DataType::Dictionary(_, value) => is_number(value),
        t => t.is_numeric(),
    }
}

/// Whether a column holds byte counts: a column of whole numbers (integers, or decimals without
/// a fraction, as sums of byte counts are) named `bytes` or ending in `bytes` (`total_bytes`,
/// `in_vpc_bytes`).
pub fn is_byte_count(field: &arrow::datatypes::Field) -> bool {
    let whole = match field.data_type() {
        DataType::Decimal128(_, 0) | DataType::Decimal256(_, 0) => true,
        t => t.is_integer(),
    };
    whole && field.name().to_ascii_lowercase().ends_with("bytes")
}

/// Bytes in binary units: `1.50 GiB`.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

/// How the values of one column are written in a text table.
enum Cells<'a> {
    /// As Arrow displays them.
    Shown(ArrayFormatter<'a>),
    /// Byte counts in binary units ([`human_bytes`]).
    Bytes(Int64Array),
}

impl<'a> Cells<'a> {
    /// The writing of every column of `batch`: byte counts in binary units when `human`.
    fn of(batch: &'a RecordBatch, options: &'a FormatOptions, human: bool) -> Result<Vec<Self>> {
        let schema = batch.schema();
        let mut all = Vec::with_capacity(batch.num_columns());
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            all.push(if human && is_byte_count(field) {
                Cells::Bytes(as_i64(column)?)
            } else {
                Cells::Shown(ArrayFormatter::try_new(column.as_ref(), options)?)
            });
        }
        Ok(all)
    }

    /// The text of row `row`; empty for a null.
    fn cell(&self, row: usize) -> String {
        match self {
            Cells::Shown(f) => f.value(row).to_string(),
            Cells::Bytes(a) if a.is_null(row) => String::new(),
            Cells::Bytes(a) => human_bytes(a.value(row)),
        }
    }
}

/// An integer column as 64-bit signed integers (a count past 8 EiB saturates).
fn as_i64(column: &ArrayRef) -> Result<Int64Array> {
    use arrow::array::AsArray;
    use arrow::datatypes::UInt64Type;
    if let Some(unsigned) = column.as_primitive_opt::<UInt64Type>() {
        return Ok(unsigned.unary(|v| i64::try_from(v).unwrap_or(i64::MAX)));
    }
    // Every other integer type fits; a decimal past 8 EiB would be a null.
    let cast = arrow::compute::cast(column, &DataType::Int64)?;
    cast.as_primitive_opt::<arrow::datatypes::Int64Type>()
        .cloned()
        .ok_or_else(|| Error::Data(format!("not a count of bytes: {}", column.data_type())))
}

/// The narrowest a cut column gets.
const NARROWEST: usize = 4;

/// Which columns a table `limit` characters wide shows, and how many it hides: every column
/// when each fits at its natural width or cut to [`NARROWEST`]; else the first and last ones
/// that fit, around a `…` column (`None`).
fn columns_that_fit(natural: &[usize], limit: usize) -> (Vec<Option<usize>>, usize) {
    let need = |c: usize| natural[c].min(NARROWEST) + 3;
    let all: usize = (0..natural.len()).map(need).sum::<usize>() + 1;
    if all <= limit || natural.len() <= 2 {
        return ((0..natural.len()).map(Some).collect(), 0);
    }
    // Room for the `…` column; then columns from the left and the right in turn.
    let mut room = limit.saturating_sub(1 + 4);
    let (mut left, mut right) = (0, natural.len());
    let mut from_left = true;
    while left < right {
        let c = if from_left { left } else { right - 1 };
        if need(c) > room {
            break;
        }
        room -= need(c);
        if from_left {
            left += 1;
        } else {
            right -= 1;
        }
        from_left = !from_left;
    }
    let mut shown: Vec<Option<usize>> = (0..left).map(Some).collect();
    shown.push(None);
    shown.extend((right..natural.len()).map(Some));
    (shown, right - left)
}

/// `text` cut to `width` characters with `…` where it is longer; tabs become spaces.
fn fit(text: &str, width: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= width {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Writes a whole result set to `out` in the given format.
pub fn render(
    out: &mut (dyn Write + Send),
    schema: SchemaRef,
    batches: &[RecordBatch],
    format: Format,
) -> Result<()> {
    render_with(out, schema, batches, format, TableLimits::default())
}

/// [`render`], its text table keeping to `limits`.
fn render_with(
    out: &mut (dyn Write + Send),
    schema: SchemaRef,
    batches: &[RecordBatch],
    format: Format,
    limits: TableLimits,
) -> Result<()> {
    let mut r = Renderer::with_limits(out, format, schema, limits)?;
    for b in batches {
        r.write(b)?;
    }
    r.finish()
}

/// A Markdown table of `batches`: `|` in values escaped, numeric columns right-aligned, nulls
/// empty; byte counts in binary units when `human`.
fn markdown(schema: &SchemaRef, batches: &[RecordBatch], human: bool) -> Result<String> {
    let options = FormatOptions::default();
    let escape = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut text = String::new();
    let names: Vec<String> = schema.fields().iter().map(|f| escape(f.name())).collect();
    text.push_str(&format!("| {} |\n", names.join(" | ")));
    let rules: Vec<&str> = schema
        .fields()
        .iter()
        .map(|f| {
            if is_number(f.data_type()) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    text.push_str(&format!("|{}|\n", rules.join("|")));
    for batch in batches {
        let columns = Cells::of(batch, &options, human)?;
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = columns.iter().map(|c| escape(&c.cell(row))).collect();
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
/// its rows; NDJSON rows with a leading `report` member. Parquet and Arrow hold one result.
/// Tables and Markdown keep to `limits`.
pub fn render_reports(
    out: &mut (dyn Write + Send),
    results: &[Named<'_>],
    format: Format,
    limits: TableLimits,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io("<stdout>", e);
    match format {
        Format::Parquet | Format::Arrow => {
            return match results {
                [one] => render(out, one.schema.clone(), one.batches, format),
                _ => Err(Error::Usage(format!(
                    "{format:?} output holds one result: name one report (`vpcflow report \
                     NAME ...`)"
                ))),
            };
        }
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
        Format::Table | Format::Markdown | Format::Csv | Format::Tsv => {
            for (i, r) in results.iter().enumerate() {
                if i > 0 {
                    writeln!(out).map_err(io)?;
                }
                match format {
                    Format::Markdown => {
                        writeln!(out, "## {}\n\n{}\n", r.name, r.description).map_err(io)?
                    }
                    Format::Csv | Format::Tsv if results.len() > 1 => {
                        writeln!(out, "# {}", r.name).map_err(io)?
                    }
                    Format::Csv | Format::Tsv => {}
                    _ => writeln!(out, "{}: {}", r.name, r.description).map_err(io)?,
                }
                render_with(out, r.schema.clone(), r.batches, format, limits)?;
            }
        }
    }
    out.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Decimal128Array, Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    /// The text table of one batch, as lines.
    fn table(batch: &RecordBatch, limits: TableLimits) -> Vec<String> {
        let mut out = Vec::new();
        let mut r = Renderer::with_limits(&mut out, Format::Table, batch.schema(), limits)
            .expect("renderer");
        r.write(batch).expect("written");
        r.finish().expect("finished");
        String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn numbers_are_right_aligned_and_text_left_aligned() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
            Field::new("ratio", DataType::Float64, true),
            Field::new("usd", DataType::Decimal128(6, 2), true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![Some("a"), None, Some("longer")])),
            Arc::new(Int64Array::from(vec![Some(7), Some(12345), None])),
            Arc::new(Float64Array::from(vec![Some(0.5), Some(10.25), Some(3.0)])),
            Arc::new(
                Decimal128Array::from(vec![Some(150), None, Some(123456)])
                    .with_precision_and_scale(6, 2)
                    .expect("decimal"),
            ),
        ];
        let batch = RecordBatch::try_new(schema, columns).expect("batch");
        assert_eq!(
            table(&batch, TableLimits::default()),
            [
                "+--------+-------+-------+---------+",
                "| name   |     n | ratio |     usd |",
                "+--------+-------+-------+---------+",
                "| a      |     7 |   0.5 |    1.50 |",
                "|        | 12345 | 10.25 |         |",
                "| longer |       |   3.0 | 1234.56 |",
                "+--------+-------+-------+---------+",
            ]
        );
    }

    #[test]
    fn bytes_are_written_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.50 KiB");
        assert_eq!(human_bytes(3 << 30), "3.00 GiB");
        assert_eq!(human_bytes(-2048), "-2.00 KiB");
    }

    /// Byte counts of three integer types, one a null and one past `i64::MAX`, beside a count
    /// that is not of bytes and a text column named like one.
    fn byte_counts() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("bytes", DataType::UInt64, false),
            Field::new("in_vpc_bytes", DataType::Int32, true),
            Field::new("packets", DataType::Int64, false),
            Field::new("note_bytes", DataType::Utf8, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(arrow::array::UInt64Array::from(vec![1536, u64::MAX])),
            Arc::new(arrow::array::Int32Array::from(vec![None, Some(3 << 20)])),
            Arc::new(Int64Array::from(vec![2048, 7])),
            Arc::new(StringArray::from(vec!["2048", "x"])),
        ];
        RecordBatch::try_new(schema, columns).expect("batch")
    }

    #[test]
    fn human_tables_write_byte_counts_in_binary_units() {
        let human = TableLimits {
            human: true,
            ..TableLimits::default()
        };
        // u64::MAX saturates at i64::MAX, 2^63 - 1 bytes: 8192 PiB.
        assert_eq!(
            table(&byte_counts(), human),
            [
                "+-------------+--------------+---------+------------+",
                "|       bytes | in_vpc_bytes | packets | note_bytes |",
                "+-------------+--------------+---------+------------+",
                "|    1.50 KiB |              |    2048 | 2048       |",
                "| 8192.00 PiB |     3.00 MiB |       7 | x          |",
                "+-------------+--------------+---------+------------+",
            ]
        );
        let mut markdown = Vec::new();
        render_with(
            &mut markdown,
            byte_counts().schema(),
            &[byte_counts()],
            Format::Markdown,
            human,
        )
        .expect("markdown");
        assert_eq!(
            String::from_utf8_lossy(&markdown),
            "| bytes | in_vpc_bytes | packets | note_bytes |\n|---:|---:|---:|---|\n\
             | 1.50 KiB |  | 2048 | 2048 |\n| 8192.00 PiB | 3.00 MiB | 7 | x |\n"
        );
    }

    #[test]
    fn summed_byte_counts_are_decimals_and_human_too() {
        // sum() of byte counts is a decimal without a fraction; one with a fraction is not a
        // count of bytes.
        let schema = Arc::new(Schema::new(vec![
            Field::new("bytes", DataType::Decimal128(20, 0), true),
            Field::new("avg_bytes", DataType::Decimal128(20, 2), true),
        ]));
        let sums = Decimal128Array::from(vec![Some(3_221_225_472), None])
            .with_precision_and_scale(20, 0)
            .expect("decimal");
        let averages = Decimal128Array::from(vec![Some(150), Some(2)])
            .with_precision_and_scale(20, 2)
            .expect("decimal");
        let batch =
            RecordBatch::try_new(schema, vec![Arc::new(sums), Arc::new(averages)]).expect("batch");
        let human = TableLimits {
            human: true,
            ..TableLimits::default()
        };
        assert_eq!(
            table(&batch, human)[3..5],
            ["| 3.00 GiB |      1.50 |", "|          |      0.02 |"]
        );
    }

    #[test]
    fn machine_formats_keep_byte_counts_as_numbers() {
        let human = TableLimits {
            human: true,
            ..TableLimits::default()
        };
        let mut csv = Vec::new();
        render_with(
            &mut csv,
            byte_counts().schema(),
            &[byte_counts()],
            Format::Csv,
            human,
        )
        .expect("csv");
        assert_eq!(
            String::from_utf8_lossy(&csv),
            "bytes,in_vpc_bytes,packets,note_bytes\n1536,,2048,2048\n\
             18446744073709551615,3145728,7,x\n"
        );
        // Without --human the table shows the numbers.
        let plain = table(&byte_counts(), TableLimits::default());
        assert_eq!(
            plain[3],
            "|                 1536 |              |    2048 | 2048       |"
        );
    }

    /// A short and a long row of a text and a number column.
    fn two_rows() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec!["a", "a much longer value"])),
            Arc::new(Int64Array::from(vec![Some(7), None])),
        ];
        RecordBatch::try_new(schema, columns).expect("batch")
    }

    #[test]
    fn expanded_display_draws_a_block_per_record() {
        let on = TableLimits {
            expanded: Expanded::On,
            ..TableLimits::default()
        };
        // The lines are 4 + 3 + 19 = 26 characters wide; the titles take 13 of them.
        assert_eq!(
            table(&two_rows(), on),
            [
                "-[ RECORD 1 ]-------------",
                "name | a",
                "n    | 7",
                "-[ RECORD 2 ]-------------",
                "name | a much longer value",
                "n    |",
            ]
        );
        let empty = RecordBatch::new_empty(two_rows().schema());
        assert_eq!(table(&empty, on), ["(no rows)"]);
        // Rows left out are still counted below.
        let one = TableLimits {
            max_rows: Some(1),
            ..on
        };
        assert_eq!(
            table(&two_rows(), one)[3],
            "2 rows in all, 1 not shown (--max-rows 0 shows every row)"
        );
    }

    #[test]
    fn auto_expanded_display_draws_records_only_when_the_table_is_too_wide() {
        // The table is 1 + (19 + 3) + (1 + 3) = 27 characters wide.
        let auto = |width| TableLimits {
            width: Some(width),
            expanded: Expanded::Auto,
            ..TableLimits::default()
        };
        assert_eq!(
            table(&two_rows(), auto(27))[1],
            "| name                | n |"
        );
        // At 20 the values get 20 - 4 - 3 = 13 characters.
        assert_eq!(
            table(&two_rows(), auto(20)),
            [
                "-[ RECORD 1 ]-------",
                "name | a",
                "n    | 7",
                "-[ RECORD 2 ]-------",
                "name | a much longe…",
                "n    |",
            ]
        );
    }

    #[test]
    fn a_cut_number_stays_right_aligned() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("text", DataType::Utf8, false),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![1, 1234567890])),
            Arc::new(StringArray::from(vec!["x", "y"])),
        ];
        let batch = RecordBatch::try_new(schema, columns).expect("batch");
        let limits = TableLimits {
            width: Some(15),
            ..TableLimits::default()
        };
        // 1 + (4 + 3) + (4 + 3) = 15: the id is cut to four characters, the text column kept.
        assert_eq!(
            table(&batch, limits),
            [
                "+------+------+",
                "|   id | text |",
                "+------+------+",
                "|    1 | x    |",
                "| 123… | y    |",
                "+------+------+",
            ]
        );
    }
}
