//! Ion species: per-node concentrations, reversal potentials and current accumulators, with
//! NEURON's defaults and `ion_style` rules (`eion.cpp`, `membdef.h`).
//!
//! The style of an ion at a node follows from the mechanisms there (NEURON's `nrn_promote`): a
//! mechanism that writes a concentration makes it a state (initialised from the global `<ion>i0`,
//! `<ion>o0` values at `finitialize`), and then the reversal potential, unless a mechanism writes
//! it, follows the Nernst equation at `finitialize` and at every step. If concentrations are only
//! read, the reversal potential is computed once at `finitialize`. Otherwise it is a parameter.

use crate::abi::{IonColumns, IonUse};

/// Molar gas constant (J/(mol·K)), CODATA 2018 as NEURON computes it (k·N_A).
pub const GAS_CONSTANT: f64 = 1.380649e-23 * 6.02214076e23;
/// Faraday constant (C/mol), CODATA 2018 as NEURON computes it (e·N_A).
pub const FARADAY: f64 = 1.602176634e-19 * 6.02214076e23;

/// NEURON's `nrn_nernst`: reversal potential (mV) for concentrations `ci`, `co` (mM), valence `z`
/// and temperature `celsius` (°C).
pub fn nernst(ci: f64, co: f64, z: f64, celsius: f64) -> f64 {
    if z == 0.0 {
        return 0.0;
    }
    if ci <= 0.0 {
        1e6
    } else if co <= 0.0 {
        -1e6
    } else {
        let ktf = 1000.0 * GAS_CONSTANT * (celsius + 273.15) / FARADAY;
        ktf / z * (co / ci).ln()
    }
}

/// Default values of an ion (NEURON's `membdef.h`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IonDefaults {
    /// Inner concentration (mM), also the default of the global `<ion>i0`.
    pub conc_in: f64,
    /// Outer concentration (mM), also the default of the global `<ion>o0`.
    pub conc_out: f64,
    /// Reversal potential (mV).
    pub erev: f64,
    /// Valence, if NEURON defines one.
    pub valence: Option<f64>,
}

/// NEURON's defaults for `na`, `k`, `ca` and any other ion.
pub fn builtin_defaults(ion: &str) -> IonDefaults {
    match ion {
        "na" => IonDefaults { conc_in: 10.0, conc_out: 140.0, erev: 115.0 + -65.0, valence: Some(1.0) },
        "k" => IonDefaults { conc_in: 54.4, conc_out: 2.5, erev: -12.0 + -65.0, valence: Some(1.0) },
        "ca" => IonDefaults {
            conc_in: 5e-5,
            conc_out: 2.0,
            erev: 12.5 * (2.0f64 / 5e-5).ln(),
            valence: Some(2.0),
        },
        _ => IonDefaults { conc_in: 1.0, conc_out: 1.0, erev: 0.0, valence: None },
    }
}

/// Style bits (NEURON's iontype bitmap).
pub mod style {
    /// Mask of the concentration kind: 0 unused, 1 constant, 2 dependent, 3 state.
    pub const CONC_MASK: u16 = 0o3;
    /// Initialise concentrations from the globals at finitialize.
    pub const CINIT: u16 = 0o4;
    /// Mask of the reversal potential kind (shifted by 3).
    pub const EREV_MASK: u16 = 0o30;
    /// Compute the reversal potential from Nernst at finitialize.
    pub const EINIT: u16 = 0o40;
    /// Compute the reversal potential from Nernst at every step.
    pub const EADVANCE: u16 = 0o100;
}

/// How one mechanism uses an ion, as NEURON's `nrn_promote` arguments: (conc, rev), each 0 unused,
/// 1 read, 3 written.
pub fn use_levels(u: &IonUse) -> (u16, u16) {
    let conc = if u.writes_conc_in || u.writes_conc_out {
        3
    } else if u.reads_conc_in || u.reads_conc_out {
        1
    } else {
        0
    };
    let rev = if u.writes_erev {
        3
    } else if u.reads_erev {
        1
    } else {
        0
    };
    (conc, rev)
}

/// NEURON's `nrn_promote`: combine the style at a node with one more use.
pub fn promote(it: u16, conc: u16, rev: u16) -> u16 {
    let mut oldconc = it & style::CONC_MASK;
    let mut oldrev = (it & style::EREV_MASK) >> 3;
    oldconc = oldconc.max(conc);
    oldrev = oldrev.max(rev);
    if oldconc > 0 && oldrev < 2 {
        oldrev = 2;
    }
    let mut it = it & !0o177;
    it += oldconc + 0o10 * oldrev;
    if oldconc == 3 {
        it += style::CINIT;
        if oldrev == 2 {
            it += style::EADVANCE;
        }
    }
    if oldconc > 0 && oldrev == 2 {
        it += style::EINIT;
    }
    it
}

/// One ion species with per-node columns.
#[derive(Debug, Clone)]
pub struct Ion {
    /// Name (`na`, `k`, `ca`, …).
    pub name: String,
    /// Valence.
    pub valence: f64,
    /// Global `<ion>i0`: inner concentration given to state concentrations at finitialize.
    pub conc_in0: f64,
    /// Global `<ion>o0`.
    pub conc_out0: f64,
    /// Reversal potential per node (mV).
    pub erev: Vec<f64>,
    /// Inner concentration per node (mM).
    pub conc_in: Vec<f64>,
    /// Outer concentration per node (mM).
    pub conc_out: Vec<f64>,
    /// Total current per node (mA/cm²).
    pub cur: Vec<f64>,
    /// d(current)/dv per node (S/cm²).
    pub didv: Vec<f64>,
    /// Style bitmap per node (0 where no mechanism uses the ion).
    pub style: Vec<u16>,
    cinit: Vec<u32>,
    einit: Vec<u32>,
    eadvance: Vec<u32>,
}

impl Ion {
    /// A species over `n_nodes` nodes with default values.
    pub fn new(name: &str, valence: f64, defaults: IonDefaults, n_nodes: usize) -> Ion {
        Ion {
            name: name.to_string(),
            valence,
            conc_in0: defaults.conc_in,
            conc_out0: defaults.conc_out,
            erev: vec![defaults.erev; n_nodes],
            conc_in: vec![defaults.conc_in; n_nodes],
            conc_out: vec![defaults.conc_out; n_nodes],
            cur: vec![0.0; n_nodes],
            didv: vec![0.0; n_nodes],
            style: vec![0; n_nodes],
            cinit: Vec::new(),
            einit: Vec::new(),
            eadvance: Vec::new(),
        }
    }

    /// Records that a mechanism using the ion as `u` sits at `node`.
    pub fn add_use(&mut self, node: u32, u: &IonUse) {
        let (conc, rev) = use_levels(u);
        let s = &mut self.style[node as usize];
        *s = promote(*s, conc, rev);
    }

    /// Freezes the per-node style into node lists; call once after all uses are added.
    pub fn finish_styles(&mut self) {
        self.cinit.clear();
        self.einit.clear();
        self.eadvance.clear();
        for (i, &s) in self.style.iter().enumerate() {
            if s & style::CINIT != 0 {
                self.cinit.push(i as u32);
            }
            if s & style::EINIT != 0 {
                self.einit.push(i as u32);
            }
            if s & style::EADVANCE != 0 {
                self.eadvance.push(i as u32);
            }
        }
    }

    /// True if a mechanism uses the ion at `node`.
    pub fn present(&self, node: u32) -> bool {
        self.style[node as usize] != 0
    }

    /// finitialize (`ion_init`): state concentrations from the globals, then Nernst where the
    /// style asks for it.
    pub fn initialize(&mut self, celsius: f64) {
        for &i in &self.cinit {
            self.conc_in[i as usize] = self.conc_in0;
            self.conc_out[i as usize] = self.conc_out0;
        }
        self.nernst_at_einit(celsius);
    }

    /// Recomputes the reversal potential where the style initialises it (`nrn_wrote_conc`), after
    /// a mechanism wrote concentrations in its INITIAL block.
    pub fn nernst_at_einit(&mut self, celsius: f64) {
        for &i in &self.einit {
            let i = i as usize;
            self.erev[i] = nernst(self.conc_in[i], self.conc_out[i], self.valence, celsius);
        }
    }

    /// Start of the current phase (`ion_cur`): zero the accumulators and follow Nernst where the
    /// concentrations are states.
    pub fn begin_currents(&mut self, celsius: f64) {
        self.cur.fill(0.0);
        self.didv.fill(0.0);
        for &i in &self.eadvance {
            let i = i as usize;
            self.erev[i] = nernst(self.conc_in[i], self.conc_out[i], self.valence, celsius);
        }
    }

    /// Crank–Nicolson correction of the currents to the middle of the step (`second_order_cur`).
    pub fn second_order_correction(&mut self, dv: &[f64]) {
        for ((c, g), x) in self.cur.iter_mut().zip(&self.didv).zip(dv) {
            *c += g * x;
        }
    }

    /// Raw column pointers for kernels.
    pub fn columns(&mut self) -> IonColumns {
        IonColumns {
            cur: self.cur.as_mut_ptr(),
            didv: self.didv.as_mut_ptr(),
            erev: self.erev.as_mut_ptr(),
            conc_in: self.conc_in.as_mut_ptr(),
            conc_out: self.conc_out.as_mut_ptr(),
            valence: self.valence,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iu(reads_ci: bool, writes_ci: bool, reads_e: bool, writes_e: bool) -> IonUse {
        IonUse {
            ion: "ca".into(),
            valence: None,
            reads_conc_in: reads_ci,
            reads_conc_out: false,
            reads_erev: reads_e,
            reads_current: false,
            writes_current: true,
            writes_conc_in: writes_ci,
            writes_conc_out: false,
            writes_erev: writes_e,
        }
    }

    #[test]
    fn nernst_matches_neuron() {
        // NEURON 9: nernst(10, 140, 1) at 6.3 °C = 64.17... and eca default at 6.3 °C.
        let e = nernst(10.0, 140.0, 1.0, 6.3);
        let ktf = 1000.0 * 8.31446261815324 * (6.3 + 273.15) / 96485.33212331001;
        assert!((e - ktf * 14f64.ln()).abs() < 1e-12);
        assert_eq!(nernst(0.0, 1.0, 1.0, 6.3), 1e6);
        assert_eq!(nernst(1.0, 0.0, 1.0, 6.3), -1e6);
        assert_eq!(nernst(1.0, 2.0, 0.0, 6.3), 0.0);
        assert!((builtin_defaults("ca").erev - 132.4579341637009).abs() < 1e-9);
    }

    #[test]
    fn promotion_rules() {
        // Only erev read (hh): constant erev, nothing initialised.
        let s = promote(0, 0, 1);
        assert_eq!(s & (style::CINIT | style::EINIT | style::EADVANCE), 0);
        // Concentration read: erev from Nernst at finitialize only.
        let s = promote(0, 1, 0);
        assert_eq!(s & (style::CINIT | style::EINIT | style::EADVANCE), style::EINIT);
        // Concentration written: state concentrations, Nernst at init and every step.
        let s = promote(promote(0, 0, 1), 3, 0);
        assert_eq!(
            s & (style::CINIT | style::EINIT | style::EADVANCE),
            style::CINIT | style::EINIT | style::EADVANCE
        );
        // Concentration written and erev written: erev is a state of the writer.
        let s = promote(promote(0, 3, 0), 0, 3);
        assert_eq!(s & (style::EINIT | style::EADVANCE), 0);
        assert_eq!(s & style::CINIT, style::CINIT);
    }

    #[test]
    fn ion_init_and_advance() {
        let mut ion = Ion::new("ca", 2.0, builtin_defaults("ca"), 3);
        ion.add_use(0, &iu(false, false, true, false));
        ion.add_use(1, &iu(true, false, false, false));
        ion.add_use(2, &iu(false, true, true, false));
        ion.finish_styles();
        ion.conc_in[1] = 1e-4;
        ion.conc_in[2] = 7.0;
        ion.erev[0] = 120.0;
        ion.initialize(34.0);
        assert_eq!(ion.erev[0], 120.0);
        assert_eq!(ion.erev[1], nernst(1e-4, 2.0, 2.0, 34.0));
        assert_eq!(ion.conc_in[2], 5e-5);
        assert_eq!(ion.erev[2], nernst(5e-5, 2.0, 2.0, 34.0));
        ion.conc_in[1] = 2e-4;
        ion.conc_in[2] = 3e-4;
        ion.begin_currents(34.0);
        assert_eq!(ion.erev[1], nernst(1e-4, 2.0, 2.0, 34.0));
        assert_eq!(ion.erev[2], nernst(3e-4, 2.0, 2.0, 34.0));
    }
}
