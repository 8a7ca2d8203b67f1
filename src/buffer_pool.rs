//! Byte buffers handed from one pipeline stage to the next, given back for
//! reuse when the last user drops them.
//!
//! Why: a batch of lines, of encoded events or of journal records lives in
//! one buffer (hundreds of KiB) that is filled on one thread and dropped on
//! another. Freed to glibc's `malloc`, such buffers raise its mmap
//! threshold and then stay in its heaps between other allocations: the
//! file sink benchmark's peak RSS went from 27 to 42 MiB. Returned to the
//! operating system instead (a fixed mmap threshold), every batch pays page
//! faults again: 30 % more CPU. Reused, the same few buffers carry every
//! batch: no allocation, no fault, and RSS bounded by the pipeline's depth.
//!
//! A pool keeps at most `max_pooled` buffers of at most `max_capacity`
//! bytes each; others are freed as usual. Pools are statics, one per kind
//! of buffer, shared by every source and sink of the process.

use std::sync::Mutex;

use bytes::Bytes;

/// Buffers waiting for reuse; see the module doc.
pub struct BufferPool {
    free: Mutex<Vec<Vec<u8>>>,
    max_pooled: usize,
    max_capacity: usize,
}

impl BufferPool {
    pub const fn new(max_pooled: usize, max_capacity: usize) -> BufferPool {
        BufferPool {
            free: Mutex::new(Vec::new()),
            max_pooled,
            max_capacity,
        }
    }

    /// An empty buffer with room for at least `capacity` bytes: a pooled
    /// one if any.
    pub fn take(&self, capacity: usize) -> Vec<u8> {
        let pooled = self.lock().pop();
        match pooled {
            Some(mut buffer) => {
                buffer.reserve_exact(capacity);
                buffer
            }
            None => Vec::with_capacity(capacity),
        }
    }

    /// Keeps `buffer` for a later [`take`](Self::take), unless the pool is
    /// full or the buffer too big (or unallocated).
    pub fn give_back(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() == 0 || buffer.capacity() > self.max_capacity {
            return;
        }
        buffer.clear();
        let mut free = self.lock();
        if free.len() < self.max_pooled {
            free.push(buffer);
        }
    }

    /// `buffer` as shared bytes to slice; it comes back to this pool when
    /// the last slice is dropped.
    pub fn freeze(&'static self, buffer: Vec<u8>) -> Bytes {
        Bytes::from_owner(Pooled { buffer, pool: self })
    }

    /// Buffers waiting now.
    pub fn pooled(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        // A panic elsewhere cannot leave the list half-changed.
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The owner of a frozen buffer: gives it back when dropped.
struct Pooled {
    buffer: Vec<u8>,
    pool: &'static BufferPool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_buffer_comes_back_when_its_last_slice_is_dropped() {
        static POOL: BufferPool = BufferPool::new(2, 1 << 20);
        let mut buffer = POOL.take(64);
        buffer.extend_from_slice(b"hello world");
        let address = buffer.as_ptr();
        let bytes = POOL.freeze(buffer);
        let (hello, world) = (bytes.slice(..5), bytes.slice(6..));
        drop(bytes);
        drop(hello);
        assert_eq!(POOL.pooled(), 0, "a slice is still alive");
        assert_eq!(&world[..], b"world");
        drop(world);
        assert_eq!(POOL.pooled(), 1);
        let again = POOL.take(16);
        assert_eq!((again.as_ptr(), again.len()), (address, 0), "not reused");
        assert!(again.capacity() >= 64);
    }

    #[test]
    fn keeps_at_most_max_pooled_buffers_of_at_most_max_capacity() {
        static POOL: BufferPool = BufferPool::new(2, 1024);
        for _ in 0..3 {
            POOL.give_back(Vec::with_capacity(100));
        }
        POOL.give_back(Vec::with_capacity(4096));
        POOL.give_back(Vec::new());
        assert_eq!(POOL.pooled(), 2);
        let reused = POOL.take(2000);
        assert!(reused.capacity() >= 2000, "grown to what was asked");
        assert_eq!(POOL.pooled(), 1);
    }
}
