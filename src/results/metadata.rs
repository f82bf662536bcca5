//! Facts about the harness and the host for [`super::RunMetadata`]; every probe of the
//! system degrades to "unknown" rather than failing a run.

use std::fs;

use super::schema::{HarnessInfo, HostInfo};

/// The harness binary.
pub fn harness() -> HarnessInfo {
    let commit = env!("ZIB_GIT_COMMIT");
    HarnessInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        git_commit: (!commit.is_empty()).then(|| commit.to_owned()),
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .to_owned(),
    }
}

/// The machine.
pub fn host() -> HostInfo {
    let read = |p: &str| fs::read_to_string(p).map(|s| s.trim().to_owned()).ok();
    let cpu_model = read("/proc/cpuinfo")
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let os = read("/etc/os-release")
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_owned());
    HostInfo {
        hostname: read("/proc/sys/kernel/hostname").unwrap_or_else(|| "unknown".into()),
        cpu_model,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        os,
        kernel: read("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
        arch: std::env::consts::ARCH.to_owned(),
    }
}
