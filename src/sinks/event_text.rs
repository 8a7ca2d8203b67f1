//! Reading an event's JSON for the sinks that re-shape it (Datadog,
//! syslog/CEF): a string at a path, and the one-sentence summary used when
//! an event has no `message`.

use serde_json::{Map, Value};

/// "ACTOR ACTION RESOURCE: OUTCOME", e.g. "alice release.deploy release
/// rel-42: success". ACTOR is the name, else the id, else the actor type;
/// RESOURCE is the type and the name or id, left out when absent.
pub fn sentence(event: &Map<String, Value>) -> String {
    let actor = text(event, &["actor", "name"])
        .or_else(|| text(event, &["actor", "id"]))
        .or_else(|| text(event, &["actor", "type"]))
        .unwrap_or_else(|| "unknown".into());
    let action = text(event, &["action"]).unwrap_or_else(|| "unknown".into());
    let resource = [
        text(event, &["resource", "type"]),
        text(event, &["resource", "name"]).or_else(|| text(event, &["resource", "id"])),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let outcome = text(event, &["outcome"]).unwrap_or_else(|| "unknown".into());
    if resource.is_empty() {
        format!("{actor} {action}: {outcome}")
    } else {
        format!("{actor} {action} {resource}: {outcome}")
    }
}

/// The string at a path of object keys.
pub fn text(map: &Map<String, Value>, path: &[&str]) -> Option<String> {
    let (first, rest) = path.split_first()?;
    let mut value = map.get(*first)?;
    for key in rest {
        value = value.get(key)?;
    }
    value.as_str().map(str::to_string)
}

/// The value at a path as text: strings as they are, numbers and booleans
/// in their JSON form; `None` for absent, null, arrays and objects.
pub fn scalar(map: &Map<String, Value>, path: &[&str]) -> Option<String> {
    let (first, rest) = path.split_first()?;
    let mut value = map.get(*first)?;
    for key in rest {
        value = value.get(key)?;
    }
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}
