//! The canonical (RFC 8785) bytes of an [`AuditEvent`], written straight
//! from the struct.
//!
//! Why: the generic path (`AuditEvent::canonical_bytes`: serialize to a
//! `serde_json::Value` tree, then sort every object's keys) allocates a
//! node per field and cost more CPU than parsing the event. This runs once
//! per event on a parse worker, so it writes the fields in their sorted
//! order directly and only sorts the free-form maps (`details`,
//! `correlation`, `origin.peer`).
//!
//! Invariant: byte-for-byte equal to the generic path (tests compare them
//! on fully populated and on generated events). Every struct is destructured
//! without `..`, so adding a field fails to compile here until it is
//! written here too.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{
    for_each_in_canonical_order, write_canonical, write_canonical_string, write_time_string,
    write_u64, Actor, ActorType, AgentInfo, AuditEvent, BreakGlass, EffectiveIdentity, IdRef,
    Origin, OriginKind, ParseError, Resource, SourceEndpoint, StatusDetail,
};

/// Whether to write `agent.seq` and `agent.chain` (when the event has
/// them): the JSON line has both; parse workers write neither, the journal
/// splices them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AgentFields {
    Neither,
    SeqAndChain,
}

/// Where `agent.chain` and `agent.seq` go in the written bytes: `chain`
/// is just after `"agent":{` (`chain` sorts first in `agent`), `seq` is
/// the index of the `}` closing `agent` (`seq` sorts last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentSlots {
    pub chain: usize,
    pub seq: usize,
}

/// Writes the event in canonical order with the `agent` fields `fields`
/// says; returns where the others would go.
pub(super) fn write(event: &AuditEvent, fields: AgentFields, out: &mut Vec<u8>) -> AgentSlots {
    let AuditEvent {
        schema_version,
        id,
        time,
        time_inferred,
        action,
        outcome,
        severity,
        category,
        message,
        actor,
        source,
        resource,
        tenant,
        project,
        status,
        correlation,
        details,
        raw,
        origin,
        agent,
        ingest_time,
        parse_error,
    } = event;
    let mut o = Object::open(out);
    o.str("action", action);
    o.key("actor");
    write_actor(actor, o.out);
    o.key("agent");
    let AgentInfo {
        host,
        seq,
        chain,
        hops,
    } = agent;
    let mut a = Object::open(o.out);
    let chain_slot = a.out.len();
    if let (AgentFields::SeqAndChain, Some(chain)) = (fields, chain) {
        a.str("chain", chain);
    }
    if !hops.is_empty() {
        // Rare (aggregators only): the generic writer keeps the key order.
        a.key("hops");
        let hops = serde_json::to_value(hops).expect("hops serialize");
        write_canonical(&hops, a.out);
    }
    a.str("host", host);
    let seq_slot = a.out.len();
    if let (AgentFields::SeqAndChain, Some(seq)) = (fields, seq) {
        a.key("seq");
        write_u64(*seq, a.out);
    }
    a.close();
    let slots = AgentSlots {
        chain: chain_slot,
        seq: seq_slot,
    };
    o.opt_str("category", category);
    if !correlation.is_empty() {
        o.key("correlation");
        write_string_map(correlation, o.out);
    }
    if !details.is_empty() {
        o.key("details");
        write_map(details, o.out);
    }
    o.str("id", id);
    o.key("ingest_time");
    write_time_string(ingest_time, o.out);
    o.opt_str("message", message);
    o.key("origin");
    write_origin(origin, o.out);
    o.str("outcome", outcome.as_str());
    if let Some(ParseError {
        reason,
        parser,
        raw_base64,
    }) = parse_error
    {
        o.key("parse_error");
        let mut p = Object::open(o.out);
        p.str("parser", parser);
        p.opt_str("raw_base64", raw_base64);
        p.str("reason", reason);
        p.close();
    }
    if let Some(IdRef { id }) = project {
        o.key("project");
        let mut p = Object::open(o.out);
        p.str("id", id);
        p.close();
    }
    o.opt_str("raw", raw);
    if let Some(Resource { kind, id, name }) = resource {
        o.key("resource");
        let mut r = Object::open(o.out);
        r.opt_str("id", id);
        r.opt_str("name", name);
        r.opt_str("type", kind);
        r.close();
    }
    o.str("schema_version", schema_version);
    o.str("severity", severity.as_str());
    if let Some(SourceEndpoint {
        ip,
        port,
        user_agent,
    }) = source
    {
        o.key("source");
        let mut s = Object::open(o.out);
        s.opt_str("ip", ip);
        if let Some(port) = port {
            s.key("port");
            write_u64(u64::from(*port), s.out);
        }
        s.opt_str("user_agent", user_agent);
        s.close();
    }
    if let Some(StatusDetail { code, detail }) = status {
        o.key("status");
        let mut s = Object::open(o.out);
        if let Some(code) = code {
            s.key("code");
            write_canonical(code, s.out);
        }
        s.opt_str("detail", detail);
        s.close();
    }
    if let Some(IdRef { id }) = tenant {
        o.key("tenant");
        let mut t = Object::open(o.out);
        t.str("id", id);
        t.close();
    }
    o.key("time");
    write_time_string(time, o.out);
    if *time_inferred {
        o.key("time_inferred");
        o.out.extend_from_slice(b"true");
    }
    o.close();
    slots
}

fn write_actor(actor: &Actor, out: &mut Vec<u8>) {
    let Actor {
        id,
        name,
        email,
        kind,
        session_id,
        groups,
        effective,
        break_glass,
    } = actor;
    let mut o = Object::open(out);
    if let Some(BreakGlass {
        session_id,
        justification,
    }) = break_glass
    {
        o.key("break_glass");
        let mut b = Object::open(o.out);
        b.opt_str("justification", justification);
        b.opt_str("session_id", session_id);
        b.close();
    }
    if let Some(EffectiveIdentity { id, name }) = effective {
        o.key("effective");
        let mut e = Object::open(o.out);
        e.opt_str("id", id);
        e.opt_str("name", name);
        e.close();
    }
    o.opt_str("email", email);
    if !groups.is_empty() {
        o.key("groups");
        o.out.push(b'[');
        for (i, group) in groups.iter().enumerate() {
            if i > 0 {
                o.out.push(b',');
            }
            write_canonical_string(group, o.out);
        }
        o.out.push(b']');
    }
    o.opt_str("id", id);
    o.opt_str("name", name);
    o.opt_str("session_id", session_id);
    o.str("type", actor_type(*kind));
    o.close();
}

fn write_origin(origin: &Origin, out: &mut Vec<u8>) {
    let Origin {
        kind,
        format,
        path,
        offset,
        peer,
    } = origin;
    let mut o = Object::open(out);
    o.str("format", format);
    o.str("kind", origin_kind(*kind));
    if let Some(offset) = offset {
        o.key("offset");
        write_u64(*offset, o.out);
    }
    o.opt_str("path", path);
    if let Some(peer) = peer {
        o.key("peer");
        write_map(peer, o.out);
    }
    o.close();
}

fn actor_type(kind: ActorType) -> &'static str {
    match kind {
        ActorType::User => "user",
        ActorType::ServiceAccount => "service_account",
        ActorType::System => "system",
        ActorType::Unknown => "unknown",
    }
}

fn origin_kind(kind: OriginKind) -> &'static str {
    match kind {
        OriginKind::File => "file",
        OriginKind::Unix => "unix",
        OriginKind::Syslog => "syslog",
        OriginKind::Http => "http",
        OriginKind::Stdin => "stdin",
        OriginKind::Agent => "agent",
    }
}

/// A JSON object's members sorted by UTF-16 code units.
fn write_map(map: &Map<String, Value>, out: &mut Vec<u8>) {
    let mut o = Object::open(out);
    for_each_in_canonical_order(map.iter(), |key, value| {
        o.dynamic_key(key);
        write_canonical(value, o.out);
    });
    o.close();
}

fn write_string_map(map: &BTreeMap<String, String>, out: &mut Vec<u8>) {
    let mut o = Object::open(out);
    for_each_in_canonical_order(map.iter(), |key, value| {
        o.dynamic_key(key);
        write_canonical_string(value, o.out);
    });
    o.close();
}

/// Writes one object's members; the caller gives them in sorted order.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    fn open(out: &'a mut Vec<u8>) -> Object<'a> {
        out.push(b'{');
        Object { out, first: true }
    }

    /// A fixed field name (plain ASCII: needs no escaping).
    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn dynamic_key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_canonical_string(key, self.out);
        self.out.push(b':');
    }

    fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        write_canonical_string(value, self.out);
    }

    fn opt_str(&mut self, key: &str, value: &Option<String>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    fn close(self) {
        self.out.push(b'}');
    }
}
