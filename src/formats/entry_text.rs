//! The text of one entry for the text formats (`logfmt`, `syslog`, `cef`,
//! `auditd`), and the last step every one of them shares.
//!
//! Invalid UTF-8 is never a reason to drop an entry: it is replaced by
//! U+FFFD, the entry is parsed anyway, and the event carries
//! `parse_error.reason = "invalid UTF-8"` with the exact bytes, as the
//! `json` and `raw` formats do.

use std::borrow::Cow;

use super::event_id::derived_event_id;
use super::quarantine::invalid_utf8_error;
use super::EntryContext;
use crate::event::AuditEvent;

/// An entry as text: trailing `\r`/`\n` removed, invalid UTF-8 replaced.
pub(super) struct EntryText<'a> {
    pub text: Cow<'a, str>,
    /// The entry was not valid UTF-8.
    pub lossy: bool,
}

impl<'a> EntryText<'a> {
    pub fn new(entry: &'a [u8]) -> EntryText<'a> {
        let mut end = entry.len();
        while end > 0 && matches!(entry[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        // `from_utf8` checks valid text (nearly always) many times faster
        // than `from_utf8_lossy`, which walks it chunk by chunk.
        match std::str::from_utf8(&entry[..end]) {
            Ok(text) => EntryText {
                text: Cow::Borrowed(text),
                lossy: false,
            },
            Err(_) => EntryText {
                text: Cow::Owned(String::from_utf8_lossy(&entry[..end]).into_owned()),
                lossy: true,
            },
        }
    }
}

/// Gives the event its derived id when the source had none, `raw` when
/// asked for, and flags a lossy decode with the exact bytes.
pub(super) fn finish_text_event(
    mut event: AuditEvent,
    entry: &[u8],
    ctx: &EntryContext<'_>,
    keep_raw: bool,
    lossy: bool,
) -> AuditEvent {
    if event.id.is_empty() {
        event.id = derived_event_id(ctx.position_key, ctx.offset, entry);
    }
    if keep_raw || lossy {
        event.raw = Some(String::from_utf8_lossy(entry).into_owned());
    }
    if lossy {
        let parser = event.origin.format.clone();
        event.parse_error = Some(invalid_utf8_error(entry, &parser));
    }
    event
}

/// Reads an entry holding one JSON object (`k8s`, `cloudtrail`): a UTF-8
/// BOM is skipped, and invalid UTF-8 is replaced and read anyway (the
/// returned flag says so). The error is the quarantine reason.
pub(super) fn read_json_object(
    entry: &[u8],
) -> Result<(serde_json::Map<String, serde_json::Value>, bool), String> {
    use serde_json::Value;
    let body = entry.strip_prefix(b"\xef\xbb\xbf").unwrap_or(entry);
    // One UTF-8 check of the whole entry, then `from_str`, which does not
    // check each string again as `from_slice` does.
    let (parsed, lossy) = match std::str::from_utf8(body) {
        Ok(text) => (serde_json::from_str::<Value>(text), false),
        Err(_) => match serde_json::from_slice::<Value>(body) {
            Err(_) => (
                serde_json::from_str::<Value>(&String::from_utf8_lossy(body)),
                true,
            ),
            ok => (ok, false),
        },
    };
    match parsed {
        Ok(Value::Object(object)) => Ok((object, lossy)),
        Ok(_) => Err("not a JSON object".to_string()),
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => {
            Err("invalid JSON: empty entry".to_string())
        }
        Err(error) => Err(format!("invalid JSON: {error}")),
    }
}
