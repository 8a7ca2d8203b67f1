//! Files are rotated, truncated, deleted and multiplied under the agent's
//! feet; no line is lost and none is shipped twice.

use std::time::Duration;

use crate::support::*;

const SEED: u64 = 3;

/// The tailer's own decisions (copy or new file, truncation) are logged at
/// debug: a failure shows them.
const TAILER_LOG: &str = "auditship=info,auditship::sources::file=debug";

fn assert_exactly_once(ws: &Workspace, n: u64) {
    assert_exactly_once_or_show(ws, n, "");
}

fn assert_exactly_once_or_show(ws: &Workspace, n: u64, log: &str) {
    let events = ws.output_events();
    let counts = count_by_seq(&events);
    let missing: Vec<u64> = (0..n)
        .filter(|s| !counts.contains_key(s))
        .take(10)
        .collect();
    let dups: Vec<(&u64, &usize)> = counts.iter().filter(|(_, &c)| c > 1).take(10).collect();
    assert!(
        missing.is_empty(),
        "missing seqs (first 10): {missing:?}; log:\n{log}"
    );
    assert!(
        dups.is_empty(),
        "duplicated seqs (first 10): {dups:?}; log:\n{log}"
    );
    assert_eq!(events.len() as u64, n);
}

fn wait_for(ws: &Workspace, agent: &Agent, n: u64) {
    assert!(
        wait_until(Duration::from_secs(60), || ws.output_line_count() as u64
            >= n),
        "{} of {n} events arrived; log:\n{}",
        ws.output_events().len(),
        agent.log()
    );
}

#[test]
fn rename_and_create_rotation_while_writing_loses_and_repeats_nothing() {
    let ws = Workspace::new();
    let live = ws.logs().join("audit.log");
    append_lines(&live, SEED, 0..2_000);
    // Only the live name is matched: the renamed file must be drained
    // through the descriptor the agent already holds.
    let agent = Agent::start(&ws, &ws.config("audit.log", ""));
    append_lines(&live, SEED, 2_000..3_000);
    std::thread::sleep(Duration::from_millis(150));
    append_lines(&live, SEED, 3_000..3_500);
    std::fs::rename(&live, ws.logs().join("audit.log.1")).unwrap();
    append_lines(&ws.logs().join("audit.log.1"), SEED, 3_500..4_000);
    append_lines(&live, SEED, 4_000..6_000);
    wait_for(&ws, &agent, 6_000);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(agent.stop(), 0);
    assert_exactly_once(&ws, 6_000);
}

#[test]
fn copytruncate_rotation_ships_the_copy_tail_but_not_its_read_part() {
    let ws = Workspace::new();
    let live = ws.logs().join("audit.log");
    append_lines(&live, SEED, 0..2_000);
    // The glob matches the copy too, as it does on many hosts.
    let agent = Agent::start_logging(&ws, &ws.config("audit.log*", ""), &[], TAILER_LOG);
    wait_for(&ws, &agent, 2_000);
    // Lines written just before the copy: maybe not read yet from the live
    // file, so they must come from the copy.
    append_lines(&live, SEED, 2_000..2_100);
    std::fs::copy(&live, ws.logs().join("audit.log.1")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&live)
        .unwrap()
        .set_len(0)
        .unwrap();
    append_lines(&live, SEED, 2_100..3_000);
    wait_for(&ws, &agent, 3_000);
    std::thread::sleep(Duration::from_millis(700));
    let log = agent.log();
    assert_eq!(agent.stop(), 0);
    assert_exactly_once_or_show(&ws, 3_000, &log);
}

#[test]
fn a_deleted_file_is_drained_and_its_descriptor_released() {
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    append_lines(&path, SEED, 0..1_000);
    let agent = Agent::start(&ws, &ws.config("*.log", ""));
    wait_for(&ws, &agent, 1_000);
    append_lines(&path, SEED, 1_000..1_500);
    std::fs::remove_file(&path).unwrap();
    wait_for(&ws, &agent, 1_500);
    let pid = agent.child.id();
    let released = wait_until(Duration::from_secs(30), || {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
            .all(|target| !target.to_string_lossy().contains("audit.log"))
    });
    assert!(
        released,
        "the deleted file is still open; log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_exactly_once(&ws, 1_500);
}

#[test]
fn a_file_appended_while_the_agent_was_stopped_resumes_where_it_left() {
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    append_lines(&path, SEED, 0..1_000);
    let config = ws.config("*.log", "");
    let agent = Agent::start(&ws, &config);
    wait_for(&ws, &agent, 1_000);
    assert_eq!(agent.stop(), 0);
    append_lines(&path, SEED, 1_000..2_500);
    let agent = Agent::start(&ws, &config);
    wait_for(&ws, &agent, 2_500);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(agent.stop(), 0);
    assert_exactly_once(&ws, 2_500);
}

#[test]
fn a_thousand_files_in_one_directory_are_all_read() {
    let ws = Workspace::new();
    for i in 0..1_000u64 {
        append_lines(
            &ws.logs().join(format!("app-{i:04}.log")),
            SEED,
            i * 5..i * 5 + 5,
        );
    }
    let agent = Agent::start(&ws, &ws.config("*.log", ""));
    wait_for(&ws, &agent, 5_000);
    assert_eq!(agent.stop(), 0);
    assert_exactly_once(&ws, 5_000);
}
