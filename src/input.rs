//! Reading one response from bytes: UTF-8, JSON, an object, and not nested too deep.
//! Every refusal is an [`Issue`] that says what was expected and where.

use crate::report::{Issue, Rule};
use serde::Deserialize;
use serde_json::Value;

/// The deepest nesting the contract accepts (spec section 5). The parser never recurses
/// deeper: serde_json's own guard stops it at 127 levels, and a document that trips the guard
/// is scanned for depth (without parsing) before it is parsed again without the guard.
pub const MAX_DEPTH: usize = crate::rules::MAX_DEPTH;

/// Limits applied while reading a response. Build it from [`Limits::default`] and the `with_`
/// methods, so a limit added later breaks no caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest response accepted, in bytes.
    pub max_bytes: usize,
    /// The deepest nesting of arrays and objects accepted (at most [`MAX_DEPTH`]).
    pub max_depth: usize,
}

impl Limits {
    /// The same limits with another largest size, in bytes.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Limits {
        self.max_bytes = max_bytes;
        self
    }

    /// The same limits with another deepest nesting (at most [`MAX_DEPTH`] applies).
    #[must_use]
    pub fn with_max_depth(mut self, max_depth: usize) -> Limits {
        self.max_depth = max_depth;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_depth: MAX_DEPTH,
        }
    }
}

fn refusal(rule: Rule, message: String) -> Issue {
    Issue::whole(rule, message)
}

/// Where the arrays and objects of `bytes` first nest deeper than `limit`, counted without
/// parsing; brackets inside strings do not count. Strings are skipped with memchr.
fn nesting_exceeds(bytes: &[u8], limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut offset = 0;
    while let Some(found) = memchr::memchr3(b'"', b'[', b'{', &bytes[offset..]) {
        let at = offset + found;
        // Closing brackets between here and the last stop lower the depth.
        depth = depth.saturating_sub(count_closers(&bytes[offset..at]));
        match bytes[at] {
            b'"' => {
                offset = string_end(bytes, at + 1);
                continue;
            }
            _ => {
                depth += 1;
                if depth > limit {
                    return Some(at);
                }
            }
        }
        offset = at + 1;
    }
    None
}

fn count_closers(bytes: &[u8]) -> usize {
    memchr::memchr2_iter(b']', b'}', bytes).count()
}

/// The offset just past the string whose contents start at `from`.
fn string_end(bytes: &[u8], mut from: usize) -> usize {
    while let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[from..]) {
        let at = from + found;
        if bytes[at] == b'"' {
            return at + 1;
        }
        from = at + 2;
        if from >= bytes.len() {
            return bytes.len();
        }
    }
    bytes.len()
}

fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, column)
}

/// How many levels serde_json's recursion guard lets through.
const SERDE_GUARD: usize = 127;

/// Refuses `bytes` when its arrays and objects nest deeper than `max_depth`.
#[allow(clippy::result_large_err)] // An `Issue` is what the caller reports, whole.
fn too_deep(bytes: &[u8], max_depth: usize) -> Result<(), Issue> {
    match nesting_exceeds(bytes, max_depth) {
        Some(offset) => {
            let (line, column) = line_column(bytes, offset);
            Err(refusal(
                Rule::TooDeep,
                format!("expected nesting of at most {max_depth} levels, found deeper at line {line} column {column}"),
            ))
        }
        None => Ok(()),
    }
}

/// One JSON value and nothing after it.
fn whole_value<'de, R: serde_json::de::Read<'de>>(
    reader: &mut serde_json::Deserializer<R>,
) -> serde_json::Result<Value> {
    let value = Value::deserialize(&mut *reader)?;
    reader.end()?;
    Ok(value)
}

/// Reads `bytes` as one JSON response, or says why it is not one.
#[allow(clippy::result_large_err)] // An `Issue` is what the caller reports, whole.
pub fn parse(bytes: &[u8], limits: Limits) -> Result<Value, Issue> {
    if bytes.len() > limits.max_bytes {
        return Err(refusal(
            Rule::TooLarge,
            format!(
                "expected at most {} bytes, found {}",
                limits.max_bytes,
                bytes.len()
            ),
        ));
    }
    let max_depth = limits.max_depth.min(MAX_DEPTH);
    // serde_json's own guard stops at SERDE_GUARD levels. With a limit at least that high,
    // the document is parsed first and only scanned when the parse fails, so valid input
    // is read once; with a lower limit, the scan comes first.
    let scanned_first = max_depth < SERDE_GUARD;
    if scanned_first {
        too_deep(bytes, max_depth)?;
    }
    // UTF-8 is checked once for the whole document, not string by string.
    let text = std::str::from_utf8(bytes);
    let guarded = match text {
        Ok(text) => whole_value(&mut serde_json::Deserializer::from_str(text))
            .map_err(|e| not_json(bytes, &e)),
        Err(e) => Err(refusal(Rule::NotJson, not_utf8(bytes, e.valid_up_to()))),
    };
    let value = match guarded {
        Ok(value) => value,
        Err(why) => {
            // Too deep is said before anything else is wrong.
            if !scanned_first {
                too_deep(bytes, max_depth)?;
            }
            match text {
                // Within our limit, perhaps past serde_json's guard: parse again without it;
                // any other fault is found again.
                Ok(text) if !scanned_first => {
                    let mut reader = serde_json::Deserializer::from_str(text);
                    reader.disable_recursion_limit();
                    whole_value(&mut reader).map_err(|e| not_json(bytes, &e))?
                }
                _ => return Err(why),
            }
        }
    };
    if !value.is_object() {
        return Err(refusal(
            Rule::NotObject,
            format!(
                "expected a JSON object (the task envelope), found {}",
                json_type(&value)
            ),
        ));
    }
    Ok(value)
}

/// Where `bytes` stop being UTF-8: after the first `valid` bytes.
fn not_utf8(bytes: &[u8], valid: usize) -> String {
    let (line, column) = line_column(bytes, valid);
    format!("expected UTF-8 JSON, found a byte that is not UTF-8 at line {line} column {column} (byte {valid})")
}

/// Why UTF-8 `bytes` could not be read: empty, a number too large to hold (JSON, but beyond
/// any reader's numbers: its own rule), or what the parser said.
fn not_json(bytes: &[u8], error: &serde_json::Error) -> Issue {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return refusal(
            Rule::NotJson,
            "expected a JSON document, found an empty document".to_string(),
        );
    }
    if let Some(message) = out_of_range(bytes, error) {
        return refusal(Rule::NumberOutOfRange, message);
    }
    refusal(
        Rule::NotJson,
        format!("expected a JSON document, found {error}"),
    )
}

/// The longest stretch of a number quoted in a message.
const NUMBER_QUOTE: usize = 40;

/// When the parser stopped on a number that is JSON but beyond what a 64-bit float holds
/// (`1e400`, a 400-digit integer), says so, naming the number and where it starts. The
/// number is found at the place the parser stopped and judged by parsing it again, not by
/// the parser's wording.
fn out_of_range(bytes: &[u8], error: &serde_json::Error) -> Option<String> {
    if error.classify() != serde_json::error::Category::Syntax || error.line() == 0 {
        return None;
    }
    let line_start = if error.line() == 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', bytes).nth(error.line() - 2)? + 1
    };
    let at = (line_start + error.column().saturating_sub(1)).min(bytes.len().checked_sub(1)?);
    let in_number = |b: &u8| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E');
    if !in_number(&bytes[at]) {
        return None;
    }
    let start = bytes[..at]
        .iter()
        .rposition(|b| !in_number(b))
        .map_or(0, |p| p + 1);
    let end = bytes[at..]
        .iter()
        .position(|b| !in_number(b))
        .map_or(bytes.len(), |p| at + p);
    let number = std::str::from_utf8(&bytes[start..end]).ok()?;
    if !number.parse::<f64>().ok()?.is_infinite() {
        return None;
    }
    let (line, column) = line_column(bytes, start);
    let shown = if number.len() > NUMBER_QUOTE {
        format!("{}… ({} characters)", &number[..NUMBER_QUOTE], number.len())
    } else {
        number.to_string()
    };
    Some(format!(
        "expected a number within the range of a 64-bit float (magnitude below 1.8e308), found {shown} at line {line} column {column}: it is JSON, but too large to be read"
    ))
}

/// How deep `value` nests; iterative, so a deep value cannot overflow the stack here.
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => {
                deepest = deepest.max(d);
                stack.extend(items.iter().map(|i| (i, d + 1)));
            }
            Value::Object(map) => {
                deepest = deepest.max(d);
                stack.extend(map.values().map(|i| (i, d + 1)));
            }
            _ => {}
        }
    }
    deepest
}

/// The JSON type of a value, as a schema names it (`integer` for whole numbers).
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_inside_strings_do_not_count() {
        assert_eq!(nesting_exceeds(br#"{"a":"[[[[\"[[["}"#, 1), None);
        assert_eq!(nesting_exceeds(br#"{"a":[1]}"#, 1), Some(5));
    }

    fn nested(depth: usize) -> Vec<u8> {
        format!(
            "{{\"x\":{}{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
        .into_bytes()
    }

    fn rule_of(bytes: &[u8], max_depth: usize) -> Option<Rule> {
        let limits = Limits {
            max_depth,
            ..Limits::default()
        };
        parse(bytes, limits).err().map(|issue| issue.rule)
    }

    #[test]
    fn depth_is_bounded_on_both_sides_of_serde_jsons_own_guard() {
        // Parsed first, scanned only when serde_json's guard trips (127 levels).
        for (depth, expected) in [
            (126, None),
            (127, None),
            (128, None),
            (129, Some(Rule::TooDeep)),
        ] {
            assert_eq!(
                rule_of(&nested(depth), MAX_DEPTH),
                expected,
                "depth {depth}"
            );
        }
        // A limit below the guard is scanned for first; at the guard, parsing comes first.
        for (limit, depth, expected) in [
            (10, 10, None),
            (10, 11, Some(Rule::TooDeep)),
            (126, 126, None),
            (126, 127, Some(Rule::TooDeep)),
            (127, 127, None),
            (127, 128, Some(Rule::TooDeep)),
        ] {
            assert_eq!(
                rule_of(&nested(depth), limit),
                expected,
                "limit {limit}, depth {depth}"
            );
        }
    }

    #[test]
    fn too_deep_is_said_before_not_utf8_and_not_json() {
        let mut bytes = nested(200);
        bytes.insert(1, 0xff);
        assert_eq!(rule_of(&bytes, MAX_DEPTH), Some(Rule::TooDeep));
        assert_eq!(rule_of(&bytes, 10), Some(Rule::TooDeep));
        let mut broken = nested(200);
        broken.truncate(150);
        assert_eq!(rule_of(&broken, MAX_DEPTH), Some(Rule::TooDeep));
    }

    #[test]
    fn a_fault_past_serde_jsons_guard_is_said_as_itself() {
        // 128 levels: within our limit, past serde_json's guard, and then broken.
        let mut bytes = nested(128);
        bytes.extend_from_slice(b" x");
        let issue = parse(&bytes, Limits::default()).expect_err("trailing characters");
        assert_eq!(issue.rule, Rule::NotJson);
        assert!(
            issue.message.contains("trailing characters"),
            "{}",
            issue.message
        );
        assert!(!issue.message.contains("recursion"), "{}", issue.message);
    }

    #[test]
    fn a_byte_that_is_not_utf8_is_located() {
        let issue = parse(b"{\"a\":\n\"\xff\"}", Limits::default()).expect_err("not UTF-8");
        assert_eq!(issue.rule, Rule::NotJson);
        assert!(
            issue.message.ends_with("at line 2 column 2 (byte 7)"),
            "{}",
            issue.message
        );
    }

    #[test]
    fn a_number_out_of_range_is_said_as_itself_not_as_not_json() {
        for (bytes, found, at) in [
            (&b"{\"a\":1e400}"[..], "found 1e400 ", "line 1 column 6"),
            (
                &b"{\"a\":\n  -1e400 }"[..],
                "found -1e400 ",
                "line 2 column 3",
            ),
            (
                &b"{\"a\":[1,1.5e99999999999999999999]}"[..],
                "found 1.5e99999999999999999999 ",
                "line 1 column 9",
            ),
        ] {
            let issue = parse(bytes, Limits::default()).expect_err("out of range");
            assert_eq!(issue.rule, Rule::NumberOutOfRange);
            assert!(issue.message.contains(found), "{}", issue.message);
            assert!(issue.message.contains(at), "{}", issue.message);
            assert!(
                !issue.message.contains("expected a JSON document"),
                "{}",
                issue.message
            );
        }
        let long = format!("{{\"a\":1{}}}", "0".repeat(400));
        let issue = parse(long.as_bytes(), Limits::default()).expect_err("out of range");
        assert!(
            issue.message.contains("(401 characters)"),
            "{}",
            issue.message
        );
        // Small numbers round to zero and are read; broken numbers are not JSON.
        assert!(parse(b"{\"a\":1e-400}", Limits::default()).is_ok());
        let broken = parse(b"{\"a\":1e}", Limits::default()).expect_err("not JSON");
        assert!(
            broken.message.starts_with("expected a JSON document"),
            "{}",
            broken.message
        );
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_column(b"ab", 0), (1, 1));
    }
}
