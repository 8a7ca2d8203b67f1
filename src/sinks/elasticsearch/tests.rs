use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::bulk::{append_item, read_response, BulkResponseError, BulkTarget, ItemOutcome};
use super::ecs::to_ecs;
use crate::config::EventEncoding;

fn event() -> Value {
    json!({
        "schema_version": "1",
        "id": "evt-42",
        "time": "2026-11-26T10:11:12.123456789Z",
        "action": "user.login",
        "outcome": "blocked",
        "severity": "warning",
        "category": "auth",
        "message": "alice tried to log in",
        "actor": {"id": "u-1", "name": "alice", "email": "a@x.io", "type": "user",
                  "session_id": "s-9", "groups": ["admins"],
                  "break_glass": {"session_id": "bg-1"}},
        "source": {"ip": "10.0.0.1", "port": 5555, "user_agent": "curl/8"},
        "resource": {"type": "inbox", "id": "r-1"},
        "tenant": {"id": "acme"},
        "project": {"id": "p-1"},
        "status": {"code": 403, "detail": "forbidden by policy"},
        "correlation": {"trace_id": "t-1", "request_id": "q-1"},
        "details": {"mfa": false},
        "raw": "{…}",
        "origin": {"kind": "file", "format": "json", "path": "/var/log/app/audit.log",
                   "offset": 1024, "peer": {"pid": 1}},
        "agent": {"host": "web-1", "seq": 7, "chain": "ab"},
        "ingest_time": "2026-11-26T10:11:13Z"
    })
}

#[test]
fn every_schema_field_lands_in_its_ecs_field_or_under_auditship() {
    let line = serde_json::to_vec(&event()).unwrap();
    let ecs = Value::Object(to_ecs(&line));
    let expected = json!({
        "@timestamp": "2026-11-26T10:11:12.123456789Z",
        "message": "alice tried to log in",
        "event": {"id": "evt-42", "action": "user.login", "outcome": "failure",
                  "category": ["authentication"], "kind": "event",
                  "dataset": "auditship.audit", "module": "json",
                  "ingested": "2026-11-26T10:11:13Z", "original": "{…}"},
        "log": {"level": "warning", "offset": 1024,
                "file": {"path": "/var/log/app/audit.log"}},
        "user": {"id": "u-1", "name": "alice", "email": "a@x.io", "roles": ["admins"]},
        "session": {"id": "s-9"},
        "source": {"ip": "10.0.0.1", "port": 5555},
        "user_agent": {"original": "curl/8"},
        "organization": {"id": "acme"},
        "error": {"code": "403", "message": "forbidden by policy"},
        "trace": {"id": "t-1"},
        "host": {"name": "web-1"},
        "input": {"type": "file"},
        "labels": {"schema_version": "1"},
        "auditship": {
            "outcome": "blocked", "category": "auth",
            "actor": {"type": "user", "break_glass": {"session_id": "bg-1"}},
            "agent": {"seq": 7, "chain": "ab"},
            "origin": {"peer": {"pid": 1}},
            "resource": {"type": "inbox", "id": "r-1"},
            "project": {"id": "p-1"},
            "correlation": {"trace_id": "t-1", "request_id": "q-1"},
            "details": {"mfa": false}
        }
    });
    assert_eq!(ecs, expected);
}

#[test]
fn a_line_that_is_not_an_object_becomes_its_message() {
    assert_eq!(
        Value::Object(to_ecs(b"not json")),
        json!({"message": "not json"})
    );
}

#[test]
fn bulk_items_are_an_action_line_then_the_document_with_the_event_id() {
    let line = serde_json::to_vec(&event()).unwrap();
    let fallback = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    let mut body = Vec::new();
    append_item(
        &line,
        &BulkTarget::Index("audit-%Y.%m.%d".into()),
        EventEncoding::Native,
        fallback,
        &mut body,
    );
    append_item(
        b"garbage",
        &BulkTarget::DataStream("logs-audit-default".into()),
        EventEncoding::Ocsf,
        fallback,
        &mut body,
    );
    let lines: Vec<Value> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert!(body.ends_with(b"\n"));
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        json!({"index": {"_index": "audit-2026.11.26", "_id": "evt-42"}})
    );
    assert_eq!(lines[1]["event"]["id"], "evt-42");
    // No id and no time: the stream name, no _id (Elasticsearch makes one).
    assert_eq!(
        lines[2],
        json!({"create": {"_index": "logs-audit-default"}})
    );
    // An OCSF document keeps the unreadable line as its message.
    assert_eq!(lines[3]["message"], "garbage");
    assert_eq!(lines[3]["class_uid"], 6003);
}

#[test]
fn response_items_are_classified_in_request_order() {
    let response = json!({"took": 3, "errors": true, "items": [
        {"create": {"_id": "a", "status": 201}},
        {"create": {"_id": "b", "status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "exists"}}},
        {"create": {"_id": "c", "status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "busy"}}},
        {"index": {"_id": "d", "status": 400, "error": {"type": "mapper_parsing_exception", "reason": "failed to parse field [x]"}}},
        {"index": {"_id": "e", "status": 503}},
        {"index": {"_id": "f", "status": 409}}
    ]});
    let outcomes = read_response(&serde_json::to_vec(&response).unwrap(), 6).unwrap();
    assert_eq!(
        outcomes,
        vec![
            ItemOutcome::Delivered,
            ItemOutcome::Delivered,
            ItemOutcome::Retry { status: 429 },
            ItemOutcome::Refused {
                status: 400,
                reason: "mapper_parsing_exception: failed to parse field [x]".into()
            },
            ItemOutcome::Retry { status: 503 },
            // 409 on `index` is a real conflict (external versioning), not a copy.
            ItemOutcome::Refused {
                status: 409,
                reason: "refused without an error description".into()
            },
        ]
    );
}

#[test]
fn malformed_responses_are_errors_not_guesses() {
    assert_eq!(read_response(b"<html>", 1), Err(BulkResponseError::Shape));
    assert_eq!(
        read_response(br#"{"errors":false}"#, 1),
        Err(BulkResponseError::Shape)
    );
    assert_eq!(
        read_response(br#"{"items":[{"index":{"status":201}}]}"#, 2),
        Err(BulkResponseError::Count { got: 1, sent: 2 })
    );
    assert_eq!(
        read_response(br#"{"items":[{"index":{}}]}"#, 1),
        Err(BulkResponseError::Shape)
    );
}
