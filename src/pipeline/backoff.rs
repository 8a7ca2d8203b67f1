//! [`Backoff`]: how long a sink waits before trying a failed batch again,
//! from the sink's `retry = { initial, max, jitter }`.
//!
//! The ceiling starts at `initial` and doubles after every failure up to
//! `max`. With `jitter` (the default) each wait is uniform in
//! `[0, ceiling]` ("full jitter"), so many agents retrying against one
//! recovering destination do not arrive in lock step; without it the wait
//! is the ceiling itself. A server's `Retry-After` is honoured on top of
//! this by the caller (the wait is at least what the server asked).

use std::time::Duration;

use crate::config::RetryConfig;

/// The shortest wait ever returned, so a failing sink cannot spin.
const MIN_DELAY: Duration = Duration::from_millis(10);

/// Exponential back-off, optionally with full jitter.
#[derive(Debug)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    jitter: bool,
    attempt: u32,
    seed: u64,
}

impl Backoff {
    /// 200 ms doubling to 60 s with full jitter: the defaults of `retry`.
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff::from_config(&RetryConfig {
            initial,
            max,
            ..RetryConfig::default()
        })
    }

    pub fn from_config(config: &RetryConfig) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        Backoff {
            initial: config.initial,
            max: config.max.max(config.initial),
            jitter: config.jitter,
            attempt: 0,
            seed: seed | 1,
        }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .initial
            .saturating_mul(1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        if !self.jitter {
            return ceiling.max(MIN_DELAY);
        }
        // xorshift64: jitter needs no cryptographic quality.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let fraction = (self.seed >> 11) as f64 / (1u64 << 53) as f64;
        ceiling.mul_f64(fraction).max(MIN_DELAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(1)));
        assert!(delays[0] <= Duration::from_millis(100));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn without_jitter_the_waits_double_exactly_up_to_max() {
        let mut b = Backoff::from_config(&RetryConfig {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(300),
            jitter: false,
            max_elapsed: None,
        });
        let delays: Vec<u128> = (0..6).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, [50, 100, 200, 300, 300, 300]);
    }

    #[test]
    fn jittered_waits_vary_and_stay_under_the_ceiling() {
        let mut b = Backoff::from_config(&RetryConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(1),
            jitter: true,
            max_elapsed: None,
        });
        let delays: Vec<Duration> = (0..50).map(|_| b.next_delay()).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(1)));
        assert!(delays.iter().any(|d| *d != delays[0]), "{delays:?}");
    }
}
