//! Myelin's standard library: electrophysiology features with eFEL's definitions, BluePyOpt
//! scores, and (later) optimisation, validation, model management and export.
//!
//! * [`bluepyopt`]: BluePyOpt / BluePyEModel e-model configurations and their lowering;
//! * [`efeatures`]: eFEL 5.7's pre-processing and features on borrowed traces;
//! * [`efel_settings`]: eFEL settings by name and BluePyEModel's per-efeature settings;
//! * [`scores`]: BluePyOpt and BluePyEModel scores, objectives and their names;
//! * [`trace_csv`]: reading traces from CSV with located errors.

pub mod bluepyopt;
pub mod efeatures;
pub mod efel_settings;
pub mod scores;
pub mod trace_csv;
