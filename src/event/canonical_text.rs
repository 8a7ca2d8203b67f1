//! JSON text in the canonical form (RFC 8785 JCS) that the hash chain
//! covers: any `serde_json::Value`, and the strings and integers the
//! struct writer (`canonical.rs`) puts out field by field.
//!
//! Why its own module: these writers run for every string of every event,
//! so they are written for speed (a string is scanned 8 bytes at a time
//! for bytes that need escaping), and what they write must never change —
//! a different byte breaks every chain verified after an upgrade.

use serde_json::Value;

/// Writes `value` in the JSON Canonicalization Scheme (RFC 8785): object
/// keys sorted by UTF-16 code units, no insignificant white space, numbers
/// in their shortest round-trip form, strings with minimal escaping.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => write_canonical_number(n, out),
        Value::String(s) => write_canonical_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            let mut first = true;
            for_each_in_canonical_order(map.iter(), |key, value| {
                if !first {
                    out.push(b',');
                }
                first = false;
                write_canonical_string(key, out);
                out.push(b':');
                write_canonical(value, out);
            });
            out.push(b'}');
        }
    }
}

/// The members of a map sorted by key bytes (a `BTreeMap`, as
/// `serde_json::Map` is here) in JCS order: by UTF-16 code units. Byte
/// order is code point order, which differs from UTF-16 order only between
/// characters from U+E000 on (lead byte 0xEE or more) and those above
/// U+FFFF, so only keys holding such a byte need sorting again — rare,
/// and the UTF-16 comparison is slow.
pub(crate) fn canonical_order<'a, V>(
    members: impl Iterator<Item = (&'a String, &'a V)>,
) -> Vec<(&'a String, &'a V)> {
    let mut members: Vec<_> = members.collect();
    if members
        .iter()
        .any(|(key, _)| key.bytes().any(|b| b >= 0xEE))
    {
        members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    }
    members
}

/// Calls `f` with the members of a map in JCS order, as
/// [`canonical_order`] gives them, without collecting them first unless
/// they need sorting again (rare): a `Vec` per object per event is an
/// allocation the canonical writer does not need.
pub(crate) fn for_each_in_canonical_order<'a, V: 'a>(
    members: impl Iterator<Item = (&'a String, &'a V)> + Clone,
    mut f: impl FnMut(&'a String, &'a V),
) {
    if members
        .clone()
        .any(|(key, _)| key.bytes().any(|b| b >= 0xEE))
    {
        for (key, value) in canonical_order(members) {
            f(key, value);
        }
    } else {
        members.for_each(|(key, value)| f(key, value));
    }
}

fn write_canonical_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    if let Some(i) = n.as_i64() {
        write_i64(i, out);
    } else if let Some(u) = n.as_u64() {
        write_u64(u, out);
    } else if let Some(f) = n.as_f64() {
        out.extend_from_slice(format_es6_number(f).as_bytes());
    }
}

/// ECMAScript `Number.prototype.toString` for finite doubles, as JCS
/// requires: integers without a fraction, exponent form outside 1e-7..1e21.
fn format_es6_number(f: f64) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{}", f as i128);
    }
    let abs = f.abs();
    if (1e-7..1e21).contains(&abs) {
        // Rust's Display prints the shortest round-trip digits in plain form.
        return format!("{f}");
    }
    // Exponent form: shortest digits, `e+NN` / `e-NN`.
    let s = format!("{f:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp >= 0 {
        format!("{mantissa}e+{exp}")
    } else {
        format!("{mantissa}e{exp}")
    }
}

/// The bytes of `word` (little-endian) a JCS string escapes — below 0x20,
/// `"` or `\\` — as their high bits (SWAR). Only the lowest set bit is
/// exact (a borrow can mark a byte above it too), which is all
/// [`plain_prefix_len`] reads.
fn escape_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    below_space
        | has_zero(word ^ (ONES * u64::from(b'"')))
        | has_zero(word ^ (ONES * u64::from(b'\\')))
}

/// How many leading bytes of `bytes` need no escaping: eight at a time;
/// the last few as the word ending the string (its bytes already looked at
/// shifted out), or one by one when the string is shorter than a word.
fn plain_prefix_len(bytes: &[u8]) -> usize {
    let Some(last_word) = bytes.last_chunk::<8>() else {
        return bytes
            .iter()
            .position(|&b| NEEDS_ESCAPE[usize::from(b)])
            .unwrap_or(bytes.len());
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let mask = escape_mask(word);
        if mask != 0 {
            return at + (mask.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = chunks.remainder().len();
    if tail == 0 {
        return bytes.len();
    }
    // The last word's first `8 - tail` bytes were scanned above.
    let seen = 8 * (8 - tail) as u32;
    let mask = escape_mask(u64::from_le_bytes(*last_word)) >> seen;
    if mask != 0 {
        at + (mask.trailing_zeros() / 8) as usize
    } else {
        bytes.len()
    }
}

/// Bytes a JCS string escapes: control characters, `"` and `\\`.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Writes `s` as a JCS string: `"` and `\\` escaped, control characters as
/// `\b \f \n \r \t` or `\u00xx`, everything else (all of UTF-8) as is.
/// Runs of plain bytes are found a word at a time and copied at once:
/// this runs for every string of every event (the hash chain's canonical
/// form), and most strings escape nothing.
pub(crate) fn write_canonical_string(s: &str, out: &mut Vec<u8>) {
    let mut rest = s.as_bytes();
    out.reserve(rest.len() + 2);
    out.push(b'"');
    loop {
        let plain = plain_prefix_len(rest);
        out.extend_from_slice(&rest[..plain]);
        let Some((&b, after)) = rest[plain..].split_first() else {
            break;
        };
        write_escaped_byte(b, out);
        rest = after;
    }
    out.push(b'"');
}

fn write_escaped_byte(b: u8, out: &mut Vec<u8>) {
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
        }
    }
}

/// Appends `n` in decimal without allocating (`to_string` would, for
/// every number of every event).
pub(crate) fn write_u64(n: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

fn write_i64(n: i64, out: &mut Vec<u8>) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(n.unsigned_abs(), out);
}
