//! SIGHUP reloads the configuration of a running agent: sources and sinks
//! added, changed and removed lose and repeat no event; a new sink gets the
//! journal's backlog; an invalid file is rejected while delivery goes on; a
//! removed sink's journal cursor is released.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::*;

const SEED: u64 = 11;

/// A config with source `app` (logs/a*.log) and, when `with_b`, source `b`
/// (logs/b*.log); sink `out` (every source) and, when `with_second`, sink
/// `second` (every source) writing to `out2/`. `app_poll` lets a test
/// change source `app` without changing what it reads.
fn config_text(ws: &Workspace, with_b: bool, with_second: bool, app_poll: &str) -> String {
    let mut text = format!(
        r#"data_dir = "{data}"
host = "test-host"

[journal]
batch_interval = "5ms"

[sources.app]
type = "file"
include = ["{logs}/a*.log"]
format = "json"
poll_interval = "{app_poll}"
glob_interval = "200ms"

[sinks.out]
type = "file"
path = "{out}/events.ndjson"
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
        out = ws.out_dir().display(),
    );
    if with_b {
        text += &format!(
            "\n[sources.b]\ntype = \"file\"\ninclude = [\"{}/b*.log\"]\nformat = \"json\"\npoll_interval = \"50ms\"\n",
            ws.logs().display()
        );
    }
    if with_second {
        text += &format!(
            "\n[sinks.second]\ntype = \"file\"\npath = \"{}/events.ndjson\"\n",
            ws.path("out2").display()
        );
    }
    text
}

fn sighup(agent: &Agent) {
    let pid = agent.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap()
        .success());
}

/// How many times each generator seq reached the sink writing to `dir`.
fn counts(dir: &Path) -> HashMap<u64, usize> {
    count_by_seq(&read_ndjson_dir(dir))
}

fn has_all(dir: &Path, range: std::ops::Range<u64>) -> bool {
    let counts = counts(dir);
    range.into_iter().all(|seq| counts.contains_key(&seq))
}

/// Waits until the agent's log holds `text` `times` times.
fn wait_log(agent: &Agent, text: &str, times: usize) {
    assert!(
        wait_until(Duration::from_secs(60), || agent
            .log()
            .matches(text)
            .count()
            >= times),
        "no {times}× {text:?} in the log:\n{}",
        agent.log()
    );
}

#[test]
fn sighup_adds_changes_and_removes_components_without_losing_or_repeating_events() {
    let ws = Workspace::new();
    let (a_log, b_log) = (ws.logs().join("a.log"), ws.logs().join("b.log"));
    append_lines(&a_log, SEED, 0..300);
    append_lines(&b_log, SEED, 10_000..10_200);
    let config = ws.write_config(&config_text(&ws, true, false, "50ms"));
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(60), || has_all(&ws.out_dir(), 0..300)
            && has_all(&ws.out_dir(), 10_000..10_200)),
        "log:\n{}",
        agent.log()
    );

    // Reload while `app` is being appended to: `app` changes, `b` goes,
    // sink `second` comes (and `out` changes: its inputs, every source,
    // lose `b`).
    let writer = {
        let a_log = a_log.clone();
        std::thread::spawn(move || {
            for start in (300..700).step_by(20) {
                append_lines(&a_log, SEED, start..start + 20);
                std::thread::sleep(Duration::from_millis(15));
            }
        })
    };
    std::fs::write(&config, config_text(&ws, false, true, "40ms")).unwrap();
    sighup(&agent);
    writer.join().unwrap();
    wait_log(&agent, "Configuration reloaded.", 1);
    // The removed source reads no more.
    append_lines(&b_log, SEED, 10_200..10_300);
    append_lines(&a_log, SEED, 700..800);
    assert!(
        wait_until(Duration::from_secs(60), || has_all(&ws.out_dir(), 0..800)
            && has_all(&ws.path("out2"), 0..800)),
        "log:\n{}",
        agent.log()
    );

    // An invalid file is rejected; both sinks keep delivering.
    std::fs::write(
        &config,
        config_text(&ws, false, true, "40ms") + "\n[sinks.second.batch]\nmax_evnets = 5\n",
    )
    .unwrap();
    sighup(&agent);
    wait_log(&agent, "Configuration reload rejected", 1);
    let log = agent.log();
    assert!(
        log.contains(&format!("{}:", config.display())) && log.contains("max_evnets"),
        "the rejection names the file, line and key:\n{log}"
    );
    append_lines(&a_log, SEED, 800..900);
    assert!(
        wait_until(Duration::from_secs(60), || has_all(&ws.out_dir(), 0..900)
            && has_all(&ws.path("out2"), 0..900)),
        "log:\n{}",
        agent.log()
    );

    // Removing sink `second` releases its journal cursor.
    let cursor = ws.data_dir().join("journal/cursors/second");
    assert!(cursor.exists(), "the new sink has a journal cursor");
    std::fs::write(&config, config_text(&ws, false, false, "40ms")).unwrap();
    sighup(&agent);
    wait_log(&agent, "Configuration reloaded.", 2);
    assert!(
        !cursor.exists(),
        "a removed sink's cursor no longer holds the journal"
    );
    append_lines(&a_log, SEED, 900..1000);
    assert!(
        wait_until(Duration::from_secs(60), || has_all(&ws.out_dir(), 0..1000)),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_millis(300));
    let log = agent.log();
    assert_eq!(agent.stop(), 0, "log:\n{log}");

    let out = counts(&ws.out_dir());
    let expected_out: Vec<u64> = (0..1000).chain(10_000..10_200).collect();
    for seq in &expected_out {
        assert_eq!(out.get(seq), Some(&1), "sink out: event {seq}; log:\n{log}");
    }
    assert_eq!(
        out.len(),
        expected_out.len(),
        "sink out: unexpected events (from the removed source?)"
    );
    let second = counts(&ws.path("out2"));
    for seq in 0..900 {
        assert_eq!(
            second.get(&seq),
            Some(&1),
            "sink second: event {seq}; log:\n{log}"
        );
    }
    assert_eq!(
        second.len(),
        900,
        "sink second takes only `app` (every source of the new file) and nothing after its removal"
    );
}

#[test]
fn watch_config_applies_a_changed_file_without_a_signal_and_rejects_a_broken_one() {
    let ws = Workspace::new();
    let a_log = ws.logs().join("a.log");
    append_lines(&a_log, SEED, 0..100);
    let config = ws.write_config(&config_text(&ws, false, false, "50ms"));
    let agent = Agent::start_with(&ws, &config, &["--watch-config"]);
    assert!(
        wait_until(Duration::from_secs(60), || has_all(&ws.out_dir(), 0..100)),
        "log:\n{}",
        agent.log()
    );
    std::fs::write(&config, config_text(&ws, false, true, "50ms")).unwrap();
    assert!(
        wait_until(Duration::from_secs(60), || has_all(
            &ws.path("out2"),
            0..100
        )),
        "the new sink gets the journal's backlog; log:\n{}",
        agent.log()
    );
    std::fs::write(&config, "this is not toml").unwrap();
    wait_log(&agent, "Configuration reload rejected", 1);
    append_lines(&a_log, SEED, 100..150);
    assert!(
        wait_until(Duration::from_secs(60), || has_all(&ws.out_dir(), 0..150)
            && has_all(&ws.path("out2"), 0..150)),
        "log:\n{}",
        agent.log()
    );
    let log = agent.log();
    assert_eq!(agent.stop(), 0, "log:\n{log}");
    let second = counts(&ws.path("out2"));
    assert!(
        (0..150).all(|seq| second.get(&seq) == Some(&1)),
        "log:\n{log}"
    );
}

#[test]
fn a_changed_source_that_cannot_start_runs_on_with_its_previous_configuration() {
    use crate::socket_support::{free_port, request, socket_config, wait_healthy};
    let ws = Workspace::new();
    let port = free_port();
    let http_source =
        |port: u16| format!("[sources.ingest]\ntype = \"http\"\naddress = \"127.0.0.1:{port}\"\n");
    let config = socket_config(&ws, "", &http_source(port));
    let agent = Agent::start(&ws, &config);
    wait_healthy(port, &agent);
    // The new address is taken: the new configuration cannot start.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    socket_config(&ws, "", &http_source(taken_port));
    sighup(&agent);
    wait_log(&agent, "applied only in part", 1);
    let log = agent.log();
    assert!(
        log.contains("runs on with its previous configuration"),
        "{log}"
    );
    let body = format!("{}\n", gen_audit::json_line(SEED, 5));
    let reply = request(port, "POST", "/v1/events", &[], body.as_bytes());
    assert_eq!(
        reply.status, 200,
        "the old address still serves: {}",
        reply.body
    );
    assert!(
        wait_until(Duration::from_secs(30), || has_all(&ws.out_dir(), 5..6)),
        "log:\n{}",
        agent.log()
    );
    // The next reload compares with what runs (the old address): freeing
    // the port and reloading again applies the change.
    drop(taken);
    sighup(&agent);
    wait_log(&agent, "Configuration reloaded.", 1);
    wait_healthy(taken_port, &agent);
    assert_eq!(agent.stop(), 0);
}
