//! The contract between the runner and whoever watches it (the terminal, a judge, tests): what
//! a step's end says and how far a running step has come. These are the only types of `run`
//! a reporter may use; data flows from the runner to them, never back.

use std::sync::Arc;
use std::time::Duration;

use crate::record::difference::Difference;
use crate::record::events::EventLog;
use crate::record::run_record::Checkpoint;
use crate::scenario::plan::PlannedStep;

/// What the runner tells its observer after each step.
#[derive(Debug, Clone, Default)]
pub struct StepNote {
    /// Running consumers and what they hold after the step (for an `await` or `expect`, the
    /// checkpoint it recorded).
    pub after: Checkpoint,
    /// Extra facts about the step, e.g. a burst's throughput.
    pub detail: Option<String>,
    /// For an `expect` step, each expectation that did not hold there, as judged once at the
    /// step (empty from the runner itself: whoever judges fills it in before reporters see it).
    pub judged: Vec<Difference>,
    /// Why the step failed, ending the timeline.
    pub failure: Option<String>,
}

/// How far a running step has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepProgress {
    /// Time since the step started.
    pub elapsed: Duration,
    /// For a `produce` step: records acknowledged so far, and records to send.
    pub records: Option<(u64, u64)>,
    /// For an `await` step: when it gives up.
    pub timeout: Option<Duration>,
}

/// Receives progress as the run goes; the CLI prints it, tests ignore it.
pub trait Observer: Send {
    /// The run has started writing `log`; an observer that judges steps as they finish reads
    /// it (the log's clock is the run's).
    fn run_started(&mut self, _log: &Arc<EventLog>) {}
    /// A step is about to run, `at` after the scenario start.
    fn step_started(&mut self, _step: &PlannedStep, _at: Duration) {}
    /// Whether to call `step_progress` while steps run; no progress is counted otherwise.
    fn wants_progress(&self) -> bool {
        false
    }
    /// How far the running step has come, every quarter second.
    fn step_progress(&mut self, _step: &PlannedStep, _progress: &StepProgress) {}
    /// A step has finished.
    fn step_finished(&mut self, _step: &PlannedStep, _at: Duration, _note: &StepNote) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {}
