//! The admin endpoint over a real socket, against a real journal.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::journal::{Journal, JournalOptions};
use crate::shutdown;

async fn get(address: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let text = format!("{request} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn health_ready_metrics_and_status_report_the_running_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(
        &dir.path().join("journal"),
        &dir.path().join("quarantine"),
        JournalOptions::default(),
    )
    .unwrap();
    crate::journal::fixtures::append(&journal, 5, 100).await;
    let mut cursor = journal.open_cursor("out").unwrap();
    let stats = PipelineStats::default();
    stats.record_reload(true);
    stats.record_reload(false);
    stats.record_read(5, 500, 1);
    stats.record_journaled(5);
    let sink = stats.sink("out");
    sink.record_sent(2, 200);
    drop(sink.start_request());
    let ready = Arc::new(AtomicBool::new(false));
    let state = Arc::new(AdminState {
        stats: stats.clone(),
        journal: journal.clone(),
        sinks: Arc::new(std::sync::RwLock::new(vec![
            "out".into(),
            "with \"quote".into(),
        ])),
        ready: ready.clone(),
        started: Instant::now(),
        alerts: None,
    });
    let listener = bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (trigger, stop) = shutdown::channel();
    let server = tokio::spawn(serve(listener, state, stop));

    assert_eq!(get(address, "GET /health").await, (200, "ok\n".into()));
    assert_eq!(get(address, "GET /ready").await.0, 503);
    ready.store(true, Ordering::Relaxed);
    assert_eq!(get(address, "GET /ready").await.0, 200);
    assert_eq!(get(address, "POST /health").await.0, 405);
    assert_eq!(get(address, "GET /nope").await.0, 404);

    // Deliver 2 of 5: the backlog of "out" is 3.
    let batch = cursor.read_batch(2, usize::MAX).unwrap();
    cursor.commit(batch.last().unwrap().seq).unwrap();
    let (status, metrics) = get(address, "GET /metrics").await;
    assert_eq!(status, 200);
    for line in [
        "auditship_events_read_total 5",
        "auditship_bytes_read_total 500",
        "auditship_events_quarantined_total 1",
        "auditship_events_journaled_total 5",
        "auditship_journal_next_seq 6",
        "auditship_journal_full 0",
        "auditship_sink_backlog_events{sink=\"out\"} 3",
        "auditship_sink_backlog_events{sink=\"with \\\"quote\"} 0",
        "# TYPE auditship_journal_fsyncs_total counter",
        "auditship_sink_events_sent_total{sink=\"out\"} 2",
        "auditship_sink_bytes_sent_total{sink=\"out\"} 200",
        "auditship_sink_request_duration_seconds_count{sink=\"out\"} 1",
        "auditship_sink_request_duration_seconds_bucket{sink=\"out\",le=\"+Inf\"} 1",
        "auditship_sink_in_flight{sink=\"out\"} 0",
        "auditship_config_reloads_total{result=\"applied\"} 1",
        "auditship_config_reloads_total{result=\"rejected\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "{line} missing in:\n{metrics}"
        );
    }
    let (status, body) = get(address, "GET /status").await;
    assert_eq!(status, 200);
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status["events"]["journaled"], 5);
    assert_eq!(status["sinks"][0]["id"], "out");
    assert_eq!(status["sinks"][0]["backlog_events"], 3);
    assert_eq!(status["ready"], true);
    assert_eq!(status["reloads"]["rejected"], 1);

    trigger.fire();
    server.await.unwrap();
}

#[tokio::test]
async fn a_taken_address_is_refused_with_what_to_do() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let error = bind(&address).await.unwrap_err();
    assert!(
        error.contains(&address) && error.contains("choose another port"),
        "{error}"
    );
}

/// Appends `count` pipeline records of source `app` whose event JSON is
/// about `size` bytes, `{"action":"a.N",...}`.
async fn append_events(journal: &Journal, from: usize, count: usize, size: usize) {
    journal
        .append(Box::new(move |writer| {
            for i in from..from + count {
                writer.push_with(|_, out| {
                    crate::pipeline::journal_record::write_header("app", None, out);
                    let pad = "x".repeat(size);
                    out.extend_from_slice(
                        format!("{{\"action\":\"a.{}\",\"pad\":\"{pad}\"}}", i % 2).as_bytes(),
                    );
                });
            }
        }))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tap_that_does_not_read_loses_events_but_never_holds_the_journal_back() {
    let tmp = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(
        &tmp.path().join("journal"),
        &tmp.path().join("quarantine"),
        JournalOptions::default(),
    )
    .unwrap();
    let stats = PipelineStats::default();
    let state = Arc::new(AdminState {
        stats: stats.clone(),
        journal: journal.clone(),
        sinks: Arc::default(),
        ready: Arc::new(AtomicBool::new(true)),
        started: Instant::now(),
        alerts: None,
    });
    let listener = bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (trigger, stop) = shutdown::channel();
    let server = tokio::spawn(serve(listener, state, stop));

    // A subscriber that never reads its response.
    let mut idle = tokio::net::TcpStream::connect(address).await.unwrap();
    idle.write_all(b"GET /tap?filter=action%20%3D%3D%20%22a.1%22 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // 40 MB of matching events: far more than the queue and socket buffers.
    let appended = async {
        for round in 0..40 {
            append_events(&journal, round * 2000, 2000, 1000).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), appended)
        .await
        .expect("appends never wait for a tap");
    let dropped = || stats.snapshot().tap_dropped;
    for _ in 0..200 {
        if dropped() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(dropped() > 0, "a full subscriber queue drops and counts");
    assert!(dropped() <= 40_000);

    // A bad filter is refused with the reason.
    let (status, body) = get(address, "GET /tap?filter=action%20%3D%20x").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("=="), "{body}");
    drop(idle);
    trigger.fire();
    server.await.unwrap();
}
