//! The `datadog_logs` sink against the Datadog emulator: every event
//! arrives exactly once within Datadog's limits, server errors and
//! throttling lose nothing, bad credentials are retried (never
//! dead-lettered), a refused request is dead-lettered and delivery moves on.

use std::time::Duration;

use crate::datadog_emulator::{DatadogEmulator, Mode};
use crate::support::*;

const SEED: u64 = 33;
const KEY: &str = "0123456789abcdef0123456789abcdef";

fn config(ws: &Workspace, endpoint: &str, api_key: &str, extra: &str) -> std::path::PathBuf {
    ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "test-host"
[journal]
batch_interval = "5ms"
[sources.app]
type = "file"
include = ["{logs}/*.log"]
poll_interval = "50ms"
[sinks.datadog]
type = "datadog_logs"
api_key = "{api_key}"
endpoint = "{endpoint}"
service = "audit-test"
tags = ["env:test"]
request_timeout = "20s"
{extra}
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
    ))
}

fn wait_for_logs(emulator: &DatadogEmulator, agent: &Agent, n: usize, secs: u64) {
    assert!(
        wait_until(Duration::from_secs(secs), || emulator.log_count() >= n),
        "{} of {n} logs arrived; log:\n{}",
        emulator.log_count(),
        agent.log()
    );
}

fn assert_each_seq_once(emulator: &DatadogEmulator, n: u64) {
    let logs = emulator.logs();
    let counts = count_by_seq(&logs);
    assert_eq!(counts.len() as u64, n, "distinct events");
    // Only a request timed out after the emulator took it could repeat
    // events (at-least-once); request_timeout is long enough not to.
    assert!(counts.values().all(|&c| c == 1), "an event arrived twice");
    assert_eq!(logs.len() as u64, n);
    assert_eq!(
        emulator.dropped_too_old(),
        0,
        "late events must be re-timed"
    );
    assert_eq!(emulator.vendor_truncated(), 0);
}

#[test]
fn fifty_thousand_events_arrive_exactly_once_in_requests_within_datadogs_limits() {
    const N: u64 = 50_000;
    let emulator = DatadogEmulator::start(KEY);
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    // Batches larger than Datadog's limits: the sink must split them.
    let extra = "compression = \"none\"\nbatch = { max_events = 5000, max_bytes = \"16MiB\" }";
    let agent = Agent::start(&ws, &config(&ws, &emulator.url(), KEY, extra));
    wait_for_logs(&emulator, &agent, N as usize, 120);
    assert_eq!(agent.stop(), 0);
    assert_each_seq_once(&emulator, N);
    let (entries, bytes) = emulator.largest_request();
    assert!(entries <= 1000 && bytes <= 5_000_000, "{entries} {bytes}");
    let request = emulator.last_request().unwrap();
    assert_eq!(request.header("dd-api-key"), Some(KEY));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let log = &emulator.logs()[0];
    assert_eq!(log["ddsource"], "auditship");
    assert_eq!(log["service"], "audit-test");
    assert_eq!(log["hostname"], "test-host");
    assert!(log["ddtags"].as_str().unwrap().starts_with("env:test,"));
    // The generator's times are in March 2026: late by now, kept.
    assert!(log["audit"]["original_time"].is_string());
    assert!(agent_log_mentions(&ws, "18-hour window"));
}

fn agent_log_mentions(ws: &Workspace, text: &str) -> bool {
    std::fs::read_dir(ws.root.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("agent-"))
        .any(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .contains(text)
        })
}

#[test]
fn server_errors_then_recovery_lose_nothing_and_repeat_nothing() {
    const N: u64 = 5_000;
    let emulator = DatadogEmulator::start(KEY);
    // Counted, not timed: a slow start under a loaded test run still sees them.
    emulator.set_mode(Mode::StatusTimes {
        status: 500,
        count: 5,
        retry_after: None,
    });
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let agent = Agent::start(&ws, &config(&ws, &emulator.url(), KEY, ""));
    wait_for_logs(&emulator, &agent, N as usize, 60);
    assert_eq!(agent.stop(), 0);
    assert_eq!(emulator.answered(500), 5, "retried while failing");
    assert_each_seq_once(&emulator, N);
    assert_eq!(
        emulator.last_request().unwrap().header("content-encoding"),
        Some("gzip")
    );
}

#[test]
fn throttling_with_and_without_retry_after_loses_nothing() {
    const N: u64 = 3_000;
    let emulator = DatadogEmulator::start(KEY);
    emulator.set_mode(Mode::StatusTimes {
        status: 429,
        count: 3,
        retry_after: Some("1".into()),
    });
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    append_lines(&path, SEED, 0..N / 2);
    let agent = Agent::start(&ws, &config(&ws, &emulator.url(), KEY, ""));
    wait_for_logs(&emulator, &agent, (N / 2) as usize, 40);
    emulator.set_mode(Mode::StatusTimes {
        status: 429,
        count: 3,
        retry_after: None,
    });
    append_lines(&path, SEED, N / 2..N);
    wait_for_logs(&emulator, &agent, N as usize, 40);
    assert_eq!(agent.stop(), 0);
    assert_eq!(emulator.answered(429), 6);
    assert_each_seq_once(&emulator, N);
}

#[test]
fn rejected_credentials_are_retried_not_dead_lettered() {
    const N: u64 = 500;
    let emulator = DatadogEmulator::start(KEY);
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let agent = Agent::start(&ws, &config(&ws, &emulator.url(), "expired-key", ""));
    assert!(
        wait_until(Duration::from_secs(30), || emulator.answered(403) >= 3),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(emulator.log_count(), 0);
    assert!(read_ndjson_dir(&ws.data_dir().join("dead")).is_empty());
    // The key becomes valid (say, re-enabled in Datadog): delivery resumes.
    emulator.set_api_key("expired-key");
    wait_for_logs(&emulator, &agent, N as usize, 60);
    assert!(agent.log().contains("Credentials rejected"));
    assert!(
        !agent.log().contains("expired-key"),
        "the key is never logged"
    );
    assert_eq!(agent.stop(), 0);
    assert_each_seq_once(&emulator, N);
}

#[test]
fn only_the_log_datadog_refuses_is_dead_lettered_and_delivery_moves_on() {
    let emulator = DatadogEmulator::start(KEY);
    emulator.set_mode(Mode::RejectLogsMatching(std::sync::Arc::new(|log| {
        log["details"]["seq"] == 7
    })));
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    append_lines(&path, SEED, 0..100);
    let agent = Agent::start(&ws, &config(&ws, &emulator.url(), KEY, ""));
    let dead_dir = ws.data_dir().join("dead");
    assert!(
        wait_until(Duration::from_secs(30), || !read_ndjson_dir(&dead_dir)
            .is_empty()),
        "log:\n{}",
        agent.log()
    );
    append_lines(&path, SEED, 100..150);
    wait_for_logs(&emulator, &agent, 149, 30);
    assert_eq!(agent.stop(), 0);
    let dead = read_ndjson_dir(&dead_dir);
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["status"], 400);
    assert_eq!(dead[0]["sink"], "datadog");
    assert_eq!(dead[0]["event"]["details"]["seq"], 7);
    let delivered = count_by_seq(&emulator.logs());
    assert!((0..150)
        .filter(|&s| s != 7)
        .all(|s| delivered.contains_key(&s)));
    assert!(!delivered.contains_key(&7));
}

/// The sink driven directly (no agent): a batch split into three requests
/// whose second fails is resumed, not resent, when the runner retries it.
#[test]
fn a_batch_failing_in_its_second_request_is_resumed_without_duplicates() {
    use auditship::config::{Compression, DatadogLogsSinkConfig, Secret, TlsConfig};
    use auditship::sinks::{DatadogLogsSink, DeliveryError};
    let emulator = DatadogEmulator::start(KEY);
    emulator.set_mode(Mode::StatusAfter { ok: 1, status: 503 });
    let config = DatadogLogsSinkConfig {
        site: "datadoghq.com".into(),
        api_key: Secret::new(KEY),
        service: None,
        tags: vec![],
        endpoint: Some(emulator.url()),
        compression: Compression::Gzip,
        request_timeout: Duration::from_secs(5),
        tls: TlsConfig::default(),
    };
    let now = chrono::Utc::now().to_rfc3339();
    let lines: Vec<Vec<u8>> = (0..2500u64)
        .map(|seq| {
            serde_json::json!({
                "time": now, "action": "user.login", "outcome": "success",
                "severity": "info", "actor": {"type": "user", "id": "u"},
                "details": {"seq": seq}, "agent": {"host": "h", "seq": seq + 1},
            })
            .to_string()
            .into_bytes()
        })
        .collect();
    let batch: Vec<&[u8]> = lines.iter().map(|l| l.as_slice()).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let mut sink = DatadogLogsSink::new(&config).unwrap();
        let first = sink.send(&batch).await;
        assert!(
            matches!(first, Err(DeliveryError::Retryable { .. })),
            "{first:?}"
        );
        assert_eq!(emulator.log_count(), 1000);
        sink.send(&batch).await.unwrap();
    });
    assert_eq!(
        emulator.requests(),
        4,
        "1 accepted, 1 failed, 2 for the rest"
    );
    assert_each_seq_once(&emulator, 2500);
}
