use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::cef::{cef_line, escape_extension, escape_header};
use super::rfc5424::{escape_param, message, MessageFormat};
use super::transport::frame;
use crate::config::{SyslogEncoding, SyslogFraming, SyslogProtocol};

fn event() -> Value {
    json!({
        "id": "evt-1", "time": "2026-11-26T10:11:12.123456789Z", "action": "user.login",
        "outcome": "failure", "severity": "warning", "category": "auth",
        "actor": {"id": "u-1", "name": "al|ice=x", "type": "user"},
        "source": {"ip": "10.0.0.1", "port": 5555},
        "resource": {"type": "session", "id": "s-1"},
        "tenant": {"id": "acme"},
        "message": "line one\nline \"two\" ]",
        "agent": {"host": "web-1", "seq": 42, "chain": "ab12"}
    })
}

fn format(encoding: SyslogEncoding) -> MessageFormat {
    MessageFormat {
        facility: 10,
        encoding,
        sd_id: "audit@32473".into(),
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap()
}

#[test]
fn rfc5424_header_structured_data_and_message() {
    let line = serde_json::to_vec(&event()).unwrap();
    let text = String::from_utf8(message(&line, &format(SyslogEncoding::Rfc5424), now())).unwrap();
    // authpriv (10) × 8 + warning (4) = 84; time cut to microseconds.
    let expected = "<84>1 2026-11-26T10:11:12.123456Z web-1 auditship - user.login \
        [audit@32473 id=\"evt-1\" action=\"user.login\" outcome=\"failure\" category=\"auth\" \
        actor_id=\"u-1\" actor_name=\"al|ice=x\" actor_type=\"user\" source_ip=\"10.0.0.1\" \
        resource_type=\"session\" resource_id=\"s-1\" tenant=\"acme\" seq=\"42\" chain=\"ab12\"] \
        line one\nline \"two\" ]";
    assert_eq!(text, expected);
}

#[test]
fn structured_data_values_escape_quote_backslash_and_bracket() {
    assert_eq!(escape_param(r#"a"b\c]d"#), r#"a\"b\\c\]d"#);
    let mut event = event();
    event["actor"]["name"] = json!("x\"]\\");
    let line = serde_json::to_vec(&event).unwrap();
    let text = String::from_utf8(message(&line, &format(SyslogEncoding::Rfc5424), now())).unwrap();
    assert!(text.contains(r#"actor_name="x\"\]\\""#), "{text}");
}

#[test]
fn a_non_ascii_message_starts_with_the_bom_and_bad_input_still_makes_a_message() {
    let mut event = event();
    event["message"] = json!("Zürich");
    let line = serde_json::to_vec(&event).unwrap();
    let bytes = message(&line, &format(SyslogEncoding::Rfc5424), now());
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with("] \u{feff}Zürich"), "{text}");
    let text = String::from_utf8(message(
        b"not json",
        &format(SyslogEncoding::Rfc5424),
        now(),
    ))
    .unwrap();
    assert_eq!(
        text,
        "<86>1 2000-01-01T00:00:00.000000Z - auditship - - [audit@32473] not json"
    );
}

#[test]
fn cef_header_and_extension_are_escaped_per_the_spec() {
    let event = event();
    let line = cef_line(event.as_object().unwrap());
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        line,
        format!(
            "CEF:0|auditship|auditship|{version}|user.login|line one line \"two\" ]|6|\
             rt=1795687872123 externalId=evt-1 act=user.login outcome=failure cat=auth \
             suser=al|ice\\=x suid=u-1 src=10.0.0.1 spt=5555 dvchost=web-1 \
             msg=line one\\nline \"two\" ] cs1Label=tenant cs1=acme cs3Label=resource cs3=session:s-1 \
             cs4Label=actorType cs4=user cs5Label=chain cs5=ab12 cn1Label=seq cn1=42"
        )
    );
    assert_eq!(escape_header("a|b\\c\nd"), "a\\|b\\\\c d");
    assert_eq!(escape_extension("a=b\\c\nd\re"), "a\\=b\\\\c\\nd\\re");
}

#[test]
fn escapes_are_found_at_every_position_around_the_chunk_edges() {
    // Byte-at-a-time reference for the chunked search.
    let reference = |value: &str| -> String {
        value
            .chars()
            .map(|c| match c {
                '\\' => "\\\\".to_string(),
                '=' => "\\=".to_string(),
                '\n' => "\\n".to_string(),
                '\r' => "\\r".to_string(),
                c => c.to_string(),
            })
            .collect()
    };
    for len in [0, 1, 31, 32, 33, 63, 64, 65, 100] {
        let plain: String = "aé€".chars().cycle().take(len).collect();
        assert_eq!(escape_extension(&plain), plain, "nothing to escape");
        for at in 0..plain.chars().count() {
            for special in ['=', '\\', '\n', '\r'] {
                let value: String = plain
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i == at { special } else { c })
                    .collect();
                assert_eq!(escape_extension(&value), reference(&value), "{value:?}");
            }
        }
    }
    let many = "=\\".repeat(40);
    assert_eq!(escape_extension(&many), reference(&many));
}

#[test]
fn cef_and_json_encodings_fill_the_msg_part() {
    let line = serde_json::to_vec(&event()).unwrap();
    let cef = String::from_utf8(message(&line, &format(SyslogEncoding::Cef), now())).unwrap();
    assert!(cef.contains("] CEF:0|auditship|"), "{cef}");
    let json = String::from_utf8(message(&line, &format(SyslogEncoding::Json), now())).unwrap();
    let msg = json.split_once("] ").unwrap().1;
    assert_eq!(serde_json::from_str::<Value>(msg).unwrap(), event());
}

#[test]
fn frames_use_octet_counting_newlines_or_nothing() {
    let msg = b"<14>1 x\ny".to_vec();
    let octets = frame(
        msg.clone(),
        SyslogProtocol::Tcp,
        SyslogFraming::OctetCounting,
    );
    assert_eq!(octets, b"9 <14>1 x\ny");
    let lf = frame(msg.clone(), SyslogProtocol::Tls, SyslogFraming::Newline);
    assert_eq!(lf, b"<14>1 x y\n");
    let udp = frame(msg.clone(), SyslogProtocol::Udp, SyslogFraming::Newline);
    assert_eq!(udp, msg);
}

#[test]
fn the_typed_read_and_the_value_read_make_the_same_message() {
    // A repeated key (same value) makes the typed read refuse the line, so
    // the second line goes the `Value` way; odd types and escapes included.
    let line = r#"{"id":7,"time":"2026-11-26T10:11:12.5Z","action":"a\"b","outcome":true,"actor":"x","source":{"ip":"10.0.0.1","port":5555},"resource":{"type":"r","id":"r\\1"},"message":"Z\u00fcrich=|","agent":{"host":"h 1","seq":3,"chain":"c"},"details":{"k":[1,{"z":null}]}}"#;
    let repeated = line.replacen(r#""id":7,"#, r#""id":7,"id":7,"#, 1);
    assert!(serde_json::from_str::<Value>(&repeated).is_ok());
    for encoding in [SyslogEncoding::Rfc5424, SyslogEncoding::Cef] {
        let typed = message(line.as_bytes(), &format(encoding), now());
        let via_value = message(repeated.as_bytes(), &format(encoding), now());
        assert_eq!(
            String::from_utf8(typed).unwrap(),
            String::from_utf8(via_value).unwrap()
        );
    }
}

#[test]
fn a_batch_is_one_buffer_and_udp_still_sends_each_message_alone() {
    use super::transport::Frames;
    let mut frames = Frames::default();
    frames.push(
        b"<14>1 a",
        SyslogProtocol::Tls,
        SyslogFraming::OctetCounting,
    );
    frames.push(
        b"<14>1 bc",
        SyslogProtocol::Tls,
        SyslogFraming::OctetCounting,
    );
    assert_eq!(
        frames.iter().collect::<Vec<_>>(),
        [&b"7 <14>1 a"[..], &b"8 <14>1 bc"[..]]
    );
    let mut datagrams = Frames::with_capacity(16, 2);
    datagrams.push(b"one", SyslogProtocol::Udp, SyslogFraming::OctetCounting);
    datagrams.push(b"two\n", SyslogProtocol::Udp, SyslogFraming::Newline);
    assert_eq!(
        datagrams.iter().collect::<Vec<_>>(),
        [&b"one"[..], &b"two\n"[..]]
    );
}

#[test]
fn a_json_array_line_is_no_event_and_becomes_the_message_text() {
    let text = String::from_utf8(message(b"[1]", &format(SyslogEncoding::Rfc5424), now())).unwrap();
    assert_eq!(
        text,
        "<86>1 2000-01-01T00:00:00.000000Z - auditship - - [audit@32473] [1]"
    );
}
