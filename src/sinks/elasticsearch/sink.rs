//! Sends one batch through `_bulk` and says what became of each event.
//!
//! A batch becomes one or more `POST {endpoint}/_bulk` requests of at most
//! `max_request_bytes` (before compression), sent in order. A request
//! answered with anything but 200 is classified as a whole
//! ([`classify_response`]: 401/403 credentials, 429/5xx retryable, 413 and
//! other 4xx permanent, which the runner isolates by halving). A 200 carries
//! one status per item ([`read_response`]):
//!
//! - items refused with 429/5xx are **retried alone**: the sink remembers,
//!   for the batch (identified by a fingerprint), which events are settled,
//!   and when the runner sends the batch again only the others go out;
//! - items refused for good are settled as refused and, once nothing of the
//!   batch is left to retry, reported to the runner as
//!   [`DeliveryError::PartiallyRejected`], which dead-letters exactly those
//!   events with the cluster's reason.
//!
//! Invariant: credentials (basic password, API key) never appear in errors
//! or logs; a response body echoing them has them replaced.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use chrono::Utc;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Uri};

use super::bulk::{append_item, read_response, BulkTarget, ItemOutcome};
use crate::config::{Compression, ElasticsearchAuth, ElasticsearchSinkConfig, EventEncoding};
use crate::sinks::compress::compress_body;
use crate::sinks::http::client::{build_client, HttpClient};
use crate::sinks::http::{classify_response, error_chain, parse_retry_after, read_prefix};
use crate::sinks::{DeliveryError, SinkError};

/// Most bytes of a `_bulk` response read (about 40 bytes an item with
/// `filter_path`, so far above any batch).
const READ_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Only what the sink reads: smaller responses from large batches.
const FILTER_PATH: &str = "filter_path=errors,items.*.status,items.*.error";

/// What became of one event of the batch being delivered.
#[derive(Debug, Clone, PartialEq)]
enum Settled {
    Pending,
    Delivered,
    Refused { status: u16, reason: String },
}

/// A running `elasticsearch` sink.
pub struct ElasticsearchSink {
    client: HttpClient,
    uri: Uri,
    headers: HeaderMap,
    secrets: Vec<String>,
    target: BulkTarget,
    encoding: EventEncoding,
    compression: Compression,
    max_request_bytes: usize,
    request_timeout: Duration,
    /// The batch being retried (fingerprint) and what is settled of it.
    progress: Option<(u64, Vec<Settled>)>,
}

impl std::fmt::Debug for ElasticsearchSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No headers: they hold the credentials.
        f.debug_struct("ElasticsearchSink")
            .field("uri", &self.uri)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl ElasticsearchSink {
    /// Builds the client once: reads the TLS files and the system roots.
    pub fn new(config: &ElasticsearchSinkConfig) -> Result<ElasticsearchSink, SinkError> {
        let invalid = |reason: String| SinkError::HttpSetup { reason };
        let base = config.endpoint.trim_end_matches('/');
        let pipeline = match &config.pipeline {
            Some(name) => format!("&pipeline={name}"),
            None => String::new(),
        };
        let uri: Uri = format!("{base}/_bulk?{FILTER_PATH}{pipeline}")
            .parse()
            .map_err(|_| invalid("the elasticsearch endpoint is not a valid URL".into()))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("auditship/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        );
        if config.compression == Compression::Gzip {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        let mut secrets = Vec::new();
        let authorization = match &config.auth {
            None => None,
            Some(ElasticsearchAuth::Basic { user, password }) => {
                use base64::Engine;
                secrets.push(password.expose().to_string());
                let pair = format!("{user}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                secrets.push(encoded.clone());
                Some(format!("Basic {encoded}"))
            }
            Some(ElasticsearchAuth::ApiKey(key)) => {
                secrets.push(key.expose().to_string());
                Some(format!("ApiKey {}", key.expose()))
            }
        };
        if let Some(value) = authorization {
            let mut value = HeaderValue::from_str(&value)
                .map_err(|_| invalid("the credentials are not a valid header value".into()))?;
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }
        let client = build_client(&uri, &config.tls, config.request_timeout)?;
        Ok(ElasticsearchSink {
            client,
            uri,
            headers,
            secrets,
            target: config.target.clone(),
            encoding: config.encoding,
            compression: config.compression,
            max_request_bytes: config.max_request_bytes,
            request_timeout: config.request_timeout,
            progress: None,
        })
    }

    /// A sibling for a concurrent delivery slot: the same client (and so
    /// connection pool), its own per-batch progress.
    pub fn fork(&self) -> ElasticsearchSink {
        ElasticsearchSink {
            client: self.client.clone(),
            uri: self.uri.clone(),
            headers: self.headers.clone(),
            secrets: self.secrets.clone(),
            target: self.target.clone(),
            encoding: self.encoding,
            compression: self.compression,
            max_request_bytes: self.max_request_bytes,
            request_timeout: self.request_timeout,
            progress: None,
        }
    }

    /// Sends one batch of event JSON lines. Ok only when every event is
    /// stored; see the module doc for partial outcomes.
    pub async fn send(&mut self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let batch = fingerprint(lines);
        let mut settled = match self.progress.take() {
            Some((id, settled)) if id == batch => settled,
            _ => vec![Settled::Pending; lines.len()],
        };
        let outcome = self.send_pending(lines, &mut settled).await;
        let retrying = settled.iter().filter(|s| **s == Settled::Pending).count();
        if outcome.is_err() || retrying > 0 {
            self.progress = Some((batch, settled));
            return match outcome {
                Err(error) => Err(error),
                Ok(status) => Err(DeliveryError::Retryable {
                    reason: format!("{retrying} event(s) of the batch were refused with HTTP {status} (cluster busy or shard unavailable); only those are sent again"),
                    retry_after: None,
                }),
            };
        }
        let rejected: Vec<(usize, String)> = settled
            .iter()
            .enumerate()
            .filter_map(|(index, s)| match s {
                Settled::Refused { status, reason } => Some((
                    index,
                    format!("HTTP {status}: {}", self.redact(reason.clone())),
                )),
                _ => None,
            })
            .collect();
        if rejected.is_empty() {
            return Ok(());
        }
        let status = settled
            .iter()
            .find_map(|s| match s {
                Settled::Refused { status, .. } => Some(*status),
                _ => None,
            })
            .unwrap_or(400);
        Err(DeliveryError::PartiallyRejected { rejected, status })
    }

    /// Sends every pending event, in requests of at most
    /// `max_request_bytes`; marks what the cluster settled. Ok carries the
    /// status of the last item left to retry (for the message).
    async fn send_pending(
        &self,
        lines: &[&[u8]],
        settled: &mut [Settled],
    ) -> Result<u16, DeliveryError> {
        let now = Utc::now();
        let mut retry_status = 0;
        let mut body = Vec::new();
        let mut in_body: Vec<usize> = Vec::new();
        let pending: Vec<usize> = (0..lines.len())
            .filter(|&i| settled[i] == Settled::Pending)
            .collect();
        for (n, &index) in pending.iter().enumerate() {
            append_item(lines[index], &self.target, self.encoding, now, &mut body);
            in_body.push(index);
            let last = n + 1 == pending.len();
            if body.len() >= self.max_request_bytes || last {
                let outcomes = self.post(std::mem::take(&mut body), in_body.len()).await?;
                for (index, outcome) in in_body.drain(..).zip(outcomes) {
                    settled[index] = match outcome {
                        ItemOutcome::Delivered => Settled::Delivered,
                        ItemOutcome::Retry { status } => {
                            retry_status = status;
                            Settled::Pending
                        }
                        ItemOutcome::Refused { status, reason } => {
                            Settled::Refused { status, reason }
                        }
                    };
                }
            }
        }
        Ok(retry_status)
    }

    /// One `_bulk` request of `items` actions, bounded by `request_timeout`.
    async fn post(&self, plain: Vec<u8>, items: usize) -> Result<Vec<ItemOutcome>, DeliveryError> {
        let mut request = Request::new(Full::new(compress_body(plain, self.compression)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        match tokio::time::timeout(self.request_timeout, self.exchange(request, items)).await {
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

    async fn exchange(
        &self,
        request: Request<Full<Bytes>>,
        items: usize,
    ) -> Result<Vec<ItemOutcome>, DeliveryError> {
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
        let body = read_prefix(response.into_body(), READ_BODY_BYTES)
            .await
            .unwrap_or_default();
        if status != 200 {
            return Err(match classify_response(status, retry_after, &body) {
                Err(DeliveryError::Permanent { status, body }) => DeliveryError::Permanent {
                    status,
                    body: self.redact(body),
                },
                Err(DeliveryError::Retryable {
                    reason,
                    retry_after,
                }) => DeliveryError::Retryable {
                    reason: self.redact(reason),
                    retry_after,
                },
                Err(other) => other,
                // 2xx other than 200 has no item list to trust.
                Ok(()) => DeliveryError::Retryable {
                    reason: format!("_bulk answered HTTP {status} instead of 200"),
                    retry_after: None,
                },
            });
        }
        read_response(&body, items).map_err(|error| DeliveryError::Retryable {
            reason: format!("{error}; is the endpoint an Elasticsearch or OpenSearch cluster?"),
            retry_after: None,
        })
    }

    fn redact(&self, mut text: String) -> String {
        for secret in &self.secrets {
            if !secret.is_empty() && text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "<redacted>");
            }
        }
        text
    }
}

/// Identifies a batch across the runner's retries.
fn fingerprint(lines: &[&[u8]]) -> u64 {
    let mut hasher = DefaultHasher::new();
    lines.hash(&mut hasher);
    hasher.finish()
}
