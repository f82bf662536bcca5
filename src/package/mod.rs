//! Packaging: a generated tree and its bytecode become one artifact per variant, a
//! directory tree or a zip archive, with bytecode where each importer looks for it.
//!
//! Where bytecode goes:
//! - directory, `pyc` and hash modes: `pkg/__pycache__/mod.<cache_tag>.pyc`, where the
//!   path-based finder looks;
//! - zip, `pyc` and hash modes: `pkg/mod.pyc` beside `pkg/mod.py`, the only place
//!   zipimport looks (it ignores `__pycache__`);
//! - `pyc-only`, both layouts: `pkg/mod.pyc` and no source (sourceless import);
//! - `pyc-stale`: where `pyc` goes, with a header an hour off the source's time;
//! - `pycache` (zip only): `pkg/__pycache__/mod.<cache_tag>.pyc`, where zipimport never
//!   looks: the two packaging mistakes the harness can reproduce.
//!
//! Every source file and member carries the fixed time [`SOURCE_EPOCH`], and timestamp
//! pycs record that time and the source size, so they are never stale.

mod bytecode;
mod dir;
pub mod memory;
mod zip;

pub use bytecode::{CompiledTree, SOURCE_EPOCH, compile, compile_external};

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::generate::SourceTree;
use crate::scenario::{Bytecode, Layout, Variant};

/// A packaged variant on disk.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// What was packaged.
    pub variant: Variant,
    /// Where it is and what it holds.
    pub info: ArtifactInfo,
}

/// Size and identity of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactInfo {
    /// The directory or `.zip` file that goes on `sys.path`.
    pub path: PathBuf,
    /// Bytes on disk: the archive's size, or the sum of the directory's file sizes.
    pub size: u64,
    /// Archive members (directory entries included), or files in the directory.
    pub entries: u64,
    /// Hex sha256 of the archive file; for a directory, of every file's relative path,
    /// a NUL, its length as 8 little-endian bytes and its contents, in path order.
    pub sha256: String,
}

/// One file of an artifact before it is written.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Path relative to the artifact root, `/`-separated.
    pub path: String,
    /// Contents.
    pub data: Vec<u8>,
}

/// The files a variant holds, sorted by path.
pub(crate) fn entries(variant: &Variant, tree: &SourceTree, compiled: &CompiledTree) -> Vec<Entry> {
    let mut out = Vec::with_capacity(tree.files.len() * 2);
    for (index, file) in tree.files.iter().enumerate() {
        if file.module.is_none() {
            out.push(Entry {
                path: file.path.clone(),
                data: file.contents.clone(),
            });
            continue;
        }
        if variant.bytecode.has_sources() {
            out.push(Entry {
                path: file.path.clone(),
                data: file.contents.clone(),
            });
        }
        if let Some(pyc) = compiled.pyc(index, file.contents.len(), variant.bytecode) {
            out.push(Entry {
                path: pyc_path(&file.path, variant, &compiled.cache_tag),
                data: pyc,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Where the bytecode of the source at `source_path` goes in a variant.
fn pyc_path(source_path: &str, variant: &Variant, cache_tag: &str) -> String {
    let stem = source_path.strip_suffix(".py").unwrap_or(source_path);
    let legacy = (variant.layout == Layout::Zip && variant.bytecode != Bytecode::Pycache)
        || variant.bytecode == Bytecode::PycOnly;
    if legacy {
        return format!("{stem}.pyc");
    }
    match stem.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/__pycache__/{name}.{cache_tag}.pyc"),
        None => format!("__pycache__/{stem}.{cache_tag}.pyc"),
    }
}

/// Writes one variant under `root`: `root/<id>/` for a directory, `root/<id>.zip` for
/// an archive.
pub fn package(
    variant: &Variant,
    tree: &SourceTree,
    compiled: &CompiledTree,
    root: &Path,
) -> Result<Artifact> {
    if variant.bytecode == Bytecode::Shipped {
        anyhow::bail!("the shipped archive is copied as it is (`shipped`), not packaged");
    }
    if variant.layout == Layout::Memory {
        let info = memory::write(&root.join("memory.bundle"), tree, compiled)?;
        return Ok(Artifact {
            variant: *variant,
            info,
        });
    }
    let files = entries(variant, tree, compiled);
    let info = match variant.layout {
        Layout::Dir => dir::write(&root.join(variant.id()), &files)?,
        Layout::Zip => {
            let compression = variant
                .compression
                .expect("validated: zip variants have a compression");
            zip::write(
                &root.join(format!("{}.zip", variant.id())),
                &files,
                compression,
            )?
        }
        Layout::Memory => unreachable!("written above"),
    };
    Ok(Artifact {
        variant: *variant,
        info,
    })
}

/// Packages every variant under `root`, on as many threads as there are CPUs (the
/// slow compressors, bzip2, xz and zstd, dominate), returning artifacts in variant order.
pub fn package_all(
    variants: &[Variant],
    tree: &SourceTree,
    compiled: &CompiledTree,
    root: &Path,
) -> Result<Vec<Artifact>> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Result<Artifact>>>> =
        Mutex::new((0..variants.len()).map(|_| None).collect());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(variants.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(v) = variants.get(i) else { break };
                    let result = package(v, tree, compiled, root)
                        .with_context(|| format!("packaging variant {}", v.id()));
                    slots.lock().expect("no thread panics holding the lock")[i] = Some(result);
                }
            });
        }
    });
    slots
        .into_inner()
        .expect("no thread panics holding the lock")
        .into_iter()
        .map(|slot| slot.expect("every variant was packaged"))
        .collect()
}

/// Copies an artifact (a `.zip` file or a directory tree) to `to`, keeping every file's
/// modification time, which timestamp pycs are validated against. An existing tree at
/// `to` is overwritten file by file, in place (each file truncated and rewritten), the
/// way `cp -rp` deploys a new release over an old one.
pub fn copy_artifact(from: &Path, to: &Path) -> Result<()> {
    use std::fs::{self, File, FileTimes};
    let copy_file = |src: &Path, dst: &Path| -> Result<()> {
        let mtime = fs::metadata(src)
            .and_then(|m| m.modified())
            .with_context(|| format!("reading the time of {}", src.display()))?;
        fs::copy(src, dst)
            .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
        File::options()
            .write(true)
            .open(dst)
            .and_then(|f| f.set_times(FileTimes::new().set_modified(mtime)))
            .with_context(|| format!("setting the time of {}", dst.display()))
    };
    if from.is_file() {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        return copy_file(from, to);
    }
    for src in artifact_files(from).with_context(|| format!("listing {}", from.display()))? {
        let rel = src.strip_prefix(from).expect("listed under `from`");
        let dst = to.join(rel);
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        copy_file(&src, &dst)?;
    }
    Ok(())
}

/// Hash of a set of files as [`ArtifactInfo::sha256`] defines it for directories.
pub(crate) fn tree_sha256(files: &[Entry]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.path.as_bytes());
        h.update([0]);
        h.update((f.data.len() as u64).to_le_bytes());
        h.update(&f.data);
    }
    hex::encode(h.finalize())
}

/// Hex sha256 of a byte string.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// An artifact path relative to `base` when it lies under it (for manifests).
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map_or_else(|_| path.to_owned(), Path::to_path_buf)
}

/// Every regular file of an artifact: the archive, or every file under the directory.
pub fn artifact_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let t = entry.file_type()?;
            if t.is_dir() {
                stack.push(entry.path());
            } else if t.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The archive of an `archive` corpus as shipped: copied byte for byte into `root`
/// (prepended data such as a zipapp's shebang included), as variant `shipped`.
pub fn shipped(archive: &Path, root: &Path) -> Result<Artifact> {
    std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    let name = archive
        .file_name()
        .with_context(|| format!("{} names no file", archive.display()))?;
    let path = root.join(name);
    let bytes = std::fs::read(archive).with_context(|| format!("reading {}", archive.display()))?;
    crate::files::write(&path, &bytes)?;
    let entries = ::zip::ZipArchive::new(std::io::Cursor::new(&bytes))
        .with_context(|| format!("{} is not a zip archive", archive.display()))?
        .len() as u64;
    Ok(Artifact {
        variant: Variant::SHIPPED,
        info: ArtifactInfo {
            path,
            size: bytes.len() as u64,
            entries,
            sha256: hex::encode(Sha256::digest(&bytes)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Compression;

    fn v(layout: Layout, bytecode: Bytecode) -> Variant {
        Variant {
            layout,
            compression: (layout == Layout::Zip).then_some(Compression::Stored),
            bytecode,
        }
    }

    #[test]
    fn bytecode_goes_where_each_importer_looks() {
        let tag = "cpython-311";
        assert_eq!(
            pyc_path("a/b/m.py", &v(Layout::Dir, Bytecode::Pyc), tag),
            "a/b/__pycache__/m.cpython-311.pyc"
        );
        assert_eq!(
            pyc_path("a/__init__.py", &v(Layout::Dir, Bytecode::CheckedHash), tag),
            "a/__pycache__/__init__.cpython-311.pyc"
        );
        assert_eq!(
            pyc_path("a/b/m.py", &v(Layout::Zip, Bytecode::Pyc), tag),
            "a/b/m.pyc"
        );
        assert_eq!(
            pyc_path("a/m.py", &v(Layout::Dir, Bytecode::PycOnly), tag),
            "a/m.pyc"
        );
    }
}
