//! What a configuration reload changes: a pure comparison of the running
//! configuration with a newly validated one. No I/O, no tasks — the agent
//! ([`super::running_components`]) carries the plan out.
//!
//! Components are compared by id and by their whole validated configuration
//! (after `${ENV}` interpolation, so a changed secret counts as a change):
//! an unchanged source or sink keeps running untouched, a changed one is
//! stopped and started again from its saved position, a removed one is
//! stopped, an added one started.
//!
//! Settings that live in objects opened once at start (the data directory,
//! the journal, the admin listener, the host name stamped by every source,
//! the checkpoint signer) cannot change while running: the plan names them
//! so the agent can say a restart is needed, and the running values are
//! kept ([`ReloadPlan::effective`]).

use crate::config::Config;

/// Ids of one kind of component, sorted by what a reload does to them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ComponentChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
}

impl ComponentChanges {
    /// Compares two lists of `(id, config)` by id, in the new file's order.
    fn between<'a, T: PartialEq + 'a>(
        old: impl IntoIterator<Item = (&'a str, &'a T)>,
        new: impl IntoIterator<Item = (&'a str, &'a T)>,
    ) -> ComponentChanges {
        let old: Vec<(&str, &T)> = old.into_iter().collect();
        let new: Vec<(&str, &T)> = new.into_iter().collect();
        let mut changes = ComponentChanges::default();
        for (id, config) in &new {
            match old.iter().find(|(old_id, _)| old_id == id) {
                None => changes.added.push(id.to_string()),
                Some((_, old_config)) if old_config == config => {
                    changes.unchanged.push(id.to_string())
                }
                Some(_) => changes.changed.push(id.to_string()),
            }
        }
        for (id, _) in &old {
            if !new.iter().any(|(new_id, _)| new_id == id) {
                changes.removed.push(id.to_string());
            }
        }
        changes
    }

    /// True when nothing is added, removed or changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// Ids to stop: removed and changed.
    pub fn to_stop(&self) -> impl Iterator<Item = &String> {
        self.removed.iter().chain(&self.changed)
    }

    /// Ids to start: changed and added.
    pub fn to_start(&self) -> impl Iterator<Item = &String> {
        self.changed.iter().chain(&self.added)
    }

    /// `added [a], changed [b], removed [c]`, omitting empty parts.
    fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("added", &self.added),
            ("changed", &self.changed),
            ("removed", &self.removed),
        ]
        .iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(what, ids)| format!("{what} {}", ids.join(", ")))
        .collect();
        if parts.is_empty() {
            "unchanged".into()
        } else {
            parts.join("; ")
        }
    }
}

/// What applying a new configuration does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadPlan {
    pub sources: ComponentChanges,
    pub sinks: ComponentChanges,
    /// Settings whose new value needs a restart (config names).
    pub restart_needed: Vec<&'static str>,
}

impl ReloadPlan {
    /// Compares the running configuration with a new, validated one.
    pub fn between(old: &Config, new: &Config) -> ReloadPlan {
        let sources = ComponentChanges::between(
            old.sources.iter().map(|s| (s.id.as_str(), s)),
            new.sources.iter().map(|s| (s.id.as_str(), s)),
        );
        let sinks = ComponentChanges::between(
            old.sinks.iter().map(|s| (s.id.as_str(), s)),
            new.sinks.iter().map(|s| (s.id.as_str(), s)),
        );
        let mut restart_needed = Vec::new();
        let mut check = |name: &'static str, differs: bool| {
            if differs {
                restart_needed.push(name);
            }
        };
        check("data_dir", old.data_dir != new.data_dir);
        check("host", old.host != new.host);
        check(
            "shutdown_timeout",
            old.shutdown_timeout != new.shutdown_timeout,
        );
        check("journal", old.journal != new.journal);
        check("integrity", old.integrity != new.integrity);
        check("admin", old.admin != new.admin);
        // Alert rules and channels are compiled and opened once at start.
        check("alerts", old.alerts != new.alerts);
        check("channels", old.channels != new.channels);
        ReloadPlan {
            sources,
            sinks,
            restart_needed,
        }
    }

    /// True when no source or sink changes (global settings aside).
    pub fn changes_no_component(&self) -> bool {
        self.sources.is_empty() && self.sinks.is_empty()
    }

    /// The configuration the agent runs after the reload: the new sources
    /// and sinks, the running global settings.
    pub fn effective(old: &Config, new: Config) -> Config {
        Config {
            data_dir: old.data_dir.clone(),
            host: old.host.clone(),
            shutdown_timeout: old.shutdown_timeout,
            journal: old.journal.clone(),
            integrity: old.integrity.clone(),
            admin: old.admin.clone(),
            alerts: old.alerts.clone(),
            channels: old.channels.clone(),
            sources: new.sources,
            sinks: new.sinks,
        }
    }

    /// One line for the log: `sources: …; sinks: …`.
    pub fn describe(&self) -> String {
        format!(
            "sources: {}; sinks: {}",
            self.sources.describe(),
            self.sinks.describe()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    fn load(text: &str) -> Config {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auditship.toml");
        std::fs::write(&path, text).unwrap();
        config::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    const BASE: &str = r#"
data_dir = "/tmp/auditship-reload-test"
host = "h"
[sources.a]
type = "file"
include = ["/tmp/a/*.log"]
[sources.b]
type = "file"
include = ["/tmp/b/*.log"]
[sinks.out]
type = "file"
path = "/tmp/out.ndjson"
inputs = ["a", "b"]
"#;

    #[test]
    fn the_same_configuration_changes_nothing() {
        let plan = ReloadPlan::between(&load(BASE), &load(BASE));
        assert!(plan.changes_no_component());
        assert!(plan.restart_needed.is_empty());
        assert_eq!(plan.sources.unchanged, ["a", "b"]);
        assert_eq!(plan.sinks.unchanged, ["out"]);
    }

    #[test]
    fn added_removed_and_changed_components_are_told_apart() {
        let new = BASE
            .replace("/tmp/b/*.log", "/tmp/b2/*.log")
            .replace(
                "[sources.a]\ntype = \"file\"\ninclude = [\"/tmp/a/*.log\"]\n",
                "",
            )
            .replace("inputs = [\"a\", \"b\"]", "inputs = [\"b\"]")
            + "[sinks.second]\ntype = \"file\"\npath = \"/tmp/second.ndjson\"\n";
        let plan = ReloadPlan::between(&load(BASE), &load(&new));
        assert_eq!(plan.sources.removed, ["a"]);
        assert_eq!(plan.sources.changed, ["b"]);
        assert!(plan.sources.added.is_empty());
        assert_eq!(plan.sinks.changed, ["out"], "its inputs changed");
        assert_eq!(plan.sinks.added, ["second"]);
        assert_eq!(plan.sinks.to_start().count(), 2);
        assert_eq!(
            plan.describe(),
            "sources: changed b; removed a; sinks: added second; changed out"
        );
    }

    #[test]
    fn global_settings_need_a_restart_and_keep_their_running_value() {
        let new = BASE.replace("host = \"h\"", "host = \"other\"")
            + "[journal]\nmax_bytes = \"64MiB\"\n[admin]\naddress = \"127.0.0.1:9999\"\n";
        let (old, new) = (load(BASE), load(&new));
        let plan = ReloadPlan::between(&old, &new);
        assert_eq!(plan.restart_needed, ["host", "journal", "admin"]);
        assert!(plan.changes_no_component());
        let effective = ReloadPlan::effective(&old, new);
        assert_eq!(effective.host, "h");
        assert_eq!(effective.journal, old.journal);
        assert_eq!(effective.admin, None);
    }
}
