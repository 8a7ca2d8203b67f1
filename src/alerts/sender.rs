//! One channel's client and one delivery attempt, classified: an HTTP POST
//! for webhook-style channels, an SMTP transaction for `email`
//! (classified in `smtp`).
//!
//! HTTP:
//! - 2xx: delivered.
//! - 400, 413, 422: the channel will never take this payload: dropped,
//!   logged as an error by the caller (data at risk).
//! - anything else (429, 5xx, 401/403/404 of a webhook being fixed, network
//!   errors, timeouts): retried with back-off until `max_age`. `Retry-After`
//!   is honoured.
//!
//! Invariant: neither the URL nor a header value is ever put in an error:
//! Slack/Teams/Discord URLs are tokens.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Uri};

use super::channels::{self, OutgoingRequest};
use super::notification::Notification;
use super::smtp::EmailSender;
use crate::config::{ChannelConfig, ChannelKind};
use crate::sinks::http::client::{build_client, HttpClient};
use crate::sinks::http::{error_chain, parse_retry_after, read_prefix};

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Refused {
        status: u16,
        body: String,
    },
}

/// Why a channel cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error("[channels.{id}]: the URL is not valid (check the value or the environment variable it comes from)")]
    BadUrl { id: String },
    #[error("[channels.{id}]: {reason}")]
    Setup { id: String, reason: String },
}

/// The client of one channel, built once.
pub enum ChannelSender {
    Http(Box<HttpSender>),
    Email(Box<EmailSender>),
}

impl ChannelSender {
    pub fn build(config: &ChannelConfig) -> Result<ChannelSender, SenderError> {
        match &config.kind {
            ChannelKind::Email(email) => {
                EmailSender::build(email, &config.tls, config.request_timeout)
                    .map(|sender| ChannelSender::Email(Box::new(sender)))
                    .map_err(|reason| SenderError::Setup {
                        id: config.id.clone(),
                        reason,
                    })
            }
            kind => match channels::request(kind, &sample_notification(), 0) {
                Some(sample) => {
                    HttpSender::build(config, &sample).map(|h| ChannelSender::Http(Box::new(h)))
                }
                None => Err(SenderError::Setup {
                    id: config.id.clone(),
                    reason: "not an HTTP channel".into(),
                }),
            },
        }
    }

    /// One attempt to deliver `n` at `now_secs`.
    pub async fn send(&self, kind: &ChannelKind, n: &Notification, now_secs: u64) -> Attempt {
        match self {
            ChannelSender::Http(http) => match channels::request(kind, n, now_secs) {
                Some(request) => http.post(request).await,
                None => Attempt::Refused {
                    status: 0,
                    body: "not an HTTP channel".into(),
                },
            },
            ChannelSender::Email(email) => email.send(n).await,
        }
    }
}

/// A notification used only to build an HTTP channel's request once at
/// start (to read its URL).
fn sample_notification() -> Notification {
    serde_json::from_value(serde_json::json!({
        "id": "", "alert": "", "dedup_key": "", "severity": "info", "title": "",
        "fired_at": "", "fired_at_ms": 0, "count": 0, "suppressed": 0,
        "event": null, "host": ""
    }))
    .expect("a minimal notification deserializes")
}

/// The HTTP client of a webhook-style channel.
pub struct HttpSender {
    client: HttpClient,
    timeout: Duration,
}

impl HttpSender {
    /// `sample` is a request of the channel (its URL picks TLS or not).
    fn build(config: &ChannelConfig, sample: &OutgoingRequest) -> Result<HttpSender, SenderError> {
        let uri: Uri = sample.url.parse().map_err(|_| SenderError::BadUrl {
            id: config.id.clone(),
        })?;
        let client = build_client(&uri, &config.tls, config.request_timeout).map_err(|e| {
            SenderError::Setup {
                id: config.id.clone(),
                reason: e.to_string(),
            }
        })?;
        Ok(HttpSender {
            client,
            timeout: config.request_timeout,
        })
    }

    pub async fn post(&self, request: OutgoingRequest) -> Attempt {
        let Ok(uri) = request.url.parse::<Uri>() else {
            return Attempt::Refused {
                status: 0,
                body: "the channel URL is not valid".into(),
            };
        };
        let mut http = Request::new(Full::new(Bytes::from(request.body)));
        *http.method_mut() = Method::POST;
        *http.uri_mut() = uri;
        for (name, value) in &request.headers {
            if let Ok(value) = value.parse() {
                http.headers_mut().insert(*name, value);
            }
        }
        http.headers_mut().insert(
            hyper::header::USER_AGENT,
            hyper::header::HeaderValue::from_static(concat!(
                "auditship/",
                env!("CARGO_PKG_VERSION")
            )),
        );
        let exchange = async {
            let response = self
                .client
                .request(http)
                .await
                .map_err(|e| error_chain(&e))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(hyper::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            let body = read_prefix(response.into_body(), 512)
                .await
                .map_err(|e| error_chain(&e))?;
            Ok::<_, String>((
                status,
                retry_after,
                String::from_utf8_lossy(&body).into_owned(),
            ))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Err(_) => Attempt::Retry {
                reason: format!(
                    "no response within {}",
                    crate::config::format_duration(self.timeout)
                ),
                retry_after: None,
            },
            Ok(Err(reason)) => Attempt::Retry {
                reason,
                retry_after: None,
            },
            Ok(Ok((status, retry_after, body))) => match status {
                200..=299 => Attempt::Delivered,
                400 | 413 | 422 => Attempt::Refused { status, body },
                _ => Attempt::Retry {
                    reason: format!("HTTP {status}: {}", body.trim()),
                    retry_after,
                },
            },
        }
    }
}
