//! Streaming scan of one segment's bytes into records and corrupt spans.
//!
//! The one resync routine of the journal: recovery at open, cursors at
//! runtime, `inspect` and `read_record_at` all read through
//! [`SegmentScanner`]. When the bytes at the scan position are not a valid
//! frame, it searches forward for the magic followed by a frame whose CRC
//! holds and whose seq is above the last good one; everything in between is
//! reported as one [`Scanned::Corrupt`] span and the scan carries on.
//!
//! A segment holds records from its first seq on, each seq above the one
//! before: a valid frame with a lower seq is not a record but the rest of
//! what a recycled segment file held before (`writer.rs` reuses an
//! acknowledged segment's file for the next one), and is skipped like
//! corrupt bytes.
//!
//! Invariant: memory is bounded by the read window (256 KiB) plus the
//! largest record, never by the segment size.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use super::record::{FrameHeader, HEADER_LEN, MAGIC};

/// Bytes read from disk at once.
const WINDOW_BYTES: usize = 256 * 1024;

/// Positioned reads; implemented by files and, for tests, byte vectors.
pub(crate) trait ReadAt {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl ReadAt for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileExt::read_at(self, buf, offset)
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

/// What the scanner found next; `P` is what was made of a record's
/// payload (a copy by default, see [`SegmentScanner::next_item_with`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scanned<P = Vec<u8>> {
    /// A valid frame at `offset`, `frame_len` bytes long.
    Record {
        seq: u64,
        offset: u64,
        frame_len: u64,
        payload: P,
    },
    /// Bytes that are no valid frame, up to the next valid one or the end.
    Corrupt { offset: u64, len: u64 },
}

/// Reads a segment from `pos` to `end` (exclusive), frame by frame.
pub(crate) struct SegmentScanner<R> {
    source: R,
    window: Vec<u8>,
    window_start: u64,
    pos: u64,
    end: u64,
    last_seq: Option<u64>,
}

impl<R: ReadAt> SegmentScanner<R> {
    /// A scanner of the segment whose records start at `first_seq`.
    pub(crate) fn new(source: R, first_seq: u64, pos: u64, end: u64) -> Self {
        SegmentScanner {
            source,
            window: Vec::new(),
            window_start: 0,
            pos,
            end,
            last_seq: first_seq.checked_sub(1),
        }
    }

    /// Moves back to the record `seq` returned earlier at `offset`, so that
    /// the next item is that record again.
    pub(crate) fn unread(&mut self, offset: u64, seq: u64) {
        self.pos = offset;
        self.last_seq = seq.checked_sub(1);
    }

    /// Extends the readable range (the newest segment grows).
    pub(crate) fn set_end(&mut self, end: u64) {
        self.end = end;
    }

    /// Access to the bytes read (for quarantine copies).
    pub(crate) fn source(&self) -> &R {
        &self.source
    }

    /// The next record or corrupt span; `None` at `end`.
    pub(crate) fn next_item(&mut self) -> io::Result<Option<Scanned>> {
        self.next_item_with(<[u8]>::to_vec)
    }

    /// Like [`next_item`](Self::next_item), with a record's payload given
    /// to `take` while it is in the read window: callers that only need
    /// the seq, or that gather many payloads into one buffer, copy nothing
    /// or allocate once.
    pub(crate) fn next_item_with<P>(
        &mut self,
        take: impl FnOnce(&[u8]) -> P,
    ) -> io::Result<Option<Scanned<P>>> {
        if self.pos >= self.end {
            return Ok(None);
        }
        let offset = self.pos;
        if let Some(header) = self.next_frame_at(offset)? {
            let payload = take(self.bytes(offset + HEADER_LEN as u64, header.len as usize)?);
            self.pos = offset + header.frame_len();
            self.last_seq = Some(header.seq);
            return Ok(Some(Scanned::Record {
                seq: header.seq,
                offset,
                frame_len: header.frame_len(),
                payload,
            }));
        }
        let resume = self.resync(offset + 1)?;
        self.pos = resume;
        Ok(Some(Scanned::Corrupt {
            offset,
            len: resume - offset,
        }))
    }

    /// The header at `pos` if a whole valid frame starts there.
    fn valid_frame_at(&mut self, pos: u64) -> io::Result<Option<FrameHeader>> {
        if self.end - pos < HEADER_LEN as u64 {
            return Ok(None);
        }
        let Some(header) = FrameHeader::parse(self.bytes(pos, HEADER_LEN)?) else {
            return Ok(None);
        };
        if header.frame_len() > self.end - pos {
            return Ok(None);
        }
        let payload = self.bytes(pos + HEADER_LEN as u64, header.len as usize)?;
        Ok(header.matches(payload).then_some(header))
    }

    /// The header at `pos` if a valid frame with a seq above the last good
    /// one starts there.
    fn next_frame_at(&mut self, pos: u64) -> io::Result<Option<FrameHeader>> {
        let last = self.last_seq;
        Ok(self
            .valid_frame_at(pos)?
            .filter(|header| last.is_none_or(|last| header.seq > last)))
    }

    /// First offset at or after `from` where a valid frame with a seq above
    /// the last good one starts, or `end`.
    fn resync(&mut self, from: u64) -> io::Result<u64> {
        let mut at = from;
        while self.end.saturating_sub(at) >= HEADER_LEN as u64 {
            let chunk_len = (self.end - at).min(WINDOW_BYTES as u64) as usize;
            let found = self
                .bytes(at, chunk_len)?
                .windows(MAGIC.len())
                .position(|w| w == MAGIC);
            match found {
                Some(i) => {
                    let candidate = at + i as u64;
                    if self.next_frame_at(candidate)?.is_some() {
                        return Ok(candidate);
                    }
                    at = candidate + 1;
                }
                None => at += (chunk_len - (MAGIC.len() - 1)).max(1) as u64,
            }
        }
        Ok(self.end)
    }

    /// `len` bytes at `pos` (`pos + len <= end`), through the window.
    fn bytes(&mut self, pos: u64, len: usize) -> io::Result<&[u8]> {
        let window_end = self.window_start + self.window.len() as u64;
        if pos < self.window_start || pos + len as u64 > window_end {
            let want = len
                .max(WINDOW_BYTES)
                .min((self.end - pos) as usize)
                .max(len);
            self.window.resize(want, 0);
            if self.window.capacity() > 4 * WINDOW_BYTES && want <= WINDOW_BYTES {
                self.window.shrink_to(WINDOW_BYTES);
            }
            let mut filled = 0;
            while filled < want {
                match self
                    .source
                    .read_at(&mut self.window[filled..], pos + filled as u64)
                {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.window.truncate(filled);
            self.window_start = pos;
            if filled < len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "segment is shorter than expected",
                ));
            }
        }
        let start = (pos - self.window_start) as usize;
        Ok(&self.window[start..start + len])
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::encode_frame_with;
    use super::*;
    use proptest::prelude::*;

    fn segment(payloads: &[Vec<u8>]) -> (Vec<u8>, Vec<u64>) {
        let mut buf = Vec::new();
        let mut offsets = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            offsets.push(buf.len() as u64);
            encode_frame_with(&mut buf, i as u64 + 1, |b| b.extend_from_slice(p));
        }
        (buf, offsets)
    }

    fn scan_all(bytes: Vec<u8>) -> Vec<Scanned> {
        let end = bytes.len() as u64;
        let mut scanner = SegmentScanner::new(bytes, 1, 0, end);
        let mut out = Vec::new();
        while let Some(item) = scanner.next_item().unwrap() {
            out.push(item);
        }
        out
    }

    #[test]
    fn garbage_between_records_is_one_corrupt_span() {
        let (mut buf, _) = segment(&[b"one".to_vec()]);
        let garbage_at = buf.len() as u64;
        buf.extend_from_slice(&[0x55; 37]);
        buf.extend_from_slice(&MAGIC); // a lone magic must not fool the resync
        let mut tail = Vec::new();
        encode_frame_with(&mut tail, 2, |b| b.extend_from_slice(b"two"));
        buf.extend_from_slice(&tail);
        let items = scan_all(buf);
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[1],
            Scanned::Corrupt {
                offset: garbage_at,
                len: 41
            }
        );
        assert!(matches!(&items[2], Scanned::Record { seq: 2, payload, .. } if payload == b"two"));
    }

    #[test]
    fn resync_skips_valid_frames_with_older_seqs() {
        let (mut buf, _) = segment(&[b"a".to_vec(), b"b".to_vec()]);
        let at = buf.len() as u64;
        buf.push(0);
        encode_frame_with(&mut buf, 1, |b| b.extend_from_slice(b"stale copy"));
        let items = scan_all(buf.clone());
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[2],
            Scanned::Corrupt {
                offset: at,
                len: buf.len() as u64 - at
            }
        );
    }

    /// A recycled segment file: the records of its new life, then, frame
    /// aligned, the valid frames of its old one (lower seqs).
    #[test]
    fn frames_below_the_segment_or_the_last_record_are_not_records() {
        let (old, _) = segment(&[b"old-1".to_vec(), b"old-2".to_vec(), b"old-3".to_vec()]);
        let scan_from = |first_seq: u64, bytes: &[u8]| {
            let mut scanner = SegmentScanner::new(bytes.to_vec(), first_seq, 0, bytes.len() as u64);
            std::iter::from_fn(|| scanner.next_item().unwrap()).collect::<Vec<_>>()
        };
        // Renamed, nothing written yet: nothing of it is a record.
        assert_eq!(
            scan_from(10, &old),
            [Scanned::Corrupt {
                offset: 0,
                len: old.len() as u64
            }]
        );
        // Two records written over the first two old frames (same sizes).
        let mut reused = Vec::new();
        encode_frame_with(&mut reused, 10, |b| b.extend_from_slice(b"new-a"));
        encode_frame_with(&mut reused, 11, |b| b.extend_from_slice(b"new-b"));
        let end_of_new = reused.len();
        reused.extend_from_slice(&old[end_of_new..]);
        let items = scan_from(10, &reused);
        let seqs: Vec<u64> = items
            .iter()
            .filter_map(|item| match item {
                Scanned::Record { seq, .. } => Some(*seq),
                Scanned::Corrupt { .. } => None,
            })
            .collect();
        assert_eq!(seqs, [10, 11]);
        assert_eq!(
            items.last(),
            Some(&Scanned::Corrupt {
                offset: end_of_new as u64,
                len: (old.len() - end_of_new) as u64
            })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// A flipped bit never yields the flipped record; every other
        /// record still comes back intact.
        #[test]
        fn a_bit_flip_loses_only_its_own_record(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..6),
            victim in any::<proptest::sample::Index>(),
            bit in any::<proptest::sample::Index>(),
        ) {
            let (mut buf, offsets) = segment(&payloads);
            let victim = victim.index(payloads.len());
            let start = offsets[victim] as usize;
            let frame_len = HEADER_LEN + payloads[victim].len();
            let bit = bit.index(frame_len * 8);
            buf[start + bit / 8] ^= 1 << (bit % 8);
            let items = scan_all(buf);
            let records: Vec<(u64, Vec<u8>)> = items.iter().filter_map(|i| match i {
                Scanned::Record { seq, payload, .. } => Some((*seq, payload.clone())),
                Scanned::Corrupt { .. } => None,
            }).collect();
            let expected: Vec<(u64, Vec<u8>)> = payloads.iter().enumerate()
                .filter(|(i, _)| *i != victim)
                .map(|(i, p)| (i as u64 + 1, p.clone()))
                .collect();
            prop_assert_eq!(records, expected);
            let corrupt = items.iter().filter(|i| matches!(i, Scanned::Corrupt { .. })).count();
            prop_assert_eq!(corrupt, 1);
        }
    }
}
