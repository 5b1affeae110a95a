use super::*;

/// A machine with room for everything.
fn roomy() -> Usage {
    Usage {
        open_files: Some(100),
        file_limit: Some(1024),
        tasks: Some(500),
        task_limit: Some(32_768),
        group_tasks: Some(500),
        group_task_limit: Some(10_000),
        maps: Some(300),
        map_limit: Some(65_530),
        available_kib: Some(8 * 1024 * 1024),
    }
}

#[test]
fn a_consumer_starts_while_it_fits_under_every_limit() {
    assert_eq!(no_room_for_a_consumer(&roomy()), None);
    let just = Usage {
        open_files: Some(1000),
        file_limit: Some(1000 + FILES_PER_CONSUMER),
        ..roomy()
    };
    assert_eq!(no_room_for_a_consumer(&just), None);
}

#[test]
fn a_limit_that_cannot_be_read_refuses_nothing() {
    assert_eq!(no_room_for_a_consumer(&Usage::default()), None);
}

#[test]
fn a_consumer_that_would_not_fit_its_files_is_refused_naming_the_limit() {
    let usage = Usage {
        open_files: Some(19_990),
        file_limit: Some(20_000),
        ..roomy()
    };
    let refused = no_room_for_a_consumer(&usage).expect("no room");
    assert!(
        refused.contains("19990 of its 20000 open files"),
        "{refused}"
    );
    assert!(refused.contains("ulimit -n"), "{refused}");
}

#[test]
fn the_machines_threads_count_every_process() {
    let usage = Usage {
        tasks: Some(32_760),
        ..roomy()
    };
    let refused = no_room_for_a_consumer(&usage).expect("no room");
    assert!(
        refused.contains("runs 32760 threads of the 32768"),
        "{refused}"
    );
    assert!(refused.contains("kernel.pid_max"), "{refused}");
}

#[test]
fn the_control_group_s_threads_are_counted_too() {
    let usage = Usage {
        group_tasks: Some(9_990),
        ..roomy()
    };
    let refused = no_room_for_a_consumer(&usage).expect("no room");
    assert!(refused.contains("9990 threads of the 10000"), "{refused}");
    assert!(refused.contains("pids.max"), "{refused}");
    let unlimited = Usage {
        group_tasks: Some(9_990),
        group_task_limit: None,
        ..roomy()
    };
    assert_eq!(no_room_for_a_consumer(&unlimited), None);
}

#[test]
fn a_consumer_whose_threads_would_pass_the_memory_maps_limit_is_refused() {
    let usage = Usage {
        maps: Some(65_500),
        ..roomy()
    };
    let refused = no_room_for_a_consumer(&usage).expect("no room");
    assert!(
        refused.contains("65500 memory maps of the 65530"),
        "{refused}"
    );
    assert!(refused.contains("vm.max_map_count"), "{refused}");
}

#[test]
fn too_little_memory_available_refuses_a_consumer() {
    let usage = Usage {
        available_kib: Some(100 * 1024),
        ..roomy()
    };
    let refused = no_room_for_a_consumer(&usage).expect("no room");
    assert!(
        refused.contains("100 MB of memory are available"),
        "{refused}"
    );
}

#[test]
fn loadavg_gives_the_machines_threads() {
    assert_eq!(tasks_in_loadavg("7.80 5.70 4.30 2/86 4075\n"), Some(86));
    assert_eq!(tasks_in_loadavg("garbage"), None);
}

#[test]
fn this_process_and_machine_are_read() {
    let usage = usage();
    let (open, limit) = (
        usage.open_files.expect("/proc/self/fd"),
        usage.file_limit.expect("rlimit"),
    );
    assert!(open >= 3 && open <= limit, "{open} open of {limit}");
    assert!(usage.maps.expect("Threads: in /proc/self/status") >= MAPS_PER_THREAD);
    // What a kernel or sandbox may not offer is checked only where it is there.
    assert!(usage.tasks.is_none_or(|tasks| tasks >= 1));
    assert!(usage.task_limit.is_none_or(|limit| limit > 0));
    assert!(usage.map_limit.is_none_or(|limit| limit > 0));
    assert!(usage.available_kib.is_none_or(|kib| kib > 0));
}
