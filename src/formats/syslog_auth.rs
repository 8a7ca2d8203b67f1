//! What the common Linux authentication messages in `auth.log` / `secure`
//! mean, so a BSD syslog line from `sshd`, `sudo`, `useradd` or
//! `groupadd` becomes an audit event with actor, action and outcome rather
//! than a bare message.
//!
//! The message shapes are OpenSSH's `auth.c` (`Accepted`/`Failed <method>
//! for [invalid user ]USER from IP port PORT`, `Invalid user USER from IP`),
//! sudo's log format (`USER : [REASON ; ]TTY=… ; PWD=… ; USER=… ;
//! COMMAND=…`) and shadow-utils (`new user: name=…, UID=…`). A message
//! that matches none leaves the event as it was.

use serde_json::Value;

use super::schema_fill::{effective_mut, resource_mut, set_source_ip, set_source_port};
use crate::event::{ActorType, AuditEvent, Outcome};

/// Fills actor, action, outcome and source from a recognised message of
/// `app`; returns whether it recognised one.
pub(super) fn recognize(app: &str, msg: &str, event: &mut AuditEvent) -> bool {
    match app {
        "sshd" => sshd(msg, event),
        "sudo" => sudo(msg, event),
        "useradd" | "groupadd" => shadow_utils(msg, event),
        _ => false,
    }
}

fn set_user(event: &mut AuditEvent, name: &str) {
    event.actor.id = Some(name.to_string());
    event.actor.name = Some(name.to_string());
    event.actor.kind = ActorType::User;
}

/// `Accepted publickey for vagrant from 10.0.2.2 port 63673 ssh2: RSA …`,
/// `Failed password for invalid user x from …`, `Invalid user test from …`.
fn sshd(msg: &str, event: &mut AuditEvent) -> bool {
    let (outcome, rest) = if let Some(rest) = msg.strip_prefix("Accepted ") {
        (Outcome::Success, rest)
    } else if let Some(rest) = msg.strip_prefix("Failed ") {
        (Outcome::Failure, rest)
    } else if let Some(rest) = msg.strip_prefix("Invalid user ") {
        let Some((user, from)) = rest.split_once(" from ") else {
            return false;
        };
        set_user(event, user);
        event
            .details
            .insert("invalid_user".into(), Value::Bool(true));
        address(from, event);
        event.action = "user.login".into();
        event.outcome = Outcome::Failure;
        return true;
    } else {
        return false;
    };
    let Some((method, rest)) = rest.split_once(" for ") else {
        return false;
    };
    let Some((user, from)) = rest.split_once(" from ") else {
        return false;
    };
    let user = match user.strip_prefix("invalid user ") {
        Some(user) => {
            event
                .details
                .insert("invalid_user".into(), Value::Bool(true));
            user
        }
        None => user,
    };
    set_user(event, user);
    event
        .details
        .insert("auth_method".into(), Value::String(method.to_string()));
    address(from, event);
    event.action = "user.login".into();
    event.outcome = outcome;
    true
}

/// `IP port PORT …` after `from `.
fn address(text: &str, event: &mut AuditEvent) {
    let mut words = text.split(' ');
    if let Some(ip) = words.next() {
        set_source_ip(event, ip);
    }
    if words.next() == Some("port") {
        if let Some(port) = words.next() {
            set_source_port(event, port);
        }
    }
}

/// `vagrant : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/ls`,
/// with a reason first when sudo refused (`user NOT in sudoers ; …`).
fn sudo(msg: &str, event: &mut AuditEvent) -> bool {
    let Some((user, rest)) = msg.split_once(" : ") else {
        return false;
    };
    let user = user.trim();
    if user.is_empty() || user.contains(' ') || !rest.contains("COMMAND=") {
        return false;
    }
    set_user(event, user);
    event.action = "sudo.command".into();
    event.outcome = Outcome::Success;
    for part in rest.split(" ; ") {
        match part.split_once('=') {
            Some(("USER", target)) => {
                effective_mut(event).name = Some(target.to_string());
            }
            Some(("COMMAND", command)) => {
                let resource = resource_mut(event);
                resource.kind = Some("command".into());
                resource.name = Some(command.to_string());
            }
            Some((key, value)) => {
                event
                    .details
                    .insert(key.to_ascii_lowercase(), Value::String(value.to_string()));
            }
            None => {
                // sudo's reason for refusing: `user NOT in sudoers`,
                // `3 incorrect password attempts`.
                event.outcome = if part.contains("NOT in sudoers") || part.contains("NOT allowed") {
                    Outcome::Blocked
                } else {
                    Outcome::Failure
                };
                event.status.get_or_insert_with(Default::default).detail = Some(part.to_string());
            }
        }
    }
    true
}

/// `new user: name=apache, UID=48, GID=48, home=…` and `new group:
/// name=apache, GID=48`.
fn shadow_utils(msg: &str, event: &mut AuditEvent) -> bool {
    let (kind, rest) = if let Some(rest) = msg.strip_prefix("new user: ") {
        ("user", rest)
    } else if let Some(rest) = msg.strip_prefix("new group: ") {
        ("group", rest)
    } else {
        return false;
    };
    event.action = format!("{kind}.create");
    event.outcome = Outcome::Success;
    event.actor.kind = ActorType::System;
    resource_mut(event).kind = Some(kind.into());
    for pair in rest.split(", ") {
        match pair.split_once('=') {
            Some(("name", name)) => resource_mut(event).name = Some(name.to_string()),
            Some(("UID", id)) if kind == "user" => resource_mut(event).id = Some(id.to_string()),
            Some(("GID", id)) if kind == "group" => resource_mut(event).id = Some(id.to_string()),
            Some((key, value)) => {
                event
                    .details
                    .insert(key.to_ascii_lowercase(), Value::String(value.to_string()));
            }
            None => {}
        }
    }
    true
}
