//! The engine's behaviour end to end: a real [`FileTailer::run`] on temp
//! directories, a real bounded channel, and a test pipeline that acks what
//! it receives (or not, to emulate a crash before durability).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::*;
use crate::config::StartAt;
use crate::shutdown::{self, ShutdownTrigger};

const PATIENCE: Duration = Duration::from_secs(20);

fn options(dir: &Path) -> TailerOptions {
    TailerOptions {
        include: vec![format!("{}/*.log", dir.display())],
        poll_interval: Duration::from_millis(20),
        glob_interval: Duration::from_millis(50),
        flush_partial_after: Duration::from_millis(300),
        rotated_grace: Duration::from_millis(200),
        checkpoint_interval: Duration::from_millis(50),
        ..TailerOptions::default()
    }
}

#[derive(Debug, Clone)]
struct Received {
    file: FileId,
    path: PathBuf,
    line: Line,
}

impl Received {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.line.bytes).into_owned()
    }
}

/// A running tailer and the test pipeline around it.
struct Running {
    trigger: ShutdownTrigger,
    task: JoinHandle<Result<(), TailError>>,
    rx: mpsc::Receiver<LineBatch>,
    checkpoints: CheckpointHandle,
    received: Vec<Received>,
    /// Batches received.
    batches: usize,
    /// Ack every batch received (the pipeline made it durable).
    ack: bool,
}

fn start(opts: TailerOptions, checkpoint: &Path) -> Running {
    start_with_capacity(opts, checkpoint, 8)
}

fn start_with_capacity(opts: TailerOptions, checkpoint: &Path, capacity: usize) -> Running {
    // `RUST_LOG=auditship=debug cargo test …` shows the engine's decisions.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let (tailer, checkpoints) =
        FileTailer::new("test", opts, checkpoint.to_path_buf()).expect("tailer starts");
    let (tx, rx) = mpsc::channel(capacity);
    let (trigger, shutdown) = shutdown::channel();
    let task = tokio::spawn(tailer.run(tx, shutdown));
    Running {
        trigger,
        task,
        rx,
        checkpoints,
        received: Vec::new(),
        batches: 0,
        ack: true,
    }
}

impl Running {
    async fn receive_one(&mut self, wait: Duration) -> bool {
        match tokio::time::timeout(wait, self.rx.recv()).await {
            Ok(Some(batch)) => {
                assert!(!batch.lines.is_empty(), "empty batch");
                self.batches += 1;
                if self.ack {
                    self.checkpoints.ack(&batch.file, batch.end_offset);
                }
                for line in batch.lines {
                    self.received.push(Received {
                        file: batch.file,
                        path: batch.path.clone(),
                        line,
                    });
                }
                true
            }
            Ok(None) => panic!("tailer stopped: {:?}", self.task.is_finished()),
            Err(_) => false,
        }
    }

    /// Receives until `done` holds for what was received, or panics.
    async fn receive_until(&mut self, what: &str, done: impl Fn(&[Received]) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done(&self.received) {
            if Instant::now() >= deadline {
                let got = texts(&self.received);
                panic!(
                    "timed out waiting for {what}; received {} lines, the last: {:?}",
                    got.len(),
                    &got[got.len().saturating_sub(5)..]
                );
            }
            self.receive_one(Duration::from_millis(100)).await;
        }
    }

    /// Receives up to `count` lines or until the patience runs out, without
    /// failing: the caller checks what arrived.
    async fn receive_at_most(&mut self, count: usize) {
        let deadline = Instant::now() + PATIENCE;
        while self.received.len() < count && Instant::now() < deadline {
            self.receive_one(Duration::from_millis(100)).await;
        }
    }

    async fn receive_lines(&mut self, count: usize) {
        self.receive_until(&format!("{count} lines"), |r| r.len() >= count)
            .await;
    }

    /// Receives for `period`, so that tests can check nothing more comes.
    async fn receive_for(&mut self, period: Duration) {
        let end = Instant::now() + period;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            self.receive_one(left).await;
        }
    }

    async fn stop(self) -> Vec<Received> {
        self.trigger.fire();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("shutdown is prompt")
            .expect("tailer task did not panic")
            .expect("tailer ends cleanly");
        self.received
    }
}

fn texts(received: &[Received]) -> Vec<String> {
    received.iter().map(Received::text).collect()
}

/// Asserts every expected line arrived exactly once and nothing else.
fn assert_exactly_once(received: &[Received], expected: &[String]) {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for line in expected {
        *counts.entry(line.clone()).or_default() += 1;
    }
    for r in received {
        *counts.entry(r.text()).or_default() -= 1;
    }
    let wrong: Vec<_> = counts.into_iter().filter(|(_, n)| *n != 0).collect();
    assert!(
        wrong.is_empty(),
        "{} lines missing (>0) or duplicated/unexpected (<0), first and last: {:?} {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)],
        &wrong[wrong.len().saturating_sub(5)..]
    );
}

fn append(path: &Path, bytes: &[u8]) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(bytes).unwrap();
}

fn numbered(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range
        .map(|i| format!("{prefix} line {i:05} padding-padding-padding"))
        .collect()
}

fn joined(lines: &[String]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

// ---- framing ----------------------------------------------------------------

#[tokio::test]
async fn crlf_is_stripped_and_partial_line_waits_then_is_flushed_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, b"first\r\nsecond\nparti");
    let mut t = start(options(dir.path()), &dir.path().join("cp.json"));
    t.receive_lines(2).await;
    assert_eq!(texts(&t.received), ["first", "second"]);
    // Still growing: the partial line waits for its newline.
    append(&log, b"al");
    t.receive_for(Duration::from_millis(150)).await;
    assert_eq!(t.received.len(), 2, "partial line emitted too early");
    // Quiet for flush_partial_after: emitted, once.
    t.receive_lines(3).await;
    assert_eq!(t.received[2].text(), "partial");
    assert_eq!(t.received[2].line.offset, 14);
    // Bytes appended later start a new line; no merged duplicate.
    append(&log, b" tail\nnext\n");
    t.receive_lines(5).await;
    let received = t.stop().await;
    assert_eq!(
        texts(&received),
        ["first", "second", "partial", " tail", "next"]
    );
}

#[tokio::test]
async fn stop_at_end_reads_every_file_to_its_end_then_returns_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    append(&dir.path().join("a.log"), b"a1\na2\n");
    append(&dir.path().join("b.log"), b"b1\nb-partial");
    let opts = TailerOptions {
        stop_at_end: true,
        flush_partial_after: Duration::ZERO,
        ..options(dir.path())
    };
    // A channel of one batch: the end is only declared once every batch
    // was handed over, not while one waits for room.
    let mut t = start_with_capacity(opts, &dir.path().join("cp.json"), 1);
    let mut received = Vec::new();
    let mut rx = std::mem::replace(&mut t.rx, mpsc::channel(1).1);
    let collected = tokio::time::timeout(PATIENCE, async {
        while let Some(batch) = rx.recv().await {
            t.checkpoints.ack(&batch.file, batch.end_offset);
            received.extend(batch.lines.into_iter().map(|l| l.bytes));
        }
    });
    collected
        .await
        .expect("the tailer stops and closes its channel");
    tokio::time::timeout(Duration::from_secs(5), t.task)
        .await
        .expect("returned")
        .unwrap()
        .expect("ends cleanly");
    let mut texts: Vec<String> = received
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    texts.sort();
    assert_eq!(texts, ["a1", "a2", "b-partial", "b1"]);
}

#[tokio::test]
async fn empty_file_sends_nothing_until_lines_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    File::create(&log).unwrap();
    let mut t = start(options(dir.path()), &dir.path().join("cp.json"));
    t.receive_for(Duration::from_millis(150)).await;
    assert!(t.received.is_empty());
    append(&log, b"hello\n");
    t.receive_lines(1).await;
    assert_eq!(t.received[0].line.offset, 0);
    assert_eq!(texts(&t.stop().await), ["hello"]);
}

#[tokio::test]
async fn ten_mib_line_becomes_one_too_long_line_then_normal_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut bytes = b"before\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    bytes.extend_from_slice(b"\nafter\n");
    fs::write(&log, &bytes).unwrap();
    let mut t = start(options(dir.path()), &dir.path().join("cp.json"));
    t.receive_lines(3).await;
    t.receive_for(Duration::from_millis(50)).await;
    let received = t.stop().await;
    assert_eq!(received.len(), 3);
    assert_eq!(received[0].line.too_long, None);
    assert_eq!(received[1].line.too_long, Some(10 * 1024 * 1024));
    assert_eq!(received[1].line.bytes.len(), TOO_LONG_HEAD_BYTES);
    assert_eq!(received[1].line.offset, 7);
    assert_eq!(received[2].text(), "after");
    assert_eq!(received[2].line.offset, 7 + 10 * 1024 * 1024 + 1);
}

#[tokio::test]
async fn binary_garbage_and_invalid_utf8_pass_through_as_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let garbage: Vec<u8> = (0u8..=255).filter(|b| *b != b'\n').collect();
    let mut bytes = garbage.clone();
    bytes.extend_from_slice(b"\n\xff\xfe\x00\n\n");
    fs::write(&log, &bytes).unwrap();
    let mut t = start(options(dir.path()), &dir.path().join("cp.json"));
    t.receive_lines(3).await;
    let received = t.stop().await;
    assert_eq!(received[0].line.bytes, garbage);
    assert_eq!(&received[1].line.bytes[..], b"\xff\xfe\x00");
    assert_eq!(&received[2].line.bytes[..], b"");
}

// ---- rotation, truncation, deletion -----------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_and_create_rotation_while_writing_delivers_every_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let mut t = start(options(dir.path()), &dir.path().join("cp.json"));
    let writer_dir = dir.path().to_path_buf();
    let writer = std::thread::spawn(move || {
        let mut expected = Vec::new();
        for generation in 0..3 {
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .unwrap();
            for (i, line) in numbered(&format!("gen{generation}"), 0..300)
                .iter()
                .enumerate()
            {
                writeln!(file, "{line}").unwrap();
                expected.push(line.clone());
                if i % 50 == 0 {
                    std::thread::sleep(Duration::from_millis(3));
                }
            }
            // The file lives at its path for a few expansions (a file
            // renamed away before any expansion saw it cannot be found).
            std::thread::sleep(Duration::from_millis(150));
            // logrotate: rename away (out of the globs), the app writes a
            // few more lines to its old descriptor before reopening.
            fs::rename(&log, writer_dir.join(format!("audit.log.{generation}"))).unwrap();
            for line in numbered(&format!("late{generation}"), 0..10) {
                writeln!(file, "{line}").unwrap();
                expected.push(line);
            }
        }
        append(&log, &joined(&numbered("final", 0..5)));
        expected.extend(numbered("final", 0..5));
        expected
    });
    let expected = tokio::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
    t.receive_at_most(expected.len()).await;
    t.receive_for(Duration::from_millis(300)).await;
    let received = t.stop().await;
    assert_exactly_once(&received, &expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copytruncate_rotation_delivers_every_line_once_including_lines_only_in_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let mut opts = options(dir.path());
    opts.include = vec![format!("{}/audit.log*", dir.path().display())];
    // A copy found while the original is intact waits one `glob_interval`
    // for the truncation, then is read in full (duplicates by design). The
    // writer below truncates right after copying, but a loaded machine can
    // stall it longer than the 50 ms of `options`: give it a margin.
    opts.glob_interval = Duration::from_millis(500);
    let mut t = start(opts, &dir.path().join("cp.json"));
    let mut expected = Vec::new();
    let mut writer = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap();
    for round in 0..3 {
        let seen = numbered(&format!("r{round}-read"), 0..100);
        writer.write_all(&joined(&seen)).unwrap();
        expected.extend(seen);
        t.receive_lines(expected.len()).await;
        // Written just before the rotation: maybe never read from the
        // original, only present in the copy.
        let unread = numbered(&format!("r{round}-copy-only"), 0..20);
        writer.write_all(&joined(&unread)).unwrap();
        expected.extend(unread);
        fs::copy(&log, dir.path().join(format!("audit.log.{}", round + 1))).unwrap();
        writer.set_len(0).unwrap();
        let after = numbered(&format!("r{round}-after"), 0..30);
        writer.write_all(&joined(&after)).unwrap();
        expected.extend(after);
    }
    t.receive_at_most(expected.len()).await;
    t.receive_for(Duration::from_millis(300)).await;
    let received = t.stop().await;
    assert_exactly_once(&received, &expected);
    // The copy continues the original's identity: same FileId and offsets.
    let original = received.iter().find(|r| r.text() == expected[0]).unwrap();
    let copy_only = received
        .iter()
        .find(|r| r.text().starts_with("r0-copy-only line 00000"))
        .unwrap();
    assert_eq!(copy_only.file, original.file);
    assert_eq!(
        copy_only.line.offset,
        joined(&numbered("r0-read", 0..100)).len() as u64
    );
}

#[tokio::test]
async fn copy_seen_while_still_being_written_is_not_shipped_twice() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let mut opts = options(dir.path());
    opts.include = vec![format!("{}/audit.log*", dir.path().display())];
    opts.glob_interval = Duration::from_millis(400);
    let mut t = start(opts, &dir.path().join("cp.json"));
    let mut expected = numbered("before", 0..100);
    fs::write(&log, joined(&expected)).unwrap();
    t.receive_lines(100).await;
    // The copy is seen with only part of its bytes (shorter than the
    // fingerprint, then shorter than what was read)...
    let content = fs::read(&log).unwrap();
    let copy = dir.path().join("audit.log.1");
    fs::write(&copy, &content[..500]).unwrap();
    t.receive_for(Duration::from_millis(60)).await;
    append(&copy, &content[500..2000]);
    t.receive_for(Duration::from_millis(60)).await;
    // ...then completed, and the original truncated.
    append(&copy, &content[2000..]);
    fs::write(&log, joined(&numbered("after", 0..3))).unwrap();
    expected.extend(numbered("after", 0..3));
    t.receive_lines(expected.len()).await;
    t.receive_for(Duration::from_millis(500)).await;
    let received = t.stop().await;
    assert_exactly_once(&received, &expected);
}

#[tokio::test]
async fn truncated_file_is_read_again_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, joined(&numbered("old", 0..10))).unwrap();
    let mut t = start(options(dir.path()), &dir.path().join("cp.json"));
    t.receive_lines(10).await;
    fs::write(&log, b"new 1\n").unwrap(); // Truncate + rewrite, same inode.
    t.receive_lines(11).await;
    let received = t.stop().await;
    assert_eq!(received[10].text(), "new 1");
    assert_eq!(received[10].line.offset, 0);
    assert_ne!(
        received[10].file, received[0].file,
        "new content, new identity"
    );
}

#[tokio::test]
async fn short_file_rewritten_with_other_content_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    fs::write(&log, b"aaaa\n").unwrap();
    let mut t = start(options(dir.path()), &dir.path().join("cp.json"));
    t.receive_lines(1).await;
    // Same inode, longer, different first bytes: either seen shrunk (read
    // from 0) or grown with a changed prefix (replaced, read from 0).
    fs::write(&log, b"bbbbbbbbbb\ncccc\n").unwrap();
    t.receive_lines(3).await;
    t.receive_for(Duration::from_millis(100)).await;
    let received = t.stop().await;
    assert_eq!(texts(&received), ["aaaa", "bbbbbbbbbb", "cccc"]);
    assert_eq!(received[1].line.offset, 0);
}

fn descriptors_pointing_at(path: &Path) -> usize {
    let needle = path.to_string_lossy().into_owned();
    fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with(&needle))
        .count()
}

#[tokio::test]
async fn deleted_file_is_drained_then_its_descriptor_released() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("gone.log");
    fs::write(&log, joined(&numbered("a", 0..5))).unwrap();
    let mut t = start(options(dir.path()), &dir.path().join("cp.json"));
    t.receive_lines(5).await;
    assert_eq!(
        descriptors_pointing_at(&log),
        1,
        "tailer holds the file open"
    );
    // Written and deleted before the tailer could read it: still delivered.
    let mut writer = OpenOptions::new().append(true).open(&log).unwrap();
    fs::remove_file(&log).unwrap();
    writer.write_all(&joined(&numbered("b", 0..5))).unwrap();
    drop(writer);
    t.receive_lines(10).await;
    let deadline = Instant::now() + PATIENCE;
    while descriptors_pointing_at(&log) > 0 {
        assert!(
            Instant::now() < deadline,
            "descriptor of the deleted file leaked"
        );
        t.receive_for(Duration::from_millis(50)).await;
    }
    let received = t.stop().await;
    let mut expected = numbered("a", 0..5);
    expected.extend(numbered("b", 0..5));
    assert_exactly_once(&received, &expected);
}

// ---- checkpoints and restart ------------------------------------------------

#[tokio::test]
async fn restart_resumes_from_acked_offset_without_duplicates_or_loss() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let cp = dir.path().join("cp.json");
    fs::write(&log, joined(&numbered("one", 0..10))).unwrap();
    let mut t = start(options(dir.path()), &cp);
    t.receive_lines(10).await;
    let first = t.stop().await;
    let saved = read_checkpoints(&cp).unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].acked_offset, fs::metadata(&log).unwrap().len());

    append(&log, &joined(&numbered("two", 0..5)));
    let mut t = start(options(dir.path()), &cp);
    t.receive_lines(5).await;
    t.receive_for(Duration::from_millis(200)).await;
    let second = t.stop().await;
    assert_exactly_once(&second, &numbered("two", 0..5));
    assert_eq!(
        second[0].file, first[0].file,
        "same file, same id across restarts"
    );
}

#[tokio::test]
async fn unacked_lines_are_read_again_after_restart_with_the_same_positions() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let cp = dir.path().join("cp.json");
    fs::write(&log, joined(&numbered("l", 0..10))).unwrap();
    let mut opts = options(dir.path());
    opts.max_batch_lines = 1;
    let mut t = start(opts.clone(), &cp);
    t.ack = false;
    t.receive_lines(10).await;
    // The pipeline made only the first 4 lines durable.
    for r in &t.received[..4] {
        let end = r.line.offset + r.line.bytes.len() as u64 + 1;
        t.checkpoints.ack(&r.file, end);
    }
    let first = t.stop().await;

    let mut t = start(opts, &cp);
    t.receive_lines(6).await;
    t.receive_for(Duration::from_millis(200)).await;
    let again = t.stop().await;
    assert_exactly_once(&again, &numbered("l", 4..10));
    for (re, orig) in again.iter().zip(&first[4..]) {
        assert_eq!((re.file, re.line.offset), (orig.file, orig.line.offset));
    }
}

#[tokio::test]
async fn start_at_end_skips_existing_lines_only_for_files_without_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cp.json");
    let known = dir.path().join("known.log");
    fs::write(&known, b"known 1\n").unwrap();
    let mut t = start(options(dir.path()), &cp);
    t.receive_lines(1).await;
    t.stop().await;

    append(&known, b"known 2\n");
    let fresh = dir.path().join("fresh.log");
    fs::write(&fresh, b"old 1\nold 2\nold partial").unwrap();
    let mut opts = options(dir.path());
    opts.start_at = StartAt::End;
    let mut t = start(opts, &cp);
    t.receive_lines(1).await; // "known 2": checkpointed files resume.
    t.receive_for(Duration::from_millis(100)).await;
    append(&fresh, b" completed\nnew 1\n");
    let later = dir.path().join("later.log");
    fs::write(&later, b"later 1\n").unwrap(); // Appears after startup: from its start.
    t.receive_lines(4).await;
    t.receive_for(Duration::from_millis(100)).await;
    let received = t.stop().await;
    let expected: Vec<String> = ["known 2", "old partial completed", "new 1", "later 1"]
        .map(String::from)
        .to_vec();
    assert_exactly_once(&received, &expected);
}

#[tokio::test]
async fn corrupt_checkpoint_and_bad_options_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cp.json");
    fs::write(&cp, b"{\"version\":1,\"source\":\"x\",\"files\":[{").unwrap();
    let err = FileTailer::new("x", options(dir.path()), cp.clone())
        .err()
        .unwrap();
    assert!(matches!(err, TailError::CheckpointCorrupt { .. }), "{err}");

    let mut opts = options(dir.path());
    opts.max_line_bytes = 0;
    let err = FileTailer::new("x", opts, dir.path().join("other.json"))
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "tailer option max_line_bytes must be greater than zero"
    );
    let mut opts = options(dir.path());
    opts.include = vec!["[".into()];
    assert!(matches!(
        FileTailer::new("x", opts, dir.path().join("other.json"))
            .err()
            .unwrap(),
        TailError::IncludeGlob { .. }
    ));
}

// ---- discovery and scale ----------------------------------------------------

#[tokio::test]
async fn thousand_files_in_one_directory_are_all_read_with_few_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for i in 0..1000 {
        let lines = vec![format!("file {i} a"), format!("file {i} b")];
        fs::write(dir.path().join(format!("f{i:04}.log")), joined(&lines)).unwrap();
        expected.extend(lines);
    }
    let mut opts = options(dir.path());
    opts.max_open_files = 64;
    opts.glob_interval = Duration::from_millis(300);
    let mut t = start(opts, &dir.path().join("cp.json"));
    t.receive_lines(expected.len()).await;
    let open = descriptors_pointing_at(dir.path());
    assert!(open <= 64, "{open} descriptors open, limit 64");
    // Files closed for the limit are reopened when they grow.
    append(&dir.path().join("f0000.log"), b"file 0 c\n");
    expected.push("file 0 c".into());
    t.receive_lines(expected.len()).await;
    let received = t.stop().await;
    assert_exactly_once(&received, &expected);
    let paths: std::collections::HashSet<_> = received.iter().map(|r| &r.path).collect();
    assert_eq!(paths.len(), 1000);
}

#[tokio::test]
async fn exclude_globs_match_file_name_or_full_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("keep.log"), b"keep\n").unwrap();
    fs::write(d.join("old.log.gz"), b"gz\n").unwrap();
    fs::write(d.join("debug.log"), b"debug\n").unwrap();
    let mut opts = options(d);
    opts.include = vec![format!("{}/*", d.display())];
    opts.exclude = vec![
        "*.gz".into(),
        format!("{}/debug.log", d.display()),
        "cp.json*".into(),
    ];
    let mut t = start(opts, &d.join("cp.json"));
    t.receive_lines(1).await;
    t.receive_for(Duration::from_millis(200)).await;
    assert_eq!(texts(&t.stop().await), ["keep"]);
}

#[tokio::test]
async fn file_appearing_later_is_picked_up_by_polling_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.use_notify = false;
    let mut t = start(opts, &dir.path().join("cp.json"));
    t.receive_for(Duration::from_millis(100)).await;
    fs::write(dir.path().join("late.log"), b"late\n").unwrap();
    t.receive_lines(1).await;
    assert_eq!(texts(&t.stop().await), ["late"]);
}

#[tokio::test]
async fn notification_wakes_the_loop_before_the_poll_interval() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    File::create(&log).unwrap();
    let mut opts = options(dir.path());
    opts.poll_interval = Duration::from_secs(30);
    opts.glob_interval = Duration::from_secs(30);
    opts.checkpoint_interval = Duration::from_secs(30);
    let mut t = start(opts, &dir.path().join("cp.json"));
    t.receive_for(Duration::from_millis(100)).await;
    append(&log, b"woken\n");
    t.receive_for(Duration::from_secs(2)).await;
    assert_eq!(texts(&t.stop().await), ["woken"]);
}

/// A file written line by line is read in passes `min_read_interval`
/// apart, each taking every line written meanwhile; a line after a quiet
/// spell is read at once.
#[tokio::test]
async fn lines_written_one_by_one_are_read_together_per_min_read_interval() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    File::create(&log).unwrap();
    let batches_for = |min_read_interval: Duration| {
        let dir = dir.path().to_path_buf();
        let log = log.clone();
        async move {
            fs::write(&log, b"").unwrap();
            let mut opts = options(&dir);
            opts.poll_interval = Duration::from_secs(30);
            opts.glob_interval = Duration::from_secs(30);
            opts.checkpoint_interval = Duration::from_secs(30);
            opts.min_read_interval = min_read_interval;
            let mut t = start(
                opts,
                &dir.join(format!("cp-{}.json", min_read_interval.as_millis())),
            );
            t.receive_for(Duration::from_millis(300)).await;
            // After a quiet spell: read at once, not a whole interval later.
            let quiet_line_at = Instant::now();
            append(&log, b"first\n");
            t.receive_lines(1).await;
            let first_delay = quiet_line_at.elapsed();
            let lines = numbered("line", 0..60);
            let writing = async {
                for line in &lines {
                    append(&log, format!("{line}\n").as_bytes());
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            };
            let batches_before = t.batches;
            let ((), ()) = tokio::join!(writing, t.receive_for(Duration::from_millis(400)));
            t.receive_lines(61).await;
            let batches = t.batches - batches_before;
            let received = t.stop().await;
            assert_exactly_once(&received[1..], &lines);
            (first_delay, batches)
        }
    };
    let (first_delay, coalesced) = batches_for(Duration::from_millis(100)).await;
    assert!(
        first_delay < Duration::from_millis(90),
        "a line after a quiet spell waited {first_delay:?}"
    );
    // 60 lines over ≥ 300 ms, passes 100 ms apart: a handful of batches.
    assert!(coalesced <= 8, "{coalesced} batches for 60 lines");
    let (_, one_by_one) = batches_for(Duration::ZERO).await;
    assert!(
        one_by_one > coalesced * 2,
        "without the interval {one_by_one} batches, with it {coalesced}"
    );
}

#[tokio::test]
async fn shutdown_is_prompt_while_the_channel_is_full() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("app.log"), joined(&numbered("x", 0..1000))).unwrap();
    let mut opts = options(dir.path());
    opts.max_batch_lines = 1;
    let mut t = start_with_capacity(opts, &dir.path().join("cp.json"), 1);
    // Receive one batch, then stop consuming: reading must pause.
    t.receive_lines(1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(t.rx.len(), 1, "reading did not pause on a full channel");
    t.stop().await; // Panics unless the task ends within 5 s.
}
