//! What differs between the two runs, and which rows may be judged across it.
//!
//! | difference | plain | `--relative` |
//! |---|---|---|
//! | CPU model or core count (any shard's) | wall time and fleet latency not judged | judged, with a warning |
//! | Python patch release (3.11.7 -> 3.11.9) | judged, with a warning | judged, with a warning |
//! | Python minor version or implementation | not judged | not judged |
//! | scenario file (sha256) | not judged | not judged |
//! | valgrind version | instruction counts not judged | instruction counts not judged |
//! | host name, harness version | a note | a note |
//!
//! Instruction counts, memory and hot-update outcomes do not depend on the machine's
//! speed, so another CPU does not stop them being judged.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Metric, Reason};
use crate::results::{HostInfo, Results};

/// Identity of one results file in a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The file as given.
    pub path: String,
    /// When its run started.
    pub started_at: String,
    /// Python version (the embedded interpreter's).
    pub python: String,
    /// CPU model and core count of every machine that measured it (one per shard of a
    /// merged file), joined with ` + `.
    pub cpu: String,
    /// Host names, joined with ` + `.
    pub hostname: String,
    /// Harness version and commit.
    pub harness: String,
}

fn cpus(r: &Results) -> BTreeSet<String> {
    r.metadata.hosts().into_iter().map(cpu).collect()
}

fn cpu(h: &HostInfo) -> String {
    format!("{} x{}", h.cpu_model, h.cores)
}

impl Side {
    /// The identity of `r`, read from `path`.
    pub fn of(path: &str, r: &Results) -> Side {
        let m = &r.metadata;
        let hosts: BTreeSet<&str> = m.hosts().iter().map(|h| h.hostname.as_str()).collect();
        Side {
            path: path.to_owned(),
            started_at: m.started_at.clone(),
            python: format!("{} {}", m.python.implementation, m.python.version_short),
            cpu: cpus(r).into_iter().collect::<Vec<_>>().join(" + "),
            hostname: hosts.into_iter().collect::<Vec<_>>().join(" + "),
            harness: format!(
                "{}{}",
                m.harness.version,
                m.harness
                    .git_commit
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// `(implementation, major.minor, micro)` of the interpreter behind a scenario's rows.
fn python_of(r: &Results, scenario: &str, case_python: Option<&str>) -> (String, String, String) {
    let info = r
        .scenarios
        .iter()
        .find(|s| s.name == scenario)
        .and_then(|s| s.python.as_ref())
        .unwrap_or(&r.metadata.python);
    let version = case_python.unwrap_or(&info.version_short);
    let mut parts = version.splitn(3, '.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next().unwrap_or_default();
    let micro = parts.next().unwrap_or_default();
    (
        info.implementation.clone(),
        format!("{major}.{minor}"),
        micro.to_owned(),
    )
}

/// May a row be judged?
pub(super) enum Gate {
    /// Yes; with these notes for the row.
    Judge(Vec<String>),
    /// No, for this reason.
    Refuse(Reason, String),
}

/// The differences between two runs, and the messages that go with them.
pub(super) struct Environment<'a> {
    baseline: &'a Results,
    candidate: &'a Results,
    relative: bool,
    /// "A vs B" when the sets of CPUs differ.
    cpu_change: Option<String>,
    /// What kept rows from being judged.
    pub blocking: Vec<String>,
    /// What rows were judged across and a reader must weigh.
    pub warnings: Vec<String>,
    /// Worth knowing, changes nothing.
    pub notes: Vec<String>,
}

impl<'a> Environment<'a> {
    /// The differences between `baseline` and `candidate`.
    pub fn of(baseline: &'a Results, candidate: &'a Results, relative: bool) -> Self {
        let (b, c) = (Side::of("", baseline), Side::of("", candidate));
        let mut env = Environment {
            baseline,
            candidate,
            relative,
            cpu_change: (cpus(baseline) != cpus(candidate))
                .then(|| format!("{} vs {}", b.cpu, c.cpu)),
            blocking: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
        };
        if let Some(change) = &env.cpu_change {
            if relative {
                env.warnings.push(format!(
                    "CPU differs ({change}): judged relative to each run's reference, which \
                     cancels a uniformly faster or slower machine, not a change in how the \
                     variants compare on it"
                ));
            } else {
                env.blocking.push(format!(
                    "CPU differs ({change}): wall times and fleet latencies are not judged \
                     across machines; --relative judges each case against its own run's \
                     reference"
                ));
            }
        }
        if b.hostname != c.hostname {
            env.notes.push(format!(
                "host name differs: {} vs {}",
                b.hostname, c.hostname
            ));
        }
        if b.harness != c.harness {
            env.notes
                .push(format!("harness differs: {} vs {}", b.harness, c.harness));
        }
        let mut pythons = BTreeSet::new();
        for bc in &baseline.cases {
            if let Some(cc) = candidate.cases.iter().find(|cc| cc.scenario == bc.scenario) {
                pythons.insert((
                    python_of(baseline, &bc.scenario, bc.python.as_deref()),
                    python_of(candidate, &cc.scenario, cc.python.as_deref()),
                ));
            }
        }
        for s in &baseline.scenarios {
            if candidate.scenarios.iter().any(|x| x.name == s.name) {
                pythons.insert((
                    python_of(baseline, &s.name, None),
                    python_of(candidate, &s.name, None),
                ));
            }
        }
        for ((bi, bm, bu), (ci, cm, cu)) in pythons {
            if bi != ci || bm != cm {
                env.blocking.push(format!(
                    "Python differs: {bi} {bm}.{bu} vs {ci} {cm}.{cu}; rows of another \
                     interpreter are not judged (measure both in one run with --python)"
                ));
            } else if bu != cu {
                env.warnings.push(format!(
                    "Python changed from {bi} {bm}.{bu} to {cm}.{cu}: rows are judged across \
                     the upgrade, so a change may be the interpreter's, not the archive's"
                ));
            }
        }
        for s in &baseline.scenarios {
            if let Some(x) = candidate.scenarios.iter().find(|x| x.name == s.name)
                && x.sha256 != s.sha256
            {
                env.blocking.push(format!(
                    "scenario {} changed (its file's sha256 differs): its rows are not judged",
                    s.name
                ));
            }
        }
        // A machine that switched between speeds: say so for each run, as a reader of
        // a benchmark on an untuned system must be told.
        for (side, r) in [("baseline", baseline), ("candidate", candidate)] {
            for s in &r.scenarios {
                if let Some(m) = s.machine.filter(|m| m.bimodal) {
                    env.warnings.push(format!(
                        "the {side}'s machine switched between two speeds {:.2}x apart during \
                         {} ({:.0}% of its samples slow): each run's ratios pair samples of \
                         the same state, and plain times mix both states",
                        m.ratio(),
                        s.name,
                        m.slow_share * 100.0
                    ));
                }
            }
        }
        env.blocking.dedup();
        env.warnings.dedup();
        env
    }

    fn scenario_changed(&self, name: &str) -> bool {
        let find = |r: &Results| {
            r.scenarios
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.sha256.clone())
        };
        matches!((find(self.baseline), find(self.candidate)), (Some(x), Some(y)) if x != y)
    }

    /// May a row of `metric` in `scenario` be judged, given the interpreters that ran
    /// each side (`major.minor.micro`, when the case records it)?
    pub fn gate(
        &self,
        metric: Metric,
        scenario: &str,
        pythons: (Option<&str>, Option<&str>),
    ) -> Gate {
        if self.scenario_changed(scenario) {
            return Gate::Refuse(
                Reason::ScenarioChanged,
                "the scenario file changed (sha256 differs)".into(),
            );
        }
        let (bi, bm, bu) = python_of(self.baseline, scenario, pythons.0);
        let (ci, cm, cu) = python_of(self.candidate, scenario, pythons.1);
        if bi != ci || bm != cm {
            return Gate::Refuse(
                Reason::Environment,
                format!("Python differs: {bi} {bm}.{bu} vs {ci} {cm}.{cu}"),
            );
        }
        let mut notes = Vec::new();
        if bu != cu {
            notes.push(format!("Python {bm}.{bu} -> {cm}.{cu}"));
        }
        if let Some(change) = &self.cpu_change {
            let speed = matches!(metric, Metric::Wall | Metric::FleetP95);
            if speed && !self.relative {
                return Gate::Refuse(Reason::Environment, format!("CPU differs: {change}"));
            }
            notes.push(if metric == Metric::Instructions {
                "another CPU: libc may pick other routines, counts can move slightly".into()
            } else {
                "another CPU".into()
            });
        }
        Gate::Judge(notes)
    }
}
