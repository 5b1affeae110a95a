//! The timeline executor: creates the topics, drives the actors step by step, waits at barriers,
//! records a checkpoint wherever an `await` or `expect` stands, and leaves a `RunRecord` behind.
//! It judges nothing: `expect` does, from the record, after the run (and a reporter may, live,
//! from what each step's note carries).

pub mod barrier;
pub mod cluster_view;
pub mod cluster_watch;
pub mod faults;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::actor::group_watch::GroupWatch;
use crate::actor::places::RecordPlaces;
use crate::actor::process::{ProcessActor, RunValues, UnexpectedExit};
use crate::actor::producer::STATISTICS_INTERVAL_MS;
use crate::actor::relay::Relay;
use crate::actor::topic_tail::TopicTail;
use crate::actor::{ActorEnv, ActorError, ConsumerActor, ProducerActor, offsets, readback};
use crate::cluster::client::client_config;
use crate::cluster::names::TopicNames;
use crate::cluster::{Cluster, ClusterError};
use crate::record::events::{self, Event, EventLog};
use crate::record::run_record::{
    self, BurstTiming, Checkpoint, Committed, RunRecord, StepFailure, StepTiming,
};
use crate::record::state::LiveState;
use crate::scenario::plan::{
    Action, ActorPlan, BrokerRef, Capability, FaultStep, GroupProtocol, Plan, PlannedStep,
    ProcessPlan, ProcessRole,
};
use crate::scenario::properties::setting;

use cluster_view::ClusterView;
use cluster_watch::ClusterWatch;

/// How long reading the topics back after a run with its own brokers may take.
const READ_BACK_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a process consumer may take from its start to its member's appearance in its group.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the topic of a process producer may take to be read up to its end.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(30);

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
    let names = Arc::new(TopicNames::suffixed(
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
    names: Arc<TopicNames>,
    observer: &mut dyn Observer,
) -> Result<RunRecord, RunError> {
    let (exits, exit_notices) = tokio::sync::mpsc::unbounded_channel();
    let connection = cluster.connection();
    let values = RunValues {
        bootstrap: setting(&connection, "bootstrap.servers")
            .unwrap_or_default()
            .to_owned(),
        sasl: ["sasl.username", "sasl.password", "sasl.mechanism"]
            .into_iter()
            .filter_map(|key| Some((key.to_owned(), setting(&connection, key)?.to_owned())))
            .collect(),
        vars: plan.vars.clone(),
    };
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
        processes: BTreeMap::new(),
        group_watch: None,
        tails: BTreeMap::new(),
        exits,
        exit_notices: Some(exit_notices),
        values,
        places: RecordPlaces::new(harness_topics_read_by_processes(plan)),
    };
    if plan.brokers.is_some() {
        runner.watch_cluster()?;
    }
    let timeline = runner.timeline(observer).await;
    let cleanup = runner.finish().await;
    timeline.and(cleanup)?;
    Ok(runner.record)
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
    /// Process actors started so far, ended ones included (their output is kept).
    processes: BTreeMap<String, ProcessActor>,
    /// Describes the groups of process consumers, once one has started.
    group_watch: Option<GroupWatch>,
    /// Topic -> the reader that logs what its process producers deliver.
    tails: BTreeMap<String, TopicTail>,
    /// Handed to every process, to report an end the timeline did not ask for.
    exits: tokio::sync::mpsc::UnboundedSender<UnexpectedExit>,
    /// Where those reports arrive; taken while a step runs.
    exit_notices: Option<tokio::sync::mpsc::UnboundedReceiver<UnexpectedExit>>,
    /// What the run's placeholders stand for.
    values: RunValues,
    /// Where the harness's records landed, kept when processes print what they consumed.
    places: Arc<RecordPlaces>,
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
                            if *e.actor == **actor { e.kind.records() } else { 0 }
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
            self.step_watching_exits(step, &mut note, observer).await?;
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

    /// Runs a step; a process that ends unasked meanwhile fails it at once.
    async fn step_watching_exits(
        &mut self,
        step: &PlannedStep,
        note: &mut StepNote,
        observer: &mut dyn Observer,
    ) -> Result<(), RunError> {
        let mut notices = self.exit_notices.take();
        let mut unexpected = None;
        let ran = {
            let wants_progress = observer.wants_progress();
            let run = async {
                if wants_progress {
                    self.step_telling(step, note, observer).await
                } else {
                    self.step(step, note).await
                }
            };
            match notices.as_mut() {
                Some(inbox) => tokio::select! {
                    ran = run => ran,
                    Some(exit) = inbox.recv() => {
                        unexpected = Some(exit);
                        Ok(())
                    }
                },
                None => run.await,
            }
        };
        if let Some(inbox) = notices.as_mut() {
            unexpected = unexpected.or_else(|| inbox.try_recv().ok());
        }
        self.exit_notices = notices;
        if let Some(exit) = unexpected {
            note.failure = Some(exit.message);
        }
        ran
    }

    async fn step(&mut self, step: &PlannedStep, note: &mut StepNote) -> Result<(), RunError> {
        match &step.action {
            Action::Start(actor) => self.start(actor, note).await?,
            Action::Stop(actor) => {
                if let Some(consumer) = self.consumers.remove(actor) {
                    consumer.stop().await;
                } else if let Some(producer) = self.producers.remove(actor) {
                    producer.stop().await?;
                } else if let Some(process) = self.processes.get_mut(actor) {
                    note.detail = process.stop().await;
                    self.ended(actor);
                }
            }
            Action::Kill(actor) => {
                if let Some(consumer) = self.consumers.remove(actor) {
                    consumer.kill().await;
                } else if let Some(producer) = self.producers.remove(actor) {
                    producer.kill().await;
                } else if let Some(process) = self.processes.get_mut(actor) {
                    process.kill().await;
                    self.ended(actor);
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
                for actor in &b.exited {
                    self.ended(actor);
                    if let Err(e) = self.caught_up(actor).await {
                        note.failure = Some(e);
                    }
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
                } else if let Some(process) = self.processes.get(actor) {
                    process.freeze();
                }
            }
            Action::Thaw(actor) => {
                if let Some(consumer) = self.consumers.get(actor) {
                    consumer.thaw();
                } else if let Some(process) = self.processes.get(actor) {
                    process.thaw();
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
                if let Some(tail) = self.tails.get(topic) {
                    tail.grow(*partitions);
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
            places: Arc::clone(&self.places),
        }
    }

    async fn start(&mut self, actor: &str, note: &mut StepNote) -> Result<(), RunError> {
        match self.plan.actors.get(actor) {
            Some(ActorPlan::Process(p)) => {
                if let Some(failure) = self.start_process(actor, p).await? {
                    note.failure = Some(failure);
                }
            }
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

    /// Spawns a process actor. A consumer's start ends when its member has appeared in its
    /// group, which tells it apart from the next one; a producer's topic is read from then on.
    /// Returns why the step failed, if it did.
    async fn start_process(
        &mut self,
        actor: &str,
        plan: &ProcessPlan,
    ) -> Result<Option<String>, RunError> {
        let name: Arc<str> = Arc::from(actor);
        match &plan.role {
            ProcessRole::Consumer {
                group, client_id, ..
            } => {
                self.group_watch()?.follow(&name, group, client_id.clone());
            }
            ProcessRole::Producer { topic } => self.tail(topic)?.owned_by(&name),
        }
        let process = ProcessActor::start(self.env(actor), plan, &self.values, self.exits.clone())?;
        self.processes.insert(actor.to_owned(), process);
        let ProcessRole::Consumer { group, .. } = &plan.role else {
            return Ok(None);
        };
        let started = tokio::time::Instant::now();
        loop {
            let Some(watch) = &self.group_watch else {
                return Ok(None);
            };
            if watch.joined(actor) {
                return Ok(None);
            }
            let Some(process) = self.processes.get(actor) else {
                return Ok(None);
            };
            if process.has_ended() {
                let output = process.output();
                return Ok(Some(format!(
                    "process `{actor}` ended ({}) before joining group {group}; {}",
                    output.ended.as_deref().unwrap_or_default(),
                    output.tail(10)
                )));
            }
            if started.elapsed() >= JOIN_TIMEOUT {
                let trouble = watch
                    .last_error()
                    .map(|e| format!(" (last error: {e})"))
                    .unwrap_or_default();
                return Ok(Some(format!(
                    "process `{actor}` did not join group {group} within {}{trouble}; {}",
                    humantime::format_duration(JOIN_TIMEOUT),
                    process.output().tail(10)
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The watch of process consumers' groups, started on first use.
    fn group_watch(&mut self) -> Result<&GroupWatch, RunError> {
        if self.group_watch.is_none() {
            let harness_clients = self
                .plan
                .actors
                .iter()
                .filter_map(|(name, a)| match a {
                    ActorPlan::Consumer(c) => Some(
                        setting(&c.properties, "client.id")
                            .unwrap_or(name)
                            .to_owned(),
                    ),
                    _ => None,
                })
                .collect();
            let watch = GroupWatch::start(
                &self.cluster.connection(),
                Arc::clone(&self.names),
                Arc::clone(&self.log),
                harness_clients,
            )?;
            self.group_watch = Some(watch);
        }
        self.group_watch.as_ref().ok_or_else(|| {
            RunError::Actor(ActorError {
                actor: "group watch".into(),
                message: "vanished".into(),
            })
        })
    }

    /// The reader of `topic` for its process producers, started on first use.
    fn tail(&mut self, topic: &str) -> Result<&TopicTail, RunError> {
        if !self.tails.contains_key(topic) {
            let partitions = self.partitions.get(topic).copied().unwrap_or(1);
            let tail = TopicTail::start(
                &self.cluster.connection(),
                Arc::clone(&self.names),
                Arc::clone(&self.log),
                topic,
                partitions,
            )?;
            self.tails.insert(topic.to_owned(), tail);
        }
        self.tails.get(topic).ok_or_else(|| {
            RunError::Actor(ActorError {
                actor: format!("reader of {topic}"),
                message: "vanished".into(),
            })
        })
    }

    /// A process has ended: its member is no longer followed.
    fn ended(&self, actor: &str) {
        if let Some(watch) = &self.group_watch {
            watch.unfollow(actor);
        }
    }

    /// Waits until everything a process producer delivered has been logged.
    async fn caught_up(&self, actor: &str) -> Result<(), String> {
        let Some(topic) = self
            .plan
            .actors
            .get(actor)
            .and_then(ActorPlan::produced_topic)
        else {
            return Ok(());
        };
        let Some(tail) = self.tails.get(topic) else {
            return Ok(());
        };
        match tokio::time::timeout(CATCH_UP_TIMEOUT, tail.caught_up()).await {
            Ok(caught_up) => caught_up,
            Err(_) => Err(format!(
                "{topic} could not be read to its end within {}",
                humantime::format_duration(CATCH_UP_TIMEOUT)
            )),
        }
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
        if setting(connection, "security.protocol")
            .is_some_and(|p| p.to_ascii_uppercase().contains("SSL"))
        {
            return Err(fail(
                "cannot be frozen on a TLS listener: the relay that freezes it reads Kafka frames"
                    .into(),
            ));
        }
        let bootstrap = setting(connection, "bootstrap.servers")
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
        let plan = self.plan;
        self.state
            .refresh(&self.log, |actor| plan.group_of(actor).map(str::to_owned));
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
            if let Some(group) = actor.group() {
                let topics = groups.entry(group.to_owned()).or_default();
                for topic in actor.consumed_topics() {
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
    async fn read_back(&self) -> Result<run_record::Stored, String> {
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
        let mut ending = Vec::new();
        for (actor, process) in self.processes.iter_mut() {
            if !process.has_ended() {
                ending.push(async move {
                    process.stop().await;
                    actor.clone()
                });
            }
        }
        for actor in futures::future::join_all(ending).await {
            self.ended(&actor);
        }
        for actor in self.processes.keys() {
            if let Err(e) = self.caught_up(actor).await {
                tracing::warn!("{e}");
            }
        }
        if let Some(watch) = self.group_watch.take() {
            tokio::task::spawn_blocking(move || watch.stop()).await.ok();
        }
        for (_, tail) in std::mem::take(&mut self.tails) {
            tokio::task::spawn_blocking(move || tail.stop()).await.ok();
        }
        self.record.processes = self
            .processes
            .iter()
            .map(|(actor, process)| (actor.clone(), process.output()))
            .collect();
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
        self.record.events = self.log.take_all();
        self.record.wall_time = self.log.elapsed();
        first_error.map_or(Ok(()), Err)
    }
}
