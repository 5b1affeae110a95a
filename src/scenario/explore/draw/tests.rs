use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::scenario::explore::ground::ground;
use crate::scenario::explore::write::write;

/// An example file of the repository, as explore reads it.
pub(crate) fn example(name: &str) -> Ground {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/explore")
        .join(name);
    let text = std::fs::read_to_string(&file).expect("the example is readable");
    ground(&file, &text).expect("the example can be explored")
}

#[test]
fn the_same_seed_draws_the_same_timeline_and_others_differ() {
    let ground = example("acks-all.yaml");
    assert_eq!(draw(&ground, 7), draw(&ground, 7));
    let distinct: std::collections::HashSet<Vec<Episode>> =
        (0..20).map(|seed| draw(&ground, seed)).collect();
    assert!(
        distinct.len() > 15,
        "20 seeds drew {} timelines",
        distinct.len()
    );
}

#[test]
fn every_drawn_timeline_keeps_the_bounds_and_loads() {
    for name in ["acks-all.yaml", "acks-one.yaml", "group.yaml"] {
        let ground = example(name);
        for seed in 0..150 {
            let episodes = draw(&ground, seed);
            assert_eq!(episodes.len(), ground.steps as usize, "{name} seed {seed}");
            assert!(
                valid(&ground, &episodes),
                "{name} seed {seed}: {episodes:?}"
            );
            for episode in &episodes {
                let at = episode.at_ms;
                let down = episodes
                    .iter()
                    .filter(|e| e.holds_at(at) && e.op.broker().is_some())
                    .count();
                assert!(
                    down <= ground.brokers_down as usize,
                    "{name} seed {seed} at {at}"
                );
                if let Some(consumer) = episode.op.consumer() {
                    let holding = episodes
                        .iter()
                        .filter(|e| e.holds_at(at) && e.op.consumer() == Some(consumer))
                        .count();
                    assert_eq!(holding, 1, "{name} seed {seed}: {consumer} twice at {at}");
                }
            }
            if let Err(e) = write(&ground, &episodes, &[]) {
                panic!("{name} seed {seed} wrote a file the loader refuses: {e:?}");
            }
        }
    }
}

#[test]
fn events_are_drawn_about_as_often_as_their_weights_say() {
    let ground = example("acks-one.yaml");
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    for seed in 0..300 {
        for episode in draw(&ground, seed) {
            *kinds.entry(episode.op.kind()).or_default() += 1;
        }
    }
    // kill-broker has weight 2, stop-broker and pause-broker 1: kills are about half.
    let all: usize = kinds.values().sum();
    let kills = kinds[&Kind::KillBroker];
    assert!(
        (all * 2 / 5..=all * 3 / 5).contains(&kills),
        "{kills} kills of {all}: {kinds:?}"
    );
}

#[test]
fn a_commit_is_drawn_only_for_a_consumer_in_its_group() {
    let ground = example("group.yaml");
    for seed in 0..200 {
        let episodes = draw(&ground, seed);
        for (index, episode) in episodes.iter().enumerate() {
            if let Op::Commit(consumer) = &episode.op {
                assert!(
                    !episodes[..index]
                        .iter()
                        .any(|e| e.holds_at(episode.at_ms) && e.op.consumer() == Some(consumer)),
                    "seed {seed}: commit {consumer} while it is out"
                );
            }
        }
    }
}
