//! The `nats` sink's keys: defaults, the subject template, one way of
//! authenticating, `create_stream`, and messages that never show a URL,
//! password, token or seed.

use super::*;

const SOURCE: &str = r#"
[sources.app]
type = "file"
include = ["/var/log/app/*.log"]
"#;

fn sink(keys: &str) -> String {
    format!("{SOURCE}[sinks.bus]\ntype = \"nats\"\nurls = [\"nats://nats-1:4222\", \"nats://nats-2:4222\"]\nsubject = \"audit.{{tenant.id}}.{{action}}\"\n{keys}")
}

fn nats(config: &Config) -> &NatsSinkConfig {
    match &config.sinks[0].kind {
        SinkKind::Nats(nats) => nats,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_contract_example_loads_with_its_defaults() {
    let config = load_text(&sink(
        "create_stream = { name = \"AUDIT\", subjects = [\"audit.>\"], replicas = 3, max_age = \"30d\" }\n",
    ))
    .unwrap();
    let nats = nats(&config);
    assert_eq!(nats.urls.len(), 2);
    assert_eq!(nats.subject.to_string(), "audit.{tenant.id}.{action}");
    assert_eq!(nats.auth, None);
    assert_eq!(nats.request_timeout, Duration::from_secs(30));
    assert_eq!(
        nats.create_stream,
        Some(NatsStreamConfig {
            name: "AUDIT".into(),
            subjects: vec!["audit.>".into()],
            replicas: 3,
            max_age: Duration::from_secs(30 * 86_400),
            duplicate_window: Duration::from_secs(120),
        })
    );
    let described = config.describe();
    assert!(
        described.contains("urls=[nats://nats-1:4222, nats://nats-2:4222] subject=audit.{tenant.id}.{action} auth=none create_stream.name=AUDIT create_stream.subjects=[audit.>] create_stream.replicas=3 create_stream.max_age=30d"),
        "{described}"
    );
}

#[test]
fn four_batches_are_in_flight_unless_concurrency_says_otherwise() {
    let config = load_text(&sink("")).unwrap();
    assert_eq!(config.sinks[0].delivery.concurrency, 4);
    let config = load_text(&sink("concurrency = 1\n")).unwrap();
    assert_eq!(config.sinks[0].delivery.concurrency, 1);
    let http = load_text(&format!(
        "{SOURCE}[sinks.central]\ntype = \"http\"\nuri = \"https://logs.example.com/in\"\n"
    ))
    .unwrap();
    assert_eq!(http.sinks[0].delivery.concurrency, 2, "other sinks keep 2");
}

#[test]
fn stream_subjects_default_to_the_template_with_wildcards() {
    let config = load_text(&sink("create_stream = { name = \"AUDIT\" }\n")).unwrap();
    let stream = nats(&config).create_stream.clone().unwrap();
    assert_eq!(stream.subjects, vec!["audit.*.*".to_string()]);
    assert_eq!((stream.replicas, stream.max_age), (1, Duration::ZERO));
}

#[test]
fn each_way_of_authenticating_is_read_and_never_shown() {
    let seed = format!("SU{}", "A".repeat(56));
    for (keys, expected, shown) in [
        (
            "user = \"auditship\"\npassword = \"${SECRET}\"\n".to_string(),
            NatsAuth::UserPassword {
                user: "auditship".into(),
                password: Secret::new("hunter2"),
            },
            "auth=user=auditship password=<set>",
        ),
        (
            "token = \"${SECRET}\"\n".to_string(),
            NatsAuth::Token(Secret::new("hunter2")),
            "auth=token=<set>",
        ),
        (
            format!("nkey = \"{seed}\"\n"),
            NatsAuth::Nkey(Secret::new(seed.clone())),
            "auth=nkey=<set>",
        ),
        (
            "credentials = \"/etc/auditship/nats.creds\"\n".to_string(),
            NatsAuth::Credentials("/etc/auditship/nats.creds".into()),
            "auth=credentials=/etc/auditship/nats.creds",
        ),
    ] {
        let config = load_text(&sink(&keys)).unwrap();
        assert_eq!(nats(&config).auth.as_ref(), Some(&expected));
        let described = config.describe();
        assert!(described.contains(shown), "{described}");
        for secret in ["hunter2", seed.as_str()] {
            assert!(!described.contains(secret) && !format!("{config:?}").contains(secret));
        }
    }
}

#[test]
fn authentication_problems_are_named_without_showing_secrets() {
    let found = problem(&sink("token = \"${SECRET}\"\nnkey = \"${SECRET}\"\n"));
    assert!(found.contains("cannot be used with \"token\""), "{found}");
    let found = problem(&sink("password = \"${SECRET}\"\n"));
    assert!(found.contains("needs \"user\" as well"), "{found}");
    let found = problem(&sink("nkey = \"${SECRET}\"\n"));
    assert!(found.contains("is not a user nkey seed"), "{found}");
    assert!(!found.contains("hunter2"), "{found}");
}

#[test]
fn urls_and_subject_templates_that_cannot_work_are_refused() {
    let text = sink("").replace("nats://nats-2:4222", "http://u:${SECRET}@h:80");
    let found = problem(&text);
    assert!(found.contains("entry 2 is not a server URL"), "{found}");
    assert!(!found.contains("hunter2"), "{found}");
    let found = problem(&sink("").replace("{action}", "{action"));
    assert!(found.contains("without its '}'"), "{found}");
    let found = problem(&sink("").replace("audit.", "audit.>."));
    assert!(found.contains("wildcard"), "{found}");
    let found =
        problem(&sink("").replace("[\"nats://nats-1:4222\", \"nats://nats-2:4222\"]", "[]"));
    assert!(found.contains("at least one server"), "{found}");
}

#[test]
fn stream_settings_are_checked() {
    let found = problem(&sink("create_stream = { name = \"AU.DIT\" }\n"));
    assert!(found.contains("is not a stream name"), "{found}");
    let found = problem(&sink(
        "create_stream = { name = \"AUDIT\", replicas = 7 }\n",
    ));
    assert!(found.contains("1 to 5 copies"), "{found}");
    let found = problem(&sink(
        "create_stream = { name = \"AUDIT\", max_age = \"1m\", duplicate_window = \"5m\" }\n",
    ));
    assert!(found.contains("must not be longer than max_age"), "{found}");
    let text = sink("create_stream = { name = \"AUDIT\", max_age = \"1m\" }\n");
    let config = load_text(&text).unwrap();
    let stream = nats(&config).create_stream.clone().unwrap();
    assert_eq!(stream.duplicate_window, Duration::from_secs(60));
    let found = problem(&sink("tls = { server_name = \"nats.example.com\" }\n"));
    assert!(
        found.contains("server_name is not supported by the nats sink"),
        "{found}"
    );
}

#[test]
fn urls_in_every_form_the_client_takes_are_accepted() {
    let text = sink("").replace(
        "\"nats://nats-2:4222\"",
        "\"tls://nats.example.com:4222\", \"nats-3:4222\", \"nats://u:p@[::1]:4222\"",
    );
    let config = load_text(&text).unwrap();
    assert_eq!(nats(&config).urls.len(), 4);
    let described = config.describe();
    assert!(
        described.contains("urls=[nats://nats-1:4222, tls://nats.example.com:4222, nats://nats-3:4222, nats://::1:4222]"),
        "{described}"
    );
    for bad in ["ws://h:80", "nats://u:${SECRET}@h:99999"] {
        let found = problem(&sink("").replace("nats://nats-2:4222", bad));
        assert!(found.contains("entry 2"), "{found}");
        assert!(!found.contains("hunter2"), "{found}");
    }
}
