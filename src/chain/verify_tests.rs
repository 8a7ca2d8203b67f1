//! `verify` against trails built in memory the way the agent builds them.

use chrono::Utc;
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

use super::checkpoint::{parse_public_key, Checkpoint, CheckpointSigner};
use super::verify::Verifier;
use super::verify_report::{Kind, Report};
use super::{Link, GENESIS};
use crate::event::{AuditEvent, Origin, OriginKind};
use crate::pipeline::EncodedEvent;

fn signer() -> CheckpointSigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    CheckpointSigner::from_pkcs8(pkcs8.as_ref()).unwrap()
}

fn event(i: u64) -> AuditEvent {
    let origin = Origin {
        kind: OriginKind::File,
        format: "json".into(),
        path: Some("/x".into()),
        offset: Some(i),
        peer: None,
    };
    let mut e = AuditEvent::new(origin, "web-1", Utc::now());
    e.id = format!("ev-{i}");
    e.action = "user.login".into();
    e
}

/// `n` events with a checkpoint after every `every`, and one at the end.
fn trail(signer: &CheckpointSigner, n: u64, every: u64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut link: Link = GENESIS;
    let mut seq_from = 1;
    let push = |e: &AuditEvent, link: &mut Link, lines: &mut Vec<String>| {
        let mut out = Vec::new();
        let seq = lines.len() as u64 + 1;
        *link = EncodedEvent::encode(e).write_chained(seq, link, &mut out);
        lines.push(String::from_utf8(out).unwrap());
    };
    for i in 0..n {
        push(&event(i), &mut link, &mut lines);
        if (i + 1) % every == 0 || i + 1 == n {
            let seq_to = lines.len() as u64;
            let c = Checkpoint {
                host: "web-1".into(),
                seq_from,
                seq_to,
                link,
            };
            push(&signer.event(&c, Utc::now()), &mut link, &mut lines);
            seq_from = seq_to + 2;
        }
    }
    lines
}

fn check(lines: &[String], pubkey: Option<&CheckpointSigner>) -> Report {
    let key = pubkey.map(|s| parse_public_key(s.public_key_base64()).unwrap());
    let mut v = Verifier::new(key);
    let file = v.add_file("t.ndjson");
    for (i, line) in lines.iter().enumerate() {
        v.add_line(file, i as u64 + 1, line.as_bytes());
    }
    v.finish()
}

fn kinds(report: &Report) -> Vec<(Kind, u64)> {
    report
        .findings
        .iter()
        .map(|f| (f.kind, f.at.line))
        .collect()
}

#[test]
fn an_untouched_trail_is_intact() {
    let s = signer();
    let report = check(&trail(&s, 25, 10), Some(&s));
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.hosts[0].events, 28);
    assert_eq!(report.hosts[0].signed_through, 27);
    assert!(
        report.to_string().starts_with("host web-1: 28 events"),
        "{report}"
    );
}

#[test]
fn an_edited_event_is_reported_alone_at_its_line() {
    let s = signer();
    let mut lines = trail(&s, 25, 10);
    lines[4] = lines[4].replace("user.login", "user.logout");
    assert_eq!(kinds(&check(&lines, Some(&s))), [(Kind::Modified, 5)]);
}

#[test]
fn a_deleted_line_is_a_missing_seq_at_the_next_line() {
    let s = signer();
    let mut lines = trail(&s, 25, 10);
    lines.remove(6);
    let report = check(&lines, Some(&s));
    assert_eq!(kinds(&report), [(Kind::Missing, 7)]);
    assert!(
        report.findings[0].message.contains("seq 7..7 missing"),
        "{report}"
    );
}

#[test]
fn swapped_lines_are_reordered_but_the_chain_still_verifies() {
    let s = signer();
    let mut lines = trail(&s, 25, 10);
    lines.swap(3, 4);
    assert_eq!(kinds(&check(&lines, Some(&s))), [(Kind::Reordered, 5)]);
}

#[test]
fn exact_redeliveries_are_not_findings() {
    let s = signer();
    let mut lines = trail(&s, 25, 10);
    let again: Vec<String> = lines[20..].to_vec();
    lines.extend(again);
    let report = check(&lines, Some(&s));
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.hosts[0].duplicates, 8);
}

#[test]
fn a_cut_trail_has_an_unsigned_tail() {
    let s = signer();
    let mut lines = trail(&s, 25, 10);
    lines.truncate(24);
    let report = check(&lines, Some(&s));
    assert_eq!(kinds(&report), [(Kind::UnsignedTail, 23)]);
    let mut half = trail(&s, 5, 10);
    let last = half.pop().unwrap();
    half.push(last[..last.len() / 2].to_string());
    assert!(kinds(&check(&half, Some(&s))).contains(&(Kind::Malformed, 6)));
}

/// What a forger who rewrote line `index` does next: re-chains every
/// line from there on, so that only signatures can betray the edit.
fn rechain(lines: &mut [String], index: usize) {
    let mut link = super::from_hex(
        serde_json::from_str::<serde_json::Value>(&lines[index - 1]).unwrap()["agent"]["chain"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    for (i, line) in lines.iter_mut().enumerate().skip(index) {
        let mut e: AuditEvent = serde_json::from_str(line).unwrap();
        (e.agent.seq, e.agent.chain) = (None, None);
        let mut out = Vec::new();
        link = EncodedEvent::encode(&e).write_chained(i as u64 + 1, &link, &mut out);
        *line = String::from_utf8(out).unwrap();
    }
}

#[test]
fn a_checkpoint_by_another_key_is_refused_with_pubkey_and_flagged_without() {
    let s = signer();
    let forger = signer();
    let mut lines = trail(&s, 25, 10);
    let genuine: AuditEvent = serde_json::from_str(&lines[10]).unwrap();
    let read =
        super::checkpoint::SignedCheckpoint::from_details("web-1", &genuine.details).unwrap();
    let mut forged = Vec::new();
    EncodedEvent::encode(&forger.event(&read.checkpoint, Utc::now())).write_chained(
        11,
        &read.checkpoint.link,
        &mut forged,
    );
    lines[10] = String::from_utf8(forged).unwrap();
    rechain(&mut lines, 11);
    // The re-chaining also breaks the genuine checkpoints after it.
    let report = check(&lines, Some(&s));
    let found = kinds(&report);
    assert!(found.contains(&(Kind::WrongKey, 11)), "{report}");
    assert!(found.contains(&(Kind::CheckpointMismatch, 22)), "{report}");
    let report = check(&lines, None);
    assert!(kinds(&report).contains(&(Kind::WrongKey, 1)), "{report}");
}

#[test]
fn an_edited_checkpoint_does_not_verify() {
    let s = signer();
    let mut lines = trail(&s, 25, 10);
    lines[10] = lines[10].replace("\"seq_from\":1", "\"seq_from\":2");
    let found = kinds(&check(&lines, Some(&s)));
    assert!(found.contains(&(Kind::BadSignature, 11)), "{found:?}");
    assert!(found.contains(&(Kind::Modified, 11)), "{found:?}");
}
