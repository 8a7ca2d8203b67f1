//! Record framing: how one opaque payload is laid out on disk.
//!
//! ```text
//! offset  size  field
//! 0       4     magic  A7 4A 52 1C  (lets a reader resync after corruption)
//! 4       4     payload length, u32 LE
//! 8       4     CRC-32C over (length LE ‖ seq LE ‖ payload), u32 LE
//! 12      8     seq, u64 LE
//! 20      len   payload
//! ```
//!
//! Owns encoding into a write buffer and decoding of one frame from bytes.
//! Invariant: [`decode_frame`] returns a payload only if magic, length and
//! CRC all agree; a single flipped bit anywhere in a frame is always caught.

/// Marks the start of every frame.
pub(crate) const MAGIC: [u8; 4] = [0xA7, 0x4A, 0x52, 0x1C];
/// Bytes before the payload.
pub(crate) const HEADER_LEN: usize = 20;

/// One record read back from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Agent sequence number, gap-free unless records were lost to corruption.
    pub seq: u64,
    /// The bytes given to `append`, unchanged. A slice of the buffer the
    /// whole batch was read into (one allocation per batch, not per
    /// record).
    pub payload: bytes::Bytes,
}

/// The fixed-size part of a frame, magic already checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub len: u32,
    pub crc: u32,
    pub seq: u64,
}

impl FrameHeader {
    /// Parses a header; `None` when the magic is wrong.
    pub(crate) fn parse(bytes: &[u8]) -> Option<FrameHeader> {
        let bytes: &[u8; HEADER_LEN] = bytes.get(..HEADER_LEN)?.try_into().ok()?;
        if bytes[0..4] != MAGIC {
            return None;
        }
        Some(FrameHeader {
            len: u32::from_le_bytes(bytes[4..8].try_into().ok()?),
            crc: u32::from_le_bytes(bytes[8..12].try_into().ok()?),
            seq: u64::from_le_bytes(bytes[12..20].try_into().ok()?),
        })
    }

    /// Header plus payload.
    pub(crate) fn frame_len(&self) -> u64 {
        HEADER_LEN as u64 + u64::from(self.len)
    }

    /// Whether `payload` is the one this header was written for.
    pub(crate) fn matches(&self, payload: &[u8]) -> bool {
        payload.len() == self.len as usize && frame_crc(self.len, self.seq, payload) == self.crc
    }
}

/// The CRC stored in a frame.
pub(crate) fn frame_crc(len: u32, seq: u64, payload: &[u8]) -> u32 {
    let crc = crc32c::crc32c(&len.to_le_bytes());
    let crc = crc32c::crc32c_append(crc, &seq.to_le_bytes());
    crc32c::crc32c_append(crc, payload)
}

/// Appends one frame to `buf`; `write_payload` appends the payload bytes.
///
/// Panics if `write_payload` removes bytes it did not add or the payload
/// exceeds 4 GiB (the writer thread catches the panic and fails the append).
pub(crate) fn encode_frame_with(
    buf: &mut Vec<u8>,
    seq: u64,
    write_payload: impl FnOnce(&mut Vec<u8>),
) {
    let start = buf.len();
    buf.extend_from_slice(&[0; HEADER_LEN]);
    write_payload(buf);
    assert!(
        buf.len() >= start + HEADER_LEN,
        "journal payload writer truncated the buffer"
    );
    let len =
        u32::try_from(buf.len() - start - HEADER_LEN).expect("journal record payload over 4 GiB");
    let crc = frame_crc(len, seq, &buf[start + HEADER_LEN..]);
    let header = &mut buf[start..start + HEADER_LEN];
    header[0..4].copy_from_slice(&MAGIC);
    header[4..8].copy_from_slice(&len.to_le_bytes());
    header[8..12].copy_from_slice(&crc.to_le_bytes());
    header[12..20].copy_from_slice(&seq.to_le_bytes());
}

/// Why bytes are not a valid frame.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// Fewer bytes than a header, or than the length says.
    Short,
    BadMagic,
    BadCrc,
}

/// Decodes the frame at the start of `bytes`: (seq, payload, frame length).
/// The scanner does the same in two steps through its read window.
#[cfg(test)]
pub(crate) fn decode_frame(bytes: &[u8]) -> Result<(u64, &[u8], usize), FrameError> {
    if bytes.len() < HEADER_LEN {
        return Err(FrameError::Short);
    }
    let header = FrameHeader::parse(bytes).ok_or(FrameError::BadMagic)?;
    let frame_len = HEADER_LEN + header.len as usize;
    let payload = bytes.get(HEADER_LEN..frame_len).ok_or(FrameError::Short)?;
    if !header.matches(payload) {
        return Err(FrameError::BadCrc);
    }
    Ok((header.seq, payload, frame_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(seq: u64, payload: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        encode_frame_with(&mut buf, seq, |b| b.extend_from_slice(payload));
        buf
    }

    #[test]
    fn frame_layout_is_magic_len_crc_seq_payload() {
        let buf = frame(7, b"abc");
        assert_eq!(buf.len(), HEADER_LEN + 3);
        assert_eq!(&buf[0..4], &MAGIC);
        assert_eq!(&buf[4..8], &3u32.to_le_bytes());
        assert_eq!(&buf[8..12], &frame_crc(3, 7, b"abc").to_le_bytes());
        assert_eq!(&buf[12..20], &7u64.to_le_bytes());
        assert_eq!(&buf[20..], b"abc");
    }

    #[test]
    fn short_input_is_short_not_garbage() {
        let buf = frame(1, b"hello");
        for cut in 0..buf.len() {
            assert_eq!(
                decode_frame(&buf[..cut]),
                Err(FrameError::Short),
                "cut at {cut}"
            );
        }
    }

    proptest! {
        #[test]
        fn frames_round_trip(seq in any::<u64>(), payload in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut buf = frame(seq, &payload);
            buf.extend_from_slice(b"trailing");
            let (got_seq, got, len) = decode_frame(&buf).unwrap();
            prop_assert_eq!(got_seq, seq);
            prop_assert_eq!(got, &payload[..]);
            prop_assert_eq!(len, HEADER_LEN + payload.len());
        }

        #[test]
        fn crc_catches_every_single_bit_flip(
            seq in any::<u64>(),
            payload in proptest::collection::vec(any::<u8>(), 0..512),
            bit in any::<proptest::sample::Index>(),
        ) {
            let mut buf = frame(seq, &payload);
            let bit = bit.index(buf.len() * 8);
            buf[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(decode_frame(&buf).is_err(), "flipped bit {} decoded as valid", bit);
        }
    }
}
