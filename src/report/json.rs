//! `results.json`: every result as it is, for machines (the Outcome, measurements, failures and
//! the whole event log of each scenario).

use serde::Serialize;

use super::results::ScenarioResult;
use crate::expect::compare::Comparison;

/// The file's content.
#[derive(Serialize)]
struct ResultsFile<'a> {
    /// The harness version that wrote it.
    version: &'static str,
    scenarios: &'a [ScenarioResult],
    /// The variants of each scenario that has them, compared.
    #[serde(skip_serializing_if = "<[Comparison]>::is_empty")]
    comparisons: &'a [Comparison],
}

/// Writes `results.json` for these results and comparisons to `out`, as it is made: a
/// million-record run spells out two million events, which are never held whole.
pub fn write_results_json(
    out: impl std::io::Write,
    results: &[ScenarioResult],
    comparisons: &[Comparison],
) -> Result<(), serde_json::Error> {
    serde_json::to_writer_pretty(
        out,
        &ResultsFile {
            version: env!("CARGO_PKG_VERSION"),
            scenarios: results,
            comparisons,
        },
    )
}

#[cfg(test)]
mod tests;
