//! Fetching listed objects for a run: a bounded number at a time into a spool directory, ahead
//! of the parser, each deleted once read and checked to be the object that was listed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use futures::StreamExt;
use object_store::{GetOptions, ObjectStore};

use super::{Connection, S3Url, Stores, describe, key_path};
use crate::ingest::parallel::{Fetcher, Fetching, Unfetched};

/// Fetches listed S3 objects for runs: each run gets its own spool directory.
#[derive(Debug)]
pub struct S3Fetcher {
    conn: Connection,
    /// Size and ETag of each object when listed, by URL.
    objects: HashMap<String, (u64, Option<String>)>,
}

impl S3Fetcher {
    /// A fetcher for the objects listed, by URL, with the size and ETag each had then.
    pub(super) fn new(
        conn: Connection,
        objects: HashMap<String, (u64, Option<String>)>,
    ) -> S3Fetcher {
        S3Fetcher { conn, objects }
    }
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
