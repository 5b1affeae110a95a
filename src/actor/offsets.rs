//! Reads a group's committed offsets from the broker (OffsetFetch), the ground truth that the
//! consumers' own bookkeeping is checked against.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::Offset;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::TopicPartitionList;

use super::ActorError;
use crate::cluster::client::client_config;
use crate::cluster::run_names::RunNames;
use crate::scenario::properties::Properties;

const FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// Topic (scenario name) -> partition -> committed offset, for partitions with a commit.
pub type GroupOffsets = BTreeMap<String, BTreeMap<i32, i64>>;

/// Asks the group coordinator for `group`'s committed offsets on `topics` (name, partitions);
/// `connection` holds `bootstrap.servers` and any security settings.
/// Blocking: call it from a blocking task.
pub fn committed(
    connection: &Properties,
    group: &str,
    topics: &[(String, i32)],
    names: &RunNames,
) -> Result<GroupOffsets, ActorError> {
    let fail = |message: String| ActorError {
        actor: format!("offset reader for {group}"),
        message,
    };
    let reader: BaseConsumer = client_config(connection)
        .set("group.id", names.group(group))
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| fail(format!("cannot create: {e}")))?;
    let mut list = TopicPartitionList::new();
    for (topic, partitions) in topics {
        list.add_partition_range(names.physical(topic), 0, partitions - 1);
    }
    let answer = reader
        .committed_offsets(list, FETCH_TIMEOUT)
        .map_err(|e| fail(format!("OffsetFetch failed: {e}")))?;
    let mut offsets = GroupOffsets::new();
    for element in answer.elements() {
        if let Offset::Offset(offset) = element.offset() {
            offsets
                .entry(names.logical(element.topic()).to_string())
                .or_default()
                .insert(element.partition(), offset);
        }
    }
    Ok(offsets)
}
