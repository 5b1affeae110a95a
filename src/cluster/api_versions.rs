//! Asks a broker which requests it supports (ApiVersions v0), so capabilities are discovered
//! rather than assumed. librdkafka does this too but does not expose the answer.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};

use super::wire;
use crate::scenario::plan::Capability;

/// Kafka's API key of CreatePartitions.
const CREATE_PARTITIONS: i16 = ApiKey::CreatePartitions as i16;
/// Kafka's API key of ConsumerGroupHeartbeat: the broker speaks KIP-848's consumer protocol.
const CONSUMER_GROUP_HEARTBEAT: i16 = ApiKey::ConsumerGroupHeartbeat as i16;

/// API key -> (lowest, highest) supported version.
pub type ApiVersions = BTreeMap<i16, (i16, i16)>;

/// Connects to `address` (host:port) and reads its ApiVersions answer, within `timeout` for
/// the connection and for each read or write. Only plaintext listeners answer this probe.
pub fn probe(address: &str, timeout: Duration) -> Result<ApiVersions, String> {
    let answer: ApiVersionsResponse = wire::exchange(
        address,
        ApiKey::ApiVersions as i16,
        0,
        &ApiVersionsRequest::default(),
        timeout,
    )?;
    if answer.error_code != 0 {
        return Err(format!(
            "{address} refused ApiVersions (error {})",
            answer.error_code
        ));
    }
    Ok(answer
        .api_keys
        .iter()
        .map(|api| (api.api_key, (api.min_version, api.max_version)))
        .collect())
}

/// What a broker that answered `versions` offers a scenario: adding partitions
/// (CreatePartitions) and KIP-848's consumer protocol (ConsumerGroupHeartbeat).
pub fn capabilities(versions: &ApiVersions) -> BTreeSet<Capability> {
    [
        (CREATE_PARTITIONS, Capability::CreatePartitions),
        (CONSUMER_GROUP_HEARTBEAT, Capability::ConsumerGroupProtocol),
    ]
    .into_iter()
    .filter(|(key, _)| versions.contains_key(key))
    .map(|(_, capability)| capability)
    .collect()
}

/// The first address of a `bootstrap.servers` list, the one the probe asks.
pub fn first_address(bootstrap: &str) -> String {
    bootstrap
        .split(',')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}
