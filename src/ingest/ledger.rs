//! The incremental ingest's bookkeeping: which of the objects found a run reads, by what the
//! dataset's committed runs hold (path, size and modification time; an `s3://` object's URL,
//! size and ETag), which earlier runs it replaces (`--force`, `--retry-damaged`), and what it
//! records when it commits. Only what was read is recorded as ingested: an object that could
//! not be read, with nothing kept of it, is left for the next run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::discover::{self, Found};
use super::parallel::FailedInput;
use super::sink::{IngestedInput, Manifest, Unread};
use crate::error::{Error, Result};

/// Which objects found a run reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Those not ingested before.
    Incremental,
    /// All of them; the run replaces every earlier run (`--force`).
    Force,
    /// Those not ingested before, and again the damaged ones with the other inputs of their
    /// runs, which the run replaces (`--retry-damaged`).
    RetryDamaged,
}

/// What a run reads, replaces and records.
#[derive(Debug, Default)]
pub struct Ledger {
    /// What the run records as ingested when it commits: an entry per object it reads.
    pub records: Vec<IngestedInput>,
    /// The key each object is recorded under, by the name the reader reports it with.
    keys: BTreeMap<String, String>,
    /// Earlier runs this run replaces.
    pub replaces: Vec<String>,
    /// Objects skipped because they were ingested before.
    pub already: u64,
    /// Objects skipped because they changed since they were ingested.
    pub changed: Vec<PathBuf>,
    /// Damaged objects read again.
    pub damaged_retried: u64,
}

impl Ledger {
    /// Keeps in `found` the objects the run reads, by the dataset's committed `manifests`.
    pub fn plan(manifests: &[Manifest], found: &mut Vec<Found>, mode: Mode) -> Result<Ledger> {
        let known: BTreeMap<&str, &IngestedInput> = manifests
            .iter()
            .flat_map(|m| &m.inputs)
            .map(|i| (i.path.as_str(), i))
            .collect();
        let (redo, replaces) = match mode {
            Mode::RetryDamaged => {
                let keys: BTreeSet<String> = found.iter().filter_map(key).collect();
                retry_plan(manifests, &keys)?
            }
            Mode::Force => (
                BTreeSet::new(),
                manifests.iter().map(|m| m.run.clone()).collect(),
            ),
            Mode::Incremental => (BTreeSet::new(), Vec::new()),
        };
        let mut ledger = Ledger {
            replaces,
            damaged_retried: known
                .values()
                .filter(|i| i.damaged.is_some() && redo.contains(&i.path))
                .count() as u64,
            ..Ledger::default()
        };
        found.retain(|f| {
            let Some(k) = key(f) else { return true };
            ledger.keys.insert(f.path.display().to_string(), k.clone());
            if mode != Mode::Force
                && !redo.contains(&k)
                && let Some(prev) = known.get(k.as_str())
            {
                let same = match (&prev.etag, &f.etag) {
                    (Some(a), Some(b)) => prev.size == f.size && a == b,
                    _ => prev.size == f.size && prev.modified == f.modified,
                };
                if same {
                    ledger.already += 1;
                } else {
                    ledger.changed.push(f.path.clone());
                }
                return false;
            }
            ledger.records.push(IngestedInput {
                path: k,
                size: f.size,
                modified: f.modified,
                etag: f.etag.clone(),
                damaged: None,
            });
            true
        });
        Ok(ledger)
    }

    /// Applies the run's failures to what it records: an object with records kept is recorded
    /// with its damage; one with nothing kept is dropped from the record (so the next run reads it
    /// again) and returned as unread.
    pub fn settle(&mut self, failed: &[FailedInput]) -> Vec<Unread> {
        let mut unread = Vec::new();
        for f in failed {
            let Some(key) = self.keys.get(&f.path) else {
                continue;
            };
            if f.records_kept {
                if let Some(r) = self.records.iter_mut().find(|r| &r.path == key) {
                    r.damaged = Some(f.reason.clone());
                }
            } else {
                self.records.retain(|r| &r.path != key);
                unread.push(Unread {
                    path: key.clone(),
                    reason: f.reason.clone(),
                });
            }
        }
        unread
    }
}

/// The key an object is recorded under: its canonical path, or an `s3://` object's URL;
/// a stream (standard input, a pipe) has none: it is never recorded.
fn key(f: &Found) -> Option<String> {
    if f.stream {
        return None;
    }
    if discover::is_remote(&f.path) {
        return Some(f.path.display().to_string());
    }
    std::fs::canonicalize(&f.path)
        .ok()
        .map(|p| p.display().to_string())
}

/// What `--retry-damaged` reads again: every input of the runs that hold a damaged input this
/// run finds (`found`, by key), and those runs, which this one replaces. A run whose other
/// inputs are not all found cannot be rebuilt, and is an error that names them.
fn retry_plan(
    manifests: &[Manifest],
    found: &BTreeSet<String>,
) -> Result<(BTreeSet<String>, Vec<String>)> {
    let mut redo = BTreeSet::new();
    let mut runs = Vec::new();
    for m in manifests {
        if !m
            .inputs
            .iter()
            .any(|i| i.damaged.is_some() && found.contains(&i.path))
        {
            continue;
        }
        let missing: Vec<&str> = m
            .inputs
            .iter()
            .map(|i| i.path.as_str())
            .filter(|p| !found.contains(*p))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Usage(format!(
                "--retry-damaged: the damaged inputs of run {} are read again with the other \
                 inputs of that run, and this run does not find {}; give them as inputs too",
                m.run,
                missing.join(", ")
            )));
        }
        redo.extend(m.inputs.iter().map(|i| i.path.clone()));
        runs.push(m.run.clone());
    }
    Ok((redo, runs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::discover::PathInfo;

    fn object(url: &str, size: u64, etag: &str) -> Found {
        Found {
            path: PathBuf::from(url),
            info: PathInfo::default(),
            size,
            modified: 0,
            etag: Some(etag.to_string()),
            layout: None,
            stream: false,
            file_id: None,
        }
    }

    fn ingested(url: &str, size: u64, etag: &str, damaged: bool) -> IngestedInput {
        IngestedInput {
            path: url.to_string(),
            size,
            modified: 0,
            etag: Some(etag.to_string()),
            damaged: damaged.then(|| "corrupt deflate stream".to_string()),
        }
    }

    fn run(name: &str, inputs: Vec<IngestedInput>) -> Manifest {
        Manifest {
            run: name.to_string(),
            inputs,
            files: Vec::new(),
            replaces: Vec::new(),
            unread: Vec::new(),
        }
    }

    /// Run r1 holds a (good) and b (damaged); run r2 holds c. This run finds a unchanged, b
    /// unchanged, c with another ETag, and d new.
    fn setting() -> (Vec<Manifest>, Vec<Found>) {
        let manifests = vec![
            run(
                "r1",
                vec![
                    ingested("s3://l/a.log", 10, "A", false),
                    ingested("s3://l/b.log", 20, "B", true),
                ],
            ),
            run("r2", vec![ingested("s3://l/c.log", 30, "C", false)]),
        ];
        let found = vec![
            object("s3://l/a.log", 10, "A"),
            object("s3://l/b.log", 20, "B"),
            object("s3://l/c.log", 30, "C2"),
            object("s3://l/d.log", 40, "D"),
        ];
        (manifests, found)
    }

    fn paths(found: &[Found]) -> Vec<String> {
        found.iter().map(|f| f.path.display().to_string()).collect()
    }

    #[test]
    fn an_incremental_run_reads_only_what_is_new() {
        let (manifests, mut found) = setting();
        let ledger = Ledger::plan(&manifests, &mut found, Mode::Incremental).expect("plan");
        assert_eq!(paths(&found), ["s3://l/d.log"]);
        assert_eq!(ledger.already, 2);
        assert_eq!(ledger.changed, [PathBuf::from("s3://l/c.log")]);
        assert!(ledger.replaces.is_empty());
        assert_eq!(ledger.damaged_retried, 0);
    }

    #[test]
    fn a_forced_run_reads_everything_and_replaces_every_run() {
        let (manifests, mut found) = setting();
        let ledger = Ledger::plan(&manifests, &mut found, Mode::Force).expect("plan");
        assert_eq!(found.len(), 4);
        assert_eq!(ledger.replaces, ["r1", "r2"]);
        assert_eq!(ledger.records.len(), 4);
    }

    #[test]
    fn a_damaged_object_is_read_again_with_the_rest_of_its_run() {
        let (manifests, mut found) = setting();
        let mut ledger = Ledger::plan(&manifests, &mut found, Mode::RetryDamaged).expect("plan");
        assert_eq!(
            paths(&found),
            ["s3://l/a.log", "s3://l/b.log", "s3://l/d.log"]
        );
        assert_eq!(ledger.replaces, ["r1"]);
        assert_eq!(ledger.damaged_retried, 1);
        // b fails again with its good part kept; d cannot be read at all.
        let unread = ledger.settle(&[
            FailedInput {
                path: "s3://l/b.log".into(),
                reason: "unexpected end of file".into(),
                records_kept: true,
            },
            FailedInput {
                path: "s3://l/d.log".into(),
                reason: "access denied".into(),
                records_kept: false,
            },
        ]);
        assert_eq!(unread.len(), 1);
        assert_eq!(unread[0].path, "s3://l/d.log");
        let recorded: Vec<(&str, Option<&str>)> = ledger
            .records
            .iter()
            .map(|r| (r.path.as_str(), r.damaged.as_deref()))
            .collect();
        assert_eq!(
            recorded,
            [
                ("s3://l/a.log", None),
                ("s3://l/b.log", Some("unexpected end of file"))
            ]
        );
    }

    #[test]
    fn a_damaged_run_whose_other_inputs_are_missing_is_refused_by_name() {
        let (manifests, mut found) = setting();
        found.remove(0);
        let err = Ledger::plan(&manifests, &mut found, Mode::RetryDamaged).expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains("run r1") && text.contains("s3://l/a.log"),
            "{text}"
        );
    }
}
