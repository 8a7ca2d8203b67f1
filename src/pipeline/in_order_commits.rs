//! [`InOrderCommits`]: which journal position a sink may acknowledge while
//! several of its batches are in flight.
//!
//! Batches are read from the cursor in seq order and delivered
//! concurrently, so they finish in any order. The cursor stores one
//! number — "everything before this is delivered" — so it may only move
//! past a batch once that batch *and every batch read before it* is done.
//! A batch that keeps failing therefore holds the commit point, and a
//! crash or a shutdown at any moment leaves nothing undelivered behind the
//! saved position (the batches after it may be sent again: at-least-once).
//!
//! Pure bookkeeping, no I/O: the runner does the reading and committing.

use std::collections::VecDeque;

/// Identifies one batch handed out by [`InOrderCommits::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchTicket(u64);

/// The batches read but not yet acknowledged, oldest first.
#[derive(Debug, Default)]
pub struct InOrderCommits {
    /// (last journal seq of the batch, done?) for tickets
    /// `first_ticket..first_ticket + pending.len()`.
    pending: VecDeque<(u64, bool)>,
    first_ticket: u64,
}

impl InOrderCommits {
    pub fn new() -> InOrderCommits {
        InOrderCommits::default()
    }

    /// Registers the next batch read from the cursor; `last_seq` is the seq
    /// of its last journal record (filtered out or not). Batches must be
    /// pushed in read order.
    pub fn push(&mut self, last_seq: u64) -> BatchTicket {
        debug_assert!(
            self.pending.back().is_none_or(|(seq, _)| *seq < last_seq),
            "batches must be pushed in journal order"
        );
        let ticket = BatchTicket(self.first_ticket + self.pending.len() as u64);
        self.pending.push_back((last_seq, false));
        ticket
    }

    /// Marks a batch delivered (or dead-lettered, or dropped): finished
    /// with, as far as the journal is concerned. Unknown or already
    /// committed tickets are ignored.
    pub fn complete(&mut self, ticket: BatchTicket) {
        let Some(index) = ticket.0.checked_sub(self.first_ticket) else {
            return;
        };
        if let Some(entry) = self.pending.get_mut(index as usize) {
            entry.1 = true;
        }
    }

    /// Removes the finished batches at the front and returns the seq the
    /// cursor may now be committed through, if it moved.
    pub fn take_committable(&mut self) -> Option<u64> {
        let mut through = None;
        while let Some(&(last_seq, true)) = self.pending.front() {
            self.pending.pop_front();
            self.first_ticket += 1;
            through = Some(last_seq);
        }
        through
    }

    /// Batches read and not yet committed (in flight, or done but waiting
    /// for an earlier one).
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_done_in_order_commit_one_by_one() {
        let mut commits = InOrderCommits::new();
        let a = commits.push(10);
        let b = commits.push(20);
        commits.complete(a);
        assert_eq!(commits.take_committable(), Some(10));
        assert_eq!(commits.take_committable(), None);
        commits.complete(b);
        assert_eq!(commits.take_committable(), Some(20));
        assert!(commits.is_empty());
    }

    #[test]
    fn a_later_batch_done_first_waits_for_the_earlier_one() {
        let mut commits = InOrderCommits::new();
        let a = commits.push(10);
        let b = commits.push(20);
        let c = commits.push(30);
        commits.complete(c);
        commits.complete(b);
        assert_eq!(
            commits.take_committable(),
            None,
            "batch a holds the commit point"
        );
        assert_eq!(commits.len(), 3);
        commits.complete(a);
        assert_eq!(commits.take_committable(), Some(30), "all three at once");
        assert!(commits.is_empty());
    }

    #[test]
    fn an_unfinished_batch_holds_the_commit_point_forever() {
        let mut commits = InOrderCommits::new();
        let a = commits.push(5);
        let stuck = commits.push(9);
        let c = commits.push(12);
        commits.complete(a);
        commits.complete(c);
        assert_eq!(commits.take_committable(), Some(5));
        for _ in 0..3 {
            assert_eq!(commits.take_committable(), None);
        }
        assert_eq!(commits.len(), 2);
        commits.complete(stuck);
        assert_eq!(commits.take_committable(), Some(12));
    }

    #[test]
    fn tickets_stay_valid_across_commits_and_stale_ones_are_ignored() {
        let mut commits = InOrderCommits::new();
        let a = commits.push(1);
        commits.complete(a);
        assert_eq!(commits.take_committable(), Some(1));
        let b = commits.push(2);
        let c = commits.push(3);
        commits.complete(a); // already committed: no effect
        assert_eq!(commits.take_committable(), None);
        commits.complete(c);
        assert_eq!(commits.take_committable(), None);
        commits.complete(b);
        assert_eq!(commits.take_committable(), Some(3));
    }

    #[test]
    fn random_completion_orders_never_commit_past_an_unfinished_batch() {
        // A small deterministic shuffle over many orders.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200 {
            let mut commits = InOrderCommits::new();
            let tickets: Vec<(BatchTicket, u64)> =
                (1..=8u64).map(|i| (commits.push(i * 10), i * 10)).collect();
            let mut order: Vec<usize> = (0..tickets.len()).collect();
            for i in (1..order.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            let mut done = [false; 8];
            let mut committed = 0;
            for index in order {
                done[index] = true;
                commits.complete(tickets[index].0);
                if let Some(through) = commits.take_committable() {
                    assert!(through > committed);
                    committed = through;
                }
                let prefix = done.iter().take_while(|d| **d).count();
                let expected = if prefix == 0 {
                    0
                } else {
                    tickets[prefix - 1].1
                };
                assert_eq!(committed, expected);
            }
            assert_eq!(committed, 80);
        }
    }
}
