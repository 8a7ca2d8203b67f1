//! [`TailerOptions`]: every knob of the file tailing engine, with the
//! defaults an operator of Vector or Filebeat would expect. The engine knows
//! nothing of configuration files; the pipeline maps the `[sources.ID]`
//! table onto these options.

use std::time::Duration;

use crate::config::StartAt;

use super::error::TailError;

/// What to tail and how; see each field. [`TailerOptions::default`] gives the
/// documented defaults with no include pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct TailerOptions {
    /// Glob patterns of files to tail (`glob` crate syntax, `**` allowed).
    pub include: Vec<String>,
    /// Glob patterns matched against the full path or the file name.
    pub exclude: Vec<String>,
    /// Where to start in files present at startup that have no checkpoint.
    /// Files that appear after startup are always read from the beginning.
    pub start_at: StartAt,
    /// Longer lines are emitted once, cut, with [`super::Line::too_long`] set.
    pub max_line_bytes: usize,
    /// How often known files are checked when no change notification arrives.
    pub poll_interval: Duration,
    /// How often the include globs are expanded again to find new files.
    pub glob_interval: Duration,
    /// After a change notification, the next read pass waits until this
    /// long after the previous one: changes arriving faster are read
    /// together (see `tailer.rs`). Zero reads at every notification.
    pub min_read_interval: Duration,
    /// How many first bytes of a file identify its content.
    pub fingerprint_bytes: usize,
    /// Most lines in one [`super::LineBatch`].
    pub max_batch_lines: usize,
    /// Most line bytes in one [`super::LineBatch`] (a batch holds at least one
    /// line).
    pub max_batch_bytes: usize,
    /// Let inotify (`notify`) wake the loop early; polling runs regardless.
    pub use_notify: bool,
    /// A last line without `\n` is emitted once the file has not grown for
    /// this long (bytes appended later start a new line).
    pub flush_partial_after: Duration,
    /// A file that left the include globs (renamed away, deleted) stays open
    /// and is read until it has not grown for this long, then released.
    pub rotated_grace: Duration,
    /// Most descriptors held open; beyond it the least recently grown files
    /// are closed and reopened by path when they grow (same device + inode).
    pub max_open_files: usize,
    /// A file that has not grown for this long is closed (reopened by path).
    pub idle_close_after: Duration,
    /// Checkpoints of files not seen for this long are forgotten.
    pub forget_after: Duration,
    /// Most checkpoint entries kept; the longest unseen are forgotten first.
    pub max_checkpoints: usize,
    /// How often acknowledged offsets are written to the checkpoint file
    /// (only when they changed).
    pub checkpoint_interval: Duration,
    /// Backfill (`auditship run --once`): stop once every file found has
    /// been read to its end (a last line without `\n` included) and handed
    /// over, instead of waiting for more.
    pub stop_at_end: bool,
}

impl Default for TailerOptions {
    fn default() -> Self {
        TailerOptions {
            include: Vec::new(),
            exclude: Vec::new(),
            start_at: StartAt::Beginning,
            max_line_bytes: 1024 * 1024,
            poll_interval: Duration::from_millis(250),
            glob_interval: Duration::from_secs(1),
            min_read_interval: Duration::from_millis(10),
            fingerprint_bytes: 1024,
            max_batch_lines: 1024,
            max_batch_bytes: 1024 * 1024,
            use_notify: true,
            flush_partial_after: Duration::from_secs(2),
            rotated_grace: Duration::from_secs(5),
            max_open_files: 512,
            idle_close_after: Duration::from_secs(300),
            forget_after: Duration::from_secs(24 * 3600),
            max_checkpoints: 10_000,
            checkpoint_interval: Duration::from_secs(1),
            stop_at_end: false,
        }
    }
}

impl TailerOptions {
    /// Refuses values the engine cannot run with.
    pub(super) fn validate(&self) -> Result<(), TailError> {
        let positive = [
            ("max_line_bytes", self.max_line_bytes),
            ("fingerprint_bytes", self.fingerprint_bytes),
            ("max_batch_lines", self.max_batch_lines),
            ("max_batch_bytes", self.max_batch_bytes),
            ("max_open_files", self.max_open_files),
            ("max_checkpoints", self.max_checkpoints),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(TailError::InvalidOption {
                    name,
                    reason: "must be greater than zero".into(),
                });
            }
        }
        if self.poll_interval.is_zero() {
            return Err(TailError::InvalidOption {
                name: "poll_interval",
                reason: "must be longer than zero".into(),
            });
        }
        if self.include.is_empty() {
            return Err(TailError::InvalidOption {
                name: "include",
                reason: "needs at least one glob pattern".into(),
            });
        }
        Ok(())
    }
}
