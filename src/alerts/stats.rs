//! Counters of alerting, shared with `/metrics`: per rule (fired,
//! suppressed by cooldown, not enqueued because the outbox was behind,
//! events summarised in digests) and for the whole engine. Written by the
//! engine task and the service, read by the admin endpoint; relaxed
//! atomics, no locks.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::delivery::ChannelCounts;

/// Counters of one `[alerts.ID]`.
#[derive(Debug, Default)]
pub struct RuleCounts {
    pub id: String,
    /// Notifications fired (digests included).
    pub fired: AtomicU64,
    /// Held back by `cooldown`.
    pub suppressed: AtomicU64,
    /// Fired but not written to the outbox (its queue was full).
    pub not_enqueued: AtomicU64,
    /// Matching events summarised by `digest`.
    pub digested: AtomicU64,
}

/// Everything `/metrics` shows about alerting.
#[derive(Debug, Default)]
pub struct AlertStats {
    pub rules: Vec<RuleCounts>,
    /// Rule hits dropped because the engine was behind.
    pub hits_dropped: AtomicU64,
    /// Per channel id: delivered, failed attempts, given up.
    pub channels: Vec<(String, Arc<ChannelCounts>)>,
}

impl AlertStats {
    pub fn for_rules<'a>(ids: impl IntoIterator<Item = &'a str>) -> AlertStats {
        AlertStats {
            rules: ids
                .into_iter()
                .map(|id| RuleCounts {
                    id: id.to_string(),
                    ..RuleCounts::default()
                })
                .collect(),
            ..AlertStats::default()
        }
    }
}
