//! The running `splunk_hec` sink: one batch → one or more POSTs to
//! `/services/collector/event` (split at `max_request_bytes`), then, with
//! `ack = true`, the wait for indexer acknowledgement.
//!
//! A batch is delivered (`Ok`) when every request was answered 2xx and,
//! with `ack = true`, every `ackId` came back true. Requests go one after
//! the other, in batch order.
//!
//! Partial progress: when a later request of a batch fails, the events of
//! the earlier ones are already in Splunk. Their `agent.seq`s are kept, and
//! when the runner sends the batch again they are left out, so a retry
//! does not index them twice. The set is emptied when a batch ends
//! (delivered or refused for good), so it never holds more than a batch.

use std::collections::HashSet;
use std::time::Instant;

use hyper::Uri;

use super::ack::{new_channel_id, wait_for_acks};
use super::client::HecClient;
use super::encoder::HecEnvelope;
use super::response::classify_event_response;
use crate::config::{Compression, SplunkHecSinkConfig};
use crate::sinks::http::client::build_client;
use crate::sinks::{DeliveryError, SinkError};

pub const EVENT_PATH: &str = "/services/collector/event";

pub struct SplunkHecSink {
    client: HecClient,
    envelope: HecEnvelope,
    ack: Option<AckSettings>,
    /// `agent.seq` of events of the current batch already in Splunk.
    delivered: HashSet<u64>,
    /// `ack = true` but the token answers without `ackId`: warned once.
    warned_no_ack_id: bool,
}

#[derive(Clone)]
struct AckSettings {
    timeout: std::time::Duration,
}

impl std::fmt::Debug for SplunkHecSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No headers and no token.
        f.debug_struct("SplunkHecSink")
            .field("endpoint", &self.client.base)
            .field("ack", &self.ack.is_some())
            .finish_non_exhaustive()
    }
}

impl SplunkHecSink {
    /// Builds the client once: reads the TLS files and the system roots,
    /// and makes the sink's acknowledgement channel.
    pub fn new(config: &SplunkHecSinkConfig) -> Result<SplunkHecSink, SinkError> {
        let invalid = |reason: &str| SinkError::SplunkHecSetup {
            reason: reason.into(),
        };
        let base = config.endpoint.trim_end_matches('/').to_string();
        let uri: Uri = base
            .parse()
            .map_err(|_| invalid("endpoint is not a valid URL"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(invalid("endpoint must be http:// or https:// with a host"));
        }
        let channel = config.ack.then(new_channel_id);
        let headers = HecClient::headers(config.token.expose(), channel.as_deref())
            .ok_or_else(|| invalid("the token is not a valid HTTP header value"))?;
        let client = HecClient {
            client: build_client(&uri, &config.tls, config.request_timeout)?,
            base,
            headers,
            token: config.token.expose().to_string(),
            request_timeout: config.request_timeout,
        };
        Ok(SplunkHecSink {
            client,
            envelope: HecEnvelope {
                source: config.source.clone(),
                sourcetype: config.sourcetype.clone(),
                index: config.index.clone(),
                host: config.host.clone(),
                compression: config.compression,
                max_request_bytes: config.max_request_bytes.max(1),
            },
            ack: config.ack.then_some(AckSettings {
                timeout: config.ack_timeout,
            }),
            delivered: HashSet::new(),
            warned_no_ack_id: false,
        })
    }

    /// A sibling for a concurrent delivery slot: the same client and
    /// acknowledgement channel (ack ids are unique per channel), its own
    /// per-batch progress.
    pub fn fork(&self) -> SplunkHecSink {
        SplunkHecSink {
            client: self.client.clone(),
            envelope: self.envelope.clone(),
            ack: self.ack.clone(),
            delivered: HashSet::new(),
            warned_no_ack_id: self.warned_no_ack_id,
        }
    }

    /// Sends one batch of event JSON lines. `Ok` only when all of it is in
    /// Splunk (indexed, with `ack = true`).
    pub async fn send(&mut self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let outcome = self.send_batch(lines).await;
        if !matches!(
            outcome,
            Err(DeliveryError::Retryable { .. } | DeliveryError::CredentialsRejected { .. })
        ) {
            // The batch is over: delivered, or dead-lettered by the runner.
            self.delivered.clear();
        }
        outcome
    }

    async fn send_batch(&mut self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let delivered = &self.delivered;
        let requests = self.envelope.encode(lines, |seq| delivered.contains(&seq));
        let gzip = self.envelope.compression == Compression::Gzip;
        // Posted, waiting for acknowledgement: ackId → seqs.
        let mut awaiting: Vec<(u64, Vec<u64>)> = Vec::new();
        let mut first_post = None;
        let mut failure = None;
        for request in requests {
            let posted_at = Instant::now();
            let answer = match self.client.post(EVENT_PATH, request.body, gzip).await {
                Ok(answer) => answer,
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            };
            match classify_event_response(answer.status, answer.retry_after, &answer.body) {
                Ok(Some(ack_id)) if self.ack.is_some() => {
                    first_post.get_or_insert(posted_at);
                    awaiting.push((ack_id, request.seqs));
                }
                Ok(_) => {
                    if self.ack.is_some() && !self.warned_no_ack_id {
                        self.warned_no_ack_id = true;
                        tracing::warn!(endpoint = %self.client.base, "ack = true, but Splunk answered without an ackId: indexer acknowledgement is off for this token. Events count as delivered when accepted.");
                    }
                    self.delivered.extend(request.seqs);
                }
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
        }
        // Even after a failure, wait for what was posted: acknowledged
        // events are then not sent again.
        if let (Some(ack), Some(posted_at)) = (&self.ack, first_post) {
            let mut pending: HashSet<u64> = awaiting.iter().map(|(id, _)| *id).collect();
            let waited = wait_for_acks(&self.client, &mut pending, posted_at, ack.timeout).await;
            for (id, seqs) in awaiting {
                if !pending.contains(&id) {
                    self.delivered.extend(seqs);
                }
            }
            if let Err(error) = waited {
                return Err(failure.unwrap_or(error));
            }
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
