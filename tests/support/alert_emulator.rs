//! Emulates the receivers of alert channels on one local server, by path:
//! `/slack`, `/teams`, `/discord` (incoming webhooks), `/pagerduty` (Events
//! API v2 enqueue), `/opsgenie/v2/alerts`, `/webhook` (checks the
//! HMAC-SHA256 signature with [`WEBHOOK_SECRET`]).
//!
//! Each path checks the documented payload shape and answers as the real
//! service does: 200/202 when valid, 400 with a reason when not. While
//! `failing` is set every request gets a 500 (counted, not recorded as
//! accepted).
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Response, StatusCode};
use serde_json::Value;

use crate::emulator_server::{EmulatorServer, Handler};

pub const WEBHOOK_SECRET: &str = "whsec-test";

/// One accepted request.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

#[derive(Default)]
pub struct AlertEmulatorState {
    pub accepted: Mutex<Vec<Accepted>>,
    pub refused: Mutex<Vec<(String, String)>>,
    pub failing: AtomicBool,
    pub failed_requests: AtomicUsize,
}

pub struct AlertEmulator {
    pub server: EmulatorServer,
    pub state: Arc<AlertEmulatorState>,
}

impl AlertEmulator {
    pub fn start() -> AlertEmulator {
        let state = Arc::new(AlertEmulatorState::default());
        let shared = state.clone();
        let handler: Handler = Arc::new(move |request| {
            let state = shared.clone();
            Box::pin(async move {
                let path = request.uri().path().to_string();
                let headers: Vec<(String, String)> = request
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                let body = request
                    .into_body()
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                if state.failing.load(Ordering::SeqCst) {
                    state.failed_requests.fetch_add(1, Ordering::SeqCst);
                    return reply(StatusCode::INTERNAL_SERVER_ERROR, "unavailable");
                }
                match check(&path, &headers, &body) {
                    Ok((status, answer, json)) => {
                        state.accepted.lock().unwrap().push(Accepted {
                            path,
                            headers,
                            body: json,
                        });
                        reply(status, &answer)
                    }
                    Err(reason) => {
                        state.refused.lock().unwrap().push((path, reason.clone()));
                        reply(StatusCode::BAD_REQUEST, &reason)
                    }
                }
            })
        });
        AlertEmulator {
            server: EmulatorServer::start("alert-emulator", handler),
            state,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.state.accepted.lock().unwrap().clone()
    }

    pub fn accepted_on(&self, path: &str) -> Vec<Accepted> {
        self.accepted()
            .into_iter()
            .filter(|a| a.path == path)
            .collect()
    }

    pub fn refused(&self) -> Vec<(String, String)> {
        self.state.refused.lock().unwrap().clone()
    }

    pub fn set_failing(&self, failing: bool) {
        self.state.failing.store(failing, Ordering::SeqCst);
    }

    pub fn failed_requests(&self) -> usize {
        self.state.failed_requests.load(Ordering::SeqCst)
    }
}

fn reply(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

type Checked = Result<(StatusCode, String, Value), String>;

fn check(path: &str, headers: &[(String, String)], body: &[u8]) -> Checked {
    if header(headers, "content-type") != Some("application/json") {
        return Err("content-type must be application/json".into());
    }
    let json: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let ok = |status, answer: &str| Ok((status, answer.to_string(), json.clone()));
    match path {
        "/slack" => {
            slack(&json)?;
            ok(StatusCode::OK, "ok")
        }
        "/pagerduty" => {
            pagerduty(&json)?;
            ok(
                StatusCode::ACCEPTED,
                r#"{"status":"success","message":"Event processed"}"#,
            )
        }
        "/teams" => {
            let card = &json["attachments"][0];
            if json["type"] != "message"
                || card["contentType"] != "application/vnd.microsoft.card.adaptive"
                || card["content"]["type"] != "AdaptiveCard"
                || !card["content"]["body"].is_array()
            {
                return Err("not an Adaptive Card message".into());
            }
            ok(StatusCode::OK, "1")
        }
        "/discord" => {
            let embeds = json["embeds"].as_array().ok_or("embeds must be an array")?;
            if embeds.is_empty()
                || embeds.len() > 10
                || embeds
                    .iter()
                    .any(|e| e["title"].as_str().is_none_or(|t| t.chars().count() > 256))
            {
                return Err("invalid embeds".into());
            }
            ok(StatusCode::NO_CONTENT, "")
        }
        "/opsgenie/v2/alerts" => {
            let key = header(headers, "authorization").unwrap_or("");
            if !key.starts_with("GenieKey ") {
                return Err("missing GenieKey authorization".into());
            }
            if json["message"]
                .as_str()
                .is_none_or(|m| m.is_empty() || m.chars().count() > 130)
                || json["alias"]
                    .as_str()
                    .is_none_or(|a| a.chars().count() > 512)
            {
                return Err("message and alias are required".into());
            }
            ok(
                StatusCode::ACCEPTED,
                r#"{"result":"Request will be processed"}"#,
            )
        }
        "/webhook" => {
            webhook(headers, body)?;
            ok(StatusCode::OK, "")
        }
        other => Err(format!("no such path {other}")),
    }
}

/// Slack: `text` and/or `blocks`; blocks of known types; header ≤ 150.
fn slack(json: &Value) -> Result<(), String> {
    let blocks = json["blocks"].as_array();
    if json["text"].as_str().is_none() && blocks.is_none() {
        return Err("no_text".into());
    }
    for block in blocks.into_iter().flatten() {
        match block["type"].as_str() {
            Some("header") => {
                if block["text"]["type"] != "plain_text"
                    || block["text"]["text"]
                        .as_str()
                        .is_none_or(|t| t.chars().count() > 150)
                {
                    return Err("invalid_blocks: header".into());
                }
            }
            Some("section") => {
                let fields = block["fields"].as_array();
                if block["text"].is_null() && fields.is_none() {
                    return Err("invalid_blocks: section without text or fields".into());
                }
                if fields.is_some_and(|f| f.len() > 10) {
                    return Err("invalid_blocks: more than 10 fields".into());
                }
            }
            Some("context" | "divider" | "actions") => {}
            _ => return Err("invalid_blocks: unknown block type".into()),
        }
    }
    Ok(())
}

/// PagerDuty Events API v2.
fn pagerduty(json: &Value) -> Result<(), String> {
    if json["routing_key"].as_str().is_none_or(str::is_empty) {
        return Err("Invalid routing key".into());
    }
    if !matches!(
        json["event_action"].as_str(),
        Some("trigger" | "acknowledge" | "resolve")
    ) {
        return Err("Invalid event_action".into());
    }
    if json["dedup_key"].as_str().is_some_and(|k| k.len() > 255) {
        return Err("dedup_key too long".into());
    }
    let payload = &json["payload"];
    if payload["summary"]
        .as_str()
        .is_none_or(|s| s.is_empty() || s.chars().count() > 1024)
    {
        return Err("payload.summary is required".into());
    }
    if payload["source"].as_str().is_none_or(str::is_empty) {
        return Err("payload.source is required".into());
    }
    if !matches!(
        payload["severity"].as_str(),
        Some("critical" | "error" | "warning" | "info")
    ) {
        return Err("payload.severity is invalid".into());
    }
    Ok(())
}

/// `X-Auditship-Signature: sha256=hex(HMAC(secret, ts + "." + body))`.
fn webhook(headers: &[(String, String)], body: &[u8]) -> Result<(), String> {
    let ts = header(headers, "x-auditship-timestamp").ok_or("no timestamp")?;
    let sig = header(headers, "x-auditship-signature").ok_or("no signature")?;
    let hex = sig.strip_prefix("sha256=").ok_or("signature scheme")?;
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, WEBHOOK_SECRET.as_bytes());
    let mut signed = format!("{ts}.").into_bytes();
    signed.extend_from_slice(body);
    ring::hmac::verify(&key, &signed, &bytes).map_err(|_| "bad signature".to_string())
}
