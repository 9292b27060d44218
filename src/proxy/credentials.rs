//! The secrets a request carries, found so that their echoes can be taken out of everything
//! the proxy keeps or shows (cassettes, fixtures, reports, stderr): the value of every
//! credential-bearing header, with or without an auth scheme, every cookie value, and the
//! value of every member of a JSON body named as a secret (`api_key`, `access_token`,
//! `password`, `authorization`, ...: [`is_secret_member`]).

use crate::redact::REDACTED;
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

/// Further parts of a JSON member name that mark it as holding a credential
/// (`signature`, `aws_access_key_id`, `private_key`, `passwd`), beside
/// [`CREDENTIAL_NAME_PARTS`]. The other names of signed-URL query parameters (`st`, `sp`,
/// `se`, `policy`, `expires`, ...) are no part of it: as member names they are ordinary
/// data, and the signed URLs inside string values are masked on their own
/// ([`crate::redact::mask_urls`]).
const CREDENTIAL_MEMBER_PARTS: &[&str] = &[
    "signature",
    "access_key",
    "accesskey",
    "access-key",
    "private_key",
    "privatekey",
    "private-key",
    "passwd",
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

/// The candidates that make keys: each long enough to be found
/// ([`crate::secret::MIN_KEY_LEN`]; a shorter value cannot be told from ordinary text and is
/// not looked for).
fn keys<'a>(candidates: impl IntoIterator<Item = &'a str>) -> Vec<ApiKey> {
    candidates
        .into_iter()
        .filter_map(|candidate| ApiKey::new(candidate).ok())
        .collect()
}

/// Every secret the request `headers` carry ([`keys`]), longest first, without repeats.
pub(crate) fn secrets_of(headers: &HeaderMap) -> Vec<ApiKey> {
    let mut candidates = Vec::new();
    for (name, value) in headers {
        let Ok(value) = value.to_str() else {
            continue;
        };
        if name == header::COOKIE {
            candidates.extend(cookie_values(value));
        } else if is_credential(name) {
            candidates.extend(credential_values(value));
        }
    }
    let mut found = Vec::new();
    merge(&mut found, keys(candidates));
    found
}

/// Adds `more` to `keys` (once each), longest first, so a key that holds another is taken
/// out whole.
pub(crate) fn merge(keys: &mut Vec<ApiKey>, more: impl IntoIterator<Item = ApiKey>) {
    for key in more {
        if !keys.iter().any(|k| k.expose() == key.expose()) {
            keys.push(key);
        }
    }
    keys.sort_by_key(|k| std::cmp::Reverse(k.expose().len()));
}

/// Whole member names that hold a credential on their own (`{"key": "AIza..."}`,
/// `{"auth": "sk-..."}`), beside the names that contain a credential word.
const CREDENTIAL_MEMBER_NAMES: &[&str] = &["key", "auth", "sig", "sign"];

/// Whether a JSON member of this name holds a secret: a name that contains a credential
/// word ([`CREDENTIAL_NAME_PARTS`], [`CREDENTIAL_MEMBER_PARTS`]: `api_key`, `access_token`,
/// `client_secret`, `password`, `authorization`, `signature`, ...) or is one of
/// [`CREDENTIAL_MEMBER_NAMES`], without case.
fn is_secret_member(name: &str) -> bool {
    let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    };
    CREDENTIAL_MEMBER_NAMES.contains(&name.as_ref())
        || CREDENTIAL_NAME_PARTS
            .iter()
            .chain(CREDENTIAL_MEMBER_PARTS)
            .any(|part| name.contains(part))
}

/// Whether member `name` of an object holds a secret: a secret name ([`is_secret_member`]),
/// except the `token` of a token's log probability (`{token, logprob}` in a ChatCompletion's
/// `logprobs`), which is text of the answer.
fn holds_secret(name: &str, has_logprob: bool) -> bool {
    is_secret_member(name) && !(has_logprob && name == "token")
}

/// The one walk of [`secrets_in`] and [`mask_secret_members`]: evaluates `$found` with
/// `$text` bound to the string value of each secret member ([`holds_secret`]) of `$value`, at
/// any depth; `$iter` is `iter` (a shared walk) or `iter_mut` (in place). Numbers are no
/// secrets (`max_tokens`, `total_tokens`).
macro_rules! each_secret_member {
    ($value:expr, $iter:ident, |$text:ident| $found:expr) => {{
        let mut stack = vec![$value];
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(items) => stack.extend(items.$iter()),
                Value::Object(map) => {
                    let has_logprob = map.contains_key("logprob");
                    for (name, member) in map.$iter() {
                        match member {
                            Value::String($text) if holds_secret(name, has_logprob) => $found,
                            _ => stack.push(member),
                        }
                    }
                }
                _ => {}
            }
        }
    }};
}

/// The secrets a JSON body holds in members named as secrets, as keys ([`keys`]) whose
/// echoes are taken out as the headers' are: each value whole, and the part after an auth
/// scheme (`Bearer <key>`). Shorter values are left to [`mask_secret_members`].
pub(crate) fn secrets_in(value: &Value) -> Vec<ApiKey> {
    let mut found = Vec::new();
    each_secret_member!(value, iter, |text| found.extend(credential_values(text)));
    keys(found)
}

/// Replaces the string value of every secret member ([`holds_secret`]) of `value` with
/// [`REDACTED`], at any depth; returns how many were replaced.
pub(crate) fn mask_secret_members(value: &mut Value) -> usize {
    let mut masked = 0;
    each_secret_member!(value, iter_mut, |text| if text != REDACTED {
        *text = REDACTED.to_string();
        masked += 1;
    });
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
        let mut value: Value = serde_json::from_slice(body).expect("JSON");
        let keys: Vec<String> = secrets_in(&value)
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
    }

    #[test]
    fn members_named_as_signed_url_parameters_are_data_and_credential_words_are_secrets() {
        let mut data = serde_json::json!({
            "st": "a", "sp": "b", "policy": "c", "expires": "d", "key_frames": "e",
            "se": "j", "sv": "k", "sr": "l", "keys": "m", "author": "n", "signed": "o",
            "nested": [{"policy": "content-policy-v2", "keyframe": "scene-key-1234"}]
        });
        let before = data.clone();
        assert!(secrets_in(&data).is_empty(), "{data}");
        assert_eq!(mask_secret_members(&mut data), 0);
        assert_eq!(data, before, "every value kept");

        let mut secrets = serde_json::json!({
            "key": "AIza-member-KEY0001",
            "Auth": "sk-member-AUTH0002",
            "sig": "sg-member-SIG00003",
            "sign": "sn-member-SIGN0004",
            "api_key": "sk-member-KEY12345",
            "client_secret": "cs-member-SECRET99",
            "access_token": "at-member-TOKEN777",
            "X-Amz-Signature": "sig-member-ABCDEF12",
            "AWSAccessKeyId": "AKIA-member-000001"
        });
        let mut found: Vec<String> = secrets_in(&secrets)
            .iter()
            .map(|k| k.expose().to_string())
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                "AIza-member-KEY0001",
                "AKIA-member-000001",
                "at-member-TOKEN777",
                "cs-member-SECRET99",
                "sg-member-SIG00003",
                "sig-member-ABCDEF12",
                "sk-member-AUTH0002",
                "sk-member-KEY12345",
                "sn-member-SIGN0004",
            ]
        );
        assert_eq!(mask_secret_members(&mut secrets), 9);
        for name in [
            "key",
            "Auth",
            "sig",
            "sign",
            "api_key",
            "client_secret",
            "access_token",
            "X-Amz-Signature",
            "AWSAccessKeyId",
        ] {
            assert_eq!(secrets[name], REDACTED, "{name}");
        }
    }

    #[test]
    fn merged_keys_stay_once_each_and_longest_first() {
        let key = |k: &str| ApiKey::new(k).expect("a key");
        let mut keys = vec![key("short-key-1")];
        merge(
            &mut keys,
            [
                key("a-much-longer-key-2"),
                key("short-key-1"),
                key("mid-key-33"),
            ],
        );
        let shown: Vec<&str> = keys.iter().map(ApiKey::expose).collect();
        assert_eq!(shown, ["a-much-longer-key-2", "short-key-1", "mid-key-33"]);
    }
}
