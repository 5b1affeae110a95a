use super::*;

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
