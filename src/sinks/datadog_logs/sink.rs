//! Sends one batch to the Datadog Logs intake and says what became of it.
//!
//! A batch becomes one or more `POST /api/v2/logs` requests (see
//! `payload`), sent in order. Outcomes, per request ([`classify_response`]):
//! 202 (any 2xx) accepted; 400 permanent (the payload is malformed); 401/403
//! credentials (retried by the runner, never dead-lettered); 408, 429, 5xx
//! and no answer within `request_timeout` retryable, with `Retry-After`;
//! 413 permanent (the split by limits means it should not happen).
//!
//! **No duplicates when a later request fails.** When request k of a batch
//! fails, requests 1…k-1 were accepted. The sink remembers how many logs
//! of this batch (identified by its first and last `agent.seq`, length
//! and a hash of its bytes) Datadog already has, and when the runner sends
//! the same batch again only the rest goes out.
//!
//! Invariant: the API key never appears in errors or logs; a response body
//! echoing it has it replaced by `<redacted>`.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use chrono::Utc;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};

use super::encoder::{encode_log, EncodeContext, EncodedLog};
use super::payload::{body, split_runs};
use crate::config::{Compression, DatadogLogsSinkConfig};
use crate::sinks::http::client::{build_client, HttpClient};
use crate::sinks::http::{classify_response, error_chain, parse_retry_after, read_prefix};
use crate::sinks::{DeliveryError, SinkError};

/// Most bytes of a response body read.
const READ_BODY_BYTES: usize = 64 * 1024;
/// Late and truncated events are reported at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(60);

/// A running `datadog_logs` sink.
pub struct DatadogLogsSink {
    client: HttpClient,
    uri: Uri,
    headers: HeaderMap,
    api_key: String,
    compression: Compression,
    request_timeout: Duration,
    context: EncodeContext,
    /// The batch partly accepted by Datadog, and how many of its logs.
    progress: Option<(u64, usize)>,
    /// The last batch whose late and truncated events were counted, so a
    /// retried batch is counted once.
    counted: Option<u64>,
    late: Counter,
    truncated: Counter,
}

impl std::fmt::Debug for DatadogLogsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No headers: they hold the API key.
        f.debug_struct("DatadogLogsSink")
            .field("uri", &self.uri)
            .field("compression", &self.compression)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// Events counted since the last report, reported at most once a minute.
#[derive(Debug, Default)]
struct Counter {
    pending: u64,
    total: u64,
    last_report: Option<Instant>,
}

impl Counter {
    /// Adds `n`; returns (since the last report, total) when a report is due.
    fn add(&mut self, n: u64) -> Option<(u64, u64)> {
        self.pending += n;
        self.total += n;
        let due = self.pending > 0
            && self
                .last_report
                .is_none_or(|at| at.elapsed() >= REPORT_EVERY);
        due.then(|| {
            self.last_report = Some(Instant::now());
            (std::mem::take(&mut self.pending), self.total)
        })
    }
}

impl DatadogLogsSink {
    /// Builds the client once: reads the TLS files and the system roots.
    pub fn new(config: &DatadogLogsSinkConfig) -> Result<DatadogLogsSink, SinkError> {
        let invalid = |reason: String| SinkError::HttpSetup { reason };
        let uri: Uri = config
            .intake_url()
            .parse()
            .map_err(|_| invalid("the datadog_logs endpoint is not a valid URL".into()))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("auditship/", env!("CARGO_PKG_VERSION"))),
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if config.compression == Compression::Gzip {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        let mut key = HeaderValue::from_str(config.api_key.expose())
            .map_err(|_| invalid("api_key is not a valid header value".into()))?;
        key.set_sensitive(true);
        headers.insert(HeaderName::from_static("dd-api-key"), key);
        let client = build_client(&uri, &config.tls, config.request_timeout)?;
        Ok(DatadogLogsSink {
            client,
            uri,
            headers,
            api_key: config.api_key.expose().to_string(),
            compression: config.compression,
            request_timeout: config.request_timeout,
            context: EncodeContext {
                service: config.service.clone(),
                tags: config.tags.clone(),
            },
            progress: None,
            counted: None,
            late: Counter::default(),
            truncated: Counter::default(),
        })
    }

    /// Sends one batch of event JSON lines. Ok only when Datadog accepted
    /// every log of it.
    pub async fn send(&mut self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let now = Utc::now();
        let logs: Vec<EncodedLog> = lines
            .iter()
            .map(|line| encode_log(line, &self.context, now))
            .collect();
        let batch = fingerprint(lines, &logs);
        if self.counted != Some(batch) {
            self.counted = Some(batch);
            self.report(&logs);
        }
        let skip = match self.progress {
            Some((id, accepted)) if id == batch => accepted,
            _ => 0,
        };
        let bytes: Vec<&[u8]> = logs[skip..].iter().map(|l| l.bytes.as_slice()).collect();
        let mut accepted = skip;
        for run in split_runs(&bytes) {
            let len = run.len();
            let outcome = self.post(body(&bytes[run], self.compression)).await;
            if let Err(error) = outcome {
                self.progress = (accepted > 0).then_some((batch, accepted));
                return Err(error);
            }
            accepted += len;
        }
        self.progress = None;
        Ok(())
    }

    fn report(&mut self, logs: &[EncodedLog]) {
        let late = logs.iter().filter(|l| l.late).count() as u64;
        if let Some((recent, total)) = self.late.add(late) {
            tracing::warn!(
                events = recent,
                total,
                "Events older than Datadog's 18-hour window are sent with the current time; their own time is in audit.original_time and they are tagged late:true."
            );
        }
        let truncated = logs.iter().filter(|l| l.truncated).count() as u64;
        if let Some((recent, total)) = self.truncated.add(truncated) {
            tracing::warn!(
                events = recent,
                total,
                "Events over Datadog's 1 MB per log were cut to fit; they are flagged audit.truncated and tagged truncated:true."
            );
        }
    }

    /// One request, bounded by `request_timeout`.
    async fn post(&self, body: Bytes) -> Result<(), DeliveryError> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = Method::POST;
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
        let body = read_prefix(response.into_body(), READ_BODY_BYTES)
            .await
            .unwrap_or_default();
        match classify_response(status, retry_after, &body) {
            Err(DeliveryError::Permanent { status, body }) => Err(DeliveryError::Permanent {
                status,
                body: self.redact(body),
            }),
            Err(DeliveryError::Retryable {
                reason,
                retry_after,
            }) => Err(DeliveryError::Retryable {
                reason: self.redact(reason),
                retry_after,
            }),
            other => other,
        }
    }
}

impl DatadogLogsSink {
    /// A sibling for a concurrent delivery slot: the same client (and so
    /// connection pool) and settings, its own per-batch progress and
    /// counters.
    pub fn fork(&self) -> DatadogLogsSink {
        DatadogLogsSink {
            client: self.client.clone(),
            uri: self.uri.clone(),
            headers: self.headers.clone(),
            api_key: self.api_key.clone(),
            compression: self.compression,
            request_timeout: self.request_timeout,
            context: self.context.clone(),
            progress: None,
            counted: None,
            late: Counter::default(),
            truncated: Counter::default(),
        }
    }

    fn redact(&self, text: String) -> String {
        if self.api_key.is_empty() || !text.contains(self.api_key.as_str()) {
            return text;
        }
        text.replace(self.api_key.as_str(), "<redacted>")
    }
}

/// Identifies a batch across the runner's retries.
fn fingerprint(lines: &[&[u8]], logs: &[EncodedLog]) -> u64 {
    let mut hasher = DefaultHasher::new();
    lines.len().hash(&mut hasher);
    logs.first().and_then(|l| l.seq).hash(&mut hasher);
    logs.last().and_then(|l| l.seq).hash(&mut hasher);
    lines.hash(&mut hasher);
    hasher.finish()
}
