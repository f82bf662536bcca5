//! Bytecode for the generated sources, compiled once by the embedded interpreter (or by
//! an external one, `run --python`) and wrapped in a pyc header per bytecode mode.
//!
//! A pyc file is a 16-byte header and a marshalled code object. The header is the
//! interpreter's magic number, a flags word, then either the source's mtime and size
//! (timestamp pycs) or an 8-byte source hash (hash-based pycs; flag bit 0 set, bit 1
//! set when the loader must check the hash against the source). Compiling once and
//! writing the headers here gives all bytecode modes from one compilation.

use std::path::Path;

use anyhow::{Context, Result};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::generate::SourceTree;
use crate::python::{self, PythonInfo, format_err, load_module};
use crate::scenario::Bytecode;

/// Seconds since the epoch stamped on every source file and zip member:
/// 2020-01-01T00:00:00Z. Even, because zip (DOS) times have 2-second resolution.
pub const SOURCE_EPOCH: u32 = 1_577_836_800;

/// How far `pyc-stale` headers are off the sources' time, in seconds.
pub const STALE_OFFSET: u32 = 3600;

/// Compiled form of every module of a tree.
pub struct CompiledTree {
    /// The interpreter's 4-byte magic number.
    pub magic: [u8; 4],
    /// `sys.implementation.cache_tag`, for `__pycache__` file names.
    pub cache_tag: String,
    /// Per file of the [`SourceTree`] (same index): marshalled code and source hash,
    /// `None` for data files.
    pub code: Vec<Option<(Vec<u8>, [u8; 8])>>,
}

impl CompiledTree {
    /// The pyc file for file `index` of the tree under a bytecode mode.
    pub fn pyc(&self, index: usize, source_len: usize, mode: Bytecode) -> Option<Vec<u8>> {
        let (code, hash) = self.code.get(index)?.as_ref()?;
        let mut out = Vec::with_capacity(16 + code.len());
        out.extend_from_slice(&self.magic);
        match mode {
            Bytecode::None | Bytecode::Shipped => return None,
            Bytecode::Pyc | Bytecode::PycOnly | Bytecode::Pycache => {
                out.extend_from_slice(&0u32.to_le_bytes());
                out.extend_from_slice(&SOURCE_EPOCH.to_le_bytes());
                out.extend_from_slice(&(source_len as u32).to_le_bytes());
            }
            Bytecode::PycStale => {
                // Compiled an hour after the sources were stamped: zipimport and the
                // path finder both see a source newer than (different from) its pyc.
                out.extend_from_slice(&0u32.to_le_bytes());
                out.extend_from_slice(&(SOURCE_EPOCH + STALE_OFFSET).to_le_bytes());
                out.extend_from_slice(&(source_len as u32).to_le_bytes());
            }
            Bytecode::UncheckedHash => {
                out.extend_from_slice(&1u32.to_le_bytes());
                out.extend_from_slice(hash);
            }
            Bytecode::CheckedHash => {
                out.extend_from_slice(&3u32.to_le_bytes());
                out.extend_from_slice(hash);
            }
        }
        out.extend_from_slice(code);
        Some(out)
    }
}

/// Compiles every Python file of `tree` with the embedded interpreter.
pub fn compile(tree: &SourceTree) -> Result<CompiledTree> {
    python::attach(|py| {
        let m = load_module(py, "zib_compile", include_str!("compile.py"))?;
        let info = python::info()?;
        let magic_vec = hex::decode(&info.magic).context("magic number is not hex")?;
        let magic: [u8; 4] = magic_vec
            .try_into()
            .map_err(|_| anyhow::anyhow!("magic is not 4 bytes"))?;

        let items: Vec<(String, pyo3::Bound<'_, PyBytes>)> = tree
            .files
            .iter()
            .filter(|f| f.module.is_some())
            .map(|f| (f.path.clone(), PyBytes::new(py, &f.contents)))
            .collect();
        let compiled: Vec<Option<(Vec<u8>, Vec<u8>)>> = m
            .call_method1("compile_all", (items,))
            .and_then(|r| r.extract())
            .map_err(|e| anyhow::anyhow!("compiling generated sources: {}", format_err(py, &e)))?;

        let mut it = compiled.into_iter();
        let mut code = Vec::with_capacity(tree.files.len());
        for f in &tree.files {
            code.push(match f.module {
                None => None,
                Some(_) => match it.next().context("compile_all returned too few items")? {
                    // Does not compile: the file stays source only.
                    None => None,
                    Some((bytes, hash)) => {
                        let hash: [u8; 8] = hash
                            .try_into()
                            .map_err(|_| anyhow::anyhow!("source hash is not 8 bytes"))?;
                        Some((bytes, hash))
                    }
                },
            });
        }
        Ok(CompiledTree {
            magic,
            cache_tag: info.cache_tag,
            code,
        })
    })
}

/// Compiles every module of `tree` with an external interpreter.
pub fn compile_external(
    python: &Path,
    info: &PythonInfo,
    tree: &SourceTree,
) -> Result<CompiledTree> {
    let items: Vec<(&str, String)> = tree
        .files
        .iter()
        .filter(|f| f.module.is_some())
        .map(|f| (f.path.as_str(), hex::encode(&f.contents)))
        .collect();
    let input = serde_json::to_vec(&items)?;
    let out = crate::python::external::helper(python, "compile", Some(&input))
        .with_context(|| format!("compiling the tree with {}", python.display()))?;
    let compiled: Vec<Option<(String, String)>> =
        serde_json::from_slice(&out).context("reading the compiled tree")?;
    let magic: [u8; 4] = hex::decode(&info.magic)
        .ok()
        .and_then(|m| m.try_into().ok())
        .context("the interpreter's magic number is not 4 bytes")?;
    let mut it = compiled.into_iter();
    let mut code = Vec::with_capacity(tree.files.len());
    for f in &tree.files {
        code.push(match f.module {
            None => None,
            Some(_) => match it
                .next()
                .context("the interpreter compiled too few files")?
            {
                // Does not compile: the file stays source only.
                None => None,
                Some((c, h)) => {
                    let hash: [u8; 8] = hex::decode(h)
                        .ok()
                        .and_then(|h| h.try_into().ok())
                        .context("a source hash is not 8 bytes")?;
                    Some((hex::decode(c).context("marshalled code is not hex")?, hash))
                }
            },
        });
    }
    Ok(CompiledTree {
        magic,
        cache_tag: info.cache_tag.clone(),
        code,
    })
}
