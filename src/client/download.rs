//! Storing a task's results: each result URL streamed to a temporary file, synced, then
//! renamed, so no partial file ever sits under a final name; items without a URL (ids,
//! transcripts, chat completions) written as JSON. A file already under its final name is
//! complete, so a rerun skips it and resumes, unless its length was never announced: then it
//! is recorded as unverified and a rerun checks it with a range request (see `resume`).

use super::error::RawBody;
use super::get::{read_limited, retry_after, BodyError};
use super::resume::{ContentRange, UnverifiedRecord};
use super::{redact, Client, ClientError, WaitPolicy};
use crate::{Parsed, ResultItem, TaskStatus};
use serde_json::Value;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

/// How much of an error page of a result URL is kept.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Saved {
    /// Streamed from the result URL, its length checked against `Content-Length` (or its
    /// end marked by the transfer: chunked encoding, HTTP/2); this many bytes.
    Downloaded(u64),
    /// Stored, this many bytes, but the server never announced the length (it ended the body
    /// by closing the connection), so a cut cannot be told from the end. Recorded as
    /// unverified: the next run does not skip the file but checks it with a range request.
    Unverified(u64),
    /// An unverified file of an earlier run, found whole: the server answered its range
    /// request with 416 and a `Content-Range` of this many bytes.
    Verified(u64),
    /// An unverified file of an earlier run, found cut: the server sent the rest (206, with
    /// the whole length in `Content-Range`), appended.
    Resumed {
        /// How many bytes were appended.
        appended: u64,
        /// How many bytes the file now has, as many as the server said the whole has.
        size: u64,
    },
    /// Written as JSON (an item without a URL, or the ids of an item).
    Written,
    /// Already there from an earlier run: left as it is.
    Skipped,
}

/// One file of a task's results.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
pub(crate) fn safe_name(text: &str, fallback: &str) -> String {
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
fn extension(content_type: Option<&str>, url: &str) -> String {
    if let Some(ext) = content_type.and_then(extension_of_content_type) {
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

/// Whether an item carries a long-lived id a later task takes as a parameter (`voice_id`,
/// `character_id`, `profile_id`; spec section 3), worth keeping as JSON next to its file.
fn has_ids(item: &ResultItem) -> bool {
    item.voice_id().is_some() || item.character_id().is_some() || item.profile_id().is_some()
}

/// One result of a task: typed, for what is done with it (its URL, its ids), and as the
/// server sent it, for what is written of it.
struct Item<'a> {
    typed: &'a ResultItem,
    sent: Cow<'a, Value>,
}

impl<'a> Item<'a> {
    /// Every result of `parsed`. The JSON written is the item as received
    /// (`parsed.task.results`, which the typed items were parsed from, in the same order):
    /// the typed form re-serialised would drop the keys the contract does not know yet and
    /// the explicit nulls. A `Parsed` built by hand without them falls back to the typed form.
    fn all(parsed: &'a Parsed) -> impl Iterator<Item = Item<'a>> {
        let sent = parsed.task.results.as_deref().unwrap_or_default();
        parsed
            .results
            .iter()
            .enumerate()
            .map(move |(index, typed)| {
                let sent = match sent.get(index) {
                    Some(value) if sent.len() == parsed.results.len() => Cow::Borrowed(value),
                    _ => Cow::Owned(serde_json::to_value(typed).unwrap_or(Value::Null)),
                };
                Item { typed, sent }
            })
    }

    /// The item's media type, for the extension of its file.
    fn content_type(&self) -> Option<&str> {
        self.sent.get("content_type").and_then(Value::as_str)
    }
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
    crate::atomic::temporary(dir, &name).map_err(io(dir, "create a temporary file in"))
}

/// Renames a synced temporary file to its final name, then syncs the directory (best effort).
fn persist(temporary: tempfile::NamedTempFile, target: &Path) -> Result<(), ClientError> {
    crate::atomic::rename_into(temporary, target, true).map_err(|e| ClientError::Io {
        path: target.to_path_buf(),
        action: "rename into",
        source: e.error,
    })
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
    persist(temporary, target)
}

impl Client {
    /// Stores every result of a completed task under `dir` (created if missing), reading
    /// the typed items: each [`ResultItem::url`] is downloaded to `<task id>-<index>.<ext>`,
    /// the extension from the item's `content_type` or the URL; an item without a URL is
    /// written as `<task id>-<index>.json`, and one that has a URL and a long-lived id
    /// ([`ResultItem::voice_id`], [`ResultItem::character_id`], [`ResultItem::profile_id`])
    /// also as `<task id>-<index>.ids.json` (never the name of a download). The JSON written
    /// is the item as the server sent it. An item of a model the contract does not know
    /// ([`ResultItem::Untyped`]) is read the same way: its accessors read its JSON.
    ///
    /// Files already there are skipped, except those recorded as [`Saved::Unverified`]:
    /// each is checked with `Range: bytes=<size>-` and found whole ([`Saved::Verified`]),
    /// completed ([`Saved::Resumed`]) or downloaded again. Result URLs get no
    /// `Authorization` and no `Referer` header.
    ///
    /// A result answered with 429, 5xx, a timeout or a connection cut is asked again with
    /// the back-off of [`WaitPolicy::default`], `Retry-After` honoured, and the whole download
    /// ends within its deadline (30 min); see [`Client::download_until`].
    pub async fn download(
        &self,
        parsed: &Parsed,
        dir: &Path,
    ) -> Result<Vec<Downloaded>, ClientError> {
        let policy = WaitPolicy::default();
        let until = Instant::now() + policy.deadline;
        self.download_until(parsed, dir, &policy, until).await
    }

    /// As [`Client::download`], retrying with `policy`'s back-off and ending by `until`: a
    /// download still running then (a host that drips bytes) is stopped, its partial file
    /// removed, and the answer is [`ClientError::DownloadDeadline`]. `task wait --download`
    /// gives the deadline of the whole wait here.
    pub async fn download_until(
        &self,
        parsed: &Parsed,
        dir: &Path,
        policy: &WaitPolicy,
        until: Instant,
    ) -> Result<Vec<Downloaded>, ClientError> {
        let task = &parsed.task;
        if task.status != TaskStatus::Completed || parsed.results.is_empty() {
            let status = match (&task.status, parsed.results.is_empty()) {
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
        for (index, item) in Item::all(parsed).enumerate() {
            let url = item.typed.url();
            if let Some(url) = url {
                let ext = extension(item.content_type(), url);
                let path = dir.join(format!("{stem}-{index}.{ext}"));
                let whole = tokio::fs::try_exists(&path).await.unwrap_or(false)
                    && UnverifiedRecord::read(&path).await.is_none();
                let outcome = if whole {
                    Saved::Skipped
                } else {
                    let file = ResultFile {
                        id: &task.id,
                        index,
                        url,
                        target: &path,
                        dir,
                    };
                    self.fetch_retrying(&file, policy, until).await?
                };
                saved.push(Downloaded {
                    index,
                    path,
                    saved: outcome,
                });
            }
            if url.is_none() || has_ids(item.typed) {
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
                    write_json(&item.sent, &path, dir)?;
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
    ) -> Result<Saved, ClientError> {
        let mut backoff = policy.backoff();
        let mut attempts: u32 = 0;
        let mut last_error: Option<Box<ClientError>> = None;
        loop {
            attempts = attempts.saturating_add(1);
            let error = match tokio::time::timeout_at(until, self.fetch(file)).await {
                Ok(Ok(saved)) => return Ok(saved),
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

    /// One attempt at a result: the whole file, or, when an unverified copy is there from
    /// an earlier run, the bytes past its end.
    async fn fetch(&self, file: &ResultFile<'_>) -> Result<Saved, ClientError> {
        let size = tokio::fs::metadata(file.target)
            .await
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len());
        match (size, UnverifiedRecord::read(file.target).await) {
            (Some(size), Some(record)) => self.settle(file, size, &record).await,
            _ => {
                let response = self.request(file, None).await?;
                self.store(file, response, None).await
            }
        }
    }

    /// Checks an unverified file of `size` bytes with `Range: bytes=<size>-` (and
    /// `If-Range`, when its record keeps a strong `ETag`): a 416 of `bytes */<size>` means
    /// whole, a 206 starting at `size` brings the rest, a 200 (ranges ignored, or the file
    /// changed) the whole file; any other range answer cannot be trusted and the whole file
    /// is asked for.
    async fn settle(
        &self,
        file: &ResultFile<'_>,
        size: u64,
        record: &UnverifiedRecord,
    ) -> Result<Saved, ClientError> {
        let response = self.request(file, Some((size, record))).await?;
        let range = ContentRange::of(response.headers());
        match (response.status().as_u16(), range) {
            (416, Some(ContentRange::Unsatisfied { complete })) if complete == size => {
                UnverifiedRecord::remove(file.target).await?;
                Ok(Saved::Verified(size))
            }
            (206, Some(ContentRange::Satisfied { first, .. })) if first == size => {
                let range = range.map(|r| (size, r));
                self.store(file, response, range).await
            }
            (416 | 206, _) => {
                tracing::debug!(
                    ?range,
                    "a range answer that does not fit; asking for the whole file"
                );
                drop(response);
                let response = self.request(file, None).await?;
                self.store(file, response, None).await
            }
            _ => self.store(file, response, None).await,
        }
    }

    /// Asks for a result, from byte `from` on when `resume` says so; an answer that is no
    /// file (403, 404, 410: expired; another error status) is an error. A 206 or 416 is
    /// an answer only to a range request.
    async fn request(
        &self,
        file: &ResultFile<'_>,
        resume: Option<(u64, &UnverifiedRecord)>,
    ) -> Result<reqwest::Response, ClientError> {
        let shown = redact::url(file.url);
        tracing::debug!(url = %shown, ?resume, "download");
        let mut request = self.inner.downloads.get(file.url);
        if let Some((from, record)) = resume {
            request = request.header(reqwest::header::RANGE, format!("bytes={from}-"));
            if let Some(etag) = &record.etag {
                request = request.header(reqwest::header::IF_RANGE, etag.as_str());
            }
        }
        let mut response = request.send().await.map_err(|e| {
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
                id: file.id.to_string(),
                index: file.index,
                url: shown,
                status,
            });
        }
        let answers = if resume.is_some() {
            response.status().is_success() || status == 416
        } else {
            response.status().is_success() && status != 206
        };
        if !answers {
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
        Ok(response)
    }

    /// Streams a body to the target through a temporary file, after the target's first
    /// bytes when `resumed` holds the target's size and the 206's range (which starts
    /// there). The file gets its final name only after the body ended cleanly with the
    /// length announced: hyper fails the read of a body shorter than its `Content-Length`
    /// and of a chunked body cut before its last chunk, a 206 must bring its range to the
    /// byte, and either failure drops the temporary file. A body whose length nobody
    /// announced is stored with a record that it is unverified.
    async fn store(
        &self,
        file: &ResultFile<'_>,
        mut response: reqwest::Response,
        resumed: Option<(u64, ContentRange)>,
    ) -> Result<Saved, ClientError> {
        let ResultFile { target, dir, .. } = *file;
        let shown = redact::url(file.url);
        let limit = self.inner.max_download_bytes;
        let (kept, expected, complete) = match resumed {
            Some((
                kept,
                ContentRange::Satisfied {
                    first,
                    last,
                    complete,
                },
            )) => (kept, Some((last - first + 1, "Content-Range")), complete),
            _ => {
                let length = response.content_length();
                (0, length.map(|n| (n, "Content-Length")), length)
            }
        };
        // A length announced, or an end the transfer marks (the last chunk, HTTP/2's end of
        // stream), which hyper checks; otherwise the body ended when the connection closed.
        let framed = expected.is_some()
            || response.version() >= reqwest::Version::HTTP_2
            || is_chunked(response.headers());
        let announced_total = complete.unwrap_or(kept.saturating_add(expected.map_or(0, |e| e.0)));
        if expected.is_some() && announced_total > limit {
            return Err(ClientError::TooLarge {
                url: shown,
                limit,
                found: format!("{announced_total} (announced)"),
            });
        }
        // Dropped on any early return (or when the caller stops waiting): the file goes too.
        let temporary = temporary_for(target, dir)?;
        let handle = temporary
            .as_file()
            .try_clone()
            .map_err(io(temporary.path(), "open"))?;
        let mut out = tokio::fs::File::from_std(handle);
        if kept > 0 {
            let mut earlier = tokio::fs::File::open(target)
                .await
                .map_err(io(target, "open"))?;
            let copied = tokio::io::copy(&mut (&mut earlier).take(kept), &mut out)
                .await
                .map_err(io(target, "copy"))?;
            if copied != kept {
                return Err(ClientError::Io {
                    path: target.to_path_buf(),
                    action: "copy",
                    source: std::io::Error::other(format!(
                        "expected {kept} bytes, found {copied}: the file changed while being resumed"
                    )),
                });
            }
        }
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
            if kept.saturating_add(written) > limit {
                return Err(ClientError::TooLarge {
                    url: shown,
                    limit,
                    found: format!("more ({} bytes so far)", kept.saturating_add(written)),
                });
            }
            if expected.is_some_and(|(n, _)| written > n) {
                break;
            }
            out.write_all(&chunk).await.map_err(io(target, "write"))?;
        }
        if let Some((expected, announced)) = expected.filter(|&(n, _)| n != written) {
            return Err(ClientError::Incomplete {
                url: shown,
                expected,
                announced,
                found: written,
            });
        }
        out.flush().await.map_err(io(target, "write"))?;
        out.sync_all().await.map_err(io(target, "sync"))?;
        drop(out);
        let size = kept.saturating_add(written);
        // Whole when the transfer marked its end and, for a range, the server's whole length
        // is what the file now has.
        let whole = framed
            && match resumed {
                Some(_) => complete == Some(size),
                None => complete.is_none_or(|c| c == size),
            };
        if !whole {
            // The record first: a file without it is whole to every later run.
            UnverifiedRecord::of(response.headers()).write(target, dir)?;
        }
        persist(temporary, target)?;
        if !whole {
            return Ok(Saved::Unverified(size));
        }
        UnverifiedRecord::remove(target).await?;
        Ok(if kept > 0 {
            Saved::Resumed {
                appended: written,
                size,
            }
        } else {
            Saved::Downloaded(written)
        })
    }
}

/// Whether a response's body is chunked (HTTP/1.1): its end is then marked, not the close.
fn is_chunked(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get_all(reqwest::header::TRANSFER_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
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
        assert_eq!(extension(Some("image/png"), u), "png");
        assert_eq!(extension(Some("video/x-unknown"), u), "mp4");
        assert_eq!(extension(None, "https://c.example/a/file"), "bin");
        assert_eq!(extension(None, "https://c.example/a/f.tar.gz%2Fx"), "bin");
    }
}
