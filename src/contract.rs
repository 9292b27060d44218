//! The contract as compiled validators, built once: a response in, a [`Report`] out.
//!
//! Two schemas are assembled from `schema/` at build time. The contract holds every error rule
//! of spec section 5; the strict contract adds the warning rules (closed known sets, no
//! undeclared keys, the advisories). A response is checked against the strict one first: when
//! it passes, there is nothing to report. Otherwise the errors are what the contract refuses,
//! and the warnings are what only the strict one refuses.

use crate::compiled::{Compiled, Place};
use crate::input::{self, json_type, Limits};
use crate::members::Envelope;
use crate::model::{self, ResultsError};
use crate::report::{Dispatch, Issue, Report, Rule, Severity};
use crate::rules::{self, RuleKind, Strictness};
use crate::{ResultItem, Task};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde::de::value::MapDeserializer;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The contract schema (errors only), self-contained, draft 2020-12: what
/// `foxapi-contract schema` prints and what any standard validator can be given.
pub const CONTRACT_SCHEMA: &str = include_str!(concat!(env!("OUT_DIR"), "/contract.schema.json"));
/// The strict contract schema: the contract plus every warning rule.
pub const STRICT_SCHEMA: &str =
    include_str!(concat!(env!("OUT_DIR"), "/contract.strict.schema.json"));
/// The schema of the body of a non-2xx answer (spec section 4), self-contained.
pub const ERROR_BODY_SCHEMA: &str =
    include_str!(concat!(env!("OUT_DIR"), "/error-body.schema.json"));

/// How many errors, and how many warnings, a report keeps per response unless
/// [`Contract::with_max_issues`] says otherwise.
pub const DEFAULT_MAX_ISSUES: usize = 100;

/// How many errors of the strict schema a response's first pass holds for its warnings; past
/// that many they are found again by a second pass.
const HELD_ERRORS: usize = 256;

/// The longest stretch of a value quoted in a message.
const QUOTE_LIMIT: usize = 80;

/// The compiled contract. Build it once ([`Contract::global`] does) and reuse it.
pub struct Contract {
    /// The contract (errors only), compiled on first use.
    contract: OnceLock<Compiled>,
    /// The strict contract, against which every response is checked first; compiled on
    /// first use.
    strict: OnceLock<Compiled>,
    /// The error body schema, compiled on first use.
    error_body: OnceLock<Validator>,
    limits: Limits,
    /// The number of errors kept per response, and of warnings: past it they are counted
    /// ([`Report::omitted_errors`], [`Report::omitted_warnings`]), not kept, so a response with
    /// a million broken items is reported in time and memory linear in its size, with a
    /// report of bounded size. The default is [`DEFAULT_MAX_ISSUES`].
    max_issues: usize,
    /// Whether quoted values keep the secrets of signed URLs (see [`crate::redact`]).
    show_secrets: bool,
}

/// A response that keeps the contract, typed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Parsed {
    /// The envelope.
    pub task: Task,
    /// Its results, typed by model.
    pub results: Vec<ResultItem>,
    /// What is allowed but worth knowing (drift); see [`Report::warnings`].
    pub warnings: Vec<Issue>,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract")
            .field("limits", &self.limits)
            .field("max_issues", &self.max_issues)
            .field("show_secrets", &self.show_secrets)
            .finish_non_exhaustive()
    }
}

impl Default for Contract {
    fn default() -> Self {
        Contract::new()
    }
}

impl Contract {
    /// Compiles the contract. The schemas are the crate's own and are tested to compile, so
    /// this cannot fail at run time.
    pub fn new() -> Contract {
        // Nothing is compiled yet: the strict schema (every response is checked against it
        // first), the contract (for the errors of a response the strict schema refuses), the
        // error body schema and each registry entry's item rule are compiled on first use, so
        // a short run compiles only what it needs, and a long one can compile while it reads
        // its inputs ([`Contract::prepare`]).
        Contract {
            contract: OnceLock::new(),
            strict: OnceLock::new(),
            error_body: OnceLock::new(),
            limits: Limits::default(),
            show_secrets: false,
            max_issues: DEFAULT_MAX_ISSUES,
        }
    }

    /// The contract shared by the whole process, compiled on first use.
    pub fn global() -> &'static Contract {
        static GLOBAL: OnceLock<Contract> = OnceLock::new();
        GLOBAL.get_or_init(Contract::new)
    }

    /// The same contract with other reading limits (size, depth).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Contract {
        self.limits = limits;
        self
    }

    /// The same contract keeping at most `max` errors and `max` warnings per response; the
    /// rest are counted. `usize::MAX` keeps them all.
    #[must_use]
    pub fn with_max_issues(mut self, max: usize) -> Contract {
        self.max_issues = max;
        self
    }

    /// The same contract quoting values with the secrets of signed URLs left in (for local
    /// debugging). By default every value quoted in an issue has them masked
    /// ([`crate::redact::mask_urls`]), so reports can be shared.
    #[must_use]
    pub fn with_secrets_shown(mut self, shown: bool) -> Contract {
        self.show_secrets = shown;
        self
    }

    /// A value as an issue quotes it: cut short, and with signed-URL secrets masked unless
    /// [`Contract::with_secrets_shown`] said otherwise.
    fn quote(&self, value: &Value) -> String {
        let quoted = quote(value);
        if self.show_secrets {
            return quoted;
        }
        match crate::redact::mask_urls(&quoted) {
            std::borrow::Cow::Borrowed(_) => quoted,
            std::borrow::Cow::Owned(masked) => masked,
        }
    }

    /// The strict schema, against which every response is checked first, compiled the first
    /// time it is needed.
    fn strict_schema(&self) -> &Compiled {
        self.strict
            .get_or_init(|| Compiled::new("contract.strict.schema.json", Strictness::Strict))
    }

    /// Compiles now both schemas a run of many responses needs, rather than on first use: a
    /// caller with a core to spare calls this while it reads its inputs.
    #[cfg(feature = "harness")]
    pub(crate) fn prepare(&self) {
        self.strict_schema();
        self.errors_schema();
    }

    /// The contract schema that words the errors of a response the strict schema refuses,
    /// compiled the first time it is needed.
    fn errors_schema(&self) -> &Compiled {
        self.contract
            .get_or_init(|| Compiled::new("contract.schema.json", Strictness::Contract))
    }

    /// The reading limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Validates one response given as bytes. Bytes that are not a JSON object within the
    /// limits give a report with one error saying why.
    pub fn validate(&self, bytes: &[u8]) -> Report {
        match input::parse(bytes, self.limits) {
            // The reader has already bounded the depth.
            Ok(value) => self.report(&value, true),
            Err(issue) => Report::refused(issue),
        }
    }

    /// Validates one response already parsed.
    pub fn validate_value(&self, value: &Value) -> Report {
        self.report(value, false)
    }

    /// The report on a response, with the typed check done on borrowed data: the envelope is
    /// typed without its results, and each result item in place.
    fn report(&self, value: &Value, depth_known: bool) -> Report {
        let mut report = self.schema_report(value, depth_known);
        if report.errors.is_empty() {
            if let Err(message) = types_accept(value) {
                report.errors.push(contract_bug(&message));
            }
        }
        report
    }

    /// Validates, then types: the typed task, or the report that says why not.
    #[allow(clippy::result_large_err)] // A `Report` is the error users want whole, not boxed.
    fn parsed(&self, value: &Value, depth_known: bool) -> Result<Parsed, Report> {
        let mut report = self.schema_report(value, depth_known);
        if !report.errors.is_empty() {
            return Err(report);
        }
        match type_task(value) {
            Ok((task, results)) => Ok(Parsed {
                task,
                results,
                warnings: report.warnings,
            }),
            Err(message) => {
                report.errors.push(contract_bug(&message));
                Err(report)
            }
        }
    }

    /// What the schemas say of a response: errors from the contract, warnings from what only
    /// the strict contract refuses; the model and shapes applied.
    fn schema_report(&self, value: &Value, depth_known: bool) -> Report {
        self.schema_report_with(value, depth_known, true).0
    }

    /// [`Contract::schema_report`], with the contract's errors read off the strict schema's
    /// where they can be (`read_off`), or always found by a pass of the contract's own; and
    /// whether they were read off.
    fn schema_report_with(
        &self,
        value: &Value,
        depth_known: bool,
        read_off: bool,
    ) -> (Report, bool) {
        let mut report = Report::default();
        if let Some(issue) = self.refuse_shape_of(value, depth_known) {
            report.errors.push(issue);
            return (report, false);
        }
        let Keys {
            model,
            output_type,
            object,
            items,
        } = Keys::of(value);
        report.model = model.map(str::to_string);
        report.items = items;
        let mut key = None;
        match model::lookup_task(model, output_type, object) {
            Some((entry, dispatch)) => {
                key = model::rule_key(entry, dispatch, object);
                report.shapes = entry.shapes.iter().map(|s| s.name()).collect();
                report.dispatch = Some(dispatch);
            }
            None if model.is_some() || output_type.is_some() || object.is_some() => {
                report.dispatch = Some(Dispatch::Unknown)
            }
            None => {}
        }
        // One pass over the strict schema both judges the response and, when it fails, holds
        // the strict errors (up to [`HELD_ERRORS`]) for the warnings below; past that many
        // they are found again then, so memory stays bounded.
        let strict = self.strict_schema();
        let response = Envelope::of(value);
        let strict_errors: Vec<_> = strict
            .errors(&response, key)
            .take(HELD_ERRORS + 1)
            .collect();
        if strict_errors.is_empty() {
            return (report, false);
        }
        let all_held = strict_errors.len() <= HELD_ERRORS;
        // One pass over each schema's errors, linear in their number: the first
        // `max_issues` are worded and kept, the rest only located and counted. Where the errors
        // are is remembered by hash, so a warning where an error is (kept or not) is left out
        // in constant time.
        let max = self.max_issues;
        let mut said: HashSet<(String, String, Option<String>)> = HashSet::new();
        let mut error_paths: HashSet<u64> = HashSet::new();
        let mut batch = Vec::new();
        let mut add_error = |place: Place<'_>, error: &ValidationError<'_>, as_contract: bool| {
            if report.errors.len() >= max {
                issue_paths(error, place, as_contract, &mut |path| {
                    error_paths.insert(hash_of(path));
                    report.omitted_errors += 1;
                });
                return;
            }
            self.flatten(error, place, false, as_contract, &mut batch);
            for issue in batch.drain(..) {
                error_paths.insert(hash_of(&issue.instance_path));
                if report.errors.len() >= max {
                    report.omitted_errors += 1;
                } else if said.insert((
                    issue.instance_path.clone(),
                    issue.message.clone(),
                    issue.rule_description.clone(),
                )) {
                    report.errors.push(issue);
                }
            }
        };
        // The contract's errors are the strict errors it shares ([`shared`]): read off them
        // when they cannot come in another order than the contract's own pass finds them
        // ([`shared_in_order`]), else found by that pass.
        let verdicts = (read_off && SORTED_MEMBERS && all_held)
            .then(|| shared_in_order(&strict_errors))
            .flatten();
        let was_read_off = verdicts.is_some();
        match verdicts {
            Some(verdicts) => {
                for ((place, error), verdict) in strict_errors.iter().zip(verdicts) {
                    if verdict == Shared::Yes {
                        add_error(*place, error, true);
                    }
                }
            }
            None => {
                for (place, error) in self.errors_schema().errors(&response, key) {
                    add_error(place, &error, false);
                }
            }
        }
        let strict_errors: Box<dyn Iterator<Item = _>> = if all_held {
            Box::new(strict_errors.into_iter())
        } else {
            drop(strict_errors);
            Box::new(strict.errors(&response, key))
        };
        for (place, error) in strict_errors {
            if report.warnings.len() >= max {
                issue_paths(&error, place, false, &mut |path| {
                    if !error_paths.contains(&hash_of(path)) {
                        report.omitted_warnings += 1;
                    }
                });
                continue;
            }
            self.flatten(&error, place, true, false, &mut batch);
            for issue in batch.drain(..) {
                if error_paths.contains(&hash_of(&issue.instance_path)) {
                    continue;
                }
                if report.warnings.len() >= max {
                    report.omitted_warnings += 1;
                } else {
                    report.warnings.push(issue);
                }
            }
        }
        (report, was_read_off)
    }

    /// Reads, validates and types one response: the typed task when it keeps the contract
    /// (warnings allowed), else the report that says why not.
    #[allow(clippy::result_large_err)] // A `Report` is the error users want whole, not boxed.
    pub fn parse(&self, bytes: &[u8]) -> Result<Parsed, Report> {
        let value = input::parse(bytes, self.limits).map_err(Report::refused)?;
        self.parsed(&value, true)
    }

    /// As [`Contract::parse`], for a response already parsed as JSON.
    #[allow(clippy::result_large_err)] // A `Report` is the error users want whole, not boxed.
    pub fn parse_value(&self, value: &Value) -> Result<Parsed, Report> {
        self.parsed(value, false)
    }

    /// Validates the body of a non-2xx answer against spec section 4.
    pub fn validate_error_body(&self, value: &Value) -> Report {
        let mut errors = Vec::new();
        let error_body = self.error_body.get_or_init(|| {
            jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&serde_json::from_str(ERROR_BODY_SCHEMA).expect("tested: JSON"))
                .expect("tested: the error body schema compiles")
        });
        for error in error_body.iter_errors(value) {
            self.flatten(&error, Place::Envelope, false, false, &mut errors);
        }
        Report {
            errors,
            ..Report::default()
        }
    }

    fn refuse_shape_of(&self, value: &Value, depth_known: bool) -> Option<Issue> {
        let refusal = |rule, message: String| Some(Issue::whole(rule, message));
        if !value.is_object() {
            return refusal(
                Rule::NotObject,
                format!(
                    "expected a JSON object (the task envelope), found {}",
                    json_type(value)
                ),
            );
        }
        if depth_known {
            return None;
        }
        let max = self.limits.max_depth.min(input::MAX_DEPTH);
        let depth = input::depth(value);
        (depth > max)
            .then(|| {
                refusal(
                    Rule::TooDeep,
                    format!("expected nesting of at most {max} levels, found {depth}"),
                )
            })
            .flatten()
    }

    /// Turns one validation error into issues. A failed `anyOf`/`oneOf` whose branches all
    /// but one fail only on the type (a nullable field, say) is replaced by that branch's own
    /// errors, so the report points at the key that is wrong, not at the union.
    ///
    /// `as_contract` words an error of the strict schema that the contract shares ([`shared`])
    /// as the contract's: a branch of a union then holds only its errors the contract shares.
    fn flatten(
        &self,
        error: &ValidationError<'_>,
        place: Place<'_>,
        strict: bool,
        as_contract: bool,
        out: &mut Vec<Issue>,
    ) {
        let severity = if strict {
            Severity::Warning
        } else {
            Severity::Error
        };
        let instance_path = place.instance_path(error.instance_path().as_str());
        let schema_path = place.schema_path(error.schema_path().as_str());
        let instance = error.instance();
        let union_of_types;
        let kind = match error.kind() {
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => {
                let (mut relevant, types): (Vec<_>, Vec<_>) = branches(context, place, as_contract)
                    .partition(|b| !type_only(b.iter().copied(), place, &instance_path));
                if relevant.len() == 1 {
                    for e in relevant.pop().expect("one branch") {
                        self.flatten(e, place, strict, as_contract, out);
                    }
                    return;
                }
                if relevant.is_empty() {
                    // Every branch wants another type: say which types.
                    let expected: Vec<String> = types
                        .iter()
                        .flatten()
                        .filter_map(|e| match e.kind() {
                            ValidationErrorKind::Type { kind } => Some(type_names(kind)),
                            _ => None,
                        })
                        .collect();
                    union_of_types = ValidationErrorKind::Custom {
                        keyword: "type".into(),
                        message: expected.join(" or "),
                    };
                    Some(&union_of_types)
                } else {
                    None
                }
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let found = instance.get(key).map(|v| self.quote(v)).unwrap_or_default();
                    let rule = if strict {
                        Rule::UndeclaredKey
                    } else {
                        Rule::Schema
                    };
                    let mut issue = Issue::at(
                        rule,
                        format!("{instance_path}/{}", escape(key)),
                        format!(
                            "undeclared key {key:?}: expected only the keys the schema declares"
                        ),
                    );
                    issue.severity = severity;
                    issue.schema_path = schema_path.clone();
                    issue.found = Some(found);
                    out.push(issue);
                }
                return;
            }
            other => Some(other),
        };
        let found = self.quote(instance);
        let message = match kind {
            Some(
                k @ (ValidationErrorKind::Pattern { .. } | ValidationErrorKind::Format { .. }),
            ) => match self.described(&schema_path) {
                Some(what) => format!("expected {what}, found {found}"),
                None => describe(k, instance, &found),
            },
            Some(k) => describe(k, instance, &found),
            None => format!("expected one of the forms the schema allows, found {found}"),
        };
        let strictness = if strict {
            Strictness::Strict
        } else {
            Strictness::Contract
        };
        let top_rule = rules::rule_at(strictness, &schema_path);
        let rule_description = top_rule
            .filter(|r| !r.description.is_empty())
            .map(|r| r.description.to_string());
        let rule = if !strict {
            Rule::Schema
        } else if top_rule.is_some_and(|r| r.kind == RuleKind::Advisory) {
            Rule::Advisory
        } else if matches!(kind, Some(ValidationErrorKind::Enum { .. })) {
            Rule::UnknownValue
        } else {
            Rule::Schema
        };
        out.push(Issue {
            severity,
            instance_path,
            schema_path,
            message,
            rule,
            rule_description,
            found: Some(found),
        });
    }
}

impl Contract {
    /// The first sentence of the description of the schema node that holds the keyword at
    /// `schema_path`, lower-cased: `an absolute http(s) URL` for the URL pattern.
    fn described(&self, schema_path: &str) -> Option<String> {
        let parent = &schema_path[..schema_path.rfind('/')?];
        let table = crate::rules::PATTERN_DESCRIPTIONS;
        let at = table.binary_search_by(|(at, _)| (*at).cmp(parent)).ok()?;
        Some(table[at].1.to_string())
    }
}

/// A hash of a pointer, to remember where issues are without keeping their text.
fn hash_of(path: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish()
}

/// Whether serde_json keeps an object's members sorted by name (its `BTreeMap`): jsonschema
/// then walks them in one order under both schemas. With its `preserve_order` feature, which
/// another crate of a build may turn on, a closed object of the strict schema walks them in
/// the order they came, so the contract's errors are always found by its own pass.
const SORTED_MEMBERS: bool = std::mem::size_of::<serde_json::Map<String, Value>>()
    == std::mem::size_of::<std::collections::BTreeMap<String, Value>>();

/// What the contract makes of each of `strict_errors` (all the strict schema's errors of a
/// response), when that is known and the ones it makes come in the order its own pass would
/// find them: there is at most one, or they are all of one value and one schema node that
/// the strict schema adds no keyword to (`pattern` and `format` of a URL, the keys one
/// `required` misses). The strict schema evaluates a closed object's keywords together, in
/// another order than the contract does, so errors of several nodes may come reordered.
fn shared_in_order(strict_errors: &[(Place<'_>, ValidationError<'_>)]) -> Option<Vec<Shared>> {
    let verdicts: Vec<Shared> = strict_errors
        .iter()
        .map(|(place, error)| shared(*place, error))
        .collect();
    if verdicts.contains(&Shared::Unknown) {
        return None;
    }
    let mut made = strict_errors
        .iter()
        .zip(&verdicts)
        .filter(|(_, verdict)| **verdict == Shared::Yes)
        .map(|((place, error), _)| (place, error));
    let Some((place, first)) = made.next() else {
        return Some(verdicts);
    };
    let node_of = |place: &Place<'_>, error: &ValidationError<'_>| {
        let path = place.schema_path(error.schema_path().as_str());
        let node = path.rfind('/').map_or("", |at| &path[..at]).to_string();
        (node, place.instance_path(error.instance_path().as_str()))
    };
    let (node, at) = node_of(place, first);
    let mut rest = made.peekable();
    if rest.peek().is_none() {
        return Some(verdicts);
    }
    let alike = rest.all(|(place, error)| {
        let (other_node, other_at) = node_of(place, error);
        other_node == node && other_at == at
    });
    (alike && !rules::adds_to(&node)).then_some(verdicts)
}

/// What the contract makes of an error of the strict schema.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shared {
    /// The contract makes the same error: same keyword, same place, same value.
    Yes,
    /// The contract makes none: the keyword is the strict schema's own, or it is a union that
    /// the contract's branches let through.
    No,
    /// Not known without asking the contract (a `oneOf`, which it does not have).
    Unknown,
}

/// Whether the contract makes `error`, an error of the strict schema found at `place`. The
/// strict schema is the contract with keywords of its own added, none of them read by a
/// condition or a negation (the rules tests hold this), so the contract makes exactly the
/// strict schema's errors at its own keywords; a union (`anyOf`) fails under the contract
/// when each of its branches fails there, that is holds an error the contract makes.
fn shared(place: Place<'_>, error: &ValidationError<'_>) -> Shared {
    if rules::strict_only(&place.schema_path(error.schema_path().as_str())) {
        return Shared::No;
    }
    match error.kind() {
        ValidationErrorKind::AnyOf { context } => {
            let mut fails = true;
            for branch in context {
                let mut made = false;
                for e in branch {
                    match shared(place, e) {
                        Shared::Yes => made = true,
                        Shared::No => {}
                        Shared::Unknown => return Shared::Unknown,
                    }
                }
                fails &= made;
            }
            if fails {
                Shared::Yes
            } else {
                Shared::No
            }
        }
        ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. } => Shared::Unknown,
        _ => Shared::Yes,
    }
}

/// Whether a branch of a failed `anyOf`/`oneOf` fails only on the type of the value at
/// `path` (the null branch of a nullable field, say).
fn type_only<'e, 'a: 'e>(
    mut branch: impl Iterator<Item = &'e ValidationError<'a>>,
    place: Place<'_>,
    path: &str,
) -> bool {
    branch.all(|e| {
        matches!(e.kind(), ValidationErrorKind::Type { .. })
            && place.instance_path(e.instance_path().as_str()) == path
    })
}

/// Where each issue that [`Contract::flatten`] would make of `error` stands, without wording
/// any: how errors past the cap are counted.
fn issue_paths(
    error: &ValidationError<'_>,
    place: Place<'_>,
    as_contract: bool,
    found: &mut dyn FnMut(&str),
) {
    let path = place.instance_path(error.instance_path().as_str());
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            for key in unexpected {
                found(&format!("{path}/{}", escape(key)));
            }
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            let mut relevant = branches(context, place, as_contract)
                .filter(|b| !type_only(b.iter().copied(), place, &path));
            match (relevant.next(), relevant.next()) {
                (Some(only), None) => only
                    .into_iter()
                    .for_each(|e| issue_paths(e, place, as_contract, found)),
                _ => found(&path),
            }
        }
        _ => found(&path),
    }
}

/// The branches of a failed union, each with its errors; with `as_contract`, only those the
/// contract shares ([`shared`]), as the contract's own union holds them.
fn branches<'e, 'a>(
    context: &'e [Vec<ValidationError<'a>>],
    place: Place<'e>,
    as_contract: bool,
) -> impl Iterator<Item = Vec<&'e ValidationError<'a>>> + 'e {
    context.iter().map(move |branch| {
        branch
            .iter()
            .filter(|e| !as_contract || shared(place, e) == Shared::Yes)
            .collect()
    })
}

/// A JSON pointer segment for `key`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A value as JSON, cut short. Serialising stops once past the limit, so quoting a large
/// value costs no more than quoting a small one.
pub(crate) fn quote(value: &Value) -> String {
    let mut head = Capped(Vec::with_capacity(QUOTE_LIMIT + 4));
    // The only error is the cap being reached, which is the point.
    let complete = serde_json::to_writer(&mut head, value).is_ok();
    let mut text = head.0;
    if complete && text.len() <= QUOTE_LIMIT {
        return String::from_utf8(text).unwrap_or_default();
    }
    text.truncate(QUOTE_LIMIT);
    // serde_json writes UTF-8; the cut may split a character, which is then dropped.
    let text = match String::from_utf8(text) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).unwrap_or_default()
        }
    };
    format!("{text}…")
}

/// A writer that takes one byte past [`QUOTE_LIMIT`] and then refuses.
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = (QUOTE_LIMIT + 1).saturating_sub(self.0.len());
        if room == 0 {
            return Err(std::io::Error::other("quote limit reached"));
        }
        let taken = buf.len().min(room);
        self.0.extend_from_slice(&buf[..taken]);
        Ok(taken)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn type_names(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => t.to_string(),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// A value with its JSON type, as `string "50"`; `null`, `true` and `false` name themselves.
/// `found` is the value quoted.
fn typed(instance: &Value, found: &str) -> String {
    match instance {
        Value::Null | Value::Bool(_) => found.to_string(),
        _ => format!("{} {found}", json_type(instance)),
    }
}

/// What a failed keyword expected and what it found (`found`: the value quoted).
fn describe(kind: &ValidationErrorKind, instance: &Value, found: &str) -> String {
    match kind {
        ValidationErrorKind::Type { kind } => {
            format!(
                "expected {}, found {}",
                type_names(kind),
                typed(instance, found)
            )
        }
        ValidationErrorKind::Custom { keyword, message } if keyword == "type" => {
            format!("expected {message}, found {}", typed(instance, found))
        }
        ValidationErrorKind::Required { property } => {
            format!("expected key {property}, found none")
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("expected {expected_value}, found {found}")
        }
        ValidationErrorKind::Enum { options } => {
            format!("expected one of {options}, found {found}")
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("expected at least {limit}, found {found}")
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("expected at most {limit}, found {found}")
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("expected more than {limit}, found {found}")
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("expected less than {limit}, found {found}")
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("expected a string matching {pattern:?}, found {found}")
        }
        ValidationErrorKind::Format { format } => {
            format!("expected a valid {format}, found {found}")
        }
        ValidationErrorKind::MinItems { limit } => {
            format!(
                "expected at least {limit} item{}, found {}",
                if *limit == 1 { "" } else { "s" },
                instance.as_array().map_or(0, Vec::len)
            )
        }
        ValidationErrorKind::MaxItems { limit } => {
            format!(
                "expected at most {limit} items, found {}",
                instance.as_array().map_or(0, Vec::len)
            )
        }
        ValidationErrorKind::Not { schema } => {
            format!(
                "expected {}, found {}",
                negated(schema),
                typed(instance, found)
            )
        }
        ValidationErrorKind::FalseSchema => format!("expected nothing here, found {found}"),
        other => format!("{} failed on {found}", other.keyword()),
    }
}

/// What a `not` keyword whose schema is `schema` expects, in words: `no array of at least 1
/// item`, `anything but "completed"`.
fn negated(schema: &Value) -> String {
    if let Some(value) = schema.get("const") {
        return format!("anything but {value}");
    }
    if let Some(values) = schema.get("enum") {
        return format!("none of {values}");
    }
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        return match schema.get("minItems").and_then(Value::as_u64) {
            Some(1) => format!("no {kind} of at least 1 item"),
            Some(n) => format!("no {kind} of at least {n} items"),
            None => format!("no {kind}"),
        };
    }
    format!("a value that does not match {}", quote(schema))
}

/// Parses the envelope and its results into the generated types.
fn type_task(value: &Value) -> Result<(Task, Vec<ResultItem>), String> {
    let task = Task::deserialize(value).map_err(|e| format!("Task: {e}"))?;
    let results = task
        .typed_results()
        .map_err(|e: ResultsError| e.to_string())?;
    Ok((task, results))
}

/// Whether the generated types take a response, without copying its results: the envelope is
/// typed without them, each item in place.
fn types_accept(value: &Value) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Err("Task: expected an object".to_string());
    };
    let envelope = map
        .iter()
        .filter(|(key, _)| key.as_str() != "results")
        .map(|(key, v)| (key.as_str(), v));
    let task = Task::deserialize(MapDeserializer::<_, serde_json::Error>::new(envelope))
        .map_err(|e| format!("Task: {e}"))?;
    match (map.get("results"), task.entry()) {
        (None | Some(Value::Null), _) | (Some(Value::Array(_)), None) => Ok(()),
        (Some(Value::Array(items)), Some((entry, _))) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| entry.parse_item(i, item).map(drop))
            .map_err(|e| e.to_string()),
        (Some(other), _) => Err(format!(
            "Task: results: expected an array or null, found {}",
            json_type(other)
        )),
    }
}

/// The members of an envelope that pick its rules, found in one pass over its keys (a lookup
/// by key costs as much as that pass, and there are four of them).
struct Keys<'a> {
    model: Option<&'a str>,
    output_type: Option<&'a str>,
    object: Option<&'a str>,
    /// How many results items it has; 0 when `results` is not an array.
    items: usize,
}

impl<'a> Keys<'a> {
    fn of(value: &'a Value) -> Keys<'a> {
        let mut keys = Keys {
            model: None,
            output_type: None,
            object: None,
            items: 0,
        };
        for (key, member) in value.as_object().into_iter().flatten() {
            match key.as_str() {
                "model" => keys.model = member.as_str(),
                "type" => keys.output_type = member.as_str(),
                "object" => keys.object = member.as_str(),
                "results" => keys.items = member.as_array().map_or(0, Vec::len),
                _ => {}
            }
        }
        keys
    }
}

fn contract_bug(message: &str) -> Issue {
    Issue::whole(
        Rule::ContractBug,
        format!("contract bug: the schema accepts this response but the generated types refuse it: {message}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_short_value_is_quoted_whole() {
        assert_eq!(quote(&json!({"a": [1, "b"]})), r#"{"a":[1,"b"]}"#);
        let exact = "x".repeat(QUOTE_LIMIT - 2);
        assert_eq!(quote(&json!(exact)), format!("\"{exact}\""));
    }

    #[test]
    fn a_long_value_is_cut_at_the_limit_and_marked() {
        let long = json!({"text": "y".repeat(10_000)});
        let quoted = quote(&long);
        assert_eq!(quoted.chars().count(), QUOTE_LIMIT + 1);
        assert!(quoted.starts_with(r#"{"text":"yyy"#));
        assert!(quoted.ends_with('…'));
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        // Each "é" is two bytes; the limit falls inside one of them after the quote mark.
        let quoted = quote(&json!("é".repeat(100)));
        assert!(quoted.ends_with('…'));
        let body = quoted.trim_end_matches('…');
        assert_eq!(body.len(), QUOTE_LIMIT - 1);
        assert!(body.trim_start_matches('"').chars().all(|c| c == 'é'));
    }

    /// A response whose strict errors outnumber those the first pass holds has its warnings
    /// found again: every one is reported or counted, as below that number.
    #[test]
    fn warnings_past_the_held_errors_are_found_by_a_second_pass() {
        for items in [HELD_ERRORS / 2, HELD_ERRORS * 2] {
            let results: Vec<Value> = (0..items)
                .map(|i| json!({"url": format!("https://x.example/{i}.png"), "extra": i}))
                .collect();
            let response = json!({
                "id": "task-a", "object": "image.generation.task", "type": "image",
                "model": "flux-1.1-pro", "status": "completed", "progress": 101,
                "created": 1, "results": results,
            });
            let report = Contract::new()
                .with_max_issues(usize::MAX)
                .validate_value(&response);
            assert_eq!(report.errors.len(), 1, "{items} items: {:?}", report.errors);
            assert_eq!(report.errors[0].instance_path, "/progress");
            let extra = report
                .warnings
                .iter()
                .filter(|w| w.instance_path.ends_with("/extra"))
                .count();
            assert_eq!(extra, items, "{items} items");
        }
    }

    /// Every JSON document under `dir`, recursively.
    fn documents(dir: &std::path::Path, out: &mut Vec<Value>) {
        for entry in std::fs::read_dir(dir).expect("a directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                documents(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                if let Ok(value) = serde_json::from_slice(&std::fs::read(&path).expect("read")) {
                    out.push(value);
                }
            }
        }
    }

    /// Whether reading the contract's errors off the strict schema's gives the report its own
    /// pass gives, for `value` (`Ok` says whether they were read off at all; the contract's
    /// own pass never reads them off).
    fn read_off_as_found(contract: &Contract, value: &Value) -> Result<bool, String> {
        let (read_off, was_read_off) = contract.schema_report_with(value, false, true);
        let (found, found_read_off) = contract.schema_report_with(value, false, false);
        assert!(!found_read_off, "the contract's own pass ran");
        if read_off == found {
            Ok(was_read_off)
        } else {
            Err(format!("{value}\nread off: {read_off:?}\nfound: {found:?}"))
        }
    }

    #[test]
    fn the_contracts_errors_read_off_the_strict_schemas_are_those_its_own_pass_finds() {
        let mut values = Vec::new();
        documents(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            &mut values,
        );
        assert!(values.len() > 50, "{} fixtures", values.len());
        let contract = Contract::new();
        let mut read = 0;
        for max in [0, 1, DEFAULT_MAX_ISSUES] {
            let contract = Contract::new().with_max_issues(max);
            for value in &values {
                read += usize::from(
                    read_off_as_found(&contract, value).unwrap_or_else(|e| panic!("{e}")),
                );
            }
        }
        let invalid = values
            .iter()
            .filter(|v| !contract.validate_value(v).is_valid())
            .count();
        assert!(invalid > 20, "{invalid} invalid fixtures");
        // The comparison means something only where the errors were read off: most invalid
        // fixtures break one rule.
        assert!(read > invalid, "read off {read} times over three caps");
    }

    #[test]
    fn a_union_past_the_cap_is_counted_as_the_contract_counts_it() {
        // The strict schema's `usage` branch also refuses the undeclared `tint`: counted
        // past a cap of none, the contract's errors are the type error alone.
        let value = json!({"id":"task-a","object":"image.generation.task","type":"image","model":"flux-1.1-pro","status":"completed","progress":100,"created":1,"results":[{"url":"https://x.example/a.png"}],"usage":{"credits_reserved":"x","tint":1}});
        for max in [0, 1, DEFAULT_MAX_ISSUES] {
            let contract = Contract::new().with_max_issues(max);
            let read = read_off_as_found(&contract, &value).unwrap_or_else(|e| panic!("{e}"));
            assert!(read, "one shared error is read off");
        }
        let report = Contract::new().with_max_issues(0).validate_value(&value);
        assert_eq!((report.omitted_errors, report.omitted_warnings), (1, 1));
    }

    /// Values a broken response holds where another was.
    fn odd_value(at: usize) -> Value {
        let odd = [
            json!(null),
            json!(true),
            json!(-1),
            json!(101),
            json!(1.5),
            json!("5"),
            json!(""),
            json!("task-x"),
            json!("/relative.png"),
            json!("https://cdn.example.com/a.png?X-Amz-Signature=abc"),
            json!("image"),
            json!("video"),
            json!("failed"),
            json!("cancelled"),
            json!([]),
            json!([{}]),
            json!({}),
            json!({"message": null}),
            json!({"url": 5}),
        ];
        odd[at % odd.len()].clone()
    }

    /// The pointers of every value of `value`, the root left out.
    fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
        let children: Vec<(String, &Value)> = match value {
            Value::Object(map) => map.iter().map(|(k, v)| (escape(k), v)).collect(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            _ => Vec::new(),
        };
        for (key, child) in children {
            let here = format!("{at}/{key}");
            out.push(here.clone());
            pointers(child, here, out);
        }
    }

    /// `value` broken at the pointer `pick` chooses: the value there removed, replaced by an
    /// odd one, or given an undeclared key.
    fn broken(value: &mut Value, pick: usize, how: usize, odd: usize) {
        let mut all = Vec::new();
        pointers(value, String::new(), &mut all);
        let Some(at) = all.get(pick % all.len().max(1)).cloned() else {
            return;
        };
        let (parent, key) = at.rsplit_once('/').expect("a pointer");
        let key = key.replace("~1", "/").replace("~0", "~");
        let Some(parent) = value.pointer_mut(parent) else {
            return;
        };
        match (how % 3, parent) {
            (0, Value::Object(map)) => {
                map.remove(&key);
            }
            (2, Value::Object(map)) => {
                map.insert("tint".into(), odd_value(odd));
            }
            (_, parent) => {
                if let Some(slot) = parent.pointer_mut(&format!("/{}", escape(&key))) {
                    *slot = odd_value(odd);
                }
            }
        }
    }

    proptest::proptest! {
        /// Responses broken in one to six places (removed keys, values of the wrong type or
        /// outside their set, undeclared keys, at any depth) get the same report whether the
        /// contract's errors are read off the strict schema's or found by its own pass.
        #[test]
        fn broken_responses_get_the_same_report_either_way(
            base in 0..5_usize,
            breaks in proptest::collection::vec((0..200_usize, 0..3_usize, 0..50_usize), 1..7),
            max in proptest::sample::select(vec![0, 1, DEFAULT_MAX_ISSUES]),
        ) {
            let bases = [
                json!({"id":"task-a","object":"image.generation.task","type":"image","model":"flux-1.1-pro","status":"completed","progress":100,"created":1,"results":[{"url":"https://x.example/a.png","content_type":"image/png"}],"usage":{"billing_rule":"per_call","credits_reserved":1.5,"user_group":"default"}}),
                json!({"id":"task-b","object":"video.generation.task","type":"video","model":"seedance-2.0-text-to-video","status":"completed","progress":100,"created":1,"results":[{"url":"https://x.example/v.mp4","seed":42},{"url":"https://x.example/w.mp4","seed":7}]}),
                json!({"id":"task-c","object":"audio.generation.task","type":"audio","model":"minimax-voice-clone","status":"failed","progress":30,"created":1,"error":{"message":"no","type":"task_error","code":"content_policy_violation"}}),
                json!({"id":"task-d","object":"llm.generation.task","type":"llm","model":"gpt-4.1-mini","status":"completed","progress":100,"created":1,"results":[{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}],"stream":{"url":"/v1/llm/generations/task-d/stream"}}),
                json!({"id":"task-e","object":"image.generation.task","type":"image","model":"patina-pbr-maps","status":"completed","progress":100,"created":1,"results":[{"url":"https://x.example/n.png","content_type":"image/png","result_type":"pbr_map","map_type":"normal"}],"task_info":{"can_cancel":false,"estimated_time":3}}),
            ];
            let mut value = bases[base].clone();
            for (pick, how, odd) in breaks {
                broken(&mut value, pick, how, odd);
            }
            let contract = Contract::new().with_max_issues(max);
            let same = read_off_as_found(&contract, &value);
            proptest::prop_assert!(same.is_ok(), "{}", same.unwrap_err());
        }
    }
}
