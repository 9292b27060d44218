//! Scenario files: per-task and per-model scripts (a lifecycle, faults), read from JSON.
//!
//! ```json
//! {
//!   "tasks": {
//!     "task-unified-1757165047-lips0016": {
//!       "lifecycle": {"pending": {"polls": 1}, "processing": {"millis": 2000},
//!                     "empty_completed": {"polls": 1}, "outcome": "completed"},
//!       "faults": {"rate_429": 0.5, "retry_after_secs": 2}
//!     }
//!   },
//!   "models": {
//!     "flux-1.1-pro": {"lifecycle": {"outcome": {"failed": {"code": "content_policy_violation",
//!                                                         "message": "rejected"}}}}
//!   }
//! }
//! ```

use super::{Faults, Lifecycle, MockError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What to do with some tasks: scripts by task id (tasks loaded from the fixtures) and by
/// model (tasks submitted to the mock).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Scripts of fixture tasks, by id. A task with a lifecycle runs it from the server's
    /// start instead of being served as loaded.
    #[serde(default)]
    pub tasks: BTreeMap<String, Script>,
    /// Scripts of submitted tasks, by model: they override the server's default lifecycle
    /// and faults for tasks of that model.
    #[serde(default)]
    pub models: BTreeMap<String, Script>,
}

/// A lifecycle and faults for one task, or for the tasks of one model.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// How the task moves; `None` keeps the default.
    #[serde(default)]
    pub lifecycle: Option<Lifecycle>,
    /// The faults its polls and downloads meet instead of the server's; `None` keeps those.
    #[serde(default)]
    pub faults: Option<Faults>,
}

impl Scenario {
    /// Reads a scenario file.
    pub fn from_file(path: &Path) -> Result<Scenario, MockError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| MockError::Scenario {
            origin: origin.clone(),
            message: format!("cannot be read: {e}"),
        })?;
        Scenario::from_json(&text, &origin)
    }

    /// Parses a scenario; `origin` (a path, say) names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Scenario, MockError> {
        let scenario: Scenario = serde_json::from_str(text).map_err(|e| MockError::Scenario {
            origin: origin.to_string(),
            message: format!("expected a scenario (keys tasks, models), found: {e}"),
        })?;
        scenario.check(origin)?;
        Ok(scenario)
    }

    /// Checks every rate is within `0..=1`.
    pub fn check(&self, origin: &str) -> Result<(), MockError> {
        let scripts = self
            .tasks
            .iter()
            .map(|(id, s)| (format!("tasks.{id}"), s))
            .chain(self.models.iter().map(|(m, s)| (format!("models.{m}"), s)));
        for (at, script) in scripts {
            if let Some(faults) = &script.faults {
                faults.check(&format!("scenario {origin}: {at}.faults"))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{Outcome, Span};

    #[test]
    fn a_scenario_reads_lifecycles_outcomes_and_faults() {
        let text = r#"{
          "tasks": {"task-a": {"lifecycle": {"pending": {"millis": 500}, "processing": {"polls": 2}}}},
          "models": {"flux-1.1-pro": {
             "lifecycle": {"outcome": {"failed": {"code": 7, "message": "no"}}},
             "faults": {"rate_5xx": 0.25}}}
        }"#;
        let scenario = Scenario::from_json(text, "inline").expect("valid scenario");
        let task = scenario.tasks["task-a"]
            .lifecycle
            .as_ref()
            .expect("a lifecycle");
        assert_eq!(task.pending, Span::Millis(500));
        assert_eq!(task.processing, Span::Polls(2));
        assert_eq!(task.outcome, Outcome::Completed);
        let model = &scenario.models["flux-1.1-pro"];
        assert!(matches!(
            model.lifecycle.as_ref().map(|l| &l.outcome),
            Some(Outcome::Failed { .. })
        ));
        assert_eq!(model.faults.as_ref().map(|f| f.rate_5xx), Some(0.25));
    }

    #[test]
    fn a_typo_or_a_bad_rate_is_refused_with_where() {
        let typo = Scenario::from_json(
            r#"{"tasks": {"t": {"lifecycle": {"pendng": {"polls": 1}}}}}"#,
            "s.json",
        )
        .unwrap_err()
        .to_string();
        assert!(
            typo.contains("s.json") && typo.contains("pendng") && typo.contains("line 1"),
            "{typo}"
        );
        let rate = Scenario::from_json(
            r#"{"models": {"m": {"faults": {"drop_rate": 2}}}}"#,
            "s.json",
        )
        .unwrap_err()
        .to_string();
        assert!(
            rate.contains("models.m.faults: drop_rate") && rate.contains("found 2"),
            "{rate}"
        );
    }
}
