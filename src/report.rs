//! What validation says about one response: its errors and warnings, each with where it is
//! (instance JSON pointer), which schema rule said so, and a message.

use serde::Serialize;

/// The rule of spec section 5 that an issue comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The bytes are not UTF-8 JSON.
    NotJson,
    /// The document is JSON but not an object.
    NotObject,
    /// Arrays and objects nest deeper than the limit.
    TooDeep,
    /// The response is larger than the limit.
    TooLarge,
    /// A keyword of the contract schema failed (an error).
    Schema,
    /// A key the schema does not declare (a warning: the API grew).
    UndeclaredKey,
    /// A value outside a known set (a warning).
    UnknownValue,
    /// An advisory rule of the envelope failed (a warning), such as completed without results.
    Advisory,
    /// The schema and the generated types disagree: a bug of this crate, not of the response.
    ContractBug,
}

impl Rule {
    /// Whether an issue of this rule is a warning unless strict mode is on.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            Rule::UndeclaredKey | Rule::UnknownValue | Rule::Advisory
        )
    }
}

/// One thing wrong, or worth a warning, in a response.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
pub struct Issue {
    /// JSON pointer into the response, `""` for the whole of it.
    pub instance_path: String,
    /// JSON pointer into the contract schema (the strict one for warnings), `""` when no
    /// schema keyword was involved.
    pub schema_path: String,
    /// What was expected and what was found.
    pub message: String,
    /// Which rule of the contract this is.
    pub rule: Rule,
    /// The offending value as JSON, cut short; `None` when there is no value to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl Issue {
    /// An issue about the whole response, with no schema keyword behind it.
    pub fn whole(rule: Rule, message: impl Into<String>) -> Issue {
        Issue {
            instance_path: String::new(),
            schema_path: String::new(),
            message: message.into(),
            rule,
            found: None,
        }
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.instance_path.is_empty() {
            "(root)"
        } else {
            &self.instance_path
        };
        write!(f, "{at}: {}", self.message)
    }
}

/// How the shape of the results items was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Dispatch {
    /// The model has its own entry in the registry.
    ByModel,
    /// The model has none; its output type decided.
    ByType,
    /// Neither the model nor the type is in the registry; the task kind (`object`) decided,
    /// through the output type it goes with (spec section 3: an unknown `type` is a warning).
    ByObject,
    /// Neither the model, the type nor the task kind is in the registry: items are not
    /// checked (a warning).
    Unknown,
}

/// The verdict on one response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The response's `model`, when it has one.
    pub model: Option<String>,
    /// The shapes its results items were held to.
    pub shapes: Vec<&'static str>,
    /// How those shapes were chosen; `None` when the response has no model or type to go by.
    pub dispatch: Option<Dispatch>,
    /// How many results items the response has.
    pub items: usize,
    /// What breaks the contract.
    pub errors: Vec<Issue>,
    /// What is allowed but reported: drift the schema should learn.
    pub warnings: Vec<Issue>,
    /// Errors found past the number kept ([`crate::Contract::with_max_issues`]): counted, not
    /// listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub omitted_errors: usize,
    /// Warnings found past the number kept: counted, not listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub omitted_warnings: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Report {
    /// A report of a response refused before any schema applied.
    pub fn refused(issue: Issue) -> Report {
        Report {
            errors: vec![issue],
            ..Report::default()
        }
    }

    /// Whether the response keeps the contract (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.omitted_errors == 0
    }

    /// How many errors were found, listed or not.
    pub fn error_count(&self) -> usize {
        self.errors.len() + self.omitted_errors
    }

    /// How many warnings were found, listed or not.
    pub fn warning_count(&self) -> usize {
        self.warnings.len() + self.omitted_warnings
    }

    /// Strict mode: every warning becomes an error.
    #[must_use]
    pub fn into_strict(mut self) -> Report {
        self.errors.append(&mut self.warnings);
        self.omitted_errors += std::mem::take(&mut self.omitted_warnings);
        self
    }
}
