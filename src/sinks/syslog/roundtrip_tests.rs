//! What the syslog sink writes, read back by auditship's own `cef` and
//! `syslog` parsers: any string survives the escaping of CEF extensions
//! and of RFC 5424 structured-data values.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::rfc5424::{message, MessageFormat};
use crate::config::{FormatConfig, SyslogEncoding};
use crate::event::OriginKind;
use crate::formats::{EntryContext, Parser};

fn context() -> EntryContext<'static> {
    EntryContext {
        origin_kind: OriginKind::Syslog,
        path: None,
        offset: None,
        position_key: "roundtrip",
        host: "receiver",
        ingest_time: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

fn sent(name: &str, text: &str, encoding: SyslogEncoding) -> Vec<u8> {
    let event = json!({
        "id": "evt-1", "time": "2026-11-26T10:11:12Z", "action": "user.login",
        "outcome": "success", "severity": "info",
        "actor": {"id": "u-1", "name": name, "type": "user"},
        "message": text,
        "agent": {"host": "web-1", "seq": 7}
    });
    let format = MessageFormat {
        facility: 10,
        encoding,
        sd_id: "audit@32473".into(),
    };
    message(&serde_json::to_vec(&event).unwrap(), &format, Utc::now())
}

fn parsed(format: FormatConfig, bytes: &[u8]) -> Value {
    let parser = Parser::from_config(&format, false).unwrap();
    serde_json::to_value(parser.parse(bytes, &context())).unwrap()
}

/// Any text without NUL that does not start or end with white space: CEF
/// separates extension pairs with spaces, so receivers (ours included)
/// trim values, and an all-blank name is no name.
fn text() -> impl Strategy<Value = String> {
    "[^\\x00\\s]([^\\x00]{0,38}[^\\x00\\s])?"
}

proptest! {
    #[test]
    fn cef_extension_values_survive_escaping(name in text(), msg in text()) {
        let bytes = sent(&name, &msg, SyslogEncoding::Cef);
        let event = parsed(FormatConfig::Cef, &bytes);
        prop_assert!(event["parse_error"].is_null(), "{event:#}");
        prop_assert_eq!(&event["actor"]["name"], &Value::from(name), "{:#}", event);
        prop_assert_eq!(&event["message"], &Value::from(msg), "{:#}", event);
    }

    #[test]
    fn rfc5424_structured_data_values_survive_escaping(name in text()) {
        let bytes = sent(&name, "m", SyslogEncoding::Rfc5424);
        let event = parsed(FormatConfig::Syslog, &bytes);
        prop_assert!(event["parse_error"].is_null(), "{event:#}");
        prop_assert_eq!(&event["actor"]["name"], &Value::from(name), "{:#}", event);
        prop_assert_eq!(&event["action"], &Value::from("user.login"));
    }
}
