//! The timeline executor: creates the topics, drives the actors step by step, waits at barriers,
//! records a checkpoint wherever an `await` or `expect` stands, and leaves a `RunRecord` behind.
//! It judges nothing: `expect` does, from the record, after the run (and a reporter may, live,
//! from what each step's note carries).

pub mod barrier;
pub mod cluster_view;
pub mod cluster_watch;
pub mod events;
pub mod faults;
pub mod record;
pub mod state;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::producer::STATISTICS_INTERVAL_MS;
use crate::actor::relay::Relay;
use crate::actor::{
    ActorEnv, ActorError, ConsumerActor, ProducerActor, TopicNames, client_config, offsets,
    readback,
};
use crate::cluster::{Cluster, ClusterError};
use crate::scenario::plan::{
    Action, ActorPlan, BrokerRef, Capability, FaultStep, GroupProtocol, Plan, PlannedStep,
};

use cluster_view::ClusterView;
use cluster_watch::ClusterWatch;
use events::{Event, EventLog};
use record::{BurstTiming, Checkpoint, Committed, RunRecord, StepFailure, StepTiming};
use state::LiveState;

/// How long reading the topics back after a run with its own brokers may take.
const READ_BACK_TIMEOUT: Duration = Duration::from_secs(120);

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
    /// The cluster failed.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// A client failed.
    #[error(transparent)]
    Actor(#[from] ActorError),
}

/// What the runner tells its observer after each step.
#[derive(Debug, Clone, Default)]
pub struct StepNote {
    /// Running consumers and what they hold after the step (for an `await` or `expect`, the
    /// checkpoint it recorded).
    pub after: Checkpoint,
    /// Extra facts about the step, e.g. a burst's throughput.
    pub detail: Option<String>,
    /// For an `expect` step, the events so far, so that a reporter can judge it at once the way
    /// `expect` judges it after the run.
    pub events: Vec<Event>,
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

/// How often an observer that wants progress hears of a running step.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Receives progress as the run goes; the CLI prints it, tests ignore it.
pub trait Observer: Send {
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

/// Runs a plan on a cluster.
pub async fn run(
    plan: &Plan,
    cluster: &dyn Cluster,
    observer: &mut dyn Observer,
) -> Result<RunRecord, RunError> {
    let capabilities = cluster.capabilities();
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
    let names = Arc::new(
        TopicNames::suffixed(
            plan.topics.iter().map(|t| t.name.as_str()),
            plan.groups(),
            cluster.run_suffix().as_deref(),
        )
        .with_actors(plan.actors.keys().map(String::as_str)),
    );
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
    names: Arc<TopicNames>,
    observer: &mut dyn Observer,
) -> Result<RunRecord, RunError> {
    let mut runner = Runner {
        plan,
        cluster,
        log: EventLog::new(),
        names,
        consumers: BTreeMap::new(),
        producers: BTreeMap::new(),
        state: LiveState::default(),
        partitions: plan
            .topics
            .iter()
            .map(|t| (t.name.clone(), t.partitions))
            .collect(),
        process_times: BTreeMap::new(),
        record: RunRecord::default(),
        view: None,
        watch: None,
        named_brokers: BTreeMap::new(),
    };
    if plan.brokers.is_some() {
        runner.watch_cluster()?;
    }
    let timeline = runner.timeline(observer).await;
    let cleanup = runner.finish().await;
    timeline.and(cleanup)?;
    Ok(runner.record)
}

struct Runner<'a> {
    plan: &'a Plan,
    cluster: &'a dyn Cluster,
    log: Arc<EventLog>,
    names: Arc<TopicNames>,
    consumers: BTreeMap<String, ConsumerActor>,
    producers: BTreeMap<String, ProducerActor>,
    state: LiveState,
    partitions: BTreeMap<String, i32>,
    /// Processing times changed by `process` steps, for consumers started later.
    process_times: BTreeMap<String, Duration>,
    record: RunRecord,
    /// Metadata of the scenario's own brokers, for fault steps.
    view: Option<Arc<ClusterView>>,
    /// Records leaders, in-sync replicas and brokers while the scenario has its own brokers.
    watch: Option<ClusterWatch>,
    /// Brokers that fault steps named with `as`.
    named_brokers: BTreeMap<String, Vec<i32>>,
}

impl Runner<'_> {
    /// Runs a step, telling `observer` every quarter second how far it has come.
    async fn step_telling(
        &mut self,
        step: &PlannedStep,
        note: &mut StepNote,
        observer: &mut dyn Observer,
    ) -> Result<(), RunError> {
        let log = Arc::clone(&self.log);
        let started = log.elapsed();
        let (producer, records, timeout) = match &step.action {
            Action::Produce(burst) => (Some(burst.actor.clone()), Some(burst.count), None),
            Action::Await(barrier) => (None, None, Some(barrier.timeout)),
            _ => (None, None, None),
        };
        let mut seen = log.logged();
        let mut acknowledged = 0;
        let run = self.step(step, note);
        tokio::pin!(run);
        let mut ticks =
            tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
        loop {
            tokio::select! {
                result = &mut run => return result,
                _ = ticks.tick() => {
                    if let Some(actor) = &producer {
                        let (count, length) = log.count_since(seen, |e| {
                            *e.actor == **actor && matches!(e.kind, events::EventKind::Produced { .. })
                        });
                        acknowledged += count;
                        seen = length;
                    }
                    let progress = StepProgress {
                        elapsed: log.elapsed().saturating_sub(started),
                        records: records.map(|total| (acknowledged, total)),
                        timeout,
                    };
                    observer.step_progress(step, &progress);
                }
            }
        }
    }

    async fn timeline(&mut self, observer: &mut dyn Observer) -> Result<(), RunError> {
        for step in &self.plan.steps {
            let started = self.log.elapsed();
            tracing::info!(line = step.line, "step: {}", step.text);
            observer.step_started(step, started);
            let mut note = StepNote::default();
            if observer.wants_progress() {
                self.step_telling(step, &mut note, observer).await?;
            } else {
                self.step(step, &mut note).await?;
            }
            self.refresh();
            if !matches!(step.action, Action::Await(_) | Action::Expect(_)) {
                note.after = self.state_now(Some(step), None);
            }
            let took = self.log.elapsed().saturating_sub(started);
            self.record.steps.push(StepTiming {
                line: step.line,
                step: step.text.clone(),
                started,
                took,
            });
            observer.step_finished(step, self.log.elapsed(), &note);
            if let Some(message) = note.failure {
                self.record.failure = Some(StepFailure {
                    line: step.line,
                    step: step.text.clone(),
                    message,
                });
                break;
            }
        }
        self.refresh();
        let end = self.state_now(None, None);
        self.record.checkpoints.push(end);
        Ok(())
    }

    async fn step(&mut self, step: &PlannedStep, note: &mut StepNote) -> Result<(), RunError> {
        match &step.action {
            Action::Start(actor) => self.start(actor)?,
            Action::Stop(actor) => {
                if let Some(consumer) = self.consumers.remove(actor) {
                    consumer.stop().await;
                } else if let Some(producer) = self.producers.remove(actor) {
                    producer.stop().await?;
                }
            }
            Action::Kill(actor) => {
                if let Some(consumer) = self.consumers.remove(actor) {
                    consumer.kill().await;
                } else if let Some(producer) = self.producers.remove(actor) {
                    producer.kill().await;
                }
            }
            Action::Commit(actor) => {
                if let Some(consumer) = self.consumers.get(actor) {
                    let partitions = consumer.commit_positions().await?;
                    note.detail = Some(format!("{partitions} partition position(s) committed"));
                }
            }
            Action::Produce(burst) => {
                let report = self
                    .producer(&burst.actor)?
                    .burst(burst.count, &burst.keys, burst.payload)
                    .await?;
                note.detail = Some(format!(
                    "{} records in {:.3}s",
                    report.records,
                    report.took.as_secs_f64()
                ));
                self.record.bursts.push(BurstTiming {
                    actor: burst.actor.clone(),
                    line: step.line,
                    records: report.records,
                    took: report.took,
                    produce_requests: report.produce_requests,
                });
            }
            Action::Sleep(d) => tokio::time::sleep(*d).await,
            Action::At(offset) => {
                let now = self.log.elapsed();
                match offset.checked_sub(now) {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => {
                        note.detail = Some(format!("late by {:.3}s", (now - *offset).as_secs_f64()))
                    }
                }
            }
            Action::Await(b) => {
                let waited =
                    barrier::wait(b, self.plan, &self.partitions, &self.log, &mut self.state).await;
                match waited {
                    Err(timeout) => {
                        note.failure = Some(format!(
                            "gave up after {:.1}s; still waiting for: {}",
                            timeout.waited.as_secs_f64(),
                            timeout.unmet.join("; ")
                        ));
                    }
                    Ok(()) if !b.leader_changed.is_empty() => {
                        note.detail = Some(faults::failovers(&b.leader_changed, &self.state));
                    }
                    Ok(()) => {}
                }
                note.after = self.checkpoint(step, None);
            }
            Action::Expect(expectations) => {
                let committed = if expectations.committed.is_empty() {
                    None
                } else {
                    Some(self.committed().await?)
                };
                note.after = self.checkpoint(step, committed);
                note.events = self.log.all();
            }
            Action::Process { actor, time } => {
                if let Some(consumer) = self.consumers.get(actor) {
                    consumer.set_process(*time);
                }
                self.process_times.insert(actor.clone(), *time);
            }
            Action::Freeze(actor) => {
                if let Some(consumer) = self.consumers.get(actor) {
                    consumer.freeze().await?;
                }
            }
            Action::Thaw(actor) => {
                if let Some(consumer) = self.consumers.get(actor) {
                    consumer.thaw();
                }
            }
            Action::Fault(fault) => match self.fault(fault).await {
                Ok(done) => note.detail = Some(done),
                Err(failure) => note.failure = Some(failure),
            },
            Action::Grow { topic, partitions } => {
                self.cluster.grow_topic(topic, *partitions).await?;
                for producer in self.producers.values().filter(|p| p.topic() == topic) {
                    producer.learn_partitions(*partitions).await?;
                }
                self.partitions.insert(topic.clone(), *partitions);
            }
        }
        Ok(())
    }

    /// Starts recording the cluster's state (the scenario's own brokers).
    fn watch_cluster(&mut self) -> Result<(), RunError> {
        let view = ClusterView::new(&self.cluster.connection(), Arc::clone(&self.names))
            .map_err(ClusterError::Unavailable)?;
        let view = Arc::new(view);
        let topics = self.plan.topics.iter().map(|t| t.name.clone()).collect();
        self.watch = Some(ClusterWatch::start(
            Arc::clone(&view),
            topics,
            Arc::clone(&self.log),
        ));
        self.view = Some(view);
        Ok(())
    }

    /// Runs a fault step: resolves the broker(s), logs and applies the fault, and says what was
    /// done (`killed broker 2 (the leader of orders/0)`), or why it could not be.
    async fn fault(&mut self, step: &FaultStep) -> Result<String, String> {
        let (Some(control), Some(view)) = (self.cluster.broker_control(), &self.view) else {
            return Err("this target does not own its brokers".into());
        };
        let snapshot = match &step.broker {
            BrokerRef::LeaderOf(_) | BrokerRef::FollowersOf(_) => {
                let view = Arc::clone(view);
                let topics: Vec<String> = self.plan.topics.iter().map(|t| t.name.clone()).collect();
                let read =
                    tokio::task::spawn_blocking(move || view.read(&topics, Duration::from_secs(2)))
                        .await
                        .map_err(|e| format!("metadata task failed: {e}"))??;
                Some(read)
            }
            _ => None,
        };
        let (nodes, role) = faults::resolve(
            &step.broker,
            control.controller(),
            snapshot.as_ref(),
            &self.named_brokers,
        )?;
        for node in &nodes {
            self.log.push(
                &Arc::from(events::CLUSTER),
                events::EventKind::BrokerFault {
                    node: *node,
                    fault: step.fault,
                },
            );
            control
                .apply(*node, step.fault)
                .await
                .map_err(|e| e.to_string())?;
        }
        if let Some(name) = &step.name {
            self.named_brokers.insert(name.clone(), nodes.clone());
        }
        Ok(faults::describe_done(step.fault, &nodes, role.as_deref()))
    }

    fn env(&self, actor: &str) -> ActorEnv {
        ActorEnv {
            name: Arc::from(actor),
            log: Arc::clone(&self.log),
            topics: Arc::clone(&self.names),
        }
    }

    fn start(&mut self, actor: &str) -> Result<(), RunError> {
        match self.plan.actors.get(actor) {
            Some(ActorPlan::Consumer(c)) => {
                let mut harness = self.cluster.connection();
                harness.push(("group.id".to_owned(), self.names.group(&c.group).to_owned()));
                // The target's timing is the classic protocol's; under KIP-848 the broker's.
                let defaults = match c.protocol {
                    GroupProtocol::Classic => self.cluster.consumer_defaults(),
                    GroupProtocol::Consumer => Vec::new(),
                };
                let config = client_config(defaults.iter().chain(&c.properties).chain(&harness));
                let relay = if self.plan.behind_relay(actor) {
                    Some(self.relay(actor, &harness)?)
                } else {
                    None
                };
                let consumer = ConsumerActor::start(self.env(actor), c, config, relay)?;
                if let Some(time) = self.process_times.get(actor) {
                    consumer.set_process(*time);
                }
                self.consumers.insert(actor.to_owned(), consumer);
            }
            Some(ActorPlan::Producer(_)) => self.producer(actor)?.start(),
            None => {}
        }
        Ok(())
    }

    /// A relay to the cluster for a consumer the timeline freezes; it carries plain Kafka
    /// frames, so the connection must not be encrypted.
    fn relay(&self, actor: &str, connection: &[(String, String)]) -> Result<Relay, RunError> {
        let fail = |message: String| {
            RunError::Actor(ActorError {
                actor: actor.to_owned(),
                message,
            })
        };
        let setting = |key: &str| {
            connection
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        if setting("security.protocol").is_some_and(|p| p.to_ascii_uppercase().contains("SSL")) {
            return Err(fail(
                "cannot be frozen on a TLS listener: the relay that freezes it reads Kafka frames"
                    .into(),
            ));
        }
        let bootstrap = setting("bootstrap.servers")
            .ok_or_else(|| fail("the target gave no bootstrap.servers to relay".into()))?;
        Relay::start(bootstrap).map_err(|e| fail(format!("cannot start its relay: {e}")))
    }

    /// The producer actor's client, created on first use.
    fn producer(&mut self, actor: &str) -> Result<&mut ProducerActor, RunError> {
        let Some(ActorPlan::Producer(p)) = self.plan.actors.get(actor) else {
            return Err(RunError::Actor(ActorError {
                actor: actor.to_owned(),
                message: "is not a producer".into(),
            }));
        };
        if !self.producers.contains_key(actor) {
            let defaults = [(
                "statistics.interval.ms".to_owned(),
                STATISTICS_INTERVAL_MS.to_owned(),
            )];
            let harness = self.cluster.connection();
            let config = client_config(defaults.iter().chain(&p.properties).chain(&harness));
            let producer = ProducerActor::create(self.env(actor), p, config)?;
            self.producers.insert(actor.to_owned(), producer);
        }
        self.producers.get_mut(actor).ok_or_else(|| {
            RunError::Actor(ActorError {
                actor: actor.to_owned(),
                message: "producer vanished".into(),
            })
        })
    }

    fn refresh(&mut self) {
        self.state.refresh(&self.log, barrier::group_of(self.plan));
    }

    /// Records a checkpoint at `step` and returns it.
    fn checkpoint(&mut self, step: &PlannedStep, committed: Option<Committed>) -> Checkpoint {
        self.refresh();
        let checkpoint = self.state_now(Some(step), committed);
        self.record.checkpoints.push(checkpoint.clone());
        checkpoint
    }

    /// The consumers' state now, shaped as a checkpoint of `step` (`None`: the end).
    fn state_now(&self, step: Option<&PlannedStep>, committed: Option<Committed>) -> Checkpoint {
        Checkpoint {
            line: step.map(|s| s.line),
            step: step.map_or_else(|| "end".to_owned(), |s| s.text.clone()),
            assignment: self.state.assignment(),
            frozen: self.state.frozen(),
            events: self.state.applied(),
            committed,
        }
    }

    /// Committed offsets of every group, read from the broker.
    async fn committed(&self) -> Result<Committed, RunError> {
        let mut groups: BTreeMap<String, Vec<(String, i32)>> = BTreeMap::new();
        for actor in self.plan.actors.values() {
            if let ActorPlan::Consumer(c) = actor {
                let topics = groups.entry(c.group.clone()).or_default();
                for topic in &c.topics {
                    let partitions = self.partitions.get(topic).copied().unwrap_or(1);
                    if !topics.iter().any(|(t, _)| t == topic) {
                        topics.push((topic.clone(), partitions));
                    }
                }
            }
        }
        let connection = self.cluster.connection();
        let names = Arc::clone(&self.names);
        let answer = tokio::task::spawn_blocking(move || {
            groups
                .into_iter()
                .map(|(group, topics)| {
                    offsets::committed(&connection, &group, &topics, &names).map(|o| (group, o))
                })
                .collect::<Result<Committed, ActorError>>()
        })
        .await
        .map_err(|e| {
            RunError::Actor(ActorError {
                actor: "offset reader".into(),
                message: e.to_string(),
            })
        })?;
        Ok(answer?)
    }

    /// Every record of the scenario's topics, read back from the cluster.
    async fn read_back(&self) -> Result<record::Stored, String> {
        let connection = self.cluster.connection();
        let names = Arc::clone(&self.names);
        let topics: Vec<(String, i32)> = self
            .partitions
            .iter()
            .map(|(topic, count)| (topic.clone(), *count))
            .collect();
        tokio::task::spawn_blocking(move || {
            readback::read_back(&connection, &topics, &names, READ_BACK_TIMEOUT)
        })
        .await
        .map_err(|e| format!("read-back task failed: {e}"))?
    }

    /// Stops whatever still runs, gracefully and all at once, then reads the committed offsets.
    async fn finish(&mut self) -> Result<(), RunError> {
        let mut closing = Vec::new();
        for (_, consumer) in std::mem::take(&mut self.consumers) {
            closing.push(tokio::spawn(async move {
                consumer.stop().await;
                Ok(())
            }));
        }
        for (_, producer) in std::mem::take(&mut self.producers) {
            closing.push(tokio::spawn(producer.stop()));
        }
        let mut first_error = None;
        for task in closing {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => first_error = first_error.or(Some(RunError::Actor(e))),
                Err(e) => {
                    first_error = first_error.or(Some(RunError::Actor(ActorError {
                        actor: "cleanup".into(),
                        message: e.to_string(),
                    })))
                }
            }
        }
        self.record.committed = self.committed().await?;
        if let Some(watch) = self.watch.take() {
            watch.stop().await;
            self.record.stored = Some(self.read_back().await);
        }
        self.record.events = self.log.all();
        self.record.wall_time = self.log.elapsed();
        first_error.map_or(Ok(()), Err)
    }
}
