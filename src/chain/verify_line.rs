//! One line of an exported trail → the parts `verify` checks: host, seq,
//! the stated link, and the canonical bytes the link must cover (the line
//! re-encoded with RFC 8785, `agent.chain` removed). Working from the JSON
//! as written, not from `AuditEvent`, means fields this version does not
//! know are covered too.

use serde_json::Value;

use super::checkpoint::{self, SignedCheckpoint};
use super::from_hex;
use super::verify_report::Location;
use super::Link;

/// One event as read from a line.
pub(super) struct Entry {
    pub seq: u64,
    pub at: Location,
    pub stated: Link,
    pub canonical: Vec<u8>,
    pub checkpoint: Option<Result<SignedCheckpoint, String>>,
    /// A higher seq came earlier in the same file.
    pub after_higher: bool,
}

/// Parses one line into its host and entry (location filled by the caller).
pub(super) fn read_event(text: &[u8]) -> Result<(String, Entry), String> {
    let mut value: Value = serde_json::from_slice(text)
        .map_err(|e| format!("not a JSON event ({e}): the line was cut or edited"))?;
    let agent = value
        .get_mut("agent")
        .and_then(Value::as_object_mut)
        .ok_or("no agent object: not an auditship event")?;
    let host = agent
        .get("host")
        .and_then(Value::as_str)
        .ok_or("no agent.host")?
        .to_string();
    let seq = agent
        .get("seq")
        .and_then(Value::as_u64)
        .ok_or("no agent.seq: the event was not journaled by a chaining agent")?;
    let stated = agent
        .remove("chain")
        .and_then(|c| c.as_str().and_then(from_hex))
        .ok_or("no valid agent.chain: the event was not journaled by a chaining agent, or it was edited")?;
    let checkpoint = (value.get("action").and_then(Value::as_str) == Some(checkpoint::ACTION))
        .then(|| {
            let details = value
                .get("details")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            SignedCheckpoint::from_details(&host, &details)
        });
    let mut canonical = Vec::with_capacity(text.len());
    crate::event::write_canonical(&value, &mut canonical);
    let entry = Entry {
        seq,
        at: Location { file: 0, line: 0 },
        stated,
        canonical,
        checkpoint,
        after_higher: false,
    };
    Ok((host, entry))
}
