//! The streaming reader of the `json` format (no `map`: members read one
//! by one, strings borrowed, inner objects as member lists —
//! `json_member.rs`) against reading the line into a `serde_json::Value`
//! first and classifying its members (the path `map` and `logfmt` take):
//! the same event, byte for byte in canonical form, for generated objects
//! full of recognised keys in every spelling, nested containers, escapes,
//! blanks and odd numbers, and for the JSON fixtures.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::event_id::derived_event_id;
use super::{json_fields, json_normalize, EntryContext, Parser};
use crate::config::FormatConfig;
use crate::event::{AuditEvent, OriginKind};

fn ctx() -> EntryContext<'static> {
    EntryContext {
        origin_kind: OriginKind::File,
        path: Some("/var/log/app/audit.log"),
        offset: Some(4096),
        position_key: "00ab",
        host: "host-1",
        ingest_time: Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
    }
}

/// The event through a whole `Value` (the reference).
fn through_value(line: &str, object: Map<String, Value>) -> AuditEvent {
    let ctx = ctx();
    let mut event = ctx.new_event("json");
    json_fields::convert(&mut event, json_normalize::read_mapped_object(object, &[]));
    if event.id.is_empty() {
        event.id = derived_event_id(ctx.position_key, ctx.offset, line.as_bytes());
    }
    event
}

fn canonical(event: &AuditEvent) -> String {
    let mut out = Vec::new();
    event.write_canonical_without_seq(&mut out);
    String::from_utf8(out).expect("canonical JSON is UTF-8")
}

/// Asserts both readings of `line` (a JSON object without repeated
/// top-level keys) give the same event.
fn assert_same_event(line: &str) {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(line) else {
        panic!("test input is a JSON object: {line}");
    };
    let parser = Parser::from_config(&FormatConfig::Json { map: Vec::new() }, false)
        .expect("the json parser builds");
    let streamed = parser.parse(line.as_bytes(), &ctx());
    let reference = through_value(line, object);
    assert_eq!(canonical(&streamed), canonical(&reference), "{line}");
    assert_eq!(streamed, reference, "{line}");
}

/// Keys of the default table in several spellings, containers, merged
/// objects, and keys nothing recognises.
const KEYS: &[&str] = &[
    "id",
    "eventId",
    "uuid",
    "createdAt",
    "timestamp",
    "@timestamp",
    "time",
    "ts",
    "action",
    "event.action",
    "event",
    "type",
    "outcome",
    "status",
    "result",
    "success",
    "statusCode",
    "http.response.status_code",
    "status_detail",
    "errorMessage",
    "severity",
    "level",
    "category",
    "message",
    "msg",
    "userId",
    "USER_ID",
    "actor",
    "user",
    "userName",
    "email",
    "actorType",
    "sessionId",
    "groups",
    "roles",
    "ip",
    "sourceIPs",
    "client.address",
    "port",
    "userAgent",
    "resource",
    "target",
    "resourceType",
    "resource_id",
    "resourceName",
    "tenantId",
    "projectId",
    "gitCommitSha",
    "requestId",
    "traceId",
    "trace",
    "changeId",
    "details",
    "metadata",
    "changes",
    "log",
    "client",
    "source",
    "session",
    "breakGlassSessionId",
    "justification",
    "kind",
    "name",
    "login",
    "other",
    "seq",
    "x-y",
    "clé",
    "\u{e000}",
    "a\"b",
    "",
];

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(KEYS).prop_map(str::to_string)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            &[
                "alice",
                "Bob Smith",
                "user",
                "service_account",
                "success",
                "denied",
                "403",
                "200",
                "1234567",
                "10.0.0.1",
                "10.0.0.1:8080",
                "[::1]:443",
                "2026-03-27T10:30:15.125Z",
                "1711535415",
                "Release.Deploy",
                "user login",
                " ",
                "",
                "\u{b}",
                "warn",
                "true",
                "break_glass.open",
                "release.deploy",
            ][..]
        )
        .prop_map(str::to_string),
        "[a-zA-Z0-9 .:_\"\\\\\n\u{1}é€😀-]{0,24}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => text().prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
        1 => prop::sample::select(&[0u64, 443, 65535, 65536, u64::MAX][..]).prop_map(Value::from),
        1 => prop::sample::select(&[1.5f64, -0.0, 1e30, 2.5e-8, 333_333_333.333_333_3][..])
            .prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(key(), value(), 0..14).prop_map(|m| m.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn streamed_and_value_readings_give_the_same_event(object in object()) {
        assert_same_event(&Value::Object(object).to_string());
    }
}

#[test]
fn escaped_keys_and_values_read_the_same_as_plain_ones() {
    for line in [
        r#"{"\u0075serId":"a\u006cice","status":"\u0034\u0030\u0033","details":{"k\"":"v\\"}}"#,
        r#"{"resource":{"type":"r","t\u0079pe":"s","id":1},"event":{"action":"A B","x":[1]}}"#,
        r#"{"actor":{"login":"bob","type":"bot","roles":["a","b"]},"metadata":{"actor":1}}"#,
        r#"{"details":{"status":"x","details.status":"y"},"status":"ok","metadata":{"status":2}}"#,
    ] {
        assert_same_event(line);
    }
}

#[test]
fn fixture_lines_read_the_same() {
    let fixtures = [
        include_str!("../../tests/fixtures/json/beats_elasticsearch-test-audit.log"),
        include_str!("../../tests/fixtures/json/beats_kibana-audit-814.log"),
        include_str!("../../tests/fixtures/k8s/audit2rbac_demo.log"),
    ];
    let mut lines = 0;
    for line in fixtures.iter().flat_map(|f| f.lines()) {
        if matches!(serde_json::from_str::<Value>(line), Ok(Value::Object(_))) {
            assert_same_event(line);
            lines += 1;
        }
    }
    assert!(lines > 40, "{lines} fixture lines");
}
