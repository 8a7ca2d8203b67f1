//! Rate limiting for warnings a peer can trigger at will (refused
//! connections, dropped datagrams): the first is logged at once, the rest
//! at most once per [`INTERVAL`] with how many were suppressed — so a
//! flood of bad peers cannot flood the log.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shortest time between two logged warnings of one kind.
pub const INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct LogLimit {
    state: Mutex<(Option<Instant>, u64)>,
}

impl LogLimit {
    /// `Some(suppressed since the last one)` when this occurrence should be
    /// logged, `None` when it is to be counted silently.
    pub fn check(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match state.0 {
            Some(last) if now.duration_since(last) < INTERVAL => {
                state.1 += 1;
                None
            }
            _ => {
                let suppressed = state.1;
                *state = (Some(now), 0);
                Some(suppressed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_of_a_burst_is_logged() {
        let limit = LogLimit::default();
        assert_eq!(limit.check(), Some(0));
        assert_eq!(limit.check(), None);
        assert_eq!(limit.check(), None);
    }
}
