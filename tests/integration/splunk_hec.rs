//! Delivery to Splunk's HTTP Event Collector (the local emulator): every
//! event exactly once as a HEC envelope, nothing lost while the collector
//! is busy, the cursor held until indexer acknowledgement, a bad token
//! retried rather than dead-lettered.

use std::time::Duration;

use crate::splunk_emulator::{AckMode, Fault, SplunkEmulator, TOKEN};
use crate::support::*;

const SEED: u64 = 33;

// One request at a time, and a generous request_timeout: the emulator
// answers on one thread, and a request that times out on a loaded machine
// after the emulator stored it is sent again (at-least-once, a legitimate
// duplicate), which the exactly-once checks here do not allow. The
// driver's concurrency and timeouts are tested in `sink_driver` and
// `http_delivery`.
fn config_with_splunk(ws: &Workspace, url: &str, sink_extra: &str) -> std::path::PathBuf {
    ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "test-host"
[journal]
batch_interval = "5ms"
[sources.app]
type = "file"
include = ["{logs}/*.log"]
poll_interval = "50ms"
[sinks.splunk]
type = "splunk_hec"
endpoint = "{url}"
request_timeout = "20s"
concurrency = 1
{sink_extra}
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
    ))
}

fn token_line() -> String {
    format!("token = \"{TOKEN}\"")
}

/// (position, backlog) of the `splunk` sink in `auditship status`.
fn sink_status(config: &std::path::Path) -> String {
    let (code, stdout, err) = run_cli(&["status", "-c", config.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}");
    stdout
        .lines()
        .find(|l| l.starts_with("splunk "))
        .unwrap_or_default()
        .to_string()
}

fn backlog(config: &std::path::Path) -> Option<u64> {
    let line = sink_status(config);
    // SINK POSITION BACKLOG BYTES [AGE]; POSITION may be "never ran".
    let fields: Vec<&str> = line.split_whitespace().collect();
    let at = if fields.get(1) == Some(&"never") {
        3
    } else {
        2
    };
    fields.get(at)?.parse().ok()
}

#[test]
fn fifty_thousand_events_arrive_exactly_once_as_hec_envelopes() {
    const N: u64 = 50_000;
    let splunk = SplunkEmulator::start();
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let config = config_with_splunk(
        &ws,
        &splunk.url(),
        &format!("{}\nindex = \"audit\"", token_line()),
    );
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(180), || splunk.event_count() as u64
            >= N),
        "{} events arrived; log:\n{}",
        splunk.event_count(),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = splunk.events();
    assert_eq!(count_by_seq(&events).len() as u64, N);
    assert_eq!(events.len() as u64, N, "no duplicates");
    assert!(splunk.answers().iter().all(|a| *a == (200, 0)));
    let envelope = &splunk.envelopes()[0];
    assert_eq!(envelope["source"], "auditship");
    assert_eq!(envelope["sourcetype"], "auditship:audit");
    assert_eq!(envelope["index"], "audit");
    assert_eq!(envelope["host"], "test-host");
    let time = envelope["time"].as_f64().unwrap();
    let event_time =
        chrono::DateTime::parse_from_rfc3339(envelope["event"]["time"].as_str().unwrap()).unwrap();
    assert!((time - event_time.timestamp_millis() as f64 / 1000.0).abs() < 0.0005);
    assert_eq!(
        splunk.last_header("authorization"),
        Some(format!("Splunk {TOKEN}"))
    );
    assert_eq!(
        splunk.last_header("content-encoding").as_deref(),
        Some("gzip")
    );
    assert!(
        splunk.event_requests() >= N / 1000,
        "one request per batch at least"
    );
}

#[test]
fn batches_are_split_below_max_request_bytes() {
    const N: u64 = 2_000;
    let splunk = SplunkEmulator::start();
    splunk.set_max_content_length(8 * 1024);
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let extra = format!(
        "{}\nmax_request_bytes = \"8KiB\"\ncompression = \"none\"",
        token_line()
    );
    let agent = Agent::start(&ws, &config_with_splunk(&ws, &splunk.url(), &extra));
    assert!(
        wait_until(Duration::from_secs(120), || splunk.event_count() as u64
            >= N),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_eq!(splunk.events().len() as u64, N);
    assert_eq!(count_by_seq(&splunk.events()).len() as u64, N);
    assert!(splunk.answers().iter().all(|a| a.0 == 200), "no 413");
    assert!(splunk.event_requests() >= 100);
    assert_eq!(splunk.last_header("content-encoding"), None);
}

#[test]
fn a_collector_busy_with_503_gets_everything_once_it_recovers() {
    const N: u64 = 5_000;
    let splunk = SplunkEmulator::start();
    splunk.set_fault(Fault::StatusFor(503, Duration::from_secs(8)));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let agent = Agent::start(&ws, &config_with_splunk(&ws, &splunk.url(), &token_line()));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(splunk.event_count(), 0);
    assert!(splunk.event_requests() >= 2, "retried while busy");
    assert!(
        wait_until(Duration::from_secs(120), || splunk.event_count() as u64
            >= N),
        "{} events arrived; log:\n{}",
        splunk.event_count(),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = splunk.events();
    assert_eq!(count_by_seq(&events).len() as u64, N);
    assert_eq!(
        events.len() as u64,
        N,
        "503 answers must not cause duplicates"
    );
    assert!(splunk.answers().iter().any(|a| a.0 == 503));
}

#[test]
fn with_ack_the_cursor_waits_for_indexer_acknowledgement() {
    const N: u64 = 2_000;
    let splunk = SplunkEmulator::start();
    splunk.set_ack_enabled(true);
    splunk.set_ack_mode(AckMode::Withheld);
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let extra = format!("{}\nack = true\nack_timeout = \"3s\"", token_line());
    let config = config_with_splunk(&ws, &splunk.url(), &extra);
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(30), || splunk.event_count() >= 1),
        "log:\n{}",
        agent.log()
    );
    // Acks withheld past ack_timeout: the batch is sent again, and
    // nothing is marked delivered.
    assert!(
        wait_until(Duration::from_secs(20), || splunk.event_requests() >= 2),
        "not resent after ack_timeout; log:\n{}",
        agent.log()
    );
    assert!(splunk.ack_requests() >= 2, "acks were polled");
    assert_eq!(backlog(&config), Some(N), "{}", sink_status(&config));
    let channels = splunk.channels();
    assert_eq!(channels.len(), 1, "one channel per sink: {channels:?}");
    assert_eq!(
        splunk.last_header("x-splunk-request-channel").as_deref(),
        Some(channels[0].as_str())
    );

    splunk.set_ack_mode(AckMode::After(Duration::from_millis(200)));
    assert!(
        wait_until(Duration::from_secs(40), || backlog(&config) == Some(0)),
        "{}; log:\n{}",
        sink_status(&config),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_eq!(count_by_seq(&splunk.events()).len() as u64, N, "none lost");
}

#[test]
fn a_rejected_token_is_retried_not_dead_lettered() {
    let splunk = SplunkEmulator::start();
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..100);
    let config = config_with_splunk(&ws, &splunk.url(), "token = \"not-the-token\"");
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(20), || splunk.event_requests() >= 3),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_eq!(splunk.event_count(), 0);
    assert!(splunk.answers().iter().all(|a| *a == (403, 4)));
    assert!(read_ndjson_dir(&ws.data_dir().join("dead")).is_empty());
    assert_eq!(
        backlog(&config),
        Some(101),
        "100 events and the final checkpoint"
    );

    // With the right token, the kept events go out.
    let config = config_with_splunk(&ws, &splunk.url(), &token_line());
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(30), || splunk.event_count() >= 100),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_eq!(count_by_seq(&splunk.events()).len(), 100);
}

#[test]
fn a_batch_with_an_event_hec_refuses_goes_to_the_dead_letter_file_with_hecs_code() {
    let splunk = SplunkEmulator::start();
    splunk.set_fault(Fault::RejectEventsMatching(std::sync::Arc::new(|event| {
        event["details"]["seq"] == 5
    })));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..20);
    let agent = Agent::start(&ws, &config_with_splunk(&ws, &splunk.url(), &token_line()));
    let dead_dir = ws.data_dir().join("dead");
    assert!(
        wait_until(Duration::from_secs(30), || !read_ndjson_dir(&dead_dir)
            .is_empty()),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let dead = read_ndjson_dir(&dead_dir);
    assert!(dead
        .iter()
        .all(|d| d["status"] == 400 && d["sink"] == "splunk"));
    let reason = dead[0].to_string();
    assert!(reason.contains("HEC code 6"), "{reason}");
    assert!(splunk.answers().contains(&(400, 6)));
}
