//! Sends one batch as one or more `POST {endpoint}/v2/entries:write`
//! requests (`Authorization: Bearer TOKEN`, `application/json`,
//! `partialSuccess: true`) and says what became of it.
//!
//! | answer | outcome |
//! | --- | --- |
//! | 2xx | delivered |
//! | no answer within `request_timeout`, connection error, 408, 429 (`RESOURCE_EXHAUSTED`, no `Retry-After`: the runner's back-off), 5xx | `Retryable` |
//! | 401 | the cached token is dropped; `CredentialsRejected` |
//! | 403 | `CredentialsRejected` |
//! | 400 whose `error.details[]` hold `WriteLogEntriesPartialErrors.logEntryErrors` | `PartiallyRejected`: those entries (index → status) were refused, the others written |
//! | any other status | `Permanent` (one request) or those lines `PartiallyRejected` (several) |
//!
//! When a batch needs several requests and one fails retryably, the whole
//! batch is sent again; entries already written are dropped by the API as
//! duplicates (same `insertId` and `timestamp`).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Uri};
use serde_json::Value;

use super::auth::{Authenticator, ServiceAccountKey, TokenSource, METADATA_TOKEN_PATH};
use super::encoder::{encode_entry, pack_requests, request_prefix, MAX_REQUEST_BYTES};
use crate::config::{format_duration, GcpLoggingSinkConfig, TlsConfig};
use crate::sinks::http::client::{build_client, HttpClient};
use crate::sinks::{classify_response, parse_retry_after, DeliveryError, SinkError};

/// Largest response body read (per-entry errors of a large batch fit).
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// A running `gcp_logging` sink.
pub struct GcpLoggingSink {
    client: HttpClient,
    write_uri: Uri,
    /// `{"logName":…,"resource":…,"partialSuccess":true,"entries":[`.
    prefix: Vec<u8>,
    auth: Authenticator,
    request_timeout: Duration,
}

impl std::fmt::Debug for GcpLoggingSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcpLoggingSink")
            .field("write_uri", &self.write_uri)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl GcpLoggingSink {
    /// Reads the key file (when configured) and builds the clients.
    pub fn new(config: &GcpLoggingSinkConfig) -> Result<GcpLoggingSink, SinkError> {
        let setup = |reason: String| SinkError::HttpSetup { reason };
        let write_uri: Uri = format!("{}/v2/entries:write", config.endpoint)
            .parse()
            .map_err(|_| setup("endpoint is not a valid URL".into()))?;
        let client = build_client(&write_uri, &config.tls, config.request_timeout)?;
        let source = match &config.credentials {
            Some(path) => {
                let credentials = |reason: String| SinkError::GcpCredentials {
                    path: path.display().to_string(),
                    reason,
                };
                let json = std::fs::read(path)
                    .map_err(|e| credentials(format!("cannot be read ({e})")))?;
                let key = ServiceAccountKey::from_json(&json).map_err(credentials)?;
                TokenSource::Key(Box::new(key))
            }
            None => TokenSource::Metadata(
                format!("{}{METADATA_TOKEN_PATH}", config.metadata_endpoint)
                    .parse()
                    .map_err(|_| setup("metadata_endpoint is not a valid URL".into()))?,
            ),
        };
        let token_uri: Uri = match &source {
            TokenSource::Key(key) => key
                .token_uri
                .parse()
                .map_err(|_| setup("the key file's token_uri is not a valid URL".into()))?,
            TokenSource::Metadata(uri) => uri.clone(),
        };
        // Tokens come from Google (or the metadata server), not from a
        // proxy the sink's `tls` may be about: system roots.
        let token_client = build_client(&token_uri, &TlsConfig::default(), config.request_timeout)?;
        let labels: serde_json::Map<String, Value> = config
            .resource
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let resource = serde_json::json!({"type": config.resource.kind, "labels": labels});
        Ok(GcpLoggingSink {
            client,
            write_uri,
            prefix: request_prefix(&config.project_id, &config.log_id, &resource),
            auth: Authenticator::new(source, token_client, config.request_timeout),
            request_timeout: config.request_timeout,
        })
    }

    /// Sends one batch of event JSON lines. Ok when every entry was written.
    pub async fn send(&self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let entries: Vec<Vec<u8>> = lines.iter().map(|line| encode_entry(line)).collect();
        let bodies = pack_requests(&self.prefix, &entries, MAX_REQUEST_BYTES);
        let single = bodies.len() == 1;
        let mut rejected = Vec::new();
        let mut last_status = 400;
        for body in bodies {
            match self.post(body.bytes).await {
                Ok(()) => {}
                Err(DeliveryError::PartiallyRejected {
                    rejected: in_request,
                    status,
                }) => {
                    last_status = status;
                    rejected.extend(
                        in_request
                            .into_iter()
                            .filter(|(i, _)| body.lines.start + i < body.lines.end)
                            .map(|(i, reason)| (body.lines.start + i, reason)),
                    );
                }
                Err(DeliveryError::Permanent { status, body: text }) if !single => {
                    last_status = status;
                    rejected.extend(body.lines.map(|i| (i, format!("HTTP {status}: {text}"))));
                }
                Err(other) => return Err(other),
            }
        }
        if rejected.is_empty() {
            Ok(())
        } else {
            Err(DeliveryError::PartiallyRejected {
                rejected,
                status: last_status,
            })
        }
    }

    /// One request, bounded by `request_timeout` (the token fetch has its own).
    async fn post(&self, body: Bytes) -> Result<(), DeliveryError> {
        let token = self.auth.token().await?;
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.write_uri.clone();
        let headers = request.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("auditship/", env!("CARGO_PKG_VERSION"))),
        );
        let mut authorization = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| DeliveryError::CredentialsRejected { status: 401 })?;
        authorization.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, authorization);
        let outcome = tokio::time::timeout(self.request_timeout, self.exchange(request)).await;
        let outcome = outcome.unwrap_or_else(|_| {
            Err(DeliveryError::Retryable {
                reason: format!(
                    "no complete response within request_timeout ({})",
                    format_duration(self.request_timeout)
                ),
                retry_after: None,
            })
        });
        if let Err(DeliveryError::CredentialsRejected { status: 401 }) = &outcome {
            self.auth.invalidate().await;
        }
        outcome
    }

    async fn exchange(&self, request: Request<Full<Bytes>>) -> Result<(), DeliveryError> {
        let response =
            self.client
                .request(request)
                .await
                .map_err(|error| DeliveryError::Retryable {
                    reason: format!("cannot reach the Logging API: {error}"),
                    retry_after: None,
                })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        if status == 400 {
            let rejected = partial_errors(&body);
            if !rejected.is_empty() {
                return Err(DeliveryError::PartiallyRejected { rejected, status });
            }
        }
        classify_response(status, retry_after, &body)
    }
}

/// The per-entry errors of a `partialSuccess` refusal: (index in the
/// request, "STATUS: message"), sorted by index.
pub(crate) fn partial_errors(body: &[u8]) -> Vec<(usize, String)> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut rejected: Vec<(usize, String)> = value["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|detail| {
            detail["@type"]
                .as_str()
                .is_some_and(|t| t.ends_with("google.logging.v2.WriteLogEntriesPartialErrors"))
        })
        .filter_map(|detail| detail["logEntryErrors"].as_object())
        .flatten()
        .filter_map(|(index, status)| {
            let index = index.parse().ok()?;
            let code = status["code"].as_i64().unwrap_or(3);
            let message = status["message"].as_str().unwrap_or("refused");
            Some((index, format!("{}: {message}", rpc_code_name(code))))
        })
        .collect();
    rejected.sort();
    rejected.dedup_by_key(|(index, _)| *index);
    rejected
}

/// `google.rpc.Code` names of the codes an entry can be refused with.
fn rpc_code_name(code: i64) -> String {
    match code {
        3 => "INVALID_ARGUMENT".into(),
        5 => "NOT_FOUND".into(),
        7 => "PERMISSION_DENIED".into(),
        8 => "RESOURCE_EXHAUSTED".into(),
        9 => "FAILED_PRECONDITION".into(),
        11 => "OUT_OF_RANGE".into(),
        other => format!("code {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_entry_errors_of_a_partial_success_are_read_by_index() {
        let body = serde_json::json!({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "x",
            "details": [{"@type": "type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors",
                "logEntryErrors": {"7": {"code": 3, "message": "bad ts"}, "2": {"code": 7, "message": "no"}}}]}});
        assert_eq!(
            partial_errors(body.to_string().as_bytes()),
            vec![
                (2, "PERMISSION_DENIED: no".to_string()),
                (7, "INVALID_ARGUMENT: bad ts".to_string())
            ]
        );
        assert!(partial_errors(br#"{"error":{"code":400,"details":[]}}"#).is_empty());
        assert!(partial_errors(b"not json").is_empty());
    }
}
