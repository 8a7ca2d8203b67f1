//! What 100 rules cost per event, beside what parsing costs (release only):
//! `cargo test --release --lib alerts::throughput_tests -- --ignored --nocapture`.
//!
//! Rules: 40 equality (`action == … && actor.id == …`), 30 threshold (`action == … &&
//! outcome == "failure"`, grouped by actor), 20 regex constrained by action
//! (`action == … && actor.id.matches(…)`), 10 regex on every event
//! (`action.matches(…)`, which the action index cannot skip).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::engine::AlertEngine;
use super::rule::RuleSet;
use crate::config::{AlertConfig, FormatConfig, ThresholdConfig};
use crate::event::{OriginKind, Severity};
use crate::formats::{EntryContext, Parser};
use crate::pipeline::encoded_event::EncodedEvent;

#[path = "../../tests/support/gen_audit.rs"]
mod gen_audit;

fn rules() -> Vec<AlertConfig> {
    let actions: Vec<&str> = gen_audit::ACTIONS.iter().map(|(a, _)| *a).collect();
    let mut rules = Vec::new();
    let mut push = |id: String, when: String, threshold: Option<ThresholdConfig>| {
        rules.push(AlertConfig {
            id,
            when,
            threshold,
            cooldown: Duration::from_secs(900),
            channels: vec!["c".into()],
            severity: Severity::Warning,
            title: Some("{action} by {actor.id}".into()),
            message: None,
            runbook: None,
            digest: None,
            schedule: None,
        })
    };
    for i in 0..40 {
        let action = actions[i % actions.len()];
        push(
            format!("eq{i}"),
            format!("action == \"{action}\" && actor.id == \"u{i}\""),
            None,
        );
    }
    for i in 0..30 {
        let action = actions[i % actions.len()];
        let threshold = ThresholdConfig {
            count: 5,
            window: Duration::from_secs(60),
            group_by: vec!["actor.id".into()],
            max_groups: 10_000,
        };
        push(
            format!("th{i}"),
            format!("action == \"{action}\" && outcome == \"failure\""),
            Some(threshold),
        );
    }
    for i in 0..20 {
        let action = actions[i % actions.len()];
        push(
            format!("re{i}"),
            format!("action == \"{action}\" && actor.id.matches(\"^u{i}[0-9]*$\")"),
            None,
        );
    }
    for i in 0..10 {
        push(
            format!("any{i}"),
            format!("action.matches(\"^(secret|vault{i})\\\\.\")"),
            None,
        );
    }
    rules
}

#[test]
#[ignore = "a measurement: run with --release --ignored --nocapture"]
fn rule_cost_per_event() {
    const N: u64 = 200_000;
    let lines: Vec<String> = (0..N).map(|seq| gen_audit::json_line(7, seq)).collect();
    let parser = Parser::from_config(&FormatConfig::Json { map: vec![] }, false).unwrap();
    let ctx = EntryContext {
        origin_kind: OriginKind::File,
        path: Some("/var/log/app/audit.log"),
        offset: Some(0),
        position_key: "0000000000000001",
        host: "bench",
        ingest_time: Utc::now(),
    };
    let configs = rules();
    let rule_set = RuleSet::compile(&configs).unwrap();
    let mut engine = AlertEngine::new(&configs, "bench");
    let source: Arc<str> = Arc::from("app");

    let mut parsed = Vec::new();
    let mut events = Vec::with_capacity(N as usize);
    let started = Instant::now();
    for line in &lines {
        parser.parse_into(line.as_bytes(), &ctx, &mut parsed);
        for event in parsed.drain(..) {
            std::hint::black_box(EncodedEvent::encode(&event));
            events.push(event);
        }
    }
    let parse = started.elapsed();

    let started = Instant::now();
    let mut hits = Vec::new();
    for event in &events {
        rule_set.evaluate(event, &source, &mut hits);
    }
    let evaluate = started.elapsed();
    let hit_count = hits.len();
    let started = Instant::now();
    let mut fired = 0;
    for (i, hit) in hits.into_iter().enumerate() {
        fired += usize::from(engine.observe(hit, i as u64).is_some());
    }
    let engine_time = started.elapsed();

    let per = |d: Duration| d.as_nanos() as f64 / N as f64 / 1000.0;
    let rules_us = per(evaluate) + per(engine_time);
    println!(
        "{N} events, 100 rules: parse+encode {:.2} µs/event; rules {:.2} µs/event ({:.2} evaluate + {:.2} engine; {hit_count} hits, {fired} fired, {} eval errors) = {:.0} % of parse+encode, {:.0} % of the 11.6 µs/event full pipeline (bench/RESULTS.md)",
        per(parse),
        rules_us,
        per(evaluate),
        per(engine_time),
        rule_set.eval_errors.load(std::sync::atomic::Ordering::Relaxed),
        100.0 * rules_us / per(parse),
        100.0 * rules_us / 11.6,
    );
}
