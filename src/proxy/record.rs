//! Recording into a directory:
//!
//! ```text
//! DIR/cassettes/<task id or "untasked">/<NNNN>-<METHOD>-<status>.json   one per exchange, in order
//! DIR/fixtures/<model>/<task id>.json     each task's latest envelope: what validate and serve read
//! DIR/files/<task id>/<index>-<name>      the result files of completed tasks
//! ```
//!
//! Every file is written whole through a temporary file, and a cassette never replaces
//! another, so two proxies recording into one directory never mix their exchanges. Each run
//! is a session whose id every cassette carries: recording again into a directory adds a
//! session, and replay serves each request the answers of the latest session that recorded
//! it, so an old poll sequence is replaced, never extended. The result files are downloaded
//! by the proxy itself (without the key) when it first sees a completed task, so replay can
//! serve them.

use super::cassette::{Cassette, CassetteBody, Seen};
use super::disk;
use super::events::Journal;
use super::forward::http_client;
use super::inspect::Route;
use super::payload::Payload;
use super::ProxyError;
use crate::client::download::safe_name;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::task::JoinSet;

/// The folder of exchanges that belong to no task.
pub(crate) const UNTASKED: &str = "untasked";

/// Writes what the proxy sees into a directory.
#[derive(Debug)]
pub(crate) struct Recorder {
    dir: PathBuf,
    /// This recording session's id, in every cassette it writes: the start time in Unix
    /// nanoseconds (zero-padded, so ids sort by it), then a random part.
    session: String,
    /// The next cassette number of each folder.
    next: Mutex<HashMap<String, u32>>,
    downloads: Mutex<Downloads>,
    files: reqwest::Client,
    max_file_bytes: u64,
}

#[derive(Debug, Default)]
struct Downloads {
    /// The results (task folder, index) whose download has started.
    started: HashSet<(String, usize)>,
    running: JoinSet<()>,
}

/// The directories of a recording.
pub(crate) fn cassettes_dir(dir: &Path) -> PathBuf {
    dir.join("cassettes")
}

/// Where result files go.
pub(crate) fn files_dir(dir: &Path) -> PathBuf {
    dir.join("files")
}

/// The folder name of task `id`.
pub(crate) fn task_folder(id: &str) -> String {
    safe_name(id, UNTASKED)
}

/// The one key a task's cassettes and result files are kept under, recording and replay
/// alike: the folder of the id in the path of a poll (`GET /v1/tasks/{id}`), else of the
/// `id` of the answer's envelope (a submission); `None` for an exchange of no task.
pub(crate) fn task_key(route: Route<'_>, envelope: Option<&Value>) -> Option<String> {
    match route {
        Route::Poll(id) => Some(task_folder(id)),
        _ => envelope
            .and_then(|e| e.get("id")?.as_str())
            .map(task_folder),
    }
}

/// The file name of result `index` downloaded from `url`: `<index>-<last path segment>`.
pub(crate) fn file_name(index: usize, url: &url::Url) -> String {
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    format!("{index}-{}", safe_name(last, "result"))
}

impl Recorder {
    /// A recorder into `dir`, created if missing.
    pub fn open(
        dir: &Path,
        max_file_bytes: u64,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Recorder, ProxyError> {
        for sub in [cassettes_dir(dir), dir.join("fixtures"), files_dir(dir)] {
            std::fs::create_dir_all(&sub).map_err(|source| ProxyError::Directory {
                path: sub.clone(),
                action: "create the recording directory",
                source,
            })?;
        }
        // An idle timeout, as the forwarder's: a large result file that keeps coming is not cut.
        let files = http_client(connect_timeout)
            .read_timeout(timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| ProxyError::Client(e.without_url().to_string()))?;
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ok(Recorder {
            dir: dir.to_path_buf(),
            session: format!("{started:020}-{:08x}", fastrand::u32(..)),
            next: Mutex::new(HashMap::new()),
            downloads: Mutex::new(Downloads::default()),
            files,
            max_file_bytes,
        })
    }

    fn downloads(&self) -> MutexGuard<'_, Downloads> {
        self.downloads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records one exchange: its cassette, the task's fixture, and (for a completed task)
    /// the downloads of its result files. What cannot be written is a warning.
    pub fn record(&self, seen: &Seen<'_>, route: Route<'_>, journal: &Arc<Journal>, label: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut cassette = Cassette::of(seen, now);
        cassette.session.clone_from(&self.session);
        let envelope = match (&cassette.response.body, route.answers_tasks()) {
            (CassetteBody::Json(value), true) if (200..300).contains(&seen.status) => Some(value),
            _ => None,
        };
        let folder = task_key(route, envelope).unwrap_or_else(|| UNTASKED.to_string());
        if let Err(e) = self.write_cassette(&cassette, &folder) {
            journal.warn(label, &format!("the cassette was not written: {e}"));
        }
        if let Some(envelope) = envelope {
            if let Err(e) = self.write_fixture(envelope) {
                journal.warn(label, &format!("the fixture was not written: {e}"));
            }
            if envelope.get("status").and_then(Value::as_str) == Some("completed") {
                // The URLs as received: the cassette's are masked and would not download.
                if let Some(raw) = seen.response_body.and_then(Payload::value) {
                    self.download_results(&folder, raw, journal);
                }
            }
        }
    }

    fn write_cassette(&self, cassette: &Cassette, folder: &str) -> std::io::Result<PathBuf> {
        let dir = cassettes_dir(&self.dir).join(folder);
        std::fs::create_dir_all(&dir)?;
        let mut text = serde_json::to_vec_pretty(cassette).map_err(std::io::Error::other)?;
        text.push(b'\n');
        let suffix = format!(
            "{}-{}.json",
            safe_name(&cassette.request.method, "METHOD"),
            cassette.response.status
        );
        let from = {
            let next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            next.get(folder).copied().unwrap_or(1)
        };
        let (number, path) = disk::numbered(&dir, from, &suffix, &text)?;
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = next.entry(folder.to_string()).or_insert(1);
        *slot = (*slot).max(number + 1);
        Ok(path)
    }

    fn write_fixture(&self, envelope: &Value) -> std::io::Result<PathBuf> {
        let field = |name| {
            envelope
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let dir = self
            .dir
            .join("fixtures")
            .join(safe_name(field("model"), "unknown-model"));
        std::fs::create_dir_all(&dir)?;
        let mut text = serde_json::to_vec_pretty(envelope).map_err(std::io::Error::other)?;
        text.push(b'\n');
        disk::replace(&dir, &format!("{}.json", task_folder(field("id"))), &text)
    }

    /// Starts the download of each result URL of `envelope` not started yet.
    fn download_results(&self, folder: &str, envelope: &Value, journal: &Arc<Journal>) {
        let Some(results) = envelope.get("results").and_then(Value::as_array) else {
            return;
        };
        for (index, item) in results.iter().enumerate() {
            let Some(url) = item
                .get("url")
                .and_then(Value::as_str)
                .and_then(|u| url::Url::parse(u).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
            else {
                continue;
            };
            let mut downloads = self.downloads();
            if !downloads.started.insert((folder.to_string(), index)) {
                continue;
            }
            let dir = files_dir(&self.dir).join(folder);
            let name = file_name(index, &url);
            let client = self.files.clone();
            let limit = self.max_file_bytes;
            let journal = Arc::clone(journal);
            let label = super::events::shown(&format!("GET {url}"));
            downloads.running.spawn(async move {
                if let Err(e) = download(&client, url, &dir, &name, limit).await {
                    journal.warn(
                        &label,
                        &format!(
                            "the result file was not recorded (replay will not serve it): {e}"
                        ),
                    );
                }
            });
        }
    }

    /// Waits for the downloads under way until `deadline`; those still running then are cut
    /// off (their temporary files removed). Returns how many were cut off.
    pub async fn finish(&self, deadline: tokio::time::Instant) -> usize {
        let mut running = std::mem::take(&mut self.downloads().running);
        let all_done = async { while running.join_next().await.is_some() {} };
        if tokio::time::timeout_at(deadline, all_done).await.is_ok() {
            return 0;
        }
        let cut = running.len();
        running.abort_all();
        while running.join_next().await.is_some() {}
        cut
    }
}

/// Downloads `url` (no key: result URLs are signed) to `dir/name`, whole or not at all.
async fn download(
    client: &reqwest::Client,
    url: url::Url,
    dir: &Path,
    name: &str,
    limit: u64,
) -> Result<(), String> {
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("expected an answer, found {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("expected 200, found {status}"));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut file = disk::temporary(dir, name).map_err(|e| format!("cannot write: {e}"))?;
    let mut written = 0u64;
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        format!(
            "the body was cut short after {written} bytes: {}",
            e.without_url()
        )
    })? {
        written += chunk.len() as u64;
        if written > limit {
            return Err(format!("expected at most {limit} bytes, found more"));
        }
        file.write_all(&chunk)
            .map_err(|e| format!("cannot write: {e}"))?;
    }
    disk::persist(file, &dir.join(name), true).map_err(|e| format!("cannot write: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_file_names_keep_the_index_and_cannot_climb_out() {
        let url = url::Url::parse("https://cdn.example/r/v%2F..%2Fx.mp4?sig=1").expect("a URL");
        let name = file_name(3, &url);
        assert!(name.starts_with("3-") && !name.contains('/'), "{name}");
        let bare = url::Url::parse("https://cdn.example/").expect("a URL");
        assert_eq!(file_name(0, &bare), "0-result");
        assert_eq!(task_folder("../x"), "_x");
    }
}
