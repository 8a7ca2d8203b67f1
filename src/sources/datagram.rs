//! Datagrams (syslog UDP, unix datagram) → batches for the pipeline.
//!
//! A datagram cannot be held back: the sender does not wait, and the
//! kernel drops what overflows its buffer without telling anyone. So the
//! receive loop never waits for the journal: it gathers the datagrams
//! already waiting, hands them over with [`Ingest::try_store`], and counts
//! the ones the full queue refuses (`dropped`, with a rate-limited warning)
//! — the loss is visible, never silent.

use std::sync::Arc;

use super::ingest::{Frame, Ingest, Peer};
use super::log_limit::LogLimit;

/// Most datagrams gathered before handing them over.
const MAX_PENDING: usize = 1024;

/// One datagram as a frame: a trailing LF / CR LF removed; over `max_frame`
/// bytes it is cut and quarantined.
pub fn datagram_frame(bytes: &[u8], max_frame: usize) -> Frame {
    let mut end = bytes.len();
    while end > 0 && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let bytes = &bytes[..end];
    if bytes.len() > max_frame {
        Frame::TooLong {
            prefix: bytes[..max_frame].to_vec(),
            len: bytes.len() as u64,
        }
    } else {
        Frame::Entry(bytes.to_vec())
    }
}

/// Datagrams waiting to be handed over, grouped by consecutive sender.
pub struct DatagramBatcher {
    id: Arc<str>,
    max_frame: usize,
    groups: Vec<(Peer, Vec<Frame>)>,
    pending: usize,
    warn: LogLimit,
}

impl DatagramBatcher {
    pub fn new(id: Arc<str>, max_frame: usize) -> DatagramBatcher {
        DatagramBatcher {
            id,
            max_frame,
            groups: Vec::new(),
            pending: 0,
            warn: LogLimit::default(),
        }
    }

    pub fn add(&mut self, datagram: &[u8], peer: Peer) {
        if datagram.is_empty() {
            return;
        }
        let frame = datagram_frame(datagram, self.max_frame);
        match self.groups.last_mut() {
            Some((last, frames)) if *last == peer => frames.push(frame),
            _ => self.groups.push((peer, vec![frame])),
        }
        self.pending += 1;
    }

    /// Room for more before a hand-over.
    pub fn wants_more(&self) -> bool {
        self.pending < MAX_PENDING
    }

    /// Hands every group over; counts what the pipeline cannot take.
    pub fn flush(&mut self, ingest: &Ingest) {
        let mut dropped = 0u64;
        for (peer, frames) in self.groups.drain(..) {
            let n = frames.len() as u64;
            if ingest.try_store(frames, peer).is_err() {
                dropped += n;
            }
        }
        self.pending = 0;
        if dropped > 0 {
            ingest.record_dropped(dropped);
            if let Some(suppressed) = self.warn.check() {
                tracing::warn!(source = %self.id, dropped, earlier_warnings_suppressed = suppressed, "Datagrams dropped: the journal is full or falling behind (sinks slow or down). Counted in the stats.");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datagram_loses_its_line_end_and_is_cut_when_too_long() {
        assert_eq!(
            datagram_frame(b"<13>hi\r\n", 10),
            Frame::Entry(b"<13>hi".to_vec())
        );
        assert_eq!(
            datagram_frame(b"abcdef", 4),
            Frame::TooLong {
                prefix: b"abcd".to_vec(),
                len: 6
            }
        );
    }
}
