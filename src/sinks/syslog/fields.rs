//! The event fields a syslog message is made of, read from the journal's
//! JSON line without building the whole event.
//!
//! Why: building a `serde_json::Value` per event (a map node and an owned
//! string for each of a few dozen fields, `details` included) cost more
//! CPU than encoding and encrypting the message. The typed read borrows
//! the strings from the line (owned only when they hold escapes), skips
//! every field the message does not use, and reads the nested objects
//! leniently: a field of an unexpected type counts as absent, as it did
//! when read from a `Value`.
//!
//! A line this read refuses (not JSON, not an object, a duplicate key) is
//! read into a `Value` instead and the same fields taken from it
//! ([`EventFields::from_map`]), so such lines make the same message as
//! before.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// A JSON scalar as text: strings as they are, numbers and booleans in
/// their JSON form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar<'a> {
    Text(Cow<'a, str>),
    /// A number or boolean, as JSON writes it.
    Other(String),
}

impl Scalar<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            Scalar::Text(text) => text,
            Scalar::Other(text) => text,
        }
    }
}

/// A scalar field: absent when missing, null, an array or an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field<'a>(pub Option<Scalar<'a>>);

impl<'a> Field<'a> {
    /// The value when it is a JSON string (what `event_text::text` reads).
    pub fn text(&self) -> Option<&str> {
        match &self.0 {
            Some(Scalar::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// The value as text whatever its scalar type (`event_text::scalar`).
    pub fn scalar(&self) -> Option<&str> {
        self.0.as_ref().map(Scalar::as_str)
    }

    fn of(value: Option<&'a Value>) -> Field<'a> {
        Field(match value {
            Some(Value::String(text)) => Some(Scalar::Text(Cow::Borrowed(text))),
            Some(Value::Number(number)) => Some(Scalar::Other(number.to_string())),
            Some(Value::Bool(flag)) => Some(Scalar::Other(flag.to_string())),
            _ => None,
        })
    }
}

/// `actor`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Actor<'a> {
    #[serde(borrow)]
    pub id: Field<'a>,
    #[serde(borrow)]
    pub name: Field<'a>,
    #[serde(borrow, rename = "type")]
    pub kind: Field<'a>,
}

/// `source`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Source<'a> {
    #[serde(borrow)]
    pub ip: Field<'a>,
    #[serde(borrow)]
    pub port: Field<'a>,
    #[serde(borrow)]
    pub user_agent: Field<'a>,
}

/// `resource`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Resource<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Field<'a>,
    #[serde(borrow)]
    pub id: Field<'a>,
    #[serde(borrow)]
    pub name: Field<'a>,
}

/// `tenant`, `project`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Named<'a> {
    #[serde(borrow)]
    pub id: Field<'a>,
}

/// `agent`
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Agent<'a> {
    #[serde(borrow)]
    pub host: Field<'a>,
    #[serde(borrow)]
    pub seq: Field<'a>,
    #[serde(borrow)]
    pub chain: Field<'a>,
}

/// The fields of one event that RFC 5424 and CEF messages use.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventFields<'a> {
    #[serde(borrow)]
    pub id: Field<'a>,
    #[serde(borrow)]
    pub time: Field<'a>,
    #[serde(borrow)]
    pub action: Field<'a>,
    #[serde(borrow)]
    pub outcome: Field<'a>,
    #[serde(borrow)]
    pub severity: Field<'a>,
    #[serde(borrow)]
    pub category: Field<'a>,
    #[serde(borrow)]
    pub message: Field<'a>,
    #[serde(borrow)]
    pub actor: Nested<Actor<'a>>,
    #[serde(borrow)]
    pub source: Nested<Source<'a>>,
    #[serde(borrow)]
    pub resource: Nested<Resource<'a>>,
    #[serde(borrow)]
    pub tenant: Nested<Named<'a>>,
    #[serde(borrow)]
    pub project: Nested<Named<'a>>,
    #[serde(borrow)]
    pub agent: Nested<Agent<'a>>,
}

impl<'a> EventFields<'a> {
    /// The typed read of one JSON line; `None` for what it cannot read
    /// (the caller falls back to a `Value`).
    pub fn read(line: &'a [u8]) -> Option<EventFields<'a>> {
        // A derived struct would also accept a JSON array (its fields by
        // position); only an object is an event.
        let first = line.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return None;
        }
        crate::json_bytes::from_json_bytes(line).ok()
    }

    /// The same fields from an event already parsed into a map.
    pub fn from_map(event: &'a Map<String, Value>) -> EventFields<'a> {
        let object = |key: &str| event.get(key).and_then(Value::as_object);
        let field = |object: Option<&'a Map<String, Value>>, key: &str| {
            Field::of(object.and_then(|object| object.get(key)))
        };
        let actor = object("actor");
        let source = object("source");
        let resource = object("resource");
        let agent = object("agent");
        EventFields {
            id: Field::of(event.get("id")),
            time: Field::of(event.get("time")),
            action: Field::of(event.get("action")),
            outcome: Field::of(event.get("outcome")),
            severity: Field::of(event.get("severity")),
            category: Field::of(event.get("category")),
            message: Field::of(event.get("message")),
            actor: Nested(Actor {
                id: field(actor, "id"),
                name: field(actor, "name"),
                kind: field(actor, "type"),
            }),
            source: Nested(Source {
                ip: field(source, "ip"),
                port: field(source, "port"),
                user_agent: field(source, "user_agent"),
            }),
            resource: Nested(Resource {
                kind: field(resource, "type"),
                id: field(resource, "id"),
                name: field(resource, "name"),
            }),
            tenant: Nested(Named {
                id: field(object("tenant"), "id"),
            }),
            project: Nested(Named {
                id: field(object("project"), "id"),
            }),
            agent: Nested(Agent {
                host: field(agent, "host"),
                seq: field(agent, "seq"),
                chain: field(agent, "chain"),
            }),
        }
    }

    /// "ACTOR ACTION RESOURCE: OUTCOME", as `event_text::sentence` makes
    /// it from a map.
    pub fn sentence(&self) -> String {
        let actor = &self.actor.0;
        let resource = &self.resource.0;
        let actor = actor
            .name
            .text()
            .or(actor.id.text())
            .or(actor.kind.text())
            .unwrap_or("unknown");
        let action = self.action.text().unwrap_or("unknown");
        let outcome = self.outcome.text().unwrap_or("unknown");
        let parts = [
            resource.kind.text(),
            resource.name.text().or(resource.id.text()),
        ];
        let resource: Vec<&str> = parts.into_iter().flatten().collect();
        if resource.is_empty() {
            format!("{actor} {action}: {outcome}")
        } else {
            format!("{actor} {action} {}: {outcome}", resource.join(" "))
        }
    }
}

/// A nested object; any other JSON value there counts as an empty one.
#[derive(Debug, Default)]
pub struct Nested<T>(pub T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Nested<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NestedVisitor(PhantomData))
    }
}

struct NestedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for NestedVisitor<T> {
    type Value = Nested<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Nested<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Nested)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nested<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Nested::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<Nested<T>, E> {
        Ok(Nested::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Nested<T>, E> {
        Ok(Nested::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Nested<T>, E> {
        Ok(Nested::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Nested<T>, E> {
        Ok(Nested::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Nested<T>, E> {
        Ok(Nested::default())
    }
    fn visit_unit<E>(self) -> Result<Nested<T>, E> {
        Ok(Nested::default())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor)
    }
}

struct FieldVisitor;

impl<'de> Visitor<'de> for FieldVisitor {
    type Value = Field<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Field<'de>, E> {
        Ok(Field(Some(Scalar::Text(Cow::Borrowed(text)))))
    }
    fn visit_str<E>(self, text: &str) -> Result<Field<'de>, E> {
        Ok(Field(Some(Scalar::Text(Cow::Owned(text.to_string())))))
    }
    fn visit_string<E>(self, text: String) -> Result<Field<'de>, E> {
        Ok(Field(Some(Scalar::Text(Cow::Owned(text)))))
    }
    fn visit_i64<E>(self, number: i64) -> Result<Field<'de>, E> {
        Ok(Field(Some(Scalar::Other(number.to_string()))))
    }
    fn visit_u64<E>(self, number: u64) -> Result<Field<'de>, E> {
        Ok(Field(Some(Scalar::Other(number.to_string()))))
    }
    fn visit_f64<E>(self, number: f64) -> Result<Field<'de>, E> {
        // As a `Value` would print it (JSON has no NaN or infinity).
        let text = serde_json::Number::from_f64(number).map_or_else(String::new, |n| n.to_string());
        Ok(Field(Some(Scalar::Other(text))))
    }
    fn visit_bool<E>(self, flag: bool) -> Result<Field<'de>, E> {
        Ok(Field(Some(Scalar::Other(flag.to_string()))))
    }
    fn visit_unit<E>(self) -> Result<Field<'de>, E> {
        Ok(Field(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Field(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Field(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The typed read and the read from a `Value` agree, odd types included.
    #[test]
    fn the_typed_read_agrees_with_the_read_from_a_value() {
        let event = json!({
            "id": 7, "time": "2026-11-26T10:11:12Z", "action": "a\"\\b", "outcome": true,
            "severity": null, "category": ["x"], "message": {"nested": 1},
            "actor": "not an object",
            "source": {"ip": "10.0.0.1", "port": 5555, "user_agent": 1.5},
            "resource": {"type": "session", "id": "s-1", "name": "n\u{e9}"},
            "tenant": {"id": "acme"}, "project": [],
            "agent": {"host": "web-1", "seq": 42, "chain": "ab12", "extra": {"deep": [1, 2]}},
            "details": {"big": "skipped"}
        });
        let line = serde_json::to_vec(&event).unwrap();
        let typed = EventFields::read(&line).unwrap();
        let from_map = EventFields::from_map(event.as_object().unwrap());
        assert_eq!(format!("{typed:?}"), format!("{from_map:?}"));
        assert_eq!(typed.id.scalar(), Some("7"));
        assert_eq!(typed.id.text(), None);
        assert_eq!(typed.action.text(), Some("a\"\\b"));
        assert_eq!(typed.source.0.port.scalar(), Some("5555"));
        assert_eq!(typed.source.0.user_agent.scalar(), Some("1.5"));
        assert_eq!(typed.outcome.scalar(), Some("true"));
        assert_eq!(typed.actor.0.name.scalar(), None);
        assert_eq!(typed.message.scalar(), None);
        assert_eq!(typed.resource.0.name.text(), Some("né"));
    }

    #[test]
    fn lines_the_typed_read_refuses_are_not_objects_or_repeat_a_key() {
        assert!(EventFields::read(b"not json").is_none());
        assert!(EventFields::read(b"[1]").is_none());
        assert!(EventFields::read(br#" ["a", "b"]"#).is_none());
        assert!(EventFields::read(br#"{"id":"a","id":"b"}"#).is_none());
        assert!(EventFields::read(br#"{"id":"a"} x"#).is_none());
        assert!(EventFields::read(br#" {"id":"a"} "#).is_some());
    }

    #[test]
    fn the_sentence_matches_event_text() {
        let event = json!({"actor": {"id": "u-1"}, "action": "x.y", "resource": {"type": "r", "id": "r-1"}});
        let map = event.as_object().unwrap();
        let line = serde_json::to_vec(&event).unwrap();
        let typed = EventFields::read(&line).unwrap();
        assert_eq!(typed.sentence(), crate::sinks::event_text::sentence(map));
        assert_eq!(typed.sentence(), "u-1 x.y r r-1: unknown");
    }
}
