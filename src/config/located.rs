//! Reading the raw serde structs out of the document tree while keeping
//! where each value was written.
//!
//! Owns [`Located<T>`] (a value with its span, and the text as written when
//! interpolation changed it), the serde `Deserializer` over a
//! [`Node`](super::document::Node), and [`DeError`], which records the key
//! path and span of the first problem so it can become a
//! [`ConfigProblem`](super::ConfigProblem) at a line and column.
//!
//! `Located<T>` speaks a private protocol with this deserializer only (a
//! struct with magic field names, like `toml::Spanned`); it cannot be read
//! from any other deserializer.
//!
//! Invariant: messages built here never include a value, only its kind
//! ("found a string"), so a secret can never leak through a type error.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::Deserialize;

use super::document::{Node, Span, Text, Value};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located<T> {
    pub span: Span,
    /// The string as written in the file, when interpolation changed it.
    pub written: Option<String>,
    pub value: T,
}

impl<T> Located<T> {
    /// Byte offset where the value starts, for error positions.
    pub fn at(&self) -> usize {
        self.span.start
    }
}

impl Located<String> {
    /// The string as it may appear in an error message: as written in the
    /// file, never the interpolated (possibly secret) value.
    pub fn shown(&self) -> &str {
        self.written.as_deref().unwrap_or(&self.value)
    }
}

const LOCATED_NAME: &str = "$__auditship_Located";
const LOCATED_START: &str = "$start";
const LOCATED_END: &str = "$end";
const LOCATED_WRITTEN: &str = "$written";
const LOCATED_VALUE: &str = "$value";
const LOCATED_FIELDS: &[&str] = &[LOCATED_START, LOCATED_END, LOCATED_WRITTEN, LOCATED_VALUE];

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct(
            LOCATED_NAME,
            LOCATED_FIELDS,
            LocatedVisitor(std::marker::PhantomData),
        )
    }
}

struct LocatedVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for LocatedVisitor<T> {
    type Value = Located<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value read from the configuration tree")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Located<T>, A::Error> {
        fn expect_key<'de, A: MapAccess<'de>>(map: &mut A, expected: &str) -> Result<(), A::Error> {
            match map.next_key::<String>()? {
                Some(k) if k == expected => Ok(()),
                _ => Err(de::Error::custom("internal: located value protocol broken")),
            }
        }
        expect_key(&mut map, LOCATED_START)?;
        let start: usize = map.next_value()?;
        expect_key(&mut map, LOCATED_END)?;
        let end: usize = map.next_value()?;
        expect_key(&mut map, LOCATED_WRITTEN)?;
        let written: String = map.next_value()?;
        expect_key(&mut map, LOCATED_VALUE)?;
        let value: T = map.next_value()?;
        Ok(Located {
            span: start..end,
            written: (!written.is_empty()).then_some(written),
            value,
        })
    }
}

/// The first problem met while reading a raw struct. `path` names the
/// table (for unknown and missing keys) or the value (for everything else);
/// both are filled in by the deserializer of the node where it happened.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeError {
    pub span: Option<Span>,
    pub path: Option<Vec<String>>,
    pub kind: DeErrorKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DeErrorKind {
    UnknownKey {
        key: String,
        expected: Vec<&'static str>,
    },
    MissingKey(&'static str),
    WrongType {
        expected: String,
        found: String,
    },
    Invalid(String),
}

impl DeError {
    fn new(kind: DeErrorKind) -> Self {
        DeError {
            span: None,
            path: None,
            kind,
        }
    }

    /// Records where the error happened, unless a deeper node already did.
    fn fill(mut self, span: &Span, path: &[String]) -> Self {
        if self.span.is_none() {
            self.span = Some(span.clone());
            self.path = Some(path.to_vec());
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        DeError::new(DeErrorKind::Invalid(msg.to_string()))
    }

    fn invalid_type(unexpected: Unexpected, expected: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::WrongType {
            expected: describe_expected(expected),
            found: describe_unexpected(&unexpected).to_string(),
        })
    }

    fn invalid_value(unexpected: Unexpected, expected: &dyn de::Expected) -> Self {
        DeError::new(DeErrorKind::Invalid(format!(
            "expected {}, found {}",
            describe_expected(expected),
            describe_unexpected(&unexpected)
        )))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(DeErrorKind::UnknownKey {
            key: field.to_string(),
            expected: expected.to_vec(),
        })
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(DeErrorKind::MissingKey(field))
    }
}

/// serde's names for what it expected, in the words of a TOML user.
fn describe_expected(expected: &dyn de::Expected) -> String {
    let text = expected.to_string();
    match text.as_str() {
        "a sequence" => "an array".to_string(),
        "a map" => "a table".to_string(),
        "i64" | "u64" | "usize" | "u32" | "u16" => "an integer".to_string(),
        "a borrowed string" => "a string".to_string(),
        _ if text.starts_with("struct ") => "a table".to_string(),
        _ => text,
    }
}

/// What was found, by kind only: values are never shown.
fn describe_unexpected(unexpected: &Unexpected) -> &'static str {
    match unexpected {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) => "an integer",
        Unexpected::Float(_) => "a float",
        Unexpected::Char(_) | Unexpected::Str(_) => "a string",
        Unexpected::Seq => "an array",
        Unexpected::Map => "a table",
        Unexpected::Other("a date-time") => "a date-time",
        _ => "another kind of value",
    }
}

/// Reads `T` from `node`, whose key path is `path` (empty for the root).
pub(crate) fn read<'de, T: Deserialize<'de>>(node: &Node, path: &[String]) -> Result<T, DeError> {
    T::deserialize(NodeDeserializer {
        node,
        path: path.to_vec(),
    })
}

/// Deserializes one node of the tree.
struct NodeDeserializer<'a> {
    node: &'a Node,
    path: Vec<String>,
}

impl<'de> Deserializer<'de> for NodeDeserializer<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.value {
            Value::String(text) => visitor.visit_str(&text.value),
            Value::Integer(i) => visitor.visit_i64(*i),
            Value::Float(x) => visitor.visit_f64(*x),
            Value::Boolean(b) => visitor.visit_bool(*b),
            Value::Datetime => Err(de::Error::invalid_type(
                Unexpected::Other("a date-time"),
                &visitor,
            )),
            Value::Array(items) => visitor.visit_seq(ArrayAccess {
                items: items.iter().enumerate(),
                path: &self.path,
            }),
            Value::Table(entries) => visitor.visit_map(TableAccess {
                entries: entries.iter(),
                pending: None,
                path: &self.path,
            }),
        };
        result.map_err(|e| e.fill(&self.node.span, &self.path))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == LOCATED_NAME && fields == LOCATED_FIELDS {
            let written = match &self.node.value {
                Value::String(Text {
                    written: Some(w), ..
                }) => w.clone(),
                _ => String::new(),
            };
            return visitor.visit_map(LocatedAccess {
                deserializer: Some(self),
                written,
                step: 0,
            });
        }
        self.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier
    }
}

struct ArrayAccess<'a, I> {
    items: I,
    path: &'a [String],
}

impl<'de, 'a, I: Iterator<Item = (usize, &'a Node)>> SeqAccess<'de> for ArrayAccess<'a, I> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((index, node)) = self.items.next() else {
            return Ok(None);
        };
        let mut path = self.path.to_vec();
        match path.last_mut() {
            Some(last) => last.push_str(&format!("[{index}]")),
            None => path.push(format!("[{index}]")),
        }
        seed.deserialize(NodeDeserializer { node, path }).map(Some)
    }
}

struct TableAccess<'a, I> {
    entries: I,
    pending: Option<&'a super::document::Entry>,
    path: &'a [String],
}

impl<'de, 'a, I: Iterator<Item = &'a super::document::Entry>> MapAccess<'de>
    for TableAccess<'a, I>
{
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some(entry);
        // The key is read as a string node at the key's span, in the
        // table's path: an unknown key is reported there.
        let key_node = Node {
            span: entry.key_span.clone(),
            value: Value::String(Text {
                value: entry.key.clone(),
                written: None,
            }),
        };
        seed.deserialize(NodeDeserializer {
            node: &key_node,
            path: self.path.to_vec(),
        })
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let entry = self
            .pending
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("internal: value before key"))?;
        let mut path = self.path.to_vec();
        path.push(entry.key.clone());
        seed.deserialize(NodeDeserializer {
            node: &entry.value,
            path,
        })
    }
}

/// Feeds a [`Located`] its span, written text and value, in that order.
struct LocatedAccess<'a> {
    deserializer: Option<NodeDeserializer<'a>>,
    written: String,
    step: usize,
}

impl<'de> MapAccess<'de> for LocatedAccess<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(name) = LOCATED_FIELDS.get(self.step) else {
            return Ok(None);
        };
        seed.deserialize(de::value::StrDeserializer::<DeError>::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let step = self.step;
        self.step += 1;
        let span = self
            .deserializer
            .as_ref()
            .map(|d| d.node.span.clone())
            .unwrap_or_default();
        match step {
            0 => seed.deserialize(de::value::U64Deserializer::<DeError>::new(
                span.start as u64,
            )),
            1 => seed.deserialize(de::value::U64Deserializer::<DeError>::new(span.end as u64)),
            2 => seed.deserialize(de::value::StrDeserializer::<DeError>::new(&self.written)),
            _ => match self.deserializer.take() {
                Some(deserializer) => seed.deserialize(deserializer),
                None => Err(de::Error::custom("internal: located value read twice")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::document::parse;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: Located<String>,
        #[allow(dead_code)]
        count: Option<i64>,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        flag: bool,
    }

    #[test]
    fn located_values_carry_the_span_of_the_value() {
        let text = "name = \"abc\"\n";
        let sample: Sample = read(&parse(text).unwrap(), &[]).unwrap();
        assert_eq!(sample.name.value, "abc");
        assert_eq!(&text[sample.name.span.clone()], "\"abc\"");
        assert!(sample.inner.is_none());
    }

    #[test]
    fn unknown_keys_are_reported_at_the_key_with_the_known_keys() {
        let text = "name = \"x\"\n[inner]\nflag = true\nflg = false\n";
        let error = read::<Sample>(&parse(text).unwrap(), &[]).unwrap_err();
        assert_eq!(&text[error.span.clone().unwrap()], "flg");
        assert_eq!(error.path.as_deref(), Some(&["inner".to_string()][..]));
        assert_eq!(
            error.kind,
            DeErrorKind::UnknownKey {
                key: "flg".into(),
                expected: vec!["flag"]
            }
        );
    }

    #[test]
    fn wrong_types_name_kinds_not_values() {
        let text = "name = \"x\"\ncount = \"secret-value\"\n";
        let error = read::<Sample>(&parse(text).unwrap(), &[]).unwrap_err();
        assert_eq!(&text[error.span.clone().unwrap()], "\"secret-value\"");
        assert_eq!(
            error.kind,
            DeErrorKind::WrongType {
                expected: "an integer".into(),
                found: "a string".into()
            }
        );
        assert_eq!(error.path.unwrap(), ["count"]);
    }

    #[test]
    fn missing_keys_name_the_table() {
        let text = "count = 1\n";
        let error = read::<Sample>(&parse(text).unwrap(), &[]).unwrap_err();
        assert_eq!(error.kind, DeErrorKind::MissingKey("name"));
        assert_eq!(error.path.unwrap(), Vec::<String>::new());
    }
}
