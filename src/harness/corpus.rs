//! A corpus of recorded responses: files, directories, JSON Lines and standard input, read
//! one response at a time so memory stays flat however large the corpus is.

use crate::input::Limits;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One response to check, or the reason it could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub struct Unit {
    /// Where it came from: a path, `path:line` for JSON Lines, `-` or `-:line` for stdin.
    pub source: String,
    /// Its bytes, or why there are none.
    pub bytes: Result<Vec<u8>, Unreadable>,
}

/// Why a response could not be read; reported as an invalid response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unreadable {
    /// Larger than the limit; not read.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The size found (at least `limit + 1` when the size was not known up front).
        found: u64,
    },
    /// The operating system refused (permission, a vanished file, ...).
    Io(String),
    /// A directory of the corpus could not be listed: the responses below it went unchecked.
    Unlisted(String),
    /// A response file name on something that is not a regular file (a FIFO, a socket, a
    /// device): not opened, since opening it may block or never end.
    NotAFile(&'static str),
}

impl Unreadable {
    /// Whether the operating system kept the response from being read (exit 2 at the end),
    /// as opposed to a response refused for its size.
    pub fn is_io(&self) -> bool {
        !matches!(self, Unreadable::TooLarge { .. })
    }
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::TooLarge { limit, found } => {
                write!(f, "expected at most {limit} bytes, found {found}")
            }
            Unreadable::Io(e) => write!(f, "cannot read: {e}"),
            Unreadable::Unlisted(e) => write!(
                f,
                "cannot list this directory: {e}; the responses below it were not checked"
            ),
            Unreadable::NotAFile(kind) => {
                write!(f, "expected a regular file, found {kind}; not opened")
            }
        }
    }
}

/// How a path names its responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The whole file is one response.
    Document,
    /// One response per line (`*.jsonl`, `*.ndjson`).
    Lines,
}

impl Layout {
    /// The layout of a file, by its extension.
    pub fn of(path: &Path) -> Layout {
        match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson") => Layout::Lines,
            _ => Layout::Document,
        }
    }
}

/// Which files of a directory are responses: `*.json`, `*.jsonl`, `*.ndjson`, then the
/// caller's filter (globs, say).
pub fn is_response_file(path: &Path) -> bool {
    path.file_name().is_some_and(is_response_name)
}

/// Whether a file called `name` (one component) is a response file by its extension, as
/// [`Path::extension`] reads it: after the last dot, unless the dot starts the name.
fn is_response_name(name: &std::ffi::OsStr) -> bool {
    let name = name.as_encoded_bytes();
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 => matches!(&name[dot + 1..], b"json" | b"jsonl" | b"ndjson"),
        _ => false,
    }
}

/// What a walk found at one path: a response file to read, or a place it could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Found {
    /// The file, or the directory that could not be listed.
    pub path: PathBuf,
    /// Why it cannot be read, when the walk already knows.
    pub refused: Option<Unreadable>,
}

impl Found {
    fn file(path: PathBuf) -> Found {
        Found {
            path,
            refused: None,
        }
    }

    fn refused(path: PathBuf, why: Unreadable) -> Found {
        Found {
            path,
            refused: Some(why),
        }
    }

    /// The responses it stands for: those of the file, or one saying why there are none.
    pub fn pending(self, limits: Limits) -> Box<dyn Iterator<Item = Pending> + Send> {
        match self.refused {
            None => pending_of(self.path, limits),
            Some(why) => Box::new(std::iter::once(Pending::Ready(Unit {
                source: self.path.display().to_string(),
                bytes: Err(why),
            }))),
        }
    }
}

/// What a file type is called in a report, for what is not a regular file.
fn kind_of(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    let _ = kind;
    "something else"
}

/// Every response file below `dir`, recursively, in a stable (sorted) order. A directory that
/// cannot be listed, and a response file name on something that is not a file, are found
/// too, as refused: the run reports them rather than leaving them out.
pub fn walk(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<Found> {
    // Depth first, each directory's entries sorted by name: the order of the paths sorted
    // whole (a path sorts by its components), without comparing whole paths.
    let mut out = Vec::new();
    let mut stack = vec![listing(dir.to_path_buf(), &mut out)];
    while let Some(top) = stack.last_mut() {
        let Some((path, kind)) = top.next() else {
            stack.pop();
            continue;
        };
        // The entry's own type, read with the listing: a link to a directory is not
        // followed (a loop would never end). A link to a file is read; a link to nothing
        // (or an entry whose type is unknown) is kept, so that reading it says why not.
        if kind.is_some_and(|k| k.is_dir()) {
            let entries = listing(path, &mut out);
            stack.push(entries);
            continue;
        }
        if !is_response_file(&path) || !keep(&path) {
            continue;
        }
        let target = match kind {
            Some(k) if k.is_symlink() => std::fs::metadata(&path).ok().map(|m| m.file_type()),
            other => other,
        };
        match target {
            Some(k) if k.is_dir() => {}
            Some(k) if !k.is_file() => {
                out.push(Found::refused(path, Unreadable::NotAFile(kind_of(k))))
            }
            _ => out.push(Found::file(path)),
        }
    }
    out
}

/// The entries of directory `dir` sorted by name, with the type each has itself. A directory
/// that cannot be listed (or whose listing breaks off) is found as refused, before whatever
/// entries were listed.
fn listing(
    dir: PathBuf,
    out: &mut Vec<Found>,
) -> std::vec::IntoIter<(PathBuf, Option<std::fs::FileType>)> {
    let mut entries = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(listing) => {
            for entry in listing {
                match entry {
                    Ok(e) => entries.push((e.file_name(), e.file_type().ok())),
                    Err(e) => {
                        out.push(Found::refused(
                            dir.clone(),
                            Unreadable::Unlisted(e.to_string()),
                        ));
                        break;
                    }
                }
            }
        }
        Err(e) => out.push(Found::refused(
            dir.clone(),
            Unreadable::Unlisted(e.to_string()),
        )),
    }
    // Sorted by name: most names differ in their first eight bytes, compared as one number.
    let head = |name: &std::ffi::OsStr| {
        let bytes = name.as_encoded_bytes();
        let mut first = [0_u8; 8];
        let n = bytes.len().min(8);
        first[..n].copy_from_slice(&bytes[..n]);
        u64::from_be_bytes(first)
    };
    let mut keyed: Vec<_> = entries
        .into_iter()
        .map(|(name, kind)| (head(&name), name, kind))
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    keyed
        .into_iter()
        .map(|(_, name, kind)| {
            let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.len());
            path.push(&dir);
            path.push(name);
            (path, kind)
        })
        .collect::<Vec<_>>()
        .into_iter()
}

/// Reads at most `limit + 1` bytes of `reader`, so an oversized input is never held whole.
fn read_capped(
    reader: impl Read,
    limit: usize,
    size_hint: usize,
) -> io::Result<Result<Vec<u8>, Unreadable>> {
    read_capped_into(Vec::new(), reader, limit, size_hint)
}

/// [`read_capped`], after the `bytes` already read: the whole at most `limit + 1` bytes.
fn read_capped_into(
    mut bytes: Vec<u8>,
    reader: impl Read,
    limit: usize,
    size_hint: usize,
) -> io::Result<Result<Vec<u8>, Unreadable>> {
    let whole = size_hint.min(limit).saturating_add(1);
    bytes.reserve(whole.saturating_sub(bytes.len()));
    let rest = limit.saturating_add(1).saturating_sub(bytes.len());
    reader.take(rest as u64).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Ok(Err(Unreadable::TooLarge {
            limit,
            found: bytes.len() as u64,
        }));
    }
    Ok(Ok(bytes))
}

/// What the first read of a file asks for. A response up to this size is read whole without
/// asking the file system its size first: most FoxAPI answers are under a kilobyte, and the
/// `statx` a size costs was a fifth of the system calls of reading one.
const FIRST_READ: usize = 16 * 1024;

/// Reads one whole file as one response. A file that fills the first read is refused unread
/// past it when its size is over the limit.
pub fn read_document(path: &Path, limits: Limits) -> Unit {
    let source = path.display().to_string();
    let limit = limits.max_bytes;
    let bytes = (|| {
        let mut file = super::opening::open(path)?;
        let first = FIRST_READ.min(limit.saturating_add(1));
        let mut bytes = Vec::with_capacity(first);
        (&mut file).take(first as u64).read_to_end(&mut bytes)?;
        if bytes.len() < first {
            return Ok(Ok(bytes));
        }
        let size = file.metadata()?.len();
        if size > limit as u64 {
            return Ok(Err(Unreadable::TooLarge { limit, found: size }));
        }
        // The rest, never more than one byte past the limit (the file may grow).
        read_capped_into(bytes, file, limit, size as usize)
    })()
    .unwrap_or_else(|e: io::Error| Err(Unreadable::Io(e.to_string())));
    Unit { source, bytes }
}

/// The responses of a JSON Lines stream, one per non-blank line, read lazily. A line over the
/// size limit is refused without holding more than the limit of it.
pub struct Lines<R> {
    reader: R,
    name: String,
    /// The number of the last line read.
    line: usize,
    limit: usize,
    done: bool,
}

impl<R: BufRead> Lines<R> {
    /// Reads `reader`, naming each response `name:line`.
    pub fn new(reader: R, name: impl Into<String>, limits: Limits) -> Lines<R> {
        Lines {
            reader,
            name: name.into(),
            line: 0,
            limit: limits.max_bytes,
            done: false,
        }
    }

    /// Reads one line into `buf` up to the limit, skipping the rest of an oversized line.
    fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<u64>> {
        let mut total: u64 = 0;
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                return Ok((total > 0).then_some(total));
            }
            let (chunk, found_newline) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], true),
                None => (available, false),
            };
            let room = self.limit.saturating_add(1).saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            total += chunk.len() as u64;
            let consumed = chunk.len() + usize::from(found_newline);
            self.reader.consume(consumed);
            if found_newline {
                return Ok(Some(total));
            }
        }
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        while !self.done {
            let mut buf = Vec::new();
            self.line += 1;
            let mut source = String::with_capacity(self.name.len() + 21);
            source.push_str(&self.name);
            source.push(':');
            source.push_str(itoa::Buffer::new().format(self.line));
            match self.next_line(&mut buf) {
                Ok(None) => self.done = true,
                Ok(Some(size)) => {
                    if buf.ends_with(b"\r") {
                        buf.pop();
                    }
                    if size > self.limit as u64 {
                        return Some(Unit {
                            source,
                            bytes: Err(Unreadable::TooLarge {
                                limit: self.limit,
                                found: size,
                            }),
                        });
                    }
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(Unit {
                        source,
                        bytes: Ok(buf),
                    });
                }
                Err(e) => {
                    self.done = true;
                    return Some(Unit {
                        source,
                        bytes: Err(Unreadable::Io(e.to_string())),
                    });
                }
            }
        }
        None
    }
}

/// One response to come: read already (a line of JSON Lines, stdin), or a whole file still to
/// read, so that reading can happen on the worker that checks it.
#[derive(Debug)]
pub enum Pending {
    /// Read already.
    Ready(Unit),
    /// A file that is one response, not read yet.
    File(PathBuf),
}

impl Pending {
    /// The unit, reading the file now if it was not read yet.
    pub fn load(self, limits: Limits) -> Unit {
        match self {
            Pending::Ready(unit) => unit,
            Pending::File(path) => read_document(&path, limits),
        }
    }
}

/// Whether `path` names standard input: `-` (or `-/`, which is the same path). Asked twice of
/// every file of a run, so its first byte is looked at before its components are compared.
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str().as_encoded_bytes().first() == Some(&b'-') && path == Path::new("-")
}

/// The responses of one path (`-` for standard input), whole files left unread.
pub fn pending(path: &Path, limits: Limits) -> Box<dyn Iterator<Item = Pending> + Send> {
    pending_of(path.to_path_buf(), limits)
}

/// [`pending`], for a path of one's own.
fn pending_of(path: PathBuf, limits: Limits) -> Box<dyn Iterator<Item = Pending> + Send> {
    if is_stdin(&path) {
        return Box::new(read_stdin(limits).map(Pending::Ready));
    }
    let unit = match Layout::of(&path) {
        Layout::Document => return Box::new(std::iter::once(Pending::File(path))),
        Layout::Lines => match File::open(&path) {
            Ok(file) => {
                let lines = Lines::new(BufReader::new(file), path.display().to_string(), limits);
                return Box::new(lines.map(Pending::Ready));
            }
            Err(e) => Unit {
                source: path.display().to_string(),
                bytes: Err(Unreadable::Io(e.to_string())),
            },
        },
    };
    Box::new(std::iter::once(Pending::Ready(unit)))
}

/// The responses of one file: one, or one per line.
pub fn read_file(path: &Path, limits: Limits) -> Box<dyn Iterator<Item = Unit> + Send> {
    Box::new(pending(path, limits).map(move |p| p.load(limits)))
}

/// The responses of standard input; see [`read_stream`].
pub fn read_stdin(limits: Limits) -> Box<dyn Iterator<Item = Unit> + Send> {
    read_stream(BufReader::new(io::stdin()), "-", limits)
}

/// The responses of a stream that is either JSON Lines or one JSON document: JSON Lines when
/// its first non-blank line is a whole JSON value and more follows, however the writer split
/// its writes. Sources are `name:line` for lines, `name` for a document.
pub fn read_stream<R: BufRead + Send + 'static>(
    mut reader: R,
    name: &str,
    limits: Limits,
) -> Box<dyn Iterator<Item = Unit> + Send> {
    let unreadable = |name: &str, e: io::Error| -> Box<dyn Iterator<Item = Unit> + Send> {
        Box::new(std::iter::once(Unit {
            source: name.to_string(),
            bytes: Err(Unreadable::Io(e.to_string())),
        }))
    };
    // Read up to and through the first non-blank line, keeping every byte.
    let mut head = Vec::new();
    let mut lines_read = 0usize;
    let first_start = loop {
        let start = head.len();
        let mut line = Vec::new();
        match (&mut reader)
            .take((limits.max_bytes as u64).saturating_add(1))
            .read_until(b'\n', &mut line)
        {
            Ok(0) => break None,
            Ok(_) => {
                lines_read += 1;
                let blank = line.iter().all(u8::is_ascii_whitespace);
                head.extend_from_slice(&line);
                if !blank || head.len() > limits.max_bytes {
                    break Some(start);
                }
            }
            Err(e) => return unreadable(name, e),
        }
    };
    let is_lines = match first_start {
        Some(start) if head.ends_with(b"\n") => {
            serde_json::from_slice::<serde::de::IgnoredAny>(&head[start..]).is_ok()
                && match more_follows(&mut reader, &mut head) {
                    Ok(more) => more,
                    Err(e) => return unreadable(name, e),
                }
        }
        _ => false,
    };
    if is_lines {
        let start = first_start.unwrap_or_default();
        let mut first = head[start..].to_vec();
        while first.last().is_some_and(u8::is_ascii_whitespace) {
            first.pop();
        }
        let blank_after = head[start..].iter().filter(|&&b| b == b'\n').count() - 1;
        let first = Unit {
            source: format!("{name}:{lines_read}"),
            bytes: Ok(first),
        };
        let mut rest = Lines::new(reader, name, limits);
        rest.line = lines_read + blank_after;
        return Box::new(std::iter::once(first).chain(rest));
    }
    let bytes = read_capped(io::Cursor::new(head).chain(reader), limits.max_bytes, 0)
        .unwrap_or_else(|e| Err(Unreadable::Io(e.to_string())));
    Box::new(std::iter::once(Unit {
        source: name.to_string(),
        bytes,
    }))
}

/// Whether anything but white space follows in `reader`; the white space read on the way is
/// kept in `head`.
fn more_follows(reader: &mut impl BufRead, head: &mut Vec<u8>) -> io::Result<bool> {
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(false);
        }
        if available.iter().any(|b| !b.is_ascii_whitespace()) {
            let blank = available
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            head.extend_from_slice(&available[..blank]);
            reader.consume(blank);
            return Ok(true);
        }
        let n = available.len();
        head.extend_from_slice(available);
        reader.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_name_is_read_as_path_extension_reads_it() {
        let by_path = |name: &str| {
            matches!(
                Path::new(name).extension().and_then(|e| e.to_str()),
                Some("json" | "jsonl" | "ndjson")
            )
        };
        for name in [
            "a.json",
            ".json",
            "..json",
            "a.b.jsonl",
            "x.ndjson",
            "a.JSON",
            "json",
            "a.",
            "..",
            ".",
            "a.json.bak",
            "a..json",
            ".a.json",
            "a.jsonl~",
            "foxapi-expect.json",
            "",
        ] {
            assert_eq!(
                is_response_name(std::ffi::OsStr::new(name)),
                by_path(name),
                "{name:?}"
            );
        }
    }

    fn limits(max_bytes: usize) -> Limits {
        Limits {
            max_bytes,
            ..Limits::default()
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_walk_reads_linked_files_but_never_follows_a_linked_directory() {
        let root = tempfile::tempdir().expect("a temporary directory");
        let dir = root.path();
        std::fs::create_dir(dir.join("sub")).expect("mkdir");
        std::fs::write(dir.join("sub/b.json"), "{}").expect("write");
        std::fs::write(dir.join("a.json"), "{}").expect("write");
        std::fs::write(dir.join("notes.txt"), "").expect("write");
        std::os::unix::fs::symlink(dir.join("a.json"), dir.join("c.json")).expect("link");
        // A link to nothing is kept: reading it is what says it is broken.
        std::os::unix::fs::symlink(dir.join("gone.json"), dir.join("d.json")).expect("link");
        // A link back to the root: following it would never end.
        std::os::unix::fs::symlink(dir, dir.join("sub/loop")).expect("link");
        let found: Vec<PathBuf> = walk(dir, &|_| true).into_iter().map(|f| f.path).collect();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(dir).expect("below the root").to_path_buf())
            .collect();
        let expected: Vec<PathBuf> = ["a.json", "c.json", "d.json", "sub/b.json"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(names, expected);
        let kept = walk(dir, &|p| !p.ends_with("c.json"));
        assert_eq!(kept.len(), 3);
        let broken = read_document(&dir.join("d.json"), Limits::default());
        assert!(matches!(broken.bytes, Err(Unreadable::Io(_))));
    }

    #[test]
    fn a_walk_finds_files_in_the_order_of_their_whole_paths_sorted() {
        // Paths sort by components: the files of directory `a` come before `a-b/x.json` and
        // `a.json` (`a` is a prefix of both), where sorting the paths as text would put
        // `a/b.json` last of the four.
        let root = tempfile::tempdir().expect("a temporary directory");
        let dir = root.path();
        for sub in ["a", "a-b", "b/c", "b/c/d"] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        }
        let files = [
            "a.json",
            "a/z.json",
            "a/b.json",
            "a-b/x.json",
            "b.json",
            "b/c.json",
            "b/c/d/e.json",
            "b/c/a.json",
            "B.json",
            "_.json",
            "a.jsonl",
        ];
        for file in files {
            std::fs::write(dir.join(file), "{}").expect("write");
        }
        let found: Vec<PathBuf> = walk(dir, &|_| true).into_iter().map(|f| f.path).collect();
        let mut sorted: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
        sorted.sort();
        assert_eq!(found, sorted);
    }

    #[test]
    fn lines_are_numbered_from_one_and_blank_lines_skipped() {
        let input = b"{\"a\":1}\n\n{\"b\":2}\r\n";
        let units: Vec<Unit> = Lines::new(&input[..], "x.jsonl", limits(100)).collect();
        let sources: Vec<&str> = units.iter().map(|u| u.source.as_str()).collect();
        assert_eq!(sources, ["x.jsonl:1", "x.jsonl:3"]);
        assert_eq!(units[1].bytes.as_deref().ok(), Some(&b"{\"b\":2}"[..]));
    }

    #[test]
    fn an_oversized_line_is_refused_and_the_next_one_read() {
        let input = b"{\"long\":\"xxxxxxxxxxxxxxxxxxxx\"}\n{}\n";
        let units: Vec<Unit> = Lines::new(&input[..], "x", limits(8)).collect();
        assert!(matches!(
            units[0].bytes,
            Err(Unreadable::TooLarge {
                limit: 8,
                found: 31
            })
        ));
        assert_eq!(units[1].bytes.as_deref().ok(), Some(&b"{}"[..]));
    }

    fn sources_of(input: &'static [u8]) -> Vec<String> {
        read_stream(
            std::io::BufReader::with_capacity(4, input),
            "-",
            limits(1 << 20),
        )
        .map(|u| u.source)
        .collect()
    }

    #[test]
    fn a_stream_is_json_lines_when_its_first_line_is_a_whole_value_and_more_follows() {
        assert_eq!(sources_of(b"{\"a\":1}\n{\"a\":2}\n"), ["-:1", "-:2"]);
        assert_eq!(sources_of(b"\n\n{\"a\":1}\n\n{\"a\":2}"), ["-:3", "-:5"]);
        assert_eq!(sources_of(b"{\n  \"a\": 1\n}\n"), ["-"]);
        assert_eq!(sources_of(b"{\"a\":1}\n"), ["-"]);
        assert_eq!(sources_of(b"{\"a\":1}\n   \n"), ["-"]);
    }

    #[test]
    fn a_first_line_longer_than_the_buffer_still_makes_json_lines() {
        let long = format!("{{\"text\":\"{}\"}}\n{{}}\n", "x".repeat(20_000));
        let units: Vec<Unit> = read_stream(
            std::io::Cursor::new(long.into_bytes()),
            "-",
            limits(1 << 20),
        )
        .collect();
        assert_eq!(units.len(), 2);
        assert_eq!(units[1].bytes.as_deref().ok(), Some(&b"{}"[..]));
    }
}
