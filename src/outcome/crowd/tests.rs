use std::path::Path;

use super::*;
use crate::scenario;

/// A crowd of four and one other consumer in its group, on a topic of four partitions grown to
/// six at line 10.
fn plan() -> Plan {
    let yaml = "name: t
topics:
  orders: { partitions: 4 }
actors:
  workers: { consumer: { group: g, topics: [orders], members: 4 } }
  single: { consumer: { group: g, topics: [orders] } }
timeline:
  - start: workers
  - start: single
  - grow: { topic: orders, partitions: 6 }
";
    scenario::load_str(Path::new("t.yaml"), yaml.to_owned())
        .expect("a valid scenario")
        .plans
        .remove(0)
}

fn holding(partitions: &[i32]) -> Holding {
    Some(
        partitions
            .iter()
            .map(|p| TopicPartition {
                topic: Arc::from("orders"),
                partition: *p,
            })
            .collect(),
    )
}

fn held(members: &[(&str, Holding)]) -> BTreeMap<Arc<str>, Holding> {
    members
        .iter()
        .map(|(name, holding)| (Arc::from(*name), holding.clone()))
        .collect()
}

#[test]
fn members_are_counted_by_how_many_partitions_they_hold() {
    let plan = plan();
    let held = held(&[
        ("workers.1", holding(&[0, 1])),
        ("workers.2", holding(&[2])),
        ("workers.3", holding(&[])),
        ("workers.4", None),
        ("single", holding(&[3])),
    ]);
    let frozen = BTreeSet::from([Arc::from("workers.3")]);
    let views = crowd_views(&plan, &held, &frozen, Some(9));
    let view = &views["workers"];
    assert_eq!(view.members, 4);
    assert_eq!(view.members_holding.0, BTreeMap::from([(1, 1), (2, 1)]));
    assert_eq!((view.rebalancing, view.frozen), (1, 1));
    // Partitions 0-3 are all held, one of them by the member outside the crowd.
    assert_eq!(view.unowned, 0);
    assert_eq!(
        view.to_string(),
        "4 members: 1 hold 2, 1 hold 1, 1 rebalancing, 1 frozen"
    );
}

#[test]
fn partitions_added_by_a_grow_step_count_from_its_line() {
    let plan = plan();
    let held = held(&[
        ("workers.1", holding(&[0, 1, 2, 3])),
        ("workers.2", holding(&[])),
    ]);
    let before = crowd_views(&plan, &held, &BTreeSet::new(), Some(9));
    let after = crowd_views(&plan, &held, &BTreeSet::new(), None);
    assert_eq!(before["workers"].unowned, 0);
    assert_eq!(after["workers"].unowned, 2);
    assert_eq!(
        after["workers"].to_string(),
        "2 members: 1 hold 4, 1 hold none, 2 unowned"
    );
}

#[test]
fn a_crowd_without_a_running_member_is_left_out() {
    let plan = plan();
    let held = held(&[("single", holding(&[0]))]);
    assert!(crowd_views(&plan, &held, &BTreeSet::new(), None).is_empty());
}

#[test]
fn the_outcome_shows_members_holding_in_order_of_partitions_in_words() {
    let view = CrowdView {
        members: 1000,
        members_holding: MembersHolding(BTreeMap::from([(0, 900), (1, 80), (12, 20)])),
        rebalancing: 0,
        frozen: 0,
        unowned: 0,
    };
    let yaml = serde_yaml::to_string(&view).expect("serializes");
    assert_eq!(
        yaml,
        "members: 1000\nmembers_holding:\n  none: 900\n  1 partition: 80\n  12 partitions: 20\nunowned: 0\n"
    );
}
