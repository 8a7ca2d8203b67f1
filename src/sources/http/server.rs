//! The `http` source's server: the accept loop (connection limit, optional
//! TLS, handshake timeout) and one hyper HTTP/1.1 connection per peer,
//! shut down gracefully (the request in progress is answered) when the
//! agent stops. What each request gets is `handler`'s business.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use super::handler::{answer, Settings};
use crate::config::HttpSourceConfig;
use crate::shutdown::Shutdown;
use crate::sources::ingest::Ingest;

/// Longest TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bound, not yet serving, `http` source.
pub struct HttpSource {
    id: Arc<str>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    settings: Arc<Settings>,
    max_connections: usize,
}

impl HttpSource {
    /// Binds the address now, so a taken port refuses the start.
    pub fn bind(id: &str, config: &HttpSourceConfig) -> Result<HttpSource, String> {
        let listener = crate::sources::bind::tcp(config.address)?;
        let tls = match &config.tls {
            Some(tls) => Some(crate::sources::tls::acceptor(tls, &[b"http/1.1"])?),
            None => None,
        };
        Ok(HttpSource {
            id: Arc::from(id),
            listener,
            tls,
            settings: Arc::new(Settings {
                token: config.token.clone(),
                max_body_bytes: config.max_body_bytes,
                max_entry_bytes: config.common.max_frame_bytes,
                json_objects: matches!(
                    config.common.format,
                    crate::config::FormatConfig::Json { .. }
                ),
                idle_timeout: config.common.idle_timeout,
            }),
            max_connections: config.common.max_connections,
        })
    }

    /// Serves until `shutdown`; open connections finish their request.
    pub async fn run(self, ingest: Ingest, mut shutdown: Shutdown) {
        let limit = Arc::new(Semaphore::new(self.max_connections));
        let address = self
            .listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        tracing::info!(source = %self.id, %address, tls = self.tls.is_some(), "HTTP source listening.");
        loop {
            let permit = tokio::select! {
                _ = shutdown.recv() => break,
                permit = limit.clone().acquire_owned() => permit.expect("never closed"),
            };
            let (stream, peer) = tokio::select! {
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
            let _ = stream.set_nodelay(true);
            let (tls, settings, ingest, shutdown) = (
                self.tls.clone(),
                self.settings.clone(),
                ingest.clone(),
                shutdown.clone(),
            );
            tokio::spawn(async move {
                match tls {
                    None => serve(stream, peer, settings, ingest, shutdown).await,
                    Some(acceptor) => {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                        {
                            Ok(Ok(stream)) => serve(stream, peer, settings, ingest, shutdown).await,
                            Ok(Err(error)) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
                            }
                            Ok(Err(error)) => {
                                // No acceptable client certificate, or not TLS.
                                ingest.record_refused();
                                tracing::debug!(%peer, %error, "TLS handshake failed.");
                            }
                            Err(_) => tracing::debug!(%peer, "TLS handshake timed out."),
                        }
                    }
                }
                drop(permit);
            });
        }
    }
}

async fn serve<S>(
    stream: S,
    peer: SocketAddr,
    settings: Arc<Settings>,
    ingest: Ingest,
    mut shutdown: Shutdown,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let idle_timeout = settings.idle_timeout;
    let service = hyper::service::service_fn(move |request| {
        let (settings, ingest) = (settings.clone(), ingest.clone());
        async move { Ok::<_, Infallible>(answer(request, peer, &settings, &ingest).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = shutdown.recv() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}
