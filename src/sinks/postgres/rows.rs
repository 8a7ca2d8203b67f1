//! A batch of event lines → one array per typed column (see `schema`),
//! the parameters of the single insert statement.
//!
//! Only the key fields are read from each line (a borrowed, partial
//! deserialization); the `event` column is the line itself, so the stored
//! JSON is exactly what the journal holds. Pure: no I/O.

use serde::Deserialize;

/// Column arrays of one batch, in `schema::COLUMNS` order.
#[derive(Debug, Default, PartialEq)]
pub struct Columns {
    pub id: Vec<String>,
    pub time: Vec<String>,
    pub action: Vec<String>,
    pub outcome: Vec<String>,
    pub severity: Vec<String>,
    pub actor_id: Vec<Option<String>>,
    pub actor_type: Vec<String>,
    pub tenant_id: Vec<Option<String>>,
    pub project_id: Vec<Option<String>>,
    pub resource_type: Vec<Option<String>>,
    pub resource_id: Vec<Option<String>>,
    pub source_ip: Vec<Option<String>>,
    pub agent_host: Vec<String>,
    pub agent_seq: Vec<Option<i64>>,
    pub ingest_time: Vec<String>,
    pub event: Vec<String>,
}

#[derive(Deserialize)]
struct KeyFields {
    id: String,
    time: String,
    action: String,
    outcome: String,
    severity: String,
    actor: ActorFields,
    tenant: Option<IdField>,
    project: Option<IdField>,
    resource: Option<ResourceFields>,
    source: Option<SourceFields>,
    agent: AgentFields,
    ingest_time: String,
}

#[derive(Deserialize)]
struct ActorFields {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct IdField {
    id: String,
}

#[derive(Deserialize)]
struct ResourceFields {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
}

#[derive(Deserialize)]
struct SourceFields {
    ip: Option<String>,
}

#[derive(Deserialize)]
struct AgentFields {
    host: String,
    seq: Option<i64>,
}

impl Columns {
    /// The columns of `lines`; `Err((index, reason))` names the first line
    /// that is not an event of the schema (never expected: lines come from
    /// the journal).
    pub fn from_lines(lines: &[&[u8]]) -> Result<Columns, (usize, String)> {
        let mut c = Columns::default();
        for (index, line) in lines.iter().enumerate() {
            let text = std::str::from_utf8(line)
                .map_err(|e| (index, format!("the event is not UTF-8 ({e})")))?;
            let f: KeyFields = serde_json::from_str(text)
                .map_err(|e| (index, format!("the event lacks a key field ({e})")))?;
            c.id.push(f.id);
            c.time.push(f.time);
            c.action.push(f.action);
            c.outcome.push(f.outcome);
            c.severity.push(f.severity);
            c.actor_id.push(f.actor.id);
            c.actor_type.push(f.actor.kind);
            c.tenant_id.push(f.tenant.map(|t| t.id));
            c.project_id.push(f.project.map(|p| p.id));
            let (resource_type, resource_id) = f.resource.map_or((None, None), |r| (r.kind, r.id));
            c.resource_type.push(resource_type);
            c.resource_id.push(resource_id);
            c.source_ip.push(f.source.and_then(|s| s.ip));
            c.agent_host.push(f.agent.host);
            c.agent_seq.push(f.agent.seq);
            c.ingest_time.push(f.ingest_time);
            c.event.push(text.to_string());
        }
        Ok(c)
    }

    /// The statement's parameters, in column order.
    pub fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 16] {
        [
            &self.id,
            &self.time,
            &self.action,
            &self.outcome,
            &self.severity,
            &self.actor_id,
            &self.actor_type,
            &self.tenant_id,
            &self.project_id,
            &self.resource_type,
            &self.resource_id,
            &self.source_ip,
            &self.agent_host,
            &self.agent_seq,
            &self.ingest_time,
            &self.event,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &[u8] = br#"{"schema_version":"1","id":"e-1","time":"2026-03-27T10:30:15.123456789Z","action":"user.login","outcome":"failure","severity":"warning","actor":{"id":"alice","type":"user"},"source":{"ip":"10.0.0.7"},"resource":{"type":"session","id":"s-1"},"tenant":{"id":"acme"},"project":{"id":"web"},"details":{"actor":{"id":"not-me"}},"origin":{"kind":"file","format":"json"},"agent":{"host":"web-1","seq":42},"ingest_time":"2026-03-27T10:30:16Z"}"#;
    const MINIMAL: &[u8] = br#"{"schema_version":"1","id":"e-2","time":"2026-03-27T10:30:15Z","action":"cron.run","outcome":"success","severity":"info","actor":{"type":"system"},"origin":{"kind":"file","format":"raw"},"agent":{"host":"web-1","seq":43},"ingest_time":"2026-03-27T10:30:16Z"}"#;

    #[test]
    fn key_fields_become_typed_columns_and_the_line_is_the_event() {
        let c = Columns::from_lines(&[FULL, MINIMAL]).unwrap();
        assert_eq!(c.id, ["e-1", "e-2"]);
        assert_eq!(c.actor_id, [Some("alice".to_string()), None]);
        assert_eq!(c.actor_type, ["user", "system"]);
        assert_eq!(c.tenant_id, [Some("acme".to_string()), None]);
        assert_eq!(c.resource_type[0].as_deref(), Some("session"));
        assert_eq!(c.source_ip[0].as_deref(), Some("10.0.0.7"));
        assert_eq!(c.agent_seq, [Some(42), Some(43)]);
        assert_eq!(c.event[1].as_bytes(), MINIMAL);
        assert_eq!(c.params().len(), 16);
    }

    #[test]
    fn a_line_that_is_not_an_event_is_named() {
        let err = Columns::from_lines(&[MINIMAL, b"{\"id\":\"x\"}"]).unwrap_err();
        assert_eq!(err.0, 1);
        assert!(err.1.contains("lacks a key field"), "{}", err.1);
    }
}
