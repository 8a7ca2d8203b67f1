//! `auditship run --watch-config`: asks for a reload when the configuration
//! file's content changes.
//!
//! Polls once a second and compares a SHA-256 of the content, not only the
//! modification time: editors replace files (new inode), configuration
//! management rewrites them with the same content, and a coarse mtime can
//! miss two writes in one second. Reading a small file once a second costs
//! nothing measurable. A file that cannot be read (being replaced) is
//! skipped until it can.

use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::reloader::ReloadCause;
use crate::shutdown::Shutdown;

/// How often the file is looked at.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// The file's content digest, `None` when it cannot be read now.
fn digest(path: &std::path::Path) -> Option<[u8; 32]> {
    std::fs::read(path)
        .ok()
        .map(|bytes| Sha256::digest(&bytes).into())
}

/// Sends [`ReloadCause::FileChanged`] on `requests` each time the content of
/// `path` differs from what it was at the previous look, until `shutdown`.
pub async fn watch_config_file(
    path: PathBuf,
    interval: Duration,
    requests: mpsc::Sender<ReloadCause>,
    mut shutdown: Shutdown,
) {
    let mut last = digest(&path);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.recv() => return,
        }
        let path_for_read = path.clone();
        let now = tokio::task::spawn_blocking(move || digest(&path_for_read))
            .await
            .ok()
            .flatten();
        if now.is_some() && now != last {
            last = now;
            tracing::info!(path = %path.display(), "Configuration file changed; reloading.");
            if requests.send(ReloadCause::FileChanged).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_changed_content_asks_for_one_reload_and_a_touch_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auditship.toml");
        std::fs::write(&path, "a = 1\n").unwrap();
        let (tx, mut rx) = mpsc::channel(4);
        let (stop, shutdown) = crate::shutdown::channel();
        let task = tokio::spawn(watch_config_file(
            path.clone(),
            Duration::from_millis(20),
            tx,
            shutdown,
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::fs::write(&path, "a = 1\n").unwrap(); // same content
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(rx.try_recv().is_err(), "same content: no reload");
        std::fs::write(&path, "a = 2\n").unwrap();
        let cause = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a reload request")
            .unwrap();
        assert_eq!(cause, ReloadCause::FileChanged);
        stop.fire();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
    }
}
