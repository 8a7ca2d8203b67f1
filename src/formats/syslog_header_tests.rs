//! Unit tests of the syslog framing (RFC 5424 and RFC 3164).
use super::*;
use chrono::TimeZone;

fn reference() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()
}

#[test]
fn rfc5424_fields_nil_values_and_bom() {
    let h = parse_syslog(
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed",
        reference(),
    )
    .unwrap();
    assert_eq!(h.pri, Some(34));
    assert_eq!(h.version, Some(1));
    assert_eq!(
        h.time.unwrap().to_rfc3339(),
        "2003-10-11T22:14:15.003+00:00"
    );
    assert_eq!(h.hostname, Some("mymachine.example.com"));
    assert_eq!(
        (h.app_name, h.proc_id, h.msg_id),
        (Some("su"), None, Some("ID47"))
    );
    assert!(h.structured_data.is_empty());
    assert_eq!(h.msg, "'su root' failed");
}

#[test]
fn rfc5424_structured_data_unescapes_quote_backslash_and_bracket() {
    let h = parse_syslog(
        r#"<165>1 - - - - - [a@1 x="q\"b\\c\]d" y="\n"][b@2 z=""]"#,
        reference(),
    )
    .unwrap();
    assert_eq!(h.time, None);
    assert_eq!(h.structured_data.len(), 2);
    assert_eq!(h.structured_data[0].id, "a@1");
    assert_eq!(
        h.structured_data[0].params,
        [
            ("x".to_string(), "q\"b\\c]d".to_string()),
            ("y".to_string(), "\\n".to_string())
        ]
    );
    assert_eq!(h.structured_data[1].params[0].1, "");
    assert_eq!(h.msg, "");
}

#[test]
fn rfc5424_errors_name_the_problem() {
    assert_eq!(
        parse_syslog("<34>1 2003-10-11T22:14:15Z host", reference()),
        Err(SyslogError::Missing("APP-NAME"))
    );
    assert_eq!(
        parse_syslog("<34>1 - h a p m [x a=b]", reference()),
        Err(SyslogError::BadStructuredData(
            "has a param value without quotes"
        ))
    );
    assert_eq!(
        parse_syslog("<192>x", reference()),
        Err(SyslogError::BadPri)
    );
}

#[test]
fn rfc3164_with_and_without_pri_hostname_and_pid() {
    let h = parse_syslog(
        "<13>Feb  5 17:32:18 10.0.0.99 myapp[42]: Use the BFG!",
        reference(),
    )
    .unwrap();
    assert_eq!(h.version, None);
    assert_eq!(h.time.unwrap().to_rfc3339(), "2026-02-05T17:32:18+00:00");
    assert_eq!(h.hostname, Some("10.0.0.99"));
    assert_eq!((h.app_name, h.proc_id), (Some("myapp"), Some("42")));
    assert_eq!(h.msg, "Use the BFG!");
    let h = parse_syslog("Feb 21 21:54:44 localhost sudo: x : y", reference()).unwrap();
    assert_eq!((h.pri, h.app_name, h.proc_id), (None, Some("sudo"), None));
    assert_eq!(h.msg, "x : y");
    let h = parse_syslog("<13>Feb  5 17:32:18 sshd[7]: hi", reference()).unwrap();
    assert_eq!((h.hostname, h.app_name), (None, Some("sshd")));
    assert_eq!(
        parse_syslog("hello", reference()),
        Err(SyslogError::NoHeader)
    );
}
