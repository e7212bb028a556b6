//! Flow logs in S3 and S3-compatible stores: `s3://bucket/prefix` inputs.
//!
//! `connection` reaches a bucket (credentials found the way AWS tools find them); `listing`
//! lists only the prefixes that a time window and the account/region scope can hold, and reads
//! each object's head to resolve its layout before the run; `fetching` brings the objects to a
//! spool directory ahead of the parser, a bounded number at a time, each deleted once read (the
//! parser sees a fetched object as a local file; what is inside it is `ingest::source`'s).
//! Datasets that `ingest` writes to S3 are `dataset`'s, their lock `lease`'s, and the commit log
//! that readers and writers share `commits`'.

pub mod commits;
mod connection;
pub mod dataset;
mod fetching;
pub mod lease;
mod listing;

use object_store::path::Path;

use crate::error::{Error, Result};

pub use connection::Connection;
use connection::Stores;
pub use fetching::S3Fetcher;
pub use listing::{Listed, discover, parquet_footer};

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
