//! Every format over generated lines (`support/gen_audit.rs`, shaped like
//! `gen-audit --format …`): every line normalizes fully. Throughput per
//! format is measured by `cargo bench --bench parsers`.

#[path = "support/gen_audit.rs"]
mod gen_audit;

use auditship::config::FormatConfig;
use auditship::event::{ActorType, Outcome, Severity};
use auditship::formats::{EntryContext, Parser};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

fn ctx(offset: u64) -> EntryContext<'static> {
    EntryContext {
        origin_kind: auditship::event::OriginKind::File,
        path: Some("/var/log/app/audit.log"),
        offset: Some(offset),
        position_key: "0000000000000801",
        host: "bench-host",
        ingest_time: Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
    }
}

fn json_parser() -> Parser {
    Parser::from_config(&FormatConfig::Json { map: Vec::new() }, false).unwrap()
}

#[test]
fn generator_is_deterministic_per_seed_and_seq() {
    assert_eq!(gen_audit::json_line(7, 42), gen_audit::json_line(7, 42));
    assert_ne!(gen_audit::json_line(7, 42), gen_audit::json_line(8, 42));
    let mut out = Vec::new();
    gen_audit::write_json_lines(&mut out, 7, 40..43).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[2], gen_audit::json_line(7, 42));
    assert_eq!(
        gen_audit::format_millis(1_774_607_415_123),
        "2026-03-27T10:30:15.123Z"
    );
    assert_eq!(
        gen_audit::format_millis(951_782_400_000),
        "2000-02-29T00:00:00.000Z"
    );
}

#[test]
fn ten_thousand_generated_lines_normalize_fully() {
    let parser = json_parser();
    let mut offset = 0;
    for seq in 0..10_000 {
        let line = gen_audit::json_line(7, seq);
        let source: Value = serde_json::from_str(&line).unwrap();
        let e = parser.parse(line.as_bytes(), &ctx(offset));
        offset += line.len() as u64 + 1;

        assert!(e.parse_error.is_none(), "{line}");
        assert_eq!(e.id, source["id"].as_str().unwrap());
        assert_eq!(e.actor.id.as_deref(), source["userId"].as_str());
        let actor_type = match source["actorType"].as_str().unwrap() {
            "user" => ActorType::User,
            "service_account" => ActorType::ServiceAccount,
            _ => ActorType::System,
        };
        assert_eq!(e.actor.kind, actor_type);
        assert_eq!(e.action, source["action"].as_str().unwrap());
        let outcome = match source["status"].as_str().unwrap() {
            "success" => Outcome::Success,
            "failure" => Outcome::Failure,
            _ => Outcome::Blocked,
        };
        assert_eq!(e.outcome, outcome);
        let created = source["createdAt"].as_str().unwrap();
        assert_eq!(
            e.time,
            DateTime::parse_from_rfc3339(created).unwrap(),
            "{created}"
        );
        assert!(!e.time_inferred);
        assert_eq!(
            e.tenant.as_ref().unwrap().id,
            source["tenantId"].as_str().unwrap()
        );
        assert_eq!(
            e.project.as_ref().unwrap().id,
            source["projectId"].as_str().unwrap()
        );
        assert_eq!(
            e.correlation.get("git_commit_sha").map(String::as_str),
            source["gitCommitSha"].as_str()
        );
        assert_eq!(
            e.source.as_ref().unwrap().ip.as_deref(),
            source["ip"].as_str()
        );
        let resource = e.resource.as_ref().unwrap();
        assert_eq!(
            resource.kind.as_deref(),
            source["resource"]["type"].as_str()
        );
        assert_eq!(resource.id.as_deref(), source["resource"]["id"].as_str());
        assert_eq!(
            e.details.get("environment"),
            Some(&source["details"]["environment"])
        );
        assert_eq!(e.details.get("seq"), Some(&json!(seq)));
        assert_eq!(
            e.details.len(),
            4,
            "only seq and the details' own keys: {line}"
        );
        if e.action == "break_glass.opened" {
            let bg = e.actor.break_glass.as_ref().unwrap();
            assert_eq!(
                bg.session_id.as_deref(),
                source["details"]["breakGlassSessionId"].as_str()
            );
            assert!(e.severity >= Severity::Critical);
        } else {
            assert!(e.actor.break_glass.is_none());
        }
    }
}

fn parser(format: FormatConfig) -> Parser {
    Parser::from_config(&format, false).unwrap()
}

/// Reads `entry` with `format` and checks what every format must give for
/// a generated event: no quarantine, its time, action and outcome.
fn check_common(
    format: FormatConfig,
    seed: u64,
    seq: u64,
    entry: &str,
) -> auditship::event::AuditEvent {
    let source = gen_audit::event(seed, seq);
    let mut events = Vec::new();
    parser(format).parse_into(entry.as_bytes(), &ctx(seq), &mut events);
    assert_eq!(events.len(), 1, "{entry}");
    let e = events.pop().unwrap();
    assert!(e.parse_error.is_none(), "{entry}: {:?}", e.parse_error);
    assert!(!e.time_inferred, "{entry}");
    assert_eq!(
        e.time.timestamp_millis() as u64 / 1000,
        source.created_millis / 1000,
        "{entry}"
    );
    assert!(!e.id.is_empty());
    e
}

fn generated_outcome(status: &str) -> Outcome {
    match status {
        "success" => Outcome::Success,
        "failure" => Outcome::Failure,
        _ => Outcome::Blocked,
    }
}

#[test]
fn generated_lines_of_every_text_format_normalize() {
    for seq in 0..2_000 {
        let g = gen_audit::event(5, seq);
        let outcome = generated_outcome(g.status);

        let e = check_common(
            FormatConfig::Logfmt,
            5,
            seq,
            &gen_audit::logfmt_line(5, seq),
        );
        assert_eq!((e.action.as_str(), e.outcome), (g.action, outcome));
        assert_eq!(e.actor.id.as_deref(), Some(g.user.as_str()));
        assert_eq!(e.tenant.as_ref().unwrap().id, g.tenant);
        assert_eq!(e.id, g.id);

        let e = check_common(
            FormatConfig::Syslog,
            5,
            seq,
            &gen_audit::syslog5424_line(5, seq),
        );
        assert_eq!((e.action.as_str(), e.outcome), (g.action, outcome));
        assert_eq!(e.actor.id.as_deref(), Some(g.user.as_str()));
        assert_eq!(e.details["seq"], json!(seq.to_string()));

        let e = check_common(FormatConfig::Cef, 5, seq, &gen_audit::cef_line(5, seq));
        assert_eq!((e.action.as_str(), e.outcome), (g.action, outcome));
        assert_eq!(e.id, g.id);
        assert_eq!(e.tenant.as_ref().unwrap().id, g.tenant);
        assert_eq!(
            e.source.as_ref().unwrap().ip.as_deref(),
            Some(g.ip.as_str())
        );

        let e = check_common(
            FormatConfig::CloudTrail,
            5,
            seq,
            &gen_audit::cloudtrail_line(5, seq),
        );
        assert_eq!(e.id, g.id);
        assert_eq!(e.details["requestParameters"]["seq"], json!(seq));
        let ct_outcome = if g.status == "success" {
            Outcome::Success
        } else {
            Outcome::Blocked
        };
        assert_eq!(
            e.outcome, ct_outcome,
            "AccessDenied is an authorization refusal"
        );

        let e = check_common(FormatConfig::k8s(), 5, seq, &gen_audit::k8s_line(5, seq));
        assert_eq!(e.id, format!("{}-{seq}", &g.id[..23]));
        assert_eq!(e.actor.kind, ActorType::ServiceAccount);
        let k8s_outcome = match g.status {
            "success" => Outcome::Success,
            "failure" => Outcome::Blocked, // 403 + decision forbid
            _ => Outcome::Failure,         // 422
        };
        assert_eq!(e.outcome, k8s_outcome);

        let e = check_common(
            FormatConfig::Auditd,
            5,
            seq,
            &gen_audit::auditd_lines(5, seq),
        );
        // The rule key names the action; the syscall's stays in details.
        assert_eq!(e.action, g.action);
        assert_eq!(e.details["syscall_action"], "syscall.execve");
        assert_eq!(e.details["serial"], json!(seq + 1));
        assert_eq!(e.details["execve"]["a1"], json!(g.action));
        let ok = if g.status == "success" {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        assert_eq!(e.outcome, ok);
    }
}

/// A generator of one entry, `(seed, seq) → line`.
type LineMaker = fn(u64, u64) -> String;

#[test]
fn auto_reads_generated_lines_of_every_format_as_that_format_does() {
    let auto = parser(FormatConfig::Auto);
    let cases: [(FormatConfig, LineMaker); 8] = [
        (FormatConfig::Json { map: Vec::new() }, gen_audit::json_line),
        (FormatConfig::Auditd, gen_audit::auditd_lines),
        (FormatConfig::Syslog, gen_audit::syslog5424_line),
        (FormatConfig::Syslog, gen_audit::syslog3164_line),
        (FormatConfig::Cef, gen_audit::cef_line),
        (FormatConfig::CloudTrail, gen_audit::cloudtrail_line),
        (FormatConfig::k8s(), gen_audit::k8s_line),
        (FormatConfig::Logfmt, gen_audit::logfmt_line),
    ];
    for (format, line) in cases {
        let named = parser(format);
        for seq in 0..500 {
            let entry = line(9, seq);
            let expected = named.parse(entry.as_bytes(), &ctx(seq));
            assert_eq!(
                auto.parse(entry.as_bytes(), &ctx(seq)),
                expected,
                "{}: {entry}",
                named.name()
            );
        }
    }
}
