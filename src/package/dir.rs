//! Directory artifacts: files written with fixed modification times.

use std::fs::{self, File, FileTimes};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context, Result};

use super::{ArtifactInfo, Entry, SOURCE_EPOCH, tree_sha256};

/// Writes `files` under `root` (which must not exist yet) and stamps every file with
/// [`SOURCE_EPOCH`], the time timestamp pycs record.
pub(super) fn write(root: &Path, files: &[Entry]) -> Result<ArtifactInfo> {
    fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    let mtime = UNIX_EPOCH + Duration::from_secs(u64::from(SOURCE_EPOCH));
    let times = FileTimes::new().set_modified(mtime).set_accessed(mtime);
    for f in files {
        let path = root.join(&f.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        crate::files::write(&path, &f.data)?;
        File::options()
            .write(true)
            .open(&path)
            .and_then(|file| file.set_times(times))
            .with_context(|| format!("setting the time of {}", path.display()))?;
    }
    Ok(ArtifactInfo {
        path: root.to_owned(),
        size: files.iter().map(|f| f.data.len() as u64).sum(),
        entries: files.len() as u64,
        sha256: tree_sha256(files),
    })
}
