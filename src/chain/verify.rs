//! Checking an exported trail: `auditship verify`. Pure: NDJSON lines in
//! (with their file and line number), findings out.
//!
//! Events are grouped by `agent.host` (each agent has its own seq and
//! chain) and sorted by `agent.seq`; then:
//!
//! - a line that is not an event with `agent.seq`/`agent.chain` → `malformed`;
//! - a link that does not match `SHA-256(prev ‖ seq ‖ canonical)` →
//!   `modified` (only the edited event is reported: the next one is checked
//!   against the link as written, and as recomputed);
//! - a seq gap → `missing` (the chain cannot be checked across it);
//! - a seq lower than an earlier one in the same file, that is not an exact
//!   re-delivery → `reordered` (reported, then verified in seq order);
//! - a checkpoint whose signature fails → `bad-signature`; signed by another
//!   key than `--pubkey` (or, without it, a host whose checkpoints carry more
//!   than one key) → `wrong-key`; whose `link` differs from the trail's link
//!   at `seq_to` → `checkpoint-mismatch`;
//! - events after the last valid checkpoint → `unsigned-tail` (the file was
//!   cut, or the agent had not yet signed them).
//!
//! Exact duplicates (at-least-once re-delivery after a crash) are counted,
//! not reported. Memory grows with the trail (canonical bytes are kept until
//! the seq order is known).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::checkpoint::{self, SignedCheckpoint};
use super::verify_line::{read_event, Entry};
use super::verify_report::{Finding, HostSummary, Kind, Location, Report};
use super::{link, Link, GENESIS};

/// Collects lines, then [`finish`](Self::finish)es into a [`Report`].
pub struct Verifier {
    pubkey: Option<Vec<u8>>,
    files: Vec<String>,
    hosts: BTreeMap<String, Vec<Entry>>,
    /// Highest seq seen per (file, host), for reordering.
    highest: HashMap<(usize, String), u64>,
    findings: Vec<Finding>,
}

impl Verifier {
    /// `pubkey`: the raw Ed25519 key checkpoints must be signed with.
    pub fn new(pubkey: Option<Vec<u8>>) -> Verifier {
        Verifier {
            pubkey,
            files: Vec::new(),
            hosts: BTreeMap::new(),
            highest: HashMap::new(),
            findings: Vec::new(),
        }
    }

    /// Starts a new file; returns its index for [`add_line`](Self::add_line).
    pub fn add_file(&mut self, name: &str) -> usize {
        self.files.push(name.to_string());
        self.files.len() - 1
    }

    /// Reports something wrong with a file as a whole (e.g. a cut gzip
    /// member) at its last line read.
    pub fn file_problem(&mut self, file: usize, line: u64, kind: Kind, message: String) {
        self.findings
            .push(Finding::new(Location { file, line }, kind, message));
    }

    /// One line of `file` (1-based `line`), without its newline.
    pub fn add_line(&mut self, file: usize, line: u64, text: &[u8]) {
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let at = Location { file, line };
        match read_event(text) {
            Ok((host, mut entry)) => {
                entry.at = at;
                let highest = self.highest.entry((file, host.clone())).or_insert(0);
                entry.after_higher = entry.seq < *highest;
                *highest = (*highest).max(entry.seq);
                self.hosts.entry(host).or_default().push(entry);
            }
            Err(reason) => self
                .findings
                .push(Finding::new(at, Kind::Malformed, reason)),
        }
    }

    /// Checks every host's trail.
    pub fn finish(mut self) -> Report {
        let mut summaries = Vec::new();
        for (host, entries) in std::mem::take(&mut self.hosts) {
            summaries.push(self.check_host(&host, entries));
        }
        self.findings.sort_by_key(|f| (f.at.file, f.at.line));
        Report {
            files: self.files,
            findings: self.findings,
            hosts: summaries,
            pinned_key: self.pubkey.as_deref().map(checkpoint::key_id),
        }
    }

    fn check_host(&mut self, host: &str, mut entries: Vec<Entry>) -> HostSummary {
        entries.sort_by_key(|e| (e.seq, e.at.file, e.at.line));
        let mut summary = HostSummary::new(host);
        // Exact re-deliveries are dropped; different content under one seq
        // stays, and the chain tells which copy is genuine.
        let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
        for entry in entries {
            let same = kept
                .iter()
                .rev()
                .take_while(|k| k.seq == entry.seq)
                .any(|k| k.stated == entry.stated && k.canonical == entry.canonical);
            if same {
                summary.duplicates += 1;
                continue;
            }
            if entry.after_higher {
                let message = format!("seq {} comes after a higher seq in this file", entry.seq);
                self.findings
                    .push(Finding::new(entry.at, Kind::Reordered, message));
            }
            kept.push(entry);
        }
        let (Some(first), Some(last)) = (kept.first(), kept.last()) else {
            return summary;
        };
        summary.first_seq = first.seq;
        summary.last_seq = last.seq;
        if first.seq > 1 {
            let message = format!(
                "seq 1..{} missing: the trail does not start at the agent's first event",
                first.seq - 1
            );
            self.findings
                .push(Finding::new(first.at, Kind::Missing, message));
        }

        let mut previous: Vec<Link> = if first.seq == 1 {
            vec![GENESIS]
        } else {
            Vec::new()
        };
        let mut links: HashMap<u64, Link> = HashMap::new();
        let mut expected = first.seq;
        let mut i = 0;
        while i < kept.len() {
            let seq = kept[i].seq;
            let end = i + kept[i..].iter().take_while(|e| e.seq == seq).count();
            if seq > expected {
                let message = format!(
                    "seq {}..{} missing before this event (deleted, or filtered by the sink)",
                    expected,
                    seq - 1
                );
                self.findings
                    .push(Finding::new(kept[i].at, Kind::Missing, message));
                previous.clear();
            }
            let mut next = Vec::new();
            for entry in &kept[i..end] {
                summary.events += 1;
                let computed: Vec<Link> = previous
                    .iter()
                    .map(|p| link(p, seq, &entry.canonical))
                    .collect();
                if previous.is_empty() || computed.contains(&entry.stated) {
                    links.entry(seq).or_insert(entry.stated);
                } else {
                    let message = format!("seq {seq}: agent.chain does not match the event's content (edited after it was written)");
                    self.findings
                        .push(Finding::new(entry.at, Kind::Modified, message));
                    next.extend(computed.first());
                }
                next.push(entry.stated);
            }
            previous = next;
            expected = seq + 1;
            i = end;
        }

        let mut signed_through = 0;
        let mut keys: Vec<String> = Vec::new();
        for entry in &kept {
            let Some(checkpoint) = &entry.checkpoint else {
                continue;
            };
            summary.checkpoints += 1;
            match self.check_checkpoint(entry, checkpoint, &links, &mut keys) {
                Some(seq_to) => signed_through = signed_through.max(seq_to),
                None => summary.bad_checkpoints += 1,
            }
        }
        if keys.len() > 1 && self.pubkey.is_none() {
            let message = format!("checkpoints of host {host} are signed by {} different keys ({}); pass --pubkey to tell the genuine one", keys.len(), keys.join(", "));
            self.findings
                .push(Finding::new(first.at, Kind::WrongKey, message));
        }
        summary.key_ids = keys;
        summary.signed_through = signed_through;
        // Valid checkpoints right after `signed_through` sign themselves.
        let tail: Vec<&Entry> = kept
            .iter()
            .filter(|e| e.seq > signed_through)
            .filter(|e| !matches!(&e.checkpoint, Some(Ok(c)) if c.checkpoint.seq_to + 1 == e.seq && c.checkpoint.seq_to == signed_through))
            .collect();
        if let (Some(a), Some(b)) = (tail.first(), tail.last()) {
            let message = format!("{} events (seq {}..{}) after the last valid checkpoint are not signed: the trail was cut, or the agent had not signed them yet", tail.len(), a.seq, b.seq);
            self.findings
                .push(Finding::new(a.at, Kind::UnsignedTail, message));
        }
        summary
    }

    /// `Some(seq_to)` when the checkpoint is valid.
    fn check_checkpoint(
        &mut self,
        entry: &Entry,
        checkpoint: &Result<SignedCheckpoint, String>,
        links: &HashMap<u64, Link>,
        keys: &mut Vec<String>,
    ) -> Option<u64> {
        let c = match checkpoint {
            Ok(c) => c,
            Err(reason) => {
                let message = format!("checkpoint unreadable: {reason}");
                self.findings
                    .push(Finding::new(entry.at, Kind::BadSignature, message));
                return None;
            }
        };
        if !keys.contains(&c.key_id) {
            keys.push(c.key_id.clone());
        }
        let problem = match &self.pubkey {
            Some(pinned) if *pinned != c.public_key => Some((Kind::WrongKey, format!("checkpoint through seq {} is signed by key {}, not by the --pubkey key {}", c.checkpoint.seq_to, checkpoint::key_id(&c.public_key), checkpoint::key_id(pinned)))),
            _ if checkpoint::key_id(&c.public_key) != c.key_id || !c.verifies_with(&c.public_key) => Some((Kind::BadSignature, format!("checkpoint through seq {}: the signature does not verify (the checkpoint was edited or forged)", c.checkpoint.seq_to))),
            _ if c.checkpoint.seq_to >= entry.seq => Some((Kind::BadSignature, format!("checkpoint at seq {} claims later events (through seq {})", entry.seq, c.checkpoint.seq_to))),
            _ => match links.get(&c.checkpoint.seq_to) {
                Some(l) if *l != c.checkpoint.link => Some((Kind::CheckpointMismatch, format!("checkpoint signs link {} for seq {}, the trail has {}", super::to_hex(&c.checkpoint.link), c.checkpoint.seq_to, super::to_hex(l)))),
                // Absent: already reported as missing; not a proof either.
                None => return None,
                Some(_) => None,
            },
        };
        match problem {
            Some((kind, message)) => {
                self.findings.push(Finding::new(entry.at, kind, message));
                None
            }
            None => Some(c.checkpoint.seq_to),
        }
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("files", &self.files)
            .finish()
    }
}
