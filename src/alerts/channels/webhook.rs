//! `type = "webhook"`: the [`Notification`] as JSON, signed so receivers
//! can check it came from us and is fresh.
//!
//! Signature (when `secret` is set): `X-Auditship-Signature: sha256=HEX`,
//! HEX = hex(HMAC-SHA256(secret, TIMESTAMP + "." + BODY)), with TIMESTAMP
//! the `X-Auditship-Timestamp` header (Unix seconds). Receivers recompute
//! it and refuse old timestamps (replays), as with Stripe's or Slack's.

use ring::hmac;

use super::OutgoingRequest;
use crate::alerts::notification::Notification;

pub const SIGNATURE_HEADER: &str = "x-auditship-signature";
pub const TIMESTAMP_HEADER: &str = "x-auditship-timestamp";

/// `sha256=HEX` for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut context = hmac::Context::with_key(&key);
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    let tag = context.sign();
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

pub(super) fn request(
    url: &str,
    secret: Option<&str>,
    n: &Notification,
    now_secs: u64,
) -> OutgoingRequest {
    let body = serde_json::to_vec(n).expect("a notification serializes");
    let mut headers = vec![
        ("content-type", "application/json".to_string()),
        ("x-auditship-notification-id", n.id.clone()),
        (TIMESTAMP_HEADER, now_secs.to_string()),
    ];
    if let Some(secret) = secret {
        headers.push((SIGNATURE_HEADER, signature(secret, now_secs, &body)));
    }
    OutgoingRequest {
        url: url.to_string(),
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231-independent check: recompute with ring's verify.
        let sig = signature("s3cret", 1700000000, b"{}");
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"s3cret");
        let hex = sig.strip_prefix("sha256=").unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        hmac::verify(&key, b"1700000000.{}", &bytes).unwrap();
    }

    #[test]
    fn a_request_carries_the_notification_and_its_signature() {
        let n = crate::alerts::channels::fixtures::notification();
        let r = request("https://h/x", Some("k"), &n, 5);
        let body: Notification = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, n);
        let sig = r
            .headers
            .iter()
            .find(|(h, _)| *h == SIGNATURE_HEADER)
            .unwrap();
        assert_eq!(sig.1, signature("k", 5, &r.body));
        assert!(request("https://h/x", None, &n, 5)
            .headers
            .iter()
            .all(|(h, _)| *h != SIGNATURE_HEADER));
    }
}
