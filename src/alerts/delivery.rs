//! One channel's delivery loop: outbox cursor → rate limit → POST → retry
//! → commit.
//!
//! Records are handled strictly in outbox order. A notification is retried
//! (back-off from the channel's `retry`, full jitter, `Retry-After`
//! honoured) until it is delivered, refused for good (400/413/422), or
//! older than `max_age` — then it is logged as an error and counted. The
//! cursor is committed after each handled notification, so a restart
//! resumes at the first one not yet handled. At shutdown a notification
//! being retried stays in the outbox for the next start.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::notification::{Notification, OutboxRecord};
use super::sender::{Attempt, ChannelSender};
use crate::config::ChannelConfig;
use crate::journal::{JournalCursor, JournalError};
use crate::pipeline::backoff::Backoff;
use crate::shutdown::Shutdown;

/// Per-channel counters.
#[derive(Debug, Default)]
pub struct ChannelCounts {
    pub delivered: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub expired: AtomicU64,
    pub refused: AtomicU64,
}

pub struct ChannelDelivery {
    pub config: ChannelConfig,
    pub sender: ChannelSender,
    /// `None` only while the blocking pool holds it.
    cursor: Option<JournalCursor>,
    pub counts: Arc<ChannelCounts>,
    limiter: DefaultDirectRateLimiter,
}

enum Handled {
    Done,
    Stopped,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl ChannelDelivery {
    pub fn new(config: ChannelConfig, sender: ChannelSender, cursor: JournalCursor) -> Self {
        let quota = Quota::per_minute(config.rate_limit_per_minute);
        ChannelDelivery {
            config,
            sender,
            cursor: Some(cursor),
            counts: Arc::default(),
            limiter: RateLimiter::direct(quota),
        }
    }

    pub async fn run(mut self, mut shutdown: Shutdown) {
        let id = self.config.id.clone();
        loop {
            let records = match self.with_cursor(|c| c.read_batch(64, 1 << 20)).await {
                Ok(records) => records,
                Err(error) => {
                    tracing::error!(channel = %id, %error, "Could not read the alert outbox; retrying in 1 s.");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        _ = shutdown.recv() => return,
                    }
                }
            };
            if records.is_empty() {
                tokio::select! {
                    _ = self.cursor.as_ref().expect("cursor present").wait_readable() => continue,
                    _ = shutdown.recv() => return,
                }
            }
            let mut handled_through = None;
            for record in records {
                let parsed: Option<OutboxRecord> = serde_json::from_slice(&record.payload).ok();
                match parsed {
                    Some(r) if r.channel == id => {
                        if let Handled::Stopped = self.deliver(&r.notification, &mut shutdown).await
                        {
                            self.commit(handled_through).await;
                            return;
                        }
                        handled_through = Some(record.seq);
                        self.commit(handled_through).await;
                    }
                    Some(_) => handled_through = Some(record.seq),
                    None => {
                        tracing::warn!(channel = %id, seq = record.seq, "Skipped an outbox record that is not a notification.");
                        handled_through = Some(record.seq);
                    }
                }
            }
            self.commit(handled_through).await;
        }
    }

    async fn with_cursor<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut JournalCursor) -> Result<T, JournalError> + Send + 'static,
    ) -> Result<T, JournalError> {
        // The cursor does blocking file I/O: run it on the blocking pool.
        let mut cursor = self
            .cursor
            .take()
            .expect("the cursor is back after each use");
        let (cursor, result) = tokio::task::spawn_blocking(move || {
            let result = f(&mut cursor);
            (cursor, result)
        })
        .await
        .expect("outbox cursor work does not panic");
        self.cursor = Some(cursor);
        result
    }

    async fn commit(&mut self, through: Option<u64>) {
        let Some(seq) = through else { return };
        if self
            .cursor
            .as_ref()
            .is_some_and(|c| seq < c.acked_position())
        {
            return;
        }
        if let Err(error) = self.with_cursor(move |c| c.commit(seq)).await {
            tracing::error!(channel = %self.config.id, %error, "Could not save the outbox position; notifications may be sent again after a restart.");
        }
    }

    async fn deliver(&mut self, n: &Notification, shutdown: &mut Shutdown) -> Handled {
        let id = &self.config.id;
        let mut backoff = Backoff::from_config(&self.config.retry);
        let mut attempts = 0u32;
        loop {
            let age = Duration::from_millis(now_ms().saturating_sub(n.fired_at_ms));
            if age > self.config.max_age {
                self.counts.expired.fetch_add(1, Ordering::Relaxed);
                tracing::error!(channel = %id, alert = %n.alert, notification = %n.id, attempts, "Gave up on a notification older than max_age; it was not delivered.");
                return Handled::Done;
            }
            tokio::select! {
                _ = self.limiter.until_ready() => {}
                _ = shutdown.recv() => return Handled::Stopped,
            }
            attempts += 1;
            let attempt = tokio::select! {
                attempt = self.sender.send(&self.config.kind, n, now_ms() / 1000) => attempt,
                // Not committed: sent again at the next start.
                _ = shutdown.recv() => return Handled::Stopped,
            };
            match attempt {
                Attempt::Delivered => {
                    self.counts.delivered.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(channel = %id, alert = %n.alert, notification = %n.id, attempts, "Delivered an alert notification.");
                    return Handled::Done;
                }
                Attempt::Refused { status, body } => {
                    self.counts.refused.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(channel = %id, alert = %n.alert, status, body = %body.trim(), "The channel refused the notification for good; it is dropped. Check the channel's settings.");
                    return Handled::Done;
                }
                Attempt::Retry {
                    reason,
                    retry_after,
                } => {
                    self.counts.failed_attempts.fetch_add(1, Ordering::Relaxed);
                    let delay = backoff.next_delay().max(retry_after.unwrap_or_default());
                    if attempts == 1 || attempts.is_power_of_two() {
                        tracing::warn!(channel = %id, alert = %n.alert, attempts, %reason, retry_in_ms = delay.as_millis() as u64, "Notification not delivered; retrying.");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.recv() => return Handled::Stopped,
                    }
                }
            }
        }
    }
}
