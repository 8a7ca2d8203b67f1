//! Unit tests of the `auditd` format, on records of the real samples in
//! `tests/fixtures/auditd/` and of `gen-audit --format auditd`.

use super::*;
use chrono::{DateTime, Utc};
use proptest::prelude::*;

fn ctx() -> EntryContext<'static> {
    crate::formats::test_support::file_ctx("/var/log/audit/audit.log")
}

fn parse(entry: &str) -> AuditEvent {
    AuditdParser::new(false).parse(entry.as_bytes(), &ctx())
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

const EXECVE_GROUP: &str = r#"type=SYSCALL msg=audit(1492037291.036:59): arch=c000003e syscall=59 success=yes exit=0 a0=1522170 a1=1506120 a2=14faeb0 a3=7ffcc4582df0 items=2 ppid=12041 pid=13393 auid=1000 uid=1000 gid=1001 euid=1000 suid=1000 fsuid=1000 egid=1001 sgid=1001 fsgid=1001 tty=pts1 ses=802 comm="grep" exe="/usr/bin/grep" subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 key="user_commands"
type=EXECVE msg=audit(1492037291.036:59): argc=3 a0="grep" a1="--color=auto" a2="mapping"
type=CWD msg=audit(1492037291.036:59):  cwd="/home/andrew_kroh"
type=PATH msg=audit(1492037291.036:59): item=0 name="/usr/bin/grep" inode=2512 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 obj=system_u:object_r:bin_t:s0 objtype=NORMAL
type=PATH msg=audit(1492037291.036:59): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=19161168 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 obj=system_u:object_r:ld_so_t:s0 objtype=NORMAL"#;

#[test]
fn a_grouped_execve_event_maps_to_one_event() {
    let e = parse(EXECVE_GROUP);
    assert!(e.parse_error.is_none());
    assert_eq!(e.time, utc("2017-04-12T22:48:11.036Z"));
    assert_eq!(e.action, "syscall.execve");
    assert_eq!(e.category.as_deref(), Some("system"));
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.actor.id.as_deref(), Some("1000"));
    assert_eq!(e.actor.kind, ActorType::User);
    assert_eq!(e.actor.session_id.as_deref(), Some("802"));
    assert_eq!(e.actor.effective, None);
    let r = e.resource.as_ref().unwrap();
    assert_eq!(
        (r.kind.as_deref(), r.name.as_deref()),
        (Some("file"), Some("/usr/bin/grep"))
    );
    assert_eq!(e.message.as_deref(), Some("grep --color=auto mapping"));
    assert_eq!(e.details["serial"], 59);
    assert_eq!(e.details["syscall"]["key"], "user_commands");
    assert_eq!(e.details["cwd"]["cwd"], "/home/andrew_kroh");
    assert_eq!(e.details["path"][1]["name"], "/lib64/ld-linux-x86-64.so.2");
    assert_eq!(e.id.len(), 32);
}

#[test]
fn a_failed_connect_of_a_daemon_is_a_system_failure_with_decoded_exe() {
    let e = parse("type=SYSCALL msg=audit(1492037289.295:58): arch=c000003e syscall=42 success=no exit=-115 a0=6 a1=7ffed2893080 a2=10 a3=fe items=0 ppid=1 pid=1172 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"google_accounts\" exe=2F7573722F62696E2F707974686F6E322E373B3538643163636662202864656C6574656429 subj=system_u:system_r:unconfined_service_t:s0 key=(null)\ntype=SOCKADDR msg=audit(1492037289.295:58): saddr=02000050A9FEA9FE0000000000000000");
    assert_eq!(e.action, "syscall.connect");
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.severity, Severity::Warning);
    assert_eq!(e.actor.id.as_deref(), Some("0"));
    assert_eq!(e.actor.kind, ActorType::System);
    assert_eq!(e.actor.session_id, None);
    assert_eq!(
        e.details["syscall"]["exe"],
        "/usr/bin/python2.7;58d1ccfb (deleted)"
    );
    assert_eq!(
        e.details["sockaddr"]["saddr"],
        "02000050A9FEA9FE0000000000000000"
    );
}

#[test]
fn user_login_reads_actor_address_and_result() {
    let e = parse("type=USER_LOGIN msg=audit(1481077043.193:421): pid=1298 uid=0 auid=1000 ses=1 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=pool-96-241-146-97.washdc.fios.verizon.net addr=96.241.146.97 terminal=/dev/pts/0 res=success'");
    assert_eq!(e.time, utc("2016-12-07T02:17:23.193Z"));
    assert_eq!(e.action, "user.login");
    assert_eq!(e.category.as_deref(), Some("auth"));
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.actor.id.as_deref(), Some("1000"));
    assert_eq!(e.actor.session_id.as_deref(), Some("1"));
    assert_eq!(e.source.unwrap().ip.as_deref(), Some("96.241.146.97"));
    assert_eq!(e.details["user_login"]["op"], "login");
}

#[test]
fn failed_pam_attempt_names_the_account_and_fails() {
    let e = parse("type=USER_ERR msg=audit(1489641207.587:518): pid=1560 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:bad_ident grantors=? acct=\"?\" exe=\"/usr/sbin/sshd\" hostname=190.48.233.76 addr=190.48.233.76 terminal=ssh res=failed'");
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.actor.kind, ActorType::System);
    let e = parse("type=USER_AUTH msg=audit(1481077043.046:408): pid=1298 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=pubkey_auth rport=63927 acct=\"andrew_kroh\" exe=\"/usr/sbin/sshd\" hostname=? addr=96.241.146.97 terminal=? res=success'");
    assert_eq!(e.action, "user.authenticate");
    assert_eq!(e.actor.id.as_deref(), Some("andrew_kroh"));
    assert_eq!(e.actor.name.as_deref(), Some("andrew_kroh"));
    let source = e.source.unwrap();
    assert_eq!(
        (source.ip.as_deref(), source.port),
        (Some("96.241.146.97"), Some(63927))
    );
}

#[test]
fn enriched_service_start_with_node_names_the_unit() {
    let e = parse("node=localhost.localdomain type=SERVICE_START msg=audit(1594053514.709:6): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit=auditd comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'");
    assert_eq!(e.time, utc("2020-07-06T16:38:34.709Z"));
    assert_eq!(e.action, "service.start");
    assert_eq!(e.details["node"], "localhost.localdomain");
    let r = e.resource.unwrap();
    assert_eq!(
        (r.kind.as_deref(), r.name.as_deref()),
        (Some("service"), Some("auditd"))
    );
    assert!(e.source.is_none());
}

#[test]
fn user_cmd_decodes_the_hex_command() {
    let e = parse("type=USER_CMD msg=audit(1481077231.363:475): pid=1382 uid=1000 auid=1000 ses=3 subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 msg='cwd=\"/home/andrew_kroh\" cmd=2E2F6D657472696362656174202D63206D622E6465762E796D6C terminal=pts/0 res=success'");
    assert_eq!(e.action, "user.command");
    assert_eq!(e.details["user_cmd"]["cmd"], "./metricbeat -c mb.dev.yml");
}

#[test]
fn generated_event_with_proctitle_and_eoe() {
    let e = parse("type=SYSCALL msg=audit(1774607415.126:1): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 a3=0 items=2 ppid=1201 pid=2000 auid=13620 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"deployctl\" exe=\"/usr/bin/deployctl\" key=\"webhook.update\"\ntype=EXECVE msg=audit(1774607415.126:1): argc=3 a0=\"deployctl\" a1=\"webhook.update\" a2=\"production\"\ntype=CWD msg=audit(1774607415.126:1): cwd=\"/srv/app\"\ntype=PROCTITLE msg=audit(1774607415.126:1): proctitle=6465706C6F7963746C\ntype=EOE msg=audit(1774607415.126:1):");
    assert_eq!(e.actor.id.as_deref(), Some("13620"));
    assert_eq!(e.actor.effective.as_ref().unwrap().id.as_deref(), Some("0"));
    assert_eq!(e.message.as_deref(), Some("deployctl"));
    assert_eq!(e.details["proctitle"]["proctitle"], "deployctl");
    assert!(!e.details.contains_key("eoe"));
    assert_eq!(
        e.resource.unwrap().name.as_deref(),
        Some("/usr/bin/deployctl")
    );
}

#[test]
fn unknown_types_and_stampless_records_still_parse() {
    let e = parse("type=UNKNOWN[1329] msg=?");
    assert!(e.parse_error.is_none());
    assert_eq!(e.action, "audit.unknown1329");
    assert!(e.time_inferred);
    let e = parse("type=DAEMON_END msg=audit(1481078697.892:7799): auditd normal halt, sending auid=? pid=? subj=? res=success");
    assert_eq!(e.action, "auditd.stop");
    assert_eq!(e.message.as_deref(), Some("auditd normal halt sending"));
}

#[test]
fn non_records_are_quarantined_and_stray_lines_kept() {
    assert_eq!(
        parse("hello").parse_error.unwrap().reason,
        "invalid auditd record: no `type=`"
    );
    let e = parse("type=CWD msg=audit(1.0:1): cwd=\"/\"\ngarbage");
    assert!(e.parse_error.is_none());
    assert_eq!(e.details["unparsed"][0], "garbage");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let e = AuditdParser::new(true).parse(&bytes, &ctx());
        prop_assert!(!e.id.is_empty() && !e.action.is_empty());
    }

    #[test]
    fn record_like_text_never_panics(text in r#"(node=[a-z]{0,3} )?type=[A-Z_]{0,6} msg=(audit\([0-9.:]{0,8}\):?|\?)( [a-z0-9]{1,4}=("[^"]{0,4}"?|'[^']{0,12}'?|[0-9A-F]{0,8}))*\n?"#) {
        let e = AuditdParser::new(false).parse(text.as_bytes(), &ctx());
        prop_assert!(!e.action.is_empty());
    }
}

#[test]
fn repeated_keys_keep_the_first_and_loose_text_wins_over_a_text_field() {
    let e = parse(
        "type=DAEMON_CONFIG msg=audit(1.0:1): pid=1 pid=2 text=field config changed, res=success",
    );
    let config = &e.details["daemon_config"];
    assert_eq!(config["pid"], "1");
    assert_eq!(config["text"], "config changed");
    assert_eq!(config["res"], "success");
    let e = parse("type=DAEMON_CONFIG msg=audit(1.0:1): text=field res=success");
    assert_eq!(e.details["daemon_config"]["text"], "field");
}

#[test]
fn records_of_one_event_with_another_stamp_still_read_their_own_time() {
    // The stamp of the previous record is reused only when equal.
    let e = parse(
        "type=SYSCALL msg=audit(1.0:1): syscall=2 success=yes\ntype=CWD msg=audit(2.5:3): cwd=\"/\"\ntype=PATH msg=audit(abc:1): name=x",
    );
    assert_eq!(e.time, utc("1970-01-01T00:00:01Z"));
    assert_eq!(e.details["serial"], 1);
    assert_eq!(e.details["cwd"]["cwd"], "/");
    assert_eq!(
        e.details["unparsed"][0],
        "type=PATH msg=audit(abc:1): name=x"
    );
}

#[test]
fn shared_fields_prefer_the_primary_record_then_the_first_other_one() {
    // `CWD` comes first but the `SYSCALL` record is primary: its `auid`
    // and `success` win; `addr`/`rport` only exist in later records, and
    // the first of those is taken.
    let e = parse(
        "type=CWD msg=audit(1.0:5): cwd=\"/\" auid=7 success=no\n\
         type=SYSCALL msg=audit(1.0:5): arch=c000003e syscall=42 success=yes auid=1000 auid=1 uid=0\n\
         type=SOCKADDR msg=audit(1.0:5): addr=10.0.0.1 rport=22\n\
         type=SOCKADDR msg=audit(1.0:5): addr=10.0.0.2 rport=23",
    );
    assert_eq!(e.actor.id.as_deref(), Some("1000"));
    assert_eq!(e.outcome, Outcome::Success);
    let source = e.source.as_ref().unwrap();
    assert_eq!(source.ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(source.port, Some(22));
    // Repeated keys inside one record: the first is kept in `details`.
    assert_eq!(e.details["syscall"]["auid"], "1000");
    assert_eq!(e.details["sockaddr"][1]["addr"], "10.0.0.2");
    assert_eq!(e.details["serial"], 5);
}

#[test]
fn a_rule_key_that_reads_as_an_action_is_the_action() {
    let event = |key: &str| {
        parse(&format!(
            "type=SYSCALL msg=audit(1.0:9): arch=c000003e syscall=59 success=yes auid=1000 uid=0 exe=\"/usr/sbin/useradd\" key={key}"
        ))
    };
    let e = event("\"user.create\"");
    assert_eq!(e.action, "user.create");
    assert_eq!(e.category.as_deref(), Some("iam"));
    assert_eq!(e.details["syscall_action"], "syscall.execve");
    assert_eq!(e.details["syscall"]["key"], "user.create");
    for label in [
        "\"identity\"",
        "\"user_commands\"",
        "(null)",
        "\"Time.Change\"",
        "\"a..b\"",
    ] {
        let e = event(label);
        assert_eq!(e.action, "syscall.execve", "{label}");
        assert_eq!(e.category.as_deref(), Some("system"), "{label}");
        assert!(e.details.get("syscall_action").is_none(), "{label}");
    }
}

/// Found by fuzzing (`fuzz/`): a 13-digit stamp (auditd stamps are always
/// seconds) was year 48,903, which the event's line wrote as `+48903-…`,
/// a time no RFC 3339 reader (the agent's own included) reads back.
#[test]
fn a_stamp_beyond_year_9999_is_no_time_and_the_line_reads_back() {
    let e = parse(
        "type=ADD_USER msg=audit(1485076992414.488:389): pid=1264 uid=0 auid=4294967295 \
         ses=4294967295 msg='op=add-user id=1000 exe=\"/usr/sbin/useradd\" res=success'",
    );
    assert_eq!(e.time, ctx().ingest_time);
    assert!(e.time_inferred);
    crate::formats::test_support::assert_line_reads_back(&e);
}
