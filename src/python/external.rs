//! External CPython interpreters (`run --python PATH`): asked about themselves, and
//! driven by a small helper script (`package` has it compile each tree's bytecode, so
//! each interpreter gets artifacts with its own magic number and cache tag). Their workers run
//! `src/measure/external_worker.py`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::PythonInfo;

/// info.py (the embedded interpreter's self-description) followed by external.py.
const HELPER: &str = concat!(include_str!("info.py"), "\n", include_str!("external.py"));

/// Runs the helper script's `command` under `python`, feeding it `stdin`; its output.
pub(crate) fn helper(python: &Path, command: &str, stdin: Option<&[u8]>) -> Result<Vec<u8>> {
    let mut child = Command::new(python)
        .args(["-I", "-B", "-c", HELPER, command])
        .env_clear()
        .env("LC_ALL", "C.UTF-8")
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run the interpreter {}", python.display()))?;
    let mut input = child.stdin.take().expect("stdin is piped");
    let data = stdin.map(<[u8]>::to_vec);
    let writer = std::thread::spawn(move || {
        if let Some(d) = data {
            let _ = input.write_all(&d);
        }
    });
    let out = child
        .wait_with_output()
        .with_context(|| format!("waiting for {}", python.display()))?;
    let _ = writer.join();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "{} {command} failed ({}): {}",
            python.display(),
            out.status,
            err.lines().last().unwrap_or_default()
        );
    }
    Ok(out.stdout)
}

/// Asks an external interpreter about itself; refuses anything but CPython 3.9+.
pub fn query(python: &Path) -> Result<PythonInfo> {
    let out = helper(python, "info", None)?;
    let info: PythonInfo = serde_json::from_slice(&out)
        .with_context(|| format!("{} did not describe itself", python.display()))?;
    let minor = info
        .version_short
        .split('.')
        .nth(1)
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    if info.implementation != "cpython" || !info.version_short.starts_with("3.") || minor < 9 {
        bail!(
            "{} is {} {}; zipimport-bench measures CPython 3.9 and later",
            python.display(),
            info.implementation,
            info.version_short
        );
    }
    Ok(info)
}
