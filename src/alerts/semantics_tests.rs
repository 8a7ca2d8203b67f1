//! Rule semantics as data: a table of events in (time, action, actor,
//! outcome), notifications out (which event fired, count, suppressed, key).
//! Runs the real `RuleSet` (CEL) and `AlertEngine` (windows, cooldowns).

use std::sync::Arc;
use std::time::Duration;

use super::engine::AlertEngine;
use super::rule::RuleSet;
use crate::config::{AlertConfig, ThresholdConfig};
use crate::event::{AuditEvent, Origin, OriginKind, Outcome, Severity};

struct Case {
    name: &'static str,
    when: &'static str,
    /// (count, window ms, group_by, max_groups)
    threshold: Option<(u32, u64, &'static [&'static str], usize)>,
    cooldown_ms: u64,
    /// (time ms, action, actor id, failed?)
    events: &'static [(u64, &'static str, &'static str, bool)],
    /// (index of the event that fired, count, suppressed, dedup key)
    fired: &'static [(usize, u32, u64, &'static str)],
}

const LOGIN_FAILED: &str = r#"action == "user.login" && outcome == "failure""#;

const CASES: &[Case] = &[
    Case {
        name: "fires at exactly count, not before",
        when: LOGIN_FAILED,
        threshold: Some((3, 60_000, &[], 100)),
        cooldown_ms: 0,
        events: &[
            (0, "user.login", "a", true),
            (1, "user.login", "a", true),
            (2, "user.login", "a", true),
        ],
        fired: &[(2, 3, 0, "auditship/t")],
    },
    Case {
        name: "events that do not match are not counted",
        when: LOGIN_FAILED,
        threshold: Some((2, 60_000, &[], 100)),
        cooldown_ms: 0,
        events: &[
            (0, "user.login", "a", true),
            (1, "user.login", "a", false),
            (2, "user.logout", "a", true),
        ],
        fired: &[],
    },
    Case {
        name: "an event exactly one window later no longer counts with the first",
        when: LOGIN_FAILED,
        threshold: Some((3, 60_000, &[], 100)),
        cooldown_ms: 0,
        events: &[
            (0, "user.login", "a", true),
            (30_000, "user.login", "a", true),
            (60_000, "user.login", "a", true),
        ],
        fired: &[],
    },
    Case {
        name: "an event just inside the window counts",
        when: LOGIN_FAILED,
        threshold: Some((3, 60_000, &[], 100)),
        cooldown_ms: 0,
        events: &[
            (0, "user.login", "a", true),
            (30_000, "user.login", "a", true),
            (59_999, "user.login", "a", true),
        ],
        fired: &[(2, 3, 0, "auditship/t")],
    },
    Case {
        name: "firing empties the window: the next alert needs count new events",
        when: LOGIN_FAILED,
        threshold: Some((2, 60_000, &[], 100)),
        cooldown_ms: 0,
        events: &[
            (0, "user.login", "a", true),
            (1, "user.login", "a", true),
            (2, "user.login", "a", true),
            (3, "user.login", "a", true),
        ],
        fired: &[(1, 2, 0, "auditship/t"), (3, 2, 0, "auditship/t")],
    },
    Case {
        name: "groups are isolated",
        when: LOGIN_FAILED,
        threshold: Some((2, 60_000, &["actor.id"], 100)),
        cooldown_ms: 0,
        events: &[
            (0, "user.login", "a", true),
            (1, "user.login", "b", true),
            (2, "user.login", "a", true),
            (3, "user.login", "c", true),
        ],
        fired: &[(2, 2, 0, "auditship/t/actor.id=a")],
    },
    Case {
        name: "the least recently seen group is evicted beyond max_groups",
        when: LOGIN_FAILED,
        threshold: Some((2, 60_000, &["actor.id"], 2)),
        cooldown_ms: 0,
        events: &[
            (0, "user.login", "a", true),
            (1, "user.login", "b", true),
            (2, "user.login", "c", true),
            (3, "user.login", "a", true),
            (4, "user.login", "c", true),
        ],
        fired: &[(4, 2, 0, "auditship/t/actor.id=c")],
    },
    Case {
        name: "cooldown suppresses repeats and reports them when it expires",
        when: r#"action.startsWith("apikey.")"#,
        threshold: None,
        cooldown_ms: 10_000,
        events: &[
            (0, "apikey.create", "a", false),
            (5_000, "apikey.delete", "a", false),
            (9_999, "apikey.create", "a", false),
            (10_000, "apikey.create", "a", false),
            (12_000, "apikey.create", "a", false),
        ],
        fired: &[(0, 1, 0, "auditship/t"), (3, 1, 2, "auditship/t")],
    },
    Case {
        name: "cooldown is per group key",
        when: LOGIN_FAILED,
        threshold: Some((1, 60_000, &["actor.id"], 100)),
        cooldown_ms: 10_000,
        events: &[
            (0, "user.login", "a", true),
            (1, "user.login", "b", true),
            (2, "user.login", "a", true),
        ],
        fired: &[
            (0, 1, 0, "auditship/t/actor.id=a"),
            (1, 1, 0, "auditship/t/actor.id=b"),
        ],
    },
];

fn event(action: &str, actor: &str, failed: bool) -> AuditEvent {
    let origin = Origin {
        kind: OriginKind::File,
        format: "json".into(),
        path: None,
        offset: None,
        peer: None,
    };
    let mut e = AuditEvent::new(origin, "h", chrono::Utc::now());
    e.action = action.into();
    e.actor.id = Some(actor.into());
    e.outcome = if failed {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    e
}

fn rule(case: &Case) -> AlertConfig {
    AlertConfig {
        id: "t".into(),
        when: case.when.into(),
        threshold: case
            .threshold
            .map(|(count, window, group_by, max_groups)| ThresholdConfig {
                count,
                window: Duration::from_millis(window),
                group_by: group_by.iter().map(|s| s.to_string()).collect(),
                max_groups,
            }),
        cooldown: Duration::from_millis(case.cooldown_ms),
        channels: vec!["c".into()],
        severity: Severity::Warning,
        title: None,
        message: None,
        runbook: None,
        digest: None,
        schedule: None,
    }
}

#[test]
fn rule_semantics_table() {
    let source: Arc<str> = Arc::from("app");
    for case in CASES {
        let configs = [rule(case)];
        let rules = RuleSet::compile(&configs).unwrap();
        let mut engine = AlertEngine::new(&configs, "h");
        let mut fired = Vec::new();
        for (index, (at, action, actor, failed)) in case.events.iter().enumerate() {
            let mut hits = Vec::new();
            rules.evaluate(&event(action, actor, *failed), &source, &mut hits);
            for hit in hits {
                if let Some(n) = engine.observe(hit, *at).map(|e| e.notification) {
                    fired.push((index, n.count, n.suppressed, n.dedup_key));
                }
            }
        }
        let expected: Vec<_> = case
            .fired
            .iter()
            .map(|(i, c, s, k)| (*i, *c, *s, k.to_string()))
            .collect();
        assert_eq!(fired, expected, "case: {}", case.name);
    }
}

#[test]
fn a_notification_carries_templates_severity_runbook_and_the_event() {
    let mut config = rule(&CASES[0]);
    config.title = Some("{actor.id} failed {action}".into());
    config.runbook = Some("https://r.example/x".into());
    config.severity = Severity::Critical;
    let configs = [config];
    let rules = RuleSet::compile(&configs).unwrap();
    let mut engine = AlertEngine::new(&configs, "web-1");
    let mut hits = Vec::new();
    let source: Arc<str> = Arc::from("app");
    for _ in 0..3 {
        rules.evaluate(&event("user.login", "u9", true), &source, &mut hits);
    }
    let n = hits
        .into_iter()
        .filter_map(|h| engine.observe(h, 1_000))
        .map(|e| e.notification)
        .next()
        .unwrap();
    assert_eq!(n.title, "u9 failed user.login");
    assert_eq!(n.severity, "critical");
    assert_eq!(n.runbook.as_deref(), Some("https://r.example/x"));
    assert_eq!(n.event["actor.id"], "u9");
    assert_eq!(n.host, "web-1");
    assert_eq!(n.fired_at, "1970-01-01T00:00:01Z");
}
