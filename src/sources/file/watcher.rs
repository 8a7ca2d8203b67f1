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
//! A notification only records which paths changed and wakes the loop, so
//! a burst of events costs one wake-up and the next pass reads only the
//! files named (see [`WakeSignal::take_changed`]) instead of checking every
//! tracked file. The set is bounded ([`MAX_CHANGED_PATHS`]): beyond it, or
//! when the kernel's queue overflowed, it degrades to "everything may have
//! changed", i.e. a full pass. Opening and closing a file (the engine's own
//! reads included) is no change and wakes nothing.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

use super::discovery::WatchRoot;

/// Most changed paths remembered between two passes; beyond it the next
/// pass checks every file (as if the notification had been lost).
pub const MAX_CHANGED_PATHS: usize = 64 * 1024;

/// What the watcher tells the engine.
#[derive(Debug, Default)]
pub struct WakeSignal {
    notify: Notify,
    /// A file may have appeared or moved: expand the globs again.
    rescan: AtomicBool,
    changed: Mutex<ChangedPaths>,
}

/// Files whose content changed since the engine last looked.
#[derive(Debug, Default)]
pub struct ChangedPaths {
    pub paths: HashSet<PathBuf>,
    /// Too many to remember, or a notification without a path: any file
    /// may have changed.
    pub all: bool,
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

    /// The paths changed since the last call (and whether any other file
    /// may have changed too), leaving the set empty.
    pub fn take_changed(&self) -> ChangedPaths {
        std::mem::take(&mut *lock(&self.changed))
    }

    /// Marks every file as possibly changed (a notification was lost).
    pub fn mark_all_changed(&self) {
        lock(&self.changed).all = true;
    }

    fn wake(&self, rescan: bool) {
        if rescan {
            self.rescan.store(true, Ordering::Release);
        }
        self.notify.notify_one();
    }

    fn record_changed(&self, paths: Vec<PathBuf>) {
        {
            let mut changed = lock(&self.changed);
            if paths.is_empty() {
                changed.all = true;
            } else if !changed.all {
                for path in paths {
                    if changed.paths.len() >= MAX_CHANGED_PATHS {
                        changed.all = true;
                        changed.paths.clear();
                        break;
                    }
                    changed.paths.insert(path);
                }
            }
        }
        self.wake(false);
    }
}

/// Locks, ignoring poisoning: the set is valid at any point.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
                // Opened or closed (our own reads too): nothing to read.
                Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
                Ok(event) if event.need_rescan() => {
                    signal.mark_all_changed();
                    signal.wake(true);
                }
                Ok(event) => match event.kind {
                    EventKind::Create(_)
                    | EventKind::Remove(_)
                    | EventKind::Modify(notify::event::ModifyKind::Name(_)) => {
                        signal.record_changed(event.paths);
                        signal.wake(true);
                    }
                    _ => signal.record_changed(event.paths),
                },
                // Overflow and friends: rescan and check every file.
                Err(_) => {
                    signal.mark_all_changed();
                    signal.wake(true);
                }
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
    async fn appending_names_the_file_and_reading_it_wakes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, b"x\n").unwrap();
        let signal = Arc::new(WakeSignal::default());
        let mut watcher = ChangeWatcher::new(true, signal.clone());
        watcher.watch(&[WatchRoot {
            dir: dir.path().to_path_buf(),
            recursive: false,
        }]);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, b"y\n").unwrap();
        tokio::time::timeout(Duration::from_secs(5), signal.changed())
            .await
            .expect("no wake-up after an append");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let changed = signal.take_changed();
        assert!(!changed.all);
        assert!(changed.paths.contains(&path), "{:?}", changed.paths);
        assert!(signal.take_changed().paths.is_empty(), "taken once");
        // Opening, reading and closing (what the engine does) is no change.
        drop(std::fs::read(&path).unwrap());
        let woke = tokio::time::timeout(Duration::from_millis(200), signal.changed()).await;
        assert!(woke.is_err(), "reading a file woke the engine");
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
