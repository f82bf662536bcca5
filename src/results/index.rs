//! Cases by key, indexed once: every lookup of a case by scenario, variant and mode
//! (the reports, compare, merge) goes through a map here instead of a scan of every
//! case.

use std::collections::HashMap;

use super::{CaseResult, Results};
use crate::scenario::{Mode, Variant};
use crate::status::Status;

/// What identifies a per-sample case within a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaseKey<'a> {
    /// Scenario (instance) name.
    pub scenario: &'a str,
    /// Variant.
    pub variant: Variant,
    /// Mode.
    pub mode: Mode,
}

impl<'a> CaseKey<'a> {
    /// The key of `c`.
    pub fn of(c: &'a CaseResult) -> Self {
        CaseKey {
            scenario: &c.scenario,
            variant: c.variant,
            mode: c.mode,
        }
    }
}

/// Every case of a run by key, each scenario's cases in file order, and each
/// scenario's reference variant.
#[derive(Debug, Default)]
pub struct CaseIndex<'a> {
    by_key: HashMap<CaseKey<'a>, &'a CaseResult>,
    by_scenario: HashMap<&'a str, Vec<&'a CaseResult>>,
    references: HashMap<&'a str, Variant>,
}

impl<'a> CaseIndex<'a> {
    /// Indexes the cases of `results` (the first of duplicate keys wins).
    pub fn new(results: &'a Results) -> Self {
        let mut index = CaseIndex::default();
        for c in &results.cases {
            index.by_key.entry(CaseKey::of(c)).or_insert(c);
            index.by_scenario.entry(&c.scenario).or_default().push(c);
        }
        for s in &results.scenarios {
            index.references.entry(&s.name).or_insert(s.reference);
        }
        index
    }

    /// The case of `variant` in `scenario` and `mode`.
    pub fn get(&self, scenario: &str, variant: Variant, mode: Mode) -> Option<&'a CaseResult> {
        self.by_key
            .get(&CaseKey {
                scenario,
                variant,
                mode,
            })
            .copied()
    }

    /// The case, when it was measured (`ok`, with a summary).
    pub fn ok(&self, scenario: &str, variant: Variant, mode: Mode) -> Option<&'a CaseResult> {
        self.get(scenario, variant, mode)
            .filter(|c| c.status == Status::Ok && c.summary.is_some())
    }

    /// The case with `c`'s key.
    pub fn like(&self, c: &CaseResult) -> Option<&'a CaseResult> {
        self.by_key.get(&CaseKey::of(c)).copied()
    }

    /// The reference variant's case in `c`'s scenario and mode, when it was measured.
    pub fn reference_of(&self, c: &CaseResult) -> Option<&'a CaseResult> {
        let reference = *self.references.get(c.scenario.as_str())?;
        self.get(&c.scenario, reference, c.mode)
            .filter(|x| x.status == Status::Ok && !x.samples_ns.is_empty())
    }

    /// Every case of `scenario`, in file order.
    pub fn of_scenario(&self, scenario: &str) -> &[&'a CaseResult] {
        self.by_scenario.get(scenario).map_or(&[], Vec::as_slice)
    }
}
