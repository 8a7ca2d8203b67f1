//! The entry points: read a file or a string, and run it through the
//! stages — parse (`document`), interpolate (`interpolate`), validate
//! (`validate`, reading `raw` structs) — turning every problem into a
//! [`ConfigProblem`](super::ConfigProblem) at its file, line and column.
//!
//! Invariant: a [`Config`] comes back only when every stage found nothing
//! wrong; the I/O is reading the file, `@file:` secrets and, for
//! `host = "auto"`, the kernel's hostname.

use std::path::Path;

use super::document;
use super::error::{ConfigError, Locator, Reason};
use super::interpolate::Interpolator;
use super::types::Config;
use super::validate::{validate, HostnameSource};

const KERNEL_HOSTNAME: &str = "/proc/sys/kernel/hostname";

/// Reads and validates the configuration file at `path`. Errors name the
/// file as `path` is written.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_str(&text, &path.display().to_string())
}

/// Validates configuration text; `${NAME}` reads the process environment.
/// `file_name` is used in error positions only.
pub fn from_str(text: &str, file_name: &str) -> Result<Config, ConfigError> {
    from_str_with_env(text, file_name, &|name| std::env::var(name).ok())
}

/// Like [`from_str`], with the environment given as a function (for tests,
/// and for callers that want to restrict what a configuration may read).
/// `HOSTNAME` for `host = "auto"` is read through it too.
pub fn from_str_with_env(
    text: &str,
    file_name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let read_file = |path: &Path| std::fs::read_to_string(path);
    let kernel_hostname = || std::fs::read_to_string(KERNEL_HOSTNAME).ok();
    let stages = Stages {
        interpolator: Interpolator {
            env,
            read_file: &read_file,
        },
        hostname: HostnameSource {
            kernel_hostname: &kernel_hostname,
            env,
        },
    };
    stages.run(text, file_name)
}

/// The stages with their outside world, injectable by tests.
pub(crate) struct Stages<'a> {
    pub interpolator: Interpolator<'a>,
    pub hostname: HostnameSource<'a>,
}

impl Stages<'_> {
    pub fn run(&self, text: &str, file_name: &str) -> Result<Config, ConfigError> {
        let locator = Locator::new(text, file_name);
        let problems = |found: Vec<(usize, Reason)>| ConfigError::Invalid {
            problems: found
                .into_iter()
                .map(|(at, reason)| locator.problem(at, reason))
                .collect(),
        };
        let mut root = document::parse(text).map_err(|error| {
            problems(vec![(
                error.span.map_or(0, |s| s.start),
                Reason::Syntax {
                    message: error.message,
                },
            )])
        })?;
        let found = self.interpolator.interpolate_document(&mut root);
        if !found.is_empty() {
            return Err(problems(
                found.into_iter().map(|(span, r)| (span.start, r)).collect(),
            ));
        }
        validate(&root, &self.hostname).map_err(problems)
    }
}

/// The machine's hostname as `host = "auto"` resolves it (kernel hostname,
/// else `HOSTNAME`, else `localhost`), for commands that run without a
/// configuration (`auditship parse`).
pub fn machine_hostname() -> String {
    let env = |name: &str| std::env::var(name).ok();
    let kernel_hostname = || std::fs::read_to_string(KERNEL_HOSTNAME).ok();
    HostnameSource {
        kernel_hostname: &kernel_hostname,
        env: &env,
    }
    .resolve()
}
