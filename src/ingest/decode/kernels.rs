//! The column kernels: one typed loop per kind of field, down one field of every row of a
//! segment, checking each value and (for projected columns) appending it to an Arrow buffer.
//!
//! Every row gets exactly one value or null in a projected column, a bad value included (as a
//! null), so that the columns stay aligned; the bad row is recorded in the error list and
//! filtered out of the batch later. `-` is null for every kind.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::NullBufferBuilder;
use arrow::array::{
    ArrayRef, Date32Builder, Int32Builder, StringArray, TimestampSecondBuilder, UInt64Builder,
};
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use wide::u8x16;

use super::scan::Index;
use super::{
    MILLIS_THRESHOLD, Reason, SECONDS_PER_DAY, clip, digits, in_range, is_ipv6, percent_decode,
};
use crate::ingest::fields::Kind;

/// A bad value found by a kernel.
#[derive(Debug)]
pub(super) struct RowError {
    /// The row of the segment.
    pub row: u32,
    /// The field's position in the layout (`u32::MAX` for whole-record checks, which come
    /// after every field's).
    pub pos: u32,
    /// Why.
    pub reason: Reason,
    /// `name=value (expected ...)`.
    pub detail: String,
}

/// The output buffer of one projected column.
pub(super) enum Sink {
    /// Int32 values.
    Int(Int32Builder),
    /// UInt64 values.
    Count(UInt64Builder),
    /// UTC timestamps in seconds.
    Time(TimestampSecondBuilder),
    /// Utf8 values.
    Text(TextSink),
}

impl Sink {
    /// An empty buffer for a column of `kind`, with room for `rows` rows.
    pub fn new(kind: Kind, rows: usize) -> Sink {
        match kind {
            Kind::Int { .. } => Sink::Int(Int32Builder::with_capacity(rows)),
            Kind::Count => Sink::Count(UInt64Builder::with_capacity(rows)),
            Kind::Time => {
                Sink::Time(TimestampSecondBuilder::with_capacity(rows).with_timezone("UTC"))
            }
            _ => Sink::Text(TextSink::with_capacity(rows)),
        }
    }

    /// Bytes of text held, for columns of text (0 for the others).
    pub fn text_bytes(&self) -> usize {
        match self {
            Sink::Text(t) => t.values.len(),
            _ => 0,
        }
    }

    /// The column so far, as an array; the buffer is left empty, without room.
    pub fn finish(&mut self) -> Result<ArrayRef, arrow::error::ArrowError> {
        Ok(match self {
            Sink::Int(b) => Arc::new(b.finish()),
            Sink::Count(b) => Arc::new(b.finish()),
            Sink::Time(b) => Arc::new(b.finish()),
            Sink::Text(t) => Arc::new(t.finish()?),
        })
    }
}

/// A Utf8 column under construction: values end to end, their end offsets and validity.
pub(super) struct TextSink {
    offsets: Vec<i32>,
    values: Vec<u8>,
    nulls: NullBufferBuilder,
    /// The rows the batch is expected to hold, to size the values once their width is known.
    rows: usize,
}

impl TextSink {
    fn with_capacity(rows: usize) -> TextSink {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        TextSink {
            offsets,
            values: Vec::new(),
            nulls: NullBufferBuilder::new(rows),
            rows,
        }
    }

    /// Room for the segment's values of the field `f`: their exact bytes (and the 32 that a
    /// copy writes past a value), so that no value of the segment reallocates. The first
    /// segment of a batch sizes the values for the whole batch at its width: a column is sized
    /// by what it holds (a 6-byte action or a 40-byte address), not by a guess per row.
    fn reserve(&mut self, f: &Field) {
        let bytes: usize = f.index.spans(f.pos).map(|(s, e)| e - s).sum();
        let rows = f.index.rows().max(1);
        let want = if self.values.capacity() == 0 {
            bytes.saturating_mul(self.rows.max(rows)) / rows + 32
        } else {
            bytes + 32
        };
        self.values.reserve(want);
    }

    /// Appends `text[s..e]`. A short value is copied as a whole 16- or 32-byte window (the
    /// text goes on past it) and cut back: a copy of a fixed size is a few moves, where a copy
    /// of any size is a call.
    #[inline(always)]
    fn copy(&mut self, text: &[u8], s: usize, e: usize) {
        let len = e.saturating_sub(s);
        let at = self.values.len();
        if let (true, Some(w)) = (len <= 16, text.get(s..s + 16)) {
            let w: &[u8; 16] = w.try_into().unwrap_or(&[0; 16]);
            self.values.extend_from_slice(w);
            self.values.truncate(at + len);
        } else if let (true, Some(w)) = (len <= 32, text.get(s..s + 32)) {
            let w: &[u8; 32] = w.try_into().unwrap_or(&[0; 32]);
            self.values.extend_from_slice(w);
            self.values.truncate(at + len);
        } else {
            self.values
                .extend_from_slice(text.get(s..e).unwrap_or_default());
        }
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_non_null();
    }

    #[inline(always)]
    fn value(&mut self, v: &[u8]) {
        self.values.extend_from_slice(v);
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_non_null();
    }

    #[inline(always)]
    fn null(&mut self) {
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_null();
    }

    fn finish(&mut self) -> Result<StringArray, arrow::error::ArrowError> {
        let done = std::mem::replace(self, TextSink::with_capacity(0));
        let mut nulls = done.nulls;
        StringArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(done.offsets)),
            Buffer::from_vec(done.values),
            nulls.finish(),
        )
    }
}

/// One field of every row of a segment.
pub(super) struct Field<'a> {
    /// The segment's bytes.
    pub text: &'a [u8],
    /// Its rows.
    pub index: &'a Index,
    /// The field's position in the layout.
    pub pos: usize,
    /// The field's name, for messages.
    pub name: &'a str,
}

impl Field<'_> {
    fn fail(&self, errs: &mut Vec<RowError>, row: usize, reason: Reason, tok: &[u8], why: &str) {
        errs.push(RowError {
            row: row as u32,
            pos: self.pos as u32,
            reason,
            detail: format!(
                "{}={}{why}",
                self.name,
                clip(&String::from_utf8_lossy(tok), 80)
            ),
        });
    }
}

/// Plain decimal digits at `s..e` of `text`, as [`digits`] reads them (`None` if not digits,
/// `Some(None)` if they overflow u64), eight digits at a time: a word of the text is checked
/// and converted without a branch per digit, so varying lengths cost no mispredictions.
#[inline(always)]
fn number(text: &[u8], s: usize, e: usize) -> Option<Option<u64>> {
    let len = e.saturating_sub(s);
    match len {
        1..=8 => eight(load(text, s), len).map(Some),
        9..=16 => {
            let high = eight(load(text, s), len - 8)?;
            let low = eight(load(text, e - 8), 8)?;
            Some(Some(high * 100_000_000 + low))
        }
        _ => digits(text.get(s..e).unwrap_or_default()),
    }
}

/// Eight bytes of `text` from `s` as a little-endian word, zeros past the end.
#[inline(always)]
fn load(text: &[u8], s: usize) -> u64 {
    match text.get(s..s + 8) {
        Some(w) => u64::from_le_bytes(w.try_into().unwrap_or([0; 8])),
        None => {
            let mut w = [0u8; 8];
            let tail = text.get(s..).unwrap_or_default();
            w[..tail.len().min(8)].copy_from_slice(&tail[..tail.len().min(8)]);
            u64::from_le_bytes(w)
        }
    }
}

/// The first `len` (at most 8) bytes of `text` from `s` as a little-endian word.
#[inline]
fn word(text: &[u8], s: usize, len: usize) -> u64 {
    let keep = u64::MAX
        .checked_shr(64 - 8 * len.min(8) as u32)
        .unwrap_or(0);
    load(text, s) & keep
}

/// Whether the `len` bytes of `text` from `s` are a dotted-quad IPv4 address, exactly as
/// [`is_ipv4`] decides, without a loop: the address's 16-byte window is compared with a few
/// bytes at once (SIMD where the target has it), each comparison giving a mask with a bit per
/// byte, and every rule of a dotted quad is a test on those masks.
#[inline]
fn ipv4(text: &[u8], s: usize, len: usize) -> bool {
    if !(7..=15).contains(&len) {
        return false;
    }
    let all = (1u32 << len) - 1;
    let window = u128::from(load(text, s)) | u128::from(load(text, s + 8)) << 64;
    let x = u8x16::from(window.to_le_bytes());
    let mask = |m: u8x16| m.move_mask() as u32 & all;
    // Digits become 0-9; every other byte something else.
    let v = x - u8x16::splat(b'0');
    let is = |k: u8| mask(v.cmp_eq(u8x16::splat(k)));
    let at_least = |k: u8| mask(v.max(u8x16::splat(k)).cmp_eq(v));
    let dots = mask(x.cmp_eq(u8x16::splat(b'.')));
    let digits = mask(in_range(x, b'0', b'9'));
    // Where octets start; those of two digits or more; those of three.
    let starts = (dots << 1 | 1) & all;
    let long = starts & digits & digits >> 1;
    let three = long & digits >> 2;
    // The second digit of a three-digit octet that starts with 2.
    let after_two = (three & is(2)) << 1;
    let bad = (dots | digits) ^ all // a byte neither a digit nor a dot
        | starts & dots // a dot first, or two in a row
        | dots & (1 << (len - 1)) // a dot last
        | digits & digits >> 1 & digits >> 2 & digits >> 3 // four digits
        | long & is(0) // a leading zero
        | three & at_least(3) // 300 or more
        | after_two & at_least(6) // 260 or more
        | (after_two & is(5)) << 1 & at_least(6); // 256 or more
    bad == 0 && dots.count_ones() == 3
}

/// The value of the first `len` (1-8) bytes of `w` read as decimal digits, if they all are.
#[inline(always)]
fn eight(w: u64, len: usize) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let keep = u64::MAX >> (64 - 8 * len);
    // Digits become 0-9 in their bytes; anything else has a bit in a high nibble, or gets one
    // when 6 is added. The bytes past `len` are zero and pass.
    let x = (w ^ (0x30 * ONES)) & keep;
    if (x | x.wrapping_add(6 * ONES)) & (0xf0 * ONES) != 0 {
        return None;
    }
    // Leading zero digits up to eight, then pairs, fours and the eight combined.
    let x = x << (8 * (8 - len));
    let x = x.wrapping_mul(10).wrapping_add(x >> 8);
    let x = ((x & 0x0000_00ff_0000_00ff).wrapping_mul(100 + (1_000_000 << 32))
        + ((x >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    Some(x)
}

fn is_null(tok: &[u8]) -> bool {
    tok.len() == 1 && tok[0] == b'-'
}

/// Checks the field as `kind` and appends its values to `sink` (when the column is projected)
/// and, for `start`, the day of each record to `days` (when the date is projected).
pub(super) fn run(
    kind: Kind,
    f: &Field,
    sink: Option<&mut Sink>,
    days: Option<&mut Date32Builder>,
    errs: &mut Vec<RowError>,
) {
    match kind {
        Kind::Int { min, max } => ints(f, min, max, sink, errs),
        Kind::Count => counts(f, sink, errs),
        Kind::Time => times(f, sink, days, errs),
        Kind::Enum(words) => {
            // Words of up to eight bytes compare as one masked word each.
            let codes: Vec<(usize, u64)> = words
                .iter()
                .map(|w| (w.len(), word(w.as_bytes(), 0, w.len())))
                .collect();
            text(f, sink, errs, |tok, s| {
                let known = if tok.len() <= 8 {
                    let code = word(f.text, s, tok.len());
                    codes.iter().any(|&(len, c)| len == tok.len() && c == code)
                } else {
                    words.iter().any(|w| w.as_bytes() == tok)
                };
                if known {
                    Ok(Cow::Borrowed(tok))
                } else {
                    Err((
                        Reason::BadEnum,
                        format!(" (expected {})", words.join(", ")).into(),
                    ))
                }
            })
        }
        Kind::Addr => text(f, sink, errs, |tok, s| {
            if ipv4(f.text, s, tok.len()) || is_ipv6(tok) {
                Ok(Cow::Borrowed(tok))
            } else {
                Err((Reason::BadAddress, "".into()))
            }
        }),
        Kind::Id if !f.index.plain => text(f, sink, errs, |tok, _| {
            if tok.iter().all(|b| (0x21..=0x7e).contains(b)) {
                Ok(Cow::Borrowed(tok))
            } else {
                Err((Reason::BadIdentifier, " (expected printable ASCII)".into()))
            }
        }),
        // On printable-ASCII lines an identifier (a field: no spaces) is always good.
        Kind::Id | Kind::Text => {
            if let Some(Sink::Text(out)) = sink {
                out.reserve(f);
                for (s, e) in f.index.spans(f.pos) {
                    if is_null(f.text.get(s..e).unwrap_or_default()) {
                        out.null();
                    } else {
                        out.copy(f.text, s, e);
                    }
                }
            }
        }
        Kind::Encoded => text(f, sink, errs, |tok, _| {
            if tok.contains(&b'%') {
                percent_decode(tok)
                    .map(|s| Cow::Owned(s.into_bytes()))
                    .ok_or((Reason::BadEncoding, "".into()))
            } else {
                Ok(Cow::Borrowed(tok))
            }
        }),
    }
}

/// Why a token is not a value of its kind: the reason and what follows the value in the
/// message (`" (expected 0-65535)"`).
type Bad = (Reason, Cow<'static, str>);

/// The loop of every kernel: `read` reads the value at `s..e` of the text or says why it is
/// bad; `each` gets every row's value (`None` for `-` and bad values) and its span.
#[inline(always)]
fn values<'t, T>(
    f: &Field<'t>,
    errs: &mut Vec<RowError>,
    read: impl Fn(&'t [u8], usize, usize) -> Result<T, Bad>,
    mut each: impl FnMut(Option<T>, usize, usize),
) {
    for (row, (s, e)) in f.index.spans(f.pos).enumerate() {
        let tok = f.text.get(s..e).unwrap_or_default();
        let value = if is_null(tok) {
            None
        } else {
            match read(f.text, s, e) {
                Ok(v) => Some(v),
                Err((reason, why)) => {
                    f.fail(errs, row, reason, tok, &why);
                    None
                }
            }
        };
        each(value, s, e);
    }
}

/// A kind stored as text: `check` gives the value to store (the token itself, or its decoding)
/// or why the token is bad.
fn text<'t>(
    f: &Field<'t>,
    sink: Option<&mut Sink>,
    errs: &mut Vec<RowError>,
    check: impl Fn(&'t [u8], usize) -> Result<Cow<'t, [u8]>, Bad>,
) {
    let mut out = match sink {
        Some(Sink::Text(t)) => {
            t.reserve(f);
            Some(t)
        }
        _ => None,
    };
    let read = |text: &'t [u8], s: usize, e: usize| check(text.get(s..e).unwrap_or_default(), s);
    values(f, errs, read, |value, s, e| {
        if let Some(out) = out.as_deref_mut() {
            match value {
                Some(Cow::Borrowed(_)) => out.copy(f.text, s, e),
                Some(Cow::Owned(v)) => out.value(&v),
                None => out.null(),
            }
        }
    });
}

fn ints(f: &Field, min: i32, max: i32, sink: Option<&mut Sink>, errs: &mut Vec<RowError>) {
    let mut out = match sink {
        Some(Sink::Int(b)) => Some(b),
        _ => None,
    };
    let parse = |text: &[u8], s, e| match number(text, s, e) {
        Some(Some(v)) if v >= min as u64 && v <= max as u64 => Ok(v as i32),
        Some(_) => Err((
            Reason::OutOfRange,
            format!(" (expected {min}-{max})").into(),
        )),
        None => Err((Reason::NotANumber, "".into())),
    };
    values(f, errs, parse, |v, _, _| {
        if let Some(out) = out.as_deref_mut() {
            out.append_option(v);
        }
    });
}

/// A 64-bit count at `s..e` of `text`, or why the token is not one.
#[inline(always)]
fn count(text: &[u8], s: usize, e: usize) -> Result<u64, Bad> {
    match number(text, s, e) {
        Some(Some(v)) => Ok(v),
        Some(None) => Err((Reason::OutOfRange, " (more than 64 bits)".into())),
        None => Err((Reason::NotANumber, "".into())),
    }
}

fn counts(f: &Field, sink: Option<&mut Sink>, errs: &mut Vec<RowError>) {
    let mut out = match sink {
        Some(Sink::Count(b)) => Some(b),
        _ => None,
    };
    values(f, errs, count, |v, _, _| {
        if let Some(out) = out.as_deref_mut() {
            out.append_option(v);
        }
    });
}

fn times(
    f: &Field,
    sink: Option<&mut Sink>,
    mut days: Option<&mut Date32Builder>,
    errs: &mut Vec<RowError>,
) {
    let mut out = match sink {
        Some(Sink::Time(b)) => Some(b),
        _ => None,
    };
    // Larger values are milliseconds.
    let parse = |text: &[u8], s, e| {
        count(text, s, e).map(|v| if v >= MILLIS_THRESHOLD { v / 1000 } else { v } as i64)
    };
    values(f, errs, parse, |v, _, _| {
        if let Some(out) = out.as_deref_mut() {
            out.append_option(v);
        }
        if let Some(days) = days.as_deref_mut() {
            days.append_option(v.map(|t| t.div_euclid(SECONDS_PER_DAY) as i32));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::is_ipv4;
    use super::*;

    #[test]
    fn addresses_checked_sixteen_bytes_at_a_time_as_one_at_a_time() {
        let mut cases: Vec<String> = [
            "0.0.0.0",
            "10.0.0.1",
            "255.255.255.255",
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.02.3.4",
            "1.2.3.00",
            "a.b.c.d",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4 ",
            "1234.1.1.1",
            "1.2.3.4/8",
            "100.200.250.199",
            "9.99.199.255",
        ]
        .map(String::from)
        .to_vec();
        // Every string of up to 16 bytes drawn from digits, dots and one stranger.
        let alphabet = b"0125.9/:";
        for seed in 0..200_000u64 {
            let len = (seed % 17) as usize;
            let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let t: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.rotate_left(5) ^ 0x5851_f42d;
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            cases.push(String::from_utf8_lossy(&t).into_owned());
        }
        // Every octet that sits on an edge of the rules, in every place.
        let octets = [
            "0", "1", "9", "00", "01", "10", "99", "001", "010", "100", "199", "200", "249", "250",
            "255", "256", "259", "260", "299", "300", "999", "0255", "1000", "",
        ];
        for a in octets {
            for b in octets {
                cases.push(format!("{a}.{b}.1.{b}"));
                cases.push(format!("{b}.7.{a}.{a}"));
            }
        }
        for t in &cases {
            for (text, s) in [(t.clone(), 0), (format!("9 {t} 1.2.3.4"), 2)] {
                assert_eq!(
                    ipv4(text.as_bytes(), s, t.len()),
                    is_ipv4(t.as_bytes()),
                    "{t:?}"
                );
            }
        }
    }

    #[test]
    fn numbers_read_eight_digits_at_a_time_as_one_at_a_time() {
        let mut cases: Vec<String> = Vec::new();
        for len in 1..=21usize {
            for seed in 0..200u64 {
                let mut t: String = (0..len)
                    .map(|i| char::from(b'0' + ((seed * 7 + i as u64 * 13 + seed / 3) % 10) as u8))
                    .collect();
                if seed % 5 == 0 {
                    // One byte that is not a digit, anywhere, of any value around the digits.
                    let at = (seed as usize / 5) % len;
                    let b = [b'/', b':', b' ', b'a', b'-', 0xff, 0x00, b'\x10']
                        [(seed as usize / 5) % 8];
                    let mut bytes = t.into_bytes();
                    bytes[at] = b;
                    t = String::from_utf8_lossy(&bytes).into_owned();
                }
                cases.push(t);
            }
            cases.push("9".repeat(len));
        }
        // Any byte value in any place of a word, raw (not only valid UTF-8).
        for b in 0u8..=255 {
            for at in 0..8 {
                let mut w = *b"12345678";
                w[at] = b;
                assert_eq!(
                    eight(u64::from_le_bytes(w), 8),
                    digits(&w).flatten(),
                    "{w:?}"
                );
            }
        }
        cases.extend(
            [
                "18446744073709551615",
                "18446744073709551616",
                "0",
                "00000000000000000001",
            ]
            .map(String::from),
        );
        for t in &cases {
            // Alone, at the end of the text, and with digits after it.
            for (text, s) in [
                (t.clone(), 0),
                (format!("{t} 7"), 0),
                (format!("12 {t} 345678901"), 3),
            ] {
                let e = s + t.len();
                assert_eq!(
                    number(text.as_bytes(), s, e),
                    digits(t.as_bytes()),
                    "{t:?} in {text:?}"
                );
            }
        }
    }
}
