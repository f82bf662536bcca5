//! What `doctor.py` reads in a user's archive under one target interpreter and time
//! zone, with zipimport's own directory parser, member reader and DOS-time conversion,
//! and the repair it writes: the facts [`super::rules`] judges.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// The time zones every diagnosis judges timestamp pycs in: UTC, and a zone with
/// daylight saving time (an archive built in UTC is stale there: zipimport converts
/// member times with the importing process's local time zone).
pub const ZONES: [&str; 2] = ["UTC", "America/New_York"];

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
    /// Whether the C library has data for the time zone (without it, glibc treats the
    /// zone as UTC and the zone's verdicts would be UTC's).
    pub zone_known: bool,
    /// Whether the archive has zip64 end records.
    pub zip64: bool,
    /// Modules whose checked-hash pyc is not their source's (recompiled on import).
    pub stale_checked: Vec<String>,
    /// Modules whose unchecked-hash pyc is not their source's (old code runs).
    pub stale_unchecked: Vec<String>,
    /// Modules whose member time falls in the zone's repeated autumn hour.
    pub ambiguous: Vec<String>,
    /// Bytecode members with no source beside them.
    pub sourceless: u64,
    /// Those with a magic this interpreter rejects (member, magic hex; empty when the
    /// member is not a pyc at all).
    pub sourceless_bad: Vec<(String, String)>,
    /// Timestamp pycs by the offset (seconds) between their member time read as UTC and
    /// the time their header records.
    pub timestamp_offsets: BTreeMap<String, u64>,
    /// Members per compression method among those zipimport reads for modules (sources
    /// and their bytecode).
    pub module_methods: BTreeMap<String, u64>,
    /// Member names that would escape a folder when extracted (name, why).
    #[serde(default)]
    pub unsafe_names: Vec<(String, String)>,
    /// Names with more than one member (zipimport imports the last).
    #[serde(default)]
    pub duplicates: Vec<String>,
    /// Encrypted members (zipimport reads their ciphertext as if it were not).
    #[serde(default)]
    pub encrypted: Vec<String>,
    /// Bytecode zipimport accepts as this version's but cannot load (member, error).
    #[serde(default)]
    pub broken_bytecode: Vec<(String, String)>,
    /// Members doctor did not hand to zipimport's reader: too large, or inflating past
    /// what they declare (member, why).
    #[serde(default)]
    pub oversized: Vec<(String, String)>,
    /// Members whose data, as zipimport reads it, is not what their CRC-32 says
    /// (member, why): a size that lies, a damaged file.
    #[serde(default)]
    pub corrupt: Vec<(String, String)>,
    /// Modules that open, list or test a path built from `__file__` (module, lines):
    /// inside an archive that path names a member, which no file-system call reads.
    #[serde(default)]
    pub file_relative: Vec<(String, Vec<u32>)>,
}

/// The CPython release a pyc magic (hex, as in the file) belongs to: the final
/// releases' numbers, or the pre-releases between two of them.
pub fn magic_version(magic: &str) -> String {
    if magic.is_empty() {
        return "not a pyc".into();
    }
    let Ok(bytes) = hex::decode(magic) else {
        return format!("magic {magic}");
    };
    if bytes.len() != 4 || bytes[2..4] != [0x0d, 0x0a] {
        return "not a pyc".into();
    }
    let n = u16::from_le_bytes([bytes[0], bytes[1]]);
    const FINAL: [(u16, &str); 7] = [
        (3425, "3.9"),
        (3439, "3.10"),
        (3495, "3.11"),
        (3531, "3.12"),
        (3571, "3.13"),
        (3627, "3.14"),
        (3666, "3.15"),
    ];
    if let Some((_, v)) = FINAL.iter().find(|(m, _)| *m == n) {
        return format!("Python {v} (magic {n})");
    }
    match FINAL.iter().position(|(m, _)| *m > n) {
        Some(0) => format!("Python before 3.9 (magic {n})"),
        Some(i) => format!("a pre-release of Python {} (magic {n})", FINAL[i].1),
        None => format!("a Python after 3.15 (magic {n})"),
    }
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

/// How long one helper may take before it is stopped: far beyond what any archive
/// needs (a 100,000-member archive takes about a second), so only a hang reaches it.
const HELPER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

fn helper(python: &Path, tz: &str, args: &[&std::ffi::OsStr]) -> Result<std::process::Output> {
    use std::io::Read;
    use wait_timeout::ChildExt;
    let mut command = Command::new(python);
    command
        .args(["-I", "-B", "-c", include_str!("doctor.py")])
        .args(args)
        .env_clear()
        .env("TZ", tz)
        .env("LC_ALL", "C.UTF-8")
        .env("PATH", "/usr/bin:/bin")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    // Where the C library finds its zones, when the user moved them.
    if let Some(dir) = std::env::var_os("TZDIR") {
        command.env("TZDIR", dir);
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("running {}", python.display()))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let status = match child.wait_timeout(HELPER_TIMEOUT)? {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{} took more than {} s over the archive: stopped",
                python.display(),
                HELPER_TIMEOUT.as_secs()
            );
        }
    };
    Ok(std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Every interpreter's facts in every zone, in that order; the helpers run two at a
/// time (each reads the whole archive: a 100,000-member one takes seconds).
pub fn facts_of(pythons: &[PathBuf], archive: &Path, zones: &[&str]) -> Result<Vec<Facts>> {
    let jobs: Vec<(&PathBuf, &str)> = pythons
        .iter()
        .flat_map(|p| zones.iter().map(move |tz| (p, *tz)))
        .collect();
    let mut all = Vec::new();
    for pair in jobs.chunks(2) {
        let found: Vec<Result<Facts>> = std::thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .map(|(p, tz)| s.spawn(move || inspect(p, archive, tz)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an inspecting thread panicked"))
                .collect()
        });
        for f in found {
            all.push(f?);
        }
    }
    Ok(all)
}
