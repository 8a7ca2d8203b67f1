//! `http` sink: batches of events sent as one HTTP request each, to any
//! collector that takes NDJSON or a JSON array (`[sinks.ID] type = "http"`).
//!
//! One role per file: `client` builds the hyper client once (TLS, roots,
//! client certificate, keep-alive pool); `encoder` turns a batch into a
//! request body (pure); `sink` sends one batch and classifies the outcome
//! into a [`DeliveryError`] the runner acts on.
//!
//! Invariants: the sink never retries on its own (the runner does, from the
//! [`DeliveryError`] variant); TLS certificates are verified unless
//! `tls.insecure_skip_verify = true` was written; header values (tokens)
//! never appear in errors or logs.

pub(crate) mod client;
mod encoder;
pub(crate) mod proxy;
#[cfg(test)]
mod proxy_tests;
mod sink;

pub use encoder::{encode_body, EncodedBody};
pub use sink::{classify_response, parse_retry_after, DeliveryError, HttpSink};
pub(crate) use sink::{error_chain, read_prefix};
