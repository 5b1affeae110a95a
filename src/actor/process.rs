//! External programs on the timeline: the course's kafka-python scripts, a Spring Boot jar.
//! `start` spawns one in a fresh directory holding its files, `stop` sends SIGINT (Ctrl+C),
//! `kill` SIGKILL, `freeze` and `thaw` SIGSTOP and SIGCONT. Its output is kept, bounded;
//! lines reporting a consumed record (see [`printed`](super::printed)) become `Consumed`
//! events. How it ends is an event too, and an
//! end the timeline did not ask for is reported to the runner at once.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};

use super::printed::{PrintReader, Printed, PrintedAt};
use super::{ActorEnv, ActorError};
use crate::record::events::{ConsumedRecord, EventKind, ProducedRecord, Records, TopicPartition};
use crate::record::process_output::ProcessOutput;
use crate::scenario::plan::ProcessPlan;
use crate::scenario::template::{Slot, Template};

/// Lines kept of each of a process's output streams: the last ones, which say why it ended.
pub const KEPT_LINES: usize = 200;
/// Characters kept of one output line.
const LINE_LIMIT: usize = 1_000;

/// A process that ended while the timeline still counted on it.
#[derive(Debug, Clone)]
pub struct UnexpectedExit {
    /// The actor.
    pub actor: String,
    /// Why it is a failure, with its status and last lines.
    pub message: String,
}

/// What a process needs to know of the run to fill in its placeholders.
#[derive(Debug, Clone, Default)]
pub struct RunValues {
    /// `bootstrap.servers`.
    pub bootstrap: String,
    /// `sasl.username`, `sasl.password`, `sasl.mechanism`, when the target has them.
    pub sasl: Vec<(String, String)>,
    /// `--var` values.
    pub vars: BTreeMap<String, String>,
}

/// Whether the timeline asked the process to end, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Running,
    Interrupted,
    Killed,
}

/// A running external program.
pub struct ProcessActor {
    env: ActorEnv,
    pid: i32,
    grace: Duration,
    ending: Arc<Mutex<Ending>>,
    output: Arc<Mutex<ProcessOutput>>,
    exited: watch::Receiver<bool>,
    /// Its fresh directory, removed when the actor is dropped.
    _dir: tempfile::TempDir,
}

impl ProcessActor {
    /// Writes its files into a fresh directory and spawns it there. `exits` tells the runner of
    /// an end the timeline did not ask for.
    pub fn start(
        env: ActorEnv,
        plan: &ProcessPlan,
        values: &RunValues,
        exits: mpsc::UnboundedSender<UnexpectedExit>,
    ) -> Result<ProcessActor, ActorError> {
        let fail = |message: String| ActorError {
            actor: env.name.to_string(),
            message,
        };
        let dir = tempfile::Builder::new()
            .prefix(&format!("kafka-scenario-{}-", env.name))
            .tempdir()
            .map_err(|e| fail(format!("cannot create its directory: {e}")))?;
        let workdir = dir.path().display().to_string();
        let value = |slot: &Slot| -> Option<String> {
            match slot {
                Slot::Bootstrap => Some(values.bootstrap.clone()),
                Slot::Topic(name) => Some(env.topics.physical(name).to_owned()),
                Slot::Group(name) => Some(env.topics.group(name).to_owned()),
                Slot::Sasl(field) => values
                    .sasl
                    .iter()
                    .find(|(k, _)| k == field.property())
                    .map(|(_, v)| v.clone()),
                Slot::Var(name) => values.vars.get(name).cloned(),
                Slot::Workdir => Some(workdir.clone()),
                Slot::Actor => Some(env.name.to_string()),
            }
        };
        let render = |template: &Template| {
            template
                .render(value)
                .map_err(|slot| fail(format!("the run has no value for {slot}")))
        };
        for (name, contents) in &plan.files {
            let path = dir.path().join(name);
            std::fs::write(&path, render(contents)?)
                .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
        }
        let command = plan
            .command
            .iter()
            .map(render)
            .collect::<Result<Vec<_>, _>>()?;
        let cwd = match &plan.dir {
            Some(template) => render(template)?,
            None => workdir.clone(),
        };
        let mut child = spawn(&command, Path::new(&cwd), &plan.env, render)
            .map_err(|e| fail(format!("cannot start `{}`: {e}", command.join(" "))))?;
        let pid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .ok_or_else(|| fail("ended before it could be watched".into()))?;
        env.log.push(&env.name, EventKind::Started);
        tracing::debug!(actor = %env.name, pid, "process started: {command:?} in {cwd}");
        let output = Arc::new(Mutex::new(ProcessOutput {
            command,
            ..ProcessOutput::default()
        }));
        let stdout = child.stdout.take().map(|out| {
            tokio::spawn(read_lines(
                out,
                Arc::clone(&output),
                Stream::Stdout(plan.prints.clone().map(PrintReader::new)),
                env.clone(),
            ))
        });
        let stderr = child.stderr.take().map(|err| {
            tokio::spawn(read_lines(
                err,
                Arc::clone(&output),
                Stream::Stderr,
                env.clone(),
            ))
        });
        let ending = Arc::new(Mutex::new(Ending::Running));
        let (ended, exited) = watch::channel(false);
        let watcher = ExitWatcher {
            env: env.clone(),
            ending: Arc::clone(&ending),
            output: Arc::clone(&output),
            may_exit: plan.exits,
            exits,
        };
        tokio::spawn(async move {
            let status = child.wait().await;
            // The last lines come before the end is judged, so that a failure shows them.
            for reader in [stdout, stderr].into_iter().flatten() {
                let _ = reader.await;
            }
            watcher.ended(status);
            let _ = ended.send(true);
        });
        Ok(ProcessActor {
            env,
            pid,
            grace: plan.grace,
            ending,
            output,
            exited,
            _dir: dir,
        })
    }

    /// Sends SIGINT, as Ctrl+C does, and waits for the process to exit. One that has not
    /// exited within its grace period is killed, as a user would press Ctrl+C again or close
    /// the terminal; what is returned then says so, with its last lines. The broker sees the
    /// same either way until then: the program's client did whatever it does on SIGINT.
    pub async fn stop(&mut self) -> Option<String> {
        self.set_ending(Ending::Interrupted);
        self.env.log.push(&self.env.name, EventKind::Stopped);
        self.signal(libc::SIGCONT);
        self.signal(libc::SIGINT);
        if tokio::time::timeout(self.grace, self.wait()).await.is_ok() {
            return None;
        }
        let last = self.output().tail(5);
        self.signal(libc::SIGKILL);
        self.wait().await;
        if let Some(ended) = self
            .output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .ended
            .as_mut()
        {
            ended.push_str(&format!(
                ", {} after a SIGINT it did not exit on",
                humantime::format_duration(self.grace)
            ));
        }
        let message = format!(
            "`{}` did not exit within {} of SIGINT (Ctrl+C) and was killed; {last}",
            self.env.name,
            humantime::format_duration(self.grace),
        );
        tracing::warn!("{message}");
        Some(message)
    }

    /// Sends SIGKILL and waits until the process is gone.
    pub async fn kill(&mut self) {
        self.set_ending(Ending::Killed);
        self.env.log.push(&self.env.name, EventKind::Killed);
        self.signal(libc::SIGKILL);
        self.wait().await;
    }

    /// Stops the process with SIGSTOP: it sends nothing, heartbeats included, until thawed.
    pub fn freeze(&self) {
        self.signal(libc::SIGSTOP);
        self.env.log.push(&self.env.name, EventKind::Frozen);
    }

    /// Lets a frozen process go on (SIGCONT).
    pub fn thaw(&self) {
        self.env.log.push(&self.env.name, EventKind::Thawed);
        self.signal(libc::SIGCONT);
    }

    /// Waits until the process has ended by itself; returns how it ended. (The runner learns it
    /// from the `Exited` event instead.)
    #[cfg(test)]
    pub async fn exited(&mut self) -> String {
        self.wait().await;
        self.output().ended.unwrap_or_default()
    }

    /// Whether it has ended.
    pub fn has_ended(&self) -> bool {
        *self.exited.borrow()
    }

    /// What it printed so far, and how it ended.
    pub fn output(&self) -> ProcessOutput {
        self.output
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_ending(&self, ending: Ending) {
        *self.ending.lock().unwrap_or_else(PoisonError::into_inner) = ending;
    }

    async fn wait(&mut self) {
        let _ = self.exited.wait_for(|ended| *ended).await;
    }

    fn signal(&self, signal: i32) {
        if self.has_ended() {
            return;
        }
        // SAFETY: kill(2) with the pid of a child this actor spawned and has not reaped yet
        // (the exit watcher reaps it and then marks it ended, checked above).
        unsafe {
            libc::kill(self.pid, signal);
        }
    }
}

impl Drop for ProcessActor {
    fn drop(&mut self) {
        // An interrupted run drops its actors: none of its programs may outlive it.
        self.signal(libc::SIGCONT);
        self.signal(libc::SIGKILL);
    }
}

/// Spawns `command` in `cwd` with the process's environment: its own process group (a Ctrl+C
/// at the harness's terminal is the harness's to handle), SIGINT and SIGQUIT at their default
/// disposition and no signal blocked, whatever the harness inherited (a program started in the
/// background of a non-interactive shell ignores SIGINT, and kafka-python would then never
/// exit on Ctrl+C); Python's output unbuffered, so that its lines arrive as they are printed.
fn spawn(
    command: &[String],
    cwd: &Path,
    env: &[(String, Template)],
    render: impl Fn(&Template) -> Result<String, ActorError>,
) -> std::io::Result<Child> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| std::io::Error::other("empty command"))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for (key, template) in env {
        let value = render(template).map_err(|e| std::io::Error::other(e.message))?;
        cmd.env(key, value);
    }
    // SAFETY: only async-signal-safe calls (signal, sigemptyset, sigprocmask) between fork and
    // exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            Ok(())
        });
    }
    cmd.spawn()
}

/// Judges how a process ended, once it has.
struct ExitWatcher {
    env: ActorEnv,
    ending: Arc<Mutex<Ending>>,
    output: Arc<Mutex<ProcessOutput>>,
    may_exit: bool,
    exits: mpsc::UnboundedSender<UnexpectedExit>,
}

impl ExitWatcher {
    fn ended(self, status: std::io::Result<ExitStatus>) {
        let (described, status) = match status {
            Ok(status) => (describe(status), Some(status)),
            Err(e) => (format!("could not be waited for: {e}"), None),
        };
        let tail = {
            let mut output = self.output.lock().unwrap_or_else(PoisonError::into_inner);
            output.ended = Some(described.clone());
            output.tail(10)
        };
        let ending = *self.ending.lock().unwrap_or_else(PoisonError::into_inner);
        let success = status.is_some_and(|s| s.success());
        if ending == Ending::Running {
            self.env
                .log
                .push(&self.env.name, EventKind::Exited(described.clone()));
            if !(self.may_exit && success) {
                let why = if self.may_exit {
                    format!("ended with {described}")
                } else {
                    format!("ended by itself ({described}) while the timeline still runs it")
                };
                let _ = self.exits.send(UnexpectedExit {
                    actor: self.env.name.to_string(),
                    message: format!("process `{}` {why}; {tail}", self.env.name),
                });
            }
        }
        tracing::debug!(actor = %self.env.name, "process ended: {described}");
    }
}

/// `exit status 1`, `killed by SIGKILL`.
fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by {}", signal_name(signal)),
        (None, None) => status.to_string(),
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGABRT => "SIGABRT".into(),
        other => format!("signal {other}"),
    }
}

/// Which stream a reader follows.
enum Stream {
    Stdout(Option<PrintReader>),
    Stderr,
}

async fn read_lines(
    stream: impl AsyncRead + Unpin,
    output: Arc<Mutex<ProcessOutput>>,
    mut which: Stream,
    env: ActorEnv,
) {
    let mut lines = BufReader::new(stream).lines();
    // Per partition, the offset of the last record this process named by value.
    let mut taken = HashMap::new();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                tracing::debug!(actor = %env.name, "cannot read its output: {e}");
                break;
            }
        };
        if let Stream::Stdout(Some(reader)) = &mut which {
            match reader.line(&line) {
                Some(Ok(printed)) => {
                    if let Some(record) = consumed(&env, printed, &mut taken).await {
                        env.log.push(
                            &env.name,
                            EventKind::Consumed(Records::new(env.log.names(), [record])),
                        );
                    }
                }
                Some(Err(why)) => tracing::warn!(
                    actor = %env.name,
                    "a record it reports consumed is not counted: {why} (`{line}`)"
                ),
                None => {}
            }
        }
        let kept: String = line.chars().take(LINE_LIMIT).collect();
        let mut guard = output.lock().unwrap_or_else(PoisonError::into_inner);
        let output = &mut *guard;
        let (count, kept_lines) = match which {
            Stream::Stdout(_) => (&mut output.stdout_lines, &mut output.stdout),
            Stream::Stderr => (&mut output.stderr_lines, &mut output.stderr),
        };
        *count += 1;
        if kept_lines.len() == KEPT_LINES {
            kept_lines.pop_front();
        }
        kept_lines.push_back(kept);
    }
}

/// The record a process reported consumed: at the offset it printed, or at the place of the
/// value it printed (`taken` holds, per partition, the offset of the last record it named by
/// value, so that a value that repeats names the next record holding it). A harness record is
/// named by its id once its delivery report is in, any other by its place. `None`, with a
/// warning, for a value no record of the partition holds.
async fn consumed(
    env: &ActorEnv,
    printed: Printed,
    taken: &mut HashMap<TopicPartition, i64>,
) -> Option<ConsumedRecord> {
    let at = env.topics.partition(&printed.topic, printed.partition);
    let names = env.log.names();
    let offset = match printed.at {
        PrintedAt::Offset(offset) => offset,
        PrintedAt::Value(value) => {
            let after = taken.get(&at).copied();
            let Some(offset) = env
                .places
                .offset_of(names, &at, value.as_bytes(), after)
                .await
            else {
                tracing::warn!(
                    actor = %env.name,
                    "it reports a record of {}/{} with the value {value:?}, which no record read \
                     back from that partition holds: not counted as consumed",
                    at.topic,
                    at.partition
                );
                return None;
            };
            taken.insert(at.clone(), offset);
            offset
        }
    };
    let id = env.places.id_at(names, &at, offset).await;
    Some(ConsumedRecord {
        offset,
        sent: ProducedRecord {
            seq: id.seq,
            topic: names.intern(&at.topic),
            partition: at.partition,
            key: None,
            producer: id.producer,
        },
    })
}

#[cfg(test)]
mod tests;
