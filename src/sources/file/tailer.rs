//! [`FileTailer`]: the engine. One loop finds files, reads new bytes, frames
//! lines and sends [`LineBatch`]es to the pipeline over a bounded channel.
//!
//! The loop, in order, each turn:
//! 1. every `glob_interval` (or at once when the watcher saw a file
//!    appear or move), expand the globs and match each new file to what is
//!    known (see "identity" below);
//! 2. unless a batch is waiting for room in the channel, a read pass over
//!    the files due: every tracked file on a poll (every `poll_interval`,
//!    after files were added, removed or renamed, when the watcher lost
//!    track, and on every pass without a watcher); in between only the
//!    files the watcher named and those with more to read, so a wake-up
//!    costs what changed, not what is tracked. For each: `fstat` (or `stat`
//!    for a closed file), read what was appended in 64 KiB chunks (`pread`
//!    at the framer's offset), at most [`READ_BUDGET_BYTES`] per file per
//!    pass so one busy file cannot starve the others, frame it, hand the
//!    lines over;
//! 3. close idle descriptors (checked once a second), forget stale
//!    checkpoints, write the checkpoint file every `checkpoint_interval`
//!    when acks moved it;
//! 4. if nothing was read, wait for the first of: shutdown, room in the
//!    channel for the waiting batch, a notification from the watcher, the
//!    next poll, expansion or checkpoint write. After a notification the
//!    next pass starts no sooner than `min_read_interval` after the last
//!    one: a change after a quiet spell is read at once, a stream of them
//!    (thousands of files appended slowly, one busy file written line by
//!    line) in passes that many milliseconds apart, each reading
//!    everything that changed meanwhile — one pass per change cost a
//!    journal append, a sink batch and their fsyncs per change.
//!
//! Back-pressure: batches are handed over with `try_send`. When the channel
//! is full the batch is kept aside (`pending`), reading stops, and the loop
//! waits for room (`reserve`) inside its `select!` with shutdown, so a full
//! channel pauses reading, shutdown never waits on it, and the globs are
//! still expanded meanwhile (a file renamed out of the globs while the
//! pipeline is stalled is already open, hence not lost). Bytes read but not
//! framed when the channel filled are simply read again (reads are by
//! offset). Blocking file I/O runs in the loop, in bounded chunks.
//!
//! Identity: a file is tracked by device + inode while known, and by the
//! fingerprint of its first bytes (see `fingerprint.rs`). A file found by
//! the globs is, in this order:
//! - already tracked (same inode): only its path is updated (renamed);
//! - a known file whose inode and first bytes match a checkpoint: resumed at
//!   its acknowledged offset (restart) or read offset (reopened);
//! - a copy of a known file (same first bytes, at least
//!   `MIN_CONTENT_MATCH_BYTES` of them, another inode) whose original was
//!   truncated or is gone: copytruncate. The copy takes over the original's
//!   [`FileId`] and offset; only bytes after it are read. If the original is
//!   still intact the decision waits up to one `glob_interval` (at least
//!   1 s; the copy is made before the truncation), then the file counts as
//!   a new one;
//! - a copy still being written (its bytes are a strict prefix of a known
//!   file's first bytes, or it has a known file's first bytes but is shorter
//!   than what was read of it): the decision waits up to one
//!   `glob_interval`, then it is matched as above or counts as a new file
//!   (a copy slower than that is read in full: duplicates, never loss);
//! - otherwise new: read from the start, or from the end (of the last
//!   complete line) for files present at startup without a checkpoint when
//!   `start_at = end`.
//!
//! A tracked file that shrinks below the read offset, or whose first bytes
//! changed, was truncated or replaced: its old identity is kept (so its copy
//! can be recognised) and the inode is read again from offset 0 under a new
//! [`FileId`]. The first bytes are checked again after each read (and
//! after extending the fingerprint): bytes read from a file replaced in
//! between are dropped, never shipped as the old file's lines (nor used as
//! the offset its copy resumes at). A tracked file the globs no longer find
//! (renamed away, deleted) keeps its descriptor, is drained to its end and
//! released once it has not grown for `rotated_grace`.
//!
//! Descriptors: at most `max_open_files` are open (plus rotated files being
//! drained); the least recently grown are closed, and a file idle for
//! `idle_close_after` too. A closed file is watched with `stat` by path and
//! reopened when it grows, after checking the path still leads to the same
//! device + inode. Caveat: a file closed while idle and then renamed outside
//! the globs is not followed; lines written to it after the rename are not
//! read.
//!
//! Backfill (`stop_at_end`): the loop ends after a pass that read nothing
//! while no batch, partial line or identity decision is outstanding.
//!
//! A last line without `\n` is emitted once the file has been quiet for
//! `flush_partial_after` (and is still the same file), after which appended
//! bytes start a new line: losing the final line of an application that
//! never writes `\n` would be worse than splitting one.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use tracing::Instrument;

use crate::config::StartAt;
use crate::shutdown::Shutdown;

use super::checkpoint::{CheckpointHandle, FilePosition};
use super::discovery::FileDiscovery;
use super::error::TailError;
use super::fingerprint::{FileId, Fingerprint};
use super::line_reader::{FramedLines, Line, LineFramer};
use super::options::TailerOptions;
use super::watcher::{ChangeWatcher, WakeSignal};

/// How often descriptors are checked for `idle_close_after`.
const IDLE_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Shortest wait for the original of a copy to be truncated (see
/// `keep_deferring`).
const MIN_COPY_DECISION_WINDOW: Duration = Duration::from_secs(1);

/// Size of one read.
pub const READ_CHUNK_BYTES: usize = 64 * 1024;
/// Most bytes read from one file in one pass before moving to the next.
pub const READ_BUDGET_BYTES: u64 = 4 * 1024 * 1024;

/// Lines of one file, in order, for the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineBatch {
    pub file: FileId,
    /// The path the file had when the lines were read.
    pub path: PathBuf,
    pub lines: Vec<Line>,
    /// Offset just after the last line: pass it to
    /// [`CheckpointHandle::ack`] once the lines are durable.
    pub end_offset: u64,
}

/// The file tailing engine of one source; see the module doc.
pub struct FileTailer {
    source_id: String,
    opts: TailerOptions,
    discovery: FileDiscovery,
    checkpoints: CheckpointHandle,
    files: HashMap<FileId, TrackedFile>,
    by_inode: HashMap<(u64, u64), FileId>,
    dormant: HashMap<FileId, DormantFile>,
    /// Copy candidates of an intact tracked file, waiting one expansion.
    /// New files whose decision waits (a copy being written, an original
    /// not yet truncated), with when they were first deferred.
    deferred: HashMap<(u64, u64), Instant>,
    /// Paths whose open failed, warned about once.
    unreadable: HashSet<PathBuf>,
    buf: Vec<u8>,
    batch: FramedLines,
    /// A batch the full channel did not take; reading pauses until it is sent.
    pending: Option<LineBatch>,
    /// Files the next pass reads, in id order: all of them on a poll,
    /// otherwise those the watcher named and those with more to read. A
    /// pass interrupted by a full channel leaves the rest here, so the next
    /// one starts where it stopped (fairness under back-pressure).
    to_check: BTreeSet<FileId>,
    /// Tracked files by path, to find the files the watcher names; `None`
    /// after files were added, removed or renamed (rebuilt when needed).
    by_path: Option<HashMap<PathBuf, FileId>>,
    /// The tracked files changed: the next pass checks every file.
    poll_due: bool,
    last_persist_warning: Option<Instant>,
}

/// A file being tailed.
struct TrackedFile {
    id: FileId,
    path: PathBuf,
    dev: u64,
    inode: u64,
    fingerprint: Fingerprint,
    /// The bytes `fingerprint` covers (always all of them), to recognise a
    /// copy still being written (its bytes are a prefix of these) and to
    /// check the file was not replaced without hashing.
    head: Vec<u8>,
    handle: Option<File>,
    framer: LineFramer,
    /// Last time bytes were read (or the file was first seen).
    last_growth: Instant,
    /// Set when the globs stopped finding this inode.
    rotated_since: Option<Instant>,
    /// A read error was logged (log once per file).
    warned: bool,
}

/// A file known from a checkpoint or tracked before, not followed now.
#[derive(Debug, Clone)]
struct DormantFile {
    path: PathBuf,
    dev: u64,
    inode: u64,
    fingerprint: Fingerprint,
    /// The bytes `fingerprint` covers; empty when loaded from a checkpoint.
    head: Vec<u8>,
    /// Where reading would resume: the read offset when it was tracked in
    /// this run, the acknowledged offset when it came from the checkpoint.
    resume_offset: u64,
}

/// The pipeline dropped its receiver: nothing more can be delivered.
struct ChannelClosed;

/// What reading one file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    /// Nothing new.
    Idle,
    /// Read up to the end of the file.
    Read,
    /// Something is left (read budget spent, content replaced): read it
    /// again in the next pass.
    More,
}

/// What a `stat` says of a tracked file.
enum Observation {
    Unchanged,
    Grew,
    Shrank,
    /// The path no longer leads to the closed file.
    Lost,
    /// Could not stat: retry on the next pass.
    Failed,
}

impl FileTailer {
    /// Checks the options, compiles the globs and loads the checkpoints at
    /// `checkpoint_path`. The handle is for the pipeline's acks.
    pub fn new(
        source_id: &str,
        opts: TailerOptions,
        checkpoint_path: PathBuf,
    ) -> Result<(FileTailer, CheckpointHandle), TailError> {
        opts.validate()?;
        let discovery = FileDiscovery::new(&opts.include, &opts.exclude)?;
        let checkpoints = CheckpointHandle::load(source_id, checkpoint_path)?;
        let dormant = checkpoints
            .snapshot()
            .into_iter()
            .map(|p| {
                let file = DormantFile {
                    path: p.path,
                    dev: p.dev,
                    inode: p.inode,
                    fingerprint: p.fingerprint,
                    head: Vec::new(),
                    resume_offset: p.acked_offset,
                };
                (p.file, file)
            })
            .collect();
        let batch = FramedLines::new(opts.max_batch_lines, opts.max_batch_bytes);
        let tailer = FileTailer {
            source_id: source_id.to_string(),
            opts,
            discovery,
            checkpoints: checkpoints.clone(),
            files: HashMap::new(),
            by_inode: HashMap::new(),
            dormant,
            deferred: HashMap::new(),
            unreadable: HashSet::new(),
            buf: vec![0; READ_CHUNK_BYTES],
            batch,
            pending: None,
            to_check: BTreeSet::new(),
            by_path: None,
            poll_due: true,
            last_persist_warning: None,
        };
        Ok((tailer, checkpoints))
    }

    /// Tails until `shutdown` fires or `out` is closed, then writes the
    /// checkpoint file one last time. Lines sent but not acknowledged are
    /// read again by the next run.
    pub async fn run(
        self,
        out: mpsc::Sender<LineBatch>,
        shutdown: Shutdown,
    ) -> Result<(), TailError> {
        let span = tracing::info_span!("source", source = %self.source_id);
        self.run_loop(out, shutdown).instrument(span).await
    }

    async fn run_loop(
        mut self,
        out: mpsc::Sender<LineBatch>,
        mut shutdown: Shutdown,
    ) -> Result<(), TailError> {
        let signal = Arc::new(WakeSignal::default());
        let mut watcher = ChangeWatcher::new(self.opts.use_notify, signal.clone());
        let roots = self.discovery.watch_roots();
        watcher.watch(&roots);
        tracing::debug!(notify = watcher.is_active(), "Tailing files.");
        let mut startup = true;
        let mut next_glob = Instant::now();
        let mut next_poll = Instant::now();
        let mut next_idle_check = Instant::now();
        let mut next_persist = Instant::now() + self.opts.checkpoint_interval;
        let mut last_pass = Instant::now();
        loop {
            if shutdown.is_requested() {
                break;
            }
            let now = Instant::now();
            if startup || now >= next_glob || signal.take_rescan() {
                self.discover(startup);
                startup = false;
                watcher.watch(&roots);
                next_glob = now + self.opts.glob_interval;
            }
            // A poll checks every file; in between, only the files the
            // watcher named (without a watcher every pass is a poll).
            let changed = signal.take_changed();
            if now >= next_poll
                || self.poll_due
                || changed.all
                || !watcher.is_active()
                || self.opts.stop_at_end
            {
                self.to_check.extend(self.files.keys().copied());
                self.poll_due = false;
                next_poll = now + self.opts.poll_interval;
            } else {
                self.queue_changed(changed.paths);
            }
            let mut progressed = false;
            if self.pending.is_none() {
                last_pass = Instant::now();
                match self.read_pass(&out) {
                    Ok(read) => progressed = read,
                    Err(ChannelClosed) => {
                        tracing::info!("The pipeline closed its channel; stopping.");
                        break;
                    }
                }
            }
            if self.opts.stop_at_end && !progressed && self.read_to_end() {
                tracing::debug!("Every file is read to its end; stopping (--once).");
                break;
            }
            // Scanning every file for idleness once a second is plenty
            // (`idle_close_after` is minutes); every pass would make each
            // wake-up cost as much as the number of files.
            if Instant::now() >= next_idle_check {
                self.close_idle_files(Instant::now());
                next_idle_check = Instant::now() + IDLE_CHECK_INTERVAL;
            }
            if Instant::now() >= next_persist {
                self.save_checkpoints();
                next_persist = Instant::now() + self.opts.checkpoint_interval;
            }
            if progressed && self.pending.is_none() {
                tokio::task::yield_now().await;
                continue;
            }
            let wake_at = next_poll.min(next_glob).min(next_persist);
            tokio::select! {
                biased;
                _ = shutdown.recv() => break,
                permit = out.reserve(), if self.pending.is_some() => match permit {
                    Ok(permit) => {
                        if let Some(batch) = self.pending.take() {
                            permit.send(batch);
                        }
                    }
                    Err(_) => {
                        tracing::info!("The pipeline closed its channel; stopping.");
                        break;
                    }
                },
                _ = signal.changed() => {
                    // Changes coming faster than `min_read_interval` are
                    // read together; one after a quiet spell at once.
                    let next_pass = last_pass + self.opts.min_read_interval;
                    if Instant::now() < next_pass {
                        tokio::select! {
                            biased;
                            _ = shutdown.recv() => break,
                            _ = tokio::time::sleep_until(next_pass.into()) => {}
                        }
                    }
                }
                _ = tokio::time::sleep_until(wake_at.into()) => {}
            }
        }
        self.refresh_checkpoint_book();
        self.checkpoints.persist()
    }

    /// True when nothing waits to be handed over and no decision or
    /// partial line is outstanding: a pass that read nothing then means
    /// every file is at its end.
    fn read_to_end(&self) -> bool {
        self.pending.is_none()
            && self.batch.is_empty()
            && self.deferred.is_empty()
            && self.files.values().all(|f| !f.framer.has_partial())
    }

    // ---- discovery and identity ------------------------------------------

    fn discover(&mut self, startup: bool) {
        let now = Instant::now();
        let mut seen_inodes = HashSet::new();
        for path in self.discovery.discover() {
            let Ok(meta) = fs::metadata(&path) else {
                continue; // Gone since the expansion.
            };
            let key = (meta.dev(), meta.ino());
            seen_inodes.insert(key);
            if let Some(&id) = self.by_inode.get(&key) {
                if let Some(file) = self.files.get_mut(&id) {
                    file.rotated_since = None;
                    if file.path != path {
                        tracing::debug!(file = %id, from = %file.path.display(), to = %path.display(), "File was renamed.");
                        file.path = path;
                        let position = file.position();
                        self.checkpoints.record(position);
                        self.by_path = None;
                    }
                }
                continue;
            }
            if let Some(id) = self.adopt(path, startup, now) {
                // The opened inode, should the path have changed since `stat`.
                if let Some(file) = self.files.get(&id) {
                    seen_inodes.insert((file.dev, file.inode));
                }
            }
        }
        for (id, file) in &mut self.files {
            // By inode: an id may have been replaced during this expansion.
            if !seen_inodes.contains(&(file.dev, file.inode)) && file.rotated_since.is_none() {
                tracing::debug!(file = %id, path = %file.path.display(), "File left the include globs; draining it.");
                file.rotated_since = Some(now);
            }
        }
        self.deferred.retain(|key, _| seen_inodes.contains(key));
    }

    /// Starts tracking a file the globs found and no tracked file has the
    /// inode of. Returns its id, or `None` when it cannot be opened or the
    /// decision is deferred.
    fn adopt(&mut self, path: PathBuf, startup: bool, now: Instant) -> Option<FileId> {
        let opened = File::open(&path).and_then(|file| {
            let meta = file.metadata()?;
            Ok((file, meta))
        });
        let (file, meta) = match opened {
            Ok(opened) => opened,
            Err(error) => {
                if self.unreadable.insert(path.clone()) {
                    tracing::warn!(path = %path.display(), %error, "Cannot open a file the include globs select; retrying on each expansion.");
                }
                return None;
            }
        };
        self.unreadable.remove(&path);
        if !meta.is_file() {
            return None;
        }
        let key = (meta.dev(), meta.ino());
        if let Some(&id) = self.by_inode.get(&key) {
            return Some(id); // Raced with a rename between stat and open.
        }
        let len = meta.len();
        let head = match read_head(&file, len, self.opts.fingerprint_bytes) {
            Ok(head) => head,
            Err(error) => {
                tracing::debug!(path = %path.display(), %error, "Cannot read the first bytes of a file; retrying later.");
                return None;
            }
        };
        let mut prefix = PrefixChecksums::new(&head);
        let fingerprint = Fingerprint::of_bytes(&head);

        // 1. The same inode as a known file, with the same first bytes.
        let same_inode = self.dormant.iter().find(|(_, d)| {
            (d.dev, d.inode) == key && prefix.matches(&d.fingerprint) && d.resume_offset <= len
        });
        // 2. The same content as a known file: a copy (copytruncate) or a
        //    file moved while we were not running.
        let candidate = same_inode.map(|(id, _)| *id).or_else(|| {
            self.dormant
                .iter()
                .filter(|(_, d)| {
                    d.fingerprint.identifies_content()
                        && d.resume_offset <= len
                        && prefix.matches(&d.fingerprint)
                })
                .max_by_key(|(_, d)| d.resume_offset)
                .map(|(id, _)| *id)
        });
        if let Some(id) = candidate {
            return Some(self.resume(id, path, file, key, head, now));
        }

        // 3. The same content as a tracked file with another inode.
        let original = self
            .files
            .values()
            .find(|f| f.fingerprint.identifies_content() && prefix.matches(&f.fingerprint))
            .map(|f| f.id);
        if let Some(original) = original {
            if self.was_replaced(original) {
                let resume_at = self.files.get(&original).map(|f| f.framer.line_start());
                self.replace_content(original, now);
                if resume_at.is_some_and(|offset| offset <= len) {
                    return Some(self.resume(original, path, file, key, head, now));
                }
            } else if self.keep_deferring(key, now) {
                tracing::debug!(path = %path.display(), original = %original, "File starts like a tracked file; deciding later.");
                return None;
            } else {
                tracing::debug!(path = %path.display(), original = %original, "File starts like a tracked file that was not truncated; reading it as a new file.");
            }
        } else if self.looks_like_copy_in_progress(&head, len, &mut prefix)
            && self.keep_deferring(key, now)
        {
            tracing::debug!(path = %path.display(), "File may be a copy still being written; deciding later.");
            return None;
        }
        self.deferred.remove(&key);

        // 4. A new file.
        let offset = if startup && self.opts.start_at == StartAt::End {
            end_of_last_line(&file, len)
        } else {
            0
        };
        let id = self.unused_id(key, &fingerprint);
        tracing::info!(path = %path.display(), file = %id, offset, "Found a new file to tail.");
        let tracked = TrackedFile {
            id,
            path,
            dev: key.0,
            inode: key.1,
            fingerprint,
            head,
            handle: None,
            framer: LineFramer::new(offset, self.opts.max_line_bytes),
            last_growth: now,
            rotated_since: None,
            warned: false,
        };
        self.checkpoints.record(FilePosition {
            acked_offset: offset,
            ..tracked.position()
        });
        self.track(tracked, file);
        Some(id)
    }

    /// Follows a dormant file again at `path` (same file or its copy).
    fn resume(
        &mut self,
        id: FileId,
        path: PathBuf,
        file: File,
        key: (u64, u64),
        head: Vec<u8>,
        now: Instant,
    ) -> FileId {
        let Some(dormant) = self.dormant.remove(&id) else {
            return id;
        };
        if (dormant.dev, dormant.inode) == key {
            tracing::debug!(path = %path.display(), file = %id, offset = dormant.resume_offset, "Resuming a known file.");
        } else {
            tracing::info!(path = %path.display(), file = %id, was = %dormant.path.display(), offset = dormant.resume_offset, "Recognised a copy of a known file; reading only what follows the known offset.");
        }
        self.deferred.remove(&key);
        let tracked = TrackedFile {
            id,
            path,
            dev: key.0,
            inode: key.1,
            fingerprint: Fingerprint::of_bytes(&head),
            head,
            handle: None,
            framer: LineFramer::new(dormant.resume_offset, self.opts.max_line_bytes),
            last_growth: now,
            rotated_since: None,
            warned: false,
        };
        self.checkpoints.record(FilePosition {
            acked_offset: dormant.resume_offset,
            ..tracked.position()
        });
        self.track(tracked, file);
        id
    }

    fn track(&mut self, mut tracked: TrackedFile, file: File) {
        if self.open_count() < self.opts.max_open_files {
            tracked.handle = Some(file);
        }
        self.by_inode
            .insert((tracked.dev, tracked.inode), tracked.id);
        self.files.insert(tracked.id, tracked);
        self.files_changed();
    }

    /// Files were added, removed or renamed: the path index is stale, and
    /// the next pass checks every file (a new id has not been read yet).
    fn files_changed(&mut self) {
        self.by_path = None;
        self.poll_due = true;
    }

    /// Queues the tracked files at `paths` (named by the watcher). Files
    /// being drained after leaving the globs are not named (their new path
    /// is not known): polls read them.
    fn queue_changed(&mut self, paths: HashSet<PathBuf>) {
        let files = &self.files;
        // Notifications name absolute paths (the watched directory joined
        // with the file name); the globs may have given relative ones.
        let by_path = self.by_path.get_or_insert_with(|| {
            files
                .values()
                .map(|file| {
                    let path =
                        std::path::absolute(&file.path).unwrap_or_else(|_| file.path.clone());
                    (path, file.id)
                })
                .collect()
        });
        self.to_check
            .extend(paths.iter().filter_map(|path| by_path.get(path).copied()));
    }

    /// A fresh id for a file first seen with `key` and `fingerprint`.
    fn unused_id(&self, key: (u64, u64), fingerprint: &Fingerprint) -> FileId {
        let mut salt = 0;
        loop {
            let id = FileId::derive(key.0, key.1, fingerprint, salt);
            if !self.files.contains_key(&id) && !self.dormant.contains_key(&id) {
                return id;
            }
            salt += 1;
        }
    }

    /// Defers the decision on a new file for up to one `glob_interval`
    /// (at least two polls) after it was first deferred; false once that is
    /// over.
    fn keep_deferring(&mut self, key: (u64, u64), now: Instant) -> bool {
        // At least a second: logrotate truncates right after copying, but
        // on a loaded host the truncation can land a few hundred ms later,
        // and deciding too early ships the whole copy again.
        let window = self
            .opts
            .glob_interval
            .max(2 * self.opts.poll_interval)
            .max(MIN_COPY_DECISION_WINDOW);
        let first = *self.deferred.entry(key).or_insert(now);
        now.saturating_duration_since(first) < window
    }

    /// True when a new file looks like a copy of a known file that is still
    /// being written: its bytes are a strict prefix of a known file's first
    /// bytes, or it has a known file's first bytes but is shorter than what
    /// was read of that file. Read at once, it would be mistaken for a new
    /// file and shipped again.
    fn looks_like_copy_in_progress(
        &self,
        head: &[u8],
        len: u64,
        prefix: &mut PrefixChecksums<'_>,
    ) -> bool {
        let known = self
            .files
            .values()
            .map(|f| (&f.head, &f.fingerprint, f.framer.line_start()))
            .chain(
                self.dormant
                    .values()
                    .map(|d| (&d.head, &d.fingerprint, d.resume_offset)),
            );
        for (known_head, fingerprint, read_to) in known {
            if known_head.len() > head.len() && known_head.starts_with(head) {
                return true;
            }
            if fingerprint.identifies_content() && read_to > len && prefix.matches(fingerprint) {
                return true;
            }
        }
        false
    }

    /// True when the tracked file shrank below its read offset or its first
    /// bytes changed.
    fn was_replaced(&mut self, id: FileId) -> bool {
        let Some(tracked) = self.files.get_mut(&id) else {
            return false;
        };
        if tracked.reopen_checked().is_none() {
            return false;
        }
        let Some(handle) = tracked.handle.as_ref() else {
            return false;
        };
        match handle.metadata() {
            Ok(meta) if meta.len() < tracked.framer.next_offset() => true,
            Ok(_) => !starts_with(handle, &tracked.head).unwrap_or(true),
            Err(_) => false,
        }
    }

    /// The tracked file's content was truncated or replaced: keep its old
    /// identity dormant (a copy may claim it) and read the inode again from
    /// offset 0 under a new id.
    fn replace_content(&mut self, id: FileId, now: Instant) {
        let Some(mut old) = self.files.remove(&id) else {
            return;
        };
        self.files_changed();
        self.by_inode.remove(&(old.dev, old.inode));
        tracing::info!(path = %old.path.display(), file = %id, "File was truncated or replaced; reading it again from the start.");
        let handle = old
            .reopen_checked()
            .is_some()
            .then(|| old.handle.take())
            .flatten();
        self.dormant.insert(id, old.to_dormant());
        let Some(handle) = handle else {
            return; // Found again, if it still exists, by the next expansion.
        };
        let len = handle.metadata().map(|m| m.len()).unwrap_or(0);
        let head = read_head(&handle, len, self.opts.fingerprint_bytes).unwrap_or_default();
        let fingerprint = Fingerprint::of_bytes(&head);
        let key = (old.dev, old.inode);
        let new_id = self.unused_id(key, &fingerprint);
        let tracked = TrackedFile {
            id: new_id,
            path: old.path,
            dev: old.dev,
            inode: old.inode,
            fingerprint,
            head,
            handle: None,
            framer: LineFramer::new(0, self.opts.max_line_bytes),
            last_growth: now,
            rotated_since: old.rotated_since,
            warned: false,
        };
        self.checkpoints.record(FilePosition {
            acked_offset: 0,
            ..tracked.position()
        });
        self.track(tracked, handle);
    }

    /// Stops following a file; it stays known (dormant) until forgotten.
    fn release(&mut self, id: FileId) {
        if let Some(old) = self.files.remove(&id) {
            self.files_changed();
            tracing::debug!(path = %old.path.display(), file = %id, "Released a file.");
            self.by_inode.remove(&(old.dev, old.inode));
            self.dormant.insert(id, old.to_dormant());
        }
    }

    // ---- reading ----------------------------------------------------------

    /// Reads the files in `to_check`, in id order, until the channel is
    /// full (then one batch waits in `pending`, reading pauses and the
    /// files not read yet stay queued). Files with more to read stay queued
    /// too. True when something was read.
    fn read_pass(&mut self, out: &mpsc::Sender<LineBatch>) -> Result<bool, ChannelClosed> {
        let mut progressed = false;
        let mut again = Vec::new();
        while let Some(id) = self.to_check.pop_first() {
            let visit = self.read_file(id, out)?;
            progressed |= visit != Visit::Idle;
            if self.pending.is_some() {
                self.to_check.insert(id); // Interrupted: more to read.
                break;
            }
            if visit == Visit::More {
                again.push(id);
            }
        }
        self.to_check.extend(again);
        Ok(progressed)
    }

    /// Reads what is new in one file.
    fn read_file(
        &mut self,
        id: FileId,
        out: &mpsc::Sender<LineBatch>,
    ) -> Result<Visit, ChannelClosed> {
        let now = Instant::now();
        let observation = match self.files.get_mut(&id) {
            Some(tracked) => tracked.observe(),
            None => return Ok(Visit::Idle),
        };
        match observation {
            Observation::Failed => Ok(Visit::Idle),
            Observation::Lost => {
                self.release(id);
                Ok(Visit::Idle)
            }
            Observation::Shrank => {
                // The new id is read by the next pass (a poll).
                self.replace_content(id, now);
                Ok(Visit::Read)
            }
            Observation::Grew => self.read_appended(id, now, out),
            Observation::Unchanged => self.handle_quiet(id, now, out),
        }
    }

    fn read_appended(
        &mut self,
        id: FileId,
        now: Instant,
        out: &mpsc::Sender<LineBatch>,
    ) -> Result<Visit, ChannelClosed> {
        self.make_room_for_one_more(id);
        let fingerprint_bytes = self.opts.fingerprint_bytes;
        let Some(tracked) = self.files.get_mut(&id) else {
            return Ok(Visit::Idle);
        };
        if tracked.reopen_checked().is_none() {
            self.release(id);
            return Ok(Visit::Idle);
        }
        match tracked.check_and_extend_fingerprint(fingerprint_bytes) {
            Ok(true) => {
                let position = tracked.position();
                self.checkpoints.record(position);
            }
            Ok(false) => {}
            Err(Replaced) => {
                self.replace_content(id, now);
                return Ok(Visit::Read); // The new id is read by the next pass (a poll).
            }
        }
        let Self {
            files,
            buf,
            batch,
            pending,
            ..
        } = self;
        let Some(tracked) = files.get_mut(&id) else {
            return Ok(Visit::Idle);
        };
        let Some(handle) = tracked.handle.as_ref() else {
            return Ok(Visit::Idle);
        };
        let mut read_total = 0u64;
        let mut replaced = false;
        'reading: while read_total < READ_BUDGET_BYTES {
            let offset = tracked.framer.next_offset();
            let n = match handle.read_at(buf, offset) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    if !tracked.warned {
                        tracked.warned = true;
                        tracing::warn!(path = %tracked.path.display(), %error, "Cannot read a file; retrying on each poll.");
                    }
                    break;
                }
            };
            // The check before the loop does not cover these bytes: the file
            // may have been truncated and rewritten past our offset since
            // (copytruncate, then a burst of writes). Framed, they would be
            // fragments of the new content shipped as the old file's lines,
            // and the offset the copy resumes at would skip lines of the
            // old content. So check the first bytes again after each read
            // and drop the chunk if they changed.
            if !starts_with(handle, &tracked.head).unwrap_or(true) {
                replaced = true;
                break;
            }
            read_total += n as u64;
            let mut consumed = 0;
            while consumed < n {
                consumed += tracked.framer.push(&buf[consumed..n], batch);
                if batch.is_full() && !offer(batch, tracked, out, pending)? {
                    // Channel full: what was not framed is read again later
                    // (reads are by offset).
                    break 'reading;
                }
            }
        }
        if !batch.is_empty() {
            offer(batch, tracked, out, pending)?;
        }
        if read_total > 0 {
            tracked.last_growth = now;
        }
        if replaced {
            self.replace_content(id, now);
            return Ok(Visit::Read); // The new id is read by the next pass (a poll).
        }
        Ok(if read_total >= READ_BUDGET_BYTES {
            Visit::More
        } else if read_total > 0 {
            Visit::Read
        } else {
            Visit::Idle
        })
    }

    /// Nothing new: flush a waiting partial line after `flush_partial_after`,
    /// release a rotated file after `rotated_grace`.
    fn handle_quiet(
        &mut self,
        id: FileId,
        now: Instant,
        out: &mpsc::Sender<LineBatch>,
    ) -> Result<Visit, ChannelClosed> {
        let (flush_after, grace) = (self.opts.flush_partial_after, self.opts.rotated_grace);
        let Some(tracked) = self.files.get_mut(&id) else {
            return Ok(Visit::Idle);
        };
        let quiet_for = now.saturating_duration_since(tracked.last_growth);
        let release = tracked.rotated_since.is_some() && quiet_for >= grace;
        if tracked.framer.has_partial()
            && (quiet_for >= flush_after || release)
            && tracked.is_still_same_file()
            && tracked.framer.flush_partial(&mut self.batch)
        {
            offer(&mut self.batch, tracked, out, &mut self.pending)?;
        }
        if release {
            self.release(id);
        }
        Ok(Visit::Idle)
    }

    // ---- descriptors and checkpoints --------------------------------------

    fn open_count(&self) -> usize {
        self.files.values().filter(|f| f.handle.is_some()).count()
    }

    /// Closes the least recently grown descriptor if `id` would need one
    /// beyond `max_open_files`.
    fn make_room_for_one_more(&mut self, id: FileId) {
        let needs = self.files.get(&id).is_some_and(|f| f.handle.is_none());
        if !needs || self.open_count() < self.opts.max_open_files {
            return;
        }
        let oldest = self
            .files
            .values_mut()
            .filter(|f| f.handle.is_some() && f.rotated_since.is_none())
            .min_by_key(|f| f.last_growth);
        if let Some(file) = oldest {
            file.handle = None;
        }
    }

    fn close_idle_files(&mut self, now: Instant) {
        let idle = self.opts.idle_close_after;
        for file in self.files.values_mut() {
            if file.handle.is_some()
                && file.rotated_since.is_none()
                && now.saturating_duration_since(file.last_growth) >= idle
            {
                file.handle = None;
            }
        }
    }

    /// Refreshes `last_seen` of tracked files and forgets stale entries.
    fn refresh_checkpoint_book(&mut self) {
        let live: HashSet<FileId> = self.files.keys().copied().collect();
        let now = unix_now();
        self.checkpoints.touch(&live, now);
        let forgotten = self.checkpoints.forget_stale(
            &live,
            now,
            self.opts.forget_after.as_secs(),
            self.opts.max_checkpoints,
        );
        for id in forgotten {
            self.dormant.remove(&id);
        }
    }

    fn save_checkpoints(&mut self) {
        self.refresh_checkpoint_book();
        if let Err(error) = self.checkpoints.persist() {
            let due = self
                .last_persist_warning
                .is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
            if due {
                self.last_persist_warning = Some(Instant::now());
                tracing::warn!(%error, "Cannot save file positions; a restart would read acknowledged lines again.");
            }
        }
    }
}

/// The file's first bytes changed: it was replaced.
struct Replaced;

impl TrackedFile {
    fn position(&self) -> FilePosition {
        FilePosition {
            file: self.id,
            path: self.path.clone(),
            dev: self.dev,
            inode: self.inode,
            fingerprint: self.fingerprint,
            acked_offset: 0,
            last_seen: unix_now(),
        }
    }

    fn to_dormant(&self) -> DormantFile {
        DormantFile {
            path: self.path.clone(),
            dev: self.dev,
            inode: self.inode,
            fingerprint: self.fingerprint,
            head: self.head.clone(),
            resume_offset: self.framer.line_start(),
        }
    }

    fn observe(&mut self) -> Observation {
        let meta = match &self.handle {
            Some(handle) => handle.metadata(),
            None => fs::metadata(&self.path),
        };
        let meta = match meta {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Observation::Lost,
            Err(_) => return Observation::Failed,
        };
        if self.handle.is_none() && (meta.dev(), meta.ino()) != (self.dev, self.inode) {
            return Observation::Lost;
        }
        let next = self.framer.next_offset();
        match meta.len() {
            len if len < next => Observation::Shrank,
            len if len > next => Observation::Grew,
            _ => Observation::Unchanged,
        }
    }

    /// The open descriptor, reopening by path when closed (only if the path
    /// still leads to the same device + inode).
    fn reopen_checked(&mut self) -> Option<&File> {
        if self.handle.is_none() {
            let file = File::open(&self.path).ok()?;
            let meta = file.metadata().ok()?;
            if (meta.dev(), meta.ino()) != (self.dev, self.inode) {
                return None;
            }
            self.handle = Some(file);
        }
        self.handle.as_ref()
    }

    /// True when the path or descriptor still holds the content we read.
    fn is_still_same_file(&mut self) -> bool {
        if self.reopen_checked().is_none() {
            return false;
        }
        match &self.handle {
            Some(handle) => starts_with(handle, &self.head).unwrap_or(false),
            None => false,
        }
    }

    /// Checks the covered first bytes are unchanged and, while the file is
    /// shorter than `max_bytes`, extends the fingerprint over what it has
    /// now. Ok(true) when the fingerprint grew.
    fn check_and_extend_fingerprint(&mut self, max_bytes: usize) -> Result<bool, Replaced> {
        let Some(handle) = self.handle.as_ref() else {
            return Ok(false);
        };
        if !starts_with(handle, &self.head).unwrap_or(true) {
            return Err(Replaced);
        }
        if self.fingerprint.len >= max_bytes as u64 {
            return Ok(false);
        }
        let len = handle.metadata().map(|m| m.len()).unwrap_or(0);
        let covered = self.fingerprint.len as usize;
        match read_head(handle, len, max_bytes) {
            // Read after the check above: the file may have been replaced
            // in between, so the covered bytes are checked again here.
            Ok(head)
                if head.len() > covered
                    && Fingerprint::of_bytes(&head[..covered]) != self.fingerprint =>
            {
                Err(Replaced)
            }
            Ok(head) if head.len() > covered => {
                self.fingerprint = Fingerprint::of_bytes(&head);
                self.head = head;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Hands the framed lines to the pipeline without waiting: true when the
/// channel took them; false when it is full, and the batch now waits in
/// `pending` (sent first, by the main loop, when there is room).
fn offer(
    batch: &mut FramedLines,
    tracked: &TrackedFile,
    out: &mpsc::Sender<LineBatch>,
    pending: &mut Option<LineBatch>,
) -> Result<bool, ChannelClosed> {
    let (lines, end_offset) = batch.take();
    let line_batch = LineBatch {
        file: tracked.id,
        path: tracked.path.clone(),
        lines,
        end_offset,
    };
    match out.try_send(line_batch) {
        Ok(()) => Ok(true),
        Err(mpsc::error::TrySendError::Full(line_batch)) => {
            *pending = Some(line_batch);
            Ok(false)
        }
        Err(mpsc::error::TrySendError::Closed(_)) => Err(ChannelClosed),
    }
}

/// Checksums of prefixes of one file's first bytes, computed once per length.
struct PrefixChecksums<'a> {
    head: &'a [u8],
    by_len: HashMap<u64, Fingerprint>,
}

impl<'a> PrefixChecksums<'a> {
    fn new(head: &'a [u8]) -> Self {
        PrefixChecksums {
            head,
            by_len: HashMap::new(),
        }
    }

    /// True when the file starts with the bytes `known` covers.
    fn matches(&mut self, known: &Fingerprint) -> bool {
        let Ok(len) = usize::try_from(known.len) else {
            return false;
        };
        if len > self.head.len() {
            return false;
        }
        let head = self.head;
        *self
            .by_len
            .entry(known.len)
            .or_insert_with(|| Fingerprint::of_bytes(&head[..len]))
            == *known
    }
}

/// True when `file` still starts with `head`, the bytes a tracked file's
/// fingerprint covers (`TrackedFile::head`): the same answer as
/// `Fingerprint::matches`, by comparing the bytes instead of hashing them
/// (this runs after every read of every file).
fn starts_with(file: &File, head: &[u8]) -> io::Result<bool> {
    let now = read_head(file, head.len() as u64, head.len())?;
    Ok(now == head)
}

fn read_head(file: &File, len: u64, max_bytes: usize) -> io::Result<Vec<u8>> {
    let want = len.min(max_bytes as u64) as usize;
    let mut head = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        match file.read_at(&mut head[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    head.truncate(filled);
    Ok(head)
}

/// Offset just after the last `\n` within the last 64 KiB of the file, so
/// `start_at = end` never starts in the middle of a line; the file's length
/// when there is none there.
fn end_of_last_line(file: &File, len: u64) -> u64 {
    let start = len.saturating_sub(READ_CHUNK_BYTES as u64);
    let mut tail = vec![0u8; (len - start) as usize];
    match file.read_at(&mut tail, start) {
        Ok(n) => match tail[..n].iter().rposition(|&b| b == b'\n') {
            Some(i) => start + i as u64 + 1,
            None if start == 0 && n as u64 == len && len > 0 => 0,
            None => len,
        },
        Err(_) => len,
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
