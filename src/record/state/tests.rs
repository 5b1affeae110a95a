use super::*;
use crate::scenario::plan::Link;

fn at(ms: u64, actor: &str, kind: EventKind) -> Event {
    Event::at_ms(ms, actor, kind)
}

fn same_group(actor: &str) -> Option<String> {
    Some(format!("g-of-{}", actor.len()))
}

fn orders() -> TopicPartition {
    TopicPartition {
        topic: Arc::from("orders"),
        partition: 0,
    }
}

#[test]
fn killing_a_frozen_member_the_group_already_left_behind_changes_nothing() {
    let mut events = vec![
        at(0, "a", EventKind::Started),
        at(0, "b", EventKind::Started),
        at(100, "a", EventKind::Assigned(vec![])),
        at(100, "b", EventKind::Assigned(vec![orders()])),
        at(1_000, "b", EventKind::Frozen),
        at(7_000, "a", EventKind::Revoked(vec![])),
        at(7_100, "a", EventKind::Assigned(vec![orders()])),
        at(9_000, "b", EventKind::Killed),
    ];
    let state = LiveState::of(&events, same_group);
    assert_eq!(
        state.membership_changed.get("g-of-1"),
        Some(&Duration::from_secs(1))
    );
    // Killed while the group still counted on it: that is a change.
    events.truncate(5);
    events.push(at(2_000, "b", EventKind::Killed));
    let state = LiveState::of(&events, same_group);
    assert_eq!(
        state.membership_changed.get("g-of-1"),
        Some(&Duration::from_secs(2))
    );
}

#[test]
fn a_frozen_member_is_shown_as_such_until_thawed() {
    let events = vec![
        at(0, "a", EventKind::Started),
        at(1_000, "a", EventKind::Frozen),
    ];
    let state = LiveState::of(&events, same_group);
    assert!(state.frozen().contains("a"));
    let thawed = [events, vec![at(2_000, "a", EventKind::Thawed)]].concat();
    assert!(LiveState::of(&thawed, same_group).frozen().is_empty());
}

#[test]
fn a_thaw_before_the_group_noticed_undoes_the_freeze_and_one_after_is_a_change() {
    let noticed = vec![
        at(0, "a", EventKind::Started),
        at(0, "b", EventKind::Started),
        at(100, "a", EventKind::Assigned(vec![])),
        at(100, "b", EventKind::Assigned(vec![orders()])),
        at(1_000, "b", EventKind::Frozen),
        at(2_000, "b", EventKind::Thawed),
    ];
    let state = LiveState::of(&noticed, same_group);
    assert_eq!(
        state.membership_changed.get("g-of-1"),
        Some(&Duration::ZERO)
    );
    let rebalanced = vec![
        at(0, "a", EventKind::Started),
        at(0, "b", EventKind::Started),
        at(100, "a", EventKind::Assigned(vec![])),
        at(100, "b", EventKind::Assigned(vec![orders()])),
        at(1_000, "b", EventKind::Frozen),
        at(7_100, "a", EventKind::Assigned(vec![orders()])),
        at(8_000, "b", EventKind::Thawed),
    ];
    let state = LiveState::of(&rebalanced, same_group);
    assert_eq!(
        state.membership_changed.get("g-of-1"),
        Some(&Duration::from_secs(8))
    );
}

fn cut(ms: u64, actor: &str, cut: bool) -> Event {
    at(
        ms,
        actor,
        EventKind::Link(Link {
            cut,
            ..Link::default()
        }),
    )
}

#[test]
fn a_member_whose_link_is_cut_is_away_without_being_frozen_and_no_rebalance_waits_for_it() {
    let events = vec![
        at(0, "a", EventKind::Started),
        at(0, "b", EventKind::Started),
        at(100, "a", EventKind::Assigned(vec![])),
        at(100, "b", EventKind::Assigned(vec![orders()])),
        cut(1_000, "b", true),
        // librdkafka gives up b's partitions on its own; the group waits for nobody.
        at(7_000, "b", EventKind::Lost),
        at(7_000, "b", EventKind::Revoked(vec![orders()])),
        at(7_100, "a", EventKind::Revoked(vec![])),
        at(7_200, "a", EventKind::Assigned(vec![orders()])),
    ];
    let state = LiveState::of(&events, same_group);
    assert!(state.frozen().is_empty());
    assert_eq!(
        state.members.get("b").and_then(|m| m.away_since),
        Some(Duration::from_secs(1))
    );
    let spans = &state.rebalances["g-of-1"];
    assert!(spans.iter().all(|s| s.ended.is_some()), "{spans:?}");
    // Healed after the group moved on: b rejoins, a change of the group's membership.
    let healed = [events, vec![cut(9_000, "b", false)]].concat();
    let state = LiveState::of(&healed, same_group);
    assert_eq!(state.members.get("b").and_then(|m| m.away_since), None);
    assert_eq!(
        state.membership_changed.get("g-of-1"),
        Some(&Duration::from_secs(9))
    );
    assert!(
        state.rebalances["g-of-1"]
            .last()
            .is_some_and(|s| s.ended.is_none())
    );
}

#[test]
fn a_consumer_started_behind_a_cut_link_changes_nothing_until_healed() {
    let events = vec![
        at(0, "a", EventKind::Started),
        at(100, "a", EventKind::Assigned(vec![orders()])),
        cut(500, "b", true),
        at(1_000, "b", EventKind::Started),
    ];
    let state = LiveState::of(&events, same_group);
    assert_eq!(
        state.membership_changed.get("g-of-1"),
        Some(&Duration::ZERO)
    );
    assert_eq!(
        state.members.get("b").and_then(|m| m.away_since),
        Some(Duration::from_secs(1))
    );
    let healed = [events, vec![cut(2_000, "b", false)]].concat();
    let state = LiveState::of(&healed, same_group);
    assert_eq!(
        state.membership_changed.get("g-of-1"),
        Some(&Duration::from_secs(2))
    );
}

#[test]
fn a_consumer_started_behind_a_cut_link_and_killed_before_the_heal_leaves_nothing_behind() {
    let events = vec![
        at(0, "a", EventKind::Started),
        at(100, "a", EventKind::Assigned(vec![orders()])),
        cut(500, "b", true),
        at(1_000, "b", EventKind::Started),
        at(2_000, "b", EventKind::Killed),
        cut(3_000, "b", false),
    ];
    let state = LiveState::of(&events, same_group);
    assert_eq!(
        state.membership_changed.get("g-of-1"),
        Some(&Duration::ZERO)
    );
}
