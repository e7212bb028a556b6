//! The line decoder: a run of complete lines -> Arrow RecordBatches, bad lines and counts.
//!
//! It works on `&[u8]` and appends to pre-sized Arrow builders; nothing is allocated per row
//! except for the rare percent-decoded tag value. Each line is checked completely (field count,
//! every value, UTF-8, control bytes, length) before anything is appended, so a bad line never
//! leaves half a row behind. Columns outside the projection are checked but not built. Line
//! numbers here are relative to the start of the buffer; the pipeline adds the file offset.
//! Splitting files into buffers and ordering results belong to `parallel`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::Ipv6Addr;
use std::sync::Arc;

use arrow::array::AsArray;
use arrow::array::{
    ArrayRef, Date32Builder, Int32Array, Int32Builder, StringArray, StringBuilder,
    TimestampSecondBuilder, UInt64Builder, new_null_array,
};
use arrow::array::{DictionaryArray, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Int32Type, SchemaRef};

use super::fields::{FIELDS, Kind};
use super::format::{Columns, Layout, Slot};

/// Why a line was rejected. Each reason is counted separately in the run summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The line has more or fewer fields than its layout.
    FieldCount,
    /// A numeric field is not plain decimal digits.
    NotANumber,
    /// A numeric field is outside its range.
    OutOfRange,
    /// `action` or `log-status` is not one of its values.
    BadEnum,
    /// An address field is not an IPv4 or IPv6 address.
    BadAddress,
    /// A percent-encoded value does not decode to UTF-8.
    BadEncoding,
    /// The line is not valid UTF-8.
    InvalidUtf8,
    /// The line holds a control byte.
    ControlByte,
    /// The line is longer than the limit.
    LineTooLong,
    /// An identifier holds something other than printable ASCII.
    BadIdentifier,
    /// Neither the interface nor the log status is given: nothing says what the line records.
    NoSubject,
}

impl Reason {
    /// The reason as printed and counted (`field-count`, `not-a-number`, ...).
    pub fn key(self) -> &'static str {
        match self {
            Reason::FieldCount => "field-count",
            Reason::NotANumber => "not-a-number",
            Reason::OutOfRange => "out-of-range",
            Reason::BadEnum => "bad-value",
            Reason::BadAddress => "bad-address",
            Reason::BadEncoding => "bad-encoding",
            Reason::InvalidUtf8 => "invalid-utf8",
            Reason::ControlByte => "control-byte",
            Reason::LineTooLong => "line-too-long",
            Reason::BadIdentifier => "bad-identifier",
            Reason::NoSubject => "no-interface-or-status",
        }
    }
}

/// One rejected line, kept whole so nothing is lost.
#[derive(Clone, Debug, PartialEq)]
pub struct BadLine {
    /// Line number (relative to the buffer while decoding, 1-based in the file afterwards).
    pub line: u64,
    /// Why it was rejected.
    pub reason: Reason,
    /// Where and what: `dstport=http (expected 0-65535)`, `expected 14 fields, found 13`.
    pub detail: String,
    /// The raw line (without its line ending; capped for over-long lines).
    pub text: Vec<u8>,
}

/// A warning tied to a line (repeated header, layout switch).
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    /// Line number, as for [`BadLine::line`].
    pub line: u64,
    /// The message.
    pub message: String,
}

/// Record counts of a decoded buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Records decoded (all statuses).
    pub records: u64,
    /// Records with log-status NODATA.
    pub nodata: u64,
    /// Records with log-status SKIPDATA.
    pub skipdata: u64,
}

impl Counts {
    /// Adds another count to this one.
    pub fn add(&mut self, o: Counts) {
        self.records += o.records;
        self.nodata += o.nodata;
        self.skipdata += o.skipdata;
    }
}

/// What decoding one buffer produced.
#[derive(Debug)]
pub struct Decoded {
    /// Batches in the projected schema, in line order.
    pub batches: Vec<RecordBatch>,
    /// Rejected lines.
    pub bad: Vec<BadLine>,
    /// Warnings.
    pub notes: Vec<Note>,
    /// Lines in the buffer (including blank, header and bad lines).
    pub lines: u64,
    /// The layout in force after the last line.
    pub layout: Arc<Layout>,
    /// Record counts.
    pub counts: Counts,
}

/// Settings shared by every buffer of a run.
#[derive(Debug)]
pub struct DecodeConfig {
    /// Run-wide columns (known fields, unknown fields, provenance).
    pub columns: Columns,
    /// Columns to output, by run-wide index, in output order.
    pub projection: Vec<usize>,
    /// The output schema (the projection of the full schema).
    pub schema: SchemaRef,
    /// Longest line accepted, in bytes.
    pub max_line: usize,
    /// Rows per output batch at most.
    pub batch_rows: usize,
}

impl DecodeConfig {
    /// A configuration for the given columns and projection (`None` = every column).
    pub fn new(columns: Columns, projection: Option<Vec<usize>>) -> DecodeConfig {
        let projection = projection.unwrap_or_else(|| (0..columns.len()).collect());
        let schema = columns.schema_of(&projection);
        DecodeConfig {
            columns,
            projection,
            schema,
            max_line: 1 << 20,
            batch_rows: 65_536,
        }
    }
}

/// Where a buffer comes from.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The source object, as shown to users and stored in `source_file`.
    pub name: Arc<str>,
}

/// A parsed value, borrowed from the line where possible.
enum Val<'a> {
    Null,
    Int(i32),
    Count(u64),
    Time(i64),
    Text(Cow<'a, str>),
}

enum Builder {
    Int(Int32Builder),
    Count(UInt64Builder),
    Time(TimestampSecondBuilder),
    Text(StringBuilder),
    Date(Date32Builder),
    /// `source_file`: one dictionary value per buffer, so only the row count is needed.
    Source,
    /// A projected column this layout lacks: all nulls, so only the row count is needed.
    Null,
}

impl Builder {
    fn for_column(cfg: &DecodeConfig, column: usize, cap: usize) -> Builder {
        if column == cfg.columns.source_index() {
            return Builder::Source;
        }
        if column == cfg.columns.date_index() {
            return Builder::Date(Date32Builder::with_capacity(cap));
        }
        match cfg.columns.kind(column) {
            Some(Kind::Int { .. }) => Builder::Int(Int32Builder::with_capacity(cap)),
            Some(Kind::Count) => Builder::Count(UInt64Builder::with_capacity(cap)),
            Some(Kind::Time) => {
                Builder::Time(TimestampSecondBuilder::with_capacity(cap).with_timezone("UTC"))
            }
            _ => Builder::Text(StringBuilder::with_capacity(cap, cap * 8)),
        }
    }

    fn append(&mut self, v: &Val) {
        match (self, v) {
            (Builder::Int(b), Val::Int(x)) => b.append_value(*x),
            (Builder::Count(b), Val::Count(x)) => b.append_value(*x),
            (Builder::Time(b), Val::Time(x)) => b.append_value(*x),
            (Builder::Text(b), Val::Text(s)) => b.append_value(s),
            (b, _) => b.append_null(),
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Int(b) => b.append_null(),
            Builder::Count(b) => b.append_null(),
            Builder::Time(b) => b.append_null(),
            Builder::Text(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Source | Builder::Null => {}
        }
    }

    fn finish(
        &mut self,
        rows: usize,
        origin: &Origin,
        field: &arrow::datatypes::Field,
    ) -> ArrayRef {
        match self {
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Count(b) => Arc::new(b.finish()),
            Builder::Time(b) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Source => {
                // Keyed by the dictionary type, apart from the all-null Int32 columns.
                let keys = shared(field.data_type(), rows, |n| {
                    Arc::new(Int32Array::from(vec![0; n]))
                });
                let keys = keys.as_primitive::<Int32Type>().clone();
                let values = Arc::new(StringArray::from(vec![origin.name.as_ref()]));
                Arc::new(DictionaryArray::<Int32Type>::new(keys, values))
            }
            Builder::Null => shared(field.data_type(), rows, |n| {
                new_null_array(field.data_type(), n)
            }),
        }
    }
}

/// Rows of the arrays kept by [`shared`].
const SHARED_ROWS: usize = 1 << 16;

thread_local! {
    /// Per thread, one all-null array per type and one all-zero key array, sliced for every
    /// batch: the columns a layout lacks cost nothing per batch.
    static SHARED: std::cell::RefCell<std::collections::HashMap<DataType, ArrayRef>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// A zero-copy slice of `rows` rows of a constant array made by `make`, kept per thread.
fn shared(key: &DataType, rows: usize, make: impl Fn(usize) -> ArrayRef) -> ArrayRef {
    if rows > SHARED_ROWS {
        return make(rows);
    }
    SHARED.with(|cache| {
        let mut cache = cache.borrow_mut();
        cache
            .entry(key.clone())
            .or_insert_with(|| make(SHARED_ROWS))
            .slice(0, rows)
    })
}

/// A layout compiled against the projection: per position, its kind and its builder.
struct Plan {
    kinds: Vec<Kind>,
    names: Vec<String>,
    targets: Vec<Option<usize>>,
    /// Builders that no position of this layout feeds (all nulls).
    absent: Vec<usize>,
    start: Option<usize>,
    status: Option<usize>,
    /// Where interface-id is, when the layout has it.
    interface: Option<usize>,
    date_builder: Option<usize>,
}

impl Plan {
    fn new(layout: &Layout, cfg: &DecodeConfig) -> Plan {
        let mut targets = Vec::with_capacity(layout.slots.len());
        let mut kinds = Vec::with_capacity(layout.slots.len());
        let mut names = Vec::with_capacity(layout.slots.len());
        let mut fed = vec![false; cfg.projection.len()];
        let (mut start, mut status, mut interface) = (None, None, None);
        for (pos, slot) in layout.slots.iter().enumerate() {
            let column = cfg.columns.index_of(slot);
            let target = column.and_then(|c| cfg.projection.iter().position(|&p| p == c));
            if let Some(t) = target {
                fed[t] = true;
            }
            targets.push(target);
            match slot {
                Slot::Known(i) => {
                    kinds.push(FIELDS[*i].kind);
                    names.push(FIELDS[*i].name.to_string());
                    match FIELDS[*i].name {
                        "start" => start = Some(pos),
                        "log_status" => status = Some(pos),
                        "interface_id" => interface = Some(pos),
                        _ => {}
                    }
                }
                Slot::Unknown(n) => {
                    kinds.push(Kind::Text);
                    names.push(n.clone());
                }
            }
        }
        let source = cfg.columns.source_index();
        let date = cfg.columns.date_index();
        let date_builder = cfg.projection.iter().position(|&p| p == date);
        let absent = (0..cfg.projection.len())
            .filter(|&t| !fed[t] && cfg.projection[t] != source && cfg.projection[t] != date)
            .collect();
        Plan {
            kinds,
            names,
            targets,
            absent,
            start,
            status,
            interface,
            date_builder,
        }
    }
}

const SECONDS_PER_DAY: i64 = 86_400;
/// Larger `start`/`end` values are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
/// Text and Parquet input share this rule.
pub(crate) const MILLIS_THRESHOLD: u64 = 100_000_000_000;

/// Decodes a buffer of complete lines. `file_start` marks the first buffer of a file, whose
/// first line may carry a byte-order mark and the file's header.
pub fn decode(
    bytes: &[u8],
    layout: Arc<Layout>,
    file_start: bool,
    cfg: &DecodeConfig,
    origin: &Origin,
) -> Decoded {
    // Builders sized for this buffer (about 64 bytes a record at least), not for the largest.
    let cap = (bytes.len() / 64 + 16).min(cfg.batch_rows);
    let mut d = Decoder::new(layout, cfg, origin, cap);
    let mut rest = bytes;
    if file_start {
        rest = rest.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(rest);
    }
    // Reused for every line: nothing is allocated per row.
    let mut tokens: Vec<&str> = Vec::with_capacity(64);
    let mut vals: Vec<Val> = Vec::with_capacity(64);
    while !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        d.line(line, file_start && d.lines == 0, &mut tokens, &mut vals);
        d.lines += 1;
        if d.rows >= cfg.batch_rows {
            d.flush();
        }
    }
    d.flush();
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
    builders: Vec<Builder>,
    rows: usize,
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
            builders: Vec::new(),
            rows: 0,
            lines: 0,
            batches: Vec::new(),
            bad: Vec::new(),
            notes: Vec::new(),
            counts: Counts::default(),
            cap,
        };
        d.reset_builders();
        d
    }

    fn reset_builders(&mut self) {
        let cap = self.cap;
        self.builders = (0..self.cfg.projection.len())
            .map(|t| {
                if self.plan.absent.contains(&t) {
                    Builder::Null
                } else {
                    Builder::for_column(self.cfg, self.cfg.projection[t], cap)
                }
            })
            .collect();
    }

    fn flush(&mut self) {
        if self.rows == 0 {
            return;
        }
        let schema = self.cfg.schema.clone();
        let rows = self.rows;
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .zip(schema.fields())
            .map(|(b, f)| b.finish(rows, self.origin, f))
            .collect();
        // An empty projection (`count(*)`) still needs the row count.
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        self.rows = 0;
        match RecordBatch::try_new_with_options(schema, arrays, &options) {
            Ok(b) => self.batches.push(b),
            // Builders are typed from the same schema, so this cannot fail; if it ever does,
            // say so loudly rather than drop rows silently.
            Err(e) => self.notes.push(Note {
                line: self.lines,
                message: format!("internal error building a batch: {e}"),
            }),
        }
    }

    fn switch(&mut self, layout: Layout) {
        self.flush();
        for name in layout.unknown_names() {
            if self
                .cfg
                .columns
                .index_of(&Slot::Unknown(name.to_string()))
                .is_none()
            {
                self.notes.push(Note {
                    line: self.lines,
                    message: format!(
                        "field {name} appears only after a layout change, so it has no column in this run; its values are not kept"
                    ),
                });
            }
        }
        self.layout = Arc::new(layout);
        self.plan = Plan::new(&self.layout, self.cfg);
        self.reset_builders();
    }

    fn reject(&mut self, line: &[u8], reason: Reason, detail: String) {
        let cap = self.cfg.max_line.min(line.len());
        self.bad.push(BadLine {
            line: self.lines,
            reason,
            detail,
            text: line[..cap].to_vec(),
        });
    }

    fn line<'a>(
        &mut self,
        raw: &'a [u8],
        first: bool,
        tokens: &mut Vec<&'a str>,
        vals: &mut Vec<Val<'a>>,
    ) {
        // A line's length is what lies between its line ends (a `\r` and trailing blanks
        // included): what a reader streaming past an over-long line can count.
        if raw.len() > self.cfg.max_line {
            let detail = format!("{} bytes, limit {}", raw.len(), self.cfg.max_line);
            self.reject(trim_end(raw), Reason::LineTooLong, detail);
            return;
        }
        let line = trim_end(raw);
        if line.is_empty() {
            return;
        }
        // Control bytes and UTF-8 are checked once per line; tokens are then plain ASCII or
        // valid UTF-8 and can be stored without further checks.
        // The fast path is one branch-free pass that the compiler vectorises: printable ASCII
        // only (a tab, a control byte, DEL or any non-ASCII byte takes the slow path).
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
                self.reject(line, Reason::ControlByte, detail);
                return;
            }
            tabs = line.contains(&b'\t');
        }
        let Ok(text) = std::str::from_utf8(line) else {
            self.reject(line, Reason::InvalidUtf8, String::new());
            return;
        };
        if line[0].is_ascii_alphabetic()
            && let Some(header) = Layout::parse_header(line)
        {
            if header == *self.layout {
                if !first {
                    self.notes.push(Note {
                        line: self.lines,
                        message: "repeated header line skipped".into(),
                    });
                }
            } else {
                if !first {
                    self.notes.push(Note {
                        line: self.lines,
                        message: format!("layout changes to: {}", header.header()),
                    });
                }
                self.switch(header);
            }
            return;
        }
        split_tokens(text, tabs, tokens);
        let n = self.plan.kinds.len();
        if tokens.len() != n {
            let detail = format!("expected {n} fields, found {}", tokens.len());
            self.reject(line, Reason::FieldCount, detail);
            return;
        }
        vals.clear();
        for (i, tok) in tokens.iter().enumerate() {
            match parse(self.plan.kinds[i], tok) {
                Ok(v) => vals.push(v),
                Err((reason, expected)) => {
                    let detail = format!("{}={}{}", self.plan.names[i], clip(tok, 80), expected);
                    self.reject(line, reason, detail);
                    return;
                }
            }
        }
        // A VPC flow-log record names its interface or its log status (ECS and transit-gateway
        // records may leave one of them out, never both).
        if let (Some(i), Some(s)) = (self.plan.interface, self.plan.status)
            && matches!((&vals[i], &vals[s]), (Val::Null, Val::Null))
        {
            let detail = "interface_id=- log_status=- (a record names at least one)".to_string();
            self.reject(line, Reason::NoSubject, detail);
            return;
        }
        for (v, t) in vals.iter().zip(&self.plan.targets) {
            if let Some(t) = t {
                self.builders[*t].append(v);
            }
        }
        let start = self.plan.start.and_then(|p| match vals[p] {
            Val::Time(t) => Some(t),
            _ => None,
        });
        if let Some(b) = self.plan.date_builder {
            // A record without `start` has no date: never a day it may not belong to.
            let day = start.map(|t| t.div_euclid(SECONDS_PER_DAY) as i32);
            if let Builder::Date(b) = &mut self.builders[b] {
                b.append_option(day);
            }
        }
        // log_status was checked to be OK, NODATA or SKIPDATA: the first letter tells.
        if let Some(p) = self.plan.status
            && let Val::Text(s) = &vals[p]
        {
            match s.as_bytes().first() {
                Some(b'N') => self.counts.nodata += 1,
                Some(b'S') => self.counts.skipdata += 1,
                _ => {}
            }
        }
        self.counts.records += 1;
        self.rows += 1;
    }
}

/// Splits on runs of spaces (and tabs, when the line has any). Cutting next to an ASCII byte
/// always lands on a character boundary, so the slices are plain `&str`. Spaces are found eight
/// bytes at a time (a SWAR zero-byte test), which matters: this is the hottest loop.
fn split_tokens<'a>(text: &'a str, tabs: bool, tokens: &mut Vec<&'a str>) {
    tokens.clear();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut cut = |i: usize, tokens: &mut Vec<&'a str>| {
        if i > start {
            tokens.push(text.get(start..i).unwrap_or_default());
        }
        start = i + 1;
    };
    let mut base = 0;
    if !tabs {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            let mut mask = space_mask(w);
            while mask != 0 {
                cut(base + (mask.trailing_zeros() / 8) as usize, tokens);
                mask &= mask - 1;
            }
            base += 8;
        }
    }
    for (i, &b) in bytes.iter().enumerate().skip(base) {
        if b == b' ' || (tabs && b == b'\t') {
            cut(i, tokens);
        }
    }
    if bytes.len() > start {
        tokens.push(text.get(start..).unwrap_or_default());
    }
}

/// The high bit of every byte of `w` that is an ASCII space, exactly (no false positives).
fn space_mask(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let t = w ^ 0x2020_2020_2020_2020;
    !(((t & LOW7).wrapping_add(LOW7)) | t | LOW7)
}

fn trim_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    &line[..end]
}

type ParseError = (Reason, String);

/// Parses one token of the given kind. `-` is null for every kind.
fn parse(kind: Kind, tok: &str) -> Result<Val<'_>, ParseError> {
    let bytes = tok.as_bytes();
    if bytes.len() == 1 && bytes[0] == b'-' {
        return Ok(Val::Null);
    }
    match kind {
        Kind::Int { min, max } => match digits(bytes) {
            Some(Some(v)) if v >= min as u64 && v <= max as u64 => Ok(Val::Int(v as i32)),
            Some(_) => Err((Reason::OutOfRange, format!(" (expected {min}-{max})"))),
            None => Err((Reason::NotANumber, String::new())),
        },
        Kind::Count => match digits(bytes) {
            Some(Some(v)) => Ok(Val::Count(v)),
            Some(None) => Err((Reason::OutOfRange, " (more than 64 bits)".into())),
            None => Err((Reason::NotANumber, String::new())),
        },
        Kind::Time => match digits(bytes) {
            Some(Some(v)) if v >= MILLIS_THRESHOLD => Ok(Val::Time((v / 1000) as i64)),
            Some(Some(v)) => Ok(Val::Time(v as i64)),
            Some(None) => Err((Reason::OutOfRange, " (more than 64 bits)".into())),
            None => Err((Reason::NotANumber, String::new())),
        },
        Kind::Enum(values) => values
            .iter()
            // A byte loop: short words, no call to memcmp per row.
            .find(|v| v.len() == bytes.len() && v.bytes().zip(bytes).all(|(a, b)| a == *b))
            .map(|v| Val::Text(Cow::Borrowed(*v)))
            .ok_or_else(|| {
                (
                    Reason::BadEnum,
                    format!(" (expected {})", values.join(", ")),
                )
            }),
        Kind::Addr => {
            if is_ipv4(bytes) || is_ipv6(tok) {
                Ok(Val::Text(Cow::Borrowed(tok)))
            } else {
                Err((Reason::BadAddress, String::new()))
            }
        }
        Kind::Text => Ok(Val::Text(Cow::Borrowed(tok))),
        Kind::Id => {
            if bytes.iter().all(|b| (0x21..=0x7e).contains(b)) {
                Ok(Val::Text(Cow::Borrowed(tok)))
            } else {
                Err((Reason::BadIdentifier, " (expected printable ASCII)".into()))
            }
        }
        Kind::Encoded => {
            if bytes.contains(&b'%') {
                percent_decode(bytes)
                    .map(|s| Val::Text(Cow::Owned(s)))
                    .ok_or((Reason::BadEncoding, String::new()))
            } else {
                Ok(Val::Text(Cow::Borrowed(tok)))
            }
        }
    }
}

/// Plain decimal digits, in one pass: `None` if not digits, `Some(None)` if they overflow u64.
fn digits(tok: &[u8]) -> Option<Option<u64>> {
    if tok.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    for &b in tok {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        match v.checked_mul(10).and_then(|x| x.checked_add(u64::from(d))) {
            Some(x) => v = x,
            None => overflow = true,
        }
    }
    Some((!overflow).then_some(v))
}

/// The first `max` characters of a value, for messages.
fn clip(tok: &str, max: usize) -> &str {
    match tok.char_indices().nth(max) {
        Some((i, _)) => &tok[..i],
        None => tok,
    }
}

/// Dotted-quad IPv4 without leading zeros in multi-digit octets, checked in one pass.
pub fn is_ipv4(tok: &[u8]) -> bool {
    if !(7..=15).contains(&tok.len()) {
        return false;
    }
    let (mut dots, mut value, mut len) = (0, 0u32, 0);
    for &b in tok {
        if b == b'.' {
            if len == 0 || dots == 3 {
                return false;
            }
            dots += 1;
            value = 0;
            len = 0;
            continue;
        }
        let d = b.wrapping_sub(b'0');
        if d > 9 || (len == 1 && value == 0) {
            return false;
        }
        value = value * 10 + u32::from(d);
        len += 1;
        if value > 255 {
            return false;
        }
    }
    dots == 3 && len > 0
}

fn is_ipv6(tok: &str) -> bool {
    tok.contains(':') && tok.parse::<Ipv6Addr>().is_ok()
}

fn percent_decode(tok: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(tok.len());
    let mut i = 0;
    while i < tok.len() {
        if tok[i] == b'%' {
            let hex = tok.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(tok[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Counts of rejected lines by reason key, for summaries.
pub type ReasonCounts = BTreeMap<&'static str, u64>;

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{TimestampSecondType, UInt64Type};

    fn run(text: &str) -> Decoded {
        let cfg = DecodeConfig::new(Columns::default(), None);
        let origin = Origin {
            name: "test.log".into(),
        };
        decode(
            text.as_bytes(),
            Arc::new(Layout::default_v2()),
            true,
            &cfg,
            &origin,
        )
    }

    fn col<'a>(d: &'a Decoded, name: &str) -> &'a ArrayRef {
        let b = &d.batches[0];
        b.column(b.schema().index_of(name).expect("column"))
    }

    #[test]
    fn default_records_and_nodata() {
        let d = run(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\r\n\
\n\
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA   \n\
2 123456789010 eni-4b118871 - - - - - - - 1512564058000 1512564059000 - SKIPDATA",
        );
        assert!(d.bad.is_empty(), "{:?}", d.bad);
        assert!(d.notes.is_empty());
        assert_eq!(d.lines, 5);
        assert_eq!(
            d.counts,
            Counts {
                records: 3,
                nodata: 1,
                skipdata: 1
            }
        );
        let bytes = col(&d, "bytes").as_primitive::<UInt64Type>();
        assert_eq!(bytes.value(0), 4249);
        assert!(bytes.is_null(1));
        let start = col(&d, "start").as_primitive::<TimestampSecondType>();
        assert_eq!(start.value(2), 1512564058);
        assert_eq!(col(&d, "action").null_count(), 2);
        assert_eq!(col(&d, "vpc_id").null_count(), 3);
        assert_eq!(col(&d, "source_file").len(), 3);
    }

    #[test]
    fn bad_lines_are_reported_with_field_and_value() {
        let d = run("2 1 eni-1 10.0.0.1 10.0.0.2 http 22 6 1 1 1 1 ACCEPT OK\n\
2 1 eni-1 10.0.0.1 10.0.0.2 70000 22 6 1 1 1 1 ACCEPT OK\n\
2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1 1 ALLOW OK\n\
2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1 ACCEPT OK\n\
2 1 eni-1 10.0.0.1 10.0.0.300 1 22 6 1 1 1 1 ACCEPT OK\n\
2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 -1 1 1 1 ACCEPT OK\n\
2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 99999999999999999999 1 1 ACCEPT OK\n");
        let got: Vec<(u64, &str, &str)> = d
            .bad
            .iter()
            .map(|b| (b.line, b.reason.key(), b.detail.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, "not-a-number", "srcport=http"),
                (1, "out-of-range", "srcport=70000 (expected 0-65535)"),
                (2, "bad-value", "action=ALLOW (expected ACCEPT, REJECT)"),
                (3, "field-count", "expected 14 fields, found 13"),
                (4, "bad-address", "dstaddr=10.0.0.300"),
                (5, "not-a-number", "packets=-1"),
                (
                    6,
                    "out-of-range",
                    "bytes=99999999999999999999 (more than 64 bits)"
                ),
            ]
        );
        assert_eq!(d.counts.records, 0);
    }

    #[test]
    fn headers_switch_and_repeat() {
        let d = run(
            "version srcaddr\n2 10.0.0.1\nversion srcaddr\n2 10.0.0.2\nsrcaddr version\n10.0.0.3 2\n",
        );
        assert!(d.bad.is_empty(), "{:?}", d.bad);
        let notes: Vec<_> = d
            .notes
            .iter()
            .map(|n| (n.line, n.message.as_str()))
            .collect();
        assert_eq!(
            notes,
            vec![
                (2, "repeated header line skipped"),
                (4, "layout changes to: srcaddr version")
            ]
        );
        let rows: usize = d.batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, 3);
    }

    #[test]
    fn tokens_split_on_runs_of_spaces() {
        let mut t = Vec::new();
        for (line, tabs, want) in [
            ("a b  c", false, vec!["a", "b", "c"]),
            ("  lead and trail  ", false, vec!["lead", "and", "trail"]),
            (
                "0123456 89abcdef 0123456789 x",
                false,
                vec!["0123456", "89abcdef", "0123456789", "x"],
            ),
            ("tab\tsep  x", true, vec!["tab", "sep", "x"]),
            (
                "\u{e9}t\u{e9} caf\u{e9}  \u{2014}",
                false,
                vec!["\u{e9}t\u{e9}", "caf\u{e9}", "\u{2014}"],
            ),
            ("", false, vec![]),
        ] {
            split_tokens(line, tabs, &mut t);
            assert_eq!(t, want, "{line:?}");
        }
        // Every byte value next to a space: the mask has no false positives.
        for b in 0u8..=255 {
            let w = u64::from_le_bytes([b, b' ', b, b, b' ', b, b, b]);
            let expect = if b == b' ' {
                0x8080_8080_8080_8080
            } else {
                0x0000_0080_0000_8000
            };
            assert_eq!(space_mask(w), expect, "{b}");
        }
    }

    #[test]
    fn ipv4_check() {
        for ok in ["0.0.0.0", "10.0.0.1", "255.255.255.255"] {
            assert!(is_ipv4(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "a.b.c.d",
            "1..2.3",
        ] {
            assert!(!is_ipv4(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn control_bytes_and_utf8() {
        let d = run(
            "2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1 1 ACCEPT \x01OK\n2 1 eni-\u{e9} 10.0.0.1 10.0.0.2 1 22 6 1 1 1 1 ACCEPT OK\n",
        );
        // Multi-byte UTF-8 is no control byte; in an identifier it is not ASCII either.
        assert_eq!(d.bad.len(), 2);
        assert_eq!(d.bad[0].reason, Reason::ControlByte);
        assert_eq!(d.bad[1].reason, Reason::BadIdentifier);
        assert_eq!(d.counts.records, 0);
    }
}
