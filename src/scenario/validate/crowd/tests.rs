use super::*;

#[test]
fn members_are_numbered_from_one_with_as_many_digits_as_the_last() {
    assert_eq!(member_names("w", 3), ["w.1", "w.2", "w.3"]);
    assert_eq!(member_names("w", 10)[..2], ["w.01", "w.02"]);
    assert_eq!(member_names("w", 10)[9], "w.10");
    assert_eq!(member_names("w", 1000)[0], "w.0001");
}
