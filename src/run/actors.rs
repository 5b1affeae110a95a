//! The runner's side of the actors' lifecycle: starting each kind (a consumer with its target's
//! timing, a producer on first use, a program until its member joins), ending them through
//! `LiveActor`, and what the run keeps of a program that ended.

use std::sync::Arc;
use std::time::Duration;

use super::RunError;
use super::live_actor::{Ending, LiveActor};
use super::observer::StepNote;
use super::room::{no_room_for_a_consumer, usage};
use super::runner::Runner;
use crate::actor::group_watch::GroupWatch;
use crate::actor::process::ProcessActor;
use crate::actor::producer::STATISTICS_INTERVAL_MS;
use crate::actor::relay::Relay;
use crate::actor::topic_tail::TopicTail;
use crate::actor::{ActorEnv, ActorError, ConsumerActor, ProducerActor};
use crate::cluster::client::client_config;
use crate::scenario::plan::{ActorPlan, GroupProtocol, Link, ProcessPlan, ProcessRole};
use crate::scenario::properties::Properties;

/// How long a process consumer may take from its start to its member's appearance in its group.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the topic of a process producer may take to be read up to its end.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(30);

impl Runner<'_> {
    /// Ends an actor gracefully; says what a program said of its end.
    pub(super) async fn stop(&mut self, actor: &str) -> Result<Option<String>, RunError> {
        if let Some(closing) = self.closing.remove(actor) {
            let ending = closing.await.map_err(|e| {
                RunError::Actor(ActorError {
                    actor: actor.to_owned(),
                    message: format!("its close failed: {e}"),
                })
            })??;
            return Ok(self.keep(actor, ending));
        }
        let Some(live) = self.actors.remove(actor) else {
            return Ok(None);
        };
        let ending = live.stop().await?;
        Ok(self.keep(actor, ending))
    }

    /// Ends an actor as a crash would.
    pub(super) async fn kill(&mut self, actor: &str) -> Result<(), RunError> {
        if let Some(live) = self.actors.remove(actor) {
            let ending = live.kill().await?;
            self.keep(actor, ending);
        }
        Ok(())
    }

    /// Keeps what is left of an ended actor (a program, for its output; its member is no
    /// longer followed) and passes on what it said.
    fn keep(&mut self, actor: &str, ending: Ending) -> Option<String> {
        if let Some(process) = ending.kept {
            self.ended(actor);
            self.actors
                .insert(actor.to_owned(), LiveActor::Process(process));
        }
        ending.said
    }

    fn env(&self, actor: &str) -> ActorEnv {
        ActorEnv {
            name: Arc::from(actor),
            log: Arc::clone(&self.log),
            topics: Arc::clone(&self.names),
            places: Arc::clone(&self.places),
        }
    }

    pub(super) async fn start(&mut self, actor: &str, note: &mut StepNote) -> Result<(), RunError> {
        match self.plan.actors.get(actor) {
            Some(ActorPlan::Process(p)) => {
                if let Some(failure) = self.start_process(actor, p).await? {
                    note.failure = Some(failure);
                }
            }
            Some(ActorPlan::Consumer(c)) => {
                if let Some(refused) = no_room_for_a_consumer(&usage()) {
                    return Err(RunError::Actor(ActorError {
                        actor: actor.to_owned(),
                        message: refused,
                    }));
                }
                let mut harness = self.cluster.connection();
                harness.set("group.id", self.names.group(&c.group));
                // The target's timing is the classic protocol's; under KIP-848 the broker's.
                let defaults = match c.protocol {
                    GroupProtocol::Classic => self.cluster.consumer_defaults(),
                    GroupProtocol::Consumer => Properties::new(),
                };
                let config = client_config(defaults.iter().chain(&c.properties).chain(&harness));
                let relay = if self.plan.behind_relay(actor) {
                    let link = self.links.get(actor).copied().unwrap_or_default();
                    Some(self.relay(actor, &harness, link)?)
                } else {
                    None
                };
                let consumer = ConsumerActor::start(self.env(actor), c, config, relay)?;
                if let Some(time) = self.process_times.get(actor) {
                    consumer.set_process(*time);
                }
                self.actors
                    .insert(actor.to_owned(), LiveActor::Consumer(consumer));
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
        self.actors
            .insert(actor.to_owned(), LiveActor::Process(process));
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
            let Some(LiveActor::Process(process)) = self.actors.get(actor) else {
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
                    ActorPlan::Consumer(c) => {
                        Some(c.properties.get("client.id").unwrap_or(name).to_owned())
                    }
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
                Arc::clone(&self.places),
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
    pub(super) fn ended(&self, actor: &str) {
        if let Some(watch) = &self.group_watch {
            watch.unfollow(actor);
        }
    }

    /// Waits until everything a process producer delivered has been logged.
    pub(super) async fn caught_up(&self, actor: &str) -> Result<(), String> {
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

    /// A relay to the cluster, over `link`, for a consumer the timeline freezes or whose link
    /// it changes; it carries plain Kafka frames, so the connection must not be encrypted.
    fn relay(&self, actor: &str, connection: &Properties, link: Link) -> Result<Relay, RunError> {
        let fail = |message: String| {
            RunError::Actor(ActorError {
                actor: actor.to_owned(),
                message,
            })
        };
        if connection
            .get("security.protocol")
            .is_some_and(|p| p.to_ascii_uppercase().contains("SSL"))
        {
            return Err(fail(
                "cannot be frozen nor its link changed on a TLS listener: the relay that does it reads Kafka frames"
                    .into(),
            ));
        }
        let bootstrap = connection
            .get("bootstrap.servers")
            .ok_or_else(|| fail("the target gave no bootstrap.servers to relay".into()))?;
        Relay::start(bootstrap, link).map_err(|e| fail(format!("cannot start its relay: {e}")))
    }

    /// The producer actor's client, created on first use.
    pub(super) fn producer(&mut self, actor: &str) -> Result<&mut ProducerActor, RunError> {
        let Some(ActorPlan::Producer(p)) = self.plan.actors.get(actor) else {
            return Err(RunError::Actor(ActorError {
                actor: actor.to_owned(),
                message: "is not a producer".into(),
            }));
        };
        if !self.actors.contains_key(actor) {
            let defaults = [(
                "statistics.interval.ms".to_owned(),
                STATISTICS_INTERVAL_MS.to_owned(),
            )];
            let harness = self.cluster.connection();
            let config = client_config(defaults.iter().chain(&p.properties).chain(&harness));
            let producer = ProducerActor::create(self.env(actor), p, config)?;
            self.actors
                .insert(actor.to_owned(), LiveActor::Producer(producer));
        }
        match self.actors.get_mut(actor) {
            Some(LiveActor::Producer(producer)) => Ok(producer),
            _ => Err(RunError::Actor(ActorError {
                actor: actor.to_owned(),
                message: "producer vanished".into(),
            })),
        }
    }
}
