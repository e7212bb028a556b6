//! The ordering thread: puts the workers' results back into input order, turns block-relative
//! line numbers into file line numbers, reports bad lines, warnings and failed objects, and
//! sends the batches on.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::RecordBatch;
use crossbeam_channel as cb;

use super::blocks::{recycle, stream_blocks};
use super::progress::Progress;
use super::{Diagnostics, Done, FailedInput, Input, Outcome, Remote, RunOptions, RunTotals, Work};
use crate::ingest::decode::{BadLine, Counts, DecodeConfig, Decoded, Note, Reason, decode};
use crate::ingest::format::Layout;
use crate::ingest::source::{self, SourceKind};

/// Per-object state of the ordering thread.
struct FileState {
    line_base: u64,
    layout: Arc<Layout>,
    counts: Counts,
    failed: bool,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn order(
    inputs: &[Input],
    cfg: &DecodeConfig,
    opts: RunOptions,
    done_rx: cb::Receiver<Done>,
    slot_rx: cb::Receiver<()>,
    tx: tokio::sync::mpsc::Sender<RecordBatch>,
    mut diag: Box<dyn Diagnostics>,
    cancel: &AtomicBool,
    remote: &Option<Remote>,
    progress: &Progress,
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
            // The reader counted the bytes of the objects it streamed as it read them.
            if !matches!(done.unit.work, Work::Text(_) | Work::LongLine(..)) {
                progress.add_bytes(done.unit.raw_bytes);
            }
            let end = matches!(done.unit.work, Work::End).then_some(done.unit.input);
            let ok = settle(done, input, cfg, opts, fs, &mut totals, diag.as_mut(), &tx);
            if let Some(i) = end {
                Remote::release(remote, i);
                progress.object_done();
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
            let (now_size, now_modified) = crate::ingest::discover::stamp(&meta);
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
            stream_blocks(reader, 0, cfg.max_line, opts.block_bytes, None, &mut emit);
            ok
        }
        (_, Outcome::Decoded(d)) => deliver(d, input, fs, totals, diag, tx),
        (_, Outcome::Damaged(d, msg)) => {
            let ok = deliver(d, input, fs, totals, diag, tx);
            fail(input, fs, totals, diag, &msg);
            ok
        }
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

fn report_note(mut note: Note, input: &Input, fs: &FileState, diag: &mut dyn Diagnostics) {
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
    let mut notes = d.notes.into_iter().peekable();
    for mut bad in d.bad {
        while let Some(note) = notes.next_if(|n| n.line < bad.line) {
            report_note(note, input, fs, diag);
        }
        bad.line += fs.line_base + 1;
        count_bad(totals, &bad);
        diag.bad_line(input, &bad);
    }
    for note in notes {
        report_note(note, input, fs, diag);
    }
    fs.line_base += d.lines;
    fs.layout = d.layout;
    fs.counts.add(d.counts);
    totals.counts.add(d.counts);
    for b in d.batches {
        if b.num_rows() > 0 && tx.blocking_send(b).is_err() {
            return false;
        }
    }
    true
}
