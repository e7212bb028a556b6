//! The AWS inventory: `aws ec2 describe-*` JSON and ip-ranges.json -> Arrow tables.
//!
//! [`Inventory::load`] walks a directory (typically one folder per account and region), reads
//! every JSON file, recognises each by its top-level members rather than its name, and turns
//! the whole estate into the tables listed in [`TABLES`]. The serde structs live in [`aws`],
//! ip-ranges.json in [`ip_ranges`]; the Arrow conversion and the joins between resources (which
//! ENI belongs to which endpoint or NAT gateway, which route table a subnet uses, where each
//! resource's region comes from) are private.
pub mod aws;
#[cfg(feature = "collect")]
pub mod collect;
pub mod ip_ranges;
pub mod lookup;
mod names;
mod resources;
mod tables;

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use serde_json::Value;

use self::aws::{DOCUMENT_KEYS, Document};
use self::ip_ranges::IpRanges;
use self::tables::LoadedDoc;
use crate::error::{Error, Result};

/// The tables an [`Inventory`] provides, in the order [`Inventory::tables`] returns them.
pub const TABLES: [&str; 12] = [
    "enis",
    "eni_addresses",
    "vpc_endpoints",
    "nat_gateways",
    "vpcs",
    "vpc_cidrs",
    "subnets",
    "routes",
    "route_table_associations",
    "prefix_lists",
    "elastic_ips",
    "aws_ip_ranges",
];

/// A kind of inventory file, recognised by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `aws ec2 describe-network-interfaces` (`NetworkInterfaces`).
    NetworkInterfaces,
    /// `aws ec2 describe-vpc-endpoints` (`VpcEndpoints`).
    VpcEndpoints,
    /// `aws ec2 describe-nat-gateways` (`NatGateways`).
    NatGateways,
    /// `aws ec2 describe-vpcs` (`Vpcs`).
    Vpcs,
    /// `aws ec2 describe-subnets` (`Subnets`).
    Subnets,
    /// `aws ec2 describe-route-tables` (`RouteTables`).
    RouteTables,
    /// `aws ec2 describe-prefix-lists` or `describe-managed-prefix-lists` (`PrefixLists`).
    PrefixLists,
    /// `aws ec2 get-managed-prefix-list-entries` (`Entries`).
    PrefixListEntries,
    /// `aws ec2 describe-addresses` (`Addresses`).
    Addresses,
    /// `https://ip-ranges.amazonaws.com/ip-ranges.json` (`prefixes`, `syncToken`).
    IpRanges,
}

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 10] = [
        Kind::NetworkInterfaces,
        Kind::VpcEndpoints,
        Kind::NatGateways,
        Kind::Vpcs,
        Kind::Subnets,
        Kind::RouteTables,
        Kind::PrefixLists,
        Kind::PrefixListEntries,
        Kind::Addresses,
        Kind::IpRanges,
    ];

    /// The usual name of a file of this kind (the CLI command plus `.json`), for messages such
    /// as "describe-route-tables.json missing".
    pub fn file_name(self) -> &'static str {
        match self {
            Kind::NetworkInterfaces => "describe-network-interfaces.json",
            Kind::VpcEndpoints => "describe-vpc-endpoints.json",
            Kind::NatGateways => "describe-nat-gateways.json",
            Kind::Vpcs => "describe-vpcs.json",
            Kind::Subnets => "describe-subnets.json",
            Kind::RouteTables => "describe-route-tables.json",
            Kind::PrefixLists => "describe-prefix-lists.json",
            Kind::PrefixListEntries => "get-managed-prefix-list-entries.json",
            Kind::Addresses => "describe-addresses.json",
            Kind::IpRanges => "ip-ranges.json",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// The loaded inventory: its tables, ip-ranges.json if found, and the files read.
pub struct Inventory {
    tables: Vec<(&'static str, RecordBatch)>,
    found: [bool; Kind::ALL.len()],
    ip_ranges: Option<IpRanges>,
    files: Vec<(PathBuf, String)>,
}

impl fmt::Debug for Inventory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<(&str, usize)> = self
            .tables
            .iter()
            .map(|(name, batch)| (*name, batch.num_rows()))
            .collect();
        f.debug_struct("Inventory")
            .field("tables", &rows)
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

/// What reading one file gave.
enum Contents {
    /// Parsed JSON.
    Json(Value),
    /// Not an inventory file; the reason.
    Skip(String),
}

impl Inventory {
    /// Loads every JSON file found anywhere under `dir` (sorted walk; hidden entries are not
    /// visited), recognising each by its content, not its name: the top-level member
    /// `NetworkInterfaces`, `VpcEndpoints`, `NatGateways`, `Vpcs`, `Subnets`, `RouteTables`,
    /// `PrefixLists`, `Entries` or `Addresses`, or `prefixes` with `syncToken` for ip-ranges.json. A file of
    /// `Entries` needs its prefix-list id: a `PrefixListId` member, a `pl-…` token in the file's
    /// name, or a sibling `PrefixLists` file (whose list name appears in the file's name, or
    /// which holds a single list).
    ///
    /// Files with other content are listed as skipped with a reason, as are files without a
    /// `.json` extension whose content does not look like JSON. Several files of one kind (one
    /// per account/region folder) are concatenated; a resource listed twice (e.g. a shared
    /// subnet seen from two accounts) is kept once, from the first file. If several
    /// ip-ranges.json are found, the newest (by `syncToken`) is used.
    ///
    /// A JSON file that is not valid JSON, or has a member of the wrong type, is an error naming
    /// the file and the JSON path; nesting deeper than serde_json's recursion limit is an error
    /// too. `default_region` is the region of resources whose region can be read neither from
    /// an availability zone nor from a path component (`…/us-east-1/describe-vpcs.json`).
    pub fn load(dir: &Path, default_region: Option<&str>) -> Result<Inventory> {
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        let mut docs: Vec<(usize, LoadedDoc)> = Vec::new();
        let mut ip_ranges: Option<(usize, IpRanges)> = None;

        let walk = walkdir::WalkDir::new(dir)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walk {
            let entry = entry.map_err(|e| walk_error(dir, e))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path();
            let value = match read(path)? {
                Contents::Json(value) => value,
                Contents::Skip(reason) => {
                    files.push((path.to_path_buf(), format!("skipped: {reason}")));
                    continue;
                }
            };
            let Some(object) = value.as_object() else {
                let reason = format!("skipped: top level is {}, not an object", type_name(&value));
                files.push((path.to_path_buf(), reason));
                continue;
            };
            if IpRanges::recognise(&value) {
                let parsed = IpRanges::from_value(path, value)?;
                files.push((path.to_path_buf(), Kind::IpRanges.file_name().to_string()));
                let at = files.len() - 1;
                ip_ranges = Some(match ip_ranges.take() {
                    None => (at, parsed),
                    Some((kept_at, kept)) => {
                        let (older_at, newer) = if newer_token(&parsed, &kept) {
                            (kept_at, (at, parsed))
                        } else {
                            (at, (kept_at, kept))
                        };
                        let newer_path = files[newer.0].0.display().to_string();
                        files[older_at].1 =
                            format!("skipped: older ip-ranges.json than {newer_path}");
                        newer
                    }
                });
                continue;
            }
            if !DOCUMENT_KEYS.iter().any(|k| object.contains_key(*k)) {
                let mut keys: Vec<&str> = object.keys().map(String::as_str).take(6).collect();
                if object.len() > 5 {
                    keys.truncate(5);
                    keys.push("…");
                }
                let reason = if keys.is_empty() {
                    "skipped: empty object".to_string()
                } else {
                    format!(
                        "skipped: unrecognised content (members {})",
                        keys.join(", ")
                    )
                };
                files.push((path.to_path_buf(), reason));
                continue;
            }
            let doc: Document = serde_path_to_error::deserialize(value)
                .map_err(|e| Error::input(path, located(&e.path().to_string(), e.inner())))?;
            files.push((path.to_path_buf(), String::new()));
            docs.push((files.len() - 1, LoadedDoc::new(path, doc)));
        }

        resolve_entry_lists(&mut docs);

        let mut found = [false; Kind::ALL.len()];
        for (at, loaded) in &docs {
            let kinds = loaded.kinds();
            for kind in &kinds {
                found[kind.index()] = true;
            }
            files[*at].1 = describe(loaded, &kinds);
        }
        let ip_ranges = ip_ranges.map(|(_, r)| r);
        found[Kind::IpRanges.index()] = ip_ranges.is_some();
        let loaded: Vec<LoadedDoc> = docs.into_iter().map(|(_, d)| d).collect();
        let tables = tables::build(&loaded, ip_ranges.as_ref(), default_region)?;
        Ok(Inventory {
            tables,
            found,
            ip_ranges,
            files,
        })
    }

    /// (table name, batch) for every table of [`TABLES`], in that order; tables whose source
    /// files were absent are present but empty (with their schema).
    pub fn tables(&self) -> Vec<(&'static str, RecordBatch)> {
        self.tables.clone()
    }

    /// One table by name.
    pub fn table(&self, name: &str) -> Option<&RecordBatch> {
        self.tables.iter().find(|(n, _)| *n == name).map(|(_, b)| b)
    }

    /// Whether a file of this kind was found and read.
    pub fn has(&self, kind: Kind) -> bool {
        self.found[kind.index()]
    }

    /// The ip-ranges.json document, if one was found.
    pub fn ip_ranges(&self) -> Option<&IpRanges> {
        self.ip_ranges.as_ref()
    }

    /// The inventory that [`Inventory::tables`] describes, read back from those tables (as
    /// written elsewhere, e.g. for the nodes of a cluster): the same tables, and ip-ranges.json
    /// rebuilt from `aws_ip_ranges` (without its sync token). No files are listed, and of the
    /// kinds only ip-ranges.json counts as found (when it has ranges). A prefix that does not
    /// parse is an error naming it.
    pub fn from_tables(tables: Vec<(&'static str, RecordBatch)>) -> Result<Inventory> {
        let mut ranges = Vec::new();
        if let Some((_, b)) = tables.iter().find(|(n, _)| *n == "aws_ip_ranges") {
            let column = |name| lookup::column(b, name);
            let (prefix, region, group, service) = (
                column("prefix"),
                column("region"),
                column("network_border_group"),
                column("service"),
            );
            for row in 0..b.num_rows() {
                let text = lookup::value(prefix, row).unwrap_or_default();
                let prefix = text.parse::<ipnet::IpNet>().map_err(|e| {
                    Error::Data(format!("aws_ip_ranges row {row}: prefix {text:?}: {e}"))
                })?;
                let text = |c| lookup::value(c, row).unwrap_or_default().to_string();
                ranges.push(ip_ranges::IpRange {
                    prefix,
                    region: text(region),
                    network_border_group: text(group),
                    service: text(service),
                });
            }
        }
        let mut found = [false; Kind::ALL.len()];
        found[Kind::IpRanges.index()] = !ranges.is_empty();
        Ok(Inventory {
            tables,
            found,
            ip_ranges: (!ranges.is_empty()).then(|| IpRanges {
                sync_token: String::new(),
                create_date: String::new(),
                ranges,
            }),
            files: Vec::new(),
        })
    }

    /// Files read and files skipped, in walk order: (path, what it was read as), or
    /// (path, `skipped: <reason>`).
    pub fn files(&self) -> &[(PathBuf, String)] {
        &self.files
    }
}

/// `what` of a file read, e.g. `describe-vpcs.json` or
/// `get-managed-prefix-list-entries.json (pl-…)`.
fn describe(loaded: &LoadedDoc, kinds: &[Kind]) -> String {
    if kinds.is_empty() {
        return match &loaded.doc.entries {
            Some(_) => "skipped: prefix-list entries without a prefix-list id (put the pl-… id \
                        in the file name)"
                .to_string(),
            None => "skipped: no inventory content".to_string(),
        };
    }
    let mut parts: Vec<String> = Vec::with_capacity(kinds.len());
    for kind in kinds {
        match (kind, &loaded.doc.prefix_list_id) {
            (Kind::PrefixListEntries, Some(id)) => parts.push(format!("{kind} ({id})")),
            _ => parts.push(kind.to_string()),
        }
    }
    parts.join(", ")
}

/// Gives every file of `Entries` its prefix-list id: from its own `PrefixListId` member, a
/// `pl-…` token in its name, or a sibling file of `PrefixLists` (the list whose name the file
/// name contains, the longest such, else the sibling's only list). Files left without an id
/// stay unresolved and are reported as skipped.
fn resolve_entry_lists(docs: &mut [(usize, LoadedDoc)]) {
    let mut resolved: Vec<(usize, String)> = Vec::new();
    for (i, (_, loaded)) in docs.iter().enumerate() {
        if loaded.doc.entries.is_none() || loaded.doc.prefix_list_id.is_some() {
            continue;
        }
        let file_name = loaded
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(id) = names::prefix_list_id_in(&file_name) {
            resolved.push((i, id));
            continue;
        }
        let siblings: Vec<&aws::PrefixList> = docs
            .iter()
            .filter(|(_, other)| other.path.parent() == loaded.path.parent())
            .filter_map(|(_, other)| other.doc.prefix_lists.as_ref())
            .flatten()
            .filter(|list| list.prefix_list_id.is_some())
            .collect();
        let by_name = siblings
            .iter()
            .filter(|list| {
                list.prefix_list_name
                    .as_deref()
                    .is_some_and(|name| !name.is_empty() && file_name.contains(name))
            })
            .max_by_key(|list| list.prefix_list_name.as_deref().map_or(0, str::len));
        let chosen = by_name.or(match siblings.as_slice() {
            [only] => Some(only),
            _ => None,
        });
        if let Some(id) = chosen.and_then(|list| list.prefix_list_id.clone()) {
            resolved.push((i, id));
        }
    }
    for (i, id) in resolved {
        if let Some((_, loaded)) = docs.get_mut(i) {
            loaded.doc.prefix_list_id = Some(id);
        }
    }
}

/// Whether `a` was published after `b` (`syncToken` is a Unix time).
fn newer_token(a: &IpRanges, b: &IpRanges) -> bool {
    match (a.sync_token.parse::<u64>(), b.sync_token.parse::<u64>()) {
        (Ok(x), Ok(y)) => x > y,
        _ => a.sync_token > b.sync_token,
    }
}

fn walk_error(dir: &Path, e: walkdir::Error) -> Error {
    let path = e.path().unwrap_or(dir).to_path_buf();
    let message = e.to_string();
    match e.into_io_error() {
        Some(io) => Error::io(path, io),
        None => Error::input(path, message),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `path: message`, leaving out a root path (`.`) and paths too long to help (deep nesting,
/// where the line and column in `message` say more).
fn located(path: &str, message: &impl fmt::Display) -> String {
    if path == "." || path.is_empty() || path.len() > 200 {
        message.to_string()
    } else {
        format!("{path}: {message}")
    }
}

/// Reads `path` if it is JSON: any file named `*.json`, and other files whose first
/// character is `{`. A `.json` file that does not parse is an error; another file that does
/// not parse is skipped.
fn read(path: &Path) -> Result<Contents> {
    let is_json_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    if !is_json_name {
        let mut head = Vec::with_capacity(4096);
        (&mut file)
            .take(4096)
            .read_to_end(&mut head)
            .map_err(|e| Error::io(path, e))?;
        if head.starts_with(&[0x1f, 0x8b]) {
            return Ok(Contents::Skip(
                "gzip-compressed (decompress it to load it)".into(),
            ));
        }
        if first_char(&head) != Some(b'{') {
            return Ok(Contents::Skip("not JSON".into()));
        }
        bytes = head;
    }
    file.read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    let text = match decode(&bytes) {
        Ok(text) => text,
        Err(reason) if is_json_name => return Err(Error::input(path, reason)),
        Err(reason) => return Ok(Contents::Skip(reason)),
    };
    match parse_value(&text) {
        Ok(value) => Ok(Contents::Json(value)),
        Err(reason) if is_json_name => Err(Error::input(path, reason)),
        Err(reason) => Ok(Contents::Skip(format!("not valid JSON: {reason}"))),
    }
}

/// Parses JSON text, saying where it fails: the JSON path (when it helps) and serde_json's line
/// and column. Nesting deeper than serde_json's recursion limit fails here.
fn parse_value(text: &[u8]) -> std::result::Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value: Value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| located(&e.path().to_string(), e.inner()))?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// The first non-blank character of `head` if it is ASCII, looking through a UTF-8 or UTF-16
/// byte-order mark.
fn first_char(head: &[u8]) -> Option<u8> {
    let mut units: Box<dyn Iterator<Item = u16> + '_> =
        if let Some(rest) = head.strip_prefix(&[0xff, 0xfe]) {
            Box::new(
                rest.chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]])),
            )
        } else if let Some(rest) = head.strip_prefix(&[0xfe, 0xff]) {
            Box::new(
                rest.chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]])),
            )
        } else {
            let rest = head.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(head);
            Box::new(rest.iter().map(|&b| u16::from(b)))
        };
    let first = units.find(|&u| !matches!(u, 0x20 | 0x09 | 0x0a | 0x0d))?;
    u8::try_from(first).ok().filter(u8::is_ascii)
}

/// The text of a file as UTF-8: a UTF-8 byte-order mark is dropped and UTF-16 (which Windows
/// PowerShell writes when redirecting CLI output) is re-encoded.
fn decode(bytes: &[u8]) -> std::result::Result<Cow<'_, [u8]>, String> {
    let (rest, little) = if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        (rest, true)
    } else if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        (rest, false)
    } else {
        return Ok(Cow::Borrowed(
            bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes),
        ));
    };
    if rest.len() % 2 != 0 {
        return Err("UTF-16 text with an odd number of bytes".into());
    }
    let units = rest.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .collect::<std::result::Result<String, _>>()
        .map(|s| Cow::Owned(s.into_bytes()))
        .map_err(|e| format!("invalid UTF-16: {e}"))
}

#[cfg(test)]
mod tests;
