//! Saving a live answer as a fixture under `<dir>/<model>/<task id>.json`: validated, then
//! stripped of secrets (no `Authorization` anywhere, signed URL parameters and the key
//! replaced by a marker), validated again, and written atomically.

use super::download::{safe_name, write_json};
use super::{redact, Client, ClientError, FetchedTask};
use crate::secret::ApiKey;
use crate::Contract;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where recorded fixtures go, relative to the crate root.
pub const DEFAULT_RECORD_DIR: &str = "fixtures/recorded";

/// `json` without its secrets, held to the contract again (a redacted URL is still a URL).
pub fn redacted_fixture(json: &Value, key: Option<&ApiKey>) -> Result<Value, ClientError> {
    let mut clean = json.clone();
    redact::json(&mut clean, key);
    let report = Contract::global().validate_value(&clean);
    if !report.is_valid() {
        let raw = super::RawBody::new(serde_json::to_vec(&clean).unwrap_or_default());
        return Err(ClientError::Contract {
            url: "the redacted fixture".to_string(),
            report: Box::new(report),
            raw,
        });
    }
    Ok(clean)
}

impl Client {
    /// Fetches a task (validated), removes its secrets and saves it as
    /// `<dir>/<model>/<task id>.json`; the path written.
    pub async fn record(&self, id: &str, dir: &Path) -> Result<PathBuf, ClientError> {
        let fetched = self.get_task(id, false).await?;
        self.save_fixture(&fetched, dir)
    }

    /// Saves an answer already fetched as a fixture, as [`Client::record`] does: its JSON as
    /// received ([`FetchedTask::raw`]), secrets removed.
    pub fn save_fixture(&self, fetched: &FetchedTask, dir: &Path) -> Result<PathBuf, ClientError> {
        let task = &fetched.parsed.task;
        let clean = redacted_fixture(&fetched.raw, Some(&self.inner.key))?;
        let folder = dir.join(safe_name(&task.model, "unknown-model"));
        std::fs::create_dir_all(&folder).map_err(|source| ClientError::Io {
            path: folder.clone(),
            action: "create the directory",
            source,
        })?;
        let path = folder.join(format!("{}.json", safe_name(&task.id, "task")));
        write_json(&clean, &path, &folder)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_climb_out() {
        assert_eq!(safe_name("../x", "m"), "_x");
        assert_eq!(safe_name("", "m"), "m");
        assert_eq!(
            safe_name("seedance-2.0-text-to-video", "m"),
            "seedance-2.0-text-to-video"
        );
    }
}
