//! The [`Journal`] handle: opening (lock + recovery), the state shared by the
//! writer thread and the cursors, retention (deleting acknowledged
//! segments), stats and closing.
//!
//! Invariants: the newest segment is never deleted; a segment is deleted only
//! when every registered cursor's acknowledged position is past its last
//! record; with no cursor registered nothing is deleted.

use std::collections::{BTreeMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::future::Future;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use super::cursor::{self, JournalCursor, JournalReader};
use super::error::JournalError;
use super::recovery::{self, RecoveryReport};
use super::segment::{self, SegmentMeta};
use super::writer::{AppendQueue, AppendRequest, EncodeBatch, JournalWriter, Link, SeqRange};
use crate::config::FsyncPolicy;

/// Reads the chain link out of a record payload (see `JournalOptions`).
pub type LinkOfPayload = fn(&[u8]) -> Option<Link>;

/// How a journal is sized and synced.
#[derive(Debug, Clone)]
pub struct JournalOptions {
    /// Byte limit of all segments together; appends wait when reached.
    pub max_bytes: u64,
    /// Segment size; `None`: `clamp(max_bytes / 8, 64 KiB, 128 MiB)`.
    pub segment_bytes: Option<u64>,
    /// One fsync per group of appends, or per append.
    pub fsync: FsyncPolicy,
    /// Longest wait to gather one group commit.
    pub batch_interval: Duration,
    /// Reads the [`Link`] out of a record's payload; at open the writer
    /// resumes from the newest record's link, or, when the journal holds no
    /// record, from the link saved at the last roll (`head.rs`). `None` (or
    /// neither, or a payload it cannot read): it starts from 32 zero bytes.
    pub link_of_payload: Option<LinkOfPayload>,
}

impl JournalOptions {
    /// The segment size in effect.
    pub fn effective_segment_bytes(&self) -> u64 {
        self.segment_bytes
            .unwrap_or((self.max_bytes / 8).clamp(64 * 1024, 128 * 1024 * 1024))
            .max(1)
    }
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions {
            max_bytes: 2 * 1024 * 1024 * 1024,
            segment_bytes: None,
            fsync: FsyncPolicy::Batch,
            batch_interval: Duration::from_millis(10),
            link_of_payload: None,
        }
    }
}

/// A snapshot of the journal's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Bytes of all segment files.
    pub bytes: u64,
    pub segments: usize,
    /// Seq of the oldest record still on disk (== `next_seq` when none).
    pub oldest_seq: u64,
    /// Seq the next appended record gets.
    pub next_seq: u64,
    /// Appends are waiting for sinks to free space.
    pub full: bool,
    /// `sync_data` calls on segments since open.
    pub fsyncs: u64,
    /// Records made durable since open.
    pub appended_records: u64,
    /// Times the writer had to wait for space since open.
    pub full_waits: u64,
}

/// Undelivered records of one cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    pub events: u64,
    /// Estimated from segment sizes.
    pub bytes: u64,
}

/// A cursor known to the journal (open or only persisted).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CursorEntry {
    pub acked: u64,
    pub in_use: bool,
}

/// Mutable state shared by the writer, cursors and handles.
#[derive(Debug)]
pub(crate) struct JournalState {
    pub segments: VecDeque<SegmentMeta>,
    pub bytes: u64,
    /// One past the last durable record.
    pub next_seq: u64,
    pub cursors: BTreeMap<String, CursorEntry>,
    pub full: bool,
    pub fsyncs: u64,
    pub appended_records: u64,
    pub full_waits: u64,
    /// Size of the spare segment file (`segment::SPARE_NAME`), 0 when there
    /// is none: disk the journal holds besides `bytes`, within `max_bytes`.
    pub spare_bytes: u64,
}

impl JournalState {
    /// Lowest acknowledged position over all cursors; `None` without cursors.
    pub(crate) fn min_acked(&self) -> Option<u64> {
        self.cursors.values().map(|c| c.acked).min()
    }

    pub(crate) fn oldest_seq(&self) -> u64 {
        self.segments.front().map_or(self.next_seq, |s| s.first_seq)
    }
}

/// Everything the writer thread and the cursors share.
pub(crate) struct JournalShared {
    pub dir: PathBuf,
    pub quarantine_dir: PathBuf,
    pub state: Mutex<JournalState>,
    /// The journal's bound on disk (`JournalOptions::max_bytes`).
    pub max_bytes: u64,
    /// Signalled when segments are deleted (the writer may be waiting).
    pub space_freed: Condvar,
    pub queue: AppendQueue,
    /// Last durable seq; cursors wait on it.
    pub committed: watch::Sender<u64>,
    /// Becomes true when the writer thread has exited.
    pub writer_stopped: watch::Sender<bool>,
    /// Held for the journal's lifetime; the OS lock dies with it.
    _lock: File,
}

impl JournalShared {
    pub(crate) fn lock_state(&self) -> MutexGuard<'_, JournalState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn cursors_dir(&self) -> PathBuf {
        self.dir.join(cursor::CURSORS_DIR)
    }

    /// Deletes segments whose records every cursor has acknowledged (never
    /// the newest) and wakes a writer waiting for space.
    pub(crate) fn delete_acked_segments(&self) -> Result<(), JournalError> {
        let doomed: Vec<SegmentMeta> = {
            let mut state = self.lock_state();
            let Some(min_acked) = state.min_acked() else {
                return Ok(());
            };
            let mut doomed = Vec::new();
            while state.segments.len() > 1 && state.segments[0].next_seq <= min_acked {
                doomed.extend(state.segments.pop_front());
            }
            doomed
        };
        if doomed.is_empty() {
            return Ok(());
        }
        // Every one is retired (and its bytes freed) even after an error.
        let result = doomed
            .iter()
            .map(|s| self.retire_segment(s))
            .fold(Ok(()), Result::and)
            .and_then(|()| segment::sync_dir(&self.dir));
        let freed: u64 = doomed.iter().map(|s| s.bytes).sum();
        tracing::debug!(
            segments = doomed.len(),
            bytes = freed,
            "Deleted acknowledged journal segments."
        );
        self.space_freed.notify_all();
        result
    }

    /// Removes an acknowledged segment from the journal's bytes: its file
    /// becomes the spare, for the writer's next segment (see `writer.rs`,
    /// "Recycled segment files"), when there is none yet and the journal
    /// stays within `max_bytes` with it; otherwise it is deleted.
    fn retire_segment(&self, retired: &SegmentMeta) -> Result<(), JournalError> {
        let path = segment::segment_path(&self.dir, retired.first_seq);
        let mut state = self.lock_state();
        state.bytes -= retired.bytes;
        let keep = state.spare_bytes == 0
            && retired.bytes > 0
            && state.bytes + retired.bytes <= self.max_bytes;
        if keep {
            // Under the lock: the writer takes the spare under it too.
            match std::fs::rename(&path, self.dir.join(segment::SPARE_NAME)) {
                Ok(()) => {
                    state.spare_bytes = retired.bytes;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(JournalError::io(&path, e)),
            }
        }
        drop(state);
        segment::remove_if_present(&path)
    }

    /// Moves the spare segment file to `path`, if there is one; its length,
    /// or 0. The caller syncs the directory.
    pub(crate) fn take_spare(&self, path: &Path) -> Result<u64, JournalError> {
        let mut state = self.lock_state();
        let len = std::mem::take(&mut state.spare_bytes);
        if len > 0 {
            std::fs::rename(self.dir.join(segment::SPARE_NAME), path)
                .map_err(|e| JournalError::io(path, e))?;
        }
        Ok(len)
    }

    /// Deletes the spare segment file: the journal needs its space.
    pub(crate) fn drop_spare(&self) -> Result<(), JournalError> {
        let mut state = self.lock_state();
        if state.spare_bytes == 0 {
            return Ok(());
        }
        state.spare_bytes = 0;
        segment::remove_if_present(&self.dir.join(segment::SPARE_NAME))
    }
}

/// The durable, bounded, shared log. Cheap to clone; all clones are one
/// journal. Dropping the last clone stops the writer after it drains.
#[derive(Clone)]
pub struct Journal {
    handle: Arc<JournalHandle>,
}

struct JournalHandle {
    shared: Arc<JournalShared>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for JournalHandle {
    fn drop(&mut self) {
        self.shared.queue.close();
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.handle.shared.dir)
            .finish()
    }
}

impl Journal {
    /// Locks `dir`, recovers it (see [`RecoveryReport`]), loads persisted
    /// cursors and starts the writer thread.
    pub fn open(
        dir: &Path,
        quarantine_dir: &Path,
        opts: JournalOptions,
    ) -> Result<(Journal, RecoveryReport), JournalError> {
        segment::create_private_dir(dir)?;
        let lock = lock_dir(dir)?;
        let (metas, report) = recovery::recover(dir, quarantine_dir)?;
        let cursors = cursor::load_persisted(dir, report.next_seq)?;
        let newest = *metas.last().expect("recovery leaves at least one segment");
        let state = JournalState {
            bytes: metas.iter().map(|m| m.bytes).sum(),
            segments: metas.into(),
            next_seq: report.next_seq,
            cursors,
            full: false,
            fsyncs: 0,
            appended_records: 0,
            full_waits: 0,
            spare_bytes: 0,
        };
        let shared = Arc::new(JournalShared {
            dir: dir.to_path_buf(),
            quarantine_dir: quarantine_dir.to_path_buf(),
            state: Mutex::new(state),
            max_bytes: opts.max_bytes,
            space_freed: Condvar::new(),
            queue: AppendQueue::default(),
            committed: watch::Sender::new(report.next_seq - 1),
            writer_stopped: watch::Sender::new(false),
            _lock: lock,
        });
        shared.delete_acked_segments()?;
        let link = match opts.link_of_payload {
            Some(link_of) => newest_link(&shared, report.next_seq, link_of)?,
            None => [0; 32],
        };
        let writer = JournalWriter::new(Arc::clone(&shared), &opts, newest, report.next_seq, link)?;
        let thread = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| JournalError::io(dir, e))?;
        tracing::info!(dir = %dir.display(), "{report}");
        let handle = JournalHandle {
            shared,
            writer: Mutex::new(Some(thread)),
        };
        Ok((
            Journal {
                handle: Arc::new(handle),
            },
            report,
        ))
    }

    /// Queues `batch` and resolves once its records are durable, with their
    /// seqs (`None` if it pushed nothing).
    ///
    /// The request is queued when `append` is CALLED, not when the future
    /// is first polled, so calls from one task keep their order. Callers
    /// are held back by awaiting: the future completes only after the fsync,
    /// and not at all while the journal is full.
    pub fn append(
        &self,
        batch: EncodeBatch,
    ) -> impl Future<Output = Result<Option<SeqRange>, JournalError>> + Send + 'static {
        let (done, result) = oneshot::channel();
        let queued = self.handle.shared.queue.push(AppendRequest {
            encode: batch,
            done,
        });
        async move {
            queued?;
            result.await.unwrap_or(Err(JournalError::Closed))
        }
    }

    /// Opens the cursor `name`: at its persisted acknowledged position, or
    /// for a new name at the oldest record in the journal.
    pub fn open_cursor(&self, name: &str) -> Result<JournalCursor, JournalError> {
        JournalCursor::open(Arc::clone(&self.handle.shared), name)
    }

    /// A read-only scan from `seq` (or the oldest record still present).
    pub fn reader_from(&self, seq: u64) -> JournalReader {
        JournalReader::new(JournalCursor::unregistered(
            Arc::clone(&self.handle.shared),
            seq,
        ))
    }

    /// Forgets every cursor not named in `keep` and not open, so it no longer
    /// pins segments; returns the names released.
    pub fn release_cursors_except(&self, keep: &[&str]) -> Result<Vec<String>, JournalError> {
        let shared = &self.handle.shared;
        let released: Vec<String> = {
            let mut state = shared.lock_state();
            let names: Vec<String> = state
                .cursors
                .iter()
                .filter(|(name, entry)| !entry.in_use && !keep.contains(&name.as_str()))
                .map(|(name, _)| name.clone())
                .collect();
            for name in &names {
                state.cursors.remove(name);
            }
            names
        };
        if released.is_empty() {
            return Ok(released);
        }
        let dir = shared.cursors_dir();
        for name in &released {
            segment::remove_if_present(&dir.join(name))?;
            tracing::info!(cursor = %name, "Released the journal cursor of a sink no longer configured.");
        }
        segment::sync_dir(&dir)?;
        shared.delete_acked_segments()?;
        Ok(released)
    }

    /// Current counters.
    pub fn stats(&self) -> JournalStats {
        let state = self.handle.shared.lock_state();
        JournalStats {
            bytes: state.bytes,
            segments: state.segments.len(),
            oldest_seq: state.oldest_seq(),
            next_seq: state.next_seq,
            full: state.full,
            fsyncs: state.fsyncs,
            appended_records: state.appended_records,
            full_waits: state.full_waits,
        }
    }

    /// The backlog of every persisted cursor, by name: records from its
    /// acknowledged position to the head, for metrics and status.
    pub fn backlogs(&self) -> Vec<(String, Backlog)> {
        let state = self.handle.shared.lock_state();
        state
            .cursors
            .iter()
            .map(|(name, cursor)| {
                let backlog = Backlog {
                    events: state.next_seq.saturating_sub(cursor.acked),
                    bytes: segment::bytes_from(&state.segments, cursor.acked),
                };
                (name.clone(), backlog)
            })
            .collect()
    }

    /// Last durable seq (0 if none ever).
    pub fn committed_seq(&self) -> u64 {
        *self.handle.shared.committed.borrow()
    }

    /// Changes after every group commit, to the last durable seq.
    pub fn watch_committed(&self) -> watch::Receiver<u64> {
        self.handle.shared.committed.subscribe()
    }

    /// Writes what is queued, stops the writer thread. Idempotent; later
    /// appends fail with [`JournalError::Closed`]. If the journal is full,
    /// queued appends fail with `Closed` instead of waiting.
    pub async fn close(&self) {
        let shared = &self.handle.shared;
        shared.queue.close();
        shared.space_freed.notify_all();
        let mut stopped = shared.writer_stopped.subscribe();
        let _ = stopped.wait_for(|s| *s).await;
        let thread = self
            .handle
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// The link of the newest record, so the chain continues across restarts
/// (also after `kill -9`: a torn tail was truncated by recovery, and the
/// chain continues from the last intact record).
fn newest_link(
    shared: &Arc<JournalShared>,
    next_seq: u64,
    link_of: fn(&[u8]) -> Option<Link>,
) -> Result<Link, JournalError> {
    let mut reader = JournalReader::new(JournalCursor::unregistered(
        Arc::clone(shared),
        next_seq.saturating_sub(64).max(1),
    ));
    let mut newest = None;
    loop {
        let records = reader.read_batch(64, 1 << 20)?;
        match records.into_iter().last() {
            Some(record) => newest = Some(record),
            None => break,
        }
    }
    let Some(record) = newest else {
        if let Some(link) = super::head::link_of(&shared.dir, next_seq.saturating_sub(1)) {
            return Ok(link);
        }
        if next_seq > 1 {
            tracing::warn!(next_seq, "The journal holds no record to continue the hash chain from (all delivered and the newest write was torn) and no usable `head` file; the chain restarts from zero here and `auditship verify` will report a break before this seq.");
        }
        return Ok([0; 32]);
    };
    Ok(link_of(&record.payload).unwrap_or_else(|| {
        tracing::warn!(seq = record.seq, "The newest journal record carries no chain link (written by an older auditship?); the chain restarts from zero after it.");
        [0; 32]
    }))
}

/// Takes the exclusive lock on `DIR/lock`.
// `File::try_lock` is stable since 1.89 (the toolchain is 1.95); Cargo.toml
// still says `rust-version = "1.80"`: the lead is asked to raise it.
fn lock_dir(dir: &Path) -> Result<File, JournalError> {
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| JournalError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(JournalError::InUse {
            dir: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(JournalError::io(&path, e)),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::super::fixtures::{self, TempJournal};
    use super::*;

    #[test]
    fn a_second_open_of_the_same_dir_is_refused_as_in_use() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        let err = Journal::open(
            &t.dir(),
            &t.quarantine(),
            fixtures::options(1 << 20, 1 << 20),
        )
        .unwrap_err();
        assert!(matches!(err, JournalError::InUse { .. }));
        assert!(
            err.to_string()
                .contains("is in use by another auditship process"),
            "{err}"
        );
        fixtures::runtime().block_on(journal.close());
        drop(journal);
        t.open(fixtures::options(1 << 20, 1 << 20));
    }

    #[tokio::test]
    async fn seq_continues_across_reopen_after_every_old_segment_was_deleted() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        let mut cursor = journal.open_cursor("sink").unwrap();
        fixtures::append(&journal, 12, 180).await;
        let all = fixtures::read_all(&mut cursor);
        cursor.commit(all.last().unwrap().seq).unwrap();
        assert_eq!(journal.stats().segments, 1);
        journal.close().await;
        drop((journal, cursor));
        let (journal, report) = t.open(fixtures::options(1 << 20, 1000));
        assert_eq!(report.next_seq, 13);
        assert_eq!(fixtures::append(&journal, 1, 10).await.first, 13);
        assert_eq!(
            journal
                .open_cursor("sink")
                .unwrap()
                .read_batch(10, 1 << 20)
                .unwrap()[0]
                .seq,
            13
        );
    }

    #[tokio::test]
    async fn an_empty_newest_segment_keeps_the_next_seq() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(2000, 1000));
        let mut cursor = journal.open_cursor("sink").unwrap();
        fixtures::append(&journal, 8, 180).await;
        let all = fixtures::read_all(&mut cursor);
        cursor.commit(all.last().unwrap().seq).unwrap();
        // Does not fit beside the acked newest segment: the writer rolls to
        // an empty segment 9 and deletes the rest.
        fixtures::append(&journal, 9, 180).await;
        let names: Vec<_> = t
            .segment_files()
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names[0], "00000000000000000009.seg");
        journal.close().await;
        drop((journal, cursor));
        std::fs::write(t.segment_files()[0].clone(), b"").unwrap();
        for extra in t.segment_files().iter().skip(1) {
            std::fs::remove_file(extra).unwrap();
        }
        let (_journal, report) = t.open(fixtures::options(2000, 1000));
        assert_eq!(report.next_seq, 9);
    }

    /// Chained records: each payload starts with its link, derived from the
    /// previous one and the seq; `seen` gets (seq, previous link, link).
    fn linked_batch(count: usize, seen: Arc<Mutex<Vec<(u64, Link, Link)>>>) -> EncodeBatch {
        Box::new(move |w| {
            for _ in 0..count {
                w.push_linked(|seq, previous, out| {
                    let mut link = *previous;
                    link[0] = link[0].wrapping_add(1);
                    link[1..9].copy_from_slice(&seq.to_le_bytes());
                    seen.lock().unwrap().push((seq, *previous, link));
                    out.extend_from_slice(&link);
                    out.extend_from_slice(&[b'x'; 148]);
                    link
                });
            }
        })
    }

    fn link_in_payload(payload: &[u8]) -> Option<Link> {
        payload.get(..32)?.try_into().ok()
    }

    /// Writes 12 chained records (several rolls), delivers them all, then
    /// leaves the journal as a crash can: every older segment deleted and
    /// the newest one torn to nothing. Returns the links written, by seq,
    /// and the next seq.
    async fn chained_journal_with_no_record_left(
        t: &TempJournal,
        opts: JournalOptions,
    ) -> (BTreeMap<u64, Link>, u64) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (journal, _) = t.open(opts);
        let mut cursor = journal.open_cursor("sink").unwrap();
        for _ in 0..12 {
            journal.append(linked_batch(1, seen.clone())).await.unwrap();
        }
        let all = fixtures::read_all(&mut cursor);
        cursor.commit(all.last().unwrap().seq).unwrap();
        journal.close().await;
        drop((journal, cursor));
        let segments = t.segment_files();
        let newest = segments.last().unwrap();
        let next_seq =
            segment::parse_segment_name(newest.file_name().unwrap().to_str().unwrap()).unwrap();
        assert!(next_seq > 1, "the writer rolled at least once");
        std::fs::write(newest, b"").unwrap();
        for older in &segments[..segments.len() - 1] {
            std::fs::remove_file(older).unwrap();
        }
        let links = seen
            .lock()
            .unwrap()
            .iter()
            .map(|&(seq, _, link)| (seq, link))
            .collect();
        (links, next_seq)
    }

    fn chained_options() -> JournalOptions {
        JournalOptions {
            link_of_payload: Some(link_in_payload),
            ..fixtures::options(1 << 20, 1000)
        }
    }

    #[tokio::test]
    async fn the_chain_continues_across_a_reopen_with_no_record_left() {
        let t = TempJournal::new();
        let (links, next_seq) = chained_journal_with_no_record_left(&t, chained_options()).await;
        let (journal, report) = t.open(chained_options());
        assert_eq!(report.next_seq, next_seq);
        let seen = Arc::new(Mutex::new(Vec::new()));
        journal.append(linked_batch(1, seen.clone())).await.unwrap();
        let (seq, previous, _) = seen.lock().unwrap()[0];
        assert_eq!(seq, next_seq);
        assert_eq!(
            previous,
            links[&(next_seq - 1)],
            "the first record after the restart is chained to the last one before it"
        );
        journal.close().await;
    }

    #[tokio::test]
    async fn without_a_head_file_the_chain_restarts_from_zero() {
        let t = TempJournal::new();
        let (_, next_seq) = chained_journal_with_no_record_left(&t, chained_options()).await;
        std::fs::remove_file(t.dir().join("head")).unwrap();
        let (journal, _) = t.open(chained_options());
        let seen = Arc::new(Mutex::new(Vec::new()));
        journal.append(linked_batch(1, seen.clone())).await.unwrap();
        assert_eq!(seen.lock().unwrap()[0].0, next_seq);
        assert_eq!(seen.lock().unwrap()[0].1, [0; 32]);
        journal.close().await;
    }

    #[tokio::test]
    async fn journal_files_are_private_to_the_service_user() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        let _cursor = journal.open_cursor("sink").unwrap();
        fixtures::append(&journal, 1, 10).await;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&t.dir()), 0o700);
        assert_eq!(mode(&t.dir().join(cursor::CURSORS_DIR)), 0o700);
        assert_eq!(mode(&t.segment_files()[0]), 0o600);
        assert_eq!(mode(&t.dir().join("cursors/sink")), 0o600);
        assert_eq!(mode(&t.dir().join("lock")), 0o600);
    }

    #[test]
    fn default_segment_size_is_an_eighth_of_the_limit_within_bounds() {
        let size = |max_bytes| {
            JournalOptions {
                max_bytes,
                ..JournalOptions::default()
            }
            .effective_segment_bytes()
        };
        assert_eq!(size(1 << 20), 128 << 10);
        assert_eq!(size(100 << 10), 64 << 10);
        assert_eq!(size(4 << 30), 128 << 20);
    }
}
