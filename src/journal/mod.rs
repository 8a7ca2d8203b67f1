//! The durable journal: an append-only, bounded, crash-safe log of opaque
//! records on local disk, shared by every sink.
//!
//! Sources append (an append resolves only once its records are fsynced);
//! each sink reads through its own [`JournalCursor`] and acknowledges what it
//! delivered; segments every cursor has acknowledged are deleted. The journal
//! knows nothing of event semantics: a record is a `u64` seq and bytes. It
//! only threads a 32-byte [`Link`] from record to record for the caller's
//! hash chain (`writer.rs`), resumed at open from the newest record through
//! `JournalOptions::link_of_payload`.
//!
//! # On disk
//!
//! ```text
//! DIR/                                  (0700; the pipeline uses data_dir/journal/)
//!   lock                                flock'ed by the one process using DIR
//!   00000000000000000001.seg            segments (0600), named by the seq of
//!   00000000000000004097.seg            their first record, 20 digits
//!   cursors/NAME                        acknowledged position of cursor NAME,
//!                                       decimal text ("4120\n"): next seq to deliver
//!   head                                seq and chain link of the record before the
//!                                       newest segment ("4096 HEX\n", `head.rs`)
//! QUARANTINE/SEGMENTSEQ-at-OFFSET.bad   corrupt bytes cut out of a segment
//! ```
//!
//! A segment is a plain concatenation of frames (`record.rs`):
//!
//! ```text
//! magic A7 4A 52 1C | len u32 LE | crc32c(len ‖ seq ‖ payload) u32 LE | seq u64 LE | payload
//! ```
//!
//! Seqs start at 1, grow by one per record and are never reused, also across
//! restarts: the newest segment is never deleted, and when empty its name is
//! the next seq. A gap appears only where corrupt records were quarantined.
//!
//! # Who writes, who deletes
//!
//! | what | written by | deleted by |
//! | --- | --- | --- |
//! | newest segment | the writer thread only (`writer.rs`), appends + `sync_data` | never |
//! | older segments | nobody (immutable once rolled; recovery may rewrite one to drop corrupt bytes) | `commit`/`release_cursors_except`, or the writer reclaiming space, once every cursor's acked position is past the segment's last record |
//! | `head` | the writer thread, at every roll, before creating the new segment (temp, fsync, rename, fsync dir) | never (overwritten) |
//! | `cursors/NAME` | `JournalCursor::commit` / first `open_cursor` (temp, fsync, rename, fsync dir) | `release_cursors_except` |
//! | quarantine files | recovery and readers (same name for the same bytes) | the operator |
//!
//! With no cursor registered nothing is deleted (appends then wait once the
//! journal is full): the journal never throws away records no sink has seen.
//!
//! # Files
//!
//! - `handle.rs`: [`Journal`] (open, lock, stats, close), shared state, retention.
//! - `writer.rs`: the writer thread: group commit rule, rolling, byte limit.
//! - `cursor.rs`: [`JournalCursor`] and cursor files.
//! - `record.rs`: frame layout. `scan.rs`: streaming scan with resync.
//! - `head.rs`: the link before the newest segment (the chain across an empty journal).
//! - `segment.rs`: names, listing, file modes, fsync of directories.
//! - `recovery.rs`: repair at open, quarantine.
//! - `inspect.rs`: read-only views for other processes.
//! - `error.rs`: [`JournalError`].
//!
//! # Invariants
//!
//! - An append resolves `Ok` only after its bytes are `sync_data`'d, and
//!   readers never see a record before that (they read only up to each
//!   segment's durable length).
//! - Requests are framed in the order `append` was called.
//! - Bytes on disk stay within `max_bytes`, except that one group is always
//!   let into a journal holding no bytes.
//! - Memory is bounded by one group commit (about 1 MiB plus the largest
//!   request), one read window per reader (256 KiB) and the batches asked
//!   for; never by the journal's size. Open scans every segment once,
//!   streaming.
//! - A bad record never stops the journal: it is truncated (torn tail of the
//!   newest segment) or quarantined, and reading carries on past it.
//! - No `unsafe`; blocking file I/O happens on the writer thread or in
//!   `read_batch`/`commit`, which callers run with `spawn_blocking`.

mod cursor;
mod error;
mod handle;
mod head;
mod inspect;
mod record;
mod recovery;
mod scan;
mod segment;
mod writer;

pub use cursor::{CursorCommit, JournalCursor, JournalReader};
pub use error::JournalError;
pub use handle::{Backlog, Journal, JournalOptions, JournalStats};
pub use inspect::{inspect, read_record_at, CursorInspection, JournalInspection};
pub use record::Record;
pub use recovery::RecoveryReport;
pub use writer::{EncodeBatch, Link, RecordWriter, SeqRange};

#[cfg(test)]
pub(crate) mod fixtures;
