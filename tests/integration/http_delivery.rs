//! Delivery to an HTTP destination that fails: down for a while, hanging,
//! refusing for good. Nothing is lost, other sinks are not held back, and
//! what is refused for good is kept in the dead-letter file.

use std::time::Duration;

use crate::http_receiver::{HttpReceiver, Mode};
use crate::support::*;

const SEED: u64 = 21;

fn config_with_http(ws: &Workspace, url: &str, extra_sink: &str) -> std::path::PathBuf {
    ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "test-host"
[journal]
batch_interval = "5ms"
[sources.app]
type = "file"
include = ["{logs}/*.log"]
poll_interval = "50ms"
[sinks.central]
type = "http"
uri = "{url}/v1/audit"
request_timeout = "1s"
headers = {{ Authorization = "Bearer test-token" }}
{extra_sink}
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
    ))
}

#[test]
fn a_destination_answering_503_for_30_seconds_gets_everything_once_it_recovers() {
    const N: u64 = 5_000;
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::StatusFor(503, Duration::from_secs(30)));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    // A generous request timeout: a request that times out on a loaded
    // machine after the receiver stored it would be a legitimate duplicate.
    let config = config_with_http(&ws, &receiver.url(), "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("request_timeout = \"1s\"", "request_timeout = \"20s\"");
    std::fs::write(&config, text).unwrap();
    let agent = Agent::start(&ws, &config);
    std::thread::sleep(Duration::from_secs(5));
    assert!(receiver.events().is_empty());
    assert!(receiver.requests() >= 2, "retried while failing");
    assert!(
        wait_until(Duration::from_secs(120), || receiver.events().len() as u64
            >= N),
        "{} events arrived; log:\n{}",
        receiver.events().len(),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = receiver.events();
    assert_eq!(count_by_seq(&events).len() as u64, N);
    assert_eq!(
        events.len() as u64,
        N,
        "503 answers must not cause duplicates"
    );
    let request = receiver.last_request().unwrap();
    assert_eq!(request.header("authorization"), Some("Bearer test-token"));
}

#[test]
fn a_hanging_destination_times_out_and_retries_without_holding_back_other_sinks() {
    const N: u64 = 2_000;
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Hang);
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let file_sink = format!(
        "[sinks.archive]\ntype = \"file\"\npath = \"{}/events.ndjson\"\n",
        ws.out_dir().display()
    );
    let agent = Agent::start(&ws, &config_with_http(&ws, &receiver.url(), &file_sink));
    assert!(
        wait_until(Duration::from_secs(60), || ws.output_line_count() as u64
            >= N),
        "the file sink was held back; log:\n{}",
        agent.log()
    );
    assert!(
        wait_until(Duration::from_secs(20), || receiver.requests() >= 2),
        "the hanging request was not timed out and retried; log:\n{}",
        agent.log()
    );
    receiver.set_mode(Mode::Ok);
    assert!(
        wait_until(Duration::from_secs(90), || receiver.events().len() as u64
            >= N),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_eq!(count_by_seq(&receiver.events()).len() as u64, N);
}

#[test]
fn a_batch_refused_for_good_goes_to_the_dead_letter_file_and_delivery_moves_on() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Status(400));
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    append_lines(&path, SEED, 0..100);
    let agent = Agent::start(&ws, &config_with_http(&ws, &receiver.url(), ""));
    let dead_dir = ws.data_dir().join("dead");
    assert!(
        wait_until(Duration::from_secs(30), || read_ndjson_dir(&dead_dir).len()
            >= 100),
        "log:\n{}",
        agent.log()
    );
    receiver.set_mode(Mode::Ok);
    append_lines(&path, SEED, 100..150);
    assert!(
        wait_until(Duration::from_secs(30), || receiver.events().len() >= 50),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let dead = read_ndjson_dir(&dead_dir);
    assert_eq!(dead.len(), 100);
    assert!(dead
        .iter()
        .all(|d| d["status"] == 400 && d["sink"] == "central"));
    let dead_events: Vec<serde_json::Value> = dead.iter().map(|d| d["event"].clone()).collect();
    assert_eq!(count_by_seq(&dead_events).len(), 100);
    let delivered = count_by_seq(&receiver.events());
    assert!((100..150).all(|s| delivered.contains_key(&s)));
}

#[test]
fn only_the_events_the_destination_refuses_are_dead_lettered() {
    const N: u64 = 400;
    let receiver = HttpReceiver::start();
    let bad = |seq: u64| seq % 50 == 7;
    receiver.set_mode(Mode::RejectEventsMatching(std::sync::Arc::new(
        move |event: &serde_json::Value| event["details"]["seq"].as_u64().is_some_and(bad),
    )));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let agent = Agent::start(&ws, &config_with_http(&ws, &receiver.url(), ""));
    let expected_bad = (0..N).filter(|&s| bad(s)).count();
    assert!(
        wait_until(Duration::from_secs(60), || {
            receiver.events().len() + read_ndjson_dir(&ws.data_dir().join("dead")).len()
                >= N as usize
        }),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let dead = read_ndjson_dir(&ws.data_dir().join("dead"));
    let dead_events: Vec<serde_json::Value> = dead.iter().map(|d| d["event"].clone()).collect();
    let dead_seqs = count_by_seq(&dead_events);
    assert_eq!(dead_seqs.len(), expected_bad, "{dead_seqs:?}");
    assert!(dead_seqs.keys().all(|&s| bad(s)));
    let delivered = count_by_seq(&receiver.events());
    assert_eq!(delivered.len(), N as usize - expected_bad);
    assert!(delivered.keys().all(|&s| !bad(s)));
}

#[test]
fn sigterm_with_a_hanging_destination_exits_within_shutdown_timeout_and_keeps_the_rest() {
    const N: u64 = 500;
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Hang);
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let text = std::fs::read_to_string(config_with_http(&ws, &receiver.url(), "")).unwrap();
    let config = ws.write_config(&format!(
        "shutdown_timeout = \"1s\"\n{}",
        text.replace("request_timeout = \"1s\"", "request_timeout = \"60s\"")
    ));
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(30), || receiver.requests() >= 1),
        "log:\n{}",
        agent.log()
    );
    let stopping = std::time::Instant::now();
    assert_eq!(agent.stop(), 0);
    let took = stopping.elapsed();
    // 1 s of budget plus slack for a loaded machine; without the budget
    // the hanging 60 s request would hold the exit for the sinks' whole
    // drain (5 s before `shutdown_timeout` existed).
    assert!(took < Duration::from_millis(4500), "stop took {took:?}");

    receiver.set_mode(Mode::Ok);
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(
            Duration::from_secs(60),
            || count_by_seq(&receiver.events()).len() as u64 >= N
        ),
        "what was not delivered before the stop stayed in the journal; log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
}
