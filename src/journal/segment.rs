//! Segment files: naming, listing, metadata, and the file-system calls with
//! the journal's permissions (files 0600, directories 0700) and fsyncs.
//!
//! A segment is named by the seq of its first record, zero-padded to 20
//! digits: `00000000000000000001.seg`. Invariant: segment names sort in seq
//! order, and an empty segment's name is the next seq to be written.

use std::collections::VecDeque;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::error::JournalError;

const SEGMENT_EXT: &str = ".seg";

/// What the journal knows about one segment without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentMeta {
    /// Seq in the file name: the first record's (or the next, if empty).
    pub first_seq: u64,
    /// One past the last record's seq; `first_seq` when empty.
    pub next_seq: u64,
    /// Durable length of the file.
    pub bytes: u64,
}

impl SegmentMeta {
    pub(crate) fn empty(first_seq: u64) -> Self {
        SegmentMeta {
            first_seq,
            next_seq: first_seq,
            bytes: 0,
        }
    }
}

/// `DIR/00000000000000000042.seg`.
/// The one spare segment file: an acknowledged segment's file kept for
/// the writer's next segment (`writer.rs`, "Recycled segment files"). Not
/// a segment name, so listing and recovery pass it by; deleted at open.
pub(crate) const SPARE_NAME: &str = "spare.seg.unused";

pub(crate) fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("{first_seq:020}{SEGMENT_EXT}"))
}

/// The first seq encoded in a segment file name.
pub(crate) fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_EXT)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Segment files in `dir` as (first seq, length), in seq order.
pub(crate) fn list_segments(dir: &Path) -> Result<Vec<(u64, u64)>, JournalError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| JournalError::io(dir, e))? {
        let entry = entry.map_err(|e| JournalError::io(dir, e))?;
        let Some(first_seq) = entry.file_name().to_str().and_then(parse_segment_name) else {
            continue;
        };
        let len = entry
            .metadata()
            .map_err(|e| JournalError::io(entry.path(), e))?
            .len();
        out.push((first_seq, len));
    }
    out.sort_unstable();
    Ok(out)
}

/// Approximate bytes of the records from `from_seq` on: whole segments after
/// it, plus the matching share of the segment that holds it.
pub(crate) fn bytes_from(segments: &VecDeque<SegmentMeta>, from_seq: u64) -> u64 {
    segments
        .iter()
        .map(|s| {
            if s.first_seq >= from_seq {
                s.bytes
            } else if s.next_seq <= from_seq {
                0
            } else {
                let span = (s.next_seq - s.first_seq) as u128;
                let left = (s.next_seq - from_seq) as u128;
                (s.bytes as u128 * left / span) as u64
            }
        })
        .sum()
}

/// Creates `dir` and parents, mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), JournalError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| JournalError::io(dir, e))
}

/// Creates (or truncates) a file with mode 0600 for writing.
pub(crate) fn create_private_file(path: &Path) -> Result<File, JournalError> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| JournalError::io(path, e))
}

/// Makes creations, renames and deletions in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| JournalError::io(dir, e))
}

/// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync dir.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    let mut file = create_private_file(&tmp)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| JournalError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| JournalError::io(path, e))?;
    sync_dir(dir)
}

/// Removes a file that may already be gone.
pub(crate) fn remove_if_present(path: &Path) -> Result<(), JournalError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(JournalError::io(path, e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_round_trip_and_sort_by_seq() {
        let dir = Path::new("/j");
        let name = segment_path(dir, 42);
        assert_eq!(name, Path::new("/j/00000000000000000042.seg"));
        assert_eq!(parse_segment_name("00000000000000000042.seg"), Some(42));
        assert_eq!(parse_segment_name("42.seg"), None);
        assert_eq!(parse_segment_name("00000000000000000042.seg.tmp"), None);
        assert!(segment_path(dir, 9) < segment_path(dir, 10));
    }

    #[test]
    fn bytes_from_counts_the_share_of_a_partly_read_segment() {
        let segs: VecDeque<SegmentMeta> = [
            SegmentMeta {
                first_seq: 1,
                next_seq: 11,
                bytes: 1000,
            },
            SegmentMeta {
                first_seq: 11,
                next_seq: 21,
                bytes: 500,
            },
        ]
        .into();
        assert_eq!(bytes_from(&segs, 1), 1500);
        assert_eq!(bytes_from(&segs, 6), 1000);
        assert_eq!(bytes_from(&segs, 11), 500);
        assert_eq!(bytes_from(&segs, 21), 0);
    }
}
