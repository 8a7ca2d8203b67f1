//! `gcp_logging` sink: batches written to Google Cloud Logging with
//! `POST /v2/entries:write` (`[sinks.ID] type = "gcp_logging"`).
//!
//! One role per file: `auth` gets and caches OAuth 2 access tokens (a
//! service-account key signs an RS256 JWT exchanged at the key's
//! `token_uri`, or the metadata server hands out the instance's token);
//! `encoder` maps events to `LogEntry` JSON and packs them into request
//! bodies under the API's size limits (pure); `sink` sends the requests and
//! classifies each answer into a [`DeliveryError`](crate::sinks::DeliveryError).
//!
//! Invariants: the sink never retries on its own; no token, key or
//! assertion appears in an error or a log; an event is never dropped — one
//! over the 256 KiB entry limit is sent truncated and flagged (see
//! `encoder`), one the API refuses is dead-lettered by the runner.

mod auth;
mod encoder;
mod sink;

pub use auth::{sign_jwt, ServiceAccountKey};
pub use encoder::{
    encode_entry, pack_requests, request_prefix, RequestBody, MAX_ENTRY_BYTES, MAX_REQUEST_BYTES,
};
pub use sink::GcpLoggingSink;
