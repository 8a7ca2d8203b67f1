//! `auditship run --once`: historical files are read to their end,
//! delivered to every sink, and the process exits by itself — 0 when all
//! was delivered, 1 when the destination refused events for good.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::http_receiver::{HttpReceiver, Mode};
use crate::support::*;

const SEED: u64 = 21;

/// Runs `auditship run --once -c config` to its exit (at most 120 s);
/// returns (exit code, stderr).
fn run_once(ws: &Workspace, config: &std::path::Path) -> (i32, String) {
    let stderr_path = ws.path("once.log");
    let mut child = Command::new(bin())
        .args(["run", "--once", "-c"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let exited = wait_until(Duration::from_secs(120), || {
        child.try_wait().unwrap().is_some()
    });
    let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    if !exited {
        let _ = child.kill();
        panic!("run --once did not exit; log:\n{log}");
    }
    (child.wait().unwrap().code().unwrap_or(-1), log)
}

#[test]
fn run_once_delivers_every_event_of_the_files_and_exits_zero() {
    const N: u64 = 3_000;
    let ws = Workspace::new();
    append_lines(&ws.logs().join("a.log"), SEED, 0..N / 2);
    append_lines(&ws.logs().join("b.log"), SEED, N / 2..N);
    // A last line without `\n` is shipped too, without waiting for more.
    std::fs::OpenOptions::new()
        .append(true)
        .open(ws.logs().join("b.log"))
        .and_then(|mut f| {
            use std::io::Write;
            f.write_all(br#"{"action":"user.login","userId":"u","seq":999999}"#)
        })
        .unwrap();
    let config = ws.config("*.log", "");
    let (code, log) = run_once(&ws, &config);
    assert_eq!(code, 0, "log:\n{log}");
    let counts = count_by_seq(&ws.output_events());
    for seq in (0..N).chain([999_999]) {
        assert_eq!(counts.get(&seq), Some(&1), "event {seq}; log:\n{log}");
    }
    assert_eq!(counts.len() as u64, N + 1);

    // Run again: everything is checkpointed, nothing is sent twice.
    let (code, log) = run_once(&ws, &config);
    assert_eq!(code, 0, "log:\n{log}");
    assert_eq!(ws.output_events().len() as u64, N + 1, "log:\n{log}");
}

#[test]
fn run_once_exits_one_when_the_destination_refuses_events_for_good() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Status(400));
    let ws = Workspace::new();
    append_lines(&ws.logs().join("a.log"), SEED, 0..50);
    let config = ws.write_config(&format!(
        "data_dir = \"{data}\"\n[sources.app]\ntype = \"file\"\ninclude = [\"{logs}/*.log\"]\n\
         [sinks.central]\ntype = \"http\"\nuri = \"{url}/v1/audit\"\n",
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
        url = receiver.url(),
    ));
    let (code, log) = run_once(&ws, &config);
    assert_eq!(code, 1, "log:\n{log}");
    assert!(
        log.contains("dead-letter"),
        "the error says where the events went:\n{log}"
    );
    let dead: Vec<serde_json::Value> = read_ndjson_dir(&ws.data_dir().join("dead"))
        .iter()
        .map(|d| d["event"].clone())
        .collect();
    assert_eq!(count_by_seq(&dead).len(), 50, "log:\n{log}");
}
