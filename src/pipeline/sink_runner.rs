//! Runs one sink: its journal cursor → batches → the destination → commit.
//!
//! Loop: wait until the journal has a record past the read position; read
//! a batch (at most `batch.max_events` / `batch.max_bytes`); wait for the
//! sink's rate limit; hand the batch to a free slot, which delivers it
//! (see [`super::batch_delivery`] for retries and refusals); commit the
//! cursor once batches are finished with.
//!
//! Concurrency: a network sink has `concurrency` slots (default 2), each
//! with its own handle on the destination ([`Sink::fork`]), so that many
//! requests are in flight at once; `file` and `console` have one slot and
//! write batches in order. At most `concurrency` batches are read and not
//! yet committed at any time, which bounds memory while one batch retries.
//!
//! Invariant: the cursor is committed strictly in read order
//! ([`InOrderCommits`]). A batch finished early waits for every earlier
//! one; a retrying batch holds the commit point; at shutdown or after a
//! crash, nothing past an unfinished batch has been committed — later
//! batches that were delivered are sent again (at-least-once, never loss).
//!
//! Journal reads are blocking I/O and run under `block_in_place` (the
//! agent's runtime is multi-threaded). Cursor commits (two fsyncs) run on
//! the blocking pool, one at a time, while the next batches are read and
//! delivered: a commit that is still running when more batches finish is
//! followed by one commit through all of them. So the fsyncs of the cursor
//! are off the sink's path, and a crash re-sends at most the batches
//! finished during one commit besides those in flight. A failed read
//! stops reading until the slots are idle and the commits done, then
//! starts again from the commit point after a back-off.
//!
//! Shutdown: when the stop signal arrives the runner keeps delivering while
//! records are readable (the agent bounds this with a deadline); a batch
//! that fails then is abandoned, reading stops, the other slots finish, and
//! the runner returns. Whatever is left stays in the journal.
//!
//! Halt (a reload removes or changes the sink): no further reads, the
//! batches in flight finish (a failing one is abandoned, as at shutdown),
//! the cursor commits through them, and the runner returns — without
//! draining the backlog, which the changed sink resumes from its cursor.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use tokio::task::{JoinHandle, JoinSet};

use super::backoff::Backoff;
use super::batch_delivery::{BatchOutcome, DeliveryContext};
use super::dead_letter::DeadLetterFile;
use super::event_rate::EventRateLimit;
use super::in_order_commits::{BatchTicket, InOrderCommits};
use super::stats::PipelineStats;
use super::PipelineError;
use crate::config::{DeliveryConfig, SinkConfig};
use crate::journal::{Journal, JournalCursor, JournalError};
use crate::shutdown::Shutdown;
use crate::sinks::{Sink, SinkError};

/// A built, not yet running, sink with its cursor.
pub struct SinkTask {
    id: Arc<str>,
    inputs: HashSet<String>,
    max_events: usize,
    max_bytes: usize,
    delivery: DeliveryConfig,
    sink: Sink,
    cursor: JournalCursor,
    dead_letters: DeadLetterFile,
    /// Records up to this seq are already at the destination (written
    /// before a crash, cursor not yet committed): skipped, not resent.
    delivered_through: u64,
}

impl SinkTask {
    pub fn build(
        config: &SinkConfig,
        journal: &Journal,
        data_dir: PathBuf,
    ) -> Result<SinkTask, PipelineError> {
        let sink_error = |e: SinkError| PipelineError::Sink {
            id: config.id.clone(),
            reason: e.to_string(),
        };
        let mut sink = Sink::build(config).map_err(sink_error)?;
        let delivered_through = match sink.recover_position() {
            Ok(position) => position.unwrap_or(0),
            Err(error) => {
                // Not fatal: the first delivery will retry and report it.
                tracing::warn!(sink = %config.id, %error, "Cannot read the destination's last position; a crash just before may repeat one batch.");
                0
            }
        };
        let cursor = journal
            .open_cursor(&config.id)
            .map_err(|e| PipelineError::Sink {
                id: config.id.clone(),
                reason: e.to_string(),
            })?;
        Ok(SinkTask {
            id: Arc::from(config.id.as_str()),
            inputs: config.inputs.iter().cloned().collect(),
            max_events: config.batch.max_events.max(1),
            max_bytes: config.batch.max_bytes.max(1),
            delivery: config.delivery.clone(),
            sink,
            cursor,
            dead_letters: DeadLetterFile::new(data_dir.join("dead"), &config.id),
            delivered_through,
        })
    }

    /// Delivers until `shutdown` (then drains what is readable) or `halt`
    /// (then stops after the batches in flight). Whoever fires `halt` fires
    /// `shutdown` after it, so that retrying batches are abandoned.
    pub async fn run(self, stats: PipelineStats, shutdown: Shutdown, halt: Shutdown) {
        let mut idle = vec![self.sink];
        while idle.len() < self.delivery.concurrency.max(1) {
            match idle[0].fork() {
                Some(fork) => idle.push(fork),
                None => break, // a local sink: one batch at a time
            }
        }
        // A bucket of one batch, or of one second's events if fewer: see
        // `event_rate`.
        let max_events = u32::try_from(self.max_events).unwrap_or(u32::MAX);
        let rate = self.delivery.events_per_second.map(|eps| {
            let burst = NonZeroU32::new(max_events).map_or(eps, |max| eps.min(max));
            EventRateLimit::new(eps, burst)
        });
        let context = Arc::new(DeliveryContext {
            id: self.id.clone(),
            inputs: self.inputs,
            delivered_through: self.delivered_through,
            retry: self.delivery.retry.clone(),
            dead_letter: self.delivery.dead_letter,
            dead_letters: self.dead_letters,
            sink_stats: stats.sink(&self.id),
            stats,
            last_credentials_report: Mutex::new(None),
        });
        let runner = Runner {
            slots: idle.len(),
            read_events: rate.as_ref().map_or(self.max_events, |r| r.burst()),
            max_bytes: self.max_bytes,
            cursor: self.cursor,
            idle,
            context,
            rate,
            commits: InOrderCommits::new(),
            pending_commit: None,
            persisting: None,
            workers: JoinSet::new(),
            read_backoff: Backoff::from_config(&self.delivery.retry),
        };
        runner.run(shutdown, halt).await;
    }
}

/// What a read did.
enum Read {
    /// A batch was read (and started, or finished at once if empty).
    Batch,
    /// Nothing readable.
    Empty,
    /// The journal could not be read.
    Failed,
}

/// The running state of one sink.
struct Runner {
    slots: usize,
    /// Most records per batch: `batch.max_events`, less with a rate limit.
    read_events: usize,
    max_bytes: usize,
    cursor: JournalCursor,
    /// Destination handles not delivering a batch now.
    idle: Vec<Sink>,
    context: Arc<DeliveryContext>,
    rate: Option<EventRateLimit>,
    commits: InOrderCommits,
    /// Finished through this seq and not yet being persisted (a commit
    /// was running, or the last one failed: tried again).
    pending_commit: Option<u64>,
    /// The cursor commit running on the blocking pool, if any.
    persisting: Option<JoinHandle<(u64, Result<(), JournalError>)>>,
    workers: JoinSet<(BatchTicket, Sink, BatchOutcome)>,
    read_backoff: Backoff,
}

impl Runner {
    async fn run(mut self, mut shutdown: Shutdown, mut halt: Shutdown) {
        let id = self.context.id.clone();
        // No more reads: stopping, or a batch was abandoned.
        let mut draining = false;
        let mut read_failed = false;
        loop {
            self.commit_ready();
            draining |= halt.is_requested();
            if self.workers.is_empty() {
                if draining {
                    self.flush_commits().await;
                    return;
                }
                if read_failed {
                    // Every batch read is committed: start again from there.
                    self.flush_commits().await;
                    self.cursor.rewind();
                    read_failed = false;
                    if shutdown.is_requested() {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(self.read_backoff.next_delay()) => {}
                        _ = shutdown.recv() => return,
                    }
                    continue;
                }
            }
            let may_read = !draining
                && !read_failed
                && self.commits.len() < self.slots
                && !self.idle.is_empty();
            let mut readable = may_read && shutdown.is_requested();
            if !readable {
                tokio::select! {
                    joined = self.workers.join_next(), if !self.workers.is_empty() => {
                        match joined {
                            Some(Ok((ticket, sink, outcome))) => {
                                self.idle.push(sink);
                                match outcome {
                                    BatchOutcome::Finished => self.commits.complete(ticket),
                                    BatchOutcome::Abandoned => draining = true,
                                }
                            }
                            Some(Err(error)) => {
                                tracing::error!(sink = %id, %error, "A delivery slot failed; its batch stays in the journal and the sink stops until restart.");
                                draining = true;
                            }
                            None => {}
                        }
                        continue;
                    }
                    persisted = async { self.persisting.as_mut().expect("guarded").await }, if self.persisting.is_some() => {
                        self.persisting = None;
                        self.persisted(persisted);
                        continue;
                    }
                    _ = self.cursor.wait_readable(), if may_read => readable = true,
                    _ = halt.recv(), if !draining => draining = true,
                    _ = shutdown.recv(), if !shutdown.is_requested() => {}
                    else => draining = true,
                }
            }
            if readable {
                match self.read_and_start(&shutdown).await {
                    Read::Batch => self.read_backoff.reset(),
                    Read::Empty if shutdown.is_requested() => draining = true,
                    Read::Empty => {}
                    Read::Failed => read_failed = true,
                }
            }
        }
    }

    /// Reads the next batch and hands it to an idle slot.
    async fn read_and_start(&mut self, shutdown: &Shutdown) -> Read {
        let (events, bytes) = (self.read_events, self.max_bytes);
        let records = match tokio::task::block_in_place(|| self.cursor.read_batch(events, bytes)) {
            Ok(records) => records,
            Err(error) => {
                self.context.stats.record_sink_error();
                tracing::warn!(sink = %self.context.id, %error, "Cannot read the journal; trying again from the last committed position.");
                return Read::Failed;
            }
        };
        let Some(last) = records.last() else {
            return Read::Empty;
        };
        let ticket = self.commits.push(last.seq);
        let events = self.context.select_lines(&records).len();
        if events == 0 {
            self.commits.complete(ticket);
            return Read::Batch;
        }
        if let Some(rate) = &self.rate {
            rate.acquire(events).await;
        }
        let mut sink = self.idle.pop().expect("a slot is idle when reading");
        let context = self.context.clone();
        let mut shutdown = shutdown.clone();
        self.workers.spawn(async move {
            let outcome = context.deliver(&mut sink, &records, &mut shutdown).await;
            (ticket, sink, outcome)
        });
        Read::Batch
    }

    /// Starts committing the cursor through the finished batches at the
    /// front, unless a commit is running (then they wait for the next one).
    fn commit_ready(&mut self) {
        if let Some(through) = self.commits.take_committable() {
            self.pending_commit = Some(through);
        }
        if let Some(running) = self.persisting.as_mut() {
            match running.now_or_never() {
                Some(persisted) => {
                    self.persisting = None;
                    self.persisted(persisted);
                }
                None => return,
            }
        }
        let Some(through) = self.pending_commit.take() else {
            return;
        };
        match self.cursor.begin_commit(through) {
            Ok(Some(commit)) => {
                let acked = commit.acked();
                self.persisting = Some(tokio::task::spawn_blocking(move || {
                    (acked, commit.persist())
                }));
            }
            Ok(None) => {}
            Err(error) => self.commit_failed(through, &error),
        }
    }

    /// Takes the result of a commit that ran on the blocking pool.
    fn persisted(
        &mut self,
        result: Result<(u64, Result<(), JournalError>), tokio::task::JoinError>,
    ) {
        match result {
            Ok((acked, Ok(()))) => self.cursor.persisted(acked),
            Ok((acked, Err(error))) => {
                // The next commit (of this position or a later one) tries
                // again; nothing is lost meanwhile, only re-sent after a
                // crash.
                self.commit_failed(acked - 1, &error);
            }
            Err(error) => {
                tracing::warn!(sink = %self.context.id, %error, "A cursor commit task failed; delivered events may be sent again after a restart.");
            }
        }
    }

    fn commit_failed(&mut self, through: u64, error: &JournalError) {
        self.warn_unsaved(error);
        // Keep the newest finished position to try again.
        let newest = self.pending_commit.map_or(through, |p| p.max(through));
        if newest >= self.cursor.acked_position() {
            self.pending_commit = Some(newest);
        }
    }

    fn warn_unsaved(&self, error: &JournalError) {
        tracing::warn!(sink = %self.context.id, %error, "Cannot save the journal cursor; delivered events may be sent again after a restart.");
    }

    /// Waits for the running commit, then commits what is still pending,
    /// before the runner rewinds or returns.
    async fn flush_commits(&mut self) {
        if let Some(running) = self.persisting.take() {
            let persisted = running.await;
            self.persisted(persisted);
        }
        if let Some(through) = self.commits.take_committable() {
            self.pending_commit = Some(through);
        }
        if let Some(through) = self.pending_commit.take() {
            if let Err(error) = tokio::task::block_in_place(|| self.cursor.commit(through)) {
                self.warn_unsaved(&error);
            }
        }
    }
}
