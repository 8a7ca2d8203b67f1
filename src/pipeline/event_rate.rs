//! [`EventRateLimit`]: a sink's `rate_limit.events_per_second`, enforced
//! before each batch is sent (a GCRA bucket from `governor`).
//!
//! A batch of n events waits for n cells. The bucket holds `burst` cells:
//! the runner reads batches of at most `burst` events (the smaller of
//! `batch.max_events` and the rate), so one batch never needs more than a
//! full bucket and at most about one second of sending goes out at once. A
//! larger request is taken in bucket-sized parts anyway. Retries of a batch
//! take no new cells: the limit is on the events a sink hands out.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Limits the events per second one sink sends.
#[derive(Debug)]
pub struct EventRateLimit {
    limiter: DefaultDirectRateLimiter,
    burst: NonZeroU32,
}

impl EventRateLimit {
    /// `events_per_second` sustained, `burst` at most at once.
    pub fn new(events_per_second: NonZeroU32, burst: NonZeroU32) -> EventRateLimit {
        let quota = Quota::per_second(events_per_second).allow_burst(burst);
        EventRateLimit {
            limiter: RateLimiter::direct(quota),
            burst,
        }
    }

    /// The largest batch that should be read: one full bucket.
    pub fn burst(&self) -> usize {
        self.burst.get() as usize
    }

    /// Waits until `events` more may be sent.
    pub async fn acquire(&self, events: usize) {
        let mut left = events;
        while left > 0 {
            let part = left.min(self.burst.get() as usize);
            left -= part;
            let Some(cells) = NonZeroU32::new(part as u32) else {
                return;
            };
            // `part` never exceeds the bucket, so capacity always suffices.
            let _ = self.limiter.until_n_ready(cells).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn events_beyond_the_burst_wait_for_the_rate() {
        let limit = EventRateLimit::new(
            NonZeroU32::new(1000).unwrap(),
            NonZeroU32::new(100).unwrap(),
        );
        let started = Instant::now();
        limit.acquire(100).await; // the full bucket: at once
        assert!(started.elapsed() < Duration::from_millis(50));
        limit.acquire(250).await; // 250 more at 1000/s, in parts of 100
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
    }
}
