//! `auditship run --once`: ship historical files and exit.
//!
//! File sources are built with `stop_at_end`, so each ends by itself once
//! its files are read to their end and every line is journaled and
//! checkpointed. The agent then journals its final signed checkpoint and
//! waits until every sink's cursor has reached the head of the journal —
//! everything delivered or dead-lettered — before the ordinary stop.
//! Retries follow each sink's `retry` settings: a destination that stays
//! down keeps the run waiting (set `retry.max_elapsed` to give up, which
//! dead-letters the batch and makes the run fail).
//!
//! Socket sources have no end; `--once` skips them.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::running_components::RunningComponents;
use super::stats::PipelineStats;
use crate::journal::Journal;
use crate::shutdown::{Shutdown, ShutdownTrigger};

/// How often delivery progress is looked at.
const POLL: Duration = Duration::from_millis(100);

/// Undelivered events of `sinks` (records between each cursor and the head
/// of the journal), summed.
pub fn undelivered(journal: &Journal, sinks: &[String]) -> u64 {
    journal
        .backlogs()
        .iter()
        .filter(|(name, _)| sinks.contains(name))
        .map(|(_, backlog)| backlog.events)
        .sum()
}

/// Resolves `true` once every sink in `sinks` delivered everything in the
/// journal, `false` if `shutdown` fires first.
pub async fn wait_delivered(journal: &Journal, sinks: &[String], shutdown: &mut Shutdown) -> bool {
    loop {
        if undelivered(journal, sinks) == 0 {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.recv() => return false,
        }
    }
}

/// Runs the backfill to its end (see the module doc): sources to the end of
/// their files, the final checkpoint (`checkpoint`: its stop trigger and
/// task, taken here), then delivery. True when everything was delivered
/// before `shutdown`.
pub async fn run_to_end(
    components: &mut RunningComponents,
    journal: &Journal,
    stats: &PipelineStats,
    progress_bar: bool,
    checkpoint: (ShutdownTrigger, &mut Option<JoinHandle<()>>),
    mut shutdown: Shutdown,
) -> bool {
    let sink_ids = components.sink_ids();
    let progress = progress_bar
        .then(|| super::backfill_progress::spawn(stats.clone(), journal.clone(), sink_ids.clone()));
    let read = tokio::select! {
        _ = components.wait_sources() => true,
        _ = shutdown.recv() => false,
    };
    let mut complete = false;
    if read {
        tracing::info!("--once: every file is read to its end; delivering what is left.");
        let (checkpoint_stop, checkpointer) = checkpoint;
        checkpoint_stop.fire();
        if let Some(task) = checkpointer.take() {
            let _ = task.await;
        }
        complete = wait_delivered(journal, &sink_ids, &mut shutdown).await;
    }
    if let Some(progress) = progress {
        progress.finish().await;
    }
    if complete {
        tracing::info!("--once: everything is delivered.");
    }
    complete
}
