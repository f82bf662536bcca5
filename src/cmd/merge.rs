//! `merge RESULTS ... --out FILE`: shards' results combined into one file, with its
//! reports and summary table.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use zipimport_bench::{report, results};

/// Merges `files` into `out` and writes the reports beside it.
pub fn merge(files: &[PathBuf], out: &Path) -> Result<ExitCode> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let lock = |dir| zipimport_bench::lock::lock_out_dir_noted(dir, "merge");
    // A folder that exists may be another command's: refused before any work. One
    // that does not is made only once the inputs have merged.
    let early = if dir.is_dir() { Some(lock(dir)?) } else { None };
    let mut inputs = Vec::new();
    for path in files {
        inputs.push((path.clone(), results::read(path)?));
    }
    let (merged, warnings) = results::merge(&inputs)?;
    for w in &warnings {
        zipimport_bench::note!("warning: {w}");
    }
    let _lock = match early {
        Some(held) => held,
        None => lock(dir)?,
    };
    results::write(&merged, out)?;
    let rendered = report::write_reports(&merged, dir)?;
    out!("{}", rendered.tables);
    outln!(
        "\nmerged {} files, {} cases: {}",
        inputs.len(),
        merged.cases.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
