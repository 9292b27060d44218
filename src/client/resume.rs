//! Downloads whose length was never announced, and how a later run settles them.
//!
//! A body delimited by the closing of the connection (HTTP/1.x without `Content-Length` or
//! chunked encoding, RFC 9112 section 6.3) ends the same way whether it is whole or cut. Such
//! a file is stored under its final name with a record beside it, `.<name>.unverified`
//! ([`UnverifiedRecord`]). A later run does not skip it: it asks for the bytes past its end
//! with `Range: bytes=<size>-` (RFC 9110 section 14.2), and `If-Range` with the strong
//! `ETag` the record keeps, and reads the answer ([`ContentRange`]): 416 with
//! `Content-Range: bytes */<size>` means whole, 206 brings the rest, 200 the whole file again.

use super::download::write_json;
use super::ClientError;
use reqwest::header::{HeaderMap, HeaderValue, ETAG};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// What a `Content-Range` header of bytes says (RFC 9110 section 14.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ContentRange {
    /// `bytes <first>-<last>/<complete>`: the body holds bytes `first..=last` of a
    /// representation of `complete` bytes (`None` for `*`, a length the server does not know).
    Satisfied {
        /// The offset of the first byte sent.
        first: u64,
        /// The offset of the last byte sent.
        last: u64,
        /// The length of the whole representation, if known.
        complete: Option<u64>,
    },
    /// `bytes */<complete>`, the header of a 416: the representation has `complete` bytes.
    Unsatisfied {
        /// The length of the whole representation.
        complete: u64,
    },
}

impl ContentRange {
    /// The `Content-Range` of `headers`, if there is exactly one and it is a valid byte range.
    pub(super) fn of(headers: &HeaderMap) -> Option<ContentRange> {
        let mut values = headers.get_all(reqwest::header::CONTENT_RANGE).iter();
        let value = values.next()?;
        if values.next().is_some() {
            return None;
        }
        ContentRange::parse(value.to_str().ok()?)
    }

    /// Parses `bytes 0-99/1000`, `bytes 0-99/*` or `bytes */1000`; `None` for anything else
    /// (another unit, a last offset before the first or past the length).
    pub(super) fn parse(text: &str) -> Option<ContentRange> {
        let (unit, rest) = text.trim().split_once(' ')?;
        if !unit.eq_ignore_ascii_case("bytes") {
            return None;
        }
        let (range, complete) = rest.trim_start().split_once('/')?;
        let complete = match complete {
            "*" => None,
            digits => Some(number(digits)?),
        };
        if range == "*" {
            return complete.map(|complete| ContentRange::Unsatisfied { complete });
        }
        let (first, last) = range.split_once('-')?;
        let (first, last) = (number(first)?, number(last)?);
        if last < first || complete.is_some_and(|complete| last >= complete) {
            return None;
        }
        Some(ContentRange::Satisfied {
            first,
            last,
            complete,
        })
    }
}

/// A run of ASCII digits as a number (no sign, no spaces, no overflow).
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The record beside a file whose length was never checked: it exists while the file is
/// unverified and keeps the strong `ETag` the file came with, if any, for `If-Range`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct UnverifiedRecord {
    /// A strong entity tag, as the server sent it (quotes included).
    pub(super) etag: Option<String>,
}

impl UnverifiedRecord {
    /// Where the record of `target` lives: `.<name>.unverified` in the same directory.
    pub(super) fn path_for(target: &Path) -> PathBuf {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        target.with_file_name(format!(".{name}.unverified"))
    }

    /// The record of an answer: its `ETag`, kept only when strong and sendable back
    /// (a weak tag cannot validate a range, RFC 9110 section 13.1.5).
    pub(super) fn of(headers: &HeaderMap) -> UnverifiedRecord {
        let etag = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|tag| is_strong_etag(tag))
            .map(str::to_string);
        UnverifiedRecord { etag }
    }

    /// The record of `target`, when there is one; a record that cannot be read still says
    /// that the file is unverified, without a tag.
    pub(super) async fn read(target: &Path) -> Option<UnverifiedRecord> {
        let path = UnverifiedRecord::path_for(target);
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return None;
        }
        let text = tokio::fs::read(&path).await.unwrap_or_default();
        let etag = serde_json::from_slice::<Value>(&text)
            .ok()
            .and_then(|v| v.get("etag").and_then(Value::as_str).map(str::to_string))
            .filter(|tag| is_strong_etag(tag));
        Some(UnverifiedRecord { etag })
    }

    /// Writes the record of `target`, atomically.
    pub(super) fn write(&self, target: &Path, dir: &Path) -> Result<(), ClientError> {
        let record = json!({
            "unverified": "the server ended this file by closing the connection without announcing its length, so a cut cannot be told from the end; the next download run asks for the bytes past its end (Range) to check it",
            "etag": self.etag,
        });
        write_json(&record, &UnverifiedRecord::path_for(target), dir)
    }

    /// Removes the record of `target`: the file is now known to be whole.
    pub(super) async fn remove(target: &Path) -> Result<(), ClientError> {
        let path = UnverifiedRecord::path_for(target);
        match tokio::fs::remove_file(&path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ClientError::Io {
                path,
                action: "remove",
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

/// Whether `tag` is a strong entity tag that can go back in `If-Range`: `"..."`, no `W/`.
fn is_strong_etag(tag: &str) -> bool {
    tag.len() >= 2
        && tag.starts_with('"')
        && tag.ends_with('"')
        && HeaderValue::from_str(tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_of_bytes_are_read() {
        assert_eq!(
            ContentRange::parse("bytes 4-9/10"),
            Some(ContentRange::Satisfied {
                first: 4,
                last: 9,
                complete: Some(10)
            })
        );
        assert_eq!(
            ContentRange::parse("Bytes 0-0/*"),
            Some(ContentRange::Satisfied {
                first: 0,
                last: 0,
                complete: None
            })
        );
        assert_eq!(
            ContentRange::parse("bytes */10"),
            Some(ContentRange::Unsatisfied { complete: 10 })
        );
    }

    #[test]
    fn content_ranges_that_contradict_themselves_are_refused() {
        for bad in [
            "",
            "bytes",
            "bytes */*",
            "bytes 9-4/10",
            "bytes 4-10/10",
            "bytes -1-9/10",
            "bytes 4-9/+10",
            "bytes 4 - 9/10",
            "items 4-9/10",
            "bytes 4-99999999999999999999/*",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_strong_etags_are_kept() {
        assert!(is_strong_etag("\"v1\""));
        assert!(!is_strong_etag("W/\"v1\""));
        assert!(!is_strong_etag("v1"));
        assert!(!is_strong_etag("\"a\nb\""));
        assert_eq!(
            UnverifiedRecord::path_for(Path::new("/out/t-0.mp4")),
            Path::new("/out/.t-0.mp4.unverified")
        );
    }
}
