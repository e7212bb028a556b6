//! The structural pass: the lines of a segment -> an index of rows and their field spans.
//!
//! A plain line (printable ASCII, fields separated by spaces: nearly every line of a real log)
//! takes the quick path, which finds its end and its fields together, 64 bytes a step (masks,
//! a bit per byte, of spaces and of the bytes that end a line or need a closer look, from
//! 16-byte comparisons). Anything else (tabs, control bytes, non-ASCII text, a line that the
//! buffer cuts short) goes through the general path: `memchr` for the line end, then the
//! fields cut on runs of spaces (and tabs, when the line has any). Offsets are relative to
//! the segment's start and fit in 32 bits because a segment is at most a few megabytes.

use wide::u8x16;

use super::{byte_mask, in_range, space_mask};

/// What [`Index::quick`] made of a line.
#[derive(Debug, PartialEq)]
pub(super) enum Quick {
    /// A row of the layout's width was added; the next line starts at `next`.
    Row {
        /// Where the next line starts.
        next: usize,
    },
    /// The line holds nothing but spaces.
    Blank {
        /// Where the next line starts.
        next: usize,
    },
    /// The line has `found` fields, not the layout's width; its text (trimmed) ends at `end`.
    Count {
        /// Where the next line starts.
        next: usize,
        /// Fields found.
        found: usize,
        /// Where the line's text ends, trailing blanks left out.
        end: usize,
    },
    /// Something for the general path: a tab, a `\r` before the end, a control or non-ASCII
    /// byte, a line longer than the limit or too near the end of the buffer, a wide layout.
    Slow,
}

/// The rows of a segment: per row, its fields' byte spans, its line number and its text.
#[derive(Debug, Default)]
pub(super) struct Index {
    /// Fields per row (the layout's width).
    fields: usize,
    /// Row-major: per row, `fields` pairs of (start, end) offsets into the segment.
    spans: Vec<u32>,
    /// Per row, its line number in the buffer.
    pub lines: Vec<u64>,
    /// Per row, the span of its line (trimmed) in the segment.
    pub texts: Vec<(u32, u32)>,
    /// Whether every row's line is printable ASCII (no tab, no byte outside 0x20-0x7e).
    pub plain: bool,
}

impl Index {
    /// Empties the index for rows of `fields` fields.
    pub fn clear(&mut self, fields: usize) {
        self.fields = fields;
        self.spans.clear();
        self.lines.clear();
        self.texts.clear();
        self.plain = true;
    }

    /// Rows indexed.
    pub fn rows(&self) -> usize {
        self.lines.len()
    }

    /// The bytes of field `pos` of `row`, out of the segment's `text`.
    #[inline]
    pub fn token<'t>(&self, text: &'t [u8], row: usize, pos: usize) -> &'t [u8] {
        let i = 2 * (row * self.fields + pos);
        match (self.spans.get(i), self.spans.get(i + 1)) {
            (Some(&s), Some(&e)) => text.get(s as usize..e as usize).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The (start, end) offsets of field `pos` of every row.
    #[inline]
    pub fn spans(&self, pos: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.spans
            .chunks_exact(2 * self.fields.max(1))
            .map(move |row| match (row.get(2 * pos), row.get(2 * pos + 1)) {
                (Some(&s), Some(&e)) => (s as usize, e as usize),
                _ => (0, 0),
            })
    }

    /// The fast path of the structural pass, for a printable-ASCII line separated by spaces
    /// (the common case): finds the line's end and its fields in one pass of [`BLOCK`] bytes a
    /// step, starting at `at` of `bytes` (the segment starts at `seg`), and adds it as a row
    /// when it has the layout's width. `max_line` is the longest line accepted.
    pub fn quick(
        &mut self,
        bytes: &[u8],
        at: usize,
        seg: usize,
        number: u64,
        max_line: usize,
    ) -> Quick {
        let width = self.fields;
        if width > LOCAL / 2 {
            return Quick::Slow;
        }
        let mut local = [0u32; LOCAL];
        let mut found = 0usize;
        let mut start = at;
        let mut last = at;
        let mut field = |s: usize, e: usize, found: &mut usize| {
            if let Some(pair) = local.get_mut(2 * *found..2 * *found + 2) {
                pair[0] = (s - seg) as u32;
                pair[1] = (e - seg) as u32;
            }
            *found += 1;
        };
        let mut pos = at;
        loop {
            let (spaces, special) = masks(bytes, pos);
            // Only the spaces before the first special byte count.
            let mut spaces = spaces & special.wrapping_sub(1);
            while spaces != 0 {
                let i = pos + spaces.trailing_zeros() as usize;
                if i > start {
                    field(start, i, &mut found);
                    last = i;
                }
                start = i + 1;
                spaces &= spaces - 1;
            }
            if special != 0 {
                let i = pos + special.trailing_zeros() as usize;
                let next = match (bytes.get(i), bytes.get(i + 1)) {
                    (Some(b'\n'), _) => i + 1,
                    (Some(b'\r'), Some(b'\n')) => i + 2,
                    _ => return Quick::Slow,
                };
                // The line's length counts everything before its `\n`.
                if next - 1 - at > max_line {
                    return Quick::Slow;
                }
                if i > start {
                    field(start, i, &mut found);
                    last = i;
                }
                return if found == 0 {
                    Quick::Blank { next }
                } else if found != width {
                    Quick::Count {
                        next,
                        found,
                        end: last,
                    }
                } else {
                    self.spans.extend_from_slice(&local[..2 * width]);
                    self.lines.push(number);
                    self.texts.push(((at - seg) as u32, (last - seg) as u32));
                    Quick::Row { next }
                };
            }
            pos += BLOCK;
            if pos - at > max_line {
                return Quick::Slow;
            }
        }
    }

    /// Cuts `line` (found at offset `at` of the segment) into fields and adds it as a row when
    /// it has as many fields as the layout; otherwise adds nothing and returns the count found.
    /// `tabs` says whether tabs separate fields too; `plain` whether the line is printable
    /// ASCII.
    pub fn push(
        &mut self,
        line: &[u8],
        at: u32,
        number: u64,
        tabs: bool,
        plain: bool,
    ) -> Result<(), usize> {
        // Up to 64 fields are cut into a buffer on the stack, wider layouts straight into the
        // index.
        let found = if self.fields <= LOCAL / 2 {
            let mut local = [0u32; LOCAL];
            let found = split(line, tabs, |k, s, e| {
                if let Some(pair) = local.get_mut(2 * k..2 * k + 2) {
                    pair[0] = at + s as u32;
                    pair[1] = at + e as u32;
                }
            });
            if found == self.fields {
                self.spans.extend_from_slice(&local[..2 * found]);
            }
            found
        } else {
            let mark = self.spans.len();
            let spans = &mut self.spans;
            let found = split(line, tabs, |_, s, e| {
                spans.push(at + s as u32);
                spans.push(at + e as u32);
            });
            if found != self.fields {
                self.spans.truncate(mark);
            }
            found
        };
        if found != self.fields {
            return Err(found);
        }
        self.lines.push(number);
        self.texts.push((at, at + line.len() as u32));
        self.plain &= plain;
        Ok(())
    }
}

/// Bytes the quick path looks at in one step.
const BLOCK: usize = 64;

/// Two masks of the [`BLOCK`] bytes of `bytes` from `pos`, a bit per byte: the spaces, and the
/// bytes below 0x20 or above 0x7e (a line end, a tab, a control byte, DEL or a byte of a
/// non-ASCII character). Past the end of `bytes` every byte counts as such a byte (a zero).
fn masks(bytes: &[u8], pos: usize) -> (u64, u64) {
    let mut tail = [0u8; BLOCK];
    let block = match bytes.get(pos..pos + BLOCK) {
        Some(block) => block,
        None => {
            let rest = bytes.get(pos..).unwrap_or_default();
            tail[..rest.len()].copy_from_slice(rest);
            &tail
        }
    };
    let spaces = byte_mask(block, |x| x.cmp_eq(u8x16::splat(b' ')));
    let printable = byte_mask(block, |x| in_range(x, 0x20, 0x7e));
    (spaces, !printable)
}

/// Slots of the stack buffer that [`Index::push`] and [`Index::quick`] cut fields into: two
/// per field.
const LOCAL: usize = 128;

/// Calls `field(k, start, end)` for the k-th field of `line`; the number of fields. Fields are
/// separated by runs of spaces (and tabs, when `tabs`).
#[inline]
fn split(line: &[u8], tabs: bool, mut field: impl FnMut(usize, usize, usize)) -> usize {
    let mut start = 0usize;
    let mut found = 0usize;
    let mut cut = |i: usize| {
        if i > start {
            field(found, start, i);
            found += 1;
        }
        start = i + 1;
    };
    let mut base = 0;
    if !tabs {
        let mut words = line.chunks_exact(8);
        for word in &mut words {
            let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            let mut mask = space_mask(w);
            while mask != 0 {
                cut(base + (mask.trailing_zeros() / 8) as usize);
                mask &= mask - 1;
            }
            base += 8;
        }
    }
    for (i, &b) in line.iter().enumerate().skip(base) {
        if b == b' ' || (tabs && b == b'\t') {
            cut(i);
        }
    }
    cut(line.len());
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str, tabs: bool) -> Vec<&str> {
        let mut got = Vec::new();
        let n = split(line.as_bytes(), tabs, |k, s, e| {
            assert_eq!(k, got.len());
            got.push(&line[s..e]);
        });
        assert_eq!(got.len(), n);
        got
    }

    #[test]
    fn fields_split_on_runs_of_spaces() {
        for (line, tabs, want) in [
            ("a b  c", false, vec!["a", "b", "c"]),
            ("  lead and trail  ", false, vec!["lead", "and", "trail"]),
            (
                "0123456 89abcdef 0123456789 x",
                false,
                vec!["0123456", "89abcdef", "0123456789", "x"],
            ),
            ("tab\tsep  x", true, vec!["tab", "sep", "x"]),
            ("tab\tsep", false, vec!["tab\tsep"]),
            (
                "\u{e9}t\u{e9} caf\u{e9}  \u{2014}",
                false,
                vec!["\u{e9}t\u{e9}", "caf\u{e9}", "\u{2014}"],
            ),
            ("", false, vec![]),
        ] {
            assert_eq!(fields(line, tabs), want, "{line:?}");
        }
    }

    #[test]
    fn the_masks_are_exact() {
        for b in 0u8..=255 {
            let mut text = [b'a'; 70];
            for i in (1..70).step_by(3) {
                text[i] = b;
            }
            text[0] = b' ';
            for pos in [0, 1, 7] {
                let (spaces, special) = masks(&text, pos);
                for i in 0..BLOCK {
                    let at = text.get(pos + i).copied().unwrap_or(0);
                    assert_eq!(spaces >> i & 1 == 1, at == b' ', "{b} at {i}");
                    let odd = !(0x20..=0x7e).contains(&at);
                    assert_eq!(special >> i & 1 == 1, odd, "{b} at {i}");
                }
            }
        }
    }

    #[test]
    fn the_quick_path_takes_plain_lines_and_leaves_the_rest() {
        let mut index = Index::default();
        index.clear(3);
        let text = b"a  bb c \nx y\r\n        \nd e\tf\n1 2 3 4 5 6\n";
        assert_eq!(index.quick(text, 0, 0, 0, 100), Quick::Row { next: 9 });
        assert_eq!(index.texts, vec![(0, 7)]);
        assert_eq!(index.token(text, 0, 1), b"bb");
        assert_eq!(
            index.quick(text, 9, 0, 1, 100),
            Quick::Count {
                next: 14,
                found: 2,
                end: 12
            }
        );
        assert_eq!(index.quick(text, 14, 0, 2, 100), Quick::Blank { next: 23 });
        assert_eq!(index.quick(text, 23, 0, 3, 100), Quick::Slow);
        // Longer than the limit; within it, near the end of the buffer.
        assert_eq!(index.quick(text, 29, 0, 4, 5), Quick::Slow);
        assert_eq!(
            index.quick(text, 29, 0, 4, 100),
            Quick::Count {
                next: 41,
                found: 6,
                end: 40
            }
        );
        // A line that the buffer cuts short, and one past a block of the quick path.
        assert_eq!(index.quick(&text[..40], 29, 0, 4, 100), Quick::Slow);
        let long = format!("{} b c\n", "a".repeat(100));
        assert_eq!(
            index.quick(long.as_bytes(), 0, 0, 5, 200),
            Quick::Row { next: 105 }
        );
        assert_eq!(index.token(long.as_bytes(), 1, 2), b"c");
        assert_eq!(index.rows(), 2);
    }

    #[test]
    fn a_row_is_kept_only_with_the_layouts_width() {
        let mut index = Index::default();
        index.clear(3);
        let text = b"xx a b c\nd e";
        assert_eq!(index.push(&text[3..8], 3, 0, false, true), Ok(()));
        assert_eq!(index.push(&text[9..], 9, 1, false, true), Err(2));
        assert_eq!(index.rows(), 1);
        assert_eq!(index.token(text, 0, 2), b"c");
        assert_eq!(index.texts, vec![(3, 8)]);
    }
}
