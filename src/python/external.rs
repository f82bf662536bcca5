//! External CPython interpreters (`run --python PATH`): asked about themselves and
//! made to compile the tree's bytecode by a small helper script, so each gets artifacts
//! with its own magic number and cache tag. Their workers run
//! `src/measure/external_worker.py`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use super::PythonInfo;
use crate::generate::SourceTree;
use crate::package::CompiledTree;

/// info.py (the embedded interpreter's self-description) followed by external.py.
const HELPER: &str = concat!(include_str!("info.py"), "\n", include_str!("external.py"));

fn helper(python: &Path, command: &str, stdin: Option<&[u8]>) -> Result<Vec<u8>> {
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

/// Compiles every module of `tree` with an external interpreter.
pub fn compile(python: &Path, info: &PythonInfo, tree: &SourceTree) -> Result<CompiledTree> {
    let items: Vec<(&str, String)> = tree
        .files
        .iter()
        .filter(|f| f.module.is_some())
        .map(|f| (f.path.as_str(), hex::encode(&f.contents)))
        .collect();
    let input = serde_json::to_vec(&items)?;
    let out = helper(python, "compile", Some(&input))
        .with_context(|| format!("compiling the tree with {}", python.display()))?;
    let compiled: Vec<Option<(String, String)>> =
        serde_json::from_slice(&out).context("reading the compiled tree")?;
    let magic: [u8; 4] = hex::decode(&info.magic)
        .ok()
        .and_then(|m| m.try_into().ok())
        .context("the interpreter's magic number is not 4 bytes")?;
    let mut it = compiled.into_iter();
    let mut code = Vec::with_capacity(tree.files.len());
    for f in &tree.files {
        code.push(match f.module {
            None => None,
            Some(_) => match it
                .next()
                .context("the interpreter compiled too few files")?
            {
                // Does not compile: the file stays source only.
                None => None,
                Some((c, h)) => {
                    let hash: [u8; 8] = hex::decode(h)
                        .ok()
                        .and_then(|h| h.try_into().ok())
                        .context("a source hash is not 8 bytes")?;
                    Some((hex::decode(c).context("marshalled code is not hex")?, hash))
                }
            },
        });
    }
    Ok(CompiledTree {
        magic,
        cache_tag: info.cache_tag.clone(),
        code,
    })
}
