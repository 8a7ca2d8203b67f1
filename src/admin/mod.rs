//! The admin endpoint (`[admin] address`, loopback by default): what an
//! operator or an orchestrator asks a running agent.
//!
//! - `GET /health`: liveness — 200 while the process serves requests.
//! - `GET /ready`: 200 once the journal is recovered and every source and
//!   sink started, 503 before (and while stopping), so a load balancer in
//!   front of an aggregator only sends to agents that can commit.
//! - `GET /metrics`: Prometheus text format (see [`metrics`]).
//! - `GET /status`: a JSON summary for `auditship status`: counters,
//!   journal, per-sink backlog. Never event content.
//! - `GET /tap[?filter=EXPR]`: live events as NDJSON, loopback clients
//!   only (see [`tap`]).
//!
//! Anything else is 404; methods other than GET/HEAD are 405. The server
//! stops with the agent's shutdown signal.

mod alert_metrics;
mod metrics;
pub mod prometheus;
pub mod tap;
pub mod tap_client;

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::journal::Journal;
use crate::pipeline::PipelineStats;
use crate::shutdown::Shutdown;

/// What the endpoint reports on; shared with the running pipeline.
pub struct AdminState {
    pub stats: PipelineStats,
    pub journal: Journal,
    /// Running sink ids; a reload replaces the list.
    pub sinks: Arc<std::sync::RwLock<Vec<String>>>,
    /// Set once everything started; cleared when stopping.
    pub ready: Arc<AtomicBool>,
    pub started: Instant,
    /// Alerting's counters, when alerts or channels are configured.
    pub alerts: Option<Arc<crate::alerts::stats::AlertStats>>,
}

impl AdminState {
    /// The running sink ids, now.
    pub fn sink_ids(&self) -> Vec<String> {
        self.sinks.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Binds the admin address; the error names it and what to do.
pub async fn bind(address: &str) -> Result<TcpListener, String> {
    TcpListener::bind(address).await.map_err(|error| {
        format!("cannot listen on [admin] address {address}: {error} (is another agent running? choose another port, or remove [admin])")
    })
}

/// Binds `address` and serves `state` on a task until `shutdown` fires.
pub async fn start(
    address: &str,
    state: AdminState,
    shutdown: Shutdown,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let listener = bind(address).await?;
    if let Ok(local) = listener.local_addr() {
        tracing::info!(address = %local, "Admin endpoint: /health, /ready, /metrics, /status.");
    }
    Ok(tokio::spawn(serve(listener, Arc::new(state), shutdown)))
}

/// Serves until `shutdown` fires.
pub async fn serve(listener: TcpListener, state: Arc<AdminState>, mut shutdown: Shutdown) {
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.recv() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::debug!(%error, "admin accept failed");
                    continue;
                }
            },
        };
        let state = state.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                let stop = stop.clone();
                async move { Ok::<_, Infallible>(respond(&request, peer, &state, stop)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// `/tap` streams; every other path answers at once.
fn respond<B>(
    request: &Request<B>,
    peer: std::net::SocketAddr,
    state: &AdminState,
    shutdown: Shutdown,
) -> Response<Either<Full<Bytes>, tap::TapBody>> {
    if request.method() == Method::GET && request.uri().path() == "/tap" {
        return match tap::respond(request.uri().query(), peer, state, shutdown) {
            Ok(response) => response.map(Either::Right),
            Err((status, reason)) => {
                let mut response = text(status, "");
                *response.body_mut() = Full::new(Bytes::from(reason));
                response.map(Either::Left)
            }
        };
    }
    route(request, state).map(Either::Left)
}

fn route<B>(request: &Request<B>, state: &AdminState) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
    }
    match request.uri().path() {
        "/health" => text(StatusCode::OK, "ok\n"),
        "/ready" => {
            if state.ready.load(Ordering::Relaxed) {
                text(StatusCode::OK, "ready\n")
            } else {
                text(StatusCode::SERVICE_UNAVAILABLE, "starting or stopping\n")
            }
        }
        "/metrics" => {
            let mut response = text(StatusCode::OK, "");
            *response.body_mut() = Full::new(Bytes::from(metrics::render(state)));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            response
        }
        "/status" => {
            let mut response = text(StatusCode::OK, "");
            *response.body_mut() = Full::new(Bytes::from(metrics::status_json(state)));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/json"),
            );
            response
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "not found; try /health, /ready, /metrics, /status or /tap\n",
        ),
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests;
