//! Numbers as the contract reads them: JSON Schema integers (`100.0` is an integer, so the
//! types must take it) and durations (a number of seconds, or a string holding one).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A JSON number that JSON Schema calls an integer: no fractional part, whether it was
/// written `100` or `100.0`. It keeps the number as written, so a value round-trips.
#[derive(Clone, Debug, PartialEq)]
pub struct Integer(serde_json::Number);

impl Integer {
    /// The value as an `i64`, when it fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.as_i64().or_else(|| {
            let f = self.0.as_f64()?;
            (f >= i64::MIN as f64 && f < i64::MAX as f64).then_some(f as i64)
        })
    }

    /// The value as a `u64`, when it fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.as_u64().or_else(|| {
            let f = self.0.as_f64()?;
            (f >= 0.0 && f < u64::MAX as f64).then_some(f as u64)
        })
    }

    /// The number as written on the wire.
    pub fn as_number(&self) -> &serde_json::Number {
        &self.0
    }
}

impl From<i64> for Integer {
    fn from(value: i64) -> Self {
        Integer(value.into())
    }
}

impl From<u64> for Integer {
    fn from(value: u64) -> Self {
        Integer(value.into())
    }
}

impl fmt::Display for Integer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Integer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        match number.as_f64() {
            Some(f) if !number.is_f64() || (f.is_finite() && f.fract() == 0.0) => {
                Ok(Integer(number))
            }
            _ => Err(serde::de::Error::custom(format_args!(
                "expected an integer, found {number}"
            ))),
        }
    }
}

/// A length in seconds as section 3 allows it: a JSON number `>= 0`, or a string holding a
/// decimal number (Kling sends `"duration": "5.1"`). It keeps the value as written, so it
/// round-trips; [`Duration::seconds`] reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Duration(Written);

/// How a duration was written on the wire.
#[derive(Clone, Debug, PartialEq)]
enum Written {
    Number(serde_json::Number),
    Text(String),
}

impl Duration {
    /// The length in seconds, or `None` when it is not a finite number (a string of more
    /// digits than an `f64` holds).
    pub fn seconds(&self) -> Option<f64> {
        let seconds = match &self.0 {
            Written::Number(n) => n.as_f64()?,
            Written::Text(t) => t.parse::<f64>().ok()?,
        };
        seconds.is_finite().then_some(seconds)
    }

    /// Whether the duration came as a string, as Kling sends it.
    pub fn is_text(&self) -> bool {
        matches!(self.0, Written::Text(_))
    }
}

/// Whether `text` is a decimal number as the schema's `Duration` pattern reads it:
/// `^[0-9]+(\.[0-9]+)?$`.
fn is_decimal(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

impl From<f64> for Duration {
    /// A duration of `seconds`; a value that is not a finite number `>= 0` becomes 0.
    fn from(seconds: f64) -> Self {
        let number = serde_json::Number::from_f64(seconds.max(0.0)).unwrap_or_else(|| 0.into());
        Duration(Written::Number(number))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Written::Number(n) => fmt::Display::fmt(n, f),
            Written::Text(t) => f.write_str(t),
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Written::Number(n) => n.serialize(serializer),
            Written::Text(t) => serializer.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<'a> {
            Number(serde_json::Number),
            Text(std::borrow::Cow<'a, str>),
        }
        let expected = "a number of seconds >= 0 or a string holding a decimal one";
        match Either::deserialize(deserializer) {
            Ok(Either::Number(n)) if n.as_f64().is_some_and(|f| f >= 0.0) => {
                Ok(Duration(Written::Number(n)))
            }
            Ok(Either::Number(n)) => Err(serde::de::Error::custom(format_args!(
                "duration: expected {expected}, found {n}"
            ))),
            Ok(Either::Text(t)) if is_decimal(&t) => Ok(Duration(Written::Text(t.into_owned()))),
            Ok(Either::Text(t)) => Err(serde::de::Error::custom(format_args!(
                "duration: expected {expected}, found {:?}",
                crate::untrusted::printable(&t)
            ))),
            Err(_) => Err(serde::de::Error::custom(format_args!(
                "duration: expected {expected}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<Duration, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn a_duration_reads_a_number_or_a_decimal_string() {
        assert_eq!(read("5").unwrap().seconds(), Some(5.0));
        assert_eq!(read("5.1").unwrap().seconds(), Some(5.1));
        let text = read(r#""5.1""#).unwrap();
        assert!(text.is_text());
        assert_eq!(text.seconds(), Some(5.1));
        assert_eq!(serde_json::to_string(&text).unwrap(), r#""5.1""#);
        assert_eq!(serde_json::to_string(&read("5.0").unwrap()).unwrap(), "5.0");
    }

    #[test]
    fn a_duration_refuses_what_the_schema_refuses() {
        for bad in [
            r#""""#,
            r#""NaN""#,
            r#""1e400""#,
            r#""-1""#,
            r#"".5""#,
            r#""5.""#,
            "-0.5",
            "true",
            "null",
            "[]",
        ] {
            let error = read(bad).expect_err(bad).to_string();
            assert!(error.contains("duration: expected"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_duration_too_long_for_f64_has_no_seconds() {
        let huge = format!("\"1{}\"", "0".repeat(400));
        assert_eq!(read(&huge).unwrap().seconds(), None);
    }
}
