//! Configuration errors, each at a file, line and column.
//!
//! Owns [`ConfigError`] (what `load` returns), [`ConfigProblem`] (one
//! problem at one place) and [`Reason`] (one variant per cause the operator
//! can fix), plus the conversion from byte offsets to 1-based line and
//! column (columns count characters, not bytes).
//!
//! Invariant: no message ever contains a value that came from the
//! environment or a secret file; values produced by interpolation are shown
//! as written in the file (`"${TOKEN}"`).

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

/// Why the configuration cannot be used. Nothing runs half-configured: one
/// problem is enough to refuse the whole file.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file itself could not be read.
    #[error("cannot read configuration file {}: {source} (check the path given with -c and its permissions)", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid configuration; every problem
    /// found is listed, in file order, one per line.
    #[error("{}", ProblemList(problems))]
    Invalid { problems: Vec<ConfigProblem> },
}

impl ConfigError {
    /// The problems found, in file order (empty for [`ConfigError::Read`]).
    pub fn problems(&self) -> &[ConfigProblem] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { problems } => problems,
        }
    }
}

struct ProblemList<'a>(&'a [ConfigProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// One problem at one place: `auditship.toml:12:11: unknown key …`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}:{line}:{column}: {reason}")]
pub struct ConfigProblem {
    /// The file name as given to the loader.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    pub reason: Reason,
}

/// What is wrong, with what the operator can do about it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Reason {
    #[error("invalid TOML: {message}")]
    Syntax { message: String },
    #[error("unknown key \"{key}\" in {table}{}", DidYouMean(suggestion))]
    UnknownKey {
        key: String,
        table: String,
        suggestion: Option<String>,
    },
    #[error("missing required key \"{key}\" in {table}")]
    MissingKey { key: String, table: String },
    #[error("\"{key}\" in {table} must be {expected}, found {found}")]
    WrongType {
        key: String,
        table: String,
        expected: String,
        found: String,
    },
    #[error("invalid \"{key}\" in {table}: {message}")]
    InvalidValue {
        key: String,
        table: String,
        message: String,
    },
    #[error(
        "source type \"{kind}\" is not available in this version of auditship (supported: file, unix, syslog, http)"
    )]
    SourceTypeUnavailable { kind: String },
    #[error(
        "unknown source type \"{kind}\" (supported: file, unix, syslog, http){}",
        DidYouMean(suggestion)
    )]
    UnknownSourceType {
        kind: String,
        suggestion: Option<String>,
    },
    #[error("sink type \"{kind}\" is not available in this version of auditship (supported: {})", super::validate::SINK_TYPES_AVAILABLE.join(", "))]
    SinkTypeUnavailable { kind: String },
    #[error(
        "unknown sink type \"{kind}\" (supported: {}){}",
        super::validate::SINK_TYPES_AVAILABLE.join(", "),
        DidYouMean(suggestion)
    )]
    UnknownSinkType {
        kind: String,
        suggestion: Option<String>,
    },
    #[error(
        "format \"{format}\" is not available in this version (supported: {})",
        super::validate::FORMATS_AVAILABLE.join(", ")
    )]
    FormatUnavailable { format: String },
    #[error(
        "unknown format \"{format}\" (supported: {}){}",
        super::validate::FORMATS_AVAILABLE.join(", "),
        DidYouMean(suggestion)
    )]
    UnknownFormat {
        format: String,
        suggestion: Option<String>,
    },
    #[error("invalid id \"{id}\" in [{table}]: ids must be non-empty and use only letters, digits, '_' and '-'")]
    InvalidId { id: String, table: String },
    #[error("no source is configured: add at least one [sources.ID] table")]
    NoSource,
    #[error("no sink is configured: add at least one [sinks.ID] table")]
    NoSink,
    #[error(
        "unknown input \"{input}\" in [sinks.{sink}]: no source has this id{}",
        DidYouMean(suggestion)
    )]
    UnknownInput {
        input: String,
        sink: String,
        suggestion: Option<String>,
    },
    #[error(
        "unknown schema field \"{field}\" in [sources.{source_id}.map]{}",
        DidYouMean(suggestion)
    )]
    UnknownSchemaField {
        field: String,
        source_id: String,
        suggestion: Option<String>,
    },
    #[error("[sources.{source_id}.map] is only used with format \"json\" (this source reads \"{format}\"): remove it or set format = \"json\"")]
    MapNeedsJson { source_id: String, format: String },
    #[error("environment variable {name} is not set: set it, or give a default with ${{{name}:-default}}")]
    UnsetVariable { name: String },
    #[error("invalid variable reference: {message} (write $$ for a literal $)")]
    BadReference { message: String },
    #[error("cannot read secret file {path}: {error} (check that it exists and that the auditship user may read it)")]
    SecretFileUnreadable { path: String, error: String },
}

/// Renders ` (did you mean "x"?)` when there is a suggestion.
struct DidYouMean<'a>(&'a Option<String>);

impl fmt::Display for DidYouMean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, " (did you mean \"{s}\"?)"),
            None => Ok(()),
        }
    }
}

/// The known name closest to `given`, when it is close enough to be a typo.
pub(crate) fn closest<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(given, k), k))
        .filter(|(distance, k)| *distance > 0 && *distance <= (k.len() / 3).clamp(1, 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k.to_string())
}

/// Turns byte offsets into 1-based line and column for one text.
pub(crate) struct Locator<'a> {
    text: &'a str,
    file: &'a str,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str, file: &'a str) -> Self {
        Locator { text, file }
    }

    /// 1-based (line, column) of a byte offset; offsets past the end or
    /// inside a character are clamped.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    pub fn problem(&self, offset: usize, reason: Reason) -> ConfigProblem {
        let (line, column) = self.line_column(offset);
        ConfigProblem {
            file: self.file.to_string(),
            line,
            column,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_lines_and_character_columns() {
        let text = "a = 1\nbé = \"x\"\n";
        let locator = Locator::new(text, "f.toml");
        assert_eq!(locator.line_column(0), (1, 1));
        assert_eq!(locator.line_column(6), (2, 1));
        // "é" is two bytes but one column.
        let x = text.find('=').unwrap();
        assert_eq!(
            locator.line_column(text[x + 1..].find('=').unwrap() + x + 1),
            (2, 4)
        );
        assert_eq!(locator.line_column(10_000), (3, 1));
    }

    #[test]
    fn problems_render_as_file_line_column_reason() {
        let problem = Locator::new("\n\n  inclde = []\n", "auditship.toml").problem(
            4,
            Reason::UnknownKey {
                key: "inclde".into(),
                table: "[sources.app]".into(),
                suggestion: Some("include".into()),
            },
        );
        assert_eq!(
            problem.to_string(),
            "auditship.toml:3:3: unknown key \"inclde\" in [sources.app] (did you mean \"include\"?)"
        );
    }

    #[test]
    fn several_problems_are_listed_one_per_line() {
        let locator = Locator::new("x\ny\n", "c.toml");
        let error = ConfigError::Invalid {
            problems: vec![
                locator.problem(0, Reason::NoSource),
                locator.problem(2, Reason::NoSink),
            ],
        };
        let text = error.to_string();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.starts_with("c.toml:1:1: no source"), "{text}");
        assert!(text.contains("\nc.toml:2:1: no sink"), "{text}");
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let known = ["include", "exclude", "format"];
        assert_eq!(closest("inclde", known), Some("include".into()));
        assert_eq!(closest("fromat", known), Some("format".into()));
        assert_eq!(closest("colour", known), None);
        assert_eq!(
            closest("format", ["format"]),
            None,
            "an exact name is no typo"
        );
    }
}
