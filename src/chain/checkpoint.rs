//! Signed checkpoints: an `agent.checkpoint` event that vouches, with the
//! agent's Ed25519 key, for the chain link at a seq.
//!
//! Why: the chain alone shows that a trail was not edited *relative to
//! itself*; whoever can rewrite the file can recompute every link. A
//! signature over `(host, seq_to, link(seq_to))` made by a key that never
//! leaves the agent pins the whole prefix up to `seq_to`: changing any event
//! at or before it changes `link(seq_to)`, and only the key holder can sign
//! a new one.
//!
//! A checkpoint is a normal, chained event (`action = "agent.checkpoint"`,
//! `origin.kind = "agent"`) whose `details` hold:
//!
//! | key | value |
//! | --- | --- |
//! | `seq_from`, `seq_to` | the events since the previous checkpoint; `seq_to` is the event just before this one |
//! | `link` | `agent.chain` of `seq_to` (hex) |
//! | `key_id` | first 8 bytes of SHA-256(public key), hex |
//! | `public_key` | the raw 32-byte Ed25519 public key, base64 |
//! | `signature` | Ed25519 over the signed bytes below, base64 |
//!
//! **Signed bytes**: the RFC 8785 (JCS) form of
//! `{"host":H,"key_id":K,"link":L,"seq_from":A,"seq_to":B,"type":"auditship.checkpoint.v1"}`
//! — unambiguous, and reproducible with any JCS library.
//!
//! `public_key` is there for convenience only: a verifier must compare it
//! with the key it trusts (`auditship verify --pubkey`), since a forger
//! would put their own key there.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde_json::{json, Map, Value};

use super::{from_hex, to_hex, Link};
use crate::event::{ActorType, AuditEvent, Origin, OriginKind, Outcome, Severity};

/// The `action` of checkpoint events.
pub const ACTION: &str = "agent.checkpoint";
/// Domain separation inside the signed bytes.
const SIGNED_TYPE: &str = "auditship.checkpoint.v1";

/// What a checkpoint vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub host: String,
    pub seq_from: u64,
    pub seq_to: u64,
    pub link: Link,
}

impl Checkpoint {
    /// The bytes the signature covers (see the module doc).
    pub fn signed_bytes(&self, key_id: &str) -> Vec<u8> {
        let value = json!({
            "host": self.host,
            "key_id": key_id,
            "link": to_hex(&self.link),
            "seq_from": self.seq_from,
            "seq_to": self.seq_to,
            "type": SIGNED_TYPE,
        });
        let mut out = Vec::with_capacity(256);
        crate::event::write_canonical(&value, &mut out);
        out
    }
}

/// `key_id` of a raw Ed25519 public key.
pub fn key_id(public_key: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
    let mut id = String::with_capacity(16);
    super::push_hex(&digest.as_ref()[..8], &mut id);
    id
}

/// The agent's signing key, ready to sign checkpoints.
#[derive(Debug)]
pub struct CheckpointSigner {
    key: Ed25519KeyPair,
    key_id: String,
    public_base64: String,
}

impl CheckpointSigner {
    /// From a PKCS#8 document (v2 as ring writes it, or v1 as OpenSSL does).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<CheckpointSigner, String> {
        let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|e| format!("not an Ed25519 PKCS#8 key ({e})"))?;
        let public = key.public_key().as_ref();
        Ok(CheckpointSigner {
            key_id: key_id(public),
            public_base64: BASE64.encode(public),
            key,
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The raw public key, base64: what `auditship key show` prints and
    /// `auditship verify --pubkey` takes.
    pub fn public_key_base64(&self) -> &str {
        &self.public_base64
    }

    /// The checkpoint event for `checkpoint`, signed, not yet sequenced.
    pub fn event(&self, checkpoint: &Checkpoint, now: DateTime<Utc>) -> AuditEvent {
        let signature = self.key.sign(&checkpoint.signed_bytes(&self.key_id));
        let link = to_hex(&checkpoint.link);
        let origin = Origin {
            kind: OriginKind::Agent,
            format: "agent".into(),
            path: None,
            offset: None,
            peer: None,
        };
        let mut event = AuditEvent::new(origin, &checkpoint.host, now);
        event.id = format!("checkpoint-{}-{}", checkpoint.seq_to, &link[..16]);
        event.time_inferred = false;
        event.action = ACTION.into();
        event.outcome = Outcome::Success;
        event.severity = Severity::Info;
        event.category = Some("system".into());
        event.message = Some(format!(
            "auditship signed the trail through seq {}",
            checkpoint.seq_to
        ));
        event.actor.id = Some("auditship".into());
        event.actor.kind = ActorType::System;
        let details = &mut event.details;
        details.insert("seq_from".into(), json!(checkpoint.seq_from));
        details.insert("seq_to".into(), json!(checkpoint.seq_to));
        details.insert("link".into(), Value::String(link));
        details.insert("key_id".into(), Value::String(self.key_id.clone()));
        details.insert(
            "public_key".into(),
            Value::String(self.public_base64.clone()),
        );
        details.insert(
            "signature".into(),
            Value::String(BASE64.encode(signature.as_ref())),
        );
        event
    }
}

/// A checkpoint as read back from an event's `details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub key_id: String,
    pub public_key: Vec<u8>,
    pub signature: Vec<u8>,
}

impl SignedCheckpoint {
    /// Reads the checkpoint fields of an event of `host`; `Err` names what
    /// is missing or malformed.
    pub fn from_details(host: &str, details: &Map<String, Value>) -> Result<Self, String> {
        let num = |k: &str| {
            details
                .get(k)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("details.{k} is missing or not a number"))
        };
        let text = |k: &str| {
            details
                .get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("details.{k} is missing or not a string"))
        };
        let b64 = |k: &str| {
            BASE64
                .decode(text(k)?)
                .map_err(|_| format!("details.{k} is not base64"))
        };
        Ok(SignedCheckpoint {
            checkpoint: Checkpoint {
                host: host.to_string(),
                seq_from: num("seq_from")?,
                seq_to: num("seq_to")?,
                link: from_hex(text("link")?).ok_or("details.link is not 64 hex digits")?,
            },
            key_id: text("key_id")?.to_string(),
            public_key: b64("public_key")?,
            signature: b64("signature")?,
        })
    }

    /// True when the signature verifies with `public_key` (raw 32 bytes).
    pub fn verifies_with(&self, public_key: &[u8]) -> bool {
        let message = self.checkpoint.signed_bytes(&self.key_id);
        UnparsedPublicKey::new(&ED25519, public_key)
            .verify(&message, &self.signature)
            .is_ok()
    }
}

/// Decodes a public key as printed by `auditship key show` (base64 of the
/// raw 32 bytes).
pub fn parse_public_key(text: &str) -> Result<Vec<u8>, String> {
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|_| "the public key is not base64 (copy it from `auditship key show`)")?;
    if bytes.len() != 32 {
        return Err(format!(
            "the public key has {} bytes, an Ed25519 key has 32 (copy it from `auditship key show`)",
            bytes.len()
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    pub(crate) fn signer() -> CheckpointSigner {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        CheckpointSigner::from_pkcs8(pkcs8.as_ref()).unwrap()
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            host: "web-1".into(),
            seq_from: 1,
            seq_to: 10,
            link: [7; 32],
        }
    }

    #[test]
    fn signed_bytes_are_the_documented_jcs_object() {
        let bytes = checkpoint().signed_bytes("abcd");
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            format!(
                r#"{{"host":"web-1","key_id":"abcd","link":"{}","seq_from":1,"seq_to":10,"type":"auditship.checkpoint.v1"}}"#,
                "07".repeat(32)
            )
        );
    }

    #[test]
    fn a_checkpoint_event_verifies_with_its_key_and_not_another() {
        let signer = signer();
        let event = signer.event(&checkpoint(), Utc::now());
        assert_eq!(event.action, ACTION);
        let read = SignedCheckpoint::from_details("web-1", &event.details).unwrap();
        assert_eq!(read.checkpoint, checkpoint());
        let public = parse_public_key(signer.public_key_base64()).unwrap();
        assert!(read.verifies_with(&public));
        assert_eq!(read.key_id, key_id(&public));
        let other = self::signer();
        let other_public = parse_public_key(other.public_key_base64()).unwrap();
        assert!(!read.verifies_with(&other_public));
        let mut moved = read.clone();
        moved.checkpoint.seq_to = 11;
        assert!(!moved.verifies_with(&public));
    }

    #[test]
    fn a_bad_public_key_text_says_where_to_get_one() {
        assert!(parse_public_key("!!").unwrap_err().contains("key show"));
        assert!(parse_public_key("AAAA").unwrap_err().contains("32"));
    }
}
