//! Runs one sink: its journal cursor → batches → the destination → commit.
//!
//! Loop: wait until the journal has a record past the cursor; read a batch
//! (at most `batch.max_events` / `batch.max_bytes`); keep the records whose
//! source is one of the sink's `inputs`; deliver; commit the cursor through
//! the batch's last seq. Reading, writing and committing run on the
//! blocking pool, since local sinks fsync.
//!
//! On failure the batch is not committed: the cursor rewinds and the same
//! records are tried again after a back-off (200 ms, doubling to 60 s, with
//! full jitter), forever — an audit trail is not dropped because a disk was
//! full for an hour. The journal holds the data meanwhile and, once full,
//! pauses the sources.
//!
//! Shutdown: when the stop signal arrives the runner keeps delivering while
//! records are readable (the agent bounds this with a deadline), then
//! returns; whatever is left stays in the journal for the next start.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::journal_record;
use super::stats::PipelineStats;
use super::PipelineError;
use crate::config::SinkConfig;
use crate::journal::{Journal, JournalCursor};
use crate::shutdown::Shutdown;
use crate::sinks::Sink;

/// A built, not yet running, sink with its cursor.
pub struct SinkTask {
    id: Arc<str>,
    inputs: Arc<HashSet<String>>,
    max_events: usize,
    max_bytes: usize,
    sink: Sink,
    cursor: JournalCursor,
    /// Records up to this seq are already at the destination (written
    /// before a crash, cursor not yet committed): skipped, not resent.
    delivered_through: u64,
}

/// What one delivery attempt did.
enum Attempt {
    /// Nothing was readable.
    Idle,
    /// Records through this many were delivered (some may have been for
    /// other sinks' inputs and skipped).
    Delivered { events: u64 },
}

impl SinkTask {
    pub fn build(config: &SinkConfig, journal: &Journal) -> Result<SinkTask, PipelineError> {
        let sink_error = |e: crate::sinks::SinkError| PipelineError::Sink {
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
            inputs: Arc::new(config.inputs.iter().cloned().collect()),
            max_events: config.batch.max_events.max(1),
            max_bytes: config.batch.max_bytes.max(1),
            sink,
            cursor,
            delivered_through,
        })
    }

    pub async fn run(mut self, stats: PipelineStats, mut shutdown: Shutdown) {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(60));
        loop {
            if !shutdown.is_requested() {
                tokio::select! {
                    _ = self.cursor.wait_readable() => {}
                    _ = shutdown.recv() => {}
                }
            }
            let id = self.id.clone();
            let (task, result) = match tokio::task::spawn_blocking(move || {
                let result = self.attempt();
                (self, result)
            })
            .await
            {
                Ok(done) => done,
                Err(error) => {
                    tracing::error!(sink = %id, %error, "Sink task failed; undelivered events stay in the journal.");
                    return;
                }
            };
            self = task;
            match result {
                Ok(Attempt::Idle) if shutdown.is_requested() => return,
                Ok(Attempt::Idle) => {}
                Ok(Attempt::Delivered { events }) => {
                    backoff.reset();
                    stats.record_written(events);
                }
                Err(error) => {
                    stats.record_sink_error();
                    self.cursor.rewind();
                    let wait = backoff.next_delay();
                    tracing::warn!(sink = %self.id, %error, retry_in_ms = wait.as_millis() as u64, "Delivery failed; retrying the same batch.");
                    if shutdown.is_requested() {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.recv() => return,
                    }
                }
            }
        }
    }

    /// One read → deliver → commit round. Blocking.
    fn attempt(&mut self) -> Result<Attempt, String> {
        let records = self
            .cursor
            .read_batch(self.max_events, self.max_bytes)
            .map_err(|e| e.to_string())?;
        let Some(last) = records.last() else {
            return Ok(Attempt::Idle);
        };
        let last_seq = last.seq;
        let mut lines: Vec<&[u8]> = Vec::with_capacity(records.len());
        for record in &records {
            if record.seq <= self.delivered_through {
                continue;
            }
            match journal_record::decode(&record.payload) {
                Some(view) if self.inputs.contains(view.source_id) => lines.push(view.event_json),
                Some(_) => {}
                None => {
                    tracing::error!(sink = %self.id, seq = record.seq, "Journal record of an unknown layout skipped (written by a newer auditship?).");
                }
            }
        }
        self.sink.write_batch(&lines).map_err(|e| e.to_string())?;
        self.cursor.commit(last_seq).map_err(|e| e.to_string())?;
        Ok(Attempt::Delivered {
            events: lines.len() as u64,
        })
    }
}

/// Exponential back-off with full jitter: each delay is uniform in
/// `[0, min(max, initial × 2^attempt)]`, so many agents retrying against one
/// recovering destination do not arrive in lock step.
#[derive(Debug)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
    seed: u64,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        Backoff {
            initial,
            max,
            attempt: 0,
            seed: seed | 1,
        }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .initial
            .saturating_mul(1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        // xorshift64: jitter needs no cryptographic quality.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let fraction = (self.seed >> 11) as f64 / (1u64 << 53) as f64;
        // Never zero, so a failing sink cannot spin.
        ceiling.mul_f64(fraction).max(Duration::from_millis(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(1)));
        assert!(delays[0] <= Duration::from_millis(100));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
