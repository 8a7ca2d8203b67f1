//! Inline alert rules (`[alerts.ID]`) and their notification channels
//! (`[channels.ID]`): every normalized event is checked against the rules
//! right after parsing; a rule that fires becomes a notification written to
//! a durable outbox and delivered from there, in order per channel, with
//! retries, until delivered or too old.
//!
//! Flow, one role per file:
//!
//! ```text
//! parse worker ── RuleSet::evaluate (expr, event_fields, template) ──► RuleHit
//!     │ (after the event is journaled; try_send: a full queue is counted, never waited on)
//!     ▼
//! AlertService task ── AlertEngine (threshold windows, cooldown, digest) ──► Notification
//!     │   (schedule: business hours pick `channels` or `off_hours_channels`)
//!     ├─► Outbox::append (data_dir/outbox, a second Journal) ─► one delivery loop per channel
//!     │        (rate limit → sender::send: HTTP POST or SMTP → back-off; cursor commit)
//!     └─► an `alert.fire` audit event appended to the main journal
//! ```
//!
//! Invariant: nothing here waits on ingestion, and ingestion never waits on
//! anything here. Invariant: a notification is durable in the outbox before
//! its first delivery attempt; delivery is at least once (a crash between a
//! 2xx and the cursor commit repeats it; receivers dedup on `dedup_key`).

pub mod channels;
pub mod delivery;
pub mod digest;
pub mod engine;
pub mod event_fields;
pub mod expr;
mod fast_path;
pub mod notification;
mod outbox;
mod recorder;
pub mod rule;
pub mod schedule;
mod sender;
mod service;
mod smtp;
pub mod stats;
pub mod template;
pub mod timezone;
pub mod window;

#[cfg(test)]
mod digest_tests;
#[cfg(test)]
mod fast_path_tests;
#[cfg(test)]
mod schedule_tests;
#[cfg(test)]
mod semantics_tests;

pub use rule::{RuleHit, RuleSet};
pub use service::{AlertService, AlertTap};
