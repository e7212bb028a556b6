//! Flow logs in S3 and S3-compatible stores: `s3://bucket/prefix` inputs.
//!
//! Owns the connection (credentials found the way AWS tools find them), the listing (only the
//! prefixes that a time window and the account/region scope can hold are listed), the read of
//! each object's head that resolves its layout before the run, and the fetching of objects to
//! a spool directory ahead of the parser: a bounded number at a time, each deleted once read.
//! The parser sees a fetched object as a local file; what is inside it is left to
//! `ingest::source`. Datasets that `ingest` writes to S3 are `dataset`'s.

pub mod dataset;
pub mod lease;

use std::collections::HashMap;
use std::io::{Cursor, Write};
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use flate2::read::MultiGzDecoder;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig,
};

use crate::error::{Error, Result};
use crate::ingest::ReadOptions;
use crate::ingest::discover::{self, Discovery, Found, PathInfo, Scope, Window};
use crate::ingest::format::Layout;
use crate::ingest::parallel::{Fetcher, Fetching, Input, Unfetched};
use crate::ingest::source::{self, SourceKind};

/// Whether an input names an object-store location rather than a local path.
pub fn is_remote(input: &FsPath) -> bool {
    input.to_str().is_some_and(|s| s.starts_with("s3://"))
}

/// A bucket and a key (or key prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Url {
    /// Bucket name.
    pub bucket: String,
    /// Key or prefix, without a leading slash.
    pub key: String,
}

impl S3Url {
    /// Parses `s3://bucket[/key]`.
    pub fn parse(url: &str) -> Result<S3Url> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| Error::Usage(format!("{url}: not an s3:// URL")))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::Usage(format!("{url}: no bucket name")));
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    fn object(bucket: &str, key: &str) -> String {
        format!("s3://{bucket}/{key}")
    }
}

/// How to reach S3: what the command line says. Credentials, region and endpoint not given
/// there come from the environment (`AWS_ACCESS_KEY_ID`..., `AWS_PROFILE`, `AWS_REGION`,
/// `AWS_ENDPOINT_URL`, web identity, container credentials), then the shared config and
/// credentials files (`~/.aws/`), then the instance metadata service.
#[derive(Clone, Debug, Default)]
pub struct Connection {
    /// Profile of the shared AWS files (`--profile`).
    pub profile: Option<String>,
    /// The buckets' region (`--region`).
    pub region: Option<String>,
    /// Endpoint of an S3-compatible store (`--endpoint-url`).
    pub endpoint_url: Option<String>,
    /// Objects fetched at once.
    pub concurrency: usize,
}

/// Bytes read from the start of an object to find its layout.
const HEAD_BYTES: u64 = 64 << 10;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Connection {
    /// A client for one bucket.
    pub fn store(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let env_keys = env("AWS_ACCESS_KEY_ID").is_some();
        let other_source = env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
            || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
            || env("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some();
        let named = self
            .profile
            .clone()
            .or_else(|| env("AWS_PROFILE").filter(|_| !env_keys));
        let profile = match &named {
            Some(name) => Some(Profile::load(name)?.ok_or_else(|| {
                Error::Usage(format!(
                    "profile {name}: not found in {} or {}",
                    aws_file("AWS_CONFIG_FILE", "config").display(),
                    aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials").display()
                ))
            })?),
            None if !env_keys && !other_source => Profile::load("default")?,
            None => None,
        };
        if let Some(p) = &profile
            && (named.is_some() || p.access_key_id.is_some())
        {
            b = p.apply(b, named.as_deref().unwrap_or("default"))?;
        }
        let region = self
            .region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .or_else(|| profile.as_ref().and_then(|p| p.region.clone()));
        if let Some(r) = region {
            b = b.with_region(r);
        }
        let endpoint = self
            .endpoint_url
            .clone()
            .or_else(|| env("AWS_ENDPOINT_URL_S3"))
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .or_else(|| profile.as_ref().and_then(|p| p.endpoint_url.clone()));
        let retry = RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 4,
            retry_timeout: Duration::from_secs(60),
        };
        // (Client options hold allow-http too: they go first.)
        let client = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(300));
        b = b.with_client_options(client).with_retry(retry);
        if let Some(e) = endpoint {
            b = b.with_allow_http(e.starts_with("http://")).with_endpoint(e);
        }
        let store = b
            .build()
            .map_err(|e| Error::Usage(format!("s3://{bucket}: {e}")))?;
        Ok(Arc::new(store))
    }
}

/// Where a shared AWS file is: the variable that names it, else `~/.aws/<name>`.
fn aws_file(var: &str, name: &str) -> PathBuf {
    env(var).map(PathBuf::from).unwrap_or_else(|| {
        let home = env("HOME").unwrap_or_default();
        FsPath::new(&home).join(".aws").join(name)
    })
}

/// A profile of the shared config and credentials files.
#[derive(Debug, Default)]
struct Profile {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
    /// A way of getting credentials this tool does not follow (role_arn, sso, a process).
    indirect: Option<&'static str>,
}

impl Profile {
    /// The profile `name`, if either file has it.
    fn load(name: &str) -> Result<Option<Profile>> {
        let credentials = read_ini(&aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"))?;
        let config = read_ini(&aws_file("AWS_CONFIG_FILE", "config"))?;
        let in_config = format!("profile {name}");
        let sections = [
            credentials.as_ref().and_then(|c| c.section(Some(name))),
            config.as_ref().and_then(|c| {
                c.section(Some(in_config.as_str()))
                    .or_else(|| (name == "default").then(|| c.section(Some(name))).flatten())
            }),
        ];
        if sections.iter().all(Option::is_none) {
            return Ok(None);
        }
        let get = |key: &str| {
            sections
                .iter()
                .flatten()
                .find_map(|s| s.get(key))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let indirect = [
            "role_arn",
            "sso_session",
            "sso_start_url",
            "credential_process",
        ]
        .into_iter()
        .find(|k| get(k).is_some());
        Ok(Some(Profile {
            access_key_id: get("aws_access_key_id"),
            secret_access_key: get("aws_secret_access_key"),
            session_token: get("aws_session_token"),
            region: get("region"),
            endpoint_url: get("endpoint_url"),
            indirect,
        }))
    }

    fn apply(&self, b: AmazonS3Builder, name: &str) -> Result<AmazonS3Builder> {
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(id), Some(secret)) => {
                let b = b.with_access_key_id(id).with_secret_access_key(secret);
                Ok(match &self.session_token {
                    Some(t) => b.with_token(t),
                    None => b,
                })
            }
            _ => Err(Error::Usage(match self.indirect {
                Some(how) => format!(
                    "profile {name} gets its credentials through {how}, which vpcflow does not \
                     follow: export them first (`aws configure export-credentials --profile \
                     {name} --format env`)"
                ),
                None => {
                    format!("profile {name} has no aws_access_key_id and aws_secret_access_key")
                }
            })),
        }
    }
}

fn read_ini(path: &FsPath) -> Result<Option<ini::Ini>> {
    match ini::Ini::load_from_file(path) {
        Ok(i) => Ok(Some(i)),
        Err(ini::Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        // The parser's message quotes no value, so no secret reaches the terminal.
        Err(ini::Error::Io(e)) => Err(Error::io(path, e)),
        Err(ini::Error::Parse(e)) => Err(Error::input(
            path,
            format!(
                "not a valid AWS config file (line {}, column {})",
                e.line, e.col
            ),
        )),
    }
}

/// Runs `f` on a runtime of its own, on a thread of its own, so that it can be called from
/// inside another runtime or none.
pub(crate) fn block_on<T: Send>(f: impl std::future::Future<Output = T> + Send) -> Result<T> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| Error::Data(format!("cannot start the S3 runtime: {e}")))?;
            Ok(rt.block_on(f))
        })
        .join()
        .unwrap_or_else(|_| Err(Error::Data("the S3 runtime stopped".into())))
    })
}

/// Says what went wrong with a request, without the request's credentials: the store's error
/// code and message where its answer has them.
fn describe(e: &object_store::Error) -> String {
    let text = e.to_string();
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let len = text[start..].find('<')?;
        Some(text[start..start + len].to_string())
    };
    let answer = match (tag("Code"), tag("Message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        _ => one_line(&text),
    };
    let hint = if [
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "InvalidToken",
        "ExpiredToken",
    ]
    .iter()
    .any(|c| answer.starts_with(c))
    {
        " (check the credentials: --profile, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
         ~/.aws/credentials)"
    } else if text.contains("error sending request") {
        " (check the endpoint: --endpoint-url, AWS_ENDPOINT_URL, --region)"
    } else {
        ""
    };
    let answer = format!("{answer}{hint}");
    match e {
        object_store::Error::NotFound { .. } => format!("not found ({answer})"),
        object_store::Error::PermissionDenied { .. } => format!("access denied (403 {answer})"),
        object_store::Error::Unauthenticated { .. } => format!("not authenticated (401 {answer})"),
        object_store::Error::Precondition { .. } => {
            "changed since it was listed (its ETag differs)".into()
        }
        _ => answer,
    }
}

/// A key as the store's path, as it is (listed keys are taken raw; only a key that is not a
/// valid path is encoded).
fn key_path(key: &str) -> Path {
    Path::parse(key).unwrap_or_else(|_| Path::from(key))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One client per bucket, made on first use.
#[derive(Default)]
struct Stores(HashMap<String, Arc<dyn ObjectStore>>);

impl Stores {
    fn get(&mut self, conn: &Connection, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        if let Some(s) = self.0.get(bucket) {
            return Ok(s.clone());
        }
        let s = conn.store(bucket)?;
        self.0.insert(bucket.to_string(), s.clone());
        Ok(s)
    }
}

/// What listing the `s3://` inputs found, and what fetching them needs.
pub struct Listed {
    /// Objects found, skipped and left out, one discovery per URL, in the URLs' order.
    pub discoveries: Vec<Discovery>,
    /// What brings the objects to local files during a run.
    pub fetcher: Arc<S3Fetcher>,
}

/// Lists the objects under `urls` that the window and scope admit, and reads each one's head
/// to resolve its first layout.
pub fn discover(urls: &[&str], read: &ReadOptions, conn: &Connection) -> Result<Listed> {
    let fallback = read.format.clone().unwrap_or_else(Layout::default_v2);
    let max_line = read.max_line.unwrap_or(1 << 20);
    let concurrency = conn.concurrency.max(1);
    let mut stores = Stores::default();
    let mut discoveries = Vec::new();
    let mut objects = HashMap::new();
    for url in urls {
        let loc = S3Url::parse(url)?;
        let store = stores.get(conn, &loc.bucket)?;
        let (found, skipped, outside_window) = block_on(async {
            let (found, skipped, outside) =
                list(store.as_ref(), &loc, &read.window, &read.scope).await?;
            let found = resolve_heads(
                store.clone(),
                &loc.bucket,
                found,
                &fallback,
                max_line,
                concurrency,
            )
            .await;
            Ok::<_, Error>((found, skipped, outside))
        })??;
        for f in &found {
            objects.insert(f.path.display().to_string(), (f.size, f.etag.clone()));
        }
        discoveries.push(Discovery {
            found,
            skipped,
            outside_window,
            errors: Vec::new(),
        });
    }
    Ok(Listed {
        discoveries,
        fetcher: Arc::new(S3Fetcher {
            conn: conn.clone(),
            objects,
        }),
    })
}

type ListedObjects = (Vec<Found>, Vec<(PathBuf, String)>, usize);

/// Lists `loc`: one object when it names one, else the tree below it, level by level,
/// descending only into prefixes that the window and scope admit.
async fn list(
    store: &dyn ObjectStore,
    loc: &S3Url,
    window: &Window,
    scope: &Scope,
) -> Result<ListedObjects> {
    let url = S3Url::object(&loc.bucket, &loc.key);
    let failed = |e: object_store::Error| Error::input(&url, describe(&e));
    let (mut found, mut skipped, mut outside) = (Vec::new(), Vec::new(), 0usize);
    if !loc.key.is_empty() && !loc.key.ends_with('/') {
        // A key named on the command line is read whatever its name, like a file.
        match store.head(&key_path(&loc.key)).await {
            Ok(meta) => {
                let f = found_object(&loc.bucket, &meta);
                if window.admits(&f.info) && scope.admits(&f.info) {
                    found.push(f);
                } else {
                    outside += 1;
                }
                return Ok((found, skipped, outside));
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(failed(e)),
        }
    }
    let root = loc.key.trim_end_matches('/');
    let mut level: Vec<Option<Path>> = vec![(!root.is_empty()).then(|| key_path(root))];
    while !level.is_empty() {
        let results: Vec<_> = futures::stream::iter(level.iter().cloned())
            .map(|p| async move { store.list_with_delimiter(p.as_ref()).await })
            .buffered(8)
            .try_collect()
            .await
            .map_err(failed)?;
        let mut next = Vec::new();
        for r in results {
            if dataset::is_dataset_level(&r.common_prefixes) {
                // An ingested dataset inside the tree is output, not input.
                continue;
            }
            for meta in &r.objects {
                let name = FsPath::new(meta.location.as_ref());
                if let Some(why) = discover::skip_reason(name) {
                    skipped.push((
                        PathBuf::from(S3Url::object(&loc.bucket, meta.location.as_ref())),
                        why,
                    ));
                    continue;
                }
                let f = found_object(&loc.bucket, meta);
                if window.admits(&f.info) && scope.admits(&f.info) {
                    found.push(f);
                } else {
                    outside += 1;
                }
            }
            next.extend(
                r.common_prefixes
                    .into_iter()
                    .filter(|p| prefix_admits(p.as_ref(), window, scope))
                    .map(Some),
            );
        }
        level = next;
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.sort();
    Ok((found, skipped, outside))
}

fn found_object(bucket: &str, meta: &ObjectMeta) -> Found {
    let path = PathBuf::from(S3Url::object(bucket, meta.location.as_ref()));
    Found {
        info: discover::path_info(&path),
        size: meta.size,
        modified: meta
            .last_modified
            .timestamp_nanos_opt()
            .map_or(0, i128::from),
        etag: meta.e_tag.clone(),
        layout: None,
        path,
    }
}

/// Whether a prefix (a "directory" of the listing) may hold objects the window and scope
/// want, by the AWS key layout: `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]` or
/// its Hive-style variant. Prefixes outside the layout are always descended into.
pub fn prefix_admits(prefix: &str, window: &Window, scope: &Scope) -> bool {
    let parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
    let Some(at) = parts.iter().rposition(|p| *p == "AWSLogs") else {
        return true;
    };
    let rest = &parts[at + 1..];
    let (mut account, mut service, mut region) = (None, None, None);
    let mut date: Vec<&str> = Vec::new();
    if rest.first().is_some_and(|p| p.contains('=')) {
        for p in rest {
            match p.split_once('=') {
                Some(("aws-account-id", v)) => account = Some(v),
                Some(("aws-service", v)) => service = Some(v),
                Some(("aws-region", v)) => region = Some(v),
                Some(("year" | "month" | "day" | "hour", v)) => date.push(v),
                _ => {}
            }
        }
    } else {
        account = rest.first().copied();
        service = rest.get(1).copied();
        region = rest.get(2).copied();
        date = rest.get(3..).unwrap_or_default().to_vec();
    }
    if service.is_some_and(|s| s != "vpcflowlogs")
        || account.is_some_and(|a| !scope.account(a))
        || region.is_some_and(|r| !scope.region(r))
    {
        return false;
    }
    let nums: Vec<u32> = date.iter().map_while(|d| d.parse().ok()).collect();
    match span_of(&nums) {
        Some(span) => window.admits(&PathInfo {
            span: Some(span),
            ..PathInfo::default()
        }),
        None => true,
    }
}

/// The time a partial date path names: a year, a month, a day or an hour.
fn span_of(nums: &[u32]) -> Option<(DateTime<Utc>, chrono::Duration)> {
    let year = i32::try_from(*nums.first()?).ok()?;
    let (start, end) = match nums {
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
            let t = NaiveDate::from_ymd_opt(year, *m, *d)?.and_hms_opt(*h, 0, 0)?;
            return Some((Utc.from_utc_datetime(&t), chrono::Duration::hours(1)));
        }
        [] => return None,
    };
    let t = Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0)?);
    Some((t, end.signed_duration_since(start)))
}

/// Reads the head of every object (the footer too, for Parquet) to learn its first layout.
/// An object whose head cannot be read keeps none: its error is reported when it is fetched.
async fn resolve_heads(
    store: Arc<dyn ObjectStore>,
    bucket: &str,
    found: Vec<Found>,
    fallback: &Layout,
    max_line: usize,
    concurrency: usize,
) -> Vec<Found> {
    let prefix_len = format!("s3://{bucket}/").len();
    futures::stream::iter(found)
        .map(|mut f| {
            let store = store.clone();
            async move {
                let key = f.path.to_string_lossy()[prefix_len..].to_string();
                f.layout = head_layout(store, &key, f.size, fallback, max_line).await;
                f
            }
        })
        .buffered(concurrency)
        .collect()
        .await
}

async fn head_layout(
    store: Arc<dyn ObjectStore>,
    key: &str,
    size: u64,
    fallback: &Layout,
    max_line: usize,
) -> Option<Layout> {
    if size == 0 {
        return None;
    }
    let path = key_path(key);
    let mut want = size.min(HEAD_BYTES);
    loop {
        let head = store.get_range(&path, 0..want).await.ok()?;
        let whole = want == size;
        let layout = match source::sniff(&head) {
            SourceKind::Parquet => return parquet_layout(store, path, size).await,
            SourceKind::Gzip => source::text_layout(
                source::Steps::new(MultiGzDecoder::new(Cursor::new(head))),
                whole,
                fallback,
                max_line,
            ),
            SourceKind::Plain => source::text_layout(Cursor::new(head), whole, fallback, max_line),
        };
        match layout {
            Some(l) => return Some(l),
            // The first line runs past the head: read as much as a longest line can take.
            None if !whole && want < 2 * max_line as u64 + HEAD_BYTES => {
                want = size.min(2 * max_line as u64 + HEAD_BYTES);
            }
            None => return Some(fallback.clone()),
        }
    }
}

/// The layout of a Parquet object, from its footer: the column names.
async fn parquet_layout(store: Arc<dyn ObjectStore>, path: Path, size: u64) -> Option<Layout> {
    use parquet::file::metadata::{FooterTail, ParquetMetaDataReader};
    let tail = store
        .get_range(&path, size.checked_sub(8)?..size)
        .await
        .ok()?;
    let tail: [u8; 8] = tail.as_ref().try_into().ok()?;
    let len = FooterTail::try_new(&tail).ok()?.metadata_length() as u64;
    let start = size.checked_sub(8 + len)?;
    let footer = store.get_range(&path, start..size - 8).await.ok()?;
    let meta = ParquetMetaDataReader::decode_metadata(&footer).ok()?;
    let names: Vec<&str> = meta
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name())
        .collect();
    Layout::parse_format(&names.join(" ")).ok()
}

/// Points the remote inputs of a prepared run at the fetcher.
pub fn attach(inputs: &mut [Input], fetcher: &Arc<S3Fetcher>) {
    for input in inputs.iter_mut().filter(|i| is_remote(&i.path)) {
        input.fetcher = Some(fetcher.clone());
        // Whether an object changed is the ETag's business (see `fetch`), not a local stamp's.
        input.stamp = None;
    }
}

/// Fetches listed S3 objects for runs: each run gets its own spool directory.
#[derive(Debug)]
pub struct S3Fetcher {
    conn: Connection,
    /// Size and ETag of each object when listed, by URL.
    objects: HashMap<String, (u64, Option<String>)>,
}

impl Fetcher for S3Fetcher {
    fn start(&self, urls: Vec<String>) -> Box<dyn Fetching> {
        Box::new(Spool::start(self, urls))
    }
}

enum Slot {
    Pending,
    Ready,
    Failed(Unfetched),
    Released,
}

fn failed(message: impl Into<String>) -> Slot {
    Slot::Failed(Unfetched {
        message: message.into(),
        changed: false,
    })
}

struct Shared {
    dir: Option<tempfile::TempDir>,
    slots: Mutex<Vec<Slot>>,
    changed: Condvar,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Shared {
    fn path(&self, n: usize) -> PathBuf {
        let dir = self
            .dir
            .as_ref()
            .map_or_else(std::env::temp_dir, |d| d.path().to_path_buf());
        dir.join(format!("{n:08}"))
    }

    /// Fails every object not fetched yet, and wakes whoever waits for one.
    fn fail_pending(&self, why: &str) {
        if let Ok(mut slots) = self.slots.lock() {
            for slot in slots.iter_mut().filter(|s| matches!(s, Slot::Pending)) {
                *slot = failed(why);
            }
        }
        self.changed.notify_all();
    }

    fn set(&self, n: usize, slot: Slot) {
        if let Ok(mut slots) = self.slots.lock() {
            slots[n] = slot;
        }
        self.changed.notify_all();
    }
}

/// One run's fetching: objects are fetched in order, at most `concurrency` of them fetched or
/// waiting to be read at a time, into a temporary directory removed with the run.
struct Spool {
    shared: Arc<Shared>,
}

impl Spool {
    fn start(fetcher: &S3Fetcher, urls: Vec<String>) -> Spool {
        let concurrency = fetcher.conn.concurrency.max(1);
        let dir = tempfile::Builder::new().prefix("vpcflow-s3-").tempdir();
        let failure = dir
            .as_ref()
            .err()
            .map(|e| format!("cannot make a spool directory: {e}"));
        let shared = Arc::new(Shared {
            dir: dir.ok(),
            slots: Mutex::new(urls.iter().map(|_| Slot::Pending).collect()),
            changed: Condvar::new(),
            permits: Arc::new(tokio::sync::Semaphore::new(concurrency)),
        });
        if let Some(why) = failure {
            shared.fail_pending(&why);
            return Spool { shared };
        }
        let jobs: Vec<(String, u64, Option<String>)> = urls
            .into_iter()
            .map(|u| {
                let (size, etag) = fetcher.objects.get(&u).cloned().unwrap_or((0, None));
                (u, size, etag)
            })
            .collect();
        let (conn, worker) = (fetcher.conn.clone(), shared.clone());
        let spawned = std::thread::Builder::new()
            .name("vpcflow-s3-fetch".into())
            .spawn(move || fetch_all(conn, jobs, worker));
        if let Err(e) = spawned {
            shared.fail_pending(&format!("cannot start fetching: {e}"));
        }
        Spool { shared }
    }
}

impl Fetching for Spool {
    fn local_path(&self, n: usize) -> PathBuf {
        self.shared.path(n)
    }

    fn wait(&self, n: usize) -> Result<(), Unfetched> {
        let stopped = || Unfetched {
            message: "the fetch stopped".into(),
            changed: false,
        };
        let Ok(mut slots) = self.shared.slots.lock() else {
            return Err(stopped());
        };
        loop {
            match &slots[n] {
                Slot::Pending => {}
                Slot::Ready => return Ok(()),
                Slot::Failed(why) => return Err(why.clone()),
                Slot::Released => return Err(stopped()),
            }
            slots = match self.shared.changed.wait(slots) {
                Ok(s) => s,
                Err(_) => return Err(stopped()),
            };
        }
    }

    fn release(&self, n: usize) {
        let _ = std::fs::remove_file(self.shared.path(n));
        self.shared.set(n, Slot::Released);
        self.shared.permits.add_permits(1);
    }

    fn cancel(&self) {
        // Stops the fetching thread (the spool directory goes with the last reference) and
        // wakes whoever waits for an object that will not come.
        self.shared.permits.close();
        self.shared
            .fail_pending("the run ended before it was fetched");
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The fetching thread: starts each fetch in order once a permit is free.
fn fetch_all(conn: Connection, jobs: Vec<(String, u64, Option<String>)>, shared: Arc<Shared>) {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            shared.fail_pending(&format!("cannot start the S3 runtime: {e}"));
            return;
        }
    };
    rt.block_on(async move {
        let mut stores = Stores::default();
        let mut tasks = tokio::task::JoinSet::new();
        for (n, (url, size, etag)) in jobs.into_iter().enumerate() {
            match shared.permits.clone().acquire_owned().await {
                Ok(p) => p.forget(),
                Err(_) => break,
            }
            let loc = match S3Url::parse(&url) {
                Ok(l) => l,
                Err(e) => {
                    shared.set(n, failed(e.to_string()));
                    continue;
                }
            };
            let store = match stores.get(&conn, &loc.bucket) {
                Ok(s) => s,
                Err(e) => {
                    shared.set(n, failed(e.to_string()));
                    continue;
                }
            };
            let shared = shared.clone();
            tasks.spawn(async move {
                let to = shared.path(n);
                let slot = match fetch(store.as_ref(), &loc.key, size, etag, &to).await {
                    Ok(()) => Slot::Ready,
                    Err(why) => {
                        let _ = std::fs::remove_file(&to);
                        Slot::Failed(why)
                    }
                };
                shared.set(n, slot);
            });
        }
        while tasks.join_next().await.is_some() {}
    });
}

/// Fetches one object to `to`, checking that it is still the object that was listed.
async fn fetch(
    store: &dyn ObjectStore,
    key: &str,
    size: u64,
    etag: Option<String>,
    to: &FsPath,
) -> Result<(), Unfetched> {
    let error = |e: object_store::Error| Unfetched {
        changed: matches!(e, object_store::Error::Precondition { .. }),
        message: describe(&e),
    };
    let spool = |e: std::io::Error| Unfetched {
        message: format!("cannot spool it to {}: {e}", to.display()),
        changed: false,
    };
    let options = GetOptions {
        if_match: etag,
        ..GetOptions::default()
    };
    let result = store
        .get_opts(&key_path(key), options)
        .await
        .map_err(error)?;
    let mut stream = result.into_stream();
    let mut file = std::fs::File::create(to).map_err(spool)?;
    let mut got = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(error)?;
        got += chunk.len() as u64;
        file.write_all(&chunk).map_err(spool)?;
    }
    if got != size {
        return Err(Unfetched {
            message: format!("changed since it was listed (size {size} -> {got} bytes)"),
            changed: true,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::discover::parse_time;

    #[test]
    fn urls() {
        let u = S3Url::parse("s3://logs/AWSLogs/1/").expect("url");
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("logs", "AWSLogs/1/"));
        let u = S3Url::parse("s3://logs").expect("url");
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("logs", ""));
        assert!(S3Url::parse("s3:///x").is_err());
        assert!(is_remote(FsPath::new("s3://b/k")));
        assert!(!is_remote(FsPath::new("./s3:/b")));
    }

    #[test]
    fn prefixes_pruned_by_window_and_scope() {
        let window = Window {
            since: Some(parse_time("2024-06-02").expect("t")),
            until: Some(parse_time("2024-06-03").expect("t")),
        };
        let scope = Scope {
            accounts: vec!["111".into()],
            regions: vec!["eu-west-1".into()],
        };
        let yes = |p: &str| prefix_admits(p, &window, &scope);
        assert!(yes("logs/"));
        assert!(yes("logs/AWSLogs/"));
        assert!(yes("logs/AWSLogs/111/"));
        assert!(!yes("logs/AWSLogs/222/"));
        assert!(!yes("logs/AWSLogs/111/elasticloadbalancing/"));
        assert!(yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/"));
        assert!(!yes("logs/AWSLogs/111/vpcflowlogs/us-east-1/"));
        assert!(yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/2024/"));
        assert!(!yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/2023/"));
        assert!(yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/2024/06/"));
        assert!(!yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/2024/07/"));
        // The day before and after may hold late deliveries of the window's records.
        assert!(yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/2024/06/01/"));
        assert!(yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/2024/06/03/"));
        assert!(!yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/2024/05/31/"));
        assert!(!yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/2024/06/04/"));
        assert!(!yes(
            "logs/AWSLogs/111/vpcflowlogs/eu-west-1/2024/06/01/12/"
        ));
        assert!(yes("logs/AWSLogs/111/vpcflowlogs/eu-west-1/2024/06/01/23/"));
        assert!(yes(
            "AWSLogs/aws-account-id=111/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=06/day=02/"
        ));
        assert!(!yes(
            "AWSLogs/aws-account-id=111/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=06/day=09/"
        ));
        assert!(!yes("AWSLogs/aws-account-id=999/"));
        // December rolls over into the next year.
        let dec = Window {
            since: Some(parse_time("2024-12-31").expect("t")),
            until: None,
        };
        assert!(prefix_admits(
            "AWSLogs/1/vpcflowlogs/r/2024/12/",
            &dec,
            &Scope::default()
        ));
        assert!(!prefix_admits(
            "AWSLogs/1/vpcflowlogs/r/2024/11/",
            &dec,
            &Scope::default()
        ));
    }
}
