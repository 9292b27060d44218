//! How the harness opens response files. A corpus is thousands of files in a few
//! directories: opened by their whole paths, each open walks every component of the directory
//! again. On Linux, during a run, each checking thread holds a handle on the directory it
//! opened a file in last and opens the next file of that directory relative to it, so only
//! the file's own name is looked up; and it asks the file system not to update access times
//! (`O_NOATIME`), which only a file's owner may ask: after the first refusal, files open
//! without it.
//!
//! Handles are held only while a run lasts ([`Caching`]): a relative path names another file
//! once the process changes its working directory, which a caller may do between runs. A
//! directory replaced while a run reads it (renamed away, another made in its place) is read
//! on through the handle, as a process that changed into it would.

use std::fs::File;
use std::io;
use std::path::Path;

/// Opens the file at `path` to read.
pub(crate) fn open(path: &Path) -> io::Result<File> {
    #[cfg(target_os = "linux")]
    if let Some(opened) = linux::open(path) {
        return opened;
    }
    File::open(path)
}

/// Directory handles held on the thread that made it (it cannot be sent to another), until
/// it is dropped (when the handles are closed). A thread that lives only as long as a run calls
/// [`Caching::for_this_thread`] instead.
#[must_use = "handles are held only while this lives"]
pub(crate) struct Caching(std::marker::PhantomData<*const ()>);

impl Caching {
    /// Holds directory handles on this thread from now until the value is dropped, none
    /// from before (a run started within another's, after a change of working directory,
    /// opens its own).
    pub(crate) fn start() -> Caching {
        #[cfg(target_os = "linux")]
        linux::DIRECTORY.take();
        Caching::for_this_thread();
        Caching(std::marker::PhantomData)
    }

    /// Holds directory handles on this thread for as long as it lives: for threads a run
    /// starts and ends.
    pub(crate) fn for_this_thread() {
        #[cfg(target_os = "linux")]
        linux::CACHING.set(true);
    }
}

impl Drop for Caching {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        {
            linux::CACHING.set(false);
            linux::DIRECTORY.take();
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use rustix::fs::{Mode, OFlags};
    use std::cell::{Cell, RefCell};
    use std::fs::File;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Whether a file refused `O_NOATIME` once (it has another owner): files open without it
    /// from then on.
    static NOATIME_REFUSED: AtomicBool = AtomicBool::new(false);

    thread_local! {
        /// Whether this thread holds directory handles now ([`super::Caching`]).
        pub(super) static CACHING: Cell<bool> = const { Cell::new(false) };
        /// The directory this thread opened a file in last (its path as given), and a handle
        /// on it.
        pub(super) static DIRECTORY: RefCell<Option<(Vec<u8>, OwnedFd)>> =
            const { RefCell::new(None) };
    }

    /// `path` opened relative to a handle on its directory; `None` outside a run, for a path
    /// without a directory part, or one that does not end in a file name (`a/..`), or whose
    /// directory cannot be opened: the caller opens it whole, and says why it cannot.
    pub(super) fn open(path: &Path) -> Option<io::Result<File>> {
        if !CACHING.get() {
            return None;
        }
        let bytes = path.as_os_str().as_encoded_bytes();
        let slash = memchr::memrchr(b'/', bytes)?;
        // The root is `/` itself; any other directory is all before the last slash.
        let (directory, name) = (&bytes[..slash.max(1)], &bytes[slash + 1..]);
        if matches!(name, b"" | b"." | b"..") {
            return None;
        }
        DIRECTORY.with_borrow_mut(|held| {
            if held.as_ref().is_none_or(|(path, _)| path != directory) {
                let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
                let handle = rustix::fs::open(directory, flags, Mode::empty()).ok()?;
                *held = Some((directory.to_vec(), handle));
            }
            held.as_ref().map(|(_, handle)| open_in(handle, name))
        })
    }

    /// The file `name` of the directory `handle` holds, opened to read.
    fn open_in(handle: &OwnedFd, name: &[u8]) -> io::Result<File> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        if !NOATIME_REFUSED.load(Ordering::Relaxed) {
            match rustix::fs::openat(handle, name, flags | OFlags::NOATIME, Mode::empty()) {
                Err(rustix::io::Errno::PERM) => NOATIME_REFUSED.store(true, Ordering::Relaxed),
                opened => return Ok(File::from(opened?)),
            }
        }
        Ok(File::from(rustix::fs::openat(
            handle,
            name,
            flags,
            Mode::empty(),
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::{open, Caching};
    use std::io::Read;

    fn read(path: &std::path::Path) -> std::io::Result<String> {
        let mut text = String::new();
        open(path)?.read_to_string(&mut text)?;
        Ok(text)
    }

    #[test]
    fn files_of_one_directory_and_of_others_open_as_by_their_whole_paths() {
        let _caching = Caching::start();
        let root = tempfile::tempdir().expect("a directory");
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        std::fs::create_dir(&a).expect("a");
        std::fs::create_dir(&b).expect("b");
        std::fs::write(a.join("1.json"), "a1").expect("a/1");
        std::fs::write(a.join("2.json"), "a2").expect("a/2");
        std::fs::write(b.join("1.json"), "b1").expect("b/1");
        // Back and forth between directories: each file is the one its path names.
        for (path, text) in [
            (a.join("1.json"), "a1"),
            (a.join("2.json"), "a2"),
            (b.join("1.json"), "b1"),
            (a.join("1.json"), "a1"),
            (b.join("..").join("a").join("2.json"), "a2"),
        ] {
            assert_eq!(read(&path).expect("readable"), text, "{}", path.display());
        }
    }

    #[test]
    fn handles_last_as_long_as_the_run_that_holds_them() {
        let root = tempfile::tempdir().expect("a directory");
        let (dir, moved) = (root.path().join("d"), root.path().join("d.old"));
        std::fs::create_dir(&dir).expect("d");
        std::fs::write(dir.join("a.json"), "old").expect("d/a");
        let run = Caching::start();
        assert_eq!(read(&dir.join("a.json")).expect("readable"), "old");
        std::fs::rename(&dir, &moved).expect("moved away");
        std::fs::create_dir(&dir).expect("another d");
        std::fs::write(dir.join("a.json"), "new").expect("the other d/a");
        // Within the run, the directory is read on through its handle.
        assert_eq!(read(&dir.join("a.json")).expect("readable"), "old");
        drop(run);
        // Outside a run, and in the next one, the path names what it names now.
        assert_eq!(read(&dir.join("a.json")).expect("readable"), "new");
        let _next = Caching::start();
        assert_eq!(read(&dir.join("a.json")).expect("readable"), "new");
    }

    #[test]
    fn what_cannot_be_opened_fails_as_opening_the_whole_path_does() {
        let _caching = Caching::start();
        let root = tempfile::tempdir().expect("a directory");
        let file = root.path().join("f.json");
        std::fs::write(&file, "{}").expect("a file");
        for path in [
            root.path().join("missing.json"),
            root.path().join("no-such-dir").join("x.json"),
            file.join("below-a-file.json"),
            root.path().join(".."),
            root.path().to_path_buf(),
        ] {
            let ours = open(&path).and_then(|mut f| f.read(&mut [0; 1]));
            let whole = std::fs::File::open(&path).and_then(|mut f| f.read(&mut [0; 1]));
            assert_eq!(
                ours.map_err(|e| e.kind()),
                whole.map_err(|e| e.kind()),
                "{}",
                path.display()
            );
        }
    }
}
