use super::*;

#[test]
fn members_are_numbered_from_one_with_as_many_digits_as_the_last() {
    assert_eq!(member_names("w", 3), ["w.1", "w.2", "w.3"]);
    assert_eq!(member_names("w", 10)[..2], ["w.01", "w.02"]);
    assert_eq!(member_names("w", 10)[9], "w.10");
    assert_eq!(member_names("w", 1000)[0], "w.0001");
}

/// Ten members; three drawn to freeze, two drawn to kill, the frozen thawed.
const DRAWN: &str = "
name: t
topics: { t: { partitions: 10 } }
actors:
  w: { consumer: { group: g, topics: [t], members: 10 } }
timeline:
  - start: w
  - freeze: { actor: w, members: 3, which: drawn }
  - kill: { actor: w, members: 2, which: drawn }
  - thaw: w
";

/// The members each step of `yaml` takes with `seed`, by verb, in the order of the steps.
fn taken(yaml: &str, seed: u64) -> Vec<(&'static str, Vec<String>)> {
    let source = crate::scenario::SourceText::new(std::path::Path::new("t.yaml"), yaml.into());
    let parsed = crate::scenario::parse::parse(&source).expect("parses");
    let scenario = crate::scenario::validate::validate(parsed, &source, seed).expect("valid");
    let mut steps: Vec<(&'static str, Vec<String>)> = Vec::new();
    for step in &scenario.plans[0].steps {
        let (verb, member) = step.action.on_actor().expect("steps on actors only");
        match steps.last_mut() {
            Some((last, members)) if *last == verb => members.push(member.to_owned()),
            _ => steps.push((verb, vec![member.to_owned()])),
        }
    }
    steps
}

#[test]
fn the_same_seed_draws_the_same_members_and_another_seed_may_not() {
    assert_eq!(taken(DRAWN, 7), taken(DRAWN, 7));
    let draws: std::collections::BTreeSet<_> = (0..20).map(|seed| taken(DRAWN, seed)).collect();
    assert!(draws.len() > 1, "twenty seeds drew the same members");
}

#[test]
fn drawn_members_are_distinct_candidates_and_later_steps_follow_the_draw() {
    for seed in 0..50 {
        let steps = taken(DRAWN, seed);
        let [
            (_, started),
            (freeze, frozen),
            (kill, killed),
            (thaw, thawed),
        ] = &steps[..]
        else {
            panic!("seed {seed}: four steps expected, got {steps:?}");
        };
        assert_eq!((*freeze, *kill, *thaw), ("freeze", "kill", "thaw"));
        assert_eq!(started.len(), 10);
        assert_eq!(frozen.len(), 3, "seed {seed}: {frozen:?}");
        assert_eq!(killed.len(), 2, "seed {seed}: {killed:?}");
        for drawn in [frozen, killed] {
            let mut sorted = drawn.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(&sorted, drawn, "seed {seed}: in order and distinct");
        }
        // A thaw takes the frozen members the kill left.
        let alive: Vec<&String> = frozen.iter().filter(|m| !killed.contains(m)).collect();
        assert_eq!(thawed.iter().collect::<Vec<_>>(), alive, "seed {seed}");
    }
}

#[test]
fn a_plan_names_its_seed_only_when_a_step_draws() {
    let seeded = |yaml: &str| {
        let source = crate::scenario::SourceText::new(std::path::Path::new("t.yaml"), yaml.into());
        let parsed = crate::scenario::parse::parse(&source).expect("parses");
        crate::scenario::validate::validate(parsed, &source, 42)
            .expect("valid")
            .plans[0]
            .drawn_with
    };
    assert_eq!(seeded(DRAWN), Some(42));
    assert_eq!(seeded(&DRAWN.replace("drawn", "newest")), None);
}

#[test]
fn a_start_cannot_draw() {
    let yaml = DRAWN.replace("- start: w", "- start: { actor: w, which: drawn }");
    let source = crate::scenario::SourceText::new(std::path::Path::new("t.yaml"), yaml);
    let parsed = crate::scenario::parse::parse(&source).expect("parses");
    let error = crate::scenario::validate::validate(parsed, &source, 1).expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("`which` chooses running members"),
        "{error}"
    );
}

/// The properties of the first member of crowd `w` in `yaml`.
fn member_properties(yaml: &str) -> crate::scenario::properties::Properties {
    let source = crate::scenario::SourceText::new(std::path::Path::new("t.yaml"), yaml.into());
    let parsed = crate::scenario::parse::parse(&source).expect("parses");
    let scenario = crate::scenario::validate::validate(parsed, &source, 0).expect("valid");
    match &scenario.plans[0].actors["w.01"] {
        crate::scenario::plan::ActorPlan::Consumer(c) => c.properties.clone(),
        _ => panic!("w.01 is a consumer"),
    }
}

#[test]
fn crowd_members_push_no_telemetry_unless_their_actor_says_so() {
    assert_eq!(
        member_properties(DRAWN).get("enable.metrics.push"),
        Some("false")
    );
    let pushing = DRAWN.replace("members: 10 }", "members: 10, enable.metrics.push: true }");
    assert_eq!(
        member_properties(&pushing).get("enable.metrics.push"),
        Some("true")
    );
}
