//! Input discovery: files, directories and S3-layout trees -> the list of objects to parse.
//!
//! Walks directories (sorted, symlink loops detected), reads account, region, date and hour
//! from `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD[/HH]/` paths and their Hive-style
//! variant, reads the minute stamp from AWS's file names, and skips whole objects outside a
//! `--since/--until` window before opening them. Objects in a tree that are not flow logs are
//! listed as skipped. What is inside an object is left to `source`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{Error, Result};

/// Account, region and time read from an object's key or path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathInfo {
    /// Account id from the path.
    pub account: Option<String>,
    /// Region from the path.
    pub region: Option<String>,
    /// Start of the time span the path names, and its length.
    pub span: Option<(DateTime<Utc>, Duration)>,
}

impl PathInfo {
    /// The date the path names, as days since the Unix epoch.
    pub fn days(&self) -> Option<i32> {
        self.span
            .map(|(t, _)| t.timestamp().div_euclid(86_400) as i32)
    }
}

/// Whether an input names an object-store location (`s3://`) rather than a local path.
pub fn is_remote(input: &Path) -> bool {
    input.to_str().is_some_and(|s| s.starts_with("s3://"))
}

/// Reads what an object's path says about it. Both `AWSLogs/<account>/vpcflowlogs/<region>/
/// YYYY/MM/DD[/HH]` and `aws-account-id=/aws-region=/year=/month=/day=[/hour=]` are understood,
/// and the file-name stamp `_YYYYMMDDTHHmmZ_` narrows the time to five minutes.
pub fn path_info(path: &Path) -> PathInfo {
    let folders: Vec<String> = path
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let folders: Vec<&str> = folders.iter().map(String::as_str).collect();
    let mut info = PathInfo::default();
    if let Some(key) = AwsKey::of(&folders)
        && (key.hive || key.service == Some("vpcflowlogs"))
    {
        info.account = key.account.map(str::to_string);
        info.region = key.region.map(str::to_string);
        // A path names a day or an hour; a year or a month alone is a folder, not an object's.
        info.span = (key.date.len() >= 3).then(|| span_of(&key.date)).flatten();
    }
    if let Some(stamp) = file_stamp(path) {
        info.span = Some((stamp, Duration::minutes(5)));
    }
    info
}

/// What the folders after `AWSLogs` say by AWS's key layout, `<account>/vpcflowlogs/<region>/
/// YYYY/MM/DD[/HH]` or its Hive-style variant (`aws-account-id=...`): of a whole path, or of a
/// prefix that names only the first few.
#[derive(Debug, Default)]
pub(crate) struct AwsKey<'a> {
    /// Whether the folders are Hive-style (`name=value`).
    pub hive: bool,
    /// The account folder.
    pub account: Option<&'a str>,
    /// The service folder (`vpcflowlogs` for flow logs).
    pub service: Option<&'a str>,
    /// The region folder.
    pub region: Option<&'a str>,
    /// Year, month, day and hour, as far as the folders name them.
    pub date: Vec<u32>,
}

impl<'a> AwsKey<'a> {
    /// Reads `folders` (folder names, outermost first); `None` when none is `AWSLogs`.
    pub(crate) fn of(folders: &[&'a str]) -> Option<AwsKey<'a>> {
        let at = folders.iter().rposition(|p| *p == "AWSLogs")?;
        let rest = &folders[at + 1..];
        let mut key = AwsKey {
            hive: rest.iter().any(|p| p.contains('=')),
            ..AwsKey::default()
        };
        let mut date: Vec<&str> = Vec::new();
        if key.hive {
            for (name, value) in rest.iter().filter_map(|p| p.split_once('=')) {
                match name {
                    "aws-account-id" => key.account = Some(value),
                    "aws-service" => key.service = Some(value),
                    "aws-region" => key.region = Some(value),
                    "year" | "month" | "day" | "hour" => date.push(value),
                    _ => {}
                }
            }
        } else {
            key.account = rest.first().copied();
            key.service = rest.get(1).copied();
            key.region = rest.get(2).copied();
            date = rest.get(3..).unwrap_or_default().to_vec();
        }
        key.date = date.iter().map_while(|d| d.parse().ok()).collect();
        Some(key)
    }
}

/// The time that a year, a month, a day or an hour (`[YYYY, MM, DD, HH]`, as far as given)
/// names: its start and length.
pub(crate) fn span_of(date: &[u32]) -> Option<(DateTime<Utc>, Duration)> {
    let year = i32::try_from(*date.first()?).ok()?;
    let (start, end) = match date {
        [_] => (
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
        ),
        [_, m] => {
            let start = NaiveDate::from_ymd_opt(year, *m, 1)?;
            let end = if *m == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(year, m + 1, 1)?
            };
            (start, end)
        }
        [_, m, d] => {
            let start = NaiveDate::from_ymd_opt(year, *m, *d)?;
            (start, start.succ_opt()?)
        }
        [_, m, d, h, ..] => {
            let day = NaiveDate::from_ymd_opt(year, *m, *d)?;
            // A folder that is not an hour leaves the day.
            match day.and_hms_opt(*h, 0, 0) {
                Some(t) => return Some((Utc.from_utc_datetime(&t), Duration::hours(1))),
                None => (day, day.succ_opt()?),
            }
        }
        [] => return None,
    };
    let t = Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0)?);
    Some((t, end.signed_duration_since(start)))
}

/// The `YYYYMMDDTHHmmZ` stamp of an AWS flow-log file name
/// (`<account>_vpcflowlogs_<region>_<flow-log-id>_<stamp>_<hash>.log.gz`).
fn file_stamp(path: &Path) -> Option<DateTime<Utc>> {
    let name = path.file_name()?.to_str()?;
    let mut parts = name.rsplit('_');
    parts.next()?;
    let stamp = parts.next()?;
    let t = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%MZ").ok()?;
    Some(Utc.from_utc_datetime(&t))
}

/// A time window for selecting objects. Both ends optional; `until` is exclusive.
#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    /// Earliest time wanted.
    pub since: Option<DateTime<Utc>>,
    /// Time from which nothing is wanted.
    pub until: Option<DateTime<Utc>>,
}

/// Which accounts and regions to read (empty: all), by what an object's path says. Objects
/// whose path names no account or region are always read.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Account ids to keep.
    pub accounts: Vec<String>,
    /// Regions to keep.
    pub regions: Vec<String>,
}

impl Scope {
    /// Whether an account named by a path is wanted.
    pub fn account(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|a| a == account)
    }

    /// Whether a region named by a path is wanted.
    pub fn region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|r| r == region)
    }

    /// Whether an object with this path is wanted.
    pub fn admits(&self, info: &PathInfo) -> bool {
        info.account.as_deref().is_none_or(|a| self.account(a))
            && info.region.as_deref().is_none_or(|r| self.region(r))
    }
}

/// Records may be delivered up to about an hour after their interval, so objects are kept
/// when their path's span comes within this margin of the window.
const DELIVERY_MARGIN: Duration = Duration::hours(1);

impl Window {
    /// Whether an object whose path names this span may hold records in the window.
    /// Objects whose path names no time are always kept.
    pub fn admits(&self, info: &PathInfo) -> bool {
        let Some((start, len)) = info.span else {
            return true;
        };
        let end = start + len;
        if let Some(since) = self.since
            && end + DELIVERY_MARGIN <= since
        {
            return false;
        }
        if let Some(until) = self.until
            && start >= until + DELIVERY_MARGIN
        {
            return false;
        }
        true
    }
}

/// Parses a `--since/--until` value: `2024-06-01`, `2024-06-01T10:00`, `2024-06-01T10:00:00Z`.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Utc.from_utc_datetime(&t));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Utc.from_utc_datetime(&t));
    }
    Err(Error::Usage(format!(
        "'{s}' is not a time: use 2024-06-01, 2024-06-01T10:00 or RFC 3339"
    )))
}

/// One object to parse.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// Its path; `-` is standard input.
    pub path: PathBuf,
    /// What its path says.
    pub info: PathInfo,
    /// Size in bytes (0 for standard input).
    pub size: u64,
    /// Modification time in nanoseconds since the epoch (0 when unknown).
    pub modified: i128,
    /// The object store's entity tag, for objects in one.
    pub etag: Option<String>,
    /// Its first layout, when whoever found it has already read its head (object stores).
    pub layout: Option<super::format::Layout>,
    /// Read once, as a stream ([`super::source::is_stream`]): standard input, a pipe, a FIFO.
    pub stream: bool,
    /// The device and inode of a local file or pipe: what makes two paths one object.
    pub file_id: Option<(u64, u64)>,
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Objects to parse, in a stable order (arguments in order, directories sorted).
    pub found: Vec<Found>,
    /// Objects skipped because they are not flow logs, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Objects left out by the time window or the account/region scope.
    pub outside_window: usize,
    /// Directory entries that could not be read (permission, symlink loop), as messages.
    pub errors: Vec<String>,
    /// Objects found again after their first finding (a file named twice, or named and inside
    /// a folder given too; one object under two `s3://` prefixes): read once, at the first.
    pub repeated: Vec<PathBuf>,
}

impl Discovery {
    /// Adds what another discovery found, after what this one found.
    pub fn append(&mut self, mut other: Discovery) {
        self.found.append(&mut other.found);
        self.skipped.append(&mut other.skipped);
        self.outside_window += other.outside_window;
        self.errors.append(&mut other.errors);
        self.repeated.append(&mut other.repeated);
    }

    /// Keeps each object once, at its first finding, so that none is counted twice; the
    /// others' paths go to `repeated`. One object is one file or pipe (by device and inode,
    /// whatever path or link names it), one object-store URL, or standard input.
    pub fn drop_repeats(&mut self) {
        let mut seen = std::collections::HashSet::new();
        let mut repeated = Vec::new();
        self.found.retain(|f| {
            // A local object by its file; an object-store one, or standard input, by its name.
            let first = seen.insert(f.file_id.ok_or_else(|| f.path.clone()));
            if !first {
                repeated.push(f.path.clone());
            }
            first
        });
        self.repeated.append(&mut repeated);
    }
}

/// Whether a file met while walking a directory looks like a flow-log object. Files named on
/// the command line are always read; in trees, AWS writes `.log.gz` and `.log.parquet` and
/// users keep `.log`/`.txt`/`.gz`, while digests, manifests and temporary uploads are skipped.
pub fn skip_reason(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.starts_with('.') {
        return Some("hidden file".into());
    }
    let ok = [".log", ".gz", ".parquet", ".txt"];
    if ok.iter().any(|e| name.ends_with(e)) {
        None
    } else {
        Some("not a flow-log object (expected .log, .log.gz, .log.parquet, .gz or .txt)".into())
    }
}

/// Size in bytes and modification time (nanoseconds since the epoch, 0 when unknown): what
/// tells that an object changed.
pub fn stamp(meta: &std::fs::Metadata) -> (u64, i128) {
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    (meta.len(), modified)
}

fn found(path: PathBuf, meta: Option<&std::fs::Metadata>) -> Found {
    use std::os::unix::fs::MetadataExt;
    let (size, modified) = meta.map_or((0, 0), stamp);
    Found {
        info: path_info(&path),
        size,
        modified,
        stream: super::source::streamed(&path, meta),
        file_id: meta.map(|m| (m.dev(), m.ino())),
        path,
        etag: None,
        layout: None,
    }
}

/// Why an object met in a tree is not read beside a gzip object of the same name and `.gz`
/// (`x.log` beside `x.log.gz`: one a compressed or decompressed copy of the other, holding the
/// same records, which would otherwise be counted twice), if that is so: only the gzip object,
/// as AWS delivers them, is read. `exists` tells whether a name is beside it.
pub fn copy_reason(name: &str, exists: impl Fn(&str) -> bool) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".gz") || lower.ends_with(".parquet") {
        return None;
    }
    let gzip = format!("{name}.gz");
    exists(&gzip)
        .then(|| format!("the same name as {gzip} beside it, a copy of it; that one is read"))
}

/// Expands the inputs given on the command line.
pub fn discover(inputs: &[PathBuf], window: &Window, scope: &Scope) -> Result<Discovery> {
    let mut out = Discovery::default();
    for input in inputs {
        if input.as_os_str() == "-" {
            out.found.push(found(input.clone(), None));
            continue;
        }
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() && super::sink::is_dataset(input) {
            // Given alone, a dataset is read as one (`dataset_root`); never as raw logs.
            return Err(Error::Usage(format!(
                "{}: {DATASET_INSIDE}, not mixed with other inputs",
                input.display()
            )));
        }
        if meta.is_dir() {
            walk(input, window, scope, &mut out);
        } else {
            let f = found(input.clone(), Some(&meta));
            if window.admits(&f.info) && scope.admits(&f.info) {
                out.found.push(f);
            } else {
                out.outside_window += 1;
            }
        }
    }
    Ok(out)
}

/// Why a vpcflow dataset met among raw inputs is not read with them.
pub const DATASET_INSIDE: &str = "a vpcflow dataset: read it on its own";

fn walk(dir: &Path, window: &Window, scope: &Scope, out: &mut Discovery) {
    // A vpcflow dataset inside the tree is output, not input: skipped, and said so.
    let mut datasets = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let dataset = e.file_type().is_dir() && super::sink::is_dataset(e.path());
            if dataset {
                datasets.push(e.path().to_path_buf());
            }
            !dataset
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.errors.push(e.to_string());
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let name = entry.file_name().to_string_lossy();
        let copy = || copy_reason(&name, |n| path.with_file_name(n).is_file());
        if let Some(reason) = skip_reason(&path).or_else(copy) {
            out.skipped.push((path, reason));
            continue;
        }
        let meta = entry.metadata().ok();
        let f = found(path, meta.as_ref());
        if window.admits(&f.info) && scope.admits(&f.info) {
            out.found.push(f);
        } else {
            out.outside_window += 1;
        }
    }
    let inside = datasets
        .into_iter()
        .map(|d| (d, DATASET_INSIDE.to_string()));
    out.skipped.extend(inside);
}

/// Turns paths into a list that names an ingested dataset, if that is what was given: a single
/// directory holding vpcflow's dataset marker.
pub fn dataset_root(inputs: &[PathBuf]) -> Option<PathBuf> {
    match inputs {
        [one] if super::sink::is_dataset(one) => Some(one.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time(s).expect("time")
    }

    #[test]
    fn a_log_beside_its_gzip_copy_is_the_copy() {
        let beside = |names: &'static [&'static str]| move |n: &str| names.contains(&n);
        let reason = copy_reason("x.log", beside(&["x.log.gz"])).expect("a copy");
        assert!(reason.contains("x.log.gz"), "{reason}");
        assert!(copy_reason("x.txt", beside(&["x.txt.gz"])).is_some());
        // The gzip object itself, Parquet, and logs without a copy are read.
        assert_eq!(copy_reason("x.log.gz", beside(&["x.log.gz.gz"])), None);
        assert_eq!(
            copy_reason("x.log.parquet", beside(&["x.log.parquet.gz"])),
            None
        );
        assert_eq!(copy_reason("x.log", beside(&["y.log.gz", "x.gz"])), None);
    }

    #[test]
    fn s3_layouts() {
        let p = path_info(Path::new(
            "b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/06/01/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20240601T1620Z_fe123456.log.gz",
        ));
        assert_eq!(p.account.as_deref(), Some("123456789012"));
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        assert_eq!(p.span, Some((t("2024-06-01T16:20"), Duration::minutes(5))));

        let p = path_info(Path::new(
            "x/AWSLogs/aws-account-id=044455556666/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=06/day=02/hour=07/a.log.gz",
        ));
        assert_eq!(p.account.as_deref(), Some("044455556666"));
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
        assert_eq!(p.span, Some((t("2024-06-02T07:00"), Duration::hours(1))));

        let p = path_info(Path::new(
            "AWSLogs/1/vpcflowlogs/us-east-1/2024/06/03/x.log",
        ));
        assert_eq!(p.span, Some((t("2024-06-03"), Duration::days(1))));
        assert_eq!(p.days(), Some(19877));
        assert_eq!(path_info(Path::new("logs/x.log")), PathInfo::default());

        // A folder after the day that is not an hour leaves the day; a tree with too few
        // folders names no region (not the file's name).
        let p = path_info(Path::new(
            "AWSLogs/1/vpcflowlogs/us-east-1/2024/06/03/24/x.log",
        ));
        assert_eq!(p.span, Some((t("2024-06-03"), Duration::days(1))));
        let p = path_info(Path::new("AWSLogs/1/vpcflowlogs/x.log"));
        assert_eq!((p.account.as_deref(), p.region), (Some("1"), None));
    }

    #[test]
    fn window_keeps_objects_near_the_edges() {
        let w = Window {
            since: Some(t("2024-06-02")),
            until: Some(t("2024-06-03")),
        };
        let day = |d: &str| PathInfo {
            span: Some((t(d), Duration::days(1))),
            ..PathInfo::default()
        };
        assert!(!w.admits(&day("2024-05-31")));
        assert!(
            w.admits(&day("2024-06-01")),
            "late deliveries of the day before"
        );
        assert!(w.admits(&day("2024-06-02")));
        assert!(
            w.admits(&day("2024-06-03")),
            "records of the window delivered late"
        );
        assert!(!w.admits(&day("2024-06-04")));
        assert!(w.admits(&PathInfo::default()));
    }
}
