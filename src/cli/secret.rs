//! Reading the API key from the command line or the environment without ever echoing it:
//! clap quotes a value it cannot parse, so the key gets a parser whose errors never do.

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use foxapi_contract::ApiKey;
use std::ffi::OsStr;

/// Parses `--api-key` / `FOXAPI_API_KEY` into an [`ApiKey`]; a refusal names the argument and
/// what was expected, never the value.
#[derive(Clone, Copy, Debug, Default)]
pub struct ApiKeyParser;

impl TypedValueParser for ApiKeyParser {
    type Value = ApiKey;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<ApiKey, clap::Error> {
        let refused = |why: String| {
            let name = arg.and_then(clap::Arg::get_long).map_or_else(
                || "the API key".to_string(),
                |l| format!("--{l} (or FOXAPI_API_KEY)"),
            );
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!("{name}: {why} (the value is not shown)\n"),
            )
            .with_cmd(cmd)
        };
        let text = value
            .to_str()
            .ok_or_else(|| refused("expected UTF-8 text, found other bytes".to_string()))?;
        ApiKey::new(text).map_err(|e| refused(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_key_is_never_echoed() {
        let cmd = clap::Command::new("t").arg(clap::Arg::new("api_key").long("api-key"));
        let error = ApiKeyParser
            .parse_ref(
                &cmd,
                cmd.get_arguments().next(),
                OsStr::new("sk-secret with-space"),
            )
            .expect_err("a space is refused");
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("sk-secret"), "{shown}");
        assert!(shown.contains("--api-key"), "{shown}");
        assert!(ApiKeyParser
            .parse_ref(&cmd, None, OsStr::new("sk-okay-1"))
            .is_ok());
    }
}
