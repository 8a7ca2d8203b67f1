//! The journal keeps its promises with the real binary: a sink that fails
//! for a while loses nothing, a full journal pauses input instead of
//! dropping it, and a corrupted record is quarantined without stopping the
//! agent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;

const SEED: u64 = 11;

/// Makes the file sink fail: its output directory is a regular file.
fn block_sink(ws: &Workspace) {
    std::fs::write(ws.out_dir(), b"not a directory").unwrap();
}

fn unblock_sink(ws: &Workspace) {
    std::fs::remove_file(ws.out_dir()).unwrap();
}

fn segments(data: &Path) -> Vec<PathBuf> {
    let mut segs: Vec<PathBuf> = std::fs::read_dir(data.join("journal"))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "seg"))
                .collect()
        })
        .unwrap_or_default();
    segs.sort();
    segs
}

fn journal_bytes(data: &Path) -> u64 {
    segments(data)
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_sink_that_fails_then_recovers_gets_everything_once() {
    let ws = Workspace::new();
    block_sink(&ws);
    append_lines(&ws.logs().join("audit.log"), SEED, 0..3_000);
    let agent = Agent::start(&ws, &ws.config("*.log", ""));
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        agent.log().contains("Delivery failed"),
        "log:\n{}",
        agent.log()
    );
    unblock_sink(&ws);
    assert!(
        wait_until(Duration::from_secs(90), || ws.output_line_count() >= 3_000),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = ws.output_events();
    assert_eq!(count_by_seq(&events).len(), 3_000);
    assert_eq!(events.len(), 3_000);
}

#[test]
fn a_full_journal_pauses_input_and_everything_arrives_after_the_sink_returns() {
    const N: u64 = 20_000; // ~10 MB of input, ~15 MB as events: 3-4x the journal limit
    let ws = Workspace::new();
    block_sink(&ws);
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let config = ws.config("*.log", "");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "[journal]\n",
        "[journal]\nmax_bytes = \"4MiB\"\nsegment_bytes = \"512KiB\"\n",
    );
    std::fs::write(&config, text).unwrap();
    let agent = Agent::start(&ws, &config);
    let pid = agent.child.id();
    let filled = wait_until(Duration::from_secs(60), || {
        journal_bytes(&ws.data_dir()) > 3 * 1024 * 1024
    });
    assert!(filled, "the journal never filled; log:\n{}", agent.log());
    std::thread::sleep(Duration::from_secs(1));
    let rss_early = rss_kib(pid);
    std::thread::sleep(Duration::from_secs(2));
    let bytes = journal_bytes(&ws.data_dir());
    assert!(
        bytes > 3 * 1024 * 1024 && bytes <= 4 * 1024 * 1024,
        "journal holds {bytes} bytes; log:\n{}",
        agent.log()
    );
    let rss_late = rss_kib(pid);
    assert!(
        rss_late < rss_early + 8 * 1024,
        "RSS grew from {rss_early} KiB to {rss_late} KiB while paused"
    );
    assert!(
        agent.child.try_wait_status_is_running(),
        "agent died; log:\n{}",
        agent.log()
    );
    unblock_sink(&ws);
    assert!(
        wait_until(Duration::from_secs(120), || ws.output_line_count() as u64
            >= N),
        "{} events; log:\n{}",
        ws.output_events().len(),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = ws.output_events();
    assert_eq!(count_by_seq(&events).len() as u64, N);
    assert_eq!(events.len() as u64, N);
}

#[test]
fn a_corrupted_record_mid_segment_is_quarantined_and_the_rest_delivered() {
    const N: u64 = 2_000;
    let ws = Workspace::new();
    block_sink(&ws);
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let config = ws.config("*.log", "");
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(60), || journal_bytes(&ws.data_dir())
            > N * 500),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(agent.stop(), 0);

    // Flip one byte in the middle of the largest segment.
    let seg = segments(&ws.data_dir())
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&seg).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(&seg, &bytes).unwrap();

    unblock_sink(&ws);
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(60), || ws.output_line_count() as u64
            >= N - 1),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_millis(500));
    let log = agent.log();
    assert_eq!(agent.stop(), 0);
    assert!(log.to_lowercase().contains("quarantin"), "log:\n{log}");
    let quarantined: Vec<_> = std::fs::read_dir(ws.data_dir().join("quarantine"))
        .unwrap()
        .collect();
    assert_eq!(quarantined.len(), 1);
    let events = ws.output_events();
    assert_eq!(
        events.len() as u64,
        N - 1,
        "exactly the corrupted record is missing"
    );
    assert_eq!(count_by_seq(&events).len() as u64, N - 1);
}

trait RunningCheck {
    fn try_wait_status_is_running(&self) -> bool;
}

impl RunningCheck for std::process::Child {
    fn try_wait_status_is_running(&self) -> bool {
        std::path::Path::new(&format!("/proc/{}/status", self.id())).exists()
            && !std::fs::read_to_string(format!("/proc/{}/status", self.id()))
                .unwrap_or_default()
                .contains("State:\tZ")
    }
}
