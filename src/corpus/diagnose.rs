//! What makes imports from a user's archive slower than they need to be: facts read by
//! `doctor.py` under each target interpreter and time zone (zipimport's own directory
//! parser, member reader and DOS-time conversion), turned into findings, each with its
//! cost and its fix. Shared by `zipimport-bench doctor` and `archive` corpus runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// The time zones every diagnosis judges timestamp pycs in: UTC, and a zone with
/// daylight saving time (an archive built in UTC is stale there: zipimport converts
/// member times with the importing process's local time zone).
pub const ZONES: [&str; 2] = ["UTC", "America/New_York"];

/// Costs quoted when `doctor` does not measure, from this harness's published figures
/// (README.md: the default 520-module scenario and the scaling sweep, CPython 3.11.7, a
/// 2-core VM).
mod published {
    /// A zip whose every module compiles (no usable bytecode), against a directory with
    /// `__pycache__`: zip-stored-none 5.66x dir-pyc; stale pycs 5.91x.
    pub const COMPILING: &str = "every start compiles every module: about 5.7x the import time of \
                                 a directory with bytecode (default tree), 9.4x for the stdlib";
    /// zip-stored-checked-hash 1.20x against zip-stored-pyc 1.13x.
    pub const CHECKED_HASH: &str =
        "zipimport also reads and hashes every source: about 6% slower than unchecked pycs";
    /// zip-deflate6-pyc 1.44x against zip-stored-pyc 1.13x.
    pub const DEFLATE: &str =
        "inflating members costs about 27% over stored (1.44x against 1.13x a directory)";
    /// The scaling sweep's unimported filler entries: 3.0 us each.
    pub const ENTRY_NS: f64 = 3000.0;
}

/// An archive as one interpreter sees it in one time zone (`doctor.py inspect`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Facts {
    /// `major.minor.micro` of the interpreter.
    pub python: String,
    /// Its bytecode magic number, hex.
    pub magic: String,
    /// The time zone the facts were read in.
    pub tz: String,
    /// Members of the archive.
    pub entries: u64,
    /// Importable `.py` modules in it.
    pub modules: u64,
    /// Members per compression method.
    pub methods: BTreeMap<String, u64>,
    /// Bytecode members under `__pycache__/`, where zipimport never looks.
    pub pycache: u64,
    /// Extension modules.
    pub extensions: Vec<String>,
    /// Modules with no bytecode beside their source.
    pub no_bytecode: Vec<String>,
    /// Modules whose timestamp pyc zipimport would reject in this time zone.
    pub stale: Vec<String>,
    /// Modules whose pyc is another Python's (module, magic).
    pub wrong_magic: Vec<(String, String)>,
    /// Pycs this interpreter cannot read (member, error).
    pub unreadable: Vec<(String, String)>,
    /// Valid timestamp pycs.
    pub timestamp: u64,
    /// Checked-hash pycs.
    pub checked_hash: u64,
    /// Unchecked-hash pycs.
    pub unchecked_hash: u64,
    /// Members that are neither modules nor their bytecode.
    pub non_module_entries: u64,
    /// Why zipimport cannot read the archive at all, if it cannot.
    #[serde(default)]
    pub error: Option<String>,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Imports slower than they need to be, or failing.
    Problem,
    /// A trade-off worth knowing.
    Note,
}

/// One thing wrong with an archive, for one interpreter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Stable name: `no-bytecode`, `pycache`, `stale`, `time-zone`, `wrong-magic`,
    /// `unreadable-compression`, `unreadable-archive`, `extension-modules`,
    /// `checked-hash`, `deflate`, `entries`.
    pub kind: String,
    /// Problem or note.
    pub severity: Severity,
    /// The interpreter it applies to.
    pub python: String,
    /// What is wrong, with the numbers.
    pub what: String,
    /// What it costs.
    pub cost: String,
    /// How to fix it.
    pub fix: String,
}

/// Reads the facts of `archive` with `python` in time zone `tz`.
pub fn inspect(python: &Path, archive: &Path, tz: &str) -> Result<Facts> {
    let out = helper(python, tz, &["inspect".as_ref(), archive.as_os_str()])?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "{} could not inspect {}: {}",
            python.display(),
            archive.display(),
            err.lines().last().unwrap_or_default()
        );
    }
    serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "reading what {} found in {}",
            python.display(),
            archive.display()
        )
    })
}

/// What `fix` wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fixed {
    /// The repaired archive.
    pub written: String,
    /// Modules given bytecode.
    pub modules: u64,
    /// Members dropped (`__pycache__/` and old legacy pycs).
    pub dropped: Vec<String>,
}

/// Writes the repaired archive `out` (see `doctor.py fix`), compiled by `python`.
pub fn fix(python: &Path, archive: &Path, out: &Path, compression: &str) -> Result<Fixed> {
    let run = helper(
        python,
        "UTC",
        &[
            "fix".as_ref(),
            archive.as_os_str(),
            out.as_os_str(),
            compression.as_ref(),
        ],
    )?;
    if !run.status.success() {
        bail!(
            "repairing {} with {} failed: {}",
            archive.display(),
            python.display(),
            String::from_utf8_lossy(&run.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        );
    }
    serde_json::from_slice(&run.stdout).context("reading what the repair wrote")
}

fn helper(python: &Path, tz: &str, args: &[&std::ffi::OsStr]) -> Result<std::process::Output> {
    Command::new(python)
        .args(["-I", "-B", "-c", include_str!("doctor.py")])
        .args(args)
        .env_clear()
        .env("TZ", tz)
        .env("LC_ALL", "C.UTF-8")
        .env("PATH", "/usr/bin:/bin")
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running {}", python.display()))
}

/// `a, b, c and 3 more`.
fn some(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    match names.len() {
        n if n > 3 => format!("{} and {} more", shown.join(", "), n - 3),
        _ => shown.join(", "),
    }
}

fn minor(version: &str) -> (u32, u32) {
    let mut p = version.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
    (p.next().unwrap_or(0), p.next().unwrap_or(0))
}

/// The findings of every interpreter's facts (one set of facts per interpreter and time
/// zone, in [`ZONES`] order).
pub fn diagnose(facts: &[Facts]) -> Vec<Diagnosis> {
    let mut out = Vec::new();
    let mut pythons: Vec<&str> = Vec::new();
    for f in facts {
        if !pythons.contains(&f.python.as_str()) {
            pythons.push(&f.python);
        }
    }
    for python in pythons {
        let mine: Vec<&Facts> = facts.iter().filter(|f| f.python == python).collect();
        let mut say = |kind: &str, severity: Severity, what: String, cost: &str, fix: &str| {
            out.push(Diagnosis {
                kind: kind.into(),
                severity,
                python: python.to_owned(),
                what,
                cost: cost.into(),
                fix: fix.into(),
            });
        };
        let f = mine[0];
        if let Some(e) = &f.error {
            say(
                "unreadable-archive",
                Severity::Problem,
                format!("zipimport cannot read the archive: {e}"),
                "no module imports from it",
                "fewer than 65,535 members (zip64 imports only from Python 3.13 on), or a valid zip",
            );
            continue;
        }
        let unreadable: Vec<String> = f
            .methods
            .keys()
            .filter(|m| !matches!(m.as_str(), "stored" | "deflate"))
            .cloned()
            .collect();
        if !unreadable.is_empty() {
            say(
                "unreadable-compression",
                Severity::Problem,
                format!(
                    "members compressed with {} (zipimport reads only stored and deflate before \
                     Python 3.15, which adds zstd)",
                    unreadable.join(", ")
                ),
                "importing those members fails with zlib.error, which is not an ImportError",
                "recompress with stored or deflate (`doctor --fix` does)",
            );
        }
        if f.entries > 65_535 && minor(python) < (3, 13) {
            say(
                "unreadable-archive",
                Severity::Problem,
                format!("{} members make it a zip64 archive", f.entries),
                "zipimport before Python 3.13 reads no entry of a zip64 archive",
                "fewer members, or Python 3.13 or later",
            );
        }
        if !f.extensions.is_empty() {
            say(
                "extension-modules",
                Severity::Problem,
                format!(
                    "{} extension module(s): {}",
                    f.extensions.len(),
                    some(&f.extensions)
                ),
                "zipimport cannot load extension modules: importing them from the archive fails",
                "ship extension modules outside the archive (a directory on sys.path)",
            );
        }
        if !f.no_bytecode.is_empty() {
            let (kind, what) = if f.pycache > 0 {
                (
                    "pycache",
                    format!(
                        "{} of {} modules have their bytecode only under __pycache__/ \
                         ({} files), where zipimport never looks: {}",
                        f.no_bytecode.len(),
                        f.modules,
                        f.pycache,
                        some(&f.no_bytecode)
                    ),
                )
            } else {
                (
                    "no-bytecode",
                    format!(
                        "{} of {} modules have no bytecode beside their source: {}",
                        f.no_bytecode.len(),
                        f.modules,
                        some(&f.no_bytecode)
                    ),
                )
            };
            say(
                kind,
                Severity::Problem,
                what,
                published::COMPILING,
                "pycs beside the sources, hash-based (`doctor --fix` writes unchecked-hash ones)",
            );
        }
        if !f.wrong_magic.is_empty() {
            let magic = &f.wrong_magic[0].1;
            say(
                "wrong-magic",
                Severity::Problem,
                format!(
                    "{} of {} modules carry another Python's bytecode (magic {magic}, this one \
                     is {})",
                    f.wrong_magic.len(),
                    f.modules,
                    f.magic
                ),
                published::COMPILING,
                "one archive per Python version: an archive location holds one version's \
                 bytecode (`doctor --fix --python` this interpreter)",
            );
        }
        // Timestamp pycs: stale everywhere, or only in some time zones.
        let stale_in: Vec<(&str, usize)> = mine
            .iter()
            .filter(|x| !x.stale.is_empty())
            .map(|x| (x.tz.as_str(), x.stale.len()))
            .collect();
        let valid_in: Vec<&str> = mine
            .iter()
            .filter(|x| x.stale.is_empty())
            .map(|x| x.tz.as_str())
            .collect();
        if !stale_in.is_empty() {
            let stale_of = mine.iter().find(|x| !x.stale.is_empty()).expect("some");
            if valid_in.is_empty() {
                say(
                    "stale",
                    Severity::Problem,
                    format!(
                        "{} timestamp pycs do not match their sources' times and sizes in \
                         any time zone checked: {}",
                        stale_of.stale.len(),
                        some(&stale_of.stale)
                    ),
                    published::COMPILING,
                    "hash-based pycs, which no member time can stale (`doctor --fix`)",
                );
            } else {
                let zones: Vec<String> = stale_in
                    .iter()
                    .map(|(tz, n)| format!("{n} stale under TZ={tz}"))
                    .collect();
                say(
                    "time-zone",
                    Severity::Problem,
                    format!(
                        "timestamp pycs valid under TZ={} but {}: zipimport converts member \
                         times with the importing process's local time zone",
                        valid_in.join(", TZ="),
                        zones.join(", ")
                    ),
                    "in those zones (or across a daylight-saving change) every start compiles \
                     the stale modules",
                    "hash-based pycs, which no time zone can stale (`doctor --fix`)",
                );
            }
        }
        if f.checked_hash > 0 {
            say(
                "checked-hash",
                Severity::Note,
                format!("{} checked-hash pycs", f.checked_hash),
                published::CHECKED_HASH,
                "unchecked-hash pycs, when the archive is rebuilt rather than edited in place",
            );
        }
        let deflated = f.methods.get("deflate").copied().unwrap_or(0);
        if deflated > 0 {
            say(
                "deflate",
                Severity::Note,
                format!("{deflated} of {} members are deflated", f.entries),
                published::DEFLATE,
                "stored members, where size matters less than start-up (`doctor --fix \
                 --compression stored`)",
            );
        }
        let extra_ms = f.non_module_entries as f64 * published::ENTRY_NS / 1e6;
        if extra_ms >= 1.0 {
            say(
                "entries",
                Severity::Note,
                format!(
                    "{} members are neither modules nor their bytecode (data, metadata, \
                     directories)",
                    f.non_module_entries
                ),
                &format!(
                    "zipimport parses the whole central directory in every process that \
                     first touches the archive: about {extra_ms:.1} ms at 3 us an entry"
                ),
                "leave out what nothing at run time reads (tests, docs, metadata)",
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(tz: &str) -> Facts {
        Facts {
            python: "3.11.7".into(),
            magic: "a70d0d0a".into(),
            tz: tz.into(),
            entries: 10,
            modules: 5,
            methods: [("stored".to_string(), 10)].into(),
            timestamp: 5,
            ..Facts::default()
        }
    }

    #[test]
    fn a_clean_archive_has_no_findings() {
        assert!(diagnose(&[facts("UTC"), facts("America/New_York")]).is_empty());
    }

    #[test]
    fn stale_only_in_some_zones_is_the_time_zone_trap() {
        let mut ny = facts("America/New_York");
        ny.stale = vec!["app/core.py".into()];
        let d = diagnose(&[facts("UTC"), ny]);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, "time-zone");
        assert!(d[0].what.contains("valid under TZ=UTC"), "{}", d[0].what);
        assert!(
            d[0].what.contains("1 stale under TZ=America/New_York"),
            "{}",
            d[0].what
        );
    }

    #[test]
    fn each_kind_of_problem_is_named_with_its_fix() {
        let mut f = facts("UTC");
        f.methods = [("bzip2".to_string(), 3), ("deflate".to_string(), 7)].into();
        f.extensions = vec!["app/_fast.so".into()];
        f.pycache = 5;
        f.no_bytecode = vec!["app/core.py".into()];
        f.wrong_magic = vec![("app/util.py".into(), "cb0d0d0a".into())];
        f.checked_hash = 1;
        let kinds: Vec<String> = diagnose(&[f]).into_iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [
                "unreadable-compression",
                "extension-modules",
                "pycache",
                "wrong-magic",
                "checked-hash",
                "deflate"
            ]
        );
    }
}
