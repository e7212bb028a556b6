//! How far a run has got, for a progress bar: objects done and bytes read, counted by the
//! run's own threads with relaxed atomic additions. The reader thread counts the bytes of the
//! objects it streams as it reads them (one addition per read, a block or a decoder's buffer at
//! a time); objects read whole by a worker (small gzip objects, Parquet) count their size when
//! the ordering thread takes their unit, and every object counts as done at its end there.
//! Nothing is counted per record.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Objects done and bytes read so far; shared between a run and whoever watches it. A
/// [`Progress`] given to several runs (a statement that scans twice) adds them up.
#[derive(Debug, Default)]
pub struct Progress {
    objects: AtomicU64,
    bytes: AtomicU64,
}

impl Progress {
    /// Objects read to their end (or to their failure).
    pub fn objects(&self) -> u64 {
        self.objects.load(Ordering::Relaxed)
    }

    /// Bytes read from the objects (compressed bytes for gzip and Parquet, like
    /// [`super::RunTotals::bytes_read`]).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub(super) fn add_bytes(&self, n: u64) {
        if n > 0 {
            self.bytes.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub(super) fn object_done(&self) {
        self.objects.fetch_add(1, Ordering::Relaxed);
    }
}

/// A reader that counts the bytes read through it into a [`Progress`].
pub(super) struct Counted<R> {
    inner: R,
    progress: Arc<Progress>,
}

impl<R> Counted<R> {
    pub(super) fn new(inner: R, progress: Arc<Progress>) -> Counted<R> {
        Counted { inner, progress }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add_bytes(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::Progress;
    use crate::ingest::decode::DecodeConfig;
    use crate::ingest::parallel::{Discard, RunOptions, start_watched};
    use crate::ingest::{ReadOptions, open};

    const INPUTS: [&str; 2] = ["sample-logs/AWSLogs", "sample-logs/cloudwatch"];

    /// The flow-log objects under the inputs, counted and measured on disk.
    fn on_disk() -> (u64, u64) {
        let (mut objects, mut bytes) = (0, 0);
        for entry in INPUTS.iter().flat_map(walkdir::WalkDir::new) {
            let entry = entry.expect("walks");
            let name = entry.file_name().to_string_lossy();
            let flow_log = [".log", ".gz", ".log.parquet", ".txt"]
                .iter()
                .any(|ext| name.ends_with(ext));
            if entry.file_type().is_file() && flow_log {
                objects += 1;
                bytes += entry.metadata().expect("metadata").len();
            }
        }
        (objects, bytes)
    }

    /// Runs the inputs with `opts`, counting into a fresh progress.
    fn counted(opts: RunOptions) -> (Arc<Progress>, u64) {
        let inputs: Vec<PathBuf> = INPUTS.iter().map(PathBuf::from).collect();
        let prepared = open(&inputs, &ReadOptions::default()).expect("inputs");
        assert_eq!(prepared.size(), on_disk());
        let cfg = Arc::new(DecodeConfig::new(prepared.columns.clone(), None));
        let progress = Arc::new(Progress::default());
        let mut run = start_watched(
            prepared.inputs,
            cfg,
            opts,
            Box::new(Discard),
            progress.clone(),
        );
        while run.batches.blocking_recv().is_some() {}
        let totals = run.finish();
        (progress, totals.bytes_read)
    }

    #[test]
    fn the_counts_reach_the_objects_and_bytes_on_disk() {
        let (objects, bytes) = on_disk();
        assert!(objects > 30, "the sample estate: {objects} objects");
        // Gzip objects inflated whole by the workers, and streamed in small blocks by the
        // reader: the same counts.
        let whole = RunOptions::default();
        let streamed = RunOptions {
            threads: 2,
            block_bytes: 4 << 10,
            whole_gzip_bytes: 0,
            ..RunOptions::default()
        };
        for opts in [whole, streamed] {
            let (progress, bytes_read) = counted(opts);
            assert_eq!(progress.objects(), objects);
            assert_eq!(progress.bytes(), bytes);
            assert_eq!(progress.bytes(), bytes_read);
        }
    }
}
