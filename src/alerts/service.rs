//! [`AlertService`]: the running alerting of one agent — the engine task,
//! the outbox writer, one delivery task per channel — and [`AlertTap`], the
//! handle sources evaluate rules with.
//!
//! Back-pressure, on purpose none towards ingestion: a source hands its
//! hits over with `try_send`; when the engine's queue (`HIT_QUEUE`) or the
//! outbox writer's queue (`OUTBOX_QUEUE`) is full, what does not fit is
//! counted (`hits_dropped`, per rule `not_enqueued`) and warned about, and
//! the source carries on.
//!
//! Routing: a rule's notification goes to the channels its `schedule`
//! picks at the time it fires (`schedule::channels_at`). Digests: a 1 s
//! tick closes digest windows whose interval passed; at the end, pending
//! digests are flushed to the outbox (delivered now or at the next start).
//!
//! Each notification fired is made durable and recorded as an `alert.fire`
//! event by `recorder`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;

use super::delivery::ChannelDelivery;
use super::engine::{AlertEngine, Emitted};
use super::notification::OutboxRecord;
use super::outbox::Outbox;
use super::recorder::{record_notifications, Fired};
use super::rule::{RuleHit, RuleSet};
use super::sender::ChannelSender;
use super::stats::AlertStats;
use crate::config::Config;
use crate::event::AuditEvent;
use crate::journal::Journal;
use crate::pipeline::PipelineError;
use crate::shutdown::Shutdown;

/// Hit batches waiting for the engine.
const HIT_QUEUE: usize = 1024;
/// Notifications waiting for the outbox.
const OUTBOX_QUEUE: usize = 1024;
/// How often digest windows are checked for closing.
const DIGEST_TICK: Duration = Duration::from_secs(1);

/// Given to each source: evaluates rules, forwards hits without waiting.
#[derive(Clone)]
pub struct AlertTap {
    rules: Arc<RuleSet>,
    tx: mpsc::Sender<Vec<RuleHit>>,
    stats: Arc<AlertStats>,
    last_warning: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl std::fmt::Debug for AlertTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertTap").finish_non_exhaustive()
    }
}

impl AlertTap {
    /// Appends the hits of `event` to `hits` (pure CPU; parse workers).
    pub fn evaluate(&self, event: &AuditEvent, source_id: &Arc<str>, hits: &mut Vec<RuleHit>) {
        self.rules.evaluate(event, source_id, hits);
    }

    /// Hands `hits` to the engine, or counts them if it is behind.
    pub fn send(&self, hits: Vec<RuleHit>) {
        if hits.is_empty() {
            return;
        }
        let n = hits.len() as u64;
        if self.tx.try_send(hits).is_err() {
            self.stats.hits_dropped.fetch_add(n, Ordering::Relaxed);
            warn_dropped(
                &self.last_warning,
                &self.stats.hits_dropped,
                "the alert engine is behind",
            );
        }
    }
}

/// At most one warning every 10 s.
fn warn_dropped(last: &std::sync::Mutex<Option<Instant>>, dropped: &AtomicU64, why: &str) {
    let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
    if last.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
        *last = Some(Instant::now());
        tracing::warn!(
            dropped_total = dropped.load(Ordering::Relaxed),
            "Alert hits dropped: {why}."
        );
    }
}

/// Built at start, before anything runs.
pub struct AlertService {
    engine: AlertEngine,
    rules: Arc<RuleSet>,
    rx: mpsc::Receiver<Vec<RuleHit>>,
    outbox: Outbox,
    deliveries: Vec<ChannelDelivery>,
    last_warning: Arc<std::sync::Mutex<Option<Instant>>>,
}

fn start_error(reason: String) -> PipelineError {
    PipelineError::Alerts { reason }
}

impl AlertService {
    /// `None` when neither alerts nor channels are configured (channels
    /// alone still deliver what an earlier run left in the outbox).
    pub fn build(config: &Config) -> Result<Option<(AlertService, AlertTap)>, PipelineError> {
        if config.alerts.is_empty() && config.channels.is_empty() {
            return Ok(None);
        }
        let rules =
            Arc::new(RuleSet::compile(&config.alerts).map_err(|e| start_error(e.to_string()))?);
        let channel_ids: Vec<&str> = config.channels.iter().map(|c| c.id.as_str()).collect();
        let outbox = Outbox::open(&config.data_dir, &channel_ids)?;
        let mut deliveries = Vec::new();
        for channel in &config.channels {
            let sender = ChannelSender::build(channel).map_err(|e| start_error(e.to_string()))?;
            let cursor = outbox.cursor(&channel.id)?;
            deliveries.push(ChannelDelivery::new(channel.clone(), sender, cursor));
        }
        let mut stats = AlertStats::for_rules(config.alerts.iter().map(|a| a.id.as_str()));
        stats.channels = deliveries
            .iter()
            .map(|d| (d.config.id.clone(), d.counts.clone()))
            .collect();
        let stats = Arc::new(stats);
        let (tx, rx) = mpsc::channel(HIT_QUEUE);
        let last_warning = Arc::new(std::sync::Mutex::new(None));
        let tap = AlertTap {
            rules: rules.clone(),
            tx,
            stats: stats.clone(),
            last_warning: last_warning.clone(),
        };
        let service = AlertService {
            engine: AlertEngine::with_stats(&config.alerts, &config.host, stats),
            rules,
            rx,
            outbox,
            deliveries,
            last_warning,
        };
        Ok(Some((service, tap)))
    }

    /// Counters for `/metrics` (shared, live).
    pub fn stats(&self) -> Arc<AlertStats> {
        self.engine.stats().clone()
    }

    /// Runs until every tap is dropped (sources finished) or `stop` fires;
    /// delivery stops at `stop`. Pending digests are flushed to the outbox
    /// before it closes. Returns once the outbox is closed.
    pub async fn run(self, journal: Journal, mut stop: Shutdown) {
        let AlertService {
            mut engine,
            rules,
            mut rx,
            outbox,
            deliveries,
            last_warning,
        } = self;
        let delivery_tasks: Vec<_> = deliveries
            .into_iter()
            .map(|d| tokio::spawn(d.run(stop.clone())))
            .collect();
        let (outbox_tx, outbox_rx) = mpsc::channel::<Fired>(OUTBOX_QUEUE);
        let writer = tokio::spawn(record_notifications(outbox.clone(), outbox_rx, journal));
        let stats = engine.stats().clone();
        let enqueue = |emitted: Emitted| {
            let config = &rules.rules()[emitted.rule].config;
            let channels = super::schedule::channels_at(config, emitted.notification.fired_at_ms);
            let records = channels
                .iter()
                .map(|channel| OutboxRecord {
                    channel: channel.clone(),
                    notification: emitted.notification.clone(),
                })
                .collect();
            let fired = (records, emitted.notification, emitted.source_id);
            if outbox_tx.try_send(fired).is_err() {
                let counts = &stats.rules[emitted.rule];
                counts.not_enqueued.fetch_add(1, Ordering::Relaxed);
                warn_dropped(
                    &last_warning,
                    &counts.not_enqueued,
                    "the alert outbox is full or behind",
                );
            }
        };
        // Digest windows close on time even when no event comes.
        let mut digest_tick = tokio::time::interval(if engine.has_digests() {
            DIGEST_TICK
        } else {
            Duration::from_secs(3600)
        });
        loop {
            let batch = tokio::select! {
                batch = rx.recv() => batch,
                _ = digest_tick.tick() => {
                    engine.due(now_ms()).into_iter().for_each(&enqueue);
                    continue;
                }
                _ = stop.recv() => None,
            };
            let Some(batch) = batch else { break };
            for hit in batch {
                if let Some(emitted) = engine.observe(hit, now_ms()) {
                    enqueue(emitted);
                }
            }
        }
        let flushed = engine.flush(now_ms());
        if !flushed.is_empty() {
            tracing::info!(
                digests = flushed.len(),
                "Stopping: pending alert digests sent to the outbox."
            );
        }
        flushed.into_iter().for_each(&enqueue);
        drop(outbox_tx);
        let _ = writer.await;
        for task in delivery_tasks {
            let _ = task.await;
        }
        let total =
            |f: fn(&super::stats::RuleCounts) -> u64| stats.rules.iter().map(f).sum::<u64>();
        tracing::info!(
            fired = total(|r| r.fired.load(Ordering::Relaxed)),
            suppressed = total(|r| r.suppressed.load(Ordering::Relaxed)),
            not_enqueued = total(|r| r.not_enqueued.load(Ordering::Relaxed)),
            evicted_groups = engine.evicted_groups(),
            hits_dropped = stats.hits_dropped.load(Ordering::Relaxed),
            eval_errors = rules.eval_errors.load(Ordering::Relaxed),
            "Alerting stopped."
        );
        outbox.close().await;
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
