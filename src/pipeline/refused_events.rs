//! Finding the events a destination refuses for good inside a batch it
//! refused as a whole, so that one bad event does not send its whole batch
//! to the dead-letter file.

use super::batch_delivery::DeliveryContext;
use crate::sinks::{DeliveryError, Sink};

/// Requests spent isolating refused events before concluding, with no part
/// accepted, that the destination refuses everything.
const MAX_FRUITLESS_ISOLATION_REQUESTS: usize = 32;

impl DeliveryContext {
    /// After the destination refused a whole batch for good: sends it again
    /// in halves, halving every refused part down to single events, and
    /// returns the events still refused (index in `lines`, status, answer).
    /// Accepted parts are delivered on the way; a few bad events among many
    /// cost about 2 × log2(batch) requests each. A destination that accepts
    /// nothing in the first [`MAX_FRUITLESS_ISOLATION_REQUESTS`] requests
    /// refuses everything (a configuration problem): what is left untested
    /// then counts as refused with the batch's first answer. A retryable
    /// failure stops the search: the whole batch is tried again later, so
    /// parts accepted meanwhile may be sent twice (at-least-once).
    pub(super) async fn isolate_refused(
        &self,
        sink: &mut Sink,
        lines: &[&[u8]],
        first_status: u16,
        first_answer: &str,
    ) -> Result<Vec<(usize, u16, String)>, DeliveryError> {
        let mut refused = Vec::new();
        let mut pending = vec![(0, lines.len() / 2), (lines.len() / 2, lines.len())];
        let mut requests = 0;
        let mut accepted_any = false;
        while let Some((start, end)) = pending.pop() {
            if start >= end {
                continue;
            }
            if !accepted_any && requests >= MAX_FRUITLESS_ISOLATION_REQUESTS {
                refused.extend((start..end).map(|i| (i, first_status, first_answer.to_string())));
                continue;
            }
            requests += 1;
            match self.send(sink, &lines[start..end]).await {
                Ok(()) => accepted_any = true,
                Err(DeliveryError::Permanent { status, body }) if end - start == 1 => {
                    refused.push((start, status, body));
                }
                Err(DeliveryError::Permanent { .. }) => {
                    let mid = start + (end - start) / 2;
                    pending.push((mid, end));
                    pending.push((start, mid));
                }
                Err(DeliveryError::PartiallyRejected { rejected, status }) => {
                    refused.extend(
                        rejected
                            .into_iter()
                            .filter(|(i, _)| start + i < end)
                            .map(|(i, reason)| (start + i, status, reason)),
                    );
                }
                Err(other) => return Err(other),
            }
        }
        refused.sort_by_key(|(index, _, _)| *index);
        Ok(refused)
    }
}
