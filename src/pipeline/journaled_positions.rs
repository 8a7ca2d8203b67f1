//! Where each file source's lines already reached the journal, read from
//! the newest records' headers at start (see `journal_record`): a
//! checkpoint file saved before a crash can lag the journal, and these
//! positions keep the lines in between from being journaled twice.

use std::collections::HashMap;

use super::file_source::JournaledPositions;
use super::journal_record;
use crate::journal::Journal;

/// How many of the journal's newest records are scanned at start for file
/// positions. A checkpoint file lags the journal by at most the appends
/// since its last save (about a second of input), so this covers every
/// crash but a power loss during a very fast burst — which then repeats
/// lines, never loses them.
pub const TAIL_SCAN_RECORDS: u64 = 256 * 1024;

/// For each source, how far each of its files already reached the journal:
/// read from the headers of the newest records (see `journal_record`).
pub fn journaled_positions(journal: &Journal, window: u64) -> HashMap<String, JournaledPositions> {
    let mut positions: HashMap<String, JournaledPositions> = HashMap::new();
    let from = journal.stats().next_seq.saturating_sub(window).max(1);
    let mut reader = journal.reader_from(from);
    loop {
        let records = match reader.read_batch(4096, 4 * 1024 * 1024) {
            Ok(records) if !records.is_empty() => records,
            Ok(_) => break,
            Err(error) => {
                tracing::warn!(%error, "Could not scan the journal for file positions; lines since the last checkpoint may be journaled twice.");
                break;
            }
        };
        for record in &records {
            let Some(view) = journal_record::decode(&record.payload) else {
                continue;
            };
            if let Some(position) = view.position {
                let files = positions.entry(view.source_id.to_string()).or_default();
                let end = files.entry(position.file_id.to_string()).or_insert(0);
                *end = (*end).max(position.end_offset);
            }
        }
    }
    positions
}
