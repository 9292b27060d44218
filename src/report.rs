//! What validation says about one response: its errors and warnings, each with where it is
//! (instance JSON pointer), which schema rule said so, and a message.

use serde::Serialize;

/// How much an issue weighs: an error breaks the contract, a warning is drift the schema
/// should learn (and an error in strict mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "harness", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Severity {
    /// The response breaks the contract.
    Error,
    /// Allowed, but reported.
    Warning,
}

impl Severity {
    /// The severity as every report spells it: `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of rule of the contract an issue comes from (spec section 5). How severe it is
/// is the issue's [`Severity`], not the rule's: strict mode makes a warning's rule an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "harness", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// The bytes are not UTF-8 JSON.
    NotJson,
    /// The document is JSON but holds a number beyond what a 64-bit float holds (`1e400`).
    NumberOutOfRange,
    /// The document is JSON but not an object.
    NotObject,
    /// Arrays and objects nest deeper than the limit.
    TooDeep,
    /// The response is larger than the limit.
    TooLarge,
    /// The response could not be read at all: the operating system refused, its directory
    /// could not be listed, or its name is on something that is not a file.
    Unreadable,
    /// A keyword of the contract schema failed.
    Schema,
    /// A key the schema does not declare (the API grew).
    UndeclaredKey,
    /// A value outside a known set.
    UnknownValue,
    /// An advisory rule of the envelope failed, such as completed without results.
    Advisory,
    /// The schema and the generated types disagree: a bug of this crate, not of the response.
    ContractBug,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: &'static [Rule] = &[
        Rule::NotJson,
        Rule::NumberOutOfRange,
        Rule::NotObject,
        Rule::TooDeep,
        Rule::TooLarge,
        Rule::Unreadable,
        Rule::Schema,
        Rule::UndeclaredKey,
        Rule::UnknownValue,
        Rule::Advisory,
        Rule::ContractBug,
    ];

    /// The rule as every report spells it (JSON, JUnit, human, drift): `not_json`,
    /// `undeclared_key`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NotJson => "not_json",
            Rule::NumberOutOfRange => "number_out_of_range",
            Rule::NotObject => "not_object",
            Rule::TooDeep => "too_deep",
            Rule::TooLarge => "too_large",
            Rule::Unreadable => "unreadable",
            Rule::Schema => "schema",
            Rule::UndeclaredKey => "undeclared_key",
            Rule::UnknownValue => "unknown_value",
            Rule::Advisory => "advisory",
            Rule::ContractBug => "contract_bug",
        }
    }

    /// The rule spelled `name` ([`Rule::as_str`]), if there is one.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.as_str() == name)
    }

    /// The severity of an issue of this rule outside strict mode.
    pub fn default_severity(self) -> Severity {
        match self {
            Rule::UndeclaredKey | Rule::UnknownValue | Rule::Advisory => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong, or worth a warning, in a response.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "harness", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Issue {
    /// An error, or a warning.
    pub severity: Severity,
    /// JSON pointer into the response, `""` for the whole of it.
    pub instance_path: String,
    /// JSON pointer into the contract schema (the strict one for warnings), `""` when no
    /// schema keyword was involved.
    pub schema_path: String,
    /// What was expected and what was found.
    pub message: String,
    /// Which kind of rule of the contract this is.
    pub rule: Rule,
    /// What the schema says of the top-level rule that applied, when it says something: `a
    /// failed task carries an error object with a message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_description: Option<String>,
    /// The offending value as JSON, cut short; `None` when there is no value to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl Issue {
    /// An issue about the whole response, with no schema keyword behind it, of the rule's
    /// default severity.
    pub fn whole(rule: Rule, message: impl Into<String>) -> Issue {
        Issue::at(rule, "", message)
    }

    /// An issue at `instance_path` (a JSON pointer) with no schema keyword behind it, of the
    /// rule's default severity.
    pub fn at(rule: Rule, instance_path: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            severity: rule.default_severity(),
            instance_path: instance_path.into(),
            schema_path: String::new(),
            message: message.into(),
            rule,
            rule_description: None,
            found: None,
        }
    }

    /// The place as reports show it: the pointer, or `(root)` for the whole response.
    pub fn place(&self) -> &str {
        if self.instance_path.is_empty() {
            "(root)"
        } else {
            &self.instance_path
        }
    }
}

impl std::fmt::Display for Issue {
    /// `pointer: message`, then ` (rule: description)` when the schema describes the rule.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place(), self.message)?;
        if let Some(description) = &self.rule_description {
            write!(f, " (rule: {description})")?;
        }
        Ok(())
    }
}

/// How the shape of the results items was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
#[cfg_attr(feature = "harness", derive(schemars::JsonSchema))]
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

/// The verdict on one response. It is also the error of [`crate::Contract::parse`]: its
/// `Display` names the first errors with their pointers, so `?` into `Box<dyn Error>` or
/// `anyhow` says why a response was refused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
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
        for warning in &mut self.warnings {
            warning.severity = Severity::Error;
        }
        self.errors.append(&mut self.warnings);
        self.omitted_errors += std::mem::take(&mut self.omitted_warnings);
        self
    }
}

/// How many errors the `Display` of a [`Report`] names before it counts the rest.
const DISPLAY_ERRORS: usize = 5;

impl std::fmt::Display for Report {
    /// One line of verdict (`breaks the contract: 3 errors (model flux-1.1-pro)` or
    /// `keeps the contract`), then the first errors, one a line, as the human report shows them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let model = self
            .model
            .as_deref()
            .map(|m| format!(" (model {})", crate::untrusted::printable(m)))
            .unwrap_or_default();
        let count = self.error_count();
        if count == 0 {
            return write!(f, "the response keeps the contract{model}");
        }
        let plural = if count == 1 { "" } else { "s" };
        write!(
            f,
            "the response breaks the contract: {count} error{plural}{model}"
        )?;
        for issue in self.errors.iter().take(DISPLAY_ERRORS) {
            write!(f, "\n  {}", crate::untrusted::printable(&issue.to_string()))?;
        }
        let shown = self.errors.len().min(DISPLAY_ERRORS);
        if count > shown {
            write!(f, "\n  ... and {} more", count - shown)?;
        }
        Ok(())
    }
}

impl std::error::Error for Report {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_one_spelling_that_reads_back() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_name(rule.as_str()), Some(*rule));
            assert_eq!(
                serde_json::to_value(rule).expect("serialises"),
                serde_json::json!(rule.as_str())
            );
            assert_eq!(rule.to_string(), rule.as_str());
        }
        assert_eq!(Rule::from_name("warning"), None);
    }

    #[test]
    fn strict_mode_makes_warnings_errors_by_severity_not_by_rule() {
        let mut report = Report::default();
        report
            .warnings
            .push(Issue::at(Rule::UndeclaredKey, "/tint", "undeclared key"));
        assert_eq!(report.warnings[0].severity, Severity::Warning);
        let strict = report.into_strict();
        assert_eq!(strict.errors[0].severity, Severity::Error);
        assert_eq!(strict.errors[0].rule, Rule::UndeclaredKey);
        assert!(!strict.is_valid());
    }

    #[test]
    fn a_report_displays_its_first_errors_with_their_pointers_and_counts_the_rest() {
        let mut report = Report {
            model: Some("flux\u{1b}[2J".to_string()),
            ..Report::default()
        };
        for i in 0..7 {
            let mut issue = Issue::at(Rule::Schema, format!("/results/{i}/url"), "expected a URL");
            issue.rule_description =
                (i == 0).then(|| "results of any other image model are media".into());
            report.errors.push(issue);
        }
        report.omitted_errors = 3;
        let shown = report.to_string();
        assert!(
            shown.starts_with("the response breaks the contract: 10 errors (model flux\\u{1b}[2J)"),
            "{shown}"
        );
        assert!(shown.contains("\n  /results/0/url: expected a URL (rule: results of any other image model are media)"), "{shown}");
        assert!(
            shown.contains("\n  /results/4/url: expected a URL"),
            "{shown}"
        );
        assert!(!shown.contains("/results/5/url"), "{shown}");
        assert!(shown.ends_with("\n  ... and 5 more"), "{shown}");
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert_eq!(
            Report::default().to_string(),
            "the response keeps the contract"
        );
    }

    #[test]
    fn a_report_is_an_error_that_crosses_threads() {
        fn is_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
        is_error(&Report::default());
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Report::default());
        assert!(boxed.to_string().contains("keeps the contract"));
    }
}
