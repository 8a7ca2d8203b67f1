//! Throughput of three components on their own, to tell which one a slow
//! pipeline run is waiting for (the whole pipeline is `bench/run`):
//!
//!   cargo bench --bench components               # all three
//!   cargo bench --bench components -- journal    # or tailer, alerts
//!
//! - `journal`: 4 tasks append 250,000 records of 600 bytes (1,000 per
//!   append) with group commit (`fsync = "batch"`, 10 ms) into a temp dir:
//!   records/s, MB/s and fsyncs — the ceiling of any source.
//! - `tailer`: the file tailer frames 500,000 lines of 500 bytes from one
//!   file into line batches, acknowledging each: lines/s.
//! - `alerts`: 100 rules (40 equality, 30 thresholds, 20 regexes narrowed
//!   by action, 10 regexes on every event) over 200,000 parsed gen-audit
//!   events: µs per event for rule evaluation and for the engine, beside
//!   parse + encode on the same thread.

#[path = "../tests/support/gen_audit.rs"]
mod gen_audit;

use std::hint::black_box;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auditship::alerts::engine::AlertEngine;
use auditship::alerts::RuleSet;
use auditship::config::{AlertConfig, FormatConfig, ThresholdConfig};
use auditship::event::{OriginKind, Severity};
use auditship::formats::{EntryContext, Parser};
use auditship::journal::{Journal, JournalOptions};
use auditship::pipeline::encoded_event::EncodedEvent;
use auditship::shutdown;
use auditship::sources::file::{FileTailer, TailerOptions};
use chrono::Utc;

fn main() {
    // `cargo bench` passes `--bench`; the rest are ours.
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wants = |name: &str| picked.is_empty() || picked.iter().any(|p| p == name);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    if wants("journal") {
        runtime.block_on(journal_append());
    }
    if wants("tailer") {
        runtime.block_on(tailer_framing());
    }
    if wants("alerts") {
        alert_rules();
    }
}

async fn journal_append() {
    const TASKS: usize = 4;
    const APPENDS: usize = 62;
    const PER_APPEND: usize = 1_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let options = JournalOptions {
        max_bytes: 8 << 30,
        segment_bytes: Some(128 << 20),
        ..JournalOptions::default()
    };
    let (journal, _) = Journal::open(&dir.path().join("j"), &dir.path().join("q"), options)
        .expect("journal opens");
    let payload: Arc<[u8]> = Arc::from(vec![b'x'; 600]);
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let journal = journal.clone();
            let payload = payload.clone();
            tokio::spawn(async move {
                for _ in 0..APPENDS {
                    let payload = payload.clone();
                    journal
                        .append(Box::new(move |w| {
                            for _ in 0..PER_APPEND {
                                w.push(&payload);
                            }
                        }))
                        .await
                        .expect("append");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("append task");
    }
    let elapsed = started.elapsed();
    let stats = journal.stats();
    let records = (TASKS * APPENDS * PER_APPEND) as f64;
    println!(
        "journal: {records:.0} records of 600 bytes in {elapsed:.2?}: {:.0} records/s, {:.0} MB/s, {} fsyncs",
        records / elapsed.as_secs_f64(),
        stats.bytes as f64 / elapsed.as_secs_f64() / 1e6,
        stats.fsyncs
    );
    journal.close().await;
}

async fn tailer_framing() {
    const LINES: usize = 500_000;
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let file = std::fs::File::create(dir.path().join("big.log")).expect("create");
        let mut file = std::io::BufWriter::new(file);
        let pad = "p".repeat(489);
        for i in 0..LINES {
            writeln!(file, "{i:010} {pad}").expect("write");
        }
    }
    let options = TailerOptions {
        include: vec![format!("{}/*.log", dir.path().display())],
        checkpoint_interval: Duration::from_secs(1),
        ..TailerOptions::default()
    };
    let (tailer, checkpoints) =
        FileTailer::new("bench", options, dir.path().join("cp.json")).expect("tailer starts");
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let (trigger, stop) = shutdown::channel();
    let started = Instant::now();
    let task = tokio::spawn(tailer.run(tx, stop));
    let mut lines = 0usize;
    while lines < LINES {
        let batch = rx.recv().await.expect("the tailer sends every line");
        lines += batch.lines.len();
        checkpoints.ack(&batch.file, batch.end_offset);
    }
    let elapsed = started.elapsed();
    trigger.fire();
    task.await
        .expect("tailer task")
        .expect("tailer ends cleanly");
    println!(
        "tailer: {lines} lines of 500 bytes in {elapsed:.2?}: {:.0} lines/s",
        lines as f64 / elapsed.as_secs_f64()
    );
}

fn alert_rules() {
    const N: u64 = 200_000;
    let lines: Vec<String> = (0..N).map(|seq| gen_audit::json_line(7, seq)).collect();
    let parser =
        Parser::from_config(&FormatConfig::Json { map: vec![] }, false).expect("json parser");
    let ctx = EntryContext {
        origin_kind: OriginKind::File,
        path: Some("/var/log/app/audit.log"),
        offset: Some(0),
        position_key: "0000000000000001",
        host: "bench",
        ingest_time: Utc::now(),
    };
    let configs = rules();
    let rule_set = RuleSet::compile(&configs).expect("rules compile");
    let mut engine = AlertEngine::new(&configs, "bench");
    let source: Arc<str> = Arc::from("app");

    let mut parsed = Vec::new();
    let mut events = Vec::with_capacity(N as usize);
    let started = Instant::now();
    for line in &lines {
        parser.parse_into(line.as_bytes(), &ctx, &mut parsed);
        for event in parsed.drain(..) {
            black_box(EncodedEvent::encode(&event));
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
        "alerts: {N} events, 100 rules: parse+encode {:.2} µs/event; rules {rules_us:.2} µs/event ({:.2} evaluate + {:.2} engine; {hit_count} hits, {fired} fired, {} eval errors) = {:.0} % of parse+encode",
        per(parse),
        per(evaluate),
        per(engine_time),
        rule_set
            .eval_errors
            .load(std::sync::atomic::Ordering::Relaxed),
        100.0 * rules_us / per(parse),
    );
}

/// The 100 rules: 40 equality, 30 thresholds grouped by actor, 20 regexes
/// narrowed by action, 10 regexes the action index cannot skip.
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
