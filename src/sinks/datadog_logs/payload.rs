//! Encoded logs → request bodies within Datadog's per-request limits:
//! a JSON array of at most [`MAX_LOGS_PER_REQUEST`] logs and at most
//! [`MAX_PAYLOAD_BYTES`] uncompressed, then gzipped when configured.
//!
//! Logs keep their order; a request holds a contiguous run of them, so
//! "the first n logs were accepted" is all the sink has to remember when a
//! later request of the same batch fails. Pure: no I/O.

use bytes::Bytes;

use crate::config::Compression;
use crate::sinks::compress::compress_body;

/// Datadog's limit per request (5 MB uncompressed, decimal), as an upper bound.
pub const MAX_PAYLOAD_BYTES: usize = 5_000_000;
/// Datadog's limit of logs in one array.
pub const MAX_LOGS_PER_REQUEST: usize = 1000;

/// Splits logs (each at most 1 MB, so any one fits) into runs that respect
/// both limits: `[start, end)` index ranges.
pub fn split_runs<T: AsRef<[u8]>>(logs: &[T]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut bytes = 2; // "[" and "]"
    for (i, log) in logs.iter().enumerate() {
        let size = log.as_ref().len() + usize::from(i > start); // ',' before all but the first
        let full = i - start == MAX_LOGS_PER_REQUEST || bytes + size > MAX_PAYLOAD_BYTES;
        if full && i > start {
            runs.push(start..i);
            start = i;
            bytes = 2 + log.as_ref().len();
        } else {
            bytes += size;
        }
    }
    if start < logs.len() {
        runs.push(start..logs.len());
    }
    runs
}

/// One request body: `[log,log,…]`, gzipped (fast level) when asked.
pub fn body<T: AsRef<[u8]>>(logs: &[T], compression: Compression) -> Bytes {
    let len: usize = logs.iter().map(|l| l.as_ref().len() + 1).sum::<usize>() + 1;
    let mut plain = Vec::with_capacity(len);
    plain.push(b'[');
    for (i, log) in logs.iter().enumerate() {
        if i > 0 {
            plain.push(b',');
        }
        plain.extend_from_slice(log.as_ref());
    }
    plain.push(b']');
    compress_body(plain, compression)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_batch_is_one_request() {
        let logs = vec![b"{}".to_vec(); 10];
        assert_eq!(split_runs(&logs), vec![0..10]);
        assert_eq!(&body(&logs[..2], Compression::None)[..], b"[{},{}]");
    }

    #[test]
    fn no_request_holds_more_than_1000_logs() {
        let logs = vec![b"{}".to_vec(); 2500];
        assert_eq!(split_runs(&logs), vec![0..1000, 1000..2000, 2000..2500]);
    }

    #[test]
    fn no_request_body_is_over_5_mb_uncompressed() {
        // 5 × 999,990 + 4 commas + 2 brackets fits; a sixth does not.
        let logs = vec![vec![b'x'; 999_990]; 12];
        let runs = split_runs(&logs);
        assert_eq!(runs, vec![0..5, 5..10, 10..12]);
        for run in runs {
            assert!(body(&logs[run], Compression::None).len() <= MAX_PAYLOAD_BYTES);
        }
        // One byte over the limit moves the fifth log to the next request.
        let over = vec![vec![b'x'; 999_999]; 5];
        assert_eq!(body(&over, Compression::None).len(), MAX_PAYLOAD_BYTES + 1);
        assert_eq!(split_runs(&over), vec![0..4, 4..5]);
    }

    #[test]
    fn an_empty_batch_has_no_request() {
        assert!(split_runs::<Vec<u8>>(&[]).is_empty());
    }
}
