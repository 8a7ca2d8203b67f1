//! Finding source keys the way people spell them: `userId`, `user_id`,
//! `UserID` and `USER-ID` are one key, and `a.b.c` is a path through nested
//! objects or a flat key written with dots (`"event.action": …`), or a mix.
//!
//! Style-insensitive means: ASCII letters compared without case, and `_`,
//! `-`, `@` and spaces ignored. Dots separate path segments and are kept.
//!
//! Invariant: nothing here allocates per lookup; taking a value moves it out
//! of the map (no clones).

use serde_json::{Map, Value};

/// Characters that do not count when comparing keys.
fn is_style_char(c: char) -> bool {
    matches!(c, '_' | '-' | '@' | ' ')
}

fn folded(chars: impl Iterator<Item = char>) -> impl Iterator<Item = char> {
    chars
        .filter(|c| !is_style_char(*c))
        .map(|c| c.to_ascii_lowercase())
}

/// True when `a` and `b` name the same key: `keys_match("userId", "USER_ID")`.
pub fn keys_match(a: &str, b: &str) -> bool {
    folded(a.chars()).eq(folded(b.chars()))
}

/// True when `key` spells `segments` joined by dots, style-insensitively.
fn key_matches_segments(key: &str, segments: &[String]) -> bool {
    let joined = segments.iter().enumerate().flat_map(|(i, s)| {
        let dot = if i > 0 { Some('.') } else { None };
        dot.into_iter().chain(s.chars())
    });
    folded(key.chars()).eq(folded(joined))
}

/// Longest normalized key the default table can hold; longer keys match
/// nothing there.
const NORMALIZED_CAPACITY: usize = 40;

const FOLD_REFUSE: u8 = 0;
const FOLD_SKIP: u8 = 1;

/// What each byte of a key folds to: lower-case letters, digits and dots
/// as themselves, upper-case letters lowered, style characters
/// [`FOLD_SKIP`], anything else [`FOLD_REFUSE`]. One table load per byte:
/// every key of every entry is folded.
static KEY_FOLD: [u8; 256] = {
    let mut table = [FOLD_REFUSE; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = match byte {
            b'_' | b'-' | b'@' | b' ' => FOLD_SKIP,
            b'A'..=b'Z' => byte.to_ascii_lowercase(),
            b'a'..=b'z' | b'0'..=b'9' | b'.' => byte,
            _ => FOLD_REFUSE,
        };
        b += 1;
    }
    table
};

/// A key folded to its comparison form (`"@Time_Stamp"` → `"timestamp"`),
/// held inline so classifying a key does not allocate.
pub(crate) struct NormalizedKey {
    bytes: [u8; NORMALIZED_CAPACITY],
    len: usize,
}

impl NormalizedKey {
    /// Folds `key`; `None` when it is too long or holds characters other
    /// than ASCII letters, digits, dots and style characters — such keys
    /// are never in the default table.
    pub(crate) fn new(key: &str) -> Option<NormalizedKey> {
        let mut out = NormalizedKey {
            bytes: [0; NORMALIZED_CAPACITY],
            len: 0,
        };
        for b in key.bytes() {
            match KEY_FOLD[usize::from(b)] {
                FOLD_SKIP => continue,
                FOLD_REFUSE => return None,
                folded => {
                    *out.bytes.get_mut(out.len)? = folded;
                    out.len += 1;
                }
            }
        }
        Some(out)
    }

    /// `prefix.key` folded, for members of a container object (`event`
    /// → `event.action`).
    pub(crate) fn with_prefix(prefix: &[u8], key: &str) -> Option<NormalizedKey> {
        let inner = NormalizedKey::new(key)?;
        let total = prefix.len() + 1 + inner.len;
        if total > NORMALIZED_CAPACITY {
            return None;
        }
        let mut out = NormalizedKey {
            bytes: [0; NORMALIZED_CAPACITY],
            len: total,
        };
        out.bytes[..prefix.len()].copy_from_slice(prefix);
        out.bytes[prefix.len()] = b'.';
        out.bytes[prefix.len() + 1..total].copy_from_slice(inner.as_bytes());
        Some(out)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A dotted source path from a `map` entry (`"actor.login"`), split once at
/// configuration time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePath {
    text: String,
    segments: Vec<String>,
}

impl SourcePath {
    /// Splits `text` on dots; `None` when no segment is left.
    pub fn parse(text: &str) -> Option<SourcePath> {
        let segments: Vec<String> = text
            .split('.')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if segments.is_empty() {
            return None;
        }
        Some(SourcePath {
            text: text.trim().to_string(),
            segments,
        })
    }

    /// The path as written in the configuration.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Moves the value at this path out of `map`. A key spelled with dots
    /// (`"user.name"`) and nested objects (`{"user": {"name": …}}`) are both
    /// found, the longest flat key first. A container emptied by the move is
    /// removed too, so nothing empty is left behind in `details`.
    pub fn take(&self, map: &mut Map<String, Value>) -> Option<Value> {
        take_segments(map, &self.segments)
    }
}

fn take_segments(map: &mut Map<String, Value>, segments: &[String]) -> Option<Value> {
    for split in (1..=segments.len()).rev() {
        let (head, rest) = segments.split_at(split);
        let Some(key) = map.keys().find(|k| key_matches_segments(k, head)).cloned() else {
            continue;
        };
        if rest.is_empty() {
            return map.remove(&key);
        }
        let Some(Value::Object(inner)) = map.get_mut(&key) else {
            continue;
        };
        if let Some(found) = take_segments(inner, rest) {
            if inner.is_empty() {
                map.remove(&key);
            }
            return Some(found);
        }
    }
    None
}

/// Moves the value of the first key of `map` that matches `folded_name`
/// (a name in its folded form: `b"breakglasssessionid"`)
/// style-insensitively out of it, with the key as the source spelled it.
/// Each key is folded on the stack: this runs on every entry's details.
pub(crate) fn take_folded_key(
    map: &mut Map<String, Value>,
    folded_name: &[u8],
) -> Option<(String, Value)> {
    let matches = |key: &str| {
        // Folding only drops characters: a shorter key cannot match.
        key.len() >= folded_name.len()
            && match NormalizedKey::new(key) {
                Some(folded) => folded.as_bytes() == folded_name,
                // Keys the table refuses (other characters, too long) are
                // rare: compare them the general way.
                None => keys_match_bytes(key, folded_name),
            }
    };
    let key = map.keys().find(|k| matches(k))?.clone();
    map.remove_entry(&key)
}

fn keys_match_bytes(key: &str, folded_name: &[u8]) -> bool {
    folded(key.chars()).eq(folded_name.iter().map(|b| char::from(*b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn key_styles_match_one_another() {
        for spelling in ["userId", "user_id", "UserID", "USER-ID", "userid"] {
            assert!(keys_match(spelling, "userId"), "{spelling}");
        }
        assert!(keys_match("@timestamp", "timestamp"));
        assert!(!keys_match("user", "userId"));
    }

    #[test]
    fn normalized_key_folds_style_and_refuses_what_cannot_match() {
        let k = NormalizedKey::new("@Time_Stamp").unwrap();
        assert_eq!(k.as_bytes(), b"timestamp");
        assert!(NormalizedKey::new("clé").is_none());
        assert!(NormalizedKey::new(&"a".repeat(NORMALIZED_CAPACITY + 1)).is_none());
        let p = NormalizedKey::with_prefix(b"event", "Action").unwrap();
        assert_eq!(p.as_bytes(), b"event.action");
    }

    #[test]
    fn dotted_path_reads_nested_objects_and_drops_emptied_containers() {
        let mut m = object(json!({"actor": {"login": "alice"}, "other": 1}));
        let path = SourcePath::parse("Actor.Login").unwrap();
        assert_eq!(path.take(&mut m), Some(json!("alice")));
        assert!(!m.contains_key("actor"));
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn dotted_path_reads_flat_dotted_keys_and_mixes() {
        let mut m = object(json!({"user.name": "bob", "a": {"b.c": 3, "d": 4}}));
        assert_eq!(
            SourcePath::parse("user_name").and_then(|p| p.take(&mut m)),
            None
        );
        assert_eq!(
            SourcePath::parse("user.name").unwrap().take(&mut m),
            Some(json!("bob"))
        );
        assert_eq!(
            SourcePath::parse("a.b.c").unwrap().take(&mut m),
            Some(json!(3))
        );
        assert_eq!(m.get("a"), Some(&json!({"d": 4})));
    }

    #[test]
    fn empty_paths_are_refused() {
        assert!(SourcePath::parse(" . ").is_none());
        assert!(SourcePath::parse("").is_none());
    }
}
