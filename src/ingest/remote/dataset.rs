//! An ingested dataset in S3: the layout of a local dataset (`ingest::sink`) under a key prefix,
//! written by `ingest --out s3://...` and read by every command that takes it as input.
//!
//! A run is built in a local staging dataset first (`sink` writes and names its files); the
//! list of its files is put at `_vpcflow/staging/<run>/pending.json`, the files are uploaded
//! to their place under `flows/`, and its manifest is put at `_vpcflow/commits/<run>.json`
//! only if absent (the commit point). Readers read only the files committed manifests name
//! (`sql::committed`), so they never see an object of an uncommitted run nor part of a run,
//! and S3 never shows a partly written object. The next ingest deletes what an uncommitted run
//! uploaded, as for a local dataset. A lock
//! object (`_vpcflow/lock`, held on a lease: see [`super::lease`]) keeps two ingests apart;
//! one that died leaves it, and the next ingest takes it over once its lease has run out.

use std::io::Read;
use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, WriteMultipart};

use super::commits;
use super::lease::Lease;
use super::{Connection, S3Url, block_on, describe, key_path};
use crate::error::{Error, Result};
use crate::ingest::sink::{META, Manifest, PENDING};

/// Files up to this size are uploaded in one request; larger ones in parts of this size.
const PART: usize = 16 << 20;

/// A dataset under an `s3://` prefix.
pub struct S3Dataset {
    store: Arc<dyn ObjectStore>,
    url: S3Url,
    /// The lock while this ingest holds it.
    lock: Option<Lease>,
    /// The committed runs, read once when an ingest opens the dataset (the lock keeps them as
    /// they are until it commits).
    committed: Vec<Manifest>,
}

impl S3Dataset {
    fn at(url: &str, conn: &Connection) -> Result<S3Dataset> {
        let mut url = S3Url::parse(url)?;
        url.key = url.key.trim_end_matches('/').to_string();
        Ok(S3Dataset {
            store: conn.store(&url.bucket)?,
            url,
            lock: None,
            committed: Vec::new(),
        })
    }

    /// The dataset that a command's inputs name, if that is what they are: a single `s3://`
    /// prefix holding a committed run.
    pub fn named_by(inputs: &[std::path::PathBuf], conn: &Connection) -> Result<Option<S3Dataset>> {
        match inputs {
            [one] if crate::ingest::discover::is_remote(one) => {
                S3Dataset::find(&one.to_string_lossy(), conn)
            }
            _ => Ok(None),
        }
    }

    /// The dataset at `url` if there is one (it has a committed run).
    pub fn find(url: &str, conn: &Connection) -> Result<Option<S3Dataset>> {
        let ds = S3Dataset::at(url, conn)?;
        let latest = block_on(commits::latest_run(ds.store.as_ref(), &ds.root()))?
            .map_err(|e| Error::input(url, describe(&e)))?;
        Ok(latest.map(|_| ds))
    }

    /// Opens the dataset at `url` for an ingest: takes its lock on a `lease` (or takes over
    /// one whose lease ran out), rolls committed runs forward and deletes what uncommitted runs
    /// left.
    pub fn open(url: &str, conn: &Connection, lease: Duration) -> Result<S3Dataset> {
        let mut ds = S3Dataset::at(url, conn)?;
        let key = ds.key(&format!("{META}/lock"));
        let (shown, lock) = (ds.display(""), ds.display(&format!("{META}/lock")));
        ds.lock = Some(Lease::acquire(ds.store.clone(), key, &shown, &lock, lease)?);
        ds.committed = ds.recover()?;
        Ok(ds)
    }

    /// The warning to give when this ingest took over the lock of one whose lease ran out.
    pub fn took_over(&self) -> Option<&str> {
        self.lock.as_ref().and_then(|l| l.took_over.as_deref())
    }

    fn key(&self, rel: &str) -> Path {
        if self.url.key.is_empty() {
            key_path(rel)
        } else {
            key_path(&format!("{}/{rel}", self.url.key))
        }
    }

    /// The URL of `rel` inside the dataset (the dataset's own with an empty `rel`).
    pub fn display(&self, rel: &str) -> String {
        S3Url::object(&self.url.bucket, self.key(rel).as_ref())
    }

    /// The store and the dataset's URL, for a reader.
    pub fn reader(&self) -> (Arc<dyn ObjectStore>, String) {
        (
            self.store.clone(),
            self.display("").trim_end_matches('/').to_string(),
        )
    }

    fn failed(&self, rel: &str) -> impl Fn(object_store::Error) -> Error + '_ {
        let url = self.display(rel);
        move |e| Error::input(&url, describe(&e))
    }

    /// Committed manifests, oldest first.
    /// The committed runs' manifests, read now (a reader's view: what each run recorded).
    pub fn read_manifests(&self) -> Result<Vec<Manifest>> {
        block_on(self.manifests())?
    }

    async fn manifests(&self) -> Result<Vec<Manifest>> {
        commits::manifests(self.store.as_ref(), &self.root())
            .await
            .map_err(|e| Error::input(self.display(""), describe(&e)))
    }

    /// The dataset's root as an object path.
    fn root(&self) -> Path {
        key_path(&self.url.key)
    }

    /// The committed runs' manifests, as the ingest that holds the lock opened them.
    pub fn committed(&self) -> &[Manifest] {
        &self.committed
    }

    /// Deletes the files and manifests of the runs `m` replaces. Idempotent.
    async fn apply_replacements(&self, m: &Manifest, all: &[Manifest]) -> Result<()> {
        for old in all.iter().filter(|o| m.replaces.contains(&o.run)) {
            for rel in &old.files {
                self.delete(rel).await?;
            }
            self.delete(&format!("{META}/commits/{}.json", old.run))
                .await?;
        }
        Ok(())
    }

    async fn delete(&self, rel: &str) -> Result<()> {
        match self.store.delete(&self.key(rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed(rel)(e)),
        }
    }

    async fn delete_under(&self, rel: &str) -> Result<()> {
        let keys: Vec<Path> = self
            .store
            .list(Some(&self.key(rel)))
            .map_ok(|o| o.location)
            .try_collect()
            .await
            .map_err(self.failed(rel))?;
        for key in keys {
            match self.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.failed(rel)(e)),
            }
        }
        Ok(())
    }

    /// Finishes what interrupted runs left (a committed run's files still staged by an
    /// earlier version are copied in, an uncommitted run's uploaded files are deleted), applies
    /// replacements; the runs that stay.
    fn recover(&self) -> Result<Vec<Manifest>> {
        block_on(async {
            let all = self.manifests().await?;
            let staging = format!("{META}/staging");
            let staged: Vec<Path> = self
                .store
                .list(Some(&self.key(&staging)))
                .map_ok(|o| o.location)
                .try_collect()
                .await
                .map_err(self.failed(&staging))?;
            let depth = self.key(&staging).parts().count();
            for key in &staged {
                let parts: Vec<String> = key
                    .parts()
                    .skip(depth)
                    .map(|p| p.as_ref().to_string())
                    .collect();
                let [run, rest @ ..] = parts.as_slice() else {
                    continue;
                };
                let rel = rest.join("/");
                if all.iter().any(|m| &m.run == run) {
                    if rel != PENDING {
                        match self.store.copy(key, &self.key(&rel)).await {
                            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                            Err(e) => return Err(self.failed(&rel)(e)),
                        }
                    }
                } else if rel == PENDING {
                    for file in self.pending(key).await? {
                        self.delete(&file).await?;
                    }
                }
            }
            self.delete_under(&staging).await?;
            for m in &all {
                self.apply_replacements(m, &all).await?;
            }
            let replaced: Vec<&String> = all.iter().flat_map(|m| &m.replaces).collect();
            Ok(all
                .iter()
                .filter(|m| !replaced.contains(&&m.run))
                .cloned()
                .collect())
        })?
    }

    /// The files an uncommitted run listed before uploading them.
    async fn pending(&self, key: &Path) -> Result<Vec<String>> {
        let url = S3Url::object(&self.url.bucket, key.as_ref());
        let body = match self.store.get(key).await {
            Ok(found) => found
                .bytes()
                .await
                .map_err(|e| Error::input(&url, describe(&e)))?,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(Error::input(&url, describe(&e))),
        };
        serde_json::from_slice(&body).map_err(|e| Error::input(&url, e.to_string()))
    }

    /// Commits a run written to the local dataset at `local` (its manifest `m`): lists its
    /// files in staging, uploads them to their place (where readers, who read what manifests
    /// name, do not see them yet), then puts the manifest, the commit point.
    pub fn commit(&self, local: &FsPath, m: &Manifest) -> Result<()> {
        block_on(async {
            let pending = format!("{META}/staging/{}/{PENDING}", m.run);
            let list = serde_json::to_vec(&m.files).map_err(|e| Error::Data(e.to_string()))?;
            self.store
                .put(&self.key(&pending), list.into())
                .await
                .map_err(self.failed(&pending))?;
            for rel in &m.files {
                self.upload(&local.join(rel), rel).await?;
            }
            // A stalled ingest whose lock another took over must not commit.
            if let Some(lock) = &self.lock {
                lock.check(&self.display(""))?;
            }
            let body = serde_json::to_vec_pretty(m).map_err(|e| Error::Data(e.to_string()))?;
            let manifest = format!("{META}/commits/{}.json", m.run);
            self.store
                .put_opts(
                    &self.key(&manifest),
                    body.into(),
                    PutOptions::from(PutMode::Create),
                )
                .await
                .map_err(self.failed(&manifest))?;
            self.apply_replacements(m, &self.committed).await?;
            self.delete(&pending).await
        })?
    }

    async fn upload(&self, file: &FsPath, rel: &str) -> Result<()> {
        let mut f = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
        let size = f.metadata().map_err(|e| Error::io(file, e))?.len();
        let key = self.key(rel);
        if size <= PART as u64 {
            let mut body = Vec::with_capacity(size as usize);
            f.read_to_end(&mut body).map_err(|e| Error::io(file, e))?;
            self.store
                .put(&key, PutPayload::from(body))
                .await
                .map_err(self.failed(rel))?;
            return Ok(());
        }
        let upload = self
            .store
            .put_multipart(&key)
            .await
            .map_err(self.failed(rel))?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut chunk = vec![0u8; PART];
        loop {
            let n = f.read(&mut chunk).map_err(|e| Error::io(file, e))?;
            if n == 0 {
                break;
            }
            parts.wait_for_capacity(4).await.map_err(self.failed(rel))?;
            parts.write(&chunk[..n]);
        }
        parts.finish().await.map_err(self.failed(rel))?;
        Ok(())
    }
}

/// Whether a listing level is the inside of a dataset (it holds `_vpcflow/`): its Parquet
/// files are output, not flow logs.
pub fn is_dataset_level(prefixes: &[Path]) -> bool {
    prefixes.iter().any(|p| p.filename() == Some(META))
}
