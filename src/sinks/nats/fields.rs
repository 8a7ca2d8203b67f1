//! Reads from an event line only the fields the sink needs — `id` and the
//! subject template's paths — skipping the rest without building it.
//!
//! Why: an event is a JSON object of a few dozen fields; building the
//! whole `serde_json::Value` (a map node and a string per field) for every
//! event cost more CPU than publishing it. The result is a `Value` holding
//! only the kept paths, which the template renders as before.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// A tree of the object keys to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct KeptFields {
    children: Vec<(String, KeptFields)>,
    /// Keep the whole value here.
    whole: bool,
}

impl KeptFields {
    /// `id` and every path in `paths`.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a [String]>) -> KeptFields {
        let mut root = KeptFields::default();
        root.add(&["id".to_string()]);
        for path in paths {
            root.add(path);
        }
        root
    }

    fn add(&mut self, path: &[String]) {
        let Some((first, rest)) = path.split_first() else {
            self.whole = true;
            return;
        };
        let index = match self.children.iter().position(|(k, _)| k == first) {
            Some(index) => index,
            None => {
                self.children.push((first.clone(), KeptFields::default()));
                self.children.len() - 1
            }
        };
        self.children[index].1.add(rest);
    }

    /// The kept part of `line`; `Null` when it is not a JSON object.
    pub fn read(&self, line: &[u8]) -> serde_json::Result<Value> {
        let mut deserializer = serde_json::Deserializer::from_slice(line);
        let value = self.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(value)
    }
}

impl<'de> DeserializeSeed<'de> for &KeptFields {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.whole {
            return serde::Deserialize::deserialize(deserializer);
        }
        deserializer.deserialize_any(self)
    }
}

/// Which kept key a map key is, without allocating it.
struct KeyIndex<'a>(&'a KeptFields);

impl<'de> DeserializeSeed<'de> for KeyIndex<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.children.iter().position(|(k, _)| k == key))
    }
}

impl<'de> Visitor<'de> for &KeptFields {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut kept = serde_json::Map::new();
        while let Some(index) = map.next_key_seed(KeyIndex(self))? {
            match index {
                Some(index) => {
                    let (key, child) = &self.children[index];
                    let value = map.next_value_seed(child)?;
                    kept.insert(key.clone(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(kept))
    }

    // Not an object where the path goes on: the field is missing.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }
    fn visit_str<E>(self, _: &str) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kept(paths: &[&str], line: &str) -> Value {
        let paths: Vec<Vec<String>> = paths
            .iter()
            .map(|p| p.split('.').map(str::to_string).collect())
            .collect();
        KeptFields::new(paths.iter().map(Vec::as_slice))
            .read(line.as_bytes())
            .unwrap()
    }

    #[test]
    fn only_the_id_and_the_template_paths_are_kept() {
        let line = r#"{"id":"e1","action":"user.login","tenant":{"id":"acme","name":"Acme"},"actor":{"id":"u1"},"details":{"a":[1,{"b":2}]},"n":1.5}"#;
        assert_eq!(
            kept(&["tenant.id", "action"], line),
            json!({"id": "e1", "action": "user.login", "tenant": {"id": "acme"}})
        );
        // A whole object kept when the path ends there.
        assert_eq!(
            kept(&["details"], line),
            json!({"id": "e1", "details": {"a": [1, {"b": 2}]}})
        );
    }

    #[test]
    fn escaped_keys_match_and_non_objects_on_the_path_are_missing() {
        let line = r#"{"i\u0064":"e2","tenant":"flat","action":["x"]}"#;
        assert_eq!(
            kept(&["tenant.id", "action"], line),
            json!({"id": "e2", "tenant": null, "action": ["x"]})
        );
        assert_eq!(kept(&["a"], "[1,2]"), Value::Null);
        assert!(KeptFields::new([]).read(b"{\"id\":").is_err());
        assert!(KeptFields::new([]).read(b"{} trailing").is_err());
    }
}
