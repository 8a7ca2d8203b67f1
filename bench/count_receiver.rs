//! The benchmark's HTTP destination: accepts `POST`s of NDJSON (gzip or
//! not), counts the lines, answers 200 at once. `GET /count` returns the
//! total so far. It must cost far less CPU than the agent it measures, so
//! it does nothing else: no parsing, no storage.
//!
//!   cargo run --release --example count-receiver -- 127.0.0.1:0 [--latency]
//!
//! With `--latency` (the latency scenario) it also looks in every line for
//! `"writeNs":<Unix nanoseconds>` — the time the benchmark wrote the entry
//! into the tailed file, kept by the agent in `details` — and records
//! arrival time minus write time; `GET /latency` answers
//! `COUNT P50_MS P99_MS MAX_MS`. Off by default so that the throughput
//! scenarios measure a receiver that only counts.
//!
//! Prints `listening on ADDR` on stdout once ready.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What every connection shares.
#[derive(Default)]
struct Tally {
    lines: AtomicU64,
    /// `Some` with `--latency`: write-to-arrival delays in microseconds.
    latencies: Option<Mutex<Vec<u64>>>,
}

fn main() {
    let mut address: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let mut tally = Tally::default();
    for arg in std::env::args().skip(1) {
        if arg == "--latency" {
            tally.latencies = Some(Mutex::new(Vec::new()));
        } else {
            address = arg
                .parse()
                .expect("usage: count-receiver ADDRESS:PORT [--latency]");
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(serve(address, Arc::new(tally)));
}

async fn serve(address: SocketAddr, tally: Arc<Tally>) {
    let listener = TcpListener::bind(address).await.expect("bind");
    println!("listening on {}", listener.local_addr().expect("address"));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let tally = tally.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let tally = tally.clone();
                async move { handle(request, &tally).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    request: Request<hyper::body::Incoming>,
    tally: &Tally,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    if request.method() == hyper::Method::GET {
        let answer = if request.uri().path() == "/latency" {
            latency_summary(tally)
        } else {
            tally.lines.load(Ordering::Relaxed).to_string()
        };
        return Ok(Response::new(Full::new(Bytes::from(answer))));
    }
    let gzip = request
        .headers()
        .get(hyper::header::CONTENT_ENCODING)
        .is_some_and(|value| value == "gzip");
    let body = request.into_body().collect().await?.to_bytes();
    let plain = if gzip {
        let mut plain = Vec::with_capacity(body.len() * 8);
        if MultiGz::new(&body[..]).read_to_end(&mut plain).is_err() {
            let mut bad = Response::new(Full::new(Bytes::from_static(b"bad gzip")));
            *bad.status_mut() = hyper::StatusCode::BAD_REQUEST;
            return Ok(bad);
        }
        Bytes::from(plain)
    } else {
        body
    };
    if let Some(latencies) = &tally.latencies {
        record_latencies(&plain, latencies);
    }
    tally
        .lines
        .fetch_add(count_lines(&plain), Ordering::Relaxed);
    Ok(Response::new(Full::new(Bytes::from_static(b"{}"))))
}

type MultiGz<'a> = flate2::read::MultiGzDecoder<&'a [u8]>;

fn count_lines(body: &[u8]) -> u64 {
    body.iter().filter(|&&byte| byte == b'\n').count() as u64
}

/// Appends, for each line carrying `"writeNs":N`, now − N in microseconds.
fn record_latencies(body: &[u8], latencies: &Mutex<Vec<u64>>) {
    const KEY: &[u8] = b"\"writeNs\":";
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut found = Vec::new();
    for line in body.split(|&byte| byte == b'\n') {
        let Some(at) = line.windows(KEY.len()).position(|w| w == KEY) else {
            continue;
        };
        let digits = line[at + KEY.len()..]
            .iter()
            .take_while(|b| b.is_ascii_digit());
        let written = digits.fold(0u64, |n, &b| n * 10 + u64::from(b - b'0'));
        found.push(now.saturating_sub(written) / 1000);
    }
    latencies.lock().expect("not poisoned").extend(found);
}

/// `COUNT P50_MS P99_MS MAX_MS` of the latencies so far (`0 - - -` if none).
fn latency_summary(tally: &Tally) -> String {
    let Some(latencies) = &tally.latencies else {
        return "0 - - -".into();
    };
    let mut all = latencies.lock().expect("not poisoned").clone();
    if all.is_empty() {
        return "0 - - -".into();
    }
    all.sort_unstable();
    let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
    format!(
        "{} {:.2} {:.2} {:.2}",
        all.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_by_newline() {
        assert_eq!(count_lines(b"{}\n{}\n"), 2);
        assert_eq!(count_lines(b""), 0);
    }

    #[test]
    fn latency_comes_from_write_ns_and_lines_without_it_are_skipped() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let written = now.as_nanos() as u64 - 25_000_000; // 25 ms ago
        let body = format!(
            "{{\"details\":{{\"writeNs\":{written}}}}}\n{{\"action\":\"agent.checkpoint\"}}\n"
        );
        let latencies = Mutex::new(Vec::new());
        record_latencies(body.as_bytes(), &latencies);
        let recorded = latencies.into_inner().unwrap();
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        assert!((25_000..5_000_000).contains(&recorded[0]), "{recorded:?}");
    }

    #[test]
    fn summary_gives_median_and_99th_percentile_in_milliseconds() {
        let tally = Tally {
            lines: AtomicU64::new(0),
            latencies: Some(Mutex::new((1..=100).rev().map(|ms| ms * 1000).collect())),
        };
        assert_eq!(latency_summary(&tally), "100 51.00 99.00 100.00");
        assert_eq!(latency_summary(&Tally::default()), "0 - - -");
    }
}
