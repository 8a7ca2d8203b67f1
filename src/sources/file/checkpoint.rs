//! Checkpoints: the acknowledged offset of every file, kept in memory and
//! written to one JSON file per source.
//!
//! The pipeline calls [`CheckpointHandle::ack`] once lines are durable in its
//! journal; only acknowledged offsets are ever written, so a restart resumes
//! at the first line that might not be durable: nothing is lost, at most the
//! lines that were in flight are read again.
//!
//! On-disk format (`version` 1), written atomically (temporary file in the
//! same directory, mode 0600, fsync, rename, fsync of the directory):
//!
//! ```json
//! {"version":1,"source":"app","files":[
//!   {"file":"5f0c…16 hex","path":"/var/log/app/audit.log","dev":2049,"inode":1234,
//!    "fingerprint":"9a1b…16 hex","fingerprint_len":1024,"acked_offset":4096,
//!    "last_seen":1774607415}]}
//! ```
//!
//! `fingerprint` covers the first `fingerprint_len` bytes (see
//! `fingerprint.rs`); `last_seen` is the Unix time the file was last found by
//! the include globs. Entries of files not seen for `forget_after`, or beyond
//! `max_checkpoints`, are forgotten by the engine.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::error::TailError;
use super::fingerprint::{FileId, Fingerprint};

const FORMAT_VERSION: u32 = 1;

/// Where one file stands: its identity and its acknowledged offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePosition {
    pub file: FileId,
    /// Last path the file was seen at.
    pub path: PathBuf,
    pub dev: u64,
    pub inode: u64,
    pub fingerprint: Fingerprint,
    /// Lines before this offset are durable downstream.
    pub acked_offset: u64,
    /// Unix seconds when the include globs last found the file.
    pub last_seen: u64,
}

/// Shared, cheap handle on a source's checkpoints: the pipeline acks
/// through it, the engine records file identities, `status` snapshots it.
#[derive(Debug, Clone)]
pub struct CheckpointHandle {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    source_id: String,
    book: Mutex<Book>,
    /// The generation last written; its lock also serializes writers.
    persisted: Mutex<u64>,
}

#[derive(Debug, Default)]
struct Book {
    files: BTreeMap<FileId, FilePosition>,
    /// Bumped on every change worth writing.
    generation: u64,
}

impl CheckpointHandle {
    /// Loads the checkpoint file at `path` (none yet: no positions).
    pub(super) fn load(source_id: &str, path: PathBuf) -> Result<CheckpointHandle, TailError> {
        let files = read_checkpoints(&path)?
            .into_iter()
            .map(|p| (p.file, p))
            .collect();
        Ok(CheckpointHandle {
            shared: Arc::new(Shared {
                path,
                source_id: source_id.to_string(),
                book: Mutex::new(Book {
                    files,
                    generation: 0,
                }),
                persisted: Mutex::new(0),
            }),
        })
    }

    /// Lines of `file` before `end_offset` are durable; cheap, in memory.
    /// Offsets never move backwards; acks for forgotten files are ignored.
    pub fn ack(&self, file: &FileId, end_offset: u64) {
        let mut book = self.book();
        if let Some(position) = book.files.get_mut(file) {
            if end_offset > position.acked_offset {
                position.acked_offset = end_offset;
                book.generation += 1;
            }
        }
    }

    /// Writes the positions to the checkpoint file if they changed since
    /// the last write (atomically: see the module doc).
    pub fn persist(&self) -> Result<(), TailError> {
        let mut persisted = lock(&self.shared.persisted);
        let (generation, bytes) = {
            let book = self.book();
            if book.generation == *persisted {
                return Ok(());
            }
            let file = CheckpointFile {
                version: FORMAT_VERSION,
                source: self.shared.source_id.clone(),
                files: book.files.values().map(StoredPosition::from).collect(),
            };
            (book.generation, serde_json::to_vec(&file))
        };
        let written = bytes
            .map_err(io::Error::other)
            .and_then(|bytes| write_atomically(&self.shared.path, &bytes));
        written.map_err(|source| TailError::CheckpointWrite {
            path: self.shared.path.clone(),
            source,
        })?;
        *persisted = generation;
        Ok(())
    }

    /// Every known position, for status.
    pub fn snapshot(&self) -> Vec<FilePosition> {
        self.book().files.values().cloned().collect()
    }

    /// The acknowledged offset of `file`, if it is known.
    pub fn acked_offset(&self, file: &FileId) -> Option<u64> {
        self.book().files.get(file).map(|p| p.acked_offset)
    }

    /// Adds or updates a file's identity. A new entry starts at
    /// `position.acked_offset`; an existing one keeps its acked offset.
    pub(super) fn record(&self, position: FilePosition) {
        let mut book = self.book();
        match book.files.get_mut(&position.file) {
            Some(existing) => {
                let acked_offset = existing.acked_offset;
                if *existing
                    != (FilePosition {
                        acked_offset,
                        ..position.clone()
                    })
                {
                    *existing = FilePosition {
                        acked_offset,
                        ..position
                    };
                    book.generation += 1;
                }
            }
            None => {
                book.files.insert(position.file, position);
                book.generation += 1;
            }
        }
    }

    /// Marks `live` files as seen at `now`; only written when it moves by an
    /// hour, to keep an idle agent from rewriting the file every second.
    pub(super) fn touch(&self, live: &HashSet<FileId>, now: u64) {
        let mut book = self.book();
        let mut changed = false;
        for id in live {
            if let Some(position) = book.files.get_mut(id) {
                changed |= now >= position.last_seen + 3600;
                position.last_seen = now;
            }
        }
        if changed {
            book.generation += 1;
        }
    }

    /// Forgets entries not in `live` that were last seen before
    /// `now - forget_after_secs`, then the oldest beyond `max_entries`.
    /// Returns the forgotten ids.
    pub(super) fn forget_stale(
        &self,
        live: &HashSet<FileId>,
        now: u64,
        forget_after_secs: u64,
        max_entries: usize,
    ) -> Vec<FileId> {
        let mut book = self.book();
        let mut forgotten: Vec<FileId> = book
            .files
            .values()
            .filter(|p| !live.contains(&p.file) && p.last_seen + forget_after_secs < now)
            .map(|p| p.file)
            .collect();
        let remaining = book.files.len() - forgotten.len();
        if remaining > max_entries {
            let mut old: Vec<(u64, FileId)> = book
                .files
                .values()
                .filter(|p| !live.contains(&p.file) && !forgotten.contains(&p.file))
                .map(|p| (p.last_seen, p.file))
                .collect();
            old.sort();
            forgotten.extend(
                old.into_iter()
                    .take(remaining - max_entries)
                    .map(|(_, id)| id),
            );
        }
        for id in &forgotten {
            book.files.remove(id);
        }
        if !forgotten.is_empty() {
            book.generation += 1;
        }
        forgotten
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        lock(&self.shared.book)
    }
}

/// Locks, ignoring poisoning: the data are plain values, valid at any point.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads a checkpoint file without taking it over (for `auditship status`).
/// A missing file means no positions yet.
pub fn read_checkpoints(path: &Path) -> Result<Vec<FilePosition>, TailError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(TailError::CheckpointRead {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let corrupt = |source| TailError::CheckpointCorrupt {
        path: path.to_path_buf(),
        source,
    };
    let file: CheckpointFile = serde_json::from_slice(&bytes).map_err(corrupt)?;
    if file.version != FORMAT_VERSION {
        return Err(corrupt(serde::de::Error::custom(format_args!(
            "unknown version {}, this agent writes {FORMAT_VERSION}",
            file.version
        ))));
    }
    file.files
        .into_iter()
        .map(|stored| stored.into_position().map_err(corrupt))
        .collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    let _ = fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)?;
    fs::File::open(dir)?.sync_all()
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointFile {
    version: u32,
    source: String,
    files: Vec<StoredPosition>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredPosition {
    file: String,
    /// Lossy for non-UTF-8 paths: informational only, never used to match.
    path: String,
    dev: u64,
    inode: u64,
    fingerprint: String,
    fingerprint_len: u64,
    acked_offset: u64,
    last_seen: u64,
}

impl From<&FilePosition> for StoredPosition {
    fn from(p: &FilePosition) -> Self {
        StoredPosition {
            file: p.file.to_string(),
            path: p.path.to_string_lossy().into_owned(),
            dev: p.dev,
            inode: p.inode,
            fingerprint: format!("{:016x}", p.fingerprint.checksum),
            fingerprint_len: p.fingerprint.len,
            acked_offset: p.acked_offset,
            last_seen: p.last_seen,
        }
    }
}

impl StoredPosition {
    fn into_position(self) -> Result<FilePosition, serde_json::Error> {
        use serde::de::Error;
        let file = self
            .file
            .parse()
            .map_err(|_| serde_json::Error::custom(format_args!("bad file id {:?}", self.file)))?;
        let checksum = u64::from_str_radix(&self.fingerprint, 16).map_err(|_| {
            serde_json::Error::custom(format_args!("bad fingerprint {:?}", self.fingerprint))
        })?;
        Ok(FilePosition {
            file,
            path: PathBuf::from(self.path),
            dev: self.dev,
            inode: self.inode,
            fingerprint: Fingerprint {
                checksum,
                len: self.fingerprint_len,
            },
            acked_offset: self.acked_offset,
            last_seen: self.last_seen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn position(n: u64, last_seen: u64) -> FilePosition {
        let fingerprint = Fingerprint::of_bytes(format!("content {n}").as_bytes());
        FilePosition {
            file: FileId::derive(1, n, &fingerprint, 0),
            path: format!("/logs/{n}.log").into(),
            dev: 1,
            inode: n,
            fingerprint,
            acked_offset: 0,
            last_seen,
        }
    }

    #[test]
    fn acked_offsets_persist_atomically_with_mode_0600_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let handle = CheckpointHandle::load("app", path.clone()).unwrap();
        let p = position(7, 100);
        handle.record(p.clone());
        handle.ack(&p.file, 42);
        handle.ack(&p.file, 10); // Never backwards.
        handle.persist().unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!dir.path().join("cp.json.tmp").exists());
        let loaded = read_checkpoints(&path).unwrap();
        assert_eq!(
            loaded,
            vec![FilePosition {
                acked_offset: 42,
                ..p.clone()
            }]
        );
        let again = CheckpointHandle::load("app", path).unwrap();
        assert_eq!(again.acked_offset(&p.file), Some(42));
    }

    #[test]
    fn record_keeps_the_acked_offset_of_a_known_file() {
        let dir = tempfile::tempdir().unwrap();
        let handle = CheckpointHandle::load("app", dir.path().join("cp.json")).unwrap();
        let p = position(1, 0);
        handle.record(FilePosition {
            acked_offset: 5,
            ..p.clone()
        });
        handle.ack(&p.file, 9);
        handle.record(FilePosition {
            path: "/moved".into(),
            acked_offset: 0,
            ..p.clone()
        });
        let snap = handle.snapshot();
        assert_eq!(snap[0].acked_offset, 9);
        assert_eq!(snap[0].path, PathBuf::from("/moved"));
    }

    #[test]
    fn missing_file_is_empty_and_corrupt_or_truncated_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        assert!(read_checkpoints(&path).unwrap().is_empty());

        let handle = CheckpointHandle::load("app", path.clone()).unwrap();
        handle.record(position(3, 0));
        handle.persist().unwrap();
        let good = fs::read(&path).unwrap();
        fs::write(&path, &good[..good.len() / 2]).unwrap();
        let err = read_checkpoints(&path).unwrap_err();
        assert!(matches!(err, TailError::CheckpointCorrupt { .. }), "{err}");
        assert!(err.to_string().contains("move it away"), "{err}");
        fs::write(&path, b"\x00\xffgarbage").unwrap();
        assert!(CheckpointHandle::load("app", path.clone()).is_err());
        let text = String::from_utf8(good)
            .unwrap()
            .replace("\"version\":1", "\"version\":9");
        fs::write(&path, text).unwrap();
        assert!(read_checkpoints(&path)
            .unwrap_err()
            .to_string()
            .contains("unknown version 9"));
    }

    #[test]
    fn unchanged_state_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let handle = CheckpointHandle::load("app", path.clone()).unwrap();
        handle.persist().unwrap();
        assert!(!path.exists(), "nothing changed, nothing written");
        handle.record(position(1, 0));
        handle.persist().unwrap();
        fs::remove_file(&path).unwrap();
        handle.persist().unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn unwritable_directory_reports_a_write_error() {
        let handle = CheckpointHandle::load("app", "/proc/no-such-dir/cp.json".into()).unwrap();
        handle.record(position(1, 0));
        let err = handle.persist().unwrap_err();
        assert!(matches!(err, TailError::CheckpointWrite { .. }), "{err}");
    }

    #[test]
    fn stale_and_excess_entries_are_forgotten_but_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let handle = CheckpointHandle::load("app", dir.path().join("cp.json")).unwrap();
        let (old, live_old, recent, newer) = (
            position(1, 10),
            position(2, 10),
            position(3, 900),
            position(4, 950),
        );
        for p in [&old, &live_old, &recent, &newer] {
            handle.record(p.clone());
        }
        let live: HashSet<FileId> = [live_old.file].into();
        let forgotten = handle.forget_stale(&live, 1000, 500, 2);
        // `old` is stale; then 3 remain for a cap of 2: the oldest non-live goes.
        assert_eq!(forgotten, vec![old.file, recent.file]);
        let left: Vec<FileId> = handle.snapshot().iter().map(|p| p.file).collect();
        assert!(left.contains(&live_old.file) && left.contains(&newer.file));
        assert_eq!(left.len(), 2);
    }
}
