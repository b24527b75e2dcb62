//! BluePyOpt and BluePyEModel e-models: reading their configuration files and lowering a
//! protocol of an e-model to a runtime [`SimulationSpec`](myelin_runtime::spec::SimulationSpec).
//!
//! * [`model`]: the configuration as data (mechanisms per section list, parameters with frozen
//!   values or bounds, distributions);
//! * [`example`]: BluePyOpt's example files (`mechanisms.json` + `parameters.json`, or
//!   `params.json` + `fixed_params.json`);
//! * [`bpem`]: BluePyEModel's model configuration (legacy dict and list formats);
//! * [`protocols`]: step/holding protocols and their recordings (BluePyOpt and BluePyEModel
//!   formats);
//! * [`distribution`]: BluePyOpt's per-segment distribution strings as runtime expressions;
//! * [`lower`]: morphology preparation and the lowering itself;
//! * [`json`], [`error`]: ordered JSON with located errors (file, JSON path, hint).
//!
//! The whole path, as `myelin bluepyopt run` takes it:
//!
//! ```no_run
//! use myelin_stdlib::bluepyopt::{example, json::Document, lower, protocols};
//! # fn main() -> Result<(), myelin_stdlib::bluepyopt::error::ConfigError> {
//! let dir = std::path::Path::new("examples/l5pc/config");
//! let config = example::read_dir(dir)?;
//! let values = config.resolve(&Document::read("release_params.json".as_ref())?)?;
//! let protos = protocols::read(&Document::read(&dir.join("protocols.json"))?)?;
//! let step1 = protocols::find(&protos, "Step1", "protocols.json")?;
//! let file = std::path::Path::new("morphology/C060114A7.asc");
//! let morph = lower::prepare_morphology(file, lower::MorphologyOptions::default())?;
//! let spec = lower::lower(&config, &values, &morph, file, step1, &lower::Settings::default())?;
//! # let _ = spec; Ok(()) }
//! ```

pub mod bpem;
pub mod distribution;
pub mod error;
pub mod example;
pub mod json;
pub mod lower;
pub mod model;
pub mod protocols;

pub use error::ConfigError;
pub use model::EModelConfig;
