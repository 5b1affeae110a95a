use super::*;

#[test]
fn a_consumer_starts_while_its_files_fit_under_the_limit() {
    assert_eq!(no_room_for_a_consumer(100, 1024), None);
    assert_eq!(
        no_room_for_a_consumer(1000, 1000 + FILES_PER_CONSUMER),
        None
    );
}

#[test]
fn a_consumer_that_would_not_fit_is_refused_naming_the_limit() {
    let refused = no_room_for_a_consumer(19_990, 20_000).expect("no room");
    assert!(
        refused.contains("19990 of its 20000 open files"),
        "{refused}"
    );
    assert!(refused.contains("ulimit -n"), "{refused}");
}

#[test]
fn this_process_knows_its_open_files() {
    let (open, limit) = open_files().expect("Linux has /proc/self/fd and RLIMIT_NOFILE");
    assert!(open >= 3 && open <= limit, "{open} open of {limit}");
}
