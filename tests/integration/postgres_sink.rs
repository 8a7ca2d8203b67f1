//! The `postgres` sink against a real PostgreSQL (`tests/support/postgres.rs`):
//! every event stored once through a `kill -9` of the agent mid-stream and
//! through the database being down for seconds; the table refuses UPDATE,
//! DELETE and TRUNCATE; an event the database cannot hold is dead-lettered
//! alone.

use std::time::{Duration, Instant};

use crate::postgres::{self, Postgres, PASSWORD};
use crate::support::*;

const SEED: u64 = 23;
const TABLE: &str = "audit.events";

fn config(ws: &Workspace, pg: &Postgres, extra: &str) -> std::path::PathBuf {
    ws.config_with_sinks(
        "*.log",
        &format!(
            r#"[sinks.store]
type = "postgres"
url = "{url}"
password = "{PASSWORD}"
table = "{TABLE}"
create_table = true
request_timeout = "5s"
retry = {{ initial = "100ms", max = "1s" }}
{extra}
"#,
            url = pg.url(),
        ),
    )
}

/// The agent's own signed checkpoints (`agent.checkpoint`) are stored too;
/// the counts here are of the generated events only.
const EVENTS_ONLY: &str = "action <> 'agent.checkpoint'";

fn stored(pg: &Postgres) -> u64 {
    pg.count(&format!("SELECT count(*) FROM {TABLE} WHERE {EVENTS_ONLY}"))
}

/// Every generator seq 0..n is in the table exactly once.
fn assert_each_once(pg: &Postgres, n: u64) {
    let row = pg.query(&format!(
        "SELECT count(*), count(DISTINCT id), count(DISTINCT (event->'details'->>'seq')::bigint), \
         min((event->'details'->>'seq')::bigint), max((event->'details'->>'seq')::bigint) FROM {TABLE} WHERE {EVENTS_ONLY}"
    ));
    assert_eq!(row, format!("{n}|{n}|{n}|0|{}", n - 1));
}

#[test]
fn postgres_stores_every_event_once_through_a_kill_9_and_refuses_update_delete_and_truncate() {
    if !postgres::available() {
        return;
    }
    const N: u64 = 20_000;
    let pg = Postgres::start();
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let config = config(&ws, &pg, "batch = { max_events = 500 }");
    let started = Instant::now();
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(60), || stored(&pg) >= 3_000),
        "log:\n{}",
        agent.log()
    );
    agent.kill9();
    let at_kill = stored(&pg);
    assert!(at_kill < N, "killed too late to be mid-stream");

    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(120), || stored(&pg) >= N),
        "{} of {N} stored; log:\n{}",
        stored(&pg),
        agent.log()
    );
    let elapsed = started.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(agent.stop(), 0);
    assert_each_once(&pg, N);
    eprintln!(
        "postgres: {N} events once each after kill -9 at {at_kill}, {:.0} events/s (debug build, restart included)",
        N as f64 / elapsed.as_secs_f64()
    );

    // Typed columns hold the key fields; the jsonb the whole event.
    let row = pg.query(&format!(
        "SELECT count(*) FILTER (WHERE actor_id IS NOT NULL AND tenant_id IS NOT NULL), \
         count(*) FILTER (WHERE event->>'id' = id AND agent_host = 'test-host' AND agent_seq IS NOT NULL) \
         FROM {TABLE} WHERE {EVENTS_ONLY}"
    ));
    assert_eq!(row, format!("{N}|{N}"));
    let indexes = pg.query(
        "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'audit'",
    );
    for column in ["time", "actor_id", "action", "tenant_id"] {
        assert!(
            indexes.contains(&format!("events_{column}_idx")),
            "{indexes}"
        );
    }

    for sql in [
        format!("UPDATE {TABLE} SET action = 'x' WHERE id = (SELECT min(id) FROM {TABLE})"),
        format!("DELETE FROM {TABLE} WHERE id = (SELECT min(id) FROM {TABLE})"),
        format!("TRUNCATE {TABLE}"),
    ] {
        let error = pg.try_query(&sql).expect_err(&sql);
        assert!(error.contains("is append-only"), "{sql}: {error}");
    }
    assert_each_once(&pg, N);
}

#[test]
fn postgres_down_for_seconds_loses_nothing_and_repeats_nothing() {
    if !postgres::available() {
        return;
    }
    const FIRST: u64 = 5_000;
    const TOTAL: u64 = 12_000;
    let mut pg = Postgres::start();
    let ws = Workspace::new();
    let log = ws.logs().join("audit.log");
    append_lines(&log, SEED, 0..FIRST);
    let agent = Agent::start(&ws, &config(&ws, &pg, "batch = { max_events = 200 }"));
    assert!(
        wait_until(Duration::from_secs(60), || stored(&pg) >= 1_000),
        "log:\n{}",
        agent.log()
    );
    pg.stop();
    append_lines(&log, SEED, FIRST..TOTAL);
    std::thread::sleep(Duration::from_secs(5));
    pg.restart();
    assert!(
        wait_until(Duration::from_secs(120), || stored(&pg) >= TOTAL),
        "{} of {TOTAL} stored; log:\n{}",
        stored(&pg),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_each_once(&pg, TOTAL);
    assert!(
        agent_log_mentions_retry(&ws),
        "the outage was not noticed: the test did not test it"
    );
}

fn agent_log_mentions_retry(ws: &Workspace) -> bool {
    std::fs::read_dir(ws.root.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("agent-"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .any(|log| log.contains("cannot reach PostgreSQL"))
}

#[test]
fn postgres_dead_letters_alone_an_event_the_database_cannot_hold() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    let ws = Workspace::new();
    let log = ws.logs().join("audit.log");
    append_lines(&log, SEED, 0..100);
    // jsonb cannot hold U+0000.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .and_then(|mut f| {
            std::io::Write::write_all(
                &mut f,
                b"{\"id\":\"nul-1\",\"action\":\"user.login\",\"note\":\"a\\u0000b\"}\n",
            )
        })
        .unwrap();
    let agent = Agent::start(&ws, &config(&ws, &pg, ""));
    let dead_dir = ws.data_dir().join("dead");
    assert!(
        wait_until(Duration::from_secs(60), || stored(&pg) >= 100
            && std::fs::read_dir(&dead_dir).is_ok_and(|d| d.count() > 0)),
        "{} stored; log:\n{}",
        stored(&pg),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_each_once(&pg, 100);
    let dead = read_ndjson_dir(&dead_dir);
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["event"]["id"], "nul-1");
    assert!(dead[0]["response"]
        .as_str()
        .unwrap()
        .contains("SQLSTATE 22P05"));
}

/// A batch is copied straight into the table; one holding events already
/// stored (here: the agent's data directory lost, so the whole log is read
/// and sent again) fails that copy on `id` and takes the staging path,
/// which stores the new events of the batch and skips the others.
#[test]
fn postgres_batches_repeating_stored_events_store_only_the_new_ones() {
    if !postgres::available() {
        return;
    }
    const FIRST: u64 = 1_000;
    const TOTAL: u64 = 1_550;
    let pg = Postgres::start();
    let ws = Workspace::new();
    let log = ws.logs().join("audit.log");
    append_lines(&log, SEED, 0..FIRST);
    // Batches of 120 from the second start straddle old and new events.
    let config = config(&ws, &pg, "batch = { max_events = 120 }");
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(60), || stored(&pg) >= FIRST),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_each_once(&pg, FIRST);

    std::fs::remove_dir_all(ws.data_dir()).unwrap();
    append_lines(&log, SEED, FIRST..TOTAL);
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(60), || stored(&pg) >= TOTAL),
        "{} of {TOTAL} stored; log:\n{}",
        stored(&pg),
        agent.log()
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(agent.stop(), 0);
    assert_each_once(&pg, TOTAL);
    assert!(
        !ws.data_dir().join("dead").exists()
            || read_ndjson_dir(&ws.data_dir().join("dead")).is_empty(),
        "a repeat is not a refused event"
    );
}
