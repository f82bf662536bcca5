//! The report model, built once per results file by [`RunReport::build`]: the tables
//! ([`super::model`]), and on them the findings, the verdict, the sweep fits and the
//! cross-Python and lazy-imports tables. Every output (the terminal, `summary.md`,
//! `report.html`) renders a `RunReport`, so a sentence and the table beside it quote
//! the same estimate (criterion's `analysis` module and rebar's `grouped` are the
//! models).

use std::cell::Cell;

use super::finding::Finding;
use super::lazy::LazyReport;
use super::model::{CaseIndex, ScenarioReport};
use super::pythons::PythonTable;
use super::sweep::Fit;
use super::verdict::Verdict;
use crate::results::Results;

/// A results file, analysed once for every output.
#[derive(Debug)]
pub struct RunReport<'a> {
    /// The results.
    pub results: &'a Results,
    /// Its cases by key.
    pub index: &'a CaseIndex<'a>,
    /// Every scenario, in file order.
    pub scenarios: Vec<ScenarioReport<'a>>,
    /// Every sweep's fits.
    pub fits: Vec<Fit>,
    /// Every finding, scenario by scenario.
    pub findings: Vec<Finding>,
    /// The verdicts.
    pub verdicts: Vec<Verdict>,
    /// Scenarios measured under several Pythons, side by side.
    pub pythons: Vec<PythonTable>,
    /// Lazy imports, normal against all.
    pub lazy: LazyReport,
}

thread_local! {
    static BUILDS: Cell<usize> = const { Cell::new(0) };
}

/// How many report models this thread has built: the tests check that an output
/// command analyses its results once.
pub fn builds() -> usize {
    BUILDS.with(Cell::get)
}

impl<'a> RunReport<'a> {
    /// Analyses `results` (whose cases `index` holds).
    pub fn build(results: &'a Results, index: &'a CaseIndex<'a>) -> Self {
        BUILDS.with(|b| b.set(b.get() + 1));
        let scenarios = super::model::scenarios(results, index);
        let fits = super::sweep::fits(results, index);
        let findings = super::findings::findings(results, &scenarios);
        let verdicts = super::verdict::verdicts(&scenarios, &findings, &fits);
        let pythons = super::pythons::python_tables(results, &scenarios);
        let lazy = super::lazy::lazy_report(results, &scenarios);
        RunReport {
            results,
            index,
            scenarios,
            fits,
            findings,
            verdicts,
            pythons,
            lazy,
        }
    }

    /// The scenario named `name`.
    pub fn scenario(&self, name: &str) -> Option<&ScenarioReport<'a>> {
        self.scenarios.iter().find(|s| s.info.name == name)
    }
}
