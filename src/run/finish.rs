//! The end of a run: everything still running is stopped at once, the committed offsets are
//! read, the topics are read back where the scenario owns its brokers, and the log is moved
//! into the run record.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::RunError;
use super::live_actor::LiveActor;
use super::runner::Runner;
use crate::actor::{ActorError, offsets, readback};
use crate::record::run_record::{Committed, Stored};

/// How long reading the topics back after a run with its own brokers may take.
const READ_BACK_TIMEOUT: Duration = Duration::from_secs(120);
/// Kafka's default `replica.fetch.wait.max.ms`.
const KAFKA_REPLICA_FETCH_WAIT_MAX_MS: u64 = 500;

impl Runner<'_> {
    /// Stops whatever still runs, gracefully and all at once, then reads the committed offsets.
    pub(super) async fn finish(&mut self) -> Result<(), RunError> {
        let mut closing = Vec::new();
        let mut programs = Vec::new();
        for (actor, live) in std::mem::take(&mut self.actors) {
            match live {
                LiveActor::Consumer(consumer) => closing.push(tokio::spawn(consumer.stop())),
                LiveActor::Producer(producer) => closing.push(tokio::spawn(producer.stop())),
                LiveActor::Process(process) => programs.push((actor, process)),
            }
        }
        let ending = programs
            .iter_mut()
            .filter(|(_, process)| !process.has_ended())
            .map(|(actor, process)| async move {
                process.stop().await;
                actor.clone()
            });
        for actor in futures::future::join_all(ending).await {
            self.ended(&actor);
        }
        for (actor, _) in &programs {
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
        self.record.processes = programs
            .iter()
            .map(|(actor, process)| (actor.clone(), process.output()))
            .collect();
        let mut first_error = None;
        // A crowd's closes that a failed step left under way end before anything is read back.
        for (actor, task) in std::mem::take(&mut self.closing) {
            match task.await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => first_error = first_error.or(Some(RunError::Actor(e))),
                Err(e) => {
                    first_error = first_error.or(Some(RunError::Actor(ActorError {
                        actor,
                        message: format!("its close failed: {e}"),
                    })))
                }
            }
        }
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

    /// Committed offsets of every group, read from the broker.
    pub(super) async fn committed(&self) -> Result<Committed, RunError> {
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

    /// The longest a follower waits between two fetches when nothing is new enough to answer
    /// at once: the brokers' `replica.fetch.wait.max.ms`, Kafka's 500 ms unless the scenario
    /// sets it. A leader's high watermark reaches what it acknowledged only after that.
    fn followers_fetch_within(&self) -> Duration {
        let set = self.plan.brokers.as_ref().and_then(|b| {
            b.config
                .iter()
                .find(|(key, _)| key == "replica.fetch.wait.max.ms")
                .and_then(|(_, ms)| ms.trim().parse::<u64>().ok())
        });
        Duration::from_millis(set.unwrap_or(KAFKA_REPLICA_FETCH_WAIT_MAX_MS))
    }

    /// Every record of the scenario's topics, read back from the cluster.
    async fn read_back(&self) -> Result<Stored, String> {
        let connection = self.cluster.connection();
        let names = Arc::clone(&self.names);
        let topics: Vec<(String, i32)> = self
            .partitions
            .iter()
            .map(|(topic, count)| (topic.clone(), *count))
            .collect();
        let settle = self.followers_fetch_within() * 2;
        tokio::task::spawn_blocking(move || {
            readback::read_back(&connection, &topics, &names, settle, READ_BACK_TIMEOUT)
        })
        .await
        .map_err(|e| format!("read-back task failed: {e}"))?
    }
}
