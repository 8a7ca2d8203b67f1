//! `http` source: `POST /v1/events` with NDJSON or a JSON array, optionally
//! gzip-compressed, over HTTP/1.1 or HTTPS (mutual TLS with `client_ca`).
//!
//! One role per file: `server` accepts connections; `handler` answers
//! each request;
//! `body` turns a body into entries (pure); `forwarded` reads the events
//! another agent forwards (`http` sink `encoding = "auditship"`), which are
//! kept as they are; `auth` checks the bearer token in constant time.
//!
//! Invariant: a 200 is sent only after every event of the request is
//! durable in the journal; a request is stored whole or not at all.

mod auth;
mod body;
mod forwarded;
mod handler;
mod server;

pub use handler::ACK_TIMEOUT;
pub use server::HttpSource;
