//! A CPU quota for the workers (`run --cpu-quota CPUS`): a cgroup of the CFS bandwidth
//! controller made for the run, `cpu.cfs_quota_us` set to CPUS times the period, that
//! every worker joins between fork and exec, so the interpreter's start-up, the timed
//! imports and whatever the worker starts run under it, and the harness does not. What
//! serverless functions and containers run under: the quota is enforced per 100 ms
//! period, so a worker that needs less CPU than one period's share is never throttled.
//!
//! Only cgroup v1's `cpu` controller is driven (this project's machines have it, writable
//! by root); anything else is refused with what is missing.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The CFS period set on the run's group: the kernel's default.
pub const PERIOD_US: u64 = 100_000;

/// The run's cgroup: created by [`QuotaGroup::create`], removed when dropped.
#[derive(Debug)]
pub struct QuotaGroup {
    dir: PathBuf,
    /// The group of the same name in the `cpuacct` hierarchy, which counts the workers'
    /// CPU time, when that controller is mounted apart (`None`: mounted with `cpu`, or
    /// not at all).
    acct: Option<PathBuf>,
    /// `cgroup.procs` of each group, ready for a forked child to write to.
    procs: Vec<CString>,
    cpus: f64,
}

/// What a run's quota was and what it did, from the group's own `cpu.stat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuotaInfo {
    /// CPUs the workers could use per period (`cfs_quota_us / cfs_period_us`).
    pub cpus: f64,
    /// The period, in microseconds.
    pub period_us: u64,
    /// The group's directory.
    pub cgroup: String,
    /// Periods in which a worker was runnable (`nr_periods`).
    pub periods: u64,
    /// Periods in which the workers used up the quota and waited (`nr_throttled`).
    pub throttled_periods: u64,
    /// Time the workers spent waiting for the next period, in seconds
    /// (`throttled_time`).
    pub throttled_s: f64,
    /// CPU time the workers used, in seconds (`cpuacct.usage`); absent where the
    /// `cpuacct` controller is not mounted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_s: Option<f64>,
}

impl QuotaInfo {
    /// What every case of the run ran under, in one sentence for every output.
    pub fn describe(&self) -> String {
        let used = self.cpu_s.map_or(String::new(), |s| {
            format!(
                "; {s:.1} s of CPU over those periods, {:.2} CPU each",
                s / (self.periods.max(1) as f64 * self.period_us as f64 / 1e6)
            )
        });
        format!(
            "every worker ran under a CPU quota of {} CPU ({:.1} ms per {} ms period, CFS); \
             throttled in {} of {} periods, {:.1} s waiting{used}",
            self.cpus,
            self.cpus * self.period_us as f64 / 1000.0,
            self.period_us / 1000,
            self.throttled_periods,
            self.periods,
            self.throttled_s
        )
    }
}

/// Where cgroup v1's `controller` is mounted, from `/proc/self/mountinfo`.
fn mount_of(info: &str, controller: &str) -> Option<PathBuf> {
    info.lines().find_map(|line| {
        let (mount, fs) = line.split_once(" - ")?;
        let mut fs = fs.split_whitespace();
        let (kind, _source, options) = (fs.next()?, fs.next()?, fs.next()?);
        (kind == "cgroup" && options.split(',').any(|o| o == controller))
            .then(|| mount.split_whitespace().nth(4).map(PathBuf::from))
            .flatten()
    })
}

/// Where cgroup v1's `cpu` controller is mounted, and `cpuacct` when it is mounted
/// apart from it.
fn mounts() -> Result<(PathBuf, Option<PathBuf>), String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("cannot read /proc/self/mountinfo: {e}"))?;
    let Some(cpu) = mount_of(&info, "cpu") else {
        let v2 = info.lines().any(|l| {
            l.split_once(" - ")
                .is_some_and(|(_, f)| f.starts_with("cgroup2 "))
        });
        return Err(format!(
            "a CPU quota needs cgroup v1's cpu controller, and no cgroup mount with the \
             `cpu` option is in /proc/self/mountinfo{}",
            if v2 {
                " (cgroup v2 is mounted; its cpu.max is not driven yet)"
            } else {
                ""
            }
        ));
    };
    let acct = mount_of(&info, "cpuacct").filter(|a| *a != cpu);
    Ok((cpu, acct))
}

/// This process's own group in the hierarchy of `controller`, from `/proc/self/cgroup`.
fn own_group(controller: &str) -> PathBuf {
    std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, controllers, path) = (f.next()?, f.next()?, f.next()?);
                controllers
                    .split(',')
                    .any(|c| c == controller)
                    .then(|| PathBuf::from(path.trim_start_matches('/')))
            })
        })
        .unwrap_or_default()
}

/// Makes the group `name` under this process's own in a hierarchy.
fn make(mount: &Path, controller: &str, name: &str) -> Result<PathBuf, String> {
    let dir = mount.join(own_group(controller)).join(name);
    std::fs::create_dir(&dir).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
            " (a CPU quota needs root, or a cgroup delegated to this user)"
        } else {
            ""
        };
        format!("cannot create the cgroup {}: {e}{hint}", dir.display())
    })?;
    Ok(dir)
}

fn procs_of(dir: &Path) -> Result<CString, String> {
    CString::new(
        dir.join("cgroup.procs")
            .into_os_string()
            .into_encoded_bytes(),
    )
    .map_err(|_| format!("the cgroup path {} holds a NUL byte", dir.display()))
}

fn write(path: &Path, value: &str) -> Result<(), String> {
    std::fs::write(path, value)
        .map_err(|e| format!("cannot write {value} to {}: {e}", path.display()))
}

impl QuotaGroup {
    /// A new group under this process's own, limited to `cpus` CPUs per period.
    pub fn create(cpus: f64) -> Result<Self, String> {
        let (cpu, acct) = mounts()?;
        let name = format!("zipimport-bench-{}", std::process::id());
        let quota_us = (cpus * PERIOD_US as f64).round() as u64;
        let mut group = QuotaGroup {
            dir: make(&cpu, "cpu", &name)?,
            acct: None,
            procs: Vec::new(),
            cpus: quota_us as f64 / PERIOD_US as f64,
        };
        // Dropped on an error, which removes the directories again.
        group.procs.push(procs_of(&group.dir)?);
        if let Some(mount) = acct {
            let dir = make(&mount, "cpuacct", &name)?;
            group.acct = Some(dir.clone());
            group.procs.push(procs_of(&dir)?);
        }
        write(&group.dir.join("cpu.cfs_period_us"), &PERIOD_US.to_string())?;
        write(&group.dir.join("cpu.cfs_quota_us"), &quota_us.to_string())?;
        Ok(group)
    }

    /// The paths a forked child writes `0` to, to join the group.
    pub(super) fn procs(&self) -> &[CString] {
        &self.procs
    }

    /// The quota and what the group's `cpu.stat` says it did so far.
    pub fn info(&self) -> QuotaInfo {
        let stat = std::fs::read_to_string(self.dir.join("cpu.stat")).unwrap_or_default();
        let field = |name: &str| -> u64 {
            stat.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
                .unwrap_or(0)
        };
        QuotaInfo {
            cpus: self.cpus,
            period_us: PERIOD_US,
            cgroup: self.dir.display().to_string(),
            periods: field("nr_periods"),
            throttled_periods: field("nr_throttled"),
            throttled_s: field("throttled_time") as f64 / 1e9,
            cpu_s: std::fs::read_to_string(
                self.acct
                    .as_ref()
                    .unwrap_or(&self.dir)
                    .join("cpuacct.usage"),
            )
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|ns| ns as f64 / 1e9),
        }
    }
}

impl Drop for QuotaGroup {
    fn drop(&mut self) {
        // Every worker has exited by now; an empty group can be removed.
        let _ = std::fs::remove_dir(&self.dir);
        if let Some(acct) = &self.acct {
            let _ = std::fs::remove_dir(acct);
        }
    }
}

/// Joins the groups at `procs` from a forked child before it execs: only the
/// async-signal-safe calls open, write and close.
pub(super) fn join(procs: &[CString]) -> std::io::Result<()> {
    for path in procs {
        // SAFETY: a NUL-terminated path and a two-byte buffer that outlive the calls.
        unsafe {
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let written = libc::write(fd, c"0".as_ptr().cast(), 1);
            let error = std::io::Error::last_os_error();
            libc::close(fd);
            if written != 1 {
                return Err(error);
            }
        }
    }
    Ok(())
}
