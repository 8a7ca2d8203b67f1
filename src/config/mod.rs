//! Configuration: parse the TOML file users write (`CONFIG.md`), interpolate
//! `${ENV}`, validate with file:line:column errors, and produce the typed
//! [`Config`] the pipeline runs from.

mod types;

pub use types::*;
