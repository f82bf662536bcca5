//! The shape of a synthetic tree: package and module names and paths, in import order.
//! Computed from a [`TreeSpec`] alone, without generating any content, so scenarios can
//! be validated against it cheaply.

use super::{TreeSpec, Workload};

/// One importable module of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Dotted name, `zb0.sub1.mod3`.
    pub name: String,
    /// Source path relative to the tree root, `zb0/sub1/mod3.py` or `zb0/__init__.py`.
    pub path: String,
    /// Whether this is a package's `__init__` module.
    pub is_package: bool,
    /// Index of the package (into [`TreeLayout::packages`]) this module belongs to or is.
    pub package: usize,
}

/// Package and module names of a tree, in depth-first import order: each package's
/// `__init__`, then its modules, then its subpackages.
#[derive(Debug, Clone)]
pub struct TreeLayout {
    modules: Vec<ModuleInfo>,
    packages: Vec<String>,
}

impl TreeLayout {
    /// Lays out the tree a spec describes.
    pub fn new(spec: &TreeSpec) -> Self {
        let mut layout = TreeLayout {
            modules: Vec::new(),
            packages: Vec::new(),
        };
        for i in 0..spec.packages {
            layout.add_package(spec, &format!("{}{i}", spec.prefix), spec.depth);
        }
        layout
    }

    /// A layout read from real files (see `crate::corpus`): modules in import order,
    /// package directories (`""` for the root) that `ModuleInfo::package` indexes.
    pub fn from_parts(modules: Vec<ModuleInfo>, packages: Vec<String>) -> Self {
        TreeLayout { modules, packages }
    }

    fn add_package(&mut self, spec: &TreeSpec, name: &str, depth_left: u32) {
        let dir = name.replace('.', "/");
        let package = self.packages.len();
        self.packages.push(dir.clone());
        self.modules.push(ModuleInfo {
            name: name.to_owned(),
            path: format!("{dir}/__init__.py"),
            is_package: true,
            package,
        });
        for m in 0..spec.modules {
            self.modules.push(ModuleInfo {
                name: format!("{name}.mod{m}"),
                path: format!("{dir}/mod{m}.py"),
                is_package: false,
                package,
            });
        }
        if depth_left > 0 {
            for s in 0..spec.subpackages {
                self.add_package(spec, &format!("{name}.sub{s}"), depth_left - 1);
            }
        }
    }

    /// Every module, packages included, in import order.
    pub fn modules(&self) -> &[ModuleInfo] {
        &self.modules
    }

    /// Package directories relative to the root (`zb0`, `zb0/sub1`), in order.
    pub fn packages(&self) -> &[String] {
        &self.packages
    }

    /// The last plain module of the last, deepest package.
    pub fn leaf(&self) -> &ModuleInfo {
        self.modules
            .iter()
            .rev()
            .find(|m| !m.is_package)
            .unwrap_or_else(|| {
                self.modules
                    .last()
                    .expect("a tree has at least one package")
            })
    }

    /// Names the timed section imports for a workload, in order.
    pub fn workload_modules(&self, workload: &Workload) -> Vec<String> {
        match workload {
            Workload::All => self.modules.iter().map(|m| m.name.clone()).collect(),
            Workload::Leaf => vec![self.leaf().name.clone()],
            Workload::Modules(names) => names.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(packages: u32, depth: u32, subpackages: u32, modules: u32) -> TreeSpec {
        TreeSpec {
            packages,
            depth,
            subpackages,
            modules,
            lines: 10,
            imports: 1,
            data_files: 0,
            data_size: 0,
            prefix: "zb".into(),
            filler: 0,
        }
    }

    #[test]
    fn counts_match_spec() {
        let s = spec(3, 2, 2, 4);
        let l = TreeLayout::new(&s);
        assert_eq!(l.packages().len() as u64, s.package_count());
        assert_eq!(s.package_count(), 3 * (1 + 2 + 4));
        let plain = l.modules().iter().filter(|m| !m.is_package).count() as u64;
        assert_eq!(plain, s.module_count());
    }

    #[test]
    fn packages_precede_their_modules() {
        let l = TreeLayout::new(&spec(2, 1, 2, 2));
        assert_eq!(l.modules()[0].name, "zb0");
        assert_eq!(l.modules()[1].path, "zb0/mod0.py");
        assert_eq!(l.leaf().name, "zb1.sub1.mod1");
        for (i, m) in l.modules().iter().enumerate() {
            if let Some((parent, _)) = m.name.rsplit_once('.') {
                assert!(
                    l.modules()[..i].iter().any(|p| p.name == parent),
                    "{}",
                    m.name
                );
            }
        }
    }
}
