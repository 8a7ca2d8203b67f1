//! `[sinks.ID]` with `type = "elasticsearch"`, as written.

use serde::Deserialize;

use super::located::Located;
use super::units::NumberOrText;

/// `[sinks.ID]` with `type = "elasticsearch"`: events as ECS documents
/// through the `_bulk` API of Elasticsearch 7/8 or OpenSearch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawElasticsearchSink {
    /// Base URL of the cluster, e.g. `"https://es.example.com:9200"`;
    /// `/_bulk` is appended. Required.
    pub endpoint: Located<String>,
    /// Index name, strftime fields filled from each event's time (UTC).
    /// Default `"auditship-%Y.%m.%d"`. Not with `data_stream`.
    pub index: Option<Located<String>>,
    /// A data stream to write to instead of an index, e.g.
    /// `"logs-auditship-default"`. Not with `index`.
    pub data_stream: Option<Located<String>>,
    /// Basic authentication user; needs `password`.
    pub user: Option<Located<String>>,
    /// Basic authentication password, e.g. `"${ES_PASSWORD}"`. Never printed.
    pub password: Option<Located<String>>,
    /// An API key (the base64 `encoded` value), sent as
    /// `Authorization: ApiKey …`. Not with `user`. Never printed.
    pub api_key: Option<Located<String>>,
    /// Ingest pipeline to run on every document. Default: none.
    pub pipeline: Option<Located<String>>,
    /// `"gzip"` (default) or `"none"`.
    pub compression: Option<Located<String>>,
    /// Most bytes of one `_bulk` body before compression. Default `"10MiB"`.
    pub max_request_bytes: Option<Located<NumberOrText>>,
    /// Longest wait for one request. Default `"30s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
}
