//! IANA time zones for `schedule`, read from the system's zoneinfo (TZif
//! files, `tzdata`) when the configuration is loaded, so an unknown zone
//! is a configuration error and the binary does not embed the database.
//!
//! Where: `$TZDIR` if set, else `/usr/share/zoneinfo` (Debian, distroless,
//! Alpine with `tzdata`). `UTC` works without any file. The zone's rules
//! (transitions and the POSIX rule for later years) are kept in memory;
//! a tzdata update is picked up at the next start.

use std::path::PathBuf;

/// Why a zone cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    #[error("\"{name}\" is not an IANA time zone name such as \"Europe/Berlin\" or \"America/New_York\"")]
    BadName { name: String },
    #[error("unknown time zone \"{name}\": {path} cannot be read ({error}); check the name (e.g. \"Europe/Berlin\") or install tzdata (set TZDIR if it is elsewhere)")]
    NotFound {
        name: String,
        path: String,
        error: std::io::Error,
    },
    #[error("{path} is not a valid time zone file ({error}); reinstall tzdata")]
    Invalid { path: String, error: String },
}

fn zoneinfo_dir() -> PathBuf {
    std::env::var_os("TZDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("/usr/share/zoneinfo"), PathBuf::from)
}

/// The rules of the zone `name`.
pub fn load(name: &str) -> Result<tz::TimeZone, ZoneError> {
    if name == "UTC" || name == "Etc/UTC" {
        return Ok(tz::TimeZone::utc());
    }
    let valid = !name.is_empty()
        && !name.starts_with('/')
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != ".."
                && part != "."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
        });
    if !valid {
        return Err(ZoneError::BadName { name: name.into() });
    }
    let path = zoneinfo_dir().join(name);
    let shown = path.display().to_string();
    let bytes = std::fs::read(&path).map_err(|error| ZoneError::NotFound {
        name: name.into(),
        path: shown.clone(),
        error,
    })?;
    tz::TimeZone::from_tz_data(&bytes).map_err(|error| ZoneError::Invalid {
        path: shown,
        error: error.to_string(),
    })
}
