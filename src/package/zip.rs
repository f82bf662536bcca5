//! Zip artifacts, byte-identical from run to run: members in path order, each package
//! directory as its own entry before its files (as `zip -r` and `zipapp` write them),
//! fixed member times and permissions, no extra fields.
//!
//! The Rust `zip` crate writes stored, deflate, bzip2, xz and zstd members; it cannot
//! write LZMA (method 14), so LZMA archives are written by the embedded interpreter's
//! `zipfile` module with the same member order, times and permissions. bzip2, xz and
//! LZMA members, which zipimport cannot read at all, are written at their fastest
//! setting.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::{ArtifactInfo, Entry, sha256_hex};
use crate::python::{self, format_err, load_module};
use crate::scenario::Compression;

/// Member time: 2020-01-01 00:00:00, the DOS form of [`super::SOURCE_EPOCH`] in UTC.
const MEMBER_TIME: (u16, u8, u8, u8, u8, u8) = (2020, 1, 1, 0, 0, 0);

/// Archive members in order: `(name, Some(data))` for files, `(name/, None)` for
/// directories.
fn members(files: &[Entry]) -> Vec<(String, Option<&[u8]>)> {
    let mut dirs = BTreeSet::new();
    for f in files {
        let mut p = f.path.as_str();
        while let Some((parent, _)) = p.rsplit_once('/') {
            dirs.insert(format!("{parent}/"));
            p = parent;
        }
    }
    let mut out: Vec<(String, Option<&[u8]>)> = dirs.into_iter().map(|d| (d, None)).collect();
    out.extend(
        files
            .iter()
            .map(|f| (f.path.clone(), Some(f.data.as_slice()))),
    );
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Writes `files` as a zip archive at `path`.
pub(super) fn write(
    path: &Path,
    files: &[Entry],
    compression: Compression,
) -> Result<ArtifactInfo> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let members = members(files);
    match compression {
        Compression::Lzma => write_with_python(path, &members)?,
        _ => write_with_crate(path, &members, compression)?,
    }
    let bytes = fs::read(path).with_context(|| format!("reading back {}", path.display()))?;
    Ok(ArtifactInfo {
        path: path.to_owned(),
        size: bytes.len() as u64,
        entries: members.len() as u64,
        sha256: sha256_hex(&bytes),
    })
}

fn write_with_crate(
    path: &Path,
    members: &[(String, Option<&[u8]>)],
    compression: Compression,
) -> Result<()> {
    let (y, mo, d, h, mi, s) = MEMBER_TIME;
    let time = DateTime::from_date_and_time(y, mo, d, h, mi, s).expect("valid fixed date");
    let (method, level) = match compression {
        Compression::Stored => (CompressionMethod::Stored, None),
        Compression::Deflate(l) => (CompressionMethod::Deflated, Some(i64::from(l))),
        // zipimport cannot read bzip2, xz or LZMA members at any level; they are
        // written at their fastest, smallest-memory setting (the defaults, 900 kB blocks
        // and an 8 MiB dictionary per member, took about a minute each for a
        // 10,000-module tree, most of it allocating encoder state).
        Compression::Bzip2 => (CompressionMethod::Bzip2, Some(1)),
        Compression::Xz => (CompressionMethod::Xz, Some(0)),
        Compression::Zstd(l) => (CompressionMethod::Zstd, Some(i64::from(l))),
        Compression::Lzma => unreachable!("LZMA archives are written by zipfile"),
    };
    let file_options = SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(level)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let dir_options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(0o755);

    let file = crate::files::create(path)?;
    let mut zip = ZipWriter::new(BufWriter::new(file));
    for (name, data) in members {
        match data {
            None => zip.add_directory(name.trim_end_matches('/'), dir_options),
            Some(data) => zip
                .start_file(name, file_options)
                .and_then(|()| zip.write_all(data).map_err(Into::into)),
        }
        .with_context(|| format!("adding {name} to {}", path.display()))?;
    }
    let mut out = zip
        .finish()
        .with_context(|| format!("finishing {}", path.display()))?;
    out.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn write_with_python(path: &Path, members: &[(String, Option<&[u8]>)]) -> Result<()> {
    python::attach(|py| {
        let m = load_module(py, "zib_compile", include_str!("compile.py"))?;
        let items: Vec<(String, Option<pyo3::Bound<'_, PyBytes>>)> = members
            .iter()
            .map(|(name, data)| (name.clone(), data.map(|d| PyBytes::new(py, d))))
            .collect();
        let (y, mo, d, h, mi, s) = MEMBER_TIME;
        m.call_method1(
            "write_zip",
            (
                path.to_string_lossy().into_owned(),
                items,
                (y, mo, d, h, mi, s),
                "ZIP_LZMA",
            ),
        )
        .map_err(|e| {
            anyhow::anyhow!(
                "writing {} with zipfile: {}",
                path.display(),
                format_err(py, &e)
            )
        })?;
        Ok(())
    })
}
