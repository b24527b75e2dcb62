//! Myelin's runtime: morphologies, discretisation, the cable solver with NEURON's fixed-step
//! numerics, mechanism storage, stimuli, probes and events.
//!
//! The runtime never parses NMODL or recipes: mechanisms arrive as [`abi::MechanismMeta`] plus
//! [`abi::Kernels`], produced by the compiler (JIT or ahead of time) or written by hand, and are
//! registered in a [`catalogue::Catalogue`]. A run is described by a [`spec::SimulationSpec`]
//! (serde JSON), built into an [`engine::Simulation`] and advanced with NEURON's fixed step.

// Validation writes `!(x > 0.0)` on purpose: the negated comparison also rejects NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod abi;
pub mod cable;
pub mod catalogue;
pub mod engine;
pub mod error;
pub mod events;
pub mod expr;
pub mod geometry;
pub mod instantiate;
pub mod ions;
pub mod json_path;
pub mod layout;
pub mod mechanisms;
pub mod morph;
pub mod parallel;
pub mod probes;
pub mod rng;
pub mod spec;
pub mod standalone;
pub mod stimuli;
#[cfg(feature = "testing")]
pub mod testing;

pub use catalogue::Catalogue;
pub use engine::{ProfileEntry, Simulation, ThreadUsage};
pub use error::{RunError, SpecError};
pub use instantiate::{BuildOptions, SegmentFn, SegmentResolver};
pub use spec::SimulationSpec;
