//! The recipe checker's environment for the `myelin` tool: the mechanisms the recipe's sources
//! provide (their metadata, from lowering the .mod files or an artifact catalogue) and the
//! features of the standard library with the unit of their values.

use myelin_compiler::recipe::env::{Environment, FeatureInfo};
use myelin_runtime::abi::MechanismMeta;
use myelin_stdlib::efeatures::Feature;

/// Mechanisms by metadata; features from `myelin_stdlib`.
pub struct RunEnv {
    /// Available mechanisms.
    pub mechanisms: Vec<MechanismMeta>,
}

/// The unit of a feature's values (empty for counts and ratios), for every feature Myelin
/// computes; `None` for a name this table does not know (a feature added to the library later).
pub fn feature_unit(name: &str) -> Option<&'static str> {
    Some(match name {
        "Spikecount"
        | "spike_count"
        | "Spikecount_stimint"
        | "spike_count_stimint"
        | "burst_number"
        | "ISI_CV"
        | "adaptation_index2"
        | "AHP_slow_time" => "",
        "mean_frequency"
        | "inv_time_to_first_spike"
        | "inv_first_ISI"
        | "inv_second_ISI"
        | "inv_third_ISI"
        | "inv_fourth_ISI"
        | "inv_fifth_ISI"
        | "inv_last_ISI" => "Hz",
        "peak_time"
        | "time_to_first_spike"
        | "time_to_second_spike"
        | "time_to_last_spike"
        | "doublet_ISI"
        | "all_ISI_values"
        | "ISI_values"
        | "AP_width"
        | "AP_duration_half_width"
        | "spike_half_width"
        | "AP_rise_time"
        | "AP_fall_time"
        | "decay_time_constant_after_stim" => "ms",
        "ohmic_input_resistance" | "ohmic_input_resistance_vb_ssse" => "megohm",
        "peak_voltage"
        | "AP_height"
        | "AP_amplitude"
        | "AP1_amp"
        | "AP2_amp"
        | "APlast_amp"
        | "mean_AP_amplitude"
        | "AP_amplitude_from_voltagebase"
        | "AP_begin_voltage"
        | "min_AHP_values"
        | "AHP_depth_abs"
        | "AHP_depth"
        | "AHP_depth_abs_slow"
        | "voltage_base"
        | "steady_state_voltage"
        | "steady_state_voltage_stimend"
        | "voltage_deflection"
        | "voltage_deflection_begin"
        | "voltage_deflection_vb_ssse"
        | "voltage_after_stim"
        | "maximum_voltage"
        | "minimum_voltage"
        | "maximum_voltage_from_voltagebase" => "mV",
        _ => return None,
    })
}

impl Environment for RunEnv {
    fn mechanism(&self, name: &str) -> Option<&MechanismMeta> {
        self.mechanisms.iter().find(|m| m.name == name)
    }

    fn mechanism_names(&self) -> Vec<String> {
        self.mechanisms.iter().map(|m| m.name.clone()).collect()
    }

    fn feature(&self, name: &str) -> Result<FeatureInfo, Option<String>> {
        match name.parse::<Feature>() {
            Ok(f) => Ok(FeatureInfo { unit: feature_unit(f.name()).unwrap_or("") }),
            Err(e) => Err(e.suggestion.map(str::to_string)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_has_a_unit() {
        for f in Feature::ALL {
            assert!(feature_unit(f.name()).is_some(), "no unit for {}", f.name());
        }
    }
}
