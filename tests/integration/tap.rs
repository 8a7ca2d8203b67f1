//! `auditship tap`: live events from a running agent through its admin
//! endpoint, filtered, from the moment the tap connects.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn tapped(path: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| l.ends_with('}'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn tap_streams_the_matching_events_journaled_after_it_connects() {
    let ws = Workspace::new();
    let log = ws.logs().join("audit.log");
    append_lines(&log, 9, 0..50);
    let port = free_port();
    let config = ws.config(
        "*.log",
        &format!("[admin]\naddress = \"127.0.0.1:{port}\"\n"),
    );
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(30), || ws.output_line_count() >= 50),
        "log:\n{}",
        agent.log()
    );

    let out_path = ws.path("tap.ndjson");
    let mut tap = Command::new(bin())
        .args(["tap", "-c"])
        .arg(&config)
        .args(["--filter", r#"action == "user.login" && tenant.id ^= """#])
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Markers until the tap shows one: then it is surely connected.
    let mut marker = 0;
    let connected = wait_until(Duration::from_secs(30), || {
        marker += 1;
        std::fs::write(
            ws.logs().join(format!("marker-{marker}.log")),
            format!(
                "{{\"action\":\"user.login\",\"tenantId\":\"t\",\"seq\":{}}}\n",
                900_000 + marker
            ),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        !tapped(&out_path).is_empty()
    });
    assert!(
        connected,
        "the tap shows nothing; agent log:\n{}",
        agent.log()
    );

    append_lines(&log, 9, 50..300);
    let expected: Vec<u64> = {
        assert!(
            wait_until(Duration::from_secs(30), || count_by_seq(
                &ws.output_events()
            )
            .contains_key(&299)),
            "log:\n{}",
            agent.log()
        );
        let mut seqs: Vec<u64> = ws
            .output_events()
            .iter()
            .filter(|e| e["action"] == "user.login")
            .filter_map(|e| e["details"]["seq"].as_u64())
            .filter(|seq| (50..300).contains(seq))
            .collect();
        seqs.sort();
        seqs
    };
    assert!(!expected.is_empty(), "the generator makes logins");
    let tapped_seqs = || {
        let mut seqs: Vec<u64> = tapped(&out_path)
            .iter()
            .filter_map(|e| e["details"]["seq"].as_u64())
            .filter(|seq| *seq < 900_000)
            .collect();
        seqs.sort();
        seqs
    };
    assert!(
        wait_until(Duration::from_secs(30), || tapped_seqs() == expected),
        "tapped {:?}, expected {expected:?}",
        tapped_seqs()
    );
    assert!(
        tapped(&out_path)
            .iter()
            .all(|e| e["action"] == "user.login"),
        "only matching events"
    );
    let _ = tap.kill();
    let _ = tap.wait();
    assert_eq!(agent.stop(), 0);
}

#[test]
fn tap_refuses_a_malformed_filter_with_where_and_what() {
    let ws = Workspace::new();
    let config = ws.config("*.log", "[admin]\naddress = \"127.0.0.1:9\"\n");
    let (code, _, err) = run_cli(
        &[
            "tap",
            "-c",
            config.to_str().unwrap(),
            "--filter",
            "action = \"x\"",
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("character 7") && err.contains("=="), "{err}");
}
