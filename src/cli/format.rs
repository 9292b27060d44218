//! Where a run's report goes: standard output and any `--report` files, each in a format.

use std::path::PathBuf;
use std::str::FromStr;

pub use foxapi_contract::harness::report::Format;

/// One `--report` destination: `PATH` (format from the extension) or `FORMAT:PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    /// The format written.
    pub format: Format,
    /// The file written.
    pub path: PathBuf,
}

impl FromStr for Destination {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let named = |name: &str| match name {
            "human" | "txt" | "text" => Some(Format::Human),
            "json" => Some(Format::Json),
            "junit" | "xml" => Some(Format::Junit),
            _ => None,
        };
        if let Some((prefix, path)) = text.split_once(':') {
            if let Some(format) = named(prefix) {
                if path.is_empty() {
                    return Err(format!("expected a path after {prefix:?}, found nothing"));
                }
                return Ok(Destination {
                    format,
                    path: PathBuf::from(path),
                });
            }
        }
        let path = PathBuf::from(text);
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        named(&extension).map(|format| Destination { format, path: path.clone() }).ok_or_else(|| {
            format!("expected a report path ending in .json, .xml or .txt, or FORMAT:PATH (human, json, junit), found {text:?}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_comes_from_a_prefix_or_the_extension() {
        assert_eq!(
            "out/r.xml".parse::<Destination>().unwrap().format,
            Format::Junit
        );
        assert_eq!(
            "json:out/report".parse::<Destination>().unwrap().format,
            Format::Json
        );
        assert_eq!(
            "r.txt".parse::<Destination>().unwrap().format,
            Format::Human
        );
        assert!("r.bin"
            .parse::<Destination>()
            .unwrap_err()
            .contains("r.bin"));
        assert!("json:".parse::<Destination>().is_err());
    }
}
