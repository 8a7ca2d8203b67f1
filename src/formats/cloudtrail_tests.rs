//! Unit tests of the `cloudtrail` format, on the real sample
//! `tests/fixtures/cloudtrail/otel-contrib_cloudtrail_log.json` (read
//! whole, as one entry) and on `gen-audit --format cloudtrail` lines.

use super::*;
use crate::event::ActorType;
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::json;

fn ctx() -> EntryContext<'static> {
    crate::formats::test_support::file_ctx("/var/log/trail.log")
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn fixture() -> Vec<AuditEvent> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cloudtrail/otel-contrib_cloudtrail_log.json"
    );
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    CloudTrailParser::new(false).parse_into(&bytes, &ctx(), &mut out);
    out
}

#[test]
fn a_records_file_gives_one_event_per_record_in_order() {
    let events = fixture();
    assert_eq!(events.len(), 7);
    assert!(events.iter().all(|e| e.parse_error.is_none()));
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "ec2.start_instances",
            "iam.create_user",
            "sns.publish",
            "cloudtrail.insight",
            "cloudtrail.update_trail",
            "signin.console_login",
            "kms.rotate_key"
        ]
    );
}

#[test]
fn iam_user_call_maps_actor_source_tenant_and_request_id() {
    let e = &fixture()[0];
    assert_eq!(e.id, "e755e09c-42f9-4c5c-9064-EXAMPLE228c7");
    assert_eq!(e.time, utc("2023-07-19T21:17:28Z"));
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(
        e.actor.id.as_deref(),
        Some("arn:aws:iam::123456789012:user/Mateo")
    );
    assert_eq!(e.actor.name.as_deref(), Some("Mateo"));
    assert_eq!(e.actor.kind, ActorType::User);
    let source = e.source.as_ref().unwrap();
    assert_eq!(source.ip.as_deref(), Some("192.0.2.0"));
    assert!(source
        .user_agent
        .as_deref()
        .unwrap()
        .starts_with("aws-cli/2.13.5"));
    assert_eq!(e.tenant.as_ref().unwrap().id, "123456789012");
    assert_eq!(
        e.correlation["request_id"],
        "e4336db0-149f-4a6b-844d-EXAMPLEb9d16"
    );
    assert_eq!(e.details["awsRegion"], "us-east-1");
    assert_eq!(
        e.details["userIdentity"]["accessKeyId"],
        "AKIAIOSFODNN7EXAMPLE"
    );
    assert_eq!(
        e.details["requestParameters"]["instancesSet"]["items"][0]["instanceId"],
        "i-EXAMPLE56126103cb"
    );
    assert_eq!(
        e.message.as_deref(),
        Some("Mateo called ec2.amazonaws.com StartInstances")
    );
}

#[test]
fn assumed_role_with_resource_and_data_event() {
    let e = &fixture()[2];
    assert_eq!(
        e.actor.id.as_deref(),
        Some("arn:aws:iam::123456789012:user/Bob")
    );
    let eff = e.actor.effective.as_ref().unwrap();
    assert_eq!(
        eff.id.as_deref(),
        Some("arn:aws:iam::123456789012:role/Admin")
    );
    assert_eq!(eff.name.as_deref(), Some("ExampleUser"));
    let r = e.resource.as_ref().unwrap();
    assert_eq!(r.kind.as_deref(), Some("AWS::SNS::Topic"));
    assert_eq!(
        r.id.as_deref(),
        Some("arn:aws:sns:us-east-1:123456789012:ExampleSNSTopic")
    );
    assert_eq!(e.details["eventCategory"], "Data");
}

#[test]
fn insight_without_identity_is_a_system_event() {
    let e = &fixture()[3];
    assert_eq!(e.actor.kind, ActorType::System);
    assert_eq!(e.actor.id, None);
    assert_eq!(e.outcome, Outcome::Unknown);
    assert_eq!(
        e.resource.as_ref().unwrap().name.as_deref(),
        Some("ssm.amazonaws.com/UpdateInstanceInformation")
    );
}

#[test]
fn error_code_is_a_failure_with_status() {
    let e = &fixture()[4];
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.severity, Severity::Warning);
    let status = e.status.as_ref().unwrap();
    assert_eq!(status.code, Some(json!("TrailNotFoundException")));
    assert!(status
        .detail
        .as_deref()
        .unwrap()
        .starts_with("Unknown trail:"));
    assert_eq!(e.tenant.as_ref().unwrap().id, "111122223333");
}

#[test]
fn console_sign_in_and_service_event() {
    let events = fixture();
    let login = &events[5];
    assert_eq!(login.outcome, Outcome::Success);
    assert_eq!(login.category.as_deref(), Some("auth"));
    assert_eq!(
        login.actor.id.as_deref(),
        Some("arn:aws:iam::123456789012:user/identity-center-user")
    );
    let rotate = &events[6];
    assert_eq!(rotate.actor.kind, ActorType::System);
    assert_eq!(rotate.details["sourceIPAddress"], "AWS Internal");
    assert!(rotate.source.as_ref().is_none_or(|s| s.ip.is_none()));
}

#[test]
fn one_record_per_line_and_access_denied_is_blocked() {
    let line = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"3534CCAE-8AA6-7235-2","accountId":"111100000000","arn":"arn:aws:iam::111122223333:user/3534ccae","userName":"3534ccae"},"eventTime":"2026-03-27T10:30:15Z","eventSource":"webhook.amazonaws.com","eventName":"WebhookUpdate","awsRegion":"eu-west-1","sourceIPAddress":"10.61.220.154","userAgent":"aws-cli/2.15.0","requestParameters":{"resourceId":"688188b7cc6b","seq":0},"responseElements":null,"requestID":"70293815-5351-d2c1","eventID":"70293815-5351-d2c1-e8fb-46b52a2d551f","eventType":"AwsApiCall","recipientAccountId":"111122223333","errorCode":"AccessDenied"}"#;
    let e = CloudTrailParser::new(false).parse_one(line.as_bytes(), &ctx());
    assert_eq!(e.action, "webhook.webhook_update");
    assert_eq!(e.outcome, Outcome::Blocked);
    assert_eq!(e.details["requestParameters"]["seq"], 0);
}

#[test]
fn parse_one_keeps_a_multi_record_entry_whole_in_quarantine() {
    let entry = br#"{"Records":[{"eventID":"a"},{"eventID":"b"}]}"#;
    let e = CloudTrailParser::new(false).parse_one(entry, &ctx());
    assert_eq!(
        e.parse_error.unwrap().reason,
        "entry holds 2 CloudTrail records: read it with Parser::parse_into"
    );
    let mut out = Vec::new();
    CloudTrailParser::new(false).parse_into(entry, &ctx(), &mut out);
    assert_eq!(
        out.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    push_snake_case(&mut out, name);
    out
}

#[test]
fn snake_case_splits_words_and_acronyms() {
    assert_eq!(snake_case("StartInstances"), "start_instances");
    assert_eq!(snake_case("GetObjectACL"), "get_object_acl");
    assert_eq!(snake_case("ListMFADevices"), "list_mfa_devices");
    assert_eq!(snake_case("ConsoleLogin"), "console_login");
}

proptest! {
    /// The byte-wise rules for ASCII names are the char-wise ones.
    #[test]
    fn ascii_snake_case_equals_the_unicode_rules(name in "[A-Za-z0-9 _.-]{0,24}") {
        let mut chars = String::new();
        push_snake_case_chars(&mut chars, &name);
        prop_assert_eq!(snake_case(&name), chars);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut out = Vec::new();
        CloudTrailParser::new(true).parse_into(&bytes, &ctx(), &mut out);
        prop_assert!(!out.is_empty());
        prop_assert!(out.iter().all(|e| !e.id.is_empty() && !e.action.is_empty()));
    }

    #[test]
    fn arbitrary_record_shapes_never_panic(
        name in any::<String>(),
        code in proptest::option::of(any::<String>()),
        identity in proptest::option::of(any::<String>()),
        n in 0usize..3,
    ) {
        let record = json!({"eventName": name, "eventSource": "x.amazonaws.com", "errorCode": code,
            "userIdentity": {"type": identity, "arn": "arn:aws:sts::1:assumed-role/R/s"}});
        let line = json!({"Records": vec![record; n]}).to_string();
        let mut out = Vec::new();
        CloudTrailParser::new(false).parse_into(line.as_bytes(), &ctx(), &mut out);
        prop_assert_eq!(out.len(), n.max(1));
    }
}
