//! A local stand-in for an Elasticsearch/OpenSearch cluster's `_bulk` API,
//! for tests of the `elasticsearch` sink. Point the sink's `endpoint` at
//! [`EsEmulator::url`].
//!
//! Checked as the `_bulk` documentation says, in this order: path `/_bulk`
//! or `/{target}/_bulk` (else 404); method `POST`/`PUT` (else 405);
//! `Authorization` equal to the configured one (else 401
//! `security_exception`); the request-level fault of the current [`Mode`];
//! `Content-Type` `application/x-ndjson` or `application/json` (else 406);
//! `Content-Encoding: gzip` decodable (else 400); at most 100 MB (the
//! default `http.max_content_length`, else 413); the body ends with a
//! newline (else 400 `illegal_argument_exception`); action lines are
//! `index`/`create` with an `_index` (or one in the path) and each is
//! followed by a JSON object source (else 400
//! `action_request_validation_exception` / `x_content_parse_exception`).
//!
//! Items: `create` of an existing `_id` → 409
//! `version_conflict_engine_exception`; `index` overwrites (200) or
//! creates (201). Item faults: [`EsEmulator::refuse_items`] (400
//! `mapper_parsing_exception`) and [`EsEmulator::throttle_items`] (429
//! `es_rejected_execution_exception` for the first N attempts of an id).
//! The response is `{"took","errors","items":[{ACTION:{_index,_id,status,error?}}]}`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use serde_json::{json, Value};

use crate::emulator_server::{EmulatorServer, Handler};

pub const MAX_CONTENT_LENGTH: usize = 100 * 1024 * 1024;

/// Which documents an item fault applies to.
pub type DocPredicate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

#[derive(Clone)]
pub enum Mode {
    Ok,
    /// This status for the next `count` requests, then `Ok`.
    StatusTimes {
        status: u16,
        count: u64,
    },
    /// Read the request, never answer.
    Hang,
}

#[derive(Default)]
struct State {
    authorization: Option<String>,
    mode: Option<Mode>,
    refuse: Option<DocPredicate>,
    throttle: Option<(DocPredicate, u32)>,
    /// (index, id) → document.
    docs: HashMap<(String, String), Value>,
    /// id → items received with it (every attempt).
    attempts: HashMap<String, u32>,
    requests: u64,
    /// Status of every request answered.
    answers: Vec<u16>,
    last_headers: Vec<(String, String)>,
}

pub struct EsEmulator {
    state: Arc<Mutex<State>>,
    server: EmulatorServer,
}

impl EsEmulator {
    /// A cluster requiring `Authorization: <authorization>` when given.
    pub fn start(authorization: Option<&str>) -> EsEmulator {
        let state = Arc::new(Mutex::new(State {
            authorization: authorization.map(str::to_string),
            ..State::default()
        }));
        let served = state.clone();
        let handler: Handler = Arc::new(move |request| {
            let state = served.clone();
            Box::pin(async move { handle(request, &state).await })
        });
        EsEmulator {
            state,
            server: EmulatorServer::start("es-emulator", handler),
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = Some(mode);
    }

    /// The `Authorization` accepted from now on (a fixed credential).
    pub fn set_authorization(&self, authorization: &str) {
        self.state.lock().unwrap().authorization = Some(authorization.to_string());
    }

    /// Items whose document matches are refused with 400, always.
    pub fn refuse_items(&self, predicate: DocPredicate) {
        self.state.lock().unwrap().refuse = Some(predicate);
    }

    /// Items whose document matches get 429 on their first `times` attempts.
    pub fn throttle_items(&self, predicate: DocPredicate, times: u32) {
        self.state.lock().unwrap().throttle = Some((predicate, times));
    }

    /// Every stored document (one per `_index`/`_id`), the agent's signed
    /// checkpoints (`agent.checkpoint`) left out.
    pub fn docs(&self) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        state
            .docs
            .values()
            .filter(|d| !is_checkpoint(d))
            .cloned()
            .collect()
    }

    pub fn doc_count(&self) -> usize {
        let state = self.state.lock().unwrap();
        state.docs.values().filter(|d| !is_checkpoint(d)).count()
    }

    /// How many items carried `id`, over all requests.
    pub fn attempts(&self, id: &str) -> u32 {
        *self.state.lock().unwrap().attempts.get(id).unwrap_or(&0)
    }

    pub fn requests(&self) -> u64 {
        self.state.lock().unwrap().requests
    }

    pub fn answered(&self, status: u16) -> usize {
        let state = self.state.lock().unwrap();
        state.answers.iter().filter(|&&s| s == status).count()
    }

    pub fn last_header(&self, name: &str) -> Option<String> {
        let state = self.state.lock().unwrap();
        let name = name.to_ascii_lowercase();
        state
            .last_headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
}

fn is_checkpoint(doc: &Value) -> bool {
    doc["event"]["action"] == "agent.checkpoint"
}

fn reply(status: u16, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn error(status: u16, kind: &str, reason: &str) -> Response<Full<Bytes>> {
    let cause = json!({"type": kind, "reason": reason});
    reply(
        status,
        json!({"error": {"root_cause": [cause.clone()], "type": kind, "reason": reason}, "status": status}),
    )
}

async fn handle(
    request: Request<hyper::body::Incoming>,
    state: &Mutex<State>,
) -> Response<Full<Bytes>> {
    let response = check_and_store(request, state).await;
    let mut state = state.lock().unwrap();
    state.requests += 1;
    state.answers.push(response.status().as_u16());
    response
}

async fn check_and_store(
    request: Request<hyper::body::Incoming>,
    state: &Mutex<State>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    let path_index = match path.strip_suffix("/_bulk") {
        Some("") => None,
        Some(target) => Some(target.trim_start_matches('/').to_string()),
        None => return error(404, "resource_not_found_exception", "no handler found"),
    };
    if request.method() != hyper::Method::POST && request.method() != hyper::Method::PUT {
        return error(405, "method_not_allowed", "use POST or PUT");
    }
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
    let mode = {
        let mut state = state.lock().unwrap();
        state.last_headers = headers.clone();
        if let Some(expected) = &state.authorization {
            if header("authorization").as_ref() != Some(expected) {
                return error(
                    401,
                    "security_exception",
                    "unable to authenticate user for REST request [/_bulk]",
                );
            }
        }
        let mode = state.mode.clone().unwrap_or(Mode::Ok);
        if let Mode::StatusTimes { status, count } = mode {
            state.mode = (count > 1).then_some(Mode::StatusTimes {
                status,
                count: count - 1,
            });
        }
        mode
    };
    match mode {
        Mode::Ok => {}
        Mode::StatusTimes { status, .. } => {
            return error(status, "emulated_failure", "told to fail")
        }
        Mode::Hang => std::future::pending::<()>().await,
    }
    let content_type = header("content-type").unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media != "application/x-ndjson" && media != "application/json" {
        return error(
            406,
            "media_type_header_exception",
            &format!("Content-Type header [{content_type}] is not supported"),
        );
    }
    let Ok(body) = request.into_body().collect().await else {
        return error(400, "parse_exception", "body could not be read");
    };
    let mut body = body.to_bytes().to_vec();
    if header("content-encoding").as_deref() == Some("gzip") {
        let mut plain = Vec::new();
        if flate2::read::MultiGzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .is_err()
        {
            return error(400, "parse_exception", "invalid gzip body");
        }
        body = plain;
    }
    if body.len() > MAX_CONTENT_LENGTH {
        return error(413, "content_too_long", "request body is too large");
    }
    if !body.ends_with(b"\n") {
        return error(
            400,
            "illegal_argument_exception",
            "The bulk request must be terminated by a newline [\\n]",
        );
    }
    let lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    if !lines.len().is_multiple_of(2) {
        return error(
            400,
            "illegal_argument_exception",
            "Malformed action/metadata line: a source is missing",
        );
    }
    let mut state = state.lock().unwrap();
    let mut items = Vec::new();
    let mut errors = false;
    for pair in lines.chunks(2) {
        let Ok(Value::Object(action)) = serde_json::from_slice::<Value>(pair[0]) else {
            return error(400, "x_content_parse_exception", "malformed action line");
        };
        let Some((op, meta)) = action.iter().next().filter(|_| action.len() == 1) else {
            return error(
                400,
                "illegal_argument_exception",
                "an action line has exactly one action",
            );
        };
        if op != "index" && op != "create" {
            return error(
                400,
                "illegal_argument_exception",
                &format!("action [{op}] is not used by this emulator"),
            );
        }
        let Some(index) = meta
            .get("_index")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or(path_index.clone())
        else {
            return error(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: index is missing;",
            );
        };
        let Ok(doc @ Value::Object(_)) = serde_json::from_slice::<Value>(pair[1]) else {
            return error(
                400,
                "x_content_parse_exception",
                "the source is not a JSON object",
            );
        };
        let id = meta
            .get("_id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("auto-{}", state.docs.len()));
        let attempt = {
            let n = state.attempts.entry(id.clone()).or_default();
            *n += 1;
            *n
        };
        let key = (index.clone(), id.clone());
        let (status, fault) = if state
            .throttle
            .as_ref()
            .is_some_and(|(p, times)| p(&doc) && attempt <= *times)
        {
            (
                429,
                Some((
                    "es_rejected_execution_exception",
                    "rejected execution: queue capacity reached",
                )),
            )
        } else if state.refuse.as_ref().is_some_and(|p| p(&doc)) {
            (
                400,
                Some((
                    "mapper_parsing_exception",
                    "failed to parse field [event.action] of type [long]",
                )),
            )
        } else if op == "create" && state.docs.contains_key(&key) {
            (
                409,
                Some((
                    "version_conflict_engine_exception",
                    "document already exists",
                )),
            )
        } else {
            let existed = state.docs.insert(key, doc).is_some();
            (if existed { 200 } else { 201 }, None)
        };
        let mut result = json!({"_index": index, "_id": id, "status": status});
        if let Some((kind, reason)) = fault {
            errors = true;
            result["error"] = json!({"type": kind, "reason": reason});
        }
        items.push(json!({ op.as_str(): result }));
    }
    reply(200, json!({"took": 1, "errors": errors, "items": items}))
}
