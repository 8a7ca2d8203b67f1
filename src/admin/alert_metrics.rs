//! Alerting on `/metrics`: per rule (`alert` label: the `[alerts.ID]` id)
//! what fired, what `cooldown` held back, what could not be enqueued and
//! what digests summarised; per channel (`channel` label) what was
//! delivered, the failed attempts and what was given up (`reason`:
//! `refused` for good or `expired` past `max_age`). Ids are the only
//! labels; no notification content.

use std::sync::atomic::{AtomicU64, Ordering};

use super::prometheus::{Exposition, Kind};
use crate::alerts::delivery::ChannelCounts;
use crate::alerts::stats::{AlertStats, RuleCounts};

pub fn render(stats: &AlertStats, out: &mut Exposition) {
    type RuleField = fn(&RuleCounts) -> &AtomicU64;
    let per_rule: [(&str, &str, RuleField); 4] = [
        (
            "auditship_alerts_fired_total",
            "Notifications fired (digest summaries included).",
            |r| &r.fired,
        ),
        (
            "auditship_alerts_suppressed_total",
            "Notifications held back by cooldown.",
            |r| &r.suppressed,
        ),
        (
            "auditship_alerts_not_enqueued_total",
            "Notifications fired but not written to the outbox (it was full or behind).",
            |r| &r.not_enqueued,
        ),
        (
            "auditship_alerts_digested_events_total",
            "Matching events summarised by digest rules.",
            |r| &r.digested,
        ),
    ];
    for (name, help, field) in per_rule {
        out.family(name, Kind::Counter, help);
        for rule in &stats.rules {
            let value = field(rule).load(Ordering::Relaxed) as f64;
            out.sample(name, &[("alert", &rule.id)], value);
        }
    }
    let name = "auditship_alert_hits_dropped_total";
    out.family(
        name,
        Kind::Counter,
        "Rule matches dropped because the alert engine was behind.",
    )
    .sample(name, &[], stats.hits_dropped.load(Ordering::Relaxed) as f64);
    type ChannelField = fn(&ChannelCounts) -> &AtomicU64;
    let per_channel: [(&str, &str, ChannelField); 2] = [
        (
            "auditship_alert_notifications_delivered_total",
            "Notifications the channel accepted.",
            |c| &c.delivered,
        ),
        (
            "auditship_alert_notifications_failed_total",
            "Failed delivery attempts (each is retried).",
            |c| &c.failed_attempts,
        ),
    ];
    for (name, help, field) in per_channel {
        out.family(name, Kind::Counter, help);
        for (id, counts) in &stats.channels {
            let value = field(counts).load(Ordering::Relaxed) as f64;
            out.sample(name, &[("channel", id)], value);
        }
    }
    let name = "auditship_alert_notifications_given_up_total";
    out.family(
        name,
        Kind::Counter,
        "Notifications not delivered for good: refused by the channel, or expired past max_age.",
    );
    for (id, counts) in &stats.channels {
        for (reason, value) in [("refused", &counts.refused), ("expired", &counts.expired)] {
            let value = value.load(Ordering::Relaxed) as f64;
            out.sample(name, &[("channel", id), ("reason", reason)], value);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::alerts::engine::AlertEngine;
    use crate::alerts::RuleSet;
    use crate::config::AlertConfig;

    fn rule(id: &str, cooldown_ms: u64) -> AlertConfig {
        AlertConfig {
            id: id.into(),
            when: r#"action == "apikey.create""#.into(),
            threshold: None,
            cooldown: std::time::Duration::from_millis(cooldown_ms),
            channels: vec!["hook".into()],
            severity: crate::event::Severity::Warning,
            title: None,
            message: None,
            runbook: None,
            digest: None,
            schedule: None,
        }
    }

    /// The engine's own counting, as `/metrics` shows it.
    #[test]
    fn fired_and_suppressed_are_counted_per_alert_and_channels_per_channel() {
        let configs = [rule("keys", 60_000), rule("quiet", 0)];
        let mut stats = AlertStats::for_rules(configs.iter().map(|c| c.id.as_str()));
        let hook = Arc::new(ChannelCounts::default());
        hook.delivered.fetch_add(2, Ordering::Relaxed);
        hook.failed_attempts.fetch_add(3, Ordering::Relaxed);
        hook.expired.fetch_add(1, Ordering::Relaxed);
        stats.channels.push(("hook".into(), hook));
        let stats = Arc::new(stats);
        let rules = RuleSet::compile(&configs[..1]).unwrap();
        let mut engine = AlertEngine::with_stats(&configs, "h", stats.clone());
        let mut event = crate::event::AuditEvent::new(
            crate::event::Origin {
                kind: crate::event::OriginKind::File,
                format: "json".into(),
                path: None,
                offset: None,
                peer: None,
            },
            "h",
            chrono::Utc::now(),
        );
        event.action = "apikey.create".into();
        let source: Arc<str> = Arc::from("app");
        for at in [0, 1_000, 2_000] {
            let mut hits = Vec::new();
            rules.evaluate(&event, &source, &mut hits);
            for hit in hits {
                engine.observe(hit, at);
            }
        }
        let mut out = Exposition::new();
        render(&stats, &mut out);
        let text = out.finish();
        for line in [
            "auditship_alerts_fired_total{alert=\"keys\"} 1",
            "auditship_alerts_suppressed_total{alert=\"keys\"} 2",
            "auditship_alerts_fired_total{alert=\"quiet\"} 0",
            "auditship_alerts_not_enqueued_total{alert=\"keys\"} 0",
            "auditship_alert_hits_dropped_total 0",
            "auditship_alert_notifications_delivered_total{channel=\"hook\"} 2",
            "auditship_alert_notifications_failed_total{channel=\"hook\"} 3",
            "auditship_alert_notifications_given_up_total{channel=\"hook\",reason=\"expired\"} 1",
            "auditship_alert_notifications_given_up_total{channel=\"hook\",reason=\"refused\"} 0",
            "# TYPE auditship_alerts_fired_total counter",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
    }
}
