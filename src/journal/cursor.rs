//! [`JournalCursor`]: one sink's position in the journal, and the cursor
//! files that persist it.
//!
//! A cursor has a read position (the next seq `read_batch` returns; runs
//! ahead while batches are in flight) and an acknowledged position (the
//! next seq not yet delivered; persisted by `commit` to `cursors/NAME` as
//! decimal text, atomically: temp file, fsync, rename, fsync dir). Only
//! acknowledged positions pin segments.
//!
//! Reading streams from segment files through [`SegmentScanner`] and never
//! past a segment's durable length, so it only sees committed records and
//! holds at most one batch plus one read window in memory. Corruption met
//! while reading is copied to quarantine, logged with `error!`, and skipped.
//!
//! Invariants: `acked_position <= read_position`; a cursor file that cannot
//! be parsed is logged and ignored (the sink restarts from the oldest
//! record: duplicates, never loss).

use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;

use super::error::JournalError;
use super::handle::{Backlog, CursorEntry, JournalShared};
use super::record::Record;
use super::recovery;
use super::scan::{Scanned, SegmentScanner};
use super::segment;
use crate::buffer_pool::BufferPool;

/// Buffers of record batches, reused (see `buffer_pool`): one per batch a
/// sink has in flight.
static RECORD_BUFFERS: BufferPool = BufferPool::new(8, 8 << 20);

/// Subdirectory of the journal holding one file per cursor.
pub(crate) const CURSORS_DIR: &str = "cursors";
/// Batch starts remembered so `rewind` can seek instead of rescanning.
const MAX_MARKS: usize = 64;

/// Whether `name` can be a cursor (and file) name.
pub(crate) fn is_valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Reads every persisted cursor of the journal in `dir`; positions beyond
/// `next_seq` are pulled back to it.
pub(crate) fn load_persisted(
    dir: &Path,
    next_seq: u64,
) -> Result<BTreeMap<String, CursorEntry>, JournalError> {
    let cursors_dir = dir.join(CURSORS_DIR);
    segment::create_private_dir(&cursors_dir)?;
    let mut out = BTreeMap::new();
    for (name, acked) in read_cursor_files(&cursors_dir)? {
        let Some(acked) = acked else {
            tracing::error!(cursor = %name, "Cursor file is unreadable; that sink restarts from the oldest record in the journal.");
            continue;
        };
        if acked > next_seq {
            tracing::warn!(cursor = %name, acked, next_seq, "Cursor is ahead of the journal; pulling it back.");
        }
        out.insert(
            name,
            CursorEntry {
                acked: acked.min(next_seq),
                in_use: false,
            },
        );
    }
    Ok(out)
}

/// (name, parsed position) of each cursor file in `cursors_dir`; temp files
/// of interrupted writes are skipped.
pub(crate) fn read_cursor_files(
    cursors_dir: &Path,
) -> Result<Vec<(String, Option<u64>)>, JournalError> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(cursors_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(JournalError::io(cursors_dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io(cursors_dir, e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !is_valid_name(&name) || name.ends_with(".tmp") {
            continue;
        }
        let text =
            fs::read_to_string(entry.path()).map_err(|e| JournalError::io(entry.path(), e))?;
        out.push((name, text.trim().parse::<u64>().ok()));
    }
    out.sort();
    Ok(out)
}

/// Where a batch started, for `rewind`.
#[derive(Debug, Clone, Copy)]
struct ReadMark {
    seq: u64,
    segment_seq: u64,
    offset: u64,
}

/// The segment file a cursor is reading.
struct OpenSegment {
    first_seq: u64,
    scanner: SegmentScanner<File>,
}

/// Where the read position lies, from one consistent look at the state.
struct Place {
    first_seq: u64,
    durable_bytes: u64,
    newest: bool,
    /// The read position once this segment is exhausted.
    after: u64,
}

/// One sink's reader of the journal. `Send + Sync`; a sink task owns it.
pub struct JournalCursor {
    shared: Arc<JournalShared>,
    name: String,
    read_position: u64,
    acked_position: u64,
    reader: Option<OpenSegment>,
    marks: VecDeque<ReadMark>,
}

impl std::fmt::Debug for JournalCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JournalCursor")
            .field("name", &self.name)
            .field("read_position", &self.read_position)
            .field("acked_position", &self.acked_position)
            .finish()
    }
}

impl JournalCursor {
    pub(crate) fn open(shared: Arc<JournalShared>, name: &str) -> Result<Self, JournalError> {
        if !is_valid_name(name) {
            return Err(JournalError::InvalidCursorName {
                name: name.to_owned(),
            });
        }
        let (acked, is_new) = {
            let mut state = shared.lock_state();
            let oldest = state.oldest_seq();
            match state.cursors.get_mut(name) {
                Some(entry) if entry.in_use => {
                    return Err(JournalError::CursorInUse {
                        name: name.to_owned(),
                    });
                }
                Some(entry) => {
                    entry.in_use = true;
                    (entry.acked, false)
                }
                None => {
                    let entry = CursorEntry {
                        acked: oldest,
                        in_use: true,
                    };
                    state.cursors.insert(name.to_owned(), entry);
                    (oldest, true)
                }
            }
        };
        let cursor = JournalCursor {
            shared,
            name: name.to_owned(),
            read_position: acked,
            acked_position: acked,
            reader: None,
            marks: VecDeque::new(),
        };
        if is_new {
            // On failure, dropping `cursor` marks it unused; it stays
            // registered in memory (pinning) until the next start.
            write_cursor_file(&cursor.shared, name, acked)?;
            tracing::info!(cursor = %name, start_seq = acked, "New journal cursor starts at the oldest record.");
        }
        Ok(cursor)
    }

    /// An unregistered cursor from `from_seq` (or the oldest record): it
    /// pins nothing and persists nothing. Its name starts with `.`, which no
    /// real cursor name may, so it can never touch a sink's state.
    pub(crate) fn unregistered(shared: Arc<JournalShared>, from_seq: u64) -> JournalCursor {
        let start = from_seq.max(shared.lock_state().oldest_seq());
        JournalCursor {
            shared,
            name: ".reader".to_owned(),
            read_position: start,
            acked_position: start,
            reader: None,
            marks: VecDeque::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next seq `read_batch` returns.
    pub fn read_position(&self) -> u64 {
        self.read_position
    }

    /// The next seq not yet acknowledged.
    pub fn acked_position(&self) -> u64 {
        self.acked_position
    }

    /// Blocking file I/O (use `spawn_blocking`). Returns durable records
    /// from the read position: at most `max_records`, and no more than
    /// `max_bytes` of payload unless the first record alone is larger.
    /// Possibly empty. Corrupt records are quarantined and skipped, leaving
    /// a gap in seq.
    pub fn read_batch(
        &mut self,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<Record>, JournalError> {
        // Every payload is copied into `data`, sliced into the records at
        // the end: one allocation per batch. Sized for the usual batch so
        // that it does not grow (and copy) as it fills.
        const TYPICAL_RECORD: usize = 1024;
        const MOST_RESERVED: usize = 8 << 20;
        let mut data = RECORD_BUFFERS.take(
            max_bytes
                .min(max_records.saturating_mul(TYPICAL_RECORD))
                .min(MOST_RESERVED),
        );
        let mut out: Vec<(u64, std::ops::Range<usize>)> = Vec::new();
        while out.len() < max_records {
            let Some(place) = self.locate() else { break };
            let item = self.reader_at(&place)?.scanner.next_item_with(|payload| {
                let start = data.len();
                data.extend_from_slice(payload);
                start..data.len()
            });
            let item = item.map_err(|e| {
                JournalError::io(segment::segment_path(&self.shared.dir, place.first_seq), e)
            })?;
            match item {
                None => {
                    self.read_position = self.read_position.max(place.after);
                    if place.newest {
                        break;
                    }
                    self.reader = None;
                }
                Some(Scanned::Record {
                    seq,
                    offset,
                    payload,
                    ..
                }) => {
                    if seq < self.read_position {
                        data.truncate(payload.start);
                        continue;
                    }
                    // `data` ends with this payload: its length is the
                    // batch's payload bytes with it.
                    if !out.is_empty() && data.len() > max_bytes {
                        if let Some(reader) = self.reader.as_mut() {
                            reader.scanner.unread(offset, seq);
                        }
                        data.truncate(payload.start);
                        break;
                    }
                    if out.is_empty() {
                        self.marks.push_back(ReadMark {
                            seq,
                            segment_seq: place.first_seq,
                            offset,
                        });
                        if self.marks.len() > MAX_MARKS {
                            self.marks.pop_front();
                        }
                    }
                    self.read_position = seq + 1;
                    out.push((seq, payload));
                }
                Some(Scanned::Corrupt { offset, len }) => {
                    let segment = place.first_seq;
                    let copied = recovery::quarantine_span(
                        self.reader
                            .as_ref()
                            .expect("reader is open")
                            .scanner
                            .source(),
                        segment,
                        offset,
                        len,
                        &self.shared.quarantine_dir,
                    );
                    tracing::error!(
                        cursor = %self.name, segment, offset, bytes = len,
                        quarantined = copied.is_ok(),
                        "Skipped corrupt journal bytes while reading; copied them to quarantine."
                    );
                }
            }
        }
        let data = RECORD_BUFFERS.freeze(data);
        Ok(out
            .into_iter()
            .map(|(seq, payload)| Record {
                seq,
                payload: data.slice(payload),
            })
            .collect())
    }

    /// The segment holding the read position, or `None` when nothing
    /// durable is at or after it.
    fn locate(&mut self) -> Option<Place> {
        let state = self.shared.lock_state();
        if self.read_position >= state.next_seq {
            return None;
        }
        let segments = &state.segments;
        let mut index = segments.partition_point(|s| s.first_seq <= self.read_position);
        if index == 0 {
            // Older records are gone (a released or rewound-too-far cursor).
            self.read_position = segments.front()?.first_seq;
            index = 1;
        }
        let seg = segments[index - 1];
        let newest = index == segments.len();
        Some(Place {
            first_seq: seg.first_seq,
            durable_bytes: seg.bytes,
            newest,
            after: if newest {
                seg.next_seq
            } else {
                segments[index].first_seq
            },
        })
    }

    fn reader_at(&mut self, place: &Place) -> Result<&mut OpenSegment, JournalError> {
        if self
            .reader
            .as_ref()
            .is_none_or(|r| r.first_seq != place.first_seq)
        {
            self.reader = Some(self.open_segment(place.first_seq, 0)?);
        }
        let reader = self.reader.as_mut().expect("just opened");
        reader.scanner.set_end(place.durable_bytes);
        Ok(reader)
    }

    fn open_segment(&self, first_seq: u64, offset: u64) -> Result<OpenSegment, JournalError> {
        let path = segment::segment_path(&self.shared.dir, first_seq);
        let file = File::open(&path).map_err(|e| JournalError::io(&path, e))?;
        Ok(OpenSegment {
            first_seq,
            scanner: SegmentScanner::new(file, first_seq, offset, 0),
        })
    }

    /// Resolves once a durable record at or after the read position exists.
    /// Cancel-safe.
    pub async fn wait_readable(&self) {
        let mut committed = self.shared.committed.subscribe();
        let want = self.read_position;
        if committed.wait_for(|&last| last >= want).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Acknowledges every record through `through_seq`: persists the
    /// position and lets the journal delete segments nobody needs.
    pub fn commit(&mut self, through_seq: u64) -> Result<(), JournalError> {
        match self.begin_commit(through_seq)? {
            Some(commit) => {
                let acked = commit.acked();
                commit.persist()?;
                self.persisted(acked);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The first half of [`commit`](Self::commit), for a caller that
    /// persists off its own thread: checks `through_seq` and returns the
    /// [`CursorCommit`] to run (`None` when the position is already
    /// acknowledged). Call [`persisted`](Self::persisted) with its result.
    /// Until then the acknowledged position is unchanged, so a `rewind`
    /// meanwhile re-reads (duplicates, never loss).
    pub fn begin_commit(&self, through_seq: u64) -> Result<Option<CursorCommit>, JournalError> {
        if through_seq >= self.read_position {
            return Err(JournalError::CommitAhead {
                name: self.name.clone(),
                through_seq,
                read_position: self.read_position,
            });
        }
        let acked = through_seq + 1;
        if acked <= self.acked_position {
            return Ok(None);
        }
        Ok(Some(CursorCommit {
            shared: Arc::clone(&self.shared),
            name: self.name.clone(),
            acked,
        }))
    }

    /// Records that a [`CursorCommit`] made `acked` durable.
    pub fn persisted(&mut self, acked: u64) {
        if acked <= self.acked_position {
            return;
        }
        self.acked_position = acked;
        while self.marks.len() > 1 && self.marks[1].seq <= acked {
            self.marks.pop_front();
        }
    }

    /// Undelivered records (acked position to head) and their approximate
    /// bytes, from segment metadata.
    pub fn backlog(&self) -> Backlog {
        let state = self.shared.lock_state();
        Backlog {
            events: state.next_seq.saturating_sub(self.acked_position),
            bytes: segment::bytes_from(&state.segments, self.acked_position),
        }
    }

    /// Moves the read position back to the acknowledged position.
    pub fn rewind(&mut self) {
        self.read_position = self.acked_position;
        let mark = self
            .marks
            .iter()
            .rev()
            .find(|m| m.seq <= self.acked_position)
            .copied();
        self.reader = match mark {
            Some(mark) => self.open_segment(mark.segment_seq, mark.offset).ok(),
            None => None,
        };
    }
}

/// Persists cursor `name` at `acked` (temp file, fsync, rename, fsync dir).
fn write_cursor_file(shared: &JournalShared, name: &str, acked: u64) -> Result<(), JournalError> {
    let path = shared.cursors_dir().join(name);
    segment::write_atomically(&path, format!("{acked}\n").as_bytes())
}

/// A cursor position to make durable: the blocking half of
/// [`JournalCursor::commit`], which a sink runs on another thread so that
/// the next batch is read and delivered during the fsyncs.
pub struct CursorCommit {
    shared: Arc<JournalShared>,
    name: String,
    acked: u64,
}

impl CursorCommit {
    /// The position this commit persists: the next seq not yet delivered.
    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// Persists the position, then lets the journal delete the segments
    /// nobody needs any more. Report success to
    /// [`JournalCursor::persisted`] with [`acked`](Self::acked).
    /// Run one commit of a cursor at a time: a commit that finds a later
    /// one already persisted writes nothing.
    pub fn persist(self) -> Result<(), JournalError> {
        let already = self
            .shared
            .lock_state()
            .cursors
            .get(&self.name)
            .is_some_and(|entry| entry.acked >= self.acked);
        if already {
            return Ok(());
        }
        write_cursor_file(&self.shared, &self.name, self.acked)?;
        if let Some(entry) = self.shared.lock_state().cursors.get_mut(&self.name) {
            // Positions only move forward, whatever order commits end in.
            entry.acked = entry.acked.max(self.acked);
        }
        self.shared.delete_acked_segments()
    }
}

/// A read-only scan of the journal from a given seq, for looking at the
/// newest records at start (the pipeline learns how far each file's lines
/// reached the journal). Not a cursor: it pins no segment and saves nothing.
#[derive(Debug)]
pub struct JournalReader {
    cursor: JournalCursor,
}

impl JournalReader {
    pub(crate) fn new(cursor: JournalCursor) -> JournalReader {
        JournalReader { cursor }
    }

    /// Like [`JournalCursor::read_batch`]; blocking file I/O.
    pub fn read_batch(
        &mut self,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<Record>, JournalError> {
        self.cursor.read_batch(max_records, max_bytes)
    }
}

impl Drop for JournalCursor {
    fn drop(&mut self) {
        if let Some(entry) = self.shared.lock_state().cursors.get_mut(&self.name) {
            entry.in_use = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::fixtures::{self, TempJournal};
    use super::super::JournalError;

    #[tokio::test]
    async fn cursor_position_survives_close_and_reopen() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        fixtures::append(&journal, 10, 20).await;
        let mut cursor = journal.open_cursor("sink").unwrap();
        assert_eq!(cursor.read_batch(7, 1 << 20).unwrap().len(), 7);
        cursor.commit(5).unwrap();
        assert_eq!((cursor.read_position(), cursor.acked_position()), (8, 6));
        journal.close().await;
        drop((journal, cursor));
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        let mut cursor = journal.open_cursor("sink").unwrap();
        assert_eq!((cursor.read_position(), cursor.acked_position()), (6, 6));
        assert_eq!(
            fixtures::seqs(&fixtures::read_all(&mut cursor)),
            vec![6, 7, 8, 9, 10]
        );
    }

    #[tokio::test]
    async fn a_commit_persisted_off_thread_moves_the_cursor_only_once_done() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        let mut cursor = journal.open_cursor("sink").unwrap();
        fixtures::append(&journal, 20, 180).await; // 4 segments of 5 records
        let all = fixtures::read_all(&mut cursor);
        let last = all.last().unwrap().seq;

        let older = cursor.begin_commit(last - 10).unwrap().unwrap();
        let newer = cursor.begin_commit(last).unwrap().unwrap();
        assert_eq!(
            cursor.acked_position(),
            1,
            "not acknowledged before persisting"
        );
        assert_eq!(
            journal.stats().segments,
            4,
            "nothing freed before persisting"
        );

        let acked = newer.acked();
        newer.persist().unwrap();
        assert_eq!(journal.stats().segments, 1, "persisting frees the segments");
        cursor.persisted(acked);
        assert_eq!(cursor.acked_position(), last + 1);
        // A commit that finishes late never moves the position back.
        let stale = older.acked();
        older.persist().unwrap();
        cursor.persisted(stale);
        assert_eq!(cursor.acked_position(), last + 1);
        assert!(
            cursor.begin_commit(last).unwrap().is_none(),
            "already acknowledged"
        );
        assert!(matches!(
            cursor.begin_commit(last + 1),
            Err(JournalError::CommitAhead { .. })
        ));

        journal.close().await;
        drop((journal, cursor));
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        let cursor = journal.open_cursor("sink").unwrap();
        assert_eq!(
            cursor.acked_position(),
            last + 1,
            "the stale one wrote nothing"
        );
    }

    #[tokio::test]
    async fn segments_are_deleted_only_below_every_cursor_and_release_unpins() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        let mut fast = journal.open_cursor("fast").unwrap();
        let mut slow = journal.open_cursor("slow").unwrap();
        fixtures::append(&journal, 20, 180).await; // 4 segments of 5 records
        assert_eq!(journal.stats().segments, 4);
        let all = fixtures::read_all(&mut fast);
        fast.commit(all.last().unwrap().seq).unwrap();
        assert_eq!(journal.stats().segments, 4, "slow still needs everything");
        slow.read_batch(7, 1 << 20).unwrap();
        slow.commit(7).unwrap(); // segment 1..=5 fully acked by both
        let stats = journal.stats();
        assert_eq!(
            (stats.segments, stats.oldest_seq, stats.bytes),
            (3, 6, 3000)
        );
        assert_eq!(t.segment_files().len(), 3);

        let late = journal.open_cursor("late").unwrap();
        assert_eq!(
            late.acked_position(),
            6,
            "a new cursor starts at the oldest record"
        );
        drop(late);
        drop(slow);
        assert_eq!(
            journal.release_cursors_except(&["fast"]).unwrap(),
            vec!["late", "slow"]
        );
        let stats = journal.stats();
        assert_eq!(
            (stats.segments, stats.oldest_seq),
            (1, 16),
            "the newest segment stays"
        );
        assert!(!t.dir().join("cursors/slow").exists());
    }

    #[tokio::test]
    async fn read_batch_respects_record_and_byte_limits_on_a_large_backlog() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(64 << 20, 256 << 10));
        for _ in 0..5 {
            fixtures::append(&journal, 1000, 100).await;
        }
        let mut cursor = journal.open_cursor("sink").unwrap();
        let batch = cursor.read_batch(250, 1 << 20).unwrap();
        assert_eq!(fixtures::seqs(&batch), (1..=250).collect::<Vec<_>>());
        let batch = cursor.read_batch(10_000, 1050).unwrap();
        assert_eq!(batch.len(), 10, "1050 bytes hold ten 100-byte payloads");
        assert_eq!(batch[0].seq, 251);
        let batch = cursor.read_batch(10_000, 10).unwrap();
        assert_eq!(
            batch.len(),
            1,
            "at least one record even if bigger than max_bytes"
        );
        assert_eq!(cursor.read_position(), 262);
        assert!(cursor.read_batch(0, 1 << 20).unwrap().is_empty());
        let rest = fixtures::read_all(&mut cursor);
        assert_eq!(rest.len(), 5000 - 261);
        assert_eq!(rest.last().unwrap().seq, 5000);
        assert!(rest
            .iter()
            .all(|r| r.payload == fixtures::payload(r.seq, 100)));
    }

    #[tokio::test]
    async fn rewind_rereads_from_the_acked_position() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 2000));
        fixtures::append(&journal, 40, 50).await;
        let mut cursor = journal.open_cursor("sink").unwrap();
        cursor.read_batch(10, 1 << 20).unwrap();
        cursor.commit(10).unwrap();
        let first_try = cursor.read_batch(15, 1 << 20).unwrap();
        cursor.read_batch(5, 1 << 20).unwrap();
        cursor.rewind();
        assert_eq!(cursor.read_position(), 11);
        assert_eq!(cursor.read_batch(15, 1 << 20).unwrap(), first_try);
        cursor.commit(13).unwrap();
        cursor.rewind();
        assert_eq!(cursor.read_batch(1, 1 << 20).unwrap()[0].seq, 14);
    }

    #[tokio::test]
    async fn backlog_counts_unacked_records_and_their_bytes() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        let mut cursor = journal.open_cursor("sink").unwrap();
        fixtures::append(&journal, 10, 180).await;
        assert_eq!(
            (cursor.backlog().events, cursor.backlog().bytes),
            (10, 2000)
        );
        cursor.read_batch(5, 1 << 20).unwrap();
        assert_eq!(cursor.backlog().events, 10, "reading is not acknowledging");
        cursor.commit(5).unwrap();
        assert_eq!((cursor.backlog().events, cursor.backlog().bytes), (5, 1000));
    }

    #[tokio::test]
    async fn wait_readable_waits_for_a_durable_record_and_is_cancel_safe() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        let mut cursor = journal.open_cursor("sink").unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(50), cursor.wait_readable()).await;
        assert!(waited.is_err(), "nothing to read yet");
        fixtures::append(&journal, 1, 10).await;
        tokio::time::timeout(Duration::from_secs(5), cursor.wait_readable())
            .await
            .unwrap();
        assert_eq!(cursor.read_batch(10, 1 << 20).unwrap().len(), 1);
        let waiting = tokio::time::timeout(Duration::from_millis(30), cursor.wait_readable()).await;
        assert!(waiting.is_err(), "the read position is past every record");
    }

    #[tokio::test]
    async fn cursor_misuse_is_refused_with_a_reason() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        fixtures::append(&journal, 3, 10).await;
        let mut cursor = journal.open_cursor("sink").unwrap();
        assert!(matches!(
            journal.open_cursor("sink"),
            Err(JournalError::CursorInUse { .. })
        ));
        for bad in ["", ".hidden", "a/b", "with space"] {
            assert!(matches!(
                journal.open_cursor(bad),
                Err(JournalError::InvalidCursorName { .. })
            ));
        }
        cursor.read_batch(2, 1 << 20).unwrap();
        let err = cursor.commit(3).unwrap_err();
        assert!(
            err.to_string().contains("only seqs below 3 were read"),
            "{err}"
        );
        cursor.commit(1).unwrap();
        drop(cursor);
        assert_eq!(journal.open_cursor("sink").unwrap().acked_position(), 2);
    }

    #[tokio::test]
    async fn corruption_appearing_at_runtime_is_quarantined_and_skipped() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        fixtures::append(&journal, 5, 100).await;
        let segment = t.segment_files().remove(0);
        let mut bytes = std::fs::read(&segment).unwrap();
        bytes[2 * 120 + 50] ^= 1; // inside record 3
        std::fs::write(&segment, &bytes).unwrap();
        let mut cursor = journal.open_cursor("sink").unwrap();
        assert_eq!(
            fixtures::seqs(&fixtures::read_all(&mut cursor)),
            vec![1, 2, 4, 5]
        );
        assert_eq!(t.quarantine_files().len(), 1);
        assert_eq!(
            std::fs::read(&t.quarantine_files()[0]).unwrap(),
            &bytes[240..360]
        );
        fixtures::append(&journal, 1, 100).await;
        assert_eq!(fixtures::seqs(&fixtures::read_all(&mut cursor)), vec![6]);
    }

    #[test]
    fn an_unreadable_cursor_file_restarts_that_sink_from_the_oldest_record() {
        let rt = fixtures::runtime();
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        rt.block_on(fixtures::append(&journal, 3, 10));
        let mut cursor = journal.open_cursor("sink").unwrap();
        fixtures::read_all(&mut cursor);
        cursor.commit(3).unwrap();
        rt.block_on(journal.close());
        drop((journal, cursor));
        std::fs::write(t.dir().join("cursors/sink"), b"garbage").unwrap();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        assert_eq!(journal.open_cursor("sink").unwrap().acked_position(), 1);
    }
}
