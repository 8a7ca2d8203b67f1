//! Tests of the whole loader: text in, typed `Config` or positioned
//! problems out. Stage-level tests live beside each stage.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

fn env(name: &str) -> Option<String> {
    match name {
        "HOSTNAME" => Some("test-host".into()),
        "LOG_DIR" => Some("/srv/logs".into()),
        "SECRET" => Some("hunter2".into()),
        "EMPTY" => Some(String::new()),
        "INJECT" => Some("x\"\n[sinks.evil]\ntype = \"file\"\npath = \"/etc/evil".into()),
        _ => None,
    }
}

/// Loads with the test environment and no kernel hostname, so that
/// `host = "auto"` resolves to `HOSTNAME` from `env`.
fn load_text(text: &str) -> Result<Config, ConfigError> {
    let read_file = |path: &std::path::Path| std::fs::read_to_string(path);
    let no_kernel_hostname = || None;
    super::load::Stages {
        interpolator: super::interpolate::Interpolator {
            env: &env,
            read_file: &read_file,
        },
        hostname: super::validate::HostnameSource {
            kernel_hostname: &no_kernel_hostname,
            env: &env,
        },
    }
    .run(text, "auditship.toml")
}

/// The problems, rendered as the operator sees them.
fn problems(text: &str) -> Vec<String> {
    match load_text(text) {
        Ok(config) => panic!("expected problems, got {config:?}"),
        Err(error) => error.problems().iter().map(|p| p.to_string()).collect(),
    }
}

/// The one problem of a text that has exactly one.
fn problem(text: &str) -> String {
    let mut found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

const MINIMAL: &str = r#"
[sources.app]
type = "file"
include = ["/var/log/app/*.log"]

[sinks.out]
type = "console"
"#;

#[test]
fn demo_config_validates_to_what_the_design_promises() {
    let config = demo();
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.journal.max_bytes, 256 << 20);
    assert_eq!(config.sources.len(), 1);
    assert_eq!(config.sources[0].id, "examples");
    let SourceKind::File(file) = &config.sources[0].kind else {
        panic!("expected a file source")
    };
    assert_eq!(file.include, ["./examples/*.log"]);
    assert_eq!(file.format, FormatConfig::Json { map: vec![] });
    assert_eq!(file.start_at, StartAt::Beginning);
    assert_eq!(config.sinks.len(), 1);
    assert_eq!(config.sinks[0].id, "out");
    assert_eq!(config.sinks[0].inputs, ["examples"]);
    let SinkKind::File(sink) = &config.sinks[0].kind else {
        panic!("not a file sink")
    };
    assert_eq!(sink.path, "./data/out/audit-%Y-%m-%d.ndjson");
}

#[test]
fn defaults_fill_everything_left_out() {
    let config = load_text(MINIMAL).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/auditship"));
    assert_eq!(config.host, "test-host", "auto falls back to HOSTNAME");
    assert_eq!(config.journal, JournalConfig::default());
    assert_eq!(config.admin, None);
    let SourceKind::File(file) = &config.sources[0].kind else {
        panic!("expected a file source")
    };
    assert_eq!(file.exclude, Vec::<String>::new());
    assert_eq!(file.format, FormatConfig::Json { map: vec![] });
    assert_eq!(file.start_at, StartAt::Beginning);
    assert_eq!(file.max_line_bytes, 1 << 20);
    assert_eq!(file.poll_interval, Duration::from_millis(250));
    assert_eq!(file.glob_interval, Duration::from_secs(1));
    assert!(!file.keep_raw);
    let sink = &config.sinks[0];
    assert_eq!(sink.inputs, ["app"], "default inputs: every source");
    assert_eq!(sink.batch, BatchConfig::default());
    assert_eq!(
        sink.kind,
        SinkKind::Console(ConsoleSinkConfig {
            stream: ConsoleStream::Stdout
        })
    );
}

#[test]
fn full_file_source_and_file_sink_example_parses_to_the_typed_config() {
    let text = r#"
data_dir = "/var/lib/auditship"
host = "web-1"

[journal]
max_bytes = "2GiB"
fsync = "always"
batch_interval = "5ms"
segment_bytes = "64MiB"

[admin]
address = "127.0.0.1:8686"

[sources.app]
type = "file"
include = ["/var/log/app/audit*.log"]
exclude = ["*.gz"]
format = "json"
start_at = "end"
max_line_bytes = "64KiB"
poll_interval = "100ms"
glob_interval = "5s"
min_read_interval = "0ms"
keep_raw = true

[sources.app.map]
"actor.id" = "userId"
"time" = "createdAt"
"correlation.request_id" = "meta.requestId"

[sources.plain]
type = "file"
include = ["${LOG_DIR}/plain.log"]
format = "raw"

[sinks.archive]
type = "file"
inputs = ["app"]
path = "/var/lib/auditship/archive/audit-%Y-%m-%d.ndjson"
compression = "gzip"
max_file_bytes = "100MB"
batch = { max_events = 500, max_bytes = "512KiB", timeout = "2s" }
retry = { initial = "200ms", max = "60s", jitter = true }
rate_limit = { events_per_second = 0 }
dead_letter = true

[sinks.screen]
type = "console"
stream = "stderr"
"#;
    let config = load_text(text).unwrap();
    let expected = Config {
        data_dir: PathBuf::from("/var/lib/auditship"),
        host: "web-1".into(),
        shutdown_timeout: Duration::from_secs(10),
        journal: JournalConfig {
            max_bytes: 2 << 30,
            fsync: FsyncPolicy::Always,
            batch_interval: Duration::from_millis(5),
            segment_bytes: Some(64 << 20),
        },
        integrity: IntegrityConfig::default(),
        admin: Some(AdminConfig {
            address: "127.0.0.1:8686".into(),
        }),
        sources: vec![
            SourceConfig {
                id: "app".into(),
                kind: SourceKind::File(FileSourceConfig {
                    include: vec!["/var/log/app/audit*.log".into()],
                    exclude: vec!["*.gz".into()],
                    format: FormatConfig::Json {
                        map: vec![
                            ("actor.id".into(), "userId".into()),
                            ("time".into(), "createdAt".into()),
                            ("correlation.request_id".into(), "meta.requestId".into()),
                        ],
                    },
                    start_at: StartAt::End,
                    max_line_bytes: 64 << 10,
                    poll_interval: Duration::from_millis(100),
                    glob_interval: Duration::from_secs(5),
                    min_read_interval: Duration::ZERO,
                    keep_raw: true,
                }),
            },
            SourceConfig {
                id: "plain".into(),
                kind: SourceKind::File(FileSourceConfig {
                    include: vec!["/srv/logs/plain.log".into()],
                    exclude: vec![],
                    format: FormatConfig::Raw,
                    start_at: StartAt::Beginning,
                    max_line_bytes: 1 << 20,
                    poll_interval: Duration::from_millis(250),
                    glob_interval: Duration::from_secs(1),
                    min_read_interval: Duration::from_millis(10),
                    keep_raw: false,
                }),
            },
        ],
        sinks: vec![
            SinkConfig {
                id: "archive".into(),
                inputs: vec!["app".into()],
                kind: SinkKind::File(FileSinkConfig {
                    path: "/var/lib/auditship/archive/audit-%Y-%m-%d.ndjson".into(),
                    compression: Compression::Gzip,
                    max_file_bytes: Some(100_000_000),
                    encoding: EventEncoding::Native,
                }),
                batch: BatchConfig {
                    max_events: 500,
                    max_bytes: 512 << 10,
                    timeout: Duration::from_secs(2),
                },
                delivery: DeliveryConfig::default(),
            },
            SinkConfig {
                id: "screen".into(),
                inputs: vec!["app".into(), "plain".into()],
                kind: SinkKind::Console(ConsoleSinkConfig {
                    stream: ConsoleStream::Stderr,
                }),
                batch: BatchConfig::default(),
                delivery: DeliveryConfig::default(),
            },
        ],
        alerts: vec![],
        channels: vec![],
    };
    assert_eq!(config, expected);
}

#[test]
fn components_keep_file_order() {
    let text = r#"
[sources.zeta]
type = "file"
include = ["z"]
[sources.alpha]
type = "file"
include = ["a"]
[sinks.second]
type = "console"
[sinks.first]
type = "console"
"#;
    let config = load_text(text).unwrap();
    let sources: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
    let sinks: Vec<&str> = config.sinks.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(sources, ["zeta", "alpha"]);
    assert_eq!(sinks, ["second", "first"]);
    assert_eq!(config.sinks[0].inputs, ["zeta", "alpha"]);
}

// ---------- one test per error class, exact position and message ----------

#[test]
fn syntax_errors_point_at_the_broken_spot() {
    assert_eq!(
        problem("data_dir = \"./data\"\nhost = \n"),
        "auditship.toml:2:8: invalid TOML: invalid string: expected `\"`, `'`"
    );
}

#[test]
fn unknown_keys_suggest_the_close_known_key() {
    let text = "[sources.app]\ntype = \"file\"\ninclude = [\"a\"]\n  inclde = [\"b\"]\n[sinks.out]\ntype = \"console\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:4:3: unknown key \"inclde\" in [sources.app] (did you mean \"include\"?)"
    );
}

#[test]
fn unknown_top_level_and_nested_keys_are_found_too() {
    let text = format!("data_dri = \"x\"\n{MINIMAL}batch = {{ max_event = 3 }}\n");
    assert_eq!(
        problems(&text),
        [
            "auditship.toml:1:1: unknown key \"data_dri\" in the top level (did you mean \"data_dir\"?)",
            "auditship.toml:9:11: unknown key \"max_event\" in [sinks.out.batch] (did you mean \"max_events\"?)",
        ]
    );
}

#[test]
fn unknown_sink_keys_suggest_shared_keys_as_well() {
    let text = "[sources.a]\ntype = \"file\"\ninclude = [\"a\"]\n[sinks.out]\ntype = \"file\"\npath = \"o\"\ninptus = [\"a\"]\n";
    assert_eq!(
        problem(text),
        "auditship.toml:7:1: unknown key \"inptus\" in [sinks.out] (did you mean \"inputs\"?)"
    );
}

#[test]
fn missing_required_keys_point_at_the_table() {
    let text = "\n[sources.app]\ntype = \"file\"\n[sinks.out]\ntype = \"file\"\npath = \"o\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:2:1: missing required key \"include\" in [sources.app]"
    );
    let text = "[sources.app]\ninclude = [\"a\"]\n[sinks.out]\ntype = \"console\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:1:1: missing required key \"type\" in [sources.app]"
    );
}

#[test]
fn wrong_types_say_what_was_expected_and_found() {
    let text = "[sources.app]\ntype = \"file\"\ninclude = \"/var/log/*.log\"\n[sinks.out]\ntype = \"console\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:3:11: \"include\" in [sources.app] must be an array, found a string"
    );
    let text = format!("data_dir = 1979-05-27\n{MINIMAL}");
    assert_eq!(
        problem(&text),
        "auditship.toml:1:12: \"data_dir\" in the top level must be a string, found a date-time"
    );
    let text = format!("{MINIMAL}batch = {{ max_events = \"many\" }}\n");
    assert_eq!(
        problem(&text),
        "auditship.toml:8:24: \"max_events\" in [sinks.out.batch] must be an integer, found a string"
    );
}

#[test]
fn bad_size_units_list_the_accepted_units() {
    let text = format!("[journal]\nmax_bytes = \"12 parsecs\"\n{MINIMAL}");
    assert_eq!(
        problem(&text),
        "auditship.toml:2:13: invalid \"max_bytes\" in [journal]: \"12 parsecs\": unknown size unit \"parsecs\" (accepted units: B, KB, MB, GB, TB (1000-based), KiB, MiB, GiB, TiB (1024-based))"
    );
}

#[test]
fn durations_without_a_unit_are_refused() {
    let text = format!("[journal]\nbatch_interval = 10\n{MINIMAL}");
    assert_eq!(
        problem(&text),
        "auditship.toml:2:18: invalid \"batch_interval\" in [journal]: 10: a duration needs a unit: write \"10s\" or \"10ms\" (accepted units: ms, s, m, h, d)"
    );
    let text = format!("{MINIMAL}batch = {{ timeout = \"0s\" }}\n");
    assert_eq!(
        problem(&text),
        "auditship.toml:8:21: invalid \"timeout\" in [sinks.out.batch]: must be longer than zero"
    );
}

#[test]
fn unknown_source_types_are_refused_at_their_type() {
    let text = "[sources.local]\ntype = \"fiel\"\n[sinks.out]\ntype = \"console\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:2:8: unknown source type \"fiel\" (supported: file, unix, syslog, http) (did you mean \"file\"?)"
    );
}

#[test]
fn every_contract_format_is_accepted_and_unknown_ones_are_refused() {
    let text = "[sources.app]\ntype = \"file\"\ninclude = [\"a\"]\nformat = \"auditd\"\n[sinks.out]\ntype = \"console\"\n";
    for name in [
        "json",
        "auditd",
        "syslog",
        "cef",
        "k8s",
        "cloudtrail",
        "logfmt",
        "raw",
        "auto",
    ] {
        let config = load_text(&text.replace("auditd", name)).unwrap();
        #[allow(irrefutable_let_patterns)] // more source kinds are coming
        let SourceKind::File(file) = &config.sources[0].kind
        else {
            panic!("a file source");
        };
        assert_eq!(file.format.name(), name);
    }
    let text = text.replace("auditd", "jsno");
    assert_eq!(
        problem(&text),
        "auditship.toml:4:10: unknown format \"jsno\" (supported: json, auditd, syslog, cef, k8s, cloudtrail, logfmt, raw, auto) (did you mean \"json\"?)"
    );
}

#[test]
fn k8s_stages_are_checked_and_default_to_the_final_ones() {
    let file_format = |config: &Config| {
        #[allow(irrefutable_let_patterns)] // more source kinds are coming
        let SourceKind::File(file) = &config.sources[0].kind
        else {
            panic!("a file source");
        };
        file.format.clone()
    };
    let base = "[sources.kube]\ntype = \"file\"\ninclude = [\"a\"]\nformat = \"k8s\"\n";
    let sink = "[sinks.out]\ntype = \"console\"\n";
    let config = load_text(&format!("{base}{sink}")).unwrap();
    assert_eq!(
        file_format(&config),
        FormatConfig::K8s {
            stages: vec!["ResponseComplete".into(), "Panic".into()]
        }
    );
    let config = load_text(&format!("{base}k8s_stages = [\"RequestReceived\"]\n{sink}")).unwrap();
    assert_eq!(
        file_format(&config),
        FormatConfig::K8s {
            stages: vec!["RequestReceived".into()]
        }
    );
    assert_eq!(
        problem(&format!("{base}k8s_stages = [\"ResponseCompleted\"]\n{sink}")),
        "auditship.toml:5:15: invalid \"k8s_stages\" in [sources.kube]: unknown stage \"ResponseCompleted\": one of RequestReceived, ResponseStarted, ResponseComplete, Panic (did you mean \"ResponseComplete\"?)"
    );
    assert_eq!(
        problem(&format!("{base}k8s_stages = []\n{sink}")),
        "auditship.toml:5:14: invalid \"k8s_stages\" in [sources.kube]: must name at least one stage of RequestReceived, ResponseStarted, ResponseComplete, Panic"
    );
    let json = base.replace("\"k8s\"", "\"json\"");
    assert_eq!(
        problem(&format!("{json}k8s_stages = [\"Panic\"]\n{sink}")),
        "auditship.toml:5:14: invalid \"k8s_stages\" in [sources.kube]: applies to format = \"k8s\" only (this source reads json); remove it"
    );
}

#[test]
fn unknown_inputs_are_reported_at_their_entry() {
    let text = "[sources.app]\ntype = \"file\"\ninclude = [\"a\"]\n[sinks.out]\ntype = \"console\"\ninputs = [\"app\", \"ap\"]\n";
    assert_eq!(
        problem(text),
        "auditship.toml:6:18: unknown input \"ap\" in [sinks.out]: no source has this id (did you mean \"app\"?)"
    );
    let text = "[sources.app]\ntype = \"file\"\ninclude = [\"a\"]\n[sinks.out]\ntype = \"console\"\ninputs = []\n";
    assert_eq!(
        problem(text),
        "auditship.toml:6:10: invalid \"inputs\" in [sinks.out]: must name at least one source id; remove the key to receive every source"
    );
}

#[test]
fn ids_must_be_simple_names() {
    let text = "[sources.\"my app\"]\ntype = \"file\"\ninclude = [\"a\"]\n[sinks.out]\ntype = \"console\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:1:10: invalid id \"my app\" in [sources]: ids must be non-empty and use only letters, digits, '_' and '-'"
    );
}

#[test]
fn a_source_and_a_sink_are_required() {
    assert_eq!(
        problems("data_dir = \"./data\"\n"),
        [
            "auditship.toml:1:1: no source is configured: add at least one [sources.ID] table",
            "auditship.toml:1:1: no sink is configured: add at least one [sinks.ID] table",
        ]
    );
}

#[test]
fn map_fields_are_checked_against_the_schema() {
    let text = "[sources.app]\ntype = \"file\"\ninclude = [\"a\"]\n[sources.app.map]\n\"actor.idd\" = \"userId\"\n\"correlation.\" = \"x\"\n\"time\" = \"a..b\"\n[sinks.out]\ntype = \"console\"\n";
    assert_eq!(
        problems(text),
        [
            "auditship.toml:5:1: unknown schema field \"actor.idd\" in [sources.app.map] (did you mean \"actor.id\"?)",
            "auditship.toml:6:1: unknown schema field \"correlation.\" in [sources.app.map]",
            "auditship.toml:7:10: invalid \"time\" in [sources.app.map]: \"a..b\" is not a dotted source path such as \"user.id\"",
        ]
    );
}

#[test]
fn unquoted_dotted_map_keys_are_explained() {
    let text = "[sources.app]\ntype = \"file\"\ninclude = [\"a\"]\n[sources.app.map]\nactor.id = \"userId\"\n[sinks.out]\ntype = \"console\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:5:1: invalid \"actor\" in [sources.app.map]: write the schema field in quotes: \"actor.…\" = \"source.path\" (unquoted dots make a nested table)"
    );
}

#[test]
fn map_is_refused_with_raw_format() {
    let text = "[sources.app]\ntype = \"file\"\ninclude = [\"a\"]\nformat = \"raw\"\nmap = { \"time\" = \"ts\" }\n[sinks.out]\ntype = \"console\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:5:7: [sources.app.map] is only used with format \"json\" (this source reads \"raw\"): remove it or set format = \"json\""
    );
}

#[test]
fn glob_patterns_must_compile() {
    let text = "[sources.app]\ntype = \"file\"\ninclude = [\"/var/log/[a.log\"]\n[sinks.out]\ntype = \"console\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:3:12: invalid \"include\" in [sources.app]: \"/var/log/[a.log\" is not a valid glob pattern: invalid range pattern at character 10"
    );
}

#[test]
fn choices_list_the_accepted_words() {
    let text = format!("[journal]\nfsync = \"alway\"\n{MINIMAL}");
    assert_eq!(
        problem(&text),
        "auditship.toml:2:9: invalid \"fsync\" in [journal]: \"alway\" is not one of: batch, always (did you mean \"always\"?)"
    );
}

#[test]
fn segment_bytes_cannot_exceed_max_bytes() {
    let text = format!("[journal]\nmax_bytes = \"1MiB\"\nsegment_bytes = \"2MiB\"\n{MINIMAL}");
    assert_eq!(
        problem(&text),
        "auditship.toml:3:17: invalid \"segment_bytes\" in [journal]: must not be larger than max_bytes"
    );
}

#[test]
fn file_sink_paths_only_use_the_supported_time_fields() {
    let text = "[sources.a]\ntype = \"file\"\ninclude = [\"a\"]\n[sinks.out]\ntype = \"file\"\npath = \"/x/%Y-%S.log\"\n";
    assert_eq!(
        problem(text),
        "auditship.toml:6:8: invalid \"path\" in [sinks.out]: \"%S\" is not expanded: paths may use %Y %m %d %H, and %% for a literal %"
    );
}

#[test]
fn shared_sink_keys_for_later_are_shape_checked() {
    let text = format!(
        "{MINIMAL}retry = {{ initial = \"1s\", max = \"100ms\" }}\ntls = {{ cert = \"c.pem\" }}\nrate_limit = {{ events_per_second = -1 }}\n"
    );
    assert_eq!(
        problems(&text),
        [
            "auditship.toml:8:33: invalid \"max\" in [sinks.out.retry]: must not be shorter than initial",
            "auditship.toml:9:16: invalid \"cert\" in [sinks.out.tls]: needs \"key\" as well (client certificate and key go together)",
            "auditship.toml:10:36: invalid \"events_per_second\" in [sinks.out.rate_limit]: must be 0 (no limit) or more",
        ]
    );
    let text = format!("{MINIMAL}dead_letter = \"yes\"\n");
    assert_eq!(
        problem(&text),
        "auditship.toml:8:15: \"dead_letter\" in [sinks.out] must be a boolean, found a string"
    );
    let text = format!("{MINIMAL}tls = {{ ca = \"ca.pem\", insecure = true }}\n");
    assert_eq!(
        problem(&text),
        "auditship.toml:8:24: unknown key \"insecure\" in [sinks.out.tls]"
    );
}

#[test]
fn delivery_keys_reach_the_typed_config() {
    let text = format!(
        "{MINIMAL}retry = {{ initial = \"50ms\", max = \"300ms\", jitter = false, max_elapsed = \"10m\" }}\nrate_limit = {{ events_per_second = 2000 }}\ndead_letter = false\nconcurrency = 8\n"
    );
    let config = load_text(&text).unwrap();
    assert_eq!(
        config.sinks[0].delivery,
        DeliveryConfig {
            retry: RetryConfig {
                initial: Duration::from_millis(50),
                max: Duration::from_millis(300),
                jitter: false,
                max_elapsed: Some(Duration::from_secs(600)),
            },
            events_per_second: std::num::NonZeroU32::new(2000),
            dead_letter: false,
            concurrency: 8,
        }
    );
    let text = format!("{MINIMAL}rate_limit = {{ events_per_second = 0 }}\n");
    assert_eq!(
        load_text(&text).unwrap().sinks[0].delivery,
        DeliveryConfig::default()
    );
}

#[test]
fn concurrency_out_of_range_is_refused_at_its_line() {
    for (value, column) in [("0", 15), ("65", 15)] {
        let text = format!("{MINIMAL}concurrency = {value}\n");
        assert_eq!(
            problem(&text),
            format!("auditship.toml:8:{column}: invalid \"concurrency\" in [sinks.out]: {value} is out of range: write a number of requests in flight from 1 to 64")
        );
    }
    let text = format!("{MINIMAL}concurrency = \"4\"\n");
    assert!(
        problem(&text).contains("must be an integer"),
        "{}",
        problem(&text)
    );
}

#[test]
fn admin_address_must_be_host_and_port() {
    let text = format!("[admin]\naddress = \"8686\"\n{MINIMAL}");
    assert_eq!(
        problem(&text),
        "auditship.toml:2:11: invalid \"address\" in [admin]: \"8686\" is not host:port, e.g. \"127.0.0.1:8686\""
    );
    let text = format!("[admin]\naddress = \"localhost:8686\"\n{MINIMAL}");
    assert!(load_text(&text).is_ok());
}

#[test]
fn several_problems_are_all_reported_in_file_order() {
    let text = r#"
[sources.app]
type = "file"
include = ["a"]
format = "ceff"

[sources.b]
type = "unix"

[sinks.out]
type = "file"
path = "o"
compression = "zip"
inputs = ["nope"]
"#;
    assert_eq!(
        problems(text),
        [
            "auditship.toml:5:10: unknown format \"ceff\" (supported: json, auditd, syslog, cef, k8s, cloudtrail, logfmt, raw, auto) (did you mean \"cef\"?)",
            "auditship.toml:7:1: missing required key \"path\" in [sources.b]",
            "auditship.toml:13:15: invalid \"compression\" in [sinks.out]: \"zip\" is not one of: none, gzip (did you mean \"gzip\"?)",
            "auditship.toml:14:11: unknown input \"nope\" in [sinks.out]: no source has this id",
        ]
    );
}

#[test]
fn unreadable_config_file_is_a_read_error() {
    let error = load(std::path::Path::new("/nonexistent/auditship.toml")).unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }));
    assert!(error
        .to_string()
        .starts_with("cannot read configuration file /nonexistent/auditship.toml: "));
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    assert_eq!(load(&path).unwrap().sources[0].id, "app");
    std::fs::write(
        &path,
        "[sources.a]\ntype = \"htp\"\n[sinks.b]\ntype = \"console\"\n",
    )
    .unwrap();
    let error = load(&path).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "{}:2:8: unknown source type \"htp\"",
            path.display()
        )),
        "{error}"
    );
}

// ---------- interpolation ----------

#[test]
fn environment_references_are_replaced() {
    let text = MINIMAL.replace("/var/log/app/*.log", "${LOG_DIR}/*.log");
    let config = load_text(&text).unwrap();
    let SourceKind::File(file) = &config.sources[0].kind else {
        panic!("expected a file source")
    };
    assert_eq!(file.include, ["/srv/logs/*.log"]);
}

#[test]
fn unset_variables_are_reported_at_their_line() {
    let text = MINIMAL.replace("/var/log/app/*.log", "${NOT_SET}/*.log");
    assert_eq!(
        problem(&text),
        "auditship.toml:4:12: environment variable NOT_SET is not set: set it, or give a default with ${NOT_SET:-default}"
    );
}

#[test]
fn defaults_and_dollar_escapes_apply() {
    let text = format!(
        "data_dir = \"${{NOT_SET:-/opt/data}}\"\nhost = \"cost-$$5-${{EMPTY:-e}}\"\n{MINIMAL}"
    );
    let config = load_text(&text).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("/opt/data"));
    assert_eq!(config.host, "cost-$5-e");
}

#[test]
fn environment_values_cannot_inject_toml() {
    // INJECT holds a quote, newlines and a whole sink table.
    let text = format!("host = \"${{INJECT}}\"\n{MINIMAL}");
    let config = load_text(&text).unwrap();
    assert_eq!(config.host, env("INJECT").unwrap());
    let sinks: Vec<&str> = config.sinks.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(sinks, ["out"]);
}

#[test]
fn line_numbers_stay_right_after_interpolating_multi_line_values() {
    let text = format!("host = \"${{INJECT}}\"\n{MINIMAL}[journal]\nfsync = \"never\"\n");
    assert_eq!(
        problem(&text),
        "auditship.toml:10:9: invalid \"fsync\" in [journal]: \"never\" is not one of: batch, always"
    );
}

#[test]
fn errors_show_references_not_their_secret_values() {
    let text = format!("[journal]\nfsync = \"${{SECRET}}\"\n{MINIMAL}");
    let found = problem(&text);
    assert_eq!(
        found,
        "auditship.toml:2:9: invalid \"fsync\" in [journal]: \"${SECRET}\" is not one of: batch, always"
    );
    assert!(!found.contains("hunter2"));
}

#[test]
fn secret_files_fill_values_and_never_leak_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("fsync");
    std::fs::write(&secret, "always\n").unwrap();
    let text = format!(
        "[journal]\nfsync = \"@file:{}\"\n{MINIMAL}",
        secret.display()
    );
    assert_eq!(load_text(&text).unwrap().journal.fsync, FsyncPolicy::Always);

    std::fs::write(&secret, "top-secret-value\n").unwrap();
    let found = problem(&text);
    assert!(!found.contains("top-secret-value"), "{found}");
    assert!(
        found.contains(&format!("\"@file:{}\" is not one of", secret.display())),
        "{found}"
    );

    let missing = dir.path().join("missing");
    let text = format!(
        "[journal]\nfsync = \"@file:{}\"\n{MINIMAL}",
        missing.display()
    );
    let found = problem(&text);
    assert!(
        found.starts_with(&format!(
            "auditship.toml:2:9: cannot read secret file {}: ",
            missing.display()
        )),
        "{found}"
    );
}

// ---------- describe ----------

#[test]
fn describe_lists_every_component_with_its_settings() {
    let text = format!("[admin]\naddress = \"127.0.0.1:8686\"\n{MINIMAL}");
    let described = load_text(&text).unwrap().describe();
    let lines: Vec<&str> = described.lines().collect();
    assert_eq!(
        lines,
        [
            "data_dir /var/lib/auditship",
            "host test-host",
            "journal max_bytes=2GiB fsync=batch batch_interval=10ms segment_bytes=auto",
            "admin address=127.0.0.1:8686 (not served in this version)",
            "source app type=file include=[/var/log/app/*.log] format=json start_at=beginning max_line_bytes=1MiB poll_interval=250ms glob_interval=1s min_read_interval=10ms keep_raw=false",
            "sink out type=console inputs=[app] stream=stdout batch.max_events=1000 batch.max_bytes=1MiB batch.timeout=1s",
        ]
    );
}

#[test]
fn from_str_resolves_auto_host_to_a_non_empty_name() {
    let config = from_str_with_env(MINIMAL, "auditship.toml", &|_| None).unwrap();
    assert!(!config.host.trim().is_empty());
    assert_eq!(config.host, config.host.trim());
}

// ---------- http sink ----------

#[test]
fn http_sink_defaults_to_post_gzipped_ndjson_with_a_30s_timeout() {
    let text = format!("{MINIMAL}[sinks.central]\ntype = \"http\"\nuri = \"https://collector.example.com/v1/audit\"\n");
    let config = load_text(&text).unwrap();
    assert_eq!(
        config.sinks[1].kind,
        SinkKind::Http(HttpSinkConfig {
            uri: "https://collector.example.com/v1/audit".into(),
            method: HttpMethod::Post,
            encoding: HttpEncoding::Ndjson,
            compression: Compression::Gzip,
            headers: vec![],
            request_timeout: Duration::from_secs(30),
            tls: TlsConfig::default(),
        })
    );
}

#[test]
fn http_sink_reads_every_key_and_interpolates_header_values() {
    let text = format!(
        r#"{MINIMAL}[sinks.central]
type = "http"
uri = "https://collector.example.com/v1/audit"
method = "PUT"
encoding = "json_array"
compression = "none"
headers = {{ Authorization = "Bearer ${{SECRET}}", "X-Scope" = "audit" }}
request_timeout = "5s"
tls = {{ ca = "/etc/auditship/ca.crt", cert = "client.crt", key = "client.key", server_name = "collector.internal", insecure_skip_verify = true }}
"#
    );
    let config = load_text(&text).unwrap();
    let SinkKind::Http(http) = &config.sinks[1].kind else {
        panic!("not an http sink")
    };
    assert_eq!(http.method, HttpMethod::Put);
    assert_eq!(http.encoding, HttpEncoding::JsonArray);
    assert_eq!(http.compression, Compression::None);
    assert_eq!(http.request_timeout, Duration::from_secs(5));
    let headers: Vec<(&str, &str)> = http
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.expose()))
        .collect();
    assert_eq!(
        headers,
        [("Authorization", "Bearer hunter2"), ("X-Scope", "audit")]
    );
    assert_eq!(
        http.tls,
        TlsConfig {
            ca: Some(PathBuf::from("/etc/auditship/ca.crt")),
            client_certificate: Some(ClientCertificate {
                cert: PathBuf::from("client.crt"),
                key: PathBuf::from("client.key"),
            }),
            server_name: Some("collector.internal".into()),
            insecure_skip_verify: true,
        }
    );
    assert!(
        !format!("{config:?}").contains("hunter2"),
        "Debug hides header values"
    );
}

#[test]
fn http_sink_values_are_checked_where_they_are_written() {
    let sink = |body: &str| format!("{MINIMAL}[sinks.central]\ntype = \"http\"\n{body}");
    assert_eq!(
        problem(&sink("")),
        "auditship.toml:8:1: missing required key \"uri\" in [sinks.central]"
    );
    assert_eq!(
        problem(&sink("uri = \"ftp://example.com/x\"\n")),
        "auditship.toml:10:7: invalid \"uri\" in [sinks.central]: \"ftp://example.com/x\" must start with https:// or http://"
    );
    assert_eq!(
        problem(&sink("uri = \"collector.example.com\"\n")),
        "auditship.toml:10:7: invalid \"uri\" in [sinks.central]: \"collector.example.com\" must start with https:// or http://"
    );
    assert!(problem(&sink("uri = \"https://user:pw@example.com/\"\n"))
        .contains("must not contain user info"));
    assert_eq!(
        problem(&sink("uri = \"https://x.example\"\nmethod = \"PATCH\"\n")),
        "auditship.toml:11:10: invalid \"method\" in [sinks.central]: \"PATCH\" is not one of: POST, PUT"
    );
    assert_eq!(
        problem(&sink("uri = \"https://x.example\"\nencoding = \"json-array\"\n")),
        "auditship.toml:11:12: invalid \"encoding\" in [sinks.central]: \"json-array\" is not one of: ndjson, json_array, ocsf, auditship (did you mean \"json_array\"?)"
    );
    assert_eq!(
        problem(&sink("uri = \"https://x.example\"\nrequest_timeout = \"0s\"\n")),
        "auditship.toml:11:19: invalid \"request_timeout\" in [sinks.central]: must be longer than zero"
    );
    assert_eq!(
        problem(&sink(
            "uri = \"https://x.example\"\nurl = \"https://x.example\"\n"
        )),
        "auditship.toml:11:1: unknown key \"url\" in [sinks.central] (did you mean \"uri\"?)"
    );
}

#[test]
fn http_headers_are_checked_without_showing_their_values() {
    let sink = |headers: &str| {
        format!("{MINIMAL}[sinks.central]\ntype = \"http\"\nuri = \"https://x.example\"\nheaders = {{ {headers} }}\n")
    };
    assert_eq!(
        problem(&sink("\"Bad Name\" = \"x\"")),
        "auditship.toml:11:13: invalid \"Bad Name\" in [sinks.central.headers]: is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)"
    );
    assert_eq!(
        problem(&sink("Content-Length = \"1\"")),
        "auditship.toml:11:13: invalid \"Content-Length\" in [sinks.central.headers]: is set by the sink itself (from uri and compression); remove it"
    );
    assert_eq!(
        problem(&sink("X-A = \"1\", x-a = \"2\"")),
        "auditship.toml:11:24: invalid \"x-a\" in [sinks.central.headers]: is listed twice (header names are case-insensitive)"
    );
    assert_eq!(
        problem(&sink("X-A = 1")),
        "auditship.toml:11:19: \"X-A\" in [sinks.central.headers] must be a string, found an integer"
    );
    // INJECT holds a newline: refused, and neither it nor SECRET is shown.
    let found = problem(&sink("Authorization = \"${SECRET}${INJECT}\""));
    assert!(
        found.starts_with("auditship.toml:11:29: invalid \"Authorization\" in [sinks.central.headers]: the value is not a valid HTTP header value"),
        "{found}"
    );
    assert!(
        !found.contains("hunter2") && !found.contains("evil"),
        "{found}"
    );
}

#[test]
fn http_tls_is_for_https_and_checks_its_server_name() {
    let sink = |uri: &str, tls: &str| {
        format!("{MINIMAL}[sinks.central]\ntype = \"http\"\nuri = \"{uri}\"\ntls = {{ {tls} }}\n")
    };
    assert_eq!(
        problem(&sink("http://x.example", "ca = \"ca.pem\"")),
        "auditship.toml:11:7: invalid \"tls\" in [sinks.central]: applies to https:// URIs only, and \"uri\" is http:// (use https:// or remove tls)"
    );
    assert_eq!(
        problem(&sink("https://x.example", "server_name = \"not a name\"")),
        "auditship.toml:11:23: invalid \"server_name\" in [sinks.central.tls]: \"not a name\" is not a DNS name or IP address, e.g. \"collector.example.com\""
    );
    assert!(load_text(&sink("https://x.example", "server_name = \"10.0.0.1\"")).is_ok());
    assert!(load_text(&sink("http://x.example", "insecure_skip_verify = false")).is_ok());
}

#[test]
fn describe_shows_http_header_names_but_never_their_values() {
    let text = format!(
        "{MINIMAL}[sinks.central]\ntype = \"http\"\nuri = \"https://c.example/v1?api_key=${{SECRET}}\"\nheaders = {{ Authorization = \"Bearer ${{SECRET}}\" }}\ntls = {{ ca = \"/ca.pem\", insecure_skip_verify = true }}\n"
    );
    let described = load_text(&text).unwrap().describe();
    let line = described.lines().last().unwrap();
    assert_eq!(
        line,
        "sink central type=http inputs=[app] uri=https://c.example/v1?<hidden> method=POST encoding=ndjson compression=gzip request_timeout=30s headers.Authorization=<set> tls.ca=/ca.pem tls.insecure_skip_verify=true (INSECURE) batch.max_events=1000 batch.max_bytes=1MiB batch.timeout=1s"
    );
    assert!(!described.contains("hunter2"));
}

// ---------- splunk_hec sink ----------

#[test]
fn splunk_hec_sink_defaults() {
    let text = format!("{MINIMAL}[sinks.splunk]\ntype = \"splunk_hec\"\nendpoint = \"https://splunk.example.com:8088/\"\ntoken = \"${{SECRET}}\"\n");
    let config = load_text(&text).unwrap();
    assert_eq!(
        config.sinks[1].kind,
        SinkKind::SplunkHec(SplunkHecSinkConfig {
            endpoint: "https://splunk.example.com:8088".into(),
            token: Secret::new("hunter2"),
            index: None,
            source: "auditship".into(),
            sourcetype: "auditship:audit".into(),
            host: None,
            ack: false,
            ack_timeout: Duration::from_secs(60),
            compression: Compression::Gzip,
            max_request_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            tls: TlsConfig::default(),
        })
    );
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn splunk_hec_sink_reads_every_key() {
    let text = format!(
        r#"{MINIMAL}[sinks.splunk]
type = "splunk_hec"
endpoint = "https://splunk.example.com:8088"
token = "${{SECRET}}"
index = "audit"
source = "billing"
sourcetype = "_json"
host = "gw-1"
ack = true
ack_timeout = "2m"
compression = "none"
max_request_bytes = "512KiB"
request_timeout = "5s"
tls = {{ ca = "/etc/auditship/ca.crt" }}
"#
    );
    let config = load_text(&text).unwrap();
    let SinkKind::SplunkHec(hec) = &config.sinks[1].kind else {
        panic!("not a splunk_hec sink")
    };
    assert_eq!(hec.index.as_deref(), Some("audit"));
    assert_eq!(
        (hec.source.as_str(), hec.sourcetype.as_str()),
        ("billing", "_json")
    );
    assert_eq!(hec.host.as_deref(), Some("gw-1"));
    assert!(hec.ack);
    assert_eq!(hec.ack_timeout, Duration::from_secs(120));
    assert_eq!(hec.compression, Compression::None);
    assert_eq!(hec.max_request_bytes, 512 * 1024);
    assert_eq!(hec.request_timeout, Duration::from_secs(5));
    assert_eq!(hec.tls.ca, Some(PathBuf::from("/etc/auditship/ca.crt")));
}

#[test]
fn splunk_hec_values_are_checked_where_they_are_written() {
    let sink = |body: &str| format!("{MINIMAL}[sinks.splunk]\ntype = \"splunk_hec\"\n{body}");
    assert_eq!(
        problem(&sink("token = \"t\"\n")),
        "auditship.toml:8:1: missing required key \"endpoint\" in [sinks.splunk]"
    );
    assert_eq!(
        problem(&sink("endpoint = \"https://x.example\"\n")),
        "auditship.toml:8:1: missing required key \"token\" in [sinks.splunk]"
    );
    let ok = "token = \"t\"\n";
    assert_eq!(
        problem(&sink(&format!("{ok}endpoint = \"ftp://x.example\"\n"))),
        "auditship.toml:11:12: invalid \"endpoint\" in [sinks.splunk]: \"ftp://x.example\" must start with https:// or http://"
    );
    assert!(problem(&sink(&format!(
        "{ok}endpoint = \"https://x.example:8088/services/collector/event\"\n"
    )))
    .contains("without a path"));
    let at = |key: &str| sink(&format!("{ok}endpoint = \"https://x.example\"\n{key}\n"));
    assert_eq!(
        problem(&at("ack_timeout = \"0s\"")),
        "auditship.toml:12:15: invalid \"ack_timeout\" in [sinks.splunk]: must be longer than zero"
    );
    assert!(problem(&at("compression = \"zstd\"")).contains("is not one of: gzip, none"));
    assert!(problem(&at("max_request_bytes = 10")).contains("must be at least 1024 byte(s)"));
    assert!(problem(&at("index = \"\""))
        .contains("invalid \"index\" in [sinks.splunk]: must not be empty"));
    assert_eq!(
        problem(&at("acks = true")),
        "auditship.toml:12:1: unknown key \"acks\" in [sinks.splunk] (did you mean \"ack\"?)"
    );
    let found = problem(&sink(
        "endpoint = \"https://x.example\"\ntoken = \"${SECRET}${INJECT}\"\n",
    ));
    assert!(found.contains("invalid \"token\""), "{found}");
    assert!(
        !found.contains("hunter2") && !found.contains("evil"),
        "{found}"
    );
    assert!(problem(&sink(&format!(
        "{ok}endpoint = \"http://x.example\"\ntls = {{ ca = \"ca.pem\" }}\n"
    )))
    .contains("applies to https:// endpoints only"));
}

#[test]
fn describe_shows_splunk_hec_settings_but_never_the_token() {
    let text = format!("{MINIMAL}[sinks.splunk]\ntype = \"splunk_hec\"\nendpoint = \"https://s.example:8088\"\ntoken = \"${{SECRET}}\"\nack = true\n");
    let described = load_text(&text).unwrap().describe();
    assert_eq!(
        described.lines().last().unwrap(),
        "sink splunk type=splunk_hec inputs=[app] endpoint=https://s.example:8088 token=<set> source=auditship sourcetype=auditship:audit host=<agent.host> ack=true ack_timeout=1m compression=gzip max_request_bytes=1MiB request_timeout=30s batch.max_events=1000 batch.max_bytes=1MiB batch.timeout=1s"
    );
    assert!(!described.contains("hunter2"));
}

#[test]
fn gcp_logging_defaults_to_the_metadata_server_and_a_generic_node_of_this_host() {
    let text = format!(
        "{MINIMAL}[sinks.gcp]\ntype = \"gcp_logging\"\nproject_id = \"acme-prod\"\nlog_id = \"audit\"\n"
    );
    let config = load_text(&text).unwrap();
    let SinkKind::GcpLogging(gcp) = &config.sinks[1].kind else {
        panic!("{:?}", config.sinks[1])
    };
    assert_eq!(gcp.project_id, "acme-prod");
    assert_eq!(gcp.log_id, "audit");
    assert_eq!(gcp.credentials, None);
    assert_eq!(gcp.endpoint, "https://logging.googleapis.com");
    assert_eq!(gcp.metadata_endpoint, "http://metadata.google.internal");
    assert_eq!(gcp.request_timeout, Duration::from_secs(30));
    assert_eq!(gcp.resource.kind, "generic_node");
    let labels: Vec<(&str, &str)> = gcp
        .resource
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("location", "global"),
            ("namespace", "auditship"),
            ("node_id", "test-host")
        ]
    );
}

#[test]
fn gcp_logging_reads_every_key() {
    let text = format!(
        "{MINIMAL}[sinks.gcp]\ntype = \"gcp_logging\"\nproject_id = \"acme-prod\"\nlog_id = \"audit/trail\"\ncredentials = \"/etc/auditship/sa.json\"\nendpoint = \"http://127.0.0.1:9001/\"\nmetadata_endpoint = \"http://127.0.0.1:9002\"\nrequest_timeout = \"5s\"\nresource = {{ type = \"generic_node\", labels = {{ location = \"europe-west1\", node_id = \"n1\" }} }}\ntls = {{ ca = \"/etc/ca.pem\" }}\n"
    );
    let config = load_text(&text).unwrap();
    let SinkKind::GcpLogging(gcp) = &config.sinks[1].kind else {
        panic!()
    };
    assert_eq!(
        gcp.credentials,
        Some(PathBuf::from("/etc/auditship/sa.json"))
    );
    assert_eq!(gcp.endpoint, "http://127.0.0.1:9001");
    assert_eq!(gcp.metadata_endpoint, "http://127.0.0.1:9002");
    assert_eq!(gcp.request_timeout, Duration::from_secs(5));
    assert_eq!(gcp.tls.ca, Some(PathBuf::from("/etc/ca.pem")));
    assert_eq!(
        gcp.resource.labels,
        [
            ("location".to_string(), "europe-west1".to_string()),
            ("node_id".to_string(), "n1".to_string()),
            ("namespace".to_string(), "auditship".to_string()),
        ]
    );
    let described = config.describe();
    assert!(described.contains("type=gcp_logging"), "{described}");
    assert!(described.contains("credentials=/etc/auditship/sa.json"));
    assert!(described.contains("resource.labels.location=europe-west1"));
}

#[test]
fn gcp_logging_values_are_checked_where_they_are_written() {
    let sink = |body: &str| format!("{MINIMAL}[sinks.gcp]\ntype = \"gcp_logging\"\n{body}");
    assert_eq!(
        problems(&sink("")),
        ["auditship.toml:8:1: missing required key \"project_id\" in [sinks.gcp]".to_string(),]
    );
    assert_eq!(
        problem(&sink("project_id = \"Acme Prod\"\nlog_id = \"audit\"\n")),
        "auditship.toml:10:14: invalid \"project_id\" in [sinks.gcp]: \"Acme Prod\" is not a project id (lower-case letters, digits and hyphens, e.g. \"acme-prod\")"
    );
    assert!(
        problem(&sink("project_id = \"p1\"\nlog_id = \"a b\"\n")).starts_with(
            "auditship.toml:11:10: invalid \"log_id\" in [sinks.gcp]: \"a b\" is not a log id"
        )
    );
    assert!(problem(&sink(
        "project_id = \"p1\"\nlog_id = \"a\"\nendpoint = \"logging.example\"\n"
    ))
    .starts_with("auditship.toml:12:12: invalid \"endpoint\" in [sinks.gcp]"));
    assert_eq!(
        problem(&sink("project_id = \"p1\"\nlog_id = \"a\"\ncredential = \"/k.json\"\n")),
        "auditship.toml:12:1: unknown key \"credential\" in [sinks.gcp] (did you mean \"credentials\"?)"
    );
    assert!(problem(&sink(
        "project_id = \"p1\"\nlog_id = \"a\"\nresource = { kind = \"x\" }\n"
    ))
    .contains("unknown key \"kind\""));
}

// ---------- datadog_logs sink ----------

#[test]
fn datadog_logs_sink_defaults_to_the_us1_site_gzip_and_a_30s_timeout() {
    let text = format!("{MINIMAL}[sinks.dd]\ntype = \"datadog_logs\"\napi_key = \"${{SECRET}}\"\n");
    let config = load_text(&text).unwrap();
    let SinkKind::DatadogLogs(dd) = &config.sinks[1].kind else {
        panic!("not a datadog_logs sink")
    };
    assert_eq!(dd.site, "datadoghq.com");
    assert_eq!(dd.api_key.expose(), "hunter2");
    assert_eq!(dd.service, None);
    assert!(dd.tags.is_empty());
    assert_eq!(dd.compression, Compression::Gzip);
    assert_eq!(dd.request_timeout, Duration::from_secs(30));
    assert_eq!(
        dd.intake_url(),
        "https://http-intake.logs.datadoghq.com/api/v2/logs"
    );
    assert_eq!(config.sinks[1].kind.type_name(), "datadog_logs");
}

#[test]
fn datadog_logs_sink_reads_every_key() {
    let text = format!(
        r#"{MINIMAL}[sinks.dd]
type = "datadog_logs"
site = "datadoghq.eu"
api_key = "${{SECRET}}"
service = "billing-api"
tags = ["env:prod", "team:sec"]
compression = "none"
request_timeout = "5s"
tls = {{ ca = "/etc/auditship/ca.crt" }}
"#
    );
    let config = load_text(&text).unwrap();
    let SinkKind::DatadogLogs(dd) = &config.sinks[1].kind else {
        panic!("not a datadog_logs sink")
    };
    assert_eq!(
        dd.intake_url(),
        "https://http-intake.logs.datadoghq.eu/api/v2/logs"
    );
    assert_eq!(dd.service.as_deref(), Some("billing-api"));
    assert_eq!(dd.tags, ["env:prod", "team:sec"]);
    assert_eq!(dd.compression, Compression::None);
    assert_eq!(dd.request_timeout, Duration::from_secs(5));
    assert_eq!(dd.tls.ca, Some(PathBuf::from("/etc/auditship/ca.crt")));
    assert!(!format!("{config:?}").contains("hunter2"));
    let with_endpoint = text.replace(
        "site = \"datadoghq.eu\"",
        "endpoint = \"https://proxy.internal/dd/\"",
    );
    let config = load_text(&with_endpoint).unwrap();
    let SinkKind::DatadogLogs(dd) = &config.sinks[1].kind else {
        panic!()
    };
    assert_eq!(dd.intake_url(), "https://proxy.internal/dd/api/v2/logs");
}

#[test]
fn datadog_logs_values_are_checked_where_they_are_written() {
    let sink = |body: &str| format!("{MINIMAL}[sinks.dd]\ntype = \"datadog_logs\"\n{body}");
    assert_eq!(
        problem(&sink("")),
        "auditship.toml:8:1: missing required key \"api_key\" in [sinks.dd]"
    );
    assert_eq!(
        problem(&sink("api_key = \"${EMPTY}\"\n")),
        "auditship.toml:10:11: invalid \"api_key\" in [sinks.dd]: must not be empty (check the environment variable or file it comes from)"
    );
    let found = problem(&sink("api_key = \"${SECRET}${INJECT}\"\n"));
    assert!(
        found.contains("contains white space or a control character"),
        "{found}"
    );
    assert!(!found.contains("hunter2"), "{found}");
    assert_eq!(
        problem(&sink("api_key = \"k\"\nsite = \"datadoghq.us\"\n")),
        "auditship.toml:11:8: invalid \"site\" in [sinks.dd]: \"datadoghq.us\" is not a Datadog site; use one of: datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ap1.datadoghq.com, ap2.datadoghq.com, uk1.datadoghq.com, ddog-gov.com, us2.ddog-gov.com (did you mean \"datadoghq.eu\"?)"
    );
    assert_eq!(
        problem(&sink("api_key = \"k\"\ntags = [\"env:prod,team:a\"]\n")),
        "auditship.toml:11:9: invalid \"tags\" in [sinks.dd]: \"env:prod,team:a\" contains a comma, which separates tags in ddtags; write two tags"
    );
    assert!(problem(&sink("api_key = \"k\"\nendpoint = \"ftp://x\"\n"))
        .contains("must start with https:// or http://"));
    assert_eq!(
        problem(&sink("api_key = \"k\"\nendpoint = \"http://127.0.0.1:9\"\ntls = { ca = \"ca.pem\" }\n")),
        "auditship.toml:12:7: invalid \"tls\" in [sinks.dd]: applies to https:// endpoints only, and \"endpoint\" is http:// (use https:// or remove tls)"
    );
    assert_eq!(
        problem(&sink("api_key = \"k\"\ncompression = \"zstd\"\n")),
        "auditship.toml:11:15: invalid \"compression\" in [sinks.dd]: \"zstd\" is not one of: gzip, none"
    );
    assert_eq!(
        problem(&sink("api_key = \"k\"\napikey = \"k\"\n")),
        "auditship.toml:11:1: unknown key \"apikey\" in [sinks.dd] (did you mean \"api_key\"?)"
    );
}

#[test]
fn describe_shows_the_datadog_intake_but_never_the_api_key() {
    let text = format!(
        "{MINIMAL}[sinks.dd]\ntype = \"datadog_logs\"\nsite = \"us5.datadoghq.com\"\napi_key = \"${{SECRET}}\"\nservice = \"api\"\ntags = [\"env:prod\"]\n"
    );
    let described = load_text(&text).unwrap().describe();
    assert_eq!(
        described.lines().last().unwrap(),
        "sink dd type=datadog_logs inputs=[app] site=us5.datadoghq.com url=https://http-intake.logs.us5.datadoghq.com/api/v2/logs service=api tags=[env:prod] api_key=<set> compression=gzip request_timeout=30s batch.max_events=1000 batch.max_bytes=1MiB batch.timeout=1s"
    );
    assert!(!described.contains("hunter2"));
}

#[test]
fn integrity_keys_are_read_and_checked() {
    let config = load_text(&format!(
        "{MINIMAL}\n[integrity]\ncheckpoint_events = 500\ncheckpoint_interval = \"5s\"\nsigning_key = \"/etc/auditship/key.pk8\"\n"
    ))
    .unwrap();
    assert_eq!(
        config.integrity,
        IntegrityConfig {
            checkpoint_events: 500,
            checkpoint_interval: Duration::from_secs(5),
            signing_key: Some(PathBuf::from("/etc/auditship/key.pk8")),
        }
    );
    assert_eq!(
        load_text(MINIMAL).unwrap().integrity,
        IntegrityConfig::default()
    );
    let found = problems(&format!(
        "{MINIMAL}\n[integrity]\ncheckpoint_events = 0\ncheckpoint_interval = \"0s\"\n"
    ));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("checkpoint_events") && found[0].contains("at least 1"));
}

mod elasticsearch;
mod nats;
mod postgres;

#[path = "alert_tests.rs"]
mod alert_tests;
