//! Open files, what a crowd runs out of first: each consumer holds some 15 to 18 of this
//! process's (measured with 10 to 1,000 members on the embedded cluster, whose brokers' sockets
//! are in the same process; its threads and memory run out later). Past the limit librdkafka
//! cannot open sockets and the run aborts, so a consumer that would not fit is refused before
//! it is created, naming the limit and what to raise.

/// Open files one more consumer is given room for: above the most measured per member, for
/// its sockets to the brokers it meets later.
pub(super) const FILES_PER_CONSUMER: u64 = 24;

/// The files this process has open and the most it may (the soft `RLIMIT_NOFILE`); `None`
/// where either cannot be read.
pub(super) fn open_files() -> Option<(u64, u64)> {
    let open = std::fs::read_dir("/proc/self/fd").ok()?.count();
    let mut limit = std::mem::MaybeUninit::<libc::rlimit>::zeroed();
    // SAFETY: getrlimit writes a whole rlimit into the memory it is given.
    let limit = unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, limit.as_mut_ptr()) != 0 {
            return None;
        }
        limit.assume_init()
    };
    Some((u64::try_from(open).ok()?, limit.rlim_cur))
}

/// Why one more consumer cannot start with `open` files open out of `limit`, if it cannot.
pub(super) fn no_room_for_a_consumer(open: u64, limit: u64) -> Option<String> {
    (open.saturating_add(FILES_PER_CONSUMER) > limit).then(|| {
        format!(
            "not started: this process has {open} of its {limit} open files in use (the soft \
             RLIMIT_NOFILE) and a consumer needs some {FILES_PER_CONSUMER} more; raise the limit \
             (`ulimit -n`, up to the hard limit `ulimit -Hn`, or LimitNOFILE for a service) or \
             run fewer members"
        )
    })
}

#[cfg(test)]
mod tests;
