//! One expectation that did not hold, as plain data: `expect` judges and writes it, the run's
//! observers show it as the step ends, and the verdict and reports carry it after the run.

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What was checked, e.g. `assignment of consumer1`.
    pub what: String,
    /// The expected value, rendered.
    pub expected: String,
    /// The actual value, rendered.
    pub actual: String,
}
