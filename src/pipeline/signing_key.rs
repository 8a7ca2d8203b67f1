//! The agent's checkpoint signing key on disk.
//!
//! Default location `data_dir/keys/checkpoint.pk8` (directory 0700, file
//! 0600, PKCS#8 v2 as `ring` writes it), generated at the first start so a
//! new agent signs from its first checkpoint on. `[integrity] signing_key`
//! points at an operator-provided PKCS#8 file instead; that file is never
//! created or changed by the agent.
//!
//! Why generated rather than required: tamper evidence should not depend on
//! an operator remembering a setup step. The central side learns the public
//! key with `auditship key show` and passes it to `auditship verify
//! --pubkey`; without that, a verifier can only check that checkpoints are
//! self-consistent.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;

use crate::chain::checkpoint::CheckpointSigner;
use crate::config::IntegrityConfig;

/// Why the signing key could not be used; each names the file and a fix.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    #[error("signing key {path}: {source} (check the path and that the service user may read it)")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("signing key {path}: {reason} (give a PKCS#8 Ed25519 key, e.g. from `openssl genpkey -algorithm ed25519 -outform DER`)")]
    Invalid { path: PathBuf, reason: String },
    #[error("cannot create signing key {path}: {source} (make data_dir writable, or set [integrity] signing_key)")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no signing key at {path} yet: the agent creates it at its first start (or set [integrity] signing_key)")]
    Missing { path: PathBuf },
}

/// Where the key is read from.
pub fn key_path(config: &IntegrityConfig, data_dir: &Path) -> PathBuf {
    config
        .signing_key
        .clone()
        .unwrap_or_else(|| data_dir.join("keys").join("checkpoint.pk8"))
}

/// The configured key, or the default one (generated when absent).
pub fn load_or_create(
    config: &IntegrityConfig,
    data_dir: &Path,
) -> Result<CheckpointSigner, SigningKeyError> {
    let path = key_path(config, data_dir);
    if config.signing_key.is_none() && !path.exists() {
        create(&path)?;
        tracing::info!(key = %path.display(), "Created the checkpoint signing key; give its public key (`auditship key show`) to whoever verifies the trail.");
    }
    load(&path)
}

/// The key, which must exist (for `auditship key show`).
pub fn load_existing(
    config: &IntegrityConfig,
    data_dir: &Path,
) -> Result<CheckpointSigner, SigningKeyError> {
    let path = key_path(config, data_dir);
    if config.signing_key.is_none() && !path.exists() {
        return Err(SigningKeyError::Missing { path });
    }
    load(&path)
}

fn load(path: &Path) -> Result<CheckpointSigner, SigningKeyError> {
    let bytes = fs::read(path).map_err(|source| SigningKeyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if let Ok(meta) = fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(key = %path.display(), "The checkpoint signing key is readable by other users; anyone who reads it can forge checkpoints (chmod 600 it).");
        }
    }
    CheckpointSigner::from_pkcs8(&bytes).map_err(|reason| SigningKeyError::Invalid {
        path: path.to_path_buf(),
        reason,
    })
}

/// Generates a key into `path` (0600, in a 0700 directory), durably.
fn create(path: &Path) -> Result<(), SigningKeyError> {
    let error = |source| SigningKeyError::Create {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(error)?;
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map_err(|_| error(std::io::Error::other("the system random generator failed")))?;
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(error)?;
    file.write_all(pkcs8.as_ref())
        .and_then(|()| file.sync_all())
        .map_err(error)?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_key_is_created_private_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let config = IntegrityConfig::default();
        assert!(matches!(
            load_existing(&config, dir.path()),
            Err(SigningKeyError::Missing { .. })
        ));
        let first = load_or_create(&config, dir.path()).unwrap();
        let again = load_or_create(&config, dir.path()).unwrap();
        assert_eq!(first.public_key_base64(), again.public_key_base64());
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("keys")), 0o700);
        assert_eq!(mode(&key_path(&config, dir.path())), 0o600);
    }

    #[test]
    fn a_configured_key_that_is_not_pkcs8_is_refused_with_a_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        fs::write(&path, b"not a key").unwrap();
        let config = IntegrityConfig {
            signing_key: Some(path),
            ..IntegrityConfig::default()
        };
        let error = load_or_create(&config, dir.path()).unwrap_err().to_string();
        assert!(error.contains("openssl genpkey"), "{error}");
    }
}
