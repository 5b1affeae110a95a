//! What an external program on the timeline printed and how it ended: the part of a process
//! actor that outlives it, kept in the run record for reports and failure messages.

use std::collections::VecDeque;

use serde::Serialize;

/// What a process printed and how it ended, for reports and failure messages.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcessOutput {
    /// The command line as run.
    pub command: Vec<String>,
    /// How it ended, e.g. `exit status 0` or `killed by SIGKILL`; `None` while it runs.
    pub ended: Option<String>,
    /// Lines it wrote to standard output, all of them counted.
    pub stdout_lines: u64,
    /// The last lines of them, as many as the process actor keeps.
    pub stdout: VecDeque<String>,
    /// Lines it wrote to standard error, all of them counted.
    pub stderr_lines: u64,
    /// The last lines of them, as many as the process actor keeps.
    pub stderr: VecDeque<String>,
}

impl ProcessOutput {
    /// The last `n` lines of standard error (of standard output when it wrote no error), for a
    /// failure message.
    pub fn tail(&self, n: usize) -> String {
        let (name, lines) = if self.stderr.is_empty() {
            ("stdout", &self.stdout)
        } else {
            ("stderr", &self.stderr)
        };
        if lines.is_empty() {
            return "it printed nothing".to_owned();
        }
        let skip = lines.len().saturating_sub(n);
        let shown: Vec<&str> = lines.iter().skip(skip).map(String::as_str).collect();
        format!("last {name} lines:\n  {}", shown.join("\n  "))
    }
}

#[cfg(test)]
mod tests;
