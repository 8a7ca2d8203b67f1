//! Runs one sink: its journal cursor → batches → the destination → commit.
//!
//! Loop: wait until the journal has a record past the cursor; read a batch
//! (at most `batch.max_events` / `batch.max_bytes`); keep the records whose
//! source is one of the sink's `inputs`; deliver; commit the cursor through
//! the batch's last seq. Journal reads, cursor commits and local-file
//! writes are blocking I/O and run under `block_in_place` (the agent's
//! runtime is multi-threaded); network sinks are awaited.
//!
//! What a failure does:
//! - **retryable** (I/O error, timeout, 408/429/5xx, refused connection):
//!   the cursor rewinds and the same records are tried again after a
//!   back-off — 200 ms, doubling to 60 s, full jitter, at least the
//!   server's `Retry-After` — forever: an audit trail is not dropped because
//!   a destination was down for an hour. The journal holds the data and,
//!   once full, pauses the sources.
//! - **credentials rejected** (401/403): retried the same way (an expired
//!   key must not dead-letter a day of audit data), reported at most once a
//!   minute.
//! - **permanent** (other 4xx): the batch goes to the dead-letter file
//!   (`data_dir/dead/SINK-DATE.ndjson`) with the status and response, a
//!   warning is logged, and the cursor moves on.
//!
//! - **partially rejected** (Cloud Logging `partialSuccess`): only the
//!   refused events go to the dead-letter file, each with its own reason;
//!   the rest were delivered, and the cursor moves on.
//!
//! Shutdown: when the stop signal arrives the runner keeps delivering while
//! records are readable (the agent bounds this with a deadline), then
//! returns; whatever is left stays in the journal for the next start.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dead_letter::DeadLetterFile;
use super::journal_record;
use super::stats::PipelineStats;
use super::PipelineError;
use crate::config::SinkConfig;
use crate::journal::{Journal, JournalCursor, Record};
use crate::shutdown::Shutdown;
use crate::sinks::{DeliveryError, Sink, SinkError};

/// A built, not yet running, sink with its cursor.
pub struct SinkTask {
    id: Arc<str>,
    inputs: Arc<HashSet<String>>,
    max_events: usize,
    max_bytes: usize,
    sink: Sink,
    cursor: JournalCursor,
    dead_letters: DeadLetterFile,
    /// Records up to this seq are already at the destination (written
    /// before a crash, cursor not yet committed): skipped, not resent.
    delivered_through: u64,
    last_credentials_report: Option<Instant>,
}

/// Requests spent isolating refused events before concluding, with no part
/// accepted, that the destination refuses everything.
const MAX_FRUITLESS_ISOLATION_REQUESTS: usize = 32;

/// What one delivery attempt did.
enum Attempt {
    /// Nothing was readable.
    Idle,
    /// A batch was delivered and committed.
    Delivered { events: u64 },
    /// The destination took some events and refused the others for good;
    /// those were dead-lettered.
    PartlyDelivered { delivered: u64, dead_lettered: u64 },
}

/// Why an attempt failed; the batch stays in the journal.
enum Failure {
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Credentials {
        status: u16,
    },
}

impl From<DeliveryError> for Failure {
    fn from(error: DeliveryError) -> Failure {
        match error {
            DeliveryError::CredentialsRejected { status } => Failure::Credentials { status },
            DeliveryError::Retryable {
                reason,
                retry_after,
            } => Failure::Retry {
                reason,
                retry_after,
            },
            other => Failure::Retry {
                reason: other.to_string(),
                retry_after: None,
            },
        }
    }
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
            inputs: Arc::new(config.inputs.iter().cloned().collect()),
            max_events: config.batch.max_events.max(1),
            max_bytes: config.batch.max_bytes.max(1),
            sink,
            cursor,
            dead_letters: DeadLetterFile::new(data_dir.join("dead"), &config.id),
            delivered_through,
            last_credentials_report: None,
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
            let failure = match self.attempt().await {
                Ok(Attempt::Idle) if shutdown.is_requested() => return,
                Ok(Attempt::Idle) => continue,
                Ok(Attempt::Delivered { events }) => {
                    backoff.reset();
                    stats.record_written(events);
                    continue;
                }
                Ok(Attempt::PartlyDelivered {
                    delivered,
                    dead_lettered,
                }) => {
                    backoff.reset();
                    stats.record_written(delivered);
                    stats.record_dead_lettered(dead_lettered);
                    continue;
                }
                Err(failure) => failure,
            };
            stats.record_sink_error();
            self.cursor.rewind();
            let mut wait = backoff.next_delay();
            match failure {
                Failure::Retry {
                    reason,
                    retry_after,
                } => {
                    wait = wait.max(retry_after.unwrap_or_default());
                    tracing::warn!(sink = %self.id, error = %reason, retry_in_ms = wait.as_millis() as u64, "Delivery failed; retrying the same batch.");
                }
                Failure::Credentials { status } => {
                    let due = self
                        .last_credentials_report
                        .is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
                    if due {
                        self.last_credentials_report = Some(Instant::now());
                        tracing::error!(sink = %self.id, status, "Credentials rejected by the destination; events are kept and retried until the credentials are fixed.");
                    }
                }
            }
            if shutdown.is_requested() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.recv() => return,
            }
        }
    }

    /// One read → deliver → commit round.
    async fn attempt(&mut self) -> Result<Attempt, Failure> {
        let (max_events, max_bytes) = (self.max_events, self.max_bytes);
        let records = tokio::task::block_in_place(|| self.cursor.read_batch(max_events, max_bytes))
            .map_err(|e| Failure::Retry {
                reason: format!("cannot read the journal: {e}"),
                retry_after: None,
            })?;
        let Some(last) = records.last() else {
            return Ok(Attempt::Idle);
        };
        let last_seq = last.seq;
        let lines = self.select_lines(&records);
        let events = lines.len() as u64;
        let outcome = if lines.is_empty() {
            Ok(())
        } else {
            self.send(&lines).await
        };
        let attempt = match outcome {
            Ok(()) => Attempt::Delivered { events },
            Err(DeliveryError::Retryable {
                reason,
                retry_after,
            }) => {
                return Err(Failure::Retry {
                    reason,
                    retry_after,
                })
            }
            Err(DeliveryError::CredentialsRejected { status }) => {
                return Err(Failure::Credentials { status })
            }
            Err(DeliveryError::Permanent { status, body }) => {
                // One bad event must not take its whole batch to the
                // dead-letter file: find the refused events by halving.
                let refused = if lines.len() > 1 {
                    self.isolate_refused(&lines, status, &body)
                        .await
                        .map_err(Failure::from)?
                } else {
                    vec![(0, status, body)]
                };
                let written = tokio::task::block_in_place(|| {
                    refused.iter().try_for_each(|(index, status, body)| {
                        self.dead_letters
                            .write_each(&[(lines[*index], body.as_str())], *status)
                    })
                });
                if let Err(error) = written {
                    return Err(Failure::Retry {
                        reason: format!("the destination refused {} event(s) for good and the dead-letter file cannot be written: {error}", refused.len()),
                        retry_after: None,
                    });
                }
                let dead_lettered = refused.len() as u64;
                tracing::warn!(sink = %self.id, status, events = dead_lettered, file = %self.dead_letters.current_path().display(), "Destination refused events for good; they were written to the dead-letter file.");
                Attempt::PartlyDelivered {
                    delivered: events - dead_lettered,
                    dead_lettered,
                }
            }
            Err(DeliveryError::PartiallyRejected { rejected, status }) => {
                let refused: Vec<(&[u8], &str)> = rejected
                    .iter()
                    .filter_map(|(index, reason)| Some((*lines.get(*index)?, reason.as_str())))
                    .collect();
                let written =
                    tokio::task::block_in_place(|| self.dead_letters.write_each(&refused, status));
                if let Err(error) = written {
                    return Err(Failure::Retry {
                        reason: format!("the destination refused {} event(s) for good (HTTP {status}) and the dead-letter file cannot be written: {error}", refused.len()),
                        retry_after: None,
                    });
                }
                let dead_lettered = refused.len() as u64;
                tracing::warn!(sink = %self.id, status, events = dead_lettered, file = %self.dead_letters.current_path().display(), "Destination refused some events of a batch for good; they were written to the dead-letter file.");
                Attempt::PartlyDelivered {
                    delivered: events - dead_lettered,
                    dead_lettered,
                }
            }
        };
        tokio::task::block_in_place(|| self.cursor.commit(last_seq)).map_err(|e| {
            Failure::Retry {
                reason: format!("cannot save the journal cursor: {e}"),
                retry_after: None,
            }
        })?;
        Ok(attempt)
    }

    /// Sends `lines` to the destination: network sinks are awaited, local
    /// ones write on a blocking thread (their failures are retryable).
    async fn send(&mut self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        match &mut self.sink {
            Sink::Http(http) => http.send(lines).await,
            Sink::SplunkHec(hec) => hec.send(lines).await,
            Sink::GcpLogging(gcp) => gcp.send(lines).await,
            Sink::DatadogLogs(datadog) => datadog.send(lines).await,
            Sink::Elasticsearch(es) => es.send(lines).await,
            Sink::Syslog(syslog) => syslog.send(lines).await,
            local => tokio::task::block_in_place(|| local.write_batch(lines)).map_err(|e| {
                DeliveryError::Retryable {
                    reason: e.to_string(),
                    retry_after: None,
                }
            }),
        }
    }

    /// After the destination refused a whole batch for good: sends it again
    /// in halves, halving every refused part down to single events, and
    /// returns the events still refused (index in `lines`, status, answer).
    /// Accepted parts are delivered on the way; a few bad events among many
    /// cost about 2 × log2(batch) requests each. A destination that accepts
    /// nothing in the first [`MAX_FRUITLESS_ISOLATION_REQUESTS`] requests
    /// refuses everything (a configuration problem): what is left untested
    /// then counts as refused with the batch's first answer. A
    /// retryable failure stops the search: the whole batch is tried again
    /// later, so parts accepted meanwhile may be sent twice (at-least-once).
    async fn isolate_refused(
        &mut self,
        lines: &[&[u8]],
        first_status: u16,
        first_answer: &str,
    ) -> Result<Vec<(usize, u16, String)>, DeliveryError> {
        let mut refused = Vec::new();
        let mut pending = vec![(0, lines.len() / 2), (lines.len() / 2, lines.len())];
        let mut requests = 0;
        let mut accepted_any = false;
        while let Some((start, end)) = pending.pop() {
            if start >= end {
                continue;
            }
            if !accepted_any && requests >= MAX_FRUITLESS_ISOLATION_REQUESTS {
                refused.extend((start..end).map(|i| (i, first_status, first_answer.to_string())));
                continue;
            }
            requests += 1;
            match self.send(&lines[start..end]).await {
                Ok(()) => accepted_any = true,
                Err(DeliveryError::Permanent { status, body }) if end - start == 1 => {
                    refused.push((start, status, body));
                }
                Err(DeliveryError::Permanent { .. }) => {
                    let mid = start + (end - start) / 2;
                    pending.push((mid, end));
                    pending.push((start, mid));
                }
                Err(DeliveryError::PartiallyRejected { rejected, status }) => {
                    refused.extend(
                        rejected
                            .into_iter()
                            .filter(|(i, _)| start + i < end)
                            .map(|(i, reason)| (start + i, status, reason)),
                    );
                }
                Err(other) => return Err(other),
            }
        }
        refused.sort_by_key(|(index, _, _)| *index);
        Ok(refused)
    }

    /// The event JSON of the records this sink takes (its inputs, not yet
    /// at the destination).
    fn select_lines<'a>(&self, records: &'a [Record]) -> Vec<&'a [u8]> {
        let mut lines = Vec::with_capacity(records.len());
        for record in records {
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
        lines
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
