//! A consumer group member polling on its own thread.
//!
//! Polls are emulated the Java / kafka-python way: one poll returns at most `max.poll.records`
//! records, so batch sizes can be observed and limited.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::topic_partition_list::TopicPartitionList;

use super::{ActorEnv, ActorError, RECORD_ID_HEADER};
use crate::run::events::{EventKind, TopicPartition};
use crate::scenario::model::CommitMode;
use crate::scenario::plan::ConsumerPlan;

const RUNNING: u8 = 0;
const STOPPING: u8 = 1;
const KILLING: u8 = 2;

/// How long one poll waits for a first record before the loop checks for stop or kill.
const POLL_WAIT: Duration = Duration::from_millis(100);

/// A running consumer; dropping it without `stop` or `kill` stops it gracefully.
pub struct ConsumerActor {
    control: Arc<AtomicU8>,
    thread: Option<JoinHandle<()>>,
}

/// Records group membership changes in the event log.
struct GroupMember {
    env: ActorEnv,
}

impl ClientContext for GroupMember {}

impl ConsumerContext for GroupMember {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let (kind, list): (fn(Vec<TopicPartition>) -> EventKind, _) = match rebalance {
            Rebalance::Assign(list) => (EventKind::Assigned, list),
            Rebalance::Revoke(list) => (EventKind::Revoked, list),
            Rebalance::Error(e) => {
                tracing::warn!(actor = %self.env.name, "rebalance error: {e}");
                return;
            }
        };
        self.env
            .log
            .push(&self.env.name, kind(partitions(&self.env, list)));
    }
}

fn partitions(env: &ActorEnv, list: &TopicPartitionList) -> Vec<TopicPartition> {
    let mut parts: Vec<TopicPartition> = list
        .elements()
        .iter()
        .map(|e| env.topics.partition(e.topic(), e.partition()))
        .collect();
    parts.sort();
    parts
}

impl ConsumerActor {
    /// Creates the client, subscribes and starts polling.
    pub fn start(
        env: ActorEnv,
        plan: &ConsumerPlan,
        config: ClientConfig,
    ) -> Result<ConsumerActor, ActorError> {
        let fail = |message: String| ActorError {
            actor: env.name.to_string(),
            message,
        };
        let consumer: BaseConsumer<GroupMember> = config
            .create_with_context(GroupMember { env: env.clone() })
            .map_err(|e| fail(format!("cannot create the consumer: {e}")))?;
        let topics: Vec<&str> = plan.topics.iter().map(|t| env.topics.physical(t)).collect();
        consumer
            .subscribe(&topics)
            .map_err(|e| fail(format!("cannot subscribe to {topics:?}: {e}")))?;
        env.log.push(&env.name, EventKind::Started);
        let control = Arc::new(AtomicU8::new(RUNNING));
        let poller = Poller {
            consumer,
            env: env.clone(),
            max_poll_records: plan.max_poll_records,
            commit: plan.commit,
            control: Arc::clone(&control),
        };
        let thread = std::thread::Builder::new()
            .name(format!("consumer-{}", env.name))
            .spawn(move || poller.run())
            .map_err(|e| fail(format!("cannot start the poll thread: {e}")))?;
        Ok(ConsumerActor {
            control,
            thread: Some(thread),
        })
    }

    /// Graceful close: leaves the group after the final commit; returns once closed.
    pub async fn stop(mut self) {
        self.end(STOPPING).await;
    }

    /// Crash: stops heartbeats without LeaveGroup and without committing.
    pub async fn kill(mut self) {
        self.end(KILLING).await;
    }

    async fn end(&mut self, how: u8) {
        self.control.store(how, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for ConsumerActor {
    fn drop(&mut self) {
        self.control.store(STOPPING, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Poller {
    consumer: BaseConsumer<GroupMember>,
    env: ActorEnv,
    max_poll_records: usize,
    commit: CommitMode,
    control: Arc<AtomicU8>,
}

impl Poller {
    fn run(self) {
        loop {
            match self.control.load(Ordering::SeqCst) {
                RUNNING => self.poll_once(),
                KILLING => {
                    let Poller { consumer, env, .. } = self;
                    env.log.push(&env.name, EventKind::Killed);
                    crash(consumer);
                    return;
                }
                _ => {
                    // Logged first: the group may rebalance before the close returns.
                    let Poller { consumer, env, .. } = self;
                    env.log.push(&env.name, EventKind::Stopped);
                    drop(consumer);
                    return;
                }
            }
        }
    }

    /// One emulated poll: wait for a first record, then take what is already fetched, up to
    /// `max.poll.records`.
    fn poll_once(&self) {
        let mut events = Vec::new();
        let mut wait = POLL_WAIT;
        while events.len() < self.max_poll_records {
            match self.consumer.poll(wait) {
                None => break,
                Some(Err(e)) => {
                    tracing::warn!(actor = %self.env.name, "poll: {e}");
                    break;
                }
                Some(Ok(message)) => {
                    events.push(self.consumed(&message));
                    if self.commit == CommitMode::PerRecord {
                        self.commit_message(&message);
                    }
                }
            }
            wait = Duration::ZERO;
        }
        if events.is_empty() {
            return;
        }
        events.push(EventKind::PollBatch(events.len()));
        self.env.log.extend(&self.env.name, events);
        if self.commit == CommitMode::PerPoll {
            if let Err(e) = self
                .consumer
                .commit_consumer_state(rdkafka::consumer::CommitMode::Sync)
            {
                tracing::warn!(actor = %self.env.name, "commit: {e}");
            }
        }
    }

    fn consumed(&self, message: &BorrowedMessage<'_>) -> EventKind {
        let id = message.headers().and_then(|headers| {
            headers
                .iter()
                .find(|h| h.key == RECORD_ID_HEADER)
                .and_then(|h| h.value)
                .and_then(|v| std::str::from_utf8(v).ok())
                .map(Arc::from)
        });
        EventKind::Consumed {
            at: self.env.topics.partition(message.topic(), message.partition()),
            offset: message.offset(),
            id,
        }
    }

    fn commit_message(&self, message: &BorrowedMessage<'_>) {
        if let Err(e) = self
            .consumer
            .commit_message(message, rdkafka::consumer::CommitMode::Sync)
        {
            tracing::warn!(actor = %self.env.name, "commit: {e}");
        }
    }
}

/// Destroys the client the way a crashed process disappears: librdkafka's
/// `RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE` skips the LeaveGroup and the final commit, so the group
/// only notices when the session times out.
fn crash(consumer: BaseConsumer<GroupMember>) {
    let handle = consumer.client().native_ptr();
    // rdkafka's own drop would close the consumer (LeaveGroup, commit); the handle is destroyed
    // below instead, and the Rust wrapper, which would free it a second time, is forgotten.
    std::mem::forget(consumer);
    // SAFETY: `handle` is the live librdkafka handle of the consumer just forgotten; nothing else
    // refers to it, and it is destroyed exactly once, here.
    unsafe {
        rdkafka::bindings::rd_kafka_destroy_flags(
            handle,
            rdkafka::bindings::RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE as i32,
        );
    }
}
