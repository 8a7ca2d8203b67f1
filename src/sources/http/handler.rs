//! What each request to the `http` source gets.
//!
//! | request | answer |
//! | --- | --- |
//! | `GET /health` | 200 |
//! | `POST /v1/events`, stored | 200 `{"accepted":N}`, sent only once the events are durable |
//! | no or wrong bearer token | 401, nothing read |
//! | body over `max_body_bytes` (before or after gzip) | 413 |
//! | a bad entry | 400 naming its line; nothing of the request is stored |
//! | journal full (or not durable within [`ACK_TIMEOUT`]) | 503 + `Retry-After` |
//!
//! A 503 sent after [`ACK_TIMEOUT`] does not withdraw the events: they may
//! still become durable, and the sender's retry then stores them again.
//! Their ids repeat (derived from the source and the bytes when the event
//! has none), so stores that de-duplicate by id drop the copy.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

use super::auth::bearer_matches;
use super::body::{body_kind, gunzip, split_entries, BodyError};
use crate::config::Secret;
use crate::sources::ingest::{network_peer, Ingest, StoreError};

/// Longest wait for the journal to make a request durable before 503.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// `Retry-After` of a 503, in seconds.
const RETRY_AFTER_SECS: &str = "5";

/// The source's settings each request needs.
pub(super) struct Settings {
    pub token: Option<Secret>,
    pub max_body_bytes: usize,
    pub max_entry_bytes: usize,
    pub json_objects: bool,
    pub idle_timeout: Duration,
}

pub(super) async fn answer(
    request: Request<Incoming>,
    peer: SocketAddr,
    settings: &Settings,
    ingest: &Ingest,
) -> Response<Full<Bytes>> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/health") => reply(StatusCode::OK, r#"{"status":"ok"}"#.into()),
        (&Method::POST, "/v1/events") => ingest_events(request, peer, settings, ingest).await,
        (_, "/v1/events") | (_, "/health") => {
            let mut response = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "use POST /v1/events or GET /health",
            );
            let allow = if request.uri().path() == "/health" {
                "GET"
            } else {
                "POST"
            };
            response
                .headers_mut()
                .insert("allow", HeaderValue::from_static(allow));
            response
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "not found: events go to POST /v1/events",
        ),
    }
}

async fn ingest_events(
    request: Request<Incoming>,
    peer: SocketAddr,
    settings: &Settings,
    ingest: &Ingest,
) -> Response<Full<Bytes>> {
    if let Some(token) = &settings.token {
        if !bearer_matches(request.headers(), token.expose()) {
            ingest.record_refused();
            let mut response = error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong Authorization: Bearer token",
            );
            response
                .headers_mut()
                .insert("www-authenticate", HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let kind = match body_kind(header(CONTENT_TYPE)) {
        Ok(kind) => kind,
        Err(e) => return body_error(e),
    };
    let gzip = match header(CONTENT_ENCODING).map(|e| e.trim().to_ascii_lowercase()) {
        None => false,
        Some(e) if e == "identity" || e.is_empty() => false,
        Some(e) if e == "gzip" || e == "x-gzip" => true,
        Some(e) => {
            return body_error(BodyError::Unsupported(format!(
                "Content-Encoding \"{e}\" is not supported: use gzip or none"
            )))
        }
    };
    let limit = settings.max_body_bytes;
    let declared = header(CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return body_error(BodyError::TooLarge { limit });
    }
    if ingest.is_congested() {
        return busy();
    }
    let body = match Limited::new(request.into_body(), limit).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return body_error(BodyError::TooLarge { limit })
        }
        Err(e) => {
            return body_error(BodyError::Bad(format!(
                "could not read the request body ({e})"
            )))
        }
    };
    let (max_entry, json_objects) = (settings.max_entry_bytes, settings.json_objects);
    let frames = tokio::task::spawn_blocking(move || {
        let decoded;
        let body: &[u8] = if gzip {
            decoded = gunzip(&body, limit)?;
            &decoded
        } else {
            &body
        };
        split_entries(body, kind, json_objects, max_entry)
    })
    .await;
    let frames = match frames {
        Ok(Ok(frames)) => frames,
        Ok(Err(e)) => return body_error(e),
        Err(_) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not decode the body",
            )
        }
    };
    let accepted = frames.len();
    match tokio::time::timeout(ACK_TIMEOUT, ingest.store(frames, network_peer(peer))).await {
        Ok(Ok(())) => reply(StatusCode::OK, format!("{{\"accepted\":{accepted}}}")),
        Ok(Err(StoreError::Journal(_))) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the journal could not store the events; retry later",
        ),
        Ok(Err(_)) | Err(_) => busy(),
    }
}

fn busy() -> Response<Full<Bytes>> {
    let mut response = error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the agent's journal is full or it is stopping; retry later",
    );
    response
        .headers_mut()
        .insert("retry-after", HeaderValue::from_static(RETRY_AFTER_SECS));
    response
}

fn body_error(e: BodyError) -> Response<Full<Bytes>> {
    let status = match e {
        BodyError::Bad(_) => StatusCode::BAD_REQUEST,
        BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        BodyError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
    };
    error(status, &e.to_string())
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    reply(status, serde_json::json!({ "error": message }).to_string())
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
