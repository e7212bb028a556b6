//! Listing `s3://` inputs: only the prefixes that a time window and the account/region scope
//! can hold are listed, and each object's head is read to resolve its first layout.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use parquet::file::metadata::{FooterTail, ParquetMetaData, ParquetMetaDataReader};

use super::fetching::S3Fetcher;
use super::{Connection, S3Url, Stores, block_on, dataset, describe, key_path};
use crate::error::{Error, Result};
use crate::ingest::ReadOptions;
use crate::ingest::discover::{self, AwsKey, Discovery, Found, PathInfo, Scope, Window, span_of};
use crate::ingest::format::Layout;
use crate::ingest::source::{self, SourceKind};

/// Bytes read from the start of an object to find its layout.
const HEAD_BYTES: u64 = 64 << 10;

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
            ..Discovery::default()
        });
    }
    Ok(Listed {
        discoveries,
        fetcher: Arc::new(S3Fetcher::new(conn.clone(), objects)),
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
        for (prefix, r) in level.iter().zip(results) {
            if dataset::is_dataset_level(&r.common_prefixes) {
                // An ingested dataset inside the tree is output, not input: skipped, said so.
                let at = prefix.as_ref().map_or("", |p| p.as_ref());
                let url = PathBuf::from(S3Url::object(&loc.bucket, at));
                skipped.push((url, discover::DATASET_INSIDE.to_string()));
                continue;
            }
            let names: std::collections::HashSet<&str> = r
                .objects
                .iter()
                .filter_map(|m| m.location.filename())
                .collect();
            for meta in &r.objects {
                let name = FsPath::new(meta.location.as_ref());
                let copy = || {
                    let own = meta.location.filename()?;
                    discover::copy_reason(own, |n| names.contains(n))
                };
                if let Some(why) = discover::skip_reason(name).or_else(copy) {
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
        stream: false,
        file_id: None,
        path,
    }
}

/// Whether a prefix (a "directory" of the listing) may hold objects the window and scope
/// want, by the AWS key layout: `AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]` or
/// its Hive-style variant. Prefixes outside the layout are always descended into.
fn prefix_admits(prefix: &str, window: &Window, scope: &Scope) -> bool {
    let folders: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
    let Some(key) = AwsKey::of(&folders) else {
        return true;
    };
    if key.service.is_some_and(|s| s != "vpcflowlogs")
        || key.account.is_some_and(|a| !scope.account(a))
        || key.region.is_some_and(|r| !scope.region(r))
    {
        return false;
    }
    match span_of(&key.date) {
        Some(span) => window.admits(&PathInfo {
            span: Some(span),
            ..PathInfo::default()
        }),
        None => true,
    }
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
        if source::sniff(&head) == SourceKind::Parquet {
            return parquet_layout(store, path, size).await;
        }
        match source::head_layout(&head, whole, fallback, max_line) {
            Some(l) => return Some(l),
            // The first line runs past the head: read as much as a longest line can take.
            None if !whole && want < 2 * max_line as u64 + HEAD_BYTES => {
                want = size.min(2 * max_line as u64 + HEAD_BYTES);
            }
            None => return Some(fallback.clone()),
        }
    }
}

/// The footer of the Parquet object at `path` of `size` bytes (its metadata: schema, row
/// groups and their rows), read with two ranged reads; or why it could not be read.
pub async fn parquet_footer(
    store: &dyn ObjectStore,
    path: &Path,
    size: u64,
) -> std::result::Result<ParquetMetaData, String> {
    let too_short = || format!("{path}: {size} bytes, too short for a Parquet footer");
    let tail = store
        .get_range(path, size.checked_sub(8).ok_or_else(too_short)?..size)
        .await
        .map_err(|e| e.to_string())?;
    let tail: [u8; 8] = tail.as_ref().try_into().map_err(|_| too_short())?;
    let len = FooterTail::try_new(&tail)
        .map_err(|e| format!("{path}: {e}"))?
        .metadata_length() as u64;
    let start = size.checked_sub(8 + len).ok_or_else(too_short)?;
    let footer = store
        .get_range(path, start..size - 8)
        .await
        .map_err(|e| e.to_string())?;
    ParquetMetaDataReader::decode_metadata(&footer).map_err(|e| format!("{path}: {e}"))
}

/// The layout of a Parquet object, from its footer: the column names.
async fn parquet_layout(store: Arc<dyn ObjectStore>, path: Path, size: u64) -> Option<Layout> {
    let meta = parquet_footer(store.as_ref(), &path, size).await.ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::discover::is_remote;
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
