//! The `syslog` sink into a real rsyslog (TLS and TCP, octet counting and
//! newline framing, CEF and RFC 5424), through an rsyslog restart, and
//! over UDP into a plain socket (one datagram per event, cut to the
//! configured size).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::rsyslog::{self, Rsyslog, Transport};
use crate::support::*;

const SEED: u64 = 51;

fn config(ws: &Workspace, sink: &str) -> std::path::PathBuf {
    ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "test-host"
[journal]
batch_interval = "5ms"
[sources.app]
type = "file"
include = ["{logs}/*.log"]
poll_interval = "50ms"
[sinks.siem]
type = "syslog"
request_timeout = "5s"
retry = {{ initial = "50ms", max = "500ms" }}
{sink}
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
    ))
}

/// The generated seq of a received CEF message (`cs…` has the event's
/// own `details`? no: the agent seq is `cn1`, one more than the line's).
fn cef_seq(line: &str) -> Option<u64> {
    let at = line.find(" cn1=")? + 5;
    line[at..].split(' ').next()?.parse().ok()
}

fn sd_seq(line: &str) -> Option<u64> {
    let at = line.find(" seq=\"")? + 6;
    line[at..].split('"').next()?.parse().ok()
}

/// Received messages by agent seq, the agent's signed checkpoints left out.
fn counts(lines: &[String], seq: fn(&str) -> Option<u64>) -> BTreeMap<u64, usize> {
    let mut counts = BTreeMap::new();
    for line in lines.iter().filter(|l| !l.contains("agent.checkpoint")) {
        *counts.entry(seq(line).unwrap_or(0)).or_default() += 1;
    }
    counts
}

#[test]
fn twenty_thousand_cef_events_over_tls_arrive_in_rsyslog_once_each() {
    if !rsyslog::available() {
        return;
    }
    const N: u64 = 20_000;
    let ws = Workspace::new();
    let receiver = Rsyslog::start(&ws.path("rsyslog"), Transport::Tls);
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let sink = format!(
        "address = \"{}\"\nprotocol = \"tls\"\nencoding = \"cef\"\ntls = {{ ca = \"{}\" }}",
        receiver.address(),
        receiver.ca().display()
    );
    let agent = Agent::start(&ws, &config(&ws, &sink));
    assert!(
        wait_until(Duration::from_secs(60), || receiver.lines().len() as u64
            >= N),
        "{} of {N} arrived; agent:\n{}",
        receiver.lines().len(),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let lines = receiver.lines();
    let counts = counts(&lines, cef_seq);
    assert_eq!(counts.len() as u64, N, "distinct events");
    assert!(counts.values().all(|&c| c == 1), "an event arrived twice");
    for line in lines.iter().filter(|l| !l.contains("agent.checkpoint")) {
        // <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] CEF:0|…
        assert!(line.starts_with('<') && line.contains(">1 2026-"), "{line}");
        assert!(line.contains(" test-host auditship - "), "{line}");
        assert!(line.contains("] CEF:0|auditship|auditship|"), "{line}");
        assert!(line.contains(" dvchost=test-host "), "{line}");
    }
}

#[test]
fn rfc5424_over_plain_tcp_with_newline_framing_keeps_structured_data() {
    if !rsyslog::available() {
        return;
    }
    const N: u64 = 2_000;
    let ws = Workspace::new();
    let receiver = Rsyslog::start(&ws.path("rsyslog"), Transport::Tcp);
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let sink = format!(
        "address = \"{}\"\nprotocol = \"tcp\"\nframing = \"newline\"\nfacility = \"local3\"",
        receiver.address()
    );
    let agent = Agent::start(&ws, &config(&ws, &sink));
    assert!(
        wait_until(Duration::from_secs(30), || receiver.lines().len() as u64
            >= N),
        "agent:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let lines: Vec<String> = receiver
        .lines()
        .into_iter()
        .filter(|l| !l.contains("agent.checkpoint"))
        .collect();
    let counts = counts(&lines, sd_seq);
    assert_eq!(counts.len() as u64, N);
    assert!(counts.values().all(|&c| c == 1));
    // PRI = local3 (19) × 8 + severity: info 6, warning 4 (failures),
    // critical 2 (break-glass).
    let pri = |l: &String| -> u32 { l[1..l.find('>').unwrap()].parse().unwrap() };
    assert!(lines.iter().all(|l| pri(l) / 8 == 19), "facility local3");
    let severities: BTreeSet<u32> = lines.iter().map(|l| pri(l) % 8).collect();
    assert_eq!(severities, BTreeSet::from([2, 4, 6]));
    let glass = lines
        .iter()
        .find(|l| l.contains(" break_glass.opened ["))
        .unwrap();
    assert_eq!(pri(glass) % 8, 2, "{glass}");
    assert!(lines.iter().all(|l| l.contains("[audit@32473 id=\"")));
}

#[test]
fn an_rsyslog_restart_mid_stream_loses_at_most_one_batch() {
    if !rsyslog::available() {
        return;
    }
    const N: u64 = 10_000;
    const BATCH: u64 = 200;
    let ws = Workspace::new();
    let mut receiver = Rsyslog::start(&ws.path("rsyslog"), Transport::Tls);
    let log = ws.logs().join("audit.log");
    append_lines(&log, SEED, 0..N / 2);
    let sink = format!(
        "address = \"{}\"\nencoding = \"cef\"\ntls = {{ ca = \"{}\" }}\nbatch = {{ max_events = {BATCH} }}",
        receiver.address(),
        receiver.ca().display()
    );
    let agent = Agent::start(&ws, &config(&ws, &sink));
    assert!(
        wait_until(Duration::from_secs(30), || receiver.lines().len() as u64
            >= N / 2),
        "agent:\n{}",
        agent.log()
    );
    receiver.stop();
    append_lines(&log, SEED, N / 2..N);
    std::thread::sleep(Duration::from_millis(700)); // the agent retries meanwhile
    receiver.restart();
    let distinct = || counts(&receiver.lines(), cef_seq).len() as u64;
    assert!(
        wait_until(Duration::from_secs(60), || distinct() >= N - BATCH),
        "{} distinct of {N}; agent:\n{}",
        distinct(),
        agent.log()
    );
    // Let a straggling retry land before judging.
    std::thread::sleep(Duration::from_millis(500));
    let log = agent.log();
    assert_eq!(agent.stop(), 0);
    let seen: BTreeSet<u64> = counts(&receiver.lines(), cef_seq).into_keys().collect();
    let missing = N.saturating_sub(seen.len() as u64);
    assert!(
        missing <= BATCH,
        "{missing} events lost, more than one batch"
    );
    assert!(
        log.contains("reconnecting") || log.contains("cannot connect"),
        "{log}"
    );
}

#[test]
fn udp_sends_one_datagram_per_event_cut_to_max_message_bytes() {
    // Few enough to fit the receiving socket's buffer: UDP drops the rest.
    const N: u64 = 100;
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let sink = format!(
        "address = \"{}\"\nprotocol = \"udp\"\nencoding = \"json\"\nmax_message_bytes = 600",
        socket.local_addr().unwrap()
    );
    let agent = Agent::start(&ws, &config(&ws, &sink));
    let mut datagrams = Vec::new();
    let mut buf = [0u8; 65536];
    while (datagrams.len() as u64) < N {
        let n = socket.recv(&mut buf).unwrap_or_else(|e| {
            panic!(
                "{} of {N} datagrams ({e}); agent:\n{}",
                datagrams.len(),
                agent.log()
            )
        });
        datagrams.push(buf[..n].to_vec());
    }
    assert_eq!(agent.stop(), 0);
    assert!(datagrams
        .iter()
        .all(|d| d.len() <= 600 && d.starts_with(b"<")));
    assert!(
        datagrams.iter().all(|d| std::str::from_utf8(d).is_ok()),
        "cut on a character boundary"
    );
    let cut = datagrams
        .iter()
        .filter(|d| d.len() == 600 || !d.ends_with(b"}"))
        .count();
    assert!(cut > 0, "generated JSON events are longer than 600 bytes");
}
