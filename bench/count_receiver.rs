//! The benchmark's HTTP destination: accepts `POST`s of NDJSON (gzip or
//! not), counts the lines, answers 200 at once. `GET /count` returns the
//! total so far. It must cost far less CPU than the agent it measures, so
//! it does nothing else: no parsing, no storage.
//!
//!   cargo run --release --example count-receiver -- 127.0.0.1:0
//!
//! Prints `listening on ADDR` on stdout once ready.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() {
    let address: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into())
        .parse()
        .expect("usage: count-receiver ADDRESS:PORT");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(serve(address));
}

async fn serve(address: SocketAddr) {
    let listener = TcpListener::bind(address).await.expect("bind");
    println!("listening on {}", listener.local_addr().expect("address"));
    let lines = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let lines = lines.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let lines = lines.clone();
                async move { handle(request, &lines).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    request: Request<hyper::body::Incoming>,
    lines: &AtomicU64,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    if request.method() == hyper::Method::GET {
        let total = lines.load(Ordering::Relaxed).to_string();
        return Ok(Response::new(Full::new(Bytes::from(total))));
    }
    let gzip = request
        .headers()
        .get(hyper::header::CONTENT_ENCODING)
        .is_some_and(|value| value == "gzip");
    let body = request.into_body().collect().await?.to_bytes();
    let count = if gzip {
        let mut plain = Vec::with_capacity(body.len() * 8);
        match flate2::read::MultiGzDecoder::new(&body[..]).read_to_end(&mut plain) {
            Ok(_) => count_lines(&plain),
            Err(_) => {
                let mut bad = Response::new(Full::new(Bytes::from_static(b"bad gzip")));
                *bad.status_mut() = hyper::StatusCode::BAD_REQUEST;
                return Ok(bad);
            }
        }
    } else {
        count_lines(&body)
    };
    lines.fetch_add(count, Ordering::Relaxed);
    Ok(Response::new(Full::new(Bytes::from_static(b"{}"))))
}

fn count_lines(body: &[u8]) -> u64 {
    body.iter().filter(|&&byte| byte == b'\n').count() as u64
}
