//! The feature catalogue: one enum variant per supported eFEL feature, with its eFEL name.

use std::fmt;

macro_rules! features {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// An eFEL feature Myelin computes with eFEL 5.7's definition.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Feature {
            $($(#[$doc])* $variant,)*
        }

        impl Feature {
            /// Every supported feature, in catalogue order.
            pub const ALL: &'static [Feature] = &[$(Feature::$variant,)*];

            /// The eFEL name (e.g. `"AP_amplitude"`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Feature::$variant => $name,)*
                }
            }
        }
    };
}

features! {
    /// Number of detected peaks; 0 when detection fails.
    Spikecount => "Spikecount",
    /// Alias of `Spikecount` (eFEL 5.7's new name).
    SpikeCount => "spike_count",
    /// Number of peaks with stim_start ≤ t ≤ stim_end.
    SpikecountStimint => "Spikecount_stimint",
    /// Alias of `Spikecount_stimint`.
    SpikeCountStimint => "spike_count_stimint",
    /// Times of the peaks.
    PeakTime => "peak_time",
    /// Voltages at the peaks.
    PeakVoltage => "peak_voltage",
    /// First peak time minus stim_start.
    TimeToFirstSpike => "time_to_first_spike",
    /// 1000 / time_to_first_spike.
    InvTimeToFirstSpike => "inv_time_to_first_spike",
    /// Second peak time minus stim_start.
    TimeToSecondSpike => "time_to_second_spike",
    /// Last peak time minus stim_start.
    TimeToLastSpike => "time_to_last_spike",
    /// Peaks in the stimulus window over (last such peak − stim_start), in Hz.
    MeanFrequency => "mean_frequency",
    /// First ISI.
    DoubletIsi => "doublet_ISI",
    /// All inter-spike intervals.
    AllIsiValues => "all_ISI_values",
    /// ISIs without the first one when `ignore_first_ISI` (may be empty).
    IsiValues => "ISI_values",
    /// Coefficient of variation (ddof 1) of `ISI_values`.
    IsiCv => "ISI_CV",
    /// 1000 / first ISI.
    InvFirstIsi => "inv_first_ISI",
    /// 1000 / second ISI.
    InvSecondIsi => "inv_second_ISI",
    /// 1000 / third ISI.
    InvThirdIsi => "inv_third_ISI",
    /// 1000 / fourth ISI.
    InvFourthIsi => "inv_fourth_ISI",
    /// 1000 / fifth ISI.
    InvFifthIsi => "inv_fifth_ISI",
    /// 1000 / last ISI.
    InvLastIsi => "inv_last_ISI",
    /// Mean normalised ISI difference of the in-window spikes after the first.
    AdaptationIndex2 => "adaptation_index2",
    /// Number of bursts (eFEL's Python burst detection on `ISI_values`).
    BurstNumber => "burst_number",
    /// Peak voltages (same as `peak_voltage`).
    ApHeight => "AP_height",
    /// Peak voltage minus the voltage at the AP onset, for in-window peaks.
    ApAmplitude => "AP_amplitude",
    /// First `AP_amplitude`.
    Ap1Amp => "AP1_amp",
    /// Second `AP_amplitude`.
    Ap2Amp => "AP2_amp",
    /// Last `AP_amplitude`.
    ApLastAmp => "APlast_amp",
    /// Mean of `AP_amplitude`.
    MeanApAmplitude => "mean_AP_amplitude",
    /// Peak voltage minus `voltage_base`.
    ApAmplitudeFromVoltagebase => "AP_amplitude_from_voltagebase",
    /// Voltage at each AP onset (dV/dt crossing `DerivativeThreshold`).
    ApBeginVoltage => "AP_begin_voltage",
    /// Width at the spike-detection threshold.
    ApWidth => "AP_width",
    /// Time between the half-height samples on the rise and the fall.
    ApDurationHalfWidth => "AP_duration_half_width",
    /// Width at half of (peak − following AHP), interpolated crossings.
    SpikeHalfWidth => "spike_half_width",
    /// Time from the AP onset to the peak (with `rise_start_perc`/`rise_end_perc`).
    ApRiseTime => "AP_rise_time",
    /// Time from the peak to the AP end (dV/dt back above `DownDerivativeThreshold`).
    ApFallTime => "AP_fall_time",
    /// Voltage at the first AHP trough after each peak.
    MinAhpValues => "min_AHP_values",
    /// Same as `min_AHP_values`.
    AhpDepthAbs => "AHP_depth_abs",
    /// `min_AHP_values` minus `voltage_base`.
    AhpDepth => "AHP_depth",
    /// Slow AHP minimum, searched from `sahp_start` ms after a peak to the next peak.
    AhpDepthAbsSlow => "AHP_depth_abs_slow",
    /// Position of the slow AHP minimum as a fraction of the ISI.
    AhpSlowTime => "AHP_slow_time",
    /// Mean voltage on [0.9, 1.0] × stim_start.
    VoltageBase => "voltage_base",
    /// Mean voltage after stim_end.
    SteadyStateVoltage => "steady_state_voltage",
    /// Mean voltage over the last 10 % of the stimulus.
    SteadyStateVoltageStimend => "steady_state_voltage_stimend",
    /// Mean of 5 samples ending 5 samples before stim_end, minus the pre-stimulus mean.
    VoltageDeflection => "voltage_deflection",
    /// Mean over (5 %, 15 %] of the stimulus minus the pre-stimulus mean.
    VoltageDeflectionBegin => "voltage_deflection_begin",
    /// `steady_state_voltage_stimend` minus `voltage_base`.
    VoltageDeflectionVbSsse => "voltage_deflection_vb_ssse",
    /// Mean voltage over 25–75 % of the post-stimulus period.
    VoltageAfterStim => "voltage_after_stim",
    /// Time constant of the decay after the stimulus (log-linear fit).
    DecayTimeConstantAfterStim => "decay_time_constant_after_stim",
    /// Maximum voltage during the stimulus.
    MaximumVoltage => "maximum_voltage",
    /// Minimum voltage during the stimulus.
    MinimumVoltage => "minimum_voltage",
    /// `maximum_voltage` minus `voltage_base`.
    MaximumVoltageFromVoltagebase => "maximum_voltage_from_voltagebase",
    /// `voltage_deflection` / `stimulus_current` (MΩ).
    OhmicInputResistance => "ohmic_input_resistance",
    /// `voltage_deflection_vb_ssse` / `stimulus_current` (MΩ).
    OhmicInputResistanceVbSsse => "ohmic_input_resistance_vb_ssse",
}

impl Feature {
    /// Looks up a feature by its eFEL name (exact, case-sensitive like eFEL).
    pub fn from_name(name: &str) -> Option<Feature> {
        Feature::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// True for features eFEL implements in Python: they may return an empty array, whereas
    /// eFEL's C++ features turn an empty result into a failure (None).
    pub fn is_python_feature(self) -> bool {
        use Feature::*;
        matches!(
            self,
            Spikecount
                | SpikeCount
                | SpikecountStimint
                | SpikeCountStimint
                | IsiValues
                | IsiCv
                | InvFirstIsi
                | InvSecondIsi
                | InvThirdIsi
                | InvFourthIsi
                | InvFifthIsi
                | InvLastIsi
                | BurstNumber
        )
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a supported feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFeature {
    /// The name as given.
    pub name: String,
    /// The closest supported name, if one is close.
    pub suggestion: Option<&'static str>,
}

impl fmt::Display for UnknownFeature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown feature `{}`", self.name)?;
        if let Some(s) = self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownFeature {}

impl std::str::FromStr for Feature {
    type Err = UnknownFeature;

    fn from_str(name: &str) -> Result<Feature, UnknownFeature> {
        Feature::from_name(name)
            .ok_or_else(|| UnknownFeature { name: name.to_string(), suggestion: suggest(name) })
    }
}

/// The supported name with the smallest case-insensitive edit distance, if within a third of
/// the name's length.
fn suggest(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let (best, dist) = Feature::ALL
        .iter()
        .map(|f| (f.name(), edit_distance(&lower, &f.name().to_lowercase())))
        .min_by_key(|&(_, d)| d)?;
    (dist <= name.len().max(3) / 3).then_some(best)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for &f in Feature::ALL {
            assert_eq!(Feature::from_name(f.name()), Some(f));
        }
        let mut names: Vec<_> = Feature::ALL.iter().map(|f| f.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Feature::ALL.len());
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let e = "ap_amplitude".parse::<Feature>().unwrap_err();
        assert_eq!(e.suggestion, Some("AP_amplitude"));
        let e = "completely_different".parse::<Feature>().unwrap_err();
        assert_eq!(e.suggestion, None);
        assert!(e.to_string().contains("unknown feature `completely_different`"));
    }
}
