//! Sends one batch as one request and says what became of it.
//!
//! Outcomes ([`DeliveryError`]; the runner decides what to do with each):
//!
//! | response | outcome |
//! | --- | --- |
//! | 2xx | `Ok` |
//! | no response: connect, TLS or I/O error, or nothing complete within `request_timeout` | `Retryable` |
//! | 408, 429, 5xx | `Retryable`, with `Retry-After` (seconds or HTTP date) when given |
//! | 401, 403 | `CredentialsRejected` |
//! | any other status (other 4xx, 1xx, 3xx: redirects are not followed) | `Permanent`, with the start of the response body |
//!
//! `request_timeout` bounds the whole exchange, connecting included, so a
//! server that accepts and never answers fails the attempt in time.
//!
//! Invariant: no error carries a request header (they hold tokens). A
//! response body is cut to 1 KiB, control characters replaced, and any
//! configured header value it echoes replaced by `<redacted>`.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};

use super::client::{build_client, HttpClient};
use super::encoder::encode_body;
use crate::config::{Compression, HttpEncoding, HttpMethod, HttpSinkConfig};
use crate::sinks::SinkError;

/// Most bytes of a refusal's body kept for the error message.
const KEPT_BODY_BYTES: usize = 1024;
/// Most bytes of a response body read at all; past it the connection is
/// dropped rather than drained.
const READ_BODY_BYTES: usize = 64 * 1024;

/// Why a batch was not delivered. The runner retries `Retryable` and
/// `CredentialsRejected` (reporting the latter at most once a minute) and
/// splits or dead-letters on `Permanent`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("the destination did not take the batch ({reason}); it is kept and sent again")]
    Retryable {
        reason: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    #[error("the destination refused the credentials with HTTP {status}; check the token in the sink's headers (the batch is kept and sent again)")]
    CredentialsRejected { status: u16 },
    #[error("the destination refused the batch with HTTP {status}: {body:?}; sending it again will not help (check uri, method and encoding, or the events)")]
    Permanent {
        status: u16,
        /// The start of the response body (at most 1 KiB), for the operator.
        body: String,
    },
    /// Some events of the batch were refused for good and the rest were
    /// delivered (Cloud Logging's `partialSuccess`): the runner dead-letters
    /// exactly the refused lines and moves on.
    #[error("the destination refused {} event(s) of the batch with HTTP {status} and took the rest; the refused ones go to the dead-letter file", rejected.len())]
    PartiallyRejected {
        /// (index of the line in the batch, why it was refused).
        rejected: Vec<(usize, String)>,
        status: u16,
    },
}

/// A running `http` sink: the client and everything about the request
/// that does not change between batches.
pub struct HttpSink {
    client: HttpClient,
    uri: Uri,
    method: Method,
    encoding: HttpEncoding,
    compression: Compression,
    /// `User-Agent`, `Content-Type`, `Content-Encoding` and the custom headers.
    headers: HeaderMap,
    /// Configured header values, to scrub from echoed response bodies.
    secrets: Vec<String>,
    request_timeout: Duration,
}

impl std::fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No headers: they hold tokens.
        f.debug_struct("HttpSink")
            .field("host", &self.uri.host())
            .field("method", &self.method)
            .field("encoding", &self.encoding)
            .field("compression", &self.compression)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl HttpSink {
    /// Builds the client once: reads the TLS files and the system roots.
    pub fn new(config: &HttpSinkConfig) -> Result<HttpSink, SinkError> {
        let invalid = |reason: String| SinkError::HttpSetup { reason };
        let uri: Uri = config
            .uri
            .parse()
            .map_err(|_| invalid("uri is not a valid URI".into()))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(invalid(
                "uri must be http:// or https:// with a host".into(),
            ));
        }
        let content_type = super::encoder::content_type(config.encoding);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("auditship/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if config.compression == Compression::Gzip {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        let mut secrets = Vec::new();
        for (name, value) in &config.headers {
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid(format!("header name \"{name}\" is not valid")))?;
            let mut header_value = HeaderValue::from_str(value.expose())
                .map_err(|_| invalid(format!("the value of header \"{name}\" is not valid")))?;
            header_value.set_sensitive(true);
            // Custom headers replace the defaults of the same name.
            headers.insert(header_name, header_value);
            if value.expose().len() >= 4 {
                secrets.push(value.expose().to_string());
            }
        }
        let client = build_client(&uri, &config.tls, config.request_timeout)?;
        Ok(HttpSink {
            client,
            uri,
            method: match config.method {
                HttpMethod::Post => Method::POST,
                HttpMethod::Put => Method::PUT,
            },
            encoding: config.encoding,
            compression: config.compression,
            headers,
            secrets,
            request_timeout: config.request_timeout,
        })
    }

    /// Sends one batch of event JSON lines (no trailing newline each) as
    /// one request. Ok only on 2xx.
    pub async fn send(&self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let body = encode_body(lines, self.encoding, self.compression);
        let mut request = Request::new(Full::new(body.bytes));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        match tokio::time::timeout(self.request_timeout, self.exchange(request)).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(DeliveryError::Retryable {
                reason: format!(
                    "no complete response within request_timeout ({})",
                    crate::config::format_duration(self.request_timeout)
                ),
                retry_after: None,
            }),
        }
    }

    async fn exchange(&self, request: Request<Full<Bytes>>) -> Result<(), DeliveryError> {
        let response =
            self.client
                .request(request)
                .await
                .map_err(|error| DeliveryError::Retryable {
                    reason: error_chain(&error),
                    retry_after: None,
                })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let body = if response.status().is_success() {
            // Drained so the connection goes back to the pool; ignored.
            let _ = read_prefix(response.into_body(), READ_BODY_BYTES).await;
            Vec::new()
        } else {
            read_prefix(response.into_body(), READ_BODY_BYTES)
                .await
                .unwrap_or_default()
        };
        match classify_response(status, retry_after, &body) {
            Err(DeliveryError::Permanent { status, body }) => Err(DeliveryError::Permanent {
                status,
                body: self.redact(body),
            }),
            other => other,
        }
    }

    fn redact(&self, mut body: String) -> String {
        for secret in &self.secrets {
            if body.contains(secret.as_str()) {
                body = body.replace(secret.as_str(), "<redacted>");
            }
        }
        body
    }
}

/// What a response means for the batch. Pure, for tests and for the
/// runner's documentation: see the module table.
pub fn classify_response(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<(), DeliveryError> {
    match status {
        200..=299 => Ok(()),
        408 | 429 | 500..=599 => Err(DeliveryError::Retryable {
            reason: format!("HTTP {status}{}", body_suffix(body)),
            retry_after,
        }),
        401 | 403 => Err(DeliveryError::CredentialsRejected { status }),
        _ => Err(DeliveryError::Permanent {
            status,
            body: shown_body(body),
        }),
    }
}

fn body_suffix(body: &[u8]) -> String {
    let shown = shown_body(body);
    if shown.trim().is_empty() {
        String::new()
    } else {
        format!(": {shown:?}")
    }
}

/// At most [`KEPT_BODY_BYTES`] of a body as text on one line.
fn shown_body(body: &[u8]) -> String {
    let cut = &body[..body.len().min(KEPT_BODY_BYTES)];
    let mut text: String = String::from_utf8_lossy(cut)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // A multi-byte character cut in half shows as one replacement char.
    if body.len() > KEPT_BODY_BYTES {
        text.push('…');
    }
    text
}

/// `Retry-After` as a wait from `now`: delay-seconds (`"120"`) or an HTTP
/// date (IMF-fixdate, RFC 850 or asctime). A date in the past is zero.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn parse_http_date(value: &str) -> Option<SystemTime> {
    use chrono::NaiveDateTime;
    let parsed = chrono::DateTime::parse_from_rfc2822(value)
        .map(|d| d.naive_utc())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(value, "%A, %d-%b-%y %H:%M:%S GMT").ok())
        .or_else(|| NaiveDateTime::parse_from_str(value, "%a %b %e %H:%M:%S %Y").ok())?;
    Some(SystemTime::from(parsed.and_utc()))
}

/// An error and its causes on one line: "client error (Connect): tcp
/// connect error: Connection refused (os error 111)".
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
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

/// The first `limit` bytes of a body (reading stops there).
pub(crate) async fn read_prefix(
    mut body: hyper::body::Incoming,
    limit: usize,
) -> Result<Vec<u8>, hyper::Error> {
    let mut kept = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            let room = limit.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..data.len().min(room)]);
            if kept.len() >= limit {
                break;
            }
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retryable(status: u16, retry_after: Option<Duration>) -> bool {
        matches!(
            classify_response(status, retry_after, b""),
            Err(DeliveryError::Retryable { retry_after: r, .. }) if r == retry_after
        )
    }

    #[test]
    fn only_2xx_is_delivered() {
        for status in [200, 201, 202, 204, 299] {
            assert_eq!(classify_response(status, None, b""), Ok(()), "{status}");
        }
    }

    #[test]
    fn timeouts_throttling_and_server_errors_are_retried_with_their_retry_after() {
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert!(retryable(status, None), "{status}");
        }
        assert!(retryable(429, Some(Duration::from_secs(2))));
        assert!(retryable(503, Some(Duration::from_secs(120))));
    }

    #[test]
    fn unauthorized_and_forbidden_mean_rejected_credentials() {
        for status in [401, 403] {
            assert_eq!(
                classify_response(status, None, b"bad token"),
                Err(DeliveryError::CredentialsRejected { status })
            );
        }
    }

    #[test]
    fn other_client_errors_and_redirects_are_permanent_with_the_body() {
        for status in [400, 404, 405, 413, 422, 301, 302, 100] {
            let Err(DeliveryError::Permanent { status: s, body }) =
                classify_response(status, None, b"field x\nis wrong")
            else {
                panic!("{status} is not permanent");
            };
            assert_eq!(s, status);
            assert_eq!(body, "field x is wrong");
        }
    }

    #[test]
    fn permanent_bodies_are_cut_to_one_kib() {
        let long = vec![b'x'; 5000];
        let Err(DeliveryError::Permanent { body, .. }) = classify_response(400, None, &long) else {
            panic!()
        };
        assert_eq!(body.len(), KEPT_BODY_BYTES + '…'.len_utf8());
    }

    #[test]
    fn retry_after_reads_seconds_and_all_three_http_date_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:40 1994", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        for bad in ["", "soon", "-5", "1.5", "Sun, 99 Nov 1994 08:49:37 GMT"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn messages_tell_the_operator_what_to_do() {
        let credentials = DeliveryError::CredentialsRejected { status: 401 };
        assert!(credentials.to_string().contains("check the token"));
        let permanent = DeliveryError::Permanent {
            status: 400,
            body: "bad".into(),
        };
        assert!(permanent.to_string().contains("HTTP 400: \"bad\""));
    }
}
