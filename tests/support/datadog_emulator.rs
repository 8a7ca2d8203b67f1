//! A local stand-in for the Datadog Logs HTTP intake v2, for tests of the
//! `datadog_logs` sink: a hyper server on `127.0.0.1:0` in its own thread
//! and runtime. Point the sink's `endpoint` at [`DatadogEmulator::url`].
//!
//! Every request is checked as Datadog documents it, in this order, and
//! answered with Datadog's status and an `{"errors":[…]}` body:
//! path `/api/v2/logs` (else 404); method `POST` (else 405); `DD-API-KEY`
//! equal to the emulator's key (else 403); the fault of the current
//! [`Mode`]; `Content-Type: application/json` (else 400);
//! `Content-Encoding` absent, `identity`, `gzip` or `deflate` and
//! decodable (else 400); at most 5,000,000 bytes uncompressed (else 413);
//! a JSON array of objects, or one object (else 400); at most 1000 entries
//! (else 400); each entry's `message`, `ddsource`, `ddtags`, `hostname`,
//! `service`, `status` strings when present (else 400). Accepted: 202 `{}`.
//!
//! Like Datadog, a log over 1 MB is accepted but counted as cut by the
//! vendor ([`DatadogEmulator::vendor_truncated`]), and a log whose
//! `timestamp` is more than 18 hours old is silently dropped
//! ([`DatadogEmulator::dropped_too_old`]); a correct sink makes both zero.
#![allow(dead_code)]

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::emulator_server::{EmulatorServer, Handler};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

pub const MAX_PAYLOAD_BYTES: usize = 5_000_000;
pub const MAX_ENTRIES: usize = 1000;
pub const MAX_LOG_BYTES: usize = 1_000_000;
const MAX_AGE_MS: i64 = 18 * 3600 * 1000;

/// Which logs a [`Mode::RejectLogsMatching`] refuses.
pub type LogPredicate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

/// How the emulator answers requests that pass the auth check.
#[derive(Clone)]
pub enum Mode {
    /// 202, logs stored.
    Ok,
    /// This status, nothing stored.
    Status(u16),
    /// This status until the duration has passed since `set_mode`, then `Ok`.
    StatusFor(u16, Duration),
    /// This status, with `Retry-After` when given, for the next `count`
    /// requests, then `Ok`.
    StatusTimes {
        status: u16,
        count: u64,
        retry_after: Option<String>,
    },
    /// Accept the next `ok` requests, then answer `status` once, then `Ok`:
    /// a failure in the middle of a batch split into several requests.
    StatusAfter { ok: u64, status: u16 },
    /// Read the request, never answer.
    Hang,
    /// 400 for a request holding any log the predicate matches.
    RejectLogsMatching(LogPredicate),
}

/// The request line and headers of one request.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Names lower-case.
    pub headers: Vec<(String, String)>,
    /// Entries in the body (0 when it was refused before parsing).
    pub entries: usize,
    /// Uncompressed body size.
    pub plain_bytes: usize,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Stats {
    requests: u64,
    /// (status, count) of every answer.
    answers: Vec<(u16, u64)>,
    logs: Vec<Value>,
    vendor_truncated: u64,
    dropped_too_old: u64,
    max_entries_seen: usize,
    max_plain_bytes_seen: usize,
    last_request: Option<RecordedRequest>,
}

struct State {
    api_key: String,
    mode: Mode,
    failing_until: Option<Instant>,
    stats: Stats,
}

pub struct DatadogEmulator {
    state: Arc<Mutex<State>>,
    server: EmulatorServer,
}

impl DatadogEmulator {
    /// An emulator accepting `api_key`, in `Mode::Ok`.
    pub fn start(api_key: &str) -> DatadogEmulator {
        let state = Arc::new(Mutex::new(State {
            api_key: api_key.to_string(),
            mode: Mode::Ok,
            failing_until: None,
            stats: Stats::default(),
        }));
        let served = state.clone();
        let handler: Handler = Arc::new(move |request| {
            let state = served.clone();
            Box::pin(async move { answer(request, &state).await })
        });
        let server = EmulatorServer::start("datadog-emulator", handler);
        DatadogEmulator { state, server }
    }

    /// `http://127.0.0.1:PORT`: the sink's `endpoint`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn set_mode(&self, mode: Mode) {
        let mut state = self.state.lock().unwrap();
        state.failing_until = match &mode {
            Mode::StatusFor(_, duration) => Some(Instant::now() + *duration),
            _ => None,
        };
        state.mode = mode;
    }

    /// The key accepted from now on (a rotated or newly valid key).
    pub fn set_api_key(&self, key: &str) {
        self.state.lock().unwrap().api_key = key.to_string();
    }

    /// Every accepted log, in arrival order.
    pub fn logs(&self) -> Vec<Value> {
        // The agent's signed checkpoints (`agent.checkpoint`) are left out:
        // tests count the events of their input.
        let state = self.state.lock().unwrap();
        let logs = state.stats.logs.iter();
        logs.filter(|l| l["action"] != "agent.checkpoint")
            .cloned()
            .collect()
    }

    pub fn log_count(&self) -> usize {
        let state = self.state.lock().unwrap();
        let logs = state.stats.logs.iter();
        logs.filter(|l| l["action"] != "agent.checkpoint").count()
    }

    pub fn requests(&self) -> u64 {
        self.state.lock().unwrap().stats.requests
    }

    /// How many requests were answered with `status`.
    pub fn answered(&self, status: u16) -> u64 {
        let state = self.state.lock().unwrap();
        state
            .stats
            .answers
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }

    pub fn vendor_truncated(&self) -> u64 {
        self.state.lock().unwrap().stats.vendor_truncated
    }

    pub fn dropped_too_old(&self) -> u64 {
        self.state.lock().unwrap().stats.dropped_too_old
    }

    /// The most entries and uncompressed bytes seen in one request.
    pub fn largest_request(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap();
        (
            state.stats.max_entries_seen,
            state.stats.max_plain_bytes_seen,
        )
    }

    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.state.lock().unwrap().stats.last_request.clone()
    }
}

async fn answer(request: Request<Incoming>, state: &Mutex<State>) -> Response<Full<Bytes>> {
    let mut recorded = RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        headers: request
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        entries: 0,
        plain_bytes: 0,
    };
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let (api_key, mode) = {
        let mut state = state.lock().unwrap();
        state.stats.requests += 1;
        if let (Mode::StatusFor(..), Some(until)) = (&state.mode, state.failing_until) {
            if Instant::now() >= until {
                state.mode = Mode::Ok;
                state.failing_until = None;
            }
        }
        let mode = state.mode.clone();
        if let Mode::StatusTimes { count, .. } = &mut state.mode {
            *count = count.saturating_sub(1);
            if *count == 0 {
                state.mode = Mode::Ok;
            }
        }
        match &mut state.mode {
            Mode::StatusAfter { ok: 0, .. } => state.mode = Mode::Ok,
            Mode::StatusAfter { ok, .. } => *ok -= 1,
            _ => {}
        }
        (state.api_key.clone(), mode)
    };
    let checked = check(&mut recorded, &body, &api_key, &mode).await;
    let mut state = state.lock().unwrap();
    let stats = &mut state.stats;
    stats.max_entries_seen = stats.max_entries_seen.max(recorded.entries);
    stats.max_plain_bytes_seen = stats.max_plain_bytes_seen.max(recorded.plain_bytes);
    stats.last_request = Some(recorded);
    let (status, retry_after, detail) = match checked {
        Ok(logs) => {
            let now = chrono::Utc::now().timestamp_millis();
            for log in logs {
                if serde_json::to_vec(&log).map_or(0, |b| b.len()) > MAX_LOG_BYTES {
                    stats.vendor_truncated += 1;
                }
                match log["timestamp"].as_i64() {
                    Some(ms) if now - ms > MAX_AGE_MS => stats.dropped_too_old += 1,
                    _ => stats.logs.push(log),
                }
            }
            (202, None, String::new())
        }
        Err(refusal) => refusal,
    };
    match stats.answers.iter_mut().find(|(s, _)| *s == status) {
        Some((_, n)) => *n += 1,
        None => stats.answers.push((status, 1)),
    }
    respond(status, retry_after, &detail)
}

type Refusal = (u16, Option<String>, String);

/// The checks of the module doc; `Ok` holds the logs to store.
async fn check(
    recorded: &mut RecordedRequest,
    body: &[u8],
    api_key: &str,
    mode: &Mode,
) -> Result<Vec<Value>, Refusal> {
    let refuse = |status: u16, detail: &str| Err((status, None, detail.to_string()));
    if recorded.path != "/api/v2/logs" {
        return refuse(404, "not found");
    }
    if recorded.method != "POST" {
        return refuse(405, "method not allowed");
    }
    if recorded.header("dd-api-key") != Some(api_key) {
        return refuse(403, "Forbidden: API key is missing or invalid");
    }
    match mode {
        Mode::Ok | Mode::RejectLogsMatching(_) | Mode::StatusAfter { ok: 1.., .. } => {}
        Mode::StatusAfter { status, .. } => return refuse(*status, "fault injected"),
        Mode::Status(status) | Mode::StatusFor(status, _) => {
            return refuse(*status, "fault injected");
        }
        Mode::StatusTimes {
            status,
            retry_after,
            ..
        } => return Err((*status, retry_after.clone(), "fault injected".into())),
        Mode::Hang => std::future::pending::<()>().await,
    }
    let content_type = recorded.header("content-type").unwrap_or("");
    if content_type.split(';').next().map(str::trim) != Some("application/json") {
        return refuse(400, "Content-Type must be application/json");
    }
    let mut plain = Vec::new();
    let decoded = match recorded.header("content-encoding") {
        None | Some("identity") => {
            plain = body.to_vec();
            Ok(())
        }
        Some("gzip") => flate2::read::GzDecoder::new(body)
            .read_to_end(&mut plain)
            .map(|_| ()),
        Some("deflate") => flate2::read::ZlibDecoder::new(body)
            .read_to_end(&mut plain)
            .map(|_| ()),
        Some(_) => return refuse(400, "unsupported Content-Encoding"),
    };
    if decoded.is_err() {
        return refuse(400, "body cannot be decompressed");
    }
    recorded.plain_bytes = plain.len();
    if plain.len() > MAX_PAYLOAD_BYTES {
        return refuse(413, "Payload too large: batch above 5MB uncompressed");
    }
    let logs = match serde_json::from_slice::<Value>(&plain) {
        Ok(Value::Array(logs)) => logs,
        Ok(log @ Value::Object(_)) => vec![log],
        _ => return refuse(400, "body is not a JSON array of logs"),
    };
    recorded.entries = logs.len();
    if logs.len() > MAX_ENTRIES {
        return refuse(400, "more than 1000 entries in one array");
    }
    for log in &logs {
        let Some(fields) = log.as_object() else {
            return refuse(400, "an entry is not an object");
        };
        for key in [
            "message", "ddsource", "ddtags", "hostname", "service", "status",
        ] {
            if fields.get(key).is_some_and(|v| !v.is_string()) {
                return refuse(400, &format!("{key} must be a string"));
            }
        }
        if let Mode::RejectLogsMatching(predicate) = mode {
            if predicate(log) {
                return refuse(400, "invalid log entry");
            }
        }
    }
    Ok(logs)
}

fn respond(status: u16, retry_after: Option<String>, detail: &str) -> Response<Full<Bytes>> {
    let body = if status == 202 {
        "{}".to_string()
    } else {
        json!({"errors": [{"status": status.to_string(), "detail": detail}]}).to_string()
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if let Some(value) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", value.parse().expect("retry-after value"));
    }
    response
}
