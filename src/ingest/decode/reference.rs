//! The row-at-a-time decoder that the columnar one replaced, kept as the reference that tests
//! compare it with: tokens of each line into values, values into builders.

use std::borrow::Cow;

use arrow::array::AsArray;
use arrow::array::{
    ArrayRef, Date32Builder, Int32Array, Int32Builder, StringArray, StringBuilder,
    TimestampSecondBuilder, UInt64Builder, new_null_array,
};
use arrow::array::{DictionaryArray, RecordBatch, RecordBatchOptions};
use arrow::datatypes::Int32Type;

use super::*;

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

/// Decodes a buffer of complete lines. `file_start` marks the first buffer of a file, whose
/// first line may carry a byte-order mark and the file's header.
pub(super) fn decode(
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
