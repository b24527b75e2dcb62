//! Myelin's runtime: morphologies, discretisation, the cable solver with NEURON's fixed-step
//! numerics, mechanism storage, stimuli, probes and events.
//!
//! The runtime never parses NMODL or recipes: mechanisms arrive as [`abi::MechanismMeta`] plus
//! [`abi::Kernels`], produced by the compiler (JIT or ahead of time) or written by hand.

pub mod abi;
pub mod morph;
