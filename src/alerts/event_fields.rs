//! The event's fields as alert rules see them: dotted paths for
//! `group_by` and templates (`actor.name`, `details.ip`), and the variables
//! of a `when` expression (`action`, `actor`, `source`, …).
//!
//! Absent optional schema fields are CEL `null` rather than missing, so
//! `actor.name == "bob"` is simply false on an event without a name instead
//! of an evaluation error.

use std::collections::HashMap;
use std::sync::Arc;

use cel::objects::{Key, Map};
use cel::Value;

use crate::event::AuditEvent;

/// The top-level names a `when` expression may use.
pub const VARIABLES: &[&str] = &[
    "id",
    "action",
    "outcome",
    "severity",
    "category",
    "message",
    "actor",
    "source",
    "resource",
    "tenant",
    "project",
    "status",
    "correlation",
    "details",
    "origin",
    "host",
];

/// Whether `path` names a field [`field_text`] can read (checked at start
/// for `group_by` and templates).
pub fn is_known_path(path: &str) -> bool {
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    match head {
        "details" | "correlation" => !rest.is_empty(),
        "actor" => matches!(rest, "id" | "name" | "email" | "type" | "session_id"),
        "source" => matches!(rest, "ip" | "port" | "user_agent"),
        "resource" => matches!(rest, "type" | "id" | "name"),
        "tenant" | "project" => rest == "id",
        "origin" => matches!(rest, "kind" | "format" | "path"),
        "status" => matches!(rest, "code" | "detail"),
        "id" | "action" | "outcome" | "severity" | "category" | "message" | "host" | "time" => {
            rest.is_empty()
        }
        _ => false,
    }
}

/// The text of the field at `path`, `None` when the event has none.
pub fn field_text(event: &AuditEvent, path: &str) -> Option<String> {
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    let text = |v: &Option<String>| v.clone();
    match (head, rest) {
        ("id", "") => Some(event.id.clone()),
        ("action", "") => Some(event.action.clone()),
        ("outcome", "") => Some(event.outcome.as_str().into()),
        ("severity", "") => Some(event.severity.as_str().into()),
        ("category", "") => event.category.clone(),
        ("message", "") => event.message.clone(),
        ("host", "") => Some(event.agent.host.clone()),
        ("time", "") => Some(crate::event::format_time(&event.time)),
        ("actor", "id") => text(&event.actor.id),
        ("actor", "name") => text(&event.actor.name),
        ("actor", "email") => text(&event.actor.email),
        ("actor", "session_id") => text(&event.actor.session_id),
        ("actor", "type") => serde_json::to_value(event.actor.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string)),
        ("source", "ip") => event.source.as_ref().and_then(|s| s.ip.clone()),
        ("source", "port") => event
            .source
            .as_ref()
            .and_then(|s| s.port.map(|p| p.to_string())),
        ("source", "user_agent") => event.source.as_ref().and_then(|s| s.user_agent.clone()),
        ("resource", "type") => event.resource.as_ref().and_then(|r| r.kind.clone()),
        ("resource", "id") => event.resource.as_ref().and_then(|r| r.id.clone()),
        ("resource", "name") => event.resource.as_ref().and_then(|r| r.name.clone()),
        ("tenant", "id") => event.tenant.as_ref().map(|t| t.id.clone()),
        ("project", "id") => event.project.as_ref().map(|p| p.id.clone()),
        ("status", "detail") => event.status.as_ref().and_then(|s| s.detail.clone()),
        ("status", "code") => event
            .status
            .as_ref()
            .and_then(|s| s.code.as_ref())
            .map(json_text),
        ("origin", "kind") => serde_json::to_value(event.origin.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string)),
        ("origin", "path") => event.origin.path.clone(),
        ("origin", "format") => Some(event.origin.format.clone()),
        ("correlation", name) => event.correlation.get(name).cloned(),
        ("details", dotted) => {
            let mut parts = dotted.split('.');
            let mut value = event.details.get(parts.next()?)?;
            for part in parts {
                value = value.get(part)?;
            }
            Some(json_text(value))
        }
        _ => None,
    }
}

fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn string(value: &str) -> Value {
    Value::String(Arc::new(value.to_string()))
}

fn opt(value: &Option<String>) -> Value {
    value.as_deref().map_or(Value::Null, string)
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    let map: HashMap<Key, Value> = entries
        .into_iter()
        .map(|(k, v)| (Key::String(Arc::new(k.to_string())), v))
        .collect();
    Value::Map(Map { map: Arc::new(map) })
}

/// The CEL value of top-level variable `name` for `event`.
pub fn variable(event: &AuditEvent, name: &str) -> Value {
    match name {
        "id" => string(&event.id),
        "action" => string(&event.action),
        "outcome" => string(event.outcome.as_str()),
        "severity" => string(event.severity.as_str()),
        "category" => opt(&event.category),
        "message" => opt(&event.message),
        "host" => string(&event.agent.host),
        "actor" => map(vec![
            ("id", opt(&event.actor.id)),
            ("name", opt(&event.actor.name)),
            ("email", opt(&event.actor.email)),
            ("type", opt(&field_text(event, "actor.type"))),
            ("session_id", opt(&event.actor.session_id)),
            (
                "groups",
                Value::List(Arc::new(
                    event.actor.groups.iter().map(|g| string(g)).collect(),
                )),
            ),
            (
                "break_glass",
                Value::Bool(event.actor.break_glass.is_some()),
            ),
        ]),
        "source" => {
            let s = event.source.clone().unwrap_or_default();
            map(vec![
                ("ip", opt(&s.ip)),
                ("port", s.port.map_or(Value::Null, |p| Value::Int(p.into()))),
                ("user_agent", opt(&s.user_agent)),
            ])
        }
        "resource" => {
            let r = event.resource.clone().unwrap_or_default();
            map(vec![
                ("type", opt(&r.kind)),
                ("id", opt(&r.id)),
                ("name", opt(&r.name)),
            ])
        }
        "tenant" => map(vec![(
            "id",
            opt(&event.tenant.as_ref().map(|t| t.id.clone())),
        )]),
        "project" => map(vec![(
            "id",
            opt(&event.project.as_ref().map(|p| p.id.clone())),
        )]),
        "status" => {
            let s = event.status.clone().unwrap_or_default();
            map(vec![
                ("code", s.code.as_ref().map_or(Value::Null, json_value)),
                ("detail", opt(&s.detail)),
            ])
        }
        "correlation" => map(event
            .correlation
            .iter()
            .map(|(k, v)| (k.as_str(), string(v)))
            .collect()),
        "details" => json_value(&serde_json::Value::Object(event.details.clone())),
        "origin" => map(vec![
            ("kind", opt(&field_text(event, "origin.kind"))),
            ("format", string(&event.origin.format)),
            ("path", opt(&event.origin.path)),
        ]),
        _ => Value::Null,
    }
}

/// A JSON value as CEL sees it.
pub fn json_value(value: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Int(i),
            (None, Some(u), _) => Value::UInt(u),
            (_, _, Some(f)) => Value::Float(f),
            _ => Value::Null,
        },
        J::String(s) => string(s),
        J::Array(items) => Value::List(Arc::new(items.iter().map(json_value).collect())),
        J::Object(fields) => {
            let map: HashMap<Key, Value> = fields
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), json_value(v)))
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}
