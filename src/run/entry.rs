//! The runner's entry: checks that the target can run the plan, creates the topics, runs the
//! timeline and removes what it created, whatever happened.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::observer::Observer;
use super::runner::Runner;
use crate::actor::ActorError;
use crate::actor::places::RecordPlaces;
use crate::actor::process::RunValues;
use crate::cluster::run_names::RunNames;
use crate::cluster::{Cluster, ClusterError};
use crate::record::events::EventLog;
use crate::record::run_record::RunRecord;
use crate::record::state::LiveState;
use crate::scenario::plan::{ActorPlan, Capability, NamedBy, Plan};

/// Why a run could not produce an outcome.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The target lacks something the scenario needs; nothing was created.
    #[error("not runnable on {target}: needs {}", missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    NotRunnable {
        /// The target's description.
        target: String,
        /// What it lacks.
        missing: Vec<Capability>,
    },
    /// The scenario's processes need values no `--var` gave; nothing was created.
    #[error("not runnable without {}", names.iter().map(|n| format!("--var {n}=...")).collect::<Vec<_>>().join(" "))]
    MissingVars {
        /// The variables' names.
        names: Vec<String>,
    },
    /// The cluster failed.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// A client failed.
    #[error(transparent)]
    Actor(#[from] ActorError),
}

/// Runs a plan on a cluster.
pub async fn run(
    plan: &Plan,
    cluster: &dyn Cluster,
    observer: &mut dyn Observer,
) -> Result<RunRecord, RunError> {
    let missing_vars = plan.missing_vars();
    if !missing_vars.is_empty() {
        return Err(RunError::MissingVars {
            names: missing_vars.into_iter().map(str::to_owned).collect(),
        });
    }
    let mut capabilities = cluster.capabilities();
    if cluster
        .connection()
        .iter()
        .any(|(k, _)| k == "sasl.username")
    {
        capabilities.insert(Capability::SaslCredentials);
    }
    let missing: Vec<Capability> = plan
        .needs
        .iter()
        .filter(|c| !capabilities.contains(c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(RunError::NotRunnable {
            target: cluster.describe(),
            missing,
        });
    }
    let names = Arc::new(RunNames::suffixed(
        plan.topics.iter().map(|t| t.name.as_str()),
        plan.groups(),
        cluster.run_suffix().as_deref(),
    ));
    let created = create_topics(plan, cluster).await;
    let outcome = match created {
        Ok(()) => run_timeline(plan, cluster, names, observer).await,
        Err(e) => Err(e),
    };
    let cleaned = cluster.cleanup().await;
    let record = outcome?;
    cleaned?;
    Ok(record)
}

async fn create_topics(plan: &Plan, cluster: &dyn Cluster) -> Result<(), RunError> {
    for topic in &plan.topics {
        cluster.create_topic(topic).await?;
    }
    Ok(())
}

async fn run_timeline(
    plan: &Plan,
    cluster: &dyn Cluster,
    names: Arc<RunNames>,
    observer: &mut dyn Observer,
) -> Result<RunRecord, RunError> {
    let (exits, exit_notices) = tokio::sync::mpsc::unbounded_channel();
    let connection = cluster.connection();
    let values = RunValues {
        bootstrap: connection
            .get("bootstrap.servers")
            .unwrap_or_default()
            .to_owned(),
        sasl: ["sasl.username", "sasl.password", "sasl.mechanism"]
            .into_iter()
            .filter_map(|key| Some((key.to_owned(), connection.get(key)?.to_owned())))
            .collect(),
        vars: plan.vars.clone(),
    };
    let log = EventLog::new();
    observer.run_started(&log);
    let mut runner = Runner {
        plan,
        cluster,
        log,
        names,
        actors: BTreeMap::new(),
        state: LiveState::default(),
        partitions: plan
            .topics
            .iter()
            .map(|t| (t.name.clone(), t.partitions))
            .collect(),
        process_times: BTreeMap::new(),
        links: BTreeMap::new(),
        record: RunRecord::default(),
        view: None,
        watch: None,
        named_brokers: BTreeMap::new(),
        group_watch: None,
        tails: BTreeMap::new(),
        exits,
        exit_notices: Some(exit_notices),
        values,
        places: RecordPlaces::keeping(
            harness_topics_read_by_processes(plan),
            topics_read_by_value(plan),
        ),
        closing: BTreeMap::new(),
    };
    if plan.brokers.is_some() {
        runner.watch_cluster()?;
    }
    let timeline = runner.timeline(observer).await;
    let cleanup = runner.finish().await;
    timeline.and(cleanup)?;
    Ok(runner.record)
}

/// The topics a process consumer reads that names records by value: only their records'
/// values are kept.
fn topics_read_by_value(plan: &Plan) -> Vec<Arc<str>> {
    plan.actors
        .values()
        .filter_map(|a| match a {
            ActorPlan::Process(p)
                if p.prints
                    .as_ref()
                    .is_some_and(|p| p.names_by == NamedBy::Value) =>
            {
                Some(a.consumed_topics())
            }
            _ => None,
        })
        .flatten()
        .map(|topic| Arc::from(topic.as_str()))
        .collect()
}

/// The topics harness producers write to that a process consumer reads and reports record by
/// record: only their records' places are kept.
fn harness_topics_read_by_processes(plan: &Plan) -> Vec<Arc<str>> {
    let printed: Vec<&String> = plan
        .actors
        .values()
        .filter_map(|a| match a {
            ActorPlan::Process(p) if p.prints.is_some() => Some(a.consumed_topics()),
            _ => None,
        })
        .flatten()
        .collect();
    plan.actors
        .values()
        .filter_map(|a| match a {
            ActorPlan::Producer(p) if printed.contains(&&p.topic) => {
                Some(Arc::from(p.topic.as_str()))
            }
            _ => None,
        })
        .collect()
}
