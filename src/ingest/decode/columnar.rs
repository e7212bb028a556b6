//! The decoder's driver: segments of a buffer through the structural pass and the column
//! kernels, rows into batches, bad rows out of them.
//!
//! A segment ends after about [`SEGMENT`] bytes, at a header line or when the batch is full.
//! Kernels then run over it field by field; their errors are resolved per line (the first bad
//! field in layout order wins, as a row-at-a-time reader would report it) and the bad rows are
//! marked in a keep-mask that filters the batch when it is flushed.

use std::sync::Arc;

use arrow::array::AsArray;
use arrow::array::{
    ArrayRef, BooleanArray, Date32Builder, DictionaryArray, Int32Array, RecordBatch,
    RecordBatchOptions, StringArray, new_null_array,
};
use arrow::datatypes::Int32Type;

use super::kernels::{self, Field, RowError, Sink};
use super::scan::{Index, Quick};
use super::{
    BadLine, Counts, DecodeConfig, Decoded, Layout, Note, Origin, Plan, Reason, Slot, shared,
    trim_end,
};

/// Bytes of text per segment: its text and its index stay in the core's cache while every
/// kernel passes over them. Tests use small segments, so that their logs cross many.
const SEGMENT: usize = if cfg!(test) { 512 } else { 256 << 10 };

/// Bytes a text column may hold before its batch is cut short (offsets are 32-bit).
const TEXT_LIMIT: usize = 1 << 30;

thread_local! {
    /// The index of the buffer this thread decoded last, for the next one: a fresh index grows
    /// into fresh memory, whose page faults were 5% of a count query's samples (`perf`).
    static SPARE_INDEX: std::cell::Cell<Index> = std::cell::Cell::new(Index::default());
}

#[cfg(test)]
thread_local! {
    /// Tests turn the quick path off to compare it with the general one.
    pub(super) static GENERAL_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether plain lines take the quick path (always, outside tests).
fn quick_path() -> bool {
    #[cfg(test)]
    if GENERAL_ONLY.with(std::cell::Cell::get) {
        return false;
    }
    true
}

/// What becomes of each column of the projection.
enum Column {
    /// Built from a field of the layout.
    Built(Sink),
    /// The day of `start`.
    Date,
    /// `source_file`: one dictionary value for the whole buffer.
    Source,
    /// A column this layout lacks: all nulls.
    Null,
}

/// The lines a buffer is expected to hold, to size its columns: counted in its first 64 KiB
/// and scaled, with a tenth more (buffers sized for the shortest lines possible held three
/// times the memory flow logs need).
fn expected_rows(bytes: &[u8]) -> usize {
    let sample = &bytes[..bytes.len().min(64 << 10)];
    let lines = memchr::memchr_iter(b'\n', sample).count().max(1);
    let per_line = (sample.len() / lines).max(1);
    bytes.len() / per_line * 11 / 10 + 16
}

/// Decodes a buffer of complete lines. `file_start` marks the first buffer of a file, whose
/// first line may carry a byte-order mark and the file's header.
pub fn decode(
    bytes: &[u8],
    layout: Arc<Layout>,
    file_start: bool,
    cfg: &DecodeConfig,
    origin: &Origin,
) -> Decoded {
    let cap = expected_rows(bytes).min(cfg.batch_rows);
    let mut d = Decoder::new(layout, cfg, origin, cap);
    let start = if file_start && bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    d.run(bytes, start, file_start);
    SPARE_INDEX.set(std::mem::take(&mut d.index));
    Decoded {
        batches: d.batches,
        bad: d.bad,
        notes: d.notes,
        lines: d.lines,
        layout: d.layout,
        counts: d.counts,
    }
}

struct Decoder<'c> {
    cfg: &'c DecodeConfig,
    origin: &'c Origin,
    layout: Arc<Layout>,
    plan: Plan,
    columns: Vec<Column>,
    /// The days of `start`, when the date is projected.
    days: Option<Date32Builder>,
    /// Rows in the batch so far, bad ones included.
    rows: usize,
    /// Per row of the batch, whether it is kept; `None` while every row is.
    keep: Option<Vec<bool>>,
    index: Index,
    errors: Vec<RowError>,
    /// Where this segment's bad lines begin in `bad`.
    bad_mark: usize,
    lines: u64,
    batches: Vec<RecordBatch>,
    bad: Vec<BadLine>,
    notes: Vec<Note>,
    counts: Counts,
    cap: usize,
}

impl<'c> Decoder<'c> {
    fn new(layout: Arc<Layout>, cfg: &'c DecodeConfig, origin: &'c Origin, cap: usize) -> Self {
        let plan = Plan::new(&layout, cfg);
        let mut d = Decoder {
            cfg,
            origin,
            layout,
            plan,
            columns: Vec::new(),
            days: None,
            rows: 0,
            keep: None,
            index: SPARE_INDEX.take(),
            errors: Vec::new(),
            bad_mark: 0,
            lines: 0,
            batches: Vec::new(),
            bad: Vec::new(),
            notes: Vec::new(),
            counts: Counts::default(),
            cap,
        };
        d.reset_columns();
        d.index.clear(d.plan.kinds.len());
        d
    }

    fn reset_columns(&mut self) {
        let cfg = self.cfg;
        let cap = self.cap;
        self.columns = (0..cfg.projection.len())
            .map(|t| {
                let column = cfg.projection[t];
                if column == cfg.columns.source_index() {
                    Column::Source
                } else if column == cfg.columns.date_index() {
                    Column::Date
                } else if self.plan.absent.contains(&t) {
                    Column::Null
                } else {
                    let kind = cfg
                        .columns
                        .kind(column)
                        .unwrap_or(crate::ingest::fields::Kind::Text);
                    Column::Built(Sink::new(kind, cap))
                }
            })
            .collect();
        self.days = self
            .plan
            .date_builder
            .map(|_| Date32Builder::with_capacity(cap));
    }

    /// Runs the buffer from byte `pos` on.
    fn run(&mut self, bytes: &[u8], mut pos: usize, file_start: bool) {
        // Offsets within a segment must fit in 32 bits.
        let max_line = self.cfg.max_line.min(u32::MAX as usize - SEGMENT);
        let mut seg = pos;
        while pos < bytes.len() {
            let at = pos;
            // Plain lines take the quick path; headers (a letter first) and the rest the
            // general one below.
            if quick_path() && !bytes[at].is_ascii_alphabetic() {
                let number = self.lines;
                match self.index.quick(bytes, at, seg, number, max_line) {
                    Quick::Slow => {}
                    Quick::Blank { next } => {
                        self.lines += 1;
                        pos = next;
                        continue;
                    }
                    Quick::Row { next } => {
                        self.lines += 1;
                        pos = next;
                        self.boundary(bytes, &mut seg, pos);
                        continue;
                    }
                    Quick::Count { next, found, end } => {
                        self.lines += 1;
                        pos = next;
                        let n = self.plan.kinds.len();
                        let detail = format!("expected {n} fields, found {found}");
                        self.reject(number, &bytes[at..end], Reason::FieldCount, detail);
                        self.boundary(bytes, &mut seg, pos);
                        continue;
                    }
                }
            }
            let (raw, next) = match memchr::memchr(b'\n', &bytes[pos..]) {
                Some(i) => (&bytes[pos..pos + i], pos + i + 1),
                None => (&bytes[pos..], bytes.len()),
            };
            pos = next;
            let number = self.lines;
            self.lines += 1;
            // A line's length is what lies between its line ends (a `\r` and trailing blanks
            // included): what a reader streaming past an over-long line can count.
            if raw.len() > max_line {
                let detail = format!("{} bytes, limit {}", raw.len(), self.cfg.max_line);
                self.reject(number, trim_end(raw), Reason::LineTooLong, detail);
                continue;
            }
            let line = trim_end(raw);
            if line.is_empty() {
                continue;
            }
            // The fast path is one branch-free pass that the compiler vectorises: printable
            // ASCII only (a tab, a control byte, DEL or any non-ASCII byte takes the slow path).
            let unusual = line
                .iter()
                .fold(false, |acc, &b| acc | (b.wrapping_sub(0x20) > 0x5e));
            let mut tabs = false;
            if unusual {
                if let Some(b) = line
                    .iter()
                    .find(|&&b| (b < 0x20 && b != b'\t') || b == 0x7f)
                {
                    let detail = format!("byte 0x{b:02x}");
                    self.reject(number, line, Reason::ControlByte, detail);
                    continue;
                }
                if std::str::from_utf8(line).is_err() {
                    self.reject(number, line, Reason::InvalidUtf8, String::new());
                    continue;
                }
                tabs = line.contains(&b'\t');
            }
            if line[0].is_ascii_alphabetic()
                && let Some(header) = Layout::parse_header(line)
            {
                self.segment(&bytes[seg..at]);
                seg = pos;
                self.header(header, number, file_start && number == 0);
                continue;
            }
            let offset = (at - seg) as u32;
            if let Err(found) = self.index.push(line, offset, number, tabs, !unusual) {
                let n = self.plan.kinds.len();
                let detail = format!("expected {n} fields, found {found}");
                self.reject(number, line, Reason::FieldCount, detail);
            }
            self.boundary(bytes, &mut seg, pos);
        }
        self.segment(&bytes[seg..]);
        self.flush();
    }

    /// Ends the segment that starts at `seg` before `pos` when it is long enough or fills the
    /// batch.
    fn boundary(&mut self, bytes: &[u8], seg: &mut usize, pos: usize) {
        if pos - *seg >= SEGMENT || self.rows + self.index.rows() >= self.cfg.batch_rows {
            self.segment(&bytes[*seg..pos]);
            *seg = pos;
        }
    }

    fn reject(&mut self, line: u64, text: &[u8], reason: Reason, detail: String) {
        let cap = self.cfg.max_line.min(text.len());
        self.bad.push(BadLine {
            line,
            reason,
            detail,
            text: text[..cap].to_vec(),
        });
    }

    fn header(&mut self, header: Layout, number: u64, first: bool) {
        if header == *self.layout {
            if !first {
                self.notes.push(Note {
                    line: number,
                    message: "repeated header line skipped".into(),
                });
            }
            return;
        }
        if !first {
            self.notes.push(Note {
                line: number,
                message: format!("layout changes to: {}", header.header()),
            });
        }
        self.flush();
        for name in header.unknown_names() {
            if self
                .cfg
                .columns
                .index_of(&Slot::Unknown(name.to_string()))
                .is_none()
            {
                self.notes.push(Note {
                    line: number,
                    message: format!(
                        "field {name} appears only after a layout change, so it has no column in this run; its values are not kept"
                    ),
                });
            }
        }
        self.layout = Arc::new(header);
        self.plan = Plan::new(&self.layout, self.cfg);
        self.reset_columns();
        self.index.clear(self.plan.kinds.len());
    }

    /// Runs the kernels over the indexed rows of the segment `text`, resolves their errors and
    /// adds the rows to the batch (flushing it when full).
    fn segment(&mut self, text: &[u8]) {
        let rows = self.index.rows();
        if rows > 0 {
            self.kernels(text);
            let bad_rows = self.resolve(text);
            self.count(text, &bad_rows);
            if !bad_rows.is_empty() || self.keep.is_some() {
                let keep = self.keep.get_or_insert_with(|| vec![true; self.rows]);
                let base = keep.len();
                keep.resize(base + rows, true);
                for r in bad_rows {
                    keep[base + r] = false;
                }
            }
            self.rows += rows;
        }
        // Bad lines in line order: the structural pass's and the kernels' interleaved.
        self.bad[self.bad_mark..].sort_by_key(|b| b.line);
        self.bad_mark = self.bad.len();
        self.index.clear(self.plan.kinds.len());
        let text_bytes = self.columns.iter().map(|c| match c {
            Column::Built(s) => s.text_bytes(),
            _ => 0,
        });
        if self.rows >= self.cfg.batch_rows || text_bytes.max().unwrap_or(0) >= TEXT_LIMIT {
            self.flush();
            self.reset_columns();
        }
    }

    fn kernels(&mut self, text: &[u8]) {
        let rows = self.index.rows();
        for pos in 0..self.plan.kinds.len() {
            let sink = self.plan.targets[pos].and_then(|t| match &mut self.columns[t] {
                Column::Built(s) => Some(s),
                _ => None,
            });
            let days = if self.plan.start == Some(pos) {
                self.days.as_mut()
            } else {
                None
            };
            let field = Field {
                text,
                index: &self.index,
                pos,
                name: &self.plan.names[pos],
            };
            kernels::run(self.plan.kinds[pos], &field, sink, days, &mut self.errors);
        }
        // A record without `start` has no date: never a day it may not belong to.
        if self.plan.start.is_none()
            && let Some(days) = self.days.as_mut()
        {
            days.append_nulls(rows);
        }
        // A VPC flow-log record names its interface or its log status (ECS and transit-gateway
        // records may leave one of them out, never both).
        if let (Some(i), Some(s)) = (self.plan.interface, self.plan.status) {
            for row in 0..rows {
                if self.index.token(text, row, i) == b"-" && self.index.token(text, row, s) == b"-"
                {
                    self.errors.push(RowError {
                        row: row as u32,
                        pos: u32::MAX,
                        reason: Reason::NoSubject,
                        detail: "interface_id=- log_status=- (a record names at least one)".into(),
                    });
                }
            }
        }
    }

    /// Turns the kernels' errors into bad lines, one per line (its first bad field); the bad
    /// rows, in order.
    fn resolve(&mut self, text: &[u8]) -> Vec<usize> {
        if self.errors.is_empty() {
            return Vec::new();
        }
        let mut errors = std::mem::take(&mut self.errors);
        errors.sort_by_key(|e| (e.row, e.pos));
        errors.dedup_by_key(|e| e.row);
        let mut rows = Vec::with_capacity(errors.len());
        for e in errors.drain(..) {
            let row = e.row as usize;
            let (s, end) = self.index.texts[row];
            let line = text.get(s as usize..end as usize).unwrap_or_default();
            self.reject(self.index.lines[row], line, e.reason, e.detail);
            rows.push(row);
        }
        self.errors = errors;
        rows
    }

    /// Counts the good rows of the segment and their NODATA and SKIPDATA records.
    fn count(&mut self, text: &[u8], bad_rows: &[usize]) {
        let rows = self.index.rows();
        self.counts.records += (rows - bad_rows.len()) as u64;
        let Some(s) = self.plan.status else {
            return;
        };
        let mut bad = bad_rows.iter().peekable();
        for row in 0..rows {
            if bad.peek() == Some(&&row) {
                bad.next();
                continue;
            }
            // log_status was checked to be OK, NODATA or SKIPDATA: the first letter tells.
            match self.index.token(text, row, s).first() {
                Some(b'N') => self.counts.nodata += 1,
                Some(b'S') => self.counts.skipdata += 1,
                _ => {}
            }
        }
    }

    /// Ends the batch. The buffers are left empty; whoever goes on adding rows sizes new ones
    /// first ([`Decoder::reset_columns`]), so the end of a buffer allocates nothing.
    fn flush(&mut self) {
        let rows = std::mem::take(&mut self.rows);
        let keep = self.keep.take();
        if rows == 0 {
            return;
        }
        let schema = self.cfg.schema.clone();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len());
        let mut failed = None;
        for (column, field) in self.columns.iter_mut().zip(schema.fields()) {
            let array = match column {
                Column::Built(sink) => match sink.finish() {
                    Ok(a) => a,
                    Err(e) => {
                        failed = Some(e.to_string());
                        new_null_array(field.data_type(), rows)
                    }
                },
                Column::Date => match self.days.as_mut() {
                    Some(days) => Arc::new(days.finish()),
                    None => new_null_array(field.data_type(), rows),
                },
                Column::Source => {
                    // Keyed by the dictionary type, apart from the all-null Int32 columns.
                    let keys = shared(field.data_type(), rows, |n| {
                        Arc::new(Int32Array::from(vec![0; n]))
                    });
                    let keys = keys.as_primitive::<Int32Type>().clone();
                    let values = Arc::new(StringArray::from(vec![self.origin.name.as_ref()]));
                    Arc::new(DictionaryArray::<Int32Type>::new(keys, values))
                }
                Column::Null => shared(field.data_type(), rows, |n| {
                    new_null_array(field.data_type(), n)
                }),
            };
            arrays.push(array);
        }
        // An empty projection (`count(*)`) still needs the row count.
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch =
            RecordBatch::try_new_with_options(schema, arrays, &options).and_then(|b| match keep {
                Some(keep) => arrow::compute::filter_record_batch(&b, &BooleanArray::from(keep)),
                None => Ok(b),
            });
        match (batch, failed) {
            (Ok(b), None) => {
                if b.num_rows() > 0 {
                    self.batches.push(b);
                }
            }
            // Buffers are typed from the same schema, so this cannot fail; if it ever does,
            // say so loudly rather than drop rows silently.
            (Err(e), _) => self.internal(e.to_string()),
            (_, Some(e)) => self.internal(e),
        }
    }

    fn internal(&mut self, e: String) {
        self.notes.push(Note {
            line: self.lines,
            message: format!("internal error building a batch: {e}"),
        });
    }
}
