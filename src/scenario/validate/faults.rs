//! The scenario's own brokers (`brokers:`), fault steps on them and the `await` conditions on
//! cluster state: every broker named must exist, every partition named must exist, and a broker
//! is only resumed after a pause and only restarted after it went down.

use std::collections::BTreeMap;

use super::{Result, Validator, path};
use crate::scenario::model::{AwaitStep, BrokersWanted, IsrWanted};
use crate::scenario::plan::{BrokerRef, BrokerSetup, Fault, FaultStep, PartitionRef, TopicPlan};
use crate::scenario::source::{PathSeg, did_you_mean};
use crate::scenario::values::{BrokerRefSpec, BrokerRole, topic_partition};

/// Settings the target writes itself for every broker; a scenario's value would break the cluster.
const OWNED_BROKER_SETTINGS: &[&str] = &[
    "node.id",
    "broker.id",
    "process.roles",
    "listeners",
    "advertised.listeners",
    "listener.security.protocol.map",
    "controller.listener.names",
    "controller.quorum.voters",
    "controller.quorum.bootstrap.servers",
    "inter.broker.listener.name",
    "log.dirs",
    "log.dir",
];

/// The most brokers a scenario may start on one machine.
const MAX_BROKERS: i32 = 9;

/// What validation knows of a broker (or a named set of brokers) at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BrokerState {
    Running,
    Paused,
    Down,
}

/// Broker state as the timeline walk goes: by node id and by `as` name.
#[derive(Debug, Default)]
pub(super) struct BrokerWalk {
    nodes: BTreeMap<i32, BrokerState>,
    names: BTreeMap<String, BrokerState>,
}

impl Validator<'_> {
    /// The `brokers:` section; topics must fit on the brokers it starts.
    pub(super) fn brokers(&self, topics: &[TopicPlan]) -> Result<Option<BrokerSetup>> {
        let Some(spec) = &self.file.brokers else {
            return Ok(None);
        };
        if !(1..=MAX_BROKERS).contains(&spec.count) {
            return Err(self.err(
                path(&[&"brokers", &"count"]),
                false,
                format!("`count` must be between 1 and {MAX_BROKERS}"),
                None,
            ));
        }
        for key in spec.config.keys() {
            if OWNED_BROKER_SETTINGS.contains(&key.as_str()) {
                return Err(self.err(
                    path(&[&"brokers", &"config", key]),
                    true,
                    format!("`{key}` is set by the target for every broker"),
                    Some(
                        "node ids, listeners, the quorum and data directories belong to the target"
                            .into(),
                    ),
                ));
            }
        }
        for topic in topics {
            if topic.replicas > spec.count {
                return Err(self.err(
                    path(&[&"topics", &topic.name, &"replicas"]),
                    false,
                    format!(
                        "topic `{}` wants {} replicas but the scenario starts {} broker(s)",
                        topic.name, topic.replicas, spec.count
                    ),
                    Some("raise `brokers: { count }` or lower `replicas`".into()),
                ));
            }
        }
        Ok(Some(BrokerSetup {
            count: spec.count,
            config: spec
                .config
                .iter()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect(),
        }))
    }

    /// A fault step: the broker it names resolved as far as the file allows, its state checked.
    pub(super) fn fault_step(
        &self,
        fault: Fault,
        spec: &BrokerRefSpec,
        at: Vec<PathSeg>,
        brokers: Option<&BrokerSetup>,
        partitions: &BTreeMap<String, i32>,
        walk: &mut BrokerWalk,
    ) -> Result<(String, FaultStep)> {
        let Some(brokers) = brokers else {
            return Err(self.err(
                at,
                true,
                format!("`{}-broker` needs brokers of the scenario's own", fault.verb()),
                Some("add e.g. `brokers: { count: 3 }`: the target then starts brokers for this scenario alone".into()),
            ));
        };
        let (broker, name) = self.broker_ref(spec, at.clone(), brokers, partitions, walk)?;
        // The dedicated controller follows the brokers' node ids.
        let controller = brokers.count + 1;
        let state = match &broker {
            BrokerRef::Node(node) => walk.nodes.get(node).copied(),
            BrokerRef::Controller => walk.nodes.get(&controller).copied(),
            BrokerRef::Named(name) => walk.names.get(name).copied(),
            _ => None,
        }
        .unwrap_or(BrokerState::Running);
        let allowed = match fault {
            Fault::Kill | Fault::Stop => state != BrokerState::Down,
            Fault::Pause => state == BrokerState::Running,
            Fault::Resume => state == BrokerState::Paused,
            Fault::Restart => state == BrokerState::Down,
        };
        let text = describe(fault, &broker, name.as_deref());
        if !allowed {
            let what = match state {
                BrokerState::Running => "running",
                BrokerState::Paused => "paused",
                BrokerState::Down => "down",
            };
            let hint = match fault {
                Fault::Resume => "only a paused broker can be resumed",
                Fault::Restart => "only a stopped or killed broker can be restarted",
                _ => "restart it first",
            };
            return Err(self.err(
                at,
                false,
                format!("cannot {}: the broker is {what} at this step", text),
                Some(hint.into()),
            ));
        }
        let after = match fault {
            Fault::Kill | Fault::Stop => BrokerState::Down,
            Fault::Pause => BrokerState::Paused,
            Fault::Resume | Fault::Restart => BrokerState::Running,
        };
        match &broker {
            BrokerRef::Node(node) => {
                walk.nodes.insert(*node, after);
            }
            BrokerRef::Controller => {
                walk.nodes.insert(controller, after);
            }
            BrokerRef::Named(name) => {
                walk.names.insert(name.clone(), after);
            }
            _ => {}
        }
        if let Some(name) = &name {
            walk.names.insert(name.clone(), after);
        }
        Ok((
            text,
            FaultStep {
                fault,
                broker,
                name,
            },
        ))
    }

    fn broker_ref(
        &self,
        spec: &BrokerRefSpec,
        at: Vec<PathSeg>,
        brokers: &BrokerSetup,
        partitions: &BTreeMap<String, i32>,
        walk: &BrokerWalk,
    ) -> Result<(BrokerRef, Option<String>)> {
        match spec {
            BrokerRefSpec::Node(node) => Ok((self.node(*node, at, brokers)?, None)),
            BrokerRefSpec::Word(word) if word == "controller" => Ok((BrokerRef::Controller, None)),
            BrokerRefSpec::Word(word) => {
                if walk.names.contains_key(word) {
                    return Ok((BrokerRef::Named(word.clone()), None));
                }
                let known: Vec<&str> = walk
                    .names
                    .keys()
                    .map(String::as_str)
                    .chain(["controller"])
                    .collect();
                let hint = match did_you_mean(word, known.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "name a broker by node id, `controller`, `{ leader: topic/0 }`, or a name an earlier step gave with `as`".into(),
                };
                Err(self.err(
                    at,
                    false,
                    format!("no broker is called `{word}` at this step"),
                    Some(hint),
                ))
            }
            BrokerRefSpec::Role(role) => self.role(role, at, brokers, partitions),
        }
    }

    fn role(
        &self,
        role: &BrokerRole,
        at: Vec<PathSeg>,
        brokers: &BrokerSetup,
        partitions: &BTreeMap<String, i32>,
    ) -> Result<(BrokerRef, Option<String>)> {
        let given = [
            role.node.is_some(),
            role.leader.is_some(),
            role.followers.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(self.err(
                at,
                false,
                "say which broker: exactly one of `node`, `leader` or `followers`",
                Some("e.g. `{ leader: orders/0, as: old-leader }`".into()),
            ));
        }
        if role.name.as_deref() == Some("controller") {
            let mut here = at;
            here.push("as".into());
            return Err(self.err(
                here,
                false,
                "`controller` already means the active controller",
                Some("choose another name".into()),
            ));
        }
        let broker = if let Some(node) = role.node {
            let mut here = at;
            here.push("node".into());
            self.node(node, here, brokers)?
        } else if let Some(text) = &role.leader {
            let mut here = at;
            here.push("leader".into());
            BrokerRef::LeaderOf(self.partition(text, here, partitions)?)
        } else {
            let mut here = at;
            here.push("followers".into());
            let text = role.followers.as_deref().unwrap_or_default();
            BrokerRef::FollowersOf(self.partition(text, here, partitions)?)
        };
        Ok((broker, role.name.clone()))
    }

    fn node(&self, node: i64, at: Vec<PathSeg>, brokers: &BrokerSetup) -> Result<BrokerRef> {
        match i32::try_from(node) {
            Ok(node) if (1..=brokers.count).contains(&node) => Ok(BrokerRef::Node(node)),
            _ => Err(self.err(
                at,
                false,
                format!(
                    "there is no broker {node}: the scenario starts {}",
                    brokers.count
                ),
                Some(format!("brokers have node ids 1 to {}", brokers.count)),
            )),
        }
    }

    /// `topic/partition`, naming a declared topic and a partition it has at this step.
    pub(super) fn partition(
        &self,
        text: &str,
        at: Vec<PathSeg>,
        partitions: &BTreeMap<String, i32>,
    ) -> Result<PartitionRef> {
        let Some((topic, partition)) = topic_partition(text) else {
            return Err(self.err(
                at,
                false,
                format!("`{text}` does not name a partition"),
                Some("write `topic/partition`, e.g. `orders/0`".into()),
            ));
        };
        let Some(count) = partitions.get(topic).copied() else {
            return Err(self.unknown("topic", topic, partitions.keys().cloned(), at, false));
        };
        if !(0..count).contains(&partition) {
            return Err(self.err(
                at,
                false,
                format!("`{topic}` has no partition {partition} (it has {count})"),
                Some(format!("partitions are numbered 0 to {}", count - 1)),
            ));
        }
        Ok(PartitionRef {
            topic: topic.to_owned(),
            partition,
        })
    }

    /// The cluster-state conditions of an `await`: (isr, leader_changed, brokers).
    pub(super) fn cluster_conditions(
        &self,
        spec: &AwaitStep,
        base: Vec<PathSeg>,
        brokers: Option<&BrokerSetup>,
        topics: &[TopicPlan],
        partitions: &BTreeMap<String, i32>,
    ) -> Result<ClusterConditions> {
        let mut conditions = ClusterConditions::default();
        let asked =
            !spec.isr.is_empty() || !spec.leader_changed.is_empty() || spec.brokers.is_some();
        if !asked {
            return Ok(conditions);
        }
        let Some(setup) = brokers else {
            return Err(self.err(
                base,
                false,
                "awaiting leaders, in-sync replicas or brokers needs brokers of the scenario's own",
                Some("add e.g. `brokers: { count: 3 }`".into()),
            ));
        };
        let at = |segs: &[PathSeg]| -> Vec<PathSeg> {
            base.iter().cloned().chain(segs.iter().cloned()).collect()
        };
        for (text, wanted) in &spec.isr {
            let here = at(&["isr".into(), PathSeg::Key(text.clone())]);
            let partition = self.partition(text, here.clone(), partitions)?;
            let replicas = topics
                .iter()
                .find(|t| t.name == partition.topic)
                .map_or(1, |t| t.replicas) as usize;
            let count = match wanted {
                IsrWanted::Word(word) if word == "full" => replicas,
                IsrWanted::Count(n) if (1..=replicas).contains(n) => *n,
                _ => {
                    return Err(self.err(
                        here,
                        false,
                        format!("`{}` has {replicas} replica(s): want `full` or a number from 1 to {replicas}", partition.topic),
                        None,
                    ));
                }
            };
            conditions.isr.push((partition, count));
        }
        for (i, text) in spec.leader_changed.iter().enumerate() {
            conditions.leader_changed.push(self.partition(
                text,
                at(&["leader_changed".into(), i.into()]),
                partitions,
            )?);
        }
        let count = setup.count as usize;
        conditions.brokers = match &spec.brokers {
            None => None,
            Some(BrokersWanted::Word(word)) if word == "all" => Some(count),
            Some(BrokersWanted::Count(n)) if *n <= count => Some(*n),
            Some(_) => {
                return Err(self.err(
                    at(&["brokers".into()]),
                    false,
                    format!("want `all` or a number of brokers from 0 to {count}"),
                    None,
                ));
            }
        };
        Ok(conditions)
    }
}

/// The cluster-state part of a barrier.
#[derive(Debug, Default)]
pub(super) struct ClusterConditions {
    /// Partition -> in-sync replicas wanted.
    pub isr: Vec<(PartitionRef, usize)>,
    /// Partitions whose leader must have changed since the last fault.
    pub leader_changed: Vec<PartitionRef>,
    /// Brokers that must be registered.
    pub brokers: Option<usize>,
}

/// `kill broker 2`, `kill the leader of orders/0 (as old-leader)`.
fn describe(fault: Fault, broker: &BrokerRef, name: Option<&str>) -> String {
    let whom = match broker {
        BrokerRef::Node(node) => format!("broker {node}"),
        BrokerRef::Controller => "the active controller".to_owned(),
        BrokerRef::LeaderOf(p) => format!("the leader of {p}"),
        BrokerRef::FollowersOf(p) => format!("the followers of {p}"),
        BrokerRef::Named(name) => name.clone(),
    };
    match name {
        Some(name) => format!("{} {whom} (as {name})", fault.verb()),
        None => format!("{} {whom}", fault.verb()),
    }
}
