//! Coverage: which registry models and shapes a corpus exercised with a valid response, and
//! which it never did.

use crate::model;
use crate::report::Report;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a corpus exercised, filled response by response.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    models: BTreeMap<String, u64>,
    shapes: BTreeMap<&'static str, u64>,
}

/// The coverage of a corpus, as reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "harness", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct CoverageSummary {
    /// Valid responses per model of the registry (by-model entries), zero included.
    pub registry_models: BTreeMap<String, u64>,
    /// Valid responses with results items per shape, zero included.
    pub shapes: BTreeMap<String, u64>,
    /// Registry models with no valid response in the corpus.
    pub missing_models: Vec<String>,
    /// Shapes no valid response exercised.
    pub missing_shapes: Vec<String>,
    /// Valid responses per model outside the registry (held to the shape of their type).
    pub other_models: BTreeMap<String, u64>,
}

impl Coverage {
    /// Counts one response; only a valid one exercises anything.
    pub fn add(&mut self, report: &Report) {
        if !report.is_valid() {
            return;
        }
        if let Some(m) = &report.model {
            *self.models.entry(m.clone()).or_default() += 1;
        }
        if report.items > 0 {
            for shape in &report.shapes {
                *self.shapes.entry(shape).or_default() += 1;
            }
        }
    }

    /// The summary against the registry.
    pub fn summary(&self) -> CoverageSummary {
        let registry_models: BTreeMap<String, u64> = model::models()
            .iter()
            .map(|e| {
                (
                    e.key.to_string(),
                    self.models.get(e.key).copied().unwrap_or(0),
                )
            })
            .collect();
        let shapes: BTreeMap<String, u64> = crate::Shape::ALL
            .iter()
            .map(|s| {
                (
                    s.name().to_string(),
                    self.shapes.get(s.name()).copied().unwrap_or(0),
                )
            })
            .collect();
        CoverageSummary {
            missing_models: registry_models
                .iter()
                .filter(|(_, n)| **n == 0)
                .map(|(m, _)| m.clone())
                .collect(),
            missing_shapes: shapes
                .iter()
                .filter(|(_, n)| **n == 0)
                .map(|(s, _)| s.clone())
                .collect(),
            other_models: self
                .models
                .iter()
                .filter(|(m, _)| !registry_models.contains_key(*m))
                .map(|(m, n)| (m.clone(), *n))
                .collect(),
            registry_models,
            shapes,
        }
    }
}
