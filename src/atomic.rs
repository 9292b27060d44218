//! Files written whole or not at all, for the client's downloads and the proxy's recordings:
//! a temporary file beside the target (a dot file named after it, so a leftover is
//! recognisable and replay ignores it), synced by its writer, then renamed into place, and
//! the directory synced so that the rename lasts.

use std::io;
use std::path::Path;
use tempfile::{NamedTempFile, PersistError};

/// A temporary file in `dir` for a file called `name`: `.{name}.XXXXXX.part`, an ordinary
/// file (the umask applies), not a private temporary one.
pub(crate) fn temporary(dir: &Path, name: &str) -> io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    let prefix = format!(".{name}.");
    builder.prefix(&prefix).suffix(".part");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    builder.tempfile_in(dir)
}

/// Renames a written and synced temporary file to `target`: replacing what is there, or
/// (`replace` false) failing with [`io::ErrorKind::AlreadyExists`] when the name is taken, the
/// file handed back in the error. Then syncs the directory (best effort: a file system that
/// cannot sync a directory is no error).
pub(crate) fn rename_into(
    file: NamedTempFile,
    target: &Path,
    replace: bool,
) -> Result<(), PersistError> {
    if replace {
        file.persist(target)?;
    } else {
        file.persist_noclobber(target)?;
    }
    #[cfg(unix)]
    if let Some(dir) = target.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_is_renamed_into_place_whole_and_a_taken_name_is_kept_when_asked() {
        let dir = tempfile::tempdir().expect("a directory");
        let target = dir.path().join("a.json");
        let mut file = temporary(dir.path(), "a.json").expect("a temporary file");
        assert!(file
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(".a.json.") && n.ends_with(".part")));
        file.write_all(b"first").expect("written");
        rename_into(file, &target, true).expect("renamed");
        assert_eq!(std::fs::read(&target).expect("read"), b"first");

        let mut second = temporary(dir.path(), "a.json").expect("a temporary file");
        second.write_all(b"second").expect("written");
        let refused = rename_into(second, &target, false).expect_err("the name is taken");
        assert_eq!(refused.error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&target).expect("read"), b"first");
        rename_into(refused.file, &target, true).expect("replaced when asked");
        assert_eq!(std::fs::read(&target).expect("read"), b"second");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("listed").collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }
}
