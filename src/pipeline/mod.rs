//! Wiring: builds every component from the validated configuration, runs
//! them, and shuts them down in order (sources first, then sinks drain,
//! then the journal closes).
//!
//! Invariant: no format or protocol logic lives here — only plumbing,
//! ordering and acknowledgement.

mod agent;
mod auditd_grouping;
mod backfill;
mod backfill_progress;
pub(crate) mod backoff;
mod batch_delivery;
mod checkpointer;
mod config_watch;
mod data_dir;
mod dead_letter;
pub mod encoded_event;
mod entry_source;
mod event_rate;
mod file_source;
mod in_order_commits;
pub mod journal_record;
mod journaled_positions;
mod refused_events;
mod reload;
mod reloader;
mod running_components;
pub mod signing_key;
mod sink_runner;
mod sink_stats;
mod socket_source;
mod source_task;
mod stats;
mod summary_log;

pub use agent::{run, RunOptions, RunReport};
pub use backoff::Backoff;
pub use config_watch::{watch_config_file, WATCH_INTERVAL};
pub use encoded_event::EncodedEvent;
pub use in_order_commits::{BatchTicket, InOrderCommits};
pub use reloader::{ReloadCause, ReloadRequests};
pub use sink_stats::{LatencySnapshot, SinkStats, SinkStatsSnapshot, LATENCY_BUCKETS_MS};
pub use stats::{PipelineStats, StatsSnapshot};

/// Why the agent could not start (or had to stop). Each message names the
/// component and what the operator can do.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(
        "cannot create data directory {path}: {source} (set data_dir to a writable directory)"
    )]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "data directory {path} is writable by group or others (mode {mode:04o}): anyone who can write there can delete or replace journal segments, cursors and the signing key; run `chmod 700 {path}` (as its owner) and start again"
    )]
    DataDirWritableByOthers { path: String, mode: u32 },
    #[error("{0}")]
    SigningKey(#[from] signing_key::SigningKeyError),
    #[error("journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
    #[error("source {id:?}: {reason}")]
    Source { id: String, reason: String },
    #[error("sink {id:?}: {reason}")]
    Sink { id: String, reason: String },
    #[error("{reason}")]
    Admin { reason: String },
    #[error("alerts: {reason}")]
    Alerts { reason: String },
}
