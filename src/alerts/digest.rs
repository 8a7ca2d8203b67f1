//! `digest = "15m"`: instead of one notification per match, one summary
//! per interval per rule — "37 × member.role.change in the last 15m, by 4
//! actors" — with the count per action, the distinct actors, when the
//! first and last match were seen and a few sample event ids.
//!
//! A digest window opens at the first match and closes `interval` later
//! (a match exactly `interval` after the first belongs to the next
//! window); nothing is sent for an interval without matches. Closing is
//! driven by the caller's clock: `add` closes an expired window before
//! opening the next, `due` closes one whose time has come.
//!
//! Memory is bounded whatever the input: at most `MAX_ACTIONS` actions
//! (the rest counted under `(other)`), `MAX_ACTORS` distinct actors
//! tracked (beyond, the count is a lower bound, flagged), `SAMPLES` ids.
//!
//! A pending window is in memory, like threshold windows: the engine
//! flushes it at shutdown (a shorter, partial window); a crash loses it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::rule::RuleHit;

pub const MAX_ACTIONS: usize = 100;
pub const MAX_ACTORS: usize = 10_000;
pub const SAMPLES: usize = 5;

/// What a digest notification summarises (its `digest` field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSummary {
    /// The window, RFC 3339 UTC: opened at the first match…
    pub from: String,
    /// …closed `interval` later (earlier when flushed at shutdown).
    pub to: String,
    /// Matching events in the window.
    pub events: u64,
    /// Events per action, most frequent first in `title`.
    pub actions: BTreeMap<String, u64>,
    /// Distinct actors (`actor.id`, else `actor.name`).
    pub actors: u64,
    /// `actors` is a lower bound (more than `MAX_ACTORS` were seen).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub actors_capped: bool,
    /// When the first and the last match were seen (agent clock).
    pub first_seen: String,
    pub last_seen: String,
    /// Ids of the first few matching events.
    pub sample_event_ids: Vec<String>,
}

/// One open window.
#[derive(Debug)]
pub struct OpenDigest {
    pub opened_ms: u64,
    pub last_ms: u64,
    pub events: u64,
    pub actions: BTreeMap<String, u64>,
    actors: HashSet<String>,
    actors_capped: bool,
    pub samples: Vec<String>,
    /// Source of the first match: the `alert.fire` event goes there.
    pub source_id: Arc<str>,
    /// The last matching event's summary.
    pub last_event: serde_json::Value,
}

/// A closed window: what to send.
#[derive(Debug)]
pub struct ClosedDigest {
    pub window: OpenDigest,
    pub closed_ms: u64,
}

/// The digest state of one rule.
#[derive(Debug)]
pub struct Digests {
    interval_ms: u64,
    open: Option<OpenDigest>,
}

impl Digests {
    pub fn new(interval_ms: u64) -> Digests {
        Digests {
            interval_ms: interval_ms.max(1),
            open: None,
        }
    }

    /// Adds a match seen at `now`; returns the previous window if it had
    /// expired (closed at its own end, not at `now`).
    pub fn add(&mut self, hit: &RuleHit, now: u64) -> Option<ClosedDigest> {
        let closed = self.due(now);
        let window = self.open.get_or_insert_with(|| OpenDigest {
            opened_ms: now,
            last_ms: now,
            events: 0,
            actions: BTreeMap::new(),
            actors: HashSet::new(),
            actors_capped: false,
            samples: Vec::new(),
            source_id: hit.source_id.clone(),
            last_event: serde_json::Value::Null,
        });
        window.events += 1;
        window.last_ms = now;
        let action = hit.event["action"].as_str().unwrap_or("-");
        if window.actions.contains_key(action) || window.actions.len() < MAX_ACTIONS {
            *window.actions.entry(action.to_string()).or_default() += 1;
        } else {
            *window.actions.entry("(other)".into()).or_default() += 1;
        }
        let actor = hit.event["actor.id"]
            .as_str()
            .or_else(|| hit.event["actor.name"].as_str());
        if let Some(actor) = actor {
            if window.actors.len() < MAX_ACTORS {
                window.actors.insert(actor.to_string());
            } else if !window.actors.contains(actor) {
                window.actors_capped = true;
            }
        }
        if window.samples.len() < SAMPLES {
            if let Some(id) = hit.event["id"].as_str() {
                window.samples.push(id.to_string());
            }
        }
        window.last_event = hit.event.clone();
        closed
    }

    /// The open window if its interval has passed at `now`.
    pub fn due(&mut self, now: u64) -> Option<ClosedDigest> {
        let end = self.open.as_ref()?.opened_ms + self.interval_ms;
        (now >= end).then(|| ClosedDigest {
            window: self.open.take().expect("checked above"),
            closed_ms: end,
        })
    }

    /// The open window, closed now (shutdown).
    pub fn flush(&mut self, now: u64) -> Option<ClosedDigest> {
        self.due(now).or_else(|| {
            self.open.take().map(|window| ClosedDigest {
                closed_ms: now.max(window.opened_ms),
                window,
            })
        })
    }
}

fn time(ms: u64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(ms as i64).unwrap_or_default();
    crate::event::format_time(&at)
}

impl ClosedDigest {
    /// The summary, and the title and message built from it.
    pub fn describe(&self, alert: &str) -> (DigestSummary, String, String) {
        let w = &self.window;
        let summary = DigestSummary {
            from: time(w.opened_ms),
            to: time(self.closed_ms),
            events: w.events,
            actions: w.actions.clone(),
            actors: w.actors.len() as u64,
            actors_capped: w.actors_capped,
            first_seen: time(w.opened_ms),
            last_seen: time(w.last_ms),
            sample_event_ids: w.samples.clone(),
        };
        let mut by_count: Vec<(&String, &u64)> = w.actions.iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<String> = by_count
            .iter()
            .take(3)
            .map(|(action, n)| format!("{n} × {action}"))
            .collect();
        let mut what = listed.join(", ");
        if by_count.len() > 3 {
            what.push_str(&format!(", {} more actions", by_count.len() - 3));
        }
        if by_count.len() > 1 {
            what = format!("{} events ({what})", w.events);
        }
        let span = std::time::Duration::from_secs(
            (self.closed_ms.saturating_sub(w.opened_ms) / 1000).max(1),
        );
        let actors = match (summary.actors, summary.actors_capped) {
            (n, true) => format!("by more than {n} actors"),
            (1, false) => "by 1 actor".to_string(),
            (n, false) => format!("by {n} actors"),
        };
        let title = format!(
            "{alert}: {what} in the last {}, {actors}",
            crate::config::format_duration(span)
        );
        let message = format!(
            "First at {}, last at {}. Sample events: {}.",
            summary.first_seen,
            summary.last_seen,
            if w.samples.is_empty() {
                "-".to_string()
            } else {
                w.samples.join(", ")
            }
        );
        (summary, title, message)
    }
}
