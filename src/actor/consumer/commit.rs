//! A synchronous commit that gives up, as Java's `commitSync()` does after
//! `default.api.timeout.ms`.
//!
//! librdkafka's synchronous commit (`rd_kafka_commit(.., async=0)`, which rust-rdkafka's
//! `CommitMode::Sync` calls) waits for the answer with no timeout. Exploring found it waiting
//! for good: under cooperative-sticky on the mock cluster, and under eager on real brokers with
//! one stopped; the poll thread stuck in it could serve neither a freeze nor a stop, and the run
//! hung. Here the commit's answer goes to a queue of its own, which is waited on for a bounded
//! time, and what it committed is returned: librdkafka answers a commit the application asked
//! for only on the caller's queue (rust-rdkafka's commit callback hears of automatic commits
//! alone). An answer that comes later is dropped with the queue, unseen.

use std::ffi::CStr;
use std::ptr::NonNull;
use std::time::Duration;

use rdkafka::bindings::{
    rd_kafka_commit_queue, rd_kafka_event_destroy, rd_kafka_event_error,
    rd_kafka_event_topic_partition_list, rd_kafka_queue_destroy, rd_kafka_queue_new,
    rd_kafka_queue_poll, rd_kafka_topic_partition_list_t,
};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::topic_partition_list::TopicPartitionList;

/// How long a synchronous commit waits for its answer: Java's `default.api.timeout.ms`, which
/// bounds `commitSync()`.
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a bounded commit did not commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitFailure {
    /// No answer within the bound; the commit may still happen later.
    TimedOut(Duration),
    /// librdkafka or the group coordinator refused it.
    Refused(RDKafkaErrorCode),
}

impl std::fmt::Display for CommitFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommitFailure::TimedOut(after) => {
                write!(f, "no answer within {}s", after.as_secs_f64())
            }
            CommitFailure::Refused(code) => write!(f, "{code}"),
        }
    }
}

/// One partition's offset the broker accepted: topic (its name on the cluster), partition,
/// offset.
pub type CommittedOffset = (String, i32, i64);

/// Commits `offsets`, or the offsets stored for the whole assignment when `None` (what
/// `commit_consumer_state` commits), and waits at most `within` for the answer: the offsets
/// the broker accepted.
pub fn commit_within<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    offsets: Option<&TopicPartitionList>,
    within: Duration,
) -> Result<Vec<CommittedOffset>, CommitFailure> {
    let client = consumer.client().native_ptr();
    // SAFETY: `client` is the consumer's live handle, borrowed for this call.
    let Some(queue) = NonNull::new(unsafe { rd_kafka_queue_new(client) }) else {
        return Err(CommitFailure::Refused(RDKafkaErrorCode::Fail));
    };
    let list = offsets.map_or(std::ptr::null_mut(), TopicPartitionList::ptr);
    // SAFETY: `client` and `queue` are live; librdkafka copies `list` (or takes NULL as the
    // stored offsets) before returning; with no callback, the answer is an event on `queue`.
    let enqueued =
        unsafe { rd_kafka_commit_queue(client, list, queue.as_ptr(), None, std::ptr::null_mut()) };
    let answer = if enqueued == rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
        let timeout_ms = i32::try_from(within.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: `queue` is live; the event returned, if any, is ours to destroy.
        let event = unsafe { rd_kafka_queue_poll(queue.as_ptr(), timeout_ms) };
        match NonNull::new(event) {
            None => Err(CommitFailure::TimedOut(within)),
            Some(event) => {
                // SAFETY: `event` is the live commit result just polled; its list belongs to
                // it and is read before the event is destroyed, once, here.
                let (code, accepted) = unsafe {
                    let code = rd_kafka_event_error(event.as_ptr());
                    let accepted = accepted(rd_kafka_event_topic_partition_list(event.as_ptr()));
                    rd_kafka_event_destroy(event.as_ptr());
                    (code, accepted)
                };
                ok_or_refused(code).map(|()| accepted)
            }
        }
    } else {
        ok_or_refused(enqueued).map(|()| Vec::new())
    };
    // SAFETY: our reference to `queue`, dropped once; an answer enqueued later is discarded by
    // librdkafka, which keeps the queue alive while the commit refers to it.
    unsafe { rd_kafka_queue_destroy(queue.as_ptr()) };
    answer
}

/// The partitions of a commit's answer that carry an offset and no error of their own.
///
/// # Safety
/// `list` is NULL or a live librdkafka list, read only while it lives.
unsafe fn accepted(list: *const rd_kafka_topic_partition_list_t) -> Vec<CommittedOffset> {
    // SAFETY: the caller's promise; `elems` holds `cnt` elements.
    let Some(list) = (unsafe { list.as_ref() }) else {
        return Vec::new();
    };
    let count = usize::try_from(list.cnt).unwrap_or(0);
    if list.elems.is_null() || count == 0 {
        return Vec::new();
    }
    // SAFETY: as above.
    let elements = unsafe { std::slice::from_raw_parts(list.elems, count) };
    elements
        .iter()
        .filter(|e| {
            e.offset >= 0
                && !e.topic.is_null()
                && RDKafkaErrorCode::from(e.err) == RDKafkaErrorCode::NoError
        })
        .map(|e| {
            // SAFETY: a non-NULL topic of a live element is a NUL-terminated string.
            let topic = unsafe { CStr::from_ptr(e.topic) };
            (topic.to_string_lossy().into_owned(), e.partition, e.offset)
        })
        .collect()
}

fn ok_or_refused(code: rdkafka::types::RDKafkaRespErr) -> Result<(), CommitFailure> {
    match RDKafkaErrorCode::from(code) {
        RDKafkaErrorCode::NoError => Ok(()),
        code => Err(CommitFailure::Refused(code)),
    }
}
