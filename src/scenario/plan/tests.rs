use std::path::Path;

use crate::scenario::load_str;

const FROZEN: &str = "name: t
topics:
  orders: { partitions: 2 }
actors:
  a: { consumer: { group: g, topics: [orders] } }
  b: { consumer: { group: g, topics: [orders] } }
  c: { consumer: { group: other, topics: [orders] } }
  p: { producer: { topic: orders } }
timeline:
  - start: a
  - start: b
  - start: c
  - freeze: b
  - thaw: b
expect:
  rebalances: { g: 3 }
";

#[test]
fn the_frozen_consumer_and_its_group_go_through_relays_and_no_one_else() {
    let plan = load_str(Path::new("t.yaml"), FROZEN.to_owned())
        .expect("valid")
        .plans
        .remove(0);
    assert!(plan.freezes("b"));
    assert!(!plan.freezes("a"));
    let relayed: Vec<&str> = ["a", "b", "c", "p"]
        .into_iter()
        .filter(|actor| plan.behind_relay(actor))
        .collect();
    assert_eq!(relayed, ["a", "b"]);
}

#[test]
fn rebalances_are_stated_only_for_the_groups_a_scenario_names() {
    let plan = load_str(Path::new("t.yaml"), FROZEN.to_owned())
        .expect("valid")
        .plans
        .remove(0);
    assert!(plan.states_rebalances("g"));
    assert!(!plan.states_rebalances("other"));
}
