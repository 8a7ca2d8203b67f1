//! Discovery: which files the include and exclude globs select, and which
//! directories to watch for changes.
//!
//! Include patterns are expanded with the `glob` crate (`**` allowed); only
//! regular files (symlinks followed) are kept. An exclude pattern removes a
//! file when it matches the full path or the file name alone, so
//! `exclude = ["*.gz"]` works whatever the directory. Unreadable directories
//! are skipped, never fatal: they are logged at `debug!` and retried on the
//! next expansion.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use glob::Pattern;

use super::error::TailError;

/// The compiled include and exclude globs of one source.
#[derive(Debug, Clone)]
pub struct FileDiscovery {
    include: Vec<String>,
    exclude: Vec<Pattern>,
}

/// A directory whose changes may concern the include globs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WatchRoot {
    pub dir: PathBuf,
    /// True when the pattern has wildcards below `dir`.
    pub recursive: bool,
}

impl FileDiscovery {
    /// Compiles the patterns; an invalid one is refused with its text.
    pub fn new(include: &[String], exclude: &[String]) -> Result<FileDiscovery, TailError> {
        for pattern in include {
            Pattern::new(pattern).map_err(|source| TailError::IncludeGlob {
                pattern: pattern.clone(),
                source,
            })?;
        }
        let exclude = exclude
            .iter()
            .map(|pattern| {
                Pattern::new(pattern).map_err(|source| TailError::ExcludeGlob {
                    pattern: pattern.clone(),
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(FileDiscovery {
            include: include.to_vec(),
            exclude,
        })
    }

    /// Every regular file the include globs select and no exclude removes,
    /// sorted and without duplicates.
    pub fn discover(&self) -> Vec<PathBuf> {
        let mut found = BTreeSet::new();
        for pattern in &self.include {
            let Ok(paths) = glob::glob(pattern) else {
                continue; // Validated in `new`.
            };
            for entry in paths {
                match entry {
                    Ok(path) => {
                        if !self.is_excluded(&path) && path.is_file() {
                            found.insert(path);
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%error, "Skipping an unreadable path while expanding the include globs.");
                    }
                }
            }
        }
        found.into_iter().collect()
    }

    /// True when an exclude pattern matches the full path or the file name.
    pub fn is_excluded(&self, path: &Path) -> bool {
        let name = path.file_name().map(|n| n.to_string_lossy());
        self.exclude.iter().any(|pattern| {
            pattern.matches_path(path) || name.as_deref().is_some_and(|n| pattern.matches(n))
        })
    }

    /// The directories to watch: for each include pattern, the longest
    /// directory prefix without wildcards (recursive when wildcards follow
    /// in a directory part).
    pub fn watch_roots(&self) -> Vec<WatchRoot> {
        let mut roots = BTreeSet::new();
        for pattern in &self.include {
            roots.insert(watch_root_of(pattern));
        }
        roots.into_iter().collect()
    }
}

fn has_wildcard(part: &str) -> bool {
    part.contains(['*', '?', '['])
}

fn watch_root_of(pattern: &str) -> WatchRoot {
    let path = Path::new(pattern);
    let components: Vec<Component<'_>> = path.components().collect();
    let mut dir = PathBuf::new();
    let mut wildcard_at = components.len();
    for (i, component) in components.iter().enumerate() {
        if has_wildcard(&component.as_os_str().to_string_lossy()) {
            wildcard_at = i;
            break;
        }
        dir.push(component);
    }
    if wildcard_at == components.len() {
        // A literal path: watch its directory.
        dir.pop();
    }
    if dir.as_os_str().is_empty() {
        dir.push(".");
    }
    WatchRoot {
        dir,
        // Wildcards in a directory part (not only in the file name).
        recursive: wildcard_at + 1 < components.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn includes_files_and_removes_excluded_by_name_or_full_path() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in ["a.log", "b.log", "c.log.gz", "skip.log"] {
            std::fs::write(d.join(name), b"x\n").unwrap();
        }
        std::fs::create_dir(d.join("sub.log")).unwrap(); // A directory: never a file.
        let include = vec![format!("{}/*.log*", d.display())];
        let exclude = vec!["*.gz".to_string(), format!("{}/skip.log", d.display())];
        let discovery = FileDiscovery::new(&include, &exclude).unwrap();
        let found = discovery.discover();
        assert_eq!(found, vec![d.join("a.log"), d.join("b.log")]);
    }

    #[test]
    fn overlapping_includes_yield_each_file_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.log"), b"").unwrap();
        let include = vec![
            format!("{}/*.log", dir.path().display()),
            format!("{}/a.*", dir.path().display()),
        ];
        let found = FileDiscovery::new(&include, &[]).unwrap().discover();
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn invalid_globs_are_refused_with_the_pattern() {
        let err = FileDiscovery::new(&strings(&["/var/log/[.log"]), &[]).unwrap_err();
        assert!(
            err.to_string().contains("include glob \"/var/log/[.log\""),
            "{err}"
        );
        let err = FileDiscovery::new(&strings(&["/x"]), &strings(&["[z"])).unwrap_err();
        assert!(err.to_string().starts_with("exclude glob"), "{err}");
    }

    #[test]
    fn watch_roots_stop_at_the_first_wildcard() {
        let d = FileDiscovery::new(
            &strings(&[
                "/var/log/app/*.log",
                "/srv/**/audit.log",
                "/etc/fixed.log",
                "rel*.log",
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(
            d.watch_roots(),
            vec![
                WatchRoot {
                    dir: "/etc".into(),
                    recursive: false
                },
                WatchRoot {
                    dir: "/srv".into(),
                    recursive: true
                },
                WatchRoot {
                    dir: "/var/log/app".into(),
                    recursive: false
                },
                WatchRoot {
                    dir: ".".into(),
                    recursive: false
                },
            ]
        );
    }
}
