//! The secrets a request carries, found so that their echoes can be taken out of everything
//! the proxy keeps or shows (cassettes, fixtures, reports, stderr): the value of every
//! credential-bearing header, with or without an auth scheme, and every cookie value.

use crate::secret::ApiKey;
use axum::http::header::{self, HeaderMap, HeaderName};

/// Parts of a header name that mark it as carrying a credential: `Authorization`,
/// `Proxy-Authorization`, `X-Api-Key`, `Api-Key`, `X-Goog-Api-Key`, `X-Auth-Token`,
/// `X-Client-Secret` and the like.
const CREDENTIAL_NAME_PARTS: &[&str] = &[
    "authorization",
    "api-key",
    "apikey",
    "api_key",
    "token",
    "secret",
    "password",
    "credential",
];

/// Whether a header of this name carries a credential (names are lower case in a
/// [`HeaderMap`]).
fn is_credential(name: &HeaderName) -> bool {
    let name = name.as_str();
    CREDENTIAL_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// The secrets `value` of a credential header holds: the whole value (a raw key, sent
/// without a scheme) and the part after the scheme (`Bearer <key>`, `Basic <credentials>`).
fn credential_values(value: &str) -> impl Iterator<Item = &str> {
    let value = value.trim();
    let after_scheme = value.split_once(' ').map(|(_, rest)| rest.trim());
    std::iter::once(value).chain(after_scheme)
}

/// The values of a `Cookie` header: `a=1; session=VALUE` gives `1` and `VALUE`, quotes taken
/// off.
fn cookie_values(value: &str) -> impl Iterator<Item = &str> {
    value.split(';').filter_map(|pair| {
        pair.split_once('=')
            .map(|(_, v)| v.trim().trim_matches('"'))
    })
}

/// Every secret the request `headers` carry, each long enough to be found
/// ([`crate::secret::MIN_KEY_LEN`]; a shorter value cannot be told from ordinary text and is
/// not looked for), longest first, without repeats.
pub(crate) fn secrets_of(headers: &HeaderMap) -> Vec<ApiKey> {
    let mut found: Vec<ApiKey> = Vec::new();
    for (name, value) in headers {
        let Ok(value) = value.to_str() else {
            continue;
        };
        let candidates: Vec<&str> = if name == header::COOKIE {
            cookie_values(value).collect()
        } else if is_credential(name) {
            credential_values(value).collect()
        } else {
            continue;
        };
        for candidate in candidates {
            if let Ok(secret) = ApiKey::new(candidate) {
                if !found.iter().any(|k| k.expose() == secret.expose()) {
                    found.push(secret);
                }
            }
        }
    }
    found.sort_by_key(|k| std::cmp::Reverse(k.expose().len()));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn secrets(pairs: &[(&'static str, &'static str)]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        secrets_of(&headers)
            .iter()
            .map(|k| k.expose().to_string())
            .collect()
    }

    #[test]
    fn keys_are_found_in_every_credential_header_with_or_without_a_scheme() {
        assert_eq!(
            secrets(&[("authorization", "sk-live-RAWKEY7777777")]),
            ["sk-live-RAWKEY7777777"]
        );
        assert_eq!(
            secrets(&[("authorization", "Bearer sk-bearer-KEY123")]),
            ["sk-bearer-KEY123"]
        );
        assert_eq!(
            secrets(&[("proxy-authorization", "Basic cHJveHk6cGFzcw==")]),
            ["cHJveHk6cGFzcw=="]
        );
        for name in ["x-api-key", "api-key", "x-goog-api-key", "x-auth-token"] {
            assert_eq!(
                secrets(&[(name, "sk-header-SECRET42")]),
                ["sk-header-SECRET42"],
                "{name}"
            );
        }
    }

    #[test]
    fn cookie_values_are_secrets_and_other_headers_are_not() {
        assert_eq!(
            secrets(&[(
                "cookie",
                "theme=dark; session=COOKIESECRET; id=\"QUOTEDSECRET\""
            )]),
            ["COOKIESECRET", "QUOTEDSECRET"]
        );
        assert!(secrets(&[
            ("content-type", "application/json-long-enough"),
            ("x-request-id", "req-123456789"),
            ("user-agent", "my-app/1.0-long"),
        ])
        .is_empty());
        assert!(
            secrets(&[("x-api-key", "short")]).is_empty(),
            "too short to find"
        );
    }
}
