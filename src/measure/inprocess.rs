//! Warm imports in the calling process's own embedded interpreter, for `cargo bench`:
//! no worker process, no protocol, just the driver's timed import loop.
//!
//! The timed runs use exactly the same driver code as warm workers, so criterion's
//! numbers and `run --modes warm` measure the same thing.

use anyhow::{Result, anyhow};
use pyo3::prelude::*;
use pyo3::types::PyModule;

use super::Imports;
use crate::package::Artifact;
use crate::python::{self, format_err, load_module};
use crate::scenario::Layout;

/// The driver loaded into this process, serving one artifact at a time.
pub struct InProcess {
    driver: Py<PyModule>,
}

impl InProcess {
    /// Loads the driver and puts `artifact` on `sys.path`. Call once per process.
    pub fn new(artifact: &Artifact, workload: &Imports) -> Result<Self> {
        python::attach(|py| {
            let driver = load_module(py, "zib_driver", include_str!("driver.py"))?;
            driver
                .call_method1(
                    "setup",
                    (
                        artifact.info.path.to_string_lossy().into_owned(),
                        Layout::name(artifact.variant.layout),
                        workload.modules.clone(),
                        workload.roots.clone(),
                        false,
                    ),
                )
                .map_err(|e| anyhow!("driver setup: {}", format_err(py, &e)))?;
            Ok(InProcess {
                driver: driver.unbind(),
            })
        })
    }

    /// Serves the workload from another artifact from now on.
    pub fn switch(&mut self, artifact: &Artifact) -> Result<()> {
        python::attach(|py| {
            self.driver
                .bind(py)
                .call_method1(
                    "switch",
                    (
                        artifact.info.path.to_string_lossy().into_owned(),
                        Layout::name(artifact.variant.layout),
                    ),
                )
                .map(drop)
                .map_err(|e| anyhow!("switching artifacts: {}", format_err(py, &e)))
        })
    }

    /// Imports the workload once (forgetting the tree's modules first, importer caches
    /// kept) and returns the wall time of the import loop in nanoseconds.
    pub fn import(&self) -> Result<u64> {
        python::attach(|py| {
            self.driver
                .bind(py)
                .call_method0("prepare")
                .map_err(|e| anyhow!("preparing: {}", format_err(py, &e)))?;
            type Sample = (u64, u64, u64, u64, std::collections::BTreeMap<String, u64>);
            let (wall, ..): Sample = self
                .driver
                .bind(py)
                .call_method0("run_import")
                .and_then(|v| v.extract())
                .map_err(|e| anyhow!("importing: {}", format_err(py, &e)))?;
            let problem: Option<String> = self
                .driver
                .bind(py)
                .call_method0("verify")
                .and_then(|v| v.extract())
                .map_err(|e| anyhow!("verifying: {}", format_err(py, &e)))?;
            match problem {
                Some(p) => Err(anyhow!(p)),
                None => Ok(wall),
            }
        })
    }
}
