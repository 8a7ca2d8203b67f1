//! [`AlertEngine`]: turns rule hits into notifications — the stateful half
//! of alerting (threshold windows, cooldowns), run on one task so it needs
//! no locks. Pure: the clock is an argument.

use std::collections::BTreeMap;

use super::notification::Notification;
use super::rule::RuleHit;
use super::window::{Cooldowns, Gate, ThresholdWindows, DEFAULT_MAX_GROUPS};
use crate::config::AlertConfig;

struct RuleState {
    config: AlertConfig,
    windows: Option<ThresholdWindows>,
    cooldowns: Cooldowns,
}

/// Counters for `/metrics` and the logs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EngineCounts {
    pub fired: u64,
    pub suppressed: u64,
}

pub struct AlertEngine {
    rules: Vec<RuleState>,
    host: String,
    sequence: u64,
    pub counts: EngineCounts,
}

impl AlertEngine {
    /// `configs` in the order of the [`super::RuleSet`] (hits name rules by
    /// index).
    pub fn new(configs: &[AlertConfig], host: &str) -> AlertEngine {
        let rules = configs
            .iter()
            .map(|config| RuleState {
                windows: config.threshold.as_ref().map(|t| {
                    ThresholdWindows::new(t.count, t.window.as_millis() as u64, t.max_groups)
                }),
                cooldowns: Cooldowns::new(config.cooldown.as_millis() as u64, DEFAULT_MAX_GROUPS),
                config: config.clone(),
            })
            .collect();
        AlertEngine {
            rules,
            host: host.to_string(),
            sequence: 0,
            counts: EngineCounts::default(),
        }
    }

    /// Groups evicted from threshold windows so far, all rules.
    pub fn evicted_groups(&self) -> u64 {
        self.rules
            .iter()
            .filter_map(|r| r.windows.as_ref())
            .map(|w| w.evicted)
            .sum()
    }

    /// One hit at `now_ms`; a notification when the rule fires and is not
    /// in cooldown for this key.
    pub fn observe(&mut self, hit: RuleHit, now_ms: u64) -> Option<Notification> {
        let state = self.rules.get_mut(hit.rule)?;
        let key = hit.group_key();
        let count = match &mut state.windows {
            Some(windows) => windows.record(&key, now_ms)?,
            None => 1,
        };
        let suppressed = match state.cooldowns.check(&key, now_ms) {
            Gate::Send { suppressed } => suppressed,
            Gate::Suppressed => {
                self.counts.suppressed += 1;
                return None;
            }
        };
        self.counts.fired += 1;
        self.sequence += 1;
        let config = &state.config;
        let fired_at = chrono::DateTime::from_timestamp_millis(now_ms as i64).unwrap_or_default();
        Some(Notification {
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
        })
    }
}
