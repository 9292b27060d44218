//! The parse floor of the benchmarks: read every `*.json` file below the given directories and
//! parse it with serde_json, nothing else, on one thread. `bench/compare.sh` times it.
//!
//! It allocates with the system allocator: the floor is what any program that reads and parses
//! the files pays (the `foxapi-contract` command itself allocates with mimalloc).

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn main() {
    let mut paths = Vec::new();
    for arg in std::env::args().skip(1) {
        files(Path::new(&arg), &mut paths);
    }
    paths.sort();
    let (mut parsed, mut refused) = (0usize, 0usize);
    for path in &paths {
        match std::fs::read(path).map(|b| serde_json::from_slice::<serde_json::Value>(&b)) {
            Ok(Ok(_)) => parsed += 1,
            _ => refused += 1,
        }
    }
    println!("{parsed} parsed, {refused} refused");
}
