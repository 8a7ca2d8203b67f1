//! Every format over the real public samples in `tests/fixtures/<format>/`
//! (see `tests/fixtures/SOURCES.md`): every entry parses without a
//! quarantine, with time, action and outcome read where the sample has
//! them. Entries are read as the agent reads them: line by line, auditd
//! lines joined by the `AuditdGrouper`, and every entry through
//! `Parser::parse_into`. The CloudTrail sample is a pretty-printed
//! `Records` file, read whole as one entry.
//!
//! `beats_elasticsearch-test-audit.log` interleaves Elasticsearch
//! *server-log* JSON lines (`"type": "server"`, no actor, no outcome) with
//! its audit lines. They are not errors: they normalize with what they have
//! — time from `timestamp`, action `server` (from `type`), severity from
//! `level`, `message`, actor type `system` — and everything else in
//! `details`. Filtering them out is a routing decision, not a parser's.

use std::fs;
use std::path::{Path, PathBuf};

use auditship::config::FormatConfig;
use auditship::event::{ActorType, AuditEvent, OriginKind, Outcome, Severity};
use auditship::formats::{AuditdGrouper, EntryContext, GroupedEntry, Parser};
use chrono::{DateTime, TimeZone, Utc};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/json")
        .join(name)
}

fn parse_file(path: &Path) -> Vec<AuditEvent> {
    let parser = Parser::from_config(&FormatConfig::Json { map: Vec::new() }, false).unwrap();
    let text = fs::read(path).unwrap();
    let mut offset = 0u64;
    let mut events = Vec::new();
    for line in text.split(|b| *b == b'\n') {
        let this_offset = offset;
        offset += line.len() as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let ctx = EntryContext {
            origin_kind: OriginKind::File,
            path: path.to_str(),
            offset: Some(this_offset),
            position_key: "fixture",
            host: "test",
            ingest_time: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        };
        events.push(parser.parse(line, &ctx));
    }
    events
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[test]
fn every_json_fixture_line_parses_without_quarantine() {
    let mut total = 0;
    for entry in fs::read_dir(fixture("")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("log") {
            continue;
        }
        for e in parse_file(&path) {
            assert!(
                e.parse_error.is_none(),
                "{}: {:?}",
                path.display(),
                e.parse_error
            );
            assert!(!e.time_inferred, "{}: {}", path.display(), e.id);
            assert!(!e.id.is_empty() && e.action != "unknown");
            total += 1;
        }
    }
    assert_eq!(total, 14);
}

#[test]
fn elasticsearch_audit_lines_read_comma_times_actor_action_and_outcome() {
    let events = parse_file(&fixture("beats_elasticsearch-test-audit.log"));
    let first = &events[0];
    assert_eq!(first.time, utc("2018-10-31T09:34:25.109Z"));
    assert_eq!(first.action, "authentication_failed");
    assert_eq!(first.outcome, Outcome::Failure);
    assert_eq!(first.severity, Severity::Warning);
    assert_eq!(first.actor.name.as_deref(), Some("elastic"));
    let source = first.source.as_ref().unwrap();
    assert_eq!(
        (source.ip.as_deref(), source.port),
        (Some("::1"), Some(61598))
    );

    let granted = &events[2];
    assert_eq!(granted.action, "access_granted");
    assert_eq!(granted.outcome, Outcome::Success);
    assert_eq!(granted.actor.groups, ["superuser"]);
    assert_eq!(
        granted.details.get("action").and_then(|v| v.as_str()),
        Some("cluster:admin/xpack/security/realm/cache/clear")
    );
    let search = events
        .iter()
        .find(|e| e.action == "authentication_success")
        .unwrap();
    assert_eq!(
        search.correlation.get("request_id").map(String::as_str),
        Some("WzL_kb6VSvOhAq0twPvHOQ")
    );
}

#[test]
fn elasticsearch_server_log_lines_normalize_with_what_they_have() {
    let events = parse_file(&fixture("beats_elasticsearch-test-audit.log"));
    let server: Vec<&AuditEvent> = events.iter().filter(|e| e.action == "server").collect();
    assert_eq!(server.len(), 2);
    let first = server[0];
    assert_eq!(first.time, utc("2021-02-10T14:24:38.466Z"));
    assert_eq!(first.outcome, Outcome::Unknown);
    assert_eq!(first.severity, Severity::Info);
    assert_eq!(first.actor.kind, ActorType::System);
    assert_eq!(
        first.message.as_deref(),
        Some("adding index lifecycle policy [kibana-event-log-policy]")
    );
    assert!(first.details.contains_key("component"));
}

#[test]
fn kibana_ecs_lines_read_nested_event_user_and_trace() {
    let events = parse_file(&fixture("beats_kibana-audit-814.log"));
    let first = &events[0];
    assert_eq!(first.time, utc("2023-06-19T15:18:47.298Z"));
    assert_eq!(first.action, "saved_object_create");
    assert_eq!(first.category.as_deref(), Some("database"));
    assert_eq!(first.outcome, Outcome::Unknown);
    assert_eq!(
        first.correlation.get("trace_id").map(String::as_str),
        Some("809d3449277aba205a3ac539d23dbf7e")
    );
    let http = events.iter().find(|e| e.action == "http_request").unwrap();
    assert_eq!(http.actor.name.as_deref(), Some("elastic"));
    assert_eq!(http.actor.groups, ["superuser"]);
    assert!(http.source.as_ref().and_then(|s| s.ip.as_ref()).is_some());
}

fn sample(folder: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder)
        .join(name)
}

fn ctx_at(path: &Path, offset: u64) -> EntryContext<'_> {
    EntryContext {
        origin_kind: OriginKind::File,
        path: path.to_str(),
        offset: Some(offset),
        position_key: "fixture",
        host: "test",
        ingest_time: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
    }
}

/// Reads a sample as the file source does: lines (blank ones skipped),
/// grouped first when the parser joins lines, each entry via `parse_into`.
fn parse_sample(format: FormatConfig, path: &Path) -> Vec<AuditEvent> {
    let parser = Parser::from_config(&format, false).unwrap();
    let text = fs::read(path).unwrap();
    let mut grouper = parser.groups_lines().then(AuditdGrouper::new);
    let mut entries = Vec::new();
    let mut offset = 0u64;
    for line in text.split(|b| *b == b'\n') {
        let this_offset = offset;
        offset += line.len() as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match &mut grouper {
            Some(g) => g.push(this_offset, line, None, &mut entries),
            None => entries.push(GroupedEntry {
                offset: this_offset,
                bytes: line.to_vec(),
                too_long: None,
            }),
        }
    }
    entries.extend(grouper.as_mut().and_then(AuditdGrouper::take_open));
    let mut events = Vec::new();
    for entry in entries {
        parser.parse_into(&entry.bytes, &ctx_at(path, entry.offset), &mut events);
    }
    events
}

fn assert_clean(events: &[AuditEvent], what: &str) {
    for e in events {
        assert!(
            e.parse_error.is_none(),
            "{what}: {:?} {:?}",
            e.parse_error,
            e.raw
        );
        assert!(
            !e.id.is_empty() && e.action != "unknown",
            "{what}: {}",
            e.action
        );
    }
    let mut ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), events.len(), "{what}: ids are unique");
}

#[test]
fn syslog_samples_parse_with_time_actor_and_meaningful_actions() {
    let auth = parse_sample(
        FormatConfig::Syslog,
        &sample("syslog", "beats_system-auth_test.log"),
    );
    assert_eq!(auth.len(), 10);
    assert_clean(&auth, "system-auth");
    assert!(auth.iter().all(|e| !e.time_inferred));
    // Year from the ingest time (2030-01-01), rolled back: February is ahead.
    assert_eq!(auth[0].time, utc("2029-02-21T21:54:44Z"));
    let actions: Vec<&str> = auth.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.login",
            "user.login",
            "user.login",
            "user.login",
            "sudo.command",
            "log.line",
            "sudo.command",
            "sudo.command",
            "group.create",
            "user.create"
        ]
    );
    let outcomes: Vec<Outcome> = auth.iter().map(|e| e.outcome).collect();
    use Outcome::*;
    assert_eq!(
        outcomes,
        [
            Success, Success, Failure, Failure, Success, Unknown, Success, Blocked, Success,
            Success
        ]
    );
    assert_eq!(auth[1].actor.name.as_deref(), Some("vagrant"));
    assert_eq!(
        auth[1].source.as_ref().unwrap().ip.as_deref(),
        Some("192.168.33.1")
    );
    assert_eq!(auth[3].actor.name.as_deref(), Some("root"));

    let rfc5424 = parse_sample(FormatConfig::Syslog, &sample("syslog", "dynatrace_RFC5424"));
    assert_eq!(rfc5424.len(), 1);
    assert_clean(&rfc5424, "RFC5424");
    assert_eq!(rfc5424[0].time, utc("2015-08-05T21:58:59.693Z"));
    assert_eq!(rfc5424[0].actor.id.as_deref(), Some("Tester2"));
    assert_eq!(rfc5424[0].details["syslog"]["facility"], "authpriv");
}

#[test]
fn cef_checkpoint_sample_parses_every_record() {
    let events = parse_sample(FormatConfig::Cef, &sample("cef", "tenzir_checkpoint.log"));
    assert_eq!(events.len(), 3, "the trailing blank line is no record");
    assert_clean(&events, "checkpoint");
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["accept", "bypass", "drop"]);
    assert_eq!(events[0].time, utc("2018-11-26T22:17:32Z"));
    assert_eq!(events[0].outcome, Outcome::Success);
    assert_eq!(events[2].outcome, Outcome::Blocked);
    assert!(events[2].time_inferred, "the third record has no rt");
    assert_eq!(
        events[2].source.as_ref().unwrap().ip.as_deref(),
        Some("fd00::555")
    );
}

#[test]
fn k8s_audit2rbac_sample_parses_impersonation_and_forbidden_requests() {
    let events = parse_sample(FormatConfig::k8s(), &sample("k8s", "audit2rbac_demo.log"));
    assert_eq!(events.len(), 37);
    assert_clean(&events, "audit2rbac");
    assert!(events.iter().all(|e| !e.time_inferred));
    assert!(events
        .iter()
        .all(|e| e.actor.name.as_deref() == Some("system:admin")));
    let first = &events[0];
    assert_eq!(first.id, "033d17af-082d-4b24-aa22-627752e83d71");
    assert_eq!(first.time, utc("2017-09-11T19:55:05Z"));
    assert_eq!(first.action, "pods.list");
    assert_eq!(first.outcome, Outcome::Blocked);
    assert_eq!(
        first.actor.effective.as_ref().unwrap().name.as_deref(),
        Some("bob")
    );
    assert_eq!(first.project.as_ref().unwrap().id, "default");
    let blocked = events
        .iter()
        .filter(|e| e.outcome == Outcome::Blocked)
        .count();
    let allowed = events
        .iter()
        .filter(|e| e.outcome == Outcome::Success)
        .count();
    assert_eq!((blocked, allowed), (11, 26));
    assert_eq!(events[9].action, "nonresource.get");
}

#[test]
fn cloudtrail_records_file_gives_seven_events() {
    let path = sample("cloudtrail", "otel-contrib_cloudtrail_log.json");
    let parser = Parser::from_config(&FormatConfig::CloudTrail, false).unwrap();
    let mut events = Vec::new();
    parser.parse_into(&fs::read(&path).unwrap(), &ctx_at(&path, 0), &mut events);
    assert_eq!(events.len(), 7);
    assert_clean(&events, "cloudtrail");
    assert!(events.iter().all(|e| !e.time_inferred));
    assert_eq!(events[0].action, "ec2.start_instances");
    assert_eq!(events[0].actor.name.as_deref(), Some("Mateo"));
    assert_eq!(events[0].tenant.as_ref().unwrap().id, "123456789012");
    assert_eq!(events[4].outcome, Outcome::Failure);
    assert_eq!(events[5].action, "signin.console_login");
    assert_eq!(events[5].outcome, Outcome::Success);
    // Through the one-event shortcut, a Records file is kept, not split.
    let whole = parser.parse(&fs::read(&path).unwrap(), &ctx_at(&path, 0));
    assert!(whole
        .parse_error
        .unwrap()
        .reason
        .starts_with("entry holds 7"));
}

#[test]
fn auditd_normal_sample_groups_records_into_five_events() {
    let events = parse_sample(
        FormatConfig::Auditd,
        &sample("auditd", "go-libaudit_normal.log"),
    );
    assert_clean(&events, "normal.log");
    let serials: Vec<u64> = events
        .iter()
        .map(|e| e.details["serial"].as_u64().unwrap())
        .collect();
    assert_eq!(serials, [58, 59, 60, 61, 62]);
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "syscall.connect",
            "syscall.execve",
            "syscall.execve",
            "syscall.connect",
            "syscall.accept"
        ]
    );
    let cat = &events[2];
    assert_eq!(cat.time, utc("2017-04-12T22:48:11.038Z"));
    assert_eq!(cat.outcome, Outcome::Success);
    assert_eq!(cat.actor.id.as_deref(), Some("1000"));
    assert_eq!(cat.message.as_deref(), Some("cat securitybeat"));
    assert_eq!(
        cat.resource.as_ref().unwrap().name.as_deref(),
        Some("/usr/bin/cat")
    );
    assert_eq!(cat.details["path"].as_array().unwrap().len(), 2);
    assert_eq!(events[0].outcome, Outcome::Failure);
    assert_eq!(events[0].actor.kind, ActorType::System);
}

#[test]
fn auditd_rhel7_and_enriched_samples_parse_every_record_type() {
    let rhel7 = parse_sample(
        FormatConfig::Auditd,
        &sample("auditd", "go-libaudit_audit-rhel7.log"),
    );
    assert_eq!(rhel7.len(), 50, "every record has its own stamp");
    assert_clean(&rhel7, "rhel7");
    let login = rhel7.iter().find(|e| e.action == "user.login").unwrap();
    assert_eq!(login.outcome, Outcome::Success);
    assert_eq!(login.actor.id.as_deref(), Some("1000"));
    assert_eq!(
        login.source.as_ref().unwrap().ip.as_deref(),
        Some("96.241.146.97")
    );
    let err = rhel7
        .iter()
        .find(|e| e.action == "user.auth_error")
        .unwrap();
    assert_eq!(err.outcome, Outcome::Failure);
    let add = rhel7.iter().find(|e| e.action == "user.create").unwrap();
    assert_eq!(add.resource.as_ref().unwrap().id.as_deref(), Some("1000"));
    let unknown = rhel7
        .iter()
        .find(|e| e.action == "audit.unknown1329")
        .unwrap();
    assert!(unknown.time_inferred);
    let jq = rhel7
        .iter()
        .find(|e| {
            e.message
                .as_deref()
                .is_some_and(|m| m.starts_with("jq . {"))
        })
        .expect("hex EXECVE argument decoded");
    assert_eq!(jq.action, "syscall.execve");
    assert_eq!(
        rhel7.iter().filter(|e| e.time_inferred).count(),
        1,
        "only UNKNOWN[1329] has no stamp"
    );

    let enriched = parse_sample(FormatConfig::Auditd, &sample("auditd", "enriched-node.log"));
    assert_eq!(enriched.len(), 10);
    assert_clean(&enriched, "enriched");
    assert!(enriched
        .iter()
        .all(|e| e.details["node"] == "localhost.localdomain"));
    assert_eq!(enriched[0].action, "auditd.start");
    assert_eq!(enriched[1].action, "audit.config_change");
    assert_eq!(enriched[1].outcome, Outcome::Success);
    assert_eq!(enriched[3].action, "service.start");
}

#[test]
fn auto_reads_every_sample_as_its_own_format_does() {
    let samples = [
        (FormatConfig::Syslog, "syslog", "beats_system-auth_test.log"),
        (FormatConfig::Syslog, "syslog", "dynatrace_RFC5424"),
        (FormatConfig::Cef, "cef", "tenzir_checkpoint.log"),
        (FormatConfig::k8s(), "k8s", "audit2rbac_demo.log"),
        (FormatConfig::Auditd, "auditd", "go-libaudit_normal.log"),
        (
            FormatConfig::Auditd,
            "auditd",
            "go-libaudit_audit-rhel7.log",
        ),
        (FormatConfig::Auditd, "auditd", "enriched-node.log"),
        (
            FormatConfig::Json { map: Vec::new() },
            "json",
            "beats_elasticsearch-test-audit.log",
        ),
        (
            FormatConfig::Json { map: Vec::new() },
            "json",
            "beats_kibana-audit-814.log",
        ),
    ];
    for (format, folder, name) in samples {
        let path = sample(folder, name);
        let expected = parse_sample(format, &path);
        assert!(!expected.is_empty(), "{name}");
        assert_eq!(parse_sample(FormatConfig::Auto, &path), expected, "{name}");
    }
    // A CloudTrail `Records` file, one entry of several lines.
    let path = sample("cloudtrail", "otel-contrib_cloudtrail_log.json");
    let entry = fs::read(&path).unwrap();
    let mut expected = Vec::new();
    let mut auto = Vec::new();
    Parser::from_config(&FormatConfig::CloudTrail, false)
        .unwrap()
        .parse_into(&entry, &ctx_at(&path, 0), &mut expected);
    Parser::from_config(&FormatConfig::Auto, false)
        .unwrap()
        .parse_into(&entry, &ctx_at(&path, 0), &mut auto);
    assert_eq!(auto, expected);
}
