//! Two tiers: agent A tails a file and forwards with its `http` sink
//! (`encoding = "auditship"`) to agent B, an aggregator whose `http` source
//! journals the events and whose file sink writes them. B is killed with
//! `kill -9` mid-stream and restarted: every event arrives (at least once),
//! still carrying A's `origin` and, under `agent.hops`, A's host and seq.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::socket_support::*;
use crate::support::*;

const SEED: u64 = 11;
const TOKEN: &str = "tier-token";

/// Agent A: `logs/*.log` → http sink (auditship) → B on `port`.
fn origin_config(ws: &Workspace, port: u16) -> std::path::PathBuf {
    ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "agent-a"

[journal]
batch_interval = "5ms"

[sources.app]
type = "file"
include = ["{logs}/*.log"]
format = "json"
poll_interval = "50ms"
glob_interval = "200ms"

[sinks.up]
type = "http"
uri = "http://127.0.0.1:{port}/v1/events"
encoding = "auditship"
headers = {{ Authorization = "Bearer {TOKEN}" }}
request_timeout = "5s"
batch = {{ max_events = 250 }}
retry = {{ initial = "50ms", max = "500ms" }}
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
    ))
}

/// Agent B: http source on `port` → file sink in `out/`.
fn aggregator_config(ws: &Workspace, port: u16) -> std::path::PathBuf {
    ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "agent-b"

[journal]
batch_interval = "5ms"

[sources.tier1]
type = "http"
address = "127.0.0.1:{port}"
token = "{TOKEN}"

[sinks.out]
type = "file"
path = "{out}/events.ndjson"
"#,
        data = ws.data_dir().display(),
        out = ws.out_dir().display(),
    ))
}

/// Deliveries per origin `agent.seq` (A's journal sequence).
fn count_by_origin_seq(events: &[Value]) -> HashMap<u64, usize> {
    let mut counts = HashMap::new();
    for e in events {
        let seq = e["agent"]["hops"][0]["seq"]
            .as_u64()
            .unwrap_or_else(|| panic!("no origin hop: {e}"));
        *counts.entry(seq).or_insert(0) += 1;
    }
    counts
}

#[test]
fn aggregator_killed_mid_stream_and_restarted_receives_every_event_with_its_origin() {
    const FIRST: u64 = 20_000;
    const TOTAL: u64 = 30_000;
    let (a, b) = (Workspace::new(), Workspace::new());
    let log = a.logs().join("audit.log");
    append_lines(&log, SEED, 0..FIRST);
    let port = free_port();
    let b_config = aggregator_config(&b, port);
    let aggregator = Agent::start(&b, &b_config);
    wait_healthy(port, &aggregator);
    let started = Instant::now();
    let origin = Agent::start(&a, &origin_config(&a, port));

    assert!(
        wait_until(Duration::from_secs(60), || b.output_line_count() >= 3_000),
        "A log:\n{}\nB log:\n{}",
        origin.log(),
        aggregator.log()
    );
    aggregator.kill9();
    let at_kill = b.output_line_count() as u64;
    assert!(at_kill < FIRST, "killed too late to be mid-stream");
    // A keeps reading while B is down; its sink retries.
    append_lines(&log, SEED, FIRST..TOTAL);
    std::thread::sleep(Duration::from_millis(1500));

    let aggregator = Agent::start(&b, &b_config);
    let all_arrived = wait_until(Duration::from_secs(120), || {
        b.output_line_count() as u64 >= TOTAL
            && count_by_origin_seq(&b.output_events()).len() as u64 == TOTAL
    });
    let elapsed = started.elapsed();
    assert!(
        all_arrived,
        "{} distinct of {TOTAL} arrived; A log:\n{}\nB log:\n{}",
        count_by_origin_seq(&b.output_events()).len(),
        origin.log(),
        aggregator.log()
    );
    assert_eq!(origin.stop(), 0);
    assert_eq!(aggregator.stop(), 0);

    let events = b.output_events();
    let by_origin_seq = count_by_origin_seq(&events);
    assert_eq!(by_origin_seq.len() as u64, TOTAL, "lost events");
    // A's signed checkpoints take origin seqs too, so the events' origin
    // seqs have gaps; completeness is checked by the generator's numbers.
    let by_generator_seq = count_by_seq(&events);
    assert_eq!(by_generator_seq.len() as u64, TOTAL);
    let repeated = events.len() as u64 - TOTAL;
    eprintln!(
        "two-tier: {TOTAL} events, {repeated} repeated after kill -9 (killed at {at_kill}), {:.0} events/s including the outage",
        TOTAL as f64 / elapsed.as_secs_f64()
    );
    for e in &events {
        assert_eq!(e["agent"]["host"], "agent-b", "{e}");
        assert!(e["agent"]["seq"].as_u64().is_some(), "{e}");
        let hop = &e["agent"]["hops"][0];
        assert_eq!(hop["host"], "agent-a", "{e}");
        assert!(hop["addr"].as_str().unwrap().starts_with("127.0.0.1:"));
        assert_eq!(e["origin"]["kind"], "file", "the origin's origin is kept");
        assert_eq!(e["origin"]["path"], log.display().to_string());
        assert!(e["origin"].get("peer").is_none());
    }
    // Repeats are whole events of the same id, so stores that de-duplicate
    // by id (PostgreSQL, JetStream, Elasticsearch) hold each once.
    let mut ids: HashMap<&str, u64> = HashMap::new();
    for e in &events {
        let seq = e["agent"]["hops"][0]["seq"].as_u64().unwrap();
        let previous = ids.insert(e["id"].as_str().unwrap(), seq);
        assert!(
            previous.is_none_or(|p| p == seq),
            "one id, one origin event"
        );
    }
    assert_eq!(ids.len() as u64, TOTAL);
}
