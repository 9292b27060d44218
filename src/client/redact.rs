//! Removing secrets from what is kept or shown: signed URL query parameters, `Authorization`
//! entries, URL passwords and the API key itself.

use crate::secret::ApiKey;
use serde_json::Value;

/// `text` with the secrets of its http(s) URLs masked: [`crate::redact::mask_urls`], the one
/// masking function, as an owned string.
pub(crate) fn url(text: &str) -> String {
    crate::redact::mask_urls(text).into_owned()
}

/// Removes the secrets from a JSON value in place: every object entry named
/// `authorization` (any case) is dropped, every string has the secrets of its URLs masked,
/// and, when a key is given, its echoes are removed ([`ApiKey::remove_echoes`]: only a key
/// long enough to be recognised). Returns how many values were changed.
pub(crate) fn json(value: &mut Value, key: Option<&ApiKey>) -> usize {
    let mut dropped = 0;
    let mut stack = vec![&mut *value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => {
                let before = map.len();
                map.retain(|name, _| !name.eq_ignore_ascii_case("authorization"));
                dropped += before - map.len();
                stack.extend(map.values_mut());
            }
            _ => {}
        }
    }
    dropped + crate::redact::mask_json(value) + key.map_or(0, |k| k.remove_echoes(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_query_parameters_are_replaced() {
        let signed = "https://cdn.example.com/a.mp4?X-Amz-Signature=abc&X-Amz-Credential=AK%2F1&Expires=99&w=640";
        let clean = url(signed);
        assert!(
            !clean.contains("abc") && !clean.contains("AK") && !clean.contains("99"),
            "{clean}"
        );
        assert!(
            clean.contains("w=640") && clean.contains("X-Amz-Signature=REDACTED"),
            "{clean}"
        );
    }

    #[test]
    fn urls_without_secrets_and_plain_text_are_untouched() {
        for text in [
            "https://cdn.example.com/a.png",
            "https://cdn.example.com/a.png?w=1",
            "not a url",
            "mailto:x@y",
        ] {
            assert_eq!(url(text), text);
        }
    }

    #[test]
    fn passwords_are_replaced() {
        assert_eq!(
            url("https://u:pw@h.example/x"),
            "https://u:REDACTED@h.example/x"
        );
    }

    #[test]
    fn json_drops_authorization_and_scrubs_the_key() {
        let key = ApiKey::new("sk-live-1").expect("a key");
        let mut value = serde_json::json!({
            "headers": {"Authorization": "Bearer sk-live-1", "accept": "json"},
            "note": "used sk-live-1",
            "results": [{"url": "https://c.example/v.mp4?token=t0k"}]
        });
        assert_eq!(json(&mut value, Some(&key)), 3);
        let text = value.to_string();
        assert!(
            !text.contains("sk-live-1") && !text.contains("t0k") && !text.contains("Authorization"),
            "{text}"
        );
    }
}
