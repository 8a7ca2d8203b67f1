//! Delivery to Google Cloud Logging, against the local emulator (which
//! checks every request and verifies the JWT's RS256 signature): nothing is
//! lost or repeated through 500s and 429s, refused entries are exactly the
//! dead-lettered ones, and the metadata-server token works and is renewed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::gcp_emulator::{service_account_key, Fault, GcpEmulator};
use crate::support::*;

const SEED: u64 = 33;

/// A config tailing `logs/*.log` into a `gcp_logging` sink; `auth` is the
/// `credentials = …` or `metadata_endpoint = …` line. One request at a
/// time: the emulator answers on one thread, so overlapping requests would
/// outlast the short request_timeout and be sent again (at-least-once),
/// which the exactly-once checks here do not allow. The driver's
/// concurrency is tested in `sink_driver`.
fn config(ws: &Workspace, emulator: &GcpEmulator, auth: &str) -> std::path::PathBuf {
    ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "test-host"
[journal]
batch_interval = "5ms"
[sources.app]
type = "file"
include = ["{logs}/*.log"]
poll_interval = "50ms"
[sinks.gcp]
type = "gcp_logging"
project_id = "test-project"
log_id = "audit"
endpoint = "{url}"
request_timeout = "20s"
concurrency = 1
{auth}
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
        url = emulator.url(),
    ))
}

fn key_auth(ws: &Workspace, emulator: &GcpEmulator) -> String {
    let key = service_account_key(ws.root.path(), emulator);
    format!("credentials = \"{}\"", key.display())
}

fn seqs(events: &[Value]) -> BTreeSet<u64> {
    events
        .iter()
        .filter_map(|e| e["details"]["seq"].as_u64())
        .collect()
}

/// Every event arrived exactly once.
fn assert_exactly_once(emulator: &GcpEmulator, n: u64) {
    let events = emulator.events();
    let counts = count_by_seq(&events);
    assert_eq!(counts.len() as u64, n, "distinct events");
    assert!(counts.values().all(|c| *c == 1), "an event arrived twice");
    assert_eq!(events.len() as u64, n);
}

#[test]
fn fifty_thousand_events_arrive_exactly_once_with_a_service_account_key() {
    const N: u64 = 50_000;
    let emulator = GcpEmulator::start();
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let auth = key_auth(&ws, &emulator);
    let agent = Agent::start(&ws, &config(&ws, &emulator, &auth));
    assert!(
        wait_until(Duration::from_secs(100), || emulator.entry_count() as u64
            >= N),
        "{} entries arrived; log:\n{}",
        emulator.entry_count(),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_exactly_once(&emulator, N);
    assert!(
        emulator.violations().is_empty(),
        "{:?}",
        emulator.violations()
    );
    assert!(
        emulator.key_tokens() >= 1,
        "a token was obtained with a verified JWT"
    );
    assert_eq!(emulator.key_tokens(), 1, "the token is cached");
    assert_eq!(
        emulator.log_names().into_iter().collect::<Vec<_>>(),
        ["projects/test-project/logs/audit"]
    );
    let resource = emulator.last_resource().unwrap();
    assert_eq!(resource["type"], "generic_node");
    assert_eq!(resource["labels"]["node_id"], "test-host");
    assert_eq!(resource["labels"]["location"], "global");
    assert_eq!(resource["labels"]["namespace"], "auditship");
    for entry in emulator.entries().iter().take(200) {
        let event = &entry["jsonPayload"];
        assert_eq!(entry["insertId"], event["id"]);
        assert_eq!(entry["timestamp"], event["time"]);
        let severity = event["severity"].as_str().unwrap().to_ascii_uppercase();
        assert_eq!(entry["severity"], severity.as_str());
        assert_eq!(entry["labels"]["action"], event["action"]);
        assert_eq!(entry["labels"]["tenant"], event["tenant"]["id"]);
        assert_eq!(entry["labels"]["project"], event["project"]["id"]);
        assert!(event["agent"]["seq"].is_u64());
    }
}

#[test]
fn server_errors_then_resource_exhausted_lose_and_repeat_nothing() {
    const N: u64 = 4_000;
    let emulator = GcpEmulator::start();
    emulator.set_fault(Fault::StatusFor(500, Duration::from_secs(600)));
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    append_lines(&path, SEED, 0..N / 2);
    let auth = key_auth(&ws, &emulator);
    let agent = Agent::start(&ws, &config(&ws, &emulator, &auth));
    assert!(
        wait_until(Duration::from_secs(30), || emulator.writes() >= 3),
        "retried while failing; log:\n{}",
        agent.log()
    );
    assert_eq!(emulator.entry_count(), 0);
    emulator.set_fault(Fault::None);
    assert!(
        wait_until(Duration::from_secs(30), || emulator.entry_count() as u64
            >= N / 2),
        "log:\n{}",
        agent.log()
    );
    emulator.set_fault(Fault::ResourceExhausted(4));
    let writes_before = emulator.writes();
    append_lines(&path, SEED, N / 2..N);
    assert!(
        wait_until(Duration::from_secs(40), || emulator.entry_count() as u64
            >= N),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert!(emulator.writes() >= writes_before + 5, "429s were retried");
    assert_exactly_once(&emulator, N);
    assert!(
        emulator.violations().is_empty(),
        "{:?}",
        emulator.violations()
    );
}

#[test]
fn entries_the_api_refuses_are_exactly_the_dead_lettered_ones() {
    const N: u64 = 3_000;
    let emulator = GcpEmulator::start();
    emulator.set_fault(Fault::RejectEntries(Arc::new(|event: &Value| {
        event["details"]["seq"]
            .as_u64()
            .is_some_and(|s| s % 10 == 3)
    })));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let auth = key_auth(&ws, &emulator);
    let agent = Agent::start(&ws, &config(&ws, &emulator, &auth));
    let dead_dir = ws.data_dir().join("dead");
    let done = || emulator.entry_count() + emulator.rejected_count() >= N as usize;
    assert!(
        wait_until(Duration::from_secs(40), done),
        "log:\n{}",
        agent.log()
    );
    let expected_dead = (0..N).filter(|s| s % 10 == 3).count();
    assert!(wait_until(Duration::from_secs(10), || read_ndjson_dir(
        &dead_dir
    )
    .len()
        >= expected_dead));
    assert_eq!(agent.stop(), 0);
    let dead = read_ndjson_dir(&dead_dir);
    assert!(dead
        .iter()
        .all(|d| d["status"] == 400 && d["sink"] == "gcp"));
    assert!(dead.iter().all(|d| d["response"]
        .as_str()
        .unwrap()
        .starts_with("INVALID_ARGUMENT")));
    let dead_events: Vec<Value> = dead.iter().map(|d| d["event"].clone()).collect();
    let expected: BTreeSet<u64> = (0..N).filter(|s| s % 10 == 3).collect();
    assert_eq!(seqs(&dead_events), expected);
    assert_eq!(dead_events.len(), expected.len());
    assert_eq!(seqs(&emulator.rejected_events()), expected);
    let delivered = seqs(&emulator.events());
    assert_eq!(delivered.len() as u64, N - expected.len() as u64);
    assert!(delivered.is_disjoint(&expected));
    assert_eq!(emulator.events().len(), delivered.len(), "no duplicates");
}

#[test]
fn the_metadata_server_token_is_used_and_renewed_after_a_401() {
    const N: u64 = 2_000;
    let emulator = GcpEmulator::start();
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    append_lines(&path, SEED, 0..N / 2);
    let auth = format!("metadata_endpoint = \"{}\"", emulator.url());
    let agent = Agent::start(&ws, &config(&ws, &emulator, &auth));
    assert!(
        wait_until(Duration::from_secs(30), || emulator.entry_count() as u64
            >= N / 2),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(emulator.metadata_tokens(), 1);
    emulator.set_fault(Fault::ExpireTokens);
    append_lines(&path, SEED, N / 2..N);
    assert!(
        wait_until(Duration::from_secs(30), || emulator.entry_count() as u64
            >= N),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_eq!(emulator.metadata_tokens(), 2, "a new token after the 401");
    assert_eq!(emulator.key_tokens(), 0);
    assert_exactly_once(&emulator, N);
    assert!(
        emulator.violations().is_empty(),
        "{:?}",
        emulator.violations()
    );
}
