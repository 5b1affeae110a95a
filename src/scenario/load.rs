//! Loading a scenario: read the file, parse it with located errors, validate it into a plan per
//! variant.

use std::path::Path;

use super::plan::Scenario;
use super::source::{ScenarioError, SourceText};

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {file}: {source}")]
    Io {
        /// The path given.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid scenario.
    #[error(transparent)]
    Invalid(#[from] Box<ScenarioError>),
}

/// The seed [`load`] and [`load_str`] draw crowd members with (`which: drawn`): the same
/// members every time. `scenario-run` draws a seed of its own per invocation unless `--seed`
/// gives one, and loads with [`load_seeded`].
pub const FIXED_SEED: u64 = 0;

/// Reads, parses and validates a scenario file: a plan per variant.
pub fn load(file: &Path) -> Result<Scenario, LoadError> {
    load_seeded(file, FIXED_SEED)
}

/// As [`load`], drawing crowd members with `seed`.
pub fn load_seeded(file: &Path, seed: u64) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(file).map_err(|source| LoadError::Io {
        file: file.display().to_string(),
        source,
    })?;
    parse_and_validate(file, text, seed)
}

/// Parses and validates scenario text; `file` is only used in error messages.
pub fn load_str(file: &Path, text: String) -> Result<Scenario, LoadError> {
    parse_and_validate(file, text, FIXED_SEED)
}

fn parse_and_validate(file: &Path, text: String, seed: u64) -> Result<Scenario, LoadError> {
    let source = SourceText::new(file, text);
    let parsed = super::parse::parse(&source)?;
    Ok(super::validate::validate(parsed, &source, seed)?)
}
