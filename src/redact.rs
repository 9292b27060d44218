//! Masking the secrets of signed URLs wherever a URL is shown or kept: one function
//! ([`mask_urls`]) used by the validator's messages, every report writer, the client's logs and
//! recorded fixtures.
//!
//! Result URLs of generation tasks are signed (`X-Amz-Signature`, `X-Amz-Credential`,
//! `token`, `sig`, `Signature`, ...). A report uploaded as a CI artifact must not carry them,
//! so every http(s) URL found in a text keeps its scheme, host, path and harmless parameters,
//! and each secret parameter's value (and any password) becomes [`REDACTED`].

use std::borrow::Cow;

/// What is shown wherever a secret would otherwise be.
pub const REDACTED: &str = "REDACTED";

/// Query parameters whose value is a secret, compared without case: signed-URL schemes of
/// S3, GCS, Azure, Aliyun OSS, Tencent COS, CloudFront, and plain tokens and keys.
const SECRET_PARAMS: &[&str] = &[
    "signature",
    "sig",
    "expires",
    "policy",
    "key",
    "token",
    "auth",
    "apikey",
    "api_key",
    "access_token",
    "key-pair-id",
    "accesskeyid",
    "awsaccesskeyid",
    "ossaccesskeyid",
    "security-token",
    "credential",
    "se",
    "sp",
    "sv",
    "sr",
    "st",
    "skoid",
    "sktid",
    "skt",
    "ske",
    "sks",
    "skv",
    "sign",
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
];

/// Prefixes of query parameters whose value is a secret (`X-Amz-Signature`, `X-Goog-Credential`, ...).
const SECRET_PREFIXES: &[&str] = &["x-amz-", "x-goog-", "x-oss-", "x-cos-", "x-obs-"];

/// Words that make any query parameter holding them a secret (`upload_token`, `client_secret`).
const SECRET_WORDS: &[&str] = &[
    "signature",
    "token",
    "secret",
    "password",
    "credential",
    "apikey",
    "api_key",
];

/// Whether a query parameter named `name` (percent-decoded or not) carries a secret.
pub fn is_secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.contains(&name.as_str())
        || SECRET_PREFIXES.iter().any(|p| name.starts_with(p))
        || SECRET_WORDS.iter().any(|w| name.contains(w))
}

/// `text` with the secrets of every URL in it masked: the value of each secret query
/// parameter (`?name=value` or `&name=value`, whatever the scheme, and in relative URLs too) and
/// any password in an authority (`scheme://user:password@host`) become [`REDACTED`]. The URLs
/// may stand alone or inside other text (a quoted JSON value, a message, a log line); text
/// without a secret is returned as it is, without copying.
pub fn mask_urls(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    // A secret needs an `@` (a password) or a parameter marker: most text has neither.
    if memchr::memchr3(b'?', b'&', b'#', bytes).is_none() && memchr::memchr(b'@', bytes).is_none() {
        return Cow::Borrowed(text);
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    // Passwords: `scheme://user:password@`.
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&bytes[from..], b"://") {
        let start = from + at + 3;
        let authority_end = text[start..]
            .find(|c: char| matches!(c, '/' | '?' | '#') || ends_url(c))
            .map_or(text.len(), |end| start + end);
        let authority = &text[start..authority_end];
        if let Some(at_sign) = authority.rfind('@') {
            if let Some(colon) = authority[..at_sign].find(':') {
                let (begin, end) = (start + colon + 1, start + at_sign);
                if &text[begin..end] != REDACTED {
                    spans.push((begin, end));
                }
            }
        }
        from = start;
    }
    // Secret parameters: `?name=value` and `&name=value`, and after `#` too (a fragment can
    // carry a token, as OAuth's implicit flow does).
    for marker in memchr::memchr3_iter(b'?', b'&', b'#', bytes) {
        let name_start = marker + 1;
        let Some(eq) = text[name_start..]
            .find(|c: char| c == '=' || matches!(c, '&' | '?' | '#') || ends_url(c))
            .map(|end| name_start + end)
        else {
            continue;
        };
        if bytes[eq] != b'=' || eq == name_start {
            continue;
        }
        if !is_secret_param(&percent_decoded(&text[name_start..eq])) {
            continue;
        }
        let value_start = eq + 1;
        let value_end = text[value_start..]
            .find(|c: char| matches!(c, '&' | '#') || ends_url(c))
            .map_or(text.len(), |end| value_start + end);
        if value_end > value_start && &text[value_start..value_end] != REDACTED {
            spans.push((value_start, value_end));
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (begin, end) in spans {
        if begin < done {
            continue;
        }
        out.push_str(&text[done..begin]);
        out.push_str(REDACTED);
        done = end;
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

/// Masks the secrets of the URLs in every string of a JSON value, in place ([`mask_urls`]).
/// Returns how many strings changed.
pub fn mask_json(value: &mut serde_json::Value) -> usize {
    use serde_json::Value;
    let mut changed = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                if let Cow::Owned(masked) = mask_urls(s) {
                    *s = masked;
                    changed += 1;
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
    changed
}

/// Whether `c` ends a URL found in running text: white space, quotes, angle brackets, the
/// backslash of a JSON escape, and control characters.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`')
}

/// A query parameter name with `%XX` escapes and `+` decoded, as far as they are ASCII, so
/// `X%2DAmz%2DSignature` is recognised as what it is.
fn percent_decoded(name: &str) -> Cow<'_, str> {
    if !name.contains(['%', '+']) {
        return Cow::Borrowed(name);
    }
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) if b.is_ascii() => {
                        out.push(b as char);
                        i += 3;
                        continue;
                    }
                    _ => out.push('%'),
                }
            }
            b'+' => out.push(' '),
            b => out.push(b as char),
        }
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_query_parameters_are_masked() {
        let signed = "https://cdn.example.com/a.mp4?X-Amz-Signature=abc&X-Amz-Credential=AK%2F1&Expires=99&w=640";
        let clean = mask_urls(signed);
        assert!(
            !clean.contains("abc") && !clean.contains("AK") && !clean.contains("99"),
            "{clean}"
        );
        assert_eq!(
            clean,
            "https://cdn.example.com/a.mp4?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&Expires=REDACTED&w=640"
        );
    }

    #[test]
    fn urls_inside_other_text_are_masked_and_the_rest_kept() {
        let text = r#"found {"url":"https://c.example/v.mp4?token=t0k&sig=s1g#t=3","seed":1} and http://h/x?Signature=z"#;
        let clean = mask_urls(text);
        assert_eq!(
            clean,
            r#"found {"url":"https://c.example/v.mp4?token=REDACTED&sig=REDACTED#t=3","seed":1} and http://h/x?Signature=REDACTED"#
        );
    }

    #[test]
    fn text_without_secrets_is_borrowed_unchanged() {
        for text in [
            "https://cdn.example.com/a.png",
            "https://cdn.example.com/a.png?w=1",
            "not a url",
            "mailto:x@y",
            "ahttp",
            "",
            "http://",
        ] {
            assert!(matches!(mask_urls(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn passwords_are_masked_and_user_names_kept() {
        assert_eq!(
            mask_urls("at https://u:pw@h.example/x now"),
            "at https://u:REDACTED@h.example/x now"
        );
        assert_eq!(mask_urls("https://u@h.example/x"), "https://u@h.example/x");
    }

    #[test]
    fn encoded_parameter_names_and_any_case_are_recognised() {
        assert_eq!(
            mask_urls("HTTPS://H/x?X%2DAmz%2DSignature=abc&upload_Token=t"),
            "HTTPS://H/x?X%2DAmz%2DSignature=REDACTED&upload_Token=REDACTED"
        );
    }

    #[test]
    fn secrets_of_any_scheme_and_of_relative_urls_are_masked() {
        assert_eq!(
            mask_urls(r#"found "ftp://u:pw@h/v.mp4?Signature=abc&w=1""#),
            r#"found "ftp://u:REDACTED@h/v.mp4?Signature=REDACTED&w=1""#
        );
        assert_eq!(
            mask_urls("/v1/v.mp4?X-Amz-Signature=abc&X-Amz-Credential=AK%2F1"),
            "/v1/v.mp4?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED"
        );
        assert_eq!(
            mask_urls("s3://bucket/key ?token=t0k"),
            "s3://bucket/key ?token=REDACTED"
        );
        assert_eq!(
            mask_urls("https://h/v.mp4#X-Amz-Signature=frag&t=3"),
            "https://h/v.mp4#X-Amz-Signature=REDACTED&t=3"
        );
    }

    #[test]
    fn plain_text_with_question_marks_and_ampersands_is_kept() {
        for text in ["why? because & so", "a=b", "?=x", "&&", "x?sig", "?sig="] {
            assert!(
                matches!(mask_urls(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn masking_twice_changes_nothing_more() {
        let once = mask_urls("https://h/x?sig=1").into_owned();
        assert!(matches!(mask_urls(&once), Cow::Borrowed(_)));
    }

    #[test]
    fn odd_text_never_panics() {
        for text in [
            "http://%",
            "https://?=&=",
            "http://h/?%",
            "http://h/?%4",
            "http://h/?%é=1",
            "https://@@:@/",
            "hTtP://é?sig=é",
        ] {
            let _ = mask_urls(text);
        }
        assert_eq!(mask_urls("http://h/?%73ig=1"), "http://h/?%73ig=REDACTED");
    }
}
