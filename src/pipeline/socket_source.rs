//! Runs one socket source (`unix`, `syslog`, `http`): its listener (from
//! `sources/`) and its entry appender (`entry_source`), joined by the
//! bounded channel behind [`Ingest`].
//!
//! The listener is bound when the task is built, so a taken port or a live
//! socket file refuses the start before anything runs. At shutdown the
//! listener stops accepting, connections finish what they read, and the
//! appender ends when the last sender is gone — after every entry it took
//! is durable (or the journal refused it).

use std::sync::Arc;

use tokio::sync::mpsc;

use super::entry_source::{run_entry_appender, EntryOrigin};
use super::stats::PipelineStats;
use super::PipelineError;
use crate::config::{SocketCommon, SourceKind, SyslogProtocol, UnixMode};
use crate::event::OriginKind;
use crate::formats::Parser;
use crate::journal::Journal;
use crate::shutdown::Shutdown;
use crate::sources::http::HttpSource;
use crate::sources::ingest::{FrameBatch, Ingest, IngestHooks};
use crate::sources::syslog::{SyslogTcp, SyslogUdp};
use crate::sources::unix::{UnixDatagramSource, UnixStreamSource};

/// Batches waiting for the appender: small, so a full journal reaches the
/// senders quickly, yet enough for many connections' concurrent batches.
const INGEST_QUEUE: usize = 256;

enum Listener {
    Http(HttpSource),
    SyslogTcp(SyslogTcp),
    SyslogUdp(SyslogUdp),
    UnixStream(UnixStreamSource),
    UnixDatagram(UnixDatagramSource),
}

/// A built, bound, not yet running socket source.
pub struct SocketSourceTask {
    listener: Listener,
    origin: EntryOrigin,
    parser: Arc<Parser>,
}

impl SocketSourceTask {
    /// Evaluates alert rules on every event this source parses.
    pub fn set_alerts(&mut self, alerts: Option<crate::alerts::AlertTap>) {
        self.origin.alerts = alerts;
    }

    /// Binds the listener of `kind` (not `file`).
    pub fn build(
        id: &str,
        kind: &SourceKind,
        host: &str,
    ) -> Result<SocketSourceTask, PipelineError> {
        let error = |reason: String| PipelineError::Source {
            id: id.to_string(),
            reason,
        };
        let (listener, origin_kind, path, common): (Listener, OriginKind, String, &SocketCommon) =
            match kind {
                SourceKind::Http(http) => (
                    Listener::Http(HttpSource::bind(id, http).map_err(error)?),
                    OriginKind::Http,
                    http.address.to_string(),
                    &http.common,
                ),
                SourceKind::Syslog(syslog) => (
                    match syslog.protocol {
                        SyslogProtocol::Udp => {
                            Listener::SyslogUdp(SyslogUdp::bind(id, syslog).map_err(error)?)
                        }
                        SyslogProtocol::Tcp | SyslogProtocol::Tls => {
                            Listener::SyslogTcp(SyslogTcp::bind(id, syslog).map_err(error)?)
                        }
                    },
                    OriginKind::Syslog,
                    syslog.address.to_string(),
                    &syslog.common,
                ),
                SourceKind::Unix(unix) => (
                    match unix.mode {
                        UnixMode::Stream => {
                            Listener::UnixStream(UnixStreamSource::bind(id, unix).map_err(error)?)
                        }
                        UnixMode::Datagram => Listener::UnixDatagram(
                            UnixDatagramSource::bind(id, unix).map_err(error)?,
                        ),
                    },
                    OriginKind::Unix,
                    unix.path.display().to_string(),
                    &unix.common,
                ),
                SourceKind::File(_) => {
                    return Err(error("a file source is not a socket source".into()))
                }
            };
        let parser = Parser::from_config(&common.format, common.keep_raw)
            .map_err(|e| error(e.to_string()))?;
        Ok(SocketSourceTask {
            listener,
            origin: EntryOrigin {
                source_id: Arc::from(id),
                kind: origin_kind,
                path: Arc::from(path),
                host: Arc::from(host),
                alerts: None,
            },
            parser: Arc::new(parser),
        })
    }

    /// Serves until `shutdown`, then drains into the journal.
    pub async fn run(self, journal: Journal, stats: PipelineStats, shutdown: Shutdown) {
        let (tx, rx) = mpsc::channel::<FrameBatch>(INGEST_QUEUE);
        let hooks = Arc::new(Hooks {
            journal: journal.clone(),
            stats: stats.clone(),
        });
        let ingest = Ingest::new(tx, hooks);
        let appender = tokio::spawn(run_entry_appender(
            self.origin,
            self.parser,
            rx,
            journal,
            stats,
        ));
        match self.listener {
            Listener::Http(source) => source.run(ingest, shutdown).await,
            Listener::SyslogTcp(source) => source.run(ingest, shutdown).await,
            Listener::SyslogUdp(source) => source.run(ingest, shutdown).await,
            Listener::UnixStream(source) => source.run(ingest, shutdown).await,
            Listener::UnixDatagram(source) => source.run(ingest, shutdown).await,
        }
        let _ = appender.await;
    }
}

/// The pipeline's side of [`IngestHooks`].
struct Hooks {
    journal: Journal,
    stats: PipelineStats,
}

impl IngestHooks for Hooks {
    fn journal_full(&self) -> bool {
        self.journal.stats().full
    }

    fn refused(&self, count: u64) {
        self.stats.record_refused(count);
    }

    fn dropped(&self, count: u64) {
        self.stats.record_dropped(count);
    }
}
