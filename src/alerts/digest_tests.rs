//! Digest semantics as data: events and clock ticks in, summaries out
//! (when each closed, events, per-action counts, distinct actors, first
//! and last time, samples). Runs the real `RuleSet` and `AlertEngine`
//! with an injected clock.

use std::sync::Arc;
use std::time::Duration;

use super::engine::AlertEngine;
use super::rule::RuleSet;
use crate::config::AlertConfig;
use crate::event::{AuditEvent, Origin, OriginKind, Severity};

const MIN15: u64 = 900_000;

enum Step {
    /// (time ms, action, actor id)
    Event(u64, &'static str, &'static str),
    /// The service's timer at this time.
    Tick(u64),
    /// Shutdown at this time.
    Flush(u64),
}
use Step::*;

struct Expected {
    closed_ms: u64,
    events: u32,
    actions: &'static [(&'static str, u64)],
    actors: u64,
    first_ms: u64,
    last_ms: u64,
}

struct Case {
    name: &'static str,
    steps: &'static [Step],
    digests: &'static [Expected],
}

const CASES: &[Case] = &[
    Case {
        name: "nothing is sent for an interval without matches",
        steps: &[Tick(0), Tick(MIN15), Tick(10 * MIN15), Flush(11 * MIN15)],
        digests: &[],
    },
    Case {
        name: "one summary per interval: counts per action, distinct actors, first and last",
        steps: &[
            Event(0, "member.role.change", "a"),
            Event(1_000, "member.role.change", "b"),
            Event(2_000, "member.remove", "a"),
            Event(MIN15 - 1, "member.role.change", "c"),
            Tick(MIN15 - 1),
            Tick(MIN15),
            Tick(MIN15 + 1),
        ],
        digests: &[Expected {
            closed_ms: MIN15,
            events: 4,
            actions: &[("member.remove", 1), ("member.role.change", 3)],
            actors: 3,
            first_ms: 0,
            last_ms: MIN15 - 1,
        }],
    },
    Case {
        name: "a match exactly one interval after the first belongs to the next window",
        steps: &[
            Event(0, "member.role.change", "a"),
            Event(MIN15, "member.role.change", "b"),
            Tick(2 * MIN15 - 1),
            Tick(2 * MIN15),
        ],
        digests: &[
            Expected {
                closed_ms: MIN15,
                events: 1,
                actions: &[("member.role.change", 1)],
                actors: 1,
                first_ms: 0,
                last_ms: 0,
            },
            Expected {
                closed_ms: 2 * MIN15,
                events: 1,
                actions: &[("member.role.change", 1)],
                actors: 1,
                first_ms: MIN15,
                last_ms: MIN15,
            },
        ],
    },
    Case {
        name: "a window opens at its first match, not on a fixed grid",
        steps: &[
            Event(100_000, "apikey.create", "a"),
            Tick(MIN15),
            Tick(MIN15 + 99_999),
            Tick(MIN15 + 100_000),
        ],
        digests: &[Expected {
            closed_ms: MIN15 + 100_000,
            events: 1,
            actions: &[("apikey.create", 1)],
            actors: 1,
            first_ms: 100_000,
            last_ms: 100_000,
        }],
    },
    Case {
        name: "an expired window is closed at its own end even when no tick came",
        steps: &[
            Event(0, "apikey.create", "a"),
            Event(5 * MIN15, "apikey.delete", "a"),
            Flush(5 * MIN15 + 60_000),
        ],
        digests: &[
            Expected {
                closed_ms: MIN15,
                events: 1,
                actions: &[("apikey.create", 1)],
                actors: 1,
                first_ms: 0,
                last_ms: 0,
            },
            Expected {
                closed_ms: 5 * MIN15 + 60_000,
                events: 1,
                actions: &[("apikey.delete", 1)],
                actors: 1,
                first_ms: 5 * MIN15,
                last_ms: 5 * MIN15,
            },
        ],
    },
    Case {
        name: "shutdown flushes a partial window; nothing is sent twice",
        steps: &[
            Event(0, "apikey.create", "a"),
            Event(60_000, "apikey.create", "b"),
            Flush(120_000),
            Tick(MIN15),
            Flush(MIN15 + 1),
        ],
        digests: &[Expected {
            closed_ms: 120_000,
            events: 2,
            actions: &[("apikey.create", 2)],
            actors: 2,
            first_ms: 0,
            last_ms: 60_000,
        }],
    },
    Case {
        name: "events the rule does not match are not summarised",
        steps: &[
            Event(0, "user.login", "a"),
            Event(1, "apikey.create", "a"),
            Tick(MIN15 + 1),
        ],
        digests: &[Expected {
            closed_ms: MIN15 + 1,
            events: 1,
            actions: &[("apikey.create", 1)],
            actors: 1,
            first_ms: 1,
            last_ms: 1,
        }],
    },
];

fn event(action: &str, actor: &str, id: usize) -> AuditEvent {
    let origin = Origin {
        kind: OriginKind::File,
        format: "json".into(),
        path: None,
        offset: None,
        peer: None,
    };
    let mut e = AuditEvent::new(origin, "h", chrono::Utc::now());
    e.id = format!("e{id}");
    e.action = action.into();
    e.actor.id = Some(actor.into());
    e
}

fn rule() -> AlertConfig {
    AlertConfig {
        id: "t".into(),
        when: r#"action != "user.login""#.into(),
        threshold: None,
        cooldown: Duration::ZERO,
        channels: vec!["c".into()],
        severity: Severity::Warning,
        title: None,
        message: None,
        runbook: None,
        digest: Some(Duration::from_millis(MIN15)),
        schedule: None,
    }
}

fn run(steps: &[Step]) -> Vec<crate::alerts::notification::Notification> {
    let configs = [rule()];
    let rules = RuleSet::compile(&configs).unwrap();
    let mut engine = AlertEngine::new(&configs, "h");
    let source: Arc<str> = Arc::from("app");
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        match *step {
            Event(at, action, actor) => {
                let mut hits = Vec::new();
                rules.evaluate(&event(action, actor, i), &source, &mut hits);
                out.extend(hits.into_iter().filter_map(|h| engine.observe(h, at)));
            }
            Tick(at) => out.extend(engine.due(at)),
            Flush(at) => out.extend(engine.flush(at)),
        }
    }
    out.into_iter().map(|e| e.notification).collect()
}

fn time(ms: u64) -> String {
    crate::event::format_time(&chrono::DateTime::from_timestamp_millis(ms as i64).unwrap())
}

#[test]
fn digest_semantics_table() {
    for case in CASES {
        let got = run(case.steps);
        assert_eq!(
            got.len(),
            case.digests.len(),
            "case: {}: {got:#?}",
            case.name
        );
        for (n, want) in got.iter().zip(case.digests) {
            let d = n.digest.as_ref().expect("a digest notification");
            let actions: Vec<(&str, u64)> =
                d.actions.iter().map(|(a, c)| (a.as_str(), *c)).collect();
            assert_eq!(
                (
                    n.fired_at_ms,
                    n.count,
                    actions,
                    d.actors,
                    d.first_seen.clone(),
                    d.last_seen.clone()
                ),
                (
                    want.closed_ms,
                    want.events,
                    want.actions.to_vec(),
                    want.actors,
                    time(want.first_ms),
                    time(want.last_ms)
                ),
                "case: {}",
                case.name
            );
            assert_eq!(d.to, time(want.closed_ms), "case: {}", case.name);
            assert_eq!(n.dedup_key, "auditship/t");
        }
    }
}

#[test]
fn the_title_reads_like_the_issue_and_samples_are_the_first_five() {
    let mut steps = Vec::new();
    for i in 0..37u64 {
        steps.push(Event(
            i,
            "member.role.change",
            ["a", "b", "c", "d"][i as usize % 4],
        ));
    }
    steps.push(Tick(MIN15));
    let steps: &'static [Step] = Box::leak(steps.into_boxed_slice());
    let n = &run(steps)[0];
    assert_eq!(
        n.title,
        "t: 37 × member.role.change in the last 15m, by 4 actors"
    );
    let d = n.digest.as_ref().unwrap();
    assert_eq!(d.sample_event_ids, ["e0", "e1", "e2", "e3", "e4"]);
    assert_eq!(
        n.message.as_deref(),
        Some("First at 1970-01-01T00:00:00Z, last at 1970-01-01T00:00:00.036Z. Sample events: e0, e1, e2, e3, e4.")
    );

    let mixed = run(&[
        Event(0, "member.role.change", "a"),
        Event(1, "member.role.change", "a"),
        Event(2, "member.remove", "a"),
        Flush(420_000),
    ]);
    assert_eq!(
        mixed[0].title,
        "t: 3 events (2 × member.role.change, 1 × member.remove) in the last 7m, by 1 actor"
    );
}
