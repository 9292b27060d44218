//! The model registry: which shape a task's `results` items have, by model, then by type.

/// With several shapes, the const property that tells an item's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Discriminator {
    /// The property, such as `result_type`.
    pub property: &'static str,
    /// Each value of the property and the shape it selects.
    pub values: &'static [(&'static str, crate::Shape)],
}

/// One entry of `schema/models.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entry {
    /// The model, or for a by-type entry the output type.
    pub key: &'static str,
    /// The output type the model belongs to.
    pub output_type: &'static str,
    /// The shapes its results items may have.
    pub shapes: &'static [crate::Shape],
    /// With several shapes, how an item tells which it is.
    pub discriminator: Option<Discriminator>,
    /// A line of prose about the entry.
    pub note: &'static str,
}

use crate::report::Dispatch;
use crate::rules::RuleKey;
use crate::types::{BY_MODEL, BY_TYPE, TASK_KINDS};
use crate::{ResultItem, Shape, Task};
use serde_json::Value;

/// The registry entry that decides the shape of a task's results items: the model's own
/// entry, or else the entry of its output type.
pub fn lookup(
    model: Option<&str>,
    output_type: Option<&str>,
) -> Option<(&'static Entry, Dispatch)> {
    if let Some(entry) = model.and_then(|m| BY_MODEL.iter().find(|e| e.key == m)) {
        return Some((entry, Dispatch::ByModel));
    }
    output_type
        .and_then(|t| BY_TYPE.iter().find(|e| e.key == t))
        .map(|e| (e, Dispatch::ByType))
}

/// As [`lookup`], and when neither the model nor the output type is known, the entry of the
/// output type that the task kind (`object`) goes with: `llm.generation.task` with an unknown
/// `type` still has ChatCompletion results (spec section 3).
pub fn lookup_task(
    model: Option<&str>,
    output_type: Option<&str>,
    object: Option<&str>,
) -> Option<(&'static Entry, Dispatch)> {
    lookup(model, output_type).or_else(|| {
        let (_, kind_type) = TASK_KINDS.iter().find(|(kind, _)| Some(*kind) == object)?;
        let entry = BY_TYPE.iter().find(|e| e.key == *kind_type)?;
        Some((entry, Dispatch::ByObject))
    })
}

/// The key of the contract rule that checks the results of a task dispatched this way, as the
/// rule table of [`crate::rules`] names it; `object` is the task's kind.
pub(crate) fn rule_key(
    entry: &'static Entry,
    dispatch: Dispatch,
    object: Option<&str>,
) -> Option<RuleKey> {
    match dispatch {
        Dispatch::ByModel => Some(RuleKey::Model(entry.key)),
        Dispatch::ByType => Some(RuleKey::Type(entry.key)),
        Dispatch::ByObject => TASK_KINDS
            .iter()
            .find(|(kind, _)| Some(*kind) == object)
            .map(|(kind, _)| RuleKey::Object(kind)),
        Dispatch::Unknown => None,
    }
}

/// Every model with its own entry in the registry, in registry order.
pub fn models() -> &'static [Entry] {
    BY_MODEL
}

/// The by-type entries, used for any model not listed.
pub fn output_types() -> &'static [Entry] {
    BY_TYPE
}

/// Each known task kind (`object`) and the output type (`type`) it must agree with.
pub fn task_kinds() -> &'static [(&'static str, &'static str)] {
    TASK_KINDS
}

/// Why a results item could not be typed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultsError {
    /// The item does not fit the shape the registry names.
    #[error("/results/{index}: expected a {shape} item ({title}): {source}")]
    Shape {
        /// The item's position.
        index: usize,
        /// The shape's name.
        shape: &'static str,
        /// The shape's type name.
        title: &'static str,
        /// What serde said.
        source: serde_json::Error,
    },
    /// With several shapes, the item's discriminator names none of them.
    #[error("/results/{index}/{property}: expected one of {expected:?}, found {found}")]
    Discriminator {
        /// The item's position.
        index: usize,
        /// The discriminating property.
        property: &'static str,
        /// The values that select a shape.
        expected: Vec<&'static str>,
        /// What the item has instead.
        found: String,
    },
}

impl Entry {
    /// The shape of one results item under this entry.
    pub fn shape_of(&self, item: &Value) -> Result<Shape, (Vec<&'static str>, String)> {
        match self.discriminator {
            None => Ok(self.shapes[0]),
            Some(d) => {
                let found = item.get(d.property);
                d.values
                    .iter()
                    .find(|(value, _)| found.and_then(Value::as_str) == Some(*value))
                    .map(|(_, shape)| *shape)
                    .ok_or_else(|| {
                        let expected = d.values.iter().map(|(v, _)| *v).collect();
                        (
                            expected,
                            found.map_or_else(|| "nothing".to_string(), Value::to_string),
                        )
                    })
            }
        }
    }

    /// Types one results item; `index` is its position, for errors.
    pub fn parse_item(&self, index: usize, item: &Value) -> Result<ResultItem, ResultsError> {
        let shape =
            self.shape_of(item)
                .map_err(|(expected, found)| ResultsError::Discriminator {
                    index,
                    property: self.discriminator.map_or("", |d| d.property),
                    expected,
                    found,
                })?;
        shape.parse(item).map_err(|source| ResultsError::Shape {
            index,
            shape: shape.name(),
            title: shape.title(),
            source,
        })
    }
}

impl Task {
    /// The registry entry that decides the shape of this task's results, and how it was chosen.
    pub fn entry(&self) -> Option<(&'static Entry, Dispatch)> {
        lookup_task(
            Some(&self.model),
            Some(self.type_.as_str()),
            Some(self.object.as_str()),
        )
    }

    /// The results, each typed by the shape its model (or else its type, or else its task
    /// kind) requires; items of a model, type and kind the registry does not know stay JSON ([`ResultItem::Untyped`]).
    /// No results (null) gives an empty list.
    pub fn typed_results(&self) -> Result<Vec<ResultItem>, ResultsError> {
        let items = self.results.as_deref().unwrap_or_default();
        match self.entry() {
            Some((entry, _)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| entry.parse_item(i, item))
                .collect(),
            None => Ok(items.iter().cloned().map(ResultItem::Untyped).collect()),
        }
    }

    /// Whether the task is over: failed, or completed with results. Completed without results
    /// is the documented quirk (results come a few seconds later), so it is not terminal, and
    /// neither is a status this version does not know.
    pub fn is_terminal(&self) -> bool {
        match self.status {
            crate::TaskStatus::Failed => true,
            crate::TaskStatus::Completed => self.results.as_ref().is_some_and(|r| !r.is_empty()),
            _ => false,
        }
    }
}
