//! Measures the benchmark's receiver alone: posts one gzip NDJSON body
//! (e.g. 1,000 normalized events, `gzip -1`) REQUESTS times over two
//! keep-alive connections — like the `http` sink's default
//! `concurrency = 2` — and prints the wall seconds it took:
//!
//!   cargo run --release --example replay-post -- URL BODY.gz REQUESTS
//!
//! The receiver's own CPU is read from /proc by `bench/run`; this client
//! only has to be cheap, which sending the same bytes again is.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Instant;

const USAGE: &str = "usage: replay-post URL BODY.gz REQUESTS";
const CONNECTIONS: u64 = 2;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, path, requests] = &args[..] else {
        fail(USAGE)
    };
    let uri: hyper::Uri = url.parse().unwrap_or_else(|_| fail(USAGE));
    let requests: u64 = requests.parse().unwrap_or_else(|_| fail(USAGE));
    let body = Bytes::from(std::fs::read(path).unwrap_or_else(|e| fail(&format!("{path}: {e}"))));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let start = Instant::now();
    runtime.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let workers = (0..CONNECTIONS).map(|worker| {
            let (client, uri, body) = (client.clone(), uri.clone(), body.clone());
            let share = requests / CONNECTIONS + u64::from(worker < requests % CONNECTIONS);
            tokio::spawn(async move {
                for _ in 0..share {
                    let request = hyper::Request::post(uri.clone())
                        .header("content-type", "application/x-ndjson")
                        .header("content-encoding", "gzip")
                        .body(Full::new(body.clone()))
                        .expect("a request");
                    let response = client.request(request).await.unwrap_or_else(|e| {
                        fail(&format!("replay-post: {e}"));
                    });
                    let status = response.status();
                    let _ = response.into_body().collect().await;
                    if !status.is_success() {
                        fail(&format!("replay-post: receiver answered {status}"));
                    }
                }
            })
        });
        for worker in workers.collect::<Vec<_>>() {
            worker.await.expect("a worker");
        }
    });
    println!("{:.3}", start.elapsed().as_secs_f64());
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2);
}
