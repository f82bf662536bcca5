//! Files the harness writes into a folder someone else may also write to (a CI
//! workspace, a shared output folder): created without following a symbolic link in
//! the last component, so a planted `OUT/results.json -> ~/.bashrc` is refused, naming
//! the link, instead of being overwritten. Replacing writes go through a temporary file
//! and a rename ([`crate::results::write_atomic`]), which replaces a link rather than
//! following it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Result, anyhow};

/// Options that refuse a symbolic link as the last component (`O_NOFOLLOW`).
pub fn no_follow() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    o
}

/// The error of opening `path` for writing, saying so when it is a link.
pub fn open_error(path: &Path, e: std::io::Error) -> anyhow::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        anyhow!(
            "{} is a symbolic link: zipimport-bench does not write through links in a \
             folder it writes into; remove the link or write into another folder",
            path.display()
        )
    } else {
        anyhow!("creating {}: {e}", path.display())
    }
}

/// `File::create`, refusing a link.
pub fn create(path: &Path) -> Result<File> {
    no_follow()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| open_error(path, e))
}

/// `std::fs::write`, refusing a link.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    use std::io::Write;
    let mut f = create(path)?;
    f.write_all(bytes.as_ref())
        .map_err(|e| anyhow!("writing {}: {e}", path.display()))
}

/// Where `dir` leads when it is itself a symbolic link (`OUT -> /elsewhere`), to be
/// said before writing there.
pub fn linked_dir(dir: &Path) -> Option<std::path::PathBuf> {
    let meta = std::fs::symlink_metadata(dir).ok()?;
    if !meta.file_type().is_symlink() {
        return None;
    }
    Some(
        std::fs::canonicalize(dir)
            .unwrap_or_else(|_| std::fs::read_link(dir).unwrap_or_else(|_| dir.to_owned())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_refused_and_its_target_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "precious").unwrap();
        let link = dir.path().join("results.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = write(&link, "overwritten").unwrap_err().to_string();
        assert!(err.contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        write(&dir.path().join("plain"), "ok").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("plain")).unwrap(),
            "ok"
        );
    }

    #[test]
    fn a_linked_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = dir.path().join("out");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(linked_dir(&link), Some(real.canonicalize().unwrap()));
        assert_eq!(linked_dir(&real), None);
    }
}
