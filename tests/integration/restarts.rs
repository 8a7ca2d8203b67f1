//! Stopping the agent at any moment loses nothing: gracefully (SIGTERM:
//! nothing repeated either) or brutally (`kill -9`: at most the batches in
//! flight repeated).

use std::time::Duration;

use crate::support::*;

const SEED: u64 = 5;

#[test]
fn sigterm_mid_file_then_restart_loses_and_repeats_nothing() {
    const N: u64 = 100_000;
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    // A small journal and small sink batches keep the source mid-file.
    let config = ws.config("*.log", "batch = { max_events = 20 }\n");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[journal]\n", "[journal]\nmax_bytes = \"2MiB\"\n");
    std::fs::write(&config, text).unwrap();
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(60), || ws.output_line_count() >= 2_000),
        "log:\n{}",
        agent.log()
    );
    let log = agent.log();
    assert_eq!(agent.stop(), 0, "log:\n{log}");
    let after_stop = ws.output_events().len() as u64;
    assert!(
        after_stop < N,
        "stopped too late to test a restart mid-file"
    );

    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(180), || ws.output_line_count() as u64
            >= N),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(agent.stop(), 0);
    let events = ws.output_events();
    let counts = count_by_seq(&events);
    assert_eq!(counts.len() as u64, N, "lost events");
    assert_eq!(
        events.len() as u64,
        N,
        "duplicated events after a graceful stop"
    );
}

#[test]
fn kill_9_five_times_while_running_loses_nothing_and_repeats_under_one_percent() {
    const N: u64 = 200_000;
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let config = ws.config("*.log", "");
    // Deterministic "random" moments, spread over the run.
    let mut moments_ms = [700u64, 1_300, 450, 1_900, 1_100];
    for (round, wait) in moments_ms.iter_mut().enumerate() {
        let agent = Agent::start(&ws, &config);
        std::thread::sleep(Duration::from_millis(*wait));
        let before = ws.output_events().len();
        agent.kill9();
        eprintln!("kill -9 #{round}: {before} events delivered so far");
    }
    let agent = Agent::start(&ws, &config);
    let all_seen = wait_until(Duration::from_secs(240), || {
        count_by_seq(&ws.output_events()).len() as u64 >= N
    });
    assert!(all_seen, "lost events; log:\n{}", agent.log());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(agent.stop(), 0);
    let events = ws.output_events();
    let duplicates = events.len() as u64 - N;
    assert!(
        duplicates * 100 < N,
        "{duplicates} duplicates of {N} events (limit 1%)"
    );
}
