//! The file holding one cursor's acknowledged position, and how it is made
//! durable.
//!
//! Why in place: a sink persists its cursor after every delivered batch.
//! Writing a temp file, fsyncing it, renaming it and fsyncing the
//! directory cost two flushes per commit — at ≈ 2 ms of CPU each on a
//! virtual disk, most of what an agent tailing 10,000 slowly appended files
//! spent. Once the file has the fixed-size record below, a commit
//! overwrites it with one `pwrite` and one `fdatasync` (the size does not
//! change, so no metadata is flushed).
//!
//! Record: `{position:020} {crc32c of those 20 digits:08x}\n`, 30 bytes at
//! offset 0, inside one disk sector. A torn write, should a disk ever tear
//! one, fails the check and the file reads as unreadable: that sink then
//! starts again from the oldest record in the journal — repeats, never a
//! loss. The older format (the bare position and `\n`, written by temp
//! file and rename) is still read; the first commit rewrites it, by rename,
//! in the new one.

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::error::JournalError;
use super::segment;

/// Length of a record in the current format.
const RECORD_LEN: u64 = 30;

/// The record for `acked`.
fn encode(acked: u64) -> String {
    let digits = format!("{acked:020}");
    let crc = crc32c::crc32c(digits.as_bytes());
    format!("{digits} {crc:08x}\n")
}

/// The position in a cursor file's text; `None` when it is neither a
/// record whose check holds nor the older bare position.
pub(crate) fn parse(text: &str) -> Option<u64> {
    let text = text.trim_end_matches('\n');
    match text.split_once(' ') {
        Some((digits, crc)) => {
            let crc = u32::from_str_radix(crc, 16).ok()?;
            (digits.len() == 20 && crc32c::crc32c(digits.as_bytes()) == crc)
                .then(|| digits.parse().ok())
                .flatten()
        }
        None => text.trim().parse().ok(),
    }
}

/// Makes `acked` the durable content of the cursor file at `path`: in
/// place when it already holds a record of the current format, else by
/// temp file and rename (a new cursor, or a file of the older format).
pub(crate) fn write(path: &Path, acked: u64) -> Result<(), JournalError> {
    let record = encode(acked);
    let existing = match OpenOptions::new().write(true).open(path) {
        Ok(file) => Some(file),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(JournalError::io(path, e)),
    };
    let in_place = existing
        .map(|file| {
            file.metadata()
                .map(|m| (m.len() == RECORD_LEN).then_some(file))
        })
        .transpose()
        .map_err(|e| JournalError::io(path, e))?
        .flatten();
    match in_place {
        Some(file) => file
            .write_all_at(record.as_bytes(), 0)
            .and_then(|()| file.sync_data())
            .map_err(|e| JournalError::io(path, e)),
        None => segment::write_atomically(path, record.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn records_read_back_and_a_changed_byte_makes_them_unreadable() {
        for acked in [0, 1, 42, 1_000_000, u64::MAX] {
            let record = encode(acked);
            assert_eq!(record.len() as u64, RECORD_LEN);
            assert_eq!(parse(&record), Some(acked));
            for at in 0..record.len() - 1 {
                let mut torn = record.clone().into_bytes();
                torn[at] = if torn[at] == b'7' { b'8' } else { b'7' };
                let torn = String::from_utf8(torn).unwrap();
                assert_eq!(parse(&torn), None, "{torn:?} must not read as a position");
            }
        }
        // The older format, and what is no position at all.
        assert_eq!(parse("1234\n"), Some(1234));
        assert_eq!(parse(""), None);
        assert_eq!(parse("12 34\n"), None);
    }

    #[test]
    fn the_first_write_renames_into_place_and_later_ones_overwrite_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sink");
        std::fs::write(&path, "7\n").unwrap(); // the older format
        write(&path, 8).unwrap();
        let converted = std::fs::metadata(&path).unwrap();
        assert_eq!(converted.len(), RECORD_LEN);
        assert_eq!(parse(&std::fs::read_to_string(&path).unwrap()), Some(8));
        for acked in [9, 1_000, 123_456_789] {
            write(&path, acked).unwrap();
            assert_eq!(parse(&std::fs::read_to_string(&path).unwrap()), Some(acked));
        }
        let after = std::fs::metadata(&path).unwrap();
        assert_eq!(
            after.ino(),
            converted.ino(),
            "overwritten in place, not renamed"
        );
        assert_eq!(after.len(), RECORD_LEN);
        let new = dir.path().join("new");
        write(&new, 3).unwrap();
        assert_eq!(parse(&std::fs::read_to_string(&new).unwrap()), Some(3));
        assert!(!dir.path().join("new.tmp").exists());
    }
}
