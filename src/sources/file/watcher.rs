//! Change notification: `notify` (inotify on Linux) wakes the engine early.
//!
//! The engine never depends on it: polling every `poll_interval` always
//! runs, so a missed, coalesced or unavailable notification only delays
//! reading by one poll. Only directories are watched (the fixed prefix of
//! each include glob, see `discovery.rs`), never one watch per file, so
//! thousands of files cost a handful of watches. When the watcher cannot be
//! created or a directory cannot be watched (inotify limits), one warning is
//! logged and polling carries on alone.
//!
//! A notification only sets flags and wakes the loop; it carries no data,
//! so a burst of events costs one wake-up, and memory stays bounded.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

use super::discovery::WatchRoot;

/// What the watcher tells the engine.
#[derive(Debug, Default)]
pub struct WakeSignal {
    notify: Notify,
    /// A file may have appeared or moved: expand the globs again.
    rescan: AtomicBool,
}

impl WakeSignal {
    /// Waits until something changed (at once if it did since the last call).
    pub async fn changed(&self) {
        self.notify.notified().await;
    }

    /// True (once) when a file may have been created, renamed or removed.
    pub fn take_rescan(&self) -> bool {
        self.rescan.swap(false, Ordering::AcqRel)
    }

    fn wake(&self, rescan: bool) {
        if rescan {
            self.rescan.store(true, Ordering::Release);
        }
        self.notify.notify_one();
    }
}

/// Watches the include globs' directories; see the module doc.
pub struct ChangeWatcher {
    watcher: Option<RecommendedWatcher>,
    watched: HashSet<PathBuf>,
    warned: bool,
}

impl ChangeWatcher {
    /// A watcher that wakes `signal`, or a no-op one when `enabled` is
    /// false or notifications are unavailable (warned once).
    pub fn new(enabled: bool, signal: Arc<WakeSignal>) -> ChangeWatcher {
        let watcher = if enabled {
            let handler = move |event: notify::Result<notify::Event>| match event {
                Ok(event) => {
                    let rescan = matches!(
                        event.kind,
                        EventKind::Create(_)
                            | EventKind::Remove(_)
                            | EventKind::Modify(notify::event::ModifyKind::Name(_))
                    );
                    signal.wake(rescan);
                }
                // Overflow and friends: rescan, polling covers the rest.
                Err(_) => signal.wake(true),
            };
            match notify::recommended_watcher(handler) {
                Ok(watcher) => Some(watcher),
                Err(error) => {
                    tracing::warn!(%error, "Cannot create a file change watcher; relying on polling alone.");
                    None
                }
            }
        } else {
            None
        };
        ChangeWatcher {
            watcher,
            watched: HashSet::new(),
            warned: false,
        }
    }

    /// True when notifications are active.
    pub fn is_active(&self) -> bool {
        self.watcher.is_some()
    }

    /// Watches the roots not watched yet that exist now (called after each
    /// glob expansion, so a directory created later is picked up).
    pub fn watch(&mut self, roots: &[WatchRoot]) {
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        for root in roots {
            if self.watched.contains(&root.dir) || !root.dir.is_dir() {
                continue;
            }
            let mode = if root.recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            match watcher.watch(&root.dir, mode) {
                Ok(()) => {
                    self.watched.insert(root.dir.clone());
                }
                Err(error) => {
                    if !self.warned {
                        self.warned = true;
                        tracing::warn!(dir = %root.dir.display(), %error, "Cannot watch a directory for changes; relying on polling for it.");
                    }
                    // Do not retry every expansion: polling covers it.
                    self.watched.insert(root.dir.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn creating_a_file_in_a_watched_directory_wakes_with_rescan() {
        let dir = tempfile::tempdir().unwrap();
        let signal = Arc::new(WakeSignal::default());
        let mut watcher = ChangeWatcher::new(true, signal.clone());
        assert!(watcher.is_active(), "inotify must work on Linux");
        watcher.watch(&[WatchRoot {
            dir: dir.path().to_path_buf(),
            recursive: false,
        }]);
        std::fs::write(dir.path().join("new.log"), b"x\n").unwrap();
        tokio::time::timeout(Duration::from_secs(5), signal.changed())
            .await
            .expect("no wake-up after a file was created");
        assert!(signal.take_rescan());
        assert!(!signal.take_rescan(), "rescan is taken once");
    }

    #[tokio::test]
    async fn disabled_watcher_never_wakes() {
        let dir = tempfile::tempdir().unwrap();
        let signal = Arc::new(WakeSignal::default());
        let mut watcher = ChangeWatcher::new(false, signal.clone());
        assert!(!watcher.is_active());
        watcher.watch(&[WatchRoot {
            dir: dir.path().to_path_buf(),
            recursive: false,
        }]);
        std::fs::write(dir.path().join("new.log"), b"x\n").unwrap();
        let woke = tokio::time::timeout(Duration::from_millis(100), signal.changed()).await;
        assert!(woke.is_err());
    }
}
