//! The errors of the file tailing engine, one variant per cause an operator
//! can act on. Per-file read problems (permission denied, a file vanishing
//! between `stat` and `open`) are not errors of the engine: they are logged,
//! and the file is retried on the next pass.

use std::path::PathBuf;

/// Why the file tailing engine could not start, load or save its state.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    #[error("include glob {pattern:?} is invalid: {source}; fix the pattern")]
    IncludeGlob {
        pattern: String,
        source: glob::PatternError,
    },
    #[error("exclude glob {pattern:?} is invalid: {source}; fix the pattern")]
    ExcludeGlob {
        pattern: String,
        source: glob::PatternError,
    },
    #[error("tailer option {name} {reason}")]
    InvalidOption { name: &'static str, reason: String },
    #[error("cannot read checkpoint file {path}: {source}; check its owner and permissions")]
    CheckpointRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "checkpoint file {path} is corrupt ({source}); move it away to start over \
         (files are then read again as start_at says)"
    )]
    CheckpointCorrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "cannot write checkpoint file {path}: {source}; check free space and the \
         permissions of its directory"
    )]
    CheckpointWrite {
        path: PathBuf,
        source: std::io::Error,
    },
}
