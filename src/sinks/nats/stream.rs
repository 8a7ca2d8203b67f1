//! `create_stream`: at the first connection, the stream is created, or an
//! existing one brought to the configured subjects, replicas, `max_age` and
//! duplicate window.
//!
//! Through the JetStream API as JSON (`STREAM.INFO`, `STREAM.CREATE`,
//! `STREAM.UPDATE`) rather than the client's typed stream configuration:
//! an update sends back the stream's own configuration with only these
//! four settings changed, so settings this client version does not know
//! (newer servers add some) are kept, and nothing is sent when they
//! already match.

use serde_json::{json, Value};

use crate::config::NatsStreamConfig;

/// JetStream's error code for "stream not found".
const STREAM_NOT_FOUND: u64 = 10059;

/// What the configured settings look like in a stream configuration.
fn wanted(stream: &NatsStreamConfig) -> [(&'static str, Value); 4] {
    [
        ("subjects", json!(stream.subjects)),
        ("num_replicas", json!(stream.replicas)),
        ("max_age", json!(stream.max_age.as_nanos() as u64)),
        (
            "duplicate_window",
            json!(stream.duplicate_window.as_nanos() as u64),
        ),
    ]
}

/// Creates or updates the stream. The error is a sentence for the operator.
pub(super) async fn ensure_stream(
    context: &async_nats::jetstream::Context,
    stream: &NatsStreamConfig,
) -> Result<(), String> {
    let name = &stream.name;
    let info = api(context, &format!("STREAM.INFO.{name}"), &json!({})).await;
    match info {
        Err(ApiError::JetStream {
            code: STREAM_NOT_FOUND,
            ..
        }) => {
            let mut config = json!({
                "name": name,
                "retention": "limits",
                "storage": "file",
                "discard": "old",
            });
            for (key, value) in wanted(stream) {
                config[key] = value;
            }
            api(context, &format!("STREAM.CREATE.{name}"), &config)
                .await
                .map_err(|e| e.explain("create", name))?;
            tracing::info!(stream = %name, subjects = ?stream.subjects, replicas = stream.replicas, "JetStream stream created.");
            Ok(())
        }
        Err(error) => Err(error.explain("look up", name)),
        Ok(info) => {
            let mut config = info.get("config").cloned().unwrap_or_else(|| json!({}));
            let mut changed = Vec::new();
            for (key, value) in wanted(stream) {
                if config.get(key) != Some(&value) {
                    changed.push(key);
                    config[key] = value;
                }
            }
            if changed.is_empty() {
                return Ok(());
            }
            api(context, &format!("STREAM.UPDATE.{name}"), &config)
                .await
                .map_err(|e| e.explain("update", name))?;
            tracing::info!(stream = %name, ?changed, "JetStream stream updated to the configured settings.");
            Ok(())
        }
    }
}

enum ApiError {
    /// No answer (no JetStream, no permission, timeout).
    Request(String),
    JetStream {
        code: u64,
        description: String,
    },
}

impl ApiError {
    fn explain(self, what: &str, name: &str) -> String {
        match self {
            ApiError::Request(reason) => format!("cannot {what} the JetStream stream {name} ({reason}); check that JetStream is enabled on the servers and that the user may use the JetStream API, or create the stream yourself and remove create_stream"),
            ApiError::JetStream { code, description } => format!("cannot {what} the JetStream stream {name}: {description} (error {code}); fix create_stream (replicas cannot exceed the cluster's size; storage and retention of an existing stream cannot change) or the stream"),
        }
    }
}

/// One JetStream API request; the answer's `error`, if any, as an error.
async fn api(
    context: &async_nats::jetstream::Context,
    subject: &str,
    body: &Value,
) -> Result<Value, ApiError> {
    let answer: Value = context
        .request(subject.to_string(), body)
        .await
        .map_err(|e| ApiError::Request(e.to_string()))?;
    match answer.get("error") {
        Some(error) => Err(ApiError::JetStream {
            code: error.get("err_code").and_then(Value::as_u64).unwrap_or(0),
            description: error
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("no description")
                .to_string(),
        }),
        None => Ok(answer),
    }
}
