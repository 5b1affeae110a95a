//! A real Kubernetes control plane for the tests: `tools/kubernetes/control-plane` (etcd and
//! kube-apiserver on loopback, with a kubeconfig of its own), and `kubectl` to apply manifests
//! to it the way the course does. Stopped, and its directory removed, when dropped; the script
//! also ends by itself when the test process is gone.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::requirements::kube_bin;

/// A running control plane.
pub struct ControlPlane {
    child: Child,
    kubeconfig: PathBuf,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl ControlPlane {
    /// Starts etcd and kube-apiserver and returns once the API server is ready.
    pub fn start() -> Result<ControlPlane, String> {
        let log = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
        let mut child = Command::new(root().join("tools/kubernetes/control-plane"))
            .arg("--bin")
            .arg(kube_bin())
            .args(["--parent", &std::process::id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| format!("cannot run tools/kubernetes/control-plane: {e}"))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            BufReader::new(stdout)
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
        }
        if line.trim().is_empty() {
            let status = child.wait().map_err(|e| e.to_string())?;
            let said = std::fs::read_to_string(log.path()).unwrap_or_default();
            return Err(format!(
                "the control plane did not start ({status}):\n{said}"
            ));
        }
        Ok(ControlPlane {
            child,
            kubeconfig: PathBuf::from(line.trim()),
        })
    }

    /// The kubeconfig that reaches it (context `kafka-scenario`, a bearer token).
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Runs `kubectl --kubeconfig <ours> <arguments>` (relative paths from the repository root)
    /// and returns its standard output, or what it said on failure.
    pub fn kubectl(&self, arguments: &[&str]) -> Result<String, String> {
        let output = Command::new(kube_bin().join("kubectl"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(arguments)
            .current_dir(root())
            .output()
            .map_err(|e| format!("cannot run kubectl: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "kubectl {}: {}\n{}",
                arguments.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child's pid, which it keeps until we wait for it.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let _ = self.child.wait();
    }
}
