//! An ingested dataset in S3: the layout of a local dataset (`ingest::sink`) under a key prefix,
//! written by `ingest --out s3://...` and read by every command that takes it as input.
//!
//! A run is built in a local staging dataset first (`sink` writes and names its files); its
//! files are then uploaded under `_vpcflow/staging/<run>/`, its manifest is put at
//! `_vpcflow/commits/<run>.json` only if absent (the commit point), and the files are copied
//! to their place under `flows/` and the staged copies deleted. The next ingest rolls a
//! committed run forward and deletes what an uncommitted one left, as for a local dataset.
//! Readers list `flows/`, so they never see an object of an uncommitted run, and S3 never shows
//! a partly written object; a reader that finds a committed run still staged (being moved in,
//! or its ingest died doing so) refuses with an error rather than read part of it. A lock
//! object (`_vpcflow/lock`, held on a lease: see [`super::lease`]) keeps two ingests apart;
//! one that died leaves it, and the next ingest takes it over once its lease has run out.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, WriteMultipart};

use super::lease::Lease;
use super::{Connection, S3Url, block_on, describe, key_path};
use crate::error::{Error, Result};
use crate::ingest::sink::{FLOWS_DIR, IngestedInput, Manifest};

const META: &str = "_vpcflow";

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

    /// The dataset at `url` if there is one (it has a committed run).
    pub fn find(url: &str, conn: &Connection) -> Result<Option<S3Dataset>> {
        let ds = S3Dataset::at(url, conn)?;
        let commits = ds.key(&format!("{META}/commits"));
        let listed = block_on(async { ds.store.list_with_delimiter(Some(&commits)).await })?;
        let commits = match listed {
            Ok(r) if !r.objects.is_empty() => r.objects,
            Ok(_) => return Ok(None),
            Err(e) => return Err(Error::input(url, describe(&e))),
        };
        // A committed run still staged is being moved into place (or its ingest died doing
        // so): `flows/` holds part of it, and reading now would give part of the answer.
        let staging = ds.key(&format!("{META}/staging"));
        let staged = block_on(async { ds.store.list_with_delimiter(Some(&staging)).await })?
            .map_err(|e| Error::input(url, describe(&e)))?;
        for prefix in &staged.common_prefixes {
            let Some(run) = prefix.filename() else {
                continue;
            };
            let manifest = format!("{run}.json");
            if commits
                .iter()
                .any(|o| o.location.filename() == Some(&manifest))
            {
                return Err(Error::Data(format!(
                    "{}: ingest run {run} has committed but its files are not all in place yet \
                     (an ingest is finishing, or one died while finishing); wait, or run the \
                     ingest into this dataset again to complete it",
                    ds.display("")
                )));
            }
        }
        Ok(Some(ds))
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

    /// The store and the URL of the `flows` table's prefix, for a reader.
    pub fn flows(&self) -> (Arc<dyn ObjectStore>, String) {
        (self.store.clone(), format!("{}/", self.display(FLOWS_DIR)))
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
        let dir = format!("{META}/commits");
        let listed = self
            .store
            .list_with_delimiter(Some(&self.key(&dir)))
            .await
            .map_err(self.failed(&dir))?;
        let mut keys: Vec<Path> = listed
            .objects
            .into_iter()
            .map(|o| o.location)
            .filter(|p| p.extension() == Some("json"))
            .collect();
        keys.sort();
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let url = S3Url::object(&self.url.bucket, key.as_ref());
            let body = self
                .store
                .get(&key)
                .await
                .map_err(|e| Error::input(&url, describe(&e)))?
                .bytes()
                .await
                .map_err(|e| Error::input(&url, describe(&e)))?;
            let m: Manifest = serde_json::from_slice(&body)
                .map_err(|e| Error::input(&url, format!("not a vpcflow manifest: {e}")))?;
            out.push(m);
        }
        Ok(out)
    }

    /// Runs of the dataset, by their manifests.
    pub fn runs(&self) -> Vec<String> {
        self.committed.iter().map(|m| m.run.clone()).collect()
    }

    /// Inputs already ingested, by path (URL for `s3://` inputs).
    pub fn ingested(&self) -> BTreeMap<String, IngestedInput> {
        self.committed
            .iter()
            .flat_map(|m| &m.inputs)
            .map(|i| (i.path.clone(), i.clone()))
            .collect()
    }

    /// Copies a committed run's staged files into place and applies its replacements.
    /// Idempotent: what is already in place is left.
    async fn publish(&self, m: &Manifest, all: &[Manifest]) -> Result<()> {
        let staged = format!("{META}/staging/{}", m.run);
        for rel in &m.files {
            let from = self.key(&format!("{staged}/{rel}"));
            match self.store.copy(&from, &self.key(rel)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.failed(rel)(e)),
            }
        }
        for old in all.iter().filter(|o| m.replaces.contains(&o.run)) {
            for rel in &old.files {
                self.delete(rel).await?;
            }
            self.delete(&format!("{META}/commits/{}.json", old.run))
                .await?;
        }
        self.delete_under(&staged).await
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

    /// Rolls committed runs forward, deletes what uncommitted ones left; the runs that stay.
    fn recover(&self) -> Result<Vec<Manifest>> {
        block_on(async {
            let all = self.manifests().await?;
            for m in &all {
                self.publish(m, &all).await?;
            }
            self.delete_under(&format!("{META}/staging")).await?;
            let replaced: Vec<&String> = all.iter().flat_map(|m| &m.replaces).collect();
            Ok(all
                .iter()
                .filter(|m| !replaced.contains(&&m.run))
                .cloned()
                .collect())
        })?
    }

    /// Commits a run written to the local dataset at `local` (its manifest `m`): uploads its
    /// files to staging, puts the manifest (the commit point), then moves the files in.
    pub fn commit(&self, local: &FsPath, m: &Manifest) -> Result<()> {
        block_on(async {
            let staged = format!("{META}/staging/{}", m.run);
            for rel in &m.files {
                self.upload(&local.join(rel), &format!("{staged}/{rel}"))
                    .await?;
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
            self.publish(m, &self.committed).await
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
