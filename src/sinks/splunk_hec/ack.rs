//! Indexer acknowledgement: the channel of a sink, and polling
//! `POST /services/collector/ack` until Splunk says the events are indexed.
//!
//! Each sink has one channel (a random UUID, made at start), sent as
//! `X-Splunk-Request-Channel` on every request; HEC hands out `ackId`s per
//! channel. After a batch is posted its ids are polled with
//! `{"acks":[ids]}`; HEC answers `{"acks":{"N":true|false}}` and forgets an
//! id once it has reported it true.
//!
//! Schedule: the first poll 50 ms after the batch, then waits doubling up
//! to 1 s, until every id is true or `ack_timeout` has passed since the
//! batch was posted. A poll that fails (no answer, 5xx) is simply repeated
//! on that schedule; 401/403 stop the wait as rejected credentials. When
//! the time is up the batch is retryable: it is sent again (events whose
//! ids did come back are not), so a late acknowledgement can mean one
//! duplicate, never a loss.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::client::HecClient;
use super::response::{ack_query, acked_ids, HecReply};
use crate::config::format_duration;
use crate::sinks::DeliveryError;

pub const ACK_PATH: &str = "/services/collector/ack";
const FIRST_POLL: Duration = Duration::from_millis(50);
const LONGEST_POLL_WAIT: Duration = Duration::from_secs(1);

/// A random version-4 UUID for the sink's channel. Random enough without
/// a RNG crate: SHA-256 of the time, the process id and a counter.
pub fn new_channel_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(nanos.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hasher.update(format!("{:p}", &COUNTER).as_bytes());
    let mut bytes: [u8; 16] = hasher.finalize()[..16].try_into().unwrap_or([0; 16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Polls until every id of `pending` is acknowledged (ids are removed as
/// they come back) or `timeout` passes since `posted_at`.
pub async fn wait_for_acks(
    client: &HecClient,
    pending: &mut HashSet<u64>,
    posted_at: Instant,
    timeout: Duration,
) -> Result<(), DeliveryError> {
    let deadline = posted_at + timeout;
    let mut wait = FIRST_POLL;
    let mut last_problem = String::new();
    while !pending.is_empty() {
        let now = Instant::now();
        if now >= deadline {
            return Err(DeliveryError::Retryable {
                reason: format!(
                    "{} of the batch's requests not acknowledged by the indexers within ack_timeout ({}){}; sending them again",
                    pending.len(),
                    format_duration(timeout),
                    last_problem
                ),
                retry_after: None,
            });
        }
        tokio::time::sleep(wait.min(deadline - now)).await;
        wait = (wait * 2).min(LONGEST_POLL_WAIT);
        let mut ids: Vec<u64> = pending.iter().copied().collect();
        ids.sort_unstable();
        match client
            .post(ACK_PATH, Bytes::from(ack_query(&ids)), false)
            .await
        {
            Ok(answer) if (200..300).contains(&answer.status) => {
                for id in acked_ids(&answer.body) {
                    pending.remove(&id);
                }
            }
            Ok(answer) if matches!(answer.status, 401 | 403) => {
                return Err(DeliveryError::CredentialsRejected {
                    status: answer.status,
                })
            }
            Ok(answer) => {
                let reply = HecReply::parse(&answer.body);
                last_problem = format!(
                    " (last poll: HTTP {}{})",
                    answer.status,
                    reply.text.map(|t| format!(", {t}")).unwrap_or_default()
                );
                tracing::debug!(
                    status = answer.status,
                    "Acknowledgement poll refused; polling again."
                );
            }
            Err(error) => {
                last_problem = format!(" (last poll: {error})");
                tracing::debug!(%error, "Acknowledgement poll failed; polling again.");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_are_distinct_version_4_uuids() {
        let a = new_channel_id();
        let b = new_channel_id();
        assert_ne!(a, b);
        for id in [&a, &b] {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12]
            );
            assert!(parts[2].starts_with('4'), "{id}");
            assert!("89ab".contains(&parts[3][..1]), "{id}");
            assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        }
    }
}
