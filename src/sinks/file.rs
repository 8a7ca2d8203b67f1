//! `file` sink: NDJSON archive files, one event a line.
//!
//! - The path may hold strftime fields (`audit-%Y-%m-%d.ndjson`), expanded
//!   with the UTC time at which a batch is written, so files roll by date.
//! - With `max_file_bytes`, a file that reached the size is closed and the
//!   next part starts: `audit-2026-11-26.ndjson`, then
//!   `audit-2026-11-26.1.ndjson`, `.2`, … (the number goes before the last
//!   extension so tools still recognise the type).
//! - With `compression = "gzip"` every batch is one gzip member appended to
//!   the file (`gzip -d`/`zcat` read concatenated members as one stream) and
//!   `.gz` is added to the name unless it is already there.
//! - Every batch is written with one `write` and made durable with
//!   `fdatasync` before `write_batch` returns, so the journal cursor (and
//!   with it everything upstream) only advances over bytes on disk.
//!
//! Permissions: files are created 0640 and missing directories 0750: the
//! archive is the evidence store an auditor (or a collector running as the
//! service group) reads, so the group may read it; nobody else may, and
//! nobody but the agent may write. An existing file or directory keeps its
//! mode.
//!
//! Crash safety: a batch torn by a crash was never acknowledged, so it will
//! be written again. On (re)opening a plain file the torn tail after the
//! last newline is cut off; a gzip file is never appended to after a
//! restart — a new part starts instead, as a torn member cannot be skipped.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;

use super::SinkError;
use crate::config::{Compression, EventEncoding, FileSinkConfig};

#[derive(Debug)]
pub struct FileSink {
    pattern: String,
    compression: Compression,
    max_file_bytes: Option<u64>,
    encoding: EventEncoding,
    current: Option<OpenPart>,
    buffer: Vec<u8>,
}

/// The file being appended to.
#[derive(Debug)]
struct OpenPart {
    /// The pattern expanded for the time of the batch (part 0's path).
    base: PathBuf,
    part: u32,
    path: PathBuf,
    file: File,
    len: u64,
}

impl FileSink {
    pub fn new(config: &FileSinkConfig) -> Result<FileSink, SinkError> {
        validate_pattern(&config.path)?;
        Ok(FileSink {
            pattern: config.path.clone(),
            compression: config.compression,
            max_file_bytes: config.max_file_bytes,
            encoding: config.encoding,
            current: None,
            buffer: Vec::with_capacity(1 << 20),
        })
    }

    /// Opens today's output file and returns the `agent.seq` of the last
    /// event in it: after a crash between "written" and "cursor committed",
    /// the runner skips what is already there instead of writing it twice.
    /// `None` for gzip (members cannot be read from the end) or an empty file.
    pub fn recover_position(&mut self) -> Result<Option<u64>, SinkError> {
        if self.compression == Compression::Gzip {
            return Ok(None);
        }
        let base = self.base_path(Utc::now());
        let mut open = self.open_first(&base)?;
        let last = last_line(&mut open).map_err(|source| SinkError::Write {
            path: open.path.display().to_string(),
            source,
        })?;
        self.current = Some(open);
        Ok(last.and_then(|line| agent_seq_of(&line)))
    }

    /// The path a batch written at `now` goes to first (part 0).
    pub fn base_path(&self, now: DateTime<Utc>) -> PathBuf {
        let mut expanded = String::with_capacity(self.pattern.len() + 16);
        // The pattern was validated in `new`, so formatting cannot fail.
        let _ = write!(expanded, "{}", now.format(&self.pattern));
        if self.compression == Compression::Gzip && !expanded.ends_with(".gz") {
            expanded.push_str(".gz");
        }
        PathBuf::from(expanded)
    }

    pub fn write_batch(&mut self, lines: &[&[u8]]) -> Result<(), SinkError> {
        if lines.is_empty() {
            return Ok(());
        }
        self.encode(lines);
        let base = self.base_path(Utc::now());
        let needs_new = match &self.current {
            None => true,
            Some(open) => open.base != base,
        };
        if needs_new {
            self.current = None;
            self.current = Some(self.open_first(&base)?);
        } else if self.is_full() {
            let next = self.current.as_ref().map(|o| o.part + 1).unwrap_or(0);
            self.current = None;
            self.current = Some(open_part(&base, next, self.compression)?);
        }
        let open = self.current.as_mut().expect("a part is open");
        let result = open
            .file
            .write_all(&self.buffer)
            .and_then(|()| open.file.sync_data());
        match result {
            Ok(()) => {
                open.len += self.buffer.len() as u64;
                Ok(())
            }
            Err(source) => {
                let path = open.path.display().to_string();
                // The file may now end in a partial batch: reopen (and
                // repair) it before the retry.
                self.current = None;
                Err(SinkError::Write { path, source })
            }
        }
    }

    fn is_full(&self) -> bool {
        match (&self.current, self.max_file_bytes) {
            (Some(open), Some(max)) => open.len >= max,
            _ => false,
        }
    }

    fn encode(&mut self, lines: &[&[u8]]) {
        self.buffer.clear();
        match self.encoding {
            EventEncoding::Native => self.encode_plain(lines),
            EventEncoding::Ocsf => {
                let mapped: Vec<Vec<u8>> = lines
                    .iter()
                    .map(|line| {
                        serde_json::to_vec(&crate::sinks::ocsf::to_ocsf(line))
                            .expect("a map serializes")
                    })
                    .collect();
                self.encode_plain(&mapped.iter().map(Vec::as_slice).collect::<Vec<_>>());
            }
        }
    }

    fn encode_plain(&mut self, lines: &[&[u8]]) {
        match self.compression {
            Compression::None => {
                for line in lines {
                    self.buffer.extend_from_slice(line);
                    self.buffer.push(b'\n');
                }
            }
            Compression::Gzip => {
                let mut gz = GzEncoder::new(
                    std::mem::take(&mut self.buffer),
                    flate2::Compression::fast(),
                );
                for line in lines {
                    // Writing into a Vec cannot fail.
                    let _ = gz.write_all(line);
                    let _ = gz.write_all(b"\n");
                }
                self.buffer = gz.finish().unwrap_or_default();
            }
        }
    }

    /// Opens the part to continue for `base` after a start or a date change:
    /// the highest existing part (repaired), or a new one for gzip.
    fn open_first(&self, base: &Path) -> Result<OpenPart, SinkError> {
        let last = highest_existing_part(base);
        match (last, self.compression) {
            (None, _) => open_part(base, 0, self.compression),
            (Some(part), Compression::Gzip) => open_part(base, part + 1, self.compression),
            (Some(part), Compression::None) => {
                let mut open = open_part(base, part, self.compression)?;
                cut_torn_tail(&mut open)?;
                if self.max_file_bytes.is_some_and(|max| open.len >= max) {
                    return open_part(base, part + 1, self.compression);
                }
                Ok(open)
            }
        }
    }
}

/// Refuses patterns chrono cannot format (`%Q`), which would otherwise fail
/// at the first write.
fn validate_pattern(pattern: &str) -> Result<(), SinkError> {
    if pattern.trim().is_empty() {
        return Err(SinkError::Pattern {
            pattern: pattern.to_string(),
            reason: "the path is empty".into(),
        });
    }
    if StrftimeItems::new(pattern).any(|item| matches!(item, Item::Error)) {
        return Err(SinkError::Pattern {
            pattern: pattern.to_string(),
            reason: "unknown strftime field (use %Y, %m, %d, %H, …; write %% for a literal %)"
                .into(),
        });
    }
    Ok(())
}

/// `dir/name.ext` → `dir/name.N.ext` (part 0 is the base itself). For
/// `name.ndjson.gz` the number goes before `.ndjson.gz`.
pub fn part_path(base: &Path, part: u32) -> PathBuf {
    if part == 0 {
        return base.to_path_buf();
    }
    let name = base
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let split_at = if let Some(stem) = name.strip_suffix(".gz") {
        stem.rfind('.').filter(|&i| i > 0)
    } else {
        name.rfind('.').filter(|&i| i > 0)
    };
    let numbered = match split_at {
        Some(i) => format!("{}.{}{}", &name[..i], part, &name[i..]),
        None => format!("{name}.{part}"),
    };
    base.with_file_name(numbered)
}

fn highest_existing_part(base: &Path) -> Option<u32> {
    let mut highest = None;
    let mut part = 0;
    // Parts are created in order, so the first gap ends the search.
    while part_path(base, part).exists() {
        highest = Some(part);
        part += 1;
    }
    highest
}

fn open_part(base: &Path, part: u32, _compression: Compression) -> Result<OpenPart, SinkError> {
    let path = part_path(base, part);
    let write_err = |source| SinkError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(dir)
            .map_err(write_err)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .mode(0o640)
        .open(&path)
        .map_err(write_err)?;
    let len = file.metadata().map_err(write_err)?.len();
    Ok(OpenPart {
        base: base.to_path_buf(),
        part,
        path,
        file,
        len,
    })
}

/// Truncates a plain NDJSON file after its last newline: whatever follows is
/// the torn remainder of a batch that was never acknowledged.
fn cut_torn_tail(open: &mut OpenPart) -> Result<(), SinkError> {
    if open.len == 0 {
        return Ok(());
    }
    let path = open.path.display().to_string();
    let err = |source| SinkError::Write {
        path: path.clone(),
        source,
    };
    let tail_len = open.len.min(64 * 1024);
    let mut tail = vec![0u8; tail_len as usize];
    open.file
        .seek(SeekFrom::Start(open.len - tail_len))
        .map_err(err)?;
    open.file.read_exact(&mut tail).map_err(err)?;
    if tail.last() == Some(&b'\n') {
        return Ok(());
    }
    let keep = match tail.iter().rposition(|&b| b == b'\n') {
        Some(i) => open.len - tail_len + i as u64 + 1,
        // A torn line longer than 64 KiB: find the newline the slow way.
        None => last_newline_end(&mut open.file, open.len - tail_len).map_err(err)?,
    };
    tracing::warn!(path = %path, cut_bytes = open.len - keep, "Cut the torn end of an output file left by a crash; those events are written again.");
    open.file.set_len(keep).map_err(err)?;
    open.file.sync_data().map_err(err)?;
    open.len = keep;
    Ok(())
}

/// The last complete line of a plain file (at most 1 MiB of it).
fn last_line(open: &mut OpenPart) -> std::io::Result<Option<Vec<u8>>> {
    if open.len == 0 {
        return Ok(None);
    }
    let end = open.len - 1; // the final newline
    let start = if end == 0 {
        0
    } else {
        last_newline_end(&mut open.file, end)?
    };
    if end - start > 1024 * 1024 {
        return Ok(None);
    }
    let mut line = vec![0u8; (end - start) as usize];
    open.file.seek(SeekFrom::Start(start))?;
    open.file.read_exact(&mut line)?;
    Ok(Some(line))
}

/// `agent.seq` of one output line (`metadata.sequence` in OCSF), if it is
/// an event with one.
fn agent_seq_of(line: &[u8]) -> Option<u64> {
    let value: serde_json::Value = crate::json_bytes::from_json_bytes(line).ok()?;
    match value.get("agent") {
        Some(agent) => agent.get("seq")?.as_u64(),
        None => value.get("metadata")?.get("sequence")?.as_u64(),
    }
}

fn last_newline_end(file: &mut File, before: u64) -> std::io::Result<u64> {
    let mut end = before;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let buf = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(buf)?;
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::MultiGzDecoder;

    fn sink(dir: &Path, name: &str, compression: Compression, max: Option<u64>) -> FileSink {
        FileSink::new(&FileSinkConfig {
            path: dir.join(name).display().to_string(),
            compression,
            max_file_bytes: max,
            encoding: EventEncoding::Native,
        })
        .unwrap()
    }

    #[test]
    fn writes_one_line_per_event_and_expands_the_date() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = sink(dir.path(), "out-%Y.ndjson", Compression::None, None);
        s.write_batch(&[b"{\"a\":1}", b"{\"a\":2}"]).unwrap();
        s.write_batch(&[b"{\"a\":3}"]).unwrap();
        let path = dir
            .path()
            .join(format!("out-{}.ndjson", Utc::now().format("%Y")));
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"
        );
    }

    #[test]
    fn rotates_by_size_into_numbered_parts() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = sink(dir.path(), "out.ndjson", Compression::None, Some(10));
        for i in 0..3 {
            s.write_batch(&[format!("{{\"n\":{i}}}").as_bytes()])
                .unwrap();
        }
        let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap();
        assert_eq!(read("out.ndjson"), "{\"n\":0}\n{\"n\":1}\n");
        assert_eq!(read("out.1.ndjson"), "{\"n\":2}\n");
    }

    #[test]
    fn gzip_members_concatenate_into_one_stream_and_restart_opens_a_new_part() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = sink(dir.path(), "out.ndjson", Compression::Gzip, None);
        s.write_batch(&[b"1"]).unwrap();
        s.write_batch(&[b"2", b"3"]).unwrap();
        drop(s);
        let mut s = sink(dir.path(), "out.ndjson", Compression::Gzip, None);
        s.write_batch(&[b"4"]).unwrap();
        let unzip = |n: &str| {
            let mut text = String::new();
            MultiGzDecoder::new(File::open(dir.path().join(n)).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            text
        };
        assert_eq!(unzip("out.ndjson.gz"), "1\n2\n3\n");
        assert_eq!(unzip("out.1.ndjson.gz"), "4\n");
    }

    #[test]
    fn a_torn_tail_is_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.ndjson");
        std::fs::write(&path, "{\"ok\":1}\n{\"torn\":").unwrap();
        let mut s = sink(dir.path(), "out.ndjson", Compression::None, None);
        s.write_batch(&[b"{\"ok\":2}"]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"ok\":1}\n{\"ok\":2}\n"
        );
    }

    #[test]
    fn recover_position_reads_the_last_written_seq() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = sink(dir.path(), "out.ndjson", Compression::None, None);
        assert_eq!(s.recover_position().unwrap(), None);
        s.write_batch(&[
            br#"{"agent":{"host":"h","seq":41}}"#,
            br#"{"agent":{"host":"h","seq":42}}"#,
        ])
        .unwrap();
        drop(s);
        let mut s = sink(dir.path(), "out.ndjson", Compression::None, None);
        assert_eq!(s.recover_position().unwrap(), Some(42));
        s.write_batch(&[br#"{"agent":{"host":"h","seq":43}}"#])
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out.ndjson"))
                .unwrap()
                .lines()
                .count(),
            3
        );
    }

    #[test]
    fn part_numbers_go_before_the_extension() {
        let p = |s: &str, n| part_path(Path::new(s), n).display().to_string();
        assert_eq!(p("/a/out.ndjson", 0), "/a/out.ndjson");
        assert_eq!(p("/a/out.ndjson", 2), "/a/out.2.ndjson");
        assert_eq!(p("/a/out.ndjson.gz", 1), "/a/out.1.ndjson.gz");
        assert_eq!(p("/a/out", 3), "/a/out.3");
    }

    #[test]
    fn unknown_strftime_fields_are_refused_at_build() {
        let err = FileSink::new(&FileSinkConfig {
            path: "/tmp/out-%Q.ndjson".into(),
            compression: Compression::None,
            max_file_bytes: None,
            encoding: EventEncoding::Native,
        })
        .unwrap_err();
        assert!(err.to_string().contains("unknown strftime field"), "{err}");
    }

    #[test]
    fn an_unwritable_directory_is_an_error_that_says_what_to_check() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let mut s = sink(&blocker, "out.ndjson", Compression::None, None);
        let err = s.write_batch(&[b"1"]).unwrap_err();
        assert!(err.to_string().contains("is writable"), "{err}");
    }
}
