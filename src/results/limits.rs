//! What a results file may hold: a file read from a pull request is input like any
//! other, and is refused, naming the file and the field, before anything is computed
//! from it when it is larger than any run writes. The limits are in FORMAT.md.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Result, bail};
use serde_json::Value;

use super::Results;
use crate::status::Status;

/// The largest results file read, bytes.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// The most elements of any array (samples of a case, cases of a run, ...).
pub const MAX_ARRAY: usize = 1_000_000;
/// The longest string, bytes (a Python traceback, a command line).
pub const MAX_STRING: usize = 1 << 20;
/// The deepest nesting of arrays and objects.
pub const MAX_DEPTH: usize = 64;

/// Refuses a file over [`MAX_FILE_BYTES`] before reading it.
pub fn check_size(path: &Path) -> Result<()> {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if len > MAX_FILE_BYTES {
        bail!(
            "{}: {len} bytes; a results file may hold at most {MAX_FILE_BYTES} bytes",
            path.display()
        );
    }
    Ok(())
}

/// Refuses a value holding an array longer than [`MAX_ARRAY`], a string longer than
/// [`MAX_STRING`] or nesting deeper than [`MAX_DEPTH`], naming where (`cases[3].samples_ns`).
pub fn check_value(path: &Path, v: &Value) -> Result<()> {
    fn walk(v: &Value, at: &mut String, depth: usize) -> Option<String> {
        if depth > MAX_DEPTH {
            return Some(format!("{at}: nested deeper than {MAX_DEPTH} levels"));
        }
        match v {
            Value::String(s) if s.len() > MAX_STRING => Some(format!(
                "{at}: a string of {} bytes; at most {MAX_STRING}",
                s.len()
            )),
            Value::Array(a) if a.len() > MAX_ARRAY => {
                Some(format!("{at}: {} elements; at most {MAX_ARRAY}", a.len()))
            }
            Value::Array(a) => a.iter().enumerate().find_map(|(i, x)| {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                let found = walk(x, at, depth + 1);
                at.truncate(len);
                found
            }),
            Value::Object(o) => o.iter().find_map(|(k, x)| {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(k);
                let found = walk(x, at, depth + 1);
                at.truncate(len);
                found
            }),
            _ => None,
        }
    }
    match walk(v, &mut String::new(), 0) {
        Some(why) => bail!("{}: {why}", path.display()),
        None => Ok(()),
    }
}

/// What every renderer and the gate rely on, checked once: one case per scenario,
/// variant and mode, and every `ok` case with samples and their summary.
pub fn check_results(path: &Path, r: &Results) -> Result<()> {
    let mut seen = HashSet::new();
    for (i, c) in r.cases.iter().enumerate() {
        let key = (&c.scenario, &c.variant, c.mode);
        if !seen.insert(key) {
            bail!(
                "{}: cases[{i}]: a second case {}/{}/{} (a case appears once a run)",
                path.display(),
                c.scenario,
                c.variant,
                c.mode
            );
        }
        let missing = if c.samples_ns.is_empty() {
            Some("samples")
        } else if c.summary.is_none() {
            Some("its summary")
        } else {
            None
        };
        if let (Status::Ok, Some(missing)) = (c.status, missing) {
            bail!(
                "{}: cases[{i}] ({}/{}/{}): status ok without {missing}",
                path.display(),
                c.scenario,
                c.variant,
                c.mode
            );
        }
    }
    Ok(())
}
