//! Joining the records of one auditd event into one entry, before
//! parsing. Parsing stays a pure function of one entry (and so can run in
//! parallel); the state that spans lines lives here, in the one place that
//! sees a file's lines in order.
//!
//! Rules (SCHEMA.md "auditd grouping"; `audit.log` never holds `EOE`, only
//! dispatcher consumers see it):
//! - records with the same `(node, TIME:SERIAL)` stamp that follow each
//!   other form one entry: the lines joined by `\n`, at the offset of the
//!   first;
//! - a record with another stamp closes the open entry; so does `EOE`
//!   (which is kept in the entry) and a line that is no record at all
//!   (passed on alone, for the parser to quarantine);
//! - the caller closes an entry whose last record is older than a short
//!   timeout ([`AuditdGrouper::take_open`]) — the rest of an event that
//!   arrives later becomes a second event with the same serial;
//! - an entry is closed at [`MAX_GROUP_RECORDS`] records or
//!   [`MAX_GROUP_BYTES`] bytes, so memory stays bounded.
//!
//! Records of different events that interleave are not re-joined: each
//! run becomes its own event (nothing is lost; `details.serial` ties
//! them). Keeping entries contiguous is what keeps file acknowledgement
//! exact: every entry spans `[offset, next entry's offset)`, and the open
//! entry's offset ([`AuditdGrouper::open_offset`]) is the highest offset
//! that may be acknowledged.
//!
//! Pure: no clock, no I/O; the caller owns time.

/// Most records joined into one entry.
pub const MAX_GROUP_RECORDS: usize = 512;
/// Most bytes joined into one entry.
pub const MAX_GROUP_BYTES: usize = 1 << 20;

/// Bytes an open entry's buffer starts with.
const GROUP_CAPACITY: usize = 1000;

/// One entry for the parser: a whole event, or one line passed through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupedEntry {
    /// Offset of the first line.
    pub offset: u64,
    pub bytes: Vec<u8>,
    /// `Some(full length)` for an over-long line passed through as it was.
    pub too_long: Option<u64>,
}

#[derive(Debug)]
struct OpenGroup {
    key: Vec<u8>,
    entry: GroupedEntry,
    records: usize,
}

/// Joins the records of one stream (one file); see the module doc.
#[derive(Debug, Default)]
pub struct AuditdGrouper {
    open: Option<OpenGroup>,
    /// The key buffer of the last closed group, reused for the next one.
    spare_key: Vec<u8>,
}

/// The `(node, stamp)` of a record line; `None` for a line that is no
/// record. Borrowed: most lines join the open group, and comparing needs
/// no copy ([`key_matches`]). Read from the bytes: a stray invalid byte
/// elsewhere in a record (a `comm` the kernel did not hex-encode) must not
/// split its event; the parser reads the whole entry, replacing such
/// bytes and flagging the event.
fn key_of(line: &[u8]) -> Option<(&[u8], &[u8])> {
    // Only a record can belong to an event (`format = "auto"` sends every
    // line here; a JSON line quoting `msg=audit(…)` is not one).
    if !(line.starts_with(b"type=") || line.starts_with(b"node=")) {
        return None;
    }
    let node =
        line.strip_prefix(b"node=")
            .map_or(&[][..], |rest| match memchr::memchr(b' ', rest) {
                Some(end) => &rest[..end],
                None => rest,
            });
    let start = STAMP.find(line)? + STAMP_OPEN.len();
    let end = start + memchr::memchr(b')', &line[start..])?;
    Some((node, &line[start..end]))
}

const STAMP_OPEN: &[u8] = b"msg=audit(";

static STAMP: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(STAMP_OPEN));

/// The stored form of a key: `node`, NUL, `stamp`, written into `key`.
fn store_key(mut key: Vec<u8>, (node, stamp): (&[u8], &[u8])) -> Vec<u8> {
    key.clear();
    key.extend_from_slice(node);
    key.push(0);
    key.extend_from_slice(stamp);
    key
}

/// Whether a line's key is the stored one. Compared in words, inline: a
/// stamp is some 20 bytes, and this runs for every line.
fn key_matches(stored: &[u8], (node, stamp): (&[u8], &[u8])) -> bool {
    stored.len() == node.len() + 1 + stamp.len()
        && stored[node.len()] == 0
        && same_bytes(&stored[..node.len()], node)
        && same_bytes(&stored[node.len() + 1..], stamp)
}

/// `a == b` for two slices of equal length, eight bytes at a time.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let (a_words, a_rest) = a.as_chunks::<8>();
    let (b_words, b_rest) = b.as_chunks::<8>();
    a_words
        .iter()
        .zip(b_words)
        .all(|(x, y)| u64::from_ne_bytes(*x) == u64::from_ne_bytes(*y))
        && a_rest.iter().zip(b_rest).all(|(x, y)| x == y)
}

fn is_eoe(line: &[u8]) -> bool {
    let body = match line.strip_prefix(b"node=") {
        Some(rest) => rest
            .iter()
            .position(|b| *b == b' ')
            .map_or(&[][..], |i| &rest[i + 1..]),
        None => line,
    };
    body.starts_with(b"type=EOE ")
}

impl AuditdGrouper {
    pub fn new() -> AuditdGrouper {
        AuditdGrouper::default()
    }

    /// Feeds the next line (without its newline) at `offset`; entries it
    /// completes are appended to `out`, in file order.
    pub fn push(
        &mut self,
        offset: u64,
        line: &[u8],
        too_long: Option<u64>,
        out: &mut Vec<GroupedEntry>,
    ) {
        let key = if too_long.is_some() {
            None
        } else {
            key_of(line)
        };
        let Some(key) = key else {
            out.extend(self.take_open());
            out.push(GroupedEntry {
                offset,
                bytes: line.to_vec(),
                too_long,
            });
            return;
        };
        match &mut self.open {
            Some(open)
                if key_matches(&open.key, key)
                    && open.records < MAX_GROUP_RECORDS
                    && open.entry.bytes.len() + line.len() < MAX_GROUP_BYTES =>
            {
                open.entry.bytes.push(b'\n');
                open.entry.bytes.extend_from_slice(line);
                open.records += 1;
            }
            _ => {
                out.extend(self.take_open());
                // Room for the event's other records from the start: a
                // `SYSCALL` event's records are 3–6 lines of 50–400 bytes,
                // and growing the buffer record by record copied it again
                // each time. 1,000 bytes stays under glibc's per-thread
                // cache limit (1,032), which serves it fastest.
                let mut bytes = Vec::with_capacity(line.len().max(GROUP_CAPACITY));
                bytes.extend_from_slice(line);
                self.open = Some(OpenGroup {
                    key: store_key(std::mem::take(&mut self.spare_key), key),
                    entry: GroupedEntry {
                        offset,
                        bytes,
                        too_long: None,
                    },
                    records: 1,
                });
            }
        }
        if is_eoe(line) {
            out.extend(self.take_open());
        }
    }

    /// Closes the open entry (timeout, end of input) and returns it.
    pub fn take_open(&mut self) -> Option<GroupedEntry> {
        self.open.take().map(|open| {
            self.spare_key = open.key;
            open.entry
        })
    }

    /// Offset of the open entry's first line: nothing from there on may be
    /// acknowledged yet.
    pub fn open_offset(&self) -> Option<u64> {
        self.open.as_ref().map(|open| open.entry.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(lines: &[&str]) -> (Vec<GroupedEntry>, Option<GroupedEntry>) {
        let mut g = AuditdGrouper::new();
        let mut out = Vec::new();
        let mut offset = 0;
        for line in lines {
            g.push(offset, line.as_bytes(), None, &mut out);
            offset += line.len() as u64 + 1;
        }
        (out, g.take_open())
    }

    #[test]
    fn records_sharing_a_stamp_join_and_a_new_stamp_closes() {
        let (out, open) = run(&[
            "type=SYSCALL msg=audit(1.0:58): a=1",
            "type=SOCKADDR msg=audit(1.0:58): saddr=00",
            "type=SYSCALL msg=audit(2.0:59): a=2",
            "type=CWD msg=audit(2.0:59): cwd=\"/\"",
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].offset, 0);
        assert_eq!(
            out[0].bytes,
            b"type=SYSCALL msg=audit(1.0:58): a=1\ntype=SOCKADDR msg=audit(1.0:58): saddr=00"
        );
        let open = open.unwrap();
        assert_eq!(open.offset, 78);
        assert!(open.bytes.ends_with(b"cwd=\"/\""));
    }

    #[test]
    fn eoe_closes_at_once_and_other_nodes_do_not_join() {
        let mut g = AuditdGrouper::new();
        let mut out = Vec::new();
        g.push(
            0,
            b"node=a type=SYSCALL msg=audit(1.0:1): x=1",
            None,
            &mut out,
        );
        assert_eq!(g.open_offset(), Some(0));
        g.push(
            50,
            b"node=b type=PATH msg=audit(1.0:1): x=1",
            None,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        g.push(90, b"node=b type=EOE msg=audit(1.0:1): ", None, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].offset, 50);
        assert_eq!(g.open_offset(), None);
    }

    #[test]
    fn lines_without_a_stamp_and_too_long_lines_pass_through_alone() {
        let mut g = AuditdGrouper::new();
        let mut out = Vec::new();
        g.push(0, b"type=SYSCALL msg=audit(1.0:1): x=1", None, &mut out);
        g.push(40, b"type=UNKNOWN[1329] msg=?", None, &mut out);
        g.push(
            70,
            b"type=PATH msg=audit(1.0:1): x",
            Some(5_000_000),
            &mut out,
        );
        assert_eq!(out.len(), 3);
        assert_eq!((out[1].offset, out[2].offset), (40, 70));
        assert_eq!(out[2].too_long, Some(5_000_000));
    }

    #[test]
    fn keys_include_the_node_and_ignore_bytes_that_are_not_utf8() {
        assert_eq!(
            key_of(b"node=a type=X msg=audit(1.2:3): x=y"),
            Some((&b"a"[..], &b"1.2:3"[..]))
        );
        assert_eq!(
            key_of(b"type=X msg=audit(1.2:3): x=y"),
            Some((&b""[..], &b"1.2:3"[..]))
        );
        assert_eq!(key_of(b"type=UNKNOWN[1] msg=?"), None);
        assert_eq!(key_of(br#"{"m":"type=X msg=audit(1.2:3): x"}"#), None);
        // A bad byte in a value does not split the event.
        let (out, open) = run_bytes(&[
            b"type=SYSCALL msg=audit(1.0:7): comm=\"a\xffb\"",
            b"type=CWD msg=audit(1.0:7): cwd=\"/\"",
        ]);
        assert!(out.is_empty());
        assert_eq!(open.unwrap().bytes.split(|b| *b == b'\n').count(), 2);
    }

    #[test]
    fn keys_match_only_the_same_node_and_stamp() {
        let stored = store_key(Vec::new(), (b"host", b"1700000000.123:4567"));
        assert!(key_matches(&stored, (b"host", b"1700000000.123:4567")));
        assert!(!key_matches(&stored, (b"host", b"1700000000.123:4568")));
        assert!(!key_matches(&stored, (b"hosu", b"1700000000.123:4567")));
        assert!(!key_matches(&stored, (b"", b"host\x001700000000.123:4567")));
        assert!(!key_matches(&stored, (b"host\x001700000000", b"123:4567")));
    }

    fn run_bytes(lines: &[&[u8]]) -> (Vec<GroupedEntry>, Option<GroupedEntry>) {
        let mut g = AuditdGrouper::new();
        let mut out = Vec::new();
        let mut offset = 0;
        for line in lines {
            g.push(offset, line, None, &mut out);
            offset += line.len() as u64 + 1;
        }
        (out, g.take_open())
    }

    proptest! {
        #[test]
        fn grouping_keeps_every_byte_in_order(lines in proptest::collection::vec(
            prop_oneof![
                "type=[A-Z]{1,4} msg=audit\\(1\\.0:[1-3]\\): [a-z=]{0,5}",
                "type=EOE msg=audit\\(1\\.0:[1-3]\\): ",
                any::<String>().prop_map(|s| s.replace('\n', "")),
            ], 0..20)) {
            let mut g = AuditdGrouper::new();
            let mut out = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                g.push(i as u64, line.as_bytes(), None, &mut out);
            }
            out.extend(g.take_open());
            let joined: Vec<u8> = out.iter().map(|e| e.bytes.clone()).collect::<Vec<_>>().join(&b'\n');
            prop_assert_eq!(joined, lines.join("\n").into_bytes());
            prop_assert!(out.windows(2).all(|w| w[0].offset < w[1].offset));
        }
    }
}
