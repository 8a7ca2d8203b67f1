//! One POST to the collector, bounded by `request_timeout`: the hyper
//! client of the `http` sink (TLS, keep-alive pool) with the headers every
//! HEC request carries — `Authorization: Splunk TOKEN` (marked sensitive),
//! `User-Agent`, `Content-Type: application/json`, and
//! `X-Splunk-Request-Channel` when acknowledgement is on.
//!
//! A transport error or timeout becomes [`DeliveryError::Retryable`]; the
//! status and the start of the body are returned for the caller to read.
//!
//! Invariant: no error or log line carries the token; a response body that
//! echoes it has it replaced by `<redacted>`.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Uri};

use crate::config::format_duration;
use crate::sinks::http::client::HttpClient;
use crate::sinks::http::parse_retry_after;
use crate::sinks::DeliveryError;

/// Most bytes of a response body read (HEC answers are tiny).
const READ_BODY_BYTES: usize = 64 * 1024;

/// A HEC answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

#[derive(Clone)]
pub struct HecClient {
    pub(super) client: HttpClient,
    /// `scheme://host:port`, no trailing slash.
    pub(super) base: String,
    pub(super) headers: HeaderMap,
    pub(super) token: String,
    pub(super) request_timeout: Duration,
}

impl HecClient {
    /// Builds the fixed headers; `channel` is set when acknowledgement is on.
    pub fn headers(token: &str, channel: Option<&str>) -> Option<HeaderMap> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("auditship/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let mut auth = HeaderValue::from_str(&format!("Splunk {token}")).ok()?;
        auth.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, auth);
        if let Some(channel) = channel {
            headers.insert("x-splunk-request-channel", channel.parse().ok()?);
        }
        Some(headers)
    }

    /// POSTs `body` to `path` (gzip-encoded when `gzip`).
    pub async fn post(&self, path: &str, body: Bytes, gzip: bool) -> Result<Answer, DeliveryError> {
        let uri: Uri =
            format!("{}{path}", self.base)
                .parse()
                .map_err(|_| DeliveryError::Permanent {
                    status: 0,
                    body: format!("{path} cannot be appended to the endpoint"),
                })?;
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        *request.headers_mut() = self.headers.clone();
        if gzip {
            request
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        match tokio::time::timeout(self.request_timeout, self.exchange(request)).await {
            Ok(answer) => answer,
            Err(_elapsed) => Err(DeliveryError::Retryable {
                reason: format!(
                    "no complete response within request_timeout ({})",
                    format_duration(self.request_timeout)
                ),
                retry_after: None,
            }),
        }
    }

    async fn exchange(&self, request: Request<Full<Bytes>>) -> Result<Answer, DeliveryError> {
        let retryable = |reason: String| DeliveryError::Retryable {
            reason,
            retry_after: None,
        };
        let response = self
            .client
            .request(request)
            .await
            .map_err(|error| retryable(error_chain(&error)))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let mut body = Vec::new();
        let mut incoming = response.into_body();
        while let Some(frame) = incoming.frame().await {
            let frame = frame.map_err(|error| retryable(error_chain(&error)))?;
            if let Ok(data) = frame.into_data() {
                let room = READ_BODY_BYTES.saturating_sub(body.len());
                body.extend_from_slice(&data[..data.len().min(room)]);
                if body.len() >= READ_BODY_BYTES {
                    break;
                }
            }
        }
        Ok(Answer {
            status,
            retry_after,
            body: self.redact(body),
        })
    }

    fn redact(&self, body: Vec<u8>) -> Vec<u8> {
        let token = self.token.as_bytes();
        if token.len() < 4 || !body.windows(token.len()).any(|w| w == token) {
            return body;
        }
        String::from_utf8_lossy(&body)
            .replace(self.token.as_str(), "<redacted>")
            .into_bytes()
    }
}

/// An error and its causes on one line.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
