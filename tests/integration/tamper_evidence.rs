//! Tamper evidence end to end: the agent's file-sink output passes
//! `auditship verify`; each kind of tampering is reported at its line with
//! a non-zero exit; the chain continues across a graceful restart and
//! across `kill -9`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use auditship::chain::checkpoint::{CheckpointSigner, SignedCheckpoint};
use auditship::chain::{from_hex, Link};
use auditship::event::AuditEvent;
use auditship::pipeline::EncodedEvent;
use serde_json::Value;

use crate::support::*;

const SEED: u64 = 23;

fn config_with_checkpoints(ws: &Workspace, every: u64) -> PathBuf {
    ws.config(
        "*.log",
        &format!("\n[integrity]\ncheckpoint_events = {every}\n"),
    )
}

fn delivered(ws: &Workspace) -> usize {
    count_by_seq(&ws.output_events()).len()
}

fn public_key(config: &Path) -> String {
    let (code, out, err) = run_cli(&["key", "show", "-c", config.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}");
    out.trim().to_string()
}

fn verify(key: &str, file: &Path) -> (i32, String) {
    let (code, out, err) = run_cli(&["verify", "--pubkey", key, file.to_str().unwrap()], None);
    (code, format!("{out}{err}"))
}

/// Runs the agent over `n` generated lines, written in chunks of `every`
/// (a checkpoint goes between two journal appends, so chunks make sure
/// there are several), until all are delivered, and stops it gracefully;
/// returns (output file, public key).
fn agent_trail(ws: &Workspace, n: u64, every: u64) -> (PathBuf, String) {
    let config = config_with_checkpoints(ws, every);
    let agent = Agent::start(ws, &config);
    for start in (0..n).step_by(every as usize) {
        let end = (start + every).min(n);
        append_lines(&ws.logs().join("audit.log"), SEED, start..end);
        let done = wait_until(Duration::from_secs(60), || delivered(ws) as u64 >= end);
        assert!(done, "log:\n{}", agent.log());
    }
    assert_eq!(agent.stop(), 0);
    (ws.out_dir().join("events.ndjson"), public_key(&config))
}

fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_variant(ws: &Workspace, name: &str, lines: &[String]) -> PathBuf {
    let path = ws.path(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn assert_found(key: &str, file: &Path, line: usize, kind: &str) {
    let (code, out) = verify(key, file);
    assert_eq!(code, 1, "{out}");
    let expected = format!("{}:{line}: {kind}:", file.display());
    assert!(out.contains(&expected), "expected {expected:?} in:\n{out}");
}

fn link_of(line: &str) -> Link {
    let v: Value = serde_json::from_str(line).unwrap();
    from_hex(v["agent"]["chain"].as_str().unwrap()).unwrap()
}

/// What a forger does after rewriting line `index`: re-chain every later
/// line, so that only the signatures can betray the edit.
fn rechain(lines: &mut [String], index: usize) {
    let mut link = link_of(&lines[index - 1]);
    for line in lines.iter_mut().skip(index) {
        let mut event: AuditEvent = serde_json::from_str(line).unwrap();
        let seq = event.agent.seq.take().unwrap();
        event.agent.chain = None;
        let mut out = Vec::new();
        link = EncodedEvent::encode(&event).write_chained(seq, &link, &mut out);
        *line = String::from_utf8(out).unwrap();
    }
}

#[test]
fn the_agents_trail_verifies_and_each_kind_of_tampering_is_found_at_its_line() {
    let ws = Workspace::new();
    let (out, key) = agent_trail(&ws, 2_000, 500);
    let (code, report) = verify(&key, &out);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("OK: "), "{report}");
    let lines = lines_of(&out);
    let checkpoints: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains(r#""action":"agent.checkpoint""#))
        .collect();
    assert!(
        checkpoints.len() >= 4,
        "{checkpoints:?}: after each chunk, and at the stop"
    );
    assert_eq!(*checkpoints.last().unwrap(), lines.len() - 1);

    // The same trail as gzip members (what `compression = "gzip"` writes).
    let gz = ws.path("trail.ndjson.gz");
    for part in [&lines[..1_000], &lines[1_000..]] {
        use std::io::Write;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&gz)
            .unwrap();
        let mut member = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        member
            .write_all((part.join("\n") + "\n").as_bytes())
            .unwrap();
        member.finish().unwrap();
    }
    let (code, report) = verify(&key, &gz);
    assert_eq!(code, 0, "{report}");

    // One byte of one event.
    let mut edited = lines.clone();
    let at = edited[99].find(r#""id":""#).unwrap() + 6;
    let byte = if &edited[99][at..=at] == "0" {
        "1"
    } else {
        "0"
    };
    edited[99].replace_range(at..=at, byte);
    assert_found(
        &key,
        &write_variant(&ws, "edited", &edited),
        100,
        "modified",
    );

    let mut deleted = lines.clone();
    deleted.remove(199);
    assert_found(
        &key,
        &write_variant(&ws, "deleted", &deleted),
        200,
        "missing",
    );

    let mut swapped = lines.clone();
    swapped.swap(299, 300);
    assert_found(
        &key,
        &write_variant(&ws, "swapped", &swapped),
        301,
        "reordered",
    );

    // Cut mid-line, and cut at a line end (the final checkpoint is gone).
    let text = std::fs::read_to_string(&out).unwrap();
    let cut = ws.path("cut");
    let end_of_1500 = text.match_indices('\n').nth(1_499).unwrap().0;
    std::fs::write(&cut, &text[..end_of_1500 - 40]).unwrap();
    assert_found(&key, &cut, 1_500, "malformed");
    let short = write_variant(&ws, "short", &lines[..lines.len() - 10]);
    let last_kept = checkpoints[checkpoints.len() - 2];
    assert_found(&key, &short, last_kept + 2, "unsigned-tail");

    // A checkpoint re-signed with another key, the chain made consistent.
    let forger = CheckpointSigner::from_pkcs8(
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
            .unwrap()
            .as_ref(),
    )
    .unwrap();
    let mut forged = lines.clone();
    let i = checkpoints[1];
    let genuine: AuditEvent = serde_json::from_str(&forged[i]).unwrap();
    let signed = SignedCheckpoint::from_details("test-host", &genuine.details).unwrap();
    let mut replacement = forger.event(&signed.checkpoint, genuine.time);
    replacement.id = genuine.id.clone();
    let mut line = Vec::new();
    EncodedEvent::encode(&replacement).write_chained(
        genuine.agent.seq.unwrap(),
        &link_of(&forged[i - 1]),
        &mut line,
    );
    forged[i] = String::from_utf8(line).unwrap();
    rechain(&mut forged, i + 1);
    assert_found(
        &key,
        &write_variant(&ws, "forged", &forged),
        i + 1,
        "wrong-key",
    );
}

#[test]
fn the_chain_continues_across_a_graceful_restart_and_a_kill_9() {
    let ws = Workspace::new();
    let log = ws.logs().join("audit.log");
    let config = config_with_checkpoints(&ws, 1_000);
    append_lines(&log, SEED, 0..3_000);
    let agent = Agent::start(&ws, &config);
    assert!(wait_until(Duration::from_secs(60), || delivered(&ws) >= 3_000));
    assert_eq!(agent.stop(), 0);

    append_lines(&log, SEED, 3_000..60_000);
    let agent = Agent::start(&ws, &config);
    assert!(wait_until(Duration::from_secs(60), || delivered(&ws) > 6_000));
    agent.kill9();

    let agent = Agent::start(&ws, &config);
    let all = wait_until(Duration::from_secs(120), || delivered(&ws) >= 60_000);
    assert!(all, "log:\n{}", agent.log());
    assert_eq!(agent.stop(), 0);
    let (code, report) = verify(&public_key(&config), &ws.out_dir().join("events.ndjson"));
    assert_eq!(code, 0, "{report}");
}
