//! Drift: the warnings of a whole corpus folded into rows (each undeclared key, unknown
//! value or advisory, by pointer pattern and model) with a count and one example. This is
//! what the schema should learn next.

use crate::report::{Report, Rule, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

/// One row of the drift table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "harness", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct DriftRow {
    /// What kind of warning: `undeclared_key`, `unknown_value` or `advisory`.
    pub rule: Rule,
    /// The instance pointer with array indices as `*`, such as `/results/*/thumbnail_url`.
    pub pointer: String,
    /// The model of the responses, or `""` when they had none.
    pub model: String,
    /// For an unknown value, the value (as JSON); for an undeclared key, the key.
    pub value: String,
    /// How many warnings fell in this row.
    pub count: u64,
    /// One response where it was seen.
    pub example_source: String,
}

type Key = (Rule, String, String, String);

/// The drift of a corpus, filled response by response.
#[derive(Clone, Debug, Default)]
pub struct Drift {
    rows: BTreeMap<Key, DriftRow>,
}

/// `/results/3/words/17/type` as `/results/*/words/*/type`.
pub fn pointer_pattern(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl Drift {
    /// Folds in the warnings of one response.
    pub fn add(&mut self, source: &str, report: &Report) {
        let model = report.model.clone().unwrap_or_default();
        for warning in report.warnings.iter().chain(
            report
                .errors
                .iter()
                .filter(|e| e.rule.default_severity() == Severity::Warning),
        ) {
            let pointer = pointer_pattern(&warning.instance_path);
            let value = match warning.rule {
                Rule::UndeclaredKey => warning
                    .instance_path
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .replace("~1", "/")
                    .replace("~0", "~"),
                Rule::UnknownValue => warning.found.clone().unwrap_or_default(),
                // An advisory's message quotes the value; its rule is what repeats.
                _ => warning
                    .rule_description
                    .clone()
                    .unwrap_or_else(|| warning.schema_path.clone()),
            };
            let key = (warning.rule, pointer.clone(), model.clone(), value.clone());
            self.rows
                .entry(key)
                .or_insert_with(|| DriftRow {
                    rule: warning.rule,
                    pointer,
                    model: model.clone(),
                    value,
                    count: 0,
                    example_source: source.to_string(),
                })
                .count += 1;
        }
    }

    /// The rows, most frequent first, then by pointer.
    pub fn rows(&self) -> Vec<DriftRow> {
        let mut rows: Vec<DriftRow> = self.rows.values().cloned().collect();
        rows.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.pointer.cmp(&b.pointer))
                .then_with(|| a.model.cmp(&b.model))
        });
        rows
    }

    /// Whether any warning was seen.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_indices_become_stars() {
        assert_eq!(
            pointer_pattern("/results/3/words/17/type"),
            "/results/*/words/*/type"
        );
        assert_eq!(pointer_pattern(""), "");
    }
}
