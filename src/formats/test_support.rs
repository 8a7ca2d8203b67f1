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
