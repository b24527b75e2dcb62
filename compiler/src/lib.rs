//! Myelin's compiler: the NMODL and recipe front ends (pest grammars, typed ASTs with spans,
//! semantic checks, units), the mechanism IR, the solvers that give NEURON's semantics, and
//! Cranelift code generation for JIT and ahead-of-time kernels.

pub mod aot;
pub mod codegen;
pub mod diag;
pub mod driver;
pub mod interp;
pub mod mir;
pub mod nmodl;
pub mod recipe;
pub mod solve;
pub mod units;
