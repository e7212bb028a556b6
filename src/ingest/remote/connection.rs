//! Reaching a bucket: the client for a bucket with credentials, region and endpoint found the
//! way AWS's own tools find them.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};

use crate::error::{Error, Result};

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

/// One client per bucket, made on first use.
#[derive(Default)]
pub(super) struct Stores(HashMap<String, Arc<dyn ObjectStore>>);

impl Stores {
    /// The client of `bucket`, made with `conn` on first use.
    pub(super) fn get(&mut self, conn: &Connection, bucket: &str) -> Result<Arc<dyn ObjectStore>> {
        if let Some(s) = self.0.get(bucket) {
            return Ok(s.clone());
        }
        let s = conn.store(bucket)?;
        self.0.insert(bucket.to_string(), s.clone());
        Ok(s)
    }
}
