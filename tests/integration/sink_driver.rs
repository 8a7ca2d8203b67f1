//! The shared sink driver's settings, seen from outside: `concurrency`
//! (requests overlap, the cursor is committed in order), `rate_limit`,
//! `retry` and `dead_letter = false`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http_receiver::{HttpReceiver, Mode};
use crate::support::*;

const SEED: u64 = 33;

/// One file source, one `http` sink `central` to `url` with `settings`
/// (sink keys), and `extra` tables after it.
fn config(ws: &Workspace, url: &str, settings: &str, extra: &str) -> std::path::PathBuf {
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
request_timeout = "20s"
{settings}
{extra}
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
    ))
}

fn has_seq(
    predicate: impl Fn(u64) -> bool + Send + Sync + 'static,
) -> crate::http_receiver::EventPredicate {
    Arc::new(move |event: &Value| event["details"]["seq"].as_u64().is_some_and(&predicate))
}

/// The sink's saved cursor: the next journal seq not yet acknowledged.
fn saved_cursor(ws: &Workspace, sink: &str) -> Option<u64> {
    let path = ws.data_dir().join("journal").join("cursors").join(sink);
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn sorted_seqs(events: &[Value]) -> Vec<u64> {
    let mut seqs: Vec<u64> = events
        .iter()
        .filter_map(|e| e["details"]["seq"].as_u64())
        .collect();
    seqs.sort_unstable();
    seqs
}

#[test]
fn with_concurrency_4_requests_overlap_and_every_event_arrives_exactly_once() {
    const N: u64 = 2_000;
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Delay(Duration::from_millis(300)));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let settings = "concurrency = 4\nbatch = { max_events = 100 }";
    let agent = Agent::start(&ws, &config(&ws, &receiver.url(), settings, ""));
    assert!(
        wait_until(Duration::from_secs(90), || receiver.events().len() as u64
            >= N),
        "{} events arrived; log:\n{}",
        receiver.events().len(),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert!(
        receiver.max_in_flight() >= 2,
        "at most {} request(s) were in flight at once",
        receiver.max_in_flight()
    );
    assert!(
        receiver.max_in_flight() <= 4,
        "{}",
        receiver.max_in_flight()
    );
    assert_eq!(sorted_seqs(&receiver.events()), (0..N).collect::<Vec<_>>());
}

#[test]
fn a_failing_batch_holds_the_cursor_while_later_ones_succeed_and_nothing_is_lost_after_a_kill() {
    const N: u64 = 1_000;
    const STUCK: u64 = 250;
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::StatusForEventsMatching(500, has_seq(|s| s == STUCK)));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let settings = "concurrency = 4\nbatch = { max_events = 100 }\nretry = { initial = \"50ms\", max = \"200ms\" }";
    let config = config(&ws, &receiver.url(), settings, "");
    let agent = Agent::start(&ws, &config);
    // Batches after the failing one are delivered meanwhile (the failing
    // batch is refused whole, so any later event comes from a later one)…
    assert!(
        wait_until(Duration::from_secs(60), || receiver
            .events()
            .iter()
            .any(|e| e["details"]["seq"].as_u64().is_some_and(|s| s > STUCK))),
        "no batch after the failing one was delivered; log:\n{}",
        agent.log()
    );
    // …but the cursor never passes the failing event.
    // One line, one journal record, in order: any delivered event tells
    // which journal seq the failing line got.
    let offset = receiver
        .events()
        .iter()
        .map(|e| {
            e["agent"]["seq"].as_u64().expect("agent.seq")
                - e["details"]["seq"].as_u64().expect("details.seq")
        })
        .next()
        .expect("an event was delivered");
    let stuck_journal_seq = offset + STUCK;
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let cursor = saved_cursor(&ws, "central").unwrap_or(0);
        assert!(
            cursor <= stuck_journal_seq,
            "cursor {cursor} passed the failing record {stuck_journal_seq}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    agent.kill9();
    receiver.set_mode(Mode::Ok);
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(
            Duration::from_secs(60),
            || count_by_seq(&receiver.events()).len() as u64 >= N
        ),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let delivered = count_by_seq(&receiver.events());
    assert!(
        (0..N).all(|s| delivered.contains_key(&s)),
        "an event was lost"
    );
}

/// A debug build on a busy machine ingests and sends 10,000 events in
/// about 3.5 s without a limit, so the limit is set well below that rate
/// for the lower bound to prove something.
#[test]
fn a_rate_limit_of_1000_events_per_second_spreads_10000_events_over_8_seconds_or_more() {
    const N: u64 = 10_000;
    let receiver = HttpReceiver::start();
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let settings = "rate_limit = { events_per_second = 1000 }";
    let agent = Agent::start(&ws, &config(&ws, &receiver.url(), settings, ""));
    assert!(
        wait_until(Duration::from_secs(30), || receiver.requests() > 0),
        "log:\n{}",
        agent.log()
    );
    let first_request = Instant::now();
    assert!(
        wait_until(Duration::from_secs(90), || receiver.events().len() as u64
            >= N),
        "log:\n{}",
        agent.log()
    );
    let took = first_request.elapsed();
    assert_eq!(agent.stop(), 0);
    // One batch of 1,000 at once, 9,000 more at 1,000/s: 9 s, minus polling.
    assert!(took >= Duration::from_secs(8), "took {took:?}");
    assert_eq!(count_by_seq(&receiver.events()).len() as u64, N);
}

#[test]
fn retry_initial_and_max_set_how_often_a_failing_destination_is_tried() {
    let fast = HttpReceiver::start();
    let slow = HttpReceiver::start();
    fast.set_mode(Mode::Status(503));
    slow.set_mode(Mode::Status(503));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..10);
    let slow_sink = format!(
        "[sinks.slow]\ntype = \"http\"\nuri = \"{}/v1/audit\"\nconcurrency = 1\nretry = {{ initial = \"2s\", max = \"2s\", jitter = false }}\n",
        slow.url()
    );
    let settings =
        "concurrency = 1\nretry = { initial = \"50ms\", max = \"300ms\", jitter = false }";
    let agent = Agent::start(&ws, &config(&ws, &fast.url(), settings, &slow_sink));
    assert!(
        wait_until(Duration::from_secs(30), || fast.requests() > 0
            && slow.requests() > 0),
        "log:\n{}",
        agent.log()
    );
    let (fast_before, slow_before) = (fast.requests(), slow.requests());
    std::thread::sleep(Duration::from_secs(3));
    let fast_tries = fast.requests() - fast_before;
    let slow_tries = slow.requests() - slow_before;
    assert_eq!(agent.stop(), 0);
    // 50, 100, 200, then every 300 ms: about 10 in 3 s.
    assert!(
        fast_tries >= 7,
        "only {fast_tries} retries with max = 300ms"
    );
    // Every 2 s: at most 2 in 3 s.
    assert!(
        slow_tries <= 2,
        "{slow_tries} retries with initial = max = 2s"
    );
    assert!(fast.events().is_empty() && slow.events().is_empty());
}

#[test]
fn with_dead_letter_false_refused_events_are_dropped_counted_and_delivery_moves_on() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Status(400));
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    append_lines(&path, SEED, 0..100);
    let agent = Agent::start(
        &ws,
        &config(&ws, &receiver.url(), "dead_letter = false", ""),
    );
    let dropped = |log: &str| -> u64 {
        log.lines()
            .filter(|l| l.contains("dead_letter = false"))
            .filter_map(|l| {
                l.split("events=")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .sum()
    };
    assert!(
        wait_until(Duration::from_secs(30), || dropped(&agent.log()) >= 100),
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
    let log = agent.log();
    assert_eq!(agent.stop(), 0);
    assert_eq!(dropped(&log), 100, "log:\n{log}");
    assert!(
        read_ndjson_dir(&ws.data_dir().join("dead")).is_empty(),
        "nothing is dead-lettered with dead_letter = false"
    );
    assert_eq!(
        sorted_seqs(&receiver.events()),
        (100..150).collect::<Vec<_>>()
    );
}

#[test]
fn a_batch_failing_longer_than_max_elapsed_is_dead_lettered_and_delivery_moves_on() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Status(503));
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    append_lines(&path, SEED, 0..100);
    let settings = "retry = { initial = \"50ms\", max = \"200ms\", max_elapsed = \"1s\" }";
    let agent = Agent::start(&ws, &config(&ws, &receiver.url(), settings, ""));
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
    assert!(dead.iter().all(|d| d["status"] == 0
        && d["response"]
            .as_str()
            .is_some_and(|r| r.contains("gave up after retrying"))));
    let dead_events: Vec<Value> = dead.iter().map(|d| d["event"].clone()).collect();
    assert_eq!(sorted_seqs(&dead_events), (0..100).collect::<Vec<_>>());
    assert_eq!(
        sorted_seqs(&receiver.events()),
        (100..150).collect::<Vec<_>>()
    );
}
