//! What a failed attempt of the `nats` sink means for the batch: a client
//! error → a [`DeliveryError`] for the runner, worded for the operator.
//!
//! | error | becomes |
//! | --- | --- |
//! | no server reachable, TLS handshake failed, credentials refused | `Retryable`, saying what to check; the batch waits in the journal |
//! | no acknowledgement within `request_timeout` (server down, leader election) | `Retryable`: sent again, repeats dropped by `Nats-Msg-Id` |
//! | the connection closed while publishing | `Retryable`: the client reconnects |
//! | no stream takes the subject | `Retryable`, naming the subject and `create_stream` |
//! | an event larger than the server's `max_payload`, or whose subject NATS refuses | `Permanent`: the runner halves the batch until the event is alone, then dead-letters it |
//! | anything else the stream refuses (limits, storage) | `Retryable` with JetStream's description |
//!
//! Messages are scrubbed of every configured secret before they leave.

use std::time::Duration;

use async_nats::client::{PublishError, PublishErrorKind};
use async_nats::{ConnectError, ConnectErrorKind};

use super::acks::Refusal;
use crate::sinks::DeliveryError;

fn retry(reason: String) -> DeliveryError {
    DeliveryError::Retryable {
        reason,
        retry_after: None,
    }
}

/// A failed (first) connection.
pub(super) fn connect_failure(error: &ConnectError) -> DeliveryError {
    retry(match error.kind() {
        ConnectErrorKind::AuthorizationViolation => "NATS refused the credentials (authorization violation); check user and password, token, nkey or credentials, and the user's permissions".to_string(),
        ConnectErrorKind::Authentication => format!("cannot sign in to NATS with the nkey or credentials ({error}); check them"),
        ConnectErrorKind::Tls => format!("TLS with the NATS server failed ({error}); check tls.ca, tls.cert and tls.key, and that the host in urls is a name the server certificate is for"),
        _ => format!("cannot reach any NATS server in urls ({error}); check that they run and are reachable"),
    })
}

/// A message the client could not send.
pub(super) fn publish_failure(error: &PublishError, subject: &str) -> DeliveryError {
    match error.kind() {
        PublishErrorKind::MaxPayloadExceeded => DeliveryError::Permanent {
            status: 0,
            body: format!("the event is larger than the NATS server's max_payload ({error})"),
        },
        PublishErrorKind::InvalidSubject => DeliveryError::Permanent {
            status: 0,
            body: format!("NATS refuses the subject {subject:?} rendered from the event ({error})"),
        },
        PublishErrorKind::Send => {
            retry("the connection to NATS was lost before the acknowledgement; reconnecting".into())
        }
    }
}

/// An answer of JetStream that is not a PubAck; `subject` is the event's.
pub(super) fn refusal_failure(refusal: &Refusal, subject: &str) -> DeliveryError {
    retry(match refusal {
        Refusal::NoStream { .. } => format!(
            "no JetStream stream takes the subject {subject:?}; create a stream whose subjects match it, or set create_stream"
        ),
        Refusal::Refused { reason, .. } => {
            format!("JetStream refused the message to {subject:?}: {reason}")
        }
    })
}

/// Not every event acknowledged within `request_timeout`.
pub(super) fn timed_out(timeout: Duration) -> DeliveryError {
    retry(format!(
        "JetStream did not acknowledge within request_timeout ({}); a server or the stream's leader may be down or being elected (repeats of this batch are dropped by Nats-Msg-Id)",
        crate::config::format_duration(timeout)
    ))
}

/// `text` with every secret replaced by `<secret>`.
pub(super) fn scrub(mut error: DeliveryError, secrets: &[String]) -> DeliveryError {
    let clean = |text: &mut String| {
        for secret in secrets.iter().filter(|s| s.len() >= 3) {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), "<secret>");
            }
        }
    };
    match &mut error {
        DeliveryError::Retryable { reason, .. } => clean(reason),
        DeliveryError::Permanent { body, .. } => clean(body),
        _ => {}
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_credentials_say_what_to_check_and_are_retried() {
        let error = ConnectError::new(ConnectErrorKind::AuthorizationViolation);
        match connect_failure(&error) {
            DeliveryError::Retryable { reason, .. } => {
                assert!(
                    reason.contains("check user and password, token, nkey or credentials"),
                    "{reason}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_stream_names_the_subject_and_an_oversized_event_is_permanent() {
        let missing = refusal_failure(&Refusal::NoStream { index: 0 }, "audit.a.b");
        assert!(
            matches!(&missing, DeliveryError::Retryable { reason, .. } if reason.contains("\"audit.a.b\"") && reason.contains("create_stream")),
            "{missing}"
        );
        let refused = refusal_failure(
            &Refusal::Refused {
                index: 0,
                reason: "maximum messages exceeded (error 10077)".into(),
            },
            "s",
        );
        assert!(
            matches!(&refused, DeliveryError::Retryable { reason, .. } if reason.contains("maximum messages exceeded")),
            "{refused}"
        );
        let timeout = timed_out(Duration::from_secs(5));
        assert!(
            matches!(&timeout, DeliveryError::Retryable { reason, .. } if reason.contains("request_timeout (5s)")),
            "{timeout}"
        );
        let big = publish_failure(
            &PublishError::new(PublishErrorKind::MaxPayloadExceeded),
            "s",
        );
        assert!(matches!(big, DeliveryError::Permanent { status: 0, .. }));
        let lost = publish_failure(&PublishError::new(PublishErrorKind::Send), "s");
        assert!(matches!(lost, DeliveryError::Retryable { .. }));
    }

    #[test]
    fn secrets_are_scrubbed_from_messages() {
        let error = retry("cannot reach nats://u:hunter22@h:4222".into());
        let scrubbed = scrub(error, &["hunter22".into()]);
        assert!(!scrubbed.to_string().contains("hunter22"), "{scrubbed}");
        assert!(scrubbed.to_string().contains("<secret>"));
    }
}
