//! The reader thread: walks the objects and cuts each into units of work (line-aligned blocks
//! of text, with over-long lines cut out and reported by their first bytes; small gzip objects
//! whole; Parquet row groups), reusing block buffers.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use flate2::read::MultiGzDecoder;

use super::progress::{Counted, Progress};
use super::{Input, Remote, RunOptions, Unit, Work};
use crate::ingest::decode::DecodeConfig;
use crate::ingest::source::{self, SourceKind};

/// What the reader thread reads by.
pub(super) struct Reading<'a> {
    /// The run's tuning.
    pub opts: RunOptions,
    /// Set when the run ends early.
    pub cancel: &'a AtomicBool,
    /// The fetching of remote objects, if any.
    pub remote: &'a Option<Remote>,
    /// Where the bytes of streamed objects are counted.
    pub progress: &'a Arc<Progress>,
}

/// The reader thread: cuts every input into units.
pub(super) fn read_all(
    inputs: &[Input],
    cfg: &DecodeConfig,
    run: &Reading<'_>,
    dispatch: &mut dyn FnMut(Unit) -> bool,
) {
    let Reading {
        opts,
        cancel,
        remote,
        progress,
    } = *run;
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
            Ok(()) => read_one(input, cfg, opts, progress, &mut emit),
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
    progress: &Arc<Progress>,
    emit: &mut dyn FnMut(bool, u64, Work) -> bool,
) -> bool {
    let is_stream = source::is_stream(&input.path);
    // Plain files are counted as they are read (by `stream_blocks`): a counting wrapper would
    // hide the file's own `read_buf`, and every read would clear its buffer first.
    let (reader, raw_size, counted): (Box<dyn Read + Send>, u64, Option<&Progress>) = if is_stream {
        // Standard input or a pipe: read once, starting with what was read ahead for its layout.
        let mut stream = match source::stream_reader(&input.path) {
            Ok(r) => r,
            Err(e) => {
                return emit(true, 0, Work::Failed(e.to_string())) && emit(false, 0, Work::End);
            }
        };
        let mut head = [0u8; 2];
        let mut n = 0;
        while n < 2 {
            match stream.read(&mut head[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        let chained = std::io::Cursor::new(head[..n].to_vec()).chain(stream);
        match source::sniff(&head[..n]) {
            SourceKind::Gzip => (
                Box::new(source::Steps::new(MultiGzDecoder::new(chained))),
                0,
                None,
            ),
            _ => (Box::new(chained), 0, None),
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
            SourceKind::Plain => (Box::new(file), size, Some(&**progress)),
            kind => (
                source::text_reader(Counted::new(file, progress.clone()), kind),
                size,
                None,
            ),
        }
    };
    stream_blocks(
        reader,
        raw_size,
        cfg.max_line,
        opts.block_bytes,
        counted,
        emit,
    ) && emit(false, 0, Work::End)
}

/// Text buffers done with (blocks the ordering thread has seen through, gzip objects a worker
/// has decoded), to be filled again. Fresh memory costs a page fault and a page clear in the
/// kernel on its first touch: at 600 MB/s of text that was a quarter of a two-core machine
/// (`perf`), time the decoders then lacked; inflating every object of a gzip tree into fresh
/// memory, about 8% of the report pack's samples over one.
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
/// Spare buffers kept at most (a block is 4 MiB by default).
const MAX_SPARE: usize = 8;
/// Bytes of spare buffers kept at most: a larger gzip object's buffer is let go.
const MAX_SPARE_BYTES: usize = 64 << 20;

/// An empty buffer of at least `capacity` bytes: a spare one if there is one (one large enough
/// first).
pub(super) fn spare(capacity: usize) -> Vec<u8> {
    let found = {
        let mut kept = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.iter().position(|b| b.capacity() >= capacity) {
            Some(i) => Some(kept.swap_remove(i)),
            None => kept.pop(),
        }
    };
    let mut buf = found.unwrap_or_default();
    buf.clear();
    buf.reserve(capacity);
    buf
}

/// Keeps a buffer for [`spare`] while the spare ones stay within their bounds.
pub(super) fn keep(buf: Vec<u8>) {
    let mut kept = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
    let bytes: usize = kept.iter().map(Vec::capacity).sum();
    if kept.len() < MAX_SPARE && bytes + buf.capacity() <= MAX_SPARE_BYTES {
        kept.push(buf);
    }
}

/// Keeps a decoded block's buffer for [`spare`], unless another holder still has it.
pub(super) fn recycle(bytes: Arc<Vec<u8>>) {
    if let Ok(buf) = Arc::try_unwrap(bytes) {
        keep(buf);
    }
}

/// Reads text in line-aligned blocks. Over-long lines are skipped here with bounded memory and
/// become `LongLine` units; a read error ends the object after its complete lines. The bytes
/// read are added to `counted`, if given.
pub(super) fn stream_blocks(
    mut reader: Box<dyn Read + Send>,
    raw_size: u64,
    max_line: usize,
    block_bytes: usize,
    counted: Option<&Progress>,
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
        if let Some(progress) = counted {
            progress.add_bytes(read as u64);
        }
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
pub(super) fn fill(
    reader: &mut dyn Read,
    buf: &mut Vec<u8>,
    block: usize,
) -> (usize, Option<std::io::Error>) {
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
