//! Configuration: parse the TOML file users write (`CONFIG.md`), interpolate
//! `${ENV}` and `@file:` secrets, validate with file:line:column errors, and
//! produce the typed [`Config`] the pipeline runs from.
//!
//! The stages, one file each: `document` (TOML → tree of values with their
//! spans) → `interpolate` (string values, after parsing, so the environment
//! cannot inject TOML) → `validate` (reads the `raw` structs through
//! `located`, which keeps each value's position, applies defaults and
//! `units`, checks references) → `types::Config`. `error`
//! turns spans into lines and columns; `load` strings the stages together;
//! `demo` is the built-in configuration; `describe` is what
//! `auditship validate` prints. The reference for users is
//! `docs/CONFIGURATION.md`, written from the `///` docs in `raw`.
//!
//! Invariant: nothing runs half-configured — a [`Config`] exists only when
//! the whole file is valid, and errors never contain secret values.

mod alert_types;
mod demo;
mod describe;
mod document;
mod error;
mod interpolate;
mod load;
mod located;
mod nats_sink_types;
mod postgres_sink_types;
mod raw;
mod raw_alerts;
mod raw_sinks;
mod raw_sources;
mod socket_types;
mod syslog_sink_types;
mod types;
mod units;
mod validate;

pub use alert_types::*;
pub use demo::{demo, DEMO_CONFIG};
pub(crate) use error::closest as closest_name;
pub use error::{ConfigError, ConfigProblem, Reason};
pub use load::{from_str, from_str_with_env, load, machine_hostname};
pub use nats_sink_types::*;
pub use postgres_sink_types::*;
pub use syslog_sink_types::*;
pub use types::*;
pub use units::{format_duration, format_size};
pub use validate::{DEFAULT_DATA_DIR, MAPPABLE_FIELDS};

#[cfg(test)]
mod socket_tests;
#[cfg(test)]
mod tests;
