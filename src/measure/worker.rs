//! The worker process: `zipimport-bench __worker JOB`. Starts the embedded interpreter,
//! puts the artifact on `sys.path` and serves import requests (see [`super::protocol`]).

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use pyo3::prelude::*;

use super::protocol::{
    IMPORT_REQUEST, Job, PROFILE_REQUEST, REPLY_PREFIX, Reply, UPDATE_REQUEST, monotonic_ns,
};
use crate::python::{self, format_err, load_module_cached};

/// Runs a worker until its stdin closes.
pub fn run(job_path: &Path) -> Result<()> {
    let job: Job = serde_json::from_slice(
        &std::fs::read(job_path).with_context(|| format!("reading job {}", job_path.display()))?,
    )
    .with_context(|| format!("parsing job {}", job_path.display()))?;

    let t0 = Instant::now();
    python::ensure_initialized();
    let startup_ns = t0.elapsed().as_nanos() as u64;

    python::attach(|py| {
        let t1 = Instant::now();
        // The job's directory holds the compiled driver every worker of the run shares.
        let cache = job_path.parent().unwrap_or(Path::new("."));
        let driver = load_module_cached(py, "zib_driver", include_str!("driver.py"), cache)?;
        let profiler = if job.probe {
            Some(load_module_cached(
                py,
                "zib_profile",
                include_str!("profile.py"),
                cache,
            )?)
        } else {
            None
        };
        let layout = job.layout.name();
        let dropped: Vec<(String, String)> = driver
            .call_method1(
                "setup",
                (
                    job.artifact.to_string_lossy().into_owned(),
                    layout,
                    job.modules.clone(),
                    job.roots.clone(),
                    job.probe,
                    profiler.clone(),
                ),
            )
            .and_then(|r| r.extract())
            .map_err(|e| anyhow::anyhow!("worker setup: {}", format_err(py, &e)))?;
        if job.collect {
            driver
                .call_method0("collect_first")
                .map_err(|e| anyhow::anyhow!("worker setup: {}", format_err(py, &e)))?;
        }
        if let Some(p) = profiler.as_ref().filter(|_| job.trace) {
            p.call_method1("trace", (true,))
                .map_err(|e| anyhow::anyhow!("worker setup: {}", format_err(py, &e)))?;
        }
        let setup_ns = t1.elapsed().as_nanos() as u64;
        send(&Reply::Ready {
            startup_ns,
            setup_ns,
            dropped,
        })?;

        for line in std::io::stdin().lock().lines() {
            let line = line.context("reading a request")?;
            let mut words = line.split_whitespace();
            match (words.next(), &profiler) {
                (Some(IMPORT_REQUEST), _) => send(&import_once(py, &driver, job.speed))?,
                (Some(PROFILE_REQUEST), Some(p)) => send(&profile(py, p))?,
                (Some(UPDATE_REQUEST), _) => {
                    let (Some(pickup), Some(Ok(version))) =
                        (words.next(), words.next().map(str::parse::<u32>))
                    else {
                        anyhow::bail!("malformed update request {line:?}");
                    };
                    send(&update(py, &driver, pickup, version))?;
                }
                _ => anyhow::bail!("unknown request {line:?}"),
            }
        }
        Ok(())
    })
}

/// The timed (and, under callgrind, the only counted) section: one call of the
/// driver's import loop. Its unmangled name is what `--toggle-collect` matches, so
/// instruction counts cover exactly this call and nothing of start-up, preparation,
/// verification or exit.
#[unsafe(no_mangle)]
#[inline(never)]
pub fn zib_timed_import<'py>(driver: &Bound<'py, PyModule>) -> PyResult<Bound<'py, PyAny>> {
    driver.call_method0("run_import")
}

fn import_once(py: Python<'_>, driver: &Bound<'_, PyModule>, speed: bool) -> Reply {
    if let Err(e) = driver.call_method0("prepare") {
        return Reply::Failed {
            error: format!("preparing the import: {}", format_err(py, &e)),
            raised: false,
        };
    }
    // The speed probe runs outside the timed (and counted) function, moments before
    // and after it.
    let probe_speed = || -> Option<u64> {
        speed
            .then(|| driver.call_method0("speed").and_then(|v| v.extract()).ok())
            .flatten()
    };
    let before = probe_speed();
    let imported = std::hint::black_box(zib_timed_import)(driver);
    let end_mono_ns = monotonic_ns();
    let after = probe_speed();
    let speed_ns = before.zip(after).map(|(b, a)| [b, a]);
    match imported {
        Err(e) => Reply::Failed {
            error: describe(py, driver, &e),
            raised: true,
        },
        Ok(value) => {
            let (wall_ns, cpu_ns, user_ns, sys_ns, counters) = match value.extract() {
                Ok(v) => v,
                Err(e) => {
                    return Reply::Failed {
                        error: format!("driver returned a malformed sample: {e}"),
                        raised: false,
                    };
                }
            };
            match driver
                .call_method0("verify")
                .and_then(|v| v.extract::<Option<String>>())
            {
                Ok(None) => Reply::Sample {
                    wall_ns,
                    cpu_ns,
                    user_ns,
                    sys_ns,
                    counters,
                    end_mono_ns,
                    speed_ns,
                },
                Ok(Some(problem)) => Reply::Failed {
                    error: problem,
                    raised: false,
                },
                Err(e) => Reply::Failed {
                    error: format!("verifying the import: {}", format_err(py, &e)),
                    raised: false,
                },
            }
        }
    }
}

/// Picks up a new version of the artifact (see `update` in driver.py).
fn update(py: Python<'_>, driver: &Bound<'_, PyModule>, pickup: &str, version: u32) -> Reply {
    let result = driver
        .call_method1("update", (pickup, version))
        .and_then(|v| v.extract::<(u64, u64, u64, u64, u64, u64, Option<String>)>());
    match result {
        Ok((start, invalidated, reloaded, new, stale, failed, first_error)) => Reply::Update {
            start_mono_ns: start,
            end_mono_ns: reloaded,
            invalidate_ns: invalidated.saturating_sub(start),
            reload_ns: reloaded.saturating_sub(invalidated),
            new,
            stale,
            failed,
            first_error,
        },
        Err(e) => Reply::Failed {
            error: format!("updating: {}", format_err(py, &e)),
            raised: false,
        },
    }
}

/// The phase profile of the last import.
fn profile(py: Python<'_>, profiler: &Bound<'_, PyModule>) -> Reply {
    let report = profiler.call_method0("report").and_then(|r| {
        let phases = r.get_item("phases")?.extract()?;
        let modules = r.get_item("modules")?.extract()?;
        let traced = r.contains("spans")?;
        let spans = if traced {
            r.get_item("spans")?.extract()?
        } else {
            Vec::new()
        };
        let wall_ns = if traced {
            r.get_item("wall_ns")?.extract()?
        } else {
            0
        };
        Ok((phases, modules, spans, wall_ns))
    });
    match report {
        Ok((phases, modules, spans, wall_ns)) => Reply::Profile {
            phases,
            modules,
            spans,
            wall_ns,
        },
        Err(e) => Reply::Failed {
            error: format!("profiling: {}", format_err(py, &e)),
            raised: false,
        },
    }
}

/// The exception as the driver formats it (`zlib.error: Error -3 ...`).
fn describe(py: Python<'_>, driver: &Bound<'_, PyModule>, err: &PyErr) -> String {
    driver
        .call_method1("describe", (err.value(py),))
        .and_then(|v| v.extract())
        .unwrap_or_else(|_| format_err(py, err))
}

fn send(reply: &Reply) -> Result<()> {
    let line = serde_json::to_string(reply).context("encoding a reply")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{REPLY_PREFIX}{line}")
        .and_then(|()| out.flush())
        .context("writing a reply")
}
