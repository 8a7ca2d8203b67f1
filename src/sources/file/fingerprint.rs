//! File identity: [`Fingerprint`] (what a file's first bytes are) and
//! [`FileId`] (the stable name the engine gives one file's content).
//!
//! A fingerprint is a 64-bit checksum (the first 8 bytes of SHA-256) of the
//! first `fingerprint_bytes` bytes of a file, or of the whole file while it is
//! shorter, with the number of bytes it covers. A short file is read at once
//! (audit files start small); while it grows, its fingerprint is extended —
//! after checking that the bytes it already covered are unchanged.
//!
//! Invariants:
//! - Two files whose first `len` bytes are equal have equal fingerprints of
//!   length `len`; the engine treats that as "same content" (a copy made by
//!   copytruncate) only when `len >= MIN_CONTENT_MATCH_BYTES`, so tiny files
//!   that merely start alike are never mistaken for copies (a mistaken copy
//!   would skip lines; a missed one re-reads a few: the safe side).
//! - A [`FileId`] is assigned once, when a file is first seen, from its
//!   device, inode and fingerprint, is stored in the checkpoint and is
//!   inherited by a copy of the file. Re-reading the same bytes therefore
//!   yields the same `FileId` and offset: the position key for event ids.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// Fingerprints shorter than this never identify a copy (see module doc).
pub const MIN_CONTENT_MATCH_BYTES: u64 = 32;

/// A checksum of a file's first `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// First 8 bytes of the SHA-256 of the covered bytes, big-endian.
    pub checksum: u64,
    /// How many first bytes the checksum covers.
    pub len: u64,
}

impl Fingerprint {
    /// The fingerprint of `bytes` (all of them).
    pub fn of_bytes(bytes: &[u8]) -> Fingerprint {
        let digest = Sha256::digest(bytes);
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Fingerprint {
            checksum: u64::from_be_bytes(first),
            len: bytes.len() as u64,
        }
    }

    /// Reads the first `min(file_len, max_bytes)` bytes of `file` and
    /// fingerprints them (fewer if the file shrank meanwhile).
    pub fn read(file: &File, file_len: u64, max_bytes: usize) -> io::Result<Fingerprint> {
        let want = file_len.min(max_bytes as u64) as usize;
        let bytes = read_prefix(file, want)?;
        Ok(Fingerprint::of_bytes(&bytes))
    }

    /// True when `file` still starts with the bytes this fingerprint covers.
    pub fn matches(&self, file: &File) -> io::Result<bool> {
        let bytes = read_prefix(file, self.len as usize)?;
        Ok(bytes.len() as u64 == self.len && Fingerprint::of_bytes(&bytes) == *self)
    }

    /// Whether this fingerprint is long enough to say two files hold the
    /// same content (see [`MIN_CONTENT_MATCH_BYTES`]).
    pub fn identifies_content(&self) -> bool {
        self.len >= MIN_CONTENT_MATCH_BYTES
    }
}

/// Reads up to `want` bytes from the start of `file`; fewer at end of file.
fn read_prefix(file: &File, want: usize) -> io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        match file.read_at(&mut bytes[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// The stable identity of one file's content; displayed as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(u64);

impl FileId {
    /// The id for a file first seen with this device, inode and
    /// fingerprint. `salt` is bumped by the caller on the (unlikely)
    /// collision with an id already in use.
    pub fn derive(dev: u64, inode: u64, fingerprint: &Fingerprint, salt: u32) -> FileId {
        let mut hasher = Sha256::new();
        hasher.update(dev.to_be_bytes());
        hasher.update(inode.to_be_bytes());
        hasher.update(fingerprint.checksum.to_be_bytes());
        hasher.update(fingerprint.len.to_be_bytes());
        hasher.update(salt.to_be_bytes());
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        FileId(u64::from_be_bytes(first))
    }

    /// The raw 64-bit value.
    pub fn as_u64(&self) -> u64 {
        self.0
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for FileId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(FileId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut named = tempfile::NamedTempFile::new().unwrap();
        named.write_all(bytes).unwrap();
        let file = File::open(named.path()).unwrap();
        (named, file)
    }

    #[test]
    fn fingerprint_covers_whole_short_file_and_caps_at_max_bytes() {
        let (_keep, short) = file_with(b"tiny\n");
        let fp = Fingerprint::read(&short, 5, 1024).unwrap();
        assert_eq!(fp.len, 5);
        assert_eq!(fp, Fingerprint::of_bytes(b"tiny\n"));

        let long = vec![b'x'; 3000];
        let (_keep2, file) = file_with(&long);
        let fp = Fingerprint::read(&file, 3000, 1024).unwrap();
        assert_eq!(fp.len, 1024);
        assert_eq!(fp, Fingerprint::of_bytes(&long[..1024]));
    }

    #[test]
    fn fingerprint_of_empty_file_covers_nothing() {
        let (_keep, file) = file_with(b"");
        let fp = Fingerprint::read(&file, 0, 1024).unwrap();
        assert_eq!(fp.len, 0);
        assert!(!fp.identifies_content());
        assert!(fp.matches(&file).unwrap());
    }

    #[test]
    fn matches_detects_changed_prefix_and_shrunk_file() {
        let (named, file) = file_with(b"0123456789abcdef0123456789abcdef-rest\n");
        let fp = Fingerprint::read(&file, 38, 32).unwrap();
        assert!(fp.identifies_content());
        assert!(fp.matches(&file).unwrap());
        // Same length, different first byte.
        std::fs::write(named.path(), b"X123456789abcdef0123456789abcdef-rest\n").unwrap();
        assert!(!fp.matches(&file).unwrap());
        // Shorter than the covered length.
        std::fs::write(named.path(), b"0123").unwrap();
        assert!(!fp.matches(&file).unwrap());
    }

    #[test]
    fn file_id_is_deterministic_hex_and_round_trips() {
        let fp = Fingerprint::of_bytes(b"hello");
        let a = FileId::derive(1, 2, &fp, 0);
        assert_eq!(a, FileId::derive(1, 2, &fp, 0));
        assert_ne!(a, FileId::derive(1, 3, &fp, 0));
        assert_ne!(a, FileId::derive(1, 2, &fp, 1));
        let text = a.to_string();
        assert_eq!(text.len(), 16);
        assert_eq!(text.parse::<FileId>().unwrap(), a);
        assert!("not-hex".parse::<FileId>().is_err());
    }
}
