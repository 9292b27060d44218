//! JSON Schema integers: `100.0` is an integer, so the types must take it.

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
