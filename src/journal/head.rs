//! `DIR/head`: the seq and [`Link`] of the record just before the newest
//! segment, so that the hash chain survives a journal that holds no record.
//!
//! At open the writer resumes the chain from the newest record on disk. That
//! record can be gone: every segment was delivered and deleted, and the new
//! newest segment is empty because the write after the roll was torn by a
//! crash (or its only records were quarantined). Without this file the
//! chain would restart from zero there, and `auditship verify` would report
//! a break the agent caused itself.
//!
//! Written by the writer thread at every roll, BEFORE the new segment is
//! created (temp file, fsync, rename, fsync of the directory), so whenever
//! older segments can be deleted, the link before the newest segment is
//! already durable. One line: `SEQ HEX-LINK\n`. Used at open only when the
//! journal has no record and `SEQ` is exactly the one before the next seq;
//! anything else (missing, unreadable, stale) is ignored.

use std::path::{Path, PathBuf};

use super::error::JournalError;
use super::segment;
use super::writer::Link;

const HEAD_FILE: &str = "head";

fn head_path(dir: &Path) -> PathBuf {
    dir.join(HEAD_FILE)
}

/// Durably records that record `seq` ended with `link`.
pub(crate) fn save(dir: &Path, seq: u64, link: &Link) -> Result<(), JournalError> {
    let mut text = format!("{seq} ");
    for byte in link {
        text.push_str(&format!("{byte:02x}"));
    }
    text.push('\n');
    segment::write_atomically(&head_path(dir), text.as_bytes())
}

/// The link of record `seq`, if `DIR/head` holds exactly that record's.
pub(crate) fn link_of(dir: &Path, seq: u64) -> Option<Link> {
    let text = std::fs::read_to_string(head_path(dir)).ok()?;
    let (saved_seq, hex) = parse(&text)?;
    (saved_seq == seq).then_some(hex)
}

fn parse(text: &str) -> Option<(u64, Link)> {
    let (seq, hex) = text.trim_end().split_once(' ')?;
    let seq = seq.parse().ok()?;
    if hex.len() != 64 {
        return None;
    }
    let mut link = [0u8; 32];
    for (i, byte) in link.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some((seq, link))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_link_is_read_back_only_for_its_own_seq() {
        let dir = tempfile::tempdir().unwrap();
        let link: Link = std::array::from_fn(|i| i as u8 * 7);
        save(dir.path(), 41, &link).unwrap();
        assert_eq!(link_of(dir.path(), 41), Some(link));
        assert_eq!(link_of(dir.path(), 42), None, "stale for another seq");
        save(dir.path(), 42, &[9; 32]).unwrap();
        assert_eq!(link_of(dir.path(), 42), Some([9; 32]));
    }

    #[test]
    fn missing_or_damaged_head_gives_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(link_of(dir.path(), 1), None);
        for bad in ["", "12", "12 zz", "x 00", &format!("12 {}", "0".repeat(63))] {
            std::fs::write(dir.path().join(HEAD_FILE), bad).unwrap();
            assert_eq!(link_of(dir.path(), 12), None, "{bad:?}");
        }
    }
}
