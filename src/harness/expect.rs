//! Negative fixtures: a directory that holds responses which must break the contract says so
//! in a file named [`MANIFEST`], and names the rule each one must break. A run then counts such
//! a response as expected when it is invalid for that rule, and as a failure when it is valid
//! or invalid for another reason, so a corpus of good and bad fixtures checks as one.
//!
//! ```json
//! {
//!   "description": "One broken response per error class.",
//!   "expect": "invalid",
//!   "responses": {
//!     "missing-id.json": { "rule": "schema", "pointer": "", "message": "key \"id\"" },
//!     "truncated.json": { "rule": "not_json" }
//!   }
//! }
//! ```
//!
//! Every response below the manifest's directory (the nearest manifest wins) must be invalid;
//! a listed one must also carry an error of the stated `rule`, at the stated `pointer` and with
//! `message` in its message, each when given. A listed response that is not there is a
//! failure of its own.

use crate::report::{Report, Rule};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name of a directory's expectations. It is never read as a response.
pub const MANIFEST: &str = "foxapi-expect.json";

/// What a manifest says of the responses below its directory.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// Prose for people.
    #[serde(default)]
    #[allow(dead_code)] // Read for people, kept for `deny_unknown_fields`.
    description: Option<String>,
    /// Only `invalid` for now: the responses here must break the contract.
    expect: Verdict,
    /// What each named response (by path relative to the manifest) must break.
    #[serde(default)]
    responses: BTreeMap<String, Expectation>,
}

/// The verdict a manifest expects.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Verdict {
    /// The responses must break the contract.
    Invalid,
}

/// Why one response must be invalid: the rule it breaks, and where, as far as stated.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "harness", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Expectation {
    /// The rule an error must come from ([`Rule::as_str`]), when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The JSON pointer of that error, when stated (`""` for the whole response).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Words the error's message must hold, when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Expectation {
    /// Whether `report` is what this expects: invalid, with an error that matches every stated
    /// part. `None` when it is; else what was found instead, in words.
    pub fn unmet(&self, report: &Report) -> Option<String> {
        if report.is_valid() {
            return Some("expected an invalid response, found a valid one".to_string());
        }
        let matches = |issue: &crate::Issue| {
            self.rule
                .as_deref()
                .is_none_or(|r| issue.rule.as_str() == r)
                && self
                    .pointer
                    .as_deref()
                    .is_none_or(|p| issue.instance_path == p)
                && self
                    .message
                    .as_deref()
                    .is_none_or(|m| issue.message.contains(m))
        };
        if report.errors.iter().any(matches) || (report.errors.is_empty() && self.is_bare()) {
            return None;
        }
        let found = report
            .errors
            .iter()
            .take(3)
            .map(|e| format!("{} at {}", e.rule.as_str(), e.place()))
            .collect::<Vec<_>>()
            .join(", ");
        Some(format!("expected an error {self}, found {found}"))
    }

    fn is_bare(&self) -> bool {
        self.rule.is_none() && self.pointer.is_none() && self.message.is_none()
    }
}

impl std::fmt::Display for Expectation {
    /// `of rule schema at /id with "key"`, as far as stated.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(rule) = &self.rule {
            parts.push(format!("of rule {rule}"));
        }
        if let Some(pointer) = &self.pointer {
            parts.push(format!(
                "at {}",
                if pointer.is_empty() {
                    "(root)"
                } else {
                    pointer
                }
            ));
        }
        if let Some(message) = &self.message {
            parts.push(format!("saying {message:?}"));
        }
        if parts.is_empty() {
            parts.push("of any rule".to_string());
        }
        f.write_str(&parts.join(" "))
    }
}

/// The manifests met so far in a run, by directory, and which of their entries were seen.
#[derive(Debug, Default)]
pub struct Expectations {
    /// Each directory looked at: its manifest, if it has one.
    dirs: BTreeMap<PathBuf, Option<Loaded>>,
    /// The last root and directory asked about, and the directory whose manifest governs it.
    last: Option<(PathBuf, PathBuf, Option<PathBuf>)>,
}

/// A manifest read, with the entries a run has met.
#[derive(Debug)]
struct Loaded {
    manifest: Result<Manifest, String>,
    /// The listed responses the run has met.
    seen: std::collections::BTreeSet<String>,
}

/// What the manifests say of one response file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// No manifest above it: it must keep the contract.
    Valid,
    /// A manifest says it must break the contract, as stated.
    Invalid(Expectation),
}

/// What a run found wrong with the manifests themselves: one message per problem, each naming
/// the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManifestProblem {
    /// The manifest, or the response it names that is not there.
    pub source: String,
    /// What was expected and found.
    pub message: String,
}

impl Expectations {
    /// What the manifests say of the response file at `path`, found while checking `root`
    /// (a manifest above `root` does not apply).
    pub fn of(&mut self, root: &Path, path: &Path) -> Expected {
        let parent = path.parent().unwrap_or(Path::new(""));
        // Files come directory by directory: the last directory's answer is asked again.
        let governing = match &self.last {
            Some((r, p, governing))
                if p.as_os_str() == parent.as_os_str() && r.as_os_str() == root.as_os_str() =>
            {
                governing.clone()
            }
            _ => {
                let governing = self.governing(root, path);
                self.last = Some((root.to_path_buf(), parent.to_path_buf(), governing.clone()));
                governing
            }
        };
        let Some(d) = governing else {
            return Expected::Valid;
        };
        let Some(Some(loaded)) = self.dirs.get_mut(&d) else {
            return Expected::Valid;
        };
        let relative = path
            .strip_prefix(&d)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let expectation = match &loaded.manifest {
            Ok(m) => {
                let Verdict::Invalid = m.expect;
                m.responses.get(&relative).cloned().unwrap_or_default()
            }
            Err(_) => Expectation::default(),
        };
        if !loaded.seen.contains(&relative) {
            loaded.seen.insert(relative);
        }
        Expected::Invalid(expectation)
    }

    /// The directory whose manifest governs the response at `path`: the nearest one at or
    /// below `root` that has a manifest, each directory's manifest read the first time.
    fn governing(&mut self, root: &Path, path: &Path) -> Option<PathBuf> {
        let mut dir = path.parent();
        while let Some(d) = dir {
            if !d.starts_with(root) && d != root {
                break;
            }
            // Looked up before it is inserted: a JSON Lines file asks once per line.
            if !self.dirs.contains_key(d) {
                self.dirs.insert(d.to_path_buf(), load(&d.join(MANIFEST)));
            }
            if let Some(Some(_)) = self.dirs.get(d) {
                return Some(d.to_path_buf());
            }
            if d == root {
                break;
            }
            dir = d.parent();
        }
        None
    }

    /// The problems of the manifests met: those that could not be read, and responses they
    /// name that the run never met.
    pub fn problems(&self) -> Vec<ManifestProblem> {
        let mut problems = Vec::new();
        for (dir, loaded) in &self.dirs {
            let Some(loaded) = loaded else { continue };
            let manifest_path = dir.join(MANIFEST).display().to_string();
            match &loaded.manifest {
                Err(why) => problems.push(ManifestProblem {
                    source: manifest_path,
                    message: why.clone(),
                }),
                Ok(manifest) => {
                    for name in manifest.responses.keys() {
                        if !loaded.seen.contains(name) && !dir.join(name).exists() {
                            problems.push(ManifestProblem {
                                source: dir.join(name).display().to_string(),
                                message: format!(
                                    "expected the response {name:?} that {MANIFEST} names, found no such file"
                                ),
                            });
                        }
                    }
                    for name in manifest.responses.values().filter_map(|e| e.rule.as_ref()) {
                        if Rule::from_name(name).is_none() {
                            problems.push(ManifestProblem {
                                source: manifest_path.clone(),
                                message: format!(
                                    "expected a rule such as {:?}, found {name:?}",
                                    Rule::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>()
                                ),
                            });
                        }
                    }
                }
            }
        }
        problems
    }
}

/// Reads the manifest at `path`, if there is one.
fn load(path: &Path) -> Option<Loaded> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            return Some(Loaded {
                manifest: Err(format!("cannot be read: {e}")),
                seen: Default::default(),
            })
        }
    };
    let manifest = serde_json::from_slice::<Manifest>(&text).map_err(|e| {
        format!(
            "line {} column {}: expected {{\"expect\": \"invalid\", \"responses\": {{FILE: {{\"rule\", \"pointer\", \"message\"}}}}}}, found: {e}",
            e.line(),
            e.column()
        )
    });
    Some(Loaded {
        manifest,
        seen: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Issue;

    fn invalid(rule: Rule, pointer: &str) -> Report {
        Report {
            errors: vec![Issue::at(rule, pointer, "expected key \"id\", found none")],
            ..Report::default()
        }
    }

    #[test]
    fn an_expectation_is_met_by_an_error_of_its_rule_at_its_pointer() {
        let expected = Expectation {
            rule: Some("schema".into()),
            pointer: Some(String::new()),
            message: Some("key \"id\"".into()),
        };
        assert_eq!(expected.unmet(&invalid(Rule::Schema, "")), None);
        let other_rule = expected.unmet(&invalid(Rule::NotJson, "")).expect("unmet");
        assert!(
            other_rule.contains("of rule schema at (root)"),
            "{other_rule}"
        );
        assert!(
            other_rule.contains("found not_json at (root)"),
            "{other_rule}"
        );
        assert!(expected.unmet(&invalid(Rule::Schema, "/id")).is_some());
        let valid = expected.unmet(&Report::default()).expect("unmet");
        assert!(valid.contains("found a valid one"), "{valid}");
    }

    #[test]
    fn the_nearest_manifest_decides_and_names_what_it_lists_but_the_run_never_met() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("bad");
        std::fs::create_dir_all(bad.join("deeper")).expect("dirs");
        std::fs::write(
            bad.join(MANIFEST),
            r#"{"expect":"invalid","responses":{"a.json":{"rule":"schema"},"gone.json":{},"deeper/b.json":{"rule":"nonsense"}}}"#,
        )
        .expect("manifest");
        let mut expectations = Expectations::default();
        let root = dir.path();
        assert_eq!(
            expectations.of(root, &root.join("ok.json")),
            Expected::Valid
        );
        assert_eq!(
            expectations.of(root, &bad.join("a.json")),
            Expected::Invalid(Expectation {
                rule: Some("schema".into()),
                ..Expectation::default()
            })
        );
        assert!(matches!(
            expectations.of(root, &bad.join("deeper/b.json")),
            Expected::Invalid(e) if e.rule.as_deref() == Some("nonsense")
        ));
        let problems = expectations.problems();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(problems.len(), 2, "{messages:?}");
        assert!(problems[0].source.ends_with("gone.json"), "{problems:?}");
        assert!(messages[1].contains("found \"nonsense\""), "{messages:?}");
    }

    #[test]
    fn a_manifest_that_is_not_of_its_form_is_a_problem_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(MANIFEST), r#"{"expect":"valid"}"#).expect("manifest");
        let mut expectations = Expectations::default();
        let expected = expectations.of(dir.path(), &dir.path().join("x.json"));
        assert_eq!(expected, Expected::Invalid(Expectation::default()));
        let problems = expectations.problems();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].source.ends_with(MANIFEST));
        assert!(problems[0].message.contains("line 1"), "{problems:?}");
    }
}
