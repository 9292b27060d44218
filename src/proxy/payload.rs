//! A body the proxy holds whole, read as JSON once where it is held: the secrets taken out
//! of it, the check of an answer and its cassette all work from that one reading.

use serde_json::Value;

/// A body held whole: its bytes as they came, and what they read as JSON.
#[derive(Debug)]
pub(crate) struct Payload<'a> {
    /// The bytes, unchanged.
    pub bytes: &'a [u8],
    /// The bytes as JSON, or why they are none (an empty body, text, a binary file).
    pub json: serde_json::Result<Value>,
}

impl<'a> Payload<'a> {
    /// Reads `bytes` as JSON, once.
    pub fn read(bytes: &'a [u8]) -> Payload<'a> {
        Payload {
            bytes,
            json: serde_json::from_slice(bytes),
        }
    }

    /// The JSON value, when the bytes are JSON.
    pub fn value(&self) -> Option<&Value> {
        self.json.as_ref().ok()
    }
}
