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
//! Journal reads and cursor commits are blocking I/O and run under
//! `block_in_place` (the agent's runtime is multi-threaded). A failed read
//! stops reading until the slots are idle, then starts again from the
//! commit point after a back-off.
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

use tokio::task::JoinSet;

use super::backoff::Backoff;
use super::batch_delivery::{BatchOutcome, DeliveryContext};
use super::dead_letter::DeadLetterFile;
use super::event_rate::EventRateLimit;
use super::in_order_commits::{BatchTicket, InOrderCommits};
use super::stats::PipelineStats;
use super::PipelineError;
use crate::config::{DeliveryConfig, SinkConfig};
use crate::journal::{Journal, JournalCursor};
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
    /// Finished through this seq, but the commit failed: tried again.
    pending_commit: Option<u64>,
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
                    return;
                }
                if read_failed {
                    // Every batch read is committed: start again from there.
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

    /// Commits the cursor through the finished batches at the front.
    fn commit_ready(&mut self) {
        if let Some(through) = self.commits.take_committable() {
            self.pending_commit = Some(through);
        }
        let Some(through) = self.pending_commit else {
            return;
        };
        match tokio::task::block_in_place(|| self.cursor.commit(through)) {
            Ok(()) => self.pending_commit = None,
            Err(error) => {
                tracing::warn!(sink = %self.context.id, %error, "Cannot save the journal cursor; delivered events may be sent again after a restart.");
            }
        }
    }
}
