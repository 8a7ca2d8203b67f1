//! The one path every socket source (`unix`, `syslog`, `http`) takes into
//! the journal: framed entries → parse → journal append (waiting for
//! durability) → acknowledge the sender.
//!
//! Sources send [`FrameBatch`]es over a bounded channel (see
//! `sources::ingest`). This task gathers the batches that are ready,
//! parses them on the blocking pool, queues ONE journal append for them,
//! and — without waiting for that append — goes on gathering the next
//! ones, so group commit can merge several appends into one fsync. At most
//! [`MAX_APPENDS_IN_FLIGHT`] appends are outstanding: when the journal is
//! full they stop completing, this task stops taking batches, the channel
//! fills, and the sources feel it (stream reads pause, HTTP answers 503,
//! datagrams are counted as dropped).
//!
//! Invariant: a batch's `ack` is resolved `Ok` only after the journal said
//! its records are durable. Requests are framed in the order `append` was
//! called, so entries of one connection stay in order.

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{mpsc, Semaphore};

use super::encoded_event::EncodedEvents;
use super::journal_record;
use super::stats::PipelineStats;
use crate::alerts::{AlertTap, RuleHit};
use crate::event::OriginKind;
use crate::formats::{self, EntryContext, Parser};
use crate::journal::{Journal, RecordWriter};
use crate::sources::ingest::{Frame, FrameBatch, StoreError};

/// Appends queued in the journal and not yet durable, at most.
const MAX_APPENDS_IN_FLIGHT: usize = 4;
/// Most entries gathered into one append.
const MAX_ENTRIES_PER_APPEND: usize = 4 * 1024;
/// Most input bytes gathered into one append.
const MAX_BYTES_PER_APPEND: u64 = 2 * 1024 * 1024;

/// Where the entries of one socket source come from, for `origin`.
#[derive(Debug, Clone)]
pub struct EntryOrigin {
    pub source_id: Arc<str>,
    pub kind: OriginKind,
    /// Socket path or listen address → `origin.path`.
    pub path: Arc<str>,
    pub host: Arc<str>,
    /// Alert rules, evaluated on every parsed event (see `alerts`).
    pub alerts: Option<AlertTap>,
}

type Ack = tokio::sync::oneshot::Sender<Result<(), StoreError>>;

/// Receives batches until every sender is gone, then waits for its last
/// appends. Returns when everything taken was acknowledged (or failed).
pub async fn run_entry_appender(
    origin: EntryOrigin,
    parser: Arc<Parser>,
    mut rx: mpsc::Receiver<FrameBatch>,
    journal: Journal,
    stats: PipelineStats,
) {
    let in_flight = Arc::new(Semaphore::new(MAX_APPENDS_IN_FLIGHT));
    let origin = Arc::new(origin);
    while let Some(first) = rx.recv().await {
        let mut batches = vec![first];
        let (mut entries, mut bytes) = measure(&batches[0]);
        while entries < MAX_ENTRIES_PER_APPEND && bytes < MAX_BYTES_PER_APPEND {
            let Ok(next) = rx.try_recv() else { break };
            let (n, b) = measure(&next);
            entries += n;
            bytes += b;
            batches.push(next);
        }
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let parse_origin = origin.clone();
        let parser = parser.clone();
        let parsed =
            tokio::task::spawn_blocking(move || parse_batches(batches, &parser, &parse_origin))
                .await;
        let Ok((events, acks, quarantined, hits)) = parsed else {
            // Parsers are total and never panic; if one did, the senders
            // get an error (their acks are dropped) and the source goes on.
            tracing::error!(source = %origin.source_id, "Parsing a batch failed; its senders were not acknowledged.");
            continue;
        };
        stats.record_read(events.len() as u64, bytes, quarantined);
        let count = events.len() as u64;
        let append = journal.append(encode_batch(origin.source_id.clone(), events));
        let stats = stats.clone();
        let source_id = origin.source_id.clone();
        let alerts = origin.alerts.clone();
        tokio::spawn(async move {
            let result = match append.await {
                Ok(_) => {
                    stats.record_journaled(count);
                    if let Some(alerts) = alerts {
                        alerts.send(hits);
                    }
                    Ok(())
                }
                Err(error) => {
                    tracing::error!(source = %source_id, %error, "Could not append to the journal; the senders were told.");
                    Err(StoreError::Journal(error.to_string()))
                }
            };
            for ack in acks {
                let _ = ack.send(result.clone());
            }
            drop(permit);
        });
    }
    // Every append is acknowledged once all permits are back.
    let _ = in_flight.acquire_many(MAX_APPENDS_IN_FLIGHT as u32).await;
}

fn measure(batch: &FrameBatch) -> (usize, u64) {
    (
        batch.frames.len(),
        batch.frames.iter().map(Frame::input_len).sum(),
    )
}

/// Parses every frame of `batches`; returns the events, the acks to resolve,
/// how many events are quarantine events and the alert rules they hit.
fn parse_batches(
    batches: Vec<FrameBatch>,
    parser: &Parser,
    origin: &EntryOrigin,
) -> (EncodedEvents, Vec<Ack>, u64, Vec<RuleHit>) {
    let ingest_time = Utc::now();
    let ctx = EntryContext {
        origin_kind: origin.kind,
        path: Some(&*origin.path),
        offset: None,
        // Ids of entries without their own derive from the source and the
        // bytes: a sender's retry of the same entry gets the same id.
        position_key: &origin.source_id,
        host: &origin.host,
        ingest_time,
    };
    let frames = batches.iter().map(|b| b.frames.len()).sum();
    let mut events = EncodedEvents::with_capacity(frames);
    let mut acks = Vec::new();
    let mut quarantined = 0;
    let mut hits = Vec::new();
    for batch in batches {
        let mut parsed = Vec::with_capacity(1);
        let sender = peer_addr(&batch.peer);
        for frame in batch.frames {
            match frame {
                // Already normalized by the agent that sent it: its `origin`
                // (and everything else) stays as that agent wrote it.
                Frame::Forwarded { mut event, .. } => {
                    event.agent =
                        std::mem::take(&mut event.agent).hand_over(&origin.host, sender.clone());
                    quarantined += u64::from(event.is_quarantined());
                    events.push(&event);
                    continue;
                }
                // One entry may hold several events (a CloudTrail `Records`
                // file posted whole).
                Frame::Entry(bytes) => parser.parse_into(&bytes, &ctx, &mut parsed),
                Frame::TooLong { prefix, len } => parsed.push(formats::line_too_long_event(
                    &prefix,
                    len,
                    parser.name(),
                    &ctx,
                )),
                Frame::Broken { bytes, reason } => parsed.push(formats::quarantine_event(
                    &bytes,
                    &reason,
                    parser.name(),
                    &ctx,
                )),
            }
            for mut event in parsed.drain(..) {
                event.origin.peer = batch.peer.as_deref().cloned();
                quarantined += u64::from(event.is_quarantined());
                if let Some(alerts) = &origin.alerts {
                    alerts.evaluate(&event, &origin.source_id, &mut hits);
                }
                events.push(&event);
            }
        }
        acks.extend(batch.ack);
    }
    (events, acks, quarantined, hits)
}

/// `ip:port` of a network sender, for the hop of a forwarded event.
fn peer_addr(peer: &crate::sources::ingest::Peer) -> Option<String> {
    peer.as_deref()?.get("addr")?.as_str().map(str::to_string)
}

/// The journal request for `events`: a header without file position, then
/// the event with its seq. The one place socket sources write records.
fn encode_batch(source_id: Arc<str>, events: EncodedEvents) -> crate::journal::EncodeBatch {
    Box::new(move |writer: &mut RecordWriter<'_>| {
        for event in events.iter() {
            journal_record::push_event(writer, &source_id, None, event);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FormatConfig;
    use crate::journal::JournalOptions;
    use crate::sources::ingest::network_peer;

    #[tokio::test]
    async fn a_batch_is_acknowledged_once_durable_with_its_peer_and_quarantines() {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _) = Journal::open(
            &dir.path().join("j"),
            &dir.path().join("q"),
            JournalOptions::default(),
        )
        .unwrap();
        let (tx, rx) = mpsc::channel(4);
        let origin = EntryOrigin {
            source_id: Arc::from("sys"),
            kind: OriginKind::Syslog,
            path: Arc::from("127.0.0.1:514"),
            host: Arc::from("h"),
            alerts: None,
        };
        let parser = Arc::new(Parser::from_config(&FormatConfig::Raw, false).unwrap());
        let appender = tokio::spawn(run_entry_appender(
            origin,
            parser,
            rx,
            journal.clone(),
            PipelineStats::default(),
        ));
        let (ack, done) = tokio::sync::oneshot::channel();
        let frames = vec![
            Frame::Entry(b"<13>hello".to_vec()),
            Frame::Broken {
                bytes: b"junk".to_vec(),
                reason: "expected an RFC 6587 octet count (LEN SP MSG)".into(),
            },
        ];
        let peer = network_peer("10.0.0.1:5140".parse().unwrap());
        tx.send(FrameBatch {
            frames,
            peer,
            ack: Some(ack),
        })
        .await
        .unwrap();
        assert_eq!(done.await.unwrap(), Ok(()));
        assert_eq!(journal.committed_seq(), 2, "durable before the ack");
        drop(tx);
        appender.await.unwrap();

        let records = journal.reader_from(1).read_batch(10, 1 << 20).unwrap();
        let events: Vec<serde_json::Value> = records
            .iter()
            .map(|r| {
                let view = journal_record::decode(&r.payload).unwrap();
                assert_eq!((view.source_id, view.position), ("sys", None));
                serde_json::from_slice(view.event_json).unwrap()
            })
            .collect();
        assert_eq!(events[0]["message"], "<13>hello");
        assert_eq!(events[0]["origin"]["kind"], "syslog");
        assert_eq!(events[0]["origin"]["peer"]["addr"], "10.0.0.1:5140");
        assert_eq!(
            events[1]["parse_error"]["reason"],
            "expected an RFC 6587 octet count (LEN SP MSG)"
        );
        journal.close().await;
    }
}
