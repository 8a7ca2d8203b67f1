//! The progress bar of `auditship run --once` on a terminal (`indicatif`).
//!
//! Length: events journaled so far (it grows while files are read);
//! position: how many of them the slowest sink has delivered; message: bytes
//! read. Redrawn ten times a second from the pipeline's counters and the
//! journal's cursors — it observes, it never slows the pipeline.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;

use super::stats::PipelineStats;
use crate::journal::Journal;
use crate::shutdown::{self, ShutdownTrigger};

/// A running progress bar.
pub struct BackfillProgress {
    stop: ShutdownTrigger,
    task: JoinHandle<()>,
}

/// Starts drawing on stderr. The caller decides whether stderr is a TTY.
pub fn spawn(stats: PipelineStats, journal: Journal, sinks: Vec<String>) -> BackfillProgress {
    let (stop, mut stopped) = shutdown::channel();
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} events delivered ({msg})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let task = tokio::spawn(async move {
        loop {
            let snapshot = stats.snapshot();
            let slowest = journal
                .backlogs()
                .iter()
                .filter(|(name, _)| sinks.contains(name))
                .map(|(_, backlog)| backlog.events)
                .max()
                .unwrap_or(0);
            bar.set_length(snapshot.events_journaled);
            bar.set_position(snapshot.events_journaled.saturating_sub(slowest));
            bar.set_message(format!(
                "{:.1} MiB read",
                snapshot.bytes_read as f64 / (1024.0 * 1024.0)
            ));
            if stopped.is_requested() {
                bar.finish();
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                _ = stopped.recv() => {}
            }
        }
    });
    BackfillProgress { stop, task }
}

impl BackfillProgress {
    /// Draws the final state and stops.
    pub async fn finish(self) {
        self.stop.fire();
        let _ = self.task.await;
    }
}
