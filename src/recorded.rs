//! Recorded runs behind the documentation (rebar's `record/` habit): every figure
//! README.md and METHODOLOGY.md quote is rendered from a results file committed under
//! `reports/recorded/<date>-<name>/`, beside the command that made it (`command.txt`),
//! and the machine it ran on (the file's own metadata).
//!
//! A figure sits between two markers in the Markdown, on one line or around a block:
//!
//! ```text
//! <!-- recorded 2026-12-07-default ratio default cold zip-stored-pyc -->1.16x (95% interval 1.08-1.26)<!-- /recorded -->
//! ```
//!
//! `cargo run --example docs` rewrites every marked figure from its recorded file;
//! `tests/it/docs.rs` fails when a figure in a document differs from what its file gives,
//! when a recorded run's scenario file no longer matches the one under `scenarios/`
//! (re-record, then let the docs follow; a run kept as the "before" of a change keeps
//! the scenario file it ran beside it, `RUN/scenarios/NAME.toml`, and is checked
//! against that), and when a ratio (`1.23x`) is quoted outside
//! every marked figure of its document.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use crate::report::{CaseIndex, RunReport, phrase};
use crate::results::Results;
use crate::scenario::Mode;

/// Where recorded runs live, relative to the repository.
pub const RECORDED: &str = "reports/recorded";

const OPEN: &str = "<!-- recorded ";
const CLOSE: &str = "<!-- /recorded -->";

/// One marked figure of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// 1-based line of its opening marker.
    pub line: usize,
    /// The recorded run (a folder under [`RECORDED`]).
    pub run: String,
    /// What to render from it, and its arguments.
    pub what: Vec<String>,
    /// Byte range of the figure between the markers.
    pub figure: std::ops::Range<usize>,
}

/// Every marked figure of `text`, in order.
pub fn marks(text: &str) -> Result<Vec<Mark>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find(OPEN) {
        let start = at + found;
        let line = text[..start].matches('\n').count() + 1;
        let head_end = text[start..]
            .find("-->")
            .map(|e| start + e)
            .ok_or_else(|| anyhow!("line {line}: a recorded marker without its `-->`"))?;
        let words: Vec<String> = text[start + OPEN.len()..head_end]
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let (run, what) = words
            .split_first()
            .ok_or_else(|| anyhow!("line {line}: a recorded marker names no run"))?;
        if what.is_empty() {
            bail!("line {line}: the recorded marker of {run} says nothing to render");
        }
        let body = head_end + 3;
        let close = text[body..]
            .find(CLOSE)
            .map(|e| body + e)
            .ok_or_else(|| anyhow!("line {line}: a recorded figure without `{CLOSE}`"))?;
        if text[body..close].contains(OPEN) {
            bail!("line {line}: a recorded figure inside another");
        }
        out.push(Mark {
            line,
            run: run.clone(),
            what: what.to_vec(),
            figure: body..close,
        });
        at = close + CLOSE.len();
    }
    Ok(out)
}

/// The recorded runs one rendering pass reads, each once.
#[derive(Default)]
pub struct Runs {
    root: PathBuf,
    results: BTreeMap<String, Results>,
    calibrations: BTreeMap<String, crate::calibrate::Calibration>,
}

impl Runs {
    /// Recorded runs under `root` (the repository).
    pub fn new(root: &Path) -> Self {
        Runs {
            root: root.to_owned(),
            ..Runs::default()
        }
    }

    /// The folder of recorded run `run`.
    pub fn dir(&self, run: &str) -> PathBuf {
        self.root.join(RECORDED).join(run)
    }

    /// The results file of recorded run `run`.
    pub fn results(&mut self, run: &str) -> Result<&Results> {
        if !self.results.contains_key(run) {
            let r = crate::results::read(&self.dir(run).join("results.json"))?;
            self.results.insert(run.to_owned(), r);
        }
        Ok(&self.results[run])
    }

    fn calibration(&mut self, run: &str) -> Result<&crate::calibrate::Calibration> {
        if !self.calibrations.contains_key(run) {
            let path = self.dir(run).join("calibration.json");
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let c = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a calibration", path.display()))?;
            self.calibrations.insert(run.to_owned(), c);
        }
        Ok(&self.calibrations[run])
    }

    /// The figure `what` of recorded run `run`.
    pub fn render(&mut self, run: &str, what: &[String]) -> Result<String> {
        let arg = |i: usize| -> Result<&str> {
            what.get(i)
                .map(String::as_str)
                .ok_or_else(|| anyhow!("`{}` needs more arguments", what.join(" ")))
        };
        match arg(0)? {
            // `line FILE WORDS...`: the line of the run's text file FILE (the output of
            // a script, as `command.txt` says) that starts with WORDS, verbatim.
            "line" => {
                let path = self.dir(run).join(arg(1)?);
                let start = what[2..].join(" ");
                if start.is_empty() {
                    bail!("`line {}` needs the words its line starts with", arg(1)?);
                }
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let line = text
                    .lines()
                    .find(|l| l.starts_with(&start))
                    .ok_or_else(|| anyhow!("{} has no line starting {start:?}", path.display()))?;
                Ok(line.to_owned())
            }
            "calibration" => Ok(crate::calibrate::render_gate_markdown(
                self.calibration(run)?,
            )),
            "estimators" => Ok(crate::calibrate::render_estimators_markdown(
                &self.calibration(run)?.estimators,
            )),
            "rate" => {
                let method = arg(1)?;
                let cal = self.calibration(run)?;
                let f = cal
                    .false_alarms
                    .iter()
                    .find(|f| f.method.name() == method)
                    .ok_or_else(|| anyhow!("{run} has no method {method}"))?;
                Ok(crate::calibrate::rate_text(&f.any))
            }
            "power" => {
                let (method, level) = (arg(1)?, arg(2)?);
                let level: f64 = level
                    .trim_end_matches('%')
                    .parse::<f64>()
                    .map_err(|e| anyhow!("{level}: {e}"))?
                    / 100.0;
                crate::calibrate::power_range(self.calibration(run)?, method, level)
                    .ok_or_else(|| anyhow!("{run} has no power for {method} at {level}"))
            }
            _ => {
                let r = self.results(run)?;
                render_results(r, what)
            }
        }
    }
}

fn mode(text: &str) -> Result<Mode> {
    Mode::parse(text).map_err(|e| anyhow!(e))
}

/// A figure rendered from one results file.
fn render_results(r: &Results, what: &[String]) -> Result<String> {
    let index = CaseIndex::new(r);
    let report = RunReport::build(r, &index);
    let arg = |i: usize| -> Result<&str> {
        what.get(i)
            .map(String::as_str)
            .ok_or_else(|| anyhow!("`{}` needs more arguments", what.join(" ")))
    };
    let table = |scenario: &str, m: &str| -> Result<_> {
        let s = report
            .scenario(scenario)
            .ok_or_else(|| anyhow!("no scenario {scenario}"))?;
        let t = s
            .table(mode(m)?)
            .ok_or_else(|| anyhow!("{scenario} has no {m} table"))?;
        Ok((s, t))
    };
    let fenced = |text: &str| format!("```\n{}\n```", text.trim_matches('\n'));
    match arg(0)? {
        "table" => {
            let (s, t) = table(arg(1)?, arg(2)?)?;
            let mut out = format!(
                "{} / {}: {}\n",
                s.info.name,
                t.mode,
                crate::report::headline::heading(s, t)
            );
            out.push_str(&crate::report::headline::table(t, s.info.samples).text());
            Ok(fenced(&out))
        }
        "verdict" => Ok(fenced(&crate::report::render(r)?.verdict)),
        "fleet" => Ok(fenced(&crate::report::fleet::text(r, arg(1)?))),
        "hot-update" => Ok(fenced(&crate::report::hot_update::text(r, arg(1)?))),
        "ratio" => {
            let (_, t) = table(arg(1)?, arg(2)?)?;
            let v = arg(3)?;
            let row = t.ok(v).ok_or_else(|| anyhow!("no measured {v}"))?;
            Ok(phrase::ratio_words(
                &row.ratio.expect("measured rows have a ratio"),
            ))
        }
        "between" => {
            let (_, t) = table(arg(1)?, arg(2)?)?;
            let (a, b) = (arg(3)?, arg(4)?);
            let q = t
                .between(a, b)
                .ok_or_else(|| anyhow!("{a} and {b} are not both measured"))?;
            Ok(phrase::ratio_words(&q))
        }
        "median" => {
            let (_, t) = table(arg(1)?, arg(2)?)?;
            let v = arg(3)?;
            let row = t.ok(v).ok_or_else(|| anyhow!("no measured {v}"))?;
            Ok(crate::format::format_duration_ns(row.median()))
        }
        "duration" => Ok(format!("{:.0} s", r.metadata.duration_s)),
        "overhead" | "startup" => {
            let (_, t) = table(arg(1)?, arg(2)?)?;
            let ns = if arg(0)? == "overhead" {
                t.overhead_ns
            } else {
                t.startup_ns
            };
            Ok(crate::format::format_duration_ns(ns.ok_or_else(|| {
                anyhow!("{} has no {}", t.mode, arg(0).unwrap_or(""))
            })?))
        }
        "pythons" => {
            let mut out = String::new();
            for t in &report.pythons {
                out.push_str(&crate::report::pythons::markdown_table(t));
            }
            Ok(out)
        }
        "fits" => Ok(fenced(&crate::report::sweep::sweep_text(&report.fits))),
        "lazy" => Ok(crate::report::lazy::lazy_markdown(&report.lazy)),
        other => bail!("unknown recorded figure `{other}`"),
    }
}

/// Where the costs `doctor` quotes live (see [`crate::doctor::rules::Costs`]).
pub const COSTS: &str = "src/doctor/costs.json";

/// The recorded runs the costs come from.
const COST_RUNS: (&str, &str, &str) = (
    "2026-12-07-default",
    "2026-12-03-stdlib",
    "2026-12-03-scaling",
);

/// The costs `doctor` quotes, from the recorded runs: every ratio with its interval.
pub fn doctor_costs(runs: &mut Runs) -> Result<crate::doctor::rules::Costs> {
    let (default, stdlib, scaling) = COST_RUNS;
    let figure = |runs: &mut Runs, run: &str, what: &str| -> Result<String> {
        let what: Vec<String> = what.split_whitespace().map(str::to_owned).collect();
        runs.render(run, &what)
    };
    let compiling = format!(
        "every start compiles every module: {} the import time of a directory with bytecode \
         on the default tree, {} on the standard library",
        figure(runs, default, "ratio default cold zip-stored-none")?,
        figure(runs, stdlib, "ratio stdlib cold zip-stored-none")?,
    );
    let checked_hash = format!(
        "zipimport also reads and hashes every source: checked-hash pycs take {} the time \
         of unchecked ones (the default tree)",
        figure(
            runs,
            default,
            "between default cold zip-stored-unchecked-hash zip-stored-checked-hash"
        )?,
    );
    let deflate = format!(
        "inflating members takes {} the time of stored ones (zip-deflate6-pyc against \
         zip-stored-pyc, the default tree)",
        figure(
            runs,
            default,
            "between default cold zip-stored-pyc zip-deflate6-pyc"
        )?,
    );
    let r = runs.results(scaling)?;
    let index = CaseIndex::new(r);
    let report = RunReport::build(r, &index);
    let entry_ns = report
        .fits
        .iter()
        .find(|f| {
            f.parameter == crate::scenario::SweepParam::Filler
                && f.variant == "zip-stored-pyc"
                && f.mode == Mode::Cold
        })
        .and_then(|f| f.slope_ns)
        .ok_or_else(|| anyhow!("{scaling} has no fitted filler sweep of zip-stored-pyc"))?;
    Ok(crate::doctor::rules::Costs {
        compiling,
        checked_hash,
        deflate,
        entry_ns,
        source: format!("recorded runs {default}, {stdlib}, {scaling}"),
    })
}

/// `costs.json` as [`doctor_costs`] gives it, pretty-printed.
pub fn costs_file(runs: &mut Runs) -> Result<String> {
    Ok(serde_json::to_string_pretty(&doctor_costs(runs)?)? + "\n")
}

/// `text` with every marked figure rendered afresh from its recorded run.
pub fn regenerate(runs: &mut Runs, text: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in marks(text)? {
        let fresh = runs
            .render(&m.run, &m.what)
            .with_context(|| format!("line {}: {} {}", m.line, m.run, m.what.join(" ")))?;
        out.push_str(&text[at..m.figure.start]);
        let old = &text[m.figure.clone()];
        // A figure on its own lines keeps them: the markers stay on lines of their own.
        if old.starts_with('\n') {
            out.push('\n');
            out.push_str(fresh.trim_end_matches('\n'));
            out.push('\n');
        } else {
            out.push_str(fresh.trim_end_matches('\n'));
        }
        at = m.figure.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// What is wrong with the recorded figures of the document at `path`: each figure that
/// differs from its file, and each ratio quoted outside every marked figure.
pub fn check(runs: &mut Runs, path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let fresh = regenerate(runs, &text)?;
    let mut problems = Vec::new();
    let (old_marks, new_marks) = (marks(&text)?, marks(&fresh)?);
    for (o, n) in old_marks.iter().zip(&new_marks) {
        let (a, b) = (&text[o.figure.clone()], &fresh[n.figure.clone()]);
        if a != b {
            problems.push(format!(
                "{}:{}: {} {} says {:?}, its recorded file gives {:?}",
                path.display(),
                o.line,
                o.run,
                o.what.join(" "),
                a.trim(),
                b.trim()
            ));
        }
    }
    problems.extend(unmarked_ratios(path, &text, &old_marks));
    Ok(problems)
}

/// Ratios (`1.23x`) quoted outside every marked figure of a document, unless the same
/// figure stands inside one of them (a sentence repeating a table's number).
fn unmarked_ratios(path: &Path, text: &str, marks: &[Mark]) -> Vec<String> {
    let inside = |at: usize| marks.iter().any(|m| m.figure.contains(&at));
    let marked: Vec<&str> = marks.iter().map(|m| &text[m.figure.clone()]).collect();
    let mut out = Vec::new();
    for (at, token) in ratio_tokens(text) {
        if inside(at) || marked.iter().any(|m| contains_token(m, token)) {
            continue;
        }
        let line = text[..at].matches('\n').count() + 1;
        out.push(format!(
            "{}:{line}: {token} is quoted without a recorded run behind it",
            path.display()
        ));
    }
    out
}

/// `(offset, token)` of every `N.NNx` in `text`.
fn ratio_tokens(text: &str) -> Vec<(usize, &str)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
        {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let ends_word = i + 1 >= b.len() || !b[i + 1].is_ascii_alphanumeric();
                if i < b.len() && b[i] == b'x' && ends_word {
                    out.push((start, &text[start..=i]));
                }
            }
        }
        i += 1;
    }
    out
}

fn contains_token(haystack: &str, token: &str) -> bool {
    ratio_tokens(haystack).iter().any(|(_, t)| *t == token)
}

/// Recorded runs whose scenario file no longer matches the one under `scenarios/`
/// (or whose folder lacks its command).
pub fn stale_runs(root: &Path) -> Result<Vec<String>> {
    let dir = root.join(RECORDED);
    let mut problems = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    for run in names {
        if !run.join("command.txt").is_file() {
            problems.push(format!("{}: no command.txt", run.display()));
        }
        let files = results_files(&run);
        // A run of the harness, a calibration, or whole-command timings of one
        // (`scripts/time_doctor_fix.py`).
        let other = ["calibration.json", "timings.json"];
        if files.is_empty() && !other.iter().any(|f| run.join(f).is_file()) {
            problems.push(format!("{}: no results.json", run.display()));
        }
        for f in files {
            let r = crate::results::read(&f)?;
            for s in &r.scenarios {
                // A run kept to show what changed (a "before" the docs quote as such)
                // keeps the scenario file it ran beside it, under the same path.
                let kept = run.join(&s.path);
                let file = if kept.is_file() {
                    kept
                } else {
                    root.join(&s.path)
                };
                let Ok(bytes) = std::fs::read(&file) else {
                    continue; // a scenario written for the run (doctor's), not one of ours
                };
                let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
                if sha != s.sha256 {
                    problems.push(format!(
                        "{}: recorded with another {} than {}: record it again",
                        f.display(),
                        s.path,
                        file.display()
                    ));
                }
            }
        }
    }
    problems.dedup();
    Ok(problems)
}

/// The results files of a recorded run: its `results.json` and its runs' (a
/// calibration's `runs/NN/results.json`).
fn results_files(run: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if run.join("results.json").is_file() {
        out.push(run.join("results.json"));
    }
    if let Ok(entries) = std::fs::read_dir(run.join("runs")) {
        let mut runs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path().join("results.json")))
            .filter(|p| p.is_file())
            .collect();
        runs.sort();
        out.extend(runs);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_found_inline_and_around_blocks() {
        let text = "a <!-- recorded r ratio s cold v -->1.20x<!-- /recorded --> b\n\
                    <!-- recorded r table s cold -->\n```\nx\n```\n<!-- /recorded -->\n";
        let m = marks(text).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(&text[m[0].figure.clone()], "1.20x");
        assert_eq!(m[0].what, ["ratio", "s", "cold", "v"]);
        assert_eq!(m[1].line, 2);
        assert!(marks("<!-- recorded r ratio -->1.2x").is_err());
    }

    #[test]
    fn ratios_outside_marks_are_found() {
        let text = "1.25x here, <!-- recorded r x -->1.30x<!-- /recorded -->, and 1.30x again, \
                    v1.5x not, 2x not";
        let m = marks(text).unwrap();
        let found = unmarked_ratios(Path::new("d.md"), text, &m);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("1.25x"));
    }
}
