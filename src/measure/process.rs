//! The parent's handle on one worker process: start it in a controlled environment,
//! send requests, wait for replies with a timeout, and make sure it is gone afterwards.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use wait_timeout::ChildExt;

use super::protocol::{IMPORT_REQUEST, PROFILE_REQUEST, REPLY_PREFIX, Reply};
use super::stop::StopFlag;

/// Why a worker gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerError {
    /// The run is stopping (Ctrl-C or SIGTERM); the worker was killed.
    Interrupted,
    /// The worker failed: start-up, exit status, signal, timeout or protocol, with stderr.
    Failed(String),
}

impl From<String> for WorkerError {
    fn from(s: String) -> Self {
        WorkerError::Failed(s)
    }
}

/// How often a wait for a worker looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);

/// How to start workers.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    /// This binary (its hidden `__worker` subcommand).
    pub exe: PathBuf,
    /// Working directory of workers; stderr logs go here too.
    pub work_dir: PathBuf,
    /// Longest a worker may take to start or to answer one request.
    pub timeout: Duration,
    /// Raised when the run must stop.
    pub stop: StopFlag,
    /// Run workers under this external interpreter instead of the embedded one.
    pub external: Option<ExternalWorker>,
    /// The run's CPU quota, which every worker joins before it execs.
    pub quota: Option<std::sync::Arc<super::quota::QuotaGroup>>,
}

/// How workers run under an external CPython (`run --python PATH`).
#[derive(Debug, Clone)]
pub struct ExternalWorker {
    /// The interpreter.
    pub python: PathBuf,
    /// Directory holding `external_worker.py`, `driver.py` and `profile.py` (see
    /// [`ExternalWorker::install`]).
    pub support: PathBuf,
}

impl ExternalWorker {
    /// Writes the worker scripts into `support` and describes workers run by `python`.
    pub fn install(python: &Path, support: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(support)?;
        std::fs::write(
            support.join("external_worker.py"),
            include_str!("external_worker.py"),
        )?;
        std::fs::write(support.join("driver.py"), include_str!("driver.py"))?;
        std::fs::write(support.join("profile.py"), include_str!("profile.py"))?;
        Ok(ExternalWorker {
            python: python.to_owned(),
            support: support.to_owned(),
        })
    }
}

impl WorkerCommand {
    /// The command line and environment of a worker for `job`.
    ///
    /// The environment is cleared: the embedded interpreter is isolated anyway (see
    /// `crate::python`), and the C library only needs a fixed time zone (zipimport
    /// converts member times with `time.mktime`, so `TZ=UTC` keeps them equal to the
    /// UTC times the pyc headers record) and a UTF-8 locale.
    fn command(&self, job: &Path, stderr: &Path, wrapper: &[OsString]) -> std::io::Result<Command> {
        use std::os::unix::process::CommandExt;
        let log = std::fs::File::create(stderr)?;
        let mut cmd = match (&self.external, wrapper.split_first()) {
            (Some(x), _) => {
                // -I: isolated (no user site, no PYTHON* variables); -B: no pyc writes.
                let mut c = Command::new(&x.python);
                c.args(["-I", "-B"])
                    .arg(x.support.join("external_worker.py"))
                    .arg(&x.support);
                c
            }
            (None, Some((program, args))) => {
                let mut c = Command::new(program);
                c.args(args).arg(&self.exe).arg("__worker");
                c
            }
            (None, None) => {
                let mut c = Command::new(&self.exe);
                c.arg("__worker");
                c
            }
        };
        // A process group of its own: a terminal's Ctrl-C reaches only the harness,
        // which stops the worker itself and records the run as interrupted, instead of
        // seeing the worker die of SIGINT and recording a failure.
        cmd.process_group(0);
        if let Some(q) = &self.quota {
            let procs = q.procs().to_vec();
            // SAFETY: the hook only calls open, write and close on memory it owns.
            unsafe {
                cmd.pre_exec(move || super::quota::join(&procs));
            }
        }
        cmd.arg(job)
            .env_clear()
            .env("TZ", "UTC")
            .env("LC_ALL", "C.UTF-8")
            .env("PATH", "/usr/bin:/bin")
            .current_dir(&self.work_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        Ok(cmd)
    }
}

/// A running worker.
pub struct WorkerProcess {
    launched: std::time::Instant,
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<Result<Reply, String>>,
    stderr_path: PathBuf,
    timeout: Duration,
    stop: StopFlag,
    /// Workload modules the worker left out (from its ready line).
    dropped: Vec<(String, String)>,
}

impl WorkerProcess {
    /// Starts a worker for `job` and waits for its ready line; returns the worker and
    /// its interpreter start-up time in nanoseconds.
    pub fn spawn(
        cmd: &WorkerCommand,
        job: &Path,
        stderr: &Path,
    ) -> Result<(Self, u64), WorkerError> {
        Self::spawn_wrapped(cmd, job, stderr, &[])
    }

    /// As [`WorkerProcess::spawn`], with the worker started through `wrapper` (a
    /// program and its arguments, such as valgrind's).
    pub fn spawn_wrapped(
        cmd: &WorkerCommand,
        job: &Path,
        stderr: &Path,
        wrapper: &[OsString],
    ) -> Result<(Self, u64), WorkerError> {
        let mut worker = Self::launch_wrapped(cmd, job, stderr, wrapper)?;
        let startup_ns = worker.ready()?;
        Ok((worker, startup_ns))
    }

    /// Starts a worker for `job` without waiting for it: requests sent now wait in its
    /// stdin until it is ready. Call [`WorkerProcess::ready`] before anything else.
    pub fn launch(cmd: &WorkerCommand, job: &Path, stderr: &Path) -> Result<Self, WorkerError> {
        Self::launch_wrapped(cmd, job, stderr, &[])
    }

    fn launch_wrapped(
        cmd: &WorkerCommand,
        job: &Path,
        stderr: &Path,
        wrapper: &[OsString],
    ) -> Result<Self, WorkerError> {
        if cmd.stop.is_raised() {
            return Err(WorkerError::Interrupted);
        }
        let launched = std::time::Instant::now();
        let mut child = cmd
            .command(job, stderr, wrapper)
            .and_then(|mut c| c.spawn())
            .map_err(|e| format!("cannot start worker {}: {e}", cmd.exe.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stdin = child.stdin.take();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Some(json) = line.strip_prefix(REPLY_PREFIX) else {
                    continue;
                };
                let reply = serde_json::from_str(json)
                    .map_err(|e| format!("unreadable reply from worker ({e}): {json}"));
                if tx.send(reply).is_err() {
                    break;
                }
            }
        });
        Ok(WorkerProcess {
            launched,
            child,
            stdin,
            replies: rx,
            stderr_path: stderr.to_owned(),
            timeout: cmd.timeout,
            stop: cmd.stop.clone(),
            dropped: Vec::new(),
        })
    }

    /// Waits for a launched worker's ready line; returns its interpreter start-up time
    /// in nanoseconds.
    pub fn ready(&mut self) -> Result<u64, WorkerError> {
        match self.receive("start")? {
            // An external interpreter cannot time its own initialisation: the harness
            // times spawn to ready line instead.
            Reply::Ready {
                startup_ns,
                dropped,
                ..
            } => {
                self.dropped = dropped;
                Ok(match startup_ns {
                    0 => self.launched.elapsed().as_nanos() as u64,
                    n => n,
                })
            }
            other => Err(format!("worker sent {other:?} instead of its ready line").into()),
        }
    }

    /// Workload modules the worker left out, with why (known once it is ready).
    pub fn dropped(&self) -> &[(String, String)] {
        &self.dropped
    }

    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks for one import and returns the reply.
    pub fn import(&mut self) -> Result<Reply, WorkerError> {
        self.request(IMPORT_REQUEST)
    }

    /// Asks a probe worker for the phase profile of its last import.
    pub fn profile(&mut self) -> Result<Reply, WorkerError> {
        self.request(PROFILE_REQUEST)
    }

    fn request(&mut self, what: &str) -> Result<Reply, WorkerError> {
        self.send(what)?;
        self.receive(what)
    }

    /// Sends one request line without waiting for the reply (see
    /// [`WorkerProcess::receive`]).
    pub fn send(&mut self, what: &str) -> Result<(), WorkerError> {
        let sent = self
            .stdin
            .as_mut()
            .map(|s| writeln!(s, "{what}").and_then(|()| s.flush()));
        if let Some(Err(e)) = sent {
            return Err(self.died(&format!("cannot send a request: {e}")).into());
        }
        Ok(())
    }

    /// Closes stdin and waits for a clean exit.
    pub fn close(mut self) -> Result<(), String> {
        drop(self.stdin.take());
        match self.child.wait_timeout(self.timeout) {
            Ok(Some(status)) if status.success() => Ok(()),
            Ok(Some(status)) => Err(self.describe_exit(status)),
            Ok(None) => Err(format!(
                "worker did not exit within {} s after its last request",
                self.timeout.as_secs()
            )),
            Err(e) => Err(format!("waiting for the worker: {e}")),
        }
    }

    /// Waits for the next reply (`what` names the request in errors).
    pub fn receive(&mut self, what: &str) -> Result<Reply, WorkerError> {
        let deadline = std::time::Instant::now() + self.timeout;
        loop {
            if self.stop.is_raised() {
                let _ = self.child.kill();
                return Err(WorkerError::Interrupted);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                let _ = self.child.kill();
                return Err(format!(
                    "worker timed out after {} s waiting for {what}",
                    self.timeout.as_secs()
                )
                .into());
            }
            match self.replies.recv_timeout(left.min(STOP_POLL)) {
                Ok(reply) => return reply.map_err(WorkerError::Failed),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.died(&format!("no reply to {what}")).into());
                }
            }
        }
    }

    /// The worker's stdout closed or a write failed: wait for it and say how it ended.
    fn died(&mut self, context: &str) -> String {
        match self.child.wait_timeout(Duration::from_secs(5)) {
            Ok(Some(status)) => format!("{context}: {}", self.describe_exit(status)),
            _ => {
                let _ = self.child.kill();
                format!("{context}: worker stopped answering{}", self.stderr_tail())
            }
        }
    }

    fn describe_exit(&self, status: ExitStatus) -> String {
        use std::os::unix::process::ExitStatusExt;
        let how = match (status.code(), status.signal()) {
            (Some(code), _) => format!("worker exited with status {code}"),
            (None, Some(sig)) => format!("worker was killed by signal {sig}"),
            _ => format!("worker ended with {status}"),
        };
        format!("{how}{}", self.stderr_tail())
    }

    /// The last lines the worker wrote to stderr, for error messages.
    fn stderr_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            return String::new();
        }
        let tail = lines[lines.len().saturating_sub(5)..].join("\n  ");
        format!("; its stderr ends with:\n  {tail}")
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
