#![no_main]
//! Fuzzes the `json` parser (app JSON audit lines): any bytes are one
//! entry, read with the default keys and again with a `map` that takes
//! some fields from other paths (the map is read first); what is checked
//! is in `common.rs`.

mod common;

use std::sync::LazyLock;

use auditship::config::FormatConfig;
use libfuzzer_sys::fuzz_target;

static DEFAULT_KEYS: LazyLock<common::Parsers> =
    LazyLock::new(|| common::Parsers::new(&FormatConfig::Json { map: Vec::new() }));

static MAPPED: LazyLock<common::Parsers> = LazyLock::new(|| {
    let map = [
        ("time", "ts"),
        ("action", "event.type"),
        ("actor.id", "user.id"),
        ("actor.groups", "user.roles"),
        ("source.port", "client.port"),
        ("status.code", "http.status"),
        ("tenant.id", "org"),
    ];
    let map = map
        .iter()
        .map(|(field, path)| (field.to_string(), path.to_string()))
        .collect();
    common::Parsers::new(&FormatConfig::Json { map })
});

fuzz_target!(|entry: &[u8]| {
    DEFAULT_KEYS.check_entry(entry, 0);
    MAPPED.check_entry(entry, 0);
});
