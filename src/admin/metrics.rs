//! What `/metrics` and `/status` say, from the pipeline's counters and the
//! journal's state. Read-only; no event content, no configuration values
//! (sink ids are the only labels).

use serde_json::json;

use super::prometheus::{Exposition, Kind};
use super::AdminState;

/// The Prometheus exposition of every metric.
pub fn render(state: &AdminState) -> String {
    let stats = state.stats.snapshot();
    let journal = state.journal.stats();
    let mut out = Exposition::new();
    let counters: [(&str, &str, u64); 10] = [
        (
            "auditship_events_read_total",
            "Entries read by all sources.",
            stats.events_read,
        ),
        (
            "auditship_bytes_read_total",
            "Bytes read by all sources.",
            stats.bytes_read,
        ),
        (
            "auditship_events_quarantined_total",
            "Entries kept as quarantine events (over-long, unparsable).",
            stats.quarantined,
        ),
        (
            "auditship_events_journaled_total",
            "Events made durable in the journal.",
            stats.events_journaled,
        ),
        (
            "auditship_events_delivered_total",
            "Events delivered by all sinks.",
            stats.events_written,
        ),
        (
            "auditship_sink_errors_total",
            "Failed delivery attempts, all sinks.",
            stats.sink_errors,
        ),
        (
            "auditship_events_dead_lettered_total",
            "Events refused for good and written to the dead-letter files.",
            stats.dead_lettered,
        ),
        (
            "auditship_source_refused_total",
            "Socket peers, datagrams or HTTP requests refused by a source (credentials, allow_uids/allow_gids, token).",
            stats.refused,
        ),
        (
            "auditship_source_dropped_total",
            "Datagrams dropped by a source because the journal could not take them.",
            stats.dropped,
        ),
        (
            "auditship_tap_events_dropped_total",
            "Events /tap subscribers were too slow to take (the pipeline never waits for them).",
            stats.tap_dropped,
        ),
    ];
    for (name, help, value) in counters {
        out.family(name, Kind::Counter, help)
            .sample(name, &[], value as f64);
    }
    let journal_gauges: [(&str, &str, u64); 4] = [
        (
            "auditship_journal_bytes",
            "Bytes of all journal segments on disk.",
            journal.bytes,
        ),
        (
            "auditship_journal_segments",
            "Journal segment files.",
            journal.segments as u64,
        ),
        (
            "auditship_journal_next_seq",
            "Sequence number the next journaled event gets.",
            journal.next_seq,
        ),
        (
            "auditship_journal_full",
            "1 while sources wait because the journal reached max_bytes.",
            u64::from(journal.full),
        ),
    ];
    for (name, help, value) in journal_gauges {
        out.family(name, Kind::Gauge, help)
            .sample(name, &[], value as f64);
    }
    let journal_counters: [(&str, &str, u64); 2] = [
        (
            "auditship_journal_fsyncs_total",
            "fsync calls on journal segments since start.",
            journal.fsyncs,
        ),
        (
            "auditship_journal_full_waits_total",
            "Times appends waited for sinks to free journal space.",
            journal.full_waits,
        ),
    ];
    for (name, help, value) in journal_counters {
        out.family(name, Kind::Counter, help)
            .sample(name, &[], value as f64);
    }
    out.family(
        "auditship_config_reloads_total",
        Kind::Counter,
        "Configuration reloads (SIGHUP, --watch-config), applied or rejected.",
    );
    for (result, value) in [
        ("applied", stats.reloads_applied),
        ("rejected", stats.reloads_rejected),
    ] {
        out.sample(
            "auditship_config_reloads_total",
            &[("result", result)],
            value as f64,
        );
    }
    let sink_ids = state.sink_ids();
    let backlogs = state.journal.backlogs();
    let backlog_of = |sink: &str| {
        backlogs
            .iter()
            .find(|(name, _)| name == sink)
            .map(|(_, backlog)| *backlog)
            .unwrap_or_default()
    };
    out.family(
        "auditship_sink_backlog_events",
        Kind::Gauge,
        "Journaled events a sink has not delivered yet.",
    );
    for sink in &sink_ids {
        let events = backlog_of(sink).events as f64;
        out.sample("auditship_sink_backlog_events", &[("sink", sink)], events);
    }
    out.family(
        "auditship_sink_backlog_bytes",
        Kind::Gauge,
        "Approximate journal bytes a sink has not delivered yet.",
    );
    for sink in &sink_ids {
        let bytes = backlog_of(sink).bytes as f64;
        out.sample("auditship_sink_backlog_bytes", &[("sink", sink)], bytes);
    }
    render_sinks(state, &mut out);
    if let Some(alerts) = &state.alerts {
        super::alert_metrics::render(alerts, &mut out);
    }
    out.family(
        "auditship_uptime_seconds",
        Kind::Gauge,
        "Seconds since the agent started.",
    )
    .sample(
        "auditship_uptime_seconds",
        &[],
        state.started.elapsed().as_secs_f64().floor(),
    );
    out.family("auditship_build_info", Kind::Gauge, "The running version.")
        .sample(
            "auditship_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
            1.0,
        );
    out.finish()
}

/// Per-sink delivery metrics, kept by the sink driver.
fn render_sinks(state: &AdminState, out: &mut Exposition) {
    let sinks = state.stats.sink_snapshots();
    type Field = fn(&crate::pipeline::SinkStatsSnapshot) -> u64;
    let counters: [(&str, &str, Field); 6] = [
        (
            "auditship_sink_events_sent_total",
            "Events the destination accepted.",
            |s| s.events_sent,
        ),
        (
            "auditship_sink_bytes_sent_total",
            "Bytes of the accepted events' JSON, before encoding and compression.",
            |s| s.bytes_sent,
        ),
        (
            "auditship_sink_requests_total",
            "Send attempts, retries and isolation requests included.",
            |s| s.requests,
        ),
        (
            "auditship_sink_retries_total",
            "Failed attempts that will be tried again.",
            |s| s.retries,
        ),
        (
            "auditship_sink_dead_lettered_total",
            "Events written to the dead-letter file.",
            |s| s.dead_lettered,
        ),
        (
            "auditship_sink_dropped_total",
            "Events refused for good and dropped (dead_letter = false or max_elapsed).",
            |s| s.dropped,
        ),
    ];
    for (name, help, field) in counters {
        out.family(name, Kind::Counter, help);
        for sink in &sinks {
            out.sample(name, &[("sink", &sink.sink)], field(sink) as f64);
        }
    }
    out.family(
        "auditship_sink_in_flight",
        Kind::Gauge,
        "Requests in flight now.",
    );
    for sink in &sinks {
        out.sample(
            "auditship_sink_in_flight",
            &[("sink", &sink.sink)],
            sink.in_flight as f64,
        );
    }
    let name = "auditship_sink_request_duration_seconds";
    out.family(
        name,
        Kind::Histogram,
        "Time from sending a request to its outcome.",
    );
    for sink in &sinks {
        let latency = &sink.latency;
        let bounds: Vec<f64> = latency.buckets.iter().map(|(bound, _)| *bound).collect();
        let counts: Vec<u64> = latency.buckets.iter().map(|(_, n)| *n).collect();
        let labels = [("sink", sink.sink.as_str())];
        out.histogram(
            name,
            &labels,
            &bounds,
            &counts,
            latency.count,
            latency.sum_seconds,
        );
    }
}

/// `/status`: a JSON summary for people and `auditship status`.
pub fn status_json(state: &AdminState) -> String {
    let stats = state.stats.snapshot();
    let journal = state.journal.stats();
    let backlogs = state.journal.backlogs();
    let sink_stats = state.stats.sink_snapshots();
    let sinks: Vec<_> = state
        .sink_ids()
        .iter()
        .map(|sink| {
            let backlog = backlogs
                .iter()
                .find(|(name, _)| name == sink)
                .map(|(_, backlog)| *backlog)
                .unwrap_or_default();
            let counters = sink_stats.iter().find(|s| &s.sink == sink);
            let last_error = counters.and_then(|s| s.last_error.as_ref()).map(|(at, reason)| {
                let at = chrono::DateTime::from_timestamp(*at, 0).unwrap_or_default();
                json!({"at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "reason": reason})
            });
            json!({
                "id": sink,
                "backlog_events": backlog.events,
                "backlog_bytes": backlog.bytes,
                "events_sent": counters.map_or(0, |s| s.events_sent),
                "retries": counters.map_or(0, |s| s.retries),
                "dead_lettered": counters.map_or(0, |s| s.dead_lettered),
                "last_error": last_error,
            })
        })
        .collect();
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": state.started.elapsed().as_secs(),
        "ready": state.ready.load(std::sync::atomic::Ordering::Relaxed),
        "events": {
            "read": stats.events_read,
            "bytes_read": stats.bytes_read,
            "quarantined": stats.quarantined,
            "journaled": stats.events_journaled,
            "delivered": stats.events_written,
            "sink_errors": stats.sink_errors,
            "dead_lettered": stats.dead_lettered,
        },
        "reloads": {
            "applied": stats.reloads_applied,
            "rejected": stats.reloads_rejected,
        },
        "journal": {
            "bytes": journal.bytes,
            "segments": journal.segments,
            "oldest_seq": journal.oldest_seq,
            "next_seq": journal.next_seq,
            "full": journal.full,
            "fsyncs": journal.fsyncs,
        },
        "sinks": sinks,
    })
    .to_string()
}
