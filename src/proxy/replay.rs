//! Serving a recorded directory offline: each request (method and path) gets the answers
//! the latest recording session recorded for it, in order, and the last one again once they run out (a terminal state
//! stays terminal); the result URLs of task answers point at the files recorded, served under
//! [`FILES_ROUTE`]. A cassette file that cannot be read is reported by name; the rest replay.

use super::cassette::{Cassette, CassetteBody, CassetteResponse, Corrupt, NotRecorded};
use super::events::shown;
use super::inspect::Route;
use super::record::{cassettes_dir, files_dir, task_key};
use super::{ProxyError, FILES_ROUTE};
use crate::redact::mask_urls;
use axum::http::{HeaderName, HeaderValue, Method};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A recorded directory, loaded.
#[derive(Debug)]
pub(crate) struct Replay {
    /// The directory, as messages show it.
    pub shown_dir: String,
    /// The answers recorded for each `METHOD path`, in order.
    answers: HashMap<String, Sequence>,
    /// The recorded result files, by task folder and index: the path and the file name.
    files: HashMap<(String, usize), (PathBuf, String)>,
    /// The cassette files that could not be used.
    pub corrupt: Vec<Corrupt>,
    /// The recorded answers whose bodies were not recorded.
    pub not_recorded: Vec<NotRecorded>,
}

#[derive(Debug, Default)]
struct Sequence {
    answers: Vec<CassetteResponse>,
    next: AtomicUsize,
}

/// One answer to replay.
pub(crate) struct Replayed {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    /// The body, or why the recording holds none to send.
    pub body: Result<Vec<u8>, String>,
}

/// The key of a request: `METHOD path`, the path masked as the cassettes hold it.
fn key(method: &str, path: &str) -> String {
    format!("{method} {}", mask_urls(path))
}

/// The cassette files under `dir/cassettes/*/`, temporary (dot) files left out.
fn cassette_files(dir: &Path, corrupt: &mut Vec<Corrupt>) -> Result<Vec<PathBuf>, ProxyError> {
    let root = cassettes_dir(dir);
    let folders = std::fs::read_dir(&root).map_err(|source| ProxyError::Directory {
        path: root.clone(),
        action: "read the cassettes of the recording",
        source,
    })?;
    let mut files = Vec::new();
    for folder in folders.filter_map(Result::ok) {
        let path = folder.path();
        if !folder.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) => {
                corrupt.push(Corrupt {
                    path,
                    reason: format!("the folder cannot be read: {e}"),
                });
                continue;
            }
        };
        files.extend(
            entries
                .filter_map(Result::ok)
                .filter(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    !name.starts_with('.') && name.ends_with(".json")
                })
                .map(|e| e.path()),
        );
    }
    Ok(files)
}

impl Replay {
    /// Loads the recording in `dir`.
    pub fn load(dir: &Path) -> Result<Replay, ProxyError> {
        let mut corrupt = Vec::new();
        let mut loaded: Vec<(u64, PathBuf, Cassette)> = Vec::new();
        for path in cassette_files(dir, &mut corrupt)? {
            match Cassette::read(&path) {
                Ok(cassette) => loaded.push((cassette.recorded_ms, path, cassette)),
                Err(bad) => corrupt.push(bad),
            }
        }
        // In recorded order; within one folder the numbers say it.
        loaded.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        // Each request replays the answers of the latest session that recorded it: a second
        // recording into the directory replaces the first one's sequences, never extends them.
        let mut latest: HashMap<String, &str> = HashMap::new();
        for (_, _, cassette) in &loaded {
            let request = &cassette.request;
            let session = latest
                .entry(key(&request.method, &request.path))
                .or_insert(cassette.session.as_str());
            if cassette.session.as_str() > *session {
                *session = cassette.session.as_str();
            }
        }
        let latest: HashMap<String, String> = latest
            .into_iter()
            .map(|(k, session)| (k, session.to_string()))
            .collect();
        loaded.retain(|(_, _, cassette)| {
            let request = &cassette.request;
            latest.get(&key(&request.method, &request.path)) == Some(&cassette.session)
        });
        let mut answers: HashMap<String, Sequence> = HashMap::new();
        let mut not_recorded = Vec::new();
        for (_, path, cassette) in loaded {
            let request = &cassette.request;
            if let CassetteBody::Omitted(reason) = &cassette.response.body {
                not_recorded.push(NotRecorded {
                    exchange: shown(&format!(
                        "{} {} -> {}",
                        request.method, request.path, cassette.response.status
                    )),
                    path: path.clone(),
                    reason: reason.clone(),
                });
            }
            answers
                .entry(key(&request.method, &request.path))
                .or_default()
                .answers
                .push(cassette.response);
        }
        corrupt.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Replay {
            shown_dir: shown(&dir.to_string_lossy()),
            answers,
            files: recorded_files(dir),
            corrupt,
            not_recorded,
        })
    }

    /// The next answer recorded for `method` on `path`, with result URLs pointing at the files
    /// served from `base` (the proxy's own URL); `None` when nothing was recorded for it.
    pub fn answer(&self, method: &Method, path: &str, base: &str) -> Option<Replayed> {
        let sequence = self.answers.get(&key(method.as_str(), path))?;
        let at = sequence
            .next
            .fetch_add(1, Ordering::Relaxed)
            .min(sequence.answers.len().checked_sub(1)?);
        let recorded = &sequence.answers[at];
        let mut headers = axum::http::HeaderMap::new();
        for (name, value) in &recorded.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                headers.append(name, value);
            }
        }
        let body = match (&recorded.body, Route::of(method, path)) {
            (CassetteBody::Json(value), route) if route.answers_tasks() => {
                let mut value = value.clone();
                self.point_at_files(route, &mut value, base);
                serde_json::to_vec(&value).map_err(|e| e.to_string())
            }
            (body, _) => body.to_bytes(),
        };
        Some(Replayed {
            status: recorded.status,
            headers,
            body,
        })
    }

    /// Rewrites the URL of each result whose file was recorded to the proxy's file route; the
    /// files are looked up under the key recording kept them by ([`task_key`]).
    fn point_at_files(&self, route: Route<'_>, envelope: &mut Value, base: &str) {
        let Some(folder) = task_key(route, Some(envelope)) else {
            return;
        };
        let Some(results) = envelope.get_mut("results").and_then(Value::as_array_mut) else {
            return;
        };
        for (index, item) in results.iter_mut().enumerate() {
            let Some((_, name)) = self.files.get(&(folder.clone(), index)) else {
                continue;
            };
            if let Some(url) = item.get_mut("url") {
                *url = Value::String(format!("{base}{FILES_ROUTE}/{folder}/{index}/{name}"));
            }
        }
    }

    /// The answer to `GET {FILES_ROUTE}/{folder}/{index}/{name}`: the recorded file, or `None`.
    pub fn file(&self, path: &str) -> Option<Replayed> {
        let rest = path.strip_prefix(FILES_ROUTE)?.strip_prefix('/')?;
        let mut parts = rest.splitn(3, '/');
        let (folder, index, name) = (parts.next()?, parts.next()?, parts.next()?);
        let index: usize = index.parse().ok()?;
        let (file, recorded_name) = self.files.get(&(folder.to_string(), index))?;
        if recorded_name != name {
            return None;
        }
        let body =
            std::fs::read(file).map_err(|e| format!("the recorded file cannot be read: {e}"));
        let mut headers = axum::http::HeaderMap::new();
        let content_type = crate::mock::files::content_type(name);
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        Some(Replayed {
            status: 200,
            headers,
            body,
        })
    }
}

/// The result files under `dir/files/<task folder>/<index>-<name>`.
fn recorded_files(dir: &Path) -> HashMap<(String, usize), (PathBuf, String)> {
    let mut files = HashMap::new();
    let Ok(folders) = std::fs::read_dir(files_dir(dir)) else {
        return files;
    };
    for folder in folders.filter_map(Result::ok) {
        let folder_name = folder.file_name().to_string_lossy().into_owned();
        let Ok(entries) = std::fs::read_dir(folder.path()) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let Some(index) = name
                .split_once('-')
                .and_then(|(index, _)| index.parse::<usize>().ok())
            else {
                continue;
            };
            files.insert((folder_name.clone(), index), (entry.path(), name));
        }
    }
    files
}
