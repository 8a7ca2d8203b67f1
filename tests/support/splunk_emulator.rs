//! A local Splunk HTTP Event Collector for tests of the `splunk_hec` sink:
//! a hyper server on `127.0.0.1:0` in its own thread and runtime.
//!
//! It checks each request as HEC does and answers like HEC:
//! - path `/services/collector/event` (also `/services/collector` and
//!   `/event/1.0`) or `/services/collector/ack`, else 404; method POST,
//!   else 405 (code 404-like text);
//! - `Authorization: Splunk TOKEN`: missing → 401 code 2, not `Splunk …`
//!   → 401 code 3, wrong token → 403 code 4;
//! - with acknowledgement on for the token, `X-Splunk-Request-Channel`
//!   (or `?channel=`): missing → 400 code 10, not a GUID → 400 code 11;
//!   `/ack` with acknowledgement off → 400 code 14;
//! - `Content-Encoding`: none or `gzip` (a bad gzip body → 400 code 6);
//! - size: the decoded body over `max_content_length` → 413;
//! - body: concatenated JSON objects; empty → 400 code 5; not JSON or not
//!   an object, `time` not a number, `host`/`source`/`sourcetype`/`index`
//!   not strings, `fields` not an object → 400 code 6 with
//!   `invalid-event-number`; no `event` → 400 code 12; `event` blank →
//!   400 code 13; `index` not allowed → 400 code 7. As HEC, the events
//!   before the bad one are indexed.
//!
//! Accepted events are stored (the envelopes, in arrival order). With
//! acknowledgement on, every accepted request gets an `ackId` (per
//! channel, from 0); `/ack` answers `{"acks":{"N":bool}}` according to
//! [`AckMode`] and forgets an id once reported true.
//!
//! Faults ([`Fault`]): a status with HEC's body (500 code 8, 503 code 9,
//! 429, 413, …), a status for a while, hanging, or 400 code 6 for a request
//! holding an event a predicate matches.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::emulator_server::{EmulatorServer, Handler};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

pub const TOKEN: &str = "11111111-2222-3333-4444-555555555555";

/// Which events a [`Fault::RejectEventsMatching`] refuses (given the
/// envelope's `event`).
pub type EventPredicate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

/// Injected failures of the event endpoint (checked after authentication).
#[derive(Clone)]
pub enum Fault {
    None,
    /// This status with HEC's body for it; nothing stored.
    Status(u16),
    /// This status until the duration has passed since `set_fault`.
    StatusFor(u16, Duration),
    /// Read the request, never answer.
    Hang,
    /// 400 code 6 at the first event the predicate matches.
    RejectEventsMatching(EventPredicate),
}

/// When `/ack` reports an id as indexed.
#[derive(Clone, Copy, Debug)]
pub enum AckMode {
    Immediate,
    /// Once this long has passed since the request was accepted.
    After(Duration),
    /// Never (until the mode changes).
    Withheld,
}

#[derive(Default)]
struct Channel {
    next_id: u64,
    /// ackId → when its request was accepted.
    pending: HashMap<u64, Instant>,
}

struct State {
    token: String,
    ack_enabled: bool,
    ack_mode: AckMode,
    max_content_length: usize,
    allowed_indexes: Option<Vec<String>>,
    fault: Fault,
    failing_until: Option<Instant>,
    envelopes: Vec<Value>,
    channels: HashMap<String, Channel>,
    event_requests: u64,
    ack_requests: u64,
    /// (status, HEC code) of every answer to the event endpoint.
    answers: Vec<(u16, i64)>,
    last_headers: Vec<(String, String)>,
}

pub struct SplunkEmulator {
    state: Arc<Mutex<State>>,
    server: EmulatorServer,
}

impl SplunkEmulator {
    /// An emulator for [`TOKEN`], acknowledgement off, 1 MiB limit.
    pub fn start() -> SplunkEmulator {
        let state = Arc::new(Mutex::new(State {
            token: TOKEN.into(),
            ack_enabled: false,
            ack_mode: AckMode::Immediate,
            max_content_length: 1024 * 1024,
            allowed_indexes: None,
            fault: Fault::None,
            failing_until: None,
            envelopes: Vec::new(),
            channels: HashMap::new(),
            event_requests: 0,
            ack_requests: 0,
            answers: Vec::new(),
            last_headers: Vec::new(),
        }));
        let served = state.clone();
        let handler: Handler = Arc::new(move |request| {
            let state = served.clone();
            Box::pin(async move { answer(request, &state).await })
        });
        let server = EmulatorServer::start("splunk-emulator", handler);
        SplunkEmulator { state, server }
    }

    /// `http://127.0.0.1:PORT`, the sink's `endpoint`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// Turns indexer acknowledgement on or off for the token.
    pub fn set_ack_enabled(&self, on: bool) {
        self.with(|s| s.ack_enabled = on);
    }

    pub fn set_ack_mode(&self, mode: AckMode) {
        self.with(|s| s.ack_mode = mode);
    }

    pub fn set_max_content_length(&self, bytes: usize) {
        self.with(|s| s.max_content_length = bytes);
    }

    pub fn set_allowed_indexes(&self, indexes: &[&str]) {
        self.with(|s| s.allowed_indexes = Some(indexes.iter().map(|i| i.to_string()).collect()));
    }

    pub fn set_fault(&self, fault: Fault) {
        self.with(|s| {
            s.failing_until = match &fault {
                Fault::StatusFor(_, d) => Some(Instant::now() + *d),
                _ => None,
            };
            s.fault = fault;
        });
    }

    /// Every accepted envelope, in arrival order.
    pub fn envelopes(&self) -> Vec<Value> {
        self.with(|s| s.envelopes.clone())
    }

    /// The `event` of every accepted envelope.
    pub fn events(&self) -> Vec<Value> {
        // The agent's signed checkpoints (`agent.checkpoint`) are left out:
        // tests count the events of their input.
        self.with(|s| {
            let events = s.envelopes.iter().map(|e| e["event"].clone());
            events
                .filter(|e| e["action"] != "agent.checkpoint")
                .collect()
        })
    }

    pub fn event_count(&self) -> usize {
        self.with(|s| {
            let events = s.envelopes.iter().map(|e| &e["event"]);
            events.filter(|e| e["action"] != "agent.checkpoint").count()
        })
    }

    pub fn event_requests(&self) -> u64 {
        self.with(|s| s.event_requests)
    }

    pub fn ack_requests(&self) -> u64 {
        self.with(|s| s.ack_requests)
    }

    /// (status, HEC code) of every event-endpoint answer so far.
    pub fn answers(&self) -> Vec<(u16, i64)> {
        self.with(|s| s.answers.clone())
    }

    /// Headers (names lower-case) of the last event request.
    pub fn last_header(&self, name: &str) -> Option<String> {
        self.with(|s| {
            s.last_headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        })
    }

    /// Channels that sent at least one request.
    pub fn channels(&self) -> Vec<String> {
        self.with(|s| s.channels.keys().cloned().collect())
    }
}

/// HEC's JSON answer.
fn hec(status: u16, code: i64, text: &str) -> Response<Full<Bytes>> {
    reply(status, json!({ "text": text, "code": code }))
}

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    response.headers_mut().insert(
        "content-type",
        "application/json; charset=UTF-8".parse().unwrap(),
    );
    response
}

/// HEC's body for an injected status.
fn fault_body(status: u16) -> Response<Full<Bytes>> {
    match status {
        500 => hec(500, 8, "Internal server error"),
        503 => hec(503, 9, "Server is busy"),
        429 => hec(429, 9, "Server is busy"),
        413 => hec(413, 413, "Content-Length too large"),
        400 => hec(400, 6, "Invalid data format"),
        other => hec(other, other as i64, "as asked"),
    }
}

fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

async fn answer(request: Request<Incoming>, state: &Mutex<State>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let method = request.method().clone();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let is_ack = path == "/services/collector/ack";
    let is_event = matches!(
        path.as_str(),
        "/services/collector" | "/services/collector/event" | "/services/collector/event/1.0"
    );
    if !is_ack && !is_event {
        return hec(404, 404, "The requested URL was not found on this server.");
    }
    if method != hyper::Method::POST {
        return hec(405, 405, "Method not allowed");
    }
    let (token, ack_enabled) = {
        let mut s = state.lock().unwrap();
        if is_ack {
            s.ack_requests += 1;
        } else {
            s.event_requests += 1;
            s.last_headers = headers.clone();
        }
        (s.token.clone(), s.ack_enabled)
    };
    let record = |status: u16, code: i64| {
        if is_event {
            state.lock().unwrap().answers.push((status, code));
        }
    };
    match header("authorization") {
        None => return hec(401, 2, "Token is required"),
        Some(value) => match value.strip_prefix("Splunk ") {
            None => {
                record(401, 3);
                return hec(401, 3, "Invalid authorization");
            }
            Some(given) if given != token => {
                record(403, 4);
                return hec(403, 4, "Invalid token");
            }
            Some(_) => {}
        },
    }
    let channel = header("x-splunk-request-channel").or_else(|| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("channel=").map(str::to_string))
    });
    if is_ack && !ack_enabled {
        return hec(400, 14, "ACK is disabled");
    }
    if ack_enabled {
        match &channel {
            None => {
                record(400, 10);
                return hec(400, 10, "Data channel is missing");
            }
            Some(c) if !is_guid(c) => {
                record(400, 11);
                return hec(400, 11, "Invalid data channel");
            }
            Some(_) => {}
        }
    }
    let plain = match header("content-encoding").as_deref() {
        None | Some("identity") => body.to_vec(),
        Some("gzip") => {
            let mut plain = Vec::new();
            if flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut plain)
                .is_err()
            {
                record(400, 6);
                return hec(400, 6, "Invalid data format");
            }
            plain
        }
        Some(_) => {
            record(415, 6);
            return hec(415, 6, "Unsupported content encoding");
        }
    };
    if is_ack {
        return answer_ack(state, channel.unwrap_or_default(), &plain);
    }
    if matches!(state.lock().unwrap().fault, Fault::Hang) {
        // Never answers; the client's timeout ends it.
        std::future::pending::<()>().await;
    }
    answer_events(state, channel, &plain, record)
}

fn answer_ack(state: &Mutex<State>, channel: String, plain: &[u8]) -> Response<Full<Bytes>> {
    let ids: Vec<u64> = match serde_json::from_slice::<Value>(plain) {
        Ok(Value::Object(query)) => match query.get("acks").and_then(Value::as_array) {
            Some(ids) if ids.iter().all(Value::is_u64) => {
                ids.iter().filter_map(Value::as_u64).collect()
            }
            _ => return hec(400, 6, "Invalid data format"),
        },
        _ => return hec(400, 6, "Invalid data format"),
    };
    let mut s = state.lock().unwrap();
    let mode = s.ack_mode;
    let channel = s.channels.entry(channel).or_default();
    let mut acks = serde_json::Map::new();
    for id in ids {
        let indexed = channel.pending.get(&id).is_some_and(|at| match mode {
            AckMode::Immediate => true,
            AckMode::After(delay) => at.elapsed() >= delay,
            AckMode::Withheld => false,
        });
        if indexed {
            channel.pending.remove(&id);
        }
        acks.insert(id.to_string(), Value::Bool(indexed));
    }
    reply(200, json!({ "acks": acks }))
}

fn answer_events(
    state: &Mutex<State>,
    channel: Option<String>,
    plain: &[u8],
    record: impl Fn(u16, i64),
) -> Response<Full<Bytes>> {
    let (limit, fault, allowed) = {
        let mut s = state.lock().unwrap();
        if let (Fault::StatusFor(..), Some(until)) = (&s.fault, s.failing_until) {
            if Instant::now() >= until {
                s.fault = Fault::None;
                s.failing_until = None;
            }
        }
        (
            s.max_content_length,
            s.fault.clone(),
            s.allowed_indexes.clone(),
        )
    };
    if plain.len() > limit {
        record(413, 413);
        return hec(
            413,
            413,
            &format!(
                "Content-Length of {} too large (maximum is {limit})",
                plain.len()
            ),
        );
    }
    match &fault {
        Fault::Status(status) | Fault::StatusFor(status, _) => {
            record(*status, *status as i64);
            return fault_body(*status);
        }
        Fault::Hang | Fault::None | Fault::RejectEventsMatching(_) => {}
    }
    if plain.iter().all(u8::is_ascii_whitespace) {
        record(400, 5);
        return hec(400, 5, "No data");
    }
    let mut accepted = Vec::new();
    let mut problem = None;
    for (number, item) in serde_json::Deserializer::from_slice(plain)
        .into_iter::<Value>()
        .enumerate()
    {
        if let Some((code, text)) = check_envelope(item.as_ref().ok(), allowed.as_deref(), &fault) {
            problem = Some((number, code, text));
            break;
        }
        accepted.push(item.unwrap());
    }
    let mut s = state.lock().unwrap();
    // As HEC: the events before a bad one are indexed.
    s.envelopes.extend(accepted);
    if let Some((number, code, text)) = problem {
        s.answers.push((400, code));
        return reply(
            400,
            json!({ "text": text, "code": code, "invalid-event-number": number }),
        );
    }
    s.answers.push((200, 0));
    if !s.ack_enabled {
        return hec(200, 0, "Success");
    }
    let channel = s.channels.entry(channel.unwrap_or_default()).or_default();
    let id = channel.next_id;
    channel.next_id += 1;
    channel.pending.insert(id, Instant::now());
    reply(200, json!({ "text": "Success", "code": 0, "ackId": id }))
}

/// Why HEC refuses one envelope: (code, text).
fn check_envelope(
    item: Option<&Value>,
    allowed: Option<&[String]>,
    fault: &Fault,
) -> Option<(i64, &'static str)> {
    let invalid = Some((6, "Invalid data format"));
    let Some(Value::Object(envelope)) = item else {
        return invalid;
    };
    if let Some(time) = envelope.get("time") {
        let numeric = time.is_number() || time.as_str().is_some_and(|t| t.parse::<f64>().is_ok());
        if !numeric {
            return invalid;
        }
    }
    for key in ["host", "source", "sourcetype", "index"] {
        if envelope.get(key).is_some_and(|v| !v.is_string()) {
            return invalid;
        }
    }
    if envelope.get("fields").is_some_and(|v| !v.is_object()) {
        return invalid;
    }
    let event = match envelope.get("event") {
        None => return Some((12, "Event field is required")),
        Some(Value::Null) => return Some((13, "Event field cannot be blank")),
        Some(Value::String(text)) if text.trim().is_empty() => {
            return Some((13, "Event field cannot be blank"))
        }
        Some(event) => event,
    };
    if let (Some(allowed), Some(index)) = (allowed, envelope.get("index").and_then(Value::as_str)) {
        if !allowed.iter().any(|a| a == index) {
            return Some((7, "Incorrect index"));
        }
    }
    if let Fault::RejectEventsMatching(predicate) = fault {
        if predicate(event) {
            return invalid;
        }
    }
    None
}
