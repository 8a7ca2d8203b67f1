//! A batch of event lines → the body of one text-format `COPY … FROM
//! STDIN` (see `schema`): one row per event, its columns in
//! `schema::COLUMNS` order.
//!
//! Only the key fields are read from each line (a borrowed, partial
//! deserialization); the `event` column is the line itself, so the stored
//! JSON is exactly what the journal holds. Text format, not binary, because
//! the same body goes straight into the table, whose `timestamptz` and
//! `jsonb` columns then parse it with their own input functions — exactly
//! the casts the staging path applies — so a value PostgreSQL refuses fails
//! the batch with a data exception either way, as the halving in
//! `batch_delivery` expects.
//!
//! Text COPY format (PostgreSQL docs, "COPY", "Text Format"): a row per
//! line, columns separated by a tab, `\N` for NULL; in a value a backslash,
//! tab, newline and carriage return are written `\\`, `\t`, `\n`, `\r`.
//! The connection's client encoding is UTF-8 (tokio-postgres sets it).
//! Pure: no I/O.

use serde::Deserialize;

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
        // The line once as the event, about half of it again in the typed
        // columns.
        let mut out = Vec::with_capacity(total * 3 / 2 + lines.len() * 64);
        for (index, line) in lines.iter().enumerate() {
            let text = std::str::from_utf8(line)
                .map_err(|e| (index, format!("the event is not UTF-8 ({e})")))?;
            let f: KeyFields<'_> = serde_json::from_str(text)
                .map_err(|e| (index, format!("the event lacks a key field ({e})")))?;
            let (resource_type, resource_id) = f.resource.map_or((None, None), |r| (r.kind, r.id));
            let mut row = Row(&mut out);
            row.text(Some(&f.id));
            row.text(Some(&f.time));
            row.text(Some(&f.action));
            row.text(Some(&f.outcome));
            row.text(Some(&f.severity));
            row.text(f.actor.id.as_deref());
            row.text(Some(&f.actor.kind));
            row.text(f.tenant.as_ref().map(|t| &*t.id));
            row.text(f.project.as_ref().map(|p| &*p.id));
            row.text(resource_type.as_deref());
            row.text(resource_id.as_deref());
            row.text(f.source.as_ref().and_then(|s| s.ip.as_deref()));
            row.text(Some(&f.agent.host));
            row.integer(f.agent.seq);
            row.text(Some(&f.ingest_time));
            row.last_text(text);
        }
        Ok(CopyRows {
            bytes: out,
            rows: lines.len() as u64,
        })
    }
}

/// Appends the fields of one row: each but the last followed by a tab, the
/// last by the newline.
struct Row<'a>(&'a mut Vec<u8>);

impl Row<'_> {
    fn text(&mut self, value: Option<&str>) {
        match value {
            Some(text) => escape_into(self.0, text.as_bytes()),
            None => self.0.extend_from_slice(b"\\N"),
        }
        self.0.push(b'\t');
    }

    fn integer(&mut self, value: Option<i64>) {
        match value {
            Some(n) => {
                use std::io::Write;
                // Writing into a Vec cannot fail.
                let _ = write!(self.0, "{n}");
            }
            None => self.0.extend_from_slice(b"\\N"),
        }
        self.0.push(b'\t');
    }

    fn last_text(self, text: &str) {
        escape_into(self.0, text.as_bytes());
        self.0.push(b'\n');
    }
}

/// `value` with the four bytes COPY's text format gives a meaning
/// backslash-escaped. Most values hold none of them (an event line has a
/// backslash only where JSON escapes something, and never a raw tab,
/// newline or carriage return): those are found absent by two vectorized
/// scans and copied whole, as this was the agent's costliest step per
/// event when done a byte at a time.
fn escape_into(out: &mut Vec<u8>, value: &[u8]) {
    if memchr::memchr3(b'\\', b'\t', b'\n', value).is_none()
        && memchr::memchr(b'\r', value).is_none()
    {
        out.extend_from_slice(value);
        return;
    }
    let mut start = 0;
    for (at, byte) in value.iter().enumerate() {
        let escaped = match byte {
            b'\\' => b'\\',
            b'\t' => b't',
            b'\n' => b'n',
            b'\r' => b'r',
            _ => continue,
        };
        out.extend_from_slice(&value[start..at]);
        out.extend_from_slice(&[b'\\', escaped]);
        start = at + 1;
    }
    out.extend_from_slice(&value[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns per row (`schema::COLUMNS`).
    const FIELDS: usize = 16;

    const FULL: &[u8] = br#"{"schema_version":"1","id":"e-1","time":"2026-03-27T10:30:15.123456789Z","action":"user.login","outcome":"failure","severity":"warning","actor":{"id":"alice","type":"user"},"source":{"ip":"10.0.0.7"},"resource":{"type":"session","id":"s-1"},"tenant":{"id":"acme"},"project":{"id":"web"},"details":{"actor":{"id":"not-me"}},"origin":{"kind":"file","format":"json"},"agent":{"host":"web-1","seq":42},"ingest_time":"2026-03-27T10:30:16Z"}"#;
    const MINIMAL: &[u8] = br#"{"schema_version":"1","id":"e-\"2\"","time":"2026-03-27T10:30:15Z","action":"cron.run","outcome":"success","severity":"info","actor":{"type":"system"},"origin":{"kind":"file","format":"raw"},"agent":{"host":"web-1","seq":43},"ingest_time":"2026-03-27T10:30:16Z"}"#;

    /// Reads a text COPY body back as PostgreSQL does: rows of fields
    /// (`None` = NULL), escapes undone.
    fn decode(body: &[u8]) -> Vec<Vec<Option<Vec<u8>>>> {
        assert_eq!(body.last(), Some(&b'\n'), "every row ends with a newline");
        body[..body.len() - 1]
            .split(|&b| b == b'\n')
            .map(|row| {
                row.split(|&b| b == b'\t')
                    .map(|field| {
                        if field == b"\\N" {
                            return None;
                        }
                        let mut value = Vec::new();
                        let mut bytes = field.iter();
                        while let Some(&b) = bytes.next() {
                            if b != b'\\' {
                                value.push(b);
                                continue;
                            }
                            value.push(match bytes.next() {
                                Some(b't') => b'\t',
                                Some(b'n') => b'\n',
                                Some(b'r') => b'\r',
                                Some(b'\\') => b'\\',
                                other => panic!("unexpected escape {other:?}"),
                            });
                        }
                        Some(value)
                    })
                    .collect()
            })
            .collect()
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
        assert!(rows.iter().all(|r| r.len() == FIELDS));
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
        assert_eq!(text(&full[13]), Some("42"));
        assert_eq!(minimal[15].as_deref(), Some(MINIMAL));
        assert_eq!(full[15].as_deref(), Some(FULL));
    }

    #[test]
    fn backslashes_tabs_and_line_breaks_in_values_are_escaped() {
        let line = br#"{"schema_version":"1","id":"tab\there","time":"2026-03-27T10:30:15Z","action":"a\\b","outcome":"success","severity":"info","actor":{"id":"line\nbreak\r","type":"user"},"origin":{"kind":"file","format":"raw"},"agent":{"host":"h"},"ingest_time":"2026-03-27T10:30:16Z"}"#;
        let copy = CopyRows::from_lines(&[line]).unwrap();
        // One line, sixteen fields: nothing raw splits the row.
        assert_eq!(copy.bytes.iter().filter(|&&b| b == b'\n').count(), 1);
        assert_eq!(
            copy.bytes.iter().filter(|&&b| b == b'\t').count(),
            FIELDS - 1
        );
        let rows = decode(&copy.bytes);
        assert_eq!(text(&rows[0][0]), Some("tab\there"));
        assert_eq!(text(&rows[0][2]), Some("a\\b"));
        assert_eq!(text(&rows[0][5]), Some("line\nbreak\r"));
        assert_eq!(rows[0][13], None, "no agent.seq: NULL");
        // The JSON's own backslashes come back as written.
        assert_eq!(rows[0][15].as_deref(), Some(&line[..]));
    }

    #[test]
    fn each_special_byte_alone_is_escaped() {
        for (value, escaped) in [
            (&b"a\rb"[..], &b"a\\rb"[..]),
            (b"\t", b"\\t"),
            (b"x\n", b"x\\n"),
            (b"\\", b"\\\\"),
            (b"plain", b"plain"),
        ] {
            let mut out = Vec::new();
            escape_into(&mut out, value);
            assert_eq!(out, escaped, "{value:?}");
        }
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
