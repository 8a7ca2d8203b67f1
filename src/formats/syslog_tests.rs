//! Unit tests of the `syslog` format, on lines of the real samples in
//! `tests/fixtures/syslog/`.

use super::*;
use crate::event::Outcome;
use chrono::{DateTime, Utc};
use proptest::prelude::*;

fn ctx() -> EntryContext<'static> {
    crate::formats::test_support::file_ctx("/var/log/auth.log")
}

fn parse(line: &str) -> AuditEvent {
    SyslogParser::new(false).parse(line.as_bytes(), &ctx())
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[test]
fn dynatrace_rfc5424_sample_reads_pri_time_structured_data_and_actor() {
    let e = parse(
        r#"<86>1 2015-08-05T21:58:59.693Z 192.168.2.132 SecureAuth0 23108 ID52020 [SecureAuth@27389 UserHostAddress="192.168.2.132" Realm="SecureAuth0" UserID="Tester2" PEN="27389"] Found the user for retrieving user's profile"#,
    );
    assert!(e.parse_error.is_none());
    assert_eq!(e.time, utc("2015-08-05T21:58:59.693Z"));
    assert!(!e.time_inferred);
    assert_eq!(e.severity, Severity::Info);
    assert_eq!(e.actor.id.as_deref(), Some("Tester2"));
    assert_eq!(e.action, "log.line");
    assert_eq!(
        e.message.as_deref(),
        Some("Found the user for retrieving user's profile")
    );
    assert_eq!(e.details["UserHostAddress"], "192.168.2.132");
    assert_eq!(e.details["Realm"], "SecureAuth0");
    let syslog = &e.details["syslog"];
    assert_eq!(syslog["facility"], "authpriv");
    assert_eq!(syslog["hostname"], "192.168.2.132");
    assert_eq!(syslog["app_name"], "SecureAuth0");
    assert_eq!(syslog["proc_id"], "23108");
    assert_eq!(syslog["msg_id"], "ID52020");
    assert_eq!(syslog["sd_ids"][0], "SecureAuth@27389");
}

#[test]
fn generated_audit_structured_data_fills_action_actor_outcome() {
    let e = parse(
        r#"<86>1 2026-03-27T10:30:15.126Z web-00.example.com deployd 4242 webhook_update [audit@32473 seq="0" action="webhook.update" user="3534ccae-8aa6-7235-2ee7-af97425375be" status="success"] webhook.update by 3534ccae from 10.61.220.154"#,
    );
    assert_eq!(e.action, "webhook.update");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(
        e.actor.id.as_deref(),
        Some("3534ccae-8aa6-7235-2ee7-af97425375be")
    );
    assert_eq!(e.details["seq"], "0");
    assert_eq!(e.category.as_deref(), Some("config"));
}

#[test]
fn sshd_accepted_and_failed_logins_become_user_login_events() {
    let e = parse("Feb 21 21:54:44 localhost sshd[3402]: Accepted publickey for vagrant from 10.0.2.2 port 63673 ssh2: RSA 39:33:99:e9:a0:dc:f2:33:a3:e5:72:3b:7c:3a:56:84");
    assert_eq!(e.time, utc("2026-02-21T21:54:44Z"));
    assert_eq!(e.action, "user.login");
    assert_eq!(e.category.as_deref(), Some("auth"));
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.actor.name.as_deref(), Some("vagrant"));
    assert_eq!(e.actor.kind, ActorType::User);
    let source = e.source.as_ref().unwrap();
    assert_eq!(
        (source.ip.as_deref(), source.port),
        (Some("10.0.2.2"), Some(63673))
    );
    assert_eq!(e.details["auth_method"], "publickey");
    assert_eq!(e.details["syslog"]["proc_id"], "3402");

    let e = parse("Feb 20 08:35:22 slave22 sshd[5774]: Failed password for root from 216.160.83.57 port 29160 ssh2");
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.severity, Severity::Warning);
    assert_eq!(e.actor.id.as_deref(), Some("root"));
    let e = parse("Feb 21 21:56:12 localhost sshd[3430]: Invalid user test from 10.0.2.2");
    assert_eq!(
        (e.action.as_str(), e.outcome),
        ("user.login", Outcome::Failure)
    );
    assert_eq!(e.source.unwrap().ip.as_deref(), Some("10.0.2.2"));
}

#[test]
fn sudo_lines_name_the_command_the_target_user_and_refusals() {
    let e = parse("Feb 23 00:08:48 localhost sudo: vagrant : TTY=pts/1 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/cat /var/log/secure");
    assert_eq!(e.action, "sudo.command");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.actor.name.as_deref(), Some("vagrant"));
    assert_eq!(
        e.actor.effective.as_ref().unwrap().name.as_deref(),
        Some("root")
    );
    let r = e.resource.unwrap();
    assert_eq!(r.name.as_deref(), Some("/bin/cat /var/log/secure"));
    assert_eq!(e.details["tty"], "pts/1");

    let e = parse("Feb 24 00:13:02 precise32 sudo:      tsg : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/ls");
    assert_eq!(e.actor.name.as_deref(), Some("tsg"));
    assert_eq!(e.outcome, Outcome::Blocked);
    assert_eq!(
        e.status.unwrap().detail.as_deref(),
        Some("user NOT in sudoers")
    );
}

#[test]
fn useradd_and_groupadd_create_resources() {
    let e = parse("Feb 22 11:47:05 localhost useradd[6995]: new user: name=apache, UID=48, GID=48, home=/usr/share/httpd, shell=/sbin/nologin");
    assert_eq!(e.action, "user.create");
    assert_eq!(e.category.as_deref(), Some("iam"));
    let r = e.resource.unwrap();
    assert_eq!(
        (r.kind.as_deref(), r.id.as_deref(), r.name.as_deref()),
        (Some("user"), Some("48"), Some("apache"))
    );
    assert_eq!(e.details["shell"], "/sbin/nologin");
    let e = parse("Feb 22 11:47:05 localhost groupadd[6991]: new group: name=apache, GID=48");
    assert_eq!(e.action, "group.create");
    assert_eq!(e.actor.kind, ActorType::System);
}

#[test]
fn unrecognised_bsd_lines_keep_their_message() {
    let e = parse("Feb 19 15:30:04 slave22 sshd[18406]: Did not receive identification string from 2.125.160.217");
    assert_eq!(e.action, "log.line");
    assert_eq!(
        e.message.as_deref(),
        Some("Did not receive identification string from 2.125.160.217")
    );
    assert_eq!(e.actor.kind, ActorType::System);
}

#[test]
fn non_syslog_lines_are_quarantined_with_the_reason() {
    let e = parse("just some text");
    assert_eq!(
        e.parse_error.unwrap().reason,
        "invalid syslog: no PRI and no RFC 3164 timestamp"
    );
    assert_eq!(e.raw.as_deref(), Some("just some text"));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let e = SyslogParser::new(true).parse(&bytes, &ctx());
        prop_assert!(!e.id.is_empty() && !e.action.is_empty());
    }

    #[test]
    fn syslog_like_text_never_panics(text in r#"<[0-9]{1,3}>[0-9]? ?(-|[0-9T:.Z-]{0,24}) [a-z]{0,3} (-|[a-z]{1,3}) - - (-|\[[a-z@0-9]{0,4}( [a-z]{1,2}="([^"\\]|\\.){0,4}"?)*\]?)[ \u{feff}a-z]{0,6}"#) {
        let e = SyslogParser::new(false).parse(text.as_bytes(), &ctx());
        prop_assert!(!e.action.is_empty());
    }
}

/// Found by fuzzing (`fuzz/`): 22 digits, read as epoch nanoseconds, were
/// year 142,808, which the event's line wrote as `+142808-…`, a time no
/// RFC 3339 reader (the agent's own included) reads back.
#[test]
fn a_timestamp_beyond_year_9999_is_no_time_and_the_line_reads_back() {
    let e = parse("4444444444444444444444 ID5020 [c4444454 ID5020 [cu1 b");
    assert_eq!(e.time, ctx().ingest_time);
    assert!(e.time_inferred);
    crate::formats::test_support::assert_line_reads_back(&e);
}
