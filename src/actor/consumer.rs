//! A consumer group member polling on its own thread.
//!
//! Polls are emulated the Java / kafka-python way: one poll returns at most `max.poll.records`
//! records, so batch sizes can be observed and limited. Synchronous commits are bounded as
//! Java's `commitSync()` is (`consumer/commit.rs`).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::topic_partition_list::TopicPartitionList;
use tokio::sync::oneshot;

use self::commit::{COMMIT_TIMEOUT, CommitFailure, commit_within};
use super::id_header::id_header;
use super::relay::Relay;
use super::symbol_cache::SymbolCache;
use super::{ActorEnv, ActorError};
use crate::record::events::{
    ConsumedRecord, EventKind, ProducedRecord, RecordId, RunsBuilder, TopicPartition, split_id,
};
use crate::record::symbols::Sym;
use crate::scenario::model::CommitPolicy;
use crate::scenario::plan::{ConsumerPlan, Link};

/// What a `commit` step's commit came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitAnswer {
    /// The broker accepted the positions of this many partitions.
    Committed(usize),
    /// The group refused them because it is rebalancing (the error it gave): the member's
    /// generation or epoch is no longer current, as Java's `RebalanceInProgressException` and
    /// `CommitFailedException` say; nothing was committed, and the member goes on.
    Refused(String),
    /// No answer came within this time (Java's `commitSync()` throws a `TimeoutException`
    /// then); the commit may still be carried out later.
    Unanswered(Duration),
}

/// Commit errors that mean "the group is rebalancing or has moved on from this member", not a
/// failure of the cluster.
const REFUSED_FOR_A_REBALANCE: [RDKafkaErrorCode; 5] = [
    RDKafkaErrorCode::RebalanceInProgress,
    RDKafkaErrorCode::IllegalGeneration,
    RDKafkaErrorCode::UnknownMemberId,
    RDKafkaErrorCode::FencedMemberEpoch,
    RDKafkaErrorCode::StaleMemberEpoch,
];

/// What the runner asks of a polling consumer between two polls.
enum Command {
    /// Commit the current positions (kafka-python's and Java's `commit()`).
    CommitPositions(oneshot::Sender<Result<CommitAnswer, String>>),
    /// Close gracefully.
    Stop,
    /// Crash.
    Kill,
    /// Stop polling and processing until `Thaw`, as a stopped process does; the sender learns
    /// when the poll thread has stopped.
    Freeze(oneshot::Sender<()>),
    /// Go on after a `Freeze`.
    Thaw,
}

/// What the poll loop does after a command.
enum Flow {
    /// Go on polling (or processing).
    Continue,
    /// End the loop: stop or kill.
    End(Command),
}

/// How long one poll waits for a first record before the loop checks for stop or kill.
const POLL_WAIT: Duration = Duration::from_millis(100);
/// How long a watermark query may take.
const WATERMARK_TIMEOUT: Duration = Duration::from_secs(10);

/// A running consumer; dropping it without `stop` or `kill` stops it gracefully.
pub struct ConsumerActor {
    env: ActorEnv,
    commands: mpsc::Sender<Command>,
    thread: Option<JoinHandle<()>>,
    process: Arc<AtomicU64>,
    /// The relay its connections go through, for consumers the timeline freezes.
    relay: Option<Relay>,
    /// Set from the moment a freeze is asked for until the thaw; the poll thread looks at it
    /// before each record, so a batch in hand stops at once.
    freezing: Arc<AtomicBool>,
}

/// Records group membership changes in the event log.
struct GroupMember {
    env: ActorEnv,
    /// What it owns now, as the assignments and revocations so far add up.
    owned: Mutex<BTreeSet<TopicPartition>>,
    /// Whether its protocol is incremental. Known from its configuration: librdkafka's own
    /// answer (`rd_kafka_rebalance_protocol`) blocks forever when asked from the rebalance
    /// callback that the close serves.
    incremental: bool,
}

impl ClientContext for GroupMember {
    /// librdkafka reports leaving the group for a late poll as a global error; the run records
    /// it as an event (`MaxPollExceeded`), so it is no error of the harness's.
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::PollExceeded) {
            tracing::info!(actor = %self.env.name, "{reason}");
        } else {
            tracing::error!(actor = %self.env.name, "librdkafka: {error}: {reason}");
        }
    }
}

impl ConsumerContext for GroupMember {
    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        match result {
            Ok(()) => {
                let committed = offsets
                    .elements()
                    .iter()
                    .filter_map(|e| match e.offset() {
                        rdkafka::Offset::Offset(offset) => {
                            Some((self.env.topics.partition(e.topic(), e.partition()), offset))
                        }
                        _ => None,
                    })
                    .collect();
                self.env
                    .log
                    .push(&self.env.name, EventKind::Committed(committed));
            }
            Err(e) => tracing::info!(actor = %self.env.name, "commit failed: {e}"),
        }
    }

    /// A revocation is logged before librdkafka carries it out (and the member rejoins), so
    /// that the log never shows another member assigned a partition before this one gave it
    /// back; `Lost` first when the group had already taken it (librdkafka clears that mark as
    /// it carries the revocation out). Under the eager protocol a revocation takes everything
    /// (`Revoked`); under an incremental one (cooperative-sticky, KIP-848) it releases some
    /// (`Released`).
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(list) = rebalance else {
            return;
        };
        if consumer.assignment_lost() {
            self.env.log.push(&self.env.name, EventKind::Lost);
        }
        let mut owned = self.owned.lock().unwrap_or_else(PoisonError::into_inner);
        let kind = if self.incremental {
            let released = partitions(&self.env, list);
            for part in &released {
                owned.remove(part);
            }
            EventKind::Released(released)
        } else {
            owned.clear();
            EventKind::Revoked(partitions(&self.env, list))
        };
        self.env.log.push(&self.env.name, kind);
    }

    /// An assignment is logged once librdkafka has it: the whole set owned from then on (under
    /// an incremental protocol, what it kept plus what it was given).
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let mut owned = self.owned.lock().unwrap_or_else(PoisonError::into_inner);
                if !self.incremental {
                    owned.clear();
                }
                owned.extend(partitions(&self.env, list));
                let kind = EventKind::Assigned(owned.iter().cloned().collect());
                self.env.log.push(&self.env.name, kind);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => {
                tracing::warn!(actor = %self.env.name, "rebalance error: {e}");
            }
        }
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
    /// Creates the client, subscribes and starts polling. A consumer given a `relay` reaches
    /// the cluster only through it, so that it can be frozen.
    pub fn start(
        env: ActorEnv,
        plan: &ConsumerPlan,
        mut config: ClientConfig,
        relay: Option<Relay>,
    ) -> Result<ConsumerActor, ActorError> {
        let fail = |message: String| ActorError {
            actor: env.name.to_string(),
            message,
        };
        if let Some(relay) = &relay {
            config.set("bootstrap.servers", relay.bootstrap());
        }
        // Offsets are stored as records reach the poll loop (`store_offsets`), never by librdkafka:
        // rust-rdkafka's close polls the consumer until it is closed and drops what that poll
        // returns, and librdkafka would store those records' offsets on the way, so the final
        // commit would skip records nobody consumed (seen under KIP-848, whose revocation on
        // close leaves the fetched records in the queue).
        config.set("enable.auto.offset.store", "false");

        let consumer: BaseConsumer<GroupMember> = config
            .create_with_context(GroupMember {
                env: env.clone(),
                owned: Mutex::default(),
                incremental: plan.incremental(),
            })
            .map_err(|e| fail(format!("cannot create the consumer: {e}")))?;
        let topics: Vec<&str> = plan.topics.iter().map(|t| env.topics.physical(t)).collect();
        consumer
            .subscribe(&topics)
            .map_err(|e| fail(format!("cannot subscribe to {topics:?}: {e}")))?;
        env.log.push(&env.name, EventKind::Started);
        tracing::debug!(actor = %env.name, group = %plan.group, "consumer subscribed to {topics:?}");
        let (commands, inbox) = mpsc::channel();
        let process = Arc::new(AtomicU64::new(nanos(plan.process)));
        let freezing = Arc::new(AtomicBool::new(false));
        let poller = Poller {
            freezing: Arc::clone(&freezing),
            process: Arc::clone(&process),
            consumer,
            env: env.clone(),
            max_poll_records: plan.max_poll_records,
            commit: plan.commit,
            reset_to_earliest: config
                .get("auto.offset.reset")
                .is_some_and(|v| matches!(v, "earliest" | "smallest" | "beginning")),
            inbox,
            symbols: RefCell::new(SymbolCache::new(Arc::clone(env.log.names()))),
            batch: RefCell::default(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("consumer-{}", env.name))
            .spawn(move || poller.run())
            .map_err(|e| fail(format!("cannot start the poll thread: {e}")))?;
        Ok(ConsumerActor {
            env,
            commands,
            thread: Some(thread),
            process,
            relay,
            freezing,
        })
    }

    /// Changes the time spent on each record; it applies from the next record on, also in the
    /// middle of a batch.
    pub fn set_process(&self, time: Duration) {
        self.process.store(nanos(time), Ordering::Relaxed);
    }

    /// Commits the position of every assigned partition, whether or not a record was consumed
    /// from it; says how many partitions were committed, or why the group refused them.
    pub async fn commit_positions(&self) -> Result<CommitAnswer, ActorError> {
        let fail = |message: String| ActorError {
            actor: self.env.name.to_string(),
            message,
        };
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::CommitPositions(reply))
            .map_err(|_| fail("the consumer has ended".into()))?;
        answer
            .await
            .map_err(|_| fail("the consumer ended before committing".into()))?
            .map_err(|e| fail(format!("commit: {e}")))
    }

    /// Freezes the consumer entirely, as SIGSTOP freezes a process: no poll, no processing, and
    /// through its relay no byte to or from the cluster, heartbeats included; it does not leave
    /// its group. Returns once the poll thread has stopped (in the middle of a batch if need
    /// be). Needs the relay it was started with.
    pub async fn freeze(&self) -> Result<(), ActorError> {
        let fail = |message: &str| ActorError {
            actor: self.env.name.to_string(),
            message: message.into(),
        };
        let relay = self
            .relay
            .as_ref()
            .ok_or_else(|| fail("was started without a relay and cannot be frozen"))?;
        relay.freeze();
        self.freezing.store(true, Ordering::Release);
        let (stopped, acknowledged) = oneshot::channel();
        self.commands
            .send(Command::Freeze(stopped))
            .map_err(|_| fail("the consumer has ended"))?;
        acknowledged
            .await
            .map_err(|_| fail("the consumer ended before it was frozen"))?;
        self.env.log.push(&self.env.name, EventKind::Frozen);
        Ok(())
    }

    /// Lets a frozen consumer go on where it stopped.
    pub fn thaw(&self) {
        self.env.log.push(&self.env.name, EventKind::Thawed);
        self.freezing.store(false, Ordering::Release);
        let _ = self.commands.send(Command::Thaw);
        if let Some(relay) = &self.relay {
            relay.thaw();
        }
    }

    /// Changes what the network does to its connections from now on, resetting those open
    /// first when `reset`; it goes on polling. Needs the relay it was started with, which
    /// every consumer whose link the timeline changes has.
    pub fn set_link(&self, link: Link, reset: bool) {
        if let Some(relay) = &self.relay {
            if reset {
                relay.reset();
            }
            relay.set_link(link);
        }
    }

    /// Graceful close: leaves the group after the final commit; returns once closed. A frozen
    /// consumer is thawed first, and a cut link healed (only the run's end stops a consumer
    /// whose link is cut: a `stop` step is refused), or its close could not reach the
    /// cluster. Fails when its poll thread had panicked: what it logged since cannot be trusted.
    pub async fn stop(mut self) -> Result<(), ActorError> {
        self.freezing.store(false, Ordering::Release);
        if let Some(relay) = &self.relay {
            relay.thaw();
            relay.heal_cut();
        }
        self.end(Command::Stop).await
    }

    /// Crash: stops heartbeats without LeaveGroup and without committing. A frozen consumer's
    /// relay stays frozen until the client is gone, so nothing it held back reaches the cluster.
    /// Fails, as `stop` does, when its poll thread had panicked.
    pub async fn kill(mut self) -> Result<(), ActorError> {
        let relay = self.relay.take();
        let ended = self.end(Command::Kill).await;
        drop(relay);
        ended
    }

    async fn end(&mut self, how: Command) -> Result<(), ActorError> {
        // The thread may already have ended (a panic): then nobody receives the command.
        let _ = self.commands.send(how);
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let failed = |message: String| ActorError {
            actor: self.env.name.to_string(),
            message,
        };
        match tokio::task::spawn_blocking(move || thread.join()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(panic)) => Err(failed(format!(
                "its poll thread panicked: {}",
                panic_message(panic.as_ref())
            ))),
            Err(e) => Err(failed(format!("waiting for its poll thread failed: {e}"))),
        }
    }
}

/// What a panic said, when it said it with a string (as `panic!` and `expect` do).
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

impl Drop for ConsumerActor {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.freezing.store(false, Ordering::Release);
            if let Some(relay) = &self.relay {
                relay.thaw();
                relay.heal_cut();
            }
        }
        let _ = self.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Poller {
    consumer: BaseConsumer<GroupMember>,
    /// Set while a freeze is asked for or in force (see `ConsumerActor`).
    freezing: Arc<AtomicBool>,
    env: ActorEnv,
    /// Nanoseconds spent on each record after a poll returned it.
    process: Arc<AtomicU64>,
    max_poll_records: usize,
    commit: CommitPolicy,
    reset_to_earliest: bool,
    inbox: mpsc::Receiver<Command>,
    symbols: RefCell<SymbolCache>,
    /// The records of the poll under way, gathered as they come; reused by every poll.
    batch: RefCell<RunsBuilder<ConsumedRecord>>,
}

impl Poller {
    fn run(self) {
        // A stop or kill that arrived while records were being processed.
        let mut pending = None;
        let end = loop {
            let next = match pending.take() {
                Some(command) => Ok(command),
                None => self.inbox.try_recv(),
            };
            match next {
                Err(mpsc::TryRecvError::Empty) => pending = self.poll_once(),
                Err(mpsc::TryRecvError::Disconnected) => break Command::Stop,
                Ok(command) => {
                    if let Flow::End(end) = self.obey(command) {
                        break end;
                    }
                }
            }
        };
        let Poller { consumer, env, .. } = self;
        if matches!(end, Command::Kill) {
            env.log.push(&env.name, EventKind::Killed);
            crash(consumer, &env.name);
        } else {
            // Logged first: the group may rebalance before the close returns.
            env.log.push(&env.name, EventKind::Stopped);
            drop(consumer);
        }
    }

    /// Carries out a command between polls or in the middle of processing; a freeze blocks here
    /// until the thaw (or a kill or stop).
    fn obey(&self, command: Command) -> Flow {
        match command {
            Command::CommitPositions(reply) => {
                let _ = reply.send(self.commit_positions());
                Flow::Continue
            }
            Command::Thaw => Flow::Continue,
            Command::Freeze(stopped) => {
                let _ = stopped.send(());
                loop {
                    match self.inbox.recv() {
                        Ok(Command::Thaw) => return Flow::Continue,
                        Ok(Command::CommitPositions(reply)) => {
                            let _ = reply.send(Err("the consumer is frozen".into()));
                        }
                        Ok(Command::Freeze(again)) => {
                            let _ = again.send(());
                        }
                        Ok(end) => return Flow::End(end),
                        Err(mpsc::RecvError) => return Flow::End(Command::Stop),
                    }
                }
            }
            end => Flow::End(end),
        }
    }

    /// When a freeze was asked for, carries out commands until it is over (the freeze itself
    /// blocks in `obey`); returns a stop or kill that came meanwhile. One atomic load otherwise.
    fn hold_if_frozen(&self) -> Option<Command> {
        while self.freezing.load(Ordering::Acquire) {
            match self.inbox.recv() {
                Ok(command) => {
                    if let Flow::End(end) = self.obey(command) {
                        return Some(end);
                    }
                }
                Err(mpsc::RecvError) => return Some(Command::Stop),
            }
        }
        None
    }

    /// One emulated poll: wait for a first record, then take what is already fetched, up to
    /// `max.poll.records`; then spend the processing time on each record, as a handler would.
    /// Returns a command that arrived while processing, for the loop to handle next.
    fn poll_once(&self) -> Option<Command> {
        let mut batch = self.batch.borrow_mut();
        // Per partition, the last offset this poll took: stored once the poll has ended.
        let mut reached: Vec<(Sym, i32, i64)> = Vec::new();
        // With `commit: per-record`, where each record was, to commit once it is processed.
        let mut received: Vec<(Sym, i32, i64)> = Vec::new();
        // The record before, kept alive so that its topic is too: a record of the same topic
        // object needs no lookup of its name.
        let mut previous: Option<(BorrowedMessage<'_>, Sym)> = None;
        let mut wait = POLL_WAIT;
        while batch.len() < self.max_poll_records {
            match self.consumer.poll(wait) {
                None => break,
                Some(Err(KafkaError::MessageConsumption(RDKafkaErrorCode::PollExceeded))) => {
                    // librdkafka left the group: processing took longer than
                    // max.poll.interval.ms. This poll rejoins.
                    self.env
                        .log
                        .push(&self.env.name, EventKind::MaxPollExceeded);
                    break;
                }
                Some(Err(e)) => {
                    tracing::warn!(actor = %self.env.name, "poll: {e}");
                    break;
                }
                Some(Ok(message)) => {
                    let topic = match &previous {
                        Some((before, topic)) if before.topic_ptr() == message.topic_ptr() => {
                            *topic
                        }
                        _ => self
                            .symbols
                            .borrow_mut()
                            .topic(message.topic(), &self.env.topics),
                    };
                    let record = self.consumed(&message, topic);
                    reach(&mut reached, &record);
                    batch.push(record);
                    if self.commit == CommitPolicy::PerRecord {
                        received.push((topic, message.partition(), message.offset()));
                    }
                    previous = Some((message, topic));
                }
            }
            if self.freezing.load(Ordering::Acquire) {
                // A stopped process takes no more: what it has is processed after the thaw.
                break;
            }
            wait = Duration::ZERO;
        }
        // Not held while the records are processed, nor through a freeze.
        drop(previous);
        self.store_offsets(&reached);
        if batch.is_empty() {
            return None;
        }
        let count = batch.len();
        let events = [
            EventKind::Consumed(batch.take(self.env.log.names())),
            EventKind::PollBatch(count),
        ];
        drop(batch);
        self.env.log.extend(&self.env.name, events);
        if let Some(command) = self.process(count, &received) {
            return Some(command);
        }
        if let Some(command) = self.hold_if_frozen() {
            return Some(command);
        }
        if self.commit == CommitPolicy::PerPoll
            && let Err(e) = self.commit_logged(None)
        {
            // A member that lost its partitions (a rebalance, a late poll) cannot commit: its
            // records come again, which is what the scenario observes.
            // Nothing stored to commit (no record since the assignment) is no failure.
            let lost = matches!(
                e,
                CommitFailure::Refused(code)
                    if code == RDKafkaErrorCode::AssignmentLost
                        || code == RDKafkaErrorCode::NoOffset
                        || REFUSED_FOR_A_REBALANCE.contains(&code)
            );
            if lost {
                tracing::info!(actor = %self.env.name, "commit: {e}");
            } else {
                tracing::warn!(actor = %self.env.name, "commit: {e}");
            }
        }
        None
    }

    /// Spends the processing time on each of the poll's `count` records, as a slow handler
    /// between two polls does, committing each one after it when `received` says where it was
    /// (`per-record`). A commit or freeze asked for meanwhile is carried out and processing goes
    /// on where it stopped (a freeze's time does not count as processing); a stop or kill ends
    /// it and is returned.
    fn process(&self, count: usize, received: &[(Sym, i32, i64)]) -> Option<Command> {
        // Records processed in no time and not yet logged: one event covers them.
        let mut quick = 0;
        // Whether this poll's records still commit (see `commit_after`).
        let mut committing = true;
        let mut ended = None;
        for index in 0..count {
            if let Some(end) = self.pause_point(&mut quick) {
                ended = Some(end);
                break;
            }
            let time = Duration::from_nanos(self.process.load(Ordering::Relaxed));
            if time.is_zero() {
                quick += 1;
            } else {
                self.log_processed(std::mem::take(&mut quick));
                if let Some(end) = self.spend(time) {
                    ended = Some(end);
                    break;
                }
                self.log_processed(1);
            }
            if let Some((topic, partition, offset)) = received.get(index).filter(|_| committing) {
                if let Some(end) = self.pause_point(&mut quick) {
                    ended = Some(end);
                    break;
                }
                let logical = self.env.log.names().text(*topic);
                committing =
                    self.commit_after(self.env.topics.physical(&logical), *partition, *offset);
            }
        }
        self.log_processed(quick);
        ended
    }

    /// Where processing stops for a freeze: logs the records processed so far, then holds
    /// until the thaw; returns a stop or kill that came meanwhile.
    fn pause_point(&self, quick: &mut usize) -> Option<Command> {
        if !self.freezing.load(Ordering::Acquire) {
            return None;
        }
        self.log_processed(std::mem::take(quick));
        self.hold_if_frozen()
    }

    /// Spends `time` on one record, carrying out commands meanwhile (a freeze's time does not
    /// count); returns a stop or kill.
    fn spend(&self, time: Duration) -> Option<Command> {
        let mut left = time;
        while !left.is_zero() {
            let began = Instant::now();
            match self.inbox.recv_timeout(left) {
                Ok(command) => {
                    left = left.saturating_sub(began.elapsed());
                    if let Flow::End(end) = self.obey(command) {
                        return Some(end);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => left = Duration::ZERO,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Some(Command::Stop),
            }
        }
        None
    }

    fn log_processed(&self, records: usize) {
        if records > 0 {
            self.env
                .log
                .push(&self.env.name, EventKind::Processed(records));
        }
    }

    /// librdkafka knows a position only after a record was consumed; before that, the
    /// position is the group's committed offset if it has one (nothing to commit: committing
    /// a watermark would move the group's offset back), else where `auto.offset.reset` puts
    /// the consumer: the low or high watermark.
    fn commit_positions(&self) -> Result<CommitAnswer, String> {
        let positions = self.consumer.position().map_err(|e| e.to_string())?;
        let mut unknown = TopicPartitionList::new();
        for element in positions.elements() {
            if !matches!(element.offset(), rdkafka::Offset::Offset(_)) {
                unknown.add_partition(element.topic(), element.partition());
            }
        }
        let committed = if unknown.count() > 0 {
            self.consumer
                .committed_offsets(unknown, WATERMARK_TIMEOUT)
                .map_err(|e| e.to_string())?
        } else {
            TopicPartitionList::new()
        };
        let mut valid = TopicPartitionList::new();
        for element in positions.elements() {
            let offset = match element.offset() {
                rdkafka::Offset::Offset(offset) => offset,
                _ if committed
                    .find_partition(element.topic(), element.partition())
                    .is_some_and(|c| matches!(c.offset(), rdkafka::Offset::Offset(_))) =>
                {
                    continue;
                }
                _ => {
                    let (low, high) = self
                        .consumer
                        .fetch_watermarks(element.topic(), element.partition(), WATERMARK_TIMEOUT)
                        .map_err(|e| e.to_string())?;
                    if self.reset_to_earliest { low } else { high }
                }
            };
            valid
                .add_partition_offset(
                    element.topic(),
                    element.partition(),
                    rdkafka::Offset::Offset(offset),
                )
                .map_err(|e| e.to_string())?;
        }
        if valid.count() > 0 {
            match self.commit_logged(Some(&valid)) {
                Ok(_) => {}
                Err(CommitFailure::Refused(code)) if REFUSED_FOR_A_REBALANCE.contains(&code) => {
                    return Ok(CommitAnswer::Refused(format!("{code:?}")));
                }
                Err(CommitFailure::TimedOut(after)) => return Ok(CommitAnswer::Unanswered(after)),
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(CommitAnswer::Committed(valid.count()))
    }

    /// Commits synchronously (within `COMMIT_TIMEOUT`) and logs what the broker accepted:
    /// librdkafka tells a commit the application asked for only to its caller.
    fn commit_logged(&self, offsets: Option<&TopicPartitionList>) -> Result<usize, CommitFailure> {
        let accepted = commit_within(&self.consumer, offsets, COMMIT_TIMEOUT)?;
        let count = accepted.len();
        if count > 0 {
            let committed = accepted
                .iter()
                .map(|(topic, partition, offset)| {
                    (self.env.topics.partition(topic, *partition), *offset)
                })
                .collect();
            self.env
                .log
                .push(&self.env.name, EventKind::Committed(committed));
        }
        Ok(count)
    }

    /// Stores the offsets after what the poll took, one call per partition rather than per
    /// record: nothing commits between the poll's records.
    fn store_offsets(&self, reached: &[(Sym, i32, i64)]) {
        for (topic, partition, offset) in reached {
            let logical = self.env.log.names().text(*topic);
            let physical = self.env.topics.physical(&logical);
            if let Err(e) = self.consumer.store_offset(physical, *partition, *offset) {
                // Its partition was revoked meanwhile: the new owner starts from the last
                // offset stored.
                tracing::debug!(actor = %self.env.name, "offset store: {e}");
            }
        }
    }

    /// The record `message` is, its topic being the symbol `topic`.
    fn consumed(&self, message: &BorrowedMessage<'_>, topic: Sym) -> ConsumedRecord {
        let mut symbols = self.symbols.borrow_mut();
        let id = message
            .headers()
            .and_then(|headers| {
                let (producer, seq) = split_id(id_header(headers)?)?;
                Some(RecordId {
                    producer: symbols.producer(producer)?,
                    seq,
                })
            })
            .unwrap_or_else(|| {
                let at = self
                    .env
                    .topics
                    .partition(message.topic(), message.partition());
                RecordId::located(self.env.log.names(), &at, message.offset())
            });
        ConsumedRecord {
            offset: message.offset(),
            sent: ProducedRecord {
                seq: id.seq,
                topic,
                partition: message.partition(),
                key: message.key().and_then(|key| symbols.text(key)),
                producer: id.producer,
            },
        }
    }

    /// Commits the offset after a processed record, synchronously (within `COMMIT_TIMEOUT`);
    /// says whether the rest of the poll's records may commit too: not after a commit that got
    /// no answer, which the next ones would wait for as long, nor after the group refused one
    /// for a rebalance (the next poll serves it).
    fn commit_after(&self, topic: &str, partition: i32, offset: i64) -> bool {
        let mut list = TopicPartitionList::new();
        if let Err(e) =
            list.add_partition_offset(topic, partition, rdkafka::Offset::Offset(offset + 1))
        {
            tracing::warn!(actor = %self.env.name, "commit: {e}");
            return true;
        }
        match self.commit_logged(Some(&list)) {
            Ok(_) => true,
            Err(e @ CommitFailure::TimedOut(_)) => {
                tracing::warn!(actor = %self.env.name, "commit: {e}; the poll's other records are not committed");
                false
            }
            Err(CommitFailure::Refused(code))
                if code == RDKafkaErrorCode::AssignmentLost
                    || REFUSED_FOR_A_REBALANCE.contains(&code) =>
            {
                tracing::info!(actor = %self.env.name, "commit: {code}; the poll's other records are not committed");
                false
            }
            Err(e) => {
                tracing::warn!(actor = %self.env.name, "commit: {e}");
                true
            }
        }
    }
}

/// Notes that a poll took `record`: its partition's entry in `reached` moves to its offset.
/// Records come in runs from one partition, so the entry touched last is kept at the end and
/// looked at first.
fn reach(reached: &mut Vec<(Sym, i32, i64)>, record: &ConsumedRecord) {
    let same = |(topic, partition, _): &(Sym, i32, i64)| {
        *topic == record.sent.topic && *partition == record.sent.partition
    };
    if let Some(last) = reached.last_mut().filter(|entry| same(entry)) {
        last.2 = record.offset;
        return;
    }
    if let Some(found) = reached.iter().position(same) {
        reached.swap_remove(found);
    }
    reached.push((record.sent.topic, record.sent.partition, record.offset));
}

fn nanos(time: Duration) -> u64 {
    u64::try_from(time.as_nanos()).unwrap_or(u64::MAX)
}

/// How long a crash waits for librdkafka to let go of the client. Its destroy takes
/// milliseconds; explore saw one, of a consumer killed during a cooperative rebalance, wait for
/// good while its main thread spun a core, which hung the kill step and the run.
const CRASH_WAIT: Duration = Duration::from_secs(5);

/// A librdkafka handle handed to the thread that destroys it.
struct Doomed(*mut rdkafka::bindings::rd_kafka_t);

// SAFETY: librdkafka's destroy may be called from any thread that librdkafka does not own; the
// handle is used by that one thread only, once.
unsafe impl Send for Doomed {}

impl Doomed {
    /// The handle; a method, so that a closure takes the whole `Doomed` (which is `Send`).
    fn into_raw(self) -> *mut rdkafka::bindings::rd_kafka_t {
        self.0
    }
}

/// Destroys the client the way a crashed process disappears: librdkafka's
/// `RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE` skips the LeaveGroup and the final commit, so the group
/// only notices when the session times out. A destroy that takes longer than `CRASH_WAIT` is
/// left to itself, said with a warning: the client is abandoned (its relay, if it has one, is
/// dropped by the caller, which cuts it off the cluster).
fn crash(consumer: BaseConsumer<GroupMember>, name: &str) {
    let handle = Doomed(consumer.client().native_ptr());
    // rdkafka's own drop would close the consumer (LeaveGroup, commit); the handle is destroyed
    // below instead, and the Rust wrapper, which would free it a second time, is forgotten (its
    // context too, which librdkafka may still call back while it shuts down).
    std::mem::forget(consumer);
    let (done, destroyed) = mpsc::channel();
    let destroying = std::thread::Builder::new()
        .name(format!("crash-{name}"))
        .spawn(move || {
            let handle = handle.into_raw();
            // SAFETY: `handle` is the live librdkafka handle of the consumer forgotten above;
            // nothing else refers to it, and it is destroyed exactly once, here.
            unsafe {
                rdkafka::bindings::rd_kafka_destroy_flags(
                    handle,
                    rdkafka::bindings::RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE,
                );
            }
            let _ = done.send(());
        });
    match destroying {
        Ok(_) => {
            if destroyed.recv_timeout(CRASH_WAIT).is_err() {
                tracing::warn!(
                    actor = %name,
                    "librdkafka has not destroyed the crashed client within {}s; it is abandoned, and its threads run on until scenario-run exits",
                    CRASH_WAIT.as_secs()
                );
            }
        }
        Err(e) => {
            tracing::error!(actor = %name, "cannot start the thread that destroys the crashed client, which is abandoned: {e}")
        }
    }
}

mod commit;
#[cfg(test)]
mod tests;
