//! The top level of one CloudTrail record, split into the members the
//! schema may take out of `details` and the rest, read in one pass from a
//! line (`top_level_reader.rs`) or split from a map already read (a record
//! of a `Records` file, the general path).
//!
//! Reading the record into a map and then taking a dozen members out of
//! it (each removal searches and rebalances the tree, and each name was
//! copied on the way in) cost about a fifth of the parser's time.

use serde_json::{Map, Value};

use super::top_level_reader::{self, TopLevelSlots};

/// A record's members the schema may take, as they came (a later
/// duplicate replaces an earlier one, as in a map), and the rest. A member
/// the schema does not take after all (an `eventTime` that is no time, an
/// empty `eventID`…) goes back to `rest`, for `details`.
#[derive(Debug, Default, PartialEq)]
pub(super) struct RecordTop {
    pub event_id: Option<Value>,
    pub event_time: Option<Value>,
    pub error_code: Option<Value>,
    pub error_message: Option<Value>,
    pub user_identity: Option<Value>,
    pub source_ip: Option<Value>,
    pub user_agent: Option<Value>,
    pub recipient_account_id: Option<Value>,
    pub request_id: Option<Value>,
    /// Every other member.
    pub rest: Map<String, Value>,
}

/// The names of [`RecordTop`]'s slots.
const SLOT_KEYS: [&str; 9] = [
    "eventID",
    "eventTime",
    "errorCode",
    "errorMessage",
    "userIdentity",
    "sourceIPAddress",
    "userAgent",
    "recipientAccountId",
    "requestID",
];

impl RecordTop {
    /// Splits a record already read whole.
    pub fn from_map(mut object: Map<String, Value>) -> RecordTop {
        let mut top = RecordTop::default();
        for key in SLOT_KEYS {
            if let Some(value) = object.remove(key) {
                *top.slot(key).expect("a slot key") = Some(value);
            }
        }
        top.rest = object;
        top
    }
}

impl TopLevelSlots for RecordTop {
    fn slot(&mut self, key: &str) -> Option<&mut Option<Value>> {
        Some(match key {
            "eventID" => &mut self.event_id,
            "eventTime" => &mut self.event_time,
            "errorCode" => &mut self.error_code,
            "errorMessage" => &mut self.error_message,
            "userIdentity" => &mut self.user_identity,
            "sourceIPAddress" => &mut self.source_ip,
            "userAgent" => &mut self.user_agent,
            "recipientAccountId" => &mut self.recipient_account_id,
            "requestID" => &mut self.request_id,
            _ => return None,
        })
    }

    fn rest(&mut self) -> &mut Map<String, Value> {
        &mut self.rest
    }
}

/// An entry's top level: one record, and its `Records` member (a whole
/// delivered log file when it is an array and there is no `eventTime`).
#[derive(Debug, Default, PartialEq)]
pub(super) struct EntryTop {
    pub records: Option<Value>,
    pub record: RecordTop,
}

impl TopLevelSlots for EntryTop {
    fn slot(&mut self, key: &str) -> Option<&mut Option<Value>> {
        match key {
            "Records" => Some(&mut self.records),
            _ => self.record.slot(key),
        }
    }

    fn rest(&mut self) -> &mut Map<String, Value> {
        &mut self.record.rest
    }
}

/// Reads `text` when it is one JSON object; `None` otherwise (invalid
/// JSON, another type, trailing bytes), for the general path to report.
pub(super) fn read_entry_top(text: &str) -> Option<EntryTop> {
    top_level_reader::read_top_level(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The one-pass split of an entry, as the general path splits it: the
    /// whole map read first, `Records` then the slots removed.
    fn general(text: &str) -> Option<EntryTop> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(mut object)) => {
                let records = object.remove("Records");
                Some(EntryTop {
                    records,
                    record: RecordTop::from_map(object),
                })
            }
            _ => None,
        }
    }

    #[test]
    fn one_pass_equals_the_map_then_remove_path() {
        for text in [
            r#"{"eventVersion":"1.08","eventID":"a","eventTime":"2026-01-01T00:00:00Z","x":1}"#,
            r#"{"eventID":"a","eventID":5,"errorCode":"","userIdentity":null,"k\u0065y":[1,2]}"#,
            r#"  {"Records":[{"eventID":"a"}],"requestID":"r"} "#,
            r#"{}"#,
        ] {
            let fast = read_entry_top(text);
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, general(text), "{text}");
        }
        for text in ["[1]", "\"s\"", "{", r#"{"a":1} x"#, r#"{"a":1}{"#, ""] {
            assert_eq!(read_entry_top(text), None, "{text}");
        }
    }

    fn member() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("Records"),
            Just("eventID"),
            Just("eventTime"),
            Just("errorCode"),
            Just("errorMessage"),
            Just("userIdentity"),
            Just("sourceIPAddress"),
            Just("userAgent"),
            Just("recipientAccountId"),
            Just("requestID"),
            Just("eventName"),
            Just("awsRegion"),
        ];
        let value = prop_oneof![
            Just(r#""""#.to_string()),
            "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
            (0u32..1000).prop_map(|n| n.to_string()),
            Just("null".to_string()),
            Just(r#"{"type":"IAMUser","userName":"u"}"#.to_string()),
            Just(r#"[{"eventName":"A"}]"#.to_string()),
        ];
        (key, value).prop_map(|(k, v)| format!("\"{k}\":{v}"))
    }

    proptest! {
        #[test]
        fn any_object_of_known_and_other_members_splits_alike(
            members in prop::collection::vec(member(), 0..14)
        ) {
            let text = format!("{{{}}}", members.join(","));
            let fast = read_entry_top(&text);
            prop_assert!(fast.is_some());
            prop_assert_eq!(fast, general(&text));
        }
    }
}
