//! The `_bulk` request body and the reading of its response. Pure.
//!
//! Body (Elasticsearch 7/8 and OpenSearch `_bulk` API): NDJSON, for each
//! event an action line then the ECS document, and a final newline:
//!
//! ```text
//! {"create":{"_index":"logs-auditship-default","_id":"EVENT-ID"}}
//! {"@timestamp":"…","event":{…},…}
//! ```
//!
//! `_id` is the event id, so a batch sent again after a crash or a retry
//! cannot index an event twice: with `create` (data streams, required
//! there) the copy is refused with 409, which counts as delivered; with
//! `index` the same document is written over itself.
//!
//! The response lists one item per action, in order, each with its own
//! `status`: 2xx delivered; 409 on `create` already there; 429 and 5xx
//! retryable (the cluster is busy or a shard moved); anything else (400
//! `mapper_parsing_exception`, 404 missing index with auto-create off…)
//! refused for good — the event goes to the dead-letter file with the
//! error's type and reason.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ecs::to_ecs;
use crate::config::EventEncoding;

pub use crate::config::ElasticsearchTarget as BulkTarget;

/// The index (or stream) of an event at `time`.
pub fn name_at(target: &BulkTarget, time: DateTime<Utc>) -> String {
    match target {
        BulkTarget::Index(pattern) => time.format(pattern).to_string(),
        BulkTarget::DataStream(name) => name.clone(),
    }
}

fn action(target: &BulkTarget) -> &'static str {
    match target {
        BulkTarget::Index(_) => "index",
        BulkTarget::DataStream(_) => "create",
    }
}

/// Appends the action and document of one event line to `body`.
/// `fallback_time` names the index of an event without a readable time.
pub fn append_item(
    line: &[u8],
    target: &BulkTarget,
    encoding: EventEncoding,
    fallback_time: DateTime<Utc>,
    body: &mut Vec<u8>,
) {
    let (document, time, id) = match encoding {
        EventEncoding::Native => {
            let document = to_ecs(line);
            let time = document
                .get("@timestamp")
                .and_then(Value::as_str)
                .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
                .map(|time| time.with_timezone(&Utc));
            let id = document.get("event").and_then(|e| e.get("id")).cloned();
            (document, time, id)
        }
        EventEncoding::Ocsf => {
            let document = crate::sinks::ocsf::to_ocsf(line);
            let time = document
                .get("time")
                .and_then(Value::as_i64)
                .and_then(DateTime::from_timestamp_millis);
            let id = document.get("metadata").and_then(|m| m.get("uid")).cloned();
            (document, time, id)
        }
    };
    let time = time.unwrap_or(fallback_time);
    let mut meta = serde_json::Map::new();
    meta.insert("_index".into(), Value::String(name_at(target, time)));
    if let Some(Value::String(id)) = id {
        meta.insert("_id".into(), Value::String(id));
    }
    let mut line = serde_json::Map::new();
    line.insert(action(target).into(), Value::Object(meta));
    serde_json::to_writer(&mut *body, &line).expect("a map serializes");
    body.push(b'\n');
    serde_json::to_writer(&mut *body, &document).expect("a map serializes");
    body.push(b'\n');
}

/// What the cluster did with one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Stored now (2xx) or already stored by an earlier attempt (409 on
    /// `create`).
    Delivered,
    /// Worth sending again: 429 or 5xx.
    Retry { status: u16 },
    /// Refused for good, with `TYPE: REASON` from the response.
    Refused { status: u16, reason: String },
}

/// Why a `_bulk` response could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BulkResponseError {
    #[error("the _bulk response is not JSON with an \"items\" array")]
    Shape,
    #[error("the _bulk response has {got} items for {sent} actions")]
    Count { got: usize, sent: usize },
}

/// Reads a 200 `_bulk` response for `sent` actions into one outcome each,
/// in request order.
pub fn read_response(body: &[u8], sent: usize) -> Result<Vec<ItemOutcome>, BulkResponseError> {
    let response: Value = serde_json::from_slice(body).map_err(|_| BulkResponseError::Shape)?;
    let items = response
        .get("items")
        .and_then(Value::as_array)
        .ok_or(BulkResponseError::Shape)?;
    if items.len() != sent {
        return Err(BulkResponseError::Count {
            got: items.len(),
            sent,
        });
    }
    items.iter().map(item_outcome).collect()
}

fn item_outcome(item: &Value) -> Result<ItemOutcome, BulkResponseError> {
    // Each item is `{"<action>": {"status": …, "error": {…}}}`.
    let (action, result) = item
        .as_object()
        .and_then(|item| item.iter().next())
        .ok_or(BulkResponseError::Shape)?;
    let status = result
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|status| u16::try_from(status).ok())
        .ok_or(BulkResponseError::Shape)?;
    Ok(match status {
        200..=299 => ItemOutcome::Delivered,
        409 if action == "create" => ItemOutcome::Delivered,
        429 | 500..=599 => ItemOutcome::Retry { status },
        _ => ItemOutcome::Refused {
            status,
            reason: error_text(result.get("error")),
        },
    })
}

/// `TYPE: REASON` of an item's error, cut to a readable length.
fn error_text(error: Option<&Value>) -> String {
    let text = match error {
        Some(Value::Object(error)) => {
            let kind = error.get("type").and_then(Value::as_str).unwrap_or("error");
            let reason = error.get("reason").and_then(Value::as_str).unwrap_or("");
            format!("{kind}: {reason}")
        }
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => "refused without an error description".into(),
    };
    match text.char_indices().nth(1000) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
