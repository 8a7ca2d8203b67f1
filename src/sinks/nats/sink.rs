//! Publishes one batch and waits for every acknowledgement.
//!
//! Every slot of the sink (`concurrency`) has a connection of its own:
//! opened at its first batch (the stream of `create_stream` ensured once,
//! by the first), and kept (the client reconnects by itself). Why not one
//! shared connection: the server reads a connection on one thread, so one
//! connection capped a local JetStream server at one core while the other
//! waited (≈ 97,000 events/s; one per slot ≈ 105,000, `bench/sink-throughput`). A batch subscribes to
//! an inbox of its own, publishes every event pipelined — sent without
//! waiting, with the reply subject `<inbox>.<index>` — while reading the
//! PubAcks off that one subscription in whatever order they come (see
//! `acks`), all within one `request_timeout`; the batch is `Ok` only when
//! every event was acknowledged (stored, or recognised as a repeat by its
//! `Nats-Msg-Id`). See `failure` for what each error becomes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::header::NATS_MESSAGE_ID;
use async_nats::jetstream;
use async_nats::{Client, HeaderMap, Subject, Subscriber};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::{Mutex, OnceCell};

use super::acks::BatchAcks;
use super::connect::Connector;
use super::failure::{connect_failure, publish_failure, refusal_failure, scrub, timed_out};
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
    /// Configured secrets, scrubbed from every message.
    secrets: Vec<String>,
    /// One connection per slot, opened at the slot's first batch.
    clients: Vec<Mutex<Option<Client>>>,
    /// The slot the next fork takes.
    next_slot: AtomicUsize,
    /// Set once `create_stream`'s stream is ensured, by whichever
    /// connection came first.
    stream_ready: OnceCell<()>,
}

/// A running `nats` sink (one slot).
pub struct NatsSink {
    shared: Arc<Shared>,
    /// Which of `Shared::clients` this slot publishes on.
    slot: usize,
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
    /// Checks the servers and reads the TLS and credentials files; each
    /// slot connects at its first batch. `batch_events` is the most events
    /// of one batch (what a connection's acknowledgement subscription must
    /// hold), `slots` the batches in flight at once (`concurrency`).
    pub fn new(
        sink_id: &str,
        config: &NatsSinkConfig,
        batch_events: usize,
        slots: usize,
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
                connector: Connector::new(sink_id, config, batch_events)?,
                subject: config.subject.clone(),
                kept: KeptFields::new(config.subject.field_paths()),
                create_stream: config.create_stream.clone(),
                request_timeout: config.request_timeout,
                secrets,
                clients: (0..slots.max(1)).map(|_| Mutex::new(None)).collect(),
                next_slot: AtomicUsize::new(1),
                stream_ready: OnceCell::new(),
            }),
            slot: 0,
        })
    }

    /// Another slot, on the next connection (round robin: the runner forks
    /// one handle per batch in flight).
    pub fn fork(&self) -> NatsSink {
        let shared = Arc::clone(&self.shared);
        let slot = shared.next_slot.fetch_add(1, Ordering::Relaxed) % shared.clients.len();
        NatsSink { shared, slot }
    }

    /// Publishes `lines` (event JSON), one message each. Ok once all are
    /// acknowledged.
    pub async fn send(&self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let shared = &self.shared;
        let result = async {
            let client = self.client().await?;
            let deadline = tokio::time::Instant::now() + shared.request_timeout;
            tokio::time::timeout_at(deadline, self.publish_all(&client, lines))
                .await
                .unwrap_or_else(|_| Err(timed_out(shared.request_timeout)))
        }
        .await;
        result.map_err(|error| scrub(error, &shared.secrets))
    }

    /// Publishes every event and collects the acknowledgements at the same
    /// time, so that they do not pile up in the subscription.
    async fn publish_all(&self, client: &Client, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let inbox = client.new_inbox();
        // Dropped (unsubscribed) when the batch ends, however it ends:
        // late answers to an abandoned batch go nowhere.
        let answers = client
            .subscribe(format!("{inbox}.*"))
            .await
            .map_err(|error| DeliveryError::Retryable {
                reason: format!(
                    "cannot subscribe to the acknowledgements' inbox ({error}); reconnecting"
                ),
                retry_after: None,
            })?;
        let publish = async {
            for (index, line) in lines.iter().enumerate() {
                let (subject, id) = self.address(index, line)?;
                // Cheap to clone (shared bytes), kept for an error message.
                let subject = Subject::from(subject);
                let mut headers = HeaderMap::new();
                headers.insert(NATS_MESSAGE_ID, id.as_str());
                client
                    .publish_with_reply_and_headers(
                        subject.clone(),
                        BatchAcks::reply_subject(&inbox, index),
                        headers,
                        Bytes::copy_from_slice(line),
                    )
                    .await
                    .map_err(|error| publish_failure(&error, &subject))?;
            }
            Ok::<(), DeliveryError>(())
        };
        // The first error ends both: a refused event ends the publishing,
        // an event that cannot be published the wait for answers.
        let ((), repeated) = tokio::try_join!(publish, self.collect(answers, lines))?;
        if repeated > 0 {
            tracing::debug!(
                repeated,
                "Events the stream already held were dropped as repeats."
            );
        }
        Ok(())
    }

    /// Reads answers until every event of `lines` is acknowledged; the
    /// number of repeats. Ends early, with the error, at a refusal.
    async fn collect(
        &self,
        mut answers: Subscriber,
        lines: &[&[u8]],
    ) -> Result<usize, DeliveryError> {
        let mut acks = BatchAcks::new(lines.len());
        while !acks.is_complete() {
            let Some(answer) = answers.next().await else {
                return Err(DeliveryError::Retryable {
                    reason:
                        "the connection to NATS was lost before the acknowledgement; reconnecting"
                            .into(),
                    retry_after: None,
                });
            };
            if let Err(refusal) = acks.record(&answer.subject, answer.status, &answer.payload) {
                // Rendered again: only a refusal needs it.
                let subject = self
                    .address(refusal.index(), lines[refusal.index()])
                    .map(|(subject, _)| subject)
                    .unwrap_or_default();
                return Err(refusal_failure(&refusal, &subject));
            }
        }
        Ok(acks.repeated())
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

    /// This slot's client, connecting (and ensuring the stream, once per
    /// sink) first when there is none yet.
    async fn client(&self) -> Result<Client, DeliveryError> {
        let shared = &self.shared;
        let mut slot = shared.clients[self.slot].lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let client = shared
            .connector
            .connect(self.slot + 1)
            .await
            .map_err(|error| connect_failure(&error))?;
        if let Some(stream) = &shared.create_stream {
            shared
                .stream_ready
                .get_or_try_init(|| async {
                    let context = jetstream::context::ContextBuilder::new()
                        .timeout(shared.request_timeout)
                        .build(client.clone());
                    ensure_stream(&context, stream).await.map_err(|reason| {
                        DeliveryError::Retryable {
                            reason,
                            retry_after: None,
                        }
                    })
                })
                .await?;
        }
        *slot = Some(client.clone());
        Ok(client)
    }
}
