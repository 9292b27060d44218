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

/// `text` with the secrets of every http(s) URL in it masked: the value of each secret query
/// parameter and any password in the authority become [`REDACTED`]. The URLs may stand alone
/// or inside other text (a quoted JSON value, a message, a log line); text without a URL, or
/// whose URLs carry no secret, is returned as it is, without copying.
pub fn mask_urls(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut done = 0;
    let mut from = 0;
    while let Some(start) = find_scheme(text, from) {
        let end = start
            + text[start..]
                .find(|c: char| ends_url(c))
                .unwrap_or(text.len() - start);
        let url = &text[start..end];
        if let Some(masked) = mask_one(url) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[done..start]);
            out.push_str(&masked);
            done = end;
        }
        from = end.max(start + 1);
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[done..]);
            Cow::Owned(out)
        }
    }
}

/// Where the next `http://` or `https://` (any case) starts at or after `from`.
fn find_scheme(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < bytes.len() {
        let offset = memchr::memchr2(b'h', b'H', &bytes[at..])?;
        let start = at + offset;
        let rest = &bytes[start..];
        let scheme = if rest.len() >= 8 && rest[..8].eq_ignore_ascii_case(b"https://") {
            true
        } else {
            rest.len() >= 7 && rest[..7].eq_ignore_ascii_case(b"http://")
        };
        if scheme {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// Whether `c` ends a URL found in running text: white space, quotes, angle brackets, the
/// backslash of a JSON escape, and control characters.
fn ends_url(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`')
}

/// One URL with its secrets masked, or `None` when it has none.
fn mask_one(url: &str) -> Option<String> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let after = &rest[authority_end..];
    let mut changed = false;

    let mut masked = String::with_capacity(url.len());
    masked.push_str(&url[..scheme_end]);
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => {
                    masked.push_str(&userinfo[..colon]);
                    masked.push(':');
                    masked.push_str(REDACTED);
                    changed = true;
                }
                None => masked.push_str(userinfo),
            }
            masked.push_str(&authority[at..]);
        }
        None => masked.push_str(authority),
    }

    let (before_fragment, fragment) = match after.find('#') {
        Some(hash) => after.split_at(hash),
        None => (after, ""),
    };
    match before_fragment.find('?') {
        Some(q) => {
            masked.push_str(&before_fragment[..=q]);
            let query = &before_fragment[q + 1..];
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    masked.push('&');
                }
                match pair.split_once('=') {
                    Some((name, value)) if is_secret_param(&percent_decoded(name)) => {
                        masked.push_str(name);
                        masked.push('=');
                        if value != REDACTED {
                            changed = true;
                        }
                        masked.push_str(REDACTED);
                    }
                    _ => masked.push_str(pair),
                }
            }
        }
        None => masked.push_str(before_fragment),
    }
    masked.push_str(fragment);
    changed.then_some(masked)
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
