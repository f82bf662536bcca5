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
    /// Method 93 at a level from 1 to 22 (zipimport reads it from Python 3.15).
    Zstd(u8),
}

impl Compression {
    /// Parses `stored`, `deflate` (level 6), `deflate1` .. `deflate9`, `bzip2`, `lzma`,
    /// `xz`, `zstd` (level 3) or `zstd1` .. `zstd22`.
    pub fn parse(name: &str) -> Result<Self, String> {
        Ok(match name {
            "stored" => Compression::Stored,
            "deflate" => Compression::Deflate(6),
            "bzip2" => Compression::Bzip2,
            "lzma" => Compression::Lzma,
            "xz" => Compression::Xz,
            "zstd" => Compression::Zstd(3),
            _ => match (
                name.strip_prefix("deflate").map(str::parse::<u8>),
                name.strip_prefix("zstd").map(str::parse::<u8>),
            ) {
                (Some(Ok(level @ 1..=9)), _) => Compression::Deflate(level),
                (Some(_), _) => return Err(format!("deflate level must be 1 to 9, got `{name}`")),
                (_, Some(Ok(level @ 1..=22))) => Compression::Zstd(level),
                (_, Some(_)) => return Err(format!("zstd level must be 1 to 22, got `{name}`")),
                _ => {
                    return Err(format!(
                        "unknown compression `{name}`; expected one of stored, deflate, \
                         deflate1 .. deflate9, bzip2, lzma, xz, zstd, zstd1 .. zstd22"
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
            Compression::Zstd(_) => "zstd",
        }
    }

    /// The compression level, for methods that take one.
    pub fn level(self) -> Option<u8> {
        match self {
            Compression::Deflate(level) | Compression::Zstd(level) => Some(level),
            _ => None,
        }
    }

    /// Whether zipimport (CPython 3.9 to 3.14) can read members of this method.
    pub fn zipimport_readable(self) -> bool {
        matches!(self, Compression::Stored | Compression::Deflate(_))
    }

    /// The first CPython minor version (3.x) whose zipimport reads members of this
    /// method, or `None` when none does.
    pub fn readable_from(self) -> Option<u32> {
        readable_from(self.method())
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::Deflate(level) => write!(f, "deflate{level}"),
            Compression::Zstd(level) => write!(f, "zstd{level}"),
            other => f.write_str(other.method()),
        }
    }
}

/// The first CPython minor version (3.x) whose zipimport reads members compressed by
/// `method` (`stored`, `deflate`, `zstd`, ...), or `None` when none does: stored and
/// deflate always, zstd from 3.15 (its zipimport decompresses method 93 with
/// `compression.zstd`), bzip2, LZMA and xz never.
pub fn readable_from(method: &str) -> Option<u32> {
    match method {
        "stored" | "deflate" => Some(0),
        "zstd" => Some(15),
        _ => None,
    }
}

/// Whether CPython `version` (`3.15.2`) reads members compressed by `method` from a
/// zip on sys.path; `None` when the version does not parse.
pub fn readable_by(method: &str, version: &str) -> Option<bool> {
    let minor: u32 = version
        .strip_prefix("3.")?
        .split('.')
        .next()?
        .parse()
        .ok()?;
    Some(readable_from(method).is_some_and(|from| minor >= from))
}

/// "zstd: from 3.15" for a method some versions read and others do not; `None` for
/// one every version or none reads.
pub fn readable_note(method: &str) -> Option<String> {
    readable_from(method)
        .filter(|&from| from > 0)
        .map(|from| format!("{method}: from 3.{from}"))
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

    /// Whether an import from a zip uses the bytecode: pycs where zipimport looks,
    /// that match their sources (timestamp, checked or unchecked hash) or stand alone.
    pub fn used_from_zip(self) -> bool {
        matches!(
            self,
            Bytecode::Pyc | Bytecode::UncheckedHash | Bytecode::CheckedHash | Bytecode::PycOnly
        )
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

    /// The compression level of its members, for methods that take one.
    pub fn level(&self) -> Option<u8> {
        self.compression.and_then(Compression::level)
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

/// A results file's case spells its variant as its id and what the id is made of, side
/// by side in the case's record: `"variant": "zip-deflate6-pyc", "layout": "zip",
/// "compression": "deflate", "level": 6, "bytecode": "pyc"`. Read back, the id alone
/// names the variant (parsed here, the one place ids are read) and its layout must
/// agree; the other three are written for other readers and not trusted (files written
/// before 2026-12-03 gave zstd no level, and hand-made ones get them wrong). Use as
/// `#[serde(flatten, with = "variant::case_fields")]`.
pub mod case_fields {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Bytecode, Layout, Variant};

    #[derive(Serialize, Deserialize)]
    struct Fields {
        variant: String,
        layout: Layout,
        compression: Option<String>,
        level: Option<u8>,
        bytecode: Bytecode,
    }

    /// Writes the five fields of `v`.
    pub fn serialize<S: Serializer>(v: &Variant, s: S) -> Result<S::Ok, S::Error> {
        Fields {
            variant: v.id(),
            layout: v.layout,
            compression: v.compression.map(|c| c.method().to_owned()),
            level: v.level(),
            bytecode: v.bytecode,
        }
        .serialize(s)
    }

    /// Reads the variant the id names, refusing fields that say otherwise.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Variant, D::Error> {
        let f = Fields::deserialize(d)?;
        let v = Variant::from_id(&f.variant).ok_or_else(|| {
            serde::de::Error::custom(format!("`{}` is not a variant id", f.variant))
        })?;
        if v.layout != f.layout {
            return Err(serde::de::Error::custom(format!(
                "`{}` is not a variant of layout {}",
                f.variant,
                f.layout.name()
            )));
        }
        Ok(v)
    }
}

/// A variant written as its id alone (`"zip-deflate6-pyc"`), as a scenario's reference
/// and focus are. Use as `#[serde(with = "variant::as_id")]`.
pub mod as_id {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Variant;

    /// Writes the id.
    pub fn serialize<S: Serializer>(v: &Variant, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.id())
    }

    /// Reads the variant an id names.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Variant, D::Error> {
        let id = String::deserialize(d)?;
        Variant::from_id(&id)
            .ok_or_else(|| serde::de::Error::custom(format!("`{id}` is not a variant id")))
    }
}

/// Variants written as a list of their ids. Use as `#[serde(with = "variant::as_ids")]`.
pub mod as_ids {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Variant;

    /// Writes the ids.
    pub fn serialize<S: Serializer>(vs: &[Variant], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(vs.iter().map(Variant::id))
    }

    /// Reads the variants the ids name.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Variant>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|id| {
                Variant::from_id(id)
                    .ok_or_else(|| serde::de::Error::custom(format!("`{id}` is not a variant id")))
            })
            .collect()
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
            "zip-zstd3-unchecked-hash",
            "zip-zstd19-pyc",
            "shipped",
        ] {
            let v = Variant::from_id(id).unwrap_or_else(|| panic!("{id}"));
            assert_eq!(v.id(), id);
        }
        // `zstd` is level 3, as `deflate` is level 6.
        assert_eq!(
            Variant::from_id("zip-zstd-pyc").unwrap().id(),
            "zip-zstd3-pyc"
        );
        assert!(Variant::from_id("zip-zstd23-pyc").is_none());
        assert!(Variant::from_id("zip-gzip-pyc").is_none());
        assert!(Variant::from_id("tar-pyc").is_none());
    }

    #[test]
    fn zstd_is_read_from_3_15() {
        assert_eq!(readable_by("zstd", "3.15.2"), Some(true));
        assert_eq!(readable_by("zstd", "3.14.10"), Some(false));
        assert_eq!(readable_by("deflate", "3.9.18"), Some(true));
        assert_eq!(readable_by("bzip2", "3.15.2"), Some(false));
        assert_eq!(readable_note("zstd").as_deref(), Some("zstd: from 3.15"));
        assert_eq!(readable_note("deflate"), None);
        assert_eq!(readable_note("xz"), None);
    }

    #[test]
    fn a_case_writes_its_variant_in_five_fields_and_reads_it_from_its_id() {
        #[derive(Serialize, Deserialize)]
        struct Case {
            #[serde(flatten, with = "case_fields")]
            variant: Variant,
        }
        let v = Variant::from_id("zip-deflate6-pyc").unwrap();
        let json = serde_json::to_string(&Case { variant: v }).unwrap();
        assert_eq!(
            json,
            r#"{"variant":"zip-deflate6-pyc","layout":"zip","compression":"deflate","level":6,"bytecode":"pyc"}"#
        );
        assert_eq!(serde_json::from_str::<Case>(&json).unwrap().variant, v);
        // Files of before 2026-12-02 named zstd without its level (3).
        let old = r#"{"variant":"zip-zstd-none","layout":"zip","compression":"zstd","level":null,"bytecode":"none"}"#;
        assert_eq!(
            serde_json::from_str::<Case>(old).unwrap().variant.id(),
            "zip-zstd3-none"
        );
        // The id rules: a layout that is not its own, or no id at all, is refused.
        let wrong = r#"{"variant":"dir-pyc","layout":"zip","compression":null,"level":null,"bytecode":"pyc"}"#;
        let e = serde_json::from_str::<Case>(wrong)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("`dir-pyc` is not a variant of layout zip"),
            "{e}"
        );
        let bad = r#"{"variant":"zip-new-pyc","layout":"zip","compression":null,"level":null,"bytecode":"pyc"}"#;
        let e = serde_json::from_str::<Case>(bad).err().unwrap().to_string();
        assert!(e.contains("`zip-new-pyc` is not a variant id"), "{e}");
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
