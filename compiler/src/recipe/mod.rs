//! The recipe language: cells, protocols, features and statements in one declarative, checked
//! file (`.recipe`). `docs/recipe.md` is the language reference.
//!
//! The pipeline, one module per step:
//! * [`scan`] cuts a file into top-level items (error recovery per item);
//! * [`parse`] parses each item with the pest grammar `recipe.pest` into the [`ast`];
//! * [`check`] resolves names (mechanisms, parameters, regions, locations, features), checks
//!   units with the compiler's units machinery and produces the [`model::Model`], everything a
//!   run needs with numbers in the runtime's units; the morphology is loaded and prepared there
//!   ([`shapes`], [`geometry`]) so that locations outside the morphology are diagnostics;
//! * [`lower`] turns a protocol of the model into the runtime's `SimulationSpec`;
//! * [`codegen`] compiles per-segment parameter expressions (distributions) with Cranelift,
//!   in memory or into an object for `myelin build`.
//!
//! The compiler never simulates: statements (`simulate`, `evaluate`, `sweep`) are executed by the
//! `myelin` tool (`src/run/`), which owns simulations, features and output files.

pub mod ast;
pub mod check;
pub mod codegen;
pub mod env;
pub mod expr;
pub mod geometry;
pub mod lower;
pub mod model;
pub mod parse;
pub mod quantity;
pub mod scan;
pub mod shapes;
pub mod suggest;

pub use check::check;
pub use env::Environment;
pub use parse::{parse_file, parse_source};

/// Stable diagnostic codes of the recipe front end (E1xxx, W1xxx).
pub mod codes {
    /// Syntax error.
    pub const SYNTAX: &str = "E1001";
    /// Text at top level that does not start an item.
    pub const TOP_LEVEL: &str = "E1002";
    /// A string not closed on its line.
    pub const UNTERMINATED_STRING: &str = "E1003";
    /// A `{` not closed before the next item or the end of the file.
    pub const UNCLOSED: &str = "E1004";
    /// A closing bracket without an opening one.
    pub const UNMATCHED: &str = "E1005";
    /// Nesting or expression depth beyond what the parser accepts.
    pub const TOO_DEEP: &str = "E1006";
    /// A unit name that is not known.
    pub const UNKNOWN_UNIT: &str = "E1010";
    /// A quantity of the wrong dimension.
    pub const UNIT_MISMATCH: &str = "E1011";
    /// A bare number where a quantity with a unit is required.
    pub const MISSING_UNIT: &str = "E1012";
    /// A name that is not defined.
    pub const UNKNOWN_NAME: &str = "E1020";
    /// A name defined twice.
    pub const DUPLICATE: &str = "E1021";
    /// A mechanism that no mechanism source provides.
    pub const UNKNOWN_MECHANISM: &str = "E1022";
    /// A name that is not a parameter of the mechanism.
    pub const UNKNOWN_MECH_PARAM: &str = "E1023";
    /// A feature name eFEL does not define (or Myelin does not compute).
    pub const UNKNOWN_FEATURE: &str = "E1024";
    /// A key that the item does not accept.
    pub const UNKNOWN_KEY: &str = "E1025";
    /// A required key is missing.
    pub const MISSING_KEY: &str = "E1026";
    /// A region name that is not a section list or a defined region.
    pub const UNKNOWN_REGION: &str = "E1027";
    /// A protocol that is not defined.
    pub const UNKNOWN_PROTOCOL: &str = "E1028";
    /// A variable that cannot be recorded.
    pub const UNKNOWN_VARIABLE: &str = "E1029";
    /// A value outside its allowed range.
    pub const OUT_OF_RANGE: &str = "E1030";
    /// A location that is not on the morphology.
    pub const BAD_LOCATION: &str = "E1031";
    /// A section name that the morphology does not have.
    pub const UNKNOWN_SECTION: &str = "E1032";
    /// An expression of the wrong kind (a region where a number is expected, …).
    pub const WRONG_KIND: &str = "E1033";
    /// A morphology that cannot be read or prepared.
    pub const MORPHOLOGY: &str = "E1040";
    /// A mechanism source (file or directory) that cannot be used.
    pub const MECH_SOURCE: &str = "E1041";
    /// A mechanism of the wrong kind for its use (a point process inserted on a region, …).
    pub const MECH_KIND: &str = "E1042";
    /// A per-segment variable (`distance`, …) outside a mechanism parameter value.
    pub const SEGMENT_VARIABLE: &str = "E1050";
    /// Unknown function, or a call with the wrong arguments.
    pub const BAD_CALL: &str = "E1051";
    /// A distribution that calls itself.
    pub const RECURSION: &str = "E1052";
    /// A free parameter without a value where a value is needed.
    pub const NO_VALUE: &str = "E1060";
    /// Bounds with lower > upper, or a value outside its bounds.
    pub const BAD_BOUNDS: &str = "E1061";
    /// No cell, or a protocol that does not say which of several cells it runs on.
    pub const CELL: &str = "E1070";
    /// A statement that cannot run as written.
    pub const STATEMENT: &str = "E1080";
    /// An item defined twice where only one is allowed (`settings`, `mechanisms`).
    pub const REPEATED_ITEM: &str = "E1081";
    /// A statement of the planned pipeline, recognised but not yet available.
    pub const PLANNED: &str = "E1090";
    /// A region that selects no section.
    pub const EMPTY_REGION: &str = "W1001";
    /// An eFEL setting that Myelin's features do not read.
    pub const IGNORED_SETTING: &str = "W1002";
    /// A parameter that nothing uses.
    pub const UNUSED_PARAM: &str = "W1003";
    /// A mechanism parameter whose units Myelin cannot read (the value is used as written).
    pub const UNCHECKED_UNIT: &str = "W1004";
    /// An ion value that NEURON's initialisation rules override where it is set.
    pub const NO_EFFECT: &str = "W1005";
}
