//! `explore:`: every actor an event names is one of the harness's own consumers or producers,
//! broker events need the scenario's own brokers and leave one running, every range is in
//! order, and a producer that bursts while brokers are down gives up on a record within the
//! heal timeout (librdkafka's default waits 300 s, which would hold a burst past every bound).

use std::collections::BTreeMap;

use super::{Result, Validator, path};
use crate::scenario::model::explore::{ActorEvent, BrokerEvent, DEFAULT_HEAL_MS};
use crate::scenario::model::{ExploreSpec, Invariant};
use crate::scenario::plan::{ActorPlan, BrokerSetup};
use crate::scenario::source::PathSeg;
use crate::scenario::values::topic_partition;

/// The shortest a drawn fault may last (durations are drawn in steps of 100 ms).
const SHORTEST_FAULT: std::time::Duration = std::time::Duration::from_millis(100);

/// How long librdkafka keeps trying to deliver a record when `message.timeout.ms` is not set.
const LIBRDKAFKA_MESSAGE_TIMEOUT_MS: u64 = 300_000;

impl Validator<'_> {
    /// The `explore:` section, against the actors and brokers of the plan.
    pub(super) fn explore(
        &self,
        spec: &ExploreSpec,
        actors: &BTreeMap<String, ActorPlan>,
        brokers: Option<&BrokerSetup>,
    ) -> Result<()> {
        let at = |segs: &[&str]| -> Vec<PathSeg> {
            std::iter::once(PathSeg::Key("explore".into()))
                .chain(segs.iter().map(|s| PathSeg::Key((*s).to_owned())))
                .collect()
        };
        if self.file.sweep.is_some() {
            return Err(self.err(
                at(&[]),
                true,
                "`explore` draws events for single actors, not for the crowds of a sweep",
                Some("explore a file without `sweep:`".into()),
            ));
        }
        if spec.steps == Some(0) {
            return Err(self.err(at(&["steps"]), false, "`steps` must be at least 1", None));
        }
        if let Some(lasting) = spec.lasting
            && lasting.min.0 < SHORTEST_FAULT
        {
            return Err(self.err(
                at(&["lasting", "min"]),
                false,
                "a fault lasts at least 100ms: it is undone after it starts",
                None,
            ));
        }
        for (name, range) in [("gap", spec.gap), ("lasting", spec.lasting)] {
            if let Some(range) = range
                && range.min > range.max
            {
                return Err(self.err(
                    at(&[name]),
                    false,
                    format!("`{name}`'s `min` is above its `max`"),
                    None,
                ));
            }
        }
        let events = &spec.events;
        for (name, event) in [
            ("kill", &events.kill),
            ("stop", &events.stop),
            ("freeze", &events.freeze),
            ("cut", &events.cut),
            ("commit", &events.commit),
        ] {
            if let Some(event) = event {
                self.explored_consumers(name, event, actors)?;
            }
        }
        if let Some(produce) = &events.produce {
            if let Some(count) = produce.count
                && (count.min == 0 || count.min > count.max)
            {
                return Err(self.err(
                    at(&["events", "produce", "count"]),
                    false,
                    "a burst's `count` needs 1 <= min <= max",
                    None,
                ));
            }
            if produce.actors.is_empty() {
                return Err(self.err(
                    at(&["events", "produce", "actors"]),
                    false,
                    "`produce` names no actor",
                    None,
                ));
            }
            for (index, producer) in produce.actors.iter().enumerate() {
                let here = path(&[&"explore", &"events", &"produce", &"actors", &index]);
                if !matches!(
                    self.actor_ref(producer, actors, here.clone())?,
                    ActorPlan::Producer(_)
                ) {
                    return Err(self.err(
                        here,
                        false,
                        format!("`{producer}` is not a producer of the harness's own"),
                        Some("a burst comes from a `producer:` actor".into()),
                    ));
                }
            }
        }
        let broker_events = [
            ("kill-broker", &events.kill_broker),
            ("stop-broker", &events.stop_broker),
            ("pause-broker", &events.pause_broker),
        ];
        let any_broker_event = broker_events.iter().any(|(_, e)| e.is_some());
        for (name, event) in broker_events {
            if let Some(event) = event {
                self.explored_brokers(name, event, brokers)?;
            }
        }
        if any_broker_event {
            let count = brokers.map_or(0, |b| b.count);
            let down = spec.brokers_down.unwrap_or(1);
            let by_leader = broker_events
                .iter()
                .find(|(_, e)| e.as_ref().is_some_and(|e| e.leaders.is_some()));
            if let Some((name, _)) = by_leader
                && down != 1
            {
                return Err(self.err(
                    at(&["events", name, "leaders"]),
                    true,
                    "a fault on a partition's leader needs `brokers-down: 1`: with another broker down, the leader could be that one",
                    None,
                ));
            }
            if down == 0 || i64::from(down) >= i64::from(count) {
                return Err(self.err(
                    at(&["brokers-down"]),
                    false,
                    format!(
                        "`brokers-down` must be from 1 to {} (the brokers less one)",
                        count - 1
                    ),
                    None,
                ));
            }
            let heal_ms = spec.heal.map_or(DEFAULT_HEAL_MS, |d| {
                u64::try_from(d.0.as_millis()).unwrap_or(u64::MAX)
            });
            if let Some(produce) = &events.produce {
                for producer in &produce.actors {
                    let Some(ActorPlan::Producer(p)) = actors.get(producer) else {
                        continue;
                    };
                    let timeout = p
                        .properties
                        .get("message.timeout.ms")
                        .or_else(|| p.properties.get("delivery.timeout.ms"))
                        .and_then(|ms| ms.trim().parse::<u64>().ok())
                        .unwrap_or(LIBRDKAFKA_MESSAGE_TIMEOUT_MS);
                    if timeout > heal_ms {
                        return Err(self.err(
                            at(&["events", "produce"]),
                            true,
                            format!(
                                "`{producer}` keeps trying to deliver a record for {} s (message.timeout.ms), longer than the heal's {} s: a burst while brokers are down would outlast it",
                                timeout / 1_000,
                                heal_ms / 1_000
                            ),
                            Some(format!(
                                "set `message.timeout.ms: {}` on `{producer}` (or in `defaults.producer`)",
                                heal_ms / 2
                            )),
                        ));
                    }
                }
            }
        }
        if spec.invariants.contains(&Invariant::LostAcknowledged) && brokers.is_none() {
            return Err(self.err(
                at(&["invariants"]),
                false,
                "`lost-acknowledged` compares what producers were told with the topics read back from the scenario's own brokers",
                Some("add e.g. `brokers: { count: 3 }`".into()),
            ));
        }
        Ok(())
    }

    /// The consumers of a consumer event (`kill`, `stop`, `freeze`, `cut`, `commit`).
    fn explored_consumers(
        &self,
        name: &str,
        event: &ActorEvent,
        actors: &BTreeMap<String, ActorPlan>,
    ) -> Result<()> {
        if event.actors.is_empty() {
            return Err(self.err(
                path(&[&"explore", &"events", &name, &"actors"]),
                false,
                format!("`{name}` names no actor"),
                None,
            ));
        }
        for (index, actor) in event.actors.iter().enumerate() {
            let here = path(&[&"explore", &"events", &name, &"actors", &index]);
            let plan = self.actor_ref(actor, actors, here.clone())?;
            if !self.file.actors.contains_key(actor) {
                return Err(self.err(
                    here,
                    false,
                    format!("`{actor}` is a member of a crowd, which explore does not draw"),
                    Some("name consumers of their own".into()),
                ));
            }
            if !matches!(plan, ActorPlan::Consumer(_)) {
                return Err(self.err(
                    here,
                    false,
                    format!("`{actor}` is not a consumer of the harness's own"),
                    Some(format!("`{name}` acts on `consumer:` actors")),
                ));
            }
        }
        Ok(())
    }

    /// The nodes of a broker event, which need the scenario's own brokers.
    fn explored_brokers(
        &self,
        name: &str,
        event: &BrokerEvent,
        brokers: Option<&BrokerSetup>,
    ) -> Result<()> {
        let Some(brokers) = brokers else {
            return Err(self.err(
                path(&[&"explore", &"events", &name]),
                true,
                format!("`{name}` acts on the scenario's own brokers"),
                Some("add e.g. `brokers: { count: 3 }`".into()),
            ));
        };
        for (index, partition) in event.leaders.iter().flatten().enumerate() {
            let known = topic_partition(partition).is_some_and(|(topic, p)| {
                self.file
                    .topics
                    .get(topic)
                    .is_some_and(|t| (0..t.partitions).contains(&p))
            });
            if !known {
                return Err(self.err(
                    path(&[&"explore", &"events", &name, &"leaders", &index]),
                    false,
                    format!("`{partition}` is no partition of the scenario's topics"),
                    Some("write `topic/partition`, e.g. `orders/0`".into()),
                ));
            }
        }
        for (index, node) in event.nodes.iter().flatten().enumerate() {
            if !(1..=brokers.count).contains(node) {
                return Err(self.err(
                    path(&[&"explore", &"events", &name, &"nodes", &index]),
                    false,
                    format!(
                        "there is no broker {node}: node ids run from 1 to {}",
                        brokers.count
                    ),
                    None,
                ));
            }
        }
        Ok(())
    }
}
