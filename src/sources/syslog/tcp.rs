//! Syslog over TCP (RFC 6587) and TLS (RFC 5425): one task per connection,
//! at most `max_connections` at once (more wait in the listen backlog).
//! Each connection's framing — octet counting or LF — is detected from its
//! first byte (see `framing`), so both kinds of senders share one port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::config::SyslogSourceConfig;
use crate::shutdown::Shutdown;
use crate::sources::ingest::{network_peer, Ingest};
use crate::sources::log_limit::LogLimit;
use crate::sources::stream::{read_frames, StreamEnd};

/// Longest TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound TCP or TLS syslog listener.
pub struct SyslogTcp {
    pub(super) id: Arc<str>,
    pub(super) listener: TcpListener,
    pub(super) tls: Option<TlsAcceptor>,
    pub(super) max_frame: usize,
    pub(super) max_connections: usize,
    pub(super) idle_timeout: Duration,
}

impl SyslogTcp {
    pub fn bind(id: &str, config: &SyslogSourceConfig) -> Result<SyslogTcp, String> {
        let tls = match &config.tls {
            Some(tls) => Some(crate::sources::tls::acceptor(tls, &[])?),
            None => None,
        };
        Ok(SyslogTcp {
            id: Arc::from(id),
            listener: crate::sources::bind::tcp(config.address)?,
            tls,
            max_frame: config.common.max_frame_bytes,
            max_connections: config.common.max_connections,
            idle_timeout: config.common.idle_timeout,
        })
    }

    pub async fn run(self, ingest: Ingest, mut shutdown: Shutdown) {
        let limit = Arc::new(Semaphore::new(self.max_connections));
        let refusals = Arc::new(LogLimit::default());
        tracing::info!(source = %self.id, address = %self.listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), tls = self.tls.is_some(), "Syslog source listening.");
        loop {
            let permit = tokio::select! {
                _ = shutdown.recv() => break,
                permit = limit.clone().acquire_owned() => permit.expect("never closed"),
            };
            let (stream, addr) = tokio::select! {
                _ = shutdown.recv() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(source = %self.id, %error, "Could not accept a connection.");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let connection = Connection {
                id: self.id.clone(),
                tls: self.tls.clone(),
                refusals: refusals.clone(),
                max_frame: self.max_frame,
                idle: self.idle_timeout,
            };
            let (ingest, shutdown) = (ingest.clone(), shutdown.clone());
            tokio::spawn(async move {
                connection.serve(stream, addr, ingest, shutdown).await;
                drop(permit);
            });
        }
    }
}

/// What one connection task needs.
struct Connection {
    id: Arc<str>,
    tls: Option<TlsAcceptor>,
    refusals: Arc<LogLimit>,
    max_frame: usize,
    idle: Duration,
}

impl Connection {
    async fn serve(
        self,
        stream: TcpStream,
        addr: SocketAddr,
        ingest: Ingest,
        mut shutdown: Shutdown,
    ) {
        let (id, peer) = (&self.id, network_peer(addr));
        let (max_frame, idle) = (self.max_frame, self.idle);
        let end = match self.tls {
            None => read_frames(stream, max_frame, idle, &ingest, peer, &mut shutdown).await,
            Some(acceptor) => {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        read_frames(stream, max_frame, idle, &ingest, peer, &mut shutdown).await
                    }
                    // Connected and left without a word: a port probe.
                    Ok(Err(error)) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
                        Ok(StreamEnd::Closed)
                    }
                    Ok(Err(error)) => {
                        // A peer without an acceptable certificate (client_ca) or
                        // speaking something else than TLS: refused, counted.
                        ingest.record_refused();
                        if let Some(suppressed) = self.refusals.check() {
                            tracing::warn!(source = %id, %addr, %error, earlier_warnings_suppressed = suppressed, "TLS handshake failed; nothing was read from this peer.");
                        }
                        Ok(StreamEnd::Closed)
                    }
                    Err(_) => Ok(StreamEnd::Idle),
                }
            }
        };
        match end {
            Ok(end) => tracing::debug!(source = %id, %addr, ?end, "Syslog connection ended."),
            Err(error) => tracing::debug!(source = %id, %addr, %error, "Syslog connection failed."),
        }
    }
}
