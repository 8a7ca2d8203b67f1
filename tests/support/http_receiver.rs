//! A small HTTP collector for tests of the `http` sink: a hyper server on
//! `127.0.0.1:0` in its own thread and runtime (so it keeps answering
//! whatever the test's runtime does), optionally behind TLS.
//!
//! It decodes every request body (gzip or not; NDJSON or a JSON array, by
//! `Content-Type`), counts requests, keeps the headers of the last one, and
//! stores the events of every request it answered with 200. How it answers
//! is switched at runtime with [`HttpReceiver::set_mode`].
//!
//! Included by integration tests with
//! `#[path = "support/http_receiver.rs"] mod http_receiver;`. Dropping the
//! receiver stops the server (hanging requests are cut).
#![allow(dead_code)]

use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// Which events a [`Mode::RejectEventsMatching`] refuses.
pub type EventPredicate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

/// How the receiver answers.
#[derive(Clone)]
pub enum Mode {
    /// 200, events stored.
    Ok,
    /// This status, events not stored.
    Status(u16),
    /// This status with this `Retry-After` value (`"2"`, or an HTTP date).
    StatusWithRetryAfter(u16, String),
    /// This status until the duration has passed since `set_mode`, then `Ok`.
    StatusFor(u16, Duration),
    /// Read the request, never answer.
    Hang,
    /// 400 for a batch holding any event the predicate matches (none of the
    /// batch is stored); otherwise `Ok`.
    RejectEventsMatching(EventPredicate),
    /// This status for a batch holding any event the predicate matches
    /// (none of the batch is stored); otherwise `Ok`.
    StatusForEventsMatching(u16, EventPredicate),
    /// `Ok`, after waiting this long (requests overlap meanwhile).
    Delay(Duration),
}

/// The request line and headers of one request.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    mode: Mode,
    /// When a `StatusFor` mode stops failing.
    failing_until: Option<Instant>,
    events: Vec<Value>,
    requests: u64,
    last_request: Option<RecordedRequest>,
    /// Requests being answered now, and the most ever at once.
    in_flight: u64,
    max_in_flight: u64,
}

/// A certificate chain and key, PEM, for [`HttpReceiver::start_tls`].
pub struct ServerIdentity {
    pub cert_pem: String,
    pub key_pem: String,
}

pub struct HttpReceiver {
    address: SocketAddr,
    scheme: &'static str,
    state: Arc<Mutex<State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HttpReceiver {
    /// A plain HTTP receiver in `Mode::Ok`.
    pub fn start() -> HttpReceiver {
        Self::spawn(None)
    }

    /// An HTTPS receiver presenting `identity`.
    pub fn start_tls(identity: &ServerIdentity) -> HttpReceiver {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let chain = CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("certificate PEM");
        let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).expect("key PEM");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate");
        Self::spawn(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
    }

    fn spawn(tls: Option<tokio_rustls::TlsAcceptor>) -> HttpReceiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking");
        let address = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State {
            mode: Mode::Ok,
            failing_until: None,
            events: Vec::new(),
            requests: 0,
            last_request: None,
            in_flight: 0,
            max_in_flight: 0,
        }));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let served = state.clone();
        let thread = std::thread::Builder::new()
            .name("http-receiver".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("receiver runtime");
                runtime.block_on(serve(listener, tls, served, stopped));
            })
            .expect("receiver thread");
        HttpReceiver {
            address,
            scheme,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` (or `https://`); any path is accepted.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.address)
    }

    pub fn set_mode(&self, mode: Mode) {
        let mut state = self.state.lock().unwrap();
        state.failing_until = match &mode {
            Mode::StatusFor(_, duration) => Some(Instant::now() + *duration),
            _ => None,
        };
        state.mode = mode;
    }

    /// Every event stored so far, in arrival order.
    pub fn events(&self) -> Vec<Value> {
        // The agent's signed checkpoints (`agent.checkpoint`) are left out:
        // tests count the events of their input.
        let state = self.state.lock().unwrap();
        let events = state.events.iter();
        events
            .filter(|e| e["action"] != "agent.checkpoint")
            .cloned()
            .collect()
    }

    /// Requests received so far, answered or not.
    pub fn requests(&self) -> u64 {
        self.state.lock().unwrap().requests
    }

    /// The most requests ever being answered at the same time.
    pub fn max_in_flight(&self) -> u64 {
        self.state.lock().unwrap().max_in_flight
    }

    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.state.lock().unwrap().last_request.clone()
    }
}

impl Drop for HttpReceiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<Mutex<State>>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let state = state.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(request, &state).await) }
            });
            let http = hyper::server::conn::http1::Builder::new();
            match tls {
                None => {
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                }
                Some(acceptor) => {
                    // A client that refuses our certificate ends here.
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                }
            }
        });
    }
}

/// Counts a request in flight until dropped (answered, or cut).
struct InFlight<'a>(&'a Mutex<State>);

impl<'a> InFlight<'a> {
    fn enter(state: &'a Mutex<State>) -> InFlight<'a> {
        let mut locked = state.lock().unwrap();
        locked.in_flight += 1;
        locked.max_in_flight = locked.max_in_flight.max(locked.in_flight);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.lock() {
            state.in_flight -= 1;
        }
    }
}

async fn answer(request: Request<Incoming>, state: &Mutex<State>) -> Response<Full<Bytes>> {
    let _in_flight = InFlight::enter(state);
    let recorded = RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        headers: request
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
    };
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mode = {
        let mut state = state.lock().unwrap();
        state.requests += 1;
        if let (Mode::StatusFor(..), Some(until)) = (&state.mode, state.failing_until) {
            if Instant::now() >= until {
                state.mode = Mode::Ok;
                state.failing_until = None;
            }
        }
        state.mode.clone()
    };
    let events = match decode_events(&recorded, &body) {
        Ok(events) => events,
        Err(reason) => return respond(400, None, reason),
    };
    state.lock().unwrap().last_request = Some(recorded);
    match mode {
        Mode::Ok => {}
        Mode::Status(status) | Mode::StatusFor(status, _) => {
            return respond(status, None, format!("status {status} as asked"))
        }
        Mode::StatusWithRetryAfter(status, retry_after) => {
            return respond(
                status,
                Some(retry_after),
                format!("status {status} as asked"),
            )
        }
        Mode::Hang => std::future::pending::<()>().await,
        Mode::RejectEventsMatching(predicate) => {
            if let Some(bad) = events.iter().find(|e| predicate(e)) {
                return respond(400, None, format!("rejected event: {bad}"));
            }
        }
        Mode::StatusForEventsMatching(status, predicate) => {
            if events.iter().any(|e| predicate(e)) {
                return respond(status, None, format!("status {status} as asked"));
            }
        }
        Mode::Delay(delay) => tokio::time::sleep(delay).await,
    }
    state.lock().unwrap().events.extend(events);
    respond(200, None, "ok".into())
}

fn decode_events(request: &RecordedRequest, body: &[u8]) -> Result<Vec<Value>, String> {
    let plain = match request.header("content-encoding") {
        None => body.to_vec(),
        Some("gzip") => {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut plain)
                .map_err(|e| format!("bad gzip body: {e}"))?;
            plain
        }
        Some(other) => return Err(format!("unknown content-encoding {other}")),
    };
    match request.header("content-type") {
        Some("application/x-ndjson") => {
            if !plain.is_empty() && !plain.ends_with(b"\n") {
                return Err("ndjson body does not end in a newline".into());
            }
            plain
                .split(|&b| b == b'\n')
                .filter(|line| !line.is_empty())
                .map(|line| {
                    serde_json::from_slice(line).map_err(|e| format!("bad ndjson line: {e}"))
                })
                .collect()
        }
        Some("application/json") => match serde_json::from_slice(&plain) {
            Ok(Value::Array(events)) => Ok(events),
            Ok(_) => Err("json body is not an array".into()),
            Err(e) => Err(format!("bad json body: {e}")),
        },
        other => Err(format!("unexpected content-type {other:?}")),
    }
}

fn respond(status: u16, retry_after: Option<String>, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    if let Some(value) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", value.parse().expect("retry-after value"));
    }
    response
}
