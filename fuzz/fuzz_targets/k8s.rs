#![no_main]
//! Fuzzes the `k8s` parser: Kubernetes `audit.k8s.io/v1` `Event` lines. Any bytes are one entry;
//! what is checked is in `common.rs`.

mod common;

use std::sync::LazyLock;

use auditship::config::FormatConfig;
use libfuzzer_sys::fuzz_target;

static PARSERS: LazyLock<common::Parsers> = LazyLock::new(|| {
    // Every stage kept: each entry must then give an event.
    let stages = auditship::formats::K8S_STAGES.map(str::to_string).to_vec();
    common::Parsers::new(&FormatConfig::K8s { stages })
});

fuzz_target!(|entry: &[u8]| PARSERS.check_entry(entry, 0));
