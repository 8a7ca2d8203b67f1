//! Outbound proxy support for every HTTP sink: `HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY` and `NO_PROXY` (upper or lower case), read once when the sink
//! is built, with curl's meaning.
//!
//! Why in the connector: hosts that may only reach the internet through a
//! corporate proxy are exactly where audit agents run, and a sink that
//! ignores the variables every other tool honours fails silently there.
//!
//! - An `https://` destination is reached through an HTTP `CONNECT` tunnel;
//!   TLS is then negotiated end to end with the destination, so the proxy
//!   sees neither the events nor the credentials. Proxy credentials in the
//!   URL (`http://user:pass@proxy:3128`) are sent as `Proxy-Authorization:
//!   Basic` on the `CONNECT`.
//! - An `http://` destination is sent to the proxy in absolute form
//!   (`POST http://host/path`), as HTTP/1.1 proxies expect; proxy
//!   credentials are not sent for these (use an `https://` destination).
//! - The proxy itself must be reached over plain `http://`; a proxy URL of
//!   another scheme is refused when the sink is built.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper::Uri;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::sinks::SinkError;

type BoxError = Box<dyn StdError + Send + Sync>;

/// The proxy rules a sink was built with.
#[derive(Clone)]
pub(crate) struct ProxyRules {
    matcher: Arc<Matcher>,
}

impl ProxyRules {
    /// The rules of this process's environment.
    pub(crate) fn from_env() -> ProxyRules {
        ProxyRules {
            matcher: Arc::new(Matcher::from_env()),
        }
    }

    /// Explicit rules (`all`, `no`), for tests that must not touch the
    /// process environment.
    #[cfg(test)]
    pub(crate) fn explicit(all: &str, no: &str) -> ProxyRules {
        ProxyRules {
            matcher: Arc::new(Matcher::builder().all(all).no(no).build()),
        }
    }

    /// Refuses a proxy for `destination` that this connector cannot use,
    /// and logs the one it will, so an operator sees where requests go.
    pub(crate) fn check(&self, destination: &Uri) -> Result<(), SinkError> {
        let Some(intercept) = self.matcher.intercept(destination) else {
            return Ok(());
        };
        let proxy = intercept.uri();
        if proxy.scheme_str() != Some("http") {
            return Err(SinkError::Proxy {
                reason: format!(
                    "the proxy for {} is {}://{}, but only http:// proxies are supported (CONNECT tunnels still carry TLS end to end); change HTTPS_PROXY/ALL_PROXY or list the host in NO_PROXY",
                    destination.host().unwrap_or_default(),
                    proxy.scheme_str().unwrap_or_default(),
                    proxy_address(proxy),
                ),
            });
        }
        tracing::info!(destination = %destination.host().unwrap_or_default(), proxy = %proxy_address(proxy), "Requests go through a proxy (from HTTPS_PROXY/HTTP_PROXY; NO_PROXY exempts hosts).");
        Ok(())
    }
}

/// `host:port` of a proxy, never its credentials.
fn proxy_address(proxy: &Uri) -> String {
    let host = proxy.host().unwrap_or_default();
    match proxy.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Connects directly or through the proxy the rules name.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    rules: ProxyRules,
}

impl ProxyConnector {
    pub(crate) fn new(http: HttpConnector, rules: ProxyRules) -> ProxyConnector {
        ProxyConnector { http, rules }
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let Some(intercept) = self.rules.matcher.intercept(&destination) else {
            return Box::pin(async move { Ok(ProxyStream::direct(http.call(destination).await?)) });
        };
        let proxy = intercept.uri().clone();
        let address = proxy_address(&proxy);
        let named = move |error: &dyn std::fmt::Display| -> BoxError {
            format!("via proxy {address}: {error}").into()
        };
        if destination.scheme_str() == Some("https") {
            let mut tunnel = Tunnel::new(proxy.clone(), http);
            if let Some(auth) = intercept.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            Box::pin(async move {
                match tunnel.call(destination).await {
                    Ok(stream) => Ok(ProxyStream::direct(stream)),
                    Err(error) => Err(named(&error)),
                }
            })
        } else {
            Box::pin(async move {
                match http.call(proxy.clone()).await {
                    Ok(stream) => Ok(ProxyStream {
                        inner: stream,
                        absolute_form: true,
                    }),
                    Err(error) => Err(named(&error)),
                }
            })
        }
    }
}

/// A connection to the destination, or to a proxy that takes absolute-form
/// requests for it.
pub(crate) struct ProxyStream {
    inner: TokioIo<TcpStream>,
    /// Tells hyper to send `METHOD http://host/path` (what a proxy needs).
    absolute_form: bool,
}

impl ProxyStream {
    fn direct(inner: TokioIo<TcpStream>) -> ProxyStream {
        ProxyStream {
            inner,
            absolute_form: false,
        }
    }
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.inner.connected().proxy(self.absolute_form)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}
