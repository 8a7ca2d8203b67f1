//! Delivers one batch to its destination, trying again until it is done
//! with: delivered, refused for good (dead-lettered or dropped), or given up
//! after `retry.max_elapsed`. Each of a sink's concurrent slots runs one
//! batch at a time through [`DeliveryContext::deliver`]; the runner decides
//! what is read and committed.
//!
//! What a failure does:
//! - **retryable** (I/O error, timeout, 408/429/5xx, refused connection):
//!   the same events are sent again after the sink's back-off (`retry`:
//!   200 ms doubling to 60 s, full jitter, by default), and at least the
//!   server's `Retry-After` — forever by default: an audit trail is not
//!   dropped because a destination was down for an hour. With
//!   `retry.max_elapsed`, a batch that has kept failing for longer is given
//!   up: dead-lettered with status 0 and the last error (or dropped with
//!   `dead_letter = false`).
//! - **credentials rejected** (401/403): retried the same way, reported at
//!   most once a minute, and never given up by `max_elapsed`: an expired key
//!   must not dead-letter a day of audit data.
//! - **permanent** (other 4xx): the refused events are isolated by halving,
//!   then written to the dead-letter file (`data_dir/dead/SINK-DATE.ndjson`)
//!   with the status and response; with `dead_letter = false` they are
//!   dropped — counted, and warned about, as the data is then lost.
//! - **partially rejected** (Cloud Logging `partialSuccess`): only the
//!   refused events are dead-lettered (or dropped), each with its reason.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::dead_letter::DeadLetterFile;
use super::journal_record;
use super::sink_stats::SinkStats;
use super::stats::PipelineStats;
use crate::config::RetryConfig;
use crate::journal::Record;
use crate::shutdown::Shutdown;
use crate::sinks::{DeliveryError, Sink};

/// How a batch ended, for the runner's commit bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Delivered, dead-lettered or dropped: the cursor may pass it.
    Finished,
    /// Shutdown came while it was failing: it stays in the journal.
    Abandoned,
}

/// Why an attempt failed; the batch is tried again.
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

/// What every slot of one sink shares.
#[derive(Debug)]
pub struct DeliveryContext {
    pub id: Arc<str>,
    pub inputs: HashSet<String>,
    /// Records up to this seq are already at the destination (written
    /// before a crash, cursor not yet committed): skipped, not resent.
    pub delivered_through: u64,
    pub retry: RetryConfig,
    /// `false`: permanently refused events are dropped, not kept.
    pub dead_letter: bool,
    pub dead_letters: DeadLetterFile,
    pub stats: PipelineStats,
    pub sink_stats: SinkStats,
    pub last_credentials_report: Mutex<Option<Instant>>,
}

impl DeliveryContext {
    /// Sends the events of `records` this sink takes until the batch is
    /// finished with, or shutdown interrupts its retries.
    pub async fn deliver(
        &self,
        sink: &mut Sink,
        records: &[Record],
        shutdown: &mut Shutdown,
    ) -> BatchOutcome {
        let lines = self.select_lines(records);
        if lines.is_empty() {
            return BatchOutcome::Finished;
        }
        let mut backoff = Backoff::from_config(&self.retry);
        // Since when the batch has failed retryably (credentials errors do
        // not count towards `max_elapsed`).
        let mut failing_since: Option<Instant> = None;
        loop {
            let failure = match self.attempt(sink, &lines).await {
                Ok(()) => return BatchOutcome::Finished,
                Err(failure) => failure,
            };
            self.stats.record_sink_error();
            self.sink_stats.record_retry();
            match &failure {
                Failure::Retry { reason, .. } => self.sink_stats.record_error(reason),
                Failure::Credentials { status } => self.sink_stats.record_error(&format!(
                    "credentials rejected (HTTP {status}); fix the sink's token or key"
                )),
            }
            let mut wait = backoff.next_delay();
            match failure {
                Failure::Retry {
                    reason,
                    retry_after,
                } => {
                    let since = *failing_since.get_or_insert_with(Instant::now);
                    if let Some(limit) = self.retry.max_elapsed.filter(|l| since.elapsed() >= *l) {
                        let why = format!(
                            "gave up after retrying for {} s (retry.max_elapsed = {} s): {reason}",
                            since.elapsed().as_secs(),
                            limit.as_secs_f64()
                        );
                        let refused: Vec<(usize, u16, String)> =
                            (0..lines.len()).map(|i| (i, 0, why.clone())).collect();
                        match self.reject(&lines, &refused) {
                            Ok(()) => return BatchOutcome::Finished,
                            Err(Failure::Retry { reason, .. }) => {
                                tracing::error!(sink = %self.id, error = %reason, "Cannot give up on the batch after retry.max_elapsed; it is kept and retried.");
                            }
                            Err(Failure::Credentials { .. }) => {}
                        }
                    }
                    wait = wait.max(retry_after.unwrap_or_default());
                    tracing::warn!(sink = %self.id, error = %reason, retry_in_ms = wait.as_millis() as u64, "Delivery failed; retrying the same batch.");
                }
                Failure::Credentials { status } => {
                    failing_since = None;
                    let mut last = self
                        .last_credentials_report
                        .lock()
                        .unwrap_or_else(|e| e.into_inner());
                    if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                        *last = Some(Instant::now());
                        tracing::error!(sink = %self.id, status, "Credentials rejected by the destination; events are kept and retried until the credentials are fixed.");
                    }
                }
            }
            if shutdown.is_requested() {
                return BatchOutcome::Abandoned;
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.recv() => return BatchOutcome::Abandoned,
            }
        }
    }

    /// One try of the whole batch; `Ok` when it is finished with.
    async fn attempt(&self, sink: &mut Sink, lines: &[&[u8]]) -> Result<(), Failure> {
        let refused = match self.send(sink, lines).await {
            Ok(()) => Vec::new(),
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
            Err(DeliveryError::Permanent { status, body }) if lines.len() > 1 => {
                // One bad event must not take its whole batch along.
                self.isolate_refused(sink, lines, status, &body)
                    .await
                    .map_err(Failure::from)?
            }
            Err(DeliveryError::Permanent { status, body }) => vec![(0, status, body)],
            Err(DeliveryError::PartiallyRejected { rejected, status }) => rejected
                .into_iter()
                .filter(|(index, _)| *index < lines.len())
                .map(|(index, reason)| (index, status, reason))
                .collect(),
        };
        self.reject(lines, &refused)?;
        let refused_bytes: usize = refused.iter().map(|(i, _, _)| lines[*i].len()).sum();
        let bytes = lines.iter().map(|l| l.len()).sum::<usize>() - refused_bytes;
        let delivered = (lines.len() - refused.len()) as u64;
        self.stats.record_written(delivered);
        self.sink_stats.record_sent(delivered, bytes as u64);
        Ok(())
    }

    /// Sends `lines`, counted and timed: network sinks are awaited, local
    /// ones write on a blocking thread (their failures are retryable).
    pub(super) async fn send(&self, sink: &mut Sink, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let _request = self.sink_stats.start_request();
        if let Some(outcome) = sink.send(lines).await {
            return outcome;
        }
        tokio::task::block_in_place(|| sink.write_batch(lines)).map_err(|e| {
            DeliveryError::Retryable {
                reason: e.to_string(),
                retry_after: None,
            }
        })
    }

    /// Keeps the refused events (index in `lines`, status, reason) in the
    /// dead-letter file, or drops them with `dead_letter = false`.
    fn reject(&self, lines: &[&[u8]], refused: &[(usize, u16, String)]) -> Result<(), Failure> {
        if refused.is_empty() {
            return Ok(());
        }
        let events = refused.len() as u64;
        let status = refused[0].1;
        if !self.dead_letter {
            self.sink_stats.record_dropped(events);
            tracing::warn!(sink = %self.id, status, events, reason = %refused[0].2, "Destination refused events for good and dead_letter = false: they were dropped and are lost.");
            return Ok(());
        }
        let written = tokio::task::block_in_place(|| {
            refused.iter().try_for_each(|(index, status, reason)| {
                self.dead_letters
                    .write_each(&[(lines[*index], reason.as_str())], *status)
            })
        });
        if let Err(error) = written {
            return Err(Failure::Retry {
                reason: format!("the destination refused {events} event(s) for good and the dead-letter file cannot be written: {error} (check that data_dir/dead is writable and the disk is not full)"),
                retry_after: None,
            });
        }
        self.stats.record_dead_lettered(events);
        self.sink_stats.record_dead_lettered(events);
        tracing::warn!(sink = %self.id, status, events, file = %self.dead_letters.current_path().display(), "Destination refused events for good; they were written to the dead-letter file.");
        Ok(())
    }

    /// The event JSON of the records this sink takes (its inputs, not yet
    /// at the destination).
    pub fn select_lines<'a>(&self, records: &'a [Record]) -> Vec<&'a [u8]> {
        let mut lines = Vec::with_capacity(records.len());
        for record in records {
            if record.seq <= self.delivered_through {
                continue;
            }
            match journal_record::decode(&record.payload) {
                // Checkpoints (`@agent`) go to every sink: a trail without
                // them cannot be verified.
                Some(view)
                    if self.inputs.contains(view.source_id)
                        || view.source_id == journal_record::AGENT_SOURCE_ID =>
                {
                    lines.push(view.event_json)
                }
                Some(_) => {}
                None => {
                    tracing::error!(sink = %self.id, seq = record.seq, "Journal record of an unknown layout skipped (written by a newer auditship?).");
                }
            }
        }
        lines
    }
}
