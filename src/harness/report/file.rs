//! Report files: written whole or not at all (a temporary file renamed into place), through
//! links, devices and FIFOs rather than over them, and never one of the run's own inputs.

use super::{Format, Rendered, Renderer, Sink};
use crate::harness::run::place;
use crate::harness::{Outcome, Totals};
use crate::untrusted::printable;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::TempPath;

/// What names the same file as `path` for the purpose of comparing: its device and inode
/// where there are such, else its canonical path. `None` when it does not exist.
fn identity(path: &Path) -> Option<(u64, u64, PathBuf)> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino(), PathBuf::new()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Some((0, 0, std::fs::canonicalize(path).ok()?))
    }
}

/// A report file being written. A regular file (or a new one) is written to a temporary file
/// beside it and renamed onto it when the report is whole, so a failed run never leaves half a
/// report and the file is never read by the run that writes it; a link is followed, so the
/// file it names is the one replaced and the link stays. Anything else that exists (a
/// device such as `/dev/stdout`, a FIFO) is written through as it is.
pub struct ReportFile {
    sink: Sink,
    /// The temporary file and where it goes, for a regular file.
    temp: Option<(TempPath, PathBuf)>,
    path: PathBuf,
}

impl ReportFile {
    /// Starts the report in `format` at `path`; `verbose` applies to the human report.
    pub fn create(format: Format, path: &Path, verbose: bool) -> io::Result<ReportFile> {
        let open = |out: Box<dyn Write>| Sink::open(format, out, false, verbose);
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_file() {
                let file = std::fs::OpenOptions::new().write(true).open(path)?;
                return Ok(ReportFile {
                    sink: open(Box::new(BufWriter::new(file)))?,
                    temp: None,
                    path: path.to_path_buf(),
                });
            }
        }
        let target = link_target(path);
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".foxapi-report-").suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // As File::create would: readable by all, less what the umask takes away.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let (file, temp) = builder.tempfile_in(&dir)?.into_parts();
        Ok(ReportFile {
            sink: open(Box::new(BufWriter::new(file)))?,
            temp: Some((temp, target)),
            path: path.to_path_buf(),
        })
    }

    /// Where the report goes, as it was named.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds one response.
    pub fn response(&mut self, outcome: &Outcome) -> io::Result<()> {
        self.sink.response(outcome)
    }

    /// How this report renders a response, for [`ReportFile::write`].
    pub fn renderer(&self) -> Renderer {
        self.sink.renderer()
    }

    /// Adds one response its [`ReportFile::renderer`] rendered.
    pub fn write(&mut self, rendered: Rendered) -> io::Result<()> {
        self.sink.write(rendered)
    }

    /// Ends the report and puts it in place; on failure the temporary file is removed, and
    /// dropping an unfinished report does the same.
    pub fn finish(self, totals: &Totals<'_>) -> io::Result<()> {
        self.sink.finish(totals)?;
        match self.temp {
            Some((temp, target)) => temp.persist(&target).map_err(|e| e.error),
            None => Ok(()),
        }
    }
}

/// The file a path names once links are followed (a few of them), even where that file does
/// not exist yet: the path itself when it is no link.
fn link_target(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        let is_link = std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink());
        let Some(next) = is_link.then(|| std::fs::read_link(&at).ok()).flatten() else {
            break;
        };
        at = match at.parent() {
            Some(dir) if next.is_relative() => dir.join(next),
            _ => next,
        };
    }
    at
}

/// Refuses report paths that are inputs of the run, or the same file twice, before anything
/// is read or written; the message names the report.
pub fn check_destinations(reports: &[PathBuf], inputs: &[PathBuf]) -> Result<(), String> {
    let mut places = Vec::new();
    for report_path in reports {
        let shown = printable(&report_path.to_string_lossy()).into_owned();
        if let Some(report) = identity(report_path) {
            for input in inputs
                .iter()
                .filter(|p| !crate::harness::corpus::is_stdin(p))
            {
                if std::fs::metadata(input).is_ok_and(|m| !m.is_dir())
                    && identity(input).as_ref() == Some(&report)
                {
                    return Err(format!(
                        "--report {shown}: expected a report file that this run does not read, found the input {}; nothing was read or written",
                        printable(&input.to_string_lossy())
                    ));
                }
            }
        }
        let at = place(report_path);
        if at.is_some() && places.contains(&at) {
            return Err(format!(
                "--report {shown}: expected each report in a file of its own, found this file named twice"
            ));
        }
        places.push(at);
    }
    Ok(())
}
