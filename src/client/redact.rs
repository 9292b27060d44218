//! Removing secrets from what is kept or shown: signed URL query parameters, `Authorization`
//! entries, URL passwords and the API key itself.

use crate::secret::{ApiKey, REDACTED};
use serde_json::Value;

pub use crate::redact::is_secret_param;

/// `text` with, when it is an absolute URL, every secret query parameter's value and any
/// password replaced by [`REDACTED`]; other text comes back as it is.
pub fn url(text: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(text) else {
        return text.to_string();
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return text.to_string();
    }
    let mut changed = false;
    if parsed.password().is_some() {
        // Cannot fail on an http(s) URL, which always has a host.
        changed |= parsed.set_password(Some(REDACTED)).is_ok();
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        if pairs.iter().any(|(name, _)| is_secret_param(name)) {
            changed = true;
            let mut query = parsed.query_pairs_mut();
            query.clear();
            for (name, value) in &pairs {
                query.append_pair(
                    name,
                    if is_secret_param(name) {
                        REDACTED
                    } else {
                        value
                    },
                );
            }
        }
    }
    if changed {
        parsed.to_string()
    } else {
        text.to_string()
    }
}

/// Removes the secrets from a JSON value in place: every object entry named
/// `authorization` (any case) is dropped, every string that is a URL has its secret query
/// parameters replaced, and, when a key is given, every occurrence of it is replaced.
/// Returns how many values were changed.
pub fn json(value: &mut Value, key: Option<&ApiKey>) -> usize {
    let mut changed = 0;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                let mut clean = url(s);
                if let Some(key) = key {
                    clean = key.scrub(&clean);
                }
                if clean != *s {
                    *s = clean;
                    changed += 1;
                }
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => {
                let before = map.len();
                map.retain(|name, _| !name.eq_ignore_ascii_case("authorization"));
                changed += before - map.len();
                let secret_names: Vec<String> = map
                    .keys()
                    .filter(|name| key.is_some_and(|k| name.contains(k.expose())))
                    .cloned()
                    .collect();
                for name in secret_names {
                    if let Some(v) = map.remove(&name) {
                        map.insert(key.map_or(name.clone(), |k| k.scrub(&name)), v);
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
