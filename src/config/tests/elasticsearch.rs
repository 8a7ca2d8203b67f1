//! The `elasticsearch` sink's keys: defaults, targets, credentials, and
//! messages that never show a credential.

use super::*;

const SOURCE: &str = r#"
[sources.app]
type = "file"
include = ["/var/log/app/*.log"]
"#;

fn sink(keys: &str) -> String {
    format!("{SOURCE}[sinks.es]\ntype = \"elasticsearch\"\nendpoint = \"https://es.example.com:9200\"\n{keys}")
}

fn es(config: &Config) -> &ElasticsearchSinkConfig {
    match &config.sinks[0].kind {
        SinkKind::Elasticsearch(es) => es,
        other => panic!("{other:?}"),
    }
}

#[test]
fn defaults_are_a_daily_index_gzip_and_no_credentials() {
    let config = load_text(&sink("")).unwrap();
    let es = es(&config);
    assert_eq!(
        es.target,
        ElasticsearchTarget::Index("auditship-%Y.%m.%d".into())
    );
    assert_eq!(es.auth, None);
    assert_eq!(es.compression, Compression::Gzip);
    assert_eq!(es.max_request_bytes, 10 * 1024 * 1024);
    assert_eq!(es.request_timeout, Duration::from_secs(30));
}

#[test]
fn a_data_stream_with_an_api_key_and_a_pipeline() {
    let text =
        sink("data_stream = \"logs-audit-prod\"\napi_key = \"${SECRET}\"\npipeline = \"geoip\"\n");
    let config = load_text(&text).unwrap();
    let es = es(&config);
    assert_eq!(
        es.target,
        ElasticsearchTarget::DataStream("logs-audit-prod".into())
    );
    assert_eq!(
        es.auth,
        Some(ElasticsearchAuth::ApiKey(Secret::new("hunter2")))
    );
    assert_eq!(es.pipeline.as_deref(), Some("geoip"));
}

#[test]
fn index_and_data_stream_together_are_refused() {
    let found = problem(&sink("index = \"a\"\ndata_stream = \"b\"\n"));
    assert!(
        found.contains("\"data_stream\" in [sinks.es]: cannot be used with \"index\""),
        "{found}"
    );
}

#[test]
fn index_names_follow_elasticsearchs_rules_after_formatting() {
    let found = problem(&sink("index = \"Audit-%Y\"\n"));
    assert!(found.contains("must be lower case"), "{found}");
    let found = problem(&sink("index = \"audit %Y\"\n"));
    assert!(found.contains("must not contain ' '"), "{found}");
    let found = problem(&sink("index = \"_audit\"\n"));
    assert!(found.contains("must not start with"), "{found}");
    // %B (month name) would format upper case.
    let found = problem(&sink("index = \"audit-%B\"\n"));
    assert!(found.contains("must be lower case"), "{found}");
    assert!(load_text(&sink("index = \"audit-%Y.%m\"\n")).is_ok());
}

#[test]
fn credential_problems_never_show_the_credential() {
    let found = problem(&sink("user = \"ops\"\n"));
    assert!(found.contains("needs \"password\""), "{found}");
    let found = problem(&sink("password = \"${SECRET}\"\n"));
    assert!(found.contains("needs \"user\""), "{found}");
    assert!(!found.contains("hunter2"));
    let found = problem(&sink(
        "user = \"ops\"\npassword = \"${SECRET}\"\napi_key = \"${SECRET}\"\n",
    ));
    assert!(found.contains("choose one"), "{found}");
    assert!(!found.contains("hunter2"));
}

#[test]
fn the_endpoint_is_a_base_url() {
    let text = format!(
        "{SOURCE}[sinks.es]\ntype = \"elasticsearch\"\nendpoint = \"https://es:9200/_bulk\"\n"
    );
    assert!(problem(&text).contains("without /_bulk"));
    let text = format!(
        "{SOURCE}[sinks.es]\ntype = \"elasticsearch\"\nendpoint = \"https://u:p@es:9200\"\n"
    );
    assert!(problem(&text).contains("must not contain user info"));
}
