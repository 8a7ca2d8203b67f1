#![no_main]
//! Fuzzes the syslog sink's escaping against auditship's own parsers:
//! an event whose `actor.name` and `message` are the input text, sent as
//! CEF or as RFC 5424 (`sinks::syslog::rfc5424::message`), must read back
//! with the same values, as the proptests in
//! `src/sinks/syslog/roundtrip_tests.rs` check on short strings; here the
//! fuzzer drives longer ones across the escaper's 32-byte chunks.
//!
//! Input: the first byte picks the encoding (even: CEF, odd: RFC 5424),
//! the rest is UTF-8 `name` NUL `message`. Texts outside what the round
//! trip promises are skipped, as the proptests' strategy does: with NUL,
//! empty, or starting or ending with white space (CEF receivers trim
//! values).

use auditship::config::{FormatConfig, SyslogEncoding};
use auditship::event::OriginKind;
use auditship::formats::{EntryContext, Parser};
use auditship::sinks::syslog::rfc5424::{message, MessageFormat};
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn round_trips(text: &str) -> bool {
    !text.is_empty()
        && !text.contains('\0')
        && !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
}

fn parsed(format: &FormatConfig, bytes: &[u8]) -> Value {
    let ctx = EntryContext {
        origin_kind: OriginKind::Syslog,
        path: None,
        offset: None,
        position_key: "roundtrip",
        host: "receiver",
        ingest_time: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    };
    let parser = Parser::from_config(format, false).expect("a valid format");
    serde_json::to_value(parser.parse(bytes, &ctx)).expect("an event serializes")
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let (name, msg) = text.split_once('\0').unwrap_or((text, "m"));
    if !round_trips(name) || !round_trips(msg) {
        return;
    }
    let (encoding, format) = if selector % 2 == 0 {
        (SyslogEncoding::Cef, FormatConfig::Cef)
    } else {
        (SyslogEncoding::Rfc5424, FormatConfig::Syslog)
    };
    let event = json!({
        "id": "evt-1", "time": "2026-11-26T10:11:12Z", "action": "user.login",
        "outcome": "success", "severity": "info",
        "actor": {"id": "u-1", "name": name, "type": "user"},
        "message": msg,
        "agent": {"host": "web-1", "seq": 7}
    });
    let format_of_sink = MessageFormat {
        facility: 10,
        encoding,
        sd_id: "audit@32473".into(),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 11, 13).unwrap();
    let sent = message(&serde_json::to_vec(&event).unwrap(), &format_of_sink, now);
    let back = parsed(&format, &sent);
    let sent_text = String::from_utf8_lossy(&sent);
    assert!(
        back["parse_error"].is_null(),
        "quarantined: {sent_text}\n{back:#}"
    );
    assert_eq!(
        back["actor"]["name"],
        Value::from(name),
        "{sent_text}\n{back:#}"
    );
    assert_eq!(back["action"], "user.login", "{sent_text}\n{back:#}");
    if encoding == SyslogEncoding::Cef {
        // As in the proptests: with RFC 5424 the message is MSG, sent
        // unescaped, which is not what this target is about.
        assert_eq!(back["message"], Value::from(msg), "{sent_text}\n{back:#}");
    }
});
