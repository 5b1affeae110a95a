//! Expectations against facts: each one that does not hold becomes a `Difference` that says
//! what was expected and what happened.
//!
//! - [`check`](mod@check): the expectations of one step (or of the end) against the facts;
//! - [`verdict`](mod@verdict): every failure of a run, each `expect` step judged once at its step;
//! - [`compare`]: a scenario's variants against each other, once all of them have run.

pub mod check;
pub mod compare;
pub mod verdict;

pub use crate::record::difference::Difference;
pub use check::check;
pub use verdict::{Failure, Judged, Problem, at_checkpoint, verdict};
