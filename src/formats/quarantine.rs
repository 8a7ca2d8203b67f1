//! Quarantine events: what an entry becomes when its parser cannot read it,
//! so that nothing is ever dropped.
//!
//! A quarantine event has `parse_error = {reason, parser}`, `raw` = the
//! entry as text (invalid UTF-8 replaced by U+FFFD), and `raw_base64` = the
//! exact bytes whenever `raw` does not hold them (invalid UTF-8, or an entry
//! cut because it was too long). Its time is the ingest time
//! (`time_inferred`), its action `unknown`, its outcome `unknown`, its
//! severity `warning` (someone should look), and its id the derived one.

use std::borrow::Cow;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::event_id::derived_event_id;
use super::EntryContext;
use crate::event::{AuditEvent, ParseError, Severity};

/// How much of an over-long entry is kept in `raw`.
pub const RAW_PREFIX_LIMIT: usize = 1024;

/// The event for an entry `parser` could not read, with `reason` in
/// lower-case words (`not a JSON object`).
pub fn quarantine_event(
    entry: &[u8],
    reason: &str,
    parser: &str,
    ctx: &EntryContext<'_>,
) -> AuditEvent {
    let text = String::from_utf8_lossy(entry);
    let raw_base64 = matches!(text, Cow::Owned(_)).then(|| BASE64.encode(entry));
    let mut event = ctx.new_event(parser);
    event.id = derived_event_id(ctx.position_key, ctx.offset, entry);
    event.severity = Severity::Warning;
    event.raw = Some(text.into_owned());
    event.parse_error = Some(ParseError {
        reason: reason.to_string(),
        parser: parser.to_string(),
        raw_base64,
    });
    event
}

/// The event for an entry longer than the source's `max_line_bytes`:
/// reason `line too long (N bytes)`, `raw` = the first ≤ 1 KiB as text
/// (cut at a character boundary), `raw_base64` = those first bytes exactly.
pub fn line_too_long_event(
    first_bytes: &[u8],
    original_len: u64,
    parser: &str,
    ctx: &EntryContext<'_>,
) -> AuditEvent {
    let prefix = &first_bytes[..first_bytes.len().min(RAW_PREFIX_LIMIT)];
    let text = match std::str::from_utf8(prefix) {
        Ok(text) => Cow::Borrowed(text),
        // Cut inside a character: keep the whole characters before it.
        Err(e) if e.error_len().is_none() => {
            Cow::Borrowed(std::str::from_utf8(&prefix[..e.valid_up_to()]).unwrap_or_default())
        }
        Err(_) => String::from_utf8_lossy(prefix),
    };
    let mut event = ctx.new_event(parser);
    event.id = match ctx.offset {
        Some(offset) => derived_event_id(ctx.position_key, Some(offset), prefix),
        None => {
            let mut key = Vec::with_capacity(prefix.len() + 8);
            key.extend_from_slice(&original_len.to_be_bytes());
            key.extend_from_slice(prefix);
            derived_event_id(ctx.position_key, None, &key)
        }
    };
    event.severity = Severity::Warning;
    event.raw = Some(text.into_owned());
    event.parse_error = Some(ParseError {
        reason: format!("line too long ({original_len} bytes)"),
        parser: parser.to_string(),
        raw_base64: Some(BASE64.encode(prefix)),
    });
    event
}

/// The `parse_error` of an entry that was read after replacing its invalid
/// UTF-8: the exact bytes travel in `raw_base64`.
pub(crate) fn invalid_utf8_error(entry: &[u8], parser: &str) -> ParseError {
    ParseError {
        reason: "invalid UTF-8".to_string(),
        parser: parser.to_string(),
        raw_base64: Some(BASE64.encode(entry)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::OriginKind;
    use chrono::{TimeZone, Utc};

    fn ctx() -> EntryContext<'static> {
        EntryContext {
            origin_kind: OriginKind::File,
            path: Some("/var/log/app.log"),
            offset: Some(10),
            position_key: "f00d",
            host: "h",
            ingest_time: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn quarantine_keeps_the_entry_and_says_why() {
        let e = quarantine_event(b"[1,2]", "not a JSON object", "json", &ctx());
        let pe = e.parse_error.as_ref().unwrap();
        assert_eq!(pe.reason, "not a JSON object");
        assert_eq!(pe.parser, "json");
        assert_eq!(pe.raw_base64, None);
        assert_eq!(e.raw.as_deref(), Some("[1,2]"));
        assert!(e.time_inferred);
        assert_eq!(e.origin.format, "json");
        assert_eq!(e.origin.offset, Some(10));
        assert_eq!(e.id.len(), 32);
    }

    #[test]
    fn quarantine_of_binary_garbage_keeps_exact_bytes() {
        let garbage = [0xff, 0x00, 0xc3, 0x28, b'{'];
        let e = quarantine_event(&garbage, "invalid JSON: x", "json", &ctx());
        let b64 = e.parse_error.unwrap().raw_base64.unwrap();
        assert_eq!(BASE64.decode(b64).unwrap(), garbage);
    }

    #[test]
    fn line_too_long_keeps_one_kib_at_a_character_boundary() {
        let mut big = vec![b'a'; RAW_PREFIX_LIMIT - 1];
        big.extend_from_slice("é".as_bytes());
        big.resize(10 * 1024 * 1024, b'b');
        let e = line_too_long_event(&big, big.len() as u64, "json", &ctx());
        let pe = e.parse_error.as_ref().unwrap();
        assert_eq!(pe.reason, "line too long (10485760 bytes)");
        assert_eq!(e.raw.as_ref().unwrap().len(), RAW_PREFIX_LIMIT - 1);
        let exact = BASE64.decode(pe.raw_base64.as_ref().unwrap()).unwrap();
        assert_eq!(exact, &big[..RAW_PREFIX_LIMIT]);
    }
}
