//! Asks a broker which requests it supports (ApiVersions v0), so capabilities are discovered
//! rather than assumed. librdkafka does this too but does not expose the answer.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Kafka's API key of ApiVersions.
const API_VERSIONS: i16 = 18;
/// Kafka's API key of CreatePartitions.
pub const CREATE_PARTITIONS: i16 = 37;
/// Largest response accepted (a broker lists a few dozen APIs).
const MAX_RESPONSE: usize = 1 << 20;

/// API key -> (lowest, highest) supported version.
pub type ApiVersions = BTreeMap<i16, (i16, i16)>;

/// Connects to `address` (host:port) and reads its ApiVersions answer, within `timeout` for
/// the connection and for each read or write. Only plaintext listeners answer this probe.
pub fn probe(address: &str, timeout: Duration) -> Result<ApiVersions, String> {
    let target = address
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {address}: {e}"))?
        .next()
        .ok_or_else(|| format!("{address} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&target, timeout)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(&request())
        .map_err(|e| format!("cannot send ApiVersions to {address}: {e}"))?;
    let mut size = [0u8; 4];
    stream
        .read_exact(&mut size)
        .map_err(|e| format!("no ApiVersions answer from {address}: {e}"))?;
    let size = usize::try_from(i32::from_be_bytes(size))
        .map_err(|_| "negative response size".to_owned())?;
    if size > MAX_RESPONSE {
        return Err(format!(
            "{address} answered with {size} bytes: not a Kafka broker?"
        ));
    }
    let mut body = vec![0u8; size];
    stream
        .read_exact(&mut body)
        .map_err(|e| format!("short ApiVersions answer from {address}: {e}"))?;
    parse(&body).ok_or_else(|| format!("{address} sent an ApiVersions answer that does not parse"))
}

/// Size, then header v1 (api key, version 0, correlation id 1, client id) and an empty body.
fn request() -> Vec<u8> {
    let client_id = b"kafka-scenario";
    let mut frame = Vec::new();
    frame.extend_from_slice(&API_VERSIONS.to_be_bytes());
    frame.extend_from_slice(&0i16.to_be_bytes());
    frame.extend_from_slice(&1i32.to_be_bytes());
    frame.extend_from_slice(&(client_id.len() as i16).to_be_bytes());
    frame.extend_from_slice(client_id);
    let mut request = (frame.len() as i32).to_be_bytes().to_vec();
    request.extend(frame);
    request
}

/// Correlation id, error code, then an array of (api key, min version, max version).
fn parse(body: &[u8]) -> Option<ApiVersions> {
    let mut at = 0;
    let mut take = |n: usize| {
        let bytes = body.get(at..at + n)?;
        at += n;
        Some(bytes)
    };
    let _correlation = take(4)?;
    let error = i16::from_be_bytes(take(2)?.try_into().ok()?);
    if error != 0 {
        return None;
    }
    let count = i32::from_be_bytes(take(4)?.try_into().ok()?);
    let mut versions = ApiVersions::new();
    for _ in 0..count.max(0) {
        let key = i16::from_be_bytes(take(2)?.try_into().ok()?);
        let min = i16::from_be_bytes(take(2)?.try_into().ok()?);
        let max = i16::from_be_bytes(take(2)?.try_into().ok()?);
        versions.insert(key, (min, max));
    }
    Some(versions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_a_sized_v0_api_versions_frame() {
        let request = request();
        assert_eq!(&request[..4], &((request.len() - 4) as i32).to_be_bytes());
        assert_eq!(&request[4..6], &18i16.to_be_bytes());
        assert_eq!(&request[6..8], &0i16.to_be_bytes());
    }

    #[test]
    fn answers_parse_into_version_ranges() {
        let mut body = vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 2];
        body.extend_from_slice(&[0, 18, 0, 0, 0, 3, 0, 37, 0, 0, 0, 3]);
        let versions = parse(&body).expect("parses");
        assert_eq!(versions.get(&CREATE_PARTITIONS), Some(&(0, 3)));
        assert_eq!(versions.len(), 2);
        assert_eq!(parse(&body[..body.len() - 1]), None);
    }
}
