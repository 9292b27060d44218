//! The async client of the FoxAPI task endpoint: [`Client::get_task`] fetches and validates
//! one task, [`Client::wait`] polls it to the end, [`Client::download`] stores its results,
//! and [`Client::record`] saves a live answer as a fixture, secrets removed.
//!
//! The client only reads: it never submits a task (a POST that costs money), so nothing it
//! retries can cost anything. The API key is an [`ApiKey`]: it is sent in the
//! `Authorization` header of API requests only (never to result URLs, which also get no
//! `Referer`), and never shown in `Debug`, logs, errors or recorded files.
//!
//! How the key stays out of what is printed, by construction rather than by replacing text
//! in finished output:
//! - the client never formats the key into anything but the header it sends;
//! - a server may echo the header back. Its echoes are removed where a body enters the
//!   client, before anything parses, quotes or escapes it: in the raw bytes (the key as is
//!   and as a JSON string holds it, `"` and `\` escaped), then in the parsed JSON (each
//!   string holding it, however it was escaped). A key shorter than 8 characters
//!   (`ApiKeyError::TooShort`) is refused when it is made: its echoes could not be told
//!   from ordinary numbers and words, so it could not be kept out of what is printed;
//! - other text of the server (error messages, codes) is untrusted: it is made printable
//!   ([`crate::untrusted::printable`]) and its signed-URL secrets masked
//!   ([`crate::redact::mask_urls`]) once, where it enters an error.
//!
//! [`Client::wait`] and [`Client::download_until`] share one deadline in `task wait
//! --download`; result downloads are retried with the back-off of the polls, and one stopped
//! by the deadline (or by dropping its future, as the CLI does on SIGINT) leaves no partial
//! file. A body cut short is never stored under its final name: hyper fails a body shorter
//! than its `Content-Length` or a chunked body without its last chunk, and a 206 must bring
//! the bytes its `Content-Range` names. A body delimited only by the closing of the
//! connection cannot be told from a whole one: it is stored as [`Saved::Unverified`], with a
//! record beside it, and the next run checks it with `Range: bytes=<size>-` (RFC 9110): 416
//! `bytes */<size>` means whole ([`Saved::Verified`]), 206 brings the rest, appended through
//! a temporary file ([`Saved::Resumed`]), 200 the whole file again.
//!
//! ```no_run
//! # async fn demo() -> Result<(), foxapi_contract::client::ClientError> {
//! use foxapi_contract::client::{Client, WaitPolicy};
//!
//! let client = Client::from_env()?;
//! let done = client.wait("task-unified-1757165031-uyujaw3d", &WaitPolicy::default(), |_| {}).await?;
//! for issue in &done.parsed.warnings {
//!     eprintln!("warning: {issue}");
//! }
//! for item in &done.parsed.results {
//!     if let Some(voice) = item.voice_id() {
//!         println!("voice {voice}");
//!     }
//! }
//! client.download(&done.parsed, std::path::Path::new("out")).await?;
//! # Ok(()) }
//! ```

mod config;
pub(crate) mod download;
mod error;
pub(crate) mod get;
mod record;
pub(crate) mod redact;
mod resume;
mod wait;

use crate::secret::ApiKey;
#[cfg(feature = "proxy")]
pub(crate) use config::{install_crypto_provider, parse_base_url};
pub use config::{ClientBuilder, DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL};
pub use download::{Downloaded, Saved};
#[cfg(feature = "proxy")]
pub(crate) use error::chain;
pub use error::{ClientError, RawBody};
pub use get::FetchedTask;
pub use record::DEFAULT_RECORD_DIR;
pub use wait::{Progress, WaitPolicy, MIN_DELAY};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A client of the FoxAPI task endpoint. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// For the API: the key goes with every request; redirects are not followed.
    api: reqwest::Client,
    /// For result URLs: no key, redirects followed.
    downloads: reqwest::Client,
    base: url::Url,
    key: ApiKey,
    request_timeout: Duration,
    max_response_bytes: usize,
    max_download_bytes: u64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &redact::url(self.inner.base.as_str()))
            .field("key", &self.inner.key)
            .field("request_timeout", &self.inner.request_timeout)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .field("max_download_bytes", &self.inner.max_download_bytes)
            .finish()
    }
}

impl Client {
    /// A builder with the defaults; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client from `FOXAPI_API_KEY` and `FOXAPI_BASE_URL` (default
    /// `https://api.foxapi.cc`).
    pub fn from_env() -> Result<Client, ClientError> {
        ClientBuilder::from_env().build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &url::Url {
        &self.inner.base
    }

    /// The API key, to check that some output does not hold it.
    pub fn api_key(&self) -> &ApiKey {
        &self.inner.key
    }
}
