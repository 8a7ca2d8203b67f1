//! The source keys the `json` format recognises without a `map`
//! (SCHEMA.md, "Defaults for app JSON"), as one table from a folded key
//! (see [`NormalizedKey`](super::field_lookup::NormalizedKey)) to the schema
//! slot it fills and its rank — lower ranks win when an entry holds several
//! keys for one slot; the losers stay in `details`.
//!
//! Beyond SCHEMA.md's list the table knows the ECS spellings used by
//! Elastic's audit logs, flat (`"event.action"`) or nested (`"event":
//! {"action": …}`): `event.action`, `event.outcome`, `event.category`,
//! `log.level`, `user.name`, `user.roles`, `client.ip`, `source.ip`,
//! `trace.id`, `request.id`, `user_agent.original`. `event.action` outranks
//! `action`, because in ECS-shaped lines `action` is something else (the
//! transport action of Elasticsearch).

/// A schema field the defaults can fill. `Slot as usize` indexes the
/// per-entry candidate array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Id,
    Time,
    Action,
    Outcome,
    StatusCode,
    StatusDetail,
    Severity,
    Category,
    Message,
    ActorId,
    ActorName,
    ActorEmail,
    ActorType,
    ActorSessionId,
    ActorGroups,
    /// `actor` / `user` given as an object: read inside.
    ActorObject,
    SourceIp,
    SourcePort,
    SourceUserAgent,
    /// `resource` / `target`: an object (type, id, name) or a string (id).
    Resource,
    ResourceType,
    ResourceId,
    ResourceName,
    TenantId,
    ProjectId,
    GitCommitSha,
    RequestId,
    TraceId,
    ChangeId,
}

pub(crate) const SLOT_COUNT: usize = Slot::ChangeId as usize + 1;

/// What a recognised key is for. Some roles depend on the value's type,
/// which the JSON reader checks; object values of [`is_container`] keys are
/// read member by member before any role applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRole {
    /// Fills `slot`; lower `rank` wins.
    Field(Slot, u8),
    /// `actor` / `user`: an object → [`Slot::ActorObject`], else actor id.
    ActorOrUser(u8),
    /// `status`: a number or numeric string → status code, else an
    /// outcome word (rank 2).
    Status,
    /// `details` / `metadata` / `changes`: an object merged into `details`.
    MergeIntoDetails,
}

/// The role of a folded top-level or `container.member` key, if any.
pub(crate) fn key_role(folded: &[u8]) -> Option<KeyRole> {
    use KeyRole::{Field, MergeIntoDetails};
    use Slot::*;
    Some(match folded {
        b"id" => Field(Id, 1),
        b"eventid" | b"event.id" => Field(Id, 2),
        b"uuid" => Field(Id, 3),
        b"auditid" => Field(Id, 4),
        b"insertid" => Field(Id, 5),

        b"createdat" => Field(Time, 1),
        b"timestamp" | b"occurredat" => Field(Time, 2),
        b"time" | b"eventtime" => Field(Time, 3),
        b"date" => Field(Time, 4),
        b"ts" => Field(Time, 5),

        b"event.action" => Field(Action, 1),
        b"action" => Field(Action, 2),
        b"event" => Field(Action, 3),
        b"activity" => Field(Action, 4),
        b"type" => Field(Action, 5),

        b"outcome" => Field(Outcome, 1),
        b"event.outcome" => Field(Outcome, 2),
        b"status" => KeyRole::Status,
        b"result" => Field(Outcome, 4),
        b"success" => Field(Outcome, 5),

        b"statuscode" | b"http.response.statuscode" => Field(StatusCode, 1),
        b"httpstatus" | b"responsecode" => Field(StatusCode, 2),
        b"statusdetail" | b"statusmessage" => Field(StatusDetail, 1),
        b"errormessage" => Field(StatusDetail, 2),

        b"severity" => Field(Severity, 1),
        b"level" => Field(Severity, 2),
        b"log.level" => Field(Severity, 3),

        b"category" => Field(Category, 1),
        b"event.category" => Field(Category, 2),

        b"message" => Field(Message, 1),
        b"msg" => Field(Message, 2),

        b"userid" => Field(ActorId, 1),
        b"actorid" => Field(ActorId, 2),
        b"user.id" => Field(ActorId, 3),
        b"actor" => KeyRole::ActorOrUser(4),
        b"user" => KeyRole::ActorOrUser(5),
        b"username" => Field(ActorName, 1),
        b"user.name" => Field(ActorName, 2),
        b"actorname" => Field(ActorName, 3),
        b"email" => Field(ActorEmail, 1),
        b"useremail" | b"user.email" => Field(ActorEmail, 2),
        b"actoremail" => Field(ActorEmail, 3),
        b"actortype" => Field(ActorType, 1),
        b"usertype" | b"user.type" => Field(ActorType, 2),
        b"sessionid" => Field(ActorSessionId, 1),
        b"session.id" => Field(ActorSessionId, 2),
        b"groups" => Field(ActorGroups, 1),
        b"roles" => Field(ActorGroups, 2),
        b"user.roles" | b"user.groups" => Field(ActorGroups, 3),

        b"ip" => Field(SourceIp, 1),
        b"ipaddress" => Field(SourceIp, 2),
        b"remoteaddr" | b"remoteaddress" => Field(SourceIp, 3),
        b"clientip" | b"client.ip" => Field(SourceIp, 4),
        b"sourceip" | b"source.ip" | b"sourceipaddress" => Field(SourceIp, 5),
        b"sourceips" => Field(SourceIp, 6),
        b"client.address" | b"source.address" | b"origin.address" => Field(SourceIp, 7),
        b"port" => Field(SourcePort, 1),
        b"client.port" | b"source.port" | b"sourceport" => Field(SourcePort, 2),
        b"useragent" => Field(SourceUserAgent, 1),
        b"useragent.original" => Field(SourceUserAgent, 2),

        b"resource" => Field(Resource, 1),
        b"target" => Field(Resource, 2),
        b"resourcetype" => Field(ResourceType, 1),
        b"resourceid" => Field(ResourceId, 1),
        b"resourcename" => Field(ResourceName, 1),

        b"tenantid" => Field(TenantId, 1),
        b"orgid" | b"organizationid" => Field(TenantId, 2),
        b"accountid" => Field(TenantId, 3),
        b"projectid" => Field(ProjectId, 1),

        b"gitcommitsha" => Field(GitCommitSha, 1),
        b"commitsha" => Field(GitCommitSha, 2),
        b"requestid" => Field(RequestId, 1),
        b"request.id" => Field(RequestId, 2),
        b"traceid" => Field(TraceId, 1),
        b"trace.id" => Field(TraceId, 2),
        b"changeid" => Field(ChangeId, 1),

        b"details" | b"metadata" | b"changes" => MergeIntoDetails,
        _ => return None,
    })
}

/// True for keys whose object value is read member by member as
/// `key.member` (`"event": {"action": …}` → `event.action`); their
/// unrecognised members stay in `details` under the key.
pub(crate) fn is_container(folded: &[u8]) -> bool {
    matches!(
        folded,
        b"event" | b"log" | b"trace" | b"client" | b"source" | b"useragent" | b"session"
    )
}

/// The `correlation` key a correlation slot writes.
pub(crate) fn correlation_name(slot: Slot) -> Option<&'static str> {
    Some(match slot {
        Slot::GitCommitSha => "git_commit_sha",
        Slot::RequestId => "request_id",
        Slot::TraceId => "trace_id",
        Slot::ChangeId => "change_id",
        _ => return None,
    })
}

/// The category of an action, from its first word (and, for `user.*`, its
/// second): release/promotion/rollback/image/deploy(ment) → `deployment`;
/// apikey/member/role/group/permission/token and other `user.*` → `iam`;
/// `user.login`/`user.logout`, login/logout/session/auth → `auth`;
/// webhook/policy/config/setting(s) → `config`; anything else none.
pub(crate) fn category_for_action(action: &str) -> Option<&'static str> {
    let mut words = action.split('.');
    let first = words.next().unwrap_or_default();
    Some(match first {
        "release" | "promotion" | "rollback" | "image" | "deploy" | "deployment" => "deployment",
        "apikey" | "member" | "role" | "group" | "permission" | "token" => "iam",
        "login" | "logout" | "session" | "auth" | "authentication" => "auth",
        "webhook" | "policy" | "config" | "setting" | "settings" => "config",
        "user" => match words.next() {
            Some("login" | "logout" | "session") => "auth",
            _ => "iam",
        },
        _ => return None,
    })
}
