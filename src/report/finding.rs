//! A finding: one sentence for people, derived from the numbers of a run.

use serde::Serialize;

/// One finding.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    /// Scenario it is about.
    pub scenario: String,
    /// `bad` (costly or broken), `good` (a cheap option) or `info`.
    pub tone: &'static str,
    /// The sentence.
    pub text: String,
}
