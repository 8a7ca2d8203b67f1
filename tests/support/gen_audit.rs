//! A deterministic generator of application audit lines shaped like
//! `/work/shared/tools/gen-audit --format json` (and, from the same
//! events, like its `auditd`, `syslog5424`, `cef`, `cloudtrail` and `k8s`
//! formats, plus `syslog3164` and `logfmt`): one JSON object a line
//! with `id`, `seq`, `projectId`, `tenantId`, `userId`, `actorType`,
//! `action`, `status`, `ip`, `resource{type,id}`, `details{environment,
//! previousVersion, version}` (plus `breakGlassSessionId`/`justification`
//! for `break_glass.opened`), `gitCommitSha`, `createdAt`.
//!
//! Std only: a splitmix64 stream seeded from `(seed, seq)`, so any line can
//! be made alone and the same `(seed, seq)` always gives the same bytes.
//! The pools (20 projects, 5 tenants, 200 users) depend on `seed` alone.
//! `createdAt` is 2026-03-27T10:30:15.123Z + 7 ms × seq + 0–4 ms, with
//! milliseconds and `Z`.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::Write;
use std::ops::Range;

/// (action, status) pairs, as in the Python generator.
pub const ACTIONS: [(&str, &str); 16] = [
    ("release.create", "success"),
    ("release.approve", "success"),
    ("release.deploy", "success"),
    ("release.fail", "failure"),
    ("promotion.request", "success"),
    ("promotion.execute", "success"),
    ("rollback.initiate", "success"),
    ("policy.violation.detect", "blocked"),
    ("apikey.create", "success"),
    ("member.role.change", "success"),
    ("break_glass.opened", "success"),
    ("user.login", "success"),
    ("user.login", "failure"),
    ("webhook.update", "success"),
    ("inbox.delete", "success"),
    ("image.update", "success"),
];
const ACTOR_TYPES: [&str; 12] = [
    "user",
    "user",
    "user",
    "user",
    "user",
    "user",
    "user",
    "user",
    "service_account",
    "service_account",
    "service_account",
    "system",
];
const ENVS: [&str; 3] = ["production", "staging", "dev"];
/// 2026-03-27T10:30:15.123Z in Unix milliseconds.
const T0_MILLIS: u64 = 1_774_607_415_123;

/// The splitmix64 generator (Steele, Lea, Flood 2014).
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64, stream: u64) -> SplitMix64 {
        let mut s = SplitMix64(seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03));
        s.next();
        s
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A uuid-like text (8-4-4-4-12 hex) from 128 random bits.
fn uuid_text(rng: &mut SplitMix64) -> String {
    let hex = format!("{:016x}{:016x}", rng.next(), rng.next());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Member `index` of the pool `pool` (1 projects, 2 tenants, 3 users).
fn pool_uuid(seed: u64, pool: u64, index: u64) -> String {
    uuid_text(&mut SplitMix64::new(seed, (pool << 32) | index))
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds and `Z`.
pub fn format_millis(millis: u64) -> String {
    let secs = millis / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        millis % 1000
    )
}

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One generated audit event, before it is written in some format.
#[derive(Debug, Clone)]
pub struct GenEvent {
    pub seq: u64,
    pub id: String,
    pub project: String,
    pub tenant: String,
    pub user: String,
    pub actor_type: &'static str,
    pub action: &'static str,
    pub status: &'static str,
    pub ip: String,
    pub resource_type: String,
    pub resource_id: String,
    pub env: &'static str,
    pub previous: u64,
    pub version: u64,
    pub sha: String,
    /// `Some(incident)` for `break_glass.opened`.
    pub incident: Option<u64>,
    /// Unix milliseconds.
    pub created_millis: u64,
}

/// Event number `seq` of the stream `seed`.
pub fn event(seed: u64, seq: u64) -> GenEvent {
    let mut rng = SplitMix64::new(seed, seq.wrapping_add(1 << 40));
    let (action, status) = ACTIONS[rng.below(ACTIONS.len() as u64) as usize];
    let created_millis = T0_MILLIS + seq * 7 + rng.below(5);
    let id = uuid_text(&mut rng);
    let project = pool_uuid(seed, 1, rng.below(20));
    let tenant = pool_uuid(seed, 2, rng.below(5));
    let user = pool_uuid(seed, 3, rng.below(200));
    let actor_type = ACTOR_TYPES[rng.below(ACTOR_TYPES.len() as u64) as usize];
    let ip = format!(
        "10.{}.{}.{}",
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    );
    let resource_type = action.split('.').next().unwrap_or(action).to_string();
    let resource_id = format!("{:x}", rng.next() >> 16);
    let env = ENVS[rng.below(3) as usize];
    let previous = rng.below(50);
    let version = rng.below(50);
    let sha = format!(
        "{:016x}{:016x}{:08x}",
        rng.next(),
        rng.next(),
        rng.next() >> 32
    );
    let incident = (action == "break_glass.opened").then(|| rng.below(10_000));
    GenEvent {
        seq,
        id,
        project,
        tenant,
        user,
        actor_type,
        action,
        status,
        ip,
        resource_type,
        resource_id,
        env,
        previous,
        version,
        sha,
        incident,
        created_millis,
    }
}

/// The line number `seq` of the stream `seed`, without a newline.
pub fn json_line(seed: u64, seq: u64) -> String {
    let GenEvent {
        seq,
        id,
        project,
        tenant,
        user,
        actor_type,
        action,
        status,
        ip,
        resource_type,
        resource_id,
        env,
        previous,
        version,
        sha,
        incident,
        created_millis,
    } = event(seed, seq);
    let mut line = String::with_capacity(640);
    let _ = write!(
        line,
        r#"{{"id":"{id}","seq":{seq},"projectId":"{project}","tenantId":"{tenant}","userId":"{user}","actorType":"{actor_type}","action":"{action}","status":"{status}","ip":"{ip}","resource":{{"type":"{resource_type}","id":"{resource_id}"}},"details":{{"environment":"{env}","previousVersion":"2.0.{previous}","version":"2.1.{version}""#
    );
    if let Some(incident) = incident {
        let _ = write!(
            line,
            r#","breakGlassSessionId":"bg-{seq}","justification":"incident INC-{incident}""#
        );
    }
    let _ = write!(
        line,
        r#"}},"gitCommitSha":"{sha}","createdAt":"{}"}}"#,
        format_millis(created_millis)
    );
    line
}

/// The auditd records of event `seq` (SYSCALL, EXECVE, CWD, PROCTITLE,
/// EOE), joined by `\n`, as `gen-audit --format auditd` writes them.
pub fn auditd_lines(seed: u64, seq: u64) -> String {
    let e = event(seed, seq);
    let stamp = format!(
        "{}.{:03}:{}",
        e.created_millis / 1000,
        e.created_millis % 1000,
        e.seq + 1
    );
    let ok = if e.status == "success" { "yes" } else { "no" };
    let uid = u64::from_str_radix(&e.user[..4], 16).unwrap_or(0);
    [
        format!(
            r#"type=SYSCALL msg=audit({stamp}): arch=c000003e syscall=59 success={ok} exit=0 a0=55d0 a1=55d1 a2=55d2 a3=0 items=2 ppid=1201 pid={} auid={uid} uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="deployctl" exe="/usr/bin/deployctl" key="{}""#,
            2000 + e.seq % 30000,
            e.action
        ),
        format!(
            r#"type=EXECVE msg=audit({stamp}): argc=3 a0="deployctl" a1="{}" a2="{}""#,
            e.action, e.env
        ),
        format!(r#"type=CWD msg=audit({stamp}): cwd="/srv/app""#),
        format!("type=PROCTITLE msg=audit({stamp}): proctitle=6465706C6F7963746C"),
        format!("type=EOE msg=audit({stamp}):"),
    ]
    .join("\n")
}

/// Event `seq` as an RFC 5424 line with `[audit@32473 …]` structured data.
pub fn syslog5424_line(seed: u64, seq: u64) -> String {
    let e = event(seed, seq);
    let severity = if e.status == "success" { 6 } else { 4 };
    let msg_id: String = e.action.replace('.', "_").chars().take(32).collect();
    format!(
        r#"<{}>1 {} web-{:02}.example.com deployd 4242 {msg_id} [audit@32473 seq="{}" action="{}" user="{}" status="{}"] {} by {} from {}"#,
        10 * 8 + severity,
        format_millis(e.created_millis),
        e.seq % 17,
        e.seq,
        e.action,
        e.user,
        e.status,
        e.action,
        e.user,
        e.ip
    )
}

/// Event `seq` as an RFC 3164 (BSD) line, as `auth.log` holds them:
/// `<PRI>Mmm dd hh:mm:ss host app[pid]: message`, the message by turns an
/// sshd login (`Accepted`/`Failed password for USER from IP port P ssh2`),
/// a sudo command, or a plain application message.
pub fn syslog3164_line(seed: u64, seq: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let e = event(seed, seq);
    let stamp = format_millis(e.created_millis);
    let month = MONTHS[stamp[5..7].parse::<usize>().unwrap_or(1) - 1];
    let day: u32 = stamp[8..10].parse().unwrap_or(1);
    let time = &stamp[11..19];
    let host = format!("web-{:02}", e.seq % 17);
    let user = &e.user[..8];
    let (pri, body) = match e.seq % 3 {
        0 => {
            let word = if e.status == "success" { "Accepted" } else { "Failed" };
            (
                if e.status == "success" { 86 } else { 84 },
                format!(
                    "sshd[{}]: {word} password for {user} from {} port {} ssh2",
                    2000 + e.seq % 30000,
                    e.ip,
                    1024 + e.seq % 60000
                ),
            )
        }
        1 => (
            85,
            format!(
                "sudo: {user} : TTY=pts/{} ; PWD=/srv/app ; USER=root ; COMMAND=/usr/bin/deployctl {} {}",
                e.seq % 8,
                e.action,
                e.env
            ),
        ),
        _ => (
            134,
            format!(
                "deployd[4242]: {} {} by {user} from {} (env={})",
                e.action, e.status, e.ip, e.env
            ),
        ),
    };
    format!("<{pri}>{month} {day:>2} {time} {host} {body}")
}

/// Event `seq` as a CEF line (`cs1` = seq, `cs2` = tenant).
pub fn cef_line(seed: u64, seq: u64) -> String {
    let e = event(seed, seq);
    let severity = match e.status {
        "success" => 3,
        "failure" => 6,
        _ => 8,
    };
    format!(
        "CEF:0|Acme|deployd|2.1|{}|{}|{severity}|rt={} suid={} src={} act={} outcome={} externalId={} cs1Label=seq cs1={} cs2Label=tenant cs2={} msg={} by {} (env\\={})",
        e.action,
        e.action.replace('.', " "),
        e.created_millis,
        e.user,
        e.ip,
        e.action,
        e.status,
        e.id,
        e.seq,
        e.tenant,
        e.action,
        e.actor_type,
        e.env
    )
}

/// Event `seq` as one CloudTrail record (`requestParameters.seq`).
pub fn cloudtrail_line(seed: u64, seq: u64) -> String {
    let e = event(seed, seq);
    let kind = match e.actor_type {
        "user" => "IAMUser",
        "service_account" => "AssumedRole",
        _ => "AWSService",
    };
    let name: String = e
        .action
        .split('.')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    let error = if e.status == "success" {
        String::new()
    } else {
        r#","errorCode":"AccessDenied","errorMessage":"User is not authorized""#.to_string()
    };
    let time = format_millis(e.created_millis);
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{{"type":"{kind}","principalId":"{}","accountId":"1111{:08}","arn":"arn:aws:iam::111122223333:user/{}","userName":"{}"}},"eventTime":"{}Z","eventSource":"{}.amazonaws.com","eventName":"{name}","awsRegion":"eu-west-1","sourceIPAddress":"{}","userAgent":"aws-cli/2.15.0","requestParameters":{{"resourceId":"{}","seq":{}}},"responseElements":null,"requestID":"{}","eventID":"{}","eventType":"AwsApiCall","recipientAccountId":"111122223333"{error}}}"#,
        e.user[..20].to_ascii_uppercase(),
        e.seq % 100_000_000,
        &e.user[..8],
        &e.user[..8],
        &time[..19],
        e.resource_type,
        e.ip,
        e.resource_id,
        e.seq,
        &e.id[..18],
        e.id
    )
}

/// Event `seq` as a Kubernetes audit event (`auditID` ends in `-seq`).
pub fn k8s_line(seed: u64, seq: u64) -> String {
    let e = event(seed, seq);
    let (verb, code) = match e.status {
        "success" => ("create", 201),
        "failure" => ("delete", 403),
        _ => ("patch", 422),
    };
    let decision = if code == 403 { "forbid" } else { "allow" };
    let time = format_millis(e.created_millis);
    let base = time.trim_end_matches('Z');
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{}-{}","stage":"ResponseComplete","requestURI":"/apis/apps/v1/namespaces/{env}/deployments","verb":"{verb}","user":{{"username":"system:serviceaccount:ci:{}","groups":["system:authenticated"]}},"sourceIPs":["{}"],"userAgent":"kubectl/v1.31.0","objectRef":{{"resource":"deployments","namespace":"{env}","name":"{}","apiGroup":"apps","apiVersion":"v1"}},"responseStatus":{{"metadata":{{}},"code":{code}}},"requestReceivedTimestamp":"{base}000Z","stageTimestamp":"{base}900Z","annotations":{{"authorization.k8s.io/decision":"{decision}"}}}}"#,
        &e.id[..23],
        e.seq,
        &e.user[..8],
        e.ip,
        e.resource_id,
        env = e.env
    )
}

/// Event `seq` as a logfmt line (the json line's fields, flat).
pub fn logfmt_line(seed: u64, seq: u64) -> String {
    let e = event(seed, seq);
    format!(
        r#"time={} level=info id={} seq={} projectId={} tenantId={} userId={} actorType={} action={} status={} ip={} resourceType={} resourceId={} environment={} version=2.1.{} gitCommitSha={} msg="{} by {} in {}""#,
        format_millis(e.created_millis),
        e.id,
        e.seq,
        e.project,
        e.tenant,
        e.user,
        e.actor_type,
        e.action,
        e.status,
        e.ip,
        e.resource_type,
        e.resource_id,
        e.env,
        e.version,
        e.sha,
        e.action,
        e.actor_type,
        e.env
    )
}

/// Writes lines `range` of the stream `seed`, each ending in `\n`.
pub fn write_json_lines(w: &mut impl Write, seed: u64, range: Range<u64>) -> std::io::Result<()> {
    for seq in range {
        w.write_all(json_line(seed, seq).as_bytes())?;
        w.write_all(b"\n")?;
    }
    Ok(())
}
