//! An `archive` corpus: a user's own zip (a zipapp with its shebang, a code bundle, a
//! wheel or an egg), read member by member into a tree so that variants can be derived
//! from its contents, while the archive itself is measured as shipped. Its workload is
//! listed, discovered (every module imported from the shipped archive in a fresh
//! interpreter), or taken from one untimed run of its `__main__` (`entry`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The largest member an archive corpus reads (declared or inflated): far beyond any
/// module or data file a Python archive ships, far below what would exhaust memory.
pub const MEMBER_LIMIT: u64 = 256 << 20;

/// Every member that belongs in the derived variants: sources and data, with the
/// archive's own bytecode (`.pyc`, `__pycache__/`) left out, since each derived variant
/// compiles its own. Hostile archives are refused naming the member: a name that would
/// escape the tree it is written into, an encrypted member, one that declares or
/// inflates to more than [`MEMBER_LIMIT`], one whose data is not what it declares.
/// A name given twice keeps its last copy, as zipimport does.
pub(super) fn read_members(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a zip archive", path.display()))?;
    let mut out = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let member = archive
            .by_index_raw(i)
            .with_context(|| format!("reading member {i} of {}", path.display()))?;
        if member.is_dir() {
            continue;
        }
        let name = member
            .name()
            .with_context(|| format!("a member name of {} is not UTF-8", path.display()))?
            .to_string();
        if member.enclosed_name().is_none() || name.contains('\\') || name.contains('\0') {
            bail!(
                "{}: member {name:?} would be written outside the tree (an absolute path, a \
                 `..` component, a backslash or a NUL): rename or remove it",
                path.display()
            );
        }
        if member.encrypted() {
            bail!("{}: member {name:?} is encrypted", path.display());
        }
        if name.ends_with(".pyc") || name.split('/').any(|p| p == "__pycache__") {
            continue;
        }
        let declared = member.size();
        if declared > MEMBER_LIMIT {
            bail!(
                "{}: member {name:?} declares {declared} bytes uncompressed, more than an \
                 archive corpus reads ({} MiB)",
                path.display(),
                MEMBER_LIMIT >> 20
            );
        }
        drop(member);
        let member = archive
            .by_index(i)
            .with_context(|| format!("reading {name} from {}", path.display()))?;
        let mut data = Vec::new();
        // One byte past what it declares: a member that inflates further is caught
        // without being inflated.
        member
            .take(declared + 1)
            .read_to_end(&mut data)
            .with_context(|| format!("reading {name} from {}", path.display()))?;
        if data.len() as u64 > declared {
            bail!(
                "{}: member {name:?} inflates past the {declared} bytes it declares (a \
                 decompression bomb?)",
                path.display()
            );
        }
        if (data.len() as u64) < declared {
            bail!(
                "{}: member {name:?} declares {declared} bytes but holds {}",
                path.display(),
                data.len()
            );
        }
        out.insert(name, data);
    }
    Ok(out.into_iter().collect())
}

/// What running the archive's `__main__` imported from it, in order, and what it
/// raised if it raised (a program that fails part-way still imported what it did).
pub(super) fn entry_modules(
    python: &Path,
    archive: &Path,
    args: &[String],
) -> Result<(Vec<String>, Option<String>)> {
    #[derive(Deserialize)]
    struct Ran {
        modules: Vec<String>,
        error: Option<String>,
    }
    let archive = archive
        .canonicalize()
        .with_context(|| format!("resolving {}", archive.display()))?;
    let out = Command::new(python)
        .args(["-I", "-B", "-c", include_str!("entry.py")])
        .arg(&archive)
        .args(args)
        .env_clear()
        .env("TZ", "UTC")
        .env("LC_ALL", "C.UTF-8")
        .env("PATH", "/usr/bin:/bin")
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running {} with {}", archive.display(), python.display()))?;
    if !out.status.success() {
        bail!(
            "running the entry point of {} failed ({}): {}",
            archive.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        );
    }
    let ran: Ran = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("reading what {} imported", archive.display()))?;
    if ran.modules.is_empty() {
        bail!(
            "running {} {} imported no module from the archive{}: give the workload as \
             [workload] modules instead",
            archive.display(),
            args.join(" "),
            ran.error
                .map(|e| format!(" (it raised {e})"))
                .unwrap_or_default()
        );
    }
    Ok((ran.modules, ran.error))
}
