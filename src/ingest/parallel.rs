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

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use arrow::array::RecordBatch;
use crossbeam_channel as cb;
use flate2::read::MultiGzDecoder;

use super::decode::{BadLine, Counts, DecodeConfig, Decoded, Note, Origin, Reason, decode};
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
    cancel: Arc<AtomicBool>,
}

impl Run {
    /// Waits for the run to end and returns its totals.
    pub fn finish(self) -> RunTotals {
        drop(self.batches);
        self.handle.join().unwrap_or_default()
    }

    /// A flag that stops the run when set (also set when `batches` is dropped).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }
}

/// Starts parsing `inputs`.
pub fn start(
    mut inputs: Vec<Input>,
    cfg: Arc<DecodeConfig>,
    opts: RunOptions,
    diag: Box<dyn Diagnostics>,
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
                read_all(&inputs, &cfg, opts, &cancel, &remote, &mut dispatch);
            })
    };

    let handle = std::thread::Builder::new()
        .name("vpcflow-order".into())
        .spawn({
            let cancel = cancel.clone();
            move || {
                let totals = order(
                    &inputs, &cfg, opts, done_rx, slot_rx, tx, diag, &cancel, &remote,
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
        cancel,
    }
}

/// The reader thread: cuts every input into units.
fn read_all(
    inputs: &[Input],
    cfg: &DecodeConfig,
    opts: RunOptions,
    cancel: &AtomicBool,
    remote: &Option<Remote>,
    dispatch: &mut dyn FnMut(Unit) -> bool,
) {
    let mut seq = 0u64;
    for (idx, input) in inputs.iter().enumerate() {
        let mut emit = |first: bool, raw_bytes: u64, work: Work| -> bool {
            let unit = Unit {
                seq,
                input: idx,
                first,
                raw_bytes,
                work,
            };
            seq += 1;
            dispatch(unit)
        };
        let read = match Remote::wait(remote, idx) {
            Ok(()) => read_one(input, cfg, opts, &mut emit),
            Err(why) if why.changed => {
                emit(true, 0, Work::Changed(why.message)) && emit(false, 0, Work::End)
            }
            Err(why) => emit(true, 0, Work::Failed(why.message)) && emit(false, 0, Work::End),
        };
        if !read || cancel.load(Ordering::Relaxed) {
            return;
        }
    }
}

/// Cuts one input into units; returns false when the run was cancelled.
fn read_one(
    input: &Input,
    cfg: &DecodeConfig,
    opts: RunOptions,
    emit: &mut dyn FnMut(bool, u64, Work) -> bool,
) -> bool {
    let is_stdin = input.path.as_os_str() == "-";
    let (reader, raw_size): (Box<dyn Read + Send>, u64) = if is_stdin {
        let mut stdin = source::stdin_reader();
        let mut head = [0u8; 2];
        let mut n = 0;
        while n < 2 {
            match stdin.read(&mut head[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        let chained = std::io::Cursor::new(head[..n].to_vec()).chain(stdin);
        match source::sniff(&head[..n]) {
            SourceKind::Gzip => (
                Box::new(source::Steps::new(MultiGzDecoder::new(chained))),
                0,
            ),
            _ => (Box::new(chained), 0),
        }
    } else {
        let (file, kind) = match source::open(&input.path) {
            Ok(x) => x,
            Err(e) => {
                return emit(true, 0, Work::Failed(e.reason())) && emit(false, 0, Work::End);
            }
        };
        let size = file.metadata().map_or(0, |m| m.len());
        match kind {
            SourceKind::Parquet => {
                return match source::parquet_row_groups(&input.path) {
                    Ok(groups) => {
                        (0..groups).all(|g| {
                            emit(g == 0, if g == 0 { size } else { 0 }, Work::ParquetGroup(g))
                        }) && emit(groups == 0, 0, Work::End)
                    }
                    Err(e) => {
                        emit(true, size, Work::Failed(e.reason())) && emit(false, 0, Work::End)
                    }
                };
            }
            SourceKind::Gzip if size <= opts.whole_gzip_bytes => {
                return emit(true, size, Work::Gzip) && emit(false, 0, Work::End);
            }
            kind => (source::text_reader(file, kind), size),
        }
    };
    stream_blocks(reader, raw_size, cfg.max_line, opts.block_bytes, emit)
        && emit(false, 0, Work::End)
}

/// Block buffers the ordering thread is done with, for the reader to fill again. Fresh memory
/// costs a page fault and a page clear in the kernel on its first touch: at 600 MB/s of text
/// that was a quarter of a two-core machine (`perf`), time the decoders then lacked.
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
/// Spare buffers kept at most (a block each, 4 MiB by default).
const MAX_SPARE: usize = 8;

/// An empty buffer of at least `capacity` bytes, a spare one if there is one.
fn spare(capacity: usize) -> Vec<u8> {
    let found = SPARE.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut buf = found.unwrap_or_default();
    buf.clear();
    buf.reserve(capacity);
    buf
}

/// Keeps a decoded block's buffer for [`spare`], unless another holder still has it.
fn recycle(bytes: Arc<Vec<u8>>) {
    if let Ok(buf) = Arc::try_unwrap(bytes) {
        let mut kept = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() < MAX_SPARE {
            kept.push(buf);
        }
    }
}

/// Reads text in line-aligned blocks. Over-long lines are skipped here with bounded memory and
/// become `LongLine` units; a read error ends the object after its complete lines.
fn stream_blocks(
    mut reader: Box<dyn Read + Send>,
    raw_size: u64,
    max_line: usize,
    block_bytes: usize,
    emit: &mut dyn FnMut(bool, u64, Work) -> bool,
) -> bool {
    let block = block_bytes.max(max_line + 1);
    // Room for a block and the partial line carried over from the one before.
    let capacity = block.min(16 << 20) + (64 << 10);
    let mut buf = spare(capacity);
    let mut first = true;
    let mut raw_left = raw_size;
    let mut skipping: Option<(Vec<u8>, u64)> = None;
    loop {
        let (read, failure) = fill(&mut reader, &mut buf, block);
        if let Some(e) = failure {
            // Keep the complete lines before the damage; the partial last line is reported,
            // with the bytes skipped of it when it is an over-long line.
            let mut skipped = 0;
            if let Some((prefix, len)) = skipping.take() {
                match memchr::memchr(b'\n', &buf) {
                    Some(i) => {
                        buf.drain(..=i);
                        if !emit(first, 0, Work::LongLine(prefix, len + i as u64)) {
                            return false;
                        }
                        first = false;
                    }
                    None => skipped = len,
                }
            }
            let cut = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
            let tail = buf.len() - cut + skipped as usize;
            buf.truncate(cut);
            if !buf.is_empty()
                && !emit(
                    first,
                    raw_left,
                    Work::Text(Arc::new(std::mem::take(&mut buf))),
                )
            {
                return false;
            }
            let msg = if tail > 0 {
                format!("{e} (a partial last line of {tail} bytes was dropped)")
            } else {
                e.to_string()
            };
            return emit(false, 0, Work::Failed(msg));
        }
        let eof = read == 0;
        if let Some((_, len)) = &mut skipping {
            // Inside an over-long line: drop bytes up to its end.
            match memchr::memchr(b'\n', &buf) {
                Some(i) => {
                    *len += i as u64;
                    buf.drain(..=i);
                    let (prefix, len) = skipping.take().unwrap_or_default();
                    if !emit(first, 0, Work::LongLine(prefix, len)) {
                        return false;
                    }
                    first = false;
                }
                None => {
                    *len += buf.len() as u64;
                    buf.clear();
                    if eof {
                        let (prefix, len) = skipping.take().unwrap_or_default();
                        return emit(first, 0, Work::LongLine(prefix, len));
                    }
                    continue;
                }
            }
        }
        if eof {
            if !buf.is_empty() {
                return emit(
                    first,
                    std::mem::take(&mut raw_left),
                    Work::Text(Arc::new(buf)),
                );
            }
            return true;
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(i) => {
                let mut rest = spare(capacity);
                rest.extend_from_slice(&buf[i + 1..]);
                buf.truncate(i + 1);
                let full = std::mem::replace(&mut buf, rest);
                // Compressed bytes are attributed to the first block.
                if !emit(
                    first,
                    std::mem::take(&mut raw_left),
                    Work::Text(Arc::new(full)),
                ) {
                    return false;
                }
                first = false;
            }
            None if buf.len() > max_line => {
                // The decoder drops a byte-order mark before the first line; so does the count.
                let bom = if first && buf.starts_with(b"\xEF\xBB\xBF") {
                    3
                } else {
                    0
                };
                let prefix = buf[bom..max_line.min(buf.len())].to_vec();
                skipping = Some((prefix, (buf.len() - bom) as u64));
                buf.clear();
            }
            None => {}
        }
    }
}

/// Reads until `buf` holds `block` bytes or the input ends, a step at a time so that memory is
/// only touched where data lands. `read_to_end` reads into the spare capacity without clearing
/// it first (a file reads straight into it). Returns the bytes read and a read error, if any.
fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, block: usize) -> (usize, Option<std::io::Error>) {
    let mut read = 0;
    while buf.len() < block {
        let at = buf.len();
        let step = (block - at).min(1 << 20);
        // What was read before an error stays: it is text up to the damage.
        let result = reader.take(step as u64).read_to_end(buf);
        let n = buf.len() - at;
        read += n;
        if let Err(e) = result {
            return (read, Some(e));
        }
        if n < step {
            break;
        }
    }
    (read, None)
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
    let mut text = Vec::with_capacity(hint);
    let mut dec = source::text_reader(file, SourceKind::Gzip).take(opts.inflate_cap as u64 + 1);
    let result = dec.read_to_end(&mut text);
    if text.len() > opts.inflate_cap {
        return Outcome::TooBig;
    }
    match result {
        Ok(_) => Outcome::Decoded(decode(
            &text,
            input.layout.clone(),
            true,
            cfg,
            &input.origin,
        )),
        Err(e) => {
            // Keep the complete records before the damage, then report the object.
            let cut = memchr::memrchr(b'\n', &text).map_or(0, |i| i + 1);
            let mut d = decode(&text[..cut], input.layout.clone(), true, cfg, &input.origin);
            let tail = text.len() - cut;
            let extra = if tail > 0 {
                format!(" (a partial last line of {tail} bytes was dropped)")
            } else {
                String::new()
            };
            d.notes.push(Note {
                line: u64::MAX,
                message: format!("{e}{extra}"),
            });
            Outcome::Decoded(d)
        }
    }
}

/// Per-object state of the ordering thread.
struct FileState {
    line_base: u64,
    layout: Arc<Layout>,
    counts: Counts,
    failed: bool,
}

#[allow(clippy::too_many_arguments)]
fn order(
    inputs: &[Input],
    cfg: &DecodeConfig,
    opts: RunOptions,
    done_rx: cb::Receiver<Done>,
    slot_rx: cb::Receiver<()>,
    tx: tokio::sync::mpsc::Sender<RecordBatch>,
    mut diag: Box<dyn Diagnostics>,
    cancel: &AtomicBool,
    remote: &Option<Remote>,
) -> RunTotals {
    let mut totals = RunTotals::default();
    let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0u64;
    let mut state: Option<(usize, FileState)> = None;
    for done in done_rx.iter() {
        waiting.insert(done.unit.seq, done);
        while let Some(done) = waiting.remove(&next) {
            next += 1;
            let _ = slot_rx.recv();
            let input = &inputs[done.unit.input];
            if state.as_ref().map(|(i, _)| *i) != Some(done.unit.input) {
                state = Some((
                    done.unit.input,
                    FileState {
                        line_base: 0,
                        layout: input.layout.clone(),
                        counts: Counts::default(),
                        failed: false,
                    },
                ));
                totals.files += 1;
            }
            let Some((_, fs)) = state.as_mut() else {
                continue;
            };
            totals.bytes_read += done.unit.raw_bytes;
            let end = matches!(done.unit.work, Work::End).then_some(done.unit.input);
            let ok = settle(done, input, cfg, opts, fs, &mut totals, diag.as_mut(), &tx);
            if let Some(i) = end {
                Remote::release(remote, i);
            }
            if !ok {
                cancel.store(true, Ordering::Relaxed);
                return totals;
            }
        }
    }
    totals
}

/// How an object differs from its stamp now that its reading has ended, if it does.
fn changed(input: &Input) -> Option<String> {
    let (size, modified) = input.stamp?;
    match std::fs::metadata(&input.path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some("removed while being read".to_string())
        }
        Err(e) => Some(format!("no longer readable after reading: {e}")),
        Ok(meta) => {
            let (now_size, now_modified) = super::discover::stamp(&meta);
            if now_size != size {
                Some(format!(
                    "changed while being read (size {size} -> {now_size} bytes)"
                ))
            } else if now_modified != modified {
                Some("changed while being read (modification time)".to_string())
            } else {
                None
            }
        }
    }
}

/// Handles one unit in order; returns false when the consumer has gone away.
#[allow(clippy::too_many_arguments)]
fn settle(
    done: Done,
    input: &Input,
    cfg: &DecodeConfig,
    opts: RunOptions,
    fs: &mut FileState,
    totals: &mut RunTotals,
    diag: &mut dyn Diagnostics,
    tx: &tokio::sync::mpsc::Sender<RecordBatch>,
) -> bool {
    let Done {
        unit,
        assumed,
        outcome,
    } = done;
    match (unit.work, outcome) {
        (Work::Text(bytes), Outcome::Decoded(d)) => {
            totals.text_bytes += bytes.len() as u64;
            // A mid-file header in an earlier block changed the layout: decode again.
            let d = if !unit.first && *assumed != *fs.layout {
                decode(&bytes, fs.layout.clone(), false, cfg, &input.origin)
            } else {
                d
            };
            recycle(bytes);
            deliver(d, input, fs, totals, diag, tx)
        }
        (Work::Gzip, Outcome::TooBig) => {
            // Stream it here, in order: sequential, but memory stays bounded.
            let file = match std::fs::File::open(&input.path) {
                Ok(f) => f,
                Err(e) => {
                    fail(input, fs, totals, diag, &e.to_string());
                    return true;
                }
            };
            let mut first = true;
            let mut ok = true;
            // `first` is tracked here: the streamed object starts at its first block.
            let mut emit = |_: bool, _: u64, work: Work| -> bool {
                match work {
                    Work::Text(bytes) => {
                        totals.text_bytes += bytes.len() as u64;
                        let d = decode(&bytes, fs.layout.clone(), first, cfg, &input.origin);
                        recycle(bytes);
                        first = false;
                        ok = deliver(d, input, fs, totals, diag, tx);
                        ok
                    }
                    Work::LongLine(prefix, len) => {
                        long_line(prefix, len, input, cfg, fs, totals, diag);
                        true
                    }
                    Work::Failed(msg) => {
                        fail(input, fs, totals, diag, &msg);
                        true
                    }
                    _ => true,
                }
            };
            let reader = source::text_reader(file, SourceKind::Gzip);
            stream_blocks(reader, 0, cfg.max_line, opts.block_bytes, &mut emit);
            ok
        }
        (_, Outcome::Decoded(d)) => deliver(d, input, fs, totals, diag, tx),
        (_, Outcome::Error(msg)) | (Work::Failed(msg), _) => {
            fail(input, fs, totals, diag, &msg);
            true
        }
        (Work::Changed(msg), _) => {
            totals.files_changed += 1;
            fail(input, fs, totals, diag, &msg);
            true
        }
        (Work::LongLine(prefix, len), _) => {
            long_line(prefix, len, input, cfg, fs, totals, diag);
            true
        }
        (Work::End, _) => {
            // (An object that failed already, unopenable say, is reported once.)
            if !fs.failed
                && let Some(change) = changed(input)
            {
                totals.files_changed += 1;
                fail(input, fs, totals, diag, &change);
            }
            if fs.counts.records == 0 && !fs.failed {
                let message = if fs.line_base == 0 {
                    "empty object: no records".to_string()
                } else {
                    "no records (header only, or only blank or bad lines)".to_string()
                };
                diag.note(input, &Note { line: 0, message });
            }
            true
        }
        _ => true,
    }
}

fn long_line(
    prefix: Vec<u8>,
    len: u64,
    input: &Input,
    cfg: &DecodeConfig,
    fs: &mut FileState,
    totals: &mut RunTotals,
    diag: &mut dyn Diagnostics,
) {
    fs.line_base += 1;
    let bad = BadLine {
        line: fs.line_base,
        reason: Reason::LineTooLong,
        detail: format!("{len} bytes, limit {}", cfg.max_line),
        text: prefix,
    };
    count_bad(totals, &bad);
    diag.bad_line(input, &bad);
}

fn fail(
    input: &Input,
    fs: &mut FileState,
    totals: &mut RunTotals,
    diag: &mut dyn Diagnostics,
    msg: &str,
) {
    if !fs.failed {
        totals.files_failed += 1;
        totals.failed.push(FailedInput {
            path: input.origin.name.to_string(),
            reason: msg.to_string(),
            records_kept: fs.counts.records > 0,
        });
    }
    fs.failed = true;
    diag.file_error(input, msg);
}

fn count_bad(totals: &mut RunTotals, bad: &BadLine) {
    totals.bad_lines += 1;
    *totals
        .bad_lines_by_reason
        .entry(bad.reason.key())
        .or_default() += 1;
}

fn report_note(
    mut note: Note,
    input: &Input,
    fs: &FileState,
    diag: &mut dyn Diagnostics,
    gzip_error: &mut Option<String>,
) {
    if note.line == u64::MAX {
        *gzip_error = Some(note.message);
        return;
    }
    note.line += fs.line_base + 1;
    diag.note(input, &note);
}

fn deliver(
    d: Decoded,
    input: &Input,
    fs: &mut FileState,
    totals: &mut RunTotals,
    diag: &mut dyn Diagnostics,
    tx: &tokio::sync::mpsc::Sender<RecordBatch>,
) -> bool {
    // Bad lines and warnings in line order, as a sequential reader would meet them.
    let mut gzip_error = None;
    let mut notes = d.notes.into_iter().peekable();
    for mut bad in d.bad {
        while let Some(note) = notes.next_if(|n| n.line < bad.line) {
            report_note(note, input, fs, diag, &mut gzip_error);
        }
        bad.line += fs.line_base + 1;
        count_bad(totals, &bad);
        diag.bad_line(input, &bad);
    }
    for note in notes {
        report_note(note, input, fs, diag, &mut gzip_error);
    }
    fs.line_base += d.lines;
    fs.layout = d.layout;
    fs.counts.add(d.counts);
    totals.counts.add(d.counts);
    if let Some(msg) = gzip_error {
        fail(input, fs, totals, diag, &msg);
    }
    for b in d.batches {
        if b.num_rows() > 0 && tx.blocking_send(b).is_err() {
            return false;
        }
    }
    true
}
