//! Building a [`Client`]: from the environment (`FOXAPI_API_KEY`, `FOXAPI_BASE_URL`) or step by
//! step, with the timeouts and size limits.

use super::{redact, Client, ClientError};
use crate::secret::ApiKey;
use std::sync::Arc;
use std::time::Duration;

/// The environment variable that holds the API key.
pub const ENV_API_KEY: &str = "FOXAPI_API_KEY";
/// The environment variable that overrides the base URL.
pub const ENV_BASE_URL: &str = "FOXAPI_BASE_URL";
/// Where FoxAPI answers, unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.foxapi.cc";

/// The settings of a [`Client`]. Start from [`ClientBuilder::new`] or
/// [`ClientBuilder::from_env`], then [`ClientBuilder::build`].
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    key: Option<ApiKey>,
    key_error: Option<String>,
    base_url: String,
    request_timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
    max_download_bytes: u64,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// No key, the default base URL, a 30 s request timeout, a 10 s connect timeout,
    /// responses up to 16 MiB and downloads up to 4 GiB.
    pub fn new() -> ClientBuilder {
        ClientBuilder {
            key: None,
            key_error: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: 16 * 1024 * 1024,
            max_download_bytes: 4 * 1024 * 1024 * 1024,
        }
    }

    /// The key from `FOXAPI_API_KEY` and, when set and not empty, the base URL from
    /// `FOXAPI_BASE_URL`.
    pub fn from_env() -> ClientBuilder {
        let mut builder = ClientBuilder::new();
        if let Ok(key) = std::env::var(ENV_API_KEY) {
            builder = builder.api_key_text(ENV_API_KEY, &key);
        }
        if let Some(base) = std::env::var(ENV_BASE_URL)
            .ok()
            .filter(|b| !b.trim().is_empty())
        {
            builder = builder.base_url(base.trim());
        }
        builder
    }

    fn api_key_text(mut self, source: &str, key: &str) -> ClientBuilder {
        match ApiKey::new(key) {
            Ok(key) => {
                self.key = Some(key);
                self.key_error = None;
            }
            Err(e) => {
                self.key = None;
                self.key_error = Some(format!("{source}: {e}"));
            }
        }
        self
    }

    /// The API key.
    #[must_use]
    pub fn api_key(mut self, key: ApiKey) -> ClientBuilder {
        self.key = Some(key);
        self.key_error = None;
        self
    }

    /// The base URL, such as `https://api.foxapi.cc` or `http://127.0.0.1:8080`.
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> ClientBuilder {
        self.base_url = base_url.into();
        self
    }

    /// How long one request to the API may take, body included.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.request_timeout = timeout;
        self
    }

    /// How long connecting may take.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// The largest API response read, in bytes; a larger one breaks the contract.
    #[must_use]
    pub fn max_response_bytes(mut self, limit: usize) -> ClientBuilder {
        self.max_response_bytes = limit;
        self
    }

    /// The largest result file downloaded, in bytes.
    #[must_use]
    pub fn max_download_bytes(mut self, limit: u64) -> ClientBuilder {
        self.max_download_bytes = limit;
        self
    }

    /// The client, or what is missing or malformed.
    pub fn build(self) -> Result<Client, ClientError> {
        let key = match (self.key, self.key_error) {
            (Some(key), _) => key,
            (None, Some(found)) => {
                return Err(ClientError::Config {
                    setting: ENV_API_KEY,
                    expected: "a FoxAPI API key",
                    found,
                })
            }
            (None, None) => {
                return Err(ClientError::Config {
                    setting: ENV_API_KEY,
                    expected: "a FoxAPI API key (set FOXAPI_API_KEY or pass --api-key)",
                    found: "nothing".to_string(),
                })
            }
        };
        let base = parse_base_url(&self.base_url)?;
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(ClientError::Config {
                setting: "timeout",
                expected: "a timeout longer than zero",
                found: "zero".to_string(),
            });
        }
        install_crypto_provider();
        let build_error = |e: reqwest::Error| ClientError::Config {
            setting: "HTTP client",
            expected: "a working TLS setup",
            found: e.without_url().to_string(),
        };
        let user_agent = concat!("foxapi-contract/", env!("CARGO_PKG_VERSION"));
        let api = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            // The key goes only to the API: never follow a redirect elsewhere with it.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .build()
            .map_err(build_error)?;
        let downloads = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout)
            // A video may take long; what must not happen is a stall.
            .read_timeout(self.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            // A redirect to another origin must not learn the signed URL it came from.
            .referer(false)
            .build()
            .map_err(build_error)?;
        Ok(Client {
            inner: Arc::new(super::Inner {
                api,
                downloads,
                base,
                key,
                request_timeout: self.request_timeout,
                max_response_bytes: self.max_response_bytes,
                max_download_bytes: self.max_download_bytes,
            }),
        })
    }
}

/// The base URL, checked: absolute, http or https, no query or fragment.
pub(crate) fn parse_base_url(text: &str) -> Result<url::Url, ClientError> {
    let expected =
        "an absolute http(s) URL without query or fragment, such as https://api.foxapi.cc";
    let found = || format!("{:?}", redact::url(text));
    let mut base = url::Url::parse(text.trim()).map_err(|e| ClientError::Config {
        setting: "base URL",
        expected,
        found: format!("{} ({e})", found()),
    })?;
    if !matches!(base.scheme(), "http" | "https")
        || base.query().is_some()
        || base.fragment().is_some()
    {
        return Err(ClientError::Config {
            setting: "base URL",
            expected,
            found: found(),
        });
    }
    if !base.username().is_empty() || base.password().is_some() {
        // reqwest would send them as Basic auth in place of the bearer key.
        return Err(ClientError::Config {
            setting: "base URL",
            expected: "a URL without user name or password (the API key goes in FOXAPI_API_KEY or --api-key)",
            found: found(),
        });
    }
    // Path segments are appended later: a trailing slash would give `//v1`.
    let path = base.path().trim_end_matches('/').to_string();
    base.set_path(&path);
    Ok(base)
}

/// reqwest is built without a crypto provider (no aws-lc, no OpenSSL): install ring's as
/// the process default, once; a default someone else installed is kept.
pub(crate) fn install_crypto_provider() {
    // Err means a provider is already installed, which is all that is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            parse_base_url("http://127.0.0.1:9/")
                .map(|u| u.to_string())
                .ok(),
            Some("http://127.0.0.1:9/".into())
        );
        assert_eq!(
            parse_base_url("https://h.example/api/")
                .map(|u| u.to_string())
                .ok(),
            Some("https://h.example/api".into())
        );
        for bad in [
            "",
            "api.foxapi.cc",
            "ftp://h.example",
            "https://h.example/?x=1",
            "https://user:hunter2-pass@h.example/",
            "https://user@h.example/",
        ] {
            let e = parse_base_url(bad).expect_err(bad);
            assert!(e.to_string().starts_with("base URL: expected"), "{e}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn no_key_is_a_config_error_that_says_how_to_give_one() {
        let e = ClientBuilder::new().build().expect_err("no key");
        assert!(e.to_string().contains("FOXAPI_API_KEY"), "{e}");
    }
}
