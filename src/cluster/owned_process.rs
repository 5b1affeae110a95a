//! Child processes a run starts and must stop (Kafka brokers): each one is spawned and waited
//! for by a thread of its own, which also ties the child's life to that thread with
//! `PR_SET_PDEATHSIG`, so a harness that dies without cleaning up (SIGKILL, a panic in a test)
//! still takes its brokers with it. Dropping an [`OwnedProcess`] kills and reaps the child.

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

/// A running child process owned by the harness.
pub struct OwnedProcess {
    name: String,
    pid: i32,
    exit: Arc<Mutex<Option<ExitStatus>>>,
    waiter: Option<JoinHandle<()>>,
}

impl OwnedProcess {
    /// Spawns `command` as `name` (used in messages, e.g. `broker 2`).
    pub fn spawn(name: &str, mut command: Command) -> io::Result<OwnedProcess> {
        // SAFETY: prctl is async-signal-safe and touches nothing but the calling process.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let exit = Arc::new(Mutex::new(None));
        let recorded = Arc::clone(&exit);
        let (started, spawned) = mpsc::channel();
        // The child must be spawned by the thread that outlives it: PR_SET_PDEATHSIG fires when
        // the spawning *thread* ends, so a short-lived caller thread would kill it.
        let waiter = std::thread::Builder::new()
            .name(format!("wait {name}"))
            .spawn(move || {
                let mut child = match command.spawn() {
                    Ok(child) => child,
                    Err(e) => {
                        let _ = started.send(Err(e));
                        return;
                    }
                };
                let _ = started.send(Ok(child.id()));
                let status = child.wait();
                if let (Ok(status), Ok(mut slot)) = (status, recorded.lock()) {
                    *slot = Some(status);
                }
            })?;
        let pid = spawned
            .recv()
            .map_err(|_| io::Error::other("the process-watching thread ended at start"))??;
        Ok(OwnedProcess {
            name: name.to_owned(),
            pid: pid as i32,
            exit,
            waiter: Some(waiter),
        })
    }

    /// The name given at spawn.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// How the process ended, or `None` while it runs.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.exit.lock().ok().and_then(|slot| *slot)
    }

    /// Sends `signal` unless the process has already been reaped (its pid may be reused then).
    pub fn signal(&self, signal: i32) {
        if let Ok(slot) = self.exit.lock()
            && slot.is_none()
        {
            // SAFETY: kill(2) with a pid this process spawned and has not reaped yet.
            unsafe {
                libc::kill(self.pid, signal);
            }
        }
    }

    /// Kills the process (SIGKILL) and waits until it is reaped.
    pub fn kill(&mut self) {
        self.signal(libc::SIGKILL);
        if let Some(waiter) = self.waiter.take() {
            let _ = waiter.join();
        }
    }
}

impl Drop for OwnedProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `exited with 1`, `killed by signal 9`: how a process ended, for messages.
pub fn describe_exit(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "ended".to_owned(),
    }
}
