//! `splunk_hec` sink: batches of events sent to Splunk's HTTP Event
//! Collector (`[sinks.ID] type = "splunk_hec"`), as HEC JSON envelopes to
//! `POST /services/collector/event` with `Authorization: Splunk TOKEN`.
//!
//! One role per file: `encoder` maps events to HEC envelopes and splits a
//! batch into request bodies (pure); `client` makes one bounded POST with
//! the sink's headers; `response` reads HEC's answers into a
//! [`DeliveryError`](crate::sinks::DeliveryError) (pure); `ack` owns the
//! channel and polls indexer acknowledgements; `sink` sends a batch.
//!
//! Invariants: the sink never retries a batch on its own (the runner does,
//! from the error variant); with `ack = true` a batch is `Ok` only once
//! every request's `ackId` is acknowledged; the token never appears in an
//! error, a log line or `Debug` output.

mod ack;
mod client;
mod encoder;
mod response;
mod sink;

pub use encoder::{epoch_seconds, HecEnvelope, HecRequest};
pub use response::{classify_event_response, HecReply};
pub use sink::SplunkHecSink;
