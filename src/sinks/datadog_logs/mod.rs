//! `datadog_logs` sink: events sent to the Datadog Logs HTTP intake v2
//! (`POST https://http-intake.logs.<site>/api/v2/logs`, `DD-API-KEY`,
//! a JSON array of logs, gzip by default).
//!
//! One role per file: `encoder` maps one event to one Datadog log
//! (reserved and standard attributes, late and oversized events; pure);
//! `payload` splits logs into request bodies within Datadog's limits (1000
//! logs, 5 MB uncompressed) and compresses them (pure); `sink` sends the
//! requests of one batch and classifies the answers into the
//! [`DeliveryError`](crate::sinks::DeliveryError) the runner acts on. The
//! hyper client is the `http` sink's (`http::client`).
//!
//! Invariants: no event is dropped (late ones are re-timed and tagged,
//! oversized ones cut and flagged); the sink never retries on its own; the
//! API key never appears in errors, logs or `auditship validate`.

mod encoder;
mod payload;
mod sink;
#[cfg(test)]
mod tests;

pub use encoder::{encode_log, sentence, EncodeContext, EncodedLog, LATE_AFTER, MAX_LOG_BYTES};
pub use payload::{MAX_LOGS_PER_REQUEST, MAX_PAYLOAD_BYTES};
pub use sink::DatadogLogsSink;
