//! Result files: the mock rewrites each results item's `url` to a file it serves itself, at
//! `{base}/files/{task id}/{index}/{name}`, so a download works end to end.

use serde_json::Value;
use url::Url;

/// Rewrites the `url` of every results item of task `id` to the file the mock serves for it.
pub(crate) fn localize(results: &[Value], base: &Url, id: &str) -> Vec<Value> {
    results
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let mut item = item.clone();
            if let Some(url) = item.get_mut("url") {
                if let Some(old) = url.as_str() {
                    *url = Value::String(file_url(base, id, index, &file_name(old, index)));
                }
            }
            item
        })
        .collect()
}

/// The URL of results item `index` of task `id`, named `name`.
pub(crate) fn file_url(base: &Url, id: &str, index: usize, name: &str) -> String {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments
            .pop_if_empty()
            .extend(["files", id, &index.to_string(), name]);
    }
    url.to_string()
}

/// The last path segment of `url` when it is a plain file name, else `result-{index}`.
fn file_name(url: &str, index: usize) -> String {
    Url::parse(url)
        .ok()
        .and_then(|u| u.path_segments()?.next_back().map(str::to_string))
        .filter(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
        .unwrap_or_else(|| format!("result-{index}"))
}

/// The bytes served for a file: a short text naming it, the same on every download.
pub(crate) fn contents(id: &str, index: usize, name: &str) -> Vec<u8> {
    format!("foxapi-contract mock result file\ntask: {id}\nitem: {index}\nname: {name}\n")
        .into_bytes()
}

/// The content type of a file, from its extension.
pub(crate) fn content_type(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
    match extension.to_ascii_lowercase().as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn urls_are_rewritten_to_the_mock_and_other_keys_kept() {
        let base = Url::parse("http://127.0.0.1:4000").expect("url");
        let results = [
            json!({"url": "https://cdn.foxapi.cc/r/2025/texture.png", "content_type": "image/png"}),
            json!({"voice_id": "v1"}),
            json!({"url": "https://cdn.foxapi.cc/r/odd%20name?x=1"}),
        ];
        let local = localize(&results, &base, "task-unified-1-abc");
        assert_eq!(
            local[0],
            json!({"url": "http://127.0.0.1:4000/files/task-unified-1-abc/0/texture.png", "content_type": "image/png"})
        );
        assert_eq!(local[1], results[1]);
        assert_eq!(
            local[2]["url"],
            "http://127.0.0.1:4000/files/task-unified-1-abc/2/result-2"
        );
        assert_eq!(content_type("texture.PNG"), "image/png");
        assert_eq!(content_type("result-2"), "application/octet-stream");
    }
}
