//! Read-only views of a journal directory for other processes
//! (`auditship status` while the daemon runs).
//!
//! Invariant: nothing here takes the lock, writes, or quarantines; a torn
//! tail being written right now is simply not counted.

use std::collections::VecDeque;
use std::fs::File;
use std::path::Path;

use super::cursor::{self, CURSORS_DIR};
use super::error::JournalError;
use super::handle::Backlog;
use super::record::Record;
use super::scan::{Scanned, SegmentScanner};
use super::segment::{self, SegmentMeta};

/// What `inspect` saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalInspection {
    pub segments: usize,
    /// Bytes of all segment files.
    pub bytes: u64,
    /// Seq of the oldest retained record (== `next_seq` when none).
    pub oldest_seq: u64,
    /// Seq the next appended record gets.
    pub next_seq: u64,
    pub cursors: Vec<CursorInspection>,
}

/// One cursor as persisted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorInspection {
    pub name: String,
    /// Next seq not yet acknowledged; `None` if the file is unreadable.
    pub acked_position: Option<u64>,
    pub backlog: Backlog,
}

/// Segments, bytes, seq range and every cursor's backlog of the journal in
/// `dir`. Reads only the newest segment's records (to find the next seq).
pub fn inspect(dir: &Path) -> Result<JournalInspection, JournalError> {
    let metas = segment_metas(dir)?;
    let next_seq = metas.back().map_or(1, |m| m.next_seq);
    let oldest_seq = metas.front().map_or(next_seq, |m| m.first_seq);
    let cursors = cursor::read_cursor_files(&dir.join(CURSORS_DIR))?
        .into_iter()
        .map(|(name, acked)| {
            let from = acked.unwrap_or(oldest_seq).clamp(oldest_seq, next_seq);
            CursorInspection {
                name,
                acked_position: acked,
                backlog: Backlog {
                    events: next_seq - from,
                    bytes: segment::bytes_from(&metas, from),
                },
            }
        })
        .collect();
    Ok(JournalInspection {
        segments: metas.len(),
        bytes: metas.iter().map(|m| m.bytes).sum(),
        oldest_seq,
        next_seq,
        cursors,
    })
}

/// The record at `seq`, if it is in the journal in `dir` and intact.
pub fn read_record_at(dir: &Path, seq: u64) -> Result<Option<Record>, JournalError> {
    let listed = segment::list_segments(dir)?;
    let index = listed.partition_point(|&(first, _)| first <= seq);
    let Some(&(first_seq, len)) = index.checked_sub(1).and_then(|i| listed.get(i)) else {
        return Ok(None);
    };
    let path = segment::segment_path(dir, first_seq);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(JournalError::io(&path, e)),
    };
    let mut scanner = SegmentScanner::new(file, first_seq, 0, len);
    while let Some(item) = scanner
        .next_item()
        .map_err(|e| JournalError::io(&path, e))?
    {
        match item {
            Scanned::Record {
                seq: found,
                payload,
                ..
            } if found == seq => {
                return Ok(Some(Record {
                    seq,
                    payload: payload.into(),
                }));
            }
            Scanned::Record { seq: found, .. } if found > seq => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}

/// Metadata of every segment; seq ranges of older segments come from the
/// next one's name, the newest one is scanned.
fn segment_metas(dir: &Path) -> Result<VecDeque<SegmentMeta>, JournalError> {
    let listed = segment::list_segments(dir)?;
    let mut metas = VecDeque::with_capacity(listed.len());
    for (i, &(first_seq, bytes)) in listed.iter().enumerate() {
        let next_seq = match listed.get(i + 1) {
            Some(&(next_first, _)) => next_first,
            None => newest_next_seq(dir, first_seq, bytes)?,
        };
        metas.push_back(SegmentMeta {
            first_seq,
            next_seq,
            bytes,
        });
    }
    Ok(metas)
}

fn newest_next_seq(dir: &Path, first_seq: u64, len: u64) -> Result<u64, JournalError> {
    let path = segment::segment_path(dir, first_seq);
    let file = File::open(&path).map_err(|e| JournalError::io(&path, e))?;
    let mut scanner = SegmentScanner::new(file, first_seq, 0, len);
    let mut next = first_seq;
    while let Some(item) = scanner
        .next_item_with(|_| ())
        .map_err(|e| JournalError::io(&path, e))?
    {
        if let Scanned::Record { seq, .. } = item {
            next = next.max(seq + 1);
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, TempJournal};
    use super::*;

    #[tokio::test]
    async fn inspect_reports_segments_and_cursor_backlogs_of_a_running_journal() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        let mut fast = journal.open_cursor("fast").unwrap();
        let _slow = journal.open_cursor("slow").unwrap();
        fixtures::append(&journal, 12, 180).await;
        fast.read_batch(7, 1 << 20).unwrap();
        fast.commit(7).unwrap();
        let seen = inspect(&t.dir()).unwrap();
        assert_eq!(
            (seen.segments, seen.bytes, seen.oldest_seq, seen.next_seq),
            (3, 2400, 1, 13)
        );
        let backlogs: Vec<_> = seen
            .cursors
            .iter()
            .map(|c| (c.name.as_str(), c.acked_position, c.backlog.events))
            .collect();
        assert_eq!(backlogs, [("fast", Some(8), 5), ("slow", Some(1), 12)]);
        assert_eq!(seen.cursors[0].backlog, fast.backlog());
    }

    #[tokio::test]
    async fn read_record_at_finds_a_record_by_seq() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        fixtures::append(&journal, 12, 180).await;
        let record = read_record_at(&t.dir(), 9).unwrap().unwrap();
        assert_eq!(
            record,
            Record {
                seq: 9,
                payload: fixtures::payload(9, 180).into()
            }
        );
        assert_eq!(read_record_at(&t.dir(), 13).unwrap(), None);
        assert_eq!(read_record_at(&t.dir(), 0).unwrap(), None);
    }
}
