//! Publishes one batch and waits for every acknowledgement.
//!
//! The connection is shared by every slot of the sink (`concurrency`):
//! opened at the first batch, with the stream of `create_stream` ensured
//! then, and kept (the client reconnects by itself). A batch is published
//! pipelined — every message sent without waiting — then each PubAck is
//! awaited, all within one `request_timeout`; the batch is `Ok` only when
//! every event was acknowledged (stored, or recognised as a repeat by its
//! `Nats-Msg-Id`). See `failure` for what each error becomes.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, Context};
use bytes::Bytes;
use tokio::sync::Mutex;

use super::connect::Connector;
use super::failure::{connect_failure, publish_failure, scrub};
use super::fields::KeptFields;
use super::stream::ensure_stream;
use super::subject::SubjectTemplate;
use crate::config::{NatsAuth, NatsSinkConfig, NatsStreamConfig};
use crate::sinks::{DeliveryError, SinkError};

/// What every slot of one sink shares.
struct Shared {
    connector: Connector,
    subject: SubjectTemplate,
    /// `id` and the template's fields: all an event is read for.
    kept: KeptFields,
    create_stream: Option<NatsStreamConfig>,
    request_timeout: Duration,
    /// Most acknowledgements pending at once over all slots.
    max_pending: usize,
    /// Configured secrets, scrubbed from every message.
    secrets: Vec<String>,
    context: Mutex<Option<Context>>,
}

/// A running `nats` sink (one slot).
#[derive(Clone)]
pub struct NatsSink {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for NatsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No URLs: they may hold a password.
        f.debug_struct("NatsSink")
            .field("subject", &self.shared.subject.to_string())
            .finish_non_exhaustive()
    }
}

impl NatsSink {
    /// Checks the servers and reads the TLS and credentials files; connects
    /// on the first batch. `max_in_flight` is the most events the runner
    /// has out at once (batch size × concurrency).
    pub fn new(
        sink_id: &str,
        config: &NatsSinkConfig,
        max_in_flight: usize,
    ) -> Result<NatsSink, SinkError> {
        let mut secrets: Vec<String> = config
            .urls
            .iter()
            .filter_map(|url| url.expose().parse::<async_nats::ServerAddr>().ok())
            .filter_map(|url| url.password().map(str::to_string))
            .collect();
        match &config.auth {
            Some(NatsAuth::UserPassword { password, .. }) => secrets.push(password.expose().into()),
            Some(NatsAuth::Token(token)) => secrets.push(token.expose().into()),
            Some(NatsAuth::Nkey(seed)) => secrets.push(seed.expose().into()),
            _ => {}
        }
        Ok(NatsSink {
            shared: Arc::new(Shared {
                connector: Connector::new(sink_id, config)?,
                subject: config.subject.clone(),
                kept: KeptFields::new(config.subject.field_paths()),
                create_stream: config.create_stream.clone(),
                request_timeout: config.request_timeout,
                // Room for the batches in flight and as many abandoned
                // after a timeout, whose acks the client still tracks.
                max_pending: max_in_flight.saturating_mul(2).max(10_000),
                secrets,
                context: Mutex::new(None),
            }),
        })
    }

    /// Publishes `lines` (event JSON), one message each. Ok once all are
    /// acknowledged.
    pub async fn send(&self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let shared = &self.shared;
        let result = async {
            let context = self.context().await?;
            let deadline = tokio::time::Instant::now() + shared.request_timeout;
            tokio::time::timeout_at(deadline, self.publish_all(&context, lines))
                .await
                .unwrap_or_else(|_| {
                    Err(publish_failure(
                        &jetstream::context::PublishError::new(
                            jetstream::context::PublishErrorKind::TimedOut,
                        ),
                        "",
                        shared.request_timeout,
                    ))
                })
        }
        .await;
        result.map_err(|error| scrub(error, &shared.secrets))
    }

    async fn publish_all(&self, context: &Context, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let shared = &self.shared;
        let mut pending: Vec<(PublishAckFuture, String)> = Vec::with_capacity(lines.len());
        for (index, line) in lines.iter().enumerate() {
            let (subject, id) = self.address(index, line)?;
            let message = PublishMessage::build()
                .payload(Bytes::copy_from_slice(line))
                .message_id(id);
            let ack = context
                .send_publish(subject.clone(), message)
                .await
                .map_err(|error| publish_failure(&error, &subject, shared.request_timeout))?;
            pending.push((ack, subject));
        }
        let mut repeated = 0usize;
        for (ack, subject) in pending {
            let ack = ack
                .await
                .map_err(|error| publish_failure(&error, &subject, shared.request_timeout))?;
            repeated += usize::from(ack.duplicate);
        }
        if repeated > 0 {
            tracing::debug!(
                repeated,
                "Events the stream already held were dropped as repeats."
            );
        }
        Ok(())
    }

    /// The subject and message id of one event.
    fn address(&self, index: usize, line: &[u8]) -> Result<(String, String), DeliveryError> {
        let refuse = |reason: &str| DeliveryError::Permanent {
            status: 0,
            body: format!("event {} of the batch {reason}", index + 1),
        };
        let event = (self.shared.kept)
            .read(line)
            .map_err(|_| refuse("is not JSON"))?;
        let id = match event.get("id") {
            Some(serde_json::Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return Err(refuse("has no \"id\" to use as Nats-Msg-Id")),
        };
        Ok((self.shared.subject.render(&event), id))
    }

    /// The shared JetStream context, connecting (and ensuring the stream)
    /// first when there is none yet.
    async fn context(&self) -> Result<Context, DeliveryError> {
        let shared = &self.shared;
        let mut slot = shared.context.lock().await;
        if let Some(context) = slot.as_ref() {
            return Ok(context.clone());
        }
        let client = shared
            .connector
            .connect()
            .await
            .map_err(|error| connect_failure(&error))?;
        let context = jetstream::context::ContextBuilder::new()
            .timeout(shared.request_timeout)
            .ack_timeout(shared.request_timeout)
            .max_ack_inflight(shared.max_pending)
            .build(client);
        if let Some(stream) = &shared.create_stream {
            ensure_stream(&context, stream)
                .await
                .map_err(|reason| DeliveryError::Retryable {
                    reason,
                    retry_after: None,
                })?;
        }
        *slot = Some(context.clone());
        Ok(context)
    }
}
