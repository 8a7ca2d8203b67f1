//! `POST /v2/entries:write` of the Cloud Logging emulator: auth, content
//! type, size limit, `WriteLogEntriesRequest` schema, per-entry limits,
//! injected faults, partial success.

use super::super::*;
use super::{api_error, json_response, violation};

const REQUEST_FIELDS: [&str; 6] = [
    "logName",
    "resource",
    "labels",
    "entries",
    "partialSuccess",
    "dryRun",
];
const ENTRY_FIELDS: [&str; 17] = [
    "logName",
    "resource",
    "timestamp",
    "receiveTimestamp",
    "severity",
    "insertId",
    "httpRequest",
    "labels",
    "operation",
    "trace",
    "spanId",
    "traceSampled",
    "sourceLocation",
    "split",
    "protoPayload",
    "textPayload",
    "jsonPayload",
];

fn string_map(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|m| m.values().all(Value::is_string))
}

fn check_log_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() == 4
        && parts[0] == "projects"
        && !parts[1].is_empty()
        && parts[2] == "logs"
        && !parts[3].is_empty()
}

/// Why an entry breaks the schema, if it does.
fn check_entry(entry: &Value) -> Result<(), String> {
    let object = entry.as_object().ok_or("entry is not an object")?;
    if let Some(unknown) = object.keys().find(|k| !ENTRY_FIELDS.contains(&k.as_str())) {
        return Err(format!("Invalid JSON payload received. Unknown name \"{unknown}\" at 'entries[]': Cannot find field."));
    }
    let payloads = ["textPayload", "jsonPayload", "protoPayload"]
        .iter()
        .filter(|p| object.contains_key(**p))
        .count();
    if payloads > 1 {
        return Err("an entry has more than one payload".into());
    }
    if object.get("jsonPayload").is_some_and(|p| !p.is_object()) {
        return Err("jsonPayload is not an object".into());
    }
    if let Some(time) = object.get("timestamp") {
        let ok = time
            .as_str()
            .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok());
        if !ok {
            return Err(format!("Invalid value at 'entries[].timestamp' (type.googleapis.com/google.protobuf.Timestamp), {time}"));
        }
    }
    if let Some(severity) = object.get("severity") {
        if !severity.as_str().is_some_and(|s| SEVERITIES.contains(&s)) {
            return Err(format!("Invalid value at 'entries[].severity' (type.googleapis.com/google.logging.type.LogSeverity), {severity}"));
        }
    }
    if object.get("insertId").is_some_and(|i| !i.is_string())
        || object.get("labels").is_some_and(|l| !string_map(l))
    {
        return Err("insertId must be a string and labels a map of strings".into());
    }
    if let Some(name) = object.get("logName") {
        if !name.as_str().is_some_and(check_log_name) {
            return Err("entry logName is not projects/P/logs/L".into());
        }
    }
    Ok(())
}

pub(super) async fn write(
    state: &Mutex<State>,
    content_type: &str,
    authorization: Option<String>,
    body: &[u8],
) -> Response<Full<Bytes>> {
    let token = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "));
    let known = token.is_some_and(|t| state.lock().unwrap().tokens.contains(t));
    {
        let mut s = state.lock().unwrap();
        s.writes += 1;
    }
    if !known {
        // An expired token is normal; a missing one is a client bug.
        if token.is_none() {
            state
                .lock()
                .unwrap()
                .violations
                .push("write without a Bearer token".into());
        }
        return api_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", None);
    }
    if !content_type.starts_with("application/json") {
        return violation(
            state,
            400,
            &format!("content type {content_type:?} is not application/json"),
        );
    }
    if body.len() > MAX_REQUEST_BYTES {
        return violation(
            state,
            400,
            &format!("Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes."),
        );
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return violation(state, 400, "Invalid JSON payload received.");
    };
    let Some(fields) = request.as_object() else {
        return violation(state, 400, "request is not an object");
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !REQUEST_FIELDS.contains(&k.as_str()))
    {
        return violation(
            state,
            400,
            &format!(
                "Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field."
            ),
        );
    }
    let log_name = request["logName"].as_str().unwrap_or_default().to_string();
    if !check_log_name(&log_name) {
        return violation(state, 400, "logName is not projects/P/logs/L");
    }
    let resource = &request["resource"];
    let resource_ok = resource
        .as_object()
        .is_some_and(|r| r.keys().all(|k| k == "type" || k == "labels"))
        && resource["type"].is_string()
        && (resource.get("labels").is_none() || string_map(&resource["labels"]));
    if !resource_ok {
        return violation(state, 400, "resource is not {type, labels}");
    }
    let Some(entries) = request["entries"].as_array().filter(|e| !e.is_empty()) else {
        return violation(state, 400, "entries is empty");
    };
    for entry in entries {
        if let Err(reason) = check_entry(entry) {
            return violation(state, 400, &reason);
        }
    }
    let partial = request["partialSuccess"].as_bool().unwrap_or(false);

    let fault = {
        let mut s = state.lock().unwrap();
        if let (Fault::StatusFor(..), Some(until)) = (&s.fault, s.failing_until) {
            if Instant::now() >= until {
                s.fault = Fault::None;
                s.failing_until = None;
            }
        }
        if let Fault::ResourceExhausted(n) = s.fault {
            s.fault = if n > 1 {
                Fault::ResourceExhausted(n - 1)
            } else {
                Fault::None
            };
            return api_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'logging.googleapis.com'.", None);
        }
        s.fault.clone()
    };
    let predicate = match fault {
        Fault::StatusFor(code, _) => {
            let status = if code == 503 {
                "UNAVAILABLE"
            } else {
                "INTERNAL"
            };
            return api_error(
                code,
                status,
                "The service encountered an internal error.",
                None,
            );
        }
        Fault::Hang => std::future::pending().await,
        Fault::RejectEntries(predicate) => Some(predicate),
        _ => None,
    };
    let mut errors = serde_json::Map::new();
    for (index, entry) in entries.iter().enumerate() {
        // No entry can be over the limit when the whole body is not.
        let size = if body.len() > MAX_ENTRY_BYTES {
            entry.to_string().len()
        } else {
            0
        };
        if size > MAX_ENTRY_BYTES {
            state
                .lock()
                .unwrap()
                .violations
                .push(format!("entry of {size} bytes"));
            errors.insert(index.to_string(), json!({"code": 3, "message": format!("Log entry with size {size} exceeds maximum size of {MAX_ENTRY_BYTES} bytes")}));
        } else if predicate.as_ref().is_some_and(|p| p(&entry["jsonPayload"])) {
            errors.insert(
                index.to_string(),
                json!({"code": 3, "message": "Log entry refused by the emulator, as asked"}),
            );
        }
    }
    let mut s = state.lock().unwrap();
    s.log_names.insert(log_name);
    s.resources.push(resource.clone());
    if errors.is_empty() {
        s.entries.extend(entries.iter().cloned());
        return json_response(200, json!({}));
    }
    if partial {
        for (index, entry) in entries.iter().enumerate() {
            if errors.contains_key(&index.to_string()) {
                s.rejected.push(entry["jsonPayload"].clone());
            } else {
                s.entries.push(entry.clone());
            }
        }
    } else {
        s.rejected
            .extend(entries.iter().map(|e| e["jsonPayload"].clone()));
    }
    let details = partial.then(|| {
        json!([{
            "@type": "type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors",
            "logEntryErrors": errors,
        }])
    });
    api_error(
        400,
        "INVALID_ARGUMENT",
        "Log entry with invalid argument.",
        details,
    )
}
