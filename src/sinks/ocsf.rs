//! One event's JSON line → one Open Cybersecurity Schema Framework (OCSF
//! 1.1) event, per the OCSF column of SCHEMA.md. Pure.
//!
//! Why: OCSF-native stores (Amazon Security Lake, Splunk, many SIEM data
//! lakes) index by class; an event in our own shape would land as
//! unclassified data.
//!
//! The class is chosen from the action (and category):
//!
//! | class | when | `activity_id` |
//! | --- | --- | --- |
//! | Authentication (3002) | category `auth`, or the action names a login, logout, MFA or authentication | 1 logon, 2 logoff, 99 other |
//! | Account Change (3001) | category `iam` and the action changes an account, role, password, key or group | 1 create, 3 password change, 5 disable, 6 delete, 7 attach policy (role/group grant), 8 detach policy, 99 other |
//! | API Activity (6003) | everything else | 1 create, 2 read, 3 update, 4 delete, 99 other |
//!
//! `type_uid` = `class_uid` × 100 + `activity_id`. Common fields: `time`
//! (epoch ms), `severity_id`, `status_id` (1 success, 2 failure — `blocked`
//! too, with `status_detail` — 0 unknown), `message`, `actor.user`,
//! `actor.session`, `src_endpoint`, `http_request.user_agent`, `resources`,
//! `cloud.project_uid`, `device.hostname`, `metadata` (`uid` = event id,
//! `sequence` = `agent.seq`, `log_name` = format, `tenant_uid`,
//! `correlation_uid`, `processed_time`, product `auditship`), `raw_data`,
//! and `unmapped` for `details`, the chain link and whatever has no OCSF
//! field.

use chrono::DateTime;
use serde_json::{json, Map, Value};

use crate::sinks::event_text::{sentence, text};

/// The OCSF schema version these events follow.
pub const OCSF_VERSION: &str = "1.1.0";

/// The OCSF event of one event line.
pub fn to_ocsf(line: &[u8]) -> Map<String, Value> {
    let event = match crate::json_bytes::from_json_bytes::<Value>(line) {
        Ok(Value::Object(event)) => event,
        _ => {
            let mut event = Map::new();
            let raw = String::from_utf8_lossy(line).into_owned();
            event.insert("message".into(), Value::String(raw));
            event
        }
    };
    let action = text(&event, &["action"]).unwrap_or_else(|| "unknown".into());
    let category = text(&event, &["category"]);
    let class = Class::of(&action, category.as_deref());
    let activity_id = class.activity(&action);
    let mut out = Map::new();
    let put = |out: &mut Map<String, Value>, key: &str, value: Value| {
        if !value.is_null() {
            out.insert(key.into(), value);
        }
    };
    put(&mut out, "class_uid", json!(class.uid()));
    put(&mut out, "class_name", json!(class.name()));
    put(&mut out, "category_uid", json!(class.uid() / 1000));
    put(&mut out, "category_name", json!(class.category_name()));
    put(&mut out, "activity_id", json!(activity_id));
    put(&mut out, "activity_name", json!(action));
    put(
        &mut out,
        "type_uid",
        json!(u64::from(class.uid()) * 100 + u64::from(activity_id)),
    );
    let time = text(&event, &["time"]).and_then(|t| DateTime::parse_from_rfc3339(&t).ok());
    put(&mut out, "time", json!(time.map(|t| t.timestamp_millis())));
    let severity = text(&event, &["severity"]).unwrap_or_else(|| "info".into());
    let (severity_id, severity_name) = severity_of(&severity);
    put(&mut out, "severity_id", json!(severity_id));
    put(&mut out, "severity", json!(severity_name));
    let outcome = text(&event, &["outcome"]).unwrap_or_else(|| "unknown".into());
    let (status_id, status) = match outcome.as_str() {
        "success" => (1, "Success"),
        "failure" | "blocked" => (2, "Failure"),
        _ => (0, "Unknown"),
    };
    put(&mut out, "status_id", json!(status_id));
    put(&mut out, "status", json!(status));
    let detail = text(&event, &["status", "detail"])
        .or_else(|| (outcome == "blocked").then(|| "blocked".to_string()));
    put(&mut out, "status_detail", json!(detail));
    put(
        &mut out,
        "status_code",
        event
            .get("status")
            .and_then(|s| s.get("code"))
            .map(code_text)
            .into(),
    );
    let message = text(&event, &["message"]).unwrap_or_else(|| sentence(&event));
    put(&mut out, "message", json!(message));

    let user = user_of(&event);
    let mut actor = Map::new();
    if !user.is_empty() {
        actor.insert("user".into(), Value::Object(user.clone()));
    }
    if let Some(session) = text(&event, &["actor", "session_id"]) {
        actor.insert("session".into(), json!({ "uid": session }));
    }
    put(&mut out, "actor", object_or_null(actor));
    if class == Class::Authentication && !user.is_empty() {
        out.insert("user".into(), Value::Object(user));
    }
    let resource = resource_of(&event);
    if class == Class::AccountChange {
        // The account changed is the resource; OCSF calls it `user`.
        let mut target = Map::new();
        if let Some(id) = text(&event, &["resource", "id"]) {
            target.insert("uid".into(), json!(id));
        }
        if let Some(name) = text(&event, &["resource", "name"]) {
            target.insert("name".into(), json!(name));
        }
        put(&mut out, "user", object_or_null(target));
    }
    if class == Class::ApiActivity {
        put(&mut out, "api", json!({ "operation": action }));
    }
    put(
        &mut out,
        "resources",
        resource.map_or(Value::Null, |r| json!([r])),
    );
    let mut endpoint = Map::new();
    if let Some(ip) = text(&event, &["source", "ip"]) {
        endpoint.insert("ip".into(), json!(ip));
    }
    if let Some(port) = event.get("source").and_then(|s| s.get("port")) {
        endpoint.insert("port".into(), port.clone());
    }
    put(&mut out, "src_endpoint", object_or_null(endpoint));
    if let Some(agent) = text(&event, &["source", "user_agent"]) {
        out.insert("http_request".into(), json!({ "user_agent": agent }));
    }
    if let Some(project) = text(&event, &["project", "id"]) {
        out.insert(
            "cloud".into(),
            json!({ "project_uid": project, "provider": "unknown" }),
        );
    }
    put(
        &mut out,
        "device",
        text(&event, &["agent", "host"])
            .map_or(Value::Null, |h| json!({ "hostname": h, "type_id": 0 })),
    );
    out.insert("metadata".into(), metadata_of(&event));
    put(&mut out, "raw_data", json!(text(&event, &["raw"])));
    let mut unmapped = Map::new();
    for key in ["details", "correlation", "parse_error", "time_inferred"] {
        if let Some(value) = event.get(key) {
            unmapped.insert(key.into(), value.clone());
        }
    }
    for (key, path) in [
        ("actor_type", ["actor", "type"]),
        ("chain", ["agent", "chain"]),
    ] {
        if let Some(value) = text(&event, &path) {
            unmapped.insert(key.into(), json!(value));
        }
    }
    if let Some(glass) = event.get("actor").and_then(|a| a.get("break_glass")) {
        unmapped.insert("break_glass".into(), glass.clone());
    }
    put(&mut out, "unmapped", object_or_null(unmapped));
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Authentication,
    AccountChange,
    ApiActivity,
}

impl Class {
    fn of(action: &str, category: Option<&str>) -> Class {
        let has = |words: &[&str]| words.iter().any(|w| action.contains(w));
        if category == Some("auth")
            || has(&["login", "logon", "logout", "logoff", "mfa", "authenticat"])
        {
            Class::Authentication
        } else if category == Some("iam")
            && has(&[
                "user.", "member.", "role", "password", "apikey", "account", "group",
            ])
        {
            Class::AccountChange
        } else {
            Class::ApiActivity
        }
    }

    fn uid(self) -> u32 {
        match self {
            Class::Authentication => 3002,
            Class::AccountChange => 3001,
            Class::ApiActivity => 6003,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Class::Authentication => "Authentication",
            Class::AccountChange => "Account Change",
            Class::ApiActivity => "API Activity",
        }
    }

    fn category_name(self) -> &'static str {
        match self {
            Class::Authentication | Class::AccountChange => "Identity & Access Management",
            Class::ApiActivity => "Application Activity",
        }
    }

    fn activity(self, action: &str) -> u8 {
        let last = action.rsplit('.').next().unwrap_or(action);
        let has = |words: &[&str]| words.iter().any(|w| last.contains(w) || action.contains(w));
        match self {
            Class::Authentication if has(&["logout", "logoff"]) => 2,
            Class::Authentication if has(&["login", "logon"]) => 1,
            Class::AccountChange if has(&["password"]) => 3,
            Class::AccountChange if has(&["create", "add"]) => 1,
            Class::AccountChange if has(&["disable", "suspend"]) => 5,
            Class::AccountChange if has(&["delete", "remove"]) => 6,
            Class::AccountChange if has(&["grant", "attach", "role.change"]) => 7,
            Class::AccountChange if has(&["revoke", "detach"]) => 8,
            Class::ApiActivity if has(&["create", "add", "open", "request", "initiate"]) => 1,
            Class::ApiActivity if has(&["read", "get", "list", "view", "download"]) => 2,
            Class::ApiActivity
                if has(&[
                    "update", "change", "approve", "deploy", "execute", "promote",
                ]) =>
            {
                3
            }
            Class::ApiActivity if has(&["delete", "remove", "revoke"]) => 4,
            _ => 99,
        }
    }
}

/// OCSF `severity_id` and caption from a schema severity.
fn severity_of(severity: &str) -> (u8, &'static str) {
    match severity {
        "debug" | "info" => (1, "Informational"),
        "notice" => (2, "Low"),
        "warning" => (3, "Medium"),
        "error" => (4, "High"),
        "critical" | "alert" => (5, "Critical"),
        "emergency" => (6, "Fatal"),
        _ => (0, "Unknown"),
    }
}

fn user_of(event: &Map<String, Value>) -> Map<String, Value> {
    let mut user = Map::new();
    for (ours, theirs) in [("id", "uid"), ("name", "name"), ("email", "email_addr")] {
        if let Some(value) = text(event, &["actor", ours]) {
            user.insert(theirs.into(), json!(value));
        }
    }
    if let Some(groups) = event
        .get("actor")
        .and_then(|a| a.get("groups"))
        .and_then(Value::as_array)
    {
        let groups: Vec<Value> = groups
            .iter()
            .filter_map(Value::as_str)
            .map(|g| json!({ "name": g }))
            .collect();
        user.insert("groups".into(), Value::Array(groups));
    }
    if !user.is_empty() {
        let kind = text(event, &["actor", "type"]);
        let (type_id, name) = match kind.as_deref() {
            Some("user") => (1, "User"),
            Some("service_account") | Some("system") => (3, "System"),
            _ => (0, "Unknown"),
        };
        user.insert("type_id".into(), json!(type_id));
        user.insert("type".into(), json!(name));
    }
    user
}

fn resource_of(event: &Map<String, Value>) -> Option<Value> {
    let mut resource = Map::new();
    for (ours, theirs) in [("type", "type"), ("id", "uid"), ("name", "name")] {
        if let Some(value) = text(event, &["resource", ours]) {
            resource.insert(theirs.into(), json!(value));
        }
    }
    (!resource.is_empty()).then_some(Value::Object(resource))
}

fn metadata_of(event: &Map<String, Value>) -> Value {
    let mut metadata = Map::new();
    metadata.insert("version".into(), json!(OCSF_VERSION));
    metadata.insert(
        "product".into(),
        json!({ "name": "auditship", "vendor_name": "auditship", "version": env!("CARGO_PKG_VERSION") }),
    );
    for (key, path) in [
        ("uid", &["id"][..]),
        ("log_name", &["origin", "format"][..]),
        ("tenant_uid", &["tenant", "id"][..]),
        ("processed_time_dt", &["ingest_time"][..]),
    ] {
        if let Some(value) = text(event, path) {
            metadata.insert(key.into(), json!(value));
        }
    }
    if let Some(seq) = event.get("agent").and_then(|a| a.get("seq")) {
        metadata.insert("sequence".into(), seq.clone());
    }
    let correlation = event
        .get("correlation")
        .and_then(|c| c.get("request_id").or_else(|| c.get("trace_id")))
        .and_then(Value::as_str);
    if let Some(correlation) = correlation {
        metadata.insert("correlation_uid".into(), json!(correlation));
    }
    Value::Object(metadata)
}

fn code_text(code: &Value) -> Value {
    match code {
        Value::String(text) => Value::String(text.clone()),
        other => Value::String(other.to_string()),
    }
}

fn object_or_null(map: Map<String, Value>) -> Value {
    if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    }
}
