//! The NMODL front end: scanning into top-level items, the pest grammar, the typed syntax tree,
//! and the printer.

pub mod ast;
pub mod dump;
pub mod parse;
pub mod print;
pub mod scan;
pub mod sema;

pub use parse::{parse_file, parse_source, Parsed};
