//! The non-JSON formats through the real agent: auditd records grouped
//! into events before the parallel parse (and acknowledged only once an
//! event is complete, so a restart neither loses nor repeats events), and
//! a CloudTrail `Records` entry fanned out into one event per record.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn config_with_format(ws: &Workspace, include: &str, format: &str) -> PathBuf {
    let path = ws.config(include, "");
    let text = std::fs::read_to_string(&path).unwrap();
    ws.write_config(&text.replace("format = \"json\"", &format!("format = \"{format}\"")))
}

fn serials(events: &[Value]) -> Vec<u64> {
    let mut serials: Vec<u64> = events
        .iter()
        .map(|e| e["details"]["serial"].as_u64().unwrap())
        .collect();
    serials.sort_unstable();
    serials
}

#[test]
fn auditd_records_of_one_event_become_one_event_across_appends_and_restarts() {
    let ws = Workspace::new();
    let log = ws.logs().join("audit.log");
    std::fs::copy(fixture("auditd/go-libaudit_normal.log"), &log).unwrap();
    let config = config_with_format(&ws, "audit.log", "auditd");
    let agent = Agent::start(&ws, &config);
    // 17 records, 5 events; the last one is closed by the quiet timeout.
    assert!(
        wait_until(Duration::from_secs(30), || ws.output_line_count() >= 5),
        "log:\n{}",
        agent.log()
    );
    // Half an event, then the rest a moment later (another tailer batch).
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "type=SYSCALL msg=audit(1492037300.000:70): arch=c000003e syscall=59 success=yes exit=0 items=1 auid=1000 uid=0 euid=0 ses=9 comm=\"id\" exe=\"/usr/bin/id\"").unwrap();
    f.flush().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    writeln!(
        f,
        "type=EXECVE msg=audit(1492037300.000:70): argc=1 a0=\"id\""
    )
    .unwrap();
    writeln!(
        f,
        "type=PATH msg=audit(1492037300.000:70): item=0 name=\"/usr/bin/id\""
    )
    .unwrap();
    drop(f);
    assert!(
        wait_until(Duration::from_secs(30), || ws.output_line_count() >= 6),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);

    // A restart reads on from the checkpoint: nothing again, nothing lost.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(f, "type=USER_LOGIN msg=audit(1492037400.000:71): pid=1 uid=0 auid=1000 ses=10 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.9 terminal=ssh res=failed'").unwrap();
    drop(f);
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(30), || ws.output_line_count() >= 7),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(agent.stop(), 0);

    let events = ws.output_events();
    assert_eq!(serials(&events), [58, 59, 60, 61, 62, 70, 71]);
    let id = events
        .iter()
        .find(|e| e["details"]["serial"] == 70)
        .unwrap();
    assert_eq!(id["action"], "syscall.execve");
    assert_eq!(id["message"], "id");
    assert_eq!(id["resource"]["name"], "/usr/bin/id");
    assert_eq!(id["actor"]["effective"]["id"], "0");
    let login = events
        .iter()
        .find(|e| e["details"]["serial"] == 71)
        .unwrap();
    assert_eq!(login["action"], "user.login");
    assert_eq!(login["outcome"], "failure");
    assert_eq!(login["source"]["ip"], "10.0.0.9");
    assert!(events.iter().all(|e| e["origin"]["format"] == "auditd"));
    assert!(events.iter().all(|e| e.get("parse_error").is_none()));
}

#[test]
fn a_cloudtrail_records_file_on_one_line_gives_one_event_per_record() {
    let ws = Workspace::new();
    let pretty = std::fs::read(fixture("cloudtrail/otel-contrib_cloudtrail_log.json")).unwrap();
    let value: Value = serde_json::from_slice(&pretty).unwrap();
    std::fs::write(ws.logs().join("trail.json"), format!("{value}\n")).unwrap();
    let config = config_with_format(&ws, "trail.json", "cloudtrail");
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(30), || ws.output_line_count() >= 7),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = ws.output_events();
    assert_eq!(events.len(), 7);
    let mut seqs: Vec<u64> = events
        .iter()
        .map(|e| e["agent"]["seq"].as_u64().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7]);
    assert!(events.iter().any(|e| e["action"] == "signin.console_login"));
}

#[test]
fn parse_command_reads_every_format() {
    let normal = std::fs::read(fixture("auditd/go-libaudit_normal.log")).unwrap();
    let (code, out, err) = run_cli(&["parse", "--format", "auditd"], Some(&normal));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 5);
    for (format, file, events) in [
        ("syslog", "syslog/beats_system-auth_test.log", 10),
        ("cef", "cef/tenzir_checkpoint.log", 3),
        ("k8s", "k8s/audit2rbac_demo.log", 37),
    ] {
        let path = fixture(file);
        let (code, out, err) =
            run_cli(&["parse", "--format", format, path.to_str().unwrap()], None);
        assert_eq!(code, 0, "{format}: {err}");
        assert_eq!(out.lines().count(), events, "{format}");
        assert!(!out.contains("parse_error"), "{format}: {out}");
    }
    let (code, out, _) = run_cli(
        &["parse", "--format", "logfmt"],
        Some(b"action=user.login user=alice status=ok\n"),
    );
    assert_eq!(code, 0);
    let event: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (event["action"].as_str(), event["outcome"].as_str()),
        (Some("user.login"), Some("success"))
    );
}
