//! Everything a run leaves behind: the event log plus what the runner itself observed at each
//! step. `outcome` turns this into the normalised `Outcome`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use super::events::Event;
use super::process_output::ProcessOutput;
use super::state::Holding;

/// Group -> topic -> partition -> committed offset, as the broker reports it.
pub type Committed = BTreeMap<String, BTreeMap<String, BTreeMap<i32, i64>>>;

/// The assignment seen at an `await` or `expect` step, or at the end of the timeline.
#[derive(Debug, Clone, Default)]
pub struct Checkpoint {
    /// Line of the step in the scenario file; `None` for the end of the timeline.
    pub line: Option<usize>,
    /// The step, rendered.
    pub step: String,
    /// Running consumers and what they held.
    pub assignment: BTreeMap<Arc<str>, Holding>,
    /// Running consumers that were frozen (what they hold is their own stale view).
    pub frozen: BTreeSet<Arc<str>>,
    /// How many events the log held then: an `expect` step is judged, as it ends, on the facts
    /// of the first `events` events.
    pub events: usize,
    /// Committed offsets read from the broker then, for an `expect` step that checks them.
    pub committed: Option<Committed>,
}

/// When a step ran and how long it took.
#[derive(Debug, Clone)]
pub struct StepTiming {
    /// Line in the scenario file.
    pub line: usize,
    /// The step, rendered.
    pub step: String,
    /// Offset from the scenario start.
    pub started: Duration,
    /// Duration.
    pub took: Duration,
}

/// A foreground burst's figures.
#[derive(Debug, Clone)]
pub struct BurstTiming {
    /// Producer actor.
    pub actor: String,
    /// Line of the `produce` step.
    pub line: usize,
    /// Records sent.
    pub records: u64,
    /// From the first send to the last acknowledgement.
    pub took: Duration,
    /// Produce requests sent, from librdkafka statistics.
    pub produce_requests: Option<i64>,
}

/// A step that could not complete; the timeline stops there.
#[derive(Debug, Clone)]
pub struct StepFailure {
    /// Line in the scenario file.
    pub line: usize,
    /// The step, rendered.
    pub step: String,
    /// What went wrong.
    pub message: String,
}

/// What the topics held when read back after the run.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// Records read, with or without a harness id.
    pub records: u64,
    /// Producer -> sequence numbers of its records found, sorted, repeated once per copy.
    pub copies: BTreeMap<Arc<str>, Vec<u64>>,
}

/// The raw result of a run.
#[derive(Debug, Clone, Default)]
pub struct RunRecord {
    /// Every event, in order.
    pub events: Vec<Event>,
    /// Assignments at each barrier, expectation and the end.
    pub checkpoints: Vec<Checkpoint>,
    /// Committed offsets at the end, after every actor stopped.
    pub committed: Committed,
    /// Step timings.
    pub steps: Vec<StepTiming>,
    /// Burst figures.
    pub bursts: Vec<BurstTiming>,
    /// A step that failed and ended the timeline early.
    pub failure: Option<StepFailure>,
    /// Total run time.
    pub wall_time: Duration,
    /// The topics read back after the run (scenarios with brokers of their own), or why they
    /// could not be.
    pub stored: Option<Result<Stored, String>>,
    /// Process actor -> what it printed and how it ended (its last run, if started twice).
    pub processes: BTreeMap<String, ProcessOutput>,
}
