//! The structural pass: the lines of a segment -> an index of rows and their field spans.
//!
//! Lines are found with `memchr`; a line's fields are cut on runs of spaces found eight bytes at
//! a time (a SWAR zero-byte test), or on tabs too when the line has any. Offsets are relative to
//! the segment's start and fit in 32 bits because a segment is at most a few megabytes.

use super::space_mask;

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

    /// The bytes of field `pos` of every row, out of the segment's `text`.
    #[inline]
    pub fn tokens<'t>(&'t self, text: &'t [u8], pos: usize) -> impl Iterator<Item = &'t [u8]> {
        self.spans
            .chunks_exact(2 * self.fields.max(1))
            .map(move |row| match (row.get(2 * pos), row.get(2 * pos + 1)) {
                (Some(&s), Some(&e)) => text.get(s as usize..e as usize).unwrap_or_default(),
                _ => &[],
            })
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

/// Slots of the stack buffer of [`Index::push`]: two per field.
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
