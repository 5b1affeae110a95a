//! Room for one more consumer. A crowd runs out of open files first, then of threads (the
//! machine's, counted in every process, and its control group's), memory maps and memory:
//! each member holds some 8 open files on one broker and 13 on three (15 to 18 on the embedded
//! cluster, whose brokers' sockets are in the same process) and 5 to 8 threads, each thread two
//! or three memory maps (measured on kafka-local and embedded, docs: Crowds, measured).
//! `RLIMIT_NPROC` is not checked: it counts the threads of every process of the user, which
//! `/proc` gives only by walking every process. Past any of these librdkafka cannot open
//! a socket or start a thread and the process aborts, or the kernel kills it, so a consumer
//! that would not fit is refused before it is created, naming the limit and what to raise.

use std::path::Path;

/// Open files one more consumer is given room for: above the most measured per member, for
/// its sockets to the brokers it meets later.
pub(super) const FILES_PER_CONSUMER: u64 = 24;
/// Threads one more consumer is given room for: the harness's poll thread and librdkafka's
/// main, internal and coordinator threads, and one per broker (up to ten).
pub(super) const THREADS_PER_CONSUMER: u64 = 14;
/// Memory maps a thread takes at most: its stack, the guard page below it and a share of
/// malloc's arenas (measured: 2.45 a thread with 5,000 threads).
pub(super) const MAPS_PER_THREAD: u64 = 3;
/// Memory the machine keeps available for everything else (the brokers, the kernel): below
/// this no consumer starts.
pub(super) const MEMORY_FLOOR_KIB: u64 = 256 * 1024;

/// What this process and the machine use of what a consumer needs, and the limits, as far as
/// they can be read (`None` where one cannot).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Usage {
    /// Files this process has open.
    pub open_files: Option<u64>,
    /// The soft `RLIMIT_NOFILE`.
    pub file_limit: Option<u64>,
    /// Threads of every process on the machine (`/proc/loadavg`).
    pub tasks: Option<u64>,
    /// The fewer of `kernel.pid_max` and `kernel.threads-max`.
    pub task_limit: Option<u64>,
    /// Threads of this process's control group (`pids.current`, cgroup v2).
    pub group_tasks: Option<u64>,
    /// The most its control group may have (`pids.max`; `None` when it is `max`).
    pub group_task_limit: Option<u64>,
    /// This process's memory maps: counted when its threads could hold more than half the
    /// limit, else their most, [`MAPS_PER_THREAD`] a thread (counting them reads a line per
    /// map).
    pub maps: Option<u64>,
    /// `vm.max_map_count`, the memory maps one process may have.
    pub map_limit: Option<u64>,
    /// Memory available, KiB: `MemAvailable`, or what the control group has left below its
    /// `memory.max` when that is less.
    pub available_kib: Option<u64>,
}

/// Reads what [`Usage`] holds from `/proc`.
pub(super) fn usage() -> Usage {
    let number = |path: &str| read_number(Path::new(path));
    let mut limit = std::mem::MaybeUninit::<libc::rlimit>::zeroed();
    // SAFETY: getrlimit writes a whole rlimit into the memory it is given.
    let file_limit = unsafe {
        (libc::getrlimit(libc::RLIMIT_NOFILE, limit.as_mut_ptr()) == 0)
            .then(|| limit.assume_init().rlim_cur)
    };
    let status = std::fs::read_to_string("/proc/self/status").ok();
    let threads = status.as_deref().and_then(|s| field(s, "Threads:"));
    let map_limit = number("/proc/sys/vm/max_map_count");
    let maps = match (threads, map_limit) {
        (Some(threads), Some(limit)) if threads * MAPS_PER_THREAD > limit / 2 => {
            std::fs::read_to_string("/proc/self/maps")
                .ok()
                .map(|maps| maps.lines().count() as u64)
        }
        (threads, _) => threads.map(|threads| threads * MAPS_PER_THREAD),
    };
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let group = control_group();
    let in_group = |file: &str| {
        group
            .as_deref()
            .and_then(|dir| read_number(&dir.join(file)))
    };
    let machine_kib = meminfo.as_deref().and_then(|m| field(m, "MemAvailable:"));
    let group_kib = match (in_group("memory.max"), in_group("memory.current")) {
        (Some(most), Some(used)) => Some(most.saturating_sub(used) / 1024),
        _ => None,
    };
    Usage {
        open_files: std::fs::read_dir("/proc/self/fd")
            .ok()
            .and_then(|dir| u64::try_from(dir.count()).ok()),
        file_limit,
        tasks: std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|loadavg| tasks_in_loadavg(&loadavg)),
        task_limit: match (
            number("/proc/sys/kernel/pid_max"),
            number("/proc/sys/kernel/threads-max"),
        ) {
            (Some(pids), Some(threads)) => Some(pids.min(threads)),
            (one, other) => one.or(other),
        },
        group_tasks: in_group("pids.current"),
        group_task_limit: in_group("pids.max"),
        maps,
        map_limit,
        available_kib: match (machine_kib, group_kib) {
            (Some(machine), Some(group)) => Some(machine.min(group)),
            (machine, group) => machine.or(group),
        },
    }
}

/// This process's control group directory (cgroup v2: the `0::` line of `/proc/self/cgroup`).
fn control_group() -> Option<std::path::PathBuf> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|line| line.strip_prefix("0::"))?;
    Some(Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/')))
}

fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The number after `name` on its line of a `/proc` file (`Threads:  82`, `MemAvailable: 5 kB`).
fn field(text: &str, name: &str) -> Option<u64> {
    let value = text.lines().find_map(|line| line.strip_prefix(name))?;
    value.split_whitespace().next()?.parse().ok()
}

/// The threads on the machine from `/proc/loadavg` (`0.5 0.4 0.3 2/86 4075`: 86).
fn tasks_in_loadavg(loadavg: &str) -> Option<u64> {
    loadavg
        .split_whitespace()
        .nth(3)?
        .split_once('/')?
        .1
        .parse()
        .ok()
}

/// Why one more consumer cannot start, if it cannot: the first limit it would pass, what is in
/// use of it, and what to raise.
pub(super) fn no_room_for_a_consumer(usage: &Usage) -> Option<String> {
    let over = |used: Option<u64>, need: u64, limit: Option<u64>| match (used, limit) {
        (Some(used), Some(limit)) => (used.saturating_add(need) > limit).then_some((used, limit)),
        _ => None,
    };
    if let Some((open, limit)) = over(usage.open_files, FILES_PER_CONSUMER, usage.file_limit) {
        return Some(format!(
            "not started: this process has {open} of its {limit} open files in use (the soft \
             RLIMIT_NOFILE) and a consumer needs some {FILES_PER_CONSUMER} more; raise the limit \
             (`ulimit -n`, up to the hard limit `ulimit -Hn`, or LimitNOFILE for a service) or \
             run fewer members"
        ));
    }
    if let Some((tasks, limit)) = over(usage.tasks, THREADS_PER_CONSUMER, usage.task_limit) {
        return Some(format!(
            "not started: the machine runs {tasks} threads of the {limit} it allows (the fewer \
             of kernel.pid_max and kernel.threads-max) and a consumer needs some \
             {THREADS_PER_CONSUMER} more; raise them (`sysctl kernel.pid_max=N`) or run fewer \
             members"
        ));
    }
    if let Some((tasks, limit)) = over(
        usage.group_tasks,
        THREADS_PER_CONSUMER,
        usage.group_task_limit,
    ) {
        return Some(format!(
            "not started: this process's control group runs {tasks} threads of the {limit} it \
             may (pids.max; TasksMax for a systemd service, --pids-limit for a container) and a \
             consumer needs some {THREADS_PER_CONSUMER} more; raise it or run fewer members"
        ));
    }
    let maps_needed = THREADS_PER_CONSUMER * MAPS_PER_THREAD;
    if let Some((maps, limit)) = over(usage.maps, maps_needed, usage.map_limit) {
        return Some(format!(
            "not started: this process holds {maps} memory maps of the {limit} a process may \
             have (vm.max_map_count), two or three for each of its threads, and a consumer's \
             threads need some {maps_needed} more; raise it (`sysctl vm.max_map_count=N`) or run \
             fewer members"
        ));
    }
    match usage.available_kib {
        Some(available) if available < MEMORY_FLOOR_KIB => Some(format!(
            "not started: {} MB of memory are available (MemAvailable, or below the control \
             group's memory.max), less than the {} MB kept for the brokers and the system; run \
             fewer members or with more memory",
            available / 1024,
            MEMORY_FLOOR_KIB / 1024
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
