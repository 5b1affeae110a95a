use std::path::Path;

use super::*;
use crate::scenario;

#[test]
fn a_crowd_s_counts_are_summed_under_its_name_and_its_largest_poll_is_the_largest() {
    let yaml = "name: t
topics:
  orders: { partitions: 4 }
actors:
  workers: { consumer: { group: g, topics: [orders], members: 3 } }
  single: { consumer: { group: g, topics: [orders] } }
timeline:
  - start: workers
";
    let plan = scenario::load_str(Path::new("t.yaml"), yaml.to_owned())
        .expect("a valid scenario")
        .plans
        .remove(0);
    let counts = |consumed: u64, max_poll_batch: Option<u64>| ActorCounts {
        consumed: Some(consumed),
        max_poll_batch,
        ..ActorCounts::default()
    };
    let per_actor = BTreeMap::from([
        ("workers.1".to_owned(), counts(10, Some(5))),
        ("workers.2".to_owned(), counts(20, None)),
        ("workers.3".to_owned(), counts(5, Some(500))),
        ("single".to_owned(), counts(7, Some(3))),
    ]);
    let folded = by_crowd(&plan, per_actor);
    assert_eq!(
        folded,
        BTreeMap::from([
            ("single".to_owned(), counts(7, Some(3))),
            ("workers".to_owned(), counts(35, Some(500))),
        ])
    );
}
