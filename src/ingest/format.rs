//! Format resolution: a header line or a `--format` string becomes a [`Layout`].
//!
//! A layout says, for each whitespace-separated position of a record, which field it holds.
//! It is resolved once per file (and again only where a file switches layouts mid-way); the
//! decoder never compares names in its hot loop. Run-wide column numbering lives in
//! [`Columns`], which also owns the canonical Arrow schema.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::fields::{self, FIELDS, Kind};

/// What one position of a record holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// A registry field, by index into [`FIELDS`].
    Known(usize),
    /// A field name vpcflow does not know; kept as a text column under this (normalised) name.
    Unknown(String),
}

/// The field order of a file (or of part of a file, after a mid-file header).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    /// One slot per record position.
    pub slots: Vec<Slot>,
}

/// Every spelling of every known field, for the cheap "could this line be a header?" test.
static SPELLINGS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    FIELDS
        .iter()
        .flat_map(|f| [f.name.to_string(), fields::hyphenated(f.name)])
        .collect()
});

impl Layout {
    /// The v2 default format.
    pub fn default_v2() -> Layout {
        Layout {
            slots: fields::DEFAULT_FORMAT
                .iter()
                .filter_map(|n| fields::lookup(n).map(Slot::Known))
                .collect(),
        }
    }

    /// Parses a format given by the user: AWS's `${version} ${account-id} ...` string or plain
    /// field names separated by spaces or commas. Unknown names are kept; the caller warns.
    pub fn parse_format(spec: &str) -> Result<Layout, String> {
        let tokens: Vec<&str> = spec
            .split(|c: char| c.is_ascii_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .collect();
        if tokens.is_empty() {
            return Err("the format names no fields".into());
        }
        let mut names = Vec::with_capacity(tokens.len());
        for t in tokens {
            match fields::normalize(t) {
                Some(n) => names.push(n),
                None => return Err(format!("'{t}' is not a field name")),
            }
        }
        Ok(Layout::from_names(&names))
    }

    /// Reads a header line, if `line` is one: every token shaped like a field name and more than
    /// half of them known fields. Data lines never pass (their values are not field names).
    pub fn parse_header(line: &[u8]) -> Option<Layout> {
        let text = std::str::from_utf8(line).ok()?;
        let mut first = text.split_ascii_whitespace();
        // Cheap rejection for data lines: the first token must be a known field spelling.
        let head = first.next()?;
        if !SPELLINGS.contains(head) && fields::lookup(head).is_none() {
            return None;
        }
        let names = text
            .split_ascii_whitespace()
            .map(fields::normalize)
            .collect::<Option<Vec<String>>>()?;
        // A repeated field is not a known field the second time (it becomes `name_2`), so
        // known fields count once: printed back, a header reads as the same layout.
        let known: HashSet<usize> = names.iter().filter_map(|n| fields::lookup(n)).collect();
        (known.len() * 2 > names.len()).then(|| Layout::from_names(&names))
    }

    /// Builds a layout from normalised names. A repeated name is kept as `name_2`, `name_3`...
    fn from_names(names: &[String]) -> Layout {
        let mut seen: HashSet<String> = HashSet::new();
        // The last suffix tried per name, so that many repeats of one name stay linear.
        let mut suffix: HashMap<&str, usize> = HashMap::new();
        let slots = names
            .iter()
            .map(|n| {
                let mut name = n.clone();
                // A renamed repeat never takes a known field's name (`asg_tag` twice must not
                // become the known `asg_tag_2`): printed back, it would read as that field.
                while seen.contains(&name) || (name != *n && fields::lookup(&name).is_some()) {
                    let k = suffix.entry(n.as_str()).or_insert(1);
                    *k += 1;
                    name = format!("{n}_{k}");
                }
                seen.insert(name.clone());
                match fields::lookup(&name) {
                    Some(i) if name == *n => Slot::Known(i),
                    _ => Slot::Unknown(name),
                }
            })
            .collect();
        Layout { slots }
    }

    /// Names of the unknown fields, for the warning.
    pub fn unknown_names(&self) -> Vec<&str> {
        self.slots
            .iter()
            .filter_map(|s| match s {
                Slot::Unknown(n) => Some(n.as_str()),
                Slot::Known(_) => None,
            })
            .collect()
    }

    /// The layout as a hyphenated header line.
    pub fn header(&self) -> String {
        self.slots
            .iter()
            .map(|s| match s {
                Slot::Known(i) => fields::hyphenated(FIELDS[*i].name),
                Slot::Unknown(n) => n.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Name of the provenance column holding the source object of each record.
pub const SOURCE_COLUMN: &str = "source_file";
/// Name of the partition column: the UTC date of `start` (null for a record without one).
pub const DATE_COLUMN: &str = "date";

/// The run-wide column numbering: every registry field, then the unknown fields met in this
/// run's inputs, then the provenance columns `source_file` and `date`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Columns {
    /// Unknown field names, in order of first appearance.
    pub extras: Vec<String>,
}

impl Columns {
    /// Registers the unknown fields of a layout; returns the names that are new to this run.
    pub fn add_layout(&mut self, layout: &Layout) -> Vec<String> {
        let mut new = Vec::new();
        for n in layout.unknown_names() {
            if !self.extras.iter().any(|e| e == n) && n != SOURCE_COLUMN && n != DATE_COLUMN {
                self.extras.push(n.to_string());
                new.push(n.to_string());
            }
        }
        new
    }

    /// Number of columns in the full schema.
    pub fn width(&self) -> usize {
        FIELDS.len() + self.extras.len() + 2
    }

    /// Column index of the `source_file` column.
    pub fn source_index(&self) -> usize {
        FIELDS.len() + self.extras.len()
    }

    /// Column index of the `date` column.
    pub fn date_index(&self) -> usize {
        self.source_index() + 1
    }

    /// Column index of a slot.
    pub fn index_of(&self, slot: &Slot) -> Option<usize> {
        match slot {
            Slot::Known(i) => Some(*i),
            Slot::Unknown(n) => self
                .extras
                .iter()
                .position(|e| e == n)
                .map(|p| FIELDS.len() + p),
        }
    }

    /// The value kind of a column (unknown fields are text; provenance columns have none).
    pub fn kind(&self, column: usize) -> Option<Kind> {
        if column < FIELDS.len() {
            Some(FIELDS[column].kind)
        } else if column < self.source_index() {
            Some(Kind::Text)
        } else {
            None
        }
    }

    /// The Arrow field of a column.
    pub fn field(&self, column: usize) -> Field {
        if column < FIELDS.len() {
            Field::new(FIELDS[column].name, FIELDS[column].kind.data_type(), true)
        } else if column < self.source_index() {
            Field::new(&self.extras[column - FIELDS.len()], DataType::Utf8, true)
        } else if column == self.source_index() {
            Field::new(
                SOURCE_COLUMN,
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                true,
            )
        } else {
            Field::new(DATE_COLUMN, DataType::Date32, true)
        }
    }

    /// The schema of the given columns, in that order.
    pub fn schema_of(&self, columns: &[usize]) -> SchemaRef {
        Arc::new(Schema::new(
            columns.iter().map(|&c| self.field(c)).collect::<Vec<_>>(),
        ))
    }

    /// The full canonical schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema_of(&(0..self.width()).collect::<Vec<_>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_format_agree() {
        let h = Layout::parse_header(b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status").expect("header");
        assert_eq!(h, Layout::default_v2());
        let f = Layout::parse_format("${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}").expect("format");
        assert_eq!(f, h);
    }

    #[test]
    fn a_header_reads_back_as_the_same_layout() {
        // Six of nine names are known fields, but two are repeats (kept as `vpc_id_2` and
        // `subnet_id_2`): four known fields of nine is not a header. Counting the repeats once
        // made a layout whose printed header no longer read as one (found by fuzzing).
        let repeats = b"version vpc-id subnet-id x1 x2 vpc-id subnet-id x3 dstaddr";
        assert_eq!(Layout::parse_header(repeats), None);
        let l = Layout::parse_header(b"version vpc-id vpc-id subnet-id dstaddr").expect("header");
        assert_eq!(l.header(), "version vpc-id vpc_id_2 subnet-id dstaddr");
        assert_eq!(Layout::parse_header(l.header().as_bytes()), Some(l));
    }

    #[test]
    fn a_renamed_repeat_never_takes_a_known_fields_name() {
        // asg-tag twice: the second is not the known field asg_tag_2 (found by fuzzing).
        let l = Layout::parse_header(b"version interface-id asg-tag bytes asg_tag log-status")
            .expect("a header");
        assert_eq!(l.slots[4], Slot::Unknown("asg_tag_3".into()));
        let again = Layout::parse_header(l.header().as_bytes());
        assert_eq!(again.as_ref(), Some(&l), "{}", l.header());
    }

    #[test]
    fn many_repeats_of_a_name_take_linear_time() {
        // Each repeat once tried `_2`, `_3`, ... from the start: 250,000 repeats in a 3 MB
        // line took hours (found by a hostile-input test).
        let l = Layout::parse_format(&"extra-field ".repeat(250_000)).expect("a format");
        assert_eq!(l.slots.len(), 250_000);
        assert_eq!(l.slots[249_999], Slot::Unknown("extra_field_250000".into()));
        assert_eq!(
            Layout::parse_header("srcaddr ".repeat(250_000).as_bytes()),
            None
        );
    }

    #[test]
    fn data_lines_are_not_headers() {
        for line in [
            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
            "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5",
            "ingress - 10.0.133.8 10.0.128.55 43236 80 1",
            "TransitGateway 123456789123 tgw-3b86d5e89ec8ebd55",
        ] {
            assert_eq!(Layout::parse_header(line.as_bytes()), None, "{line}");
        }
    }

    #[test]
    fn unknown_and_repeated_fields_are_kept() {
        let l = Layout::parse_header(b"version srcaddr dstaddr flux-capacitor srcaddr")
            .expect("header");
        assert_eq!(
            l.unknown_names(),
            vec!["flux_capacitor", "srcaddr_2"],
            "{l:?}"
        );
        let mut cols = Columns::default();
        assert_eq!(cols.add_layout(&l).len(), 2);
        assert_eq!(cols.add_layout(&l).len(), 0);
        assert_eq!(cols.schema().fields().len(), FIELDS.len() + 4);
    }
}
