//! `encoding = "ocsf"` on the file sink: every event written as an OCSF
//! 1.1 event of a class chosen from its action, and a restart resumes
//! after the last `metadata.sequence` without writing anything twice.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::*;

#[test]
fn the_file_sink_writes_ocsf_events_once_across_a_restart() {
    let ws = Workspace::new();
    let log = ws.logs().join("audit.log");
    append_lines(&log, 61, 0..400);
    let config = ws.config("*.log", "encoding = \"ocsf\"\n");
    let agent = Agent::start(&ws, &config);
    let written = |ws: &Workspace| read_ndjson_dir(&ws.out_dir());
    assert!(
        wait_until(std::time::Duration::from_secs(20), || written(&ws).len()
            >= 400),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    append_lines(&log, 61, 400..800);
    let agent = Agent::start(&ws, &config);
    let events = || -> Vec<Value> {
        written(&ws)
            .into_iter()
            .filter(|e| e["activity_name"] != "agent.checkpoint")
            .collect()
    };
    assert!(
        wait_until(std::time::Duration::from_secs(20), || events().len() >= 800),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = events();
    assert_eq!(events.len(), 800, "nothing written twice");
    let mut classes: BTreeMap<u64, usize> = BTreeMap::new();
    for event in &events {
        *classes
            .entry(event["class_uid"].as_u64().unwrap())
            .or_default() += 1;
        let class = event["class_uid"].as_u64().unwrap();
        let activity = event["activity_id"].as_u64().unwrap();
        assert_eq!(event["type_uid"].as_u64().unwrap(), class * 100 + activity);
        assert!(event["metadata"]["uid"].is_string() && event["time"].is_i64());
        assert_eq!(event["metadata"]["product"]["name"], "auditship");
        assert!(event["actor"]["user"].is_object() || event["unmapped"]["actor_type"] == "system");
    }
    // The generator's actions: API activity (releases, deploys…) and account
    // changes (member.role.change, apikey.create) at least.
    assert!(
        classes.contains_key(&6003) && classes.contains_key(&3001),
        "{classes:?}"
    );
}
