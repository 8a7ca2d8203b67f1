//! Reading one JSON object into candidate slots: `map` overrides first,
//! then every remaining key classified once by the default table. The
//! slots are then converted to schema fields by `json_fields.rs`.
//!
//! Without a `map` the object is never built as a whole: [`read_object`]
//! streams its members straight from the parser into [`Collected`], keys
//! and string values borrowed from the input when they hold no escapes
//! (`json_member.rs`), so a key or string costs an allocation only when it
//! ends up in the event. The object of a key that is read inside
//! (`resource`, `details`, `event`, …) is read as its members, never built
//! as a map.
//!
//! Invariants: values are moved, never cloned (except the first element of
//! a multi-element array, which stays in `details` whole); every value that
//! no field uses ends in `details`; a key already in `details` is never
//! overwritten — a newcomer gets `_` appended, and a merged
//! `details`/`metadata`/`changes` member that collides is kept as
//! `container.member`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::field_lookup::{NormalizedKey, SourcePath};
use super::json::SchemaField;
use super::json_defaults::{is_container, key_role, KeyRole, Slot, SLOT_COUNT};
use super::json_fields as fields;
use super::json_member::{KeySeed, Member, MemberSeed, Members};

/// A value offered for a slot, with the key it came from (to put it back in
/// `details` if it loses or cannot be used).
struct Candidate<'de> {
    rank: u8,
    key: Cow<'de, str>,
    value: Member<'de>,
}

/// Everything read out of one object, before conversion.
pub(super) struct Collected<'de> {
    slots: [Option<Candidate<'de>>; SLOT_COUNT],
    /// `correlation.<name>` from `map`: (name, source path, value).
    pub(super) mapped_correlation: Vec<(String, String, Value)>,
    /// `details` / `metadata` / `changes` objects, merged last so that the
    /// entry's own top-level keys keep their names.
    pub(super) merges: Vec<(Cow<'de, str>, Members<'de>)>,
    pub(super) details: Map<String, Value>,
}

/// The error a top-level value other than an object gives (a "data" error,
/// told apart from syntax errors by `serde_json::Error::classify`).
pub(super) fn not_an_object() -> serde_json::Error {
    de::Error::custom("not a JSON object")
}

/// Streams the members of the top-level object into a new [`Collected`].
pub(super) fn read_object<'de, D: Deserializer<'de, Error = serde_json::Error>>(
    deserializer: D,
) -> Result<Collected<'de>, serde_json::Error> {
    let mut collected = Collected::new();
    deserializer.deserialize_any(ObjectVisitor(&mut collected))?;
    Ok(collected)
}

/// Reads an already built object, `map` overrides first.
pub(super) fn read_mapped_object(
    mut object: Map<String, Value>,
    map: &[(SchemaField, SourcePath)],
) -> Collected<'static> {
    let mut collected = Collected::new();
    for (field, path) in map {
        let Some(value) = path.take(&mut object) else {
            continue;
        };
        let key = path.as_str().to_string();
        match (field.slot(), field) {
            (Some(slot), _) => collected.offer(slot, 0, Cow::Owned(key), Member::from_value(value)),
            (None, SchemaField::Correlation(name)) => {
                collected
                    .mapped_correlation
                    .push((name.clone(), key, value));
            }
            (None, SchemaField::Fixed(_)) => collected.put_back(key, value),
        }
    }
    for (key, value) in object {
        let folded = NormalizedKey::new(&key);
        let role = folded.as_ref().and_then(|f| key_role(f.as_bytes()));
        collected.classify(Cow::Owned(key), folded, role, Member::from_value(value));
    }
    collected
}

struct ObjectVisitor<'a, 'de>(&'a mut Collected<'de>);

impl<'de> Visitor<'de> for ObjectVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while let Some(key) = access.next_key_seed(KeySeed)? {
            let folded = NormalizedKey::new(&key);
            let role = folded.as_ref().and_then(|f| key_role(f.as_bytes()));
            let objects_as_members = folded
                .as_ref()
                .is_some_and(|folded| reads_members(folded.as_bytes(), role));
            let value = access.next_value_seed(MemberSeed { objects_as_members })?;
            self.0.classify(key, folded, role, value);
        }
        Ok(())
    }

    // Every other visit_* falls back to serde's "invalid type" error, which
    // `not_an_object` callers recognise by its category.
}

/// True for folded keys whose object value [`Collected::classify`] reads
/// member by member: read as [`Member::Object`], never built as a map.
fn reads_members(folded: &[u8], role: Option<KeyRole>) -> bool {
    is_container(folded)
        || matches!(
            role,
            Some(
                KeyRole::ActorOrUser(_)
                    | KeyRole::MergeIntoDetails
                    | KeyRole::Field(Slot::Resource, _)
            )
        )
}

impl<'de> Collected<'de> {
    fn new() -> Collected<'de> {
        Collected {
            slots: std::array::from_fn(|_| None),
            mapped_correlation: Vec::new(),
            merges: Vec::new(),
            details: Map::new(),
        }
    }

    /// Offers `value` for `slot`; the lower rank wins, the loser goes to
    /// `details`.
    fn offer(&mut self, slot: Slot, rank: u8, key: Cow<'de, str>, value: Member<'de>) {
        let place = &mut self.slots[slot as usize];
        match place {
            Some(existing) if existing.rank <= rank => {
                insert_detail(&mut self.details, key.into_owned(), value.into_value());
            }
            _ => {
                if let Some(old) = place.replace(Candidate { rank, key, value }) {
                    insert_detail(
                        &mut self.details,
                        old.key.into_owned(),
                        old.value.into_value(),
                    );
                }
            }
        }
    }

    /// The winning candidate of `slot`, as (source key, value).
    pub(super) fn take(&mut self, slot: Slot) -> Option<(Cow<'de, str>, Member<'de>)> {
        self.slots[slot as usize].take().map(|c| (c.key, c.value))
    }

    /// Keeps a value no field uses in `details`.
    pub(super) fn put_back(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        insert_detail(&mut self.details, key.into(), value.into());
    }

    /// Files one member by its key, `folded` being the key's
    /// [`NormalizedKey`] and `role` its [`key_role`] (the reader needs both
    /// before the value, to know how to read it).
    fn classify(
        &mut self,
        key: Cow<'de, str>,
        folded: Option<NormalizedKey>,
        role: Option<KeyRole>,
        value: Member<'de>,
    ) {
        let Some(folded) = folded else {
            self.put_back(key, value);
            return;
        };
        let folded = folded.as_bytes();
        match (role, value) {
            (_, Member::Object(inner)) if is_container(folded) => {
                self.read_container(folded, key, inner);
            }
            (Some(KeyRole::Field(slot, rank)), value) => self.offer(slot, rank, key, value),
            (Some(KeyRole::ActorOrUser(rank)), value @ Member::Object(_)) => {
                self.offer(Slot::ActorObject, rank, key, value);
            }
            (Some(KeyRole::ActorOrUser(rank)), value) => {
                self.offer(Slot::ActorId, rank, key, value)
            }
            (Some(KeyRole::Status), value) => {
                if fields::is_status_code(&value) {
                    self.offer(Slot::StatusCode, 3, key, value);
                } else {
                    self.offer(Slot::Outcome, 3, key, value);
                }
            }
            (Some(KeyRole::MergeIntoDetails), Member::Object(inner)) => {
                self.merges.push((key, inner));
            }
            (_, value) => self.put_back(key, value),
        }
    }

    /// Reads the members of a container object (`event`, `log`, …) as
    /// `prefix.member`; the rest stays in `details` under `key`.
    fn read_container(&mut self, prefix: &[u8], key: Cow<'de, str>, inner: Members<'de>) {
        let mut leftover = Map::new();
        for (member, value) in inner {
            let role = NormalizedKey::with_prefix(prefix, &member)
                .and_then(|folded| key_role(folded.as_bytes()));
            match role {
                Some(KeyRole::Field(slot, rank)) => {
                    let key = Cow::Owned(format!("{key}.{member}"));
                    self.offer(slot, rank, key, Member::from_value(value));
                }
                _ => {
                    leftover.insert(member.into_owned(), value);
                }
            }
        }
        if !leftover.is_empty() {
            self.put_back(key, Value::Object(leftover));
        }
    }
}

/// Inserts into `details` without overwriting: a taken key gets `_`
/// appended until free.
pub(super) fn insert_detail(details: &mut Map<String, Value>, key: String, value: Value) {
    super::schema_fill::insert_detail_owned(details, key, value);
}
