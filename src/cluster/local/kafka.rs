//! The `kafka-local` cluster itself: settings, starting the JVMs of every node, waiting for
//! the brokers, broker faults on its nodes, and stopping it all at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::config::{self, Node, Role};
use super::distribution::{self, Distribution, Program};
use super::scram::{self, ScramUser};
use crate::cluster::ClusterError;
use crate::cluster::bootstrap::await_brokers;
use crate::cluster::owned_process::{OwnedProcess, describe_exit};
use crate::scenario::plan::Fault;

/// The KRaft cluster id every local cluster is formatted with (each has its own directory).
const CLUSTER_ID: &str = "a2Fma2Etc2NlbmFyaW8tMQ";
/// How long a cluster may take from the first JVM to every broker in metadata.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);
/// Log lines shown when a broker fails.
const LOG_LINES: usize = 15;
/// How long a broker may take to exit after SIGTERM (controlled shutdown) before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// What `kafka-local` starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSettings {
    /// The distribution directory; `$KAFKA_HOME` or the assembled default when absent.
    pub kafka_home: Option<PathBuf>,
    /// Number of brokers.
    pub brokers: usize,
    /// One KRaft controller of its own instead of brokers that are also controllers, so that a
    /// broker fault never takes the metadata quorum along (Kafka's production layout).
    pub dedicated_controller: bool,
    /// Extra `server.properties` settings of every broker.
    pub broker_config: Vec<(String, String)>,
    /// A SCRAM user every client logs in as, over SASL_PLAINTEXT; plaintext without one.
    pub scram: Option<ScramUser>,
}

impl LocalSettings {
    /// `count` combined broker+controller nodes with Kafka's settings: the shared cluster of an
    /// invocation.
    pub fn shared(kafka_home: Option<PathBuf>, count: usize) -> LocalSettings {
        LocalSettings {
            kafka_home,
            brokers: count,
            dedicated_controller: false,
            broker_config: Vec::new(),
            scram: None,
        }
    }

    /// The same cluster, every client logging in as `user`.
    pub fn with_scram(self, user: ScramUser) -> LocalSettings {
        LocalSettings {
            scram: Some(user),
            ..self
        }
    }
}

/// Whether a node runs, as fault steps left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeState {
    Running,
    Paused,
    Down,
}

/// One started node.
struct Broker {
    node: Node,
    process: OwnedProcess,
    log: PathBuf,
    state: NodeState,
}

/// A running local Kafka cluster, owned by this process.
pub struct LocalKafka {
    settings: LocalSettings,
    distribution: Distribution,
    brokers: Vec<Broker>,
    bootstrap: String,
    directory: Option<tempfile::TempDir>,
    /// From the first JVM started to every broker answering metadata.
    pub startup: Duration,
}

fn unavailable(message: String) -> ClusterError {
    ClusterError::Unavailable(message)
}

impl LocalKafka {
    /// Formats and starts the brokers and waits until a metadata request sees all of them.
    /// Dropping the returned future half way stops whatever had started.
    pub async fn start(settings: &LocalSettings) -> Result<LocalKafka, ClusterError> {
        let distribution = distribution::locate(settings.kafka_home.as_deref())?;
        let java = distribution::java();
        let directory = tempfile::Builder::new()
            .prefix("kafka-scenario-")
            .tempdir()
            .map_err(|e| unavailable(format!("cannot create a temporary directory: {e}")))?;
        let nodes = free_nodes(settings.brokers.max(1), settings.dedicated_controller)?;
        let started = Instant::now();
        // Formatting starts a JVM per node: all at once. Dropping the set kills them.
        let mut formats = tokio::task::JoinSet::new();
        for node in &nodes {
            let dir = node_dir(directory.path(), node);
            write_node_files(&distribution, node, &nodes, &dir, settings)?;
            formats.spawn(format_storage(
                java.clone(),
                distribution.clone(),
                *node,
                dir,
                settings.scram.clone(),
            ));
        }
        while let Some(result) = formats.join_next().await {
            result.map_err(|e| unavailable(format!("formatting task failed: {e}")))??;
        }
        let mut cluster = LocalKafka {
            bootstrap: nodes
                .iter()
                .filter(|n| n.is_broker())
                .map(|n| format!("127.0.0.1:{}", n.client_port))
                .collect::<Vec<_>>()
                .join(","),
            settings: settings.clone(),
            distribution,
            brokers: Vec::new(),
            directory: Some(directory),
            startup: Duration::ZERO,
        };
        for node in &nodes {
            let process = cluster.spawn(node)?;
            cluster.brokers.push(Broker {
                node: *node,
                process,
                log: node_dir(cluster.directory(), node).join("server.log"),
                state: NodeState::Running,
            });
        }
        cluster.wait_until_ready(started).await?;
        cluster.startup = started.elapsed();
        Ok(cluster)
    }

    /// `127.0.0.1:port,...` of every broker.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// What a client needs besides the bootstrap addresses: the SCRAM login, if any.
    pub fn client_properties(&self) -> Vec<(String, String)> {
        self.settings
            .scram
            .as_ref()
            .map_or_else(Vec::new, ScramUser::client_properties)
    }

    /// The temporary directory holding every broker's configuration, data and log.
    pub fn directory(&self) -> &Path {
        self.directory
            .as_ref()
            .map_or(Path::new(""), tempfile::TempDir::path)
    }

    /// One line for reports, e.g. `Apache Kafka 4.1.1, 3 local brokers (KRaft) at 127.0.0.1:...`.
    pub fn describe(&self) -> String {
        let controller = if self.settings.dedicated_controller {
            " and a KRaft controller"
        } else {
            " (KRaft)"
        };
        let login = match &self.settings.scram {
            Some(user) => format!(", SASL_PLAINTEXT as {} ({})", user.name, scram::MECHANISM),
            None => String::new(),
        };
        format!(
            "Apache Kafka {}, {} local broker(s){controller} at {}{login}",
            self.distribution.version,
            self.broker_ids().len(),
            self.bootstrap
        )
    }

    /// What this cluster was started with.
    pub fn settings(&self) -> &LocalSettings {
        &self.settings
    }

    /// Node ids of the brokers (not of a dedicated controller).
    pub fn broker_ids(&self) -> Vec<i32> {
        self.brokers
            .iter()
            .filter(|b| b.node.is_broker())
            .map(|b| b.node.id as i32)
            .collect()
    }

    /// The node id of the dedicated controller, when the cluster has one.
    pub fn controller_id(&self) -> Option<i32> {
        self.brokers
            .iter()
            .find(|b| b.node.role == Role::Controller)
            .map(|b| b.node.id as i32)
    }

    /// Starts a fault on node `id`. Everything but a stop completes here; a stop has sent
    /// SIGTERM and is complete once [`LocalKafka::stopped`] says so.
    pub fn apply(&mut self, id: i32, fault: Fault) -> Result<(), ClusterError> {
        let index = self
            .brokers
            .iter()
            .position(|b| b.node.id as i32 == id)
            .ok_or_else(|| unavailable(format!("there is no node {id}")))?;
        let state = self.brokers[index].state;
        let name = self.brokers[index].process.name().to_owned();
        let refuse = |why: &str| {
            Err(unavailable(format!(
                "cannot {} {name}: {why}",
                fault.verb()
            )))
        };
        match (fault, state) {
            (Fault::Kill, NodeState::Down) | (Fault::Stop, NodeState::Down) => {
                return refuse("it is down already");
            }
            (Fault::Stop, NodeState::Paused) => {
                return refuse("it is paused and would not act on SIGTERM; resume it first");
            }
            (Fault::Pause, NodeState::Paused) => return refuse("it is paused already"),
            (Fault::Pause, NodeState::Down) | (Fault::Resume, NodeState::Down) => {
                return refuse("it is down");
            }
            (Fault::Resume, NodeState::Running) => return refuse("it is not paused"),
            (Fault::Restart, NodeState::Running | NodeState::Paused) => {
                return refuse("it is still running");
            }
            _ => {}
        }
        let broker = &mut self.brokers[index];
        match fault {
            Fault::Kill => {
                broker.process.kill();
                broker.state = NodeState::Down;
            }
            Fault::Stop => {
                broker.process.signal(libc::SIGTERM);
                broker.state = NodeState::Down;
            }
            Fault::Pause => {
                broker.process.signal(libc::SIGSTOP);
                broker.state = NodeState::Paused;
            }
            Fault::Resume => {
                broker.process.signal(libc::SIGCONT);
                broker.state = NodeState::Running;
            }
            Fault::Restart => {
                let node = broker.node;
                let process = self.spawn(&node)?;
                let broker = &mut self.brokers[index];
                broker.process = process;
                broker.state = NodeState::Running;
            }
        }
        Ok(())
    }

    /// Whether node `id`, sent SIGTERM by a stop, has exited; kills it once `STOP_TIMEOUT` has
    /// passed since `since` and says so.
    pub fn stopped(&mut self, id: i32, since: Instant) -> Result<bool, ClusterError> {
        let Some(broker) = self.brokers.iter_mut().find(|b| b.node.id as i32 == id) else {
            return Ok(true);
        };
        if broker.process.exit_status().is_some() {
            broker.process.kill();
            return Ok(true);
        }
        if since.elapsed() < STOP_TIMEOUT {
            return Ok(false);
        }
        broker.process.kill();
        Err(unavailable(format!(
            "{} did not finish its controlled shutdown within {STOP_TIMEOUT:?} of SIGTERM and was killed; last lines of {}:\n{}",
            broker.process.name(),
            broker.log.display(),
            log_tail(&broker.log)
        )))
    }

    /// Fails with the broker's exit and last log lines if any broker has ended that no fault
    /// step took down.
    pub fn check_alive(&self) -> Result<(), ClusterError> {
        match self
            .brokers
            .iter()
            .filter(|b| b.state != NodeState::Down)
            .find_map(|b| b.process.exit_status().map(|status| (b, status)))
        {
            Some((broker, status)) => Err(unavailable(format!(
                "{} (pid {}, port {}) {} during the run; last lines of {}:\n{}",
                broker.process.name(),
                broker.process.pid(),
                broker.node.client_port,
                describe_exit(status),
                broker.log.display(),
                log_tail(&broker.log)
            ))),
            None => Ok(()),
        }
    }

    /// Kills every broker at once (the data is thrown away, so nothing is gained by a graceful
    /// shutdown, which can stall once the quorum is gone) and removes the directory.
    pub fn stop(&mut self) {
        for broker in &self.brokers {
            broker.process.signal(libc::SIGKILL);
        }
        for mut broker in self.brokers.drain(..) {
            broker.process.kill();
        }
        if let Some(directory) = self.directory.take() {
            let path = directory.path().to_owned();
            if let Err(e) = directory.close() {
                tracing::warn!("cannot remove {}: {e}", path.display());
            }
        }
    }

    /// Starts the JVM of `node` on its directory (at start and on a restart).
    fn spawn(&self, node: &Node) -> Result<OwnedProcess, ClusterError> {
        let java = distribution::java();
        let dir = node_dir(self.directory(), node);
        let name = match node.role {
            Role::Controller => format!("controller {}", node.id),
            Role::Broker | Role::Combined => format!("broker {}", node.id),
        };
        OwnedProcess::spawn(&name, broker_command(&java, &self.distribution, &dir))
            .map_err(|e| cannot_run_java(&java, &e))
    }

    async fn wait_until_ready(&self, started: Instant) -> Result<(), ClusterError> {
        let remaining = STARTUP_TIMEOUT.saturating_sub(started.elapsed());
        let login = self.client_properties();
        await_brokers(
            &self.bootstrap,
            &login,
            self.broker_ids().len(),
            remaining,
            || self.check_started(),
        )
        .await
        .map_err(|e| {
            unavailable(format!(
                "{e}; broker logs are in {}:\n{}",
                self.directory().display(),
                log_tail(&self.brokers[0].log)
            ))
        })
    }

    /// A broker that ended while starting: says which, how, and what its log says.
    fn check_started(&self) -> Result<(), ClusterError> {
        for broker in &self.brokers {
            if let Some(status) = broker.process.exit_status() {
                let log = log_tail(&broker.log);
                let hint = if log.contains("Address already in use") {
                    "; a port was taken by another process after it was chosen: run again"
                } else {
                    ""
                };
                return Err(unavailable(format!(
                    "{} {} while starting{hint}; last lines of {}:\n{log}",
                    broker.process.name(),
                    describe_exit(status),
                    broker.log.display(),
                )));
            }
        }
        Ok(())
    }
}

impl Drop for LocalKafka {
    fn drop(&mut self) {
        self.stop();
    }
}

fn node_dir(root: &Path, node: &Node) -> PathBuf {
    root.join(format!("broker-{}", node.id))
}

/// Two free loopback ports per node, all chosen before any broker binds one: `brokers` nodes,
/// combined broker+controllers or brokers followed by one dedicated controller.
fn free_nodes(brokers: usize, dedicated_controller: bool) -> Result<Vec<Node>, ClusterError> {
    let count = brokers + usize::from(dedicated_controller);
    let listeners: Vec<std::net::TcpListener> = (0..count * 2)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| unavailable(format!("no free loopback port: {e}")))?;
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| unavailable(format!("no free loopback port: {e}")))?;
    Ok((0..count)
        .map(|i| Node {
            id: i as u32 + 1,
            client_port: ports[2 * i],
            controller_port: ports[2 * i + 1],
            role: match (dedicated_controller, i < brokers) {
                (false, _) => Role::Combined,
                (true, true) => Role::Broker,
                (true, false) => Role::Controller,
            },
        })
        .collect())
}

fn write_node_files(
    distribution: &Distribution,
    node: &Node,
    nodes: &[Node],
    dir: &Path,
    settings: &LocalSettings,
) -> Result<(), ClusterError> {
    let write = |name: &str, text: String| {
        std::fs::write(dir.join(name), text)
            .map_err(|e| unavailable(format!("cannot write {}: {e}", dir.join(name).display())))
    };
    std::fs::create_dir_all(dir.join("data"))
        .map_err(|e| unavailable(format!("cannot create {}: {e}", dir.display())))?;
    write(
        "server.properties",
        config::server_properties(
            node,
            nodes,
            &dir.join("data"),
            &settings.broker_config,
            settings.scram.as_ref(),
        ),
    )?;
    write(
        "log.properties",
        config::logging(distribution.logging, &dir.join("server.log")),
    )
}

/// The JVM options every Kafka process of ours gets: logging into the node's directory, and the
/// program's class-data archive when the distribution has one (a mismatched one is ignored
/// quietly: `-Xlog:cds=off`).
fn jvm(java: &Path, distribution: &Distribution, program: Program, dir: &Path) -> Command {
    let logging = dir.join("log.properties");
    let mut command = Command::new(java);
    if let Some(archive) = distribution.archive(program) {
        command
            .arg(format!("-XX:SharedArchiveFile={}", archive.display()))
            .args(["-Xlog:cds=off", "-Xlog:cds+dynamic=off"]);
    }
    command
        .arg(format!("-Dlog4j2.configurationFile={}", logging.display()))
        .arg(format!("-Dlog4j.configuration=file:{}", logging.display()))
        .arg("-Djava.awt.headless=true")
        .arg("-cp")
        .arg(distribution.classpath())
        .stdin(Stdio::null());
    command
}

async fn format_storage(
    java: PathBuf,
    distribution: Distribution,
    node: Node,
    dir: PathBuf,
    scram: Option<ScramUser>,
) -> Result<(), ClusterError> {
    let mut command =
        tokio::process::Command::from(jvm(&java, &distribution, Program::StorageTool, &dir));
    // A tool that runs for a second: the quick compiler and the serial collector start it about
    // a third faster (3.2 s -> 2.0 s for three nodes at once on two cores).
    command
        .args(["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"])
        .args(["kafka.tools.StorageTool", "format", "-t", CLUSTER_ID, "-c"])
        .arg(dir.join("server.properties"))
        .kill_on_drop(true);
    if let Some(user) = &scram {
        command.arg("--add-scram").arg(user.format_argument());
    }
    let output = command
        .output()
        .await
        .map_err(|e| cannot_run_java(&java, &e))?;
    if output.status.success() {
        return Ok(());
    }
    Err(unavailable(format!(
        "formatting the storage of broker {} {}:\n{}{}",
        node.id,
        describe_exit(output.status),
        config::tail(&String::from_utf8_lossy(&output.stdout), LOG_LINES),
        config::tail(&String::from_utf8_lossy(&output.stderr), LOG_LINES),
    )))
}

fn broker_command(java: &Path, distribution: &Distribution, dir: &Path) -> Command {
    let heap = std::env::var("KAFKA_HEAP_OPTS").ok();
    let mut command = jvm(java, distribution, Program::Broker, dir);
    command
        .args(config::heap_options(heap.as_deref()))
        .arg("kafka.Kafka")
        .arg(dir.join("server.properties"));
    // Whatever the JVM prints outside log4j (crashes, JVM warnings) goes next to the log, after
    // what an earlier run of the same node printed.
    let stdout = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("stdout.log"));
    match stdout {
        Ok(file) => {
            let stderr = file.try_clone().map_or(Stdio::null(), Stdio::from);
            command.stdout(file).stderr(stderr);
        }
        Err(_) => {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    command
}

fn cannot_run_java(java: &Path, e: &std::io::Error) -> ClusterError {
    let hint = if e.kind() == std::io::ErrorKind::NotFound {
        "; install a Java runtime 17 or newer (Debian: apt-get install openjdk-17-jre-headless) \
         or set JAVA_HOME"
    } else {
        ""
    };
    unavailable(format!("cannot run {}: {e}{hint}", java.display()))
}

fn log_tail(log: &Path) -> String {
    let mut text = std::fs::read_to_string(log).unwrap_or_default();
    let stdout = log.with_file_name("stdout.log");
    if let Ok(extra) = std::fs::read_to_string(&stdout) {
        text.push_str(&extra);
    }
    config::tail(&text, LOG_LINES)
}
