//! auditship — a log-shipping agent for audit trails.
//!
//! An event flows: `sources` (bytes + where they came from) → `formats`
//! (parse and normalize to [`event::AuditEvent`]) → `journal` (durable,
//! bounded, crash-safe; assigns `agent.seq`) → one cursor per sink →
//! `sinks` (encode, write, advance the cursor). `pipeline` wires them from
//! the validated `config`; `shutdown` is the one cancellation signal;
//! `status` reads the state a running (or stopped) agent left on disk and
//! `live_status` asks a running one through its admin endpoint.
//!
//! See `ARCHITECTURE.md` for the code map and the invariants.

#![forbid(unsafe_code)]

pub mod admin;
pub mod alerts;
pub mod buffer_pool;
pub mod chain;
pub mod config;
pub mod event;
pub mod event_filter;
pub mod formats;
pub mod journal;
pub mod json_bytes;
pub mod live_status;
pub mod pipeline;
pub mod shutdown;
pub mod sinks;
pub mod sources;
pub mod status;
pub mod systemd_notify;
