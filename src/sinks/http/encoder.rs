//! Request bodies of the `http` sink: a batch of event JSON lines → the
//! bytes, `Content-Type` and `Content-Encoding` of one request.
//!
//! - `ndjson`: each line followed by `\n` (so the body ends in a newline),
//!   `application/x-ndjson`.
//! - `json_array`: `[line1,line2]`, `application/json`. Lines are already
//!   JSON values, so they are joined, not re-serialized.
//! - `ocsf`: each line mapped to an OCSF 1.1 event (`crate::sinks::ocsf`),
//!   as NDJSON.
//! - `auditship`: the NDJSON body under its own media type
//!   ([`crate::event::AUDITSHIP_NDJSON`]), which tells another agent's
//!   `http` source that the events are already normalized.
//! - `gzip`: the whole body as one gzip member at flate2's fast level,
//!   `Content-Encoding: gzip`.
//!
//! Pure: no I/O, cannot fail.

use bytes::Bytes;

use crate::config::{Compression, HttpEncoding};
use crate::sinks::compress::BodyWriter;

/// One request's body and the headers that describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedBody {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// `Some("gzip")` when compressed.
    pub content_encoding: Option<&'static str>,
}

/// The `Content-Type` of a body in `encoding`.
pub fn content_type(encoding: HttpEncoding) -> &'static str {
    match encoding {
        HttpEncoding::Ndjson | HttpEncoding::Ocsf => "application/x-ndjson",
        HttpEncoding::JsonArray => "application/json",
        HttpEncoding::Auditship => crate::event::AUDITSHIP_NDJSON,
    }
}

/// Encodes `lines` (event JSON, no trailing newline each) as one body.
pub fn encode_body(
    lines: &[&[u8]],
    encoding: HttpEncoding,
    compression: Compression,
) -> EncodedBody {
    let payload_len: usize = lines.iter().map(|l| l.len() + 1).sum::<usize>() + 2;
    let mut body = BodyWriter::new(compression, payload_len);
    match encoding {
        HttpEncoding::Ndjson | HttpEncoding::Auditship => {
            for line in lines {
                body.put(line);
                body.put(b"\n");
            }
        }
        HttpEncoding::JsonArray => {
            body.put(b"[");
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    body.put(b",");
                }
                body.put(line);
            }
            body.put(b"]");
        }
        HttpEncoding::Ocsf => {
            for line in lines {
                let event = crate::sinks::ocsf::to_ocsf(line);
                serde_json::to_writer(&mut body, &event).expect("a map serializes");
                body.put(b"\n");
            }
        }
    }
    EncodedBody {
        bytes: body.finish(),
        content_type: content_type(encoding),
        content_encoding: match compression {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    const LINES: &[&[u8]] = &[br#"{"a":1}"#, br#"{"b":"x\ny"}"#];

    #[test]
    fn ndjson_puts_every_event_on_its_own_line_ending_in_a_newline() {
        let body = encode_body(LINES, HttpEncoding::Ndjson, Compression::None);
        assert_eq!(&body.bytes[..], b"{\"a\":1}\n{\"b\":\"x\\ny\"}\n");
        assert_eq!(body.content_type, "application/x-ndjson");
        assert_eq!(body.content_encoding, None);
    }

    #[test]
    fn json_array_joins_events_into_one_valid_array() {
        let body = encode_body(LINES, HttpEncoding::JsonArray, Compression::None);
        assert_eq!(&body.bytes[..], b"[{\"a\":1},{\"b\":\"x\\ny\"}]");
        assert_eq!(body.content_type, "application/json");
        let parsed: serde_json::Value = serde_json::from_slice(&body.bytes).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 2);
    }

    #[test]
    fn auditship_is_ndjson_under_its_own_media_type() {
        let body = encode_body(LINES, HttpEncoding::Auditship, Compression::None);
        let ndjson = encode_body(LINES, HttpEncoding::Ndjson, Compression::None);
        assert_eq!(body.bytes, ndjson.bytes);
        assert_eq!(body.content_type, "application/vnd.auditship+x-ndjson");
    }

    #[test]
    fn an_empty_batch_is_an_empty_body_or_an_empty_array() {
        let ndjson = encode_body(&[], HttpEncoding::Ndjson, Compression::None);
        assert!(ndjson.bytes.is_empty());
        let array = encode_body(&[], HttpEncoding::JsonArray, Compression::None);
        assert_eq!(&array.bytes[..], b"[]");
    }

    #[test]
    fn gzip_round_trips_to_the_plain_body_and_says_so_in_the_header() {
        for encoding in [HttpEncoding::Ndjson, HttpEncoding::JsonArray] {
            let plain = encode_body(LINES, encoding, Compression::None);
            let gzipped = encode_body(LINES, encoding, Compression::Gzip);
            assert_eq!(gzipped.content_encoding, Some("gzip"));
            assert_eq!(gzipped.content_type, plain.content_type);
            let mut unzipped = Vec::new();
            GzDecoder::new(&gzipped.bytes[..])
                .read_to_end(&mut unzipped)
                .unwrap();
            assert_eq!(unzipped, plain.bytes);
        }
    }
}
