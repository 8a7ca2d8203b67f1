//! The socket file of a `unix` source: a stale one (left by a crash) is
//! replaced, a live one is never taken over, and the new one gets the
//! configured permission bits.
//!
//! "Stale" is decided by connecting: refused means nobody listens, so the
//! file is removed; anything else (someone answers, a datagram socket is
//! bound there, permission denied) refuses the start. A path that exists
//! and is not a socket is never removed.
//!
//! The mode is set right after `bind`; in between, the file has the mode
//! the process umask gives (systemd's default `UMask=0022` keeps others
//! from writing), so put the socket in a directory only the service and
//! its writers can enter when that moment matters.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Makes `path` free to bind, or says why it is not.
pub fn clear_stale(path: &Path) -> Result<(), String> {
    let shown = path.display();
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(format!(
                    "cannot create socket {shown}: directory {} does not exist (create it, e.g. with systemd RuntimeDirectory=)",
                    dir.display()
                )),
                _ => Ok(()),
            };
        }
        Err(e) => return Err(format!("cannot inspect {shown}: {e}")),
    };
    if !metadata.file_type().is_socket() {
        return Err(format!(
            "{shown} exists and is not a socket; remove it or set another \"path\""
        ));
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            tracing::info!(path = %shown, "Replacing a stale socket file nobody listens on.");
            std::fs::remove_file(path).map_err(|e| format!("cannot remove stale socket {shown}: {e}"))
        }
        _ => Err(format!(
            "socket {shown} is in use by another process (another auditship?); stop it or set another \"path\""
        )),
    }
}

/// Sets the socket file's permission bits.
pub fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot set mode {mode:04o} on {}: {e}", path.display()))
}

/// Removes the socket file when the source stops, so the next start finds
/// no stale file.
pub struct SocketFile(pub PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let is_socket = std::fs::symlink_metadata(&self.0).is_ok_and(|m| m.file_type().is_socket());
        if is_socket {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_socket_is_replaced_a_live_one_and_a_plain_file_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let live = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert!(clear_stale(&path).unwrap_err().contains("in use"));
        drop(live); // the file stays: now stale
        assert!(path.exists());
        clear_stale(&path).unwrap();
        assert!(!path.exists());
        std::fs::write(&path, b"x").unwrap();
        assert!(clear_stale(&path).unwrap_err().contains("not a socket"));
        assert!(clear_stale(&dir.path().join("missing/s.sock"))
            .unwrap_err()
            .contains("does not exist"));
    }
}
