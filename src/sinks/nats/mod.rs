//! `nats` sink: every event published to NATS JetStream, one message each
//! (`[sinks.ID] type = "nats"`), with the `async-nats` client.
//!
//! One role per file: `subject` renders the subject template (pure);
//! `fields` reads from an event only `id` and the template's fields (pure);
//! `connect` turns the configuration into client options (servers,
//! credentials, TLS) and connects; `stream` creates or updates the
//! stream of `create_stream`; `sink` publishes a batch and waits for its
//! acknowledgements, which `acks` matches to the events (pure); `failure`
//! says what a client error or a refusal means for the batch.
//!
//! Invariants: a batch is `Ok` only when JetStream acknowledged (PubAck)
//! every one of its events, so the cursor never passes an event the stream
//! does not hold; every message carries `Nats-Msg-Id` = the event's `id`,
//! so a batch sent again (after a timeout, a leader change, a crash of the
//! agent) is dropped by the stream's duplicate window instead of stored
//! twice; no URL, password, token or seed appears in errors or logs.

mod acks;
mod connect;
mod failure;
mod fields;
mod sink;
mod stream;
mod subject;

pub use sink::NatsSink;
pub use subject::{SubjectTemplate, PLACEHOLDER};
