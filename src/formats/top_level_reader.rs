//! Reading the top level of one JSON object in one pass, for the formats
//! whose schema takes a few known members and keeps every other one in
//! `details` (`k8s`, `cloudtrail`): the known members are set aside as
//! they are read, every other member goes straight into the map that
//! becomes `details`.
//!
//! Reading the whole object into a `serde_json` map first and then
//! removing the members the schema takes costs map entries made (their
//! names copied), then taken out again with rebalancing: a third of the
//! `k8s` parser's time. It only reads valid UTF-8 JSON objects: anything
//! else gives `None`, for the format's general path (after
//! `read_json_object`) to name the error exactly as before.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// The members a format's schema reads (its slots) and the rest.
pub(super) trait TopLevelSlots: Default {
    /// The slot of a member the schema reads; `None` for the rest.
    fn slot(&mut self, key: &str) -> Option<&mut Option<Value>>;
    /// Every other member.
    fn rest(&mut self) -> &mut Map<String, Value>;
}

/// Reads `text` when it is one JSON object; `None` otherwise (invalid
/// JSON, another type, trailing bytes). A later duplicate member replaces
/// an earlier one, in a slot as in the rest (as in a map).
pub(super) fn read_top_level<T: TopLevelSlots>(text: &str) -> Option<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let top = de.deserialize_map(TopVisitor(PhantomData)).ok()?;
    de.end().ok()?;
    Some(top)
}

struct TopVisitor<T>(PhantomData<T>);

impl<'de, T: TopLevelSlots> Visitor<'de> for TopVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut top = T::default();
        while let Some(Key(key)) = map.next_key()? {
            match top.slot(&key) {
                Some(slot) => *slot = Some(map.next_value()?),
                None => {
                    let value = map.next_value()?;
                    top.rest().insert(key.into_owned(), value);
                }
            }
        }
        Ok(top)
    }
}

/// A member name, borrowed from the input when it holds no escape: a
/// slot's name is never copied.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }

            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}
