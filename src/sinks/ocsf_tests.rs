use serde_json::{json, Value};

use super::ocsf::to_ocsf;

fn ocsf(event: Value) -> Value {
    Value::Object(to_ocsf(&serde_json::to_vec(&event).unwrap()))
}

fn base(action: &str, category: Option<&str>, outcome: &str) -> Value {
    let mut event = json!({
        "id": "evt-1", "time": "2026-11-26T10:11:12.500Z", "action": action,
        "outcome": outcome, "severity": "warning",
        "actor": {"id": "u-1", "name": "alice", "type": "user", "session_id": "s-9", "groups": ["admins"]},
        "source": {"ip": "10.0.0.1", "port": 443, "user_agent": "curl/8"},
        "resource": {"type": "user", "id": "u-2", "name": "bob"},
        "tenant": {"id": "acme"}, "project": {"id": "p-1"},
        "details": {"mfa": true},
        "correlation": {"request_id": "r-1"},
        "origin": {"kind": "file", "format": "json"},
        "agent": {"host": "web-1", "seq": 42, "chain": "ab"},
        "ingest_time": "2026-11-26T10:11:13Z"
    });
    if let Some(category) = category {
        event["category"] = json!(category);
    }
    event
}

#[test]
fn a_failed_login_is_an_authentication_logon_failure() {
    let out = ocsf(base("user.login", Some("auth"), "failure"));
    assert_eq!(out["class_uid"], 3002);
    assert_eq!(out["category_uid"], 3);
    assert_eq!(out["activity_id"], 1);
    assert_eq!(out["type_uid"], 300201);
    assert_eq!(out["status_id"], 2);
    assert_eq!(out["severity_id"], 3);
    assert_eq!(out["time"], 1795687872500i64);
    assert_eq!(out["user"]["uid"], "u-1");
    assert_eq!(out["actor"]["user"]["name"], "alice");
    assert_eq!(out["actor"]["user"]["groups"], json!([{"name": "admins"}]));
    assert_eq!(out["actor"]["session"]["uid"], "s-9");
    assert_eq!(out["src_endpoint"], json!({"ip": "10.0.0.1", "port": 443}));
    assert_eq!(out["metadata"]["uid"], "evt-1");
    assert_eq!(out["metadata"]["sequence"], 42);
    assert_eq!(out["metadata"]["tenant_uid"], "acme");
    assert_eq!(out["metadata"]["correlation_uid"], "r-1");
    assert_eq!(out["metadata"]["version"], "1.1.0");
    assert_eq!(out["device"]["hostname"], "web-1");
    assert_eq!(out["unmapped"]["details"], json!({"mfa": true}));
    assert_eq!(out["unmapped"]["chain"], "ab");
}

#[test]
fn a_role_change_is_an_account_change_on_the_target_user() {
    let out = ocsf(base("member.role.change", Some("iam"), "success"));
    assert_eq!(out["class_uid"], 3001);
    assert_eq!(out["activity_id"], 7);
    assert_eq!(out["type_uid"], 300107);
    assert_eq!(out["user"], json!({"uid": "u-2", "name": "bob"}));
    assert_eq!(out["actor"]["user"]["uid"], "u-1");
    assert_eq!(out["status_id"], 1);
}

#[test]
fn anything_else_is_api_activity_and_blocked_is_a_failure_with_detail() {
    let out = ocsf(base("release.deploy", Some("deployment"), "blocked"));
    assert_eq!(out["class_uid"], 6003);
    assert_eq!(out["category_uid"], 6);
    assert_eq!(out["activity_id"], 3);
    assert_eq!(out["api"]["operation"], "release.deploy");
    assert_eq!(out["status_id"], 2);
    assert_eq!(out["status_detail"], "blocked");
    assert_eq!(
        out["resources"],
        json!([{"type": "user", "uid": "u-2", "name": "bob"}])
    );
    assert_eq!(out["cloud"]["project_uid"], "p-1");
    assert_eq!(ocsf(base("audit.misc", None, "unknown"))["activity_id"], 99);
}

#[test]
fn a_line_that_is_not_json_keeps_its_text() {
    let out = Value::Object(to_ocsf(b"not json"));
    assert_eq!(out["message"], "not json");
    assert_eq!(out["class_uid"], 6003);
}
