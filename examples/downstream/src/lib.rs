//! What a crate that calls FoxAPI writes with foxapi-contract: responses parsed with `?`, and
//! results items matched with a wildcard arm, so a shape added in a later version of the
//! contract does not break the build.

use foxapi_contract::{Contract, ResultItem, TaskStatus};
use std::error::Error;

/// The URL of the first results item that has one, or `None`. A response that breaks the
/// contract is an error whose message names the first problems and their pointers.
pub fn first_url(body: &[u8]) -> Result<Option<String>, Box<dyn Error + Send + Sync>> {
    let parsed = Contract::global().parse(body)?;
    Ok(parsed
        .results
        .iter()
        .find_map(|item| item.url().map(str::to_string)))
}

/// What a results item is, in a word.
pub fn kind(item: &ResultItem) -> &'static str {
    match item {
        ResultItem::Media(_) | ResultItem::SeededVideo(_) => "a file",
        ResultItem::Voice(_) => "a voice",
        ResultItem::Transcript(_) => "a transcript",
        ResultItem::ChatCompletion(_) => "a chat completion",
        // Shapes this crate does not handle, including those a later contract adds.
        _ => "something else",
    }
}

/// Whether a task is still running, as its status says; a status the contract does not know
/// yet counts as running.
pub fn running(status: &TaskStatus) -> bool {
    !matches!(status, TaskStatus::Completed | TaskStatus::Failed)
}
