//! The journal's error type: one variant per cause an operator can act on.
//!
//! Invariant: a bad record is never an error here (it is quarantined and
//! counted); errors are about the disk, the lock, closing and API misuse.

use std::io;
use std::path::PathBuf;

/// Why a journal operation failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Another process (or another `Journal` in this one) holds the lock.
    #[error("journal {} is in use by another auditship process; stop it or use another data_dir", dir.display())]
    InUse { dir: PathBuf },
    /// A file operation failed.
    #[error("journal i/o failed on {}; check free space, permissions and the disk", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// `append` after `close`, or the agent is shutting down.
    #[error("journal is closed; the agent is shutting down")]
    Closed,
    /// The writer thread hit an i/o error it could not undo.
    #[error("journal writer stopped after an unrecoverable i/o error; restart the agent")]
    WriterFailed,
    /// The encode closure given to `append` panicked; nothing of it was written.
    #[error("journal encode callback panicked; the batch was not written")]
    EncodePanicked,
    /// Cursor names become file names.
    #[error("cursor name {name:?} is invalid; use 1 to 128 letters, digits, '-', '_' or '.' (not starting with '.')")]
    InvalidCursorName { name: String },
    /// Each sink owns exactly one cursor at a time.
    #[error("cursor {name} is already open; each sink must own its cursor alone")]
    CursorInUse { name: String },
    /// `commit` named a seq the cursor has not read yet.
    #[error("cursor {name} cannot commit through seq {through_seq}: only seqs below {read_position} were read")]
    CommitAhead {
        name: String,
        through_seq: u64,
        read_position: u64,
    },
}

impl JournalError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        JournalError::Io {
            path: path.into(),
            source,
        }
    }

    /// A copy for handing one failure to many waiting appenders
    /// (`io::Error` is not `Clone`).
    pub(crate) fn duplicate(&self) -> Self {
        match self {
            JournalError::InUse { dir } => JournalError::InUse { dir: dir.clone() },
            JournalError::Io { path, source } => JournalError::Io {
                path: path.clone(),
                source: io::Error::new(source.kind(), source.to_string()),
            },
            JournalError::Closed => JournalError::Closed,
            JournalError::WriterFailed => JournalError::WriterFailed,
            JournalError::EncodePanicked => JournalError::EncodePanicked,
            JournalError::InvalidCursorName { name } => {
                JournalError::InvalidCursorName { name: name.clone() }
            }
            JournalError::CursorInUse { name } => JournalError::CursorInUse { name: name.clone() },
            JournalError::CommitAhead {
                name,
                through_seq,
                read_position,
            } => JournalError::CommitAhead {
                name: name.clone(),
                through_seq: *through_seq,
                read_position: *read_position,
            },
        }
    }
}
