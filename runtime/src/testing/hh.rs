//! NEURON's `hh`: the Hodgkin–Huxley (1952) squid axon channels with NEURON's temperature factor
//! `q10 = 3^((celsius − 6.3)/10)`, the rate functions with the `vtrap` guard, the rate TABLE from
//! −100 to 100 mV in 200 intervals (NEURON uses it by default, `usetable_hh = 1`), and `cnexp`
//! state updates.
//!
//! Fields: gnabar, gkbar, gl, el (parameters); gna, gk, ina, ik, il (assigned); m, h, n (states).
//! Globals: `usetable` (settable), then internal table storage.

use super::util::{field, global, hoc_exp, ion_add, ion_get, ion_use, Args, Col};
use crate::abi::{FieldRole::*, KernelArgs, Kernels, MechanismKind, MechanismMeta};

const GNABAR: usize = 0;
const GKBAR: usize = 1;
const GL: usize = 2;
const EL: usize = 3;
const GNA: usize = 4;
const GK: usize = 5;
const INA: usize = 6;
const IK: usize = 7;
const IL: usize = 8;
const M: usize = 9;
const H: usize = 10;
const N: usize = 11;

const G_USETABLE: usize = 0;
const G_TABLE_CELSIUS: usize = 1;
const G_TABLE: usize = 2;
const TABLE_N: usize = 201;
const TMIN: f64 = -100.0;
const TMAX: f64 = 100.0;

/// The six rate values: minf, mtau, hinf, htau, ninf, ntau.
type Rates = [f64; 6];

fn vtrap(x: f64, y: f64) -> f64 {
    if (x / y).abs() < 1e-6 {
        y * (1.0 - x / y / 2.0)
    } else {
        x / (hoc_exp(x / y) - 1.0)
    }
}

/// The rate functions evaluated directly (NEURON's `_f_rates`).
fn rates_exact(v: f64, celsius: f64) -> Rates {
    let q10 = 3f64.powf((celsius - 6.3) / 10.0);
    let alpha = 0.1 * vtrap(-(v + 40.0), 10.0);
    let beta = 4.0 * hoc_exp(-(v + 65.0) / 18.0);
    let sum = alpha + beta;
    let mtau = 1.0 / (q10 * sum);
    let minf = alpha / sum;
    let alpha = 0.07 * hoc_exp(-(v + 65.0) / 20.0);
    let beta = 1.0 / (hoc_exp(-(v + 35.0) / 10.0) + 1.0);
    let sum = alpha + beta;
    let htau = 1.0 / (q10 * sum);
    let hinf = alpha / sum;
    let alpha = 0.01 * vtrap(-(v + 55.0), 10.0);
    let beta = 0.125 * hoc_exp(-(v + 65.0) / 80.0);
    let sum = alpha + beta;
    let ntau = 1.0 / (q10 * sum);
    let ninf = alpha / sum;
    [minf, mtau, hinf, htau, ninf, ntau]
}

/// Rebuilds the table when the temperature changed (NEURON's `_check_rates`).
fn check_table(a: &Args) {
    if a.global(G_USETABLE) == 0.0 {
        return;
    }
    let celsius = a.a.celsius;
    if a.global(G_TABLE_CELSIUS) == celsius {
        return;
    }
    let dx = (TMAX - TMIN) / 200.0;
    let mut x = TMIN;
    for i in 0..TABLE_N {
        let r = rates_exact(x, celsius);
        for (k, val) in r.iter().enumerate() {
            a.set_global(G_TABLE + k * TABLE_N + i, *val);
        }
        x += dx;
    }
    a.set_global(G_TABLE_CELSIUS, celsius);
}

/// Rates through the table (NEURON's `_n_rates`).
fn rates(a: &Args, v: f64) -> Rates {
    if a.global(G_USETABLE) == 0.0 {
        return rates_exact(v, a.a.celsius);
    }
    let mfac = 1.0 / ((TMAX - TMIN) / 200.0);
    let xi = mfac * (v - TMIN);
    let t = |k: usize, i: usize| a.global(G_TABLE + k * TABLE_N + i);
    let mut r = [0.0; 6];
    if xi.is_nan() {
        return [xi; 6];
    }
    if xi <= 0.0 {
        for (k, x) in r.iter_mut().enumerate() {
            *x = t(k, 0);
        }
        return r;
    }
    if xi >= 200.0 {
        for (k, x) in r.iter_mut().enumerate() {
            *x = t(k, 200);
        }
        return r;
    }
    let i = xi as usize;
    let theta = xi - i as f64;
    for (k, x) in r.iter_mut().enumerate() {
        *x = t(k, i) + theta * (t(k, i + 1) - t(k, i));
    }
    r
}

unsafe extern "C" fn init(p: *const KernelArgs) {
    // SAFETY: called by the engine with a valid block.
    let a = unsafe { Args::new(p) };
    check_table(&a);
    for i in 0..a.count() {
        let r = rates(&a, a.v(a.node(i)));
        a.set(M, i, r[0]);
        a.set(H, i, r[2]);
        a.set(N, i, r[4]);
    }
}

/// The per-instance columns of `hh`.
struct Cols {
    gnabar: Col,
    gkbar: Col,
    gl: Col,
    el: Col,
    gna: Col,
    gk: Col,
    ina: Col,
    ik: Col,
    il: Col,
    m: Col,
    h: Col,
    n: Col,
}

impl Cols {
    fn new(a: &Args) -> Cols {
        Cols {
            gnabar: a.col(GNABAR),
            gkbar: a.col(GKBAR),
            gl: a.col(GL),
            el: a.col(EL),
            gna: a.col(GNA),
            gk: a.col(GK),
            ina: a.col(INA),
            ik: a.col(IK),
            il: a.col(IL),
            m: a.col(M),
            h: a.col(H),
            n: a.col(N),
        }
    }

    /// The BREAKPOINT body at voltage v: (total current, ina, ik), assigned fields updated.
    fn current(&self, i: usize, v: f64, ena: f64, ek: f64) -> (f64, f64, f64) {
        let (m, h, n) = (self.m.get(i), self.h.get(i), self.n.get(i));
        let gna = self.gnabar.get(i) * m * m * m * h;
        let ina = gna * (v - ena);
        let gk = self.gkbar.get(i) * n * n * n * n;
        let ik = gk * (v - ek);
        let il = self.gl.get(i) * (v - self.el.get(i));
        self.gna.set(i, gna);
        self.gk.set(i, gk);
        self.ina.set(i, ina);
        self.ik.set(i, ik);
        self.il.set(i, il);
        let mut c = 0.0;
        c += ina;
        c += ik;
        c += il;
        (c, ina, ik)
    }
}

unsafe extern "C" fn cur(p: *const KernelArgs) {
    // SAFETY: called by the engine with a valid block.
    let a = unsafe { Args::new(p) };
    let c = Cols::new(&a);
    let (na, k) = (a.ion(0), a.ion(1));
    for i in 0..a.count() {
        let nd = a.node(i);
        let v = a.v(nd);
        let (ena, ek) = (ion_get(na.erev, nd), ion_get(k.erev, nd));
        let (g1, dina, dik) = c.current(i, v + 0.001, ena, ek);
        let (rhs, ina, ik) = c.current(i, v, ena, ek);
        ion_add(na.didv, nd, (dina - ina) / 0.001);
        ion_add(k.didv, nd, (dik - ik) / 0.001);
        let g = (g1 - rhs) / 0.001;
        ion_add(na.cur, nd, ina);
        ion_add(k.cur, nd, ik);
        a.add(nd, rhs, g);
    }
}

unsafe extern "C" fn state(p: *const KernelArgs) {
    // SAFETY: called by the engine with a valid block.
    let a = unsafe { Args::new(p) };
    check_table(&a);
    let c = Cols::new(&a);
    let dt = a.a.dt;
    for i in 0..a.count() {
        let r = rates(&a, a.v(a.node(i)));
        for (s, inf, tau) in [(c.m, r[0], r[1]), (c.h, r[2], r[3]), (c.n, r[4], r[5])] {
            let x = s.get(i);
            // nocmodl's cnexp form for x' = (inf - x)/tau.
            let x = x + (1.0 - hoc_exp(dt * ((-1.0) / tau))) * (-(inf / tau) / ((-1.0) / tau) - x);
            s.set(i, x);
        }
    }
}

/// Metadata and kernels of `hh`.
pub fn mechanism() -> (MechanismMeta, Kernels) {
    let mut globals = vec![global("usetable", 1.0, true), global("_table_celsius", f64::NAN, false)];
    for name in ["minf", "mtau", "hinf", "htau", "ninf", "ntau"] {
        for i in 0..TABLE_N {
            globals.push(global(&format!("_t_{name}[{i}]"), 0.0, false));
        }
    }
    let meta = MechanismMeta {
        name: "hh".into(),
        kind: MechanismKind::Density,
        fields: vec![
            field("gnabar", Parameter, 0.12, "S/cm2"),
            field("gkbar", Parameter, 0.036, "S/cm2"),
            field("gl", Parameter, 0.0003, "S/cm2"),
            field("el", Parameter, -54.3, "mV"),
            field("gna", Assigned, 0.0, "S/cm2"),
            field("gk", Assigned, 0.0, "S/cm2"),
            field("ina", Assigned, 0.0, "mA/cm2"),
            field("ik", Assigned, 0.0, "mA/cm2"),
            field("il", Assigned, 0.0, "mA/cm2"),
            field("m", State, 0.0, ""),
            field("h", State, 0.0, ""),
            field("n", State, 0.0, ""),
        ],
        globals,
        ions: vec![ion_use("na", &["e"], &["i"]), ion_use("k", &["e"], &["i"])],
        net_receive_args: 0,
        writes_current: true,
        electrode_current: false,
        fingerprint: "testing:hh".into(),
        parallel_safe: true,
    };
    let kernels = Kernels {
        init: Some(init),
        compute_currents: Some(cur),
        advance_state: Some(state),
        ..Kernels::default()
    };
    (meta, kernels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resting_rates_are_classic_values() {
        let r = rates_exact(-65.0, 6.3);
        // Hodgkin–Huxley steady states at rest (−65 mV): m∞ ≈ 0.0529, h∞ ≈ 0.596, n∞ ≈ 0.317.
        assert!((r[0] - 0.0529).abs() < 1e-3);
        assert!((r[2] - 0.596).abs() < 1e-3);
        assert!((r[4] - 0.3177).abs() < 1e-3);
        // vtrap removes the singularity at v = −40 (m) and −55 (n).
        let a = rates_exact(-40.0, 6.3);
        let b = rates_exact(-40.0 + 1e-9, 6.3);
        assert!((a[0] - b[0]).abs() < 1e-9);
        // q10 = 3 at 16.3 °C.
        let w = rates_exact(-65.0, 16.3);
        assert!((r[1] / w[1] - 3.0).abs() < 1e-12);
    }
}
