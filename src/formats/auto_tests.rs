//! `auto` detection rules, one case each; the fixture and generated-data
//! suites (`tests/formats_fixtures.rs`, `tests/formats_generated.rs`)
//! check that `auto` reads every real sample as its own format does.

use super::*;
use crate::event::OriginKind;
use chrono::{TimeZone, Utc};

fn ctx() -> EntryContext<'static> {
    EntryContext {
        origin_kind: OriginKind::Stdin,
        path: None,
        offset: Some(0),
        position_key: "f00d",
        host: "h",
        ingest_time: Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
    }
}

fn detect(line: &str) -> DetectedFormat {
    detect_format(line.as_bytes(), &ctx())
}

#[test]
fn json_objects_are_told_apart_by_their_markers() {
    assert_eq!(
        detect(r#"{"user":"bob","action":"login"}"#),
        DetectedFormat::Json
    );
    assert_eq!(
        detect(
            "\u{feff}  {\"auditID\":\"1\",\"apiVersion\":\"audit.k8s.io/v1\",\"kind\":\"Event\"}"
        ),
        DetectedFormat::K8s
    );
    assert_eq!(
        detect(r#"{"eventVersion":"1.08","eventSource":"iam.amazonaws.com"}"#),
        DetectedFormat::CloudTrail
    );
    assert_eq!(detect(r#"{ "Records": [] }"#), DetectedFormat::CloudTrail);
    // One marker alone is an app's JSON that mentions it.
    assert_eq!(
        detect(r#"{"msg":"see audit.k8s.io/v1"}"#),
        DetectedFormat::Json
    );
    assert_eq!(detect(r#"{"eventSource":"app"}"#), DetectedFormat::Json);
}

#[test]
fn text_lines_are_told_apart_by_their_start() {
    assert_eq!(
        detect("type=SYSCALL msg=audit(1.0:1): arch=c000003e"),
        DetectedFormat::Auditd
    );
    assert_eq!(
        detect("node=h type=EOE msg=audit(1.0:1):"),
        DetectedFormat::Auditd
    );
    assert_eq!(
        detect("CEF:0|V|P|1|100|name|5|suser=bob"),
        DetectedFormat::Cef
    );
    assert_eq!(
        detect("<134>Feb 21 21:54:44 fw01 CEF:0|V|P|1|100|name|5|src=10.0.0.1"),
        DetectedFormat::Cef
    );
    assert_eq!(
        detect("<86>1 2015-08-05T21:58:59.693Z host app 1 ID5 - message"),
        DetectedFormat::Syslog
    );
    assert_eq!(
        detect("Feb 21 21:54:44 localhost sshd[3402]: Accepted publickey for vagrant"),
        DetectedFormat::Syslog
    );
    assert_eq!(
        detect(r#"time=2026-04-01T00:00:00Z user=bob action="user.login""#),
        DetectedFormat::Logfmt
    );
    assert_eq!(detect("<event id=\"1\"/>"), DetectedFormat::Raw);
    assert_eq!(detect("just words = here"), DetectedFormat::Raw);
    assert_eq!(detect("=x"), DetectedFormat::Raw);
    assert_eq!(detect(""), DetectedFormat::Raw);
}

#[test]
fn each_event_names_the_format_that_read_it() {
    let parser = AutoParser::new(false);
    let mut events = Vec::new();
    for line in [
        r#"{"user":"bob","action":"login"}"#,
        "type=USER_LOGIN msg=audit(1.0:1): pid=1 uid=0 auid=1000 ses=2 msg='op=login acct=\"bob\" res=success'",
        "CEF:0|V|P|1|100|name|5|suser=bob",
        "<13>Feb 21 21:54:44 host app: hello",
        "user=bob action=login",
        "\u{1}\u{2} not a format",
    ] {
        parser.parse_into(line.as_bytes(), &ctx(), &mut events);
    }
    let formats: Vec<&str> = events.iter().map(|e| e.origin.format.as_str()).collect();
    assert_eq!(
        formats,
        ["json", "auditd", "cef", "syslog", "logfmt", "raw"]
    );
    assert_eq!(events[1].actor.id.as_deref(), Some("1000"));
    assert!(events.iter().all(|e| e.parse_error.is_none()));
}

#[test]
fn bytes_that_are_not_utf8_are_still_detected_and_flagged() {
    let line = b"user=b\xffb action=login";
    assert_eq!(detect_format(line, &ctx()), DetectedFormat::Logfmt);
    let event = AutoParser::new(false).parse(line, &ctx());
    assert_eq!(event.origin.format, "logfmt");
    assert!(event.parse_error.is_some());
}
