//! Per-response cost of the three steps, on a fixture of each size class: parse (serde_json
//! to a Value), validate (the compiled contract, warnings included) and typed parse (the
//! generated types and the results typed by model). Figures go to BENCHMARKS.md.
//!
//! `cargo bench --bench contract`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use foxapi_contract::{Contract, Task};
use serde::Deserialize;
use std::hint::black_box;

const CASES: &[(&str, &str)] = &[
    ("media", "fixtures/valid/type/image.json"),
    ("pbr-maps", "fixtures/valid/model/patina-pbr-maps.json"),
    ("chat-completion", "fixtures/valid/type/llm.json"),
    ("transcript", "fixtures/valid/model/scribe-v2.json"),
    ("invalid-url", "fixtures/invalid/result-url-relative.json"),
];

fn per_response(c: &mut Criterion) {
    let contract = Contract::global();
    for (name, path) in CASES {
        let bytes =
            std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        let mut group = c.benchmark_group(*name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("parse", |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).expect("JSON"))
        });
        group.bench_function("validate", |b| {
            b.iter(|| contract.validate_value(black_box(&value)))
        });
        group.bench_function("typed", |b| {
            b.iter(|| {
                Task::deserialize(black_box(&value)).map(|t| t.typed_results().map(|r| r.len()))
            })
        });
        group.bench_function("bytes_to_report", |b| {
            b.iter(|| contract.validate(black_box(&bytes)))
        });
        group.finish();
    }
}

criterion_group!(benches, per_response);
criterion_main!(benches);
