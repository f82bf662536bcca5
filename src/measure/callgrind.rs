//! Instruction counts of the import section, from valgrind's callgrind.
//!
//! Wall time on a shared virtual machine varies by 15-20% between fresh processes;
//! instruction counts of the same work do not (two runs of the default scenario's
//! `dir-pyc` import counted the same 253,943,347 instructions). The worker runs under
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=zib_timed_import`:
//! collection is on only inside the worker's `zib_timed_import` function, the call of
//! the driver's import loop, so interpreter start-up, preparation, verification and
//! exit are not counted. Hardware counters (`perf_event_open`) are not offered on this
//! machine kind, so callgrind is the only counter used.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::process::{WorkerCommand, WorkerError, WorkerProcess};
use super::protocol::Reply;

/// How slow a worker may be under callgrind, relative to the normal timeout.
const SLOWDOWN: u32 = 50;

/// A usable valgrind.
#[derive(Debug, Clone)]
pub struct Callgrind {
    /// The valgrind executable.
    pub valgrind: PathBuf,
    /// `valgrind-3.19.0`.
    pub version: String,
}

/// Instruction counts of one case.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstructionCounts {
    /// The counter used: `callgrind (valgrind-3.19.0)`, or empty when skipped.
    pub tool: String,
    /// Instructions executed in the import section, one per sample.
    pub samples: Vec<u64>,
    /// Why no counts were taken (valgrind missing, say).
    pub skipped: Option<String>,
    /// Why counting failed part-way.
    pub error: Option<String>,
}

/// Finds valgrind on PATH and checks that it runs.
pub fn detect() -> Result<Callgrind, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let valgrind = std::env::split_paths(&path)
        .map(|dir| dir.join("valgrind"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "valgrind is not installed (install Debian's valgrind package)".to_owned()
        })?;
    let out = Command::new(&valgrind)
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", valgrind.display()))?;
    if !out.status.success() {
        return Err(format!("{} --version failed", valgrind.display()));
    }
    Ok(Callgrind {
        valgrind,
        version: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
    })
}

impl Callgrind {
    /// Name recorded in results.
    pub fn tool(&self) -> String {
        format!("callgrind ({})", self.version)
    }

    /// Runs one worker for `job` under callgrind and returns the instructions executed
    /// in its import section.
    pub fn count(
        &self,
        cmd: &WorkerCommand,
        job: &Path,
        out_file: &Path,
        stderr: &Path,
    ) -> Result<u64, WorkerError> {
        let _ = std::fs::remove_file(out_file);
        let mut slow = cmd.clone();
        slow.timeout = cmd.timeout.saturating_mul(SLOWDOWN);
        let wrapper: Vec<OsString> = vec![
            self.valgrind.clone().into(),
            "--tool=callgrind".into(),
            "--collect-atstart=no".into(),
            "--toggle-collect=zib_timed_import".into(),
            format!("--callgrind-out-file={}", out_file.display()).into(),
        ];
        let (mut worker, _) = WorkerProcess::spawn_wrapped(&slow, job, stderr, &wrapper)?;
        match worker.import()? {
            Reply::Sample { .. } => {}
            Reply::Failed { error, .. } => return Err(WorkerError::Failed(error)),
            other => return Err(WorkerError::Failed(format!("unexpected reply {other:?}"))),
        }
        worker.close()?;
        let text = std::fs::read_to_string(out_file)
            .map_err(|e| format!("reading {}: {e}", out_file.display()))?;
        parse_totals(&text)
            .ok_or_else(|| WorkerError::Failed(format!("no totals line in {}", out_file.display())))
    }
}

/// The `totals:` (or older `summary:`) event count of a callgrind output file.
fn parse_totals(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_from_callgrind_output() {
        let text = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 253943347\n\nfl=(1) x\ntotals: 253943347\n";
        assert_eq!(parse_totals(text), Some(253_943_347));
        assert_eq!(parse_totals("events: Ir\n"), None);
    }
}
