//! The bytes of one object: plain text, gzip (multi-member) or AWS's Parquet delivery.
//!
//! The kind is sniffed from magic bytes, never from the name. The layout a text object starts
//! with is resolved here, once, from its first line (or the run's `--format`). AWS Parquet
//! objects are mapped by column name into the canonical schema, with AWS's physical types cast
//! to ours. Splitting text into lines and decoding it are left to `chunk` and `decode`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray, new_null_array};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use flate2::read::MultiGzDecoder;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::decode::{Counts, DecodeConfig, Decoded, MILLIS_THRESHOLD, Origin};
use super::fields::{FIELDS, Kind};
use super::format::{Layout, Slot};
use crate::error::{Error, Result};

/// What an object holds, by its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// Text lines.
    Plain,
    /// Gzip-compressed text (one or more members).
    Gzip,
    /// Apache Parquet.
    Parquet,
}

/// Sniffs the kind from the first bytes.
pub fn sniff(head: &[u8]) -> SourceKind {
    if head.starts_with(&[0x1f, 0x8b]) {
        SourceKind::Gzip
    } else if head.starts_with(b"PAR1") {
        SourceKind::Parquet
    } else {
        SourceKind::Plain
    }
}

/// Whether `path` is read as a stream, once, from its first byte: standard input (`-`), a pipe
/// (`<(zcat ...)`), a FIFO or a device. Such an input cannot be opened again to be read from
/// its start, so what is read of it to learn its layout is kept for the run ([`stream_layout`],
/// [`stream_reader`]).
pub fn is_stream(path: &Path) -> bool {
    streamed(path, std::fs::metadata(path).ok().as_ref())
}

/// [`is_stream`] for a path whose metadata was already read (`None`: it could not be).
pub fn streamed(path: &Path, meta: Option<&std::fs::Metadata>) -> bool {
    path.as_os_str() == "-" || meta.is_some_and(|m| !m.is_file() && !m.is_dir())
}

/// Per stream input read ahead for its layout: its path, the bytes read, and the stream (`None`
/// for standard input).
type Head = (std::path::PathBuf, Vec<u8>, Option<File>);

/// What was read of each stream input to learn its layout before a run, for the run to read
/// again first.
static HEADS: std::sync::Mutex<Vec<Head>> = std::sync::Mutex::new(Vec::new());

/// How much of a stream input is read ahead for its header line.
const HEAD_BYTES: usize = 64 << 10;

/// The layout a stream input ([`is_stream`]) starts with (its header line, else `fallback`),
/// read from its first 64 KiB (inflated if gzip), which are kept for [`stream_reader`].
pub fn stream_layout(path: &Path, fallback: &Layout, max_line: usize) -> Layout {
    let stdin = path.as_os_str() == "-";
    let mut file = if stdin { None } else { File::open(path).ok() };
    let mut head = Vec::new();
    let mut eof = false;
    let mut buf = [0u8; 8 << 10];
    while head.len() < HEAD_BYTES {
        let read = match &mut file {
            Some(f) => f.read(&mut buf),
            None if stdin => std::io::stdin().lock().read(&mut buf),
            None => Ok(0),
        };
        match read {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
        // Plain text: its first line is enough.
        if sniff(&head) == SourceKind::Plain && head.contains(&b'\n') {
            break;
        }
    }
    let layout = head_layout(&head, eof, fallback, max_line);
    if let Ok(mut kept) = HEADS.lock() {
        kept.push((path.to_path_buf(), head, file));
    }
    layout.unwrap_or_else(|| fallback.clone())
}

/// A stream input from its first byte: what [`stream_layout`] read ahead, then the rest.
pub fn stream_reader(path: &Path) -> std::io::Result<Box<dyn Read + Send>> {
    let kept = HEADS.lock().ok().and_then(|mut heads| {
        let at = heads.iter().position(|(p, _, _)| p == path)?;
        Some(heads.swap_remove(at))
    });
    let (head, file) = match kept {
        Some((_, head, file)) => (head, file),
        None => (Vec::new(), None),
    };
    let head = std::io::Cursor::new(head);
    Ok(if path.as_os_str() == "-" {
        Box::new(head.chain(std::io::stdin()))
    } else {
        let file = match file {
            Some(f) => f,
            None => File::open(path)?,
        };
        Box::new(head.chain(file))
    })
}

/// Opens a file and sniffs its kind.
pub fn open(path: &Path) -> Result<(File, SourceKind)> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = [0u8; 4];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    let kind = sniff(&head[..n]);
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    Ok((f, kind))
}

/// A text reader over a file of the given kind (gzip is inflated on the fly, in fixed steps:
/// see [`Steps`]).
pub fn text_reader<R: Read + Send + 'static>(file: R, kind: SourceKind) -> Box<dyn Read + Send> {
    match kind {
        SourceKind::Gzip => Box::new(Steps::new(MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            file,
        )))),
        _ => Box::new(file),
    }
}

/// Size of the steps in which [`Steps`] reads.
const STEP: usize = 8 << 10;

/// Reads its inner reader in steps of `STEP` bytes whatever its caller asks for. flate2
/// drops the text a read produced when that read meets corrupt data, and how much that is
/// depends on the buffer the read was given; in fixed steps a damaged gzip object yields the
/// same text before the damage (all but at most one step) however it is read: whole, or
/// streamed in blocks of any size.
pub struct Steps<R> {
    inner: R,
    buf: Box<[u8]>,
    at: usize,
    end: usize,
}

impl<R: Read> Steps<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Steps<R> {
        Steps {
            inner,
            buf: vec![0; STEP].into_boxed_slice(),
            at: 0,
            end: 0,
        }
    }
}

impl<R: Read> Read for Steps<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.end {
            self.end = self.inner.read(&mut self.buf)?;
            self.at = 0;
        }
        let n = out.len().min(self.end - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The layout an object starts with: its header line if the first line is one, else
/// `fallback` (the run's `--format`, or the v2 default). For Parquet, the column names.
pub fn first_layout(path: &Path, fallback: &Layout, max_line: usize) -> Result<Layout> {
    let (file, kind) = open(path)?;
    if kind == SourceKind::Parquet {
        return parquet_layout(path, file);
    }
    let layout = text_layout(text_reader(file, kind), true, fallback, max_line);
    Ok(layout.unwrap_or_else(|| fallback.clone()))
}

/// The layout a text object starts with, from its first bytes `head` (all of it when
/// `whole`), gzip or plain: see [`text_layout`].
pub fn head_layout(head: &[u8], whole: bool, fallback: &Layout, max_line: usize) -> Option<Layout> {
    match sniff(head) {
        SourceKind::Gzip => text_layout(
            Steps::new(MultiGzDecoder::new(head)),
            whole,
            fallback,
            max_line,
        ),
        _ => text_layout(head, whole, fallback, max_line),
    }
}

/// The layout a text object starts with, from a reader of its text (`whole`: all of it, else
/// its head): its header line, or `fallback`. `None` when the first line cannot be read (a
/// damaged object, or a head that ends inside the line), for the caller to decide.
pub fn text_layout(
    text: impl Read,
    whole: bool,
    fallback: &Layout,
    max_line: usize,
) -> Option<Layout> {
    let mut reader = BufReader::new(text.take(max_line as u64 + 1));
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).ok()?;
    if !whole && !line.ends_with(b"\n") && line.len() <= max_line {
        return None;
    }
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line);
    let trimmed = line.trim_ascii();
    Some(Layout::parse_header(trimmed).unwrap_or_else(|| fallback.clone()))
}

fn parquet_layout(path: &Path, file: File) -> Result<Layout> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::input(path, format!("not a readable Parquet file: {e}")))?;
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    Layout::parse_format(&names.join(" "))
        .map_err(|e| Error::input(path, format!("Parquet columns: {e}")))
}

/// Number of row groups of a Parquet object.
pub fn parquet_row_groups(path: &Path) -> Result<usize> {
    let (file, _) = open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::input(path, format!("not a readable Parquet file: {e}")))?;
    Ok(builder.metadata().num_row_groups())
}

/// Reads one row group of an AWS Parquet object into batches of the run's projected schema.
pub fn read_parquet_group(
    path: &Path,
    group: usize,
    layout: &Layout,
    cfg: &DecodeConfig,
    origin: &Origin,
) -> Result<Decoded> {
    let (file, _) = open(path)?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| {
            b.with_row_groups(vec![group])
                .with_batch_size(cfg.batch_rows)
                .build()
        })
        .map_err(|e| Error::input(path, format!("not a readable Parquet file: {e}")))?;
    let mut out = Decoded {
        batches: Vec::new(),
        bad: Vec::new(),
        notes: Vec::new(),
        lines: 0,
        layout: Arc::new(layout.clone()),
        counts: Counts::default(),
    };
    for batch in reader {
        let batch = batch.map_err(|e| Error::input(path, format!("row group {group}: {e}")))?;
        let mapped = map_parquet_batch(&batch, layout, cfg, origin)
            .map_err(|e| Error::input(path, format!("row group {group}: {e}")))?;
        out.counts.add(count_statuses(&batch, layout));
        out.batches.push(mapped);
    }
    Ok(out)
}

fn count_statuses(raw: &RecordBatch, layout: &Layout) -> Counts {
    let mut c = Counts {
        records: raw.num_rows() as u64,
        ..Counts::default()
    };
    let status = layout
        .slots
        .iter()
        .position(|s| matches!(s, Slot::Known(i) if FIELDS[*i].name == "log_status"));
    if let Some(col) = status.and_then(|p| {
        cast_with_options(raw.column(p), &DataType::Utf8, &CastOptions::default()).ok()
    }) {
        for v in col.as_string::<i32>().iter().flatten() {
            match v {
                "NODATA" => c.nodata += 1,
                "SKIPDATA" => c.skipdata += 1,
                _ => {}
            }
        }
    }
    c
}

fn map_parquet_batch(
    batch: &RecordBatch,
    layout: &Layout,
    cfg: &DecodeConfig,
    origin: &Origin,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let rows = batch.num_rows();
    let safe = CastOptions::default();
    let mut start_days: Option<ArrayRef> = None;
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(cfg.projection.len());
    let position = |column: usize| {
        layout
            .slots
            .iter()
            .position(|s| cfg.columns.index_of(s) == Some(column))
    };
    let start_col = FIELDS.iter().position(|f| f.name == "start");
    if let Some(p) = start_col.and_then(position) {
        let secs = to_seconds(batch.column(p))?;
        start_days = Some(Arc::new(arrow::compute::kernels::arity::unary::<
            Int64Type,
            _,
            arrow::datatypes::Date32Type,
        >(secs.as_primitive::<Int64Type>(), |s| {
            s.div_euclid(86_400) as i32
        })));
    }
    for (i, &column) in cfg.projection.iter().enumerate() {
        let field = cfg.schema.field(i);
        let array: ArrayRef = if column == cfg.columns.source_index() {
            let keys = arrow::array::Int32Array::from(vec![0; rows]);
            let values = Arc::new(StringArray::from(vec![origin.name.as_ref()]));
            Arc::new(
                arrow::array::DictionaryArray::<arrow::datatypes::Int32Type>::new(keys, values),
            )
        } else if column == cfg.columns.date_index() {
            // A record without `start` has no date: never a day it may not belong to.
            match &start_days {
                Some(days) => days.clone(),
                None => arrow::array::new_null_array(&DataType::Date32, rows),
            }
        } else if let Some(p) = position(column) {
            let raw = batch.column(p);
            match cfg.columns.kind(column) {
                Some(Kind::Time) => cast_with_options(
                    &to_seconds(raw)?,
                    &DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
                    &safe,
                )?,
                Some(k) if k.data_type() == DataType::Utf8 => {
                    dash_to_null(&cast_with_options(raw, &DataType::Utf8, &safe)?)
                }
                _ => cast_with_options(raw, field.data_type(), &safe)?,
            }
        } else {
            new_null_array(field.data_type(), rows)
        };
        columns.push(array);
    }
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(cfg.schema.clone(), columns, &options)
}

/// `start`/`end` as Int64 seconds, whatever integer or timestamp type the file used.
fn to_seconds(raw: &ArrayRef) -> Result<ArrayRef, arrow::error::ArrowError> {
    let as_int = match raw.data_type() {
        DataType::Timestamp(..) => {
            let secs = cast_with_options(
                raw,
                &DataType::Timestamp(TimeUnit::Second, None),
                &CastOptions::default(),
            )?;
            cast_with_options(&secs, &DataType::Int64, &CastOptions::default())?
        }
        _ => cast_with_options(raw, &DataType::Int64, &CastOptions::default())?,
    };
    Ok(Arc::new(arrow::compute::kernels::arity::unary::<
        Int64Type,
        _,
        Int64Type,
    >(as_int.as_primitive::<Int64Type>(), |v| {
        if v >= MILLIS_THRESHOLD as i64 {
            v / 1000
        } else {
            v
        }
    })))
}

/// AWS's Parquet may write absent values as `-` (or `None`, seen in third-party files).
fn dash_to_null(a: &ArrayRef) -> ArrayRef {
    let s = a.as_string::<i32>();
    if !s.iter().flatten().any(|v| v == "-" || v == "None") {
        return a.clone();
    }
    Arc::new(
        s.iter()
            .map(|v| v.filter(|v| *v != "-" && *v != "None"))
            .collect::<StringArray>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), SourceKind::Gzip);
        assert_eq!(sniff(b"PAR1"), SourceKind::Parquet);
        assert_eq!(sniff(b"2 1234"), SourceKind::Plain);
        assert_eq!(sniff(b""), SourceKind::Plain);
    }

    #[test]
    fn dashes_become_nulls() {
        let a: ArrayRef = Arc::new(StringArray::from(vec![
            Some("x"),
            Some("-"),
            None,
            Some("None"),
        ]));
        let b = dash_to_null(&a);
        assert_eq!(b.null_count(), 3);
    }
}
