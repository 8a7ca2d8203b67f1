//! The notification recorder: makes each fired notification durable in the
//! outbox, then records it as an `alert.fire` audit event in the main
//! journal.
//!
//! The `alert.fire` event goes under the source id of the event that fired
//! it, so it reaches the same sinks (the SIEM sees the alert too). A full
//! main journal (sinks down) must not hold notifications back: at most
//! `IN_FLIGHT` such appends wait; beyond that the event is skipped (warned
//! about) while the notification itself is still delivered.

use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};

use super::notification::{Notification, OutboxRecord};
use super::outbox::Outbox;
use crate::event::{ActorType, AuditEvent, Origin, OriginKind, Outcome, Severity};
use crate::journal::Journal;
use crate::pipeline::{encoded_event::EncodedEvent, journal_record};

/// `alert.fire` appends waiting for the journal, at most.
const IN_FLIGHT: usize = 64;

/// One fired notification: its outbox records (one per channel), itself,
/// and the source id of the event that fired it.
pub type Fired = (Vec<OutboxRecord>, Notification, Arc<str>);

/// Makes each notification durable, then records its `alert.fire` event.
pub async fn record_notifications(outbox: Outbox, mut rx: mpsc::Receiver<Fired>, journal: Journal) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some((records, notification, source_id)) = rx.recv().await {
        if let Err(error) = outbox.append(records).await {
            tracing::error!(alert = %notification.alert, %error, "Could not write a notification to the alert outbox; it is lost.");
            continue;
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(alert = %notification.alert, "The journal is full: the alert.fire event of this notification was not recorded.");
            continue;
        };
        let event = EncodedEvent::encode(&fire_event(&notification));
        let append = journal.append(Box::new(
            move |writer: &mut crate::journal::RecordWriter<'_>| {
                // Chained like every other event, so `verify` sees no gap.
                journal_record::push_event(writer, &source_id, None, event.as_ref());
            },
        ));
        tokio::spawn(async move {
            if let Err(error) = append.await {
                tracing::warn!(%error, "Could not record an alert.fire event in the journal.");
            }
            drop(slot);
        });
    }
    let _ = slots.acquire_many(IN_FLIGHT as u32).await;
}

/// The `alert.fire` audit event of `n`.
pub fn fire_event(n: &Notification) -> AuditEvent {
    let time = chrono::DateTime::from_timestamp_millis(n.fired_at_ms as i64).unwrap_or_default();
    let origin = Origin {
        kind: OriginKind::Agent,
        format: "alert".into(),
        path: None,
        offset: None,
        peer: None,
    };
    let mut event = AuditEvent::new(origin, &n.host, time);
    event.id = n.id.clone();
    event.time_inferred = false;
    event.action = "alert.fire".into();
    event.outcome = Outcome::Success;
    event.severity = Severity::parse(&n.severity).unwrap_or(Severity::Warning);
    event.category = Some("alert".into());
    event.message = Some(n.title.clone());
    event.actor.name = Some("auditship".into());
    event.actor.kind = ActorType::System;
    event.details.insert(
        "alert".into(),
        serde_json::to_value(n).expect("a notification serializes"),
    );
    event
}
