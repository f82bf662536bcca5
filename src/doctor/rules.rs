//! What makes imports from a user's archive slower than they need to be, or wrong: the
//! [`Facts`] each target interpreter and time zone gave, turned into findings, each with
//! its cost (from the recorded runs, `costs.json`) and its fix. Shared by
//! `zipimport-bench doctor` and `archive` corpus runs.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::facts::{Facts, magic_version};

/// The costs `doctor` quotes when it does not measure the archive: sentences with the
/// recorded runs' figures and their intervals (`costs.json` beside this file, written by
/// `cargo run --example docs` from the runs under `reports/recorded/`; `tests/it/docs.rs`
/// fails when it differs from what they give).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    /// Every module compiling on every start: a zip without usable bytecode against a
    /// directory with `__pycache__`.
    pub compiling: String,
    /// Checked-hash pycs against unchecked ones.
    pub checked_hash: String,
    /// Deflate against stored members.
    pub deflate: String,
    /// What one unimported archive entry costs the process that first touches the
    /// archive, ns (the scaling sweep's fitted growth).
    pub entry_ns: f64,
    /// The recorded runs the figures come from.
    pub source: String,
}

/// The recorded costs, read once.
pub fn costs() -> &'static Costs {
    static COSTS: std::sync::OnceLock<Costs> = std::sync::OnceLock::new();
    COSTS.get_or_init(|| {
        serde_json::from_str(include_str!("costs.json"))
            .expect("src/doctor/costs.json is written by `cargo run --example docs`")
    })
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

/// What a finding is about: its stable name in results and doctor's JSON.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::Display,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Kind {
    /// `broken-bytecode`.
    BrokenBytecode,
    /// `checked-hash`.
    CheckedHash,
    /// `corrupt-members`.
    CorruptMembers,
    /// `data-compression`.
    DataCompression,
    /// `deflate`.
    Deflate,
    /// `duplicate-members`.
    DuplicateMembers,
    /// `encrypted-members`.
    EncryptedMembers,
    /// `entries`.
    Entries,
    /// `extension-modules`.
    ExtensionModules,
    /// `file-relative-data`.
    FileRelativeData,
    /// `no-bytecode`.
    NoBytecode,
    /// `order-dependent`.
    OrderDependent,
    /// `oversized-members`.
    OversizedMembers,
    /// `pycache`.
    Pycache,
    /// `sourceless-wrong-magic`.
    SourcelessWrongMagic,
    /// `stale`.
    Stale,
    /// `stale-checked-hash`.
    StaleCheckedHash,
    /// `stale-unchecked-hash`.
    StaleUncheckedHash,
    /// `time-zone`.
    TimeZone,
    /// `time-zone-unknown`.
    TimeZoneUnknown,
    /// `unreadable-archive`.
    UnreadableArchive,
    /// `unreadable-compression`.
    UnreadableCompression,
    /// `unsafe-names`.
    UnsafeNames,
    /// `version-bound-compression`.
    VersionBoundCompression,
    /// `wrong-magic`.
    WrongMagic,
}

/// One thing wrong with an archive, for one interpreter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// What it is about.
    pub kind: Kind,
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

/// `UTC+02:00` for an offset in seconds east of UTC.
fn utc_offset(seconds: i64) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let m = seconds.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
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
        let mut say = |kind: Kind, severity: Severity, what: String, cost: &str, fix: &str| {
            out.push(Diagnosis {
                kind,
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
                Kind::UnreadableArchive,
                Severity::Problem,
                format!("zipimport cannot read the archive: {e}"),
                "no module imports from it",
                if f.zip64 {
                    "Python 3.13 or later (zip64 archives import only from 3.13 on), or fewer \
                     than 65,535 members"
                } else {
                    "a valid zip archive"
                },
            );
            continue;
        }
        readable(f, &mut say);
        hostile(f, &mut say);
        if f.zip64 && minor(python) < (3, 13) {
            say(
                Kind::UnreadableArchive,
                Severity::Problem,
                "the archive has zip64 end records".into(),
                "zipimport before Python 3.13 reads no entry of a zip64 archive",
                "fewer than 65,535 members and no zip64 records, or Python 3.13 or later",
            );
        }
        if !f.extensions.is_empty() {
            say(
                Kind::ExtensionModules,
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
        bytecode(f, &mut say);
        timestamps(&mine, &mut say);
        notes(f, &mut say);
    }
    out
}

type Say<'a> = dyn FnMut(Kind, Severity, String, &str, &str) + 'a;

/// Members zipimport reads for modules but cannot decompress (its own error, from this
/// interpreter's attempt); members of other methods that only data uses, as a note.
fn readable(f: &Facts, say: &mut Say) {
    if !f.unreadable.is_empty() {
        let (member, error) = &f.unreadable[0];
        let names: Vec<String> = f.unreadable.iter().map(|u| u.0.clone()).collect();
        say(
            Kind::UnreadableCompression,
            Severity::Problem,
            format!(
                "{} module member(s) this Python's zipimport cannot read: {} ({member}: \
                 {error})",
                f.unreadable.len(),
                some(&names)
            ),
            "importing those modules fails (zlib.error before Python 3.15, which is not an \
             ImportError)",
            if f.module_methods.contains_key("zstd") {
                "recompress with stored or deflate (`doctor --fix` does), or ship it only to \
                 Pythons that read zstd (zstd: from 3.15)"
            } else {
                "recompress with stored or deflate (`doctor --fix` does)"
            },
        );
    }
    // Methods this Python reads but older ones do not: fine here, an error there.
    let bound: Vec<(String, u64, String)> = f
        .module_methods
        .iter()
        .filter(|(m, _)| crate::scenario::readable_by(m, &f.python) == Some(true))
        .filter_map(|(m, n)| crate::scenario::readable_note(m).map(|note| (m.clone(), *n, note)))
        .collect();
    for (method, n, note) in bound {
        say(
            Kind::VersionBoundCompression,
            Severity::Note,
            format!(
                "{n} module member(s) compressed with {method}, which this Python ({}) reads \
                 and older ones cannot ({note})",
                f.python
            ),
            "an older Python importing from this archive fails with zlib.error, which is \
             not an ImportError",
            "stored or deflate if the archive must run on every Python",
        );
    }
    let data_only: Vec<String> = f
        .methods
        .iter()
        .filter(|(m, n)| {
            crate::scenario::readable_by(m, &f.python) != Some(true)
                && f.module_methods.get(*m).copied().unwrap_or(0) < **n
        })
        .map(|(m, _)| m.clone())
        .collect();
    if !data_only.is_empty() {
        say(
            Kind::DataCompression,
            Severity::Note,
            format!(
                "data members compressed with {}: no import reads them",
                data_only.join(", ")
            ),
            "code that reads them through the module's loader (`get_data`, \
             importlib.resources) fails where zipimport cannot decompress them",
            "stored or deflate for data read at run time",
        );
    }
}

/// What makes an archive unsafe to extract, ambiguous, or impossible to import from,
/// whatever its speed: names that escape a folder, duplicates, encryption, bytecode that
/// cannot load, members that would inflate without bound.
fn hostile(f: &Facts, say: &mut Say) {
    let listed = |items: &[(String, String)]| {
        let names: Vec<String> = items
            .iter()
            .map(|(n, why)| format!("{n:?} ({why})"))
            .collect();
        some(&names)
    };
    if !f.unsafe_names.is_empty() {
        say(
            Kind::UnsafeNames,
            Severity::Problem,
            format!(
                "{} member name(s) would escape a folder when extracted or cannot name a \
                 file: {}",
                f.unsafe_names.len(),
                listed(&f.unsafe_names)
            ),
            "no import can name them; an extraction tool may write outside its folder \
             (`doctor --fix` refuses the archive)",
            "rename or remove those members",
        );
    }
    if !f.duplicates.is_empty() {
        say(
            Kind::DuplicateMembers,
            Severity::Problem,
            format!(
                "{} name(s) appear more than once: {}",
                f.duplicates.len(),
                some(&f.duplicates)
            ),
            "zipimport imports the last copy; other tools may extract the first",
            "one member per name (`doctor --fix` keeps the copy zipimport imports)",
        );
    }
    if !f.encrypted.is_empty() {
        say(
            Kind::EncryptedMembers,
            Severity::Problem,
            format!(
                "{} encrypted member(s): {}",
                f.encrypted.len(),
                some(&f.encrypted)
            ),
            "zipimport ignores encryption and reads the ciphertext: importing them fails \
             (`doctor --fix` refuses the archive)",
            "ship the archive unencrypted",
        );
    }
    if !f.broken_bytecode.is_empty() {
        say(
            Kind::BrokenBytecode,
            Severity::Problem,
            format!(
                "{} pyc(s) this Python takes for its own but cannot load: {}",
                f.broken_bytecode.len(),
                listed(&f.broken_bytecode)
            ),
            "importing those modules fails: zipimport does not fall back to the source",
            "recompile them (`doctor --fix` does, for modules whose source is in the archive)",
        );
    }
    if !f.oversized.is_empty() {
        say(
            Kind::OversizedMembers,
            Severity::Problem,
            format!(
                "{} member(s) doctor did not read: {}",
                f.oversized.len(),
                listed(&f.oversized)
            ),
            "zipimport inflates a member whole into memory: importing it may exhaust it",
            "members of their true size; no module that large",
        );
    }
    if !f.corrupt.is_empty() {
        say(
            Kind::CorruptMembers,
            Severity::Problem,
            format!(
                "{} member(s) whose data is not what the archive declares: {}",
                f.corrupt.len(),
                listed(&f.corrupt)
            ),
            "zipimport checks no CRC: it compiles or loads whatever bytes the offsets \
             point at, or fails on them",
            "rebuild the archive from its files (`doctor --fix` refuses a member whose CRC \
             does not match)",
        );
    }
}

/// Bytecode zipimport will not use, or that is not the source's.
fn bytecode(f: &Facts, say: &mut Say) {
    if !f.no_bytecode.is_empty() {
        let (kind, what) = if f.pycache > 0 {
            (
                Kind::Pycache,
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
                Kind::NoBytecode,
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
            &costs().compiling,
            "pycs beside the sources, hash-based (`doctor --fix` writes unchecked-hash ones)",
        );
    }
    // Another Python's bytecode (or none at all), grouped by what it is.
    let mut by_magic: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (module, magic) in &f.wrong_magic {
        by_magic.entry(magic).or_default().push(module.clone());
    }
    for (magic, modules) in by_magic {
        say(
            Kind::WrongMagic,
            Severity::Problem,
            format!(
                "{} of {} modules carry {} beside their source; this interpreter is {}: {}",
                modules.len(),
                f.modules,
                match magic_version(magic).as_str() {
                    "not a pyc" => "a file that is not a pyc".to_owned(),
                    v => format!("bytecode of {v}"),
                },
                magic_version(&f.magic),
                some(&modules)
            ),
            &costs().compiling,
            "one archive per Python version: an archive location holds one version's \
             bytecode (`doctor --fix --python` this interpreter)",
        );
    }
    if !f.sourceless_bad.is_empty() {
        let names: Vec<String> = f.sourceless_bad.iter().map(|s| s.0.clone()).collect();
        let what_it_is = match f.sourceless_bad[0].1.as_str() {
            "" => "not a pyc".to_owned(),
            m => magic_version(m),
        };
        say(
            Kind::SourcelessWrongMagic,
            Severity::Problem,
            format!(
                "{} bytecode-only module(s) (no source beside them) this Python cannot load \
                 ({what_it_is} for {}): {}",
                names.len(),
                f.sourceless_bad[0].0,
                some(&names)
            ),
            "importing them fails (zipimport.ZipImportError: bad magic number)",
            "rebuild them from their sources with this Python: without the source, \
             `doctor --fix` cannot",
        );
    }
    if !f.stale_checked.is_empty() {
        say(
            Kind::StaleCheckedHash,
            Severity::Problem,
            format!(
                "{} checked-hash pycs are not their source's (the source's hash differs): {}",
                f.stale_checked.len(),
                some(&f.stale_checked)
            ),
            "zipimport checks the hash and recompiles those modules on every start",
            "rebuild the pycs from the sources shipped (`doctor --fix`)",
        );
    }
    if !f.stale_unchecked.is_empty() {
        say(
            Kind::StaleUncheckedHash,
            Severity::Problem,
            format!(
                "{} unchecked-hash pycs are not their source's (the source's hash differs): {}",
                f.stale_unchecked.len(),
                some(&f.stale_unchecked)
            ),
            "zipimport never checks them: the old code runs, and tracebacks show the new \
             source's lines",
            "rebuild the pycs from the sources shipped (`doctor --fix`)",
        );
    }
}

/// Timestamp pycs, judged per module in every time zone: stale everywhere, stale only
/// in some zones (and the offset they are valid at, when all agree), or in a zone's
/// repeated autumn hour; and zones that could not be judged.
fn timestamps(mine: &[&Facts], say: &mut Say) {
    let known: Vec<&Facts> = mine.iter().copied().filter(|x| x.zone_known).collect();
    for x in mine.iter().filter(|x| !x.zone_known) {
        say(
            Kind::TimeZoneUnknown,
            Severity::Note,
            format!(
                "timestamp pycs cannot be judged under TZ={}: this machine's C library has \
                 no data for that zone and would treat it as UTC",
                x.tz
            ),
            "unknown",
            "install the time-zone data (Debian: tzdata), or use hash-based pycs",
        );
    }
    let mut stale_everywhere: Vec<String> = Vec::new();
    let mut stale_somewhere: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    if let Some(first) = known.first() {
        let mut modules: Vec<&String> = known.iter().flat_map(|x| x.stale.iter()).collect();
        modules.sort();
        modules.dedup();
        for m in modules {
            let zones: Vec<&str> = known
                .iter()
                .filter(|x| x.stale.contains(m))
                .map(|x| x.tz.as_str())
                .collect();
            if zones.len() == known.len() {
                stale_everywhere.push(m.clone());
            } else {
                stale_somewhere.insert(m.clone(), zones);
            }
        }
        // When every timestamp pyc disagrees with its member time by the same amount,
        // the archive was built in one zone and is valid only at that offset.
        let offsets: Vec<i64> = first
            .timestamp_offsets
            .keys()
            .filter_map(|k| k.parse().ok())
            .collect();
        let one_offset = match offsets.as_slice() {
            [o] if *o != 0 => Some(*o),
            _ => None,
        };
        if !stale_everywhere.is_empty() {
            let valid_at = one_offset
                .map(|o| {
                    format!(
                        " (every timestamp pyc matches its member time read at {}: the \
                         archive was built there and is valid only in zones at that offset)",
                        utc_offset(o)
                    )
                })
                .unwrap_or_default();
            let zones: Vec<&str> = known.iter().map(|x| x.tz.as_str()).collect();
            say(
                Kind::Stale,
                Severity::Problem,
                format!(
                    "{} timestamp pycs do not match their sources' times and sizes under \
                     TZ={}{valid_at}: {}",
                    stale_everywhere.len(),
                    zones.join(" or TZ="),
                    some(&stale_everywhere)
                ),
                &costs().compiling,
                "hash-based pycs, which no member time can stale (`doctor --fix`)",
            );
        }
        if !stale_somewhere.is_empty() {
            let mut per_zone: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for (m, zones) in &stale_somewhere {
                for z in zones {
                    per_zone.entry(z).or_default().push(m.clone());
                }
            }
            let clean: Vec<&str> = known
                .iter()
                .map(|x| x.tz.as_str())
                .filter(|z| !per_zone.contains_key(z))
                .collect();
            let mut parts: Vec<String> = Vec::new();
            if !clean.is_empty() {
                parts.push(format!("all valid under TZ={}", clean.join(" or TZ=")));
            }
            parts.extend(
                per_zone
                    .iter()
                    .map(|(z, ms)| format!("{} stale under TZ={z} ({})", ms.len(), some(ms))),
            );
            say(
                Kind::TimeZone,
                Severity::Problem,
                format!(
                    "{} timestamp pycs are valid in some of the time zones checked and not \
                     others: {}; zipimport converts member times with the importing \
                     process's local time zone",
                    stale_somewhere.len(),
                    parts.join(", ")
                ),
                "in those zones every start compiles the stale modules",
                "hash-based pycs, which no time zone can stale (`doctor --fix`)",
            );
        }
    }
    for x in &known {
        if !x.ambiguous.is_empty() {
            say(
                Kind::OrderDependent,
                Severity::Problem,
                format!(
                    "{} modules' member times fall in the hour TZ={} repeats when its clocks \
                     go back: {}",
                    x.ambiguous.len(),
                    x.tz,
                    some(&x.ambiguous)
                ),
                "whether zipimport accepts their timestamp pycs there depends on what the \
                 process converted before (time.mktime picks either reading of the hour)",
                "hash-based pycs (`doctor --fix`)",
            );
        }
    }
}

/// Trade-offs worth knowing.
fn notes(f: &Facts, say: &mut Say) {
    if !f.file_relative.is_empty() {
        let places: Vec<String> = f
            .file_relative
            .iter()
            .map(|(module, lines)| {
                let lines: Vec<String> = lines.iter().map(u32::to_string).collect();
                format!("{module}:{}", lines.join(","))
            })
            .collect();
        say(
            Kind::FileRelativeData,
            Severity::Note,
            format!(
                "{} module(s) open, list or test a path built from __file__: {}",
                f.file_relative.len(),
                some(&places)
            ),
            "imported from the archive, __file__ names a member inside it: open() raises \
             NotADirectoryError there, os.path.exists() says False, and the data is not read",
            "read package data with importlib.resources (files(\"the.package\") / \"name\", \
             which reads from a zip; by name: zipimport leaves __package__ unset while a \
             module runs before Python 3.10), or ship the data outside the archive",
        );
    }
    if f.checked_hash > 0 {
        say(
            Kind::CheckedHash,
            Severity::Note,
            format!("{} checked-hash pycs", f.checked_hash),
            &costs().checked_hash,
            "unchecked-hash pycs, when the archive is rebuilt rather than edited in place",
        );
    }
    let deflated = f.methods.get("deflate").copied().unwrap_or(0);
    if deflated > 0 {
        say(
            Kind::Deflate,
            Severity::Note,
            format!("{deflated} of {} members are deflated", f.entries),
            &costs().deflate,
            "stored members, where size matters less than start-up (`doctor --fix \
             --compression stored`)",
        );
    }
    let entry_ns = costs().entry_ns;
    let extra_ms = f.non_module_entries as f64 * entry_ns / 1e6;
    if extra_ms >= 1.0 {
        say(
            Kind::Entries,
            Severity::Note,
            format!(
                "{} members are neither modules nor their bytecode (data, metadata, \
                 directories)",
                f.non_module_entries
            ),
            &format!(
                "zipimport parses the whole central directory in every process that first \
                 touches the archive: about {extra_ms:.1} ms at {} an entry ({})",
                crate::format::format_duration_ns(entry_ns),
                costs().source
            ),
            "leave out what nothing at run time reads (tests, docs, metadata)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(tz: &str) -> Facts {
        Facts {
            python: "3.11.7".into(),
            magic: "a70d0d0a".into(),
            tz: tz.into(),
            zone_known: true,
            entries: 10,
            modules: 5,
            methods: [("stored".to_string(), 10)].into(),
            module_methods: [("stored".to_string(), 10)].into(),
            timestamp: 5,
            ..Facts::default()
        }
    }

    #[test]
    fn a_clean_archive_has_no_findings() {
        assert!(diagnose(&[facts("UTC"), facts("America/New_York")]).is_empty());
    }

    #[test]
    fn stale_only_in_some_zones_is_judged_per_module() {
        let mut ny = facts("America/New_York");
        ny.stale = vec!["app/core.py".into()];
        let d = diagnose(&[facts("UTC"), ny]);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::TimeZone);
        assert!(
            d[0].what
                .contains("1 stale under TZ=America/New_York (app/core.py)"),
            "{}",
            d[0].what
        );
        assert!(!d[0].cost.contains("daylight"), "{}", d[0].cost);
    }

    #[test]
    fn an_archive_built_at_one_offset_is_said_to_be_valid_only_there() {
        let mut utc = facts("UTC");
        let mut ny = facts("America/New_York");
        for f in [&mut utc, &mut ny] {
            f.stale = vec!["a.py".into(), "b.py".into()];
            f.timestamp_offsets = [("3600".to_string(), 2)].into();
        }
        let d = diagnose(&[utc, ny]);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::Stale);
        assert!(
            d[0].what.contains("valid only in zones at that offset"),
            "{}",
            d[0].what
        );
        assert!(d[0].what.contains("UTC+01:00"), "{}", d[0].what);
        assert_eq!(utc_offset(-18000), "UTC-05:00");
    }

    #[test]
    fn a_zone_without_data_is_not_judged_as_if_it_were_utc() {
        let mut ny = facts("America/New_York");
        ny.zone_known = false;
        ny.stale = vec!["never-read.py".into()];
        let d = diagnose(&[facts("UTC"), ny]);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].kind, Kind::TimeZoneUnknown);
        assert!(d[0].what.contains("TZ=America/New_York"), "{}", d[0].what);
    }

    #[test]
    fn magics_are_named_by_version() {
        assert_eq!(magic_version("610d0d0a"), "Python 3.9 (magic 3425)");
        assert_eq!(magic_version("a70d0d0a"), "Python 3.11 (magic 3495)");
        assert_eq!(magic_version("2b0e0d0a"), "Python 3.14 (magic 3627)");
        assert_eq!(magic_version("520e0d0a"), "Python 3.15 (magic 3666)");
        assert!(magic_version("400e0d0a").starts_with("a pre-release of Python 3.15"));
        assert!(magic_version("600e0d0a").starts_with("a Python after 3.15"));
        assert_eq!(magic_version(""), "not a pyc");
        assert_eq!(magic_version("610d0000"), "not a pyc");
    }

    #[test]
    fn each_kind_of_problem_is_named_with_its_fix() {
        let mut f = facts("UTC");
        f.methods = [("bzip2".to_string(), 3), ("deflate".to_string(), 7)].into();
        f.module_methods = [("deflate".to_string(), 7)].into();
        f.unreadable = vec![("app/x.pyc".into(), "zlib.error: Error -3".into())];
        f.extensions = vec!["app/_fast.so".into()];
        f.pycache = 5;
        f.no_bytecode = vec!["app/core.py".into()];
        f.wrong_magic = vec![
            ("app/util.py".into(), "cb0d0d0a".into()),
            ("app/empty.py".into(), String::new()),
        ];
        f.sourceless_bad = vec![("app/old.pyc".into(), "610d0d0a".into())];
        f.stale_checked = vec!["app/c.py".into()];
        f.stale_unchecked = vec!["app/u.py".into()];
        f.checked_hash = 1;
        let d = diagnose(&[f]);
        let kinds: Vec<Kind> = d.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::UnreadableCompression,
                Kind::DataCompression,
                Kind::ExtensionModules,
                Kind::Pycache,
                Kind::WrongMagic,
                Kind::WrongMagic,
                Kind::SourcelessWrongMagic,
                Kind::StaleCheckedHash,
                Kind::StaleUncheckedHash,
                Kind::CheckedHash,
                Kind::Deflate
            ]
        );
        let magic: Vec<&str> = d
            .iter()
            .filter(|d| d.kind == Kind::WrongMagic)
            .map(|d| d.what.as_str())
            .collect();
        assert!(
            magic.iter().any(|w| w.contains("a file that is not a pyc")),
            "{magic:?}"
        );
        assert!(
            magic
                .iter()
                .any(|w| w.contains("bytecode of Python 3.12 (magic 3531)")),
            "{magic:?}"
        );
        assert!(
            magic
                .iter()
                .all(|w| w.contains("this interpreter is Python 3.11 (magic 3495)")),
            "{magic:?}"
        );
        let severity = |k: Kind| d.iter().find(|d| d.kind == k).unwrap().severity;
        assert_eq!(severity(Kind::DataCompression), Severity::Note);
        assert_eq!(severity(Kind::StaleUncheckedHash), Severity::Problem);
    }

    #[test]
    fn a_zip64_archive_is_judged_by_its_records_not_its_entries() {
        let mut many = facts("UTC");
        many.entries = 66_001;
        assert!(
            diagnose(&[many.clone()])
                .iter()
                .all(|d| d.kind != Kind::UnreadableArchive)
        );
        many.zip64 = true;
        assert!(
            diagnose(&[many])
                .iter()
                .any(|d| d.kind == Kind::UnreadableArchive)
        );
    }
}
