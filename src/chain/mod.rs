//! Tamper evidence: the hash chain over every journaled event, signed
//! checkpoints, and the verifier behind `auditship verify`.
//!
//! # The link (`agent.chain`, SCHEMA.md)
//!
//! ```text
//! link(seq) = SHA-256( link(seq - 1) ‖ seq ‖ canonical bytes of the event without agent.chain )
//! ```
//!
//! - `link(seq - 1)` is the previous link as 32 raw bytes (not its hex
//!   text). Before the first event of an agent it is [`GENESIS`], 32 zero
//!   bytes.
//! - `seq` is `agent.seq` as a **u64, 8 bytes big-endian** (network order):
//!   fixed width, so no seq/JSON boundary is ambiguous, and trivial to
//!   reproduce in any language.
//! - the canonical bytes are RFC 8785 (JCS) of the event as written,
//!   `agent.seq` included, `agent.chain` removed (`event::canonical_bytes`).
//! - `agent.chain` is the link as 64 lower-case hex digits.
//!
//! The link follows journal order, so it is computed on the journal's
//! writer thread where seqs are assigned (`pipeline::EncodedEvent` keeps
//! that cheap); the last link is recovered from the newest journal record
//! at start, so the chain survives restarts and `kill -9`.
//!
//! # Files
//! - `checkpoint.rs`: the signed checkpoint (what is signed, how).
//! - `verify.rs`: checking an exported trail (pure: lines in, findings out);
//!   `verify_report.rs`: the findings and how they print.
//!
//! Invariant: no I/O here. Key files live in `pipeline::signing_key`; the
//! CLI reads the export files.

pub mod checkpoint;
pub mod verify;
mod verify_line;
pub mod verify_report;

#[cfg(test)]
mod verify_tests;

use sha2::{Digest, Sha256};

/// One link of the chain: a SHA-256 digest.
pub type Link = [u8; 32];

/// The link "before" seq 1.
pub const GENESIS: Link = [0; 32];

/// The link of the event at `seq`, given the previous link and the event's
/// canonical bytes (with `agent.seq`, without `agent.chain`).
pub fn link(previous: &Link, seq: u64, canonical: &[u8]) -> Link {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(seq.to_be_bytes());
    hasher.update(canonical);
    hasher.finalize().into()
}

/// Lower-case hex of a link, as written in `agent.chain`.
pub fn to_hex(link: &Link) -> String {
    let mut out = String::with_capacity(64);
    push_hex(link, &mut out);
    out
}

/// Appends the hex of `bytes` to `out`.
pub fn push_hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
}

/// Parses 64 hex digits (either case) back into a link.
pub fn from_hex(text: &str) -> Option<Link> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut link = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        link[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_matches_a_hand_computed_vector() {
        // Computed independently: python3 -c "import hashlib; print(hashlib.sha256(
        //   bytes(32) + (1).to_bytes(8, 'big') + b'{\"a\":1}').hexdigest())"
        let got = to_hex(&link(&GENESIS, 1, br#"{"a":1}"#));
        assert_eq!(
            got,
            "efdc0e2f8a22c30683385791552f8455b898f59e1aa4d1a6c77f0457bd1d5947"
        );
    }

    #[test]
    fn every_input_changes_the_link() {
        let base = link(&GENESIS, 7, b"{}");
        assert_ne!(base, link(&[1; 32], 7, b"{}"));
        assert_ne!(base, link(&GENESIS, 8, b"{}"));
        assert_ne!(base, link(&GENESIS, 7, b"{ }"));
    }

    #[test]
    fn hex_round_trips() {
        let l = link(&GENESIS, 1, b"x");
        assert_eq!(from_hex(&to_hex(&l)), Some(l));
        assert_eq!(from_hex(&to_hex(&l).to_uppercase()), Some(l));
        assert_eq!(from_hex("00"), None);
        assert_eq!(from_hex(&"g".repeat(64)), None);
    }
}
