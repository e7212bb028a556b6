//! The line decoder: a run of complete lines -> Arrow RecordBatches, bad lines and counts.
//!
//! It decodes column by column. A structural pass (`scan`) cuts a segment of lines (a few
//! hundred kilobytes, so that it stays in cache) into rows of field spans, checking each line
//! whole on the way: length, control bytes, UTF-8, field count. Then one typed kernel per field
//! (`kernels`) runs down that field's spans, checking every value and, for the columns of the
//! projection, writing it straight into Arrow buffers; columns outside the projection are checked
//! but never built. A kernel that meets a bad value records the row and the reason; the first
//! bad field of a line (in layout order) is the one reported, and bad rows are filtered out of
//! the batch before it leaves (`columnar`), so a bad line never leaves half a row behind.
//!
//! Line numbers here are relative to the start of the buffer; the pipeline adds the file offset.
//! Splitting files into buffers and ordering results belong to `parallel`.

mod columnar;
mod kernels;
mod scan;

pub use columnar::decode;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef};
use wide::u8x16;

use super::fields::{FIELDS, Kind};
use super::format::{Columns, Layout, Slot};
use crate::net;

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
        let projection = projection.unwrap_or_else(|| (0..columns.width()).collect());
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

const SECONDS_PER_DAY: i64 = 86_400;
/// Larger `start`/`end` values are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
/// Text and Parquet input share this rule.
pub(crate) const MILLIS_THRESHOLD: u64 = 100_000_000_000;

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

/// A bit per byte of `bytes` (at most 64, in whole 16s) where `test` holds, 16 bytes at a
/// time (SIMD where the target has it).
#[inline(always)]
fn byte_mask(bytes: &[u8], test: impl Fn(u8x16) -> u8x16) -> u64 {
    let mut mask = 0;
    for (k, chunk) in bytes.chunks_exact(16).enumerate() {
        let x = u8x16::from(<[u8; 16]>::try_from(chunk).unwrap_or_default());
        mask |= u64::from(test(x).move_mask() as u16) << (16 * k);
    }
    mask
}

/// The lanes of `x` whose byte lies in `low..=high`.
#[inline(always)]
fn in_range(x: u8x16, low: u8, high: u8) -> u8x16 {
    let y = x - u8x16::splat(low);
    y.min(u8x16::splat(high - low)).cmp_eq(y)
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

/// Plain decimal digits, in one pass: `None` if not digits, `Some(None)` if they overflow u64.
#[inline]
fn digits(tok: &[u8]) -> Option<Option<u64>> {
    if tok.is_empty() {
        return None;
    }
    // Up to 19 digits cannot overflow: no checked arithmetic on the common path.
    if tok.len() <= 19 {
        let mut v: u64 = 0;
        for &b in tok {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + u64::from(d);
        }
        return Some(Some(v));
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

/// Dotted-quad IPv4 without leading zeros in multi-digit octets: what [`net::dotted_quad`]
/// reads.
pub fn is_ipv4(tok: &[u8]) -> bool {
    net::dotted_quad(tok).is_some()
}

/// Whether `tok` is an IPv6 address as `std` reads one ([`std::net::Ipv6Addr`]'s `FromStr`), without
/// building it: eight groups of one to four hex digits separated by `:`, or fewer with one
/// `::` standing for at least one group; the last two groups may be written as an IPv4 address.
fn is_ipv6(tok: &[u8]) -> bool {
    if tok == b"::" {
        return true;
    }
    if !(3..=45).contains(&tok.len()) {
        return false;
    }
    // Where the colons are (a bit each), and whether any byte is neither a hex digit nor a
    // colon. A dot means an IPv4 tail: the piece-by-piece check.
    let mut padded = [0u8; 48];
    padded[..tok.len()].copy_from_slice(tok);
    let is = |b: u8| move |x: u8x16| x.cmp_eq(u8x16::splat(b));
    let colons = byte_mask(&padded, is(b':'));
    let dots = byte_mask(&padded, is(b'.'));
    let good = byte_mask(&padded, |x| {
        in_range(x, b'0', b'9') | in_range(x | u8x16::splat(0x20), b'a', b'f') | is(b':')(x)
    });
    let all = (1u64 << tok.len()) - 1;
    if dots & all != 0 {
        return ipv6_pieces(tok);
    }
    if good & all != all {
        return false;
    }
    let Some((mut start, end)) = ipv6_body(tok) else {
        return false;
    };
    // The colons inside the body `start..end`, and the pieces between them.
    let mut cuts = colons & ((1u64 << end) - 1) & !((1u64 << start) - 1);
    let (mut groups, mut gaps) = (0, 0);
    loop {
        let cut = if cuts == 0 {
            end
        } else {
            cuts.trailing_zeros() as usize
        };
        match cut - start {
            0 => gaps += 1,
            1..=4 => groups += 1,
            _ => return false,
        }
        if cuts == 0 {
            break;
        }
        cuts &= cuts - 1;
        start = cut + 1;
    }
    ipv6_complete(groups, gaps)
}

/// The body of an address of at least three bytes, where pieces are cut at colons: a `::` at
/// either end leaves one empty piece there, like one inside; a lone `:` at either end is wrong.
fn ipv6_body(tok: &[u8]) -> Option<(usize, usize)> {
    let (mut start, mut end) = (0, tok.len());
    if tok.starts_with(b"::") {
        start = 1;
    } else if tok.starts_with(b":") {
        return None;
    }
    if tok.ends_with(b"::") {
        end -= 1;
    } else if tok.ends_with(b":") {
        return None;
    }
    Some((start, end))
}

/// Whether `groups` groups and `gaps` empty pieces make an address: eight groups, or fewer
/// and one `::`.
fn ipv6_complete(groups: usize, gaps: usize) -> bool {
    match gaps {
        0 => groups == 8,
        1 => groups <= 7,
        _ => false,
    }
}

/// [`is_ipv6`] piece by piece, for addresses whose last two groups may be an IPv4 address.
fn ipv6_pieces(tok: &[u8]) -> bool {
    let Some((start, end)) = ipv6_body(tok) else {
        return false;
    };
    let body = &tok[start..end];
    let (mut groups, mut gaps) = (0, 0);
    let mut pieces = body.split(|&b| b == b':').peekable();
    while let Some(piece) = pieces.next() {
        if piece.is_empty() {
            gaps += 1;
        } else if pieces.peek().is_none() && piece.contains(&b'.') {
            if !is_ipv4(piece) {
                return false;
            }
            groups += 2;
        } else if piece.len() <= 4 && piece.iter().all(u8::is_ascii_hexdigit) {
            groups += 1;
        } else {
            return false;
        }
    }
    ipv6_complete(groups, gaps)
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
    use std::net::Ipv6Addr;

    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{TimestampSecondType, UInt64Type};
    use proptest::prelude::*;

    /// Pieces of IPv6 text, good and bad, from which random candidates are put together.
    const IPV6_PIECES: &[&str] = &[
        "",
        "0",
        "1",
        "ff",
        "FFFF",
        "abcd",
        "12345",
        "0000",
        "00000",
        "1.2.3.4",
        "01.2.3.4",
        "255.255.255.255",
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        ":",
        "::",
        ":::",
        ".",
        "g",
        "%",
        " ",
    ];

    #[test]
    fn ipv6_is_read_as_std_reads_it_in_its_edge_cases() {
        for text in [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1::8",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1.2.3.4::",
            "::1.2.3.4:5",
            "fe80::1%eth0",
            ":::",
            "1:::2",
            "12345::",
            "::01.2.3.4",
            "::1.2.3.256",
            "",
            ":",
            "1:2:3:4:5:6:7:8:9",
            "::0:0:0:0:0:0:0",
            "0:0:0:0:0:0:0::",
            "1:2:3:4:5:6:7::8",
            "::1.2.3.4.5",
            "1::2::3",
            "::ffff:0.0.0.0",
            "1::1.2.3.4",
        ] {
            let std = text.parse::<Ipv6Addr>().is_ok();
            assert_eq!(is_ipv6(text.as_bytes()), std, "{text:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Random pieces put together, and every address `std` writes (with one byte changed):
        /// the validator says what `std`'s parser says.
        #[test]
        fn ipv6_is_read_as_std_reads_it(
            pieces in proptest::collection::vec(proptest::sample::select(IPV6_PIECES), 0..14),
            groups in proptest::array::uniform8(prop_oneof![Just(0u16), Just(0xffff), any::<u16>()]),
            flip in any::<(usize, u8)>(),
        ) {
            let joined = pieces.concat();
            let written = Ipv6Addr::from(groups).to_string();
            let mut changed = written.clone().into_bytes();
            let at = flip.0 % changed.len();
            changed[at] = b"0:.fg"[usize::from(flip.1) % 5];
            for text in [joined.as_bytes(), written.as_bytes(), &changed[..]] {
                let std = std::str::from_utf8(text).is_ok_and(|t| t.parse::<Ipv6Addr>().is_ok());
                prop_assert_eq!(is_ipv6(text), std, "{:?}", String::from_utf8_lossy(text));
            }
        }
    }

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
    fn a_count_without_columns_leaves_bad_rows_out() {
        // `count(*)`: no column built, every field still checked.
        let cfg = DecodeConfig::new(Columns::default(), Some(Vec::new()));
        let origin = Origin {
            name: "c.log".into(),
        };
        let text = "2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1 1 ACCEPT OK\n\
2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1 1 ALLOW OK\n\
2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1 1 REJECT OK\n";
        let d = decode(
            text.as_bytes(),
            Arc::new(Layout::default_v2()),
            true,
            &cfg,
            &origin,
        );
        let rows: usize = d.batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!((rows, d.counts.records, d.bad.len()), (2, 2, 1));
        assert_eq!(d.bad[0].line, 1);
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
    fn the_space_mask_is_exact() {
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

    /// Tokens for a field of `kind`: good ones first, then bad ones.
    fn tokens(kind: Kind) -> (&'static [&'static str], &'static [&'static str]) {
        match kind {
            Kind::Int { .. } => (
                &["0", "22", "6", "65535", "-"],
                &["http", "70000", "-1", "", "007x"],
            ),
            Kind::Count => (
                &["0", "4249", "18446744073709551615", "-"],
                &["18446744073709551616", "1e3", "+1"],
            ),
            Kind::Time => (
                &["1418530010", "1512564058000", "0", "-"],
                &["99999999999999999999", "12:00"],
            ),
            Kind::Addr => (
                &["10.0.0.1", "255.255.255.255", "2001:db8::1", "::", "-"],
                &["10.0.0.300", "01.2.3.4", "2001:db8:::1", "host"],
            ),
            Kind::Enum(_) => (
                &["ACCEPT", "REJECT", "OK", "NODATA", "SKIPDATA", "-"],
                &["ALLOW", "ok"],
            ),
            Kind::Id => (
                &["eni-1235b8ca123456789", "unknown", "vpc-0a1", "-"],
                &["eni-\u{e9}"],
            ),
            Kind::Text => (&["i-01", "caf\u{e9}", "-", "x\ty"], &[]),
            Kind::Encoded => (
                &["env%3Dprod", "plain", "%C3%A9t%C3%A9", "-"],
                &["%zz", "%C3", "50%"],
            ),
        }
    }

    /// A random log over `layouts` (the first in force at the start): records with good and
    /// bad values, wrong field counts, blank lines, repeated and switching headers, control
    /// bytes, bad UTF-8, over-long lines, CRLF and tabs, all driven by `draws`.
    fn random_log(layouts: &[Vec<usize>], draws: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut layout = &layouts[0];
        let mut it = draws.iter().copied().cycle();
        let mut next = move || it.next().unwrap_or(0);
        for _ in 0..draws.len() / 4 {
            let what = next() % 100;
            let sep: &[u8] = if next() % 9 == 0 {
                b"\t"
            } else if next() % 5 == 0 {
                b"  "
            } else {
                b" "
            };
            let end: &[u8] = if next() % 7 == 0 { b"\r\n" } else { b"\n" };
            match what {
                0..=2 => {}
                3..=5 => {
                    layout = &layouts[(next() as usize) % layouts.len()];
                    let names: Vec<String> = layout
                        .iter()
                        .map(|&i| FIELDS[i].name.replace('_', "-"))
                        .collect();
                    out.extend_from_slice(names.join(" ").as_bytes());
                }
                6 => out.extend_from_slice(b"2 bad\x01line"),
                7 => out.extend_from_slice(b"2 \xff\xfe"),
                8 => out.extend_from_slice(&vec![b'7'; 300]),
                _ => {
                    let mut width = layout.len();
                    if what == 9 {
                        width = (next() as usize) % (layout.len() + 2);
                    }
                    for k in 0..width {
                        let kind = FIELDS[layout[k % layout.len()]].kind;
                        let (good, bad) = tokens(kind);
                        let tok = if !bad.is_empty() && next() % 40 == 0 {
                            bad[(next() as usize) % bad.len()]
                        } else {
                            good[(next() as usize) % good.len()]
                        };
                        if k > 0 {
                            out.extend_from_slice(sep);
                        }
                        out.extend_from_slice(tok.as_bytes());
                    }
                }
            }
            out.extend_from_slice(end);
        }
        out
    }

    /// The decoded batches as one, for comparing decoders that cut batches differently.
    fn rows_of(cfg: &DecodeConfig, d: &Decoded) -> RecordBatch {
        arrow::compute::concat_batches(&cfg.schema, &d.batches).expect("one schema")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn cuts_batch_sizes_and_projections_change_nothing_but_the_columns_built(
            orders in prop::collection::vec(
                Just((0..FIELDS.len()).collect::<Vec<usize>>()).prop_shuffle(), 1..3),
            widths in prop::collection::vec(1..FIELDS.len(), 2),
            draws in prop::collection::vec(any::<u32>(), 0..4000),
            batch_rows in 1usize..40,
            projection in prop::collection::vec(any::<bool>(), FIELDS.len() + 2),
            cut in any::<prop::sample::Index>(),
        ) {
            let layouts: Vec<Vec<usize>> = orders
                .iter()
                .zip(widths.iter().cycle())
                .map(|(o, &w)| o[..w].to_vec())
                .collect();
            let text = random_log(&layouts, &draws);
            let origin = Origin { name: "p.log".into() };
            let layout = Arc::new(Layout::parse_format(
                &layouts[0].iter().map(|&i| FIELDS[i].name).collect::<Vec<_>>().join(" "),
            ).expect("layout"));
            let mut whole_cfg = DecodeConfig::new(Columns::default(), None);
            whole_cfg.max_line = 200;
            let whole = decode(&text, layout.clone(), true, &whole_cfg, &origin);
            let all = rows_of(&whole_cfg, &whole);

            let columns = Columns::default();
            let projection: Vec<usize> = (0..columns.width())
                .filter(|&c| projection.get(c).copied().unwrap_or(true))
                .collect();
            let mut cfg = DecodeConfig::new(columns, Some(projection.clone()));
            cfg.batch_rows = batch_rows;
            cfg.max_line = 200;
            let expected = all.project(&projection).expect("projection");

            // The general path alone (no quick path for plain lines) reads the same.
            columnar::GENERAL_ONLY.with(|g| g.set(true));
            let general = decode(&text, layout.clone(), true, &whole_cfg, &origin);
            columnar::GENERAL_ONLY.with(|g| g.set(false));
            prop_assert_eq!(&general.bad, &whole.bad);
            prop_assert_eq!(&general.notes, &whole.notes);
            prop_assert_eq!((general.lines, general.counts), (whole.lines, whole.counts));
            prop_assert_eq!(rows_of(&whole_cfg, &general), all.clone());

            // Projected and in small batches: the same lines, the projected columns.
            let d = decode(&text, layout.clone(), true, &cfg, &origin);
            prop_assert_eq!(&d.bad, &whole.bad);
            prop_assert_eq!(&d.notes, &whole.notes);
            prop_assert_eq!((d.lines, d.counts), (whole.lines, whole.counts));
            prop_assert_eq!(&d.layout, &whole.layout);
            prop_assert_eq!(rows_of(&cfg, &d), expected.clone());
            prop_assert!(d.batches.iter().all(|b| b.num_rows() > 0 && b.num_rows() <= batch_rows));

            // In two buffers cut at a line end, the second under the layout the first ends in.
            let at = cut.index(text.len() + 1);
            let at = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
            let first = decode(&text[..at], layout, true, &cfg, &origin);
            let second = decode(&text[at..], first.layout.clone(), false, &cfg, &origin);
            let mut bad = first.bad.clone();
            bad.extend(second.bad.iter().map(|b| BadLine { line: b.line + first.lines, ..b.clone() }));
            prop_assert_eq!(&bad, &whole.bad);
            let mut counts = first.counts;
            counts.add(second.counts);
            prop_assert_eq!(counts, whole.counts);
            let batches: Vec<RecordBatch> = first.batches.iter().chain(&second.batches).cloned().collect();
            let joined = arrow::compute::concat_batches(&cfg.schema, &batches).expect("one schema");
            prop_assert_eq!(joined, expected);
        }
    }
}
