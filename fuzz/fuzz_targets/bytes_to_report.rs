//! Any bytes to a report: never a panic, always a verdict, and a response the contract accepts
//! always parses into the types.
#![no_main]

use foxapi_contract::{Contract, Rule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let report = Contract::global().validate(bytes);
    assert!(report.errors.iter().all(|e| !e.message.is_empty()));
    assert!(!report.errors.iter().any(|e| e.rule == Rule::ContractBug), "{:?}", report.errors);
    assert_eq!(report.is_valid(), Contract::global().parse(bytes).is_ok());
});
