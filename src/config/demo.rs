//! The built-in demo configuration `auditship run` uses without `-c`: it
//! tails `./examples/*.log` (app JSON) and writes normalized NDJSON under
//! `./data/out/`, so a newcomer sees the agent work with no account
//! anywhere. It goes through the same loader as any file.

use super::load::from_str;
use super::types::Config;

/// The demo configuration, as TOML.
pub const DEMO_CONFIG: &str = r#"# auditship built-in demo configuration
data_dir = "./data"

[journal]
max_bytes = "256MiB"

[sources.examples]
type = "file"
include = ["./examples/*.log"]
format = "json"
start_at = "beginning"

[sinks.out]
type = "file"
path = "./data/out/audit-%Y-%m-%d.ndjson"
"#;

/// The demo configuration, validated. It references no environment
/// variable, so the environment cannot make it fail (a test proves it is
/// valid).
pub fn demo() -> Config {
    from_str(DEMO_CONFIG, "<built-in demo>").expect("the built-in demo configuration is valid")
}
