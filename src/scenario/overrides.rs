//! Command-line overrides of every scenario's measurement settings (`run --samples`,
//! `--precision`, `--min-samples`, `--warmup`, `--modes`, `--timeout`, `--measure`). One struct from the command line
//! to the scenarios, recorded as it is in the run's journal so `run --resume` applies
//! the same.

use serde::{Deserialize, Serialize};

use super::{LIMITS, Mode, Scenario};

/// What the command line sets for every scenario; `None` keeps the file's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    /// `--samples`: timed samples per case (the most, with a precision).
    pub samples: Option<u32>,
    /// `--precision`: percent, or 0 for `--precision off` (every case takes `samples`).
    #[serde(default)]
    pub precision: Option<f64>,
    /// `--min-samples`: samples before a precision may stop a case.
    #[serde(default)]
    pub min_samples: Option<u32>,
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
        within("--min-samples", self.min_samples, &LIMITS.min_samples)?;
        within("--warmup", self.warmup, &LIMITS.warmup)?;
        match self.precision {
            Some(p) if p != 0.0 && !LIMITS.precision.contains(&p) => {
                return Err(format!(
                    "--precision: must be a percentage from {} to {} (or `off`), got {p}",
                    LIMITS.precision.start(),
                    LIMITS.precision.end()
                ));
            }
            Some(p) if p == 0.0 && self.min_samples.is_some() => {
                return Err("--min-samples: applies only with a precision, and \
                            --precision is off"
                    .into());
            }
            _ => {}
        }
        within("--timeout", self.timeout_secs, &LIMITS.timeout_secs)?;
        if self.modes.as_ref().is_some_and(Vec::is_empty) {
            return Err("--modes: name at least one mode".into());
        }
        Ok(())
    }

    /// Applies the overrides to a scenario. An override that cannot take effect is an
    /// error naming the flag, as the same setting in the file would be: `--min-samples`
    /// above the samples a case may take, or without a precision to stop at.
    pub fn apply(&self, s: &mut Scenario) -> Result<(), String> {
        if let Some(n) = self.samples {
            s.measure.samples = n;
        }
        if let Some(p) = self.precision {
            s.measure.precision = (p > 0.0).then_some(p);
        }
        if let Some(n) = self.min_samples {
            if s.measure.precision.is_none() {
                return Err(format!(
                    "--min-samples: applies only with a precision, and {} has none (every \
                     case takes `samples`; give --precision too)",
                    s.name
                ));
            }
            if n > s.measure.samples {
                return Err(format!(
                    "--min-samples: must be at most the samples a case of {} may take ({}), \
                     got {n} (raise them with --samples)",
                    s.name, s.measure.samples
                ));
            }
            s.measure.min_samples = n;
        }
        // Fewer samples asked for (`--samples`) lower the minimum with them.
        s.measure.min_samples = s.measure.min_samples.min(s.measure.samples);
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
        Ok(())
    }
}
