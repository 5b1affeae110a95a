//! What a run starts, it stops: `scenario-run` interrupted half way by SIGINT, SIGTERM or SIGHUP
//! leaves no broker process, temporary directory, container or topic behind, and a broker that
//! dies during a run or a broken distribution ends it with exit 3 saying which and why. The
//! same holds for `scenario-run explore` in the middle of a run with brokers of its own.
//! Every wait on the child is bounded: a hung `scenario-run` fails the test.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use common::requirements::{Component, kafka_image, needing};
use kafka_scenario::cluster::local::LocalSettings;
use kafka_scenario::cluster::{Launched, Target};
use libtest_mimic::{Arguments, Failed};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// How long any one wait on `scenario-run` may take.
const PATIENCE: Duration = Duration::from_secs(120);
/// A step line reached after the first rebalance of rebalance.yaml: half way.
const HALF_WAY: &str = "start consumer2";
const SIGNALS: [(&str, i32); 3] = [("sigint", 2), ("sigterm", 15), ("sighup", 1)];

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let mut trials = Vec::new();
    for (name, signal) in SIGNALS {
        trials.push(needing(
            Component::KafkaLocal,
            format!("kafka_local::{name}_half_way_leaves_no_broker_or_directory"),
            move || kafka_local_interrupted(signal),
        ));
        trials.push(needing(
            Component::KafkaLocal,
            format!("bootstrap::{name}_half_way_deletes_the_runs_topics"),
            move || bootstrap_interrupted(signal),
        ));
        trials.push(needing(
            Component::Docker,
            format!("containers::{name}_half_way_removes_the_containers"),
            move || containers_interrupted(signal),
        ));
    }
    for (name, signal) in SIGNALS {
        trials.push(needing(
            Component::KafkaLocal,
            format!("kafka_local::{name}_during_an_explore_run_leaves_no_broker_or_directory"),
            move || explore_interrupted(signal),
        ));
    }
    for (name, signal) in &SIGNALS[..2] {
        let signal = *signal;
        trials.push(needing(
            Component::KafkaLocal,
            format!("kafka_local::{name}_with_a_broker_paused_and_one_killed_leaves_nothing"),
            move || faults_interrupted(signal),
        ));
    }
    trials.push(needing(
        Component::KafkaLocal,
        "kafka_local::a_broker_dying_during_the_run_exits_3_naming_it".to_owned(),
        broker_dies,
    ));
    trials.push(needing(
        Component::KafkaLocal,
        "kafka_local::a_broken_distribution_exits_3_with_javas_words".to_owned(),
        broken_distribution,
    ));
    let conclusion = libtest_mimic::run(&arguments, trials);
    common::shared::shut_down();
    conclusion.exit_code()
}

/// A running `scenario-run` whose stdout lines arrive on a channel.
struct Run {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Run {
    fn start(args: &[&str]) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scenario-run"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("scenario-run starts");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Run {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stdout line containing `text` and returns it.
    fn wait_for(&mut self, text: &str) -> Result<String, Failed> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return Ok(line);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    return Err(self.failure(&format!("no `{text}` within {PATIENCE:?}")));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let output = self.finish()?;
                    return Err(self.failure(&format!(
                        "scenario-run ended ({}) before `{text}`:\n{output}",
                        output.len()
                    )));
                }
            }
        }
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child, which has not been reaped.
        let sent = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(sent, 0, "kill({}, {signal})", self.child.id());
    }

    /// Waits (bounded) for the exit; returns the exit code, and stderr in the error text.
    fn exit_code(&mut self) -> Result<(Option<i32>, String), Failed> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Ok((status.code(), self.finish()?));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        Err(self.failure(&format!("scenario-run did not exit within {PATIENCE:?}")))
    }

    /// Its stderr, once it has ended.
    fn finish(&mut self) -> Result<String, Failed> {
        let _ = self.child.wait();
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            std::io::Read::read_to_string(&mut pipe, &mut stderr).map_err(|e| e.to_string())?;
        }
        Ok(stderr)
    }

    fn failure(&self, what: &str) -> Failed {
        format!("{what}\nstdout so far:\n{}", self.seen.join("\n")).into()
    }
}

/// The temporary directory named in `started ... (data in DIR) in 7.1s`.
fn data_directory(started: &str) -> PathBuf {
    let after = started
        .split("(data in ")
        .nth(1)
        .expect("the started line names the data directory");
    PathBuf::from(after.split(')').next().expect("a closing parenthesis"))
}

/// Processes whose command line mentions `text` (the brokers of one run mention its directory).
fn processes_mentioning(text: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmdline)
                .contains(text)
                .then_some(pid)
        })
        .collect()
}

fn expect_signalled(code: Option<i32>, signal: i32, stderr: &str) -> Result<(), Failed> {
    if code == Some(128 + signal) {
        Ok(())
    } else {
        Err(format!("exit {code:?}, expected {}:\n{stderr}", 128 + signal).into())
    }
}

fn kafka_local_interrupted(signal: i32) -> Result<(), Failed> {
    let mut run = Run::start(&["scenarios/rebalance.yaml", "--cluster", "kafka-local"]);
    let started = run.wait_for("started Apache Kafka")?;
    let directory = data_directory(&started);
    let text = directory.to_string_lossy().into_owned();
    run.wait_for(HALF_WAY)?;
    let brokers = processes_mentioning(&text);
    if brokers.is_empty() {
        return Err(run.failure(&format!("no broker process mentions {text} half way")));
    }
    run.signal(signal);
    let (code, stderr) = run.exit_code()?;
    expect_signalled(code, signal, &stderr)?;
    let left = processes_mentioning(&text);
    if !left.is_empty() {
        return Err(format!("broker processes {left:?} (of {brokers:?}) left behind").into());
    }
    if directory.exists() {
        return Err(format!("{} left behind", directory.display()).into());
    }
    Ok(())
}

fn topics_on(bootstrap: &str) -> Result<Vec<String>, Failed> {
    let client: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| e.to_string())?;
    let metadata = client
        .fetch_metadata(None, Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    Ok(metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .collect())
}

fn bootstrap_interrupted(signal: i32) -> Result<(), Failed> {
    let launched = common::shared::launched(&Target::Local(LocalSettings::shared(None, 1)));
    let Launched::Local(kafka) = &*launched else {
        return Err("kafka-local launched something else".into());
    };
    let bootstrap = kafka.bootstrap().to_owned();
    let mut run = Run::start(&["scenarios/rebalance.yaml", "--bootstrap", &bootstrap]);
    run.wait_for(HALF_WAY)?;
    let ours = |topics: &[String]| -> Vec<String> {
        topics
            .iter()
            .filter(|t| t.starts_with("edu-topic13-") && t.len() == "edu-topic13-".len() + 4)
            .cloned()
            .collect()
    };
    let during = ours(&topics_on(&bootstrap)?);
    if during.is_empty() {
        return Err(run.failure("the run's topic does not exist half way"));
    }
    run.signal(signal);
    let (code, stderr) = run.exit_code()?;
    expect_signalled(code, signal, &stderr)?;
    let after = topics_on(&bootstrap)?;
    let left: Vec<&String> = after.iter().filter(|t| during.contains(t)).collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("topics left behind: {left:?}").into())
    }
}

fn labelled_containers() -> Result<Vec<String>, Failed> {
    let output = Command::new("docker")
        .args(["ps", "-aq", "--filter", "label=kafka-scenario"])
        .output()
        .map_err(|e| format!("docker ps: {e}"))?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect())
}

fn containers_interrupted(signal: i32) -> Result<(), Failed> {
    let image = kafka_image();
    let mut run = Run::start(&[
        "scenarios/rebalance.yaml",
        "--cluster",
        "kafka",
        "--image",
        &image,
    ]);
    run.wait_for(HALF_WAY)?;
    if labelled_containers()?.is_empty() {
        return Err(run.failure("no labelled container half way"));
    }
    run.signal(signal);
    let (code, stderr) = run.exit_code()?;
    expect_signalled(code, signal, &stderr)?;
    // Other tests of this binary may run containers too: wait until none is left at all.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = labelled_containers()?;
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("containers left behind: {left:?}").into());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn broker_dies() -> Result<(), Failed> {
    let mut run = Run::start(&["scenarios/rebalance.yaml", "--cluster", "kafka-local"]);
    let started = run.wait_for("started Apache Kafka")?;
    let directory = data_directory(&started);
    run.wait_for(HALF_WAY)?;
    let brokers = processes_mentioning(&directory.to_string_lossy());
    let [broker] = brokers[..] else {
        return Err(format!("expected one broker process, found {brokers:?}").into());
    };
    // SAFETY: SIGKILL to the broker JVM found above.
    unsafe { libc::kill(broker, libc::SIGKILL) };
    let (code, stderr) = run.exit_code()?;
    let named = format!("broker 1 (pid {broker}");
    if code != Some(3) || !stderr.contains(&named) || !stderr.contains("killed by signal 9") {
        return Err(format!("exit {code:?}, expected 3 naming `{named}`:\n{stderr}").into());
    }
    if directory.exists() {
        return Err(format!("{} left behind", directory.display()).into());
    }
    Ok(())
}

fn broken_distribution() -> Result<(), Failed> {
    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let libs = home.path().join("libs");
    std::fs::create_dir(&libs).map_err(|e| e.to_string())?;
    std::fs::write(libs.join("kafka_2.13-4.1.1.jar"), "not a jar").map_err(|e| e.to_string())?;
    let home_arg = home.path().to_string_lossy().into_owned();
    let mut run = Run::start(&[
        "scenarios/key-partition.yaml",
        "--cluster",
        "kafka-local",
        "--kafka-home",
        &home_arg,
    ]);
    let (code, stderr) = run.exit_code()?;
    let said = stderr.contains("formatting the storage of broker 1 exited with 1")
        && stderr.contains("kafka.tools.StorageTool");
    if code == Some(3) && said {
        Ok(())
    } else {
        Err(format!("exit {code:?}, expected 3 with the format failure:\n{stderr}").into())
    }
}

/// A scenario that pauses one of its own brokers, kills the other and then waits.
const FAULTS_THEN_WAIT: &str = "\
name: faults-then-wait
brokers: { count: 2 }
topics:
  t: { partitions: 1, replicas: 2 }
actors:
  p: { producer: { topic: t, rate: 20/s } }
timeline:
  - start: p
  - pause-broker: 1
  - kill-broker: 2
  - sleep: 10m
";

/// The state letter of a process (`T` when stopped), from /proc.
fn process_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

fn faults_interrupted(signal: i32) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("faults-then-wait.yaml");
    std::fs::write(&file, FAULTS_THEN_WAIT).map_err(|e| e.to_string())?;
    let file = file.to_string_lossy().into_owned();
    let mut run = Run::start(&[&file, "--cluster", "kafka-local"]);
    let shared = data_directory(&run.wait_for("started Apache Kafka")?);
    let own = data_directory(&run.wait_for("started for this scenario")?);
    run.wait_for("killed broker 2")?;
    let text = own.to_string_lossy().into_owned();
    let running = processes_mentioning(&text);
    let stopped: Vec<i32> = running
        .iter()
        .copied()
        .filter(|pid| process_state(*pid) == Some('T'))
        .collect();
    if stopped.len() != 1 {
        return Err(run.failure(&format!(
            "expected one paused broker among {running:?}, found stopped {stopped:?}"
        )));
    }
    run.signal(signal);
    let (code, stderr) = run.exit_code()?;
    expect_signalled(code, signal, &stderr)?;
    nothing_left_in(&[own, shared])
}

/// Fails when a process mentioning one of `directories` (a broker of it) is still running, or
/// the directory still exists.
fn nothing_left_in(directories: &[PathBuf]) -> Result<(), Failed> {
    for directory in directories {
        let left = processes_mentioning(&directory.to_string_lossy());
        if !left.is_empty() {
            return Err(
                format!("processes {left:?} of {} left behind", directory.display()).into(),
            );
        }
        if directory.exists() {
            return Err(format!("{} left behind", directory.display()).into());
        }
    }
    Ok(())
}

/// The temporary directories of the brokers `parent` started: its child processes' command
/// lines name them (`/tmp/kafka-scenario-XXXXXX/broker-N/...`).
fn broker_directories_of(parent: u32) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut directories: Vec<PathBuf> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let ppid: u32 = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            if ppid != parent {
                return None;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
            let start = cmdline.find("/kafka-scenario-")?;
            let (root, rest) = cmdline.split_at(start);
            let prefix = root.rsplit(['=', '\0', ':']).next()?;
            let name = rest[1..].split('/').next()?;
            Some(PathBuf::from(format!("{prefix}/{name}")))
        })
        .collect();
    directories.sort();
    directories.dedup();
    directories
}

/// `scenario-run explore` on kafka-local, signalled while a run's own three brokers are up:
/// it exits 128+n, and neither the shared broker nor the run's own are left, nor their
/// directories.
fn explore_interrupted(signal: i32) -> Result<(), Failed> {
    let out = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out_arg = out.path().to_string_lossy().into_owned();
    let mut run = Run::start(&[
        "explore",
        "scenarios/explore/acks-one.yaml",
        "--cluster",
        "kafka-local",
        "--runs",
        "2",
        "--out",
        &out_arg,
    ]);
    run.wait_for("started Apache Kafka")?;
    // The shared broker and the first run's three.
    let deadline = Instant::now() + PATIENCE;
    let directories = loop {
        let found = broker_directories_of(run.child.id());
        if found.len() >= 2 {
            break found;
        }
        if Instant::now() > deadline {
            let _ = run.child.kill();
            return Err(run.failure(&format!(
                "no broker of the run's own within {PATIENCE:?} (directories {found:?})"
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    if let Some(missing) = directories.iter().find(|d| !d.is_dir()) {
        let _ = run.child.kill();
        return Err(run.failure(&format!(
            "{} is named by a broker but is no directory",
            missing.display()
        )));
    }
    // Into the run: its producer is writing and the faults begin.
    std::thread::sleep(Duration::from_secs(5));
    run.signal(signal);
    let (code, stderr) = run.exit_code()?;
    expect_signalled(code, signal, &stderr)?;
    nothing_left_in(&directories)
}
