//! Variants: one way of packaging the tree, as its layout (directory or zip), member
//! compression and bytecode mode, and the stable id (`zip-deflate6-pyc`) that names it
//! in scenario files, results and reports.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a variant lays its files out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// A directory tree on sys.path.
    Dir,
    /// A zip archive on sys.path, imported by zipimport.
    Zip,
    /// The floor: every module's compiled code loaded into memory before the timed
    /// import and served by a minimal meta-path finder, so the import pays only for
    /// unmarshalling and executing (variant `memory`).
    Memory,
}

impl Layout {
    /// The name used in scenario files, results and the worker's driver.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Dir => "dir",
            Layout::Zip => "zip",
            Layout::Memory => "memory",
        }
    }
}

/// Compression of the members of a zip archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Method 0: no compression.
    Stored,
    /// Method 8 at a level from 1 to 9.
    Deflate(u8),
    /// Method 12 (zipimport cannot read it).
    Bzip2,
    /// Method 14 (zipimport cannot read it).
    Lzma,
    /// Method 95 (zipimport cannot read it).
    Xz,
    /// Method 93 (zipimport before 3.15 cannot read it).
    Zstd,
}

impl Compression {
    /// Parses `stored`, `deflate` (level 6), `deflate1` .. `deflate9`, `bzip2`, `lzma`,
    /// `xz` or `zstd`.
    pub fn parse(name: &str) -> Result<Self, String> {
        Ok(match name {
            "stored" => Compression::Stored,
            "deflate" => Compression::Deflate(6),
            "bzip2" => Compression::Bzip2,
            "lzma" => Compression::Lzma,
            "xz" => Compression::Xz,
            "zstd" => Compression::Zstd,
            _ => match name.strip_prefix("deflate").map(str::parse::<u8>) {
                Some(Ok(level @ 1..=9)) => Compression::Deflate(level),
                Some(_) => return Err(format!("deflate level must be 1 to 9, got `{name}`")),
                None => {
                    return Err(format!(
                        "unknown compression `{name}`; expected one of stored, deflate, \
                         deflate1 .. deflate9, bzip2, lzma, xz, zstd"
                    ));
                }
            },
        })
    }

    /// The method name without level (`deflate`).
    pub fn method(self) -> &'static str {
        match self {
            Compression::Stored => "stored",
            Compression::Deflate(_) => "deflate",
            Compression::Bzip2 => "bzip2",
            Compression::Lzma => "lzma",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }

    /// The compression level, for methods that take one.
    pub fn level(self) -> Option<u8> {
        match self {
            Compression::Deflate(level) => Some(level),
            _ => None,
        }
    }

    /// Whether zipimport (CPython 3.9 to 3.14) can read members of this method.
    pub fn zipimport_readable(self) -> bool {
        matches!(self, Compression::Stored | Compression::Deflate(_))
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::Deflate(level) => write!(f, "deflate{level}"),
            other => f.write_str(other.method()),
        }
    }
}

/// What bytecode a variant carries, and where.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum Bytecode {
    /// Sources only: every import compiles.
    None,
    /// Timestamp-validated pyc beside each source (`__pycache__` for directories).
    Pyc,
    /// Hash-based pyc whose source hash is checked on every import.
    CheckedHash,
    /// Hash-based pyc that is never checked against its source.
    UncheckedHash,
    /// Sourceless: legacy-location `.pyc` files only.
    PycOnly,
    /// A packaging mistake: timestamp pycs whose recorded source mtime does not match
    /// the source (as when archive members are stamped with the time of zipping).
    PycStale,
    /// A packaging mistake: pycs in `__pycache__` inside a zip (as when a tree compiled
    /// by compileall is zipped), where zipimport never looks.
    Pycache,
    /// A user's archive as shipped: whatever bytecode it carries, where it carries it
    /// (variant `shipped` of an `archive` corpus; not for matrices).
    Shipped,
}

impl Bytecode {
    /// All modes, in the order reports list them.
    pub const ALL: [Bytecode; 7] = [
        Bytecode::None,
        Bytecode::Pyc,
        Bytecode::CheckedHash,
        Bytecode::UncheckedHash,
        Bytecode::PycOnly,
        Bytecode::PycStale,
        Bytecode::Pycache,
    ];

    /// The name used in scenario files and variant ids.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses a name from a scenario file.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|b| b.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown bytecode mode `{name}`; expected one of none, pyc, checked-hash, \
                 unchecked-hash, pyc-only, pyc-stale, pycache"
                )
            })
    }

    /// Whether the artifact holds `.py` sources.
    pub fn has_sources(self) -> bool {
        self != Bytecode::PycOnly
    }

    /// Whether the artifact holds `.pyc` files.
    pub fn has_bytecode(self) -> bool {
        self != Bytecode::None
    }
}

/// One way of packaging the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Variant {
    /// Directory or zip.
    pub layout: Layout,
    /// Member compression; `None` for directories.
    pub compression: Option<Compression>,
    /// Bytecode mode.
    pub bytecode: Bytecode,
}

impl Variant {
    /// The archive of an `archive` corpus as shipped.
    pub const SHIPPED: Variant = Variant {
        layout: Layout::Zip,
        compression: None,
        bytecode: Bytecode::Shipped,
    };

    /// The floor: compiled code served from memory (layout `memory`).
    pub const MEMORY: Variant = Variant {
        layout: Layout::Memory,
        compression: None,
        bytecode: Bytecode::Pyc,
    };

    /// Stable id such as `dir-pyc` or `zip-deflate6-pyc` (`shipped`: a user's archive;
    /// `memory`: the floor).
    pub fn id(&self) -> String {
        if self.bytecode == Bytecode::Shipped {
            return "shipped".into();
        }
        if self.layout == Layout::Memory {
            return "memory".into();
        }
        match self.compression {
            Some(c) => format!("zip-{c}-{}", self.bytecode.name()),
            None => format!("dir-{}", self.bytecode.name()),
        }
    }

    /// The variant an id names (the inverse of [`Variant::id`]).
    pub fn from_id(id: &str) -> Option<Variant> {
        if id == "shipped" {
            return Some(Variant::SHIPPED);
        }
        if id == "memory" {
            return Some(Variant::MEMORY);
        }
        if let Some(bytecode) = id.strip_prefix("dir-") {
            return Some(Variant {
                layout: Layout::Dir,
                compression: None,
                bytecode: Bytecode::parse(bytecode).ok()?,
            });
        }
        let (compression, bytecode) = id.strip_prefix("zip-")?.split_once('-')?;
        Some(Variant {
            layout: Layout::Zip,
            compression: Some(Compression::parse(compression).ok()?),
            bytecode: Bytecode::parse(bytecode).ok()?,
        })
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// Results files spell a variant as its id and its layout, flattened into the record
/// that holds it: `"variant": "zip-deflate6-pyc", "layout": "zip"`.
#[derive(Serialize, Deserialize)]
struct VariantFields {
    variant: String,
    layout: Layout,
}

impl Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        VariantFields {
            variant: self.id(),
            layout: self.layout,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Variant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = VariantFields::deserialize(d)?;
        match Variant::from_id(&f.variant) {
            Some(v) if v.layout == f.layout => Ok(v),
            _ => Err(serde::de::Error::custom(format!(
                "`{}` is not a variant of layout {:?}",
                f.variant, f.layout
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_into_their_variants() {
        for id in [
            "dir-pyc",
            "dir-none",
            "zip-stored-pyc-only",
            "zip-deflate6-checked-hash",
            "zip-bzip2-pyc",
            "zip-zstd-unchecked-hash",
            "shipped",
        ] {
            let v = Variant::from_id(id).unwrap_or_else(|| panic!("{id}"));
            assert_eq!(v.id(), id);
        }
        assert!(Variant::from_id("zip-gzip-pyc").is_none());
        assert!(Variant::from_id("tar-pyc").is_none());
    }

    #[test]
    fn a_variant_serialises_as_its_id_and_layout() {
        let v = Variant::from_id("zip-deflate6-pyc").unwrap();
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, r#"{"variant":"zip-deflate6-pyc","layout":"zip"}"#);
        assert_eq!(serde_json::from_str::<Variant>(&json).unwrap(), v);
        assert!(
            serde_json::from_str::<Variant>(r#"{"variant":"dir-pyc","layout":"zip"}"#).is_err()
        );
    }
}
