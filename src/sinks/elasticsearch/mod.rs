//! `elasticsearch` sink: events as ECS documents through the `_bulk` API
//! (Elasticsearch 7/8, OpenSearch, Wazuh indexer).
//!
//! One role per file: `ecs` maps an event to an ECS document; `bulk`
//! builds the request body and reads the per-item response.

pub mod bulk;
pub mod ecs;
mod sink;

pub use sink::ElasticsearchSink;

#[cfg(test)]
mod tests;
