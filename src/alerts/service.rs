//! [`AlertService`]: the running alerting of one agent — the engine task,
//! the outbox writer, one delivery task per channel — and [`AlertTap`], the
//! handle sources evaluate rules with.
//!
//! Back-pressure, on purpose none towards ingestion: a source hands its
//! hits over with `try_send`; when the engine's queue (`HIT_QUEUE`) or the
//! outbox writer's queue (`OUTBOX_QUEUE`) is full, what does not fit is
//! counted (`dropped`) and warned about, and the source carries on.
//!
//! Each notification fired is made durable and recorded as an `alert.fire`
//! event by `recorder`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;

use super::channels;
use super::delivery::{ChannelCounts, ChannelDelivery};
use super::engine::AlertEngine;
use super::notification::{Notification, OutboxRecord};
use super::outbox::Outbox;
use super::recorder::{record_notifications, Fired};
use super::rule::{RuleHit, RuleSet};
use super::sender::ChannelSender;
use crate::config::Config;
use crate::event::AuditEvent;
use crate::journal::Journal;
use crate::pipeline::PipelineError;
use crate::shutdown::Shutdown;

/// Hit batches waiting for the engine.
const HIT_QUEUE: usize = 1024;
/// Notifications waiting for the outbox.
const OUTBOX_QUEUE: usize = 1024;

/// Given to each source: evaluates rules, forwards hits without waiting.
#[derive(Clone)]
pub struct AlertTap {
    rules: Arc<RuleSet>,
    tx: mpsc::Sender<Vec<RuleHit>>,
    dropped: Arc<AtomicU64>,
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
            self.dropped.fetch_add(n, Ordering::Relaxed);
            warn_dropped(
                &self.last_warning,
                &self.dropped,
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
    dropped: Arc<AtomicU64>,
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
        let sample = sample_notification();
        let mut deliveries = Vec::new();
        for channel in &config.channels {
            let request = channels::request(&channel.kind, &sample, 0);
            let sender =
                ChannelSender::build(channel, &request).map_err(|e| start_error(e.to_string()))?;
            let cursor = outbox.cursor(&channel.id)?;
            deliveries.push(ChannelDelivery::new(channel.clone(), sender, cursor));
        }
        let (tx, rx) = mpsc::channel(HIT_QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let last_warning = Arc::new(std::sync::Mutex::new(None));
        let tap = AlertTap {
            rules: rules.clone(),
            tx,
            dropped: dropped.clone(),
            last_warning: last_warning.clone(),
        };
        let service = AlertService {
            engine: AlertEngine::new(&config.alerts, &config.host),
            rules,
            rx,
            outbox,
            deliveries,
            dropped,
            last_warning,
        };
        Ok(Some((service, tap)))
    }

    /// Per-channel counters, for metrics.
    pub fn channel_counts(&self) -> Vec<(String, Arc<ChannelCounts>)> {
        self.deliveries
            .iter()
            .map(|d| (d.config.id.clone(), d.counts.clone()))
            .collect()
    }

    /// Runs until every tap is dropped (sources finished) or `stop` fires;
    /// delivery stops at `stop`. Returns once the outbox is closed.
    pub async fn run(self, journal: Journal, mut stop: Shutdown) {
        let AlertService {
            mut engine,
            rules,
            mut rx,
            outbox,
            deliveries,
            dropped,
            last_warning,
        } = self;
        let delivery_tasks: Vec<_> = deliveries
            .into_iter()
            .map(|d| tokio::spawn(d.run(stop.clone())))
            .collect();
        let (outbox_tx, outbox_rx) = mpsc::channel::<Fired>(OUTBOX_QUEUE);
        let writer = tokio::spawn(record_notifications(outbox.clone(), outbox_rx, journal));
        let channels_of: Vec<Vec<String>> = rules
            .rules()
            .iter()
            .map(|r| r.config.channels.clone())
            .collect();
        loop {
            let batch = tokio::select! {
                batch = rx.recv() => batch,
                _ = stop.recv() => None,
            };
            let Some(batch) = batch else { break };
            for hit in batch {
                let rule = hit.rule;
                let source_id = hit.source_id.clone();
                let Some(notification) = engine.observe(hit, now_ms()) else {
                    continue;
                };
                let records = channels_of[rule]
                    .iter()
                    .map(|channel| OutboxRecord {
                        channel: channel.clone(),
                        notification: notification.clone(),
                    })
                    .collect();
                if outbox_tx
                    .try_send((records, notification, source_id))
                    .is_err()
                {
                    dropped.fetch_add(1, Ordering::Relaxed);
                    warn_dropped(
                        &last_warning,
                        &dropped,
                        "the alert outbox is full or behind",
                    );
                }
            }
        }
        drop(outbox_tx);
        let _ = writer.await;
        for task in delivery_tasks {
            let _ = task.await;
        }
        tracing::info!(
            fired = engine.counts.fired,
            suppressed = engine.counts.suppressed,
            evicted_groups = engine.evicted_groups(),
            dropped = dropped.load(Ordering::Relaxed),
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

/// A notification used only to build each channel's request once at start
/// (to read its URL).
fn sample_notification() -> Notification {
    Notification {
        id: String::new(),
        alert: String::new(),
        dedup_key: String::new(),
        severity: "info".into(),
        title: String::new(),
        message: None,
        runbook: None,
        fired_at: String::new(),
        fired_at_ms: 0,
        count: 0,
        suppressed: 0,
        group: Default::default(),
        event: serde_json::Value::Null,
        host: String::new(),
    }
}
