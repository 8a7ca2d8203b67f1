//! The grouping stage of file sources whose parser joins lines
//! ([`Parser::groups_lines`](crate::formats::Parser::groups_lines):
//! `auditd`). It runs in the parse stage's single task, where every file's
//! batches arrive in order, before batches fan out to the parallel parse
//! workers: each file has its own [`AuditdGrouper`], and a batch's lines are
//! replaced by the grouped entries.
//!
//! Acknowledgement stays exact because grouped entries are contiguous:
//! - a batch's `end_offset` becomes the offset of the file's still-open
//!   group (if any), so no line of an unfinished event is acknowledged;
//! - each entry ends where the next begins, which is what the parse stage
//!   already records as the entry's end offset.
//!
//! A group whose file has been quiet for [`GROUP_TIMEOUT`] is closed and
//! sent as a batch of its own ([`LineGrouping::flush_idle`]), and every
//! open group is closed at shutdown ([`LineGrouping::flush_all`]), so the
//! last event of a file is never held back for long.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::formats::{AuditdGrouper, GroupedEntry};
use crate::sources::file::{FileId, Line, LineBatch};

/// How long an open group waits for more records once its file is quiet.
/// auditd writes an event's records together, within microseconds; this
/// only has to cover a tailer poll or two.
pub(super) const GROUP_TIMEOUT: Duration = Duration::from_secs(1);

struct FileGroups {
    grouper: AuditdGrouper,
    path: PathBuf,
    /// End offset of the last batch read from the file.
    read_end: u64,
    last_line_at: Instant,
}

/// Per-file groupers of one source.
#[derive(Default)]
pub(super) struct LineGrouping {
    files: HashMap<FileId, FileGroups>,
}

fn into_line(entry: GroupedEntry) -> Line {
    Line {
        offset: entry.offset,
        bytes: entry.bytes.into(),
        too_long: entry.too_long,
    }
}

impl LineGrouping {
    /// Replaces `batch`'s lines by the entries they complete; its end
    /// offset stops at the file's open group.
    pub(super) fn regroup(&mut self, batch: LineBatch, now: Instant) -> LineBatch {
        let state = self.files.entry(batch.file).or_insert_with(|| FileGroups {
            grouper: AuditdGrouper::new(),
            path: batch.path.clone(),
            read_end: batch.end_offset,
            last_line_at: now,
        });
        state.path.clone_from(&batch.path);
        state.read_end = batch.end_offset;
        if !batch.lines.is_empty() {
            state.last_line_at = now;
        }
        let mut entries = Vec::with_capacity(batch.lines.len());
        for line in batch.lines {
            state
                .grouper
                .push(line.offset, &line.bytes, line.too_long, &mut entries);
        }
        let end_offset = state.grouper.open_offset().unwrap_or(batch.end_offset);
        if state.grouper.open_offset().is_none() {
            self.files.remove(&batch.file);
        }
        LineBatch {
            file: batch.file,
            path: batch.path,
            lines: entries.into_iter().map(into_line).collect(),
            end_offset,
        }
    }

    /// When the oldest open group times out, if any is open.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.files
            .values()
            .map(|f| f.last_line_at + GROUP_TIMEOUT)
            .min()
    }

    /// Closes the groups of files quiet since [`GROUP_TIMEOUT`].
    pub(super) fn flush_idle(&mut self, now: Instant) -> Vec<LineBatch> {
        let due: Vec<FileId> = self
            .files
            .iter()
            .filter(|(_, f)| now >= f.last_line_at + GROUP_TIMEOUT)
            .map(|(id, _)| *id)
            .collect();
        due.into_iter().filter_map(|id| self.close(id)).collect()
    }

    /// Closes every open group (end of input).
    pub(super) fn flush_all(&mut self) -> Vec<LineBatch> {
        let ids: Vec<FileId> = self.files.keys().copied().collect();
        ids.into_iter().filter_map(|id| self.close(id)).collect()
    }

    fn close(&mut self, id: FileId) -> Option<LineBatch> {
        let mut state = self.files.remove(&id)?;
        let entry = state.grouper.take_open()?;
        Some(LineBatch {
            file: id,
            path: state.path,
            lines: vec![into_line(entry)],
            end_offset: state.read_end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(lines: &[(u64, &str)], end: u64) -> LineBatch {
        LineBatch {
            file: "00000000000000aa".parse().unwrap(),
            path: PathBuf::from("/var/log/audit/audit.log"),
            lines: lines
                .iter()
                .map(|(offset, text)| Line {
                    offset: *offset,
                    bytes: text.as_bytes().to_vec().into(),
                    too_long: None,
                })
                .collect(),
            end_offset: end,
        }
    }

    #[test]
    fn an_event_split_across_batches_is_acknowledged_only_once_complete() {
        let mut g = LineGrouping::default();
        let t0 = Instant::now();
        let first = g.regroup(
            batch(
                &[
                    (0, "type=SYSCALL msg=audit(1.0:1): a=1"),
                    (40, "type=SYSCALL msg=audit(2.0:2): a=1"),
                ],
                80,
            ),
            t0,
        );
        assert_eq!(first.lines.len(), 1);
        assert_eq!(
            first.end_offset, 40,
            "the open event at 40 is not acknowledged"
        );
        let second = g.regroup(
            batch(
                &[
                    (80, "type=CWD msg=audit(2.0:2): cwd=x"),
                    (120, "type=SYSCALL msg=audit(3.0:3): a=1"),
                ],
                160,
            ),
            t0,
        );
        assert_eq!(second.lines.len(), 1);
        assert_eq!(second.lines[0].offset, 40);
        assert!(second.lines[0].bytes.ends_with(b"cwd=x"));
        assert_eq!(second.end_offset, 120);
        assert!(g.flush_idle(t0).is_empty());
        assert_eq!(g.next_deadline(), Some(t0 + GROUP_TIMEOUT));
        let flushed = g.flush_idle(t0 + GROUP_TIMEOUT);
        assert_eq!(flushed.len(), 1);
        assert_eq!(
            (flushed[0].lines[0].offset, flushed[0].end_offset),
            (120, 160)
        );
        assert_eq!(g.next_deadline(), None);
        assert!(g.flush_all().is_empty());
    }
}
