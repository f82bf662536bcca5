//! Real corpora: the interpreter's standard library, a directory of code or wheels,
//! read into the same [`SourceTree`] a generated tree is, so every variant is packaged
//! and measured the same way.
//!
//! Every `.py` file whose directories are all packages becomes a module (compiled like
//! generated ones; a file that does not compile stays source only); every other file is
//! data. Extension modules (`.so`, `.pyd`) are listed: zipimport cannot load them, and
//! a zip variant whose import fails says so.
//!
//! For the standard library the workload is discovered, not hand-listed: every module
//! (test suites, `site-packages`, `lib-dynload`, `config-*`, `idlelib`, `turtledemo`,
//! `__main__` modules and the modules with side effects on import, `antigravity` and
//! `this`, left out of the corpus) is imported, in a fresh interpreter, from a stored
//! zip of the corpus; those that import cleanly and come from the archive are the
//! workload. Modules the interpreter has imported before a worker's timed section
//! (`os`, `codecs`, `encodings`, and what the harness's driver itself imports, such
//! as `traceback`, `tokenize`, `json`) never come from an archive and are excluded.

mod archive;

pub use archive::MEMBER_LIMIT;

/// The members of a user's archive as an archive corpus reads them (sources and data,
/// its own bytecode left out), hostile ones refused naming the member.
pub fn read_archive_members(path: &std::path::Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    archive::read_members(path)
}

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::generate::{SourceFile, SourceTree};
use crate::package::{self, CompiledTree};
use crate::scenario::{Bytecode, Compression, CorpusSpec, Layout, Variant, Workload};
use crate::scenario::{ModuleInfo, TreeLayout};

/// Directory names never taken into the standard-library corpus (`lib-dynload`: the
/// extension modules, which stay importable from their usual place; `config-*`: the
/// build's static library and makefiles).
const STDLIB_SKIPPED_DIRS: &[&str] = &[
    "lib-dynload",
    "site-packages",
    "dist-packages",
    "test",
    "tests",
    "idlelib",
    "turtledemo",
    "__pycache__",
    "__phello__",
];

/// Standard-library modules never imported by discovery: they act on import.
const STDLIB_SIDE_EFFECTS: &[&str] = &["antigravity", "this", "__hello__", "__phello__"];

/// What a corpus turned into (its files are the [`SourceTree`] [`load`] returns beside
/// it).
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// Its Python modules' names, in import order.
    pub modules: Vec<String>,
    /// Where it was read from.
    pub source: PathBuf,
    /// Extension modules found (paths relative to the corpus root).
    pub extensions: Vec<String>,
    /// Discovery's verdict on the modules left out of the workload (stdlib only).
    pub excluded: Vec<(String, String)>,
    /// The workload for `import = "all"`.
    pub all: Vec<String>,
    /// An `archive` corpus's diagnosis (`zipimport-bench doctor` for the interpreter
    /// that measures it).
    pub diagnosis: Vec<crate::doctor::rules::Diagnosis>,
    /// What the archive's `__main__` raised when run with its `entry` arguments.
    pub entry_error: Option<String>,
}

/// What results record about a corpus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusInfo {
    /// `stdlib`, `directory`, `wheels` or `archive`.
    pub kind: String,
    /// Where it was read from.
    pub source: String,
    /// Python modules in it (packages included).
    pub modules: u64,
    /// Extension modules in it, which zipimport cannot load.
    pub extensions: Vec<String>,
    /// Modules left out of the workload, with the reason (stdlib discovery).
    pub excluded: Vec<(String, String)>,
    /// An `archive` corpus's findings: what makes imports from it slower than they need
    /// to be, each with its cost and fix (see `zipimport-bench doctor`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnosis: Vec<crate::doctor::rules::Diagnosis>,
    /// What the archive's `__main__` raised when run with its `entry` arguments to
    /// find the workload (Python's exception line), if it raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_error: Option<String>,
}

impl Corpus {
    /// The record results keep.
    pub fn info(&self, spec: &CorpusSpec) -> CorpusInfo {
        CorpusInfo {
            kind: match spec {
                CorpusSpec::Stdlib => "stdlib",
                CorpusSpec::Directory { .. } => "directory",
                CorpusSpec::Wheels { .. } => "wheels",
                CorpusSpec::Archive { .. } => "archive",
            }
            .to_owned(),
            source: self.source.display().to_string(),
            modules: self.modules.len() as u64,
            extensions: self.extensions.clone(),
            excluded: self.excluded.clone(),
            diagnosis: self.diagnosis.clone(),
            entry_error: self.entry_error.clone(),
        }
    }

    /// The workload's module names, checking given names against the corpus.
    pub fn workload(&self, w: &Workload) -> Result<Vec<String>> {
        match w {
            Workload::Modules(names) => {
                for n in names {
                    if !self.modules.contains(n) {
                        bail!(
                            "workload module `{n}` is not in the corpus {} (it has {} modules)",
                            self.source.display(),
                            self.modules.len()
                        );
                    }
                }
                Ok(names.clone())
            }
            _ => Ok(self.all.clone()),
        }
    }
}

/// Reads a corpus and compiles it with `compile` (once: a `stdlib` corpus's discovery
/// packages the same bytecode). `python` is the interpreter whose standard library a
/// `stdlib` corpus is (and which runs discovery); `work` a scratch directory.
pub fn load(
    spec: &CorpusSpec,
    python: &Path,
    compile: &dyn Fn(&SourceTree) -> Result<CompiledTree>,
    work: &Path,
) -> Result<(SourceTree, CompiledTree, Corpus)> {
    match spec {
        CorpusSpec::Stdlib => {
            let root = stdlib_dir(python)?;
            let files = read_dir_files(&root, &|rel| {
                rel.split('/')
                    .any(|part| STDLIB_SKIPPED_DIRS.contains(&part) || part.starts_with("config-"))
            })?;
            let tree = tree_of(files);
            let candidates: Vec<String> = tree
                .layout
                .modules()
                .iter()
                .map(|m| m.name.clone())
                .filter(|n| {
                    !n.split('.').any(|p| p == "__main__")
                        && !STDLIB_SIDE_EFFECTS.contains(&n.split('.').next().unwrap_or(""))
                })
                .collect();
            let compiled = compile(&tree)?;
            let (all, excluded) = discover(python, &tree, &compiled, &candidates, work)?;
            let corpus = Corpus {
                modules: module_names(&tree),
                extensions: extensions(&tree),
                source: root,
                excluded,
                all,
                diagnosis: Vec::new(),
                entry_error: None,
            };
            Ok((tree, compiled, corpus))
        }
        CorpusSpec::Directory { path } => {
            let files = read_dir_files(path, &|rel| {
                rel.split('/').any(|part| part == "__pycache__")
                    || rel.ends_with(".pyc")
                    || rel.split('/').next().is_some_and(|top| {
                        top.ends_with(".dist-info") || top.ends_with(".egg-info")
                    })
            })?;
            from_files(files, path.clone(), compile)
        }
        CorpusSpec::Wheels { paths } => {
            let mut files = Vec::new();
            for w in paths {
                files.extend(read_wheel(w)?);
            }
            files.sort_by(|a, b| a.0.cmp(&b.0));
            files.dedup_by(|a, b| a.0 == b.0);
            let source = paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            from_files(files, PathBuf::from(source), compile)
        }
        CorpusSpec::Archive { path, entry } => {
            let files = archive::read_members(path)?;
            let (tree, compiled, mut corpus) = from_files(files, path.clone(), compile)?;
            let mut facts = Vec::new();
            for tz in crate::doctor::facts::ZONES {
                facts.push(crate::doctor::facts::inspect(python, path, tz)?);
            }
            corpus.diagnosis = crate::doctor::rules::diagnose(&facts);
            corpus.all = match entry {
                Some(args) => {
                    let (modules, error) = archive::entry_modules(python, path, args)?;
                    corpus.entry_error = error;
                    modules
                }
                None => {
                    // Every module but the program's own entry points, imported from
                    // the archive as shipped.
                    let candidates: Vec<String> = corpus
                        .modules
                        .iter()
                        .filter(|n| !n.split('.').any(|p| p == "__main__"))
                        .cloned()
                        .collect();
                    let (ok, excluded) = discover_in(python, path, &candidates, work)?;
                    corpus.excluded = excluded;
                    ok
                }
            };
            Ok((tree, compiled, corpus))
        }
    }
}

fn from_files(
    files: Vec<(String, Vec<u8>)>,
    source: PathBuf,
    compile: &dyn Fn(&SourceTree) -> Result<CompiledTree>,
) -> Result<(SourceTree, CompiledTree, Corpus)> {
    let tree = tree_of(files);
    let compiled = compile(&tree)?;
    // `all`: every top-level package and module.
    let all = tree
        .layout
        .modules()
        .iter()
        .filter(|m| !m.name.contains('.'))
        .map(|m| m.name.clone())
        .collect();
    let corpus = Corpus {
        modules: module_names(&tree),
        extensions: extensions(&tree),
        source,
        excluded: Vec::new(),
        all,
        diagnosis: Vec::new(),
        entry_error: None,
    };
    Ok((tree, compiled, corpus))
}

fn module_names(tree: &SourceTree) -> Vec<String> {
    tree.layout
        .modules()
        .iter()
        .map(|m| m.name.clone())
        .collect()
}

fn extensions(tree: &SourceTree) -> Vec<String> {
    tree.files
        .iter()
        .filter(|f| {
            f.module.is_none()
                && (f.path.ends_with(".so") || f.path.ends_with(".pyd") || f.path.contains(".so."))
        })
        .map(|f| f.path.clone())
        .collect()
}

/// The standard library directory of an interpreter.
fn stdlib_dir(python: &Path) -> Result<PathBuf> {
    let out = Command::new(python)
        .args([
            "-I",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .env_clear()
        .output()
        .with_context(|| format!("asking {} for its standard library", python.display()))?;
    if !out.status.success() {
        bail!(
            "{} could not name its standard library: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Every regular file under `root` (relative `/` paths, sorted), except those `skip`
/// rejects (it sees relative paths of files and of directories).
fn read_dir_files(root: &Path, skip: &dyn Fn(&str) -> bool) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            if skip(&rel) {
                continue;
            }
            let t = entry.file_type()?;
            if t.is_dir() {
                stack.push(path);
            } else if t.is_file() {
                let data =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                out.push((rel, data));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The importable files of a wheel: everything at its root and under
/// `*.data/purelib` and `*.data/platlib`, metadata and scripts left out.
fn read_wheel(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a wheel (not a zip archive)", path.display()))?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut member = archive.by_index(i)?;
        if member.is_dir() {
            continue;
        }
        let name = member
            .name()
            .with_context(|| format!("a member name of {} is not UTF-8", path.display()))?
            .to_string();
        let top = name.split('/').next().unwrap_or_default().to_owned();
        let rel = if top.ends_with(".dist-info") {
            continue;
        } else if top.ends_with(".data") {
            let rest = &name[top.len() + 1..];
            match rest.split_once('/') {
                Some(("purelib" | "platlib", inner)) => inner.to_owned(),
                _ => continue,
            }
        } else {
            name
        };
        let mut data = Vec::new();
        member
            .read_to_end(&mut data)
            .with_context(|| format!("reading {rel} from {}", path.display()))?;
        out.push((rel, data));
    }
    Ok(out)
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Files as a tree: `.py` files inside packages (or at the root) are modules, in path
/// order with each package's `__init__` first; the rest is data.
fn tree_of(files: Vec<(String, Vec<u8>)>) -> SourceTree {
    use std::collections::BTreeSet;
    let package_dirs: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| p.strip_suffix("/__init__.py").map(str::to_owned))
        .filter(|d| d.split('/').all(is_identifier))
        .collect();
    let in_packages = |dir: &str| {
        // Every ancestor directory, and the directory itself, must be a package.
        let parts: Vec<&str> = dir.split('/').collect();
        (1..=parts.len()).all(|n| package_dirs.contains(&parts[..n].join("/")))
    };
    let mut modules = Vec::new();
    let mut packages: Vec<String> = Vec::new();
    let mut tree_files = Vec::new();
    // Sort key: a package's __init__ before its other files.
    let mut files = files;
    files.sort_by(|a, b| {
        let key = |p: &str| p.replace("/__init__.py", "/\u{0}__init__.py");
        key(&a.0).cmp(&key(&b.0))
    });
    for (path, data) in files {
        let module = path.strip_suffix(".py").and_then(|stem| {
            let (dir, name) = match stem.rsplit_once('/') {
                Some((d, n)) => (Some(d), n),
                None => (None, stem),
            };
            // importlib imports any file name without dots (sysconfig imports
            // `_sysconfigdata__linux_x86_64-linux-gnu` by name).
            let importable = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let ok = importable && dir.is_none_or(in_packages);
            if !ok {
                return None;
            }
            Some(match (dir, name) {
                (Some(d), "__init__") => (d.replace('/', "."), true, d.to_owned()),
                (Some(d), n) => (format!("{}.{n}", d.replace('/', ".")), false, d.to_owned()),
                (None, "__init__") => return None,
                (None, n) => (n.to_owned(), false, String::new()),
            })
        });
        let index = module.map(|(name, is_package, dir)| {
            let package = match packages.iter().position(|p| *p == dir) {
                Some(i) => i,
                None => {
                    packages.push(dir);
                    packages.len() - 1
                }
            };
            modules.push(ModuleInfo {
                name,
                path: path.clone(),
                is_package,
                package,
            });
            modules.len() - 1
        });
        tree_files.push(SourceFile {
            path,
            contents: data,
            module: index,
        });
    }
    SourceTree {
        layout: TreeLayout::from_parts(modules, packages),
        files: tree_files,
    }
}

/// Discovery's answer: the modules that import cleanly, and the others with why.
type Discovered = (Vec<String>, Vec<(String, String)>);

/// Imports every candidate from a stored zip of the corpus in a fresh interpreter.
fn discover(
    python: &Path,
    tree: &SourceTree,
    compiled: &CompiledTree,
    candidates: &[String],
    work: &Path,
) -> Result<Discovered> {
    let dir = work.join("discovery");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))?;
    let variant = Variant {
        layout: Layout::Zip,
        compression: Some(Compression::Stored),
        bytecode: Bytecode::Pyc,
    };
    let artifact = package::package(&variant, tree, compiled, &dir)?;
    let found = discover_in(python, &artifact.info.path, candidates, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    found
}

/// Imports every candidate from `archive` in a fresh interpreter: the modules that
/// import cleanly from it, and the others with why.
fn discover_in(
    python: &Path,
    archive: &Path,
    candidates: &[String],
    work: &Path,
) -> Result<Discovered> {
    #[derive(Deserialize)]
    struct Found {
        ok: Vec<String>,
        failed: Vec<(String, String)>,
    }
    std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
    let dir = work
        .canonicalize()
        .with_context(|| format!("resolving {}", work.display()))?;
    let archive = archive
        .canonicalize()
        .with_context(|| format!("resolving {}", archive.display()))?;
    let names = dir.join("candidates.json");
    crate::files::write(&names, serde_json::to_vec(candidates)?)?;
    let out = Command::new(python)
        .args(["-I", "-B", "-c", include_str!("discover.py")])
        .arg(&archive)
        .arg(&names)
        .env_clear()
        .env("TZ", "UTC")
        .env("LC_ALL", "C.UTF-8")
        .env("PATH", "/usr/bin:/bin")
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running discovery with {}", python.display()))?;
    if !out.status.success() {
        bail!(
            "discovering the importable modules of {} failed ({}): {}",
            archive.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        );
    }
    let found: Found = serde_json::from_slice(&out.stdout).context("reading discovery's answer")?;
    Ok((found.ok, found.failed))
}
