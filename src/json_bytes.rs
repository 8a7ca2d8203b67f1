//! Deserializing JSON held as bytes, one UTF-8 check for the whole input.
//!
//! Why: `serde_json::from_slice` validates UTF-8 string by string — every
//! string, including the ones a typed read skips — which measured ≈ 3 % of
//! a syslog sink's CPU; the per-event reads in the sinks and the aggregator
//! source nearly always get valid UTF-8 (the agent's own journal lines).
//! `from_str` after one vectorized `from_utf8` of the whole input skips
//! those checks. Invalid UTF-8 falls back to `from_slice`, so the result,
//! and the error message, are exactly what `from_slice` gives.

use serde::Deserialize;

/// `serde_json::from_slice`, faster on valid UTF-8.
pub fn from_json_bytes<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn results_and_errors_are_those_of_from_slice() {
        let inputs: [&[u8]; 6] = [
            br#"{"a":"\u00e9t\u00e9","b":[1,2.5,null]}"#,
            "{\"é\":\"€\"}".as_bytes(),
            b"{\"a\":\"\xff\"}",
            b"{\"a\":1,}",
            b"\xfe{}",
            b"",
        ];
        for input in inputs {
            let ours = from_json_bytes::<Value>(input).map_err(|e| e.to_string());
            let theirs = serde_json::from_slice::<Value>(input).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn borrowed_strings_still_borrow_from_the_input() {
        #[derive(Deserialize)]
        struct Head<'a> {
            id: &'a str,
        }
        let line = br#"{"id":"evt-1","x":{"deep":["skipped"]}}"#;
        let head: Head = from_json_bytes(line).unwrap();
        assert_eq!(head.id, "evt-1");
    }
}
