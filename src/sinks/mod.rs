//! Destinations. One module per destination's wire format; the pipeline's
//! sink runner owns the journal cursor, batching and retry, and hands each
//! sink a batch of event JSON lines to deliver.
//!
//! Invariant: a sink returns `Ok` only when the batch is durable at the
//! destination (written and fsynced for files, flushed for the console, a
//! 2xx for `http`), and never retries on its own: the runner decides when
//! to try again.

pub mod compress;
pub mod console;
pub mod datadog_logs;
pub mod elasticsearch;
pub mod event_text;
pub mod file;
pub mod gcp_logging;
pub mod http;
pub mod nats;
pub mod ocsf;
#[cfg(test)]
mod ocsf_tests;
pub mod postgres;
pub mod splunk_hec;
pub mod syslog;

use std::sync::Arc;

use crate::config::{SinkConfig, SinkKind};

pub use console::ConsoleSink;
pub use datadog_logs::DatadogLogsSink;
pub use elasticsearch::ElasticsearchSink;
pub use file::FileSink;
pub use gcp_logging::GcpLoggingSink;
pub use http::{classify_response, parse_retry_after, DeliveryError, HttpSink};
pub use nats::NatsSink;
pub use postgres::PostgresSink;
pub use splunk_hec::SplunkHecSink;
pub use syslog::SyslogSink;

/// Why a batch could not be delivered. Every variant is retried by the
/// runner after a back-off; the message says what the operator can fix.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot write {path}: {source} (check that the directory exists, is writable and the disk is not full)")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write to {stream}: {source}")]
    Console {
        stream: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid file sink path pattern {pattern:?}: {reason}")]
    Pattern { pattern: String, reason: String },
    #[error(
        "cannot use {key} {path}: {reason} (check the path and that the service user can read it)"
    )]
    TlsFile {
        /// The configuration key: `tls.ca`, `tls.cert` or `tls.key`.
        key: &'static str,
        path: String,
        reason: String,
    },
    #[error("cannot set up TLS: {reason}")]
    Tls { reason: String },
    #[error("cannot use the configured proxy: {reason}")]
    Proxy { reason: String },
    #[error("cannot set up the http sink: {reason}")]
    HttpSetup { reason: String },
    #[error("cannot set up the postgres sink: {reason}")]
    PostgresSetup { reason: String },
    #[error("cannot set up the nats sink: {reason}")]
    NatsSetup { reason: String },
    #[error("cannot set up the splunk_hec sink: {reason}")]
    SplunkHecSetup { reason: String },
    #[error("cannot use the credentials file {path}: it {reason} (check the path, that the service user can read it, and that it is a service-account JSON key)")]
    GcpCredentials { path: String, reason: String },
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
}

/// A running destination. The set is closed, so an enum rather than a trait
/// object: a `match` shows every destination in one place.
#[derive(Debug)]
pub enum Sink {
    File(FileSink),
    Console(ConsoleSink),
    /// Shared (`send` takes `&self`): concurrent slots use one client, so
    /// one connection pool.
    Http(Arc<HttpSink>),
    /// Boxed: the client is large next to the other variants.
    SplunkHec(Box<SplunkHecSink>),
    /// Shared like `Http`, and so is its cached access token.
    GcpLogging(Arc<GcpLoggingSink>),
    /// Boxed like `Http`.
    DatadogLogs(Box<DatadogLogsSink>),
    /// Boxed like `Http`.
    Elasticsearch(Box<ElasticsearchSink>),
    /// Boxed like `Http`.
    Syslog(Box<SyslogSink>),
    /// One connection per slot; `fork` opens another.
    Postgres(Box<PostgresSink>),
    /// One connection per slot (`concurrency` of them), opened lazily;
    /// `fork` takes the next.
    Nats(NatsSink),
}

impl Sink {
    /// Builds the sink described by `config`.
    pub fn build(config: &SinkConfig) -> Result<Sink, SinkError> {
        Ok(match &config.kind {
            SinkKind::File(file) => Sink::File(FileSink::new(file)?),
            SinkKind::Console(console) => Sink::Console(ConsoleSink::new(console.stream)),
            SinkKind::Http(http) => Sink::Http(Arc::new(HttpSink::new(http)?)),
            SinkKind::SplunkHec(hec) => Sink::SplunkHec(Box::new(SplunkHecSink::new(hec)?)),
            SinkKind::GcpLogging(gcp) => Sink::GcpLogging(Arc::new(GcpLoggingSink::new(gcp)?)),
            SinkKind::DatadogLogs(datadog) => {
                Sink::DatadogLogs(Box::new(DatadogLogsSink::new(datadog)?))
            }
            SinkKind::Elasticsearch(es) => {
                Sink::Elasticsearch(Box::new(ElasticsearchSink::new(es)?))
            }
            SinkKind::Syslog(syslog) => Sink::Syslog(Box::new(SyslogSink::new(syslog)?)),
            SinkKind::Postgres(postgres) => Sink::Postgres(Box::new(PostgresSink::new(postgres)?)),
            SinkKind::Nats(nats) => Sink::Nats(NatsSink::new(
                &config.id,
                nats,
                config.batch.max_events.max(1),
                config.delivery.concurrency,
            )?),
        })
    }

    /// Another handle on the same destination, for one more batch in
    /// flight: it shares the connection pool (and the access token, the
    /// acknowledgement channel) and has its own per-batch state. `None` for
    /// local sinks, which write one batch at a time, in order.
    pub fn fork(&self) -> Option<Sink> {
        match self {
            Sink::File(_) | Sink::Console(_) => None,
            Sink::Http(http) => Some(Sink::Http(Arc::clone(http))),
            Sink::GcpLogging(gcp) => Some(Sink::GcpLogging(Arc::clone(gcp))),
            Sink::SplunkHec(hec) => Some(Sink::SplunkHec(Box::new(hec.fork()))),
            Sink::DatadogLogs(datadog) => Some(Sink::DatadogLogs(Box::new(datadog.fork()))),
            Sink::Elasticsearch(es) => Some(Sink::Elasticsearch(Box::new(es.fork()))),
            Sink::Postgres(postgres) => Some(Sink::Postgres(Box::new(postgres.fork()))),
            Sink::Nats(nats) => Some(Sink::Nats(nats.fork())),
            // One connection, one batch at a time: the receiver sees events
            // in order and at most one batch is in the TCP loss window.
            Sink::Syslog(_) => None,
        }
    }

    /// Sends `lines` to a network destination; `None` for local sinks
    /// (use [`Sink::write_batch`] on a blocking thread).
    pub async fn send(&mut self, lines: &[&[u8]]) -> Option<Result<(), DeliveryError>> {
        Some(match self {
            Sink::Http(http) => http.send(lines).await,
            Sink::SplunkHec(hec) => hec.send(lines).await,
            Sink::GcpLogging(gcp) => gcp.send(lines).await,
            Sink::DatadogLogs(datadog) => datadog.send(lines).await,
            Sink::Elasticsearch(es) => es.send(lines).await,
            Sink::Syslog(syslog) => syslog.send(lines).await,
            Sink::Postgres(postgres) => postgres.send(lines).await,
            Sink::Nats(nats) => nats.send(lines).await,
            Sink::File(_) | Sink::Console(_) => return None,
        })
    }

    /// The highest `agent.seq` the destination already holds, when the
    /// destination can tell (a file sink reads its last line). The runner
    /// skips records up to it after a crash.
    pub fn recover_position(&mut self) -> Result<Option<u64>, SinkError> {
        match self {
            Sink::File(sink) => sink.recover_position(),
            Sink::Console(_)
            | Sink::Http(_)
            | Sink::SplunkHec(_)
            | Sink::GcpLogging(_)
            | Sink::DatadogLogs(_)
            | Sink::Elasticsearch(_)
            | Sink::Syslog(_)
            | Sink::Postgres(_)
            | Sink::Nats(_) => Ok(None),
        }
    }

    /// Delivers `lines` (event JSON, no newline) durably, in order, to a
    /// local destination (file, console). Blocking: the runner calls it on a
    /// blocking thread. Network sinks are asynchronous and classify their
    /// failures; the runner awaits their `send` instead.
    pub fn write_batch(&mut self, lines: &[&[u8]]) -> Result<(), SinkError> {
        match self {
            Sink::File(sink) => sink.write_batch(lines),
            Sink::Console(sink) => sink.write_batch(lines),
            Sink::Http(_)
            | Sink::SplunkHec(_)
            | Sink::GcpLogging(_)
            | Sink::DatadogLogs(_)
            | Sink::Elasticsearch(_)
            | Sink::Syslog(_)
            | Sink::Postgres(_)
            | Sink::Nats(_) => Err(SinkError::HttpSetup {
                reason: "a network sink is sent with its async send(), not write_batch".into(),
            }),
        }
    }
}
