//! The parallel parser: objects -> an ordered, bounded stream of RecordBatches.
//!
//! A reader thread walks the objects and cuts them into units of work: line-aligned blocks of
//! large text objects, whole small gzip objects (inflated by the worker, so inflating runs on
//! every core), Parquet row groups. Units run on a rayon pool; a second thread puts results back
//! into input order, turns buffer-relative line numbers into file line numbers, reports bad
//! lines and warnings, and sends batches on. A fixed number of units may be in flight, and the
//! output channel is bounded, so memory does not grow with the input and a slow consumer slows
//! the reader. Layout switches inside a file are rare: a block decoded with a stale layout is
//! decoded again, in order, with the right one.
//!
//! `blocks` is the reader thread (cutting objects into line-aligned blocks, over-long lines,
//! small gzip objects whole), `order` the ordering thread, `progress` what they count for a
//! progress bar; the workers' part is here.

mod blocks;
mod order;
mod progress;

pub use progress::Progress;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use arrow::array::RecordBatch;
use crossbeam_channel as cb;

use super::decode::{BadLine, Counts, DecodeConfig, Decoded, Note, Origin, decode};
use super::format::Layout;
use super::source::{self, SourceKind};

/// One object to parse, with its starting layout already resolved.
#[derive(Clone, Debug)]
pub struct Input {
    /// The path (`-` for standard input).
    pub path: PathBuf,
    /// Name shown in messages and stored in `source_file`.
    pub origin: Origin,
    /// The layout of its first line.
    pub layout: Arc<Layout>,
    /// Size and modification time when it was found ([`super::discover::stamp`]); an object
    /// whose stamp differs when its reading ends changed while being read, which is a file
    /// error (its records may mix two versions).
    pub stamp: Option<(u64, i128)>,
    /// For an object in an object store (its `path` is then its URL): what brings it to a
    /// local file while the run reads the objects before it.
    pub fetcher: Option<Arc<dyn Fetcher>>,
}

impl Input {
    /// A local object read with `layout` from its first line, named in messages by its path.
    pub fn local(path: impl Into<PathBuf>, layout: Layout) -> Input {
        let path = path.into();
        Input {
            origin: Origin {
                name: std::sync::Arc::from(path.display().to_string()),
            },
            path,
            layout: Arc::new(layout),
            stamp: None,
            fetcher: None,
        }
    }
}

/// Brings remote objects (an object store's) to local files for a run, ahead of the reader.
pub trait Fetcher: Send + Sync + std::fmt::Debug {
    /// Starts fetching `urls`, in this order; the run reads them in the same order.
    fn start(&self, urls: Vec<String>) -> Box<dyn Fetching>;
}

/// One run's fetching, started by [`Fetcher::start`]; objects are numbered in start order.
pub trait Fetching: Send + Sync {
    /// Where object `n` will be, once fetched.
    fn local_path(&self, n: usize) -> PathBuf;
    /// Blocks until object `n` is local; why it cannot be, when it cannot.
    fn wait(&self, n: usize) -> Result<(), Unfetched>;
    /// Object `n` has been read: its local copy may go.
    fn release(&self, n: usize);
    /// The run ends early: stop fetching, and let every wait return.
    fn cancel(&self);
}

/// Why a remote object is not there to read.
#[derive(Clone, Debug)]
pub struct Unfetched {
    /// What went wrong, for the object's file error.
    pub message: String,
    /// It changed since it was listed: like a local file that changes while read, this stops
    /// an ingest from committing.
    pub changed: bool,
}

/// The fetching of a run's remote inputs: the session and each input's number in it.
struct Remote {
    fetching: Box<dyn Fetching>,
    numbers: Vec<Option<usize>>,
}

impl Remote {
    /// Starts fetching the remote inputs and points them at their local copies.
    fn start(inputs: &mut [Input]) -> Option<Remote> {
        let fetcher = inputs.iter().find_map(|i| i.fetcher.clone())?;
        let mut urls = Vec::new();
        let numbers = inputs
            .iter()
            .map(|i| {
                i.fetcher.as_ref().map(|_| {
                    urls.push(i.path.display().to_string());
                    urls.len() - 1
                })
            })
            .collect();
        let remote = Remote {
            fetching: fetcher.start(urls),
            numbers,
        };
        for (input, n) in inputs.iter_mut().zip(&remote.numbers) {
            if let Some(n) = n {
                input.path = remote.fetching.local_path(*n);
            }
        }
        Some(remote)
    }

    fn wait(remote: &Option<Remote>, input: usize) -> Result<(), Unfetched> {
        match remote {
            Some(r) => r.numbers[input].map_or(Ok(()), |n| r.fetching.wait(n)),
            None => Ok(()),
        }
    }

    fn cancel(remote: &Option<Remote>) {
        if let Some(r) = remote {
            r.fetching.cancel();
        }
    }

    fn release(remote: &Option<Remote>, input: usize) {
        if let Some(r) = remote
            && let Some(n) = r.numbers[input]
        {
            r.fetching.release(n);
        }
    }
}

/// Tuning of a run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Worker threads.
    pub threads: usize,
    /// Target size of a text block, in bytes.
    pub block_bytes: usize,
    /// Gzip objects up to this compressed size are inflated whole by one worker.
    pub whole_gzip_bytes: u64,
    /// A worker inflating a whole object stops here and the object is streamed instead.
    pub inflate_cap: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            block_bytes: 4 << 20,
            whole_gzip_bytes: 16 << 20,
            inflate_cap: 256 << 20,
        }
    }
}

/// Receives what the run reports, in input order, from the ordering thread.
pub trait Diagnostics: Send {
    /// A rejected line (its `line` is the 1-based line number in the file).
    fn bad_line(&mut self, input: &Input, bad: &BadLine);
    /// A warning about a line (1-based line number) or, with line 0, about the whole object.
    fn note(&mut self, input: &Input, note: &Note);
    /// An object that could not be read completely.
    fn file_error(&mut self, input: &Input, message: &str);
}

/// Diagnostics that go nowhere, for benchmarks and callers that only want the totals.
#[derive(Clone, Copy, Debug, Default)]
pub struct Discard;

impl Diagnostics for Discard {
    fn bad_line(&mut self, _: &Input, _: &BadLine) {}
    fn note(&mut self, _: &Input, _: &Note) {}
    fn file_error(&mut self, _: &Input, _: &str) {}
}

/// Diagnostics kept in memory, one line each in the order reported: `bad LINE REASON DETAIL`,
/// `note LINE MESSAGE`, `error MESSAGE`. Clones share the lines.
#[derive(Clone, Debug, Default)]
pub struct Recorded(Arc<std::sync::Mutex<Vec<String>>>);

impl Recorded {
    /// The lines recorded so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    fn push(&self, line: String) {
        if let Ok(mut v) = self.0.lock() {
            v.push(line);
        }
    }
}

impl Diagnostics for Recorded {
    fn bad_line(&mut self, _: &Input, bad: &BadLine) {
        self.push(format!(
            "bad {} {} {}",
            bad.line,
            bad.reason.key(),
            bad.detail
        ));
    }
    fn note(&mut self, _: &Input, note: &Note) {
        self.push(format!("note {} {}", note.line, note.message));
    }
    fn file_error(&mut self, _: &Input, message: &str) {
        self.push(format!("error {message}"));
    }
}

/// Totals of a run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunTotals {
    /// Objects parsed.
    pub files: u64,
    /// Objects with a file-level error (part of them may have been kept).
    pub files_failed: u64,
    /// Record counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// Rejected lines, in total.
    pub bad_lines: u64,
    /// Rejected lines by reason.
    pub bad_lines_by_reason: BTreeMap<&'static str, u64>,
    /// Bytes read from the objects (compressed size for gzip and Parquet).
    pub bytes_read: u64,
    /// Text bytes parsed (after inflating).
    pub text_bytes: u64,
    /// Objects that changed or disappeared while being read (counted in `files_failed` too).
    pub files_changed: u64,
    /// Each object counted in `files_failed`, in the order they failed.
    pub failed: Vec<FailedInput>,
}

/// An object that could not be read whole.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FailedInput {
    /// Its name as shown in messages: the path as found, or the URL of an `s3://` object.
    pub path: String,
    /// Why, as reported.
    pub reason: String,
    /// Whether records of it were kept: the good part of a damaged object.
    pub records_kept: bool,
}

enum Work {
    /// Complete lines of a text object.
    Text(Arc<Vec<u8>>),
    /// A whole gzip object to inflate and decode.
    Gzip,
    /// One row group of a Parquet object.
    ParquetGroup(usize),
    /// A line too long to hold, skipped while reading: its first bytes and its length.
    LongLine(Vec<u8>, u64),
    /// The object could not be read (further); what was read before stays.
    Failed(String),
    /// The object changed between its listing and its reading, and was not read.
    Changed(String),
    /// End of the object.
    End,
}

struct Unit {
    seq: u64,
    input: usize,
    first: bool,
    raw_bytes: u64,
    work: Work,
}

enum Outcome {
    Decoded(Decoded),
    /// A gzip object inflated whole up to damage: the complete lines before it, and why.
    Damaged(Decoded, String),
    /// A gzip object inflated past the cap: it is streamed by the ordering thread.
    TooBig,
    Error(String),
    Pass,
}

struct Done {
    unit: Unit,
    assumed: Arc<Layout>,
    outcome: Outcome,
}

/// A running parse. Batches arrive on `batches`; `finish` waits for the totals.
pub struct Run {
    /// Batches in input order, in the projected schema.
    pub batches: tokio::sync::mpsc::Receiver<RecordBatch>,
    handle: JoinHandle<RunTotals>,
}

impl Run {
    /// Waits for the run to end and returns its totals.
    pub fn finish(self) -> RunTotals {
        drop(self.batches);
        self.handle.join().unwrap_or_default()
    }
}

/// Starts parsing `inputs`.
pub fn start(
    inputs: Vec<Input>,
    cfg: Arc<DecodeConfig>,
    opts: RunOptions,
    diag: Box<dyn Diagnostics>,
) -> Run {
    start_watched(inputs, cfg, opts, diag, Arc::default())
}

/// Starts parsing `inputs`, counting its objects and bytes into `progress` as it goes.
pub fn start_watched(
    mut inputs: Vec<Input>,
    cfg: Arc<DecodeConfig>,
    opts: RunOptions,
    diag: Box<dyn Diagnostics>,
    progress: Arc<Progress>,
) -> Run {
    let threads = opts.threads.max(1);
    let in_flight = threads * 3;
    let (tx, rx) = tokio::sync::mpsc::channel(threads * 2);
    let cancel = Arc::new(AtomicBool::new(false));
    let remote = Arc::new(Remote::start(&mut inputs));
    let inputs = Arc::new(inputs);
    let (slot_tx, slot_rx) = cb::bounded::<()>(in_flight);
    let (done_tx, done_rx) = cb::unbounded::<Done>();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("vpcflow-parse-{i}"))
        .build();

    let reader = {
        let (inputs, cfg, cancel, remote) =
            (inputs.clone(), cfg.clone(), cancel.clone(), remote.clone());
        let progress = progress.clone();
        std::thread::Builder::new()
            .name("vpcflow-read".into())
            .spawn(move || {
                // Without a pool (thread creation refused), units run on this thread.
                let pool = pool.ok();
                let mut dispatch = |unit: Unit| -> bool {
                    if cancel.load(Ordering::Relaxed) || slot_tx.send(()).is_err() {
                        return false;
                    }
                    let (inputs, cfg, done_tx) = (inputs.clone(), cfg.clone(), done_tx.clone());
                    let job = move || {
                        let done = work(unit, &inputs, &cfg, opts);
                        let _ = done_tx.send(done);
                    };
                    match &pool {
                        Some(p) => p.spawn(job),
                        None => job(),
                    }
                    true
                };
                let run = blocks::Reading {
                    opts,
                    cancel: &cancel,
                    remote: &remote,
                    progress: &progress,
                };
                blocks::read_all(&inputs, &cfg, &run, &mut dispatch);
            })
    };

    let handle = std::thread::Builder::new()
        .name("vpcflow-order".into())
        .spawn({
            let cancel = cancel.clone();
            move || {
                let totals = order::order(
                    &inputs, &cfg, opts, done_rx, slot_rx, tx, diag, &cancel, &remote, &progress,
                );
                // A reader waiting for a fetch that the ended run will never release a
                // permit for must not wait forever.
                Remote::cancel(&remote);
                if let Ok(r) = reader {
                    let _ = r.join();
                }
                totals
            }
        });
    let handle = match handle {
        Ok(h) => h,
        Err(_) => std::thread::spawn(RunTotals::default),
    };
    Run {
        batches: rx,
        handle,
    }
}

/// Parses `inputs` to the end, handing each batch to `each` as it comes (on this thread);
/// the run's totals. For callers without an async runtime: tests, benchmarks, fuzzing.
pub fn read(
    inputs: Vec<Input>,
    cfg: Arc<DecodeConfig>,
    opts: RunOptions,
    diag: Box<dyn Diagnostics>,
    mut each: impl FnMut(RecordBatch),
) -> RunTotals {
    let mut run = start(inputs, cfg, opts, diag);
    while let Some(b) = run.batches.blocking_recv() {
        each(b);
    }
    run.finish()
}

/// A worker: runs one unit.
fn work(unit: Unit, inputs: &[Input], cfg: &DecodeConfig, opts: RunOptions) -> Done {
    let input = &inputs[unit.input];
    let assumed = input.layout.clone();
    let outcome = match &unit.work {
        Work::Text(bytes) => Outcome::Decoded(decode(
            bytes,
            assumed.clone(),
            unit.first,
            cfg,
            &input.origin,
        )),
        Work::Gzip => inflate_whole(input, cfg, opts),
        Work::ParquetGroup(g) => {
            match source::read_parquet_group(&input.path, *g, &assumed, cfg, &input.origin) {
                Ok(d) => Outcome::Decoded(d),
                Err(e) => Outcome::Error(e.reason()),
            }
        }
        Work::LongLine(..) | Work::Failed(_) | Work::Changed(_) | Work::End => Outcome::Pass,
    };
    Done {
        unit,
        assumed,
        outcome,
    }
}

/// The uncompressed size a gzip file's trailer states (of its last member, modulo 4 GiB: a
/// hint, not a fact), leaving the file at its start.
fn gzip_size_hint(file: &mut std::fs::File) -> Option<usize> {
    use std::io::{Seek, SeekFrom};
    let mut trailer = [0u8; 4];
    file.seek(SeekFrom::End(-4)).ok()?;
    let read = file.read_exact(&mut trailer);
    file.seek(SeekFrom::Start(0)).ok()?;
    read.ok()?;
    usize::try_from(u32::from_le_bytes(trailer)).ok()
}

fn inflate_whole(input: &Input, cfg: &DecodeConfig, opts: RunOptions) -> Outcome {
    let mut file = match std::fs::File::open(&input.path) {
        Ok(f) => f,
        Err(e) => return Outcome::Error(e.to_string()),
    };
    // Room for the text at once (as the gzip trailer gives its size, capped), so it is never
    // copied while growing: that copy would hold the old and the new buffer together.
    let hint = gzip_size_hint(&mut file).unwrap_or(0).min(opts.inflate_cap);
    let mut text = blocks::spare(hint);
    let mut dec = source::text_reader(file, SourceKind::Gzip).take(opts.inflate_cap as u64 + 1);
    let result = dec.read_to_end(&mut text);
    if text.len() > opts.inflate_cap {
        return Outcome::TooBig;
    }
    // The batches hold copies of the text: its buffer can be filled again.
    let outcome = decoded(&text, result, input, cfg);
    blocks::keep(text);
    outcome
}

/// The outcome of decoding a gzip object's `text`, inflated with `result`.
fn decoded(
    text: &[u8],
    result: std::io::Result<usize>,
    input: &Input,
    cfg: &DecodeConfig,
) -> Outcome {
    match result {
        Ok(_) => Outcome::Decoded(decode(text, input.layout.clone(), true, cfg, &input.origin)),
        Err(e) => {
            // Keep the complete records before the damage, then report the object.
            let cut = memchr::memrchr(b'\n', text).map_or(0, |i| i + 1);
            let d = decode(&text[..cut], input.layout.clone(), true, cfg, &input.origin);
            let tail = text.len() - cut;
            let extra = if tail > 0 {
                format!(" (a partial last line of {tail} bytes was dropped)")
            } else {
                String::new()
            };
            Outcome::Damaged(d, format!("{e}{extra}"))
        }
    }
}
