//! Unit tests of the `cef` format, on records of the real sample
//! `tests/fixtures/cef/tenzir_checkpoint.log` and of `gen-audit --format cef`.

use super::*;
use proptest::prelude::*;

fn ctx() -> EntryContext<'static> {
    crate::formats::test_support::file_ctx("/var/log/siem.cef")
}

fn parse(line: &str) -> AuditEvent {
    CefParser::new(false).parse(line.as_bytes(), &ctx())
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

const CHECKPOINT_1: &str = r"CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Accept destinationTranslatedAddress=0.0.0.0 destinationTranslatedPort=0 deviceDirection=0 rt=1543270652000 sourceTranslatedAddress=192.168.103.254 sourceTranslatedPort=35398 spt=49363 dpt=443 cs2Label=Rule Name layer_name=Network layer_uuid=b406b732-2437-4848-9741-6eae1f5bf112 match_id=4 parent_rule=0 rule_action=Accept rule_uid=9e5e6e74-aa9a-4693-b9fe-53712dd27bea ifname=eth0 logid=0 loguid={0x5bfc70fc,0x1,0xfe65a8c0,0xc0000001} origin=192.168.101.254 originsicname=CN\=R80,O\=R80_M..6u6bdo sequencenum=1 version=5 dst=52.173.84.157 inzone=Internal nat_addtnl_rulenum=1 nat_rulenum=4 outzone=External product=VPN-1 & FireWall-1 proto=6 service_id=https src=192.168.101.100 cs5Label=Matched Category cs5=Business / Economy deviceCustomDate2=1508150533713 deviceCustomDate2Label=This field is made up";

#[test]
fn checkpoint_accept_reads_time_action_source_and_named_customs() {
    let e = parse(CHECKPOINT_1);
    assert!(e.parse_error.is_none());
    assert_eq!(e.origin.format, "cef");
    assert_eq!(e.time, utc("2018-11-26T22:17:32Z"));
    assert_eq!(e.action, "accept");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.severity, Severity::Info);
    assert_eq!(e.actor.kind, ActorType::System);
    let source = e.source.as_ref().unwrap();
    assert_eq!(
        (source.ip.as_deref(), source.port),
        (Some("192.168.101.100"), Some(49363))
    );
    assert_eq!(e.message.as_deref(), Some("https"));
    assert_eq!(e.details["Matched Category"], "Business / Economy");
    assert_eq!(e.details["This field is made up"], "1508150533713");
    assert_eq!(e.details["cs2Label"], "Rule Name");
    assert_eq!(e.details["originsicname"], "CN=R80,O=R80_M..6u6bdo");
    assert_eq!(e.details["product"], "VPN-1 & FireWall-1");
    assert_eq!(e.details["dst"], "52.173.84.157");
    assert_eq!(e.details["cef"]["device_vendor"], "Check Point");
    assert_eq!(e.details["cef"]["signature_id"], "Log");
    assert_eq!(e.details["cef"]["severity"], "Unknown");
}

#[test]
fn checkpoint_drop_with_ipv6_source_is_blocked() {
    let e = parse(
        r"CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Drop cp_app_risk=High cp_severity=Very-High baseEventCount=12 deviceFacility=4 c6a2=fd00::555 c6a2Label=Source IPv6 Address c6a3=::1 c6a3Label=Destination IPv6 Address fileHash=580a783c1cb2b20613323f715d231a69 cn2=5 cn2Label=Duration in Seconds",
    );
    assert_eq!(e.action, "drop");
    assert_eq!(e.outcome, Outcome::Blocked);
    assert_eq!(e.severity, Severity::Warning);
    assert!(e.time_inferred);
    assert_eq!(e.source.unwrap().ip.as_deref(), Some("fd00::555"));
    assert_eq!(e.details["Destination IPv6 Address"], "::1");
    assert_eq!(e.details["Duration in Seconds"], "5");
}

#[test]
fn checkpoint_textual_custom_date_and_message() {
    let e = parse(
        r"CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|https|Unknown|act=Bypass cn1Label=Email Recipients Number cs1Label=Email ID cs4Label=Email Control cs4=SMTP Policy Restrictions cs5Label=Email Session ID deviceDirection=0 msg=Encrypted session rt=1545211330000 spt=4001 dpt=25 fileHash=55f4a511e6f630a6b1319505414f114e7bcaf13d deviceCustomDate2=Apr 11 2020 10:42:13 deviceCustomDate2Label=Subscription expiration",
    );
    assert_eq!(e.time, utc("2018-12-19T09:22:10Z"));
    assert_eq!(e.message.as_deref(), Some("Encrypted session"));
    assert_eq!(e.details["Email Control"], "SMTP Policy Restrictions");
    assert_eq!(e.details["Subscription expiration"], "Apr 11 2020 10:42:13");
    assert_eq!(e.details["cs1Label"], "Email ID");
}

#[test]
fn generated_record_fills_actor_id_tenant_and_outcome() {
    let e = parse(
        r"CEF:0|Acme|deployd|2.1|webhook.update|webhook update|3|rt=1774607415126 suid=3534ccae-8aa6-7235-2ee7-af97425375be src=10.61.220.154 act=webhook.update outcome=success externalId=70293815-5351-d2c1-e8fb-46b52a2d551f cs1Label=seq cs1=0 cs2Label=tenant cs2=3099fdf5-ab99-254a-e901-e35cd47d380d msg=webhook.update by user (env\=production)",
    );
    assert_eq!(e.id, "70293815-5351-d2c1-e8fb-46b52a2d551f");
    assert_eq!(e.time, utc("2026-03-27T10:30:15.126Z"));
    assert_eq!(e.action, "webhook.update");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(
        e.actor.id.as_deref(),
        Some("3534ccae-8aa6-7235-2ee7-af97425375be")
    );
    assert_eq!(e.actor.kind, ActorType::User);
    assert_eq!(e.tenant.unwrap().id, "3099fdf5-ab99-254a-e901-e35cd47d380d");
    assert_eq!(e.details["seq"], "0");
    assert_eq!(
        e.message.as_deref(),
        Some("webhook.update by user (env=production)")
    );
}

#[test]
fn cef_after_a_syslog_header_takes_host_and_falls_back_to_its_time() {
    let e = parse(
        r"<134>Feb  5 17:32:18 fw01 CEF:0|V|P|1|100|Login|7|suser=alice duser=root outcome=failure",
    );
    assert_eq!(e.time, utc("2026-02-05T17:32:18Z"));
    assert_eq!(e.action, "login");
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.severity, Severity::Error);
    assert_eq!(e.actor.name.as_deref(), Some("alice"));
    assert_eq!(e.resource.unwrap().name.as_deref(), Some("root"));
    assert_eq!(e.details["syslog"]["hostname"], "fw01");
}

#[test]
fn cef_times_in_text_forms() {
    let r = utc("2026-04-01T00:00:00Z");
    assert_eq!(
        parse_cef_time("Apr 11 2020 10:42:13", r),
        Some(utc("2020-04-11T10:42:13Z"))
    );
    assert_eq!(
        parse_cef_time("Apr 11 2020 10:42:13.250 GMT", r),
        Some(utc("2020-04-11T10:42:13.250Z"))
    );
    assert_eq!(
        parse_cef_time("Apr 11 2020 10:42:13 +0200", r),
        Some(utc("2020-04-11T08:42:13Z"))
    );
    assert_eq!(parse_cef_time("soon", r), None);
}

#[test]
fn non_cef_is_quarantined_with_the_reason() {
    assert_eq!(
        parse("hello").parse_error.unwrap().reason,
        "invalid CEF: no `CEF:` prefix"
    );
    assert_eq!(
        parse("CEF:0|a|b|c").parse_error.unwrap().reason,
        "invalid CEF: 3 of 7 header fields before the extension"
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let e = CefParser::new(true).parse(&bytes, &ctx());
        prop_assert!(!e.id.is_empty() && !e.action.is_empty());
    }

    #[test]
    fn cef_like_text_never_panics(text in r"(<1[0-9]>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} h )?CEF:[0-9]\|([^|\\]|\\.){0,3}\|[a-z|\\]{0,12}(\|[0-9a-zA-Z -]{0,4}\|)?([a-zA-Z0-9]{1,5}=([^=\\]|\\.){0,6} ?){0,5}") {
        let e = CefParser::new(false).parse(text.as_bytes(), &ctx());
        prop_assert!(!e.action.is_empty());
    }
}
