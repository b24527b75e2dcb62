//! Numerical methods shared by the interpreter and generated code: the symbolic core used to
//! derive cnexp updates and conductances, and the Newton solver for implicit systems.

pub mod newton;
pub mod symbolic;
