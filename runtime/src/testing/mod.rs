//! Test mechanisms written in Rust against the mechanism ABI, from the published equations of
//! NEURON's built-in `hh`, `pas`, `ExpSyn`, `Exp2Syn` and `NetStim`, plus two small calcium
//! mechanisms used to test ion handling. They reproduce the code nocmodl generates (two-point
//! finite-difference conductance, `cnexp` updates in nocmodl's form, hh's rate TABLE, `exp` clamped
//! as NEURON's `hoc_Exp`), so that traces agree with NEURON's to rounding.
//!
//! They exist so that the engine can be tested before the compiler produces kernels, and will be
//! superseded by compiled .mod files. Enabled by the `testing` cargo feature.

pub mod calcium;
pub mod hh;
pub mod netstim;
pub mod pas;
pub mod synapses;
mod util;

use crate::catalogue::Catalogue;

/// A catalogue with every test mechanism, in the order hh, pas, ExpSyn, Exp2Syn, NetStim,
/// ca_leak, cadyn.
pub fn catalogue() -> Catalogue {
    let mut c = Catalogue::new();
    for (meta, k) in [
        hh::mechanism(),
        pas::mechanism(),
        synapses::expsyn(),
        synapses::exp2syn(),
        netstim::mechanism(),
        calcium::ca_leak(),
        calcium::cadyn(),
    ] {
        c.register(meta, k).expect("test mechanisms have unique names");
    }
    c
}
