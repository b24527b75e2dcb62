//! Mechanism kernels called outside a simulation: owned columns behind a [`KernelArgs`] block,
//! for tests that compare back ends, benchmarks of single kernels, and golden-trace tools.

use crate::abi::{IonColumns, KernelArgs, MechanismMeta, Services};
use crate::ions::builtin_defaults;
use std::ffi::c_void;

/// Index of the current column in [`KernelStorage::ions`].
pub const ION_CUR: usize = 0;
/// Index of the dI/dv column.
pub const ION_DIDV: usize = 1;
/// Index of the reversal-potential column.
pub const ION_EREV: usize = 2;
/// Index of the inner-concentration column.
pub const ION_CONC_IN: usize = 3;
/// Index of the outer-concentration column.
pub const ION_CONC_OUT: usize = 4;

/// Owned storage of `count` instances of a mechanism on `nodes` nodes. Fields are pub: callers
/// fill in the values they need and read back what the kernels wrote.
#[derive(Debug, Clone, Default)]
pub struct KernelStorage {
    /// Number of instances.
    pub count: usize,
    /// Membrane potential per node (mV).
    pub v: Vec<f64>,
    /// Current accumulator per node.
    pub i: Vec<f64>,
    /// Conductance accumulator per node.
    pub g: Vec<f64>,
    /// Segment area per node (µm²).
    pub area: Vec<f64>,
    /// Segment diameter per node (µm).
    pub diam: Vec<f64>,
    /// Node of each instance.
    pub node: Vec<u32>,
    /// Per-instance columns, in [`MechanismMeta::fields`] order.
    pub fields: Vec<Vec<f64>>,
    /// Mechanism-wide values.
    pub globals: Vec<f64>,
    /// Per ion (in [`MechanismMeta::ions`] order), per node: the columns [`ION_CUR`] …
    /// [`ION_CONC_OUT`].
    pub ions: Vec<[Vec<f64>; 5]>,
    /// Valence of each ion.
    pub valences: Vec<f64>,
}

impl KernelStorage {
    /// Storage for `count` instances, instance k on node k, with the mechanism's default field
    /// and global values (`n_globals` slots: globals and table storage), zero voltages and
    /// accumulators, unit areas and diameters, and NEURON's default concentrations, reversal
    /// potentials and valences of the ions (a declared valence wins; unknown ions get 1).
    pub fn new(meta: &MechanismMeta, n_globals: usize, count: usize) -> KernelStorage {
        // Columns padded to a multiple of 8 instances, as the runtime allocates them.
        let padded = count.div_ceil(8).max(1) * 8;
        let mut globals: Vec<f64> = meta.globals.iter().map(|g| g.default).collect();
        globals.resize(n_globals.max(globals.len()), 0.0);
        KernelStorage {
            count,
            v: vec![0.0; padded],
            i: vec![0.0; padded],
            g: vec![0.0; padded],
            area: vec![1.0; padded],
            diam: vec![1.0; padded],
            node: (0..padded as u32).collect(),
            fields: meta.fields.iter().map(|f| vec![f.default; padded]).collect(),
            globals,
            ions: meta
                .ions
                .iter()
                .map(|u| {
                    let d = builtin_defaults(&u.ion);
                    [
                        vec![0.0; padded],
                        vec![0.0; padded],
                        vec![d.erev; padded],
                        vec![d.conc_in; padded],
                        vec![d.conc_out; padded],
                    ]
                })
                .collect(),
            valences: meta
                .ions
                .iter()
                .map(|u| u.valence.or(builtin_defaults(&u.ion).valence).unwrap_or(1.0))
                .collect(),
        }
    }

    /// Calls `f` with an argument block over this storage's instances at time `t`, step `dt` and
    /// temperature `celsius`.
    pub fn with_args<R>(
        &mut self,
        (t, dt, celsius): (f64, f64, f64),
        services: &Services,
        f: impl FnOnce(&KernelArgs) -> R,
    ) -> R {
        let mut fields: Vec<*mut f64> = self.fields.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let ions: Vec<IonColumns> = self
            .ions
            .iter_mut()
            .zip(&self.valences)
            .map(|(c, &valence)| {
                let [cur, didv, erev, conc_in, conc_out] = c;
                IonColumns {
                    cur: cur.as_mut_ptr(),
                    didv: didv.as_mut_ptr(),
                    erev: erev.as_mut_ptr(),
                    conc_in: conc_in.as_mut_ptr(),
                    conc_out: conc_out.as_mut_ptr(),
                    valence,
                }
            })
            .collect();
        let args = KernelArgs {
            count: self.count as u64,
            mech_id: 0,
            secondorder: 0,
            t,
            dt,
            celsius,
            v: self.v.as_ptr(),
            i: self.i.as_mut_ptr(),
            g: self.g.as_mut_ptr(),
            area: self.area.as_ptr(),
            diam: self.diam.as_ptr(),
            node: self.node.as_ptr(),
            fields: fields.as_mut_ptr(),
            globals: self.globals.as_mut_ptr(),
            ions: ions.as_ptr(),
            services,
            reserved: std::ptr::null_mut(),
        };
        f(&args)
    }
}

extern "C" fn ignore_send(_: *mut c_void, _: u32, _: u64, _: *mut f64, _: f64, _: f64) {}
extern "C" fn ignore_move(_: *mut c_void, _: u32, _: u64, _: f64) {}
extern "C" fn ignore_event(_: *mut c_void, _: u32, _: u64, _: f64) {}
extern "C" fn golden_ratio_uniform(_: *mut c_void, _: u32, instance: u64) -> f64 {
    (instance as f64 * 0.618_033_988_749_895).fract()
}

/// Services for kernels run alone: events are ignored, and `random_uniform` gives a fixed number
/// per instance (the fractional part of instance × golden ratio), so that runs are reproducible.
pub fn inert_services() -> Services {
    Services {
        ctx: std::ptr::null_mut(),
        net_send: ignore_send,
        net_move: ignore_move,
        net_event: ignore_event,
        random_uniform: golden_ratio_uniform,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{FieldMeta, FieldRole, IonUse, MechanismKind};

    #[test]
    fn arguments_point_into_the_storage() {
        let field =
            FieldMeta { name: "g".into(), role: FieldRole::Parameter, default: 0.5, units: String::new() };
        let ion = IonUse {
            ion: "ca".into(),
            valence: None,
            reads_conc_in: true,
            reads_conc_out: false,
            reads_erev: false,
            reads_current: false,
            writes_current: false,
            writes_conc_in: false,
            writes_conc_out: false,
            writes_erev: false,
        };
        let meta = MechanismMeta {
            name: "m".into(),
            kind: MechanismKind::Density,
            fields: vec![field],
            globals: vec![],
            ions: vec![ion],
            net_receive_args: 0,
            writes_current: false,
            electrode_current: false,
            fingerprint: String::new(),
            parallel_safe: true,
        };
        let mut s = KernelStorage::new(&meta, 3, 10);
        assert_eq!((s.fields[0].len(), s.fields[0][9], s.globals.len(), s.valences[0]), (16, 0.5, 3, 2.0));
        assert_eq!((s.ions[0][ION_CONC_IN][0], s.ions[0][ION_CONC_OUT][15]), (5e-5, 2.0));
        s.fields[0][9] = 7.0;
        s.ions[0][ION_CONC_IN][4] = 1e-4;
        // SAFETY: the block points into `s`, which holds 16 entries per column.
        let (f9, cai4, count) = s.with_args((1.0, 0.025, 34.0), &inert_services(), |a| unsafe {
            (*(*a.fields).add(9), *(*a.ions).conc_in.add(4), a.count)
        });
        assert_eq!((f9, cai4, count), (7.0, 1e-4, 10));
    }
}
