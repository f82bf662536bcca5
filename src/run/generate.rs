//! `zipimport-bench generate`: every variant of a scenario on disk, with a manifest,
//! without measuring.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::package::relative_to;
use crate::python;
use crate::scenario;

/// `manifest.json` of `zipimport-bench generate`.
#[derive(Debug, Serialize)]
pub struct Manifest {
    /// Format version of this manifest.
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Hex sha256 of the scenario file.
    pub scenario_sha256: String,
    /// `sys.implementation.cache_tag` of the interpreter that compiled the bytecode.
    pub python_cache_tag: String,
    /// Modules the workload imports, in order.
    pub workload: Vec<String>,
    /// One entry per variant.
    pub variants: Vec<ManifestVariant>,
}

/// One variant of a [`Manifest`].
#[derive(Debug, Serialize)]
pub struct ManifestVariant {
    /// Variant id.
    pub id: String,
    /// `dir` or `zip`.
    pub layout: scenario::Layout,
    /// Compression method, null for directories.
    pub compression: Option<String>,
    /// Compression level, where the method has one.
    pub level: Option<u8>,
    /// Bytecode mode.
    pub bytecode: scenario::Bytecode,
    /// Directory or `.zip` file, relative to the manifest.
    pub path: PathBuf,
    /// Bytes.
    pub size: u64,
    /// Members or files.
    pub entries: u64,
    /// Hex sha256 (see FORMAT.md for directories).
    pub sha256: String,
}

/// Materialises every variant of a scenario in `out_dir` and writes its manifest.
pub fn generate_command(scenario_path: &Path, out_dir: &Path) -> Result<Manifest> {
    let s = scenario::load(scenario_path)?;
    let _lock = crate::lock::lock_out_dir_noted(out_dir, "generate")?;
    prepare_out_dir(out_dir)?;
    let built = super::build_instance(&s, out_dir, None)?;
    let workload = match &built.corpus {
        None => built.tree.layout.workload_modules(&s.workload),
        Some(c) => c.workload(&s.workload)?,
    };
    let artifacts = built.artifacts;
    let manifest = Manifest {
        schema_version: 1,
        scenario: s.name.clone(),
        scenario_sha256: s.source.sha256.clone(),
        python_cache_tag: python::info()?.cache_tag,
        workload,
        variants: artifacts
            .iter()
            .map(|a| ManifestVariant {
                id: a.variant.id(),
                layout: a.variant.layout,
                compression: a.variant.compression.map(|c| c.method().to_owned()),
                level: a.variant.level(),
                bytecode: a.variant.bytecode,
                path: relative_to(&a.info.path, out_dir),
                size: a.info.size,
                entries: a.info.entries,
                sha256: a.info.sha256.clone(),
            })
            .collect(),
    };
    let path = out_dir.join("manifest.json");
    crate::files::write(&path, serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

/// Makes `dir` an empty directory: creates it, or empties it if it holds an earlier
/// `generate` output (a `manifest.json`); refuses to touch anything else.
fn prepare_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        let entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name() != crate::lock::LOCK_FILE)
            .collect();
        let empty = entries.is_empty();
        if !empty {
            if !dir.join("manifest.json").is_file() {
                bail!(
                    "{} exists and is not empty; give a new or empty directory, or one an \
                     earlier `generate` wrote",
                    dir.display()
                );
            }
            // Everything but the lock this command holds.
            for e in entries {
                let path = e.path();
                let cleared = if path.is_dir() && !path.is_symlink() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                cleared.with_context(|| format!("clearing {}", path.display()))?;
            }
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}
