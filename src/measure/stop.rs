//! Stopping a run early and cleanly: SIGINT (Ctrl-C) and SIGTERM set a flag that the
//! scheduler checks between samples and that waits for workers check ten times a
//! second. The current worker is killed, the run writes what it has, temporary files
//! are removed on the way out, and `run --resume` can finish the rest.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A shared "stop now" flag.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag nobody has raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// A flag raised by SIGINT or SIGTERM. Call once per process; a second signal
    /// while stopping is ignored (the run is already on its way out).
    pub fn on_signals() -> anyhow::Result<Self> {
        let flag = Self::new();
        let raised = flag.clone();
        ctrlc::set_handler(move || {
            if !raised.is_raised() {
                crate::note!(
                    "\nstopping: finishing the results file; run again with --resume to complete it"
                );
            }
            raised.raise();
        })
        .map_err(|e| anyhow::anyhow!("installing the Ctrl-C handler: {e}"))?;
        Ok(flag)
    }

    /// Raises the flag.
    pub fn raise(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the flag is raised.
    pub fn is_raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
