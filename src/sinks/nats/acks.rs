//! The acknowledgements of one batch: which events JetStream has answered
//! for, whatever order the answers come in.
//!
//! Why not the client's JetStream publish: it gives every message its own
//! inbox entry, `oneshot` channel, semaphore permit and timer, and the task
//! awaiting the acks in order is woken for each one; that per-message work
//! cost the agent more CPU than reading and rendering the event. Instead
//! each batch subscribes to one inbox of its own, `<inbox>.*`, publishes
//! event `i` with the reply subject `<inbox>.<i>`, and reads the PubAcks
//! off that one subscription as they come (see `sink`).
//!
//! Pure: no I/O. An answer is a JetStream PubAck (`{"stream":…,"seq":…}`,
//! with `"duplicate":true` when the stream already held the `Nats-Msg-Id`),
//! a JetStream error (`{"error":{"code":…,"err_code":…,"description":…}}`),
//! or the server's "no responders" status when no stream takes the subject.

use async_nats::StatusCode;
use serde::Deserialize;

/// What JetStream answered for one event, when it is not a PubAck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No stream takes the event's subject (no responders).
    NoStream { index: usize },
    /// The stream refused the message (limits, storage, a wrong expected
    /// stream), or the answer is not a PubAck.
    Refused { index: usize, reason: String },
}

impl Refusal {
    /// The event's index in the batch.
    pub fn index(&self) -> usize {
        match self {
            Refusal::NoStream { index } | Refusal::Refused { index, .. } => *index,
        }
    }
}

/// The answers of one batch of `len` events.
#[derive(Debug)]
pub(super) struct BatchAcks {
    acked: Vec<bool>,
    missing: usize,
    repeated: usize,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    duplicate: bool,
    /// A PubAck names the stream that stored the message.
    stream: Option<serde::de::IgnoredAny>,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    err_code: u64,
    #[serde(default)]
    description: String,
}

impl BatchAcks {
    pub fn new(len: usize) -> BatchAcks {
        BatchAcks {
            acked: vec![false; len],
            missing: len,
            repeated: 0,
        }
    }

    /// The reply subject of event `index` under the batch's `inbox`.
    pub fn reply_subject(inbox: &str, index: usize) -> String {
        format!("{inbox}.{index}")
    }

    /// Takes one answer, sent to `reply_subject`. An answer to no event of
    /// the batch, or a second one to the same event, changes nothing.
    pub fn record(
        &mut self,
        reply_subject: &str,
        status: Option<StatusCode>,
        payload: &[u8],
    ) -> Result<(), Refusal> {
        let Some(index) = reply_subject
            .rsplit_once('.')
            .and_then(|(_, index)| index.parse::<usize>().ok())
            .filter(|&index| index < self.acked.len())
        else {
            return Ok(());
        };
        if self.acked[index] {
            return Ok(());
        }
        if status == Some(StatusCode::NO_RESPONDERS) {
            return Err(Refusal::NoStream { index });
        }
        let refused = |reason: String| Refusal::Refused { index, reason };
        let answer: Answer = serde_json::from_slice(payload).map_err(|_| {
            refused(format!(
                "an answer that is not a PubAck ({:?})",
                String::from_utf8_lossy(&payload[..payload.len().min(200)])
            ))
        })?;
        if let Some(error) = answer.error {
            return Err(refused(format!(
                "{} (error {})",
                error.description, error.err_code
            )));
        }
        if answer.stream.is_none() {
            return Err(refused("a PubAck without a stream".to_string()));
        }
        self.acked[index] = true;
        self.missing -= 1;
        self.repeated += usize::from(answer.duplicate);
        Ok(())
    }

    /// Every event acknowledged.
    pub fn is_complete(&self) -> bool {
        self.missing == 0
    }

    /// Events the stream already held (dropped by their `Nats-Msg-Id`).
    pub fn repeated(&self) -> usize {
        self.repeated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INBOX: &str = "_INBOX.abc";

    fn ack(seq: u64) -> Vec<u8> {
        format!(r#"{{"stream":"AUDIT","seq":{seq}}}"#).into_bytes()
    }

    #[test]
    fn a_batch_is_complete_only_when_every_event_is_acknowledged_in_any_order() {
        let mut acks = BatchAcks::new(4);
        for index in [3, 1, 0] {
            let reply = BatchAcks::reply_subject(INBOX, index);
            acks.record(&reply, None, &ack(index as u64 + 1)).unwrap();
            assert!(!acks.is_complete(), "after {index}");
        }
        // A second answer to an acknowledged event does not count twice.
        acks.record(&BatchAcks::reply_subject(INBOX, 3), None, &ack(4))
            .unwrap();
        assert!(!acks.is_complete());
        acks.record(
            &BatchAcks::reply_subject(INBOX, 2),
            None,
            br#"{"stream":"AUDIT","seq":2,"duplicate":true}"#,
        )
        .unwrap();
        assert!(acks.is_complete());
        assert_eq!(acks.repeated(), 1);
    }

    #[test]
    fn answers_to_no_event_of_the_batch_are_ignored() {
        let mut acks = BatchAcks::new(2);
        for reply in ["_INBOX.abc.2", "_INBOX.abc.x", "_INBOX", "_INBOX.abc.-1"] {
            acks.record(reply, None, &ack(1)).unwrap();
        }
        assert!(!acks.is_complete());
    }

    #[test]
    fn a_missing_stream_and_a_refusal_name_the_event() {
        let mut acks = BatchAcks::new(3);
        assert_eq!(
            acks.record("_INBOX.abc.1", Some(StatusCode::NO_RESPONDERS), b""),
            Err(Refusal::NoStream { index: 1 })
        );
        let refused = acks.record(
            "_INBOX.abc.2",
            None,
            br#"{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}"#,
        );
        assert_eq!(
            refused,
            Err(Refusal::Refused {
                index: 2,
                reason: "maximum messages exceeded (error 10077)".into()
            })
        );
        assert!(matches!(
            acks.record("_INBOX.abc.0", None, b"not json"),
            Err(Refusal::Refused { index: 0, reason }) if reason.contains("not a PubAck")
        ));
        assert!(!acks.is_complete());
    }
}
