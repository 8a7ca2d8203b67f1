//! `GET /tap[?filter=EXPR]`: live normalized events, as NDJSON, for
//! `auditship tap` — to watch what a mapping produces on a running agent.
//!
//! Each subscriber gets a follower task that reads the journal from its
//! head onwards (a read-only reader: it pins no segment and saves nothing)
//! and a bounded queue of lines towards its HTTP response. The pipeline
//! never waits for a subscriber: the follower reads durable records like a
//! sink would, and when the subscriber reads slower than events arrive the
//! queue fills and further events are dropped — counted in
//! `auditship_tap_events_dropped_total` and told to the subscriber in a
//! line `{"tap":{"dropped":N}}` once the queue has room again.
//!
//! Event content leaves the agent here, so `/tap` answers loopback peers
//! only (403 otherwise), whatever `[admin] address` is.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame};
use hyper::{Response, StatusCode};
use tokio::sync::mpsc;

use super::AdminState;
use crate::event_filter::{EventFilter, FieldFilter};
use crate::journal::Journal;
use crate::pipeline::{journal_record, PipelineStats};
use crate::shutdown::Shutdown;

/// Lines queued towards one subscriber before events are dropped.
const QUEUE_LINES: usize = 1024;
/// Records read from the journal at a time.
const READ_RECORDS: usize = 512;

/// The streamed response body: lines from the follower task.
pub struct TapBody {
    lines: mpsc::Receiver<Bytes>,
}

impl Body for TapBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.lines
            .poll_recv(cx)
            .map(|line| line.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// `?filter=…` of a query string, percent-decoded; `None` when absent.
pub fn filter_of_query(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let value = pair.strip_prefix("filter=")?;
        let bytes = value.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(byte) => {
                            out.push(byte);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                other => out.push(other),
            }
            i += 1;
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    })
}

/// Percent-encodes `expression` for `?filter=` (everything but unreserved
/// characters).
pub fn encode_filter(expression: &str) -> String {
    let mut out = String::with_capacity(expression.len() * 3);
    for byte in expression.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Answers `/tap`: 403 for a peer not on loopback, 400 for a bad filter,
/// else 200 and the stream until the client leaves or the agent stops.
pub fn respond(
    query: Option<&str>,
    peer: SocketAddr,
    state: &AdminState,
    shutdown: Shutdown,
) -> Result<Response<TapBody>, (StatusCode, String)> {
    if !peer.ip().is_loopback() {
        return Err((
            StatusCode::FORBIDDEN,
            "/tap shows event content and answers loopback clients only\n".into(),
        ));
    }
    let filter: Option<Arc<dyn EventFilter>> = match filter_of_query(query) {
        None => None,
        Some(text) if text.trim().is_empty() => None,
        Some(text) => match FieldFilter::parse(&text) {
            Ok(filter) => Some(Arc::new(filter)),
            Err(error) => return Err((StatusCode::BAD_REQUEST, format!("{error}\n"))),
        },
    };
    let (tx, lines) = mpsc::channel(QUEUE_LINES);
    tokio::spawn(follow(
        state.journal.clone(),
        state.stats.clone(),
        filter,
        tx,
        shutdown,
    ));
    let mut response = Response::new(TapBody { lines });
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

/// Reads the journal from its head and queues each matching event's JSON
/// line, until the subscriber is gone or `shutdown`.
async fn follow(
    journal: Journal,
    stats: PipelineStats,
    filter: Option<Arc<dyn EventFilter>>,
    tx: mpsc::Sender<Bytes>,
    mut shutdown: Shutdown,
) {
    let mut committed = journal.watch_committed();
    let mut reader = journal.reader_from(journal.committed_seq() + 1);
    let mut dropped = 0u64;
    loop {
        let (records, reader_back) = match tokio::task::spawn_blocking(move || {
            (reader.read_batch(READ_RECORDS, 4 << 20), reader)
        })
        .await
        {
            Ok(read) => read,
            Err(_) => return,
        };
        reader = reader_back;
        let records = match records {
            Ok(records) => records,
            Err(error) => {
                // The records under the reader went away (segments deleted):
                // start again at the head; what was skipped counts as dropped.
                tracing::debug!(%error, "Tap reader lost its place; resuming at the head.");
                reader = journal.reader_from(journal.committed_seq() + 1);
                Vec::new()
            }
        };
        for record in &records {
            let Some(view) = journal_record::decode(&record.payload) else {
                continue;
            };
            if let Some(filter) = &filter {
                match serde_json::from_slice(view.event_json) {
                    Ok(event) if filter.matches(&event) => {}
                    _ => continue,
                }
            }
            if dropped > 0 && tx.capacity() > 1 {
                let notice = format!("{{\"tap\":{{\"dropped\":{dropped}}}}}\n");
                if tx.try_send(Bytes::from(notice)).is_ok() {
                    dropped = 0;
                }
            }
            let mut line = Vec::with_capacity(view.event_json.len() + 1);
            line.extend_from_slice(view.event_json);
            line.push(b'\n');
            match tx.try_send(Bytes::from(line)) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    dropped += 1;
                    stats.record_tap_dropped(1);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            }
        }
        if records.is_empty() {
            tokio::select! {
                changed = committed.changed() => if changed.is_err() { return },
                _ = tx.closed() => return,
                _ = shutdown.recv() => return,
            }
        } else if shutdown.is_requested() || tx.is_closed() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_survives_the_query_string_round_trip() {
        let expression = r#"action == "user.login" && actor.id ^= "svc-%&+""#;
        let query = format!("x=1&filter={}", encode_filter(expression));
        assert_eq!(filter_of_query(Some(&query)).as_deref(), Some(expression));
        assert_eq!(filter_of_query(Some("x=1")), None);
        assert_eq!(
            filter_of_query(Some("filter=a+b%2")).as_deref(),
            Some("a b%2")
        );
    }
}
