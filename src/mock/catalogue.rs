//! The fixtures the mock serves, and where a task's results come from: a completed fixture of
//! its model, else one its registry entry shares, else the built-in sample of each shape.

use super::MockError;
use crate::model::{self, Entry};
use crate::Contract;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One results item per shape, for when no fixture has results to copy.
const SAMPLES: &str = include_str!("samples.json");

/// A fixture file the mock does not serve, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why: not JSON, breaks the contract (fixtures/invalid/ on purpose), or a repeated id.
    pub reason: String,
}

/// The loaded fixtures.
#[derive(Clone, Debug, Default)]
pub(crate) struct Catalogue {
    /// Each task that keeps the contract, with the file it came from, in path order.
    pub tasks: Vec<(PathBuf, Value)>,
    /// The files left out.
    pub skipped: Vec<Skipped>,
}

impl Catalogue {
    /// Loads every `*.json` file under `dir` (recursively, in path order; links to
    /// directories are not followed, and the walk is bounded). A file that does
    /// not keep the contract, or repeats an id, is skipped, not served: the server only sends
    /// what the contract accepts.
    pub fn load(dir: &Path) -> Result<Catalogue, MockError> {
        let mut files = Vec::new();
        let mut catalogue = Catalogue::default();
        collect(dir, &mut files, &mut catalogue.skipped)?;
        files.sort();
        for path in files {
            match read_task(&path) {
                Ok(task) => {
                    let id = task.get("id").and_then(Value::as_str).unwrap_or_default();
                    let first = catalogue.tasks.iter().find(|(_, t)| t["id"] == id);
                    match first {
                        Some((first, _)) => catalogue.skipped.push(Skipped {
                            reason: format!(
                                "expected a new task id, found {id:?} again (first in {})",
                                first.display()
                            ),
                            path,
                        }),
                        None => catalogue.tasks.push((path, task)),
                    }
                }
                Err(reason) => catalogue.skipped.push(Skipped { path, reason }),
            }
        }
        Ok(catalogue)
    }

    /// The results a task of `model` and `output_type` completes with: those of a completed
    /// fixture of the same model, else of one whose model the registry gives the same entry
    /// (so the same shapes), else one built-in sample per shape of that entry. `None` when the
    /// registry knows neither the model nor the type.
    pub fn results_for(&self, model: &str, output_type: &str) -> Option<Vec<Value>> {
        let (entry, _) = model::lookup(Some(model), Some(output_type))?;
        let completed = || {
            self.tasks.iter().filter_map(|(_, task)| {
                let results = task.get("results")?.as_array().filter(|r| !r.is_empty())?;
                (task.get("status")? == "completed").then_some((task, results))
            })
        };
        let same_model = completed().find(|(task, _)| task["model"] == model);
        let same_entry =
            || completed().find(|(task, _)| entry_of(task).is_some_and(|e| std::ptr::eq(e, entry)));
        same_model
            .or_else(same_entry)
            .map(|(_, results)| results.clone())
            .or_else(|| samples(entry))
    }
}

/// The registry entry of a task envelope.
fn entry_of(task: &Value) -> Option<&'static Entry> {
    let model = task.get("model").and_then(Value::as_str);
    let output_type = task.get("type").and_then(Value::as_str);
    model::lookup(model, output_type).map(|(entry, _)| entry)
}

/// One built-in sample item per shape of `entry`.
fn samples(entry: &Entry) -> Option<Vec<Value>> {
    let samples: Value = serde_json::from_str(SAMPLES).ok()?;
    entry
        .shapes
        .iter()
        .map(|shape| samples.get(shape.name()).cloned())
        .collect()
}

/// How deep under the fixtures directory the walk goes.
const MAX_DEPTH: usize = 32;
/// How many fixture files are read at most.
const MAX_FILES: usize = 100_000;

/// Collects the `*.json` files under `dir`, without following links to directories (a link
/// to a file is read), at most [`MAX_DEPTH`] levels deep and [`MAX_FILES`] files; what is
/// left out is said in `skipped`. Only the top directory failing to open is an error.
fn collect(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    skipped: &mut Vec<Skipped>,
) -> Result<(), MockError> {
    let top = std::fs::read_dir(dir).map_err(|source| MockError::Fixtures {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut pending = vec![(top, 0usize)];
    while let Some((entries, depth)) = pending.pop() {
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    skipped.push(Skipped {
                        path: dir.to_path_buf(),
                        reason: format!("a directory entry cannot be read: {e}"),
                    });
                    continue;
                }
            };
            let path = entry.path();
            // The entry's own type: a link is a link, not what it points at.
            let kind = match entry.file_type() {
                Ok(kind) => kind,
                Err(e) => {
                    skipped.push(Skipped {
                        path,
                        reason: format!("cannot be read: {e}"),
                    });
                    continue;
                }
            };
            if kind.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    skipped.push(Skipped {
                        path,
                        reason: format!("expected at most {MAX_DEPTH} directory levels, found more (not walked)"),
                    });
                    continue;
                }
                match std::fs::read_dir(&path) {
                    Ok(inner) => pending.push((inner, depth + 1)),
                    Err(e) => skipped.push(Skipped {
                        path,
                        reason: format!("directory cannot be read: {e}"),
                    }),
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "json") {
                if kind.is_symlink() && path.is_dir() {
                    skipped.push(Skipped {
                        path,
                        reason: "a link to a directory: not followed".to_string(),
                    });
                }
                continue;
            }
            if kind.is_symlink() && !path.is_file() {
                skipped.push(Skipped {
                    path,
                    reason: "a link to something other than a file: not followed".to_string(),
                });
                continue;
            }
            if files.len() >= MAX_FILES {
                skipped.push(Skipped {
                    path,
                    reason: format!("expected at most {MAX_FILES} fixture files, found more"),
                });
                continue;
            }
            files.push(path);
        }
    }
    Ok(())
}

/// Reads one fixture: a task envelope that keeps the contract, or why not.
fn read_task(path: &Path) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("expected JSON, found {e}"))?;
    let report = Contract::global().validate_value(&value);
    match report.errors.first() {
        Some(issue) => Err(format!("breaks the contract: {issue}")),
        None => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_has_a_sample() {
        let samples: Value = serde_json::from_str(SAMPLES).expect("samples.json is JSON");
        for shape in crate::Shape::ALL {
            let sample = samples.get(shape.name());
            assert!(
                sample.is_some(),
                "samples.json: expected a sample of shape {}, found none",
                shape.name()
            );
            assert!(
                shape.parse(sample.unwrap_or(&Value::Null)).is_ok(),
                "sample of {} does not parse",
                shape.name()
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_to_directories_are_not_followed_so_a_loop_ends() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let inner = dir.path().join("a");
        std::fs::create_dir(&inner).expect("a/");
        std::os::unix::fs::symlink(dir.path(), inner.join("loop")).expect("a link up");
        std::fs::write(inner.join("x.json"), "{}").expect("a file");
        let catalogue = Catalogue::load(dir.path()).expect("loads");
        assert!(
            catalogue
                .skipped
                .iter()
                .any(|s| s.path.ends_with("a/loop") && s.reason.contains("not followed")),
            "{:?}",
            catalogue.skipped
        );
        assert_eq!(
            catalogue.skipped.len(),
            2,
            "the link, and x.json (not a task)"
        );
    }

    #[test]
    fn a_missing_directory_is_an_error_that_names_it() {
        let error = Catalogue::load(Path::new("/nonexistent/fixtures")).unwrap_err();
        assert!(
            error.to_string().contains("/nonexistent/fixtures"),
            "{error}"
        );
    }
}
