//! The `raw` format: each line kept as it is. `message` and `raw` hold the
//! line (trailing `\r`/`\n` removed), `action` is `log.line`, the outcome
//! `unknown`, the time the ingest time (`time_inferred`), the id derived
//! from the position. Invalid UTF-8 is replaced and flagged in
//! `parse_error` with the exact bytes, as for every format.

use std::borrow::Cow;

use super::event_id::derived_event_id;
use super::quarantine::invalid_utf8_error;
use super::EntryContext;
use crate::event::AuditEvent;

pub(crate) const PARSER_NAME: &str = "raw";

/// Reads any line. The line always lands in `raw`, so `keep_raw` changes
/// nothing here; it is kept for symmetry with the other parsers.
#[derive(Debug, Clone)]
pub struct RawParser {
    _keep_raw: bool,
}

impl RawParser {
    pub fn new(keep_raw: bool) -> RawParser {
        RawParser {
            _keep_raw: keep_raw,
        }
    }

    pub fn parse(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        let mut end = entry.len();
        while end > 0 && matches!(entry[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        let line = &entry[..end];
        let text = String::from_utf8_lossy(line);
        let mut event = ctx.new_event(PARSER_NAME);
        if matches!(text, Cow::Owned(_)) {
            event.parse_error = Some(invalid_utf8_error(line, PARSER_NAME));
        }
        event.id = derived_event_id(ctx.position_key, ctx.offset, line);
        event.action = "log.line".to_string();
        let text = text.into_owned();
        event.message = Some(text.clone());
        event.raw = Some(text);
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{OriginKind, Outcome};
    use chrono::{TimeZone, Utc};

    fn ctx() -> EntryContext<'static> {
        EntryContext {
            origin_kind: OriginKind::Stdin,
            path: None,
            offset: None,
            position_key: "stdin",
            host: "h",
            ingest_time: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn raw_line_becomes_message_and_raw() {
        let e = RawParser::new(false).parse(b"hello world\r\n", &ctx());
        assert_eq!(e.action, "log.line");
        assert_eq!(e.message.as_deref(), Some("hello world"));
        assert_eq!(e.raw.as_deref(), Some("hello world"));
        assert_eq!(e.outcome, Outcome::Unknown);
        assert!(e.time_inferred);
        assert_eq!(e.origin.format, "raw");
        assert!(e.parse_error.is_none());
        assert_eq!(e.id.len(), 32);
    }

    #[test]
    fn raw_invalid_utf8_is_flagged_with_exact_bytes() {
        let e = RawParser::new(false).parse(b"a\xffb", &ctx());
        assert_eq!(e.message.as_deref(), Some("a\u{fffd}b"));
        let pe = e.parse_error.unwrap();
        assert_eq!(pe.reason, "invalid UTF-8");
        assert_eq!(pe.raw_base64.as_deref(), Some("Yf9i"));
    }
}
