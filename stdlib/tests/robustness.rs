//! No input that passes `Trace::new` and `Settings::validate` makes a feature panic: random
//! traces (duplicate times, plateaus on the threshold, spikes, windows outside the trace) with
//! random settings, through every feature.

use myelin_stdlib::efeatures::{BaseMode, Feature, FeatureExtractor, Settings, Trace};

/// xorshift64*: a small deterministic generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn random_traces_and_settings_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut computed = 0usize;
    for _ in 0..3000 {
        let n = 3 + rng.below(400) as usize;
        let mut t = Vec::with_capacity(n);
        let mut v = Vec::with_capacity(n);
        let mut time = rng.range(-50.0, 50.0);
        let threshold = rng.range(-40.0, 0.0);
        for _ in 0..n {
            t.push(time);
            // Some zero steps (duplicate times), mostly small ones.
            time += match rng.below(10) {
                0 => 0.0,
                1 => rng.range(0.0, 5.0),
                _ => rng.range(0.001, 0.3),
            };
            v.push(match rng.below(6) {
                0 => threshold,
                1 => rng.range(0.0, 40.0),
                2 => -70.0,
                _ => rng.range(-90.0, 30.0),
            });
        }
        let trace = Trace::new(&t, &v).unwrap();
        let span = t[n - 1] - t[0];
        let start = t[0] + rng.range(-0.5, 1.2) * span;
        let mut s = Settings::new(start, start + rng.range(0.01, 1.5) * span.max(0.1));
        s.threshold = threshold;
        s.interp_step = [0.001, 0.025, 0.1, 0.7, 10.0][rng.below(5) as usize];
        s.strict_stiminterval = rng.below(2) == 0;
        s.derivative_threshold = rng.range(-5.0, 30.0);
        s.derivative_window = rng.below(12) as usize;
        s.voltage_base_mode = if rng.below(2) == 0 { BaseMode::Mean } else { BaseMode::Median };
        s.voltage_base_start_perc = rng.range(0.0, 1.2);
        s.ignore_first_isi = rng.below(2) == 0;
        s.sahp_start = rng.range(0.0, 20.0);
        s.rise_start_perc = rng.range(-0.5, 1.5);
        s.rise_end_perc = rng.range(-0.5, 1.5);
        s.decay_start_after_stim = rng.range(-5.0, 20.0);
        s.decay_end_after_stim = rng.range(-5.0, 30.0);
        s.stimulus_current = if rng.below(3) == 0 { None } else { Some(rng.range(-1.0, 1.0)) };
        let mut ex = FeatureExtractor::new(trace, s).unwrap();
        for &f in Feature::ALL {
            computed += usize::from(ex.get(f).is_some());
        }
    }
    assert!(computed > 10_000, "too few features computed ({computed}): the generator is too tame");
}
