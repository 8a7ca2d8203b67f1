//! The `auditd` format: one Linux audit *event* → one event. An event is
//! the records sharing one `msg=audit(TIME:SERIAL)` stamp (`SYSCALL`,
//! `EXECVE`, `CWD`, `PATH`…, `PROCTITLE`), joined by `\n` into one entry
//! by [`AuditdGrouper`](super::AuditdGrouper) before parsing.
//! A single-record entry is an event too (user-space records such as
//! `USER_LOGIN` stand alone).
//!
//! Mapping:
//! - `time` ← the stamp; `details.serial` and `details.node` keep the rest
//!   of the event's identity. `id` is derived from the position, because
//!   serials restart at boot.
//! - `action` ← `syscall.<name>` for a `SYSCALL` event (x86_64 names,
//!   others by number), else the record type's meaning
//!   (`auditd_actions.rs`: `USER_LOGIN` → `user.login`, `ADD_USER` →
//!   `user.create`…). A rule `key` that reads as an action (dotted
//!   lower-case words: `-k user.create`, `-k release.approve`) is the
//!   action instead — the rule's author named what it catches — and the
//!   one it replaces is kept in `details.syscall_action`; other keys
//!   (`identity`, `time-change`) stay in the record's details only.
//! - `outcome` ← `success=yes|no` (syscalls), `res=success|failed|1|0`.
//! - `actor` ← `auid` (the login uid, which survives `su`/`sudo`) as id,
//!   type `user`; when unset (`4294967295`), `acct` names the account a
//!   login was attempted for, else `uid` with type `system` (daemons).
//!   `acct` (or the enriched `AUID`) is the name; `ses` the session;
//!   for syscalls an `euid` other than `auid` is `actor.effective`.
//! - `source.ip`/`port` ← `addr`/`rport` when `addr` is an address.
//! - `resource` ← the program of an `execve` (first `PATH` name, else
//!   `exe`) or the first `PATH` name of other syscalls (`file`); the `id=`
//!   of user and group management (`user`/`group`); the `unit` of
//!   `SERVICE_*` (`service`).
//! - `message` ← the command line (`PROCTITLE`, else `EXECVE` arguments)
//!   for executions, else the record's loose text.
//! - `details.<type>` ← every record's fields, decoded (`details.path` is
//!   an array when there are several `PATH` records); `EOE` is dropped
//!   (it only marks the end).
//!
//! Lines of a group that are not records are kept in `details.unparsed`;
//! an entry with no record at all becomes a quarantine event.

use serde_json::{Map, Value};

use super::auditd_actions::{record_action, syscall_action};
use super::auditd_record::{parse_record_with, AuditRecord, StampCache};
use super::entry_text::{finish_text_event, EntryText};
use super::json_defaults::category_for_action;
use super::quarantine::quarantine_event;
use super::schema_fill::{effective_mut, resource_mut, set_source_ip, set_source_port};
use super::EntryContext;
use crate::event::{ActorType, AuditEvent, Outcome, Severity};

pub(crate) const PARSER_NAME: &str = "auditd";

/// Records an event usually has (`SYSCALL`, `EXECVE`, `CWD`, a few `PATH`,
/// `PROCTITLE`): eight take under 1 KiB, which glibc serves fastest.
const RECORDS_PER_EVENT: usize = 8;

/// Reads grouped auditd entries. Built once per source.
#[derive(Debug, Clone)]
pub struct AuditdParser {
    keep_raw: bool,
}

impl AuditdParser {
    pub fn new(keep_raw: bool) -> AuditdParser {
        AuditdParser { keep_raw }
    }

    pub fn parse(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        let text = EntryText::new(entry);
        // Room for a usual event's records from the start (not grown and
        // copied as it fills), without counting its lines first.
        let mut records = Vec::with_capacity(RECORDS_PER_EVENT);
        let mut unparsed = Vec::new();
        let mut first_error = None;
        let mut stamps = StampCache::default();
        for line in lines_of(&text.text) {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            match parse_record_with(line, &mut stamps) {
                Ok(record) => records.push(record),
                Err(error) => {
                    first_error.get_or_insert(error);
                    unparsed.push(Value::String(line.to_string()));
                }
            }
        }
        if records.is_empty() {
            let reason = first_error.map_or_else(
                || "invalid auditd record: empty entry".to_string(),
                |e| e.to_string(),
            );
            return quarantine_event(entry, &reason, PARSER_NAME, ctx);
        }
        let mut event = ctx.new_event(PARSER_NAME);
        fill_event(&mut event, records);
        if !unparsed.is_empty() {
            event
                .details
                .insert("unparsed".into(), Value::Array(unparsed));
        }
        finish_text_event(event, entry, ctx, self.keep_raw, text.lossy)
    }
}

/// The lines of an entry (`\n`-separated), found with `memchr`.
fn lines_of(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    ends.map(move |end| {
        let line = &text[start..end];
        start = end + 1;
        line
    })
}

const UNSET_ID: &str = "4294967295";

fn is_set(id: &str) -> bool {
    !id.is_empty() && id != UNSET_ID && id != "-1" && id != "?" && id != "(none)"
}

/// The fields read from whichever record has them: the primary record's
/// value when it has one, else the first other record's. Read in one pass
/// over every field; looking each key up in turn walked the fields of all
/// records again for every key an event does not have (`addr`, `acct`…).
#[derive(Default)]
struct SharedFields<'a> {
    success: Option<&'a str>,
    res: Option<&'a str>,
    auid: Option<&'a str>,
    acct: Option<&'a str>,
    /// `AUID`: the enriched format's translated name of `auid`.
    auid_name: Option<&'a str>,
    ses: Option<&'a str>,
    addr: Option<&'a str>,
    rport: Option<&'a str>,
}

impl<'a> SharedFields<'a> {
    fn read(records: &'a [AuditRecord], primary: &'a AuditRecord) -> SharedFields<'a> {
        let mut shared = SharedFields::default();
        shared.take(primary);
        for record in records.iter().filter(|r| !std::ptr::eq(*r, primary)) {
            shared.take(record);
        }
        shared
    }

    /// Fills the slots still empty from `record`, its first value of a key.
    fn take(&mut self, record: &'a AuditRecord) {
        for (key, value) in &record.fields {
            let slot = match *key {
                "success" => &mut self.success,
                "res" => &mut self.res,
                "auid" => &mut self.auid,
                "acct" => &mut self.acct,
                "AUID" => &mut self.auid_name,
                "ses" => &mut self.ses,
                "addr" => &mut self.addr,
                "rport" => &mut self.rport,
                _ => continue,
            };
            slot.get_or_insert(value.as_ref());
        }
    }
}

fn fill_event(event: &mut AuditEvent, records: Vec<AuditRecord>) {
    let (serial, node, syscall_action) = fill_schema(event, &records);
    add_record_details(&mut event.details, records);
    if let Some(syscall_action) = syscall_action {
        event
            .details
            .entry("syscall_action")
            .or_insert(syscall_action.into());
    }
    // After the records: a record type that lowercases to `serial` or
    // `node` keeps its place, as it always has.
    if let Some(serial) = serial {
        event.details.entry("serial").or_insert(serial.into());
    }
    if let Some(node) = node {
        event.details.entry("node").or_insert(node.into());
    }
}

/// Every schema field but `details`; returns the event's serial and node
/// for `details.serial` and `details.node`, and the action a rule key
/// replaced, for `details.syscall_action`.
fn fill_schema(
    event: &mut AuditEvent,
    records: &[AuditRecord],
) -> (Option<u64>, Option<String>, Option<String>) {
    let primary = records
        .iter()
        .find(|r| r.kind == "SYSCALL")
        .or_else(|| {
            records
                .iter()
                .find(|r| !matches!(r.kind, "EOE" | "PROCTITLE"))
        })
        .unwrap_or(&records[0]);
    let mut serial = None;
    if let Some(first) = records.iter().find(|r| r.time.is_some()) {
        event.time = first.time.unwrap_or(event.time);
        event.time_inferred = false;
        serial = first.serial;
    }
    let node = records.iter().find_map(|r| r.node).map(str::to_string);
    let shared = SharedFields::read(records, primary);
    let (action, category) = match (primary.kind, primary.get("syscall")) {
        ("SYSCALL", Some(number)) => (syscall_action(primary.get("arch"), number), "system"),
        (kind, _) => record_action(kind),
    };
    event.action = action;
    event.category = Some(category.to_string());

    event.outcome = match shared.success.or(shared.res) {
        Some("yes" | "success" | "1") => Outcome::Success,
        Some("no" | "failed" | "failure" | "0") => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    event.severity = Severity::default_for(event.outcome);

    fill_actor(event, primary, shared.auid, shared.acct, shared.auid_name);
    if let Some(ses) = shared.ses.filter(|s| is_set(s)) {
        event.actor.session_id = Some(ses.to_string());
    }
    if let Some(addr) = shared.addr {
        if set_source_ip(event, addr) {
            if let Some(port) = shared.rport {
                set_source_port(event, port);
            }
        }
    }
    fill_resource(event, records, primary);
    event.message = message(records, primary);
    // Last: the resource and message above read the record's own action.
    let mut replaced_action = None;
    if let Some(key) = primary.get("key").filter(|key| is_action_key(key)) {
        // The rule's author named what it catches (`-k user.create`).
        let category = category_for_action(key).unwrap_or(category);
        replaced_action = Some(std::mem::replace(&mut event.action, key.to_string()));
        event.category = Some(category.to_string());
    }
    (serial, node, replaced_action)
}

/// Whether an audit rule key reads as an action: dotted lower-case words
/// (`user.create`, `release.approve`), not a label such as `identity`,
/// `user_commands` or `time-change`.
fn is_action_key(key: &str) -> bool {
    let word = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    key.contains('.') && key.split('.').all(word)
}

fn fill_actor(
    event: &mut AuditEvent,
    primary: &AuditRecord,
    auid: Option<&str>,
    acct: Option<&str>,
    auid_name: Option<&str>,
) {
    let acct = acct.filter(|a| is_set(a));
    match auid.filter(|a| is_set(a)) {
        Some(auid) => {
            event.actor.id = Some(auid.to_string());
            event.actor.kind = ActorType::User;
        }
        None if acct.is_some() => {
            event.actor.id = acct.map(str::to_string);
            event.actor.kind = ActorType::User;
        }
        None => {
            event.actor.id = primary.get("uid").filter(|u| is_set(u)).map(str::to_string);
            event.actor.kind = ActorType::System;
        }
    }
    event.actor.name = auid_name
        .filter(|a| is_set(a) && *a != "unset")
        .or(acct)
        .map(str::to_string);
    if primary.kind == "SYSCALL" {
        let euid = primary.get("euid").filter(|e| is_set(e));
        if let (Some(euid), Some(id)) = (euid, event.actor.id.as_deref()) {
            if euid != id {
                effective_mut(event).id = Some(euid.to_string());
            }
        }
    }
}

fn fill_resource(event: &mut AuditEvent, records: &[AuditRecord], primary: &AuditRecord) {
    let first_path = records
        .iter()
        .filter(|r| r.kind == "PATH")
        .find_map(|r| r.get("name").filter(|n| *n != "(null)"));
    let (kind, id, name) = match primary.kind {
        "SYSCALL" if event.action == "syscall.execve" => {
            ("file", None, first_path.or(primary.get("exe")))
        }
        "SYSCALL" => ("file", None, first_path),
        "ADD_USER" | "DEL_USER" | "USER_MGMT" | "USER_CHAUTHTOK" => {
            ("user", primary.get("id"), None)
        }
        "ADD_GROUP" | "DEL_GROUP" | "GRP_MGMT" => ("group", primary.get("id"), None),
        "SERVICE_START" | "SERVICE_STOP" => ("service", None, primary.get("unit")),
        _ => return,
    };
    if id.is_some() || name.is_some() {
        let r = resource_mut(event);
        r.kind = Some(kind.to_string());
        r.id = id.map(str::to_string);
        r.name = name.map(str::to_string);
    }
}

/// The command line of an execution, else the primary record's loose text.
fn message(records: &[AuditRecord], primary: &AuditRecord) -> Option<String> {
    if let Some(title) = records.iter().find_map(|r| r.get("proctitle")) {
        return Some(title.to_string());
    }
    if let Some(execve) = records.iter().find(|r| r.kind == "EXECVE") {
        let args: Vec<&str> = execve
            .fields
            .iter()
            .filter(|(k, _)| {
                k.starts_with('a') && k[1..].bytes().all(|b| b.is_ascii_digit()) && k.len() > 1
            })
            .map(|(_, v)| v.as_ref())
            .collect();
        if !args.is_empty() {
            return Some(args.join(" "));
        }
    }
    (!primary.text.is_empty()).then(|| primary.text.to_string())
}

/// `details.<type>` for every record but `EOE`; repeated types as arrays.
fn add_record_details(details: &mut Map<String, Value>, records: Vec<AuditRecord>) {
    use serde_json::map::Entry;
    for record in records.into_iter().filter(|r| r.kind != "EOE") {
        let key = record.kind.to_ascii_lowercase();
        let fields = Value::Object(record_fields(record));
        match details.entry(key) {
            Entry::Occupied(mut slot) => match slot.get_mut() {
                Value::Array(items) => items.push(fields),
                existing => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, fields]);
                }
            },
            Entry::Vacant(slot) => {
                slot.insert(fields);
            }
        }
    }
}

/// One record's fields as an object: the first of repeated keys wins, and
/// the loose text (when there is any) is `text`.
///
/// Each field is inserted where it belongs, in one search of the map; a
/// key already there (the text, a repeated key) keeps its first value.
/// Cheaper than collecting: that builds and sorts a list of owned pairs
/// (over 1 KiB for a `SYSCALL` record, which glibc serves through a slower
/// path) before building the map. Decoded values are moved, not copied.
fn record_fields(record: AuditRecord) -> Map<String, Value> {
    use serde_json::map::Entry;
    let mut object = Map::new();
    if !record.text.is_empty() {
        object.insert("text".to_string(), Value::String(record.text.into_owned()));
    }
    for (key, value) in record.fields {
        if let Entry::Vacant(slot) = object.entry(key) {
            slot.insert(Value::String(value.into_owned()));
        }
    }
    object
}

#[cfg(test)]
#[path = "auditd_tests.rs"]
mod tests;
