//! The per-group state of a rule, in bounded memory: sliding-window
//! counters for `threshold` and cooldown timers for `cooldown`.
//!
//! Time is milliseconds on the caller's clock (the agent passes wall-clock
//! time at evaluation; tests pass whatever they like), so everything here is
//! pure and replayable.
//!
//! Threshold: a group fires when `count` events fall within `window`: an
//! event at `t` counts with earlier ones at `t0` when `t - t0 < window`.
//! Firing empties the group's window, so the next alert needs `count` new
//! events. At most `max_groups` groups are tracked; a new group beyond that
//! evicts the least recently seen one (counted in `evicted`), so a flood of
//! distinct keys (a password-spraying attack) cannot exhaust memory.

use std::collections::{BTreeMap, HashMap, VecDeque};

/// Groups tracked per rule by default.
pub const DEFAULT_MAX_GROUPS: usize = 10_000;

#[derive(Debug)]
struct Group {
    times: VecDeque<u64>,
    /// Key into `ThresholdWindows::by_age`.
    age: (u64, u64),
}

/// Sliding-window counters of one threshold rule.
#[derive(Debug)]
pub struct ThresholdWindows {
    count: usize,
    window_ms: u64,
    max_groups: usize,
    groups: HashMap<String, Group>,
    /// (last seen, tie-breaker) → group key, oldest first.
    by_age: BTreeMap<(u64, u64), String>,
    next_tie: u64,
    /// Groups dropped to stay within `max_groups`.
    pub evicted: u64,
}

impl ThresholdWindows {
    pub fn new(count: u32, window_ms: u64, max_groups: usize) -> ThresholdWindows {
        ThresholdWindows {
            count: count.max(1) as usize,
            window_ms,
            max_groups: max_groups.max(1),
            groups: HashMap::new(),
            by_age: BTreeMap::new(),
            next_tie: 0,
            evicted: 0,
        }
    }

    /// Records one event of `key` at `now`; `Some(count)` when the group
    /// reached its threshold (and was emptied).
    pub fn record(&mut self, key: &str, now: u64) -> Option<u32> {
        self.next_tie += 1;
        let age = (now, self.next_tie);
        if !self.groups.contains_key(key) {
            while self.groups.len() >= self.max_groups {
                let Some((_, oldest)) = self.by_age.pop_first() else {
                    break;
                };
                self.groups.remove(&oldest);
                self.evicted += 1;
            }
            self.groups.insert(
                key.to_string(),
                Group {
                    times: VecDeque::new(),
                    age,
                },
            );
        } else if let Some(group) = self.groups.get(key) {
            self.by_age.remove(&group.age);
        }
        self.by_age.insert(age, key.to_string());
        let group = self.groups.get_mut(key).expect("inserted above");
        group.age = age;
        let window = self.window_ms;
        while group
            .times
            .front()
            .is_some_and(|&t| now.saturating_sub(t) >= window)
        {
            group.times.pop_front();
        }
        group.times.push_back(now);
        if group.times.len() >= self.count {
            let reached = group.times.len() as u32;
            group.times.clear();
            return Some(reached);
        }
        None
    }

    pub fn tracked_groups(&self) -> usize {
        self.groups.len()
    }
}

#[derive(Debug)]
struct Quiet {
    until: u64,
    suppressed: u64,
}

/// Cooldown timers: after a key fired it stays quiet for `cooldown`; what
/// it would have sent meanwhile is counted and reported with the next one.
#[derive(Debug)]
pub struct Cooldowns {
    cooldown_ms: u64,
    max_keys: usize,
    keys: HashMap<String, Quiet>,
}

/// What a cooldown says about one would-be notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Send it; `suppressed` were held back since the previous one.
    Send { suppressed: u64 },
    /// Held back (counted).
    Suppressed,
}

impl Cooldowns {
    pub fn new(cooldown_ms: u64, max_keys: usize) -> Cooldowns {
        Cooldowns {
            cooldown_ms,
            max_keys: max_keys.max(1),
            keys: HashMap::new(),
        }
    }

    pub fn check(&mut self, key: &str, now: u64) -> Gate {
        if self.cooldown_ms == 0 {
            return Gate::Send { suppressed: 0 };
        }
        if let Some(quiet) = self.keys.get_mut(key) {
            if now < quiet.until {
                quiet.suppressed += 1;
                return Gate::Suppressed;
            }
            let suppressed = std::mem::take(&mut quiet.suppressed);
            quiet.until = now + self.cooldown_ms;
            return Gate::Send { suppressed };
        }
        if self.keys.len() >= self.max_keys {
            // Expired timers with nothing held back carry no information.
            self.keys.retain(|_, q| now < q.until || q.suppressed > 0);
            if self.keys.len() >= self.max_keys {
                if let Some(oldest) = self
                    .keys
                    .iter()
                    .min_by_key(|(_, q)| q.until)
                    .map(|(k, _)| k.clone())
                {
                    self.keys.remove(&oldest);
                }
            }
        }
        self.keys.insert(
            key.to_string(),
            Quiet {
                until: now + self.cooldown_ms,
                suppressed: 0,
            },
        );
        Gate::Send { suppressed: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eviction_keeps_the_most_recently_seen_groups() {
        let mut w = ThresholdWindows::new(2, 1000, 2);
        assert_eq!(w.record("a", 0), None);
        assert_eq!(w.record("b", 1), None);
        assert_eq!(w.record("a", 2), Some(2), "a is still tracked");
        assert_eq!(w.record("c", 3), None);
        assert_eq!(w.evicted, 1, "b, the least recently seen, was evicted");
        assert_eq!(w.tracked_groups(), 2);
        assert_eq!(w.record("b", 4), None, "b starts over");
        assert_eq!(w.evicted, 2);
    }
}
