//! The proxy's files, written whole or not at all ([`crate::atomic`]: a temporary dot file
//! beside the target, which replay ignores, synced, renamed into place). Cassettes are never
//! renamed over one already there, so two proxies recording into one directory each take
//! their own names.

use crate::atomic::rename_into;
pub(crate) use crate::atomic::temporary;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Puts a written temporary file at `target`, synced: replacing what is there, or (`replace`
/// false) failing with [`io::ErrorKind::AlreadyExists`] when the name is taken.
pub(crate) fn persist(file: NamedTempFile, target: &Path, replace: bool) -> io::Result<()> {
    file.as_file().sync_all()?;
    rename_into(file, target, replace).map_err(|e| e.error)
}

/// Writes `bytes` to `dir/name` atomically, replacing what is there.
pub(crate) fn replace(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let mut file = temporary(dir, name)?;
    file.write_all(bytes)?;
    let target = dir.join(name);
    persist(file, &target, true)?;
    Ok(target)
}

/// Writes `bytes` to the first free `dir/{NNNN}-{suffix}` from number `from` on; returns the
/// number taken and the path. A name another writer took meanwhile is skipped, never replaced.
pub(crate) fn numbered(
    dir: &Path,
    from: u32,
    suffix: &str,
    bytes: &[u8],
) -> io::Result<(u32, PathBuf)> {
    let mut file = temporary(dir, suffix)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    let mut number = from;
    loop {
        let target = dir.join(format!("{number:04}-{suffix}"));
        if target.exists() {
            number += 1;
            continue;
        }
        match rename_into(file, &target, false) {
            Ok(()) => return Ok((number, target)),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                file = e.file;
                number += 1;
            }
            Err(e) => return Err(e.error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_files_skip_names_taken_and_never_replace_them() {
        let dir = tempfile::tempdir().expect("a directory");
        std::fs::write(dir.path().join("0001-GET-200.json"), "theirs").expect("a file");
        let (n, path) = numbered(dir.path(), 1, "GET-200.json", b"ours").expect("written");
        assert_eq!(n, 2);
        assert_eq!(std::fs::read(&path).expect("read"), b"ours");
        assert_eq!(
            std::fs::read(dir.path().join("0001-GET-200.json")).expect("read"),
            b"theirs"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }
}
