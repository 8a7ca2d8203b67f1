//! What HEC's answers mean (pure). HEC answers JSON such as
//! `{"text":"Success","code":0}` (with `"ackId":N` when the token has
//! indexer acknowledgement) or `{"text":"Invalid token","code":4}`.
//!
//! | answer to `/services/collector/event` | [`DeliveryError`] |
//! | --- | --- |
//! | 2xx | delivered (the `ackId`, if any, is returned) |
//! | 401, 403 (codes 1–4: token missing, disabled or invalid) | `CredentialsRejected` |
//! | 400 with code 10, 11 (data channel missing / invalid) or 14 (ACK is disabled) | `Retryable`: the sink's settings or the token must change, not the events |
//! | any other 400 (5 no data, 6 invalid data format, 7 incorrect index, 12/13 event field missing/blank, …), 413 | `Permanent`, with HEC's code and text |
//! | 408, 429, 5xx (8 internal error, 9 server busy), no answer | `Retryable` |
//!
//! Everything else follows the `http` sink's [`classify_response`].

use std::time::Duration;

use serde::Deserialize;

use crate::sinks::http::classify_response;
use crate::sinks::DeliveryError;

/// HEC codes that mean a setting (channel, acknowledgement on the token)
/// is wrong rather than the events: retried, never dead-lettered.
const SETTING_CODES: &[i64] = &[10, 11, 14];

/// The fields of a HEC answer we read.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
pub struct HecReply {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default, rename = "ackId")]
    pub ack_id: Option<u64>,
    #[serde(default, rename = "invalid-event-number")]
    pub invalid_event_number: Option<i64>,
}

impl HecReply {
    /// The reply in a body; an empty default when it is not HEC's JSON.
    pub fn parse(body: &[u8]) -> HecReply {
        serde_json::from_slice(body).unwrap_or_default()
    }

    /// `code 6: Invalid data format (event 3)`, or the raw body start.
    fn describe(&self, body: &[u8]) -> String {
        match (&self.code, &self.text) {
            (Some(code), Some(text)) => {
                let event = self
                    .invalid_event_number
                    .map(|n| format!(" (event {n} of the request)"))
                    .unwrap_or_default();
                format!("HEC code {code}: {text}{event}")
            }
            _ => String::from_utf8_lossy(&body[..body.len().min(1024)])
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        }
    }
}

/// What an answer to an event POST means; `Ok` holds the `ackId`.
pub fn classify_event_response(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<Option<u64>, DeliveryError> {
    let reply = HecReply::parse(body);
    match status {
        200..=299 => Ok(reply.ack_id),
        400 if reply.code.is_some_and(|c| SETTING_CODES.contains(&c)) => {
            Err(DeliveryError::Retryable {
                reason: format!(
                    "HTTP 400, {} (check the token's indexer acknowledgement setting against ack)",
                    reply.describe(body)
                ),
                retry_after,
            })
        }
        400 | 413 => Err(DeliveryError::Permanent {
            status,
            body: reply.describe(body),
        }),
        _ => classify_response(status, retry_after, body).map(|()| None),
    }
}

/// The body of an acknowledgement poll: `{"acks":[1,2]}`.
pub fn ack_query(ids: &[u64]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "acks": ids })).unwrap_or_default()
}

/// The ids an answer to an acknowledgement poll reports as indexed:
/// `{"acks":{"1":true,"2":false}}` → `[1]`.
pub fn acked_ids(body: &[u8]) -> Vec<u64> {
    #[derive(Deserialize)]
    struct AckStatus {
        acks: std::collections::HashMap<String, bool>,
    }
    let Ok(status) = serde_json::from_slice::<AckStatus>(body) else {
        return Vec::new();
    };
    status
        .acks
        .into_iter()
        .filter(|(_, indexed)| *indexed)
        .filter_map(|(id, _)| id.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_returns_the_ack_id_when_there_is_one() {
        assert_eq!(
            classify_event_response(200, None, br#"{"text":"Success","code":0}"#),
            Ok(None)
        );
        assert_eq!(
            classify_event_response(200, None, br#"{"text":"Success","code":0,"ackId":42}"#),
            Ok(Some(42))
        );
    }

    #[test]
    fn bad_events_are_permanent_with_hecs_code_and_text() {
        let Err(DeliveryError::Permanent { status, body }) = classify_event_response(
            400,
            None,
            br#"{"text":"Invalid data format","code":6,"invalid-event-number":3}"#,
        ) else {
            panic!()
        };
        assert_eq!(status, 400);
        assert_eq!(
            body,
            "HEC code 6: Invalid data format (event 3 of the request)"
        );
        assert!(matches!(
            classify_event_response(413, None, b"too large"),
            Err(DeliveryError::Permanent { status: 413, .. })
        ));
    }

    #[test]
    fn channel_and_ack_setting_errors_are_retried_not_dead_lettered() {
        for code in [10, 11, 14] {
            let body = format!(r#"{{"text":"x","code":{code}}}"#);
            assert!(matches!(
                classify_event_response(400, None, body.as_bytes()),
                Err(DeliveryError::Retryable { .. })
            ));
        }
    }

    #[test]
    fn token_errors_are_credentials_and_busy_servers_are_retried() {
        for (status, code) in [(401, 2), (401, 3), (403, 4), (403, 1)] {
            let body = format!(r#"{{"text":"x","code":{code}}}"#);
            assert_eq!(
                classify_event_response(status, None, body.as_bytes()),
                Err(DeliveryError::CredentialsRejected { status })
            );
        }
        for status in [429, 500, 503] {
            assert!(matches!(
                classify_event_response(status, Some(Duration::from_secs(3)), br#"{"text":"Server is busy","code":9}"#),
                Err(DeliveryError::Retryable { retry_after: Some(d), .. }) if d == Duration::from_secs(3)
            ));
        }
    }

    #[test]
    fn ack_polls_ask_for_ids_and_read_back_the_indexed_ones() {
        assert_eq!(ack_query(&[1, 2]), br#"{"acks":[1,2]}"#);
        let mut acked = acked_ids(br#"{"acks":{"1":true,"2":false,"3":true}}"#);
        acked.sort();
        assert_eq!(acked, [1, 3]);
        assert!(acked_ids(b"nonsense").is_empty());
    }
}
