//! The server's shared state and what each request does to it; the routes only extract
//! the request's parts and call in here.

use super::answer::Answer;
use super::auth;
use super::catalogue::Catalogue;
use super::clock::MockClock;
use super::connection::Cut;
use super::faults::{Dice, FaultCounts, Faults};
use super::files;
use super::lifecycle::{Lifecycle, Outcome};
use super::scenario::Script;
use super::tasks::{estimated_secs, TaskRecord};
use super::MockError;
use crate::model;
use crate::secret::ApiKey;
use crate::Dispatch;
use crate::{Contract, ErrorType};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use url::Url;

/// The characters of the random part of a task id.
const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Everything the handlers share: the settings it started from, and what changes.
#[derive(Debug)]
pub(crate) struct App {
    pub settings: Settings,
    store: Mutex<Store>,
}

/// What changes while the server runs.
#[derive(Debug)]
struct Store {
    tasks: HashMap<String, TaskRecord>,
    dice: Dice,
    ids: fastrand::Rng,
}

/// The settings an [`App`] starts from and keeps.
#[derive(Debug)]
pub(crate) struct Settings {
    pub base: Url,
    pub clock: MockClock,
    pub api_key: Option<ApiKey>,
    pub url_ttl: Duration,
    pub faults: Faults,
    pub lifecycle: Lifecycle,
    pub models: BTreeMap<String, Script>,
    pub catalogue: Catalogue,
    pub seed: u64,
}

impl App {
    /// The app, serving every task of the catalogue as loaded.
    pub fn new(settings: Settings) -> App {
        let now = settings.clock.now_ms();
        let tasks = settings
            .catalogue
            .tasks
            .iter()
            .filter_map(|(_, task)| {
                let id = task.get("id")?.as_str()?.to_string();
                let envelope = localize(task, &settings.base);
                Some((id, TaskRecord::fixed(envelope, now)))
            })
            .collect();
        App {
            store: Mutex::new(Store {
                tasks,
                dice: Dice::new(settings.seed),
                ids: fastrand::Rng::with_seed(settings.seed),
            }),
            settings,
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the request's Bearer token; the refusal is a 401 with a section 4 body.
    pub fn authorize(&self, headers: &HeaderMap) -> Result<(), Answer> {
        auth::authorize(headers, self.settings.api_key.as_ref()).map_err(|refusal| {
            Answer::error(
                StatusCode::UNAUTHORIZED,
                ErrorType::AuthenticationError,
                refusal.message(),
            )
            .code("invalid_api_key")
        })
    }

    /// Answers one request of `stream` (its fault sequence): draws its fault (the faults of
    /// task `task`, when it has its own), waits the latency, then answers with the fault's
    /// answer or `handle`'s, cut as the fault says.
    pub async fn answer(
        &self,
        cut: &Cut,
        stream: &str,
        task: Option<&str>,
        handle: impl FnOnce(&App) -> Answer,
    ) -> Response {
        let (fault, latency) = {
            let mut store = self.store();
            let faults = task
                .and_then(|id| store.tasks.get(id)?.faults.clone())
                .unwrap_or_else(|| self.settings.faults.clone());
            (store.dice.roll(stream, &faults), faults.latency())
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let answer = match Answer::of_fault(fault) {
            Some(answer) => answer,
            None => handle(self),
        };
        tracing::debug!(
            stream,
            status = answer.status.as_u16(),
            ?fault,
            "mock answered"
        );
        answer.send(fault, cut)
    }

    /// `GET /v1/tasks/{id}`.
    pub fn poll(&self, id: &str, query: Option<&str>) -> Answer {
        let sync = match sync_upstream(query) {
            Ok(sync) => sync,
            Err(answer) => return answer,
        };
        let now = self.settings.clock.now_ms();
        match self.store().tasks.get_mut(id) {
            Some(task) => Answer::json(task.poll(now, sync)),
            None => Answer::error(
                StatusCode::NOT_FOUND,
                ErrorType::NotFound,
                format!("expected the id of a task the mock serves, found {id:?}"),
            )
            .code("task_not_found"),
        }
    }

    /// `GET /files/{id}/{index}/{name}`: a result file, until its URL expires.
    pub fn download(&self, id: &str, index: &str, name: &str) -> Answer {
        let not_found = || {
            Answer::error(
                StatusCode::NOT_FOUND,
                ErrorType::NotFound,
                format!("expected the URL of a result of a completed task, found none at /files/{id}/{index}/{name}"),
            )
        };
        let Ok(index) = index.parse::<usize>() else {
            return not_found();
        };
        let now = self.settings.clock.now_ms();
        let Some((results, attached_ms)) = self
            .store()
            .tasks
            .get_mut(id)
            .and_then(|task| task.attached(now))
        else {
            return not_found();
        };
        let url = files::file_url(&self.settings.base, id, index, name);
        if results
            .get(index)
            .and_then(|item| item.get("url"))
            .and_then(Value::as_str)
            != Some(&url)
        {
            return not_found();
        }
        let ttl_ms = u64::try_from(self.settings.url_ttl.as_millis()).unwrap_or(u64::MAX);
        let expires_ms = attached_ms.saturating_add(ttl_ms);
        if now >= expires_ms {
            return Answer::error(
                StatusCode::FORBIDDEN,
                ErrorType::InvalidRequestError,
                format!(
                    "expected a result URL younger than {} s, found one that expired at Unix time {} (now {})",
                    self.settings.url_ttl.as_secs(),
                    expires_ms / 1000,
                    now / 1000
                ),
            )
            .code("url_expired");
        }
        Answer::file(files::content_type(name), files::contents(id, index, name))
    }

    /// `POST /v1/{kind}/generations` for `output_type`: a new task of the body's `model`,
    /// answered pending, whose lifecycle then runs.
    pub fn submit(&self, output_type: &str, route: &str, body: &[u8]) -> Answer {
        let bad = |message: String| {
            Answer::error(
                StatusCode::BAD_REQUEST,
                ErrorType::InvalidRequestError,
                message,
            )
            .param("model")
        };
        let request: Value = match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(e) => {
                return bad(format!(
                "{route}: expected a JSON object with a string `model`, found invalid JSON: {e}"
            ))
            }
        };
        let model = match request.get("model") {
            Some(Value::String(model)) if !model.trim().is_empty() => model.as_str(),
            Some(other) => {
                return bad(format!(
                    "{route}: expected `model` to be a non-empty string, found {other}"
                ))
            }
            None if !request.is_object() => {
                return bad(format!(
                    "{route}: expected a JSON object with a string `model`, found {request}"
                ))
            }
            None => {
                return bad(format!(
                    "{route}: expected a JSON object with a string `model`, found no `model`"
                ))
            }
        };
        if let Some((entry, Dispatch::ByModel)) = model::lookup(Some(model), None) {
            if entry.output_type != output_type {
                return bad(format!(
                    "{route}: expected a model of type {output_type}, found {model:?}, a model of type {}",
                    entry.output_type
                ));
            }
        }
        let script = self.settings.models.get(model);
        let lifecycle = script
            .and_then(|s| s.lifecycle.clone())
            .unwrap_or_else(|| self.settings.lifecycle.clone());
        let results = match lifecycle.outcome {
            Outcome::Completed => match self.settings.catalogue.results_for(model, output_type) {
                Some(results) => results,
                None => {
                    return Answer::error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorType::InvalidRequestError,
                        format!("{route}: expected a model whose results the mock can shape, found {model:?} of unknown type {output_type}"),
                    )
                    .param("model")
                }
            },
            Outcome::Failed { .. } => Vec::new(),
        };
        let now = self.settings.clock.now_ms();
        let mut store = self.store();
        let id = new_id(&mut store, output_type, now / 1000);
        let object = model::task_kinds()
            .iter()
            .find(|(_, t)| *t == output_type)
            .map_or("", |(object, _)| *object);
        let mut template = Map::new();
        template.insert("id".into(), json!(id));
        template.insert("object".into(), json!(object));
        template.insert("type".into(), json!(output_type));
        template.insert("model".into(), json!(model));
        template.insert("created".into(), json!(now / 1000));
        template.insert(
            "usage".into(),
            json!({"credits_reserved": 5, "user_group": "default"}),
        );
        if output_type == "llm" {
            template.insert("stream".into(), Value::Null);
        }
        let estimated = estimated_secs(&lifecycle);
        let results = files::localize(&results, &self.settings.base, &id);
        let mut task = TaskRecord::scripted(template, results, lifecycle, now);
        task.faults = script.and_then(|s| s.faults.clone());
        let mut envelope = task.peek(now);
        if let Some(fields) = envelope.as_object_mut() {
            fields.insert(
                "task_info".into(),
                json!({"can_cancel": true, "estimated_time": estimated}),
            );
        }
        store.tasks.insert(id, task);
        Answer::json(envelope)
    }

    /// Adds (or replaces) a task served as `envelope` says; with a lifecycle, runs it from now.
    pub fn add_task(
        &self,
        envelope: &Value,
        lifecycle: Option<Lifecycle>,
    ) -> Result<String, MockError> {
        let id = envelope
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let report = Contract::global().validate_value(envelope);
        if !report.is_valid() {
            let issues: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
            return Err(MockError::Task {
                id,
                message: format!(
                    "expected a task that keeps the contract, found: {}",
                    issues.join("; ")
                ),
            });
        }
        let now = self.settings.clock.now_ms();
        let envelope = localize(envelope, &self.settings.base);
        let task = match lifecycle {
            Some(lifecycle) => self.scripted(&id, &envelope, lifecycle, now)?,
            None => TaskRecord::fixed(envelope, now),
        };
        self.store().tasks.insert(id.clone(), task);
        Ok(id)
    }

    /// Makes task `id` run `lifecycle` from now, ending with the results it has (or else
    /// results of its model or type); its polls and faults are kept.
    pub fn script(&self, id: &str, lifecycle: Lifecycle) -> Result<(), MockError> {
        let now = self.settings.clock.now_ms();
        let mut store = self.store();
        let task = store
            .tasks
            .get_mut(id)
            .ok_or_else(|| MockError::UnknownTask { id: id.to_string() })?;
        let mut scripted = self.scripted(id, &task.peek(now), lifecycle, now)?;
        scripted.polls = task.polls;
        scripted.faults = task.faults.take();
        *task = scripted;
        Ok(())
    }

    /// Gives task `id` its own faults (`None`: the server's again).
    pub fn set_faults(&self, id: &str, faults: Option<Faults>) -> Result<(), MockError> {
        if let Some(faults) = &faults {
            faults.check(&format!("faults of {id}"))?;
        }
        let mut store = self.store();
        let task = store
            .tasks
            .get_mut(id)
            .ok_or_else(|| MockError::UnknownTask { id: id.to_string() })?;
        task.faults = faults;
        Ok(())
    }

    /// A scripted task from an envelope whose results are already local.
    fn scripted(
        &self,
        id: &str,
        envelope: &Value,
        lifecycle: Lifecycle,
        now: u64,
    ) -> Result<TaskRecord, MockError> {
        let template = envelope.as_object().cloned().unwrap_or_default();
        let own = envelope
            .get("results")
            .and_then(Value::as_array)
            .filter(|r| !r.is_empty());
        let results = match (own, &lifecycle.outcome) {
            (Some(results), _) => results.clone(),
            (None, Outcome::Failed { .. }) => Vec::new(),
            (None, Outcome::Completed) => {
                let field = |key| {
                    envelope
                        .get(key)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                };
                let (model, output_type) = (field("model"), field("type"));
                let results = self.settings.catalogue.results_for(model, output_type).ok_or_else(|| MockError::Task {
                    id: id.to_string(),
                    message: format!(
                        "expected results to complete with (a fixture of model {model:?} or of type {output_type:?}), found none"
                    ),
                })?;
                files::localize(&results, &self.settings.base, id)
            }
        };
        Ok(TaskRecord::scripted(template, results, lifecycle, now))
    }

    /// The envelope task `id` would answer now, without counting a poll.
    pub fn peek(&self, id: &str) -> Option<Value> {
        let now = self.settings.clock.now_ms();
        self.store().tasks.get_mut(id).map(|task| task.peek(now))
    }

    /// The polls task `id` has answered.
    pub fn polls(&self, id: &str) -> Option<u64> {
        self.store().tasks.get(id).map(|task| task.polls)
    }

    /// The ids of every task served, sorted.
    pub fn task_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.store().tasks.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The faults injected so far.
    pub fn fault_counts(&self) -> FaultCounts {
        self.store().dice.counts()
    }
}

/// The envelope with its results' URLs pointing at the mock.
fn localize(envelope: &Value, base: &Url) -> Value {
    let mut envelope = envelope.clone();
    let id = envelope
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(results) = envelope.get_mut("results") {
        if let Some(items) = results.as_array() {
            *results = Value::Array(files::localize(items, base, &id));
        }
    }
    envelope
}

/// A fresh task id: `task-unified-<unix>-<8 chars>`, or `task-llmrouter-...` for LLM tasks.
fn new_id(store: &mut Store, output_type: &str, unix: u64) -> String {
    let prefix = if output_type == "llm" {
        "task-llmrouter"
    } else {
        "task-unified"
    };
    loop {
        let suffix: String = (0..8)
            .map(|_| char::from(ID_ALPHABET[store.ids.usize(..ID_ALPHABET.len())]))
            .collect();
        let id = format!("{prefix}-{unix}-{suffix}");
        if !store.tasks.contains_key(&id) {
            return id;
        }
    }
}

/// The `sync_upstream` query parameter: absent, `true` or `false`.
fn sync_upstream(query: Option<&str>) -> Result<bool, Answer> {
    let found = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes()).find(|(key, _)| key == "sync_upstream")
    });
    match found.as_ref().map(|(_, value)| value.as_ref()) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(Answer::error(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequestError,
            format!(
                "expected sync_upstream=true or sync_upstream=false, found sync_upstream={other:?}"
            ),
        )
        .param("sync_upstream")),
    }
}
