//! How a case ended: `ok`, `unsupported`, `error` or `incomplete`. A word of the results
//! that every stage from `measure` (which decides it) to `compare` (which gates on it)
//! speaks, so it lives below all of them.

use serde::{Deserialize, Serialize};

/// How a case ended.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Measured.
    Ok,
    /// zipimport cannot read this compression method; the error says what Python said.
    Unsupported,
    /// Something else went wrong; the error says what.
    Error,
    /// The run was stopped before this case had all its samples; `run --resume`
    /// finishes it.
    Incomplete,
}

impl Status {
    /// The name results use (`ok`, `unsupported`, `error`, `incomplete`).
    pub fn name(self) -> &'static str {
        self.into()
    }
}
