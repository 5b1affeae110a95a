use super::*;
use crate::outcome::crowd::MembersHolding;

fn summary(members: usize, holding: &[(usize, usize)], unowned: usize) -> CrowdView {
    CrowdView {
        members,
        members_holding: MembersHolding(holding.iter().copied().collect()),
        rebalancing: 0,
        frozen: 0,
        unowned,
    }
}

fn wanted(yaml: &str) -> CrowdExpect {
    serde_yaml::from_str(yaml).expect("a crowd expectation")
}

#[test]
fn a_crowd_holds_what_is_expected_of_the_keys_given() {
    let have = summary(8, &[(0, 2), (1, 6)], 0);
    let holds = |yaml: &str| crowd_assignment("w", &wanted(yaml), &have).is_none();
    assert!(holds(
        "{ members: 8, members_holding: { none: 2, 1 partition: 6 }, unowned: 0 }"
    ));
    assert!(holds(
        "{ members_holding: { 0: 2, 1: 6, 2 partitions: 0 } }"
    ));
    assert!(holds("{ unowned: 0 }"));
    assert!(!holds("{ members: 7 }"));
    assert!(!holds("{ members_holding: { 1 partition: 8 } }"));
    assert!(!holds("{ rebalancing: 1 }"));
}

#[test]
fn a_difference_shows_the_keys_given_both_ways() {
    let have = summary(8, &[(0, 2), (1, 6)], 1);
    let difference = crowd_assignment(
        "w",
        &wanted("{ members_holding: { 1 partition: 8 }, unowned: 0 }"),
        &have,
    )
    .expect("differs");
    assert_eq!(difference.what, "assignment of crowd w");
    assert_eq!(
        difference.expected,
        "members_holding {1 partition: 8}, unowned 0"
    );
    assert_eq!(
        difference.actual,
        "members_holding {none: 2, 1 partition: 6}, unowned 1"
    );
    let nobody = summary(0, &[], 8);
    assert!(crowd_assignment("w", &wanted("{ members: 0, unowned: 8 }"), &nobody).is_none());
    let differs = crowd_assignment("w", &wanted("{ members: 1 }"), &nobody).expect("differs");
    assert_eq!(
        (differs.expected.as_str(), differs.actual.as_str()),
        ("members 1", "members 0")
    );
}
