//! Per-sink delivery metrics: what each sink sent, retried, dead-lettered
//! or dropped, how many requests it has in flight, and how long its
//! requests take.
//!
//! The runner updates them once per request or batch (plain atomics, no
//! lock on the hot path); [`SinkStats::snapshot`] copies them for the
//! summary line and, later, the admin `/metrics` endpoint. The latency
//! histogram has fixed buckets and is exposed Prometheus-style: cumulative
//! counts per upper bound, the total count and the sum.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Upper bounds of the request latency buckets, in milliseconds. A request
/// slower than the last one counts only in the total (`+Inf`).
pub const LATENCY_BUCKETS_MS: [u64; 12] = [
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000,
];

/// One sink's counters. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct SinkStats {
    id: Arc<str>,
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    events_sent: AtomicU64,
    bytes_sent: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
    dead_lettered: AtomicU64,
    dropped: AtomicU64,
    in_flight: AtomicU64,
    /// Non-cumulative: requests whose latency fell in bucket `i` (and above
    /// bucket `i - 1`); made cumulative by `snapshot`.
    latency_buckets: [AtomicU64; LATENCY_BUCKETS_MS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
    /// The newest failure (Unix seconds, reason) for `/status` and
    /// `auditship status`. Reasons are the ones logged: never a secret.
    last_error: std::sync::Mutex<Option<(i64, String)>>,
}

/// A point-in-time copy of one sink's counters.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkStatsSnapshot {
    pub sink: String,
    /// Events the destination accepted.
    pub events_sent: u64,
    /// Bytes of the accepted events' JSON (before the sink's encoding and
    /// compression).
    pub bytes_sent: u64,
    /// Send attempts: every try of a batch, and every part sent while
    /// isolating refused events.
    pub requests: u64,
    /// Failed attempts that will be tried again.
    pub retries: u64,
    /// Events written to the dead-letter file.
    pub dead_lettered: u64,
    /// Events refused for good and dropped (`dead_letter = false`, or a
    /// batch given up after `retry.max_elapsed` without a dead-letter file).
    pub dropped: u64,
    /// Requests in flight now (a gauge).
    pub in_flight: u64,
    pub latency: LatencySnapshot,
    /// The newest failed attempt: when (Unix seconds) and why.
    pub last_error: Option<(i64, String)>,
}

/// Prometheus-style histogram of request latency.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencySnapshot {
    /// (upper bound in seconds, requests at or below it), cumulative.
    pub buckets: Vec<(f64, u64)>,
    /// Every request (the `+Inf` bucket).
    pub count: u64,
    /// Sum of all latencies, in seconds.
    pub sum_seconds: f64,
}

impl SinkStats {
    pub fn new(id: &str) -> SinkStats {
        SinkStats {
            id: Arc::from(id),
            inner: Arc::default(),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Events accepted by the destination and their JSON bytes.
    pub fn record_sent(&self, events: u64, bytes: u64) {
        self.inner.events_sent.fetch_add(events, Ordering::Relaxed);
        self.inner.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Remembers why the newest attempt failed.
    pub fn record_error(&self, reason: &str) {
        let now = chrono::Utc::now().timestamp();
        *self
            .inner
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some((now, reason.to_string()));
    }

    pub fn record_retry(&self) {
        self.inner.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_dead_lettered(&self, events: u64) {
        self.inner
            .dead_lettered
            .fetch_add(events, Ordering::Relaxed);
    }

    pub fn record_dropped(&self, events: u64) {
        self.inner.dropped.fetch_add(events, Ordering::Relaxed);
    }

    /// Counts a request and keeps the in-flight gauge up until the guard is
    /// dropped, which records the latency.
    pub fn start_request(&self) -> RequestGuard {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        RequestGuard {
            stats: self.clone(),
            started: std::time::Instant::now(),
        }
    }

    fn finish_request(&self, latency: Duration) {
        let c = &self.inner;
        c.in_flight.fetch_sub(1, Ordering::Relaxed);
        let millis = latency.as_millis();
        if let Some(bucket) = LATENCY_BUCKETS_MS
            .iter()
            .position(|bound| millis <= u128::from(*bound))
        {
            c.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        c.latency_count.fetch_add(1, Ordering::Relaxed);
        c.latency_sum_micros
            .fetch_add(latency.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> SinkStatsSnapshot {
        let c = &self.inner;
        let mut cumulative = 0;
        let buckets = LATENCY_BUCKETS_MS
            .iter()
            .zip(&c.latency_buckets)
            .map(|(bound, count)| {
                cumulative += count.load(Ordering::Relaxed);
                (*bound as f64 / 1000.0, cumulative)
            })
            .collect();
        SinkStatsSnapshot {
            sink: self.id.to_string(),
            events_sent: c.events_sent.load(Ordering::Relaxed),
            bytes_sent: c.bytes_sent.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            dead_lettered: c.dead_lettered.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            in_flight: c.in_flight.load(Ordering::Relaxed),
            latency: LatencySnapshot {
                buckets,
                count: c.latency_count.load(Ordering::Relaxed),
                sum_seconds: c.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            },
            last_error: c
                .last_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}

/// One request in flight; see [`SinkStats::start_request`].
#[derive(Debug)]
pub struct RequestGuard {
    stats: SinkStats,
    started: std::time::Instant,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.stats.finish_request(self.started.elapsed());
    }
}

impl SinkStatsSnapshot {
    /// A short per-sink part of the periodic summary.
    pub fn summary_part(&self) -> String {
        format!(
            "{}: sent {}, in flight {}, retries {}, dead-lettered {}, dropped {}",
            self.sink,
            self.events_sent,
            self.in_flight,
            self.retries,
            self.dead_lettered,
            self.dropped
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fill_the_gauge_and_the_cumulative_histogram() {
        let stats = SinkStats::new("central");
        let first = stats.start_request();
        let second = stats.start_request();
        assert_eq!(stats.snapshot().in_flight, 2);
        drop(first);
        drop(second);
        stats.finish_request_for_test(Duration::from_millis(30));
        stats.finish_request_for_test(Duration::from_secs(60));
        let snap = stats.snapshot();
        assert_eq!(snap.in_flight, 0);
        assert_eq!(snap.requests, 2);
        assert_eq!(snap.latency.count, 4);
        // Two fast requests (≤ 5 ms), one of 30 ms, one above every bucket.
        assert_eq!(snap.latency.buckets[0], (0.005, 2));
        assert_eq!(snap.latency.buckets[3], (0.05, 3));
        assert_eq!(snap.latency.buckets.last(), Some(&(30.0, 3)));
        assert!(snap.latency.sum_seconds >= 60.03);
    }

    #[test]
    fn counters_add_up() {
        let stats = SinkStats::new("s");
        stats.record_sent(10, 1000);
        stats.record_sent(5, 500);
        stats.record_retry();
        stats.record_dead_lettered(2);
        stats.record_dropped(3);
        let snap = stats.snapshot();
        assert_eq!((snap.events_sent, snap.bytes_sent), (15, 1500));
        assert_eq!((snap.retries, snap.dead_lettered, snap.dropped), (1, 2, 3));
        assert_eq!(
            snap.summary_part(),
            "s: sent 15, in flight 0, retries 1, dead-lettered 2, dropped 3"
        );
    }

    impl SinkStats {
        /// Records a finished request of a chosen latency (in flight first).
        fn finish_request_for_test(&self, latency: Duration) {
            self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
            self.finish_request(latency);
        }
    }
}
