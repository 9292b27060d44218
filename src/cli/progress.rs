//! A progress bar for long runs: on a terminal only, silent when piped or in CI.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Whether a progress bar may be drawn: standard error is a terminal and CI is not set.
pub fn wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// A spinner counting checked responses, or a hidden one.
pub fn counter(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {pos} responses checked ({per_sec}) {msg}")
    {
        bar.set_style(style);
    }
    bar
}
