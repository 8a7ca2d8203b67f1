//! A deterministic generator of application audit lines shaped like
//! `/work/shared/tools/gen-audit --format json`: one JSON object a line
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

/// The line number `seq` of the stream `seed`, without a newline.
pub fn json_line(seed: u64, seq: u64) -> String {
    let mut rng = SplitMix64::new(seed, seq.wrapping_add(1 << 40));
    let (action, status) = ACTIONS[rng.below(ACTIONS.len() as u64) as usize];
    let created = T0_MILLIS + seq * 7 + rng.below(5);
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
    let resource_type = action.split('.').next().unwrap_or(action);
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
    let mut line = String::with_capacity(640);
    let _ = write!(
        line,
        r#"{{"id":"{id}","seq":{seq},"projectId":"{project}","tenantId":"{tenant}","userId":"{user}","actorType":"{actor_type}","action":"{action}","status":"{status}","ip":"{ip}","resource":{{"type":"{resource_type}","id":"{resource_id}"}},"details":{{"environment":"{env}","previousVersion":"2.0.{previous}","version":"2.1.{version}""#
    );
    if action == "break_glass.opened" {
        let incident = rng.below(10_000);
        let _ = write!(
            line,
            r#","breakGlassSessionId":"bg-{seq}","justification":"incident INC-{incident}""#
        );
    }
    let _ = write!(
        line,
        r#"}},"gitCommitSha":"{sha}","createdAt":"{}"}}"#,
        format_millis(created)
    );
    line
}

/// Writes lines `range` of the stream `seed`, each ending in `\n`.
pub fn write_json_lines(w: &mut impl Write, seed: u64, range: Range<u64>) -> std::io::Result<()> {
    for seq in range {
        w.write_all(json_line(seed, seq).as_bytes())?;
        w.write_all(b"\n")?;
    }
    Ok(())
}
