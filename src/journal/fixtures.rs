//! Test fixtures shared by the journal's unit tests: temp journal
//! directories, options, deterministic payloads and small drivers.

use std::path::PathBuf;
use std::time::Duration;

use super::{
    EncodeBatch, Journal, JournalCursor, JournalOptions, Record, RecoveryReport, SeqRange,
};
use crate::config::FsyncPolicy;

/// A journal directory and its quarantine directory under one temp dir.
pub(crate) struct TempJournal {
    pub tmp: tempfile::TempDir,
}

impl TempJournal {
    pub(crate) fn new() -> Self {
        TempJournal {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub(crate) fn dir(&self) -> PathBuf {
        self.tmp.path().join("journal")
    }

    pub(crate) fn quarantine(&self) -> PathBuf {
        self.tmp.path().join("quarantine")
    }

    pub(crate) fn open(&self, opts: JournalOptions) -> (Journal, RecoveryReport) {
        Journal::open(&self.dir(), &self.quarantine(), opts).expect("journal opens")
    }

    /// Paths of the segment files, in seq order.
    pub(crate) fn segment_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir())
            .expect("journal dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "seg"))
            .collect();
        files.sort();
        files
    }

    pub(crate) fn quarantine_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.quarantine()) {
            Ok(entries) => entries.map(|e| e.expect("entry").path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Small limits, fast group commit.
pub(crate) fn options(max_bytes: u64, segment_bytes: u64) -> JournalOptions {
    JournalOptions {
        max_bytes,
        segment_bytes: Some(segment_bytes),
        fsync: FsyncPolicy::Batch,
        batch_interval: Duration::from_millis(2),
        link_of_payload: None,
    }
}

/// A payload that names its seq and has `len` bytes.
pub(crate) fn payload(seq: u64, len: usize) -> Vec<u8> {
    let mut p = format!("record-{seq}-").into_bytes();
    p.resize(len.max(p.len()), b'a' + (seq % 26) as u8);
    p.truncate(len.max(1));
    p
}

/// A batch of `count` records made by [`payload`].
pub(crate) fn batch(count: usize, len: usize) -> EncodeBatch {
    Box::new(move |w| {
        for _ in 0..count {
            w.push_with(|seq, out| out.extend_from_slice(&payload(seq, len)));
        }
    })
}

/// Appends `count` records of `len` bytes in one request.
pub(crate) async fn append(journal: &Journal, count: usize, len: usize) -> SeqRange {
    journal
        .append(batch(count, len))
        .await
        .expect("append")
        .expect("records pushed")
}

/// A current-thread runtime for tests that are mostly blocking.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Everything readable from the cursor's read position.
pub(crate) fn read_all(cursor: &mut JournalCursor) -> Vec<Record> {
    let mut out = Vec::new();
    loop {
        let batch = cursor.read_batch(1000, 1 << 20).expect("read");
        if batch.is_empty() {
            return out;
        }
        out.extend(batch);
    }
}

pub(crate) fn seqs(records: &[Record]) -> Vec<u64> {
    records.iter().map(|r| r.seq).collect()
}
