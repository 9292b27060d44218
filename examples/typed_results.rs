//! How another crate uses the types: parse a task answer, check it against the contract,
//! and match on its results, typed by model.
//!
//! Run: `cargo run --example typed_results -- fixtures/valid/model/scribe-v2.json`

use foxapi_contract::{Contract, ResultItem, TaskStatus};

fn main() -> std::process::ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures/valid/model/patina-material.json".to_string());
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{path}: cannot read: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let parsed = match Contract::global().parse(&bytes) {
        Ok(parsed) => parsed,
        Err(report) => {
            for error in &report.errors {
                eprintln!("{path}: {error}");
            }
            return std::process::ExitCode::FAILURE;
        }
    };
    let task = &parsed.task;
    println!(
        "{} ({}, {}): {}",
        task.id, task.model, task.type_, task.status
    );
    if task.status == TaskStatus::Completed && !task.is_terminal() {
        println!("completed without results yet: poll again in a few seconds");
    }
    for (i, item) in parsed.results.iter().enumerate() {
        let line = match item {
            ResultItem::Media(m) => match m.duration.as_ref().and_then(|d| d.seconds()) {
                Some(seconds) => format!("file {} ({seconds} s)", m.url.as_str()),
                None => format!("file {}", m.url.as_str()),
            },
            ResultItem::SeededVideo(v) => format!("video {} (seed {})", v.url.as_str(), v.seed),
            ResultItem::Voice(v) => format!("voice id {}", v.voice_id),
            ResultItem::Character(c) => format!("character {} ({})", c.character_id, c.name),
            ResultItem::Profile(p) => format!("profile {}", p.profile_id),
            ResultItem::Transcript(t) => format!(
                "transcript [{}] {:?}, {} words",
                t.language_code,
                t.text,
                t.words.len()
            ),
            ResultItem::ChatCompletion(c) => {
                let message = c.choices.first().map(|choice| &choice.message);
                let answer = message.and_then(|m| m.content.clone()).unwrap_or_default();
                let calls: Vec<&str> = message
                    .and_then(|m| m.tool_calls.as_deref())
                    .unwrap_or_default()
                    .iter()
                    .map(|call| call.function.name.as_str())
                    .collect();
                if calls.is_empty() {
                    format!("chat completion {}: {answer}", c.model)
                } else {
                    format!("chat completion {}: calls {}", c.model, calls.join(", "))
                }
            }
            ResultItem::PbrMap(m) => format!("PBR map {} at {}", m.map_type, m.url.as_str()),
            ResultItem::Texture(t) => format!("texture {}", t.url.as_str()),
            ResultItem::Untyped(value) => format!("untyped item {value}"),
            // `ResultItem` grows with the contract: a shape added later lands here.
            other => match other.url() {
                Some(url) => format!("a newer shape at {url}"),
                None => "a newer shape".to_string(),
            },
        };
        println!("  results[{i}]: {line}");
    }
    for warning in &parsed.warnings {
        println!("  warning {warning}");
    }
    std::process::ExitCode::SUCCESS
}
