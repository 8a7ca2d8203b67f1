//! A batch of event lines → the body of one binary `COPY … FROM STDIN`
//! into the staging table (see `schema`): one row per event, its typed
//! columns in `schema::COLUMNS` order.
//!
//! Only the key fields are read from each line (a borrowed, partial
//! deserialization); the `event` column is the line itself, so the stored
//! JSON is exactly what the journal holds. Every column travels as `text`
//! (`agent_seq` as `int8`): the casts to `timestamptz` and `jsonb` happen in
//! the `INSERT … SELECT`, where a value PostgreSQL refuses fails the batch
//! with a data exception, as the halving in `batch_delivery` expects.
//!
//! Binary COPY format (PostgreSQL docs, "COPY", "Binary Format"): the
//! 11-byte signature, a flags word and a header-extension length (both 0);
//! per row a 16-bit field count, then per field a 32-bit length (-1 for
//! NULL) and the bytes (`text`: UTF-8; `int8`: 8 bytes big-endian); a
//! 16-bit -1 ends the data. All integers are big-endian. Pure: no I/O.

use serde::Deserialize;

/// `PGCOPY\n\377\r\n\0`, flags 0, no header extension.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// Columns per row (`schema::COLUMNS`).
pub const FIELDS: i16 = 16;

#[derive(Deserialize)]
struct KeyFields<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    time: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    action: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    outcome: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    severity: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    actor: ActorFields<'a>,
    #[serde(borrow)]
    tenant: Option<IdField<'a>>,
    #[serde(borrow)]
    project: Option<IdField<'a>>,
    #[serde(borrow)]
    resource: Option<ResourceFields<'a>>,
    #[serde(borrow)]
    source: Option<SourceFields<'a>>,
    #[serde(borrow)]
    agent: AgentFields<'a>,
    #[serde(borrow)]
    ingest_time: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
struct ActorFields<'a> {
    #[serde(borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
struct IdField<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
struct ResourceFields<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
struct SourceFields<'a> {
    #[serde(borrow)]
    ip: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
struct AgentFields<'a> {
    #[serde(borrow)]
    host: std::borrow::Cow<'a, str>,
    seq: Option<i64>,
}

/// The COPY body of one batch.
#[derive(Debug, Default, PartialEq)]
pub struct CopyRows {
    pub bytes: Vec<u8>,
    pub rows: u64,
}

impl CopyRows {
    /// The rows of `lines`; `Err((index, reason))` names the first line
    /// that is not an event of the schema (never expected: lines come from
    /// the journal).
    pub fn from_lines(lines: &[&[u8]]) -> Result<CopyRows, (usize, String)> {
        let total: usize = lines.iter().map(|l| l.len()).sum();
        let mut out = Vec::with_capacity(HEADER.len() + 2 + total * 3 / 2 + lines.len() * 200);
        out.extend_from_slice(HEADER);
        for (index, line) in lines.iter().enumerate() {
            let text = std::str::from_utf8(line)
                .map_err(|e| (index, format!("the event is not UTF-8 ({e})")))?;
            let f: KeyFields<'_> = serde_json::from_str(text)
                .map_err(|e| (index, format!("the event lacks a key field ({e})")))?;
            let (resource_type, resource_id) = f.resource.map_or((None, None), |r| (r.kind, r.id));
            out.extend_from_slice(&FIELDS.to_be_bytes());
            text_field(&mut out, Some(&f.id));
            text_field(&mut out, Some(&f.time));
            text_field(&mut out, Some(&f.action));
            text_field(&mut out, Some(&f.outcome));
            text_field(&mut out, Some(&f.severity));
            text_field(&mut out, f.actor.id.as_deref());
            text_field(&mut out, Some(&f.actor.kind));
            text_field(&mut out, f.tenant.as_ref().map(|t| &*t.id));
            text_field(&mut out, f.project.as_ref().map(|p| &*p.id));
            text_field(&mut out, resource_type.as_deref());
            text_field(&mut out, resource_id.as_deref());
            text_field(&mut out, f.source.as_ref().and_then(|s| s.ip.as_deref()));
            text_field(&mut out, Some(&f.agent.host));
            match f.agent.seq {
                Some(seq) => {
                    out.extend_from_slice(&8i32.to_be_bytes());
                    out.extend_from_slice(&seq.to_be_bytes());
                }
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
            }
            text_field(&mut out, Some(&f.ingest_time));
            text_field(&mut out, Some(text));
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        Ok(CopyRows {
            bytes: out,
            rows: lines.len() as u64,
        })
    }
}

fn text_field(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        // A line is far below 2 GiB (journal records are bounded).
        Some(text) => {
            out.extend_from_slice(&(text.len() as i32).to_be_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &[u8] = br#"{"schema_version":"1","id":"e-1","time":"2026-03-27T10:30:15.123456789Z","action":"user.login","outcome":"failure","severity":"warning","actor":{"id":"alice","type":"user"},"source":{"ip":"10.0.0.7"},"resource":{"type":"session","id":"s-1"},"tenant":{"id":"acme"},"project":{"id":"web"},"details":{"actor":{"id":"not-me"}},"origin":{"kind":"file","format":"json"},"agent":{"host":"web-1","seq":42},"ingest_time":"2026-03-27T10:30:16Z"}"#;
    const MINIMAL: &[u8] = br#"{"schema_version":"1","id":"e-\"2\"","time":"2026-03-27T10:30:15Z","action":"cron.run","outcome":"success","severity":"info","actor":{"type":"system"},"origin":{"kind":"file","format":"raw"},"agent":{"host":"web-1","seq":43},"ingest_time":"2026-03-27T10:30:16Z"}"#;

    /// Reads a COPY body back: rows of fields (`None` = NULL).
    fn decode(mut b: &[u8]) -> Vec<Vec<Option<Vec<u8>>>> {
        assert_eq!(&b[..HEADER.len()], HEADER);
        b = &b[HEADER.len()..];
        let mut rows = Vec::new();
        loop {
            let count = i16::from_be_bytes([b[0], b[1]]);
            b = &b[2..];
            if count == -1 {
                assert!(b.is_empty(), "nothing after the trailer");
                return rows;
            }
            let mut row = Vec::new();
            for _ in 0..count {
                let len = i32::from_be_bytes(b[..4].try_into().unwrap());
                b = &b[4..];
                if len < 0 {
                    row.push(None);
                } else {
                    row.push(Some(b[..len as usize].to_vec()));
                    b = &b[len as usize..];
                }
            }
            rows.push(row);
        }
    }

    fn text(field: &Option<Vec<u8>>) -> Option<&str> {
        field.as_deref().map(|b| std::str::from_utf8(b).unwrap())
    }

    #[test]
    fn key_fields_become_typed_columns_and_the_line_is_the_event() {
        let copy = CopyRows::from_lines(&[FULL, MINIMAL]).unwrap();
        assert_eq!(copy.rows, 2);
        let rows = decode(&copy.bytes);
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.len() == FIELDS as usize));
        let (full, minimal) = (&rows[0], &rows[1]);
        assert_eq!(text(&full[0]), Some("e-1"));
        assert_eq!(text(&minimal[0]), Some("e-\"2\""), "JSON escapes decoded");
        assert_eq!(text(&full[1]), Some("2026-03-27T10:30:15.123456789Z"));
        assert_eq!(text(&full[5]), Some("alice"));
        assert_eq!(text(&minimal[5]), None);
        assert_eq!(text(&full[6]), Some("user"));
        assert_eq!(text(&full[7]), Some("acme"));
        assert_eq!(text(&minimal[7]), None);
        assert_eq!(text(&full[9]), Some("session"));
        assert_eq!(text(&full[11]), Some("10.0.0.7"));
        assert_eq!(full[13].as_deref(), Some(&42i64.to_be_bytes()[..]));
        assert_eq!(minimal[15].as_deref(), Some(MINIMAL));
    }

    #[test]
    fn a_line_that_is_not_an_event_is_named() {
        let err = CopyRows::from_lines(&[MINIMAL, b"{\"id\":\"x\"}"]).unwrap_err();
        assert_eq!(err.0, 1);
        assert!(err.1.contains("lacks a key field"), "{}", err.1);
        let err = CopyRows::from_lines(&[b"\xff"]).unwrap_err();
        assert!(err.1.contains("not UTF-8"), "{}", err.1);
    }
}
