//! A relay between one consumer and the cluster that can be frozen: the consumer falls silent
//! the way a process stopped with SIGSTOP does. Its connections stay open, nothing passes in
//! either direction (heartbeats included) and nothing is lost; once thawed, everything queued
//! flows on. The same relay is the consumer's network link, which `link` steps cut (as
//! frozen, while the consumer goes on polling), delay, or reset. librdkafka connects to the
//! addresses brokers advertise, so the relay gives the client addresses of its own for them:
//! it rewrites the broker list of Metadata answers and the coordinator of FindCoordinator
//! answers, and passes every other byte unchanged.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kafka_protocol::messages::{
    ApiKey, FindCoordinatorResponse, MetadataResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::scenario::plan::Link;

/// The largest frame relayed; librdkafka's own limit (`receive.message.max.bytes`) is 100 MB.
const MAX_FRAME: usize = 256 << 20;

/// Frames read and not yet written, each way of a connection: reading stops beyond it, so a
/// slow reader on one side slows the writer on the other, as a network does.
const FRAMES_ON_THE_WAY: usize = 64;

/// Where the relay listens.
const LOOPBACK: &str = "127.0.0.1";

/// A running relay; dropping it closes every connection it carries.
pub struct Relay {
    shared: Arc<Shared>,
    bootstrap: String,
}

/// An advertised broker address.
pub(crate) type Upstream = (String, i32);

/// Requests awaiting an answer the relay must rewrite: correlation id -> API and version.
type Pending = Arc<Mutex<HashMap<i32, (ApiKey, i16)>>>;

struct Shared {
    /// Advertised broker address -> the relay's own address for it.
    routes: Mutex<HashMap<Upstream, SocketAddr>>,
    /// Whether bytes may pass, and how late.
    gate: watch::Sender<Gate>,
    /// Counts the resets asked for; every connection open at a reset ends with one.
    resets: watch::Sender<u64>,
    tasks: Mutex<Tasks>,
}

/// What the relay lets through.
#[derive(Debug, Clone, Copy, Default)]
struct Gate {
    /// The consumer is frozen.
    frozen: bool,
    /// Its network link.
    link: Link,
}

impl Gate {
    /// Whether bytes may pass now.
    fn open(&self) -> bool {
        !self.frozen && !self.link.cut
    }
}

/// Every task the relay runs, so that dropping the relay ends them all.
struct Tasks {
    set: JoinSet<()>,
    closed: bool,
}

impl Relay {
    /// Starts relaying to the brokers of `bootstrap` (`host:port,host:port`) over `link`; must
    /// be called on the tokio runtime, which runs the relay's tasks.
    pub fn start(bootstrap: &str, link: Link) -> Result<Relay, String> {
        let shared = Arc::new(Shared {
            routes: Mutex::new(HashMap::new()),
            gate: watch::channel(Gate {
                frozen: false,
                link,
            })
            .0,
            resets: watch::channel(0).0,
            tasks: Mutex::new(Tasks {
                set: JoinSet::new(),
                closed: false,
            }),
        });
        let mut local = Vec::new();
        for server in bootstrap
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let upstream = split_address(server)
                .ok_or_else(|| format!("`{server}` is not a host:port address"))?;
            let address = shared
                .route(upstream)
                .map_err(|e| format!("cannot listen for {server}: {e}"))?;
            local.push(address.to_string());
        }
        if local.is_empty() {
            return Err("no bootstrap server to relay to".into());
        }
        Ok(Relay {
            shared,
            bootstrap: local.join(","),
        })
    }

    /// The client's `bootstrap.servers`: the relay's addresses for the cluster's.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// Stops every byte in both directions, on open connections and on new ones.
    pub fn freeze(&self) {
        self.shared.gate.send_modify(|gate| gate.frozen = true);
    }

    /// Lets everything queued meanwhile flow on, unless the link is cut.
    pub fn thaw(&self) {
        self.shared.gate.send_modify(|gate| gate.frozen = false);
    }

    /// The link from now on: a frame already waiting for its latency keeps the time it was given.
    pub fn set_link(&self, link: Link) {
        self.shared.gate.send_modify(|gate| gate.link = link);
    }

    /// Lets bytes through a cut link again, keeping its latency.
    pub fn heal_cut(&self) {
        self.shared.gate.send_modify(|gate| gate.link.cut = false);
    }

    /// Ends every open connection with a TCP reset to both ends; the client connects again.
    pub fn reset(&self) {
        self.shared.resets.send_modify(|count| *count += 1);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let mut tasks = self
            .shared
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        tasks.closed = true;
        tasks.set.abort_all();
    }
}

impl Shared {
    /// The relay's address for an advertised broker address, listening from the first use on.
    fn route(self: &Arc<Self>, upstream: Upstream) -> io::Result<SocketAddr> {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(address) = routes.get(&upstream) {
            return Ok(*address);
        }
        let listener = std::net::TcpListener::bind((LOOPBACK, 0))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let listener = TcpListener::from_std(listener)?;
        routes.insert(upstream.clone(), address);
        drop(routes);
        self.spawn(Arc::clone(self).accept(listener, upstream));
        Ok(address)
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        if tasks.closed {
            return;
        }
        while tasks.set.try_join_next().is_some() {}
        tasks.set.spawn(task);
    }

    async fn accept(self: Arc<Self>, listener: TcpListener, upstream: Upstream) {
        while let Ok((client, _)) = listener.accept().await {
            self.spawn(Arc::clone(&self).carry(client, upstream.clone()));
        }
    }

    /// Carries one client connection to its broker until either side closes it. A broker that
    /// cannot be reached closes the client's connection, as a refused connection would.
    async fn carry(self: Arc<Self>, client: TcpStream, upstream: Upstream) {
        let mut resets = self.resets.subscribe();
        let mut gate = self.gate.subscribe();
        if flowing(&mut gate).await.is_err() {
            return;
        }
        let Ok(port) = u16::try_from(upstream.1) else {
            return;
        };
        let server = match TcpStream::connect((upstream.0.as_str(), port)).await {
            Ok(server) => server,
            Err(e) => {
                tracing::debug!("relay: cannot reach {}:{port}: {e}", upstream.0);
                return;
            }
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (mut client_read, mut client_write) = client.into_split();
        let (mut server_read, mut server_write) = server.into_split();
        let pending: Pending = Arc::default();
        // Client -> broker, unchanged; the requests whose answers carry broker addresses are
        // noted. Broker -> client, with those addresses replaced by the relay's.
        let requests = pump(&mut client_read, &mut server_write, gate.clone(), |frame| {
            if let Some((key, version, correlation)) = addressing_request(&frame) {
                pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(correlation, (key, version));
            }
            Ok(frame)
        });
        let answers = pump(&mut server_read, &mut client_write, gate, |frame| {
            self.readdress(frame, &pending)
        });
        let reset = tokio::select! {
            _ = requests => false,
            _ = answers => false,
            changed = resets.changed() => changed.is_ok(),
        };
        if reset {
            // Whole again, so that dropping a write half does not send a FIN first: closed
            // with a zero linger, each end gets a reset and nothing else.
            for (read, write) in [(client_read, client_write), (server_read, server_write)] {
                if let Err(e) = read
                    .reunite(write)
                    .map_err(|e| io::Error::other(e.to_string()))
                    .and_then(|stream| stream.set_zero_linger())
                {
                    tracing::debug!("relay: cannot reset a connection: {e}");
                }
            }
        }
    }

    /// An answer to a noted request with the broker addresses replaced by the relay's; any
    /// other answer as it is. An answer that cannot be rewritten would lead the client past
    /// the relay, where no freeze reaches it: the connection is closed instead, and the
    /// client retries.
    fn readdress(self: &Arc<Self>, frame: Vec<u8>, pending: &Pending) -> io::Result<Vec<u8>> {
        let correlation = frame
            .get(..4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        let awaited = correlation.and_then(|id| {
            pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id)
        });
        let Some((key, version)) = awaited else {
            return Ok(frame);
        };
        let mut failed = None;
        let mut route = |host: &str, port: i32| match self.route((host.to_owned(), port)) {
            Ok(address) => Some((LOOPBACK.to_owned(), i32::from(address.port()))),
            Err(e) => {
                failed = Some(format!("cannot listen for {host}:{port}: {e}"));
                None
            }
        };
        let rewritten = rewrite_answer(key, version, &frame, &mut route);
        match (rewritten, failed) {
            (Ok(frame), None) => Ok(frame),
            (Err(e), _) | (Ok(_), Some(e)) => {
                tracing::warn!("relay: {key:?} v{version} answer: {e}");
                Err(io::Error::other(e))
            }
        }
    }
}

/// Carries frames from `from` to `to`, each through `pass`, reading and writing only while the
/// gate is open, each frame written its link's latency after it was read (and never before
/// the frame ahead of it); ends when `from` closes between frames and what it sent is written.
async fn pump(
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
    gate: watch::Receiver<Gate>,
    mut pass: impl FnMut(Vec<u8>) -> io::Result<Vec<u8>>,
) -> io::Result<()> {
    let (queue, mut due) = mpsc::channel::<(Instant, Vec<u8>)>(FRAMES_ON_THE_WAY);
    let mut reading_gate = gate.clone();
    let reading = async move {
        let mut last = Instant::now();
        loop {
            flowing(&mut reading_gate).await?;
            let Some(frame) = read_frame(from).await? else {
                return Ok(());
            };
            let frame = pass(frame)?;
            let link = reading_gate.borrow().link;
            last = last.max(Instant::now() + delay(&link, rand::random::<f64>()));
            if queue.send((last, frame)).await.is_err() {
                return Ok(());
            }
        }
    };
    let mut writing_gate = gate;
    let writing = async move {
        while let Some((at, frame)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            flowing(&mut writing_gate).await?;
            write_frame(to, &frame).await?;
        }
        Ok(())
    };
    tokio::try_join!(reading, writing).map(|_| ())
}

/// How long a frame is held on `link`, with `draw` in [0, 1) placing it within the jitter.
pub(crate) fn delay(link: &Link, draw: f64) -> Duration {
    let spread = link.jitter.mul_f64(2.0 * draw.clamp(0.0, 1.0));
    (link.latency + spread).saturating_sub(link.jitter)
}

/// Waits until the gate is open. (The sender lives in `Shared`, which every task holds, so the
/// error cannot happen while a task runs; a dropped relay aborts its tasks instead.)
async fn flowing(gate: &mut watch::Receiver<Gate>) -> io::Result<()> {
    gate.wait_for(Gate::open)
        .await
        .map(|_| ())
        .map_err(|_| io::Error::other("relay closed"))
}

/// One frame without its size prefix; `None` when the peer closed between frames.
async fn read_frame(from: &mut OwnedReadHalf) -> io::Result<Option<Vec<u8>>> {
    let mut size = [0u8; 4];
    match from.read_exact(&mut size).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let size = usize::try_from(i32::from_be_bytes(size))
        .ok()
        .filter(|s| *s <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad frame size"))?;
    let mut frame = vec![0u8; size];
    from.read_exact(&mut frame).await?;
    Ok(Some(frame))
}

async fn write_frame(to: &mut OwnedWriteHalf, frame: &[u8]) -> io::Result<()> {
    let size = i32::try_from(frame.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "frame too large"))?;
    to.write_all(&size.to_be_bytes()).await?;
    to.write_all(frame).await
}

/// `host:port`, the port as Kafka writes it.
fn split_address(address: &str) -> Option<Upstream> {
    let (host, port) = address.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host.to_owned(), port.parse::<u16>().ok()?.into()))
}

/// API, version and correlation id of a request whose answer names brokers (Metadata,
/// FindCoordinator); `None` for every other request.
pub(crate) fn addressing_request(frame: &[u8]) -> Option<(ApiKey, i16, i32)> {
    // Header version 1 covers the fields read here for every request a client sends; version
    // 2 only adds tagged fields after them.
    let header = RequestHeader::decode(&mut &frame[..], 1).ok()?;
    let key = ApiKey::try_from(header.request_api_key).ok()?;
    matches!(key, ApiKey::Metadata | ApiKey::FindCoordinator).then_some((
        key,
        header.request_api_version,
        header.correlation_id,
    ))
}

/// The answer `frame` (without its size prefix) to a `key` request of `version`, with every
/// broker address replaced by what `route` gives for it (an address `route` has no answer for
/// stays as it is).
pub(crate) fn rewrite_answer(
    key: ApiKey,
    version: i16,
    frame: &[u8],
    route: &mut dyn FnMut(&str, i32) -> Option<Upstream>,
) -> Result<Vec<u8>, String> {
    let mut buf = frame;
    let header_version = key.response_header_version(version);
    let header = ResponseHeader::decode(&mut buf, header_version).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    header
        .encode(&mut out, header_version)
        .map_err(|e| e.to_string())?;
    let mut rehome = |host: &mut StrBytes, port: &mut i32| {
        if let Some((new_host, new_port)) = route(host.as_str(), *port) {
            *host = StrBytes::from_string(new_host);
            *port = new_port;
        }
    };
    match key {
        ApiKey::Metadata => {
            let mut answer =
                MetadataResponse::decode(&mut buf, version).map_err(|e| e.to_string())?;
            for broker in &mut answer.brokers {
                rehome(&mut broker.host, &mut broker.port);
            }
            answer
                .encode(&mut out, version)
                .map_err(|e| e.to_string())?;
        }
        ApiKey::FindCoordinator => {
            let mut answer =
                FindCoordinatorResponse::decode(&mut buf, version).map_err(|e| e.to_string())?;
            if version < 4 {
                rehome(&mut answer.host, &mut answer.port);
            }
            for coordinator in &mut answer.coordinators {
                rehome(&mut coordinator.host, &mut coordinator.port);
            }
            answer
                .encode(&mut out, version)
                .map_err(|e| e.to_string())?;
        }
        other => return Err(format!("{other:?} answers carry no broker address")),
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
