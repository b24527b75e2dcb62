//! Probes: what is recorded, where, and the recorded traces.

use crate::spec::IonField;

/// The storage location a probe reads, resolved when the simulation is built so that sampling is
/// a direct read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProbeSource {
    /// Voltage of a node.
    V(u32),
    /// Transmembrane current of a node (nA).
    IMembrane(u32),
    /// A field of a mechanism instance.
    Field {
        /// Mechanism id.
        mech: u32,
        /// Field index.
        field: u32,
        /// Instance.
        instance: u32,
    },
    /// An ion variable at a node.
    Ion {
        /// Ion index.
        ion: u32,
        /// Variable.
        field: IonField,
        /// Node.
        node: u32,
    },
    /// Current of a current clamp (nA).
    IClamp(u32),
    /// Current of a waveform stimulus (nA).
    Waveform(u32),
    /// Current of a noise stimulus (nA).
    Noise(u32),
    /// Current of a voltage clamp (nA).
    SEClampI(u32),
    /// Command voltage of a voltage clamp (mV).
    SEClampVc(u32),
}

/// One probe and its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Output name.
    pub name: String,
    /// Variable name (CSV column), e.g. `v`, `m_hh`, `ina`, `i_membrane_`.
    pub var: String,
    /// What is read.
    pub source: ProbeSource,
    /// Samples, one per entry of the simulation's sample times.
    pub values: Vec<f64>,
}

/// A recorded trace (borrowed from the simulation).
#[derive(Debug, Clone, Copy)]
pub struct Trace<'a> {
    /// Output name.
    pub name: &'a str,
    /// Variable name.
    pub var: &'a str,
    /// Sample times (ms).
    pub t: &'a [f64],
    /// Values.
    pub values: &'a [f64],
}

/// Spikes of one source.
#[derive(Debug, Clone, Copy)]
pub struct SpikeTrain<'a> {
    /// Source name (cell name or instance id).
    pub source: &'a str,
    /// Spike times (ms).
    pub times: &'a [f64],
}
