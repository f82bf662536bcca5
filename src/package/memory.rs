//! The `memory` layout's artifact: one bundle file holding every module's marshalled
//! code object, which the worker loads into memory before anything is timed and serves
//! through a minimal meta-path finder (`MemoryFinder` in `measure/driver.py`).
//!
//! Format (little-endian): `ZIBMEM1\n`, the module count (u32), then per module in
//! the tree's import order: name length (u16), the dotted name (UTF-8), 1 for a
//! package or 0, code length (u32) and the code as `marshal.dumps` wrote it; then the
//! data file count (u32) and per data file: path length (u16), the `/`-separated path
//! relative to the tree root, length (u32) and the bytes. The finder serves the data
//! files through `get_data`, as an in-memory importer's resource support does (the
//! stdlib's `lib2to3` reads its grammar that way).

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{ArtifactInfo, CompiledTree, sha256_hex};
use crate::generate::SourceTree;

/// The bundle's first bytes.
pub const MAGIC: &[u8; 8] = b"ZIBMEM1\n";

/// Writes the bundle of every compiled module of `tree` to `path`. Modules this
/// Python could not compile are left out (a real corpus may hold some; importing one
/// fails as it would anywhere without its code).
pub(crate) fn write(
    path: &Path,
    tree: &SourceTree,
    compiled: &CompiledTree,
) -> Result<ArtifactInfo> {
    let modules = tree.layout.modules();
    let mut count: u32 = 0;
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[0; 4]);
    for (index, file) in tree.files.iter().enumerate() {
        let Some(m) = file.module else { continue };
        let Some((code, _)) = compiled.code.get(index).and_then(Option::as_ref) else {
            continue;
        };
        let info = &modules[m];
        let Ok(name_len) = u16::try_from(info.name.len()) else {
            bail!("module name {} is too long for a memory bundle", info.name);
        };
        let Ok(code_len) = u32::try_from(code.len()) else {
            bail!("the code of {} is too large for a memory bundle", info.name);
        };
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(info.name.as_bytes());
        out.push(u8::from(info.is_package));
        out.extend_from_slice(&code_len.to_le_bytes());
        out.extend_from_slice(code);
        count += 1;
    }
    out[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&count.to_le_bytes());
    let data: Vec<_> = tree.files.iter().filter(|f| f.module.is_none()).collect();
    let Ok(data_count) = u32::try_from(data.len()) else {
        bail!("too many data files for a memory bundle");
    };
    out.extend_from_slice(&data_count.to_le_bytes());
    for f in data {
        let (Ok(path_len), Ok(len)) =
            (u16::try_from(f.path.len()), u32::try_from(f.contents.len()))
        else {
            bail!("the data file {} is too large for a memory bundle", f.path);
        };
        out.extend_from_slice(&path_len.to_le_bytes());
        out.extend_from_slice(f.path.as_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&f.contents);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    crate::files::write(path, &out)?;
    Ok(ArtifactInfo {
        path: path.to_owned(),
        size: out.len() as u64,
        entries: u64::from(count),
        sha256: sha256_hex(&out),
    })
}
