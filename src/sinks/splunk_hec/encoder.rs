//! Event JSON lines → HEC request bodies (pure: no I/O, cannot fail).
//!
//! Each event becomes one HEC envelope on its own line:
//!
//! ```text
//! {"time":1774607415.123,"host":"web-1","source":"auditship","sourcetype":"auditship:audit","index":"audit","event":{…the AuditEvent…}}
//! ```
//!
//! - `time`: the event's `time` (RFC 3339) as epoch seconds with three
//!   decimals (HEC keeps milliseconds); left out when the event has none
//!   that parses, so Splunk uses the arrival time.
//! - `host`: the configured `host`, else the event's `agent.host` (left out
//!   when neither exists: Splunk then uses the token's default).
//! - `index`: only when configured (otherwise the token's default index).
//! - `event`: the line itself, embedded as is (it is already JSON).
//!
//! Envelopes are concatenated, each ending in `\n` (HEC takes a stream of
//! JSON objects, not an array). A batch is split so that no body exceeds
//! `max_request_bytes` before compression; an envelope larger than that on
//! its own still goes out, alone (HEC then answers 413).

use std::borrow::Cow;

use bytes::Bytes;
use serde::Deserialize;

use crate::config::Compression;
use crate::sinks::compress::compress_body;

/// The fields of an event the envelope needs; everything else is skipped.
#[derive(Deserialize)]
struct EventHead<'a> {
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    agent: Option<AgentHead<'a>>,
}

#[derive(Deserialize)]
struct AgentHead<'a> {
    #[serde(borrow, default)]
    host: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<u64>,
}

/// How every envelope of one sink is stamped.
#[derive(Debug, Clone)]
pub struct HecEnvelope {
    pub source: String,
    pub sourcetype: String,
    pub index: Option<String>,
    /// Fixed host; `None`: each event's `agent.host`.
    pub host: Option<String>,
    pub compression: Compression,
    pub max_request_bytes: usize,
}

/// One request's body and the events in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HecRequest {
    /// Compressed when the sink compresses.
    pub body: Bytes,
    /// Body size before compression.
    pub plain_len: usize,
    /// `agent.seq` of every event in the body that has one.
    pub seqs: Vec<u64>,
    pub events: usize,
}

impl HecEnvelope {
    /// Encodes `lines`, leaving out those whose `agent.seq` `skip` accepts
    /// (already delivered by an earlier, partly failed attempt).
    pub fn encode(&self, lines: &[&[u8]], skip: impl Fn(u64) -> bool) -> Vec<HecRequest> {
        let mut requests = Vec::new();
        let mut plain = Vec::new();
        let mut seqs = Vec::new();
        let mut events = 0;
        let mut envelope = Vec::new();
        for line in lines {
            envelope.clear();
            let seq = self.write_envelope(&mut envelope, line);
            if seq.is_some_and(&skip) {
                continue;
            }
            if events > 0 && plain.len() + envelope.len() > self.max_request_bytes {
                requests.push(self.finish(std::mem::take(&mut plain), &mut seqs, events));
                events = 0;
            }
            plain.extend_from_slice(&envelope);
            seqs.extend(seq);
            events += 1;
        }
        if events > 0 {
            requests.push(self.finish(plain, &mut seqs, events));
        }
        requests
    }

    /// Writes one envelope and its newline; returns the event's `agent.seq`.
    fn write_envelope(&self, out: &mut Vec<u8>, line: &[u8]) -> Option<u64> {
        let head: Option<EventHead> = crate::json_bytes::from_json_bytes(line).ok();
        let time = head
            .as_ref()
            .and_then(|h| h.time.as_deref())
            .and_then(epoch_seconds);
        let agent = head.as_ref().and_then(|h| h.agent.as_ref());
        let host = self
            .host
            .as_deref()
            .or_else(|| agent.and_then(|a| a.host.as_deref()));
        out.push(b'{');
        if let Some(time) = time {
            out.extend_from_slice(b"\"time\":");
            out.extend_from_slice(time.as_bytes());
            out.push(b',');
        }
        if let Some(host) = host {
            write_field(out, "host", host);
        }
        write_field(out, "source", &self.source);
        write_field(out, "sourcetype", &self.sourcetype);
        if let Some(index) = &self.index {
            write_field(out, "index", index);
        }
        out.extend_from_slice(b"\"event\":");
        if head.is_some() {
            out.extend_from_slice(line);
        } else {
            // Not JSON (cannot happen for journal events): sent as a string.
            let text = String::from_utf8_lossy(line);
            let _ = serde_json::to_writer(&mut *out, &text);
        }
        out.extend_from_slice(b"}\n");
        agent.and_then(|a| a.seq)
    }

    fn finish(&self, plain: Vec<u8>, seqs: &mut Vec<u64>, events: usize) -> HecRequest {
        let plain_len = plain.len();
        let body = compress_body(plain, self.compression);
        HecRequest {
            body,
            plain_len,
            seqs: std::mem::take(seqs),
            events,
        }
    }
}

/// `"key":"value",` with the value JSON-escaped.
fn write_field(out: &mut Vec<u8>, key: &str, value: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    let _ = serde_json::to_writer(&mut *out, value);
    out.push(b',');
}

/// An RFC 3339 time as epoch seconds with millisecond decimals:
/// `2026-03-27T10:30:15.123456Z` → `1774607415.123` (truncated, not
/// rounded, so an event never moves into the next millisecond).
pub fn epoch_seconds(time: &str) -> Option<String> {
    let parsed = chrono::DateTime::parse_from_rfc3339(time).ok()?;
    let millis = parsed.timestamp_millis();
    let sign = if millis < 0 { "-" } else { "" };
    let abs = millis.unsigned_abs();
    Some(format!("{sign}{}.{:03}", abs / 1000, abs % 1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use serde_json::Value;
    use std::io::Read;

    const EVENT: &[u8] = br#"{"schema_version":"1","id":"e1","time":"2026-03-27T10:30:15.123456789Z","action":"user.login","agent":{"host":"web-1","seq":7,"chain":"ab"},"details":{"note":"a \"quoted\"\nline"}}"#;

    fn envelope() -> HecEnvelope {
        HecEnvelope {
            source: "auditship".into(),
            sourcetype: "auditship:audit".into(),
            index: None,
            host: None,
            compression: Compression::None,
            max_request_bytes: 1024 * 1024,
        }
    }

    fn objects(body: &[u8]) -> Vec<Value> {
        serde_json::Deserializer::from_slice(body)
            .into_iter::<Value>()
            .map(|v| v.unwrap())
            .collect()
    }

    #[test]
    fn an_event_becomes_one_envelope_with_time_host_source_and_the_event_unchanged() {
        let requests = envelope().encode(&[EVENT], |_| false);
        assert_eq!(requests.len(), 1);
        let body = &requests[0].body;
        assert!(body.starts_with(br#"{"time":1774607415.123,"host":"web-1","source":"auditship","sourcetype":"auditship:audit","event":{"#));
        assert!(body.ends_with(b"}}\n"));
        let sent = objects(body);
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0]["event"],
            serde_json::from_slice::<Value>(EVENT).unwrap()
        );
        assert!(sent[0].get("index").is_none(), "no index unless configured");
        assert_eq!(requests[0].seqs, [7]);
        assert_eq!(requests[0].events, 1);
    }

    #[test]
    fn configured_index_and_host_override_the_defaults() {
        let mut hec = envelope();
        hec.index = Some("audit".into());
        hec.host = Some("gateway \"7\"".into());
        hec.sourcetype = "_json".into();
        let sent = objects(&hec.encode(&[EVENT], |_| false)[0].body);
        assert_eq!(sent[0]["index"], "audit");
        assert_eq!(sent[0]["host"], "gateway \"7\"");
        assert_eq!(sent[0]["sourcetype"], "_json");
        assert_eq!(
            sent[0]["event"]["agent"]["host"], "web-1",
            "the event is unchanged"
        );
    }

    #[test]
    fn time_is_epoch_seconds_with_milliseconds_truncated() {
        assert_eq!(
            epoch_seconds("2026-03-27T10:30:15.123Z").as_deref(),
            Some("1774607415.123")
        );
        assert_eq!(
            epoch_seconds("2026-03-27T10:30:15.9999Z").as_deref(),
            Some("1774607415.999")
        );
        assert_eq!(
            epoch_seconds("2026-03-27T12:30:15+02:00").as_deref(),
            Some("1774607415.000")
        );
        assert_eq!(
            epoch_seconds("1970-01-01T00:00:00.005Z").as_deref(),
            Some("0.005")
        );
        assert_eq!(epoch_seconds("yesterday"), None);
    }

    #[test]
    fn an_event_without_time_or_host_leaves_them_to_splunk() {
        let sent = objects(&envelope().encode(&[br#"{"action":"x"}"#], |_| false)[0].body);
        assert!(sent[0].get("time").is_none() && sent[0].get("host").is_none());
        assert_eq!(sent[0]["event"]["action"], "x");
    }

    #[test]
    fn batches_are_split_below_max_request_bytes_and_keep_their_order() {
        let lines: Vec<String> = (0..100)
            .map(|seq| format!(r#"{{"time":"2026-03-27T10:30:15Z","agent":{{"host":"h","seq":{seq}}},"pad":"{}"}}"#, "x".repeat(200)))
            .collect();
        let lines: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        let mut hec = envelope();
        hec.max_request_bytes = 2048;
        let requests = hec.encode(&lines, |_| false);
        assert!(requests.len() > 10);
        assert!(requests
            .iter()
            .all(|r| r.plain_len <= 2048 && r.body.len() == r.plain_len));
        let seqs: Vec<u64> = requests.iter().flat_map(|r| r.seqs.clone()).collect();
        assert_eq!(seqs, (0..100).collect::<Vec<_>>());
        let events: usize = requests.iter().map(|r| r.events).sum();
        assert_eq!(events, 100);
    }

    #[test]
    fn an_envelope_larger_than_the_limit_goes_alone() {
        let mut hec = envelope();
        hec.max_request_bytes = 16;
        let requests = hec.encode(&[EVENT, EVENT], |_| false);
        assert_eq!(requests.len(), 2);
        assert!(requests.iter().all(|r| r.events == 1));
    }

    #[test]
    fn events_already_delivered_are_skipped() {
        let other = br#"{"agent":{"host":"h","seq":8}}"#;
        let requests = envelope().encode(&[EVENT, other], |seq| seq == 7);
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].seqs, [8]);
        assert!(envelope().encode(&[EVENT], |_| true).is_empty());
    }

    #[test]
    fn gzip_bodies_unzip_to_the_plain_body() {
        let plain = envelope().encode(&[EVENT], |_| false).remove(0);
        let mut hec = envelope();
        hec.compression = Compression::Gzip;
        let zipped = hec.encode(&[EVENT], |_| false).remove(0);
        let mut unzipped = Vec::new();
        GzDecoder::new(&zipped.body[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain.body);
        assert_eq!(zipped.plain_len, plain.body.len());
    }
}
