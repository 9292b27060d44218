//! The API key, wrapped so that it cannot be shown by accident: one type for the client,
//! which sends it, and the mock server, which checks it.

use serde_json::Value;
use std::borrow::Cow;
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
#[non_exhaustive]
pub enum ApiKeyError {
    /// The key is empty or only whitespace.
    #[error("API key: expected a non-empty key, found an empty one")]
    Empty,
    /// The key is shorter than 8 characters: its echoes in an answer could not be told
    /// from ordinary text, so it could not be kept out of what is printed.
    #[error("API key: expected at least {min} characters, found {found}")]
    TooShort {
        /// The shortest key taken.
        min: usize,
        /// How long the key given is.
        found: usize,
    },
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
        if trimmed.len() < MIN_KEY_LEN {
            return Err(ApiKeyError::TooShort {
                min: MIN_KEY_LEN,
                found: trimmed.len(),
            });
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

    /// The raw bytes of an answer with every echo of the key removed, before anything parses,
    /// quotes or escapes them: the key as sent and as a JSON string holds it (`"` and `\`
    /// escaped) become [`REDACTED`]. Bytes without an echo are borrowed.
    pub fn remove_echoes_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let escaped = json_escaped(&self.0);
        let mut out = Cow::Borrowed(bytes);
        for needle in [
            Some(self.0.as_bytes()),
            escaped.as_deref().map(str::as_bytes),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(replaced) = replace_all(&out, needle, REDACTED.as_bytes()) {
                out = Cow::Owned(replaced);
            }
        }
        out
    }

    /// A parsed answer with every echo of the key removed: each string and object key that
    /// holds it (however the JSON text escaped it) has it replaced by [`REDACTED`]. Returns how many
    /// strings and keys were changed.
    pub fn remove_echoes(&self, value: &mut Value) -> usize {
        let key = self.0.as_str();
        let mut changed = 0;
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) if s.contains(key) => {
                    *s = s.replace(key, REDACTED);
                    changed += 1;
                }
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::Object(map) => {
                    let echoed: Vec<String> =
                        map.keys().filter(|k| k.contains(key)).cloned().collect();
                    for name in echoed {
                        if let Some(inner) = map.remove(&name) {
                            map.insert(name.replace(key, REDACTED), inner);
                            changed += 1;
                        }
                    }
                    stack.extend(map.values_mut());
                }
                _ => {}
            }
        }
        changed
    }
}

/// The shortest key taken. FoxAPI keys are far longer (`sk-` and dozens of characters); a key
/// of eight characters no longer matches ordinary numbers and words of an answer by chance, so
/// its echoes can always be found and removed, and a shorter one (`0`, `e`) is refused rather
/// than printed wherever a server echoes it.
pub const MIN_KEY_LEN: usize = 8;

/// The key as it stands inside a JSON string, when that differs from the key itself.
fn json_escaped(key: &str) -> Option<String> {
    key.contains(['"', '\\'])
        .then(|| key.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `haystack` with every `needle` replaced by `with`, or `None` when there is none.
fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Option<Vec<u8>> {
    let finder = memchr::memmem::Finder::new(needle);
    let mut found = finder.find_iter(haystack).peekable();
    found.peek()?;
    let mut out = Vec::with_capacity(haystack.len());
    let mut done = 0;
    for at in found {
        if at < done {
            continue;
        }
        out.extend_from_slice(&haystack[done..at]);
        out.extend_from_slice(with);
        done = at + needle.len();
    }
    out.extend_from_slice(&haystack[done..]);
    Some(out)
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
            ApiKey::new(" sk-12345\n").map(|k| k.expose().to_string()),
            Ok("sk-12345".to_string())
        );
        assert_eq!(
            ApiKey::new("abcdefg"),
            Err(ApiKeyError::TooShort { min: 8, found: 7 })
        );
    }

    #[test]
    fn echoes_of_a_long_key_are_removed_raw_and_json_escaped() {
        let key = ApiKey::new(r#"sk-"quoted"\slash-1"#).expect("a key");
        let body = br#"{"error":{"message":"bad key: Bearer sk-\"quoted\"\\slash-1","type":"x"}}"#;
        let clean = key.remove_echoes_bytes(body);
        let text = String::from_utf8_lossy(&clean);
        assert_eq!(
            text,
            format!(r#"{{"error":{{"message":"bad key: Bearer {REDACTED}","type":"x"}}}}"#)
        );
        let raw = format!("plain {} twice {}", key.expose(), key.expose());
        assert_eq!(
            key.remove_echoes_bytes(raw.as_bytes()).as_ref(),
            format!("plain {REDACTED} twice {REDACTED}").as_bytes()
        );
    }

    #[test]
    fn echoes_are_removed_from_decoded_json_however_escaped() {
        let key = ApiKey::new("sk-unicode-1").expect("a key");
        let mut value: Value =
            serde_json::from_str(r#"{"m":"x \u0073k-unicode-1 y","sk-unicode-1":[1]}"#)
                .expect("json");
        assert_eq!(key.remove_echoes(&mut value), 2);
        assert_eq!(
            value,
            serde_json::json!({"m": format!("x {REDACTED} y"), REDACTED: [1]})
        );
    }
}
