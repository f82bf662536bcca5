//! Evicting an artifact from the OS page cache without privileges, and checking that
//! it worked: `fdatasync` then `posix_fadvise(POSIX_FADV_DONTNEED)` on every file, then
//! `mincore` on a read-only mapping of each to count the pages still resident.
//!
//! The kernel may ignore the advice (tmpfs keeps pages in memory by design; a page
//! another process has mapped stays), so the resident fraction is measured before every
//! cold-disk sample and recorded, never assumed. Directory entries and inodes stay
//! cached, and a hypervisor may cache the virtual disk below the guest.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

/// Asks the kernel to drop every page of `files` from the page cache.
pub fn evict(files: &[PathBuf]) -> io::Result<()> {
    for path in files {
        let file = File::open(path)?;
        file.sync_data()?;
        // SAFETY: the descriptor is open for the duration of the call; offset 0 and
        // length 0 mean the whole file; the call only advises the kernel.
        let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
    }
    Ok(())
}

/// Pages of `files` resident in the page cache, and their total.
pub fn residency(files: &[PathBuf]) -> io::Result<(u64, u64)> {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as usize;
    let (mut resident, mut total) = (0u64, 0u64);
    for path in files {
        let file = File::open(path)?;
        let len = file.metadata()?.len() as usize;
        if len == 0 {
            continue;
        }
        let pages = len.div_ceil(page);
        // SAFETY: a private read-only mapping of a file we hold open, of its current
        // length; mincore writes one byte per page into a vector of exactly that many
        // bytes; the mapping is unmapped before the file is closed. Mapping does not
        // fault pages in, so the check does not disturb what it measures.
        unsafe {
            let addr = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            );
            if addr == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            let mut vec = vec![0u8; pages];
            let rc = libc::mincore(addr, len, vec.as_mut_ptr());
            let err = io::Error::last_os_error();
            libc::munmap(addr, len);
            if rc != 0 {
                return Err(err);
            }
            resident += vec.iter().filter(|&&b| b & 1 == 1).count() as u64;
        }
        total += pages as u64;
    }
    Ok((resident, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn is_tmpfs(path: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
        // SAFETY: a NUL-terminated path and a buffer of the right type; the buffer is
        // read only when the call succeeds.
        unsafe {
            libc::statfs(c.as_ptr(), st.as_mut_ptr()) == 0
                && st.assume_init().f_type == libc::TMPFS_MAGIC
        }
    }

    #[test]
    fn reading_makes_pages_resident_and_eviction_drops_them() {
        // A file on a disk-backed filesystem (the build directory): tmpfs keeps its
        // pages by design, and there this test could check nothing.
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        std::fs::create_dir_all(&base).unwrap();
        let dir = tempfile::tempdir_in(&base).unwrap();
        assert!(
            !is_tmpfs(dir.path()),
            "{} is tmpfs: eviction cannot be tested there",
            dir.path().display()
        );
        let path = dir.path().join("f.bin");
        std::fs::write(&path, vec![7u8; 1 << 20]).unwrap();
        let files = vec![path.clone()];
        let _ = std::fs::read(&path).unwrap();
        let (resident, total) = residency(&files).unwrap();
        assert_eq!(total, (1u64 << 20).div_ceil(4096));
        assert!(resident > 0, "a file just read is cached");
        evict(&files).unwrap();
        let (after, _) = residency(&files).unwrap();
        assert_eq!(
            after, 0,
            "{after} of {total} pages still resident after eviction"
        );
    }
}
