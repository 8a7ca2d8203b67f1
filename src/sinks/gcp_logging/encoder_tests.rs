use super::*;

fn event() -> Value {
    json!({
        "schema_version": "1", "id": "evt-1", "time": "2026-03-27T10:30:15.123Z",
        "action": "release.deploy", "outcome": "success", "severity": "warning",
        "actor": {"id": "u1", "type": "user"}, "tenant": {"id": "t1"}, "project": {"id": "p1"},
        "details": {"seq": 7}, "agent": {"host": "h", "seq": 42, "chain": "ab"},
        "origin": {"kind": "file", "format": "json"}, "ingest_time": "2026-03-27T10:30:16Z"
    })
}

fn entry_of(event: &Value) -> Value {
    serde_json::from_slice(&encode_entry(event.to_string().as_bytes())).unwrap()
}

#[test]
fn an_event_maps_to_a_log_entry_as_the_schema_says() {
    let entry = entry_of(&event());
    assert_eq!(entry["jsonPayload"], event());
    assert_eq!(entry["timestamp"], "2026-03-27T10:30:15.123Z");
    assert_eq!(entry["severity"], "WARNING");
    assert_eq!(entry["insertId"], "evt-1");
    assert_eq!(
        entry["labels"],
        json!({"tenant": "t1", "project": "p1", "action": "release.deploy"})
    );
}

#[test]
fn every_schema_severity_is_upper_cased_and_others_are_default() {
    for severity in SEVERITIES {
        let mut e = event();
        e["severity"] = severity.into();
        assert_eq!(entry_of(&e)["severity"], severity.to_ascii_uppercase());
    }
    let mut e = event();
    e["severity"] = "loud".into();
    assert_eq!(entry_of(&e)["severity"], "DEFAULT");
}

#[test]
fn absent_tenant_and_project_give_no_label() {
    let mut e = event();
    e.as_object_mut().unwrap().remove("tenant");
    e.as_object_mut().unwrap().remove("project");
    assert_eq!(entry_of(&e)["labels"], json!({"action": "release.deploy"}));
}

#[test]
fn an_entry_over_the_limit_is_truncated_and_flagged_never_dropped() {
    let mut e = event();
    e["details"]["blob"] = "x".repeat(MAX_ENTRY_BYTES).into();
    let line = e.to_string();
    let bytes = encode_entry(line.as_bytes());
    assert!(bytes.len() <= MAX_ENTRY_BYTES);
    let entry: Value = serde_json::from_slice(&bytes).unwrap();
    let flag = &entry["jsonPayload"]["auditship_truncated"];
    assert_eq!(flag["step"], 1);
    assert_eq!(flag["original_bytes"], line.len());
    assert_eq!(flag["sha256"], hex(&Sha256::digest(line.as_bytes())));
    assert!(entry["jsonPayload"].get("details").is_none());
    assert_eq!(entry["jsonPayload"]["agent"]["seq"], 42);
    assert_eq!(entry["labels"]["auditship_truncated"], "true");
    assert_eq!(entry["insertId"], "evt-1");
}

#[test]
fn a_huge_required_field_falls_back_to_the_id_alone() {
    let mut e = event();
    e["action"] = "a".repeat(MAX_ENTRY_BYTES).into();
    let bytes = encode_entry(e.to_string().as_bytes());
    assert!(bytes.len() <= MAX_ENTRY_BYTES);
    let entry: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(entry["jsonPayload"]["auditship_truncated"]["step"], 3);
    assert_eq!(entry["jsonPayload"]["id"], "evt-1");
}

#[test]
fn batches_are_split_into_requests_under_the_size_limit_in_order() {
    let prefix = request_prefix(
        "acme",
        "audit/trail",
        &json!({"type": "global", "labels": {}}),
    );
    let entries: Vec<Vec<u8>> = (0..10)
        .map(|i| format!("{{\"n\":{i}}}").into_bytes())
        .collect();
    let bodies = pack_requests(&prefix, &entries, prefix.len() + 2 + 24);
    assert!(bodies.len() > 1);
    let mut next = 0;
    for body in &bodies {
        assert!(body.bytes.len() <= prefix.len() + 2 + 24);
        assert_eq!(body.lines.start, next);
        next = body.lines.end;
        let request: Value = serde_json::from_slice(&body.bytes).unwrap();
        assert_eq!(request["logName"], "projects/acme/logs/audit%2Ftrail");
        assert_eq!(request["partialSuccess"], true);
        let ns: Vec<u64> = request["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["n"].as_u64().unwrap())
            .collect();
        assert_eq!(
            ns,
            (body.lines.start as u64..body.lines.end as u64).collect::<Vec<_>>()
        );
    }
    assert_eq!(next, 10);
    assert_eq!(pack_requests(&prefix, &entries, MAX_REQUEST_BYTES).len(), 1);
}
