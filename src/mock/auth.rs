//! Bearer authentication, and the API key kept out of every output.

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;

use crate::secret::ApiKey;

/// Why a request was refused (401). The messages never quote what was presented: a token
/// sent without its scheme, or the wrong key, is still someone's secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    Missing,
    NotBearer,
    Empty,
    WrongKey,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Missing => {
                "expected the header `Authorization: Bearer <API key>`, found no Authorization header"
            }
            Refusal::NotBearer => {
                "expected the header `Authorization: Bearer <API key>`, found another scheme or no token"
            }
            Refusal::Empty => "expected an API key after `Bearer `, found an empty token",
            Refusal::WrongKey => {
                "expected the API key the mock was started with, found another (not repeated here)"
            }
        }
    }
}

/// Checks the `Authorization` header: a Bearer token, equal to `key` when there is one.
pub(crate) fn authorize(headers: &HeaderMap, key: Option<&ApiKey>) -> Result<(), Refusal> {
    let value = headers.get(AUTHORIZATION).ok_or(Refusal::Missing)?;
    let value = value.to_str().map_err(|_| Refusal::NotBearer)?;
    let (scheme, token) = value.split_once(' ').ok_or(Refusal::NotBearer)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Refusal::NotBearer);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Refusal::Empty);
    }
    match key {
        Some(key) if !key.matches(token) => Err(Refusal::WrongKey),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("ascii"));
        headers
    }

    #[test]
    fn bearer_tokens_are_checked_against_the_key_when_there_is_one() {
        let key = ApiKey::new("sk-right\n").expect("a key");
        assert_eq!(authorize(&HeaderMap::new(), None), Err(Refusal::Missing));
        assert_eq!(authorize(&with("Bearer anything"), None), Ok(()));
        assert_eq!(authorize(&with("bearer sk-right"), Some(&key)), Ok(()));
        assert_eq!(
            authorize(&with("Bearer sk-wrong"), Some(&key)),
            Err(Refusal::WrongKey)
        );
        assert_eq!(
            authorize(&with("Bearer sk-righ"), Some(&key)),
            Err(Refusal::WrongKey)
        );
        assert_eq!(
            authorize(&with("sk-right"), Some(&key)),
            Err(Refusal::NotBearer)
        );
        assert_eq!(
            authorize(&with("Basic sk-right"), Some(&key)),
            Err(Refusal::NotBearer)
        );
        assert_eq!(authorize(&with("Bearer  "), None), Err(Refusal::Empty));
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let key = ApiKey::new("sk-very-secret").expect("a key");
        assert!(!format!("{key:?}").contains("sk-very-secret"));
        assert!(!format!("{:?}", Some(key)).contains("secret"));
    }
}
