//! Outcome words and result codes → [`Outcome`].
//!
//! The words are SCHEMA.md's "Outcome words", plus close spellings:
//! - success ← `success`, `successful`, `succeeded`, `ok`, `allowed`, `allow`,
//!   `granted`, `passed`, `yes`, `true`, 2xx and 3xx codes;
//! - failure ← `failure`, `failed`, `fail`, `error`, `denied`, `deny`, `no`,
//!   `false`, 4xx (except 403) and 5xx codes;
//! - blocked ← `blocked`, `forbidden`, `forbid`, `rejected`, `reject`,
//!   `policy_violation`, 403;
//! - unknown ← `unknown`.
//!
//! Words are compared without case, `-` and spaces read as `_`.
//!
//! Invariant: pure lookups; an unrecognised word is `None`, never a guess.

use serde_json::Value;

use crate::event::Outcome;

/// Reads an outcome word; `None` when the word is not one of the table's.
pub fn outcome_from_word(word: &str) -> Option<Outcome> {
    let word = word.trim();
    if let Ok(code) = word.parse::<u16>() {
        return outcome_from_code(code);
    }
    let mut folded = [0u8; 24];
    if word.len() > folded.len() {
        return None;
    }
    for (slot, b) in folded.iter_mut().zip(word.bytes()) {
        *slot = match b {
            b'-' | b' ' => b'_',
            b => b.to_ascii_lowercase(),
        };
    }
    Some(match &folded[..word.len()] {
        b"success" | b"successful" | b"succeeded" | b"ok" | b"allowed" | b"allow" | b"granted"
        | b"passed" | b"yes" | b"true" => Outcome::Success,
        b"failure" | b"failed" | b"fail" | b"error" | b"denied" | b"deny" | b"no" | b"false" => {
            Outcome::Failure
        }
        b"blocked" | b"forbidden" | b"forbid" | b"rejected" | b"reject" | b"policy_violation" => {
            Outcome::Blocked
        }
        b"unknown" => Outcome::Unknown,
        _ => return None,
    })
}

/// 2xx/3xx success, 403 blocked, other 4xx/5xx failure.
pub fn outcome_from_http_status(code: u16) -> Outcome {
    match code {
        200..=399 => Outcome::Success,
        403 => Outcome::Blocked,
        400..=599 => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// An HTTP-like code, `None` outside 100–599.
fn outcome_from_code(code: u16) -> Option<Outcome> {
    (100..=599)
        .contains(&code)
        .then(|| outcome_from_http_status(code))
}

/// Reads a JSON value: a word, a boolean (`success: true`) or an HTTP code.
pub fn outcome_from_value(value: &Value) -> Option<Outcome> {
    match value {
        Value::String(s) => outcome_from_word(s),
        Value::Bool(true) => Some(Outcome::Success),
        Value::Bool(false) => Some(Outcome::Failure),
        Value::Number(n) => outcome_from_code(u16::try_from(n.as_u64()?).ok()?),
        _ => None,
    }
}

/// Reads the result an action name states in its last word
/// (`authentication_failed`, `access_granted`, `access_denied`): the
/// fallback when the entry has no outcome field.
pub fn outcome_from_action(action: &str) -> Option<Outcome> {
    let last = action.rsplit(['.', '_', ':', '/']).next()?;
    match last {
        "failed" | "failure" | "denied" | "error" => Some(Outcome::Failure),
        "granted" | "success" | "succeeded" | "allowed" => Some(Outcome::Success),
        "blocked" | "rejected" | "forbidden" => Some(Outcome::Blocked),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_schema_word_reads_as_its_outcome() {
        for w in [
            "success",
            "ok",
            "succeeded",
            "allowed",
            "true",
            "OK",
            "Success",
        ] {
            assert_eq!(outcome_from_word(w), Some(Outcome::Success), "{w}");
        }
        for w in ["failure", "failed", "error", "denied", "false", "FAILED"] {
            assert_eq!(outcome_from_word(w), Some(Outcome::Failure), "{w}");
        }
        for w in [
            "blocked",
            "forbidden",
            "rejected",
            "policy_violation",
            "Policy-Violation",
        ] {
            assert_eq!(outcome_from_word(w), Some(Outcome::Blocked), "{w}");
        }
        assert_eq!(outcome_from_word("unknown"), Some(Outcome::Unknown));
        assert_eq!(outcome_from_word("pending"), None);
        assert_eq!(outcome_from_word(&"x".repeat(100)), None);
    }

    #[test]
    fn http_codes_read_as_outcomes() {
        assert_eq!(outcome_from_http_status(200), Outcome::Success);
        assert_eq!(outcome_from_http_status(302), Outcome::Success);
        assert_eq!(outcome_from_http_status(403), Outcome::Blocked);
        assert_eq!(outcome_from_http_status(404), Outcome::Failure);
        assert_eq!(outcome_from_http_status(503), Outcome::Failure);
        assert_eq!(outcome_from_word("201"), Some(Outcome::Success));
        assert_eq!(outcome_from_value(&json!(401)), Some(Outcome::Failure));
        assert_eq!(outcome_from_value(&json!(7)), None);
    }

    #[test]
    fn booleans_read_as_success_or_failure() {
        assert_eq!(outcome_from_value(&json!(true)), Some(Outcome::Success));
        assert_eq!(outcome_from_value(&json!(false)), Some(Outcome::Failure));
        assert_eq!(outcome_from_value(&json!(null)), None);
    }

    #[test]
    fn action_names_that_state_a_result_give_it() {
        assert_eq!(
            outcome_from_action("authentication_failed"),
            Some(Outcome::Failure)
        );
        assert_eq!(
            outcome_from_action("access_granted"),
            Some(Outcome::Success)
        );
        assert_eq!(outcome_from_action("release.deploy"), None);
    }
}
