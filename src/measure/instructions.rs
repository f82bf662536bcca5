//! The instruction-count pass: after the timed rounds, every measured cold case runs
//! again under callgrind (see `callgrind.rs`).

use std::path::Path;

use anyhow::Result;

use super::callgrind::{self, InstructionCounts};
use super::process::WorkerError;
use super::{CaseOutcome, Imports, MeasureOptions, write_job};
use crate::package::Artifact;
use crate::scenario::Mode;
use crate::status::Status;

/// Counts the instructions of every measured cold case `n` times, one worker under
/// callgrind at a time. Returns whether the run was stopped meanwhile.
pub(crate) fn count_instructions(
    cases: &mut [CaseOutcome],
    artifacts: &[Artifact],
    workload: &Imports,
    opts: &MeasureOptions,
    n: u32,
    jobs_dir: &Path,
) -> Result<bool> {
    let targets: Vec<usize> = (0..cases.len())
        .filter(|&i| cases[i].mode == Mode::Cold && cases[i].status == Status::Ok)
        .collect();
    let cg = match callgrind::detect() {
        Ok(cg) => cg,
        Err(why) => {
            crate::note!("instruction counts skipped: {why}");
            for &i in &targets {
                cases[i].instructions = Some(InstructionCounts {
                    skipped: Some(why.clone()),
                    ..InstructionCounts::default()
                });
            }
            return Ok(false);
        }
    };
    crate::note!(
        "counting instructions: {} cold cases x {n} under {} (tens of times slower than native)",
        targets.len(),
        cg.tool()
    );
    for &i in &targets {
        let variant = cases[i].variant;
        let a = artifacts
            .iter()
            .find(|a| a.variant == variant)
            .expect("every case has an artifact");
        let job = write_job(jobs_dir, a, workload, false)?;
        let id = variant.id();
        let mut counts = InstructionCounts {
            tool: cg.tool(),
            ..InstructionCounts::default()
        };
        for k in 0..n {
            let out_file = jobs_dir.join(format!("{id}.callgrind.{k}"));
            let stderr = jobs_dir.join(format!("{id}-callgrind.stderr"));
            match cg.count(&opts.worker, &job, &out_file, &stderr) {
                Ok(c) => counts.samples.push(c),
                Err(WorkerError::Interrupted) => {
                    cases[i].instructions = Some(counts);
                    return Ok(true);
                }
                Err(WorkerError::Failed(e)) => {
                    counts.error = Some(e);
                    break;
                }
            }
        }
        cases[i].instructions = Some(counts);
    }
    Ok(false)
}
