use super::*;
use crate::scenario::explore::draw::draw;
use crate::scenario::explore::draw::tests::example;
use crate::scenario::explore::episode::{Broker, Op};

#[test]
fn a_timeline_is_written_after_the_files_own_and_healed() {
    let ground = example("acks-all.yaml");
    let episodes = vec![
        Episode {
            at_ms: 1_000,
            op: Op::KillBroker(Broker::Node(2)),
            lasts_ms: Some(3_000),
        },
        Episode {
            at_ms: 2_500,
            op: Op::Produce {
                actor: "burst".into(),
                count: 40,
            },
            lasts_ms: None,
        },
        Episode {
            at_ms: 4_000,
            op: Op::Freeze("r1".into()),
            lasts_ms: Some(1_500),
        },
    ];
    let written = write(&ground, &episodes, &["found by a test".into()]).expect("it loads");
    assert_eq!(
        written.steps, 6,
        "three starts, two undoings, one wait for the brokers"
    );
    insta::assert_snapshot!(written.text);
}

#[test]
fn a_seed_writes_the_same_text_every_time() {
    let ground = example("group.yaml");
    let once = write(&ground, &draw(&ground, 42), &[]).expect("it loads");
    let again = write(&ground, &draw(&ground, 42), &[]).expect("it loads");
    assert_eq!(once.text, again.text);
    assert_eq!(once.scenario.plans.len(), 3, "one plan per variant");
}

#[test]
fn a_broker_fault_undone_with_none_other_down_waits_for_the_brokers_in_sync() {
    let ground = example("acks-one.yaml");
    let episodes = draw(&ground, 100);
    let written = write(&ground, &episodes, &[]).expect("it loads");
    let plan = &written.scenario.plans[0];
    let texts: Vec<&str> = plan.steps[written.explored_from..=written.heal_from]
        .iter()
        .map(|s| s.text.as_str())
        .filter(|t| !t.starts_with("sleep"))
        .collect();
    for (index, text) in texts.iter().enumerate() {
        if text.starts_with("restart") || text.starts_with("resume") {
            let next = texts.get(index + 1).copied().unwrap_or_default();
            assert!(
                next.starts_with("await"),
                "{text} is followed by {next}: {texts:?}"
            );
        }
    }
}

#[test]
fn durations_are_written_as_the_format_reads_them() {
    assert_eq!(duration_text(2_000), "2s");
    assert_eq!(duration_text(1_500), "1500ms");
    assert_eq!(duration_text(0), "0s");
}
