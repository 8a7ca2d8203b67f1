//! One top-level member's value as the `json` format reads it, before it
//! becomes a schema field or a `details` entry.
//!
//! Why not `serde_json::Value`: most values of an audit line become typed
//! fields (`status` → outcome, `createdAt` → time, `actorType` → actor
//! type) or are read member by member (`resource`, `details`, `event`), so
//! building each as a `Value` first cost an allocation per string and a
//! `BTreeMap` per object that were thrown away at once. Here a string stays
//! borrowed from the line when it holds no escape, and the object of a key
//! that is read inside is kept as its members in a `Vec`. Whatever ends in
//! `details` becomes a `Value` then ([`Member::into_value`]), equal to
//! what `Value` would have held.
//!
//! Invariants: a string is always [`Member::Str`], never `Other(Value::String)`;
//! [`Members`] are sorted by key (byte order) with the last of equal keys
//! kept — exactly the order and content of the `serde_json::Map`
//! (a `BTreeMap`) the object would have been, so every rule that walks an
//! object's members behaves as it did on the map.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// An object's members in `serde_json::Map` order: sorted by key, one per
/// key (the last the line gave).
pub(super) type Members<'de> = Vec<(Cow<'de, str>, Value)>;

/// A member's value (see the module doc).
#[derive(Debug)]
pub(super) enum Member<'de> {
    /// A string, borrowed from the line when it holds no escape.
    Str(Cow<'de, str>),
    /// An object whose members are read one by one.
    Object(Members<'de>),
    /// Anything else: numbers, booleans, null, arrays, and objects no rule
    /// looks inside.
    Other(Value),
}

impl<'de> Member<'de> {
    /// The member of an already built value (`map` overrides, `logfmt`).
    pub(super) fn from_value(value: Value) -> Member<'de> {
        match value {
            Value::String(s) => Member::Str(Cow::Owned(s)),
            Value::Object(map) => Member::Object(
                map.into_iter()
                    .map(|(key, value)| (Cow::Owned(key), value))
                    .collect(),
            ),
            other => Member::Other(other),
        }
    }

    /// The value as `serde_json::Value` would have read it.
    pub(super) fn into_value(self) -> Value {
        match self {
            Member::Str(s) => Value::String(s.into_owned()),
            Member::Object(members) => Value::Object(members_into_map(members)),
            Member::Other(value) => value,
        }
    }
}

impl From<Member<'_>> for Value {
    fn from(member: Member<'_>) -> Value {
        member.into_value()
    }
}

/// The members as a `serde_json::Map`.
pub(super) fn members_into_map(members: Members<'_>) -> Map<String, Value> {
    members
        .into_iter()
        .map(|(key, value)| (key.into_owned(), value))
        .collect()
}

/// Reads one member's value; `objects_as_members` for keys whose object
/// value is read inside (see `json_normalize::reads_members`).
pub(super) struct MemberSeed {
    pub(super) objects_as_members: bool,
}

impl<'de> DeserializeSeed<'de> for MemberSeed {
    type Value = Member<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Member<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MemberSeed {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Owned(s.to_string())))
    }

    fn visit_string<E>(self, s: String) -> Result<Member<'de>, E> {
        Ok(Member::Str(Cow::Owned(s)))
    }

    // Scalars as `Value`'s own visitor makes them.
    fn visit_bool<E>(self, b: bool) -> Result<Member<'de>, E> {
        Ok(Member::Other(Value::Bool(b)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Member<'de>, E> {
        Ok(Member::Other(Value::from(n)))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Member<'de>, E> {
        Ok(Member::Other(Value::from(n)))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Member<'de>, E> {
        Ok(Member::Other(Value::from(n)))
    }

    fn visit_unit<E>(self) -> Result<Member<'de>, E> {
        Ok(Member::Other(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Member<'de>, E> {
        Ok(Member::Other(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Member<'de>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Member::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Member<'de>, A::Error> {
        if !self.objects_as_members {
            return Value::deserialize(MapAccessDeserializer::new(access)).map(Member::Other);
        }
        let mut members: Members<'de> = Vec::with_capacity(access.size_hint().unwrap_or(8));
        while let Some(key) = access.next_key_seed(KeySeed)? {
            members.push((key, access.next_value()?));
        }
        Ok(Member::Object(in_map_order(members)))
    }
}

/// Sorts members by key and keeps the last of equal keys, as inserting
/// them into a `serde_json::Map` one by one would.
fn in_map_order(mut members: Members<'_>) -> Members<'_> {
    // Stable: equal keys stay in line order, so the last is the line's last.
    members.sort_by(|a, b| a.0.cmp(&b.0));
    members.dedup_by(|later, kept| {
        if later.0 == kept.0 {
            std::mem::swap(later, kept);
            true
        } else {
            false
        }
    });
    members
}

/// Reads a key borrowed from the input when it can be.
pub(super) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_string()))
    }

    fn visit_string<E>(self, key: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, objects_as_members: bool) -> Member<'_> {
        let mut de = serde_json::Deserializer::from_str(text);
        let member = MemberSeed { objects_as_members }
            .deserialize(&mut de)
            .unwrap();
        de.end().unwrap();
        member
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        assert!(matches!(
            read(r#""plain""#, false),
            Member::Str(Cow::Borrowed("plain"))
        ));
        assert!(matches!(read(r#""a\nb""#, false), Member::Str(Cow::Owned(s)) if s == "a\nb"));
    }

    #[test]
    fn members_are_in_map_order_with_the_last_duplicate() {
        let text = r#"{"b":1,"a":2,"b":3,"c":{"z":1,"y":2},"a":4}"#;
        let Member::Object(members) = read(text, true) else {
            panic!("an object read as members");
        };
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(members[0].1, Value::from(4));
        assert_eq!(members[1].1, Value::from(3));
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(read(text, true).into_value(), value);
        assert_eq!(read(text, false).into_value(), value);
    }

    #[test]
    fn every_value_reads_back_as_serde_json_reads_it() {
        for text in [
            "null",
            "true",
            "-12",
            "18446744073709551615",
            "1.5e300",
            "-0.0",
            r#"[1,"x",{"k":[]}]"#,
            r#"{"k\u00e9":"v\"","":null}"#,
            r#""\ud83d\ude00""#,
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(read(text, true).into_value(), value, "{text}");
            assert_eq!(read(text, false).into_value(), value, "{text}");
            assert_eq!(Member::from_value(value.clone()).into_value(), value);
        }
    }
}
