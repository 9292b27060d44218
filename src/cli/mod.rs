//! The command line: argument parsing and output formats only; the work is the library's.

pub mod format;
pub mod progress;
pub mod proxy;
pub mod schema;
pub mod secret;
pub mod serve;
pub mod task;
pub mod validate;
