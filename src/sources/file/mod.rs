//! The file source's engine: tail files selected by globs, frame lines,
//! hand batches to the pipeline, checkpoint acknowledged offsets.
//!
//! It knows nothing of configuration files or formats. The pipeline builds
//! [`TailerOptions`] from `[sources.ID]`, calls [`FileTailer::new`] (which
//! loads the checkpoints), spawns [`FileTailer::run`] with a bounded channel
//! and the shutdown signal, and calls [`CheckpointHandle::ack`] with each
//! [`LineBatch::end_offset`] once the batch's events are durable in the
//! journal.
//!
//! Promises:
//! - **No loss, few duplicates.** Only acknowledged offsets are written to
//!   the checkpoint file, so a restart (or a crash) resumes at the first line
//!   that might not be durable; at most the lines in flight are read again.
//!   Rotation by rename-and-create and by copytruncate, deletion while open
//!   and truncation are followed (see `tailer.rs`).
//! - **Stable positions.** A line is identified by [`FileId`] + offset;
//!   re-reading the same bytes yields the same pair (`fingerprint.rs`).
//! - **Bounded.** Memory per file is bounded by `max_line_bytes` (longer
//!   lines are cut, never buffered: `line_reader.rs`); descriptors by
//!   `max_open_files`; a full channel pauses reading.
//! - **One loop.** Thousands of files are tailed by one task; `notify`
//!   (inotify) wakes it early, polling is the fallback (`watcher.rs`).
//!
//! Files, one role each: `tailer.rs` the engine loop and file identity,
//! `line_reader.rs` framing, `fingerprint.rs` identity of content,
//! `checkpoint.rs` acked offsets and their file format, `discovery.rs` the
//! globs, `watcher.rs` change notification, `options.rs` the knobs,
//! `error.rs` the errors, `tests.rs` the engine's behaviour end to end.

mod checkpoint;
mod discovery;
mod error;
mod fingerprint;
mod line_reader;
mod options;
mod tailer;
mod watcher;

#[cfg(test)]
mod tests;

pub use checkpoint::{read_checkpoints, CheckpointHandle, FilePosition};
pub use error::TailError;
pub use fingerprint::{FileId, Fingerprint};
pub use line_reader::{Line, TOO_LONG_HEAD_BYTES};
pub use options::TailerOptions;
pub use tailer::{FileTailer, LineBatch};
