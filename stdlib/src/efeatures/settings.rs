//! eFEL settings: the knobs every feature reads, with eFEL 5.7's defaults.
//!
//! A [`Settings`] value plays the role of eFEL's global settings plus the trace's `stim_start`
//! and `stim_end`. BluePyOpt and BluePyEModel reset eFEL before every feature, so one value per
//! (trace, feature group) is the natural unit; [`Settings::validate`] applies the checks eFEL's
//! Python layer makes before it computes anything.

use std::fmt;

/// How `voltage_base` summarises its window (eFEL setting `voltage_base_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BaseMode {
    /// Arithmetic mean (eFEL's default).
    #[default]
    Mean,
    /// Median (sort, middle sample or mean of the two middle samples).
    Median,
}

/// Settings of one feature computation (eFEL's settings plus the stimulus window).
///
/// Field names follow eFEL's setting names in snake case; defaults are eFEL 5.7's.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Stimulus start (ms), eFEL trace key `stim_start`.
    pub stim_start: f64,
    /// Stimulus end (ms), eFEL trace key `stim_end`; must be larger than `stim_start`.
    pub stim_end: f64,
    /// Spike detection threshold (mV), `Threshold`, default −20.
    pub threshold: f64,
    /// dV/dt threshold of the AP onset (mV/ms), `DerivativeThreshold`, default 10.
    pub derivative_threshold: f64,
    /// dV/dt threshold of the AP end (mV/ms), `DownDerivativeThreshold`, default −12.
    pub down_derivative_threshold: f64,
    /// Number of samples whose dV/dt must all exceed the threshold at the AP onset,
    /// `DerivativeWindow`, default 3.
    pub derivative_window: usize,
    /// Interpolation step (ms), `interp_step`, default 0.1.
    pub interp_step: f64,
    /// Keep only peaks inside [stim_start, stim_end], `strict_stiminterval`, default false.
    pub strict_stiminterval: bool,
    /// Start of the `voltage_base` window as a fraction of `stim_start`, default 0.9.
    pub voltage_base_start_perc: f64,
    /// End of the `voltage_base` window as a fraction of `stim_start`, default 1.0.
    pub voltage_base_end_perc: f64,
    /// Mean or median for `voltage_base`, default mean.
    pub voltage_base_mode: BaseMode,
    /// Time tolerance of window ends (ms), `precision_threshold`, default 1e-10.
    pub precision_threshold: f64,
    /// Drop the first ISI in ISI_CV, ISI_values and burst detection, `ignore_first_ISI`, default true.
    pub ignore_first_isi: bool,
    /// Burst detection factor, `burst_factor`, default 1.5.
    pub burst_factor: f64,
    /// Delay after a spike before the slow AHP search (ms), `sahp_start`, default 5.
    pub sahp_start: f64,
    /// Start of the AP rise as a fraction of the amplitude, `rise_start_perc`, default 0.
    pub rise_start_perc: f64,
    /// End of the AP rise as a fraction of the amplitude, `rise_end_perc`, default 1.
    pub rise_end_perc: f64,
    /// Widening of the spike window of `adaptation_index2` (ms), `offset`, default 0.
    pub offset: f64,
    /// Start of the decay fit after the stimulus (ms), `decay_start_after_stim`, default 1.
    pub decay_start_after_stim: f64,
    /// End of the decay fit after the stimulus (ms), `decay_end_after_stim`, default 10.
    pub decay_end_after_stim: f64,
    /// Injected current (nA) for the input resistance features, `stimulus_current`; eFEL has no
    /// default, so those features fail when it is unset.
    pub stimulus_current: Option<f64>,
}

impl Settings {
    /// eFEL's defaults with the given stimulus window.
    pub fn new(stim_start: f64, stim_end: f64) -> Settings {
        Settings {
            stim_start,
            stim_end,
            threshold: -20.0,
            derivative_threshold: 10.0,
            down_derivative_threshold: -12.0,
            derivative_window: 3,
            interp_step: 0.1,
            strict_stiminterval: false,
            voltage_base_start_perc: 0.9,
            voltage_base_end_perc: 1.0,
            voltage_base_mode: BaseMode::Mean,
            precision_threshold: 1e-10,
            ignore_first_isi: true,
            burst_factor: 1.5,
            sahp_start: 5.0,
            rise_start_perc: 0.0,
            rise_end_perc: 1.0,
            offset: 0.0,
            decay_start_after_stim: 1.0,
            decay_end_after_stim: 10.0,
            stimulus_current: None,
        }
    }

    /// BluePyEModel's defaults on top of eFEL's: `interp_step` 0.025 ms and
    /// `strict_stiminterval` on (BluePyEfe and BPEM pipeline settings).
    pub fn bluepyemodel(stim_start: f64, stim_end: f64) -> Settings {
        Settings { interp_step: 0.025, strict_stiminterval: true, ..Settings::new(stim_start, stim_end) }
    }

    /// Checks what eFEL checks before computing: finite window with `stim_end > stim_start`
    /// and a strictly positive, finite interpolation step.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !self.stim_start.is_finite() || !self.stim_end.is_finite() {
            return Err(SettingsError::NonFiniteWindow);
        }
        if self.stim_end <= self.stim_start {
            return Err(SettingsError::EmptyWindow { start: self.stim_start, end: self.stim_end });
        }
        if !(self.interp_step > 0.0 && self.interp_step.is_finite()) {
            return Err(SettingsError::BadInterpStep(self.interp_step));
        }
        if !self.threshold.is_finite() {
            return Err(SettingsError::NonFinite("Threshold"));
        }
        Ok(())
    }
}

/// A setting that eFEL would reject.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsError {
    /// `stim_start` or `stim_end` is NaN or infinite.
    NonFiniteWindow,
    /// `stim_end <= stim_start`.
    EmptyWindow {
        /// The given start.
        start: f64,
        /// The given end.
        end: f64,
    },
    /// `interp_step` is not a positive finite number.
    BadInterpStep(f64),
    /// The named setting is NaN or infinite.
    NonFinite(&'static str),
    /// `interp_step` is so small for the trace's duration that the grid would not fit in memory.
    GridTooLarge {
        /// Number of grid points the step would need.
        points: f64,
    },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::NonFiniteWindow => write!(f, "stim_start and stim_end must be finite numbers"),
            SettingsError::EmptyWindow { start, end } => {
                write!(f, "stim_end ({end}) must be larger than stim_start ({start})")
            }
            SettingsError::BadInterpStep(s) => write!(f, "interp_step must be a positive number, got {s}"),
            SettingsError::NonFinite(name) => write!(f, "setting {name} must be a finite number"),
            SettingsError::GridTooLarge { points } => {
                write!(f, "interp_step is too small for this trace: the grid would have {points:.3e} points")
            }
        }
    }
}

impl std::error::Error for SettingsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_efel_defaults() {
        let s = Settings::new(10.0, 110.0);
        assert_eq!(s.threshold, -20.0);
        assert_eq!(s.derivative_threshold, 10.0);
        assert_eq!(s.interp_step, 0.1);
        assert!(!s.strict_stiminterval);
        assert!(s.ignore_first_isi);
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn rejects_inverted_window_and_bad_step() {
        assert!(matches!(Settings::new(5.0, 5.0).validate(), Err(SettingsError::EmptyWindow { .. })));
        let s = Settings { interp_step: 0.0, ..Settings::new(0.0, 1.0) };
        assert_eq!(s.validate(), Err(SettingsError::BadInterpStep(0.0)));
        let s = Settings::new(f64::NAN, 1.0);
        assert_eq!(s.validate(), Err(SettingsError::NonFiniteWindow));
    }
}
