//! Framing: bytes of a file → [`Line`]s with their offsets.
//!
//! [`LineFramer`] is a pure state machine, fed chunks of bytes in file order.
//! A line ends at `\n`; a trailing `\r` is stripped. Bytes after the last
//! `\n` wait (as the partial line) for their newline, or for
//! [`LineFramer::flush_partial`], which the engine calls once the file has
//! been quiet for `flush_partial_after`.
//!
//! Invariants:
//! - Memory is bounded whatever the input: a line longer than
//!   `max_line_bytes` is not buffered; only its first
//!   `min(1 KiB, max_line_bytes)` bytes are kept and the rest is counted and
//!   skipped until the next `\n`. It is emitted once, with
//!   [`Line::too_long`] holding its full length.
//! - Bytes are bytes: invalid UTF-8, NULs and binary garbage are passed on
//!   unchanged; nothing here can panic on input.
//! - [`LineFramer::line_start`] is always the offset just after the last
//!   emitted line: the only offset that may be acknowledged and resumed from.

use bytes::Bytes;

use crate::buffer_pool::BufferPool;

/// Buffers of line batches, reused (see `buffer_pool`): enough for the
/// batches queued and being parsed.
static LINE_BUFFERS: BufferPool = BufferPool::new(16, 2 << 20);

/// Bytes of a too-long line kept for the quarantine record.
pub const TOO_LONG_HEAD_BYTES: usize = 1024;

/// One framed line of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Offset of the line's first byte in the file.
    pub offset: u64,
    /// The line without its `\n` and without a trailing `\r`; for a too-long
    /// line only its first bytes (see [`TOO_LONG_HEAD_BYTES`]). A slice of
    /// the buffer its whole batch was framed into.
    pub bytes: Bytes,
    /// `Some(full length)` when the line was longer than `max_line_bytes`.
    pub too_long: Option<u64>,
}

/// Lines framed so far for one batch, with the limits that make it full.
///
/// The lines' bytes go into one buffer per batch, sliced at [`take`]
/// (`FramedLines::take`): a buffer per line would be allocated on the
/// tailer's thread and freed on a parse worker's, which glibc's allocator
/// makes pay once per line.
#[derive(Debug)]
pub struct FramedLines {
    /// The lines' bytes, one after the other.
    text: Vec<u8>,
    /// Per line: offset in the file, end in `text`, `too_long`.
    spans: Vec<(u64, usize, Option<u64>)>,
    /// Offset just after the last line.
    end_offset: u64,
    max_lines: usize,
    max_bytes: usize,
}

/// Room left in a batch's buffer for the line that makes it full.
const LAST_LINE_ROOM: usize = 16 * 1024;

impl FramedLines {
    pub fn new(max_lines: usize, max_bytes: usize) -> FramedLines {
        FramedLines {
            text: Vec::new(),
            spans: Vec::new(),
            end_offset: 0,
            max_lines,
            max_bytes,
        }
    }

    /// True once another line must go into a new batch.
    pub fn is_full(&self) -> bool {
        self.spans.len() >= self.max_lines || self.text.len() >= self.max_bytes
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Takes the lines out, leaving an empty batch with the same limits;
    /// also returns the offset just after the last line.
    pub fn take(&mut self) -> (Vec<Line>, u64) {
        let text = LINE_BUFFERS.freeze(std::mem::take(&mut self.text));
        let mut start = 0;
        let lines = self
            .spans
            .drain(..)
            .map(|(offset, end, too_long)| {
                let bytes = text.slice(start..end);
                start = end;
                Line {
                    offset,
                    bytes,
                    too_long,
                }
            })
            .collect();
        (lines, self.end_offset)
    }

    /// Makes room in a batch's fresh buffer for the lines of a chunk of
    /// `chunk_len` bytes: a reader of big chunks fills the batch to its
    /// limit without the buffer growing (and copying); one that sees a
    /// line at a time keeps small buffers.
    fn reserve_for(&mut self, chunk_len: usize) {
        if self.text.capacity() == 0 {
            let batch = self.max_bytes.saturating_add(LAST_LINE_ROOM);
            self.text = LINE_BUFFERS.take(chunk_len.max(1024).saturating_mul(4).min(batch));
        }
    }

    /// Adds a line made of `parts`, joined; a trailing `\r` is dropped
    /// unless the line is too long (its head is kept as read).
    fn push(&mut self, offset: u64, parts: [&[u8]; 2], too_long: Option<u64>, end_offset: u64) {
        let start = self.text.len();
        for part in parts {
            self.text.extend_from_slice(part);
        }
        if too_long.is_none() && self.text.len() > start && self.text.last() == Some(&b'\r') {
            self.text.pop();
        }
        self.spans.push((offset, self.text.len(), too_long));
        self.end_offset = end_offset;
    }
}

/// Frames one file's bytes into lines; see the module doc.
#[derive(Debug)]
pub struct LineFramer {
    max_line_bytes: usize,
    /// Offset just after the last emitted line.
    line_start: u64,
    /// Bytes of the current, unterminated line (only its head once too long).
    partial: Vec<u8>,
    /// Full length so far of the current line (`partial` may hold less).
    partial_len: u64,
}

impl LineFramer {
    /// A framer whose next byte is at `offset` in the file, at a line start.
    pub fn new(offset: u64, max_line_bytes: usize) -> LineFramer {
        LineFramer {
            max_line_bytes,
            line_start: offset,
            partial: Vec::new(),
            partial_len: 0,
        }
    }

    /// Offset just after the last emitted line: what may be acknowledged.
    pub fn line_start(&self) -> u64 {
        self.line_start
    }

    /// Offset of the next byte to feed.
    pub fn next_offset(&self) -> u64 {
        self.line_start + self.partial_len
    }

    /// True when bytes of an unterminated line are waiting.
    pub fn has_partial(&self) -> bool {
        self.partial_len > 0
    }

    /// Feeds `chunk` (the bytes at [`Self::next_offset`]) until `out` is full;
    /// returns how many bytes of `chunk` were consumed. Feed the rest after
    /// emptying `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut FramedLines) -> usize {
        out.reserve_for(chunk.len());
        let mut pos = 0;
        while pos < chunk.len() && !out.is_full() {
            let rest = &chunk[pos..];
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    self.finish_line(&rest[..i], 1, out);
                    pos += i + 1;
                }
                None => {
                    self.extend_partial(rest);
                    pos = chunk.len();
                }
            }
        }
        pos
    }

    /// Emits the waiting partial line, if any, as a line of its own (the
    /// file was quiet: its writer may never add the `\n`). Returns whether a
    /// line was emitted. Bytes fed later start a new line.
    pub fn flush_partial(&mut self, out: &mut FramedLines) -> bool {
        if !self.has_partial() {
            return false;
        }
        self.finish_line(&[], 0, out);
        true
    }

    fn extend_partial(&mut self, bytes: &[u8]) {
        self.partial_len += bytes.len() as u64;
        if self.partial_len > self.max_line_bytes as u64 {
            // Too long already: keep only the head, never the whole line.
            let head = self.head_bytes();
            if self.partial.len() < head {
                let take = (head - self.partial.len()).min(bytes.len());
                self.partial.extend_from_slice(&bytes[..take]);
            }
            self.partial.truncate(head);
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }

    fn head_bytes(&self) -> usize {
        TOO_LONG_HEAD_BYTES.min(self.max_line_bytes)
    }

    /// Ends the current line with `tail` (its last bytes) and a terminator
    /// of `terminator` bytes (1 for `\n`, 0 when flushed).
    fn finish_line(&mut self, tail: &[u8], terminator: u64, out: &mut FramedLines) {
        let len = self.partial_len + tail.len() as u64;
        let offset = self.line_start;
        self.partial_len = 0;
        self.line_start = offset + len + terminator;
        if len > self.max_line_bytes as u64 {
            let head = self.head_bytes();
            let from_tail = head.saturating_sub(self.partial.len()).min(tail.len());
            let from_partial = self.partial.len().min(head);
            out.push(
                offset,
                [&self.partial[..from_partial], &tail[..from_tail]],
                Some(len),
                self.line_start,
            );
        } else {
            out.push(offset, [&self.partial, tail], None, self.line_start);
        }
        /// A partial buffer kept for the file's next line; a bigger one
        /// (after a long line) is given back.
        const KEPT_PARTIAL: usize = 64 * 1024;
        if self.partial.capacity() > KEPT_PARTIAL {
            self.partial = Vec::new();
        } else {
            self.partial.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame_all(input: &[u8], chunk: usize, max_line: usize) -> (Vec<Line>, LineFramer) {
        let mut framer = LineFramer::new(0, max_line);
        let mut out = FramedLines::new(usize::MAX, usize::MAX);
        for piece in input.chunks(chunk.max(1)) {
            assert_eq!(framer.push(piece, &mut out), piece.len());
        }
        (out.take().0, framer)
    }

    fn texts(lines: &[Line]) -> Vec<&[u8]> {
        lines.iter().map(|l| &l.bytes[..]).collect()
    }

    #[test]
    fn splits_on_newline_and_strips_one_trailing_cr() {
        let (lines, framer) = frame_all(b"a\r\nbb\n\r\r\n\nlast", 3, 100);
        assert_eq!(texts(&lines), vec![&b"a"[..], b"bb", b"\r", b""]);
        assert_eq!(
            lines.iter().map(|l| l.offset).collect::<Vec<_>>(),
            vec![0, 3, 6, 9]
        );
        assert_eq!(framer.line_start(), 10);
        assert_eq!(framer.next_offset(), 14);
        assert!(framer.has_partial());
    }

    #[test]
    fn partial_line_waits_then_flush_emits_it_once() {
        let mut framer = LineFramer::new(100, 64);
        let mut out = FramedLines::new(10, 1 << 20);
        framer.push(b"no newline yet", &mut out);
        assert!(out.is_empty());
        assert!(framer.flush_partial(&mut out));
        assert!(!framer.flush_partial(&mut out), "flushed twice");
        let (lines, end_offset) = out.take();
        assert_eq!(&lines[0].bytes[..], b"no newline yet");
        assert_eq!(lines[0].offset, 100);
        assert_eq!(end_offset, 114);
        // Bytes appended later form a new line, not a merged duplicate.
        framer.push(b" more\n", &mut out);
        let (lines, end_offset) = out.take();
        assert_eq!(&lines[0].bytes[..], b" more");
        assert_eq!(lines[0].offset, 114);
        assert_eq!(end_offset, 120);
    }

    #[test]
    fn too_long_line_keeps_head_and_length_and_next_line_is_normal() {
        let mut input = vec![b'y'; 10 * 1024 * 1024];
        input.extend_from_slice(b"\nok\n");
        let (lines, framer) = frame_all(&input, 64 * 1024, 1024 * 1024);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].too_long, Some(10 * 1024 * 1024));
        assert_eq!(lines[0].bytes.len(), TOO_LONG_HEAD_BYTES);
        assert_eq!(&lines[1].bytes[..], b"ok");
        assert_eq!(lines[1].offset, 10 * 1024 * 1024 + 1);
        assert!(
            framer.partial.capacity() <= 2 * 1024 * 1024,
            "buffered the long line"
        );
    }

    #[test]
    fn line_of_exactly_max_bytes_is_not_too_long() {
        let (lines, _) = frame_all(b"12345\n123456\n", 4, 5);
        assert_eq!(lines[0].too_long, None);
        assert_eq!(&lines[0].bytes[..], b"12345");
        assert_eq!(lines[1].too_long, Some(6));
        assert_eq!(
            &lines[1].bytes[..],
            b"12345",
            "head is capped at max_line_bytes"
        );
    }

    #[test]
    fn flushed_too_long_partial_reports_its_length() {
        let mut framer = LineFramer::new(0, 4);
        let mut out = FramedLines::new(10, 100);
        framer.push(b"abcdefgh", &mut out);
        assert!(framer.flush_partial(&mut out));
        let (lines, end_offset) = out.take();
        assert_eq!(lines[0].too_long, Some(8));
        assert_eq!(&lines[0].bytes[..], b"abcd");
        assert_eq!(end_offset, 8);
    }

    #[test]
    fn push_stops_when_batch_is_full_and_resumes() {
        let mut framer = LineFramer::new(0, 100);
        let mut out = FramedLines::new(2, 1 << 20);
        let input = b"a\nb\nc\nd\n";
        let used = framer.push(input, &mut out);
        assert_eq!(used, 4);
        let (lines, end) = out.take();
        assert_eq!(texts(&lines), vec![&b"a"[..], b"b"]);
        assert_eq!(end, 4);
        let used2 = framer.push(&input[used..], &mut out);
        assert_eq!(used2, 4);
        let (lines, end) = out.take();
        assert_eq!(texts(&lines), vec![&b"c"[..], b"d"]);
        assert_eq!(end, 8);
    }

    proptest! {
        /// Any bytes, any chunking: lines re-joined with their terminators
        /// (plus the waiting partial) give back the input, offsets are
        /// exact, and nothing panics.
        #[test]
        fn framing_is_lossless_for_any_bytes_and_chunking(
            input in proptest::collection::vec(
                prop_oneof![Just(b'\n'), Just(b'\r'), any::<u8>()], 0..400),
            chunk in 1usize..50,
        ) {
            let (lines, framer) = frame_all(&input, chunk, usize::MAX / 2);
            let mut rebuilt = Vec::new();
            for line in &lines {
                prop_assert_eq!(line.offset as usize, rebuilt.len());
                rebuilt.extend_from_slice(&line.bytes);
                if input[rebuilt.len()] == b'\r' {
                    rebuilt.push(b'\r');
                }
                prop_assert_eq!(input[rebuilt.len()], b'\n');
                rebuilt.push(b'\n');
            }
            prop_assert_eq!(framer.line_start() as usize, rebuilt.len());
            prop_assert_eq!(framer.next_offset() as usize, input.len());
            prop_assert!(!input[rebuilt.len()..].contains(&b'\n'));
        }

        /// With a small limit, memory stays bounded and every line longer
        /// than it is reported with its true length.
        #[test]
        fn too_long_lines_are_reported_with_true_length(
            lens in proptest::collection::vec(0usize..300, 1..20),
            chunk in 1usize..64,
        ) {
            let mut input = Vec::new();
            for (i, len) in lens.iter().enumerate() {
                input.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, *len));
                input.push(b'\n');
            }
            let (lines, framer) = frame_all(&input, chunk, 100);
            prop_assert_eq!(lines.len(), lens.len());
            for (line, len) in lines.iter().zip(&lens) {
                if *len > 100 {
                    prop_assert_eq!(line.too_long, Some(*len as u64));
                    prop_assert_eq!(line.bytes.len(), 100);
                } else {
                    prop_assert_eq!(line.too_long, None);
                    prop_assert_eq!(line.bytes.len(), *len);
                }
            }
            prop_assert!(framer.partial.len() <= 100);
        }
    }
}
