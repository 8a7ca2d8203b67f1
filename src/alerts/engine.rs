//! [`AlertEngine`]: turns rule hits into notifications — the stateful half
//! of alerting (threshold windows, cooldowns, digests), run on one task so
//! it needs no locks. Pure: the clock is an argument.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::digest::{ClosedDigest, Digests};
use super::notification::Notification;
use super::rule::RuleHit;
use super::stats::AlertStats;
use super::window::{Cooldowns, Gate, ThresholdWindows, DEFAULT_MAX_GROUPS};
use crate::config::AlertConfig;

struct RuleState {
    config: AlertConfig,
    windows: Option<ThresholdWindows>,
    cooldowns: Cooldowns,
    digests: Option<Digests>,
}

/// A notification to send, with the rule that fired it (its channels)
/// and the source its `alert.fire` event goes to.
#[derive(Debug)]
pub struct Emitted {
    pub rule: usize,
    pub source_id: Arc<str>,
    pub notification: Notification,
}

pub struct AlertEngine {
    rules: Vec<RuleState>,
    host: String,
    sequence: u64,
    stats: Arc<AlertStats>,
}

impl AlertEngine {
    /// `configs` in the order of the [`super::RuleSet`] (hits name rules by
    /// index).
    pub fn new(configs: &[AlertConfig], host: &str) -> AlertEngine {
        let stats = AlertStats::for_rules(configs.iter().map(|c| c.id.as_str()));
        AlertEngine::with_stats(configs, host, Arc::new(stats))
    }

    /// Counts into `stats`, whose `rules` are in the order of `configs`.
    pub fn with_stats(configs: &[AlertConfig], host: &str, stats: Arc<AlertStats>) -> AlertEngine {
        let rules = configs
            .iter()
            .map(|config| RuleState {
                windows: config.threshold.as_ref().map(|t| {
                    ThresholdWindows::new(t.count, t.window.as_millis() as u64, t.max_groups)
                }),
                cooldowns: Cooldowns::new(config.cooldown.as_millis() as u64, DEFAULT_MAX_GROUPS),
                digests: config.digest.map(|d| Digests::new(d.as_millis() as u64)),
                config: config.clone(),
            })
            .collect();
        AlertEngine {
            rules,
            host: host.to_string(),
            sequence: 0,
            stats,
        }
    }

    pub fn stats(&self) -> &Arc<AlertStats> {
        &self.stats
    }

    /// Whether some rule has a `digest` (then `due` must be called on a
    /// timer).
    pub fn has_digests(&self) -> bool {
        self.rules.iter().any(|r| r.digests.is_some())
    }

    /// Groups evicted from threshold windows so far, all rules.
    pub fn evicted_groups(&self) -> u64 {
        self.rules
            .iter()
            .filter_map(|r| r.windows.as_ref())
            .map(|w| w.evicted)
            .sum()
    }

    fn count(
        &self,
        rule: usize,
        pick: impl Fn(&super::stats::RuleCounts) -> &std::sync::atomic::AtomicU64,
    ) {
        if let Some(counts) = self.stats.rules.get(rule) {
            pick(counts).fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One hit at `now_ms`; a notification when the rule fires and is not
    /// in cooldown for this key. For a digest rule: the previous summary,
    /// if its interval had passed.
    pub fn observe(&mut self, hit: RuleHit, now_ms: u64) -> Option<Emitted> {
        let rule = hit.rule;
        let state = self.rules.get_mut(rule)?;
        if let Some(digests) = &mut state.digests {
            let closed = digests.add(&hit, now_ms);
            self.count(rule, |c| &c.digested);
            return closed.map(|closed| self.digest_notification(rule, closed));
        }
        let key = hit.group_key();
        let count = match &mut state.windows {
            Some(windows) => windows.record(&key, now_ms)?,
            None => 1,
        };
        let suppressed = match state.cooldowns.check(&key, now_ms) {
            Gate::Send { suppressed } => suppressed,
            Gate::Suppressed => {
                self.count(rule, |c| &c.suppressed);
                return None;
            }
        };
        self.count(rule, |c| &c.fired);
        self.sequence += 1;
        let config = &self.rules[rule].config;
        let fired_at = chrono::DateTime::from_timestamp_millis(now_ms as i64).unwrap_or_default();
        let notification = Notification {
            id: format!("{}-{now_ms}-{}", config.id, self.sequence),
            alert: config.id.clone(),
            dedup_key: if key.is_empty() {
                format!("auditship/{}", config.id)
            } else {
                format!("auditship/{}/{key}", config.id)
            },
            severity: config.severity.as_str().to_string(),
            title: hit.title,
            message: hit.message,
            runbook: config.runbook.clone(),
            fired_at: crate::event::format_time(&fired_at),
            fired_at_ms: now_ms,
            count,
            suppressed,
            group: hit.group.into_iter().collect::<BTreeMap<_, _>>(),
            event: hit.event,
            host: self.host.clone(),
            digest: None,
        };
        Some(Emitted {
            rule,
            source_id: hit.source_id,
            notification,
        })
    }

    /// Digest summaries whose interval has passed at `now_ms`.
    pub fn due(&mut self, now_ms: u64) -> Vec<Emitted> {
        self.close_digests(|d| d.due(now_ms))
    }

    /// Every pending digest, closed now (at shutdown: better a short
    /// summary than none).
    pub fn flush(&mut self, now_ms: u64) -> Vec<Emitted> {
        self.close_digests(|d| d.flush(now_ms))
    }

    fn close_digests(
        &mut self,
        close: impl Fn(&mut Digests) -> Option<ClosedDigest>,
    ) -> Vec<Emitted> {
        let closed: Vec<(usize, ClosedDigest)> = self
            .rules
            .iter_mut()
            .enumerate()
            .filter_map(|(i, r)| r.digests.as_mut().and_then(&close).map(|c| (i, c)))
            .collect();
        closed
            .into_iter()
            .map(|(rule, c)| self.digest_notification(rule, c))
            .collect()
    }

    fn digest_notification(&mut self, rule: usize, closed: ClosedDigest) -> Emitted {
        self.count(rule, |c| &c.fired);
        self.sequence += 1;
        let config = &self.rules[rule].config;
        let (summary, title, message) = closed.describe(&config.id);
        let at = closed.closed_ms;
        let fired_at = chrono::DateTime::from_timestamp_millis(at as i64).unwrap_or_default();
        let notification = Notification {
            id: format!("{}-{at}-{}", config.id, self.sequence),
            alert: config.id.clone(),
            dedup_key: format!("auditship/{}", config.id),
            severity: config.severity.as_str().to_string(),
            title,
            message: Some(message),
            runbook: config.runbook.clone(),
            fired_at: crate::event::format_time(&fired_at),
            fired_at_ms: at,
            count: u32::try_from(summary.events).unwrap_or(u32::MAX),
            suppressed: 0,
            group: BTreeMap::new(),
            event: closed.window.last_event,
            host: self.host.clone(),
            digest: Some(summary),
        };
        Emitted {
            rule,
            source_id: closed.window.source_id,
            notification,
        }
    }
}
