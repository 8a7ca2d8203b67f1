//! The `elasticsearch` sink against the `_bulk` emulator: every event is
//! stored once as an ECS document, throttled items are retried alone,
//! refused items are dead-lettered alone, cluster errors and wrong
//! credentials lose nothing.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::es_emulator::{EsEmulator, Mode};
use crate::support::*;

const SEED: u64 = 41;
/// base64("auditship:s3cret-pw")
const BASIC: &str = "Basic YXVkaXRzaGlwOnMzY3JldC1wdw==";

fn config(ws: &Workspace, emulator: &EsEmulator, extra: &str) -> std::path::PathBuf {
    ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "test-host"
[journal]
batch_interval = "5ms"
[sources.app]
type = "file"
include = ["{logs}/*.log"]
poll_interval = "50ms"
[sinks.es]
type = "elasticsearch"
endpoint = "{endpoint}"
user = "auditship"
password = "s3cret-pw"
request_timeout = "20s"
retry = {{ initial = "50ms", max = "200ms" }}
{extra}
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
        endpoint = emulator.url(),
    ))
}

fn seq_of(doc: &Value) -> u64 {
    doc["auditship"]["details"]["seq"].as_u64().expect("seq")
}

fn wait_for_docs(emulator: &EsEmulator, agent: &Agent, n: usize) {
    assert!(
        wait_until(Duration::from_secs(60), || emulator.doc_count() >= n),
        "{} of {n} documents; log:\n{}",
        emulator.doc_count(),
        agent.log()
    );
}

#[test]
fn events_are_stored_once_as_ecs_documents_in_daily_indices() {
    const N: u64 = 5_000;
    let emulator = EsEmulator::start(Some(BASIC));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let agent = Agent::start(&ws, &config(&ws, &emulator, ""));
    wait_for_docs(&emulator, &agent, N as usize);
    assert_eq!(agent.stop(), 0);

    let docs = emulator.docs();
    let seqs: BTreeSet<u64> = docs.iter().map(seq_of).collect();
    assert_eq!(seqs, (0..N).collect());
    assert_eq!(docs.len() as u64, N);
    for doc in &docs {
        let id = doc["event"]["id"].as_str().unwrap();
        assert_eq!(emulator.attempts(id), 1, "sent once: {id}");
        assert!(doc["@timestamp"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-27T"));
        assert_eq!(doc["host"]["name"], "test-host");
        assert!(doc["event"]["action"].is_string());
        assert!(doc["auditship"]["agent"]["seq"].is_u64());
    }
    assert_eq!(
        emulator.last_header("content-type").unwrap(),
        "application/x-ndjson"
    );
    assert_eq!(emulator.last_header("content-encoding").unwrap(), "gzip");
    assert!(!agent_log_has(&ws, "s3cret-pw"));
}

fn agent_log_has(ws: &Workspace, needle: &str) -> bool {
    walk(ws.path("")).iter().any(|path| {
        std::fs::read(path).is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(needle))
            && !path.ends_with("auditship.toml")
    })
}

fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn throttled_items_are_retried_alone_and_refused_items_are_dead_lettered_alone() {
    const N: u64 = 3_000;
    let emulator = EsEmulator::start(Some(BASIC));
    // Checkpoints (no generated seq) are never faulted.
    let ends_in = |digit: u64| {
        move |doc: &Value| {
            doc["auditship"]["details"]["seq"]
                .as_u64()
                .is_some_and(|s| s % 10 == digit)
        }
    };
    emulator.throttle_items(Arc::new(ends_in(3)), 2);
    emulator.refuse_items(Arc::new(ends_in(7)));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let extra = "data_stream = \"logs-auditship-test\"";
    let agent = Agent::start(&ws, &config(&ws, &emulator, extra));
    let refused: BTreeSet<u64> = (0..N).filter(|s| s % 10 == 7).collect();
    let dead_dir = ws.data_dir().join("dead");
    let expected_docs = (N as usize) - refused.len();
    wait_for_docs(&emulator, &agent, expected_docs);
    assert!(
        wait_until(Duration::from_secs(20), || read_ndjson_dir(&dead_dir).len()
            >= refused.len()),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);

    let dead = read_ndjson_dir(&dead_dir);
    let dead_seqs: BTreeSet<u64> = dead
        .iter()
        .map(|d| d["event"]["details"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(dead.len(), refused.len(), "each refused event once");
    assert_eq!(dead_seqs, refused);
    assert!(dead.iter().all(|d| d["status"] == 400 && d["sink"] == "es"));
    assert!(dead.iter().all(|d| d["response"]
        .as_str()
        .unwrap()
        .contains("mapper_parsing_exception")));

    let docs = emulator.docs();
    assert_eq!(docs.len(), expected_docs, "no duplicate _id");
    for doc in &docs {
        let id = doc["event"]["id"].as_str().unwrap();
        let expected = if seq_of(doc) % 10 == 3 { 3 } else { 1 };
        assert_eq!(emulator.attempts(id), expected, "seq {}", seq_of(doc));
    }
    for d in &dead {
        let id = d["event"]["id"].as_str().unwrap();
        assert_eq!(emulator.attempts(id), 1, "a refused item is not sent again");
    }
}

#[test]
fn cluster_errors_and_wrong_credentials_lose_nothing_and_dead_letter_nothing() {
    const N: u64 = 2_000;
    let emulator = EsEmulator::start(Some("Basic d3Jvbmc6d3Jvbmc="));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let agent = Agent::start(&ws, &config(&ws, &emulator, ""));
    assert!(
        wait_until(Duration::from_secs(20), || emulator.answered(401) >= 2),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(emulator.doc_count(), 0);
    emulator.set_mode(Mode::StatusTimes {
        status: 503,
        count: 3,
    });
    emulator.set_authorization(BASIC);
    wait_for_docs(&emulator, &agent, N as usize);
    assert_eq!(agent.stop(), 0);
    assert_eq!(emulator.answered(503), 3);
    assert_eq!(emulator.doc_count() as u64, N);
    assert!(read_ndjson_dir(&ws.data_dir().join("dead")).is_empty());
    assert!(agent_log_has(&ws, "credentials"), "the 401 was reported");
}
