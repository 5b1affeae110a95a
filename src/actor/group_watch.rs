//! What the broker says of the groups that process actors join, as `kafka-consumer-groups.sh
//! --describe` shows it: DescribeGroups every `EVERY`, its members and their assignments turned
//! into the same `Assigned` and `Revoked` events a consumer of the harness's own logs, so that
//! `await stable` and `assignment` expectations work alike for both.
//!
//! A process's member is the one whose `client.id` it declares or, without one, the first member
//! to appear that belongs to no one yet and is not one of the harness's own consumers. Only the
//! classic protocol is described this way (DescribeGroups); KIP-848 groups answer to
//! ConsumerGroupDescribe, which librdkafka's group listing does not send.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use kafka_protocol::messages::ConsumerProtocolAssignment;
use kafka_protocol::protocol::Decodable;
use rdkafka::consumer::{BaseConsumer, Consumer};

use super::ActorError;
use crate::cluster::client::client_config;
use crate::cluster::run_names::RunNames;
use crate::record::events::{EventKind, EventLog, TopicPartition};
use crate::scenario::properties::Properties;

/// How often the groups are described.
const EVERY: Duration = Duration::from_millis(150);
/// How long one DescribeGroups may take.
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

/// A member of a group as the broker described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// The member id the coordinator gave it.
    pub id: String,
    /// Its `client.id`.
    pub client_id: String,
    /// Its partitions, when the group is stable.
    pub assignment: Vec<TopicPartition>,
}

/// One description of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupView {
    /// `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Empty` or `Dead`.
    pub state: String,
    /// Its members.
    pub members: Vec<MemberView>,
}

/// A process actor the watch follows.
#[derive(Debug)]
struct Followed {
    actor: Arc<str>,
    group: String,
    client_id: Option<String>,
    /// Its member id, once known.
    member: Option<String>,
    /// What was last logged for it: `Some` after `Assigned`, `None` after `Revoked`.
    held: Option<Vec<TopicPartition>>,
    /// Members of its group at the last stable description it was logged for.
    generation: BTreeSet<String>,
    running: bool,
}

/// What the watch knows, shared with its thread.
#[derive(Debug, Default)]
struct Known {
    followed: Vec<Followed>,
    /// The last failure to describe a group, kept for a barrier's message.
    last_error: Option<String>,
}

/// Follows the groups of process actors until stopped.
pub struct GroupWatch {
    known: Arc<Mutex<Known>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl GroupWatch {
    /// Starts describing groups; `harness_clients` are the `client.id`s of the harness's own
    /// consumers, whose members are never a process's.
    pub fn start(
        connection: &Properties,
        names: Arc<RunNames>,
        log: Arc<EventLog>,
        harness_clients: BTreeSet<String>,
    ) -> Result<GroupWatch, ActorError> {
        let fail = |message: String| ActorError {
            actor: "group watch".into(),
            message,
        };
        let consumer: BaseConsumer = client_config(connection)
            .create()
            .map_err(|e| fail(format!("cannot create its client: {e}")))?;
        let known = Arc::new(Mutex::new(Known::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = Watcher {
            consumer,
            names,
            log,
            harness_clients,
            known: Arc::clone(&known),
            stop: Arc::clone(&stop),
        };
        let thread = std::thread::Builder::new()
            .name("group-watch".into())
            .spawn(move || watcher.run())
            .map_err(|e| fail(format!("cannot start its thread: {e}")))?;
        Ok(GroupWatch {
            known,
            stop,
            thread: Some(thread),
        })
    }

    /// Follows a process that has just started as a member of `group` (the scenario's name).
    pub fn follow(&self, actor: &Arc<str>, group: &str, client_id: Option<String>) {
        let mut known = self.lock();
        known
            .followed
            .retain(|f| f.actor != *actor || f.member.is_some());
        known.followed.push(Followed {
            actor: Arc::clone(actor),
            group: group.to_owned(),
            client_id,
            member: None,
            held: None,
            generation: BTreeSet::new(),
            running: true,
        });
    }

    /// Whether the process's member has been seen in its group.
    pub fn joined(&self, actor: &str) -> bool {
        self.lock()
            .followed
            .iter()
            .any(|f| &*f.actor == actor && f.running && f.member.is_some())
    }

    /// The last failure to describe a group, if any.
    pub fn last_error(&self) -> Option<String> {
        self.lock().last_error.clone()
    }

    /// Stops following a process that has ended; its member, which may linger until its
    /// session times out, stays its own and is never given to another.
    pub fn unfollow(&self, actor: &str) {
        for followed in self.lock().followed.iter_mut() {
            if &*followed.actor == actor {
                followed.running = false;
            }
        }
    }

    /// Stops the thread.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for GroupWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

struct Watcher {
    consumer: BaseConsumer,
    names: Arc<RunNames>,
    log: Arc<EventLog>,
    harness_clients: BTreeSet<String>,
    known: Arc<Mutex<Known>>,
    stop: Arc<AtomicBool>,
}

impl Watcher {
    fn run(self) {
        while !self.stop.load(Ordering::Acquire) {
            let groups: BTreeSet<String> = {
                let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
                known
                    .followed
                    .iter()
                    .filter(|f| f.running)
                    .map(|f| f.group.clone())
                    .collect()
            };
            for group in groups {
                match self.describe(&group) {
                    Ok(view) => self.observe(&group, &view),
                    Err(e) => {
                        tracing::debug!(%group, "cannot describe the group: {e}");
                        self.known
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .last_error = Some(format!("describing group {group}: {e}"));
                    }
                }
            }
            std::thread::sleep(EVERY);
        }
    }

    fn describe(&self, group: &str) -> Result<GroupView, String> {
        let physical = self.names.group(group);
        let list = self
            .consumer
            .fetch_group_list(Some(physical), DESCRIBE_TIMEOUT)
            .map_err(|e| e.to_string())?;
        let Some(info) = list.groups().iter().find(|g| g.name() == physical) else {
            return Ok(GroupView {
                state: "Dead".into(),
                members: Vec::new(),
            });
        };
        let members = info
            .members()
            .iter()
            .map(|m| {
                let assignment = match m.assignment() {
                    Some(bytes) if !bytes.is_empty() => decode_assignment(bytes)?
                        .into_iter()
                        .flat_map(|(topic, partitions)| {
                            partitions
                                .into_iter()
                                .map(move |p| self.names.partition(&topic, p))
                                .collect::<Vec<_>>()
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                Ok(MemberView {
                    id: m.id().to_owned(),
                    client_id: m.client_id().to_owned(),
                    assignment,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(GroupView {
            state: info.state().to_owned(),
            members,
        })
    }

    fn observe(&self, group: &str, view: &GroupView) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        let events = observe(&mut known.followed, group, view, &self.harness_clients);
        drop(known);
        for (actor, kind) in events {
            self.log.push(&actor, kind);
        }
    }
}

/// What a description of `group` tells of the processes followed in it: attributes new members
/// and returns the events to log, in order.
fn observe(
    followed: &mut [Followed],
    group: &str,
    view: &GroupView,
    harness_clients: &BTreeSet<String>,
) -> Vec<(Arc<str>, EventKind)> {
    let claimed: BTreeSet<String> = followed.iter().filter_map(|f| f.member.clone()).collect();
    let mut taken = claimed;
    for f in followed
        .iter_mut()
        .filter(|f| f.group == group && f.running && f.member.is_none())
    {
        let found = view.members.iter().find(|m| {
            !taken.contains(&m.id)
                && match &f.client_id {
                    Some(id) => &m.client_id == id,
                    None => !harness_clients.contains(&m.client_id),
                }
        });
        if let Some(member) = found {
            f.member = Some(member.id.clone());
            taken.insert(member.id.clone());
        }
    }
    let members: BTreeSet<String> = view.members.iter().map(|m| m.id.clone()).collect();
    let mut events = Vec::new();
    for f in followed
        .iter_mut()
        .filter(|f| f.group == group && f.running)
    {
        let Some(id) = &f.member else {
            continue;
        };
        let member = view.members.iter().find(|m| &m.id == id);
        match (view.state.as_str(), member) {
            ("Stable", Some(member)) => {
                let mut parts = member.assignment.clone();
                parts.sort();
                if f.held.as_ref() != Some(&parts) || f.generation != members {
                    f.held = Some(parts.clone());
                    f.generation = members.clone();
                    events.push((Arc::clone(&f.actor), EventKind::Assigned(parts)));
                }
            }
            ("PreparingRebalance" | "CompletingRebalance", Some(_)) | (_, None) => {
                if let Some(held) = f.held.take() {
                    events.push((Arc::clone(&f.actor), EventKind::Revoked(held)));
                }
            }
            _ => {}
        }
    }
    events
}

/// The topics and partitions of a classic consumer-protocol assignment (a version, then the
/// ConsumerProtocolAssignment of that version).
pub fn decode_assignment(bytes: &[u8]) -> Result<Vec<(String, Vec<i32>)>, String> {
    let Some((head, mut buf)) = bytes.split_first_chunk::<2>() else {
        return Err(format!(
            "an assignment of {} bytes has no version",
            bytes.len()
        ));
    };
    let version = i16::from_be_bytes(*head);
    let assignment = ConsumerProtocolAssignment::decode(&mut buf, version.clamp(0, 3))
        .map_err(|e| format!("assignment of version {version}: {e}"))?;
    Ok(assignment
        .assigned_partitions
        .into_iter()
        .map(|tp| (tp.topic.to_string(), tp.partitions))
        .collect())
}

#[cfg(test)]
mod tests;
