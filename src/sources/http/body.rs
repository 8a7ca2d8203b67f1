//! A request body → entries: gzip decoding within the size limit, then
//! NDJSON (one entry per line) or a JSON array (one entry per element),
//! chosen by `Content-Type`.
//!
//! A request is all-or-nothing: with `format = "json"` every entry must be
//! a JSON object, and the first one that is not refuses the whole request
//! with its line number — nothing of it is journaled, so the sender can fix
//! and resend it without creating duplicates. Pure: no I/O.

use std::io::Read;

use crate::sources::ingest::Frame;

/// How the body lists its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Ndjson,
    JsonArray,
    /// Events in the common schema from another agent
    /// ([`crate::event::AUDITSHIP_NDJSON`]); see `forwarded`.
    Auditship,
}

/// Why a body was refused; each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// 400.
    #[error("{0}")]
    Bad(String),
    /// 413.
    #[error(
        "request body is larger than max_body_bytes ({limit} bytes); send fewer events per request"
    )]
    TooLarge { limit: usize },
    /// 415.
    #[error("{0}")]
    Unsupported(String),
}

/// The body kind `Content-Type` announces; NDJSON when absent.
pub fn body_kind(content_type: Option<&str>) -> Result<BodyKind, BodyError> {
    let Some(content_type) = content_type else {
        return Ok(BodyKind::Ndjson);
    };
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/json" => Ok(BodyKind::JsonArray),
        crate::event::AUDITSHIP_NDJSON => Ok(BodyKind::Auditship),
        "application/x-ndjson" | "application/ndjson" | "application/jsonl"
        | "application/x-jsonlines" | "application/jsonlines" | "text/plain" | "" => {
            Ok(BodyKind::Ndjson)
        }
        other => Err(BodyError::Unsupported(format!(
            "Content-Type \"{other}\" is not supported: send application/x-ndjson (one event per line) or application/json (an array of events)"
        ))),
    }
}

/// Undoes `Content-Encoding: gzip`, refusing output over `limit` bytes (a
/// small body can expand enormously).
pub fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::with_capacity((body.len() * 4).min(limit));
    flate2::read::MultiGzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::Bad(format!("body is not valid gzip ({e})")))?;
    if out.len() > limit {
        return Err(BodyError::TooLarge { limit });
    }
    Ok(out)
}

/// Splits a decoded body into entries. `json_objects`: every entry must be
/// a JSON object (the source's format is `json`); events from another agent
/// are taken whatever the source's format. Entries longer than
/// `max_entry` are kept as [`Frame::TooLong`] (quarantined, not refused).
pub fn split_entries(
    body: &[u8],
    kind: BodyKind,
    json_objects: bool,
    max_entry: usize,
) -> Result<Vec<Frame>, BodyError> {
    match kind {
        BodyKind::Ndjson => split_lines(body, json_objects, max_entry),
        BodyKind::JsonArray => split_array(body, max_entry),
        BodyKind::Auditship => super::forwarded::split_forwarded(body, max_entry),
    }
}

fn split_lines(body: &[u8], json_objects: bool, max_entry: usize) -> Result<Vec<Frame>, BodyError> {
    let mut frames = Vec::new();
    for (index, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        if line.len() > max_entry {
            frames.push(Frame::TooLong {
                prefix: line[..max_entry].to_vec(),
                len: line.len() as u64,
            });
            continue;
        }
        if json_objects {
            check_object(line).map_err(|reason| {
                BodyError::Bad(format!(
                    "line {}: {reason}; nothing from this request was stored",
                    index + 1
                ))
            })?;
        }
        frames.push(Frame::Entry(line.to_vec()));
    }
    Ok(frames)
}

fn check_object(line: &[u8]) -> Result<(), String> {
    match crate::json_bytes::from_json_bytes::<serde::de::IgnoredAny>(line) {
        Err(e) => Err(format!("not valid JSON ({e})")),
        Ok(_) if line.trim_ascii_start().first() != Some(&b'{') => {
            Err("not a JSON object (each line must be one event object)".into())
        }
        Ok(_) => Ok(()),
    }
}

fn split_array(body: &[u8], max_entry: usize) -> Result<Vec<Frame>, BodyError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        BodyError::Bad(format!(
            "line {}: not valid JSON ({e}); nothing from this request was stored",
            e.line()
        ))
    })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => {
            return Err(BodyError::Bad(
                "line 1: the body must be a JSON array of event objects (or one object)".into(),
            ))
        }
    };
    let mut frames = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        if !item.is_object() {
            return Err(BodyError::Bad(format!(
                "array element {} is not a JSON object; nothing from this request was stored",
                index + 1
            )));
        }
        let bytes = serde_json::to_vec(item).expect("a JSON value serializes");
        frames.push(if bytes.len() > max_entry {
            Frame::TooLong {
                prefix: bytes[..max_entry].to_vec(),
                len: bytes.len() as u64,
            }
        } else {
            Frame::Entry(bytes)
        });
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_lines_become_entries_and_blank_lines_are_skipped() {
        let frames =
            split_entries(b"{\"a\":1}\r\n\n{\"b\":2}", BodyKind::Ndjson, true, 100).unwrap();
        assert_eq!(
            frames,
            vec![
                Frame::Entry(b"{\"a\":1}".to_vec()),
                Frame::Entry(b"{\"b\":2}".to_vec())
            ]
        );
    }

    #[test]
    fn the_first_bad_line_is_named_and_refuses_the_request() {
        let err = split_entries(b"{}\n{}\n{oops\n[1]\n", BodyKind::Ndjson, true, 100).unwrap_err();
        assert!(
            matches!(&err, BodyError::Bad(m) if m.starts_with("line 3: not valid JSON")),
            "{err}"
        );
        let err = split_entries(b"{}\n[1]\n", BodyKind::Ndjson, true, 100).unwrap_err();
        assert!(
            matches!(&err, BodyError::Bad(m) if m.starts_with("line 2: not a JSON object")),
            "{err}"
        );
    }

    #[test]
    fn raw_format_takes_any_line() {
        let frames = split_entries(b"not json\n\xff\xfe\n", BodyKind::Ndjson, false, 100).unwrap();
        assert_eq!(frames.len(), 2);
    }

    #[test]
    fn a_json_array_yields_its_objects_and_syntax_errors_name_the_line() {
        let frames =
            split_entries(b"[{\"a\":1},\n{\"b\":2}]", BodyKind::JsonArray, true, 100).unwrap();
        assert_eq!(frames.len(), 2);
        let err =
            split_entries(b"[{\"a\":1},\n{\"b\":}]", BodyKind::JsonArray, true, 100).unwrap_err();
        assert!(
            matches!(&err, BodyError::Bad(m) if m.starts_with("line 2:")),
            "{err}"
        );
    }

    #[test]
    fn gzip_is_decoded_within_the_limit() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&vec![b'a'; 10_000]).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(gunzip(&gz, 10_000).unwrap().len(), 10_000);
        assert_eq!(
            gunzip(&gz, 9_999),
            Err(BodyError::TooLarge { limit: 9_999 })
        );
        assert!(matches!(gunzip(b"plain", 100), Err(BodyError::Bad(_))));
    }

    #[test]
    fn content_types_pick_the_body_kind() {
        assert_eq!(body_kind(None), Ok(BodyKind::Ndjson));
        assert_eq!(
            body_kind(Some("application/json; charset=utf-8")),
            Ok(BodyKind::JsonArray)
        );
        assert_eq!(
            body_kind(Some("application/x-ndjson")),
            Ok(BodyKind::Ndjson)
        );
        assert_eq!(
            body_kind(Some("application/vnd.auditship+x-ndjson")),
            Ok(BodyKind::Auditship)
        );
        assert!(matches!(
            body_kind(Some("text/xml")),
            Err(BodyError::Unsupported(_))
        ));
    }
}
