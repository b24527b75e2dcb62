//! Electrode stimuli written in Rust: current clamps (NEURON's `IClamp`), played current
//! waveforms (holding, steps and ramps), a seeded noise current, and the single-electrode voltage
//! clamp (NEURON's `SEClamp`).
//!
//! Each kind is stored as structure-of-arrays and evaluated once per step at NEURON's mid-step
//! time `t + dt/2`, exactly as their BREAKPOINT blocks are. Like ELECTRODE_CURRENT mechanisms they
//! add to the electrode accumulators with NEURON's electrode sign (positive into the cell): an
//! injected current `i` (nA) adds `i·100/area`, and a voltage clamp also adds its dI/dv.

use crate::rng::Rng;

/// Current clamps: `i = amp` for `del ≤ t < del + dur` (t at mid-step), else 0.
#[derive(Debug, Clone, Default)]
pub struct IClamps {
    /// Node.
    pub node: Vec<u32>,
    /// 100 / node area.
    pub scale: Vec<f64>,
    /// Onset (ms).
    pub del: Vec<f64>,
    /// Duration (ms).
    pub dur: Vec<f64>,
    /// Amplitude (nA).
    pub amp: Vec<f64>,
    /// Current of the last evaluation (nA, positive into the cell).
    pub i: Vec<f64>,
}

/// Piecewise-linear current waveforms (nA) given at times (ms).
///
/// Before the first time the first value holds, after the last time the last value; in between
/// the value is interpolated linearly. Where a time is repeated the waveform jumps: at exactly that
/// time the later value applies.
#[derive(Debug, Clone, Default)]
pub struct Waveforms {
    /// Node.
    pub node: Vec<u32>,
    /// 100 / node area.
    pub scale: Vec<f64>,
    /// Offsets into `times`/`values`: waveform k uses `start[k]..start[k + 1]`.
    pub start: Vec<usize>,
    /// Times of all waveforms.
    pub times: Vec<f64>,
    /// Values of all waveforms.
    pub values: Vec<f64>,
    /// Current of the last evaluation (nA).
    pub i: Vec<f64>,
    cursor: Vec<usize>,
}

/// Gaussian noise currents: a fresh sample `mean + std·N(0,1)` every step while
/// `del ≤ t < del + dur`, from a generator seeded per source.
#[derive(Debug, Clone, Default)]
pub struct Noises {
    /// Node.
    pub node: Vec<u32>,
    /// 100 / node area.
    pub scale: Vec<f64>,
    /// Onset (ms).
    pub del: Vec<f64>,
    /// Duration (ms).
    pub dur: Vec<f64>,
    /// Mean (nA).
    pub mean: Vec<f64>,
    /// Standard deviation (nA).
    pub std: Vec<f64>,
    /// Seed of each source.
    pub seed: Vec<u64>,
    /// Current of the last evaluation (nA).
    pub i: Vec<f64>,
    rng: Vec<Rng>,
}

/// Single-electrode voltage clamps with NEURON's `SEClamp` semantics: three levels `amp1..3`
/// held for `dur1..3` from t = 0, series resistance `rs` (MΩ), current `i = (vc − v)/rs` (nA,
/// positive into the cell) while on, off (i = 0) after `dur1 + dur2 + dur3`.
#[derive(Debug, Clone, Default)]
pub struct SEClamps {
    /// Node.
    pub node: Vec<u32>,
    /// 100 / node area.
    pub scale: Vec<f64>,
    /// Series resistance (MΩ).
    pub rs: Vec<f64>,
    /// Durations (ms).
    pub dur: Vec<[f64; 3]>,
    /// Levels (mV).
    pub amp: Vec<[f64; 3]>,
    /// Command voltage of the last evaluation (mV).
    pub vc: Vec<f64>,
    /// Current (nA): after each step, `(vc − v)/rs` with the new v, as NEURON's `SOLVE icur`.
    pub i: Vec<f64>,
    /// 1 while clamping.
    pub on: Vec<f64>,
}

/// All native stimuli of a simulation.
#[derive(Debug, Clone, Default)]
pub struct Stimuli {
    /// Current clamps.
    pub iclamp: IClamps,
    /// Waveforms.
    pub waveform: Waveforms,
    /// Noise currents.
    pub noise: Noises,
    /// Voltage clamps.
    pub seclamp: SEClamps,
}

impl Waveforms {
    /// Adds a waveform; times must be non-decreasing.
    pub fn push(&mut self, node: u32, scale: f64, times: &[f64], values: &[f64]) {
        if self.start.is_empty() {
            self.start.push(0);
        }
        self.node.push(node);
        self.scale.push(scale);
        self.times.extend_from_slice(times);
        self.values.extend_from_slice(values);
        self.start.push(self.times.len());
        self.i.push(0.0);
        self.cursor.push(0);
    }

    fn value(&mut self, k: usize, t: f64) -> f64 {
        let (s, e) = (self.start[k], self.start[k + 1]);
        let ts = &self.times[s..e];
        let ys = &self.values[s..e];
        if t < ts[0] {
            return ys[0];
        }
        if t >= ts[ts.len() - 1] {
            return ys[ys.len() - 1];
        }
        // Find j with ts[j] <= t < ts[j + 1]; time moves forward, so start from the last cursor.
        let mut j = self.cursor[k].min(ts.len() - 2);
        while j > 0 && ts[j] > t {
            j -= 1;
        }
        while ts[j + 1] <= t {
            j += 1;
        }
        self.cursor[k] = j;
        let (t0, t1) = (ts[j], ts[j + 1]);
        ys[j] + (ys[j + 1] - ys[j]) * ((t - t0) / (t1 - t0))
    }
}

impl Noises {
    /// Adds a noise source.
    pub fn push(&mut self, node: u32, scale: f64, del: f64, dur: f64, mean: f64, std: f64, seed: u64) {
        self.node.push(node);
        self.scale.push(scale);
        self.del.push(del);
        self.dur.push(dur);
        self.mean.push(mean);
        self.std.push(std);
        self.seed.push(seed);
        self.i.push(0.0);
        self.rng.push(Rng::new(seed));
    }
}

impl Stimuli {
    /// finitialize: reset generators and clamp state.
    pub fn initialize(&mut self) {
        let n = &mut self.noise;
        for k in 0..n.rng.len() {
            n.rng[k] = Rng::new(n.seed[k]);
            n.i[k] = 0.0;
        }
        self.waveform.cursor.fill(0);
        let c = &mut self.seclamp;
        c.on.fill(0.0);
        c.i.fill(0.0);
        c.vc.fill(0.0);
    }

    /// True if there are no stimuli at all.
    pub fn is_empty(&self) -> bool {
        self.iclamp.node.is_empty()
            && self.waveform.node.is_empty()
            && self.noise.node.is_empty()
            && self.seclamp.node.is_empty()
    }

    /// Adds the electrode currents at time `t` (mid-step) to `i_acc` (electrode sign, positive
    /// into the cell, mA/cm²) and their dI/dv to `g_acc` (S/cm²).
    pub fn add_currents(&mut self, t: f64, v: &[f64], i_acc: &mut [f64], g_acc: &mut [f64]) {
        let c = &mut self.iclamp;
        for k in 0..c.node.len() {
            let i = if t < c.del[k] + c.dur[k] && t >= c.del[k] { c.amp[k] } else { 0.0 };
            c.i[k] = i;
            i_acc[c.node[k] as usize] += i * c.scale[k];
        }
        for k in 0..self.waveform.node.len() {
            let i = self.waveform.value(k, t);
            let w = &mut self.waveform;
            w.i[k] = i;
            i_acc[w.node[k] as usize] += i * w.scale[k];
        }
        let n = &mut self.noise;
        for k in 0..n.node.len() {
            let i = if t < n.del[k] + n.dur[k] && t >= n.del[k] {
                n.mean[k] + n.std[k] * n.rng[k].normal()
            } else {
                0.0
            };
            n.i[k] = i;
            i_acc[n.node[k] as usize] += i * n.scale[k];
        }
        let c = &mut self.seclamp;
        for k in 0..c.node.len() {
            let node = c.node[k] as usize;
            let [d1, d2, d3] = c.dur[k];
            let tc2 = d1 + d2;
            let tc3 = tc2 + d3;
            let (vc, on) = if t < d1 {
                (c.amp[k][0], 1.0)
            } else if t < tc2 {
                (c.amp[k][1], 1.0)
            } else if t < tc3 {
                (c.amp[k][2], 1.0)
            } else {
                (0.0, 0.0)
            };
            c.vc[k] = vc;
            c.on[k] = on;
            let vn = v[node];
            // NEURON evaluates the BREAKPOINT at v + 0.001 and at v; dI/dv by the difference.
            let (i1, i0) =
                if on != 0.0 { ((vc - (vn + 0.001)) / c.rs[k], (vc - vn) / c.rs[k]) } else { (0.0, 0.0) };
            let g = (i1 - i0) / 0.001;
            c.i[k] = i0;
            i_acc[node] += i0 * c.scale[k];
            g_acc[node] += g * c.scale[k];
        }
    }

    /// After the voltage update: the clamp current with the new voltage.
    pub fn after_solve(&mut self, v: &[f64]) {
        let c = &mut self.seclamp;
        for k in 0..c.node.len() {
            c.i[k] = if c.on[k] != 0.0 { (c.vc[k] - v[c.node[k] as usize]) / c.rs[k] } else { 0.0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iclamp_window_and_sign() {
        let mut s = Stimuli {
            iclamp: IClamps {
                node: vec![0],
                scale: vec![2.0],
                del: vec![1.0],
                dur: vec![2.0],
                amp: vec![0.5],
                i: vec![0.0],
            },
            ..Stimuli::default()
        };
        let v = [0.0];
        for (t, on) in [(0.999, false), (1.0, true), (2.999, true), (3.0, false)] {
            let (mut i, mut g) = ([0.0], [0.0]);
            s.add_currents(t, &v, &mut i, &mut g);
            assert_eq!(i[0], if on { 1.0 } else { 0.0 }, "t = {t}");
            assert_eq!(g[0], 0.0);
        }
    }

    #[test]
    fn waveform_interpolates_and_jumps() {
        let mut w = Waveforms::default();
        w.push(0, 1.0, &[0.0, 10.0, 10.0, 20.0, 30.0], &[0.0, 0.0, 1.0, 3.0, 0.0]);
        assert_eq!(w.value(0, -1.0), 0.0);
        assert_eq!(w.value(0, 5.0), 0.0);
        assert_eq!(w.value(0, 10.0), 1.0);
        assert_eq!(w.value(0, 15.0), 2.0);
        assert_eq!(w.value(0, 25.0), 1.5);
        assert_eq!(w.value(0, 12.0), 1.4);
        assert_eq!(w.value(0, 40.0), 0.0);
    }

    #[test]
    fn seclamp_levels_and_conductance() {
        let mut s = Stimuli {
            seclamp: SEClamps {
                node: vec![0],
                scale: vec![1.0],
                rs: vec![2.0],
                dur: vec![[1.0, 1.0, 1.0]],
                amp: vec![[-70.0, 0.0, -50.0]],
                vc: vec![0.0],
                i: vec![0.0],
                on: vec![0.0],
            },
            ..Stimuli::default()
        };
        let v = [-60.0];
        let (mut i, mut g) = ([0.0], [0.0]);
        s.add_currents(1.5, &v, &mut i, &mut g);
        assert_eq!(s.seclamp.vc[0], 0.0);
        assert_eq!(s.seclamp.i[0], 30.0);
        assert_eq!(i[0], 30.0);
        assert!((g[0] + 0.5).abs() < 1e-9);
        let (mut i, mut g) = ([0.0], [0.0]);
        s.add_currents(3.5, &v, &mut i, &mut g);
        assert_eq!((i[0], g[0], s.seclamp.on[0]), (0.0, 0.0, 0.0));
    }
}
