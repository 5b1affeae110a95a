//! `junit.xml`: one testcase per scenario and target, for a CI's test view. A failed scenario's
//! failure lists each difference with its line; a scenario the target could not run is skipped
//! with the reason, never passed; an error of the cluster or a client is an error.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::results::{FailureView, ScenarioResult, Verdict};
use crate::expect::compare::{Comparison, Held};

/// `junit.xml` for these results: one test suite per target, and one test case per compared
/// scenario in the suite of its variants' target.
pub fn junit(
    results: &[ScenarioResult],
    comparisons: &[Comparison],
) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("kafka-scenario");
    let mut targets: Vec<&str> = Vec::new();
    for result in results {
        if !targets.contains(&result.target.as_str()) {
            targets.push(&result.target);
        }
    }
    for target in targets {
        let mut suite = TestSuite::new(target);
        for result in results.iter().filter(|r| r.target == target) {
            suite.add_test_case(test_case(result));
        }
        for comparison in comparisons {
            suite.add_test_case(comparison_case(comparison, target));
        }
        report.add_test_suite(suite);
    }
    report.to_string()
}

/// `<scenario>: compare`, failed when an ordering did not hold.
fn comparison_case(comparison: &Comparison, target: &str) -> TestCase {
    let failed: Vec<String> = comparison
        .orderings
        .iter()
        .filter(|o| o.held == Held::No)
        .map(|o| format!("line {}: {} ({})", o.line, o.ordering, o.detail))
        .collect();
    let status = if failed.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(failed[0].as_str())
            .set_type("comparison")
            .set_description(failed.join("\n"));
        status
    };
    let mut case = TestCase::new(format!("{}: compare", comparison.title()), status);
    case.set_classname(target);
    case
}

fn test_case(result: &ScenarioResult) -> TestCase {
    let status = match &result.verdict {
        Verdict::Passed => TestCaseStatus::success(),
        Verdict::Failed => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let first = result.failures.first().map(one_line).unwrap_or_default();
            status
                .set_message(format!("{}: {first}", result.file))
                .set_type("expectation")
                .set_description(
                    result
                        .failures
                        .iter()
                        .map(one_line)
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            status
        }
        Verdict::NotRunnable(reason) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!("not runnable: {reason}"));
            status
        }
        Verdict::Error(message) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(message.as_str())
                .set_type("infrastructure");
            status
        }
    };
    let mut case = TestCase::new(result.scenario.as_str(), status);
    case.set_classname(result.target.as_str())
        .set_time(Duration::from_secs_f64(result.seconds.max(0.0)));
    case
}

/// `line 12: assignment of consumer1: expected [0], actual [0, 1]`.
fn one_line(failure: &FailureView) -> String {
    let at = failure
        .line
        .map_or_else(|| "end".to_owned(), |line| format!("line {line}"));
    match (&failure.expected, &failure.actual) {
        (Some(expected), Some(actual)) => {
            format!(
                "{at}: {}: expected {expected}, actual {actual}",
                failure.what
            )
        }
        _ => format!("{at}: {}", failure.what),
    }
}

#[cfg(test)]
mod tests;
