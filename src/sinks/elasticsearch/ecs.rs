//! One event's JSON line → one Elastic Common Schema (ECS) document, per the
//! ECS column of SCHEMA.md. Pure: no I/O.
//!
//! Why ECS: Elastic Security's detection rules, dashboards and the
//! OpenSearch/Wazuh equivalents query `user.name`, `source.ip`,
//! `event.action`, `event.outcome`; a document in our own shape would be
//! stored but invisible to them.
//!
//! | ECS | from |
//! | --- | --- |
//! | `@timestamp` | `time` |
//! | `event.id` / `.action` / `.outcome` | `id` / `action` / `outcome` (`blocked` → `failure`, ECS has no blocked) |
//! | `event.category` | `category` when it has an ECS equivalent (`auth` → `authentication`, `iam`, `config` → `configuration`, …) |
//! | `event.kind`, `event.dataset` | `"event"`, `"auditship.audit"` |
//! | `event.module`, `event.ingested`, `event.original` | `origin.format`, `ingest_time`, `raw` |
//! | `log.level` | `severity` |
//! | `message` | `message` |
//! | `user.id` / `.name` / `.email` / `.roles` / `.effective.*` | `actor.id` / `.name` / `.email` / `.groups` / `.effective` |
//! | `session.id` | `actor.session_id` |
//! | `source.ip` / `.port`, `user_agent.original` | `source.ip` / `.port` / `.user_agent` |
//! | `organization.id` | `tenant.id` |
//! | `error.code` / `.message` | `status.code` / `.detail`, else `parse_error.reason` |
//! | `trace.id` | `correlation.trace_id` |
//! | `host.name` | `agent.host` |
//! | `log.file.path`, `log.offset`, `input.type` | `origin.path`, `origin.offset`, `origin.kind` |
//! | `labels.schema_version` | `schema_version` |
//!
//! Everything with no ECS field — `resource`, `project`, `actor.type`,
//! `actor.break_glass`, `details`, `correlation`, `origin.peer`,
//! `agent.seq`/`agent.chain`, `time_inferred`, the original `outcome` and
//! `category` — goes under the custom `auditship` object, so no information
//! is lost and `auditship verify` inputs can be rebuilt.

use serde_json::{Map, Value};

/// Maps one event line; a line that is not a JSON object (never written by
/// auditship) becomes a document with the line as `message`.
pub fn to_ecs(line: &[u8]) -> Map<String, Value> {
    let mut event = match crate::json_bytes::from_json_bytes::<Value>(line) {
        Ok(Value::Object(event)) => event,
        _ => {
            let mut document = Map::new();
            let text = String::from_utf8_lossy(line).into_owned();
            document.insert("message".into(), Value::String(text));
            return document;
        }
    };
    let mut ecs = Ecs::default();
    let mut custom = Map::new();

    move_to(&mut event, "time", &mut ecs.root, "@timestamp");
    move_to(&mut event, "message", &mut ecs.root, "message");
    move_to(&mut event, "id", &mut ecs.event, "id");
    move_to(&mut event, "action", &mut ecs.event, "action");
    move_to(&mut event, "ingest_time", &mut ecs.event, "ingested");
    move_to(&mut event, "raw", &mut ecs.event, "original");
    move_to(&mut event, "severity", &mut ecs.log, "level");
    if let Some(outcome) = event.remove("outcome") {
        let ecs_outcome = match outcome.as_str() {
            Some("blocked") => Value::from("failure"),
            _ => outcome.clone(),
        };
        ecs.event.insert("outcome".into(), ecs_outcome);
        custom.insert("outcome".into(), outcome);
    }
    if let Some(category) = event.remove("category") {
        if let Some(mapped) = category.as_str().and_then(ecs_category) {
            ecs.event
                .insert("category".into(), Value::from(vec![mapped]));
        }
        custom.insert("category".into(), category);
    }
    ecs.event.insert("kind".into(), Value::from("event"));
    ecs.event
        .insert("dataset".into(), Value::from("auditship.audit"));

    if let Some(Value::Object(mut actor)) = event.remove("actor") {
        let mut user = Map::new();
        move_to(&mut actor, "id", &mut user, "id");
        move_to(&mut actor, "name", &mut user, "name");
        move_to(&mut actor, "email", &mut user, "email");
        move_to(&mut actor, "groups", &mut user, "roles");
        move_to(&mut actor, "effective", &mut user, "effective");
        if let Some(session) = actor.remove("session_id") {
            ecs.root.insert("session".into(), object([("id", session)]));
        }
        insert_object(&mut ecs.root, "user", user);
        insert_object(&mut custom, "actor", actor); // type, break_glass
    }
    if let Some(Value::Object(mut source)) = event.remove("source") {
        if let Some(agent) = source.remove("user_agent") {
            ecs.root
                .insert("user_agent".into(), object([("original", agent)]));
        }
        insert_object(&mut ecs.root, "source", source); // ip, port
    }
    if let Some(Value::Object(mut tenant)) = event.remove("tenant") {
        if let Some(id) = tenant.remove("id") {
            ecs.root.insert("organization".into(), object([("id", id)]));
        }
    }
    let mut error = Map::new();
    if let Some(Value::Object(mut status)) = event.remove("status") {
        if let Some(code) = status.remove("code") {
            let code = match code {
                Value::String(text) => Value::String(text),
                other => Value::String(other.to_string()),
            };
            error.insert("code".into(), code);
        }
        move_to(&mut status, "detail", &mut error, "message");
    }
    if let Some(parse_error) = event.remove("parse_error") {
        if !error.contains_key("message") {
            if let Some(reason) = parse_error.get("reason") {
                error.insert("message".into(), reason.clone());
            }
        }
        custom.insert("parse_error".into(), parse_error);
    }
    insert_object(&mut ecs.root, "error", error);
    if let Some(Value::Object(correlation)) = event.get_mut("correlation") {
        if let Some(trace) = correlation.get("trace_id").cloned() {
            ecs.root.insert("trace".into(), object([("id", trace)]));
        }
    }
    if let Some(Value::Object(mut agent)) = event.remove("agent") {
        if let Some(host) = agent.remove("host") {
            ecs.root.insert("host".into(), object([("name", host)]));
        }
        insert_object(&mut custom, "agent", agent); // seq, chain
    }
    if let Some(Value::Object(mut origin)) = event.remove("origin") {
        move_to(&mut origin, "format", &mut ecs.event, "module");
        move_to(&mut origin, "path", &mut ecs.log_file, "path");
        move_to(&mut origin, "offset", &mut ecs.log, "offset");
        if let Some(kind) = origin.remove("kind") {
            ecs.root.insert("input".into(), object([("type", kind)]));
        }
        insert_object(&mut custom, "origin", origin); // peer
    }
    if let Some(version) = event.remove("schema_version") {
        ecs.root
            .insert("labels".into(), object([("schema_version", version)]));
    }
    // What is left has no ECS field: resource, project, details,
    // correlation, time_inferred, and anything a later schema adds.
    custom.extend(event);
    ecs.finish(custom)
}

/// The ECS objects being filled, joined into one document at the end.
#[derive(Default)]
struct Ecs {
    root: Map<String, Value>,
    event: Map<String, Value>,
    log: Map<String, Value>,
    log_file: Map<String, Value>,
}

impl Ecs {
    fn finish(mut self, custom: Map<String, Value>) -> Map<String, Value> {
        insert_object(&mut self.log, "file", self.log_file);
        insert_object(&mut self.root, "event", self.event);
        insert_object(&mut self.root, "log", self.log);
        insert_object(&mut self.root, "auditship", custom);
        self.root
    }
}

/// ECS `event.category` allowed values for our categories; `None` where
/// ECS has no equivalent (the value stays in `auditship.category`).
fn ecs_category(category: &str) -> Option<&'static str> {
    Some(match category {
        "auth" | "authentication" => "authentication",
        "iam" => "iam",
        "config" | "configuration" => "configuration",
        "file" => "file",
        "network" => "network",
        "process" => "process",
        "database" => "database",
        "web" => "web",
        "session" => "session",
        _ => return None,
    })
}

fn move_to(from: &mut Map<String, Value>, key: &str, to: &mut Map<String, Value>, as_key: &str) {
    if let Some(value) = from.remove(key) {
        to.insert(as_key.to_string(), value);
    }
}

fn insert_object(into: &mut Map<String, Value>, key: &str, object: Map<String, Value>) {
    if !object.is_empty() {
        into.insert(key.to_string(), Value::Object(object));
    }
}

fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect(),
    )
}
