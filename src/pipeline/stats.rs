//! Counters the pipeline keeps while it runs, and the one-line summary it
//! prints every few seconds so an operator sees events flow.
//!
//! Plain atomics: updated once per batch, never per event on a shared
//! cache line, so they cost nothing measurable. The admin endpoint will
//! export the same numbers. Per-sink delivery metrics live in
//! [`super::sink_stats`]; this registry hands them out by sink id.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::sink_stats::{SinkStats, SinkStatsSnapshot};

/// Counters for the whole agent. Cheap to clone (shared).
#[derive(Debug, Default, Clone)]
pub struct PipelineStats {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    events_read: AtomicU64,
    bytes_read: AtomicU64,
    quarantined: AtomicU64,
    events_journaled: AtomicU64,
    events_written: AtomicU64,
    sink_errors: AtomicU64,
    dead_lettered: AtomicU64,
    refused: AtomicU64,
    dropped: AtomicU64,
    reloads_applied: AtomicU64,
    reloads_rejected: AtomicU64,
    tap_dropped: AtomicU64,
    /// One entry per sink, in the order the sinks started.
    sinks: Mutex<Vec<SinkStats>>,
}

/// A point-in-time copy of the counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub events_read: u64,
    pub bytes_read: u64,
    pub quarantined: u64,
    pub events_journaled: u64,
    pub events_written: u64,
    pub sink_errors: u64,
    pub dead_lettered: u64,
    /// Socket peers or HTTP requests refused (credentials, token).
    pub refused: u64,
    /// Datagrams received but not stored (journal full).
    pub dropped: u64,
    /// Configuration reloads applied / rejected since start.
    pub reloads_applied: u64,
    pub reloads_rejected: u64,
    /// Events `/tap` subscribers were too slow to take.
    pub tap_dropped: u64,
}

impl PipelineStats {
    pub fn record_read(&self, events: u64, bytes: u64, quarantined: u64) {
        let c = &self.inner;
        c.events_read.fetch_add(events, Ordering::Relaxed);
        c.bytes_read.fetch_add(bytes, Ordering::Relaxed);
        c.quarantined.fetch_add(quarantined, Ordering::Relaxed);
    }

    pub fn record_journaled(&self, events: u64) {
        self.inner
            .events_journaled
            .fetch_add(events, Ordering::Relaxed);
    }

    pub fn record_written(&self, events: u64) {
        self.inner
            .events_written
            .fetch_add(events, Ordering::Relaxed);
    }

    pub fn record_sink_error(&self) {
        self.inner.sink_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_dead_lettered(&self, events: u64) {
        self.inner
            .dead_lettered
            .fetch_add(events, Ordering::Relaxed);
    }

    pub fn record_refused(&self, count: u64) {
        self.inner.refused.fetch_add(count, Ordering::Relaxed);
    }

    pub fn record_dropped(&self, count: u64) {
        self.inner.dropped.fetch_add(count, Ordering::Relaxed);
    }

    /// The metrics of sink `id`, registered on first use.
    pub fn sink(&self, id: &str) -> SinkStats {
        let mut sinks = self.inner.sinks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = sinks.iter().find(|s| s.id() == id) {
            return existing.clone();
        }
        let stats = SinkStats::new(id);
        sinks.push(stats.clone());
        stats
    }

    /// Drops the metrics of a sink a reload removed, so `/metrics` stops
    /// reporting it.
    pub fn forget_sink(&self, id: &str) {
        let mut sinks = self.inner.sinks.lock().unwrap_or_else(|e| e.into_inner());
        sinks.retain(|s| s.id() != id);
    }

    /// Counts a configuration reload: applied, or rejected (invalid file,
    /// or a component that could not start).
    pub fn record_reload(&self, applied: bool) {
        let counter = if applied {
            &self.inner.reloads_applied
        } else {
            &self.inner.reloads_rejected
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts events a `/tap` subscriber was too slow to take.
    pub fn record_tap_dropped(&self, events: u64) {
        self.inner.tap_dropped.fetch_add(events, Ordering::Relaxed);
    }

    /// Every sink's metrics, in the order the sinks started.
    pub fn sink_snapshots(&self) -> Vec<SinkStatsSnapshot> {
        let sinks = self.inner.sinks.lock().unwrap_or_else(|e| e.into_inner());
        sinks.iter().map(SinkStats::snapshot).collect()
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        let c = &self.inner;
        StatsSnapshot {
            events_read: c.events_read.load(Ordering::Relaxed),
            bytes_read: c.bytes_read.load(Ordering::Relaxed),
            quarantined: c.quarantined.load(Ordering::Relaxed),
            events_journaled: c.events_journaled.load(Ordering::Relaxed),
            events_written: c.events_written.load(Ordering::Relaxed),
            sink_errors: c.sink_errors.load(Ordering::Relaxed),
            dead_lettered: c.dead_lettered.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            reloads_applied: c.reloads_applied.load(Ordering::Relaxed),
            reloads_rejected: c.reloads_rejected.load(Ordering::Relaxed),
            tap_dropped: c.tap_dropped.load(Ordering::Relaxed),
        }
    }
}

impl StatsSnapshot {
    /// The summary line: totals, and rates since `previous` over `secs`.
    pub fn summary_line(&self, previous: &StatsSnapshot, secs: f64) -> String {
        let rate = |now: u64, before: u64| (now.saturating_sub(before)) as f64 / secs.max(0.001);
        let line = format!(
            "events read {} ({:.0}/s), journaled {}, written {} ({:.0}/s), quarantined {}, sink errors {}, dead-lettered {}",
            self.events_read,
            rate(self.events_read, previous.events_read),
            self.events_journaled,
            self.events_written,
            rate(self.events_written, previous.events_written),
            self.quarantined,
            self.sink_errors,
            self.dead_lettered,
        );
        line + &self.socket_counts()
    }

    /// Refused peers and dropped datagrams, shown only once there are any.
    fn socket_counts(&self) -> String {
        if self.refused == 0 && self.dropped == 0 {
            return String::new();
        }
        format!(", refused {}, dropped {}", self.refused, self.dropped)
    }

    /// The totals alone, for the last line at shutdown.
    pub fn totals_line(&self) -> String {
        let line = format!(
            "events read {}, journaled {}, written {}, quarantined {}, sink errors {}, dead-lettered {}",
            self.events_read,
            self.events_journaled,
            self.events_written,
            self.quarantined,
            self.sink_errors,
            self.dead_lettered,
        );
        line + &self.socket_counts()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_shows_totals_and_rates() {
        let stats = PipelineStats::default();
        let before = stats.snapshot();
        stats.record_read(10, 1000, 1);
        stats.record_journaled(10);
        stats.record_written(8);
        stats.record_sink_error();
        let line = stats.snapshot().summary_line(&before, 2.0);
        assert_eq!(
            line,
            "events read 10 (5/s), journaled 10, written 8 (4/s), quarantined 1, sink errors 1, dead-lettered 0"
        );
    }

    #[test]
    fn sink_metrics_are_registered_once_per_id() {
        let stats = PipelineStats::default();
        stats.sink("a").record_sent(3, 30);
        stats.sink("b").record_retry();
        stats.sink("a").record_sent(1, 10);
        let sinks = stats.sink_snapshots();
        assert_eq!(sinks.len(), 2);
        assert_eq!((sinks[0].sink.as_str(), sinks[0].events_sent), ("a", 4));
        assert_eq!((sinks[1].sink.as_str(), sinks[1].retries), ("b", 1));
    }
}
