//! The API key, wrapped so that it cannot be shown by accident: one type for the client,
//! which sends it, and the mock server, which checks it.

use std::fmt;
use std::str::FromStr;

pub use crate::redact::REDACTED;

/// A FoxAPI API key. Its `Debug` prints a marker, it has no `Display`, and it is not
/// serialised; the only way to the value is [`ApiKey::expose`], used where the
/// `Authorization` header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// Why a string is not an API key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyError {
    /// The key is empty or only whitespace.
    #[error("API key: expected a non-empty key, found an empty one")]
    Empty,
    /// The key holds a character that cannot go into an HTTP header.
    #[error("API key: expected printable ASCII without spaces, found a character that is not (at byte {at})")]
    NotPrintable {
        /// Where the first such character is.
        at: usize,
    },
}

impl ApiKey {
    /// Wraps a key, trimmed of surrounding whitespace (a key pasted with a newline still works).
    pub fn new(key: impl Into<String>) -> Result<ApiKey, ApiKeyError> {
        let key = key.into();
        let trimmed = key.trim();
        if trimmed.is_empty() {
            return Err(ApiKeyError::Empty);
        }
        if let Some(at) = trimmed.bytes().position(|b| !b.is_ascii_graphic()) {
            return Err(ApiKeyError::NotPrintable { at });
        }
        Ok(ApiKey(trimmed.to_string()))
    }

    /// The key itself. Only for building the `Authorization` header, or for checking that
    /// some output does not contain it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `token` is this key, compared in constant time so a server's answer time says
    /// nothing about how much of a guess was right.
    pub fn matches(&self, token: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), token.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// `text` with every occurrence of the key replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        text.replace(self.0.as_str(), REDACTED)
    }

    /// `bytes` with every occurrence of the key replaced by [`REDACTED`].
    pub fn scrub_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let needle = self.0.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = bytes;
        while !rest.is_empty() {
            if rest.starts_with(needle) {
                out.extend_from_slice(REDACTED.as_bytes());
                rest = &rest[needle.len()..];
            } else {
                out.push(rest[0]);
                rest = &rest[1..];
            }
        }
        out
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({REDACTED})")
    }
}

impl FromStr for ApiKey {
    type Err = ApiKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApiKey::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_a_marker_not_the_key() {
        let key = ApiKey::new("sk-secret-123").expect("a key");
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(shown.contains(REDACTED));
    }

    #[test]
    fn empty_and_unprintable_keys_are_refused() {
        assert_eq!(ApiKey::new("  \n"), Err(ApiKeyError::Empty));
        assert_eq!(
            ApiKey::new("ab cd"),
            Err(ApiKeyError::NotPrintable { at: 2 })
        );
        assert_eq!(
            ApiKey::new(" sk-1\n").map(|k| k.expose().to_string()),
            Ok("sk-1".to_string())
        );
    }

    #[test]
    fn scrub_replaces_every_occurrence() {
        let key = ApiKey::new("sk-1").expect("a key");
        assert_eq!(
            key.scrub("a sk-1 b sk-1"),
            format!("a {REDACTED} b {REDACTED}")
        );
        assert_eq!(
            key.scrub_bytes(b"xsk-1sk-"),
            format!("x{REDACTED}sk-").into_bytes()
        );
    }
}
