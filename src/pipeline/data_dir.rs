//! The data directory: created private, and refused when it is not.
//!
//! Everything the agent keeps lives under `data_dir` (journal, cursors,
//! file checkpoints, the signing key, dead letters, quarantine). Each writer
//! creates its files 0600 and its directories 0700, but that protects
//! nothing if another user can write to `data_dir` itself: they could
//! delete or swap a segment, a cursor or the key (rename works on any file
//! in a directory one can write to). So a `data_dir` writable by group or
//! others stops the start with the `chmod` to run. Read permission for
//! group is tolerated (an operator may want a monitoring group to run
//! `auditship status`), write permission never.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use super::PipelineError;

/// Permission bits that would let someone else change `data_dir`.
const FOREIGN_WRITE: u32 = 0o022;

/// Creates `dir` (and parents) 0700 if missing; a `dir` that already
/// exists keeps its mode (see [`ensure_not_writable_by_others`]).
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), PipelineError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| PipelineError::DataDir {
            path: dir.display().to_string(),
            source,
        })
}

/// Refuses a `data_dir` that group or others may write to.
pub(crate) fn ensure_not_writable_by_others(dir: &Path) -> Result<(), PipelineError> {
    let meta = std::fs::metadata(dir).map_err(|source| PipelineError::DataDir {
        path: dir.display().to_string(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & FOREIGN_WRITE != 0 {
        return Err(PipelineError::DataDirWritableByOthers {
            path: dir.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_mode(mode: u32) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        dir
    }

    #[test]
    fn a_new_data_dir_and_its_parents_are_created_0700() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_private_dir(&dir).unwrap();
        for d in [root.path().join("a"), dir.clone()] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
        ensure_not_writable_by_others(&dir).unwrap();
    }

    #[test]
    fn group_or_world_writable_data_dir_is_refused_with_the_chmod_to_run() {
        for mode in [0o770, 0o702, 0o777, 0o1777] {
            let dir = with_mode(mode);
            let err = ensure_not_writable_by_others(dir.path()).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(&format!("chmod 700 {}", dir.path().display())),
                "{text}"
            );
            assert!(text.contains(&format!("{mode:04o}")), "{text}");
        }
    }

    #[test]
    fn private_or_group_readable_data_dir_is_accepted() {
        for mode in [0o700, 0o750, 0o755] {
            let dir = with_mode(mode);
            ensure_not_writable_by_others(dir.path()).unwrap();
        }
    }
}
