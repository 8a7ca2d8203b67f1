//! Recovery at open, and quarantine of corrupt bytes.
//!
//! Owns bringing a journal directory to a consistent state before the writer
//! starts: every segment is scanned with the shared resync code
//! ([`SegmentScanner`]).
//! - A corrupt span at the end of the NEWEST segment is a torn write from a
//!   crash (it was never acknowledged), or the unused rest of a recycled
//!   segment file (`writer.rs`): the file is truncated before it.
//! - The spare segment file is deleted (it holds nothing of the journal).
//! - Any other corrupt span (bit rot, garbage, a torn tail in an older,
//!   already fsynced segment) is copied to the quarantine directory as
//!   `SEGMENTSEQ-at-OFFSET.bad` and the segment is rewritten without it
//!   (write `NAME.tmp`, fsync, rename, fsync dir).
//!
//! Invariant: recovery never refuses to start because of record contents;
//! only i/o errors fail it. Leftover `*.tmp` files from an interrupted
//! rewrite are removed (the original is still intact).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::error::JournalError;
use super::scan::{Scanned, SegmentScanner};
use super::segment::{self, SegmentMeta};

/// What recovery found and did; `Display` is one log line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segments present after recovery.
    pub segments: usize,
    /// Valid records present after recovery.
    pub records: u64,
    /// The seq the next appended record gets.
    pub next_seq: u64,
    /// Bytes of torn writes cut from the end of the newest segment.
    pub truncated_bytes: u64,
    /// Corrupt spans moved to the quarantine directory.
    pub quarantined_records: u64,
    /// Their total size.
    pub quarantined_bytes: u64,
}

impl fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "journal recovered: {} segments, {} records, next seq {}, {} torn bytes truncated, {} corrupt records quarantined ({} bytes)",
            self.segments,
            self.records,
            self.next_seq,
            self.truncated_bytes,
            self.quarantined_records,
            self.quarantined_bytes
        )
    }
}

/// Scans and repairs every segment in `dir`; creates segment 1 in an empty
/// journal. Returns the segments in seq order, the last one being the one
/// the writer appends to.
pub(crate) fn recover(
    dir: &Path,
    quarantine_dir: &Path,
) -> Result<(Vec<SegmentMeta>, RecoveryReport), JournalError> {
    remove_temp_files(dir)?;
    segment::remove_if_present(&dir.join(segment::SPARE_NAME))?;
    let listed = segment::list_segments(dir)?;
    let mut report = RecoveryReport::default();
    let mut metas = Vec::with_capacity(listed.len());
    for (i, &(first_seq, len)) in listed.iter().enumerate() {
        let newest = i + 1 == listed.len();
        metas.push(recover_segment(
            dir,
            quarantine_dir,
            first_seq,
            len,
            newest,
            &mut report,
        )?);
    }
    if metas.is_empty() {
        segment::create_private_file(&segment::segment_path(dir, 1))?;
        segment::sync_dir(dir)?;
        metas.push(SegmentMeta::empty(1));
    }
    report.segments = metas.len();
    report.next_seq = metas.iter().map(|m| m.next_seq).max().unwrap_or(1);
    Ok((metas, report))
}

fn recover_segment(
    dir: &Path,
    quarantine_dir: &Path,
    first_seq: u64,
    len: u64,
    newest: bool,
    report: &mut RecoveryReport,
) -> Result<SegmentMeta, JournalError> {
    let path = segment::segment_path(dir, first_seq);
    let file = File::open(&path).map_err(|e| JournalError::io(&path, e))?;
    let mut scanner = SegmentScanner::new(file, first_seq, 0, len);
    let mut meta = SegmentMeta {
        first_seq,
        next_seq: first_seq,
        bytes: len,
    };
    let mut corrupt: Vec<(u64, u64)> = Vec::new();
    while let Some(item) = scanner
        .next_item_with(|_| ())
        .map_err(|e| JournalError::io(&path, e))?
    {
        match item {
            Scanned::Record { seq, .. } => {
                report.records += 1;
                meta.next_seq = meta.next_seq.max(seq + 1);
            }
            Scanned::Corrupt { offset, len } => corrupt.push((offset, len)),
        }
    }
    if newest {
        if let Some(&(offset, torn)) = corrupt.last().filter(|(o, l)| o + l == len) {
            corrupt.pop();
            let file = OpenOptions::new().write(true).open(&path);
            file.and_then(|f| f.set_len(offset).and_then(|()| f.sync_all()))
                .map_err(|e| JournalError::io(&path, e))?;
            tracing::warn!(segment = %path.display(), offset, bytes = torn, "Truncated a torn write (or the unused rest of a recycled segment file) at the end of the journal.");
            report.truncated_bytes += torn;
            meta.bytes = offset;
        }
    }
    if corrupt.is_empty() {
        return Ok(meta);
    }
    for &(offset, bytes) in &corrupt {
        quarantine_span(scanner.source(), first_seq, offset, bytes, quarantine_dir)?;
        report.quarantined_records += 1;
        report.quarantined_bytes += bytes;
    }
    meta.bytes = rewrite_without(&path, meta.bytes, &corrupt)?;
    segment::sync_dir(dir)?;
    tracing::error!(segment = %path.display(), spans = corrupt.len(), quarantine = %quarantine_dir.display(), "Quarantined corrupt journal records; the records around them are kept.");
    Ok(meta)
}

/// Copies `len` bytes at `offset` of segment `segment_seq` into
/// `quarantine_dir/SEGMENTSEQ-at-OFFSET.bad` (idempotent: same name, same
/// bytes). Streams; memory stays bounded.
pub(crate) fn quarantine_span(
    segment: &File,
    segment_seq: u64,
    offset: u64,
    len: u64,
    quarantine_dir: &Path,
) -> Result<(), JournalError> {
    segment::create_private_dir(quarantine_dir)?;
    let path = quarantine_dir.join(format!("{segment_seq:020}-at-{offset}.bad"));
    let mut out = segment::create_private_file(&path)?;
    let mut source = segment
        .try_clone()
        .map_err(|e| JournalError::io(&path, e))?;
    source
        .seek(SeekFrom::Start(offset))
        .and_then(|_| io::copy(&mut (&mut source).take(len), &mut out))
        .and_then(|_| out.sync_all())
        .map_err(|e| JournalError::io(&path, e))?;
    segment::sync_dir(quarantine_dir)
}

/// Rewrites the first `len` bytes of `path` without the `skip` spans
/// (sorted, non-overlapping); returns the new length.
fn rewrite_without(path: &Path, len: u64, skip: &[(u64, u64)]) -> Result<u64, JournalError> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let mut out = segment::create_private_file(&tmp)?;
    let mut source = File::open(path).map_err(|e| JournalError::io(path, e))?;
    let mut at = 0;
    let mut written = 0;
    let mut copy = |from: u64, to: u64, written: &mut u64| -> io::Result<()> {
        if to > from {
            source.seek(SeekFrom::Start(from))?;
            *written += io::copy(&mut (&mut source).take(to - from), &mut out)?;
        }
        Ok(())
    };
    for &(offset, bytes) in skip.iter().filter(|(o, _)| *o < len) {
        copy(at, offset, &mut written).map_err(|e| JournalError::io(&tmp, e))?;
        at = offset + bytes;
    }
    copy(at, len, &mut written).map_err(|e| JournalError::io(&tmp, e))?;
    out.flush()
        .and_then(|()| out.sync_all())
        .map_err(|e| JournalError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| JournalError::io(path, e))?;
    Ok(written)
}

fn remove_temp_files(dir: &Path) -> Result<(), JournalError> {
    for entry in fs::read_dir(dir).map_err(|e| JournalError::io(dir, e))? {
        let entry = entry.map_err(|e| JournalError::io(dir, e))?;
        if entry.file_name().to_string_lossy().ends_with(".seg.tmp") {
            segment::remove_if_present(&entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, TempJournal};
    use super::super::record::HEADER_LEN;
    use std::fs;

    #[test]
    fn a_segment_cut_at_every_offset_of_its_last_record_recovers() {
        let rt = fixtures::runtime();
        let source = TempJournal::new();
        let (journal, _) = source.open(fixtures::options(1 << 20, 1 << 20));
        rt.block_on(async {
            fixtures::append(&journal, 2, 50).await;
            fixtures::append(&journal, 1, 60).await;
            journal.close().await;
        });
        drop(journal);
        let segment = source.segment_files().remove(0);
        let intact = fs::read(&segment).unwrap();
        let last_start = intact.len() - (HEADER_LEN + 60);
        for cut in last_start..intact.len() {
            let t = TempJournal::new();
            fs::create_dir_all(t.dir()).unwrap();
            let copy = t.dir().join(segment.file_name().unwrap());
            fs::write(&copy, &intact[..cut]).unwrap();
            let (journal, report) = t.open(fixtures::options(1 << 20, 1 << 20));
            assert_eq!(
                report.truncated_bytes,
                (cut - last_start) as u64,
                "cut at {cut}"
            );
            assert_eq!(report.next_seq, 3, "cut at {cut}");
            assert_eq!(report.quarantined_records, 0, "cut at {cut}");
            assert_eq!(fs::metadata(&copy).unwrap().len(), last_start as u64);
            let mut cursor = journal.open_cursor("sink").unwrap();
            let records = fixtures::read_all(&mut cursor);
            assert_eq!(fixtures::seqs(&records), vec![1, 2], "cut at {cut}");
            assert_eq!(records[1].payload, fixtures::payload(2, 50));
            let range = rt.block_on(fixtures::append(&journal, 1, 10));
            assert_eq!(range.first, 3, "cut at {cut}");
            let records = fixtures::read_all(&mut cursor);
            assert_eq!(records[0].payload, fixtures::payload(3, 10));
            rt.block_on(journal.close());
        }
    }

    #[test]
    fn a_corrupt_record_mid_segment_is_quarantined_and_the_rest_kept() {
        let rt = fixtures::runtime();
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 1 << 20));
        rt.block_on(async {
            fixtures::append(&journal, 10, 100).await;
            journal.close().await;
        });
        drop(journal);
        let segment = t.segment_files().remove(0);
        let mut bytes = fs::read(&segment).unwrap();
        let frame = HEADER_LEN + 100;
        let victim = 4 * frame; // record 5
        bytes[victim + HEADER_LEN + 30] ^= 0x40;
        let bad_frame = bytes[victim..victim + frame].to_vec();
        fs::write(&segment, &bytes).unwrap();

        let (journal, report) = t.open(fixtures::options(1 << 20, 1 << 20));
        assert_eq!(report.quarantined_records, 1);
        assert_eq!(report.quarantined_bytes, frame as u64);
        assert_eq!(report.truncated_bytes, 0);
        assert_eq!(report.next_seq, 11);
        assert!(
            report.to_string().contains("1 corrupt records quarantined"),
            "{report}"
        );
        let quarantined = t.quarantine_files();
        assert_eq!(quarantined.len(), 1);
        assert!(quarantined[0]
            .to_string_lossy()
            .ends_with(&format!("-at-{victim}.bad")));
        assert_eq!(fs::read(&quarantined[0]).unwrap(), bad_frame);
        assert_eq!(fs::metadata(&segment).unwrap().len(), (9 * frame) as u64);

        let mut cursor = journal.open_cursor("sink").unwrap();
        let records = fixtures::read_all(&mut cursor);
        assert_eq!(fixtures::seqs(&records), vec![1, 2, 3, 4, 6, 7, 8, 9, 10]);
        for r in &records {
            assert_eq!(r.payload, fixtures::payload(r.seq, 100));
        }
        assert_eq!(rt.block_on(fixtures::append(&journal, 1, 5)).first, 11);
        rt.block_on(journal.close());
        drop((journal, cursor));
        // The rewrite is durable: a second open finds nothing to repair.
        let (_journal, report) = t.open(fixtures::options(1 << 20, 1 << 20));
        assert_eq!(
            (report.quarantined_records, report.records, report.next_seq),
            (0, 10, 12)
        );
    }

    #[test]
    fn a_torn_tail_in_an_older_segment_is_quarantined_not_lost_silently() {
        let rt = fixtures::runtime();
        let t = TempJournal::new();
        let (journal, _) = t.open(fixtures::options(1 << 20, 300));
        rt.block_on(async {
            for _ in 0..4 {
                fixtures::append(&journal, 1, 200).await;
            }
            journal.close().await;
        });
        drop(journal);
        let files = t.segment_files();
        assert_eq!(files.len(), 4);
        let len = fs::metadata(&files[1]).unwrap().len();
        fs::OpenOptions::new()
            .write(true)
            .open(&files[1])
            .unwrap()
            .set_len(len - 7)
            .unwrap();
        let (journal, report) = t.open(fixtures::options(1 << 20, 300));
        assert_eq!(
            (
                report.quarantined_records,
                report.truncated_bytes,
                report.next_seq
            ),
            (1, 0, 5)
        );
        let mut cursor = journal.open_cursor("sink").unwrap();
        assert_eq!(
            fixtures::seqs(&fixtures::read_all(&mut cursor)),
            vec![1, 3, 4]
        );
    }

    #[test]
    fn leftover_rewrite_temp_files_are_removed() {
        let t = TempJournal::new();
        fs::create_dir_all(t.dir()).unwrap();
        let tmp = t.dir().join("00000000000000000001.seg.tmp");
        fs::write(&tmp, b"half a rewrite").unwrap();
        let (_journal, report) = t.open(fixtures::options(1 << 20, 1 << 20));
        assert!(!tmp.exists());
        assert_eq!((report.segments, report.next_seq), (1, 1));
    }
}
