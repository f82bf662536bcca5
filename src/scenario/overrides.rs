//! Command-line overrides of every scenario's measurement settings (`run --samples`,
//! `--warmup`, `--modes`, `--timeout`, `--measure`). One struct from the command line
//! to the scenarios, recorded as it is in the run's journal so `run --resume` applies
//! the same.

use serde::{Deserialize, Serialize};

use super::{LIMITS, Mode, Scenario};

/// What the command line sets for every scenario; `None` keeps the file's value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overrides {
    /// `--samples`: timed samples per case.
    pub samples: Option<u32>,
    /// `--warmup`: discarded rounds before the timed ones.
    pub warmup: Option<u32>,
    /// `--modes`.
    pub modes: Option<Vec<Mode>>,
    /// `--timeout`: seconds a worker may take to start or answer one request.
    pub timeout_secs: Option<u32>,
    /// `--measure`: whether instructions are counted.
    #[serde(default)]
    pub instructions: Option<bool>,
}

impl Overrides {
    /// Checks every override against the limits of the scenario key it replaces
    /// (`--samples 0` is refused like `samples = 0` in a file), naming the flag.
    pub fn check(&self) -> Result<(), String> {
        let within =
            |flag: &str, value: Option<u32>, range: &std::ops::RangeInclusive<i64>| match value {
                Some(v) if !range.contains(&i64::from(v)) => Err(format!(
                    "{flag}: must be from {} to {}, got {v}",
                    range.start(),
                    range.end()
                )),
                _ => Ok(()),
            };
        within("--samples", self.samples, &LIMITS.samples)?;
        within("--warmup", self.warmup, &LIMITS.warmup)?;
        within("--timeout", self.timeout_secs, &LIMITS.timeout_secs)?;
        if self.modes.as_ref().is_some_and(Vec::is_empty) {
            return Err("--modes: name at least one mode".into());
        }
        Ok(())
    }

    /// Applies the overrides to a scenario.
    pub fn apply(&self, s: &mut Scenario) {
        if let Some(n) = self.samples {
            s.measure.samples = n;
        }
        if let Some(n) = self.warmup {
            s.measure.warmup = n;
        }
        if let Some(m) = &self.modes {
            s.measure.modes.clone_from(m);
        }
        if let Some(t) = self.timeout_secs {
            s.measure.timeout_secs = t;
        }
        if let Some(i) = self.instructions {
            s.measure.instructions = i;
        }
    }
}
