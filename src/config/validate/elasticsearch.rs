//! Validation of the `elasticsearch` sink: endpoint, index or data stream
//! name, credentials. Messages never show a password or key.

use chrono::{TimeZone, Utc};

use super::super::located::Located;
use super::super::raw_sinks::RawElasticsearchSink;
use super::Validator;
use crate::config::types::*;

pub const DEFAULT_INDEX: &str = "auditship-%Y.%m.%d";

impl Validator {
    /// `type = "elasticsearch"`.
    pub(super) fn elasticsearch_sink(
        &mut self,
        table: &[String],
        raw: RawElasticsearchSink,
    ) -> Option<ElasticsearchSinkConfig> {
        let before = self.problems.len();
        let endpoint = &raw.endpoint;
        if let Err(message) = check_endpoint(&endpoint.value) {
            let message = format!("\"{}\" {message}", endpoint.shown());
            self.invalid(endpoint.at(), table, "endpoint", message);
        }
        let target = match (&raw.index, &raw.data_stream) {
            (Some(_), Some(stream)) => {
                let message = "cannot be used with \"index\"; write one of them".to_string();
                self.invalid(stream.at(), table, "data_stream", message);
                None
            }
            (_, Some(stream)) => {
                self.index_name(table, "data_stream", stream, &stream.value);
                Some(ElasticsearchTarget::DataStream(stream.value.clone()))
            }
            (Some(index), None) => {
                let sample = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
                let mut formatted = String::new();
                let pattern_ok = std::fmt::write(
                    &mut formatted,
                    format_args!("{}", sample.format(&index.value)),
                )
                .is_ok();
                if pattern_ok {
                    self.index_name(table, "index", index, &formatted);
                } else {
                    let message = format!("\"{}\" has an invalid strftime field (use %Y, %m, %d…; %% for a percent sign)", index.shown());
                    self.invalid(index.at(), table, "index", message);
                }
                Some(ElasticsearchTarget::Index(index.value.clone()))
            }
            (None, None) => Some(ElasticsearchTarget::Index(DEFAULT_INDEX.into())),
        };
        let auth = self.elasticsearch_auth(table, &raw);
        let pipeline = raw.pipeline.as_ref().map(|pipeline| {
            let ok = !pipeline.value.is_empty()
                && pipeline
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                let message = "must be an ingest pipeline name (letters, digits, - _ .)".into();
                self.invalid(pipeline.at(), table, "pipeline", message);
            }
            pipeline.value.clone()
        });
        let encoding = self.choice(
            table,
            "encoding",
            &raw.encoding,
            &[
                ("ecs", EventEncoding::Native),
                ("ocsf", EventEncoding::Ocsf),
            ],
            EventEncoding::Native,
        );
        let compression = self.choice(
            table,
            "compression",
            &raw.compression,
            &[("gzip", Compression::Gzip), ("none", Compression::None)],
            Compression::Gzip,
        );
        let max_request_bytes = self.size(
            table,
            "max_request_bytes",
            &raw.max_request_bytes,
            10 * 1024 * 1024,
            1024,
        );
        let request_timeout = self.request_timeout(table, &raw.request_timeout);
        (self.problems.len() == before).then(|| ElasticsearchSinkConfig {
            endpoint: endpoint.value.clone(),
            target: target.expect("checked above"),
            auth,
            pipeline,
            encoding,
            compression,
            max_request_bytes: usize::try_from(max_request_bytes).unwrap_or(usize::MAX),
            request_timeout,
            tls: TlsConfig::default(),
        })
    }

    /// Elasticsearch's index-name rules, on `name` as it will be sent.
    fn index_name(&mut self, table: &[String], key: &str, at: &Located<String>, name: &str) {
        let problem = if name.is_empty() {
            Some("must not be empty".to_string())
        } else if name != name.to_lowercase() {
            Some("must be lower case (Elasticsearch refuses upper-case index names)".into())
        } else if name.starts_with(['-', '_', '+']) || name == "." || name == ".." {
            Some("must not start with -, _ or + nor be . or ..".into())
        } else if let Some(c) = name.chars().find(|c| {
            matches!(
                c,
                '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
            )
        }) {
            Some(format!("must not contain {c:?}"))
        } else if name.len() > 255 {
            Some("is longer than Elasticsearch's 255 bytes".into())
        } else {
            None
        };
        if let Some(problem) = problem {
            let message = format!("\"{}\" {problem}", at.shown());
            self.invalid(at.at(), table, key, message);
        }
    }

    fn elasticsearch_auth(
        &mut self,
        table: &[String],
        raw: &RawElasticsearchSink,
    ) -> Option<ElasticsearchAuth> {
        // Credentials are checked for shape only; never echoed.
        let mut credential = |key: &str, value: &Located<String>| {
            if value.value.trim().is_empty() {
                let message =
                    "must not be empty (check the environment variable or file it comes from)";
                self.invalid(value.at(), table, key, message.into());
            } else if value.value.chars().any(|c| c.is_control()) {
                let message = "contains a line break or another control character (check the environment variable or file it comes from)";
                self.invalid(value.at(), table, key, message.into());
            }
        };
        match (&raw.user, &raw.password, &raw.api_key) {
            (None, None, None) => None,
            (Some(user), Some(password), None) => {
                credential("user", user);
                credential("password", password);
                if user.value.contains(':') {
                    let message = "must not contain ':' (Basic authentication separates user and password with it)";
                    self.invalid(user.at(), table, "user", message.into());
                }
                Some(ElasticsearchAuth::Basic {
                    user: user.value.clone(),
                    password: Secret::new(password.value.clone()),
                })
            }
            (None, None, Some(key)) => {
                credential("api_key", key);
                Some(ElasticsearchAuth::ApiKey(Secret::new(key.value.clone())))
            }
            (Some(user), None, _) => {
                let message = "needs \"password\" as well (or use api_key alone)";
                self.invalid(user.at(), table, "user", message.into());
                None
            }
            (None, Some(password), _) => {
                let message = "needs \"user\" as well";
                self.invalid(password.at(), table, "password", message.into());
                None
            }
            (Some(_), Some(_), Some(key)) => {
                let message = "cannot be used with user and password; choose one";
                self.invalid(key.at(), table, "api_key", message.into());
                None
            }
        }
    }
}

/// Why `endpoint` cannot be a cluster's base URL, if it cannot.
fn check_endpoint(endpoint: &str) -> Result<(), &'static str> {
    let parsed: hyper::Uri = endpoint
        .parse()
        .map_err(|_| "is not a valid URL, e.g. \"https://es.example.com:9200\"")?;
    if !matches!(parsed.scheme_str(), Some("http" | "https")) {
        return Err("must start with https:// or http://");
    }
    match parsed.authority() {
        None => return Err("has no host, e.g. \"https://es.example.com:9200\""),
        Some(authority) if authority.as_str().contains('@') => {
            return Err(
                "must not contain user info (user:password@); use user and password, or api_key",
            )
        }
        Some(_) => {}
    }
    if parsed.query().is_some() {
        return Err("must not have a query string (it is a base URL; /_bulk is appended)");
    }
    if parsed.path().trim_end_matches('/').ends_with("/_bulk") {
        return Err("must be the cluster's base URL, without /_bulk (it is appended)");
    }
    Ok(())
}
