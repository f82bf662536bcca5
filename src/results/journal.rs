//! The run journal, `OUT/journal.jsonl`: one JSON object per line, appended and flushed
//! as the run goes (the header, each scenario's and artifact's hash, every sample and
//! failure, and an end marker). A run killed at any point leaves every line it had
//! finished; `run --resume OUT` reads them back, checks that the scenario files and the
//! regenerated artifacts are byte-identical to the interrupted run's, and takes only the
//! samples still missing.
//!
//! Lines are flushed to the kernel, not fsynced: they survive the harness being killed,
//! not the machine losing power.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::measure::{CaseRun, SampleValue};
use crate::scenario::{Mode, Overrides};

/// Version of the journal format.
pub const JOURNAL_VERSION: u32 = 2;

/// How a run was started: its scenario files and the options a resumed run must
/// repeat.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunPlan {
    /// Scenario files, as given.
    pub scenarios: Vec<PathBuf>,
    /// Command-line overrides of every scenario's settings.
    #[serde(flatten)]
    pub overrides: Overrides,
    /// `--keep-artifacts`.
    pub keep_artifacts: bool,
    /// `--python`: external interpreters measured beside the embedded one.
    #[serde(default)]
    pub pythons: Vec<PathBuf>,
    /// `--shard K/N`.
    #[serde(default)]
    pub shard: Option<(u32, u32)>,
    /// `--trace`: write each variant's profiled import as trace files.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trace: bool,
    /// `--cpu-quota CPUS`: every worker runs under a CFS quota of that many CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<f64>,
}

/// One line of the journal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Entry {
    /// First line: how the run was started.
    Header {
        /// [`JOURNAL_VERSION`].
        version: u32,
        /// The run's scenarios and options.
        #[serde(flatten)]
        plan: RunPlan,
    },
    /// A scenario file's hash when the run read it.
    Scenario {
        /// Scenario name.
        name: String,
        /// Hex sha256 of the file.
        sha256: String,
    },
    /// An artifact's hash when the run built it.
    Artifact {
        /// Scenario name.
        scenario: String,
        /// Variant id.
        variant: String,
        /// Hex sha256 (see FORMAT.md).
        sha256: String,
    },
    /// A timed sample.
    Sample {
        /// Scenario name.
        scenario: String,
        /// Variant id.
        variant: String,
        /// Mode.
        mode: Mode,
        /// The sample, as the scheduler recorded it.
        #[serde(flatten)]
        sample: SampleValue,
    },
    /// A case that failed (it is not retried on resume).
    Failure {
        /// Scenario name.
        scenario: String,
        /// Variant id.
        variant: String,
        /// Mode.
        mode: Mode,
        /// The error.
        error: String,
    },
    /// The run finished; nothing is left to resume.
    End,
}

/// An open journal, appending.
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Starts a new journal at `path` (replacing any old one) with its header.
    pub fn create(path: &Path, header: &Entry) -> Result<Self> {
        let file = crate::files::create(path)?;
        let mut j = Journal {
            file,
            path: path.to_owned(),
        };
        j.append(header)?;
        Ok(j)
    }

    /// Reopens an existing journal to append to it. A last line cut short by a kill
    /// (which [`read`] ignores) is cut off first, so the next entry starts a line of
    /// its own instead of being glued to the fragment.
    pub fn reopen(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        if complete < bytes.len() {
            file.set_len(complete as u64)
                .with_context(|| format!("cutting the torn last line of {}", path.display()))?;
        }
        Ok(Journal {
            file,
            path: path.to_owned(),
        })
    }

    /// Appends one entry and flushes it.
    pub fn append(&mut self, entry: &Entry) -> Result<()> {
        let mut line = serde_json::to_vec(entry).context("encoding a journal entry")?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .with_context(|| format!("appending to {}", self.path.display()))
    }
}

/// What an interrupted run had done, read back from its journal.
#[derive(Debug, Clone)]
pub struct Recovered {
    /// The header.
    pub header: Entry,
    /// Scenario name to file hash.
    pub scenarios: BTreeMap<String, String>,
    /// (scenario, variant) to artifact hash.
    pub artifacts: BTreeMap<(String, String), String>,
    /// (scenario, variant, mode) to what was measured.
    pub cases: BTreeMap<(String, String, Mode), CaseRun>,
    /// Whether the run had finished.
    pub ended: bool,
}

impl Recovered {
    /// What was measured of one case so far.
    pub fn case(&self, scenario: &str, variant: &str, mode: Mode) -> CaseRun {
        self.cases
            .get(&(scenario.to_owned(), variant.to_owned(), mode))
            .cloned()
            .unwrap_or_default()
    }
}

/// Reads a journal. A last line cut short by a kill is ignored; any other unreadable
/// line is an error naming the line.
pub fn read(path: &Path) -> Result<Recovered> {
    let file = File::open(path).with_context(|| {
        format!(
            "cannot resume: {} does not exist (was the run started with this --out?)",
            path.display()
        )
    })?;
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("reading {}", path.display()))?;
    let mut entries = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<Entry>(line) {
            Ok(e) => entries.push(e),
            Err(_) if i + 1 == lines.len() => {} // torn last line
            Err(e) => bail!("{}:{}: not a journal entry: {e}", path.display(), i + 1),
        }
    }
    let mut it = entries.into_iter();
    let header = match it.next() {
        Some(h @ Entry::Header { version, .. }) if version == JOURNAL_VERSION => h,
        Some(Entry::Header { version, .. }) => {
            bail!(
                "{} has journal version {version}; this zipimport-bench writes {JOURNAL_VERSION}",
                path.display()
            )
        }
        _ => bail!("{} does not start with a journal header", path.display()),
    };
    let mut rec = Recovered {
        header,
        scenarios: BTreeMap::new(),
        artifacts: BTreeMap::new(),
        cases: BTreeMap::new(),
        ended: false,
    };
    for e in it {
        match e {
            Entry::Header { .. } => bail!("{} has a second header", path.display()),
            Entry::Scenario { name, sha256 } => {
                rec.scenarios.insert(name, sha256);
            }
            Entry::Artifact {
                scenario,
                variant,
                sha256,
            } => {
                rec.artifacts.insert((scenario, variant), sha256);
            }
            Entry::Sample {
                scenario,
                variant,
                mode,
                sample,
            } => {
                rec.cases
                    .entry((scenario, variant, mode))
                    .or_default()
                    .samples
                    .push(sample);
            }
            Entry::Failure {
                scenario,
                variant,
                mode,
                error,
            } => {
                rec.cases
                    .entry((scenario, variant, mode))
                    .or_default()
                    .failure = Some(error);
            }
            Entry::End => rec.ended = true,
        }
    }
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_line_keeps_its_flat_form() {
        let header = Entry::Header {
            version: JOURNAL_VERSION,
            plan: RunPlan {
                scenarios: vec!["a.toml".into()],
                overrides: Overrides {
                    samples: Some(9),
                    modes: Some(vec![Mode::Cold]),
                    ..Overrides::default()
                },
                keep_artifacts: true,
                pythons: Vec::new(),
                shard: Some((1, 2)),
                trace: false,
                cpu_quota: None,
            },
        };
        let line = serde_json::to_string(&header).unwrap();
        assert_eq!(
            line,
            "{\"type\":\"header\",\"version\":2,\"scenarios\":[\"a.toml\"],\"samples\":9,\
             \"precision\":null,\"min_samples\":null,\"warmup\":null,\"modes\":[\"cold\"],\"timeout_secs\":null,\"instructions\":null,\
             \"keep_artifacts\":true,\"pythons\":[],\"shard\":[1,2]}"
        );
        assert_eq!(serde_json::from_str::<Entry>(&line).unwrap(), header);
    }

    #[test]
    fn appending_after_a_torn_line_keeps_the_journal_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let header = Entry::Header {
            version: JOURNAL_VERSION,
            plan: RunPlan {
                scenarios: vec!["s.toml".into()],
                ..RunPlan::default()
            },
        };
        Journal::create(&path, &header).unwrap();
        // A kill in the middle of writing a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"type\":\"sample\",\"scen").unwrap();
        drop(f);
        assert!(read(&path).unwrap().cases.is_empty());
        let mut j = Journal::reopen(&path).unwrap();
        j.append(&Entry::Failure {
            scenario: "s".into(),
            variant: "dir-pyc".into(),
            mode: Mode::Cold,
            error: "boom".into(),
        })
        .unwrap();
        j.append(&Entry::End).unwrap();
        let rec = read(&path).unwrap();
        assert!(rec.ended);
        assert_eq!(
            rec.case("s", "dir-pyc", Mode::Cold).failure.as_deref(),
            Some("boom")
        );
    }
}
