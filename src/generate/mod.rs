//! Generation: a scenario's [`TreeSpec`] and seed become an in-memory tree of Python
//! sources and data files, byte-identical for the same spec and seed.

mod rng;
mod source;

use crate::scenario::TreeLayout;
pub use rng::SeededRng;

use crate::scenario::TreeSpec;

/// One generated file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the tree root, `/`-separated.
    pub path: String,
    /// File contents.
    pub contents: Vec<u8>,
    /// Index into [`TreeLayout::modules`] for Python sources; `None` for data files.
    pub module: Option<usize>,
}

/// A generated tree: its layout and every file, Python sources in import order first.
#[derive(Debug, Clone)]
pub struct SourceTree {
    /// Names and paths.
    pub layout: TreeLayout,
    /// Sources (one per module, same order as the layout), then data files.
    pub files: Vec<SourceFile>,
}

impl SourceTree {
    /// Total bytes of all files.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.contents.len() as u64).sum()
    }

    /// The same tree at code version `version` (the generated tree is version 1): every
    /// module's `ZIB_VERSION` constant is `version`, and a second constant names the
    /// update, so sources (and member offsets in an archive) change size as a real
    /// release's would.
    pub fn updated(&self, version: u32) -> SourceTree {
        let old = format!("\n{}\n", source::VERSION_LINE);
        let new = format!(
            "\nZIB_VERSION = {version}\nZIB_UPDATE = \"hot update to version {version}\"\n"
        );
        let files = self
            .files
            .iter()
            .map(|f| {
                let mut f = f.clone();
                if f.module.is_some() {
                    let text = String::from_utf8_lossy(&f.contents).replacen(&old, &new, 1);
                    f.contents = text.into_bytes();
                }
                f
            })
            .collect();
        SourceTree {
            layout: self.layout.clone(),
            files,
        }
    }
}

pub use source::VERSION_LINE;

/// Generates every file of the tree.
pub fn generate(spec: &TreeSpec, seed: u64) -> SourceTree {
    let layout = TreeLayout::new(spec);
    let mut text_rng = SeededRng::new(seed, "source");
    let mut dep_rng = SeededRng::new(seed, "imports");
    let mut data_rng = SeededRng::new(seed, "data");

    // `mod0` of each package, by package index: the modules others may import.
    let bases: Vec<String> = layout
        .packages()
        .iter()
        .map(|dir| format!("{}.mod0", dir.replace('/', ".")))
        .collect();

    let mut files = Vec::with_capacity(layout.modules().len());
    for (index, m) in layout.modules().iter().enumerate() {
        let text = if m.is_package {
            source::package_init(&m.name, seed, &mut text_rng)
        } else {
            let deps = if m.name.ends_with(".mod0") {
                Vec::new()
            } else {
                pick_deps(&bases[..=m.package], spec.imports, &mut dep_rng)
            };
            source::module(&m.name, seed, spec.lines, &deps, &mut text_rng)
        };
        files.push(SourceFile {
            path: m.path.clone(),
            contents: text.into_bytes(),
            module: Some(index),
        });
    }
    for dir in layout.packages() {
        for d in 0..spec.data_files {
            files.push(SourceFile {
                path: format!("{dir}/data{d}.txt"),
                contents: source::data_file(spec.data_size as usize, &mut data_rng),
                module: None,
            });
        }
    }
    // Entries nothing imports, in a directory that is not a package.
    for i in 0..spec.filler {
        files.push(SourceFile {
            path: format!("_filler/f{i:06}.txt"),
            contents: format!("{i}\n").into_bytes(),
            module: None,
        });
    }
    SourceTree { layout, files }
}

/// Up to `n` distinct entries of `candidates`, the package's own base module first
/// when it is picked, in a seeded order.
fn pick_deps(candidates: &[String], n: u32, rng: &mut SeededRng) -> Vec<String> {
    let mut pool: Vec<&String> = candidates.iter().collect();
    let mut out = Vec::new();
    while out.len() < n as usize && !pool.is_empty() {
        let i = rng.below(pool.len() as u64) as usize;
        out.push(pool.swap_remove(i).clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TreeSpec {
        TreeSpec {
            packages: 2,
            depth: 1,
            subpackages: 2,
            modules: 3,
            lines: 50,
            imports: 2,
            data_files: 1,
            data_size: 100,
            prefix: "zb".into(),
            filler: 0,
        }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = generate(&spec(), 9);
        let b = generate(&spec(), 9);
        let c = generate(&spec(), 10);
        let bytes = |t: &SourceTree| {
            t.files
                .iter()
                .map(|f| f.contents.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(bytes(&a), bytes(&b));
        assert_ne!(bytes(&a), bytes(&c));
    }

    #[test]
    fn modules_reach_their_line_budget_and_data_their_size() {
        let t = generate(&spec(), 1);
        for f in &t.files {
            match f.module {
                Some(i) if !t.layout.modules()[i].is_package => {
                    let lines = f.contents.iter().filter(|&&b| b == b'\n').count();
                    assert!(
                        (50..50 + 20).contains(&lines),
                        "{} has {lines} lines",
                        f.path
                    );
                }
                Some(_) => {}
                None => assert_eq!(f.contents.len(), 100),
            }
        }
    }

    #[test]
    fn updated_tree_changes_every_module_version_and_size() {
        let t = generate(&spec(), 5);
        let u = t.updated(7);
        for (a, b) in t.files.iter().zip(&u.files) {
            let (a_text, b_text) = (
                String::from_utf8_lossy(&a.contents),
                String::from_utf8_lossy(&b.contents),
            );
            if a.module.is_some() {
                assert!(a_text.contains("\nZIB_VERSION = 1\n"), "{}", a.path);
                assert!(b_text.contains("\nZIB_VERSION = 7\n"), "{}", b.path);
                assert_ne!(a.contents.len(), b.contents.len());
            } else {
                assert_eq!(a.contents, b.contents);
            }
        }
    }

    #[test]
    fn imports_only_base_modules_of_earlier_packages() {
        let t = generate(&spec(), 3);
        for f in t.files.iter().filter(|f| f.module.is_some()) {
            let text = String::from_utf8(f.contents.clone()).unwrap();
            for line in text
                .lines()
                .filter(|l| l.contains("_dep") && l.contains(" as "))
            {
                assert!(line.contains("mod0"), "{}: {line}", f.path);
            }
        }
    }
}
