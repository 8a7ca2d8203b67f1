//! The `nats` sink against a real NATS JetStream (`tests/support/nats.rs`):
//! every event stored exactly once in a replicated stream through a
//! `kill -9` of the stream's leader; nothing lost or repeated when the
//! server is away for seconds; refused credentials reported clearly, and
//! the events kept until they are fixed.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::nats::{self, Nats, PASSWORD, USER};
use crate::support::*;

const SEED: u64 = 29;
const STREAM: &str = "AUDIT";

fn config(ws: &Workspace, nats: &Nats, extra: &str) -> std::path::PathBuf {
    ws.config_with_sinks(
        "*.log",
        &format!(
            r#"[sinks.bus]
type = "nats"
urls = {urls}
subject = "audit.{{tenant.id}}.{{action}}"
request_timeout = "10s"
retry = {{ initial = "100ms", max = "1s" }}
{extra}
"#,
            urls = nats.urls_toml(),
        ),
    )
}

/// What the sink makes of one field value in a subject token.
fn token(value: &serde_json::Value) -> String {
    match value.as_str() {
        Some(text) if !text.is_empty() => text
            .chars()
            .map(|c| {
                if matches!(c, '.' | '*' | '>') || c.is_whitespace() {
                    '_'
                } else {
                    c
                }
            })
            .collect(),
        _ => "_".into(),
    }
}

/// Every generator seq 0..n is in the stream exactly once, under its
/// event id as `Nats-Msg-Id`, on the subject the template gives; the
/// stream holds nothing else but the agent's signed checkpoints, each once
/// too.
fn assert_each_once(nats: &Nats, n: u64) {
    let messages = nats.read_all(STREAM);
    assert_eq!(messages.len() as u64, nats.message_count(STREAM));
    let mut ids = HashSet::new();
    let mut seqs = HashSet::new();
    let mut events = 0u64;
    for (msg_id, subject, event) in &messages {
        assert_eq!(
            event["id"].as_str(),
            Some(msg_id.as_str()),
            "Nats-Msg-Id is the event id"
        );
        let expected = format!(
            "audit.{}.{}",
            token(&event["tenant"]["id"]),
            token(&event["action"])
        );
        assert_eq!(subject, &expected);
        assert!(
            ids.insert(msg_id.clone()),
            "{msg_id} is in the stream twice"
        );
        if !is_checkpoint(event) {
            events += 1;
            seqs.insert(event["details"]["seq"].as_u64().expect("details.seq"));
        }
    }
    assert_eq!(events, n, "events in the stream");
    assert_eq!(seqs.len() as u64, n, "distinct generator seqs");
    assert_eq!(
        (seqs.iter().min(), seqs.iter().max()),
        (Some(&0), Some(&(n - 1)))
    );
}

/// The slots' connection numbers that logged a first connection.
fn connections_opened(log: &str) -> HashSet<u32> {
    log.lines()
        .filter(|line| line.contains("Connected to NATS"))
        .filter_map(|line| {
            let (_, rest) = line.split_once("connection=")?;
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn nats_cluster_stores_every_event_once_through_a_kill_9_of_the_stream_leader() {
    if !nats::available() {
        return;
    }
    const N: u64 = 100_000;
    let mut cluster = Nats::cluster();
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let config = config(
        &ws,
        &cluster,
        &format!("batch = {{ max_events = 1000 }}\ncreate_stream = {{ name = \"{STREAM}\", replicas = 3, max_age = \"1d\" }}"),
    );
    let started = Instant::now();
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(120), || cluster.message_count(STREAM)
            >= 20_000),
        "log:\n{}\n{}",
        agent.log(),
        cluster.logs()
    );
    let info = cluster.stream_info(STREAM).unwrap();
    assert_eq!(info["config"]["num_replicas"], 3);
    assert_eq!(info["config"]["subjects"], serde_json::json!(["audit.*.*"]));
    let leader = cluster.stream_leader(STREAM).expect("a stream leader");
    let at_kill = cluster.message_count(STREAM);
    cluster.kill9(&leader);
    assert!(at_kill < N, "killed too late to be mid-stream");
    assert!(
        wait_until(Duration::from_secs(240), || cluster.message_count(STREAM)
            >= N),
        "{} of {N} stored; log:\n{}\n{}",
        cluster.message_count(STREAM),
        agent.log(),
        cluster.logs()
    );
    let elapsed = started.elapsed();
    // Whatever the agent still retries must be dropped as a repeat.
    std::thread::sleep(Duration::from_secs(2));
    let retries = agent.log().matches("JetStream did not acknowledge").count();
    assert_eq!(agent.stop(), 0);
    let new_leader = cluster.stream_leader(STREAM).expect("a new leader");
    assert_ne!(new_leader, leader);
    // The old leader comes back and catches up: still each event once.
    cluster.restart_stopped();
    assert!(wait_until(Duration::from_secs(60), || cluster
        .stream_info(STREAM)
        .is_some_and(|info| info["cluster"]["replicas"]
            .as_array()
            .is_some_and(
                |r| r.len() == 2 && r.iter().all(|p| p["current"] == true)
            ))));
    assert_each_once(&cluster, N);
    eprintln!(
        "nats: {N} events once each in an R3 stream after kill -9 of leader {leader} at {at_kill} ({retries} batch(es) unacknowledged and sent again), {:.0} events/s (debug build)",
        N as f64 / elapsed.as_secs_f64()
    );
}

#[test]
fn nats_server_down_for_seconds_loses_nothing_and_repeats_nothing() {
    if !nats::available() {
        return;
    }
    const FIRST: u64 = 5_000;
    const TOTAL: u64 = 12_000;
    let mut server = Nats::single();
    let ws = Workspace::new();
    let log = ws.logs().join("audit.log");
    append_lines(&log, SEED, 0..FIRST);
    let extra = format!("batch = {{ max_events = 200 }}\nconcurrency = 3\ncreate_stream = {{ name = \"{STREAM}\", subjects = [\"audit.>\"] }}");
    let agent = Agent::start(&ws, &config(&ws, &server, &extra));
    assert!(
        wait_until(Duration::from_secs(60), || server.message_count(STREAM)
            >= 1_000),
        "log:\n{}",
        agent.log()
    );
    // A backlog of 25 batches keeps several in flight, each slot on a
    // connection of its own (the server reads one connection on one
    // thread), never more than `concurrency`.
    let connections = connections_opened(&agent.log());
    assert!(
        connections.len() >= 2 && connections.iter().all(|c| (1..=3).contains(c)),
        "connections {connections:?}; log:\n{}",
        agent.log()
    );
    server.stop("n1");
    append_lines(&log, SEED, FIRST..TOTAL);
    std::thread::sleep(Duration::from_secs(5));
    server.restart_stopped();
    assert!(
        wait_until(Duration::from_secs(120), || server.message_count(STREAM)
            >= TOTAL),
        "{} of {TOTAL} stored; log:\n{}",
        server.message_count(STREAM),
        agent.log()
    );
    std::thread::sleep(Duration::from_millis(500));
    let agent_log = agent.log();
    assert_eq!(agent.stop(), 0);
    assert_each_once(&server, TOTAL);
    assert!(
        agent_log.contains("Disconnected from NATS"),
        "the outage was not noticed: the test did not test it\n{agent_log}"
    );
}

#[test]
fn nats_refused_credentials_are_reported_and_the_events_wait_for_the_fix() {
    if !nats::available() {
        return;
    }
    const N: u64 = 500;
    let server = Nats::single_with_password();
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let stream = format!("create_stream = {{ name = \"{STREAM}\" }}");
    let wrong = config(
        &ws,
        &server,
        &format!("user = \"{USER}\"\npassword = \"wrong-pa55\"\n{stream}"),
    );

    let (code, out, err) = run_cli(&["validate", "-c", wrong.to_str().unwrap()], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("type=nats"), "{out}");
    assert!(out.contains("subject=audit.{tenant.id}.{action}"), "{out}");
    assert!(
        out.contains(&format!("user={USER} password=<set>")),
        "{out}"
    );
    assert!(out.contains("create_stream.subjects=[audit.*.*]"), "{out}");
    assert!(!out.contains("wrong-pa55"), "{out}");

    let agent = Agent::start(&ws, &wrong);
    assert!(
        wait_until(Duration::from_secs(60), || agent
            .log()
            .contains("NATS refused the credentials")),
        "log:\n{}",
        agent.log()
    );
    assert!(agent.log().contains("check user and password"));
    assert!(!agent.log().contains("wrong-pa55"), "{}", agent.log());
    assert_eq!(agent.stop(), 0);
    assert_eq!(server.message_count(STREAM), 0);

    let right = config(
        &ws,
        &server,
        &format!("user = \"{USER}\"\npassword = \"{PASSWORD}\"\n{stream}"),
    );
    let agent = Agent::start(&ws, &right);
    assert!(
        wait_until(Duration::from_secs(60), || server.message_count(STREAM)
            >= N),
        "{} of {N}; log:\n{}",
        server.message_count(STREAM),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_each_once(&server, N);
}

/// Batches that repeat events the stream holds (the agent's data
/// directory lost, so the whole log is read and sent again) are
/// acknowledged — the repeats as duplicates by `Nats-Msg-Id` — and only the
/// new events are added; the acknowledgements of a batch are matched to
/// its events by reply subject, whatever order they come in.
#[test]
fn nats_batches_repeating_stored_events_add_only_the_new_ones() {
    if !nats::available() {
        return;
    }
    const FIRST: u64 = 3_000;
    const TOTAL: u64 = 4_500;
    let server = Nats::single();
    let ws = Workspace::new();
    let log = ws.logs().join("audit.log");
    append_lines(&log, SEED, 0..FIRST);
    let extra = format!("batch = {{ max_events = 700 }}\nconcurrency = 3\ncreate_stream = {{ name = \"{STREAM}\", subjects = [\"audit.>\"] }}");
    let config = config(&ws, &server, &extra);
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(60), || server.message_count(STREAM)
            >= FIRST),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(agent.stop(), 0);

    std::fs::remove_dir_all(ws.data_dir()).unwrap();
    append_lines(&log, SEED, FIRST..TOTAL);
    let agent = Agent::start(&ws, &config);
    let events = || {
        server
            .read_all(STREAM)
            .iter()
            .filter(|(_, _, event)| !is_checkpoint(event))
            .count() as u64
    };
    assert!(
        wait_until(Duration::from_secs(60), || events() >= TOTAL),
        "{} of {TOTAL} stored; log:\n{}",
        events(),
        agent.log()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(agent.stop(), 0);
    assert_each_once(&server, TOTAL);
}
