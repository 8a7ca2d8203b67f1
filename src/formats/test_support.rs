//! Checks shared by the parsers' tests.

use crate::event::AuditEvent;

/// The event's JSON line reads back as the same event: what a sink or an
/// aggregator downstream will do with it (fuzzing found times whose line
/// no RFC 3339 reader took).
pub(crate) fn assert_line_reads_back(event: &AuditEvent) {
    let mut line = Vec::new();
    event.to_json_line(&mut line);
    let back: AuditEvent = serde_json::from_slice(&line).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&line));
    });
    assert_eq!(&back, event);
}

/// The context most parser tests parse under: a file at `path`, offset
/// 0, host `h`, ingest time 2026-04-01T00:00:00Z.
pub(crate) fn file_ctx(path: &'static str) -> crate::formats::EntryContext<'static> {
    use chrono::TimeZone;
    crate::formats::EntryContext {
        origin_kind: crate::event::OriginKind::File,
        path: Some(path),
        offset: Some(0),
        position_key: "f00d",
        host: "h",
        ingest_time: chrono::Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
    }
}
