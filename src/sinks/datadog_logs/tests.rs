//! The event → Datadog log mapping, field by field.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

use super::encoder::{encode_log, EncodeContext, MAX_LOG_BYTES};

fn now() -> DateTime<Utc> {
    "2026-03-27T12:00:00Z".parse().unwrap()
}

fn event() -> Value {
    json!({
        "schema_version": "1",
        "id": "evt-1",
        "time": "2026-03-27T11:59:00.123Z",
        "action": "release.deploy",
        "outcome": "failure",
        "severity": "error",
        "category": "deployment",
        "actor": {"id": "u-7", "name": "alice", "email": "alice@acme.io", "type": "user"},
        "source": {"ip": "10.1.2.3", "port": 51234, "user_agent": "curl/8"},
        "resource": {"type": "release", "id": "rel-42"},
        "status": {"code": "500", "detail": "boom"},
        "details": {"seq": 17, "environment": "production"},
        "origin": {"kind": "file", "format": "json"},
        "agent": {"host": "node-a", "seq": 99, "chain": "ab"},
        "ingest_time": "2026-03-27T11:59:01Z"
    })
}

fn context() -> EncodeContext {
    EncodeContext {
        service: Some("billing-api".into()),
        tags: vec!["env:prod".into(), "team:sec".into()],
    }
}

fn encode(event: &Value) -> (Value, super::EncodedLog) {
    let line = serde_json::to_vec(event).unwrap();
    let log = encode_log(&line, &context(), now());
    (serde_json::from_slice(&log.bytes).unwrap(), log)
}

#[test]
fn reserved_attributes_come_from_the_event_and_the_sink() {
    let (log, encoded) = encode(&event());
    assert_eq!(log["status"], "error");
    assert_eq!(log["service"], "billing-api");
    assert_eq!(log["ddsource"], "auditship");
    assert_eq!(log["hostname"], "node-a");
    assert_eq!(
        log["ddtags"],
        "env:prod,team:sec,outcome:failure,category:deployment"
    );
    let time: DateTime<Utc> = "2026-03-27T11:59:00.123Z".parse().unwrap();
    assert_eq!(log["timestamp"], time.timestamp_millis());
    assert_eq!(encoded.seq, Some(99));
    assert!(!encoded.late && !encoded.truncated);
}

#[test]
fn without_a_message_a_sentence_says_who_did_what_to_which_resource() {
    let (log, _) = encode(&event());
    assert_eq!(
        log["message"],
        "alice release.deploy release rel-42: failure"
    );
    let mut system = event();
    system["actor"] = json!({"type": "system"});
    system.as_object_mut().unwrap().remove("resource");
    assert_eq!(
        encode(&system).0["message"],
        "system release.deploy: failure"
    );
    let mut with_message = event();
    with_message["message"] = json!("alice deployed 2.1.0");
    let (log, _) = encode(&with_message);
    assert_eq!(log["message"], "alice deployed 2.1.0");
}

#[test]
fn standard_attributes_are_filled() {
    let (log, _) = encode(&event());
    assert_eq!(
        log["usr"],
        json!({"id": "u-7", "name": "alice", "email": "alice@acme.io"})
    );
    assert_eq!(
        log["network"]["client"],
        json!({"ip": "10.1.2.3", "port": 51234})
    );
    assert_eq!(log["http"]["useragent"], "curl/8");
    assert_eq!(
        log["evt"],
        json!({"name": "release.deploy", "outcome": "failure"})
    );
}

#[test]
fn the_rest_of_the_event_is_kept_and_reserved_names_move_under_audit() {
    let (log, _) = encode(&event());
    for key in [
        "id",
        "time",
        "action",
        "outcome",
        "severity",
        "actor",
        "resource",
        "details",
        "origin",
        "agent",
        "ingest_time",
    ] {
        assert_eq!(log[key], event()[key], "{key}");
    }
    assert_eq!(
        log["audit"]["status"],
        json!({"code": "500", "detail": "boom"})
    );
    assert_eq!(log["audit"]["source"]["ip"], "10.1.2.3");
    assert!(log["source"].is_null());
    assert_eq!(log["details"]["seq"], 17);
}

#[test]
fn every_severity_is_a_status_datadog_recognises() {
    for severity in [
        "debug",
        "info",
        "notice",
        "warning",
        "error",
        "critical",
        "alert",
        "emergency",
    ] {
        let mut e = event();
        e["severity"] = json!(severity);
        assert_eq!(encode(&e).0["status"], severity);
    }
}

#[test]
fn events_older_than_18_hours_are_sent_now_flagged_late_with_their_time_kept() {
    let mut old = event();
    let original = (now() - TimeDelta::hours(30)).to_rfc3339();
    old["time"] = json!(original);
    let (log, encoded) = encode(&old);
    assert!(encoded.late);
    assert_eq!(log["timestamp"], now().timestamp_millis());
    assert_eq!(log["audit"]["original_time"], json!(original));
    assert_eq!(log["time"], json!(original));
    assert!(log["ddtags"].as_str().unwrap().ends_with(",late:true"));
    // 17 hours is within the window.
    let mut recent = event();
    recent["time"] = json!((now() - TimeDelta::hours(17)).to_rfc3339());
    assert!(!encode(&recent).1.late);
}

#[test]
fn an_event_over_1_mb_is_cut_flagged_and_still_sent() {
    let mut big = event();
    big["details"]["blob"] = json!("x".repeat(3_000_000));
    big["raw"] = json!("é".repeat(400_000));
    let (log, encoded) = encode(&big);
    assert!(encoded.truncated);
    assert!(encoded.bytes.len() <= MAX_LOG_BYTES);
    assert_eq!(log["audit"]["truncated"], true);
    assert!(log["audit"]["original_bytes"].as_u64().unwrap() > 3_000_000);
    assert!(log["details"]["blob"]
        .as_str()
        .unwrap()
        .ends_with("…[truncated]"));
    assert!(log["ddtags"].as_str().unwrap().contains("truncated:true"));
    assert_eq!(log["usr"]["id"], "u-7");
    assert_eq!(log["details"]["seq"], 17);
}

#[test]
fn an_event_of_many_small_values_over_1_mb_keeps_a_prefix_of_itself() {
    let mut big = event();
    let many: serde_json::Map<String, Value> =
        (0..120_000).map(|i| (format!("k{i}"), json!(i))).collect();
    big["details"] = Value::Object(many);
    let (log, encoded) = encode(&big);
    assert!(encoded.truncated && encoded.bytes.len() <= MAX_LOG_BYTES);
    assert!(log["audit"]["event_prefix"]
        .as_str()
        .unwrap()
        .starts_with('{'));
    assert_eq!(log["action"], "release.deploy");
    assert_eq!(log["agent"]["seq"], 99);
}

#[test]
fn a_line_that_is_not_an_event_is_sent_as_its_message() {
    let log = encode_log(b"not json", &EncodeContext::default(), now());
    let log: Value = serde_json::from_slice(&log.bytes).unwrap();
    assert_eq!(log["message"], "not json");
    assert_eq!(log["ddsource"], "auditship");
    assert_eq!(log["status"], "info");
}
