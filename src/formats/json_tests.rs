//! Unit tests of the `json` format: the default keys, `map` overrides,
//! quarantine reasons, invalid UTF-8, and a property test that parsing is
//! total.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::{EntryContext, Parser};
use crate::config::FormatConfig;
use crate::event::{ActorType, AuditEvent, OriginKind, Outcome, Severity};

fn ctx() -> EntryContext<'static> {
    EntryContext {
        origin_kind: OriginKind::File,
        path: Some("/var/log/app/audit.log"),
        offset: Some(128),
        position_key: "00ab",
        host: "host-1",
        ingest_time: ingest_time(),
    }
}

fn ingest_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()
}

fn parser() -> Parser {
    Parser::from_config(&FormatConfig::Json { map: Vec::new() }, false).unwrap()
}

fn parse(value: Value) -> AuditEvent {
    parser().parse(value.to_string().as_bytes(), &ctx())
}

fn mapped(map: &[(&str, &str)], value: Value) -> AuditEvent {
    let map = map
        .iter()
        .map(|(f, p)| (f.to_string(), p.to_string()))
        .collect();
    let parser = Parser::from_config(&FormatConfig::Json { map }, false).unwrap();
    parser.parse(value.to_string().as_bytes(), &ctx())
}

fn reason(e: &AuditEvent) -> &str {
    &e.parse_error.as_ref().expect("a quarantine event").reason
}

const APP_LINE: &str = r#"{"id":"5d1c7c1e-8f7b-4a52-9d1e-0c9b7e5a1f00","seq":7,"projectId":"p-1","tenantId":"t-1","userId":"u-1","actorType":"user","action":"release.deploy","status":"success","ip":"10.1.2.3","resource":{"type":"release","id":"a1b2"},"details":{"environment":"production","previousVersion":"2.0.1","version":"2.1.0"},"gitCommitSha":"0123456789abcdef0123456789abcdef01234567","createdAt":"2026-03-27T10:30:15.123Z"}"#;

#[test]
fn the_app_audit_shape_maps_fully() {
    let e = parser().parse(APP_LINE.as_bytes(), &ctx());
    assert!(e.parse_error.is_none());
    assert_eq!(e.id, "5d1c7c1e-8f7b-4a52-9d1e-0c9b7e5a1f00");
    assert_eq!(e.time.to_rfc3339(), "2026-03-27T10:30:15.123+00:00");
    assert!(!e.time_inferred);
    assert_eq!(e.action, "release.deploy");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.severity, Severity::Info);
    assert_eq!(e.category.as_deref(), Some("deployment"));
    assert_eq!(e.actor.id.as_deref(), Some("u-1"));
    assert_eq!(e.actor.kind, ActorType::User);
    assert_eq!(e.source.as_ref().unwrap().ip.as_deref(), Some("10.1.2.3"));
    let resource = e.resource.as_ref().unwrap();
    assert_eq!(resource.kind.as_deref(), Some("release"));
    assert_eq!(resource.id.as_deref(), Some("a1b2"));
    assert_eq!(e.tenant.as_ref().unwrap().id, "t-1");
    assert_eq!(e.project.as_ref().unwrap().id, "p-1");
    assert_eq!(
        e.correlation.get("git_commit_sha").map(String::as_str),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
    let keys: Vec<&str> = e.details.keys().map(String::as_str).collect();
    assert_eq!(keys, ["environment", "previousVersion", "seq", "version"]);
    assert_eq!(e.raw, None);
    assert_eq!(e.origin.format, "json");
    assert_eq!(e.origin.offset, Some(128));
    assert_eq!(e.agent.host, "host-1");
}

#[test]
fn keep_raw_puts_the_entry_in_raw() {
    let p = Parser::from_config(&FormatConfig::Json { map: Vec::new() }, true).unwrap();
    let e = p.parse(APP_LINE.as_bytes(), &ctx());
    assert_eq!(e.raw.as_deref(), Some(APP_LINE));
    assert!(e.parse_error.is_none());
}

#[test]
fn id_keys_are_recognised_and_numbers_become_text() {
    for key in ["id", "eventId", "event_id", "uuid", "auditID", "insertId"] {
        let e = parse(json!({ key: "abc" }));
        assert_eq!(e.id, "abc", "{key}");
        assert!(e.details.is_empty(), "{key}");
    }
    assert_eq!(parse(json!({"id": 42})).id, "42");
}

#[test]
fn without_a_source_id_the_id_is_derived_from_the_position() {
    let a = parse(json!({"action": "x"}));
    let b = parse(json!({"action": "y"}));
    assert_eq!(a.id.len(), 32);
    assert_eq!(a.id, b.id, "same stream and offset, same id");
    let blank = parse(json!({"id": ""}));
    assert_eq!(blank.id, a.id);
    assert_eq!(blank.details.get("id"), Some(&json!("")));
}

#[test]
fn time_keys_are_recognised_in_every_form() {
    let want = "2026-03-27T10:30:15Z";
    for key in [
        "createdAt",
        "timestamp",
        "time",
        "@timestamp",
        "date",
        "ts",
        "created_at",
    ] {
        let e = parse(json!({ key: want }));
        assert_eq!(crate::event::format_time(&e.time), want, "{key}");
        assert!(!e.time_inferred, "{key}");
    }
    let e = parse(json!({"ts": 1_774_607_415_000u64}));
    assert_eq!(crate::event::format_time(&e.time), want);
}

#[test]
fn no_usable_time_means_ingest_time_and_the_value_kept() {
    let e = parse(json!({"time": "yesterday"}));
    assert_eq!(e.time, ingest_time());
    assert!(e.time_inferred);
    assert_eq!(e.details.get("time"), Some(&json!("yesterday")));
}

#[test]
fn action_keys_are_recognised_and_normalized() {
    for key in ["action", "event", "activity", "type"] {
        assert_eq!(
            parse(json!({ key: "Release Deploy.Now" })).action,
            "release_deploy.now"
        );
    }
    assert_eq!(parse(json!({})).action, "unknown");
    assert_eq!(parse(json!({"action": "  "})).action, "unknown");
    let both = parse(json!({"action": "a.b", "type": "server"}));
    assert_eq!(both.action, "a.b");
    assert_eq!(both.details.get("type"), Some(&json!("server")));
}

#[test]
fn actor_keys_are_recognised() {
    for key in ["userId", "user_id", "actor", "user"] {
        let e = parse(json!({ key: "u-9" }));
        assert_eq!(e.actor.id.as_deref(), Some("u-9"), "{key}");
        assert_eq!(e.actor.kind, ActorType::Unknown, "{key}");
    }
    let e = parse(json!({"username": "alice"}));
    assert_eq!(e.actor.name.as_deref(), Some("alice"));
    assert_eq!(e.actor.id.as_deref(), Some("alice"));
    let e = parse(json!({"email": "a@example.com"}));
    assert_eq!(e.actor.email.as_deref(), Some("a@example.com"));
    assert_eq!(e.actor.id.as_deref(), Some("a@example.com"));
    let e = parse(json!({"userId": "u", "actorType": "serviceAccount", "sessionId": "s-1"}));
    assert_eq!(e.actor.kind, ActorType::ServiceAccount);
    assert_eq!(e.actor.session_id.as_deref(), Some("s-1"));
}

#[test]
fn an_object_actor_is_read_inside() {
    let e = parse(
        json!({"actor": {"id": 7, "name": "Bob", "email": "b@x", "type": "user",
                                   "roles": ["admin"], "team": "core"}}),
    );
    assert_eq!(e.actor.id.as_deref(), Some("7"));
    assert_eq!(e.actor.name.as_deref(), Some("Bob"));
    assert_eq!(e.actor.email.as_deref(), Some("b@x"));
    assert_eq!(e.actor.kind, ActorType::User);
    assert_eq!(e.actor.groups, ["admin"]);
    assert_eq!(e.details.get("actor"), Some(&json!({"team": "core"})));
}

#[test]
fn no_actor_at_all_is_the_system() {
    assert_eq!(
        parse(json!({"action": "cron.run"})).actor.kind,
        ActorType::System
    );
}

#[test]
fn outcome_keys_and_words_are_recognised() {
    for key in ["status", "outcome", "result"] {
        assert_eq!(
            parse(json!({ key: "denied" })).outcome,
            Outcome::Failure,
            "{key}"
        );
        assert_eq!(
            parse(json!({ key: "rejected" })).outcome,
            Outcome::Blocked,
            "{key}"
        );
        assert_eq!(
            parse(json!({ key: "OK" })).outcome,
            Outcome::Success,
            "{key}"
        );
    }
    assert_eq!(parse(json!({"success": true})).outcome, Outcome::Success);
    assert_eq!(parse(json!({"success": false})).outcome, Outcome::Failure);
    assert_eq!(parse(json!({})).outcome, Outcome::Unknown);
}

#[test]
fn http_status_codes_give_outcome_and_status_code() {
    for (code, outcome) in [
        (200, Outcome::Success),
        (302, Outcome::Success),
        (403, Outcome::Blocked),
        (404, Outcome::Failure),
        (500, Outcome::Failure),
    ] {
        let e = parse(json!({ "status": code }));
        assert_eq!(e.outcome, outcome, "{code}");
        assert_eq!(e.status.as_ref().unwrap().code, Some(json!(code)));
    }
    let e = parse(json!({"status": "404"}));
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.status.unwrap().code, Some(json!("404")));
    let e = parse(json!({"statusCode": 201, "outcome": "failure"}));
    assert_eq!(e.outcome, Outcome::Failure, "the word wins over the code");
    assert_eq!(e.status.unwrap().code, Some(json!(201)));
}

#[test]
fn unknown_outcome_words_are_kept_as_status_detail() {
    let e = parse(json!({"status": "pending"}));
    assert_eq!(e.outcome, Outcome::Unknown);
    assert_eq!(e.status.unwrap().detail.as_deref(), Some("pending"));
}

#[test]
fn outcome_falls_back_to_the_action_s_last_word() {
    assert_eq!(
        parse(json!({"event.action": "authentication_failed"})).outcome,
        Outcome::Failure
    );
    assert_eq!(
        parse(json!({"action": "access_granted"})).outcome,
        Outcome::Success
    );
}

#[test]
fn severity_comes_from_the_entry_or_the_outcome() {
    assert_eq!(parse(json!({"severity": "ERR"})).severity, Severity::Error);
    assert_eq!(parse(json!({"level": "warn"})).severity, Severity::Warning);
    assert_eq!(
        parse(json!({"status": "failure"})).severity,
        Severity::Warning
    );
    assert_eq!(
        parse(json!({"status": "blocked"})).severity,
        Severity::Warning
    );
    let e = parse(json!({"level": "loud"}));
    assert_eq!(e.severity, Severity::Info);
    assert_eq!(e.details.get("level"), Some(&json!("loud")));
}

#[test]
fn ip_keys_are_recognised_with_ports_and_arrays() {
    for key in ["ip", "ipAddress", "remote_addr", "client_ip"] {
        let e = parse(json!({ key: "192.0.2.1" }));
        assert_eq!(e.source.unwrap().ip.as_deref(), Some("192.0.2.1"), "{key}");
    }
    let e = parse(json!({"sourceIPs": ["192.0.2.7"]}));
    assert_eq!(e.source.unwrap().ip.as_deref(), Some("192.0.2.7"));
    assert!(e.details.is_empty());
    let e = parse(json!({"sourceIPs": ["192.0.2.7", "192.0.2.8"]}));
    assert_eq!(e.source.unwrap().ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(
        e.details.get("sourceIPs"),
        Some(&json!(["192.0.2.7", "192.0.2.8"]))
    );
    let e = parse(json!({"remote_addr": "[::1]:61598", "userAgent": "curl/8"}));
    let source = e.source.unwrap();
    assert_eq!(source.ip.as_deref(), Some("::1"));
    assert_eq!(source.port, Some(61598));
    assert_eq!(source.user_agent.as_deref(), Some("curl/8"));
}

#[test]
fn resource_forms_are_recognised() {
    let e = parse(json!({"resourceType": "inbox", "resourceId": 12}));
    let r = e.resource.unwrap();
    assert_eq!(
        (r.kind.as_deref(), r.id.as_deref()),
        (Some("inbox"), Some("12"))
    );
    let e = parse(json!({"target": "webhook-3"}));
    assert_eq!(e.resource.unwrap().id.as_deref(), Some("webhook-3"));
    let e = parse(json!({"resource": {"type": "file", "name": "/etc/x", "size": 3}}));
    let r = e.resource.unwrap();
    assert_eq!(
        (r.kind.as_deref(), r.name.as_deref()),
        (Some("file"), Some("/etc/x"))
    );
    assert_eq!(e.details.get("resource"), Some(&json!({"size": 3})));
}

#[test]
fn tenant_project_and_correlation_keys_are_recognised() {
    for key in ["tenantId", "orgId", "accountId"] {
        assert_eq!(parse(json!({ key: "t" })).tenant.unwrap().id, "t", "{key}");
    }
    assert_eq!(parse(json!({"project_id": "p"})).project.unwrap().id, "p");
    let e =
        parse(json!({"gitCommitSha": "abc", "requestId": "r", "traceId": "t", "changeId": "c"}));
    let names: Vec<(&str, &str)> = e
        .correlation
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("change_id", "c"),
            ("git_commit_sha", "abc"),
            ("request_id", "r"),
            ("trace_id", "t")
        ]
    );
}

#[test]
fn details_metadata_and_changes_merge_into_details() {
    let e = parse(
        json!({"details": {"a": 1}, "metadata": {"b": 2}, "changes": {"c": 3},
                         "seq": 1, "extra": {"nested": [1]}}),
    );
    assert_eq!(
        Value::Object(e.details),
        json!({"a": 1, "b": 2, "c": 3, "seq": 1, "extra": {"nested": [1]}})
    );
    let e = parse(json!({"details": {"seq": 9}, "seq": 1}));
    assert_eq!(
        Value::Object(e.details),
        json!({"seq": 1, "details.seq": 9})
    );
    let e = parse(json!({"details": "free text"}));
    assert_eq!(e.details.get("details"), Some(&json!("free text")));
}

#[test]
fn message_and_category_are_read() {
    let e = parse(json!({"msg": "hello", "category": "IAM"}));
    assert_eq!(e.message.as_deref(), Some("hello"));
    assert_eq!(e.category.as_deref(), Some("IAM"));
}

#[test]
fn category_defaults_from_the_action() {
    for (action, category) in [
        ("release.deploy", Some("deployment")),
        ("promotion.execute", Some("deployment")),
        ("rollback.initiate", Some("deployment")),
        ("image.update", Some("deployment")),
        ("apikey.create", Some("iam")),
        ("member.role.change", Some("iam")),
        ("user.login", Some("auth")),
        ("user.logout", Some("auth")),
        ("session.start", Some("auth")),
        ("webhook.update", Some("config")),
        ("policy.violation.detect", Some("config")),
        ("inbox.delete", None),
    ] {
        assert_eq!(
            parse(json!({ "action": action })).category.as_deref(),
            category,
            "{action}"
        );
    }
}

#[test]
fn break_glass_is_flagged_and_critical() {
    let e = parse(json!({"action": "break_glass.opened", "status": "success",
                         "details": {"breakGlassSessionId": "bg-1", "justification": "INC-1",
                                     "environment": "production"}}));
    let bg = e.actor.break_glass.unwrap();
    assert_eq!(bg.session_id.as_deref(), Some("bg-1"));
    assert_eq!(bg.justification.as_deref(), Some("INC-1"));
    assert_eq!(e.severity, Severity::Critical);
    assert_eq!(
        Value::Object(e.details),
        json!({"environment": "production"})
    );
    let e = parse(json!({"action": "db.read", "justification": "audit", "severity": "emergency"}));
    assert!(e.actor.break_glass.is_some());
    assert_eq!(e.severity, Severity::Emergency);
    let e = parse(json!({"action": "break_glass.closed"}));
    assert!(e.actor.break_glass.is_some());
    assert_eq!(e.severity, Severity::Critical);
}

#[test]
fn ecs_shaped_lines_read_nested_and_flat_dotted_keys() {
    let e = parse(
        json!({"event": {"action": "http_request", "category": ["web"], "outcome": "success",
                                   "type": ["access"]},
                         "user": {"name": "elastic", "roles": ["superuser"]},
                         "client": {"ip": "127.0.0.1"}, "log": {"level": "INFO", "logger": "x"},
                         "trace": {"id": "t1"}, "@timestamp": "2023-06-19T15:18:47.298+00:00"}),
    );
    assert_eq!(e.action, "http_request");
    assert_eq!(e.category.as_deref(), Some("web"));
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.actor.name.as_deref(), Some("elastic"));
    assert_eq!(e.actor.groups, ["superuser"]);
    assert_eq!(e.source.unwrap().ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(e.severity, Severity::Info);
    assert_eq!(
        e.correlation.get("trace_id").map(String::as_str),
        Some("t1")
    );
    assert!(!e.time_inferred);
    assert_eq!(
        Value::Object(e.details),
        json!({"event": {"type": ["access"]}, "log": {"logger": "x"}})
    );
    let e = parse(
        json!({"event.action": "access_granted", "action": "indices:admin/create",
                         "user.name": "elastic", "origin.address": "[::1]:61711"}),
    );
    assert_eq!(e.action, "access_granted");
    assert_eq!(
        e.details.get("action"),
        Some(&json!("indices:admin/create"))
    );
    assert_eq!(e.actor.name.as_deref(), Some("elastic"));
    assert_eq!(e.source.unwrap().port, Some(61711));
}

#[test]
fn map_overrides_win_over_defaults_and_leave_details() {
    let e = mapped(
        &[
            ("actor.id", "who.login"),
            ("time", "meta.when"),
            ("action", "op"),
            ("outcome", "res.code"),
            ("correlation.ticket", "ticket"),
            ("resource.name", "obj"),
        ],
        json!({"who": {"login": "carol", "team": "x"}, "meta": {"when": 1_774_607_415}, "op": "Deploy",
               "res": {"code": 403}, "ticket": "T-1", "obj": "db", "userId": "u-1", "action": "ignored"}),
    );
    assert_eq!(e.actor.id.as_deref(), Some("carol"));
    assert_eq!(crate::event::format_time(&e.time), "2026-03-27T10:30:15Z");
    assert_eq!(e.action, "deploy");
    assert_eq!(e.outcome, Outcome::Blocked);
    assert_eq!(e.status.unwrap().code, Some(json!(403)));
    assert_eq!(e.correlation.get("ticket").map(String::as_str), Some("T-1"));
    assert_eq!(e.resource.unwrap().name.as_deref(), Some("db"));
    assert_eq!(
        Value::Object(e.details),
        json!({"who": {"team": "x"}, "userId": "u-1", "action": "ignored"})
    );
}

#[test]
fn map_paths_match_style_insensitively_and_flat_dotted_keys() {
    let e = mapped(
        &[("tenant.id", "Org.ID"), ("actor.name", "user.name")],
        json!({"org": {"id": "o-1"}, "user.name": "dave"}),
    );
    assert_eq!(e.tenant.unwrap().id, "o-1");
    assert_eq!(e.actor.name.as_deref(), Some("dave"));
    assert!(e.details.is_empty());
}

#[test]
fn map_to_a_missing_path_falls_back_to_defaults() {
    let e = mapped(&[("actor.id", "nobody.here")], json!({"userId": "u-1"}));
    assert_eq!(e.actor.id.as_deref(), Some("u-1"));
}

#[test]
fn unknown_schema_fields_in_map_are_refused_with_a_suggestion() {
    let map = vec![("actor.idd".to_string(), "x".to_string())];
    let err = Parser::from_config(&FormatConfig::Json { map }, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown schema field `actor.idd` in format map (did you mean `actor.id`?)"
    );
    let map = vec![("correlation.".to_string(), "x".to_string())];
    assert!(Parser::from_config(&FormatConfig::Json { map }, false).is_err());
    let map = vec![("message".to_string(), " ".to_string())];
    let err = Parser::from_config(&FormatConfig::Json { map }, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "empty source path for schema field `message` in format map"
    );
}

#[test]
fn non_objects_are_quarantined() {
    for entry in ["[1,2]", "\"text\"", "42", "null", "true"] {
        let e = parser().parse(entry.as_bytes(), &ctx());
        assert_eq!(reason(&e), "not a JSON object", "{entry}");
        assert_eq!(e.raw.as_deref(), Some(entry));
        assert_eq!(e.parse_error.as_ref().unwrap().parser, "json");
    }
}

#[test]
fn broken_and_empty_json_is_quarantined_with_the_cause() {
    let e = parser().parse(b"{\"a\": ", &ctx());
    assert!(
        reason(&e).starts_with("invalid JSON: EOF while parsing"),
        "{}",
        reason(&e)
    );
    assert_eq!(e.raw.as_deref(), Some("{\"a\": "));
    assert_eq!(
        reason(&parser().parse(b"", &ctx())),
        "invalid JSON: empty entry"
    );
    assert_eq!(
        reason(&parser().parse(b"  \r\n", &ctx())),
        "invalid JSON: empty entry"
    );
    assert!(reason(&parser().parse(b"{} {}", &ctx())).starts_with("invalid JSON: trailing"));
    let e = parser().parse(b"plain text log line", &ctx());
    assert!(reason(&e).starts_with("invalid JSON: "));
    assert_eq!(e.id.len(), 32);
    assert_eq!(e.action, "unknown");
}

#[test]
fn a_byte_order_mark_and_trailing_newline_are_tolerated() {
    let e = parser().parse(b"\xef\xbb\xbf{\"action\":\"a\"}\r\n", &ctx());
    assert!(e.parse_error.is_none());
    assert_eq!(e.action, "a");
}

#[test]
fn invalid_utf8_keeps_the_fields_and_the_exact_bytes() {
    let entry = b"{\"action\":\"user.login\",\"userId\":\"b\xffob\",\"status\":\"ok\"}";
    let e = parser().parse(entry, &ctx());
    assert_eq!(e.action, "user.login");
    assert_eq!(e.actor.id.as_deref(), Some("b\u{fffd}ob"));
    assert_eq!(e.outcome, Outcome::Success);
    let pe = e.parse_error.as_ref().unwrap();
    assert_eq!(pe.reason, "invalid UTF-8");
    assert_eq!(pe.parser, "json");
    assert_eq!(
        BASE64.decode(pe.raw_base64.as_ref().unwrap()).unwrap(),
        entry
    );
    assert_eq!(
        e.raw.as_deref(),
        Some(String::from_utf8_lossy(entry).as_ref())
    );
}

#[test]
fn binary_garbage_is_quarantined_with_its_exact_bytes() {
    let garbage: Vec<u8> = (0..=255u8).rev().collect();
    let e = parser().parse(&garbage, &ctx());
    assert!(reason(&e).starts_with("invalid JSON: "), "{}", reason(&e));
    let pe = e.parse_error.as_ref().unwrap();
    assert_eq!(
        BASE64.decode(pe.raw_base64.as_ref().unwrap()).unwrap(),
        garbage
    );
}

#[test]
fn a_ten_mib_line_becomes_a_line_too_long_event() {
    let big = vec![b'x'; 10 * 1024 * 1024];
    let e = super::line_too_long_event(&big, big.len() as u64, parser().name(), &ctx());
    assert_eq!(reason(&e), "line too long (10485760 bytes)");
    assert_eq!(e.raw.as_ref().unwrap().len(), 1024);
    assert_eq!(e.origin.format, "json");
}

#[test]
fn deep_nesting_is_quarantined_not_a_stack_overflow() {
    let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let e = parser().parse(deep.as_bytes(), &ctx());
    assert!(reason(&e).contains("recursion limit"), "{}", reason(&e));
}

#[test]
fn raw_parser_is_built_from_config() {
    let p = Parser::from_config(&FormatConfig::Raw, false).unwrap();
    assert_eq!(p.name(), "raw");
    assert_eq!(parser().name(), "json");
    let e = p.parse(b"anything", &ctx());
    assert_eq!(e.action, "log.line");
    assert_eq!(e.origin.format, "raw");
}

mod totality {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_never_panics_and_always_has_id_and_action(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for parser in [parser(), Parser::from_config(&FormatConfig::Raw, false).unwrap()] {
                let e = parser.parse(&bytes, &ctx());
                prop_assert!(!e.id.is_empty());
                prop_assert!(!e.action.is_empty());
            }
        }

        #[test]
        fn json_shaped_input_never_panics(text in r#"\{("[a-zA-Z_@.]{0,12}":("[^"\\]{0,20}"|-?[0-9]{0,20}(\.[0-9]{0,12})?|true|null|\[\]|\{\}),?){0,8}\}"#) {
            let e = parser().parse(text.as_bytes(), &ctx());
            prop_assert!(!e.id.is_empty());
            prop_assert!(!e.action.is_empty());
        }
    }
}
