//! The progress bar of the commands that read flow logs (`ingest`, `report`, `audit`): objects
//! done of all, bytes read of all and the time left. It is drawn on standard error when that
//! is a terminal, and not at all otherwise. A thread of its own looks at the run's
//! [`Progress`] ten times a second; the parser only counts. While a bar is shown, warnings
//! and errors are printed above it ([`suspend`]).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::ingest::parallel::Progress;

/// How often the bar looks at the counts.
const EVERY: Duration = Duration::from_millis(100);

/// The bar on screen, if one is: what [`suspend`] clears.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A progress bar following a run; dropping it clears it.
pub(crate) struct Bar {
    bar: ProgressBar,
    stop: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

impl Bar {
    /// A bar over a run of `size` (objects, bytes) that counts into `progress`, on standard
    /// error; `None` when standard error is not a terminal.
    pub(crate) fn start(progress: &Arc<Progress>, size: (u64, u64)) -> Option<Bar> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = Bar::drawn_on(progress, size, ProgressDrawTarget::stderr());
        if let Ok(mut shown) = SHOWN.lock() {
            *shown = Some(bar.bar.clone());
        }
        Some(bar)
    }

    /// A bar drawn on `target`.
    fn drawn_on(progress: &Arc<Progress>, size: (u64, u64), target: ProgressDrawTarget) -> Bar {
        let bar = ProgressBar::with_draw_target(Some(size.1), target);
        let style = ProgressStyle::with_template(
            "{spinner} [{bar:30}] {binary_bytes}/{binary_total_bytes}, {msg}, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        update(&bar, progress, size);
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = {
            let (bar, progress, stop) = (bar.clone(), progress.clone(), stop.clone());
            std::thread::Builder::new()
                .name("vpcflow-progress".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        update(&bar, &progress, size);
                        bar.tick();
                        std::thread::sleep(EVERY);
                    }
                })
                .ok()
        };
        Bar { bar, stop, watcher }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
        }
        if let Ok(mut shown) = SHOWN.lock() {
            *shown = None;
        }
        self.bar.finish_and_clear();
    }
}

/// Shows the counts of `progress` on `bar`: the bytes as its position, the objects as its
/// message (neither past the run's `size`).
fn update(bar: &ProgressBar, progress: &Progress, size: (u64, u64)) {
    let (objects, bytes) = size;
    bar.set_message(format!(
        "{}/{objects} objects",
        progress.objects().min(objects)
    ));
    bar.set_position(progress.bytes().min(bytes));
}

/// Runs `print` (which writes to standard error) with the bar, if one is shown, out of its way.
pub(crate) fn suspend<R>(print: impl FnOnce() -> R) -> R {
    let shown = SHOWN.lock().unwrap_or_else(PoisonError::into_inner).clone();
    match shown {
        Some(bar) => bar.suspend(print),
        None => print(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ingest::decode::DecodeConfig;
    use crate::ingest::parallel::{self, Discard, RunOptions};
    use crate::ingest::{ReadOptions, open};

    #[test]
    fn the_bar_follows_a_run_to_its_totals() {
        let prepared = open(
            &[
                "sample-logs/AWSLogs".into(),
                "sample-logs/cloudwatch".into(),
            ],
            &ReadOptions::default(),
        )
        .expect("inputs");
        let size = prepared.size();
        let progress = Arc::new(Progress::default());
        let bar = Bar::drawn_on(&progress, size, ProgressDrawTarget::hidden());
        assert_eq!(bar.bar.position(), 0);
        assert_eq!(bar.bar.length(), Some(size.1));
        assert_eq!(bar.bar.message(), format!("0/{} objects", size.0));
        let cfg = Arc::new(DecodeConfig::new(prepared.columns.clone(), None));
        let mut run = parallel::start_watched(
            prepared.inputs,
            cfg,
            RunOptions::default(),
            Box::new(Discard),
            progress.clone(),
        );
        while run.batches.blocking_recv().is_some() {}
        let totals = run.finish();
        // The watcher looks ten times a second.
        std::thread::sleep(EVERY * 3);
        assert_eq!(bar.bar.position(), totals.bytes_read);
        assert_eq!(bar.bar.position(), size.1);
        assert_eq!(bar.bar.message(), format!("{0}/{0} objects", size.0));
        drop(bar);
    }
}
