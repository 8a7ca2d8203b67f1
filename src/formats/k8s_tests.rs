//! Unit tests of the `k8s` format, on events of the real sample
//! `tests/fixtures/k8s/audit2rbac_demo.log` and of `gen-audit --format k8s`.

use super::*;
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::json;

fn ctx() -> EntryContext<'static> {
    crate::formats::test_support::file_ctx("/var/log/kube-audit.log")
}

fn default_stages() -> Vec<String> {
    DEFAULT_K8S_STAGES.map(str::to_string).to_vec()
}

/// What a source reads from `entry`: kept stages, `EventList` items.
fn read(entry: &str, stages: &[&str]) -> Vec<AuditEvent> {
    let stages: Vec<String> = stages.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    K8sParser::new(false, &stages).parse_into(entry.as_bytes(), &ctx(), &mut out);
    out
}

fn parse(line: &str) -> AuditEvent {
    K8sParser::new(false, &default_stages()).parse(line.as_bytes(), &ctx())
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

const FORBIDDEN_SA: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","metadata":{"creationTimestamp":"2017-09-11T20:00:59Z"},"level":"Metadata","timestamp":"2017-09-11T20:00:59Z","auditID":"60006562-ced6-4178-ac95-e1a50225b012","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"system:admin","groups":["system:masters","system:authenticated"]},"impersonatedUser":{"username":"system:serviceaccount:ns1:sa1","groups":["system:serviceaccounts","system:serviceaccounts:ns1","system:authenticated"]},"sourceIPs":["::1"],"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","message":"pods is forbidden: User \"system:serviceaccount:ns1:sa1\" cannot list pods in the namespace \"default\"","reason":"Forbidden","details":{"kind":"pods"},"code":403}}"#;

#[test]
fn impersonated_forbidden_list_is_blocked_with_status_and_namespace() {
    let e = parse(FORBIDDEN_SA);
    assert!(e.parse_error.is_none());
    assert_eq!(e.id, "60006562-ced6-4178-ac95-e1a50225b012");
    assert_eq!(e.time, utc("2017-09-11T20:00:59Z"));
    assert_eq!(e.action, "pods.list");
    assert_eq!(e.category.as_deref(), Some("cluster"));
    assert_eq!(e.outcome, Outcome::Blocked);
    assert_eq!(e.severity, Severity::Warning);
    assert_eq!(e.actor.id.as_deref(), Some("system:admin"));
    assert_eq!(e.actor.kind, ActorType::User);
    assert_eq!(e.actor.groups, ["system:masters", "system:authenticated"]);
    let eff = e.actor.effective.as_ref().unwrap();
    assert_eq!(eff.name.as_deref(), Some("system:serviceaccount:ns1:sa1"));
    assert_eq!(e.source.as_ref().unwrap().ip.as_deref(), Some("::1"));
    let r = e.resource.as_ref().unwrap();
    assert_eq!((r.kind.as_deref(), r.name.as_deref()), (Some("pods"), None));
    assert_eq!(e.project.as_ref().unwrap().id, "default");
    let status = e.status.as_ref().unwrap();
    assert_eq!(status.code, Some(json!(403)));
    assert_eq!(
        status.detail.as_deref(),
        Some(
            r#"pods is forbidden: User "system:serviceaccount:ns1:sa1" cannot list pods in the namespace "default""#
        )
    );
    assert_eq!(e.details["responseStatus"]["reason"], "Forbidden");
    assert_eq!(e.details["stage"], "ResponseComplete");
    assert_eq!(e.details["objectRef"]["apiVersion"], "v1");
    assert_eq!(
        e.details["impersonatedUser"]["groups"][1],
        "system:serviceaccounts:ns1"
    );
    assert_eq!(
        e.message.as_deref(),
        Some("system:admin (as system:serviceaccount:ns1:sa1) list pods in default: 403")
    );
}

#[test]
fn non_resource_request_names_the_url() {
    let e = parse(
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","metadata":{"creationTimestamp":"2017-09-11T20:27:42Z"},"level":"Metadata","timestamp":"2017-09-11T20:27:42Z","auditID":"eed8aa73-fedf-46b2-88f6-92019cf5e06e","stage":"ResponseComplete","requestURI":"/api","verb":"get","user":{"username":"system:admin","groups":["system:masters","system:authenticated"]},"impersonatedUser":{"username":"bob","groups":["system:authenticated"]},"sourceIPs":["::1"],"responseStatus":{"metadata":{},"code":200}}"#,
    );
    assert_eq!(e.action, "nonresource.get");
    assert_eq!(e.outcome, Outcome::Success);
    let r = e.resource.unwrap();
    assert_eq!(
        (r.kind.as_deref(), r.name.as_deref()),
        (Some("url"), Some("/api"))
    );
    assert!(!e.details.contains_key("responseStatus"));
}

#[test]
fn generated_create_reads_request_time_user_agent_and_service_account() {
    let e = parse(
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"70293815-5351-d2c1-e8fb-0","stage":"ResponseComplete","requestURI":"/apis/apps/v1/namespaces/production/deployments","verb":"create","user":{"username":"system:serviceaccount:ci:3534ccae","groups":["system:authenticated"]},"sourceIPs":["10.61.220.154"],"userAgent":"kubectl/v1.31.0","objectRef":{"resource":"deployments","namespace":"production","name":"688188b7cc6b","apiGroup":"apps","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestReceivedTimestamp":"2026-03-27T10:30:15.126000Z","stageTimestamp":"2026-03-27T10:30:15.126900Z","annotations":{"authorization.k8s.io/decision":"allow"}}"#,
    );
    assert_eq!(e.time, utc("2026-03-27T10:30:15.126Z"));
    assert_eq!(e.action, "deployments.create");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.actor.kind, ActorType::ServiceAccount);
    let source = e.source.unwrap();
    assert_eq!(source.ip.as_deref(), Some("10.61.220.154"));
    assert_eq!(source.user_agent.as_deref(), Some("kubectl/v1.31.0"));
    assert_eq!(e.resource.unwrap().name.as_deref(), Some("688188b7cc6b"));
    assert_eq!(e.details["stageTimestamp"], "2026-03-27T10:30:15.126900Z");
    assert_eq!(e.details["objectRef"]["apiGroup"], "apps");
}

#[test]
fn early_stages_get_their_own_id_and_forbid_decisions_block() {
    let e = parse(
        r#"{"auditID":"a1","stage":"RequestReceived","verb":"delete","user":{"username":"system:node:n1"},"objectRef":{"resource":"pods","subresource":"eviction"},"annotations":{"authorization.k8s.io/decision":"forbid"}}"#,
    );
    assert_eq!(e.id, "a1:RequestReceived");
    assert_eq!(e.correlation["request_id"], "a1");
    assert_eq!(e.action, "pods.eviction.delete");
    assert_eq!(e.actor.kind, ActorType::System);
    assert_eq!(e.outcome, Outcome::Blocked);
    assert!(e.time_inferred);
}

#[test]
fn non_objects_are_quarantined() {
    assert_eq!(
        parse("[1]").parse_error.unwrap().reason,
        "not a JSON object"
    );
    assert!(parse("{")
        .parse_error
        .unwrap()
        .reason
        .starts_with("invalid JSON: "));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let e = K8sParser::new(true, &default_stages()).parse(&bytes, &ctx());
        prop_assert!(!e.id.is_empty() && !e.action.is_empty());
    }

    #[test]
    fn arbitrary_event_shapes_never_panic(
        stage in proptest::option::of("[A-Za-z]{0,8}"),
        code in proptest::option::of(any::<i64>()),
        user in proptest::option::of(any::<String>()),
        ips in proptest::collection::vec(any::<String>(), 0..3),
    ) {
        let line = json!({"auditID": "x", "stage": stage, "user": {"username": user},
            "sourceIPs": ips, "responseStatus": {"code": code}, "objectRef": {"resource": 5}}).to_string();
        let e = K8sParser::new(false, &default_stages()).parse(line.as_bytes(), &ctx());
        prop_assert!(!e.action.is_empty());
    }
}

#[test]
fn invalid_utf8_is_read_and_flagged() {
    let e = K8sParser::new(false, &default_stages()).parse(
        b"{\"auditID\":\"x\",\"verb\":\"get\",\"user\":{\"username\":\"b\xffob\"}}",
        &ctx(),
    );
    assert_eq!(e.actor.name.as_deref(), Some("b\u{fffd}ob"));
    assert_eq!(e.parse_error.unwrap().reason, "invalid UTF-8");
}

#[test]
fn unmapped_fields_that_clash_with_details_are_renamed_as_before() {
    // A `verb` that is not a string stays in details, after the mapped
    // `details.verb` ("unknown"); a source `verb_` moves one step further.
    let e = parse(r#"{"auditID":"a","verb":5,"verb_":"x","level":"Metadata"}"#);
    assert_eq!(e.details["verb"], "unknown");
    assert_eq!(e.details["verb_"], 5);
    assert_eq!(e.details["verb__"], "x");
    assert_eq!(e.details["level"], "Metadata");
    assert_eq!(e.action, "nonresource.unknown");
}

fn staged(stage: &str, audit_id: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"{audit_id}","stage":"{stage}","verb":"get","user":{{"username":"alice"}},"objectRef":{{"resource":"pods"}},"requestReceivedTimestamp":"2026-04-01T00:00:00.000000Z","responseStatus":{{"code":200}}}}"#
    )
}

#[test]
fn only_the_final_stages_become_events_by_default() {
    for stage in ["RequestReceived", "ResponseStarted"] {
        assert!(read(&staged(stage, "a"), &DEFAULT_K8S_STAGES).is_empty());
    }
    for stage in ["ResponseComplete", "Panic"] {
        let events = read(&staged(stage, "a"), &DEFAULT_K8S_STAGES);
        assert_eq!(events.len(), 1, "{stage}");
    }
    // Chosen stages only; an event without a stage is always read.
    let events = read(&staged("RequestReceived", "a"), &["RequestReceived"]);
    assert_eq!(events[0].id, "a:RequestReceived");
    assert!(read(&staged("ResponseComplete", "a"), &["RequestReceived"]).is_empty());
    let no_stage = r#"{"kind":"Event","auditID":"b","verb":"get","user":{"username":"bob"}}"#;
    assert_eq!(read(no_stage, &["Panic"]).len(), 1);
    // A stage this agent does not know (a newer API server, a damaged
    // line) is read, not dropped.
    assert_eq!(read(&staged("ResponseFinished", "e"), &["Panic"]).len(), 1);
    let damaged = staged("Resp\u{fffd}nseComplete", "f");
    assert_eq!(read(&damaged, &DEFAULT_K8S_STAGES).len(), 1);
}

#[test]
fn an_event_list_gives_one_event_per_kept_item() {
    let list = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{},{},{},{}]}}"#,
        staged("RequestReceived", "one"),
        staged("ResponseComplete", "one"),
        staged("ResponseComplete", "two"),
        r#"{"kind":"Event","stage":"ResponseComplete","verb":"get","user":{"username":"carol"}}"#,
    );
    let events = read(&list, &DEFAULT_K8S_STAGES);
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(&ids[..2], ["one", "two"]);
    assert_eq!(events.len(), 3);
    // No auditID: an id from the entry's place and the item's index, not
    // the one every item of the list would otherwise share.
    assert_eq!(events[2].id.len(), 32);
    assert_eq!(events[2].actor.id.as_deref(), Some("carol"));
    assert!(events.iter().all(|e| e.parse_error.is_none()));
    // Items that are not objects are quarantined, not dropped.
    let bad = read(r#"{"kind":"EventList","items":[1]}"#, &DEFAULT_K8S_STAGES);
    assert_eq!(bad.len(), 1);
    assert!(bad[0].is_quarantined());
    // `items` outside an EventList is just a member of the event.
    let event = read(
        r#"{"kind":"Event","auditID":"c","items":[1],"user":{"username":"d"}}"#,
        &DEFAULT_K8S_STAGES,
    );
    assert_eq!(event.len(), 1);
    assert_eq!(event[0].details["items"], json!([1]));
}
