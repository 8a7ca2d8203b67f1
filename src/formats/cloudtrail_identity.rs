//! CloudTrail `userIdentity` → the schema's actor ("CloudTrail userIdentity
//! element" in the AWS CloudTrail User Guide).
//!
//! - `actor.id` ← `arn`, else `principalId`, else `userId`, else
//!   `accountId` (the ARN is the one id stable across keys and sessions).
//! - `actor.name` ← `userName`; for an `AssumedRole` the session name
//!   (last part of `arn:aws:sts::…:assumed-role/ROLE/SESSION`), and the
//!   role (`sessionContext.sessionIssuer`) becomes `actor.effective`.
//! - `actor.type` ← `IAMUser`, `Root`, `IdentityCenterUser`, `SAMLUser`,
//!   `WebIdentityUser`, `AssumedRole`, `FederatedUser` → `user`;
//!   `AWSService`, `AWSAccount` → `service_account`; an identity with only
//!   `invokedBy` (AWS acting on its own) or none → `system`.
//! - `actor.session_id` ← `accessKeyId` of temporary credentials (`ASIA…`),
//!   which names one session.
//! - Everything else of `userIdentity` stays in `details.userIdentity`.

use serde_json::{Map, Value};

use super::schema_fill::{effective_mut, insert_detail};
use crate::event::{ActorType, AuditEvent};

/// Takes a non-empty string out of `map`; anything else stays.
fn take_str(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None, // just seen as a string
        },
        _ => None,
    }
}

/// A non-empty string of `map`, left where it is.
fn non_empty<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

pub(super) fn fill_actor(event: &mut AuditEvent, identity: Option<Value>) {
    let mut identity = match identity {
        Some(Value::Object(identity)) => identity,
        Some(other) => {
            insert_detail(&mut event.details, "userIdentity", other);
            event.actor.kind = ActorType::System;
            return;
        }
        None => {
            event.actor.kind = ActorType::System;
            return;
        }
    };
    // `type`, `arn`, `principalId` and `userId` stay in `details` (what
    // was not the id is not lost): read in place. `userName` becomes
    // `actor.name` and leaves.
    let user_name = take_str(&mut identity, "userName");
    let kind = non_empty(&identity, "type");
    let arn = non_empty(&identity, "arn");
    let principal = non_empty(&identity, "principalId");
    let user_id = non_empty(&identity, "userId");
    event.actor.kind = match kind {
        Some(
            "IAMUser" | "Root" | "IdentityCenterUser" | "SAMLUser" | "WebIdentityUser"
            | "AssumedRole" | "FederatedUser",
        ) => ActorType::User,
        Some("AWSService" | "AWSAccount") => ActorType::ServiceAccount,
        Some(_) => ActorType::Unknown,
        None if arn.is_none() && principal.is_none() && user_name.is_none() => ActorType::System,
        None => ActorType::Unknown,
    };
    let session_name = match (kind, arn) {
        (Some("AssumedRole"), Some(arn)) if arn.contains(":assumed-role/") => {
            arn.rsplit('/').next().map(str::to_string)
        }
        _ => None,
    };
    event.actor.name = user_name.or(session_name);
    if let Some(key) = identity.get("accessKeyId").and_then(Value::as_str) {
        if key.starts_with("ASIA") {
            event.actor.session_id = Some(key.to_string());
        }
    }
    let issuer = identity
        .get("sessionContext")
        .and_then(|c| c.get("sessionIssuer"))
        .and_then(Value::as_object);
    if let Some(issuer) = issuer {
        let issuer_arn = issuer.get("arn").and_then(Value::as_str);
        let issuer_name = issuer.get("userName").and_then(Value::as_str);
        if issuer_arn.is_some() || issuer_name.is_some() {
            let effective = effective_mut(event);
            effective.id = issuer_arn.map(str::to_string);
            effective.name = issuer_name.map(str::to_string);
        }
    }
    let account = identity.get("accountId").and_then(Value::as_str);
    event.actor.id = arn
        .or(principal)
        .or(user_id)
        .or(account)
        .map(str::to_string);
    if event.actor.id.is_none() && event.actor.name.is_none() {
        event.actor.kind = ActorType::System;
    }
    insert_detail(&mut event.details, "userIdentity", Value::Object(identity));
}
