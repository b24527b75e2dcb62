//! Myelin's standard library: electrophysiology features with eFEL's definitions, BluePyOpt
//! scores, and (later) optimisation, validation, model management and export.

pub mod efeatures;
pub mod scores;
pub mod trace_csv;
