//! The secrets a request carries, found so that their echoes can be taken out of everything
//! the proxy keeps or shows (cassettes, fixtures, reports, stderr): the value of every
//! credential-bearing header, with or without an auth scheme, every cookie value, and the
//! value of every member of a JSON body named as a secret (`api_key`, `token`, `password`,
//! `authorization`, ...: [`is_secret_member`]).

use crate::redact::{is_secret_param, REDACTED};
use crate::secret::ApiKey;
use axum::http::header::{self, HeaderMap, HeaderName};
use serde_json::Value;

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

/// Whether a JSON member of this name holds a secret: the names the crate masks as query
/// parameters ([`is_secret_param`]: `api_key`, `token`, `access_token`, `secret`,
/// `password`, `signature`, ...) and `authorization`, without case.
pub(crate) fn is_secret_member(name: &str) -> bool {
    is_secret_param(name) || name.eq_ignore_ascii_case("authorization")
}

/// Whether member `name` of an object holds a secret: a secret name ([`is_secret_member`]),
/// except the `token` of a token's log probability (`{token, logprob}` in a ChatCompletion's
/// `logprobs`), which is text of the answer.
fn holds_secret(name: &str, has_logprob: bool) -> bool {
    is_secret_member(name) && !(has_logprob && name == "token")
}

/// The string values of the secret members ([`holds_secret`]) of `value`, at any depth:
/// each whole, and the part after an auth scheme (`Bearer <key>`). Numbers are no secrets
/// (`max_tokens`, `total_tokens`).
fn secret_members(value: &Value) -> Vec<&str> {
    let mut found = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                let has_logprob = map.contains_key("logprob");
                for (name, member) in map {
                    match member {
                        Value::String(text) if holds_secret(name, has_logprob) => {
                            found.extend(credential_values(text));
                        }
                        _ => stack.push(member),
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// The secrets a JSON body holds in members named as secrets (none when it is no JSON), as
/// keys whose echoes are taken out as the headers' are; values of fewer than 8 characters
/// are left to [`mask_secret_members`].
pub(crate) fn secrets_in_body(body: &[u8]) -> Vec<ApiKey> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    secret_members(&value)
        .into_iter()
        .filter_map(|candidate| ApiKey::new(candidate).ok())
        .collect()
}

/// Adds `more` to `keys` (once each), longest first, so a key that holds another is taken
/// out whole.
pub(crate) fn merge(keys: &mut Vec<ApiKey>, more: Vec<ApiKey>) {
    for key in more {
        if !keys.iter().any(|k| k.expose() == key.expose()) {
            keys.push(key);
        }
    }
    keys.sort_by_key(|k| std::cmp::Reverse(k.expose().len()));
}

/// Replaces the string value of every secret member ([`holds_secret`]) of `value` with
/// [`REDACTED`], at any depth; returns how many were replaced.
pub(crate) fn mask_secret_members(value: &mut Value) -> usize {
    let mut masked = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => {
                let has_logprob = map.contains_key("logprob");
                for (name, member) in map.iter_mut() {
                    match member {
                        Value::String(text) if holds_secret(name, has_logprob) => {
                            if text != REDACTED {
                                *text = REDACTED.to_string();
                                masked += 1;
                            }
                        }
                        _ => stack.push(member),
                    }
                }
            }
            _ => {}
        }
    }
    masked
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

    #[test]
    fn the_tokens_of_chat_logprobs_are_answer_text_not_secrets() {
        let mut value = serde_json::json!({"choices": [{"logprobs": {"content": [
            {"token": "Hello", "logprob": -0.1, "top_logprobs": [{"token": " world", "logprob": -2.0}]}
        ]}}], "access_token": "at-ANSWER-12345678"});
        assert_eq!(mask_secret_members(&mut value), 1);
        let content = &value["choices"][0]["logprobs"]["content"][0];
        assert_eq!(content["token"], "Hello");
        assert_eq!(content["top_logprobs"][0]["token"], " world");
        assert_eq!(value["access_token"], REDACTED);
    }

    #[test]
    fn secret_members_of_json_bodies_are_found_and_masked_at_any_depth() {
        let body = br#"{"model":"m","api_key":"sk-INBODY88888888","usage":{"total_tokens":12},
            "nested":[{"Token":"tok-nested-123456"},{"password":"pw"}],
            "authorization":"Bearer sk-authz-77777777","access_token":"at-99999999","secret":"s3cr3t-value"}"#;
        let keys: Vec<String> = secrets_in_body(body)
            .iter()
            .map(|k| k.expose().to_string())
            .collect();
        for secret in [
            "sk-INBODY88888888",
            "tok-nested-123456",
            "sk-authz-77777777",
            "at-99999999",
            "s3cr3t-value",
        ] {
            assert!(keys.iter().any(|k| k == secret), "{secret} not in {keys:?}");
        }
        let mut value: Value = serde_json::from_slice(body).expect("JSON");
        assert_eq!(mask_secret_members(&mut value), 6);
        let text = value.to_string();
        for secret in [
            "sk-INBODY",
            "tok-nested",
            "\"pw\"",
            "sk-authz",
            "at-9999",
            "s3cr3t",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(value["usage"]["total_tokens"], 12, "numbers are no secrets");
        assert_eq!(value["model"], "m");
        assert!(secrets_in_body(b"not json").is_empty());
    }
}
