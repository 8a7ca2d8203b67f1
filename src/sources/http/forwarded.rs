//! Bodies sent by another agent's `http` sink with `encoding = "auditship"`
//! (`Content-Type: application/vnd.auditship+x-ndjson`): events already in
//! the common schema, one a line, which this agent keeps as they are.
//!
//! All-or-nothing like every body: a line that is not an event of this
//! agent's schema version refuses the request (400, naming the line), so
//! the sending agent dead-letters exactly that event after halving the
//! batch rather than this agent quarantining or altering it. An event
//! longer than the source's `max_frame_bytes` is refused the same way (it
//! is never cut: an audit event forwarded between agents must arrive
//! whole). Pure: no I/O.

use crate::event::{AuditEvent, SCHEMA_VERSION};
use crate::sources::ingest::Frame;

use super::body::BodyError;

/// One [`Frame::Forwarded`] per non-blank line of `body`.
pub fn split_forwarded(body: &[u8], max_entry: usize) -> Result<Vec<Frame>, BodyError> {
    let mut frames = Vec::new();
    for (index, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        let refuse = |reason: String| {
            BodyError::Bad(format!(
                "line {}: {reason}; nothing from this request was stored",
                index + 1
            ))
        };
        if line.len() > max_entry {
            return Err(refuse(format!(
                "the event is {} bytes, more than this source's max_frame_bytes ({max_entry}); raise max_frame_bytes on the receiving agent",
                line.len()
            )));
        }
        let event: AuditEvent = crate::json_bytes::from_json_bytes(line)
            .map_err(|e| refuse(format!("not an auditship event ({e})")))?;
        if event.schema_version != SCHEMA_VERSION {
            return Err(refuse(format!(
                "schema_version {:?} is not the one this agent writes ({SCHEMA_VERSION:?}); run the same auditship version on both tiers",
                event.schema_version
            )));
        }
        if event.agent.host.is_empty() {
            return Err(refuse("agent.host is empty".into()));
        }
        frames.push(Frame::Forwarded {
            event: Box::new(event),
            len: line.len() as u64,
        });
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"action":"user.login","actor":{"id":"alice","type":"user"},"agent":{"host":"web-1","seq":42},"id":"e-1","ingest_time":"2026-03-27T10:30:16Z","origin":{"format":"json","kind":"file","offset":120,"path":"/var/log/app/audit.log"},"outcome":"success","schema_version":"1","severity":"info","time":"2026-03-27T10:30:15.123456789Z"}"#;

    #[test]
    fn each_line_is_kept_as_the_sending_agent_wrote_it() {
        let body = format!("{EVENT}\r\n\n{EVENT}\n");
        let frames = split_forwarded(body.as_bytes(), 4096).unwrap();
        assert_eq!(frames.len(), 2);
        let Frame::Forwarded { event, len } = &frames[0] else {
            panic!("{frames:?}")
        };
        assert_eq!(*len, EVENT.len() as u64);
        assert_eq!(
            (event.agent.host.as_str(), event.agent.seq),
            ("web-1", Some(42))
        );
        assert_eq!(event.origin.path.as_deref(), Some("/var/log/app/audit.log"));
        let mut again = Vec::new();
        event.to_json_line(&mut again);
        assert_eq!(again, EVENT.as_bytes(), "nothing is lost or reordered");
    }

    #[test]
    fn app_json_another_schema_version_or_an_oversize_event_refuses_the_request() {
        let app = format!("{EVENT}\n{{\"action\":\"user.login\"}}\n");
        let err = split_forwarded(app.as_bytes(), 4096).unwrap_err();
        assert!(
            matches!(&err, BodyError::Bad(m) if m.starts_with("line 2: not an auditship event")),
            "{err}"
        );
        let v2 = EVENT.replace(r#""schema_version":"1""#, r#""schema_version":"2""#);
        let err = split_forwarded(v2.as_bytes(), 4096).unwrap_err();
        assert!(err.to_string().contains("same auditship version"), "{err}");
        let err = split_forwarded(EVENT.as_bytes(), 100).unwrap_err();
        assert!(err.to_string().contains("raise max_frame_bytes"), "{err}");
    }
}
