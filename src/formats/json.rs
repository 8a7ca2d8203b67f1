//! The `json` format: one application audit object per line →
//! [`AuditEvent`].
//!
//! Reading goes in three moves, none of which clones a value:
//! 1. `serde_json` parses the line. Without a `map` the top-level members
//!    stream straight into step 2 (no whole map is built); with one the
//!    object is built so dotted paths can reach anywhere, and the `map`
//!    overrides move their values out first (`json_normalize.rs`).
//! 2. Every remaining key is classified once by the default table
//!    (`json_defaults.rs`) into a candidate slot, a container read member by
//!    member, a `details`-like object merged into `details`, or `details`.
//! 3. The slots (`json_fields.rs`) are turned into schema fields. A value a field cannot use
//!    (a time that is not a time, an empty id) goes back to `details` under
//!    its own key, so nothing the source said is lost.
//!
//! Rules worth knowing (the rest is in SCHEMA.md):
//! - `id`: the source's own, string or number; else the derived id.
//! - `action`: lower-cased, spaces → `_`, dots kept; `unknown` when absent.
//! - `outcome`: a word, a boolean or an HTTP code (also kept as
//!   `status.code`); an unknown word goes to `status.detail`; with no
//!   outcome field, the action's last word (`authentication_failed`).
//! - `actor.id` falls back to the name, then the e-mail; `actor.type` is the
//!   source's, else `system` when the entry names no actor, else `unknown`.
//! - `source.ip` accepts `ip:port` and `[v6]:port` (the port fills
//!   `source.port`) and arrays (`sourceIPs`: the first).
//! - A string `resource`/`target` is the resource id.
//! - Break glass: `breakGlassSessionId` / `justification` (top level or in
//!   `details`), or an action `break_glass.*`, fill `actor.break_glass` and
//!   raise severity to at least `critical`.
//! - Lines of other JSON logs mixed into an audit file (Elasticsearch's
//!   server log) are not errors: they normalize with what they have.
//! - Invalid UTF-8 is replaced, the entry parsed anyway, and flagged with
//!   `parse_error.reason = "invalid UTF-8"` and the exact bytes.

use serde::Deserialize;
use serde_json::Value;

use super::event_id::derived_event_id;
use super::field_lookup::SourcePath;
use super::json_defaults::Slot;
use super::quarantine::{invalid_utf8_error, quarantine_event};
use super::{json_fields, json_normalize};
use super::{EntryContext, FormatError};
use crate::event::AuditEvent;

pub(crate) const PARSER_NAME: &str = "json";

/// A schema field a `map` entry can fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaField {
    /// One of the fixed fields (`actor.id`, `time`, …).
    Fixed(&'static str),
    /// `correlation.<name>`.
    Correlation(String),
}

/// The fixed schema fields a map can name, with the slot each fills.
const FIXED_FIELDS: &[(&str, Slot)] = &[
    ("id", Slot::Id),
    ("time", Slot::Time),
    ("action", Slot::Action),
    ("outcome", Slot::Outcome),
    ("severity", Slot::Severity),
    ("category", Slot::Category),
    ("message", Slot::Message),
    ("actor.id", Slot::ActorId),
    ("actor.name", Slot::ActorName),
    ("actor.email", Slot::ActorEmail),
    ("actor.type", Slot::ActorType),
    ("actor.session_id", Slot::ActorSessionId),
    ("actor.groups", Slot::ActorGroups),
    ("source.ip", Slot::SourceIp),
    ("source.port", Slot::SourcePort),
    ("source.user_agent", Slot::SourceUserAgent),
    ("resource.type", Slot::ResourceType),
    ("resource.id", Slot::ResourceId),
    ("resource.name", Slot::ResourceName),
    ("tenant.id", Slot::TenantId),
    ("project.id", Slot::ProjectId),
    ("status.code", Slot::StatusCode),
    ("status.detail", Slot::StatusDetail),
];

impl SchemaField {
    /// Reads a schema field name as written in `map`; the error suggests
    /// the closest known name.
    pub fn parse(name: &str) -> Result<SchemaField, FormatError> {
        let name = name.trim();
        if let Some((field, _)) = FIXED_FIELDS.iter().find(|(f, _)| *f == name) {
            return Ok(SchemaField::Fixed(field));
        }
        if let Some(corr) = name.strip_prefix("correlation.") {
            if !corr.is_empty() && !corr.contains('.') {
                return Ok(SchemaField::Correlation(corr.to_string()));
            }
        }
        let suggestion = FIXED_FIELDS
            .iter()
            .map(|(f, _)| *f)
            .chain(["correlation.<name>"])
            .map(|f| (strsim::jaro_winkler(f, name), f))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, f)| f);
        Err(FormatError::UnknownSchemaField {
            field: name.to_string(),
            suggestion,
        })
    }

    pub(crate) fn slot(&self) -> Option<Slot> {
        match self {
            SchemaField::Fixed(name) => FIXED_FIELDS
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, slot)| *slot),
            SchemaField::Correlation(_) => None,
        }
    }
}

/// Reads app JSON audit lines. Built once per source.
#[derive(Debug, Clone)]
pub struct JsonParser {
    map: Vec<(SchemaField, SourcePath)>,
    keep_raw: bool,
}

impl JsonParser {
    /// `map`: (schema field, dotted source path) pairs, in file order; an
    /// earlier pair for the same field wins.
    pub fn new(map: &[(String, String)], keep_raw: bool) -> Result<JsonParser, FormatError> {
        let map = map
            .iter()
            .map(|(field, path)| {
                let schema_field = SchemaField::parse(field)?;
                let path = SourcePath::parse(path).ok_or_else(|| FormatError::EmptySourcePath {
                    field: field.clone(),
                })?;
                Ok((schema_field, path))
            })
            .collect::<Result<Vec<_>, FormatError>>()?;
        Ok(JsonParser { map, keep_raw })
    }

    /// Reads one entry; never fails (see the module doc).
    pub fn parse(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        let body = entry.strip_prefix(b"\xef\xbb\xbf").unwrap_or(entry);
        let mut event = ctx.new_event(PARSER_NAME);
        // One UTF-8 check of the whole line (word at a time over ASCII) is
        // cheaper than serde_json's check of every string on its own.
        let Ok(text) = std::str::from_utf8(body) else {
            return self.parse_invalid_utf8(entry, body, event, ctx);
        };
        match self.read_into(serde_json::Deserializer::from_str(text), &mut event) {
            Ok(()) => {
                if self.keep_raw {
                    event.raw = Some(String::from_utf8_lossy(entry).into_owned());
                }
                self.finish(event, entry, ctx)
            }
            Err(error) => {
                quarantine_event(entry, &unreadable_reason(body, &error), PARSER_NAME, ctx)
            }
        }
    }

    /// Reads one JSON text into `event`: streamed when there is no `map`,
    /// else built whole so dotted paths can reach anywhere.
    fn read_into<'de, R: serde_json::de::Read<'de>>(
        &self,
        mut de: serde_json::Deserializer<R>,
        event: &mut AuditEvent,
    ) -> Result<(), serde_json::Error> {
        let collected = if self.map.is_empty() {
            let collected = json_normalize::read_object(&mut de)?;
            de.end()?;
            collected
        } else {
            let Value::Object(object) = Value::deserialize(&mut de)? else {
                return Err(json_normalize::not_an_object());
            };
            de.end()?;
            json_normalize::read_mapped_object(object, &self.map)
        };
        json_fields::convert(event, collected);
        Ok(())
    }

    /// The entry is not valid UTF-8: read its lossy text, flagged, with the
    /// original bytes kept.
    fn parse_invalid_utf8(
        &self,
        entry: &[u8],
        body: &[u8],
        mut event: AuditEvent,
        ctx: &EntryContext<'_>,
    ) -> AuditEvent {
        let text = String::from_utf8_lossy(body);
        match self.read_into(serde_json::Deserializer::from_str(&text), &mut event) {
            Ok(()) => {
                event.raw = Some(String::from_utf8_lossy(entry).into_owned());
                event.parse_error = Some(invalid_utf8_error(entry, PARSER_NAME));
                self.finish(event, entry, ctx)
            }
            Err(error) => {
                quarantine_event(entry, &unreadable_reason(body, &error), PARSER_NAME, ctx)
            }
        }
    }

    fn finish(&self, mut event: AuditEvent, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        if event.id.is_empty() {
            event.id = derived_event_id(ctx.position_key, ctx.offset, entry);
        }
        event
    }
}

/// `not a JSON object`, `invalid JSON: empty entry` or `invalid JSON: <cause>`.
fn unreadable_reason(body: &[u8], error: &serde_json::Error) -> String {
    if error.classify() == serde_json::error::Category::Data {
        "not a JSON object".to_string()
    } else if body.iter().all(u8::is_ascii_whitespace) {
        "invalid JSON: empty entry".to_string()
    } else {
        invalid_json_reason(error)
    }
}

fn invalid_json_reason(error: &serde_json::Error) -> String {
    format!("invalid JSON: {error}")
}

/// Fills `event` from an already built object by the default key table, as
/// a `json` line without a `map` would be: the formats whose entries are
/// flat key/value sets (`logfmt`, syslog structured data) share the `json`
/// format's reading of keys, so `user=alice` means what `"user":"alice"`
/// means.
pub(super) fn convert_object(event: &mut AuditEvent, object: serde_json::Map<String, Value>) {
    json_fields::convert(event, json_normalize::read_mapped_object(object, &[]));
}
