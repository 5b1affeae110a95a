//! One Kafka request to one chosen broker over plain TCP, encoded and decoded by the
//! `kafka-protocol` crate. librdkafka picks brokers itself; the harness sometimes must choose:
//! asking each broker for its ApiVersions, or reading metadata from a broker that is not
//! paused (a stopped JVM keeps accepting connections and never answers).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use kafka_protocol::messages::{RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};

/// Largest response accepted (metadata of a few topics is a few kilobytes).
const MAX_RESPONSE: usize = 16 << 20;

/// Sends `request` as API `key` version `version` to `address` (host:port) and decodes the
/// answer, within `timeout` for the connection and for each read or write.
pub fn exchange<Req, Resp>(
    address: &str,
    key: i16,
    version: i16,
    request: &Req,
    timeout: Duration,
) -> Result<Resp, String>
where
    Req: Encodable + HeaderVersion,
    Resp: Decodable + HeaderVersion,
{
    let target = address
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {address}: {e}"))?
        .next()
        .ok_or_else(|| format!("{address} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&target, timeout)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(&frame(key, version, request)?)
        .map_err(|e| format!("cannot send to {address}: {e}"))?;
    let mut size = [0u8; 4];
    stream
        .read_exact(&mut size)
        .map_err(|e| format!("no answer from {address}: {e}"))?;
    let size = usize::try_from(i32::from_be_bytes(size))
        .map_err(|_| format!("{address} announced a negative answer size"))?;
    if size > MAX_RESPONSE {
        return Err(format!(
            "{address} answered with {size} bytes: not a Kafka broker?"
        ));
    }
    let mut body = vec![0u8; size];
    stream
        .read_exact(&mut body)
        .map_err(|e| format!("short answer from {address}: {e}"))?;
    decode(&body, version).map_err(|e| format!("{address} sent an answer that does not parse: {e}"))
}

/// The request as sent: its size, the header, the body.
pub fn frame<Req: Encodable + HeaderVersion>(
    key: i16,
    version: i16,
    request: &Req,
) -> Result<Vec<u8>, String> {
    let header = RequestHeader::default()
        .with_request_api_key(key)
        .with_request_api_version(version)
        .with_correlation_id(1)
        .with_client_id(Some(StrBytes::from_static_str("kafka-scenario")));
    let mut body = Vec::new();
    header
        .encode(&mut body, Req::header_version(version))
        .and_then(|()| request.encode(&mut body, version))
        .map_err(|e| format!("cannot encode the request: {e}"))?;
    let size = i32::try_from(body.len()).map_err(|_| "request too large".to_owned())?;
    let mut framed = size.to_be_bytes().to_vec();
    framed.extend(body);
    Ok(framed)
}

/// The response body after the size: its header, then the message.
pub fn decode<Resp: Decodable + HeaderVersion>(body: &[u8], version: i16) -> Result<Resp, String> {
    let mut buf = body;
    ResponseHeader::decode(&mut buf, Resp::header_version(version)).map_err(|e| e.to_string())?;
    Resp::decode(&mut buf, version).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
