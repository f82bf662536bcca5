//! The second stage of a run: a scenario's tree generated (or its corpus read), its
//! bytecode compiled by the interpreter that will import it, and every variant
//! packaged; for hot updates, version 2 of every usable artifact.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::generate::{SourceTree, generate};
use crate::package::{self, Artifact};
use crate::python;
use crate::scenario::{Scenario, Variant};

/// Generates a scenario's tree (or reads its corpus) and packages every variant under
/// `dir`.
pub fn build_artifacts(s: &Scenario, dir: &Path) -> Result<(SourceTree, Vec<Artifact>)> {
    let built = build_instance(s, dir, None)?;
    Ok((built.tree, built.artifacts))
}

/// What [`build_instance`] made.
pub struct Built {
    /// The generated tree or the corpus's files.
    pub tree: SourceTree,
    /// Every variant, packaged.
    pub artifacts: Vec<Artifact>,
    /// The corpus, for `[corpus]` scenarios.
    pub corpus: Option<crate::corpus::Corpus>,
}

/// As [`build_artifacts`], with bytecode compiled (and a standard-library corpus read)
/// by an external interpreter when one is given.
pub fn build_instance(
    s: &Scenario,
    dir: &Path,
    external: Option<(&PathBuf, &python::PythonInfo)>,
) -> Result<Built> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let compile = |tree: &SourceTree| compile_with(tree, external);
    let (tree, compiled, corpus) = match &s.corpus {
        None => {
            let tree = generate(&s.tree, s.seed);
            let compiled = compile(&tree)?;
            (tree, compiled, None)
        }
        Some(spec) => {
            let python = external.map_or(Path::new(python::PYTHON_EXECUTABLE), |(p, _)| p);
            let (tree, compiled, c) = crate::corpus::load(spec, python, &compile, dir)?;
            (tree, compiled, Some(c))
        }
    };
    // An archive corpus's own archive is measured as shipped; every other variant is
    // packaged from the tree.
    let derived: Vec<Variant> = s
        .variants
        .iter()
        .copied()
        .filter(|v| *v != Variant::SHIPPED)
        .collect();
    let mut packaged = package::package_all(&derived, &tree, &compiled, dir)?.into_iter();
    let mut artifacts = Vec::with_capacity(s.variants.len());
    for v in &s.variants {
        artifacts.push(match (&s.corpus, *v == Variant::SHIPPED) {
            (Some(crate::scenario::CorpusSpec::Archive { path, .. }), true) => {
                package::shipped(path, &dir.join("shipped"))?
            }
            _ => packaged.next().expect("one artifact per derived variant"),
        });
    }
    Ok(Built {
        tree,
        artifacts,
        corpus,
    })
}

/// Compiles `tree` with the embedded interpreter, or with the external one given.
fn compile_with(
    tree: &SourceTree,
    external: Option<(&PathBuf, &python::PythonInfo)>,
) -> Result<package::CompiledTree> {
    match external {
        None => package::compile(tree),
        Some((path, info)) => package::compile_external(path, info, tree),
    }
}

/// Version 2 of every usable artifact (see `SourceTree::updated`), for hot updates;
/// an unusable artifact stands in for itself (it is never updated).
pub(super) fn package_update(
    tree: &SourceTree,
    artifacts: &[Artifact],
    usable: &[bool],
    dir: &Path,
    external: Option<(&PathBuf, &python::PythonInfo)>,
) -> Result<Vec<Artifact>> {
    let v2 = tree.updated(2);
    let compiled = compile_with(&v2, external)?;
    let variants: Vec<Variant> = artifacts
        .iter()
        .zip(usable)
        .filter(|(_, u)| **u)
        .map(|(a, _)| a.variant)
        .collect();
    let mut packaged =
        package::package_all(&variants, &v2, &compiled, &dir.join("update"))?.into_iter();
    Ok(artifacts
        .iter()
        .zip(usable)
        .map(|(a, u)| match u {
            true => packaged.next().expect("one update per usable artifact"),
            false => a.clone(),
        })
        .collect())
}

/// The top-level packages of a generated tree: what a reset forgets and verification
/// checks.
pub fn tree_roots(tree: &SourceTree) -> Vec<String> {
    tree.layout
        .packages()
        .iter()
        .filter(|p| !p.contains('/'))
        .cloned()
        .collect()
}

/// Top-level names of a corpus's workload: what a reset forgets and verification
/// checks (a generated tree's are its top-level packages).
pub(super) fn roots(modules: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in modules {
        let top = m.split('.').next().unwrap_or(m).to_owned();
        if !out.contains(&top) {
            out.push(top);
        }
    }
    out
}
