//! The notification outbox: a second, small [`Journal`] under
//! `data_dir/outbox/` (quarantine: `data_dir/outbox-quarantine/`).
//!
//! Why a journal: it already is crash safe (CRC-framed records, fsync
//! before an append resolves, torn tails repaired at open) and has
//! persistent cursors. Each record is one [`OutboxRecord`] (JSON): one
//! notification for one channel. Each channel reads the whole outbox
//! through its own cursor named after the channel id, skipping other
//! channels' records, and commits a record once it is delivered, refused
//! or expired — so delivery is in order per channel and survives
//! `kill -9`. Segments are deleted once every channel's cursor passed
//! them; cursors of channels no longer configured are released at start.
//!
//! Size: `MAX_BYTES`. When full, appends wait; the service's queue in
//! front of it then fills and further notifications are counted as
//! dropped (never blocking ingestion).

use std::path::Path;
use std::time::Duration;

use super::notification::OutboxRecord;
use crate::config::FsyncPolicy;
use crate::journal::{Journal, JournalCursor, JournalError, JournalOptions, RecordWriter};

/// Disk budget of the outbox.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The outbox of one agent.
#[derive(Clone, Debug)]
pub struct Outbox {
    journal: Journal,
}

impl Outbox {
    /// Opens (and recovers) the outbox; releases cursors of channels not in
    /// `channels`.
    pub fn open(data_dir: &Path, channels: &[&str]) -> Result<Outbox, JournalError> {
        let (journal, _report) = Journal::open(
            &data_dir.join("outbox"),
            &data_dir.join("outbox-quarantine"),
            JournalOptions {
                max_bytes: MAX_BYTES,
                segment_bytes: Some(4 * 1024 * 1024),
                fsync: FsyncPolicy::Batch,
                batch_interval: Duration::from_millis(5),
                // Notifications are not hash-chained.
                link_of_payload: None,
            },
        )?;
        for released in journal.release_cursors_except(channels)? {
            tracing::info!(channel = %released, "Released the outbox cursor of a channel no longer configured; its undelivered notifications are dropped.");
        }
        Ok(Outbox { journal })
    }

    /// The cursor of `channel` (created at the oldest record if new).
    pub fn cursor(&self, channel: &str) -> Result<JournalCursor, JournalError> {
        self.journal.open_cursor(channel)
    }

    /// Appends `records` durably (resolves after fsync).
    pub async fn append(&self, records: Vec<OutboxRecord>) -> Result<(), JournalError> {
        if records.is_empty() {
            // A schedule routed it to no channel: only `alert.fire` is kept.
            return Ok(());
        }
        let encoded: Vec<Vec<u8>> = records
            .iter()
            .map(|r| serde_json::to_vec(r).expect("an outbox record serializes"))
            .collect();
        self.journal
            .append(Box::new(move |writer: &mut RecordWriter<'_>| {
                for bytes in &encoded {
                    writer.push(bytes);
                }
            }))
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.journal.close().await;
    }
}
