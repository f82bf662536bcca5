//! Results: measured cases become [`CaseResult`]s with summaries, ratios and warnings,
//! written atomically as `results.json`.

pub mod fleet;
pub mod hot_update;
mod index;
pub mod journal;
pub mod limits;
mod merge;
mod metadata;
mod relative;
mod schema;

pub use crate::stats::Summary;
pub use fleet::{FleetCase, FleetSummary, fleet_cases};
pub use hot_update::{HotUpdateCase, HotUpdateSummary, hot_update_cases};
pub use index::{CaseIndex, CaseKey};
pub use merge::merge;
pub use metadata::{harness, host};
pub use relative::{Relative, between};
pub use schema::{
    CaseResult, Floor, FocusInfo, HarnessInfo, HostInfo, INSTRUCTION_SPREAD_LIMIT, Instructions,
    PairedRatio, Results, RunMetadata, SCHEMA_VERSION, ScenarioInfo, ShardRun,
};

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::measure::CaseOutcome;
use crate::package::Artifact;
use crate::scenario::{Bytecode, Layout, Mode, Variant};
use crate::status::Status;

/// Turns one scenario's measured cases into results, with ratios to `reference`.
pub fn cases(
    scenario: &str,
    reference: Variant,
    outcomes: Vec<CaseOutcome>,
    artifacts: &[Artifact],
) -> Vec<CaseResult> {
    let mut out: Vec<CaseResult> = outcomes
        .into_iter()
        .map(|o| {
            let artifact = artifacts
                .iter()
                .find(|a| a.variant == o.variant)
                .expect("every outcome has an artifact");
            let wall: Vec<u64> = o.samples.iter().map(|s| s.wall_ns).collect();
            let cpu: Vec<u64> = o.samples.iter().map(|s| s.cpu_ns).collect();
            let rounds: Vec<u32> = o.samples.iter().map(|s| s.round).collect();
            let slots: Vec<u32> = o.samples.iter().map(|s| s.slot).collect();
            let starts: Vec<u64> = o.samples.iter().map(|s| s.started_us).collect();
            let speeds: Vec<[u64; 2]> = o.samples.iter().filter_map(|s| s.speed_ns).collect();
            // All or nothing: a speed reading per sample, or none.
            let speeds = if speeds.len() == o.samples.len() {
                speeds
            } else {
                Vec::new()
            };
            let user: Vec<u64> = o.samples.iter().map(|s| s.user_ns).collect();
            let sys: Vec<u64> = o.samples.iter().map(|s| s.sys_ns).collect();
            let startup: Vec<u64> = o.samples.iter().filter_map(|s| s.startup_ns).collect();
            let resident: Vec<f64> = o.samples.iter().filter_map(|s| s.resident).collect();
            let overhead: Vec<u64> = o.samples.iter().filter_map(|s| s.overhead_ns).collect();
            let mut warnings = warnings(&o);
            let worst = resident.iter().copied().fold(0.0, f64::max);
            if worst > RESIDENT_LIMIT {
                warnings.push(format!(
                    "page-cache eviction did not take: up to {:.0}% of the artifact was resident \
                     before a sample (a filesystem such as tmpfs keeps its pages); these are \
                     not cold-disk numbers",
                    worst * 100.0
                ));
            }
            let instructions = o.instructions.clone().map(instructions);
            if let Some(i) = instructions.as_ref().filter(|i| i.unstable) {
                warnings.push(format!(
                    "instruction counts vary by {:.2}% between samples (more than {}%)",
                    i.spread.unwrap_or(0.0) * 100.0,
                    INSTRUCTION_SPREAD_LIMIT * 100.0
                ));
            }
            CaseResult {
                scenario: scenario.to_owned(),
                variant: o.variant,
                mode: o.mode,
                status: o.status,
                error: o.error,
                summary: Summary::of(&wall),
                samples_ns: wall,
                sample_rounds: rounds,
                sample_slots: slots,
                sample_starts_us: if starts.iter().all(|&t| t > 0) {
                    starts
                } else {
                    Vec::new()
                },
                speed_ns: speeds,
                nearest_reference: Vec::new(),
                slow_above_ns: o.stop_boundary.flatten(),
                states_pinned: o.stop_boundary.is_some(),
                cpu_samples_ns: cpu,
                user_samples_ns: user,
                sys_samples_ns: sys,
                startup: Summary::of(&startup),
                startup_ns: startup,
                overhead_ns: overhead,
                resident_fractions: resident,
                ratio_to_reference: None,
                paired_ratio: None,
                floor: None,
                stopped: o.stopped,
                artifact: artifact.info.clone(),
                probe: o.probe,
                warnings,
                instructions,
                sweep: None,
                python: None,
                lazy_imports: None,
                shard: None,
            }
        })
        .collect();
    set_ratios(&mut out, reference);
    out
}

/// Sets every case's ratios to the `reference` variant in the same mode (the cases of
/// one scenario), by the run's estimator ([`CaseIndex::relative`] is the gate's), and which reference
/// sample each of its samples was nearest to.
pub(crate) fn set_ratios(out: &mut [CaseResult], reference: Variant) {
    // Each shard's machine has states of its own; the cases of one run share its.
    let mut shards: Vec<Option<(u32, u32)>> = out.iter().map(|c| c.shard).collect();
    shards.dedup();
    for shard in shards {
        let of_shard: Vec<CaseResult> = out.iter().filter(|c| c.shard == shard).cloned().collect();
        let boundary = machine_states(&of_shard).and_then(|m| m.slow_above_ns);
        for c in out
            .iter_mut()
            .filter(|c| c.shard == shard && !c.states_pinned)
        {
            c.slow_above_ns = boundary;
        }
    }
    let references = of_variant(out, reference);
    for i in 0..out.len() {
        let slow_above = out[i].slow_above_ns;
        out[i].ratio_to_reference = None;
        out[i].paired_ratio = None;
        out[i].nearest_reference = Vec::new();
        let reference_at = references.get(&out[i].mode).copied();
        let reference_instructions = reference_at
            .and_then(|j| out[j].instructions.as_ref())
            .and_then(|x| x.median);
        if let (Some(r), Some(x)) = (reference_instructions, out[i].instructions.as_mut()) {
            x.ratio_to_reference = x.median.map(|m| m / r);
        }
        let reference_case = reference_at
            .map(|j| &out[j])
            .filter(|c| c.status == Status::Ok);
        let Some(r) = reference_case.filter(|_| out[i].status == Status::Ok) else {
            continue;
        };
        if r.variant == out[i].variant {
            // The reference against itself: exactly 1, with no interval to give.
            out[i].ratio_to_reference = Some(1.0);
            continue;
        }
        let estimate = relative::estimate(&out[i], r, slow_above);
        let nearest = if r.shard == out[i].shard {
            relative::nearest_reference(&out[i], r)
        } else {
            Vec::new()
        };
        out[i].ratio_to_reference = estimate.as_ref().map(|(e, _, _)| e.ratio);
        out[i].paired_ratio = estimate.map(|(e, estimator, _)| PairedRatio::of(estimator, &e));
        out[i].nearest_reference = nearest;
    }
    set_floor(out);
}

/// Where the case of `variant` is among `cases` (one scenario's), per mode.
fn of_variant(cases: &[CaseResult], variant: Variant) -> HashMap<Mode, usize> {
    let mut at = HashMap::new();
    for (i, c) in cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.variant == variant)
    {
        at.entry(c.mode).or_insert(i);
    }
    at
}

/// What the machine did while `cases` (one scenario's) were measured: the speed
/// probe's readings of every sample, in time order, sorted into one or two states.
pub fn machine_states(cases: &[CaseResult]) -> Option<crate::stats::MachineStates> {
    let mut readings: Vec<(f64, f64)> = cases
        .iter()
        .flat_map(|c| c.observations())
        .filter_map(|o| o.speed.map(|s| (o.at, s)))
        .collect();
    readings.sort_by(|a, b| a.0.total_cmp(&b.0));
    let speeds: Vec<f64> = readings.into_iter().map(|(_, s)| s).collect();
    crate::stats::machine_states(&speeds)
}

/// Sets every measured case's distance to the floor (variant `memory`, same mode).
fn set_floor(out: &mut [CaseResult]) {
    let floors = of_variant(out, Variant::MEMORY);
    for i in 0..out.len() {
        out[i].floor = None;
        if out[i].variant == Variant::MEMORY {
            continue;
        }
        let Some(f) = floors
            .get(&out[i].mode)
            .map(|&j| &out[j])
            .filter(|c| c.status == Status::Ok)
        else {
            continue;
        };
        let c = &out[i];
        let (Some(fs), Some(cs)) = (&f.summary, &c.summary) else {
            continue;
        };
        if c.status != Status::Ok || fs.median <= 0.0 {
            continue;
        }
        let ratio = relative::estimate(c, f, c.slow_above_ns)
            .map_or(cs.median / fs.median, |(e, _, _)| e.ratio);
        let median_of = |x: &CaseResult| x.instructions.as_ref().and_then(|i| i.median);
        let instructions_ratio = match (median_of(c), median_of(f)) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        out[i].floor = Some(Floor {
            ratio,
            extra_ns: cs.median - fs.median,
            instructions_ratio,
        });
    }
}

/// Resident fraction above which a cold-disk sample does not count as cold.
pub(crate) const RESIDENT_LIMIT: f64 = 0.01;

/// Summarises raw instruction counts.
fn instructions(c: crate::measure::InstructionCounts) -> Instructions {
    let summary = Summary::of(&c.samples);
    let median = summary.as_ref().map(|s| s.median);
    let spread = summary
        .as_ref()
        .filter(|s| s.median > 0.0)
        .map(|s| (s.max - s.min) / s.median);
    Instructions {
        tool: c.tool,
        samples: c.samples,
        median,
        spread,
        unstable: spread.is_some_and(|s| s > INSTRUCTION_SPREAD_LIMIT),
        ratio_to_reference: None,
        skipped: c.skipped,
        error: c.error,
    }
}

/// What a reader must know about a case that its numbers alone do not say.
fn warnings(o: &CaseOutcome) -> Vec<String> {
    let mut w = Vec::new();
    if let Some(p) = &o.probe {
        let compiles = p.first.get("compiles").copied().unwrap_or(0);
        if o.variant.bytecode == Bytecode::Shipped && compiles > 0 {
            w.push(format!(
                "the archive as shipped compiles its sources on every start ({compiles} \
                 compilations for {} modules): it carries no bytecode zipimport can use \
                 (none, in __pycache__, stale timestamps, or another Python's); \
                 `zipimport-bench doctor` says which, and `doctor --fix` repairs it",
                p.modules
            ));
        } else if o.variant.bytecode.has_bytecode() && compiles > 0 {
            let why = match (o.variant.layout, o.variant.bytecode) {
                (Layout::Zip, Bytecode::Pycache) => {
                    "the pyc files are in __pycache__, where zipimport never looks"
                }
                (_, Bytecode::PycStale) => {
                    "the pyc timestamps do not match the sources' (stale bytecode)"
                }
                _ => "stale timestamps, or pyc files where the importer does not look",
            };
            w.push(format!(
                "bytecode present but not used: {compiles} compilations for {} modules \
                 ({why})",
                p.modules
            ));
        }
    }
    w
}

/// Writes `results` to `path` atomically, so a reader never sees a half-written file.
pub fn write(results: &Results, path: &Path) -> Result<()> {
    let json = serde_json::to_vec_pretty(results).context("encoding results")?;
    write_atomic(path, &json)
}

/// Writes a file atomically: a temporary file in the same directory, then a rename.
/// The file gets the usual 0644 mode (temporary files are created 0600, which would
/// hide results from other users of a CI artifact).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes)
        .with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .with_context(|| format!("setting the permissions of {}", tmp.path().display()))?;
    tmp.persist(path)
        .with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// Reads a results file, refusing other schema versions, files larger than any run
/// writes ([`limits`]) and cases that contradict themselves, each with a message naming
/// the file and the field.
pub fn read(path: &Path) -> Result<Results> {
    limits::check_size(path)?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    limits::check_value(path, &value)?;
    match value.get("schema_version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => bail!(
            "{} has schema_version {v}; this zipimport-bench reads version {SCHEMA_VERSION}",
            path.display()
        ),
        None => bail!(
            "{} is not a zipimport-bench results file (no schema_version)",
            path.display()
        ),
    }
    let results: Results = serde_json::from_value(value)
        .with_context(|| format!("{} does not match the results format", path.display()))?;
    limits::check_results(path, &results)?;
    Ok(results)
}
