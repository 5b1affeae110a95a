//! The step loop: runs the timeline's steps in order, tells the observer about each, records a
//! checkpoint at every `await` and `expect`, and stops at the first step that fails.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::RunError;
use super::barrier;
use super::cluster_view::ClusterView;
use super::cluster_watch::ClusterWatch;
use super::fault_steps;
use super::live_actor::{Ending, LiveActor};
use super::observer::{Observer, StepNote, StepProgress};
use crate::actor::consumer::CommitAnswer;
use crate::actor::group_watch::GroupWatch;
use crate::actor::places::RecordPlaces;
use crate::actor::process::{RunValues, UnexpectedExit};
use crate::actor::topic_tail::TopicTail;
use crate::cluster::run_names::RunNames;
use crate::cluster::{Cluster, ClusterError};
use crate::record::events::{self, EventLog};
use crate::record::run_record::{
    BurstTiming, Checkpoint, Committed, RunRecord, StepFailure, StepTiming,
};
use crate::record::state::LiveState;
use crate::scenario::plan::{Action, BrokerRef, FaultStep, Link, Plan, PlannedStep};

/// How often an observer that wants progress hears of a running step.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// One run of a plan: its actors, its log and what it has recorded so far.
pub(super) struct Runner<'a> {
    pub(super) plan: &'a Plan,
    pub(super) cluster: &'a dyn Cluster,
    pub(super) log: Arc<EventLog>,
    pub(super) names: Arc<RunNames>,
    /// Actors started and not yet stopped or killed; ended programs stay, for their output.
    pub(super) actors: BTreeMap<String, LiveActor>,
    pub(super) state: LiveState,
    pub(super) partitions: BTreeMap<String, i32>,
    /// Processing times changed by `process` steps, for consumers started later.
    pub(super) process_times: BTreeMap<String, Duration>,
    /// Links changed by `link` steps, for consumers started later: a link outlives a client.
    pub(super) links: BTreeMap<String, Link>,
    pub(super) record: RunRecord,
    /// Metadata of the scenario's own brokers, for fault steps.
    pub(super) view: Option<Arc<ClusterView>>,
    /// Records leaders, in-sync replicas and brokers while the scenario has its own brokers.
    pub(super) watch: Option<ClusterWatch>,
    /// Brokers that fault steps named with `as`.
    pub(super) named_brokers: BTreeMap<String, Vec<i32>>,
    /// Describes the groups of process consumers, once one has started.
    pub(super) group_watch: Option<GroupWatch>,
    /// Topic -> the reader that logs what its process producers deliver.
    pub(super) tails: BTreeMap<String, TopicTail>,
    /// Handed to every process, to report an end the timeline did not ask for.
    pub(super) exits: tokio::sync::mpsc::UnboundedSender<UnexpectedExit>,
    /// Where those reports arrive; taken while a step runs.
    pub(super) exit_notices: Option<tokio::sync::mpsc::UnboundedReceiver<UnexpectedExit>>,
    /// What the run's placeholders stand for.
    pub(super) values: RunValues,
    /// Where the harness's records landed, kept when processes print what they consumed.
    pub(super) places: Arc<RecordPlaces>,
    /// Consumers a crowd's `stop` is closing together, each awaited by its own step.
    pub(super) closing: BTreeMap<String, Closing>,
}

/// A consumer's graceful close, under way on a task of its own.
pub(super) type Closing = tokio::task::JoinHandle<Result<Ending, crate::actor::ActorError>>;

impl Runner<'_> {
    pub(super) async fn timeline(&mut self, observer: &mut dyn Observer) -> Result<(), RunError> {
        for (at, step) in self.plan.steps.iter().enumerate() {
            self.close_together(&self.plan.steps[at..]);
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

    /// When `steps` begins with a `stop` of a harness consumer that the next steps of the same
    /// line continue (a crowd's members), begins closing all of them at once: a consumer that
    /// leaves while its group rebalances waits for the rebalance to end, so closed one after
    /// another a hundred members took five minutes on the embedded cluster. Each step then
    /// awaits its own member's close.
    fn close_together(&mut self, steps: &[PlannedStep]) {
        let Some(first) = steps.first() else {
            return;
        };
        let batch: Vec<&String> = steps
            .iter()
            .take_while(|s| s.index == first.index)
            .map_while(|s| match &s.action {
                Action::Stop(actor) => Some(actor),
                _ => None,
            })
            .filter(|actor| {
                !self.closing.contains_key(*actor)
                    && matches!(self.actors.get(*actor), Some(LiveActor::Consumer(_)))
            })
            .collect();
        if batch.len() < 2 {
            return;
        }
        for actor in batch {
            if let Some(live) = self.actors.remove(actor) {
                self.closing
                    .insert(actor.clone(), tokio::spawn(live.stop()));
            }
        }
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

    async fn step(&mut self, step: &PlannedStep, note: &mut StepNote) -> Result<(), RunError> {
        match &step.action {
            Action::Start(actor) => self.start(actor, note).await?,
            Action::Stop(actor) => note.detail = self.stop(actor).await?,
            Action::Kill(actor) => self.kill(actor).await?,
            Action::Commit(actor) => {
                if let Some(LiveActor::Consumer(consumer)) = self.actors.get(actor) {
                    note.detail = Some(match consumer.commit_positions().await? {
                        CommitAnswer::Committed(partitions) => {
                            format!("{partitions} partition position(s) committed")
                        }
                        CommitAnswer::Refused(why) => {
                            format!("refused by the rebalancing group ({why}): nothing committed")
                        }
                        CommitAnswer::Unanswered(after) => format!(
                            "no answer within {}s: given up, as Java's commitSync() does; it may still be committed",
                            after.as_secs_f64()
                        ),
                    });
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
                        note.detail = Some(fault_steps::failovers(&b.leader_changed, &self.state));
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
            }
            Action::Process { actor, time } => {
                if let Some(LiveActor::Consumer(consumer)) = self.actors.get(actor) {
                    consumer.set_process(*time);
                }
                self.process_times.insert(actor.clone(), *time);
            }
            Action::Freeze(actor) => {
                if let Some(live) = self.actors.get(actor) {
                    live.freeze().await?;
                }
            }
            Action::Thaw(actor) => {
                if let Some(live) = self.actors.get(actor) {
                    live.thaw();
                }
            }
            Action::Link { actor, link, reset } => {
                self.log
                    .push(&Arc::from(actor.as_str()), events::EventKind::Link(*link));
                if let Some(LiveActor::Consumer(consumer)) = self.actors.get(actor) {
                    consumer.set_link(*link, *reset);
                }
                self.links.insert(actor.clone(), *link);
            }
            Action::Fault(fault) => match self.fault(fault).await {
                Ok(done) => note.detail = Some(done),
                Err(failure) => note.failure = Some(failure),
            },
            Action::Grow { topic, partitions } => {
                self.cluster.grow_topic(topic, *partitions).await?;
                for live in self.actors.values() {
                    if let LiveActor::Producer(producer) = live
                        && producer.topic() == topic
                    {
                        producer.learn_partitions(*partitions).await?;
                    }
                }
                if let Some(tail) = self.tails.get(topic) {
                    tail.grow(*partitions);
                }
                self.partitions.insert(topic.clone(), *partitions);
            }
        }
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
        let (nodes, role) = fault_steps::resolve(
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
        Ok(fault_steps::describe_done(
            step.fault,
            &nodes,
            role.as_deref(),
        ))
    }

    /// Starts recording the cluster's state (the scenario's own brokers).
    pub(super) fn watch_cluster(&mut self) -> Result<(), RunError> {
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

    pub(super) fn refresh(&mut self) {
        let plan = self.plan;
        self.state
            .refresh(&self.log, |actor| plan.group_of(actor).map(str::to_owned));
    }

    /// Records a checkpoint at `step` and returns it.
    pub(super) fn checkpoint(
        &mut self,
        step: &PlannedStep,
        committed: Option<Committed>,
    ) -> Checkpoint {
        self.refresh();
        let checkpoint = self.state_now(Some(step), committed);
        self.record.checkpoints.push(checkpoint.clone());
        checkpoint
    }

    /// The consumers' state now, shaped as a checkpoint of `step` (`None`: the end).
    pub(super) fn state_now(
        &self,
        step: Option<&PlannedStep>,
        committed: Option<Committed>,
    ) -> Checkpoint {
        Checkpoint {
            line: step.map(|s| s.line),
            step: step.map_or_else(|| "end".to_owned(), |s| s.text.clone()),
            assignment: self.state.assignment(),
            frozen: self.state.frozen(),
            events: self.state.applied(),
            committed,
        }
    }
}
