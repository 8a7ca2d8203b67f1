//! The writer thread: group commit, seq assignment, segment rolling and the
//! byte limit. It is the only code that writes segment files.
//!
//! ## Group commit
//! `Journal::append` puts an [`AppendRequest`] on the [`AppendQueue`] at
//! call time. The thread takes the first request, then every request already
//! queued, calling each request's [`EncodeBatch`] closure in queue order
//! with a [`RecordWriter`] that hands out seqs and frames records straight
//! into one write buffer. With [`FsyncPolicy::Batch`] it waits up to
//! `batch_interval` (from the first request) for more ONLY while the group
//! is smaller than the previous group (in requests) and below 1 MiB: a lone
//! appender on an idle journal is committed at once, while N appenders that
//! each await their last append end up sharing one fsync per round. The
//! group is then written with one `write` per segment touched and one
//! `sync_data` each; only then are the appenders resolved and the committed
//! seq published to readers. [`FsyncPolicy::Always`] commits each request
//! alone.
//!
//! ## Limits
//! Before writing, the writer waits while `bytes on disk + group > max_bytes`
//! (`stats().full`, a warning at most once a minute), woken when cursors
//! delete segments. If every record is acknowledged it rolls to a fresh
//! segment so the old newest one can go too. A group is always let into a
//! journal holding no bytes, so one huge batch cannot deadlock. A segment
//! rolls when the next record would push it over `segment_bytes`; a record
//! larger than that goes alone into a segment.
//!
//! ## Recycled segment files
//! A new segment reuses the file of an acknowledged one when there is one
//! (`JournalShared::take_spare`), overwritten from its start. Why: a fresh
//! file's pages are allocated as it is written, and every `fdatasync`
//! that grows a file also commits its new size; overwriting a file whose
//! pages and blocks exist skips both (file sink at 1M lines: ≈ +7 %
//! events/s, −5 % CPU). What is left of the file's old records past the
//! new ones is no record of this segment (their seqs are below its first
//! seq: `scan.rs` skips them); it is cut off when the segment is rolled
//! past or the journal is closed, and after a crash recovery cuts it like
//! a torn write.
//!
//! ## Failures
//! A failed `write` is undone (`set_len` back to the durable length) and
//! the group's appends fail; their seqs are handed out again, so seqs stay
//! gap-free, and so is the [`Link`] the writer carries from record to record
//! (the hash chain's, opaque here): it is always the link of the newest
//! record that is, or will be, on disk. A failed `sync_data` (or undo) stops the writer for good
//! ([`JournalError::WriterFailed`]): after a failed fsync the page cache
//! cannot be trusted.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::error::JournalError;
use super::handle::{JournalOptions, JournalShared};
use super::head;
use super::record::{self, FrameHeader};
use super::segment::{self, SegmentMeta};
use crate::config::FsyncPolicy;

/// Called on the writer thread, in append order, to frame a batch.
pub type EncodeBatch = Box<dyn FnOnce(&mut RecordWriter<'_>) + Send>;

/// Seqs given to one append, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    pub first: u64,
    pub last: u64,
}

/// 32 opaque bytes the writer threads from record to record: the hash
/// chain's last link (`crate::chain`). The journal does not interpret it;
/// it only keeps it in step with seqs, so that it rolls back with them when
/// an encoder panics or a write fails, and resumes from the newest record
/// at open (see `JournalOptions::link_of_payload`).
pub type Link = [u8; 32];

/// Hands out seqs and frames payloads into the journal's write buffer.
pub struct RecordWriter<'a> {
    buf: &'a mut Vec<u8>,
    next_seq: u64,
    /// The link of the record before `next_seq`.
    link: &'a mut Link,
    /// The link after each record of the group, in seq order.
    links: &'a mut Vec<Link>,
}

impl RecordWriter<'_> {
    /// The seq the next pushed record gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The link of the newest record (the one before [`next_seq`](Self::next_seq)).
    pub fn link(&self) -> &Link {
        self.link
    }

    /// Appends one record; returns its seq.
    pub fn push(&mut self, payload: &[u8]) -> u64 {
        self.push_with(|_, out| out.extend_from_slice(payload))
    }

    /// Appends one record whose payload `f` appends to the given buffer,
    /// knowing its seq. `f` must only append. The record is not chained:
    /// the link stays what it was.
    pub fn push_with(&mut self, f: impl FnOnce(u64, &mut Vec<u8>)) -> u64 {
        self.push_linked(|seq, link, out| {
            f(seq, out);
            *link
        })
    }

    /// Like [`push_with`](Self::push_with) for a chained record: `f` also
    /// gets the previous link and returns the record's own, which the next
    /// record then sees.
    pub fn push_linked(&mut self, f: impl FnOnce(u64, &Link, &mut Vec<u8>) -> Link) -> u64 {
        let seq = self.next_seq;
        let previous = *self.link;
        let mut next = previous;
        record::encode_frame_with(self.buf, seq, |out| next = f(seq, &previous, out));
        *self.link = next;
        self.links.push(next);
        self.next_seq += 1;
        seq
    }
}

/// One call to `append` waiting for the writer.
pub(crate) struct AppendRequest {
    pub encode: EncodeBatch,
    pub done: oneshot::Sender<Outcome>,
}

/// Requests in call order, between `append` and the writer thread.
#[derive(Default)]
pub(crate) struct AppendQueue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

#[derive(Default)]
struct QueueState {
    requests: VecDeque<AppendRequest>,
    closed: bool,
}

impl AppendQueue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn push(&self, request: AppendRequest) -> Result<(), JournalError> {
        let mut state = self.lock();
        if state.closed {
            return Err(JournalError::Closed);
        }
        state.requests.push_back(request);
        drop(state);
        self.ready.notify_one();
        Ok(())
    }

    /// Stops accepting requests; queued ones are still written.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// The next request; `None` once closed and drained.
    fn pop_wait(&self) -> Option<AppendRequest> {
        let mut state = self.lock();
        loop {
            if let Some(request) = state.requests.pop_front() {
                return Some(request);
            }
            if state.closed {
                return None;
            }
            state = self.ready.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn take_all(&self) -> VecDeque<AppendRequest> {
        std::mem::take(&mut self.lock().requests)
    }

    /// Waits until a request is queued (true) or `deadline`/close (false).
    fn wait_until(&self, deadline: Instant) -> bool {
        let mut state = self.lock();
        while state.requests.is_empty() && !state.closed {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = self
                .ready
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        !state.requests.is_empty()
    }
}

/// Stop gathering a group at this many encoded bytes.
const GROUP_TARGET_BYTES: usize = 1024 * 1024;
/// Warn about a full journal at most this often.
const FULL_WARNING_INTERVAL: Duration = Duration::from_secs(60);
/// Re-check for space (and for close) at least this often while full.
const FULL_RECHECK: Duration = Duration::from_millis(100);

type Outcome = Result<Option<SeqRange>, JournalError>;
/// Appenders of one group commit with what they will be told.
type Group = Vec<(oneshot::Sender<Outcome>, Outcome)>;

/// The writer thread's state.
pub(crate) struct JournalWriter {
    shared: Arc<JournalShared>,
    file: File,
    /// The newest segment as durable on disk.
    segment: SegmentMeta,
    /// Length of `file` when it was recycled (its earlier life's bytes may
    /// follow `segment.bytes`), 0 when it was not.
    recycled_len: u64,
    /// Seq for the next record framed (ahead of `durable_next` in a group).
    next_seq: u64,
    durable_next: u64,
    /// `durable_next` when the group being committed started.
    group_first: u64,
    buf: Vec<u8>,
    /// Link of the newest framed record; `durable_link` of the newest
    /// durable one; `links` the link after each record of the group.
    link: Link,
    durable_link: Link,
    links: Vec<Link>,
    max_bytes: u64,
    segment_bytes: u64,
    fsync: FsyncPolicy,
    batch_interval: Duration,
    previous_group: usize,
    last_full_warning: Option<Instant>,
    failed: bool,
}

impl JournalWriter {
    pub(crate) fn new(
        shared: Arc<JournalShared>,
        opts: &JournalOptions,
        newest: SegmentMeta,
        next_seq: u64,
        link: Link,
    ) -> Result<Self, JournalError> {
        let file = open_for_write(&segment::segment_path(&shared.dir, newest.first_seq))?;
        Ok(JournalWriter {
            shared,
            file,
            segment: newest,
            recycled_len: 0,
            next_seq,
            durable_next: next_seq,
            group_first: next_seq,
            buf: Vec::with_capacity(GROUP_TARGET_BYTES + 64 * 1024),
            link,
            durable_link: link,
            links: Vec::new(),
            max_bytes: opts.max_bytes,
            segment_bytes: opts.effective_segment_bytes(),
            fsync: opts.fsync,
            batch_interval: opts.batch_interval,
            previous_group: 1,
            last_full_warning: None,
            failed: false,
        })
    }

    /// The thread body: commit groups until the queue is closed and drained.
    pub(crate) fn run(mut self) {
        let _stopped = StoppedSignal(Arc::clone(&self.shared));
        while let Some(first) = self.shared.queue.pop_wait() {
            let mut group = Vec::new();
            self.encode(first, &mut group);
            if self.fsync == FsyncPolicy::Batch {
                self.gather(&mut group);
            }
            self.commit(group);
        }
        // Closed: the newest segment ends at its last record, so that the
        // next open finds nothing to cut.
        if !self.failed {
            if let Err(error) = self.cut_recycled_rest() {
                tracing::warn!(%error, "Could not cut the unused rest of a recycled journal segment; the next start will.");
            }
        }
    }

    fn encode(&mut self, request: AppendRequest, group: &mut Group) {
        let AppendRequest { encode, done } = request;
        let start_len = self.buf.len();
        let start_links = self.links.len();
        let first = self.next_seq;
        let mut writer = RecordWriter {
            buf: &mut self.buf,
            next_seq: first,
            link: &mut self.link,
            links: &mut self.links,
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| encode(&mut writer))) {
            Ok(()) => {
                self.next_seq = writer.next_seq;
                Ok((self.next_seq > first).then(|| SeqRange {
                    first,
                    last: self.next_seq - 1,
                }))
            }
            Err(_) => {
                self.buf.truncate(start_len);
                self.links.truncate(start_links);
                self.link = self.links.last().copied().unwrap_or(self.durable_link);
                Err(JournalError::EncodePanicked)
            }
        };
        group.push((done, outcome));
    }

    /// Adds queued requests to the group (see the module doc for the rule).
    fn gather(&mut self, group: &mut Group) {
        let deadline = Instant::now() + self.batch_interval;
        loop {
            for request in self.shared.queue.take_all() {
                self.encode(request, group);
            }
            if group.len() >= self.previous_group || self.buf.len() >= GROUP_TARGET_BYTES {
                break;
            }
            if !self.shared.queue.wait_until(deadline) {
                for request in self.shared.queue.take_all() {
                    self.encode(request, group);
                }
                break;
            }
        }
        self.previous_group = group.len().max(1);
    }

    /// Makes the group durable and resolves its appenders.
    fn commit(&mut self, group: Group) {
        let group_first = self.durable_next;
        self.group_first = group_first;
        let written = if self.buf.is_empty() {
            Ok(())
        } else if self.failed {
            Err(JournalError::WriterFailed)
        } else {
            self.wait_for_space().and_then(|()| self.write_buffer())
        };
        for (done, outcome) in group {
            let outcome = match (&written, outcome) {
                (_, Ok(None)) => Ok(None),
                (Err(e), Ok(Some(range))) if range.last >= self.durable_next => Err(e.duplicate()),
                (_, outcome) => outcome,
            };
            let _ = done.send(outcome);
        }
        self.next_seq = self.durable_next;
        // Seqs not made durable are handed out again, and so is their link.
        let durable_records = (self.durable_next - group_first) as usize;
        if let Some(&link) = durable_records
            .checked_sub(1)
            .and_then(|i| self.links.get(i))
        {
            self.durable_link = link;
        }
        self.link = self.durable_link;
        self.links.clear();
        self.buf.clear();
        if self.buf.capacity() > 8 * GROUP_TARGET_BYTES {
            self.buf.shrink_to(2 * GROUP_TARGET_BYTES);
        }
    }

    /// Blocks while the group does not fit under `max_bytes`.
    fn wait_for_space(&mut self) -> Result<(), JournalError> {
        let need = self.buf.len() as u64;
        let shared = Arc::clone(&self.shared);
        let mut state = shared.lock_state();
        let mut waited = false;
        let result = loop {
            // On disk: the records, the spare file, and what a recycled
            // newest segment file holds past its records.
            let unused = self.recycled_len.saturating_sub(self.segment.bytes);
            let on_disk = state.bytes + state.spare_bytes + unused;
            if on_disk + need <= self.max_bytes || state.bytes == 0 {
                break Ok(());
            }
            if state.spare_bytes > 0 || unused > 0 {
                // Space held for recycling goes to records first.
                drop(state);
                let freed = shared.drop_spare().and_then(|()| self.cut_recycled_rest());
                state = shared.lock_state();
                if let Err(e) = freed {
                    break Err(e);
                }
                continue;
            }
            if shared.queue.is_closed() {
                break Err(JournalError::Closed);
            }
            let all_acked = state
                .min_acked()
                .is_some_and(|acked| acked >= state.next_seq);
            if all_acked && self.segment.bytes > 0 {
                drop(state);
                let reclaimed = self
                    .roll(self.durable_next)
                    .and_then(|()| shared.delete_acked_segments());
                state = shared.lock_state();
                if let Err(e) = reclaimed {
                    break Err(e);
                }
                continue;
            }
            if !waited {
                waited = true;
                state.full = true;
                state.full_waits += 1;
            }
            if self
                .last_full_warning
                .is_none_or(|at| at.elapsed() >= FULL_WARNING_INTERVAL)
            {
                self.last_full_warning = Some(Instant::now());
                tracing::warn!(
                    bytes = state.bytes,
                    max_bytes = self.max_bytes,
                    "Journal is full; appends wait until sinks catch up."
                );
            }
            state = shared
                .space_freed
                .wait_timeout(state, FULL_RECHECK)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        };
        if waited {
            state.full = false;
            drop(state);
            tracing::info!("Journal has space again; appends resume.");
        }
        result
    }

    /// Writes the buffer into as many segments as it takes.
    fn write_buffer(&mut self) -> Result<(), JournalError> {
        let buf = std::mem::take(&mut self.buf);
        let result = self.write_frames(&buf);
        self.buf = buf;
        result
    }

    fn write_frames(&mut self, buf: &[u8]) -> Result<(), JournalError> {
        let mut offset = 0;
        while offset < buf.len() {
            let mut end = offset;
            let mut next_seq = self.segment.next_seq;
            let mut records = 0;
            while end < buf.len() {
                let header =
                    FrameHeader::parse(&buf[end..]).expect("the writer's own frames are valid");
                let len = header.frame_len() as usize;
                let fits = self.segment.bytes + (end - offset + len) as u64 <= self.segment_bytes;
                let alone_in_empty_segment = self.segment.bytes == 0 && end == offset;
                if !fits && !alone_in_empty_segment {
                    break;
                }
                end += len;
                next_seq = header.seq + 1;
                records += 1;
            }
            if end == offset {
                let seq = FrameHeader::parse(&buf[offset..]).expect("valid frame").seq;
                self.roll(seq)?;
                continue;
            }
            self.write_durably(&buf[offset..end])?;
            self.publish(next_seq, (end - offset) as u64, records);
            offset = end;
        }
        Ok(())
    }

    fn write_durably(&mut self, bytes: &[u8]) -> Result<(), JournalError> {
        let path = segment::segment_path(&self.shared.dir, self.segment.first_seq);
        let written = self.file.write_all_at(bytes, self.segment.bytes);
        #[cfg(test)]
        let written = written.and_then(|()| injected::write_result(&self.shared.dir));
        if let Err(e) = written {
            if let Err(undo) = self.file.set_len(self.segment.bytes) {
                self.failed = true;
                tracing::error!(segment = %path.display(), error = %undo, "Could not undo a failed journal write; the writer stops.");
            }
            return Err(JournalError::io(path, e));
        }
        if let Err(e) = self.file.sync_data() {
            self.failed = true;
            tracing::error!(segment = %path.display(), error = %e, "Journal fsync failed; the writer stops.");
            return Err(JournalError::io(path, e));
        }
        Ok(())
    }

    /// Records durable bytes and wakes readers.
    fn publish(&mut self, next_seq: u64, bytes: u64, records: u64) {
        self.segment.bytes += bytes;
        self.segment.next_seq = next_seq;
        self.durable_next = next_seq;
        {
            let mut state = self.shared.lock_state();
            if let Some(newest) = state.segments.back_mut() {
                *newest = self.segment;
            }
            state.bytes += bytes;
            state.next_seq = next_seq;
            state.fsyncs += 1;
            state.appended_records += records;
        }
        self.shared.committed.send_replace(next_seq - 1);
    }

    /// Starts a new, empty newest segment named `first_seq`, after saving
    /// the link of the record before it (`head.rs`): once the older
    /// segments are deleted, that file is all that carries the chain on.
    fn roll(&mut self, first_seq: u64) -> Result<(), JournalError> {
        if let Some(before) = first_seq.checked_sub(1).filter(|&seq| seq > 0) {
            head::save(&self.shared.dir, before, &self.link_of(before))?;
        }
        self.cut_recycled_rest()?;
        let path = segment::segment_path(&self.shared.dir, first_seq);
        self.recycled_len = self.shared.take_spare(&path)?;
        self.file = open_for_write(&path)?;
        segment::sync_dir(&self.shared.dir)?;
        self.segment = SegmentMeta::empty(first_seq);
        self.shared.lock_state().segments.push_back(self.segment);
        Ok(())
    }

    /// Cuts what a recycled segment file held before, past its records,
    /// durably: older segments end at their last record.
    fn cut_recycled_rest(&mut self) -> Result<(), JournalError> {
        if self.recycled_len == 0 {
            return Ok(());
        }
        let path = segment::segment_path(&self.shared.dir, self.segment.first_seq);
        self.file
            .set_len(self.segment.bytes)
            .and_then(|()| self.file.sync_all())
            .map_err(|e| JournalError::io(&path, e))?;
        self.recycled_len = 0;
        Ok(())
    }
}

impl JournalWriter {
    /// The link after record `seq`, which is durable or in the group being
    /// committed (`group_first - 1 <= seq`): until the group is finished,
    /// `durable_link` is still the link of the record before the group.
    fn link_of(&self, seq: u64) -> Link {
        match seq.checked_sub(self.group_first) {
            Some(i) => self.links.get(i as usize).copied().unwrap_or(self.link),
            None => self.durable_link,
        }
    }
}

/// Opens (or creates) a segment file for positioned writes: not
/// `O_APPEND`, under which Linux ignores the position of a `pwrite`.
fn open_for_write(path: &std::path::Path) -> Result<File, JournalError> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| JournalError::io(path, e))
}

/// Marks the writer stopped when its thread ends, however it ends.
struct StoppedSignal(Arc<JournalShared>);

impl Drop for StoppedSignal {
    fn drop(&mut self) {
        self.0.queue.close();
        drop(self.0.queue.take_all());
        self.0.writer_stopped.send_replace(true);
    }
}

/// Write failures for tests: the write goes to the file, then fails as
/// if the disk had refused it, so the undo runs for real.
#[cfg(test)]
pub(crate) mod injected {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    /// (journal dir, writes left to fail).
    static FAILURES: Mutex<Vec<(PathBuf, usize)>> = Mutex::new(Vec::new());

    /// Fails the next `count` segment writes of the journal in `dir`.
    pub(crate) fn fail_writes(dir: &Path, count: usize) {
        FAILURES.lock().unwrap().push((dir.to_path_buf(), count));
    }

    pub(super) fn write_result(dir: &Path) -> std::io::Result<()> {
        let mut failures = FAILURES.lock().unwrap();
        match failures.iter_mut().find(|(d, n)| d == dir && *n > 0) {
            Some(entry) => {
                entry.1 -= 1;
                Err(std::io::Error::other("injected write failure"))
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, TempJournal};
    use super::super::{JournalError, JournalOptions};
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appenders_get_every_seq_once_and_share_fsyncs() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(64 << 20, 8 << 20));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let journal = journal.clone();
                tokio::spawn(async move {
                    let mut seqs = Vec::with_capacity(1000);
                    for _ in 0..1000 {
                        let range = fixtures::append(&journal, 1, 60).await;
                        assert_eq!(range.first, range.last);
                        seqs.push(range.first);
                    }
                    seqs
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            let seqs = task.await.unwrap();
            assert!(
                seqs.windows(2).all(|w| w[0] < w[1]),
                "one task's seqs ascend"
            );
            all.extend(seqs);
        }
        all.sort_unstable();
        assert_eq!(all, (1..=8000).collect::<Vec<u64>>());
        let stats = journal.stats();
        assert_eq!((stats.appended_records, stats.next_seq), (8000, 8001));
        assert!(
            stats.fsyncs < 8000 / 3,
            "{} fsyncs for 8000 appends",
            stats.fsyncs
        );
        assert_eq!(journal.committed_seq(), 8000);
        let mut cursor = journal.open_cursor("sink").unwrap();
        let records = fixtures::read_all(&mut cursor);
        assert_eq!(records.len(), 8000);
        assert!(records
            .iter()
            .all(|r| r.payload == fixtures::payload(r.seq, 60)));
    }

    #[tokio::test]
    async fn fsync_always_syncs_once_per_append() {
        let t = TempJournal::new();
        let opts = JournalOptions {
            fsync: FsyncPolicy::Always,
            ..fixtures::options(1 << 20, 1 << 20)
        };
        let (journal, _) = t.open(opts);
        let appends: Vec<_> = (0..20)
            .map(|_| journal.append(fixtures::batch(3, 10)))
            .collect();
        for (i, append) in appends.into_iter().enumerate() {
            let range = append.await.unwrap().unwrap();
            assert_eq!(range.first, 3 * i as u64 + 1);
        }
        assert_eq!(journal.stats().fsyncs, 20);
    }

    #[tokio::test]
    async fn requests_keep_call_order_even_when_awaited_out_of_order() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        let first = journal.append(fixtures::batch(2, 10));
        let second = journal.append(fixtures::batch(1, 10));
        let second = second.await.unwrap().unwrap();
        let first = first.await.unwrap().unwrap();
        assert_eq!((first.first, first.last, second.first), (1, 2, 3));
    }

    /// A chained batch: each payload is `seq:previous link`, and the link
    /// after it is the record's name, padded to 32 bytes.
    fn chained(count: usize, tag: &'static str) -> EncodeBatch {
        Box::new(move |w| {
            for _ in 0..count {
                w.push_linked(|seq, previous, out| {
                    out.extend_from_slice(format!("{tag}{seq}:").as_bytes());
                    out.extend_from_slice(previous);
                    let mut link = [b'.'; 32];
                    let name = format!("{tag}{seq}");
                    link[..name.len()].copy_from_slice(name.as_bytes());
                    link
                });
            }
        })
    }

    #[tokio::test]
    async fn a_failed_write_is_undone_and_hands_its_seqs_and_link_back() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        let before = journal.append(chained(2, "a")).await.unwrap().unwrap();
        assert_eq!((before.first, before.last), (1, 2));

        injected::fail_writes(&t.dir(), 1);
        let failed = journal.append(chained(3, "b")).await.unwrap_err();
        assert!(format!("{failed:?}").contains("injected"), "{failed:?}");

        let after = journal.append(chained(2, "d")).await.unwrap().unwrap();
        assert_eq!((after.first, after.last), (3, 4), "seqs stay gap-free");
        let mut cursor = journal.open_cursor("check").unwrap();
        let records = fixtures::read_all(&mut cursor);
        assert_eq!(
            records.iter().map(|r| r.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        let link = |name: &str| format!("{name}{}", ".".repeat(32 - name.len()));
        let payload = |i: usize| String::from_utf8_lossy(&records[i].payload).into_owned();
        assert_eq!(
            payload(2),
            format!("d3:{}", link("a2")),
            "the chain goes on from a2"
        );
        assert_eq!(payload(3), format!("d4:{}", link("d3")));
        journal.close().await;
    }

    #[tokio::test]
    async fn push_with_sees_the_seq_it_encodes_and_empty_batches_get_none() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        fixtures::append(&journal, 4, 10).await;
        let range = journal
            .append(Box::new(|w| {
                assert_eq!(w.next_seq(), 5);
                let a = w.push(b"plain");
                let b =
                    w.push_with(|seq, out| out.extend_from_slice(format!("seq={seq}").as_bytes()));
                assert_eq!((a, b, w.next_seq()), (5, 6, 7));
            }))
            .await
            .unwrap();
        assert_eq!(range, Some(SeqRange { first: 5, last: 6 }));
        assert_eq!(journal.append(Box::new(|_| {})).await.unwrap(), None);
        let mut cursor = journal.open_cursor("c").unwrap();
        let records = fixtures::read_all(&mut cursor);
        assert_eq!(records[4].payload, &b"plain"[..]);
        assert_eq!(records[5].payload, &b"seq=6"[..]);
    }

    #[tokio::test]
    async fn a_panicking_encoder_fails_alone_and_uses_no_seq() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        let bad = journal.append(Box::new(|w| {
            w.push(b"half");
            panic!("encoder bug");
        }));
        let good = journal.append(fixtures::batch(1, 10));
        assert!(matches!(bad.await, Err(JournalError::EncodePanicked)));
        assert_eq!(good.await.unwrap().unwrap().first, 1);
        let mut cursor = journal.open_cursor("c").unwrap();
        assert_eq!(fixtures::seqs(&fixtures::read_all(&mut cursor)), vec![1]);
    }

    #[tokio::test]
    async fn close_finishes_queued_appends_then_refuses_new_ones() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        let queued: Vec<_> = (0..50)
            .map(|_| journal.append(fixtures::batch(1, 10)))
            .collect();
        journal.close().await;
        journal.close().await;
        for append in queued {
            assert!(append.await.unwrap().is_some());
        }
        assert!(matches!(
            journal.append(fixtures::batch(1, 10)).await,
            Err(JournalError::Closed)
        ));
        assert_eq!(journal.committed_seq(), 50);
    }

    #[tokio::test]
    async fn segments_roll_at_segment_bytes_and_a_huge_record_goes_alone() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        fixtures::append(&journal, 10, 180).await; // 200-byte frames: 5 per segment
        fixtures::append(&journal, 1, 5000).await;
        fixtures::append(&journal, 1, 10).await;
        let names: Vec<String> = t
            .segment_files()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "00000000000000000001.seg",
                "00000000000000000006.seg",
                "00000000000000000011.seg",
                "00000000000000000012.seg"
            ]
        );
        let lens: Vec<u64> = t
            .segment_files()
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .collect();
        assert_eq!(lens, [1000, 1000, 5020, 30]);
        assert_eq!(journal.stats().bytes, 7050);
    }

    #[tokio::test]
    async fn a_full_journal_holds_appends_until_a_cursor_frees_space() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(4000, 1000));
        let mut cursor = journal.open_cursor("sink").unwrap();
        for _ in 0..20 {
            fixtures::append(&journal, 1, 180).await; // 200 bytes each: exactly full
        }
        assert_eq!(journal.stats().bytes, 4000);
        let blocked = tokio::spawn({
            let journal = journal.clone();
            async move { fixtures::append(&journal, 1, 180).await }
        });
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(
            !blocked.is_finished(),
            "append into a full journal must wait"
        );
        let stats = journal.stats();
        assert!(stats.full);
        assert_eq!(stats.full_waits, 1);
        let records = cursor.read_batch(5, 1 << 20).unwrap();
        cursor.commit(records.last().unwrap().seq).unwrap();
        let range = tokio::time::timeout(Duration::from_secs(5), blocked)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(range.first, 21);
        assert!(!journal.stats().full);
        assert!(journal.stats().bytes <= 4000);
    }

    #[tokio::test]
    async fn a_batch_bigger_than_the_limit_passes_once_everything_is_acked() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(2000, 1000));
        let mut cursor = journal.open_cursor("sink").unwrap();
        fixtures::append(&journal, 2, 180).await;
        let huge = tokio::spawn({
            let journal = journal.clone();
            async move { fixtures::append(&journal, 30, 180).await }
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(!huge.is_finished());
        let records = cursor.read_batch(10, 1 << 20).unwrap();
        cursor.commit(records.last().unwrap().seq).unwrap();
        let range = tokio::time::timeout(Duration::from_secs(5), huge)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((range.first, range.last), (3, 32));
        assert_eq!(fixtures::read_all(&mut cursor).len(), 30);
    }

    /// Bytes of the segment files and the spare in the journal's dir.
    fn disk_bytes(t: &TempJournal) -> u64 {
        std::fs::read_dir(t.dir())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.ends_with(".seg") || name == segment::SPARE_NAME
            })
            .map(|e| e.metadata().unwrap().len())
            .sum()
    }

    fn inode(path: &std::path::Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).unwrap().ino()
    }

    /// Reads everything and acknowledges it.
    fn ack_all(cursor: &mut crate::journal::JournalCursor) -> Vec<u64> {
        let seqs = fixtures::seqs(&fixtures::read_all(cursor));
        if let Some(&last) = seqs.last() {
            cursor.commit(last).unwrap();
        }
        seqs
    }

    /// Segment 1, once acknowledged, becomes segment 11's file; segment 11
    /// holds only its own records although the file is longer, and is cut
    /// to them at close, so the next open has nothing to repair.
    #[tokio::test]
    async fn an_acknowledged_segment_file_is_reused_and_cut_to_its_records_at_close() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        let mut cursor = journal.open_cursor("sink").unwrap();
        fixtures::append(&journal, 10, 180).await; // 200-byte frames: segments 1 and 6
        let first = segment::segment_path(&t.dir(), 1);
        let first_inode = inode(&first);
        assert_eq!(ack_all(&mut cursor), (1..=10).collect::<Vec<_>>());
        assert!(!first.exists(), "acknowledged segment 1 is retired");
        assert!(t.dir().join(segment::SPARE_NAME).exists());
        fixtures::append(&journal, 3, 180).await; // segment 6 is full: rolls to 11
        let eleventh = segment::segment_path(&t.dir(), 11);
        assert_eq!(
            inode(&eleventh),
            first_inode,
            "segment 11 reuses segment 1's file"
        );
        assert_eq!(std::fs::metadata(&eleventh).unwrap().len(), 1000);
        let records = fixtures::read_all(&mut cursor);
        assert_eq!(fixtures::seqs(&records), (11..=13).collect::<Vec<_>>());
        assert!(records
            .iter()
            .all(|r| r.payload == fixtures::payload(r.seq, 180)));
        assert_eq!(journal.stats().bytes, 1000 + 600);
        journal.close().await;
        drop((cursor, journal));
        assert_eq!(std::fs::metadata(&eleventh).unwrap().len(), 600);

        let (journal, report) = t.open(fixtures::options(1 << 20, 1000));
        assert_eq!((report.truncated_bytes, report.quarantined_records), (0, 0));
        assert_eq!(report.next_seq, 14);
        let mut cursor = journal.open_cursor("sink").unwrap();
        assert_eq!(ack_all(&mut cursor), (11..=13).collect::<Vec<_>>());
        assert!(t.quarantine_files().is_empty());
    }

    /// A crash leaves a recycled newest segment with its old records after
    /// the new ones (here frame aligned, so each is a valid frame): they
    /// are cut like a torn write, never read as records or quarantined.
    #[tokio::test]
    async fn after_a_crash_a_recycled_segment_keeps_its_records_and_loses_the_old_rest() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1000));
        let mut cursor = journal.open_cursor("sink").unwrap();
        fixtures::append(&journal, 10, 180).await;
        ack_all(&mut cursor);
        fixtures::append(&journal, 2, 180).await; // segment 11: recycled, 400 of 1000 bytes used
        let eleventh = segment::segment_path(&t.dir(), 11);
        let at_crash = std::fs::read(&eleventh).unwrap();
        assert_eq!(at_crash.len(), 1000);
        journal.close().await;
        drop((cursor, journal));
        std::fs::write(&eleventh, &at_crash).unwrap(); // as if the close never ran

        let (journal, report) = t.open(fixtures::options(1 << 20, 1000));
        assert_eq!(report.truncated_bytes, 600);
        assert_eq!(report.quarantined_records, 0);
        assert_eq!(report.next_seq, 13);
        assert_eq!(std::fs::metadata(&eleventh).unwrap().len(), 400);
        let mut cursor = journal.open_cursor("sink").unwrap();
        let records = fixtures::read_all(&mut cursor);
        assert_eq!(fixtures::seqs(&records), (11..=12).collect::<Vec<_>>());
        assert!(records
            .iter()
            .all(|r| r.payload == fixtures::payload(r.seq, 180)));
        let range = fixtures::append(&journal, 1, 180).await;
        assert_eq!(range.first, 13);
        assert!(t.quarantine_files().is_empty());
    }

    /// The spare file and a recycled file's unused rest count against
    /// `max_bytes`: an append that needs their space gets it rather than
    /// waiting, and the files never exceed the bound.
    #[tokio::test]
    async fn space_held_for_recycling_is_within_max_bytes_and_given_up_when_needed() {
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(2000, 1000));
        let mut cursor = journal.open_cursor("sink").unwrap();
        fixtures::append(&journal, 10, 80).await; // 100-byte frames: segment 1 full
        fixtures::append(&journal, 5, 80).await; // segment 11, half full
        ack_all(&mut cursor);
        assert!(t.dir().join(segment::SPARE_NAME).exists());
        assert_eq!(disk_bytes(&t), 1500);
        // The cursor stops acknowledging: 500 bytes fill the journal with
        // the spare, the next 100 need the spare's space.
        fixtures::append(&journal, 5, 80).await;
        assert_eq!(disk_bytes(&t), 2000);
        let more = tokio::time::timeout(Duration::from_secs(5), fixtures::append(&journal, 1, 80))
            .await
            .expect("the append takes the spare's space instead of waiting");
        assert_eq!(more.first, 21);
        assert!(!t.dir().join(segment::SPARE_NAME).exists());
        assert!(disk_bytes(&t) <= 2000, "{} bytes on disk", disk_bytes(&t));

        // Steady appends and acknowledgements: recycling goes on, the bound holds.
        let mut reused = 0;
        for round in 0..40 {
            let before: Vec<u64> = t.segment_files().iter().map(|p| inode(p)).collect();
            fixtures::append(&journal, 3 + round % 5, 80).await;
            assert!(
                disk_bytes(&t) <= 2000,
                "round {round}: {} bytes",
                disk_bytes(&t)
            );
            reused += t
                .segment_files()
                .iter()
                .filter(|p| !before.contains(&inode(p)))
                .count();
            ack_all(&mut cursor);
            assert!(
                disk_bytes(&t) <= 2000,
                "round {round}: {} bytes",
                disk_bytes(&t)
            );
        }
        assert!(reused > 0);
        assert_eq!(
            fixtures::seqs(&fixtures::read_all(&mut cursor)),
            Vec::<u64>::new()
        );
    }
}
