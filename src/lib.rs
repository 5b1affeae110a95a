//! kafka-scenario: declarative scenario tests of Kafka client behaviour.
//!
//! The pipeline, one module per arrow:
//! `scenario` (file -> `Plan`) -> `run` (Plan on a `cluster` with `actor`s, writing a `record`)
//! -> `outcome` (the record -> facts -> `Outcome`) and `expect` (facts -> failures), both read
//! by `report`. `record` is the leaf everything stands on: the event log and the run record.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let scenario = kafka_scenario::load("scenarios/rebalance.yaml".as_ref())?;
//! for plan in &scenario.plans {
//!     let cluster = kafka_scenario::cluster::EmbeddedCluster::start()?;
//!     let finished = kafka_scenario::run(plan, &cluster, &mut kafka_scenario::run::Silent).await?;
//!     assert!(finished.passed(), "{:?}", finished.failures);
//! }
//! # Ok(()) }
//! ```

pub mod actor;
pub mod cluster;
pub mod expect;
pub mod outcome;
pub mod record;
pub mod report;
pub mod run;
pub mod scenario;

pub use expect::Failure;
pub use outcome::Outcome;
pub use run::RunError;
pub use scenario::{LoadError, Plan, Scenario, load};

use std::sync::Arc;
use std::time::Duration;

use record::events::EventLog;
use scenario::plan::{Action, PlannedStep};

/// A scenario that ran to the end (or to a failed step).
#[derive(Debug, Clone)]
pub struct Finished {
    /// The normalised outcome, for snapshots.
    pub outcome: Outcome,
    /// Everything that made it fail; empty when it passed.
    pub failures: Vec<Failure>,
    /// What the run recorded, from which both were made (for reports that need the events).
    pub record: record::run_record::RunRecord,
}

impl Finished {
    /// Whether every expectation held and every step completed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs a loaded scenario on a cluster and judges it: each `expect` step once, as it ends (so
/// that `observer` shows the same differences the verdict holds), the rest once at the end, on
/// facts built once for the Outcome and the verdict.
pub async fn run(
    plan: &Plan,
    cluster: &dyn cluster::Cluster,
    observer: &mut dyn run::Observer,
) -> Result<Finished, RunError> {
    let mut judge = Judge {
        plan,
        log: None,
        judged: expect::Judged::new(),
        inner: observer,
    };
    let record = run::run(plan, cluster, &mut judge).await?;
    let facts = outcome::run_facts(plan, &record);
    Ok(Finished {
        outcome: outcome::build(plan, &record, &facts),
        failures: expect::verdict(plan, &record, &judge.judged, &facts),
        record,
    })
}

/// Judges each `expect` step once, as it ends, from the run's log, keeps the judgement for the
/// verdict and hands it on with the step's note to the observer it wraps.
struct Judge<'a> {
    plan: &'a Plan,
    log: Option<Arc<EventLog>>,
    judged: expect::Judged,
    inner: &'a mut dyn run::Observer,
}

impl run::Observer for Judge<'_> {
    fn run_started(&mut self, log: &Arc<EventLog>) {
        self.log = Some(Arc::clone(log));
        self.inner.run_started(log);
    }

    fn step_started(&mut self, step: &PlannedStep, at: Duration) {
        self.inner.step_started(step, at);
    }

    fn wants_progress(&self) -> bool {
        self.inner.wants_progress()
    }

    fn step_progress(&mut self, step: &PlannedStep, progress: &run::StepProgress) {
        self.inner.step_progress(step, progress);
    }

    fn step_finished(&mut self, step: &PlannedStep, at: Duration, note: &run::StepNote) {
        let (Action::Expect(expectations), Some(log)) = (&step.action, &self.log) else {
            self.inner.step_finished(step, at, note);
            return;
        };
        let differences =
            log.read(|events| expect::at_checkpoint(self.plan, expectations, &note.after, events));
        let judged = run::StepNote {
            judged: differences.clone(),
            ..note.clone()
        };
        self.judged.insert(step.line, differences);
        self.inner.step_finished(step, at, &judged);
    }
}
