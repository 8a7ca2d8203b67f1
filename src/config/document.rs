//! The TOML document as a tree of values that remember where they were
//! written: every value and every key carries its byte span in the file,
//! and tables keep their entries in file order.
//!
//! Owns the one call into the `toml` parser. Everything after it
//! (interpolation, reading the raw structs, validation) works on this tree,
//! so any problem found later can still be reported at its line and column.
//!
//! How the spans are obtained: `toml` 0.8 hands out spans through the
//! `serde_spanned` protocol (a struct with three magic field names). We speak
//! that protocol directly so that one visitor can accept both spanned values
//! and the few values `toml` has no span for (implicit parent tables such as
//! `sources` in `[sources.app]`), which get the span of the whole file start.
//!
//! Invariant: no I/O here; a tree is a pure function of the text.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Byte range in the configuration text.
pub(crate) type Span = Range<usize>;

/// One value of the document, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub span: Span,
    pub value: Value,
}

/// The TOML value kinds. Dates and times are kept only to be rejected: no
/// key of the configuration takes one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    String(Text),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime,
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

/// A string value after interpolation. `written` keeps the text as written
/// in the file when interpolation changed it, so that errors can show what
/// the user wrote (`"${TOKEN}"`) and never the secret it expanded to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Text {
    pub value: String,
    pub written: Option<String>,
}

/// One `key = value` of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Value {
    /// How a value is named in "found …" messages. Never includes the value.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// A syntax error reported by the TOML parser.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub span: Option<Span>,
    pub message: String,
}

/// Parses the whole text into a root table node (span `0..0`).
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let root = toml::Deserializer::new(text);
    match SpannedValueSeed.deserialize(root) {
        Ok(node) => Ok(Node {
            span: 0..0,
            value: node.value,
        }),
        Err(error) => Err(SyntaxError {
            span: error.span(),
            message: first_line_lower(error.message()),
        }),
    }
}

/// `toml`'s messages span several lines ("invalid string\nexpected …")
/// and may start upper-case; make one lower-case line of them.
fn first_line_lower(message: &str) -> String {
    let line = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    let mut chars = line.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "invalid TOML".to_string(),
    }
}

// The `serde_spanned` protocol as `toml` 0.8 implements it.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];
// How `toml` presents a date-time: a one-entry map with this key.
const DATETIME_FIELD: &str = "$__toml_private_datetime";

/// Deserializes a value and its span.
struct SpannedValueSeed;

impl<'de> DeserializeSeed<'de> for SpannedValueSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, SpannedValueVisitor)
    }
}

struct SpannedValueVisitor;

impl<'de> Visitor<'de> for SpannedValueVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let Some(first) = map.next_key_seed(SpannedKeySeed)? else {
            return Ok(unspanned(Value::Table(Vec::new())));
        };
        if first.key == SPANNED_START {
            let start: usize = map.next_value()?;
            let _end_key = map.next_key_seed(SpannedKeySeed)?;
            let end: usize = map.next_value()?;
            let _value_key = map.next_key_seed(SpannedKeySeed)?;
            let value = map.next_value_seed(PlainValueSeed)?;
            return Ok(Node {
                span: start..end,
                value,
            });
        }
        // A table `toml` has no span for: read it as a plain table.
        Ok(unspanned(read_table_from(first, map)?))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(unspanned(Value::Boolean(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(unspanned(Value::Integer(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        PlainValueVisitor.visit_u64(v).map(unspanned)
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(unspanned(Value::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(unspanned(Value::String(Text {
            value: v.to_string(),
            written: None,
        })))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Node, A::Error> {
        PlainValueVisitor.visit_seq(seq).map(unspanned)
    }
}

fn unspanned(value: Value) -> Node {
    Node { span: 0..0, value }
}

/// Deserializes a value whose span the caller already has.
struct PlainValueSeed;

impl<'de> DeserializeSeed<'de> for PlainValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(PlainValueVisitor)
    }
}

struct PlainValueVisitor;

impl<'de> Visitor<'de> for PlainValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom("integer is too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(Text {
            value: v.to_string(),
            written: None,
        }))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(SpannedValueSeed)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        match map.next_key_seed(SpannedKeySeed)? {
            None => Ok(Value::Table(Vec::new())),
            Some(first) => read_table_from(first, map),
        }
    }
}

/// Reads the rest of a table whose first key has been read already.
fn read_table_from<'de, A: MapAccess<'de>>(
    first: SpannedKey,
    mut map: A,
) -> Result<Value, A::Error> {
    if first.key == DATETIME_FIELD {
        let _text: de::IgnoredAny = map.next_value()?;
        return Ok(Value::Datetime);
    }
    let mut entries = Vec::new();
    let mut key = Some(first);
    while let Some(k) = key {
        let value = map.next_value_seed(SpannedValueSeed)?;
        entries.push(Entry {
            key: k.key,
            key_span: k.span,
            value,
        });
        key = map.next_key_seed(SpannedKeySeed)?;
    }
    Ok(Value::Table(entries))
}

struct SpannedKey {
    key: String,
    span: Span,
}

/// Deserializes a table key and, when `toml` has it, its span.
struct SpannedKeySeed;

impl<'de> DeserializeSeed<'de> for SpannedKeySeed {
    type Value = SpannedKey;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<SpannedKey, D::Error> {
        deserializer.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, SpannedKeyVisitor)
    }
}

struct SpannedKeyVisitor;

impl<'de> Visitor<'de> for SpannedKeyVisitor {
    type Value = SpannedKey;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a table key")
    }

    fn visit_str<E>(self, v: &str) -> Result<SpannedKey, E> {
        Ok(SpannedKey {
            key: v.to_string(),
            span: 0..0,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SpannedKey, A::Error> {
        let _start_key: Option<String> = map.next_key()?;
        let start: usize = map.next_value()?;
        let _end_key: Option<String> = map.next_key()?;
        let end: usize = map.next_value()?;
        let _value_key: Option<String> = map.next_key()?;
        let key: String = map.next_value()?;
        Ok(SpannedKey {
            key,
            span: start..end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(node: &Node) -> &[Entry] {
        match &node.value {
            Value::Table(entries) => entries,
            other => panic!("not a table: {other:?}"),
        }
    }

    fn get<'a>(node: &'a Node, key: &str) -> &'a Entry {
        table(node)
            .iter()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("no key {key}"))
    }

    #[test]
    fn values_and_keys_carry_their_spans() {
        let text = "a = \"x\"\n[t]\nn = 5\n";
        let root = parse(text).unwrap();
        let a = get(&root, "a");
        assert_eq!(&text[a.key_span.clone()], "a");
        assert_eq!(&text[a.value.span.clone()], "\"x\"");
        let n = get(&get(&root, "t").value, "n");
        assert_eq!(&text[n.value.span.clone()], "5");
        assert_eq!(n.value.value, Value::Integer(5));
    }

    #[test]
    fn tables_keep_file_order_including_implicit_parents() {
        let text =
            "[sources.zeta]\ntype = \"file\"\n[sources.alpha]\ntype = \"file\"\n[sources.mid]\n";
        let root = parse(text).unwrap();
        let keys: Vec<&str> = table(&get(&root, "sources").value)
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["zeta", "alpha", "mid"]);
    }

    #[test]
    fn arrays_of_values_and_inline_tables_are_spanned() {
        let text = "list = [\"a\", \"b\"]\nbatch = { max_events = 3 }\n";
        let root = parse(text).unwrap();
        let Value::Array(items) = &get(&root, "list").value.value else {
            panic!("not an array")
        };
        assert_eq!(&text[items[1].span.clone()], "\"b\"");
        let inner = get(&get(&root, "batch").value, "max_events");
        assert_eq!(&text[inner.value.span.clone()], "3");
    }

    #[test]
    fn date_times_are_recognised_so_they_can_be_rejected() {
        let root = parse("when = 1979-05-27T07:32:00Z\n").unwrap();
        assert_eq!(get(&root, "when").value.value, Value::Datetime);
    }

    #[test]
    fn syntax_errors_carry_a_span() {
        let error = parse("a = \"x\"\nb = = 3\n").unwrap_err();
        let span = error.span.expect("a span");
        assert!(span.start >= 8, "{span:?}");
        assert!(!error.message.is_empty());
    }
}
