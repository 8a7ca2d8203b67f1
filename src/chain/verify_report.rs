//! What `auditship verify` found, and how it is printed: one line per
//! finding (`FILE:LINE: KIND: message`), one line per host, one summary
//! line. The kinds are stable words so scripts can grep them.

use std::fmt;

/// The kinds of findings (see `verify.rs` for when each is raised).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Malformed,
    Modified,
    Missing,
    Reordered,
    BadSignature,
    WrongKey,
    CheckpointMismatch,
    UnsignedTail,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Malformed => "malformed",
            Kind::Modified => "modified",
            Kind::Missing => "missing",
            Kind::Reordered => "reordered",
            Kind::BadSignature => "bad-signature",
            Kind::WrongKey => "wrong-key",
            Kind::CheckpointMismatch => "checkpoint-mismatch",
            Kind::UnsignedTail => "unsigned-tail",
        }
    }
}

/// A line of an input file (`file` indexes `Report::files`; lines from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub file: usize,
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub at: Location,
    pub kind: Kind,
    pub message: String,
}

impl Finding {
    pub fn new(at: Location, kind: Kind, message: String) -> Finding {
        Finding { at, kind, message }
    }
}

/// Per-host totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSummary {
    pub host: String,
    /// Distinct events (exact duplicates not counted).
    pub events: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub duplicates: u64,
    pub checkpoints: u64,
    pub bad_checkpoints: u64,
    /// Highest seq a valid checkpoint signs (0: none).
    pub signed_through: u64,
    pub key_ids: Vec<String>,
}

impl HostSummary {
    pub fn new(host: &str) -> HostSummary {
        HostSummary {
            host: host.to_string(),
            ..HostSummary::default()
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub files: Vec<String>,
    /// Sorted by file, then line.
    pub findings: Vec<Finding>,
    pub hosts: Vec<HostSummary>,
    /// Key id of `--pubkey`, when given.
    pub pinned_key: Option<String>,
}

impl Report {
    /// Complete and intact: no finding, and at least one event.
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty() && self.hosts.iter().any(|h| h.events > 0)
    }

    /// Findings of `kind`.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }

    pub fn location(&self, at: Location) -> String {
        let file = self.files.get(at.file).map_or("?", String::as_str);
        format!("{file}:{}", at.line)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(
                f,
                "{}: {}: {}",
                self.location(finding.at),
                finding.kind.as_str(),
                finding.message
            )?;
        }
        for h in &self.hosts {
            let signer = match (&self.pinned_key, h.key_ids.as_slice()) {
                (Some(pinned), _) => format!("key {pinned} (--pubkey)"),
                (None, []) => "no key".to_string(),
                (None, ids) => format!("key {} (not pinned: pass --pubkey)", ids.join(", ")),
            };
            writeln!(
                f,
                "host {}: {} events, seq {}..{}, {} checkpoints ({} invalid) by {}, signed through seq {}, {} exact duplicates skipped",
                h.host, h.events, h.first_seq, h.last_seq, h.checkpoints, h.bad_checkpoints, signer, h.signed_through, h.duplicates
            )?;
        }
        let events: u64 = self.hosts.iter().map(|h| h.events).sum();
        if self.is_intact() {
            write!(
                f,
                "OK: {events} events from {} hosts in {} files are complete, unmodified and signed",
                self.hosts.len(),
                self.files.len()
            )
        } else if events == 0 && self.findings.is_empty() {
            write!(f, "FAILED: no events found in {} files", self.files.len())
        } else {
            let mut kinds: Vec<Kind> = self.findings.iter().map(|f| f.kind).collect();
            kinds.sort();
            kinds.dedup();
            let counts: Vec<String> = kinds
                .iter()
                .map(|k| format!("{} {}", self.of_kind(*k).count(), k.as_str()))
                .collect();
            write!(
                f,
                "FAILED: {} findings ({}) in {events} events from {} hosts",
                self.findings.len(),
                counts.join(", "),
                self.hosts.len()
            )
        }
    }
}
