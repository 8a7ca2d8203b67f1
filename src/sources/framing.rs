//! Splits a byte stream into entries: RFC 6587 octet counting
//! (`LEN SP MSG`) or one entry per line (LF, a trailing CR dropped),
//! detected once per connection from its first byte — a digit `1`–`9`
//! means octet counting, since a syslog message starts with `<` and a JSON
//! entry with `{`.
//!
//! Memory is bounded by `max_frame` whatever the input: a longer frame
//! keeps its first bytes ([`Frame::TooLong`]) and the rest is skipped —
//! to the next LF, or exactly `LEN` bytes with octet counting, so the
//! stream stays in sync. When an octet count is unreadable, sync is lost:
//! the bytes up to the next LF become a [`Frame::Broken`] and the framer
//! goes on with the next line, treating it as the start of a frame.
//!
//! Pure: no I/O, fed by the connection task ([`Framer::push`]).

use super::ingest::Frame;

/// Longest `LEN` prefix accepted (10 digits covers any frame we keep).
const MAX_LEN_DIGITS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Undecided,
    OctetCounting,
    Lines,
}

/// What the framer is in the middle of.
#[derive(Debug)]
enum State {
    /// At a frame boundary.
    Start,
    /// Inside an octet-counted frame of `remaining` more bytes.
    Counted { len: u64, remaining: u64 },
    /// Inside a line longer than the limit: skipping to the next LF.
    SkippingLine { len: u64 },
    /// After an unreadable octet count: collecting to the next LF.
    Garbage,
}

/// Incremental framer of one connection.
#[derive(Debug)]
pub struct Framer {
    framing: Framing,
    state: State,
    max_frame: usize,
    /// Bytes of the current frame (at most `max_frame`).
    buf: Vec<u8>,
}

impl Framer {
    pub fn new(max_frame: usize) -> Framer {
        Framer {
            framing: Framing::Undecided,
            state: State::Start,
            max_frame: max_frame.max(1),
            buf: Vec::new(),
        }
    }

    /// Consumes `input`, appending every frame it completes to `out`.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<Frame>) {
        while !input.is_empty() {
            input = match self.state {
                State::Start => self.at_start(input, out),
                State::Counted { len, remaining } => self.in_counted(input, len, remaining, out),
                State::SkippingLine { len } => self.skipping(input, len, out),
                State::Garbage => self.garbage(input, out),
            };
        }
    }

    /// The end of the stream: a last line without LF is an entry; a cut
    /// octet-counted frame is broken.
    pub fn finish(&mut self, out: &mut Vec<Frame>) {
        let buf = std::mem::take(&mut self.buf);
        match std::mem::replace(&mut self.state, State::Start) {
            State::Start if buf.is_empty() => {}
            State::Start if self.framing == Framing::OctetCounting => out.push(Frame::Broken {
                bytes: buf,
                reason: "connection closed inside an octet count".into(),
            }),
            State::Start => out.push(Frame::Entry(strip_cr(buf))),
            State::Counted { len, remaining } => out.push(Frame::Broken {
                bytes: buf,
                reason: format!(
                    "connection closed {remaining} bytes before the end of a {len}-byte frame"
                ),
            }),
            State::SkippingLine { len } => out.push(Frame::TooLong { prefix: buf, len }),
            State::Garbage => out.push(Frame::Broken {
                bytes: buf,
                reason: "expected an RFC 6587 octet count (LEN SP MSG)".into(),
            }),
        }
    }

    fn at_start<'a>(&mut self, input: &'a [u8], out: &mut Vec<Frame>) -> &'a [u8] {
        if self.framing == Framing::Undecided {
            self.framing = if matches!(input[0], b'1'..=b'9') {
                Framing::OctetCounting
            } else {
                Framing::Lines
            };
        }
        match self.framing {
            Framing::OctetCounting => self.octet_count(input, out),
            _ => self.line(input, out),
        }
    }

    /// Reads `LEN SP` (possibly across pushes, kept in `buf`).
    fn octet_count<'a>(&mut self, input: &'a [u8], out: &mut Vec<Frame>) -> &'a [u8] {
        for (i, &byte) in input.iter().enumerate() {
            match byte {
                b'0'..=b'9' if self.buf.len() < MAX_LEN_DIGITS => self.buf.push(byte),
                b' ' if !self.buf.is_empty() && self.buf[0] != b'0' => {
                    let len: u64 = std::str::from_utf8(&self.buf)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    self.buf.clear();
                    self.state = State::Counted {
                        len,
                        remaining: len,
                    };
                    return &input[i + 1..];
                }
                // Out of sync: what came so far and the rest of the line
                // are garbage; the next line starts a frame again.
                _ => {
                    self.state = State::Garbage;
                    return self.garbage(&input[i..], out);
                }
            }
        }
        &[]
    }

    fn garbage<'a>(&mut self, input: &'a [u8], out: &mut Vec<Frame>) -> &'a [u8] {
        let end = memchr::memchr(b'\n', input);
        let chunk = &input[..end.unwrap_or(input.len())];
        let room = self.max_frame.saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        match end {
            Some(end) => {
                out.push(Frame::Broken {
                    bytes: std::mem::take(&mut self.buf),
                    reason: "expected an RFC 6587 octet count (LEN SP MSG)".into(),
                });
                self.state = State::Start;
                &input[end + 1..]
            }
            None => &[],
        }
    }

    fn in_counted<'a>(
        &mut self,
        input: &'a [u8],
        len: u64,
        remaining: u64,
        out: &mut Vec<Frame>,
    ) -> &'a [u8] {
        let take = (remaining as usize).min(input.len());
        let room = self.max_frame.saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&input[..take.min(room)]);
        let remaining = remaining - take as u64;
        if remaining == 0 {
            let bytes = std::mem::take(&mut self.buf);
            out.push(if len as usize > self.max_frame {
                Frame::TooLong { prefix: bytes, len }
            } else {
                Frame::Entry(bytes)
            });
            self.state = State::Start;
        } else {
            self.state = State::Counted { len, remaining };
        }
        &input[take..]
    }

    fn line<'a>(&mut self, input: &'a [u8], out: &mut Vec<Frame>) -> &'a [u8] {
        let end = memchr::memchr(b'\n', input);
        let chunk = &input[..end.unwrap_or(input.len())];
        let room = self.max_frame.saturating_sub(self.buf.len());
        if chunk.len() > room {
            self.buf.extend_from_slice(&chunk[..room]);
            let len = (self.buf.len() - room + chunk.len()) as u64;
            self.state = State::SkippingLine { len };
            return self.skipping(&input[chunk.len()..], len, out);
        }
        self.buf.extend_from_slice(chunk);
        match end {
            Some(end) => {
                out.push(Frame::Entry(strip_cr(std::mem::take(&mut self.buf))));
                &input[end + 1..]
            }
            None => &[],
        }
    }

    fn skipping<'a>(&mut self, input: &'a [u8], len: u64, out: &mut Vec<Frame>) -> &'a [u8] {
        match memchr::memchr(b'\n', input) {
            Some(end) => {
                let prefix = std::mem::take(&mut self.buf);
                out.push(Frame::TooLong {
                    prefix,
                    len: len + end as u64,
                });
                self.state = State::Start;
                &input[end + 1..]
            }
            None => {
                self.state = State::SkippingLine {
                    len: len + input.len() as u64,
                };
                &[]
            }
        }
    }
}

fn strip_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(max: usize, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut framer = Framer::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, &mut out);
        }
        framer.finish(&mut out);
        out
    }

    fn entry(text: &str) -> Frame {
        Frame::Entry(text.as_bytes().to_vec())
    }

    #[test]
    fn lines_split_on_lf_across_pushes_and_keep_a_last_line_without_lf() {
        assert_eq!(
            frames(100, &[b"<13>a\r\n<1", b"4>b\n", b"tail"]),
            vec![entry("<13>a"), entry("<14>b"), entry("tail")]
        );
    }

    #[test]
    fn octet_counting_is_detected_and_keeps_newlines_inside_messages() {
        assert_eq!(
            frames(100, &[b"5 ab\ncd3 x", b"yz11 <1>two\nlin"]),
            vec![
                entry("ab\ncd"),
                entry("xyz"),
                Frame::Broken {
                    bytes: b"<1>two\nlin".to_vec(),
                    reason: "connection closed 1 bytes before the end of a 11-byte frame".into()
                }
            ]
        );
    }

    #[test]
    fn an_oversize_counted_frame_is_cut_and_the_stream_stays_in_sync() {
        assert_eq!(
            frames(4, &[b"10 0123456789", b"2 ok"]),
            vec![
                Frame::TooLong {
                    prefix: b"0123".to_vec(),
                    len: 10
                },
                entry("ok")
            ]
        );
    }

    #[test]
    fn an_oversize_line_is_cut_and_reading_resumes_after_its_lf() {
        assert_eq!(
            frames(3, &[b"abcdef", b"gh\nok\n"]),
            vec![
                Frame::TooLong {
                    prefix: b"abc".to_vec(),
                    len: 8
                },
                entry("ok")
            ]
        );
    }

    #[test]
    fn garbage_instead_of_an_octet_count_is_broken_until_the_next_lf() {
        let out = frames(100, &[b"3 abcxx garbage\n4 good"]);
        assert_eq!(out[0], entry("abc"));
        assert!(matches!(&out[1], Frame::Broken { bytes, .. } if bytes == b"xx garbage"));
        assert_eq!(out[2], entry("good"));
    }

    #[test]
    fn any_bytes_in_any_chunks_never_panic_and_memory_stays_bounded() {
        let noise: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for max in [1, 7, 64] {
            for split in [1, 3, 100] {
                let chunks: Vec<&[u8]> = noise.chunks(split).collect();
                for frame in frames(max, &chunks) {
                    match frame {
                        Frame::Entry(b) | Frame::TooLong { prefix: b, .. } => {
                            assert!(b.len() <= max)
                        }
                        Frame::Broken { bytes, .. } => assert!(bytes.len() <= max + MAX_LEN_DIGITS),
                        Frame::Forwarded { .. } => unreachable!("framing never forwards"),
                    }
                }
            }
        }
    }
}
