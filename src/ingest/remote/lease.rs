//! The lock of a dataset in S3, held on a lease: the lock object (`_vpcflow/lock`) names its
//! holder and when it last renewed the lock, and the holder renews it while it runs. A lock
//! not renewed for longer than its lease (its holder was killed, or lost its machine) is taken
//! over by the next ingest, with a warning that names the old holder. Both taking the lock and
//! taking it over are conditional puts (if absent; if the object is still the one read), so of
//! two ingests that start at once exactly one gets it. A holder whose lock was taken over
//! (it stalled past its lease) notices at its next renewal and refuses to commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, UpdateVersion};
use serde::{Deserialize, Serialize};

use super::{block_on, describe};
use crate::error::{Error, Result};

/// The lock object's body.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Held {
    /// Who holds it: host and process.
    #[serde(default)]
    holder: Option<String>,
    /// When it was taken.
    #[serde(default)]
    started: Option<String>,
    /// When it was last renewed (RFC 3339).
    #[serde(default)]
    renewed: Option<String>,
    /// How long it holds without renewal.
    #[serde(default)]
    lease_seconds: Option<u64>,
    /// The process id (the only field of locks written before leases).
    #[serde(default)]
    pid: Option<u32>,
}

impl Held {
    fn who(&self) -> String {
        match (&self.holder, self.pid) {
            (Some(h), _) => h.clone(),
            (None, Some(pid)) => format!("process {pid}"),
            (None, None) => "an unknown ingest".to_string(),
        }
    }

    /// When the lease ends, if the body says when it was renewed.
    fn expires(&self, default_lease: Duration) -> Option<DateTime<Utc>> {
        let renewed = self.renewed.as_deref().or(self.started.as_deref())?;
        let renewed = DateTime::parse_from_rfc3339(renewed)
            .ok()?
            .with_timezone(&Utc);
        let lease = self
            .lease_seconds
            .map_or(default_lease, Duration::from_secs);
        Some(renewed + chrono::Duration::from_std(lease).ok()?)
    }
}

/// A held lock, renewed in the background until dropped (which deletes it).
pub struct Lease {
    store: Arc<dyn ObjectStore>,
    key: Path,
    stop: Arc<AtomicBool>,
    lost: Arc<AtomicBool>,
    renewer: Option<JoinHandle<()>>,
    /// The warning to give when the lock was taken over from a holder whose lease ran out.
    pub took_over: Option<String>,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn body(holder: &str, started: &str, lease: Duration) -> String {
    serde_json::json!({
        "holder": holder,
        "started": started,
        "renewed": now(),
        "lease_seconds": lease.as_secs().max(1),
        "pid": std::process::id(),
    })
    .to_string()
}

/// This process, as the lock names it.
fn holder() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".to_string());
    format!("{host} process {}", std::process::id())
}

impl Lease {
    /// Takes the lock at `key` (`shown` names the dataset in errors, `lock` the lock's URL), or
    /// takes it over when its holder's lease ran out; renews it every third of `lease` from then
    /// on.
    pub fn acquire(
        store: Arc<dyn ObjectStore>,
        key: Path,
        shown: &str,
        lock: &str,
        lease: Duration,
    ) -> Result<Lease> {
        let me = holder();
        let started = now();
        // A lock deleted between a failed put and its read: try again, once.
        for _ in 0..2 {
            let put = block_on(async {
                let opts = PutOptions::from(PutMode::Create);
                store
                    .put_opts(&key, body(&me, &started, lease).into(), opts)
                    .await
            })?;
            match put {
                Ok(done) => return Ok(Lease::hold(store, key, lease, &me, &started, done, None)),
                Err(object_store::Error::AlreadyExists { .. })
                | Err(object_store::Error::Precondition { .. }) => {}
                Err(e) => return Err(Error::input(shown, describe(&e))),
            }
            let read = block_on(async {
                let got = store.get(&key).await?;
                let meta = got.meta.clone();
                let bytes = got.bytes().await?;
                Ok::<_, object_store::Error>((meta, bytes))
            })?;
            let (meta, bytes) = match read {
                Ok(x) => x,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(Error::input(shown, describe(&e))),
            };
            let held: Held = serde_json::from_slice(&bytes).unwrap_or_default();
            let expires = held.expires(lease);
            if expires.is_none_or(|t| t > Utc::now()) {
                let until = expires.map_or_else(
                    || format!("its lock says no time: if none is running, delete {lock}"),
                    |t| {
                        format!(
                            "it is taken over if it does not renew its lock by {}",
                            t.to_rfc3339()
                        )
                    },
                );
                return Err(Error::Usage(format!(
                    "{shown}: another vpcflow ingest ({}) is writing to this dataset; try again \
                     when it ends ({until})",
                    held.who()
                )));
            }
            let take = block_on(async {
                let version = UpdateVersion {
                    e_tag: meta.e_tag.clone(),
                    version: meta.version.clone(),
                };
                let opts = PutOptions::from(PutMode::Update(version));
                store
                    .put_opts(&key, body(&me, &started, lease).into(), opts)
                    .await
            })?;
            return match take {
                Ok(done) => {
                    let warning = format!(
                        "{shown}: took over the lock of {}, whose lease ran out at {} (killed, \
                         or its machine lost)",
                        held.who(),
                        expires.map_or_else(String::new, |t| t.to_rfc3339())
                    );
                    Ok(Lease::hold(
                        store,
                        key,
                        lease,
                        &me,
                        &started,
                        done,
                        Some(warning),
                    ))
                }
                Err(object_store::Error::Precondition { .. })
                | Err(object_store::Error::NotFound { .. }) => Err(Error::Usage(format!(
                    "{shown}: another vpcflow ingest took this dataset's lock at the same time; \
                     try again when it ends"
                ))),
                Err(e) => Err(Error::input(shown, describe(&e))),
            };
        }
        Err(Error::Usage(format!(
            "{shown}: the dataset's lock keeps changing; try again"
        )))
    }

    fn hold(
        store: Arc<dyn ObjectStore>,
        key: Path,
        lease: Duration,
        me: &str,
        started: &str,
        put: object_store::PutResult,
        took_over: Option<String>,
    ) -> Lease {
        let stop = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(AtomicBool::new(false));
        let renewer = {
            let (store, key, stop, lost) = (store.clone(), key.clone(), stop.clone(), lost.clone());
            let (me, started) = (me.to_string(), started.to_string());
            let every = (lease / 3).max(Duration::from_millis(500));
            std::thread::spawn(move || {
                let mut version = UpdateVersion {
                    e_tag: put.e_tag,
                    version: put.version,
                };
                let step = Duration::from_millis(100);
                let mut waited = Duration::ZERO;
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(step);
                    waited += step;
                    if waited < every {
                        continue;
                    }
                    waited = Duration::ZERO;
                    let renewed = block_on(async {
                        let opts = PutOptions::from(PutMode::Update(version.clone()));
                        store
                            .put_opts(&key, body(&me, &started, lease).into(), opts)
                            .await
                    });
                    match renewed {
                        Ok(Ok(done)) => {
                            version = UpdateVersion {
                                e_tag: done.e_tag,
                                version: done.version,
                            };
                        }
                        Ok(Err(object_store::Error::Precondition { .. }))
                        | Ok(Err(object_store::Error::NotFound { .. })) => {
                            lost.store(true, Ordering::Relaxed);
                            return;
                        }
                        // A transient error: the next renewal may go through.
                        _ => {}
                    }
                }
            })
        };
        Lease {
            store,
            key,
            stop,
            lost,
            renewer: Some(renewer),
            took_over,
        }
    }

    /// An error when the lock was taken over (this ingest stalled past its lease): it must not
    /// commit, since another ingest may be writing the same dataset.
    pub fn check(&self, shown: &str) -> Result<()> {
        if self.lost.load(Ordering::Relaxed) {
            return Err(Error::Usage(format!(
                "{shown}: this ingest's lock was taken over by another (it was not renewed within \
                 its lease); nothing was committed"
            )));
        }
        Ok(())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(r) = self.renewer.take() {
            let _ = r.join();
        }
        if !self.lost.load(Ordering::Relaxed) {
            let (store, key) = (self.store.clone(), self.key.clone());
            let _ = block_on(async move { store.delete(&key).await });
        }
    }
}
