//! The top level of one Kubernetes audit event, read in one pass: the
//! members the schema takes are set aside as they are read, and every
//! other member goes straight into the map that becomes `details`.
//!
//! Reading the whole event into a `serde_json` map first and then removing
//! the members the schema takes cost a third of the parser's time (map
//! entries made, then taken out again with rebalancing); this does the
//! same in one pass (`top_level_reader.rs`). It only reads valid UTF-8
//! JSON objects: anything else takes the general path
//! ([`TopLevel::from_map`] after `read_json_object`), which names the
//! error exactly as before.

use serde_json::{Map, Value};

use super::top_level_reader::{self, TopLevelSlots};

/// The members of the top-level object the schema reads, as they came
/// (a later duplicate replaces an earlier one, as in a map), and the rest.
#[derive(Debug, Default, PartialEq)]
pub(super) struct TopLevel {
    pub audit_id: Option<Value>,
    pub verb: Option<Value>,
    pub object_ref: Option<Value>,
    pub user: Option<Value>,
    pub impersonated_user: Option<Value>,
    pub response_status: Option<Value>,
    pub source_ips: Option<Value>,
    pub user_agent: Option<Value>,
    pub request_received: Option<Value>,
    /// Every other member.
    pub rest: Map<String, Value>,
}

impl TopLevel {
    /// Splits an object already read whole (the general path).
    pub fn from_map(mut object: Map<String, Value>) -> TopLevel {
        let mut top = TopLevel::default();
        for key in [
            "auditID",
            "verb",
            "objectRef",
            "user",
            "impersonatedUser",
            "responseStatus",
            "sourceIPs",
            "userAgent",
            "requestReceivedTimestamp",
        ] {
            if let Some(value) = object.remove(key) {
                *top.slot(key).expect("a slot key") = Some(value);
            }
        }
        top.rest = object;
        top
    }
}

impl TopLevelSlots for TopLevel {
    /// The slot of a member the schema reads; `None` for the rest.
    fn slot(&mut self, key: &str) -> Option<&mut Option<Value>> {
        Some(match key {
            "auditID" => &mut self.audit_id,
            "verb" => &mut self.verb,
            "objectRef" => &mut self.object_ref,
            "user" => &mut self.user,
            "impersonatedUser" => &mut self.impersonated_user,
            "responseStatus" => &mut self.response_status,
            "sourceIPs" => &mut self.source_ips,
            "userAgent" => &mut self.user_agent,
            "requestReceivedTimestamp" => &mut self.request_received,
            _ => return None,
        })
    }

    fn rest(&mut self) -> &mut Map<String, Value> {
        &mut self.rest
    }
}

/// Reads `text` when it is one JSON object; `None` otherwise (invalid
/// JSON, another type, trailing bytes), for the general path to report.
pub(super) fn read_top_level(text: &str) -> Option<TopLevel> {
    top_level_reader::read_top_level(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Both paths split the same object the same way.
    fn both(text: &str) -> (Option<TopLevel>, Option<TopLevel>) {
        let general = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => Some(TopLevel::from_map(object)),
            _ => None,
        };
        (read_top_level(text), general)
    }

    #[test]
    fn one_pass_equals_the_map_then_remove_path() {
        for text in [
            r#"{"kind":"Event","auditID":"a","verb":"get","user":{"username":"u"},"x":1}"#,
            r#"{"auditID":"a","auditID":5,"verb":"","sourceIPs":"x","k\u0065y":[1,2]}"#,
            r#"  {"requestReceivedTimestamp":"2026-01-01T00:00:00Z","objectRef":null} "#,
            r#"{}"#,
        ] {
            let (fast, general) = both(text);
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, general, "{text}");
        }
        for text in ["[1]", "\"s\"", "{", r#"{"a":1} x"#, r#"{"a":1}{"#, ""] {
            assert_eq!(read_top_level(text), None, "{text}");
        }
    }

    fn member() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("auditID"),
            Just("verb"),
            Just("objectRef"),
            Just("user"),
            Just("userAgent"),
            Just("sourceIPs"),
            Just("requestReceivedTimestamp"),
            Just("stage"),
            Just("level"),
            Just("annotations"),
        ];
        let value = prop_oneof![
            Just(r#""""#.to_string()),
            "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
            (0u32..1000).prop_map(|n| n.to_string()),
            Just("null".to_string()),
            Just(r#"{"resource":"pods","name":"p"}"#.to_string()),
            Just(r#"["10.0.0.1","::1"]"#.to_string()),
        ];
        (key, value).prop_map(|(k, v)| format!("\"{k}\":{v}"))
    }

    proptest! {
        #[test]
        fn any_object_of_known_and_other_members_splits_alike(
            members in prop::collection::vec(member(), 0..12)
        ) {
            let text = format!("{{{}}}", members.join(","));
            let (fast, general) = both(&text);
            prop_assert!(fast.is_some());
            prop_assert_eq!(fast, general);
        }
    }
}
