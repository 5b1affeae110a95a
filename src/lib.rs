//! kafka-scenario: declarative scenario tests of Kafka client behaviour.
//!
//! The pipeline, one module per arrow:
//! `scenario` (file -> `Plan`) -> `run` (Plan on a `cluster` with `actor`s -> event log)
//! -> `outcome` (events -> `Outcome`) -> `expect` (expectations -> failures) -> `report`.
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

/// Runs a loaded scenario on a cluster and judges it.
pub async fn run(
    plan: &Plan,
    cluster: &dyn cluster::Cluster,
    observer: &mut dyn run::Observer,
) -> Result<Finished, RunError> {
    let record = run::run(plan, cluster, observer).await?;
    Ok(Finished {
        outcome: outcome::build(plan, &record),
        failures: expect::verdict(plan, &record),
        record,
    })
}
