//! One writer per output folder: `run` (resume included), `generate`, `merge` and
//! `report` hold an advisory lock on `OUT/.zipimport-bench.lock` for their whole life,
//! so a second command writing into the same folder stops at once, naming the holder,
//! instead of silently overwriting the first one's results and journal.
//!
//! The lock is the kernel's (`flock` through [`std::fs::File::try_lock`]): it ends with
//! the process however the process ends, SIGKILL included, so a lock left by a killed
//! run is never mistaken for a live one. The file also records who holds it (pid,
//! command, start time): a second command quotes it, and a command that takes over a
//! file a killed holder left behind says so. A command that ends normally removes the
//! file.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

/// The lock file's name inside the output folder.
pub const LOCK_FILE: &str = ".zipimport-bench.lock";

/// A held lock on an output folder; released (and its file removed) when dropped.
#[derive(Debug)]
pub struct OutLock {
    file: File,
    path: PathBuf,
    /// The holder a killed command left in the file, when this lock took it over.
    pub took_over: Option<String>,
}

/// Who holds a lock, as its file records it: `pid 123, run, started 2026-...`.
fn holder(text: &str) -> Option<String> {
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
    };
    let pid = field("pid ")?;
    Some(format!(
        "pid {pid}, `{}`, started {}",
        field("command ").unwrap_or_else(|| "?".into()),
        field("started ").unwrap_or_else(|| "?".into())
    ))
}

/// Takes the lock on `dir` (created when missing) for `command`, or fails at once with
/// the holder's pid, command and start time.
pub fn lock_out_dir(dir: &Path, command: &str) -> Result<OutLock> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(LOCK_FILE);
    // The file can be removed by a holder releasing it between our open and our lock:
    // a lock on a removed file guards nothing, so check and retry.
    for _ in 0..16 {
        // Not through a link: a planted `OUT/.zipimport-bench.lock -> ~/.profile`
        // would otherwise be truncated and overwritten with the holder's record.
        let mut file = crate::files::no_follow()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| crate::files::open_error(&path, e))?;
        if let Err(e) = file.try_lock() {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            if matches!(e, std::fs::TryLockError::WouldBlock) {
                bail!(
                    "{} is in use by another zipimport-bench command ({}): wait for it to \
                     finish, or write into another folder",
                    dir.display(),
                    holder(&text).unwrap_or_else(|| "holder not recorded yet".into())
                );
            }
            bail!("locking {}: {e:?}", path.display());
        }
        let same = match (file.metadata(), std::fs::symlink_metadata(&path)) {
            (Ok(held), Ok(named)) => held.ino() == named.ino() && held.dev() == named.dev(),
            _ => false,
        };
        if !same {
            continue;
        }
        let mut left = String::new();
        file.read_to_string(&mut left)
            .with_context(|| format!("reading {}", path.display()))?;
        let record = format!(
            "pid {}\ncommand {command}\nstarted {}\n",
            std::process::id(),
            humantime::format_rfc3339_seconds(SystemTime::now())
        );
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(record.as_bytes()))
            .and_then(|()| file.flush())
            .with_context(|| format!("writing {}", path.display()))?;
        return Ok(OutLock {
            file,
            path,
            took_over: holder(&left),
        });
    }
    bail!(
        "could not lock {}: its lock file kept being replaced",
        dir.display()
    )
}

/// [`lock_out_dir`], with a note on standard error when it took over a lock a killed
/// command left, or when the folder is a link to another one.
pub fn lock_out_dir_noted(dir: &Path, command: &str) -> Result<OutLock> {
    if let Some(to) = crate::files::linked_dir(dir) {
        crate::note!(
            "note: {} is a symbolic link; writing into {}",
            dir.display(),
            to.display()
        );
    }
    let lock = lock_out_dir(dir, command)?;
    if let Some(old) = &lock.took_over {
        crate::note!(
            "note: {} was locked by a command that did not end normally ({old}); it is \
             no longer running, so this one took the lock over",
            dir.display()
        );
    }
    Ok(lock)
}

impl Drop for OutLock {
    fn drop(&mut self) {
        // Removed while still held: whoever opened the old file and locks it after us
        // sees it is no longer the named one and retries.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_folder_is_refused_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_out_dir(dir.path(), "run").unwrap();
        assert!(first.took_over.is_none());
        let err = lock_out_dir(dir.path(), "report").unwrap_err().to_string();
        assert!(err.contains("in use by another"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains("`run`"), "{err}");
        drop(first);
        assert!(!dir.path().join(LOCK_FILE).exists());
        let again = lock_out_dir(dir.path(), "report").unwrap();
        assert!(again.took_over.is_none());
    }

    #[test]
    fn a_file_left_unlocked_is_taken_over_with_its_holder_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(LOCK_FILE),
            "pid 999999\ncommand run\nstarted 2026-01-01T00:00:00Z\n",
        )
        .unwrap();
        let lock = lock_out_dir(dir.path(), "run").unwrap();
        assert_eq!(
            lock.took_over.as_deref(),
            Some("pid 999999, `run`, started 2026-01-01T00:00:00Z")
        );
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert!(text.starts_with(&format!("pid {}\n", std::process::id())));
    }

    #[test]
    fn a_lock_file_that_is_a_link_is_refused_and_its_target_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep me\n").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&target, out.join(LOCK_FILE)).unwrap();
        let err = lock_out_dir(&out, "report").unwrap_err().to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
        assert!(std::fs::symlink_metadata(out.join(LOCK_FILE)).is_ok());
    }
}
