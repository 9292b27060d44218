//! Storing a task's results: each result URL streamed to a temporary file, synced, then
//! renamed, so no partial file ever sits under a final name; items without a URL (ids,
//! transcripts, chat completions) written as JSON. A file already under its final name is
//! complete, so a rerun skips it and resumes.

use super::error::RawBody;
use super::get::{read_limited, retry_after, BodyError};
use super::{redact, Client, ClientError, WaitPolicy};
use crate::{Task, TaskStatus};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

/// How much of an error page of a result URL is kept.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// Streamed from the result URL; this many bytes.
    Downloaded(u64),
    /// Written as JSON (an item without a URL, or the ids of an item).
    Written,
    /// Already there from an earlier run: left as it is.
    Skipped,
}

/// One file of a task's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downloaded {
    /// The item's position in `results`.
    pub index: usize,
    /// Where it is.
    pub path: PathBuf,
    /// What was done.
    pub saved: Saved,
}

/// `text` made safe as a file or folder name: ASCII letters, digits, `-`, `_` and `.` kept,
/// anything else `_`, no leading dot, at most 120 characters; `fallback` when nothing is left.
pub(super) fn safe_name(text: &str, fallback: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() {
        fallback.to_string()
    } else {
        name.chars().take(120).collect()
    }
}

/// The file extension for a media type, if it is a known one.
fn extension_of_content_type(content_type: &str) -> Option<&'static str> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    Some(match essence.as_str() {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "image/avif" => "avif",
        "image/tiff" => "tiff",
        "image/bmp" => "bmp",
        "image/svg+xml" => "svg",
        "image/vnd.radiance" => "hdr",
        "image/x-exr" | "image/aces" => "exr",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "video/quicktime" => "mov",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "audio/ogg" => "ogg",
        "audio/flac" => "flac",
        "audio/aac" => "aac",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" => "m4a",
        "application/json" => "json",
        "text/plain" => "txt",
        "model/gltf-binary" => "glb",
        "application/zip" => "zip",
        _ => return None,
    })
}

/// The extension for a result: from its `content_type`, else from the URL's path, else `bin`.
fn extension(item: &Value, url: &str) -> String {
    if let Some(ext) = item
        .get("content_type")
        .and_then(Value::as_str)
        .and_then(extension_of_content_type)
    {
        return ext.to_string();
    }
    let from_path = url::Url::parse(url).ok().and_then(|u| {
        let last = u.path_segments()?.next_back()?.to_string();
        let (_, ext) = last.rsplit_once('.')?;
        (!ext.is_empty() && ext.len() <= 5 && ext.chars().all(|c| c.is_ascii_alphanumeric()))
            .then(|| ext.to_ascii_lowercase())
    });
    from_path.unwrap_or_else(|| "bin".to_string())
}

/// Whether an item carries long-lived ids (`voice_id`, `character_id`, `profile_id`) worth
/// keeping as JSON next to any file it has.
fn has_ids(item: &Value) -> bool {
    item.as_object()
        .is_some_and(|o| o.keys().any(|k| k.ends_with("_id")))
}

fn io<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(std::io::Error) -> ClientError + 'a {
    move |source| ClientError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// A temporary file next to `target`, named after it so a leftover is recognisable.
fn temporary_for(target: &Path, dir: &Path) -> Result<tempfile::NamedTempFile, ClientError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".part");
    // A result is an ordinary file (the umask applies), not a private temporary one.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    builder
        .tempfile_in(dir)
        .map_err(io(dir, "create a temporary file in"))
}

/// Renames a synced temporary file to its final name, then syncs the directory (best effort).
fn persist(
    temporary: tempfile::NamedTempFile,
    target: &Path,
    dir: &Path,
) -> Result<(), ClientError> {
    temporary.persist(target).map_err(|e| ClientError::Io {
        path: target.to_path_buf(),
        action: "rename into",
        source: e.error,
    })?;
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        // Makes the rename durable; a file system that cannot sync a directory is no error.
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `value` as pretty JSON to `target`, atomically.
pub(super) fn write_json(value: &Value, target: &Path, dir: &Path) -> Result<(), ClientError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| ClientError::Io {
        path: target.to_path_buf(),
        action: "serialise JSON for",
        source: std::io::Error::other(e),
    })?;
    text.push('\n');
    let mut temporary = temporary_for(target, dir)?;
    std::io::Write::write_all(&mut temporary, text.as_bytes()).map_err(io(target, "write"))?;
    temporary.as_file().sync_all().map_err(io(target, "sync"))?;
    persist(temporary, target, dir)
}

impl Client {
    /// Stores every result of a completed task under `dir` (created if missing): files named
    /// `<task id>-<index>.<ext>`, the extension from `content_type` or the URL; items
    /// without a URL as `<task id>-<index>.json`, and the ids of items that also have a URL
    /// as `<task id>-<index>.ids.json` (never the name of a download). Files already there
    /// are skipped. Result URLs get no `Authorization` and no `Referer` header.
    ///
    /// A result answered with 429, 5xx, a timeout or a connection cut is asked again with
    /// the back-off of [`WaitPolicy::default`], `Retry-After` honoured, and the whole download
    /// ends within its deadline (30 min); see [`Client::download_until`].
    pub async fn download(&self, task: &Task, dir: &Path) -> Result<Vec<Downloaded>, ClientError> {
        let policy = WaitPolicy::default();
        let until = Instant::now() + policy.deadline;
        self.download_until(task, dir, &policy, until).await
    }

    /// As [`Client::download`], retrying with `policy`'s back-off and ending by `until`: a
    /// download still running then (a host that drips bytes) is stopped, its partial file
    /// removed, and the answer is [`ClientError::DownloadDeadline`]. `task wait --download`
    /// gives the deadline of the whole wait here.
    pub async fn download_until(
        &self,
        task: &Task,
        dir: &Path,
        policy: &WaitPolicy,
        until: Instant,
    ) -> Result<Vec<Downloaded>, ClientError> {
        let items = task.results.as_deref().unwrap_or_default();
        if task.status != TaskStatus::Completed || items.is_empty() {
            let status = match (&task.status, items.is_empty()) {
                (TaskStatus::Completed, true) => "completed, without results yet".to_string(),
                (status, _) => status.as_str().to_string(),
            };
            return Err(ClientError::NotDownloadable {
                id: task.id.clone(),
                status,
            });
        }
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(io(dir, "create the directory"))?;
        let stem = safe_name(&task.id, "task");
        let mut saved = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let url = item.get("url").and_then(Value::as_str);
            if let Some(url) = url {
                let path = dir.join(format!("{stem}-{index}.{}", extension(item, url)));
                let outcome = if tokio::fs::try_exists(&path).await.unwrap_or(false) {
                    Saved::Skipped
                } else {
                    let file = ResultFile {
                        id: &task.id,
                        index,
                        url,
                        target: &path,
                        dir,
                    };
                    Saved::Downloaded(self.fetch_retrying(&file, policy, until).await?)
                };
                saved.push(Downloaded {
                    index,
                    path,
                    saved: outcome,
                });
            }
            if url.is_none() || has_ids(item) {
                // `.ids.json` cannot be a download's name: extensions hold no dot.
                let name = if url.is_some() {
                    format!("{stem}-{index}.ids.json")
                } else {
                    format!("{stem}-{index}.json")
                };
                let path = dir.join(name);
                let outcome = if tokio::fs::try_exists(&path).await.unwrap_or(false) {
                    Saved::Skipped
                } else {
                    write_json(item, &path, dir)?;
                    Saved::Written
                };
                saved.push(Downloaded {
                    index,
                    path,
                    saved: outcome,
                });
            }
        }
        Ok(saved)
    }

    /// Downloads one result, retrying what may succeed later with the back-off of the
    /// polls, and stopping at `until` (the attempt under way is dropped, which removes its
    /// temporary file).
    async fn fetch_retrying(
        &self,
        file: &ResultFile<'_>,
        policy: &WaitPolicy,
        until: Instant,
    ) -> Result<u64, ClientError> {
        let mut backoff = policy.backoff();
        let mut attempts: u32 = 0;
        let mut last_error: Option<Box<ClientError>> = None;
        loop {
            attempts = attempts.saturating_add(1);
            let error = match tokio::time::timeout_at(until, self.fetch_to(file)).await {
                Ok(Ok(bytes)) => return Ok(bytes),
                Ok(Err(error)) if error.is_retryable() => error,
                Ok(Err(error)) => return Err(error),
                Err(_elapsed) => return Err(file.deadline(policy, attempts, last_error)),
            };
            let pause = policy.pause_after(&error, &mut backoff);
            tracing::debug!(%error, ?pause, "retrying a result");
            last_error = Some(Box::new(error));
            if Instant::now() + pause >= until {
                return Err(file.deadline(policy, attempts, last_error));
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Streams one result URL to its target through a temporary file; the number of bytes.
    /// The file gets its final name only after the body ended cleanly: hyper fails the read
    /// of a body shorter than its `Content-Length` and of a chunked body cut before its last
    /// chunk, and either failure drops the temporary file.
    async fn fetch_to(&self, file: &ResultFile<'_>) -> Result<u64, ClientError> {
        let ResultFile {
            id,
            index,
            url,
            target,
            dir,
        } = *file;
        let shown = redact::url(url);
        let limit = self.inner.max_download_bytes;
        tracing::debug!(url = %shown, "download");
        let mut response = self.inner.downloads.get(url).send().await.map_err(|e| {
            self.transport(
                shown.clone(),
                "requesting a result",
                e,
                Vec::new(),
                self.inner.request_timeout,
            )
        })?;
        let status = response.status().as_u16();
        if matches!(status, 403 | 404 | 410) {
            return Err(ClientError::Expired {
                id: id.to_string(),
                index,
                url: shown,
                status,
            });
        }
        if !response.status().is_success() {
            let retry_after = retry_after(response.headers());
            let body = match read_limited(&mut response, ERROR_BODY_LIMIT).await {
                Ok(body) => body,
                Err(BodyError { partial, .. }) => partial,
            };
            // A result host never saw the key, but what it says is untrusted all the same.
            let raw = RawBody::new(self.inner.key.remove_echoes_bytes(&body).into_owned());
            return Err(ClientError::Status {
                url: shown,
                status,
                error: None,
                body_issues: Vec::new(),
                retry_after,
                raw,
            });
        }
        let announced = response.content_length();
        if let Some(announced) = announced.filter(|&n| n > limit) {
            return Err(ClientError::TooLarge {
                url: shown,
                limit,
                found: format!("{announced} (Content-Length)"),
            });
        }
        // Dropped on any early return (or when the caller stops waiting): the file goes too.
        let temporary = temporary_for(target, dir)?;
        let handle = temporary
            .as_file()
            .try_clone()
            .map_err(io(temporary.path(), "open"))?;
        let mut out = tokio::fs::File::from_std(handle);
        let mut written: u64 = 0;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    return Err(self.transport(
                        shown,
                        "reading a result",
                        e,
                        Vec::new(),
                        self.inner.request_timeout,
                    ))
                }
            };
            written = written.saturating_add(chunk.len() as u64);
            if written > limit {
                return Err(ClientError::TooLarge {
                    url: shown,
                    limit,
                    found: format!("more ({written} bytes so far)"),
                });
            }
            out.write_all(&chunk).await.map_err(io(target, "write"))?;
        }
        out.flush().await.map_err(io(target, "write"))?;
        out.sync_all().await.map_err(io(target, "sync"))?;
        drop(out);
        persist(temporary, target, dir)?;
        Ok(written)
    }
}

/// One result to download: where it comes from and where it goes.
#[derive(Clone, Copy)]
struct ResultFile<'a> {
    id: &'a str,
    index: usize,
    url: &'a str,
    target: &'a Path,
    dir: &'a Path,
}

impl ResultFile<'_> {
    fn deadline(
        &self,
        policy: &WaitPolicy,
        attempts: u32,
        last_error: Option<Box<ClientError>>,
    ) -> ClientError {
        ClientError::DownloadDeadline {
            id: self.id.to_string(),
            index: self.index,
            url: redact::url(self.url),
            deadline: policy.deadline,
            attempts,
            last_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_safe() {
        assert_eq!(
            safe_name("task-unified-1-abc", "task"),
            "task-unified-1-abc"
        );
        assert_eq!(safe_name("../../etc/passwd", "task"), "_.._etc_passwd");
        assert_eq!(safe_name("", "task"), "task");
    }

    #[test]
    fn extensions_come_from_content_type_then_url() {
        let u = "https://c.example/a/b.MP4?X-Amz-Signature=x";
        assert_eq!(extension(&json!({"content_type": "image/png"}), u), "png");
        assert_eq!(
            extension(&json!({"content_type": "video/x-unknown"}), u),
            "mp4"
        );
        assert_eq!(extension(&json!({}), "https://c.example/a/file"), "bin");
        assert_eq!(
            extension(&json!({}), "https://c.example/a/f.tar.gz%2Fx"),
            "bin"
        );
    }
}
