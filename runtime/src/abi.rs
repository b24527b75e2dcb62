//! The mechanism ABI: what a compiled mechanism kernel receives and what it describes about itself.
//!
//! Every mechanism (JIT-compiled, loaded ahead of time, or hand-written in Rust for tests) exposes
//! the same `extern "C"` entry points, each taking one pointer to a [`KernelArgs`] block. A kernel
//! loops over all instances of its mechanism itself, so the engine makes one call per mechanism per
//! phase per step: no dispatch per compartment.
//!
//! Units follow NEURON: v in mV, t and dt in ms, density currents in mA/cm², density conductances
//! in S/cm², concentrations in mM, area in µm², diam in µm, celsius in °C. Point-process kernels
//! compute nA/µS and scale by `100 / area` themselves before accumulating.
//!
//! This module has no dependencies so that the compiler can generate code against it and the
//! runtime can call it without either knowing the other's internals.

use std::ffi::c_void;

/// Per-node columns of one ion species, shared by every mechanism that uses the ion.
///
/// All columns are indexed by node (the same index as [`KernelArgs::v`]).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct IonColumns {
    /// Total ionic current `i<ion>` (mA/cm²); mechanisms that WRITE the current add to it.
    pub cur: *mut f64,
    /// `d i<ion> / dv` (S/cm²); accumulated from the finite-difference conductance.
    pub didv: *mut f64,
    /// Reversal potential `e<ion>` (mV).
    pub erev: *mut f64,
    /// Inner concentration `<ion>i` (mM).
    pub conc_in: *mut f64,
    /// Outer concentration `<ion>o` (mM).
    pub conc_out: *mut f64,
    /// Valence (charge number) of the ion.
    pub valence: f64,
}

/// Services the runtime offers to kernels (events). Called through function pointers so that JIT
/// and ahead-of-time code need no symbol resolution for them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Services {
    /// Opaque runtime context passed back to every service call.
    pub ctx: *mut c_void,
    /// `net_send(delay, flag)` from instance `instance` of mechanism `mech`: schedule a self-event
    /// at `t + delay` (ms), where t is the time of the event being delivered (0 in INITIAL). `weights` is the weight vector of the current event (or null in
    /// INITIAL), so that the self-event is delivered with the same NetCon weights, as NEURON does.
    pub net_send:
        extern "C" fn(ctx: *mut c_void, mech: u32, instance: u64, weights: *mut f64, delay: f64, flag: f64),
    /// `net_move(tnew)`: move the pending self-event of this instance to absolute time `tnew`.
    pub net_move: extern "C" fn(ctx: *mut c_void, mech: u32, instance: u64, tnew: f64),
    /// `net_event(t)`: emit a spike from this instance (artificial cells, threshold detectors).
    pub net_event: extern "C" fn(ctx: *mut c_void, mech: u32, instance: u64, t: f64),
    /// Uniform random number in [0, 1) from the instance's stream (seeded by the runtime).
    pub random_uniform: extern "C" fn(ctx: *mut c_void, mech: u32, instance: u64) -> f64,
}

/// The argument block of every kernel entry point.
///
/// Instance columns (`fields`) are structure-of-arrays: `fields[k]` points to `count` doubles (the
/// runtime pads allocations to a multiple of 8 instances, so vector code may read past `count` up
/// to the padded length). The order of fields is the order of [`MechanismMeta::fields`].
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KernelArgs {
    /// Number of instances.
    pub count: u64,
    /// Mechanism type id assigned by the runtime (passed back to [`Services`]).
    pub mech_id: u32,
    /// 1 when the cable uses Crank–Nicolson (`secondorder = 2`), else 0; NEURON exposes it.
    pub secondorder: u32,
    /// Current time (ms); in `compute_currents` NEURON's `t + dt/2`, in `advance_state` the
    /// step's end, in `init` 0, in `net_receive` the event's delivery time.
    pub t: f64,
    /// Time step (ms).
    pub dt: f64,
    /// Temperature (°C).
    pub celsius: f64,
    /// Membrane potential per node (mV).
    pub v: *const f64,
    /// Current accumulator per node (mA/cm²): kernels add their total current `i`.
    ///
    /// For ordinary mechanisms this is the membrane current (outward positive). For
    /// ELECTRODE_CURRENT mechanisms ([`MechanismMeta::electrode_current`]) the runtime passes a
    /// separate electrode accumulator: the kernel adds its electrode current exactly as computed
    /// (positive into the cell, NEURON's sign) and the runtime enters it with the opposite sign
    /// (`rhs += i`, `d −= g`, as `noccout.cpp` does), so kernels never flip signs themselves.
    /// Point processes add `i·100/area` (nA → mA/cm²).
    pub i: *mut f64,
    /// Conductance accumulator per node (S/cm²): kernels add `dI/dv` of the current they add to
    /// `i` (same accumulator choice and sign convention).
    pub g: *mut f64,
    /// Segment area per node (µm²).
    pub area: *const f64,
    /// Segment diameter per node (µm).
    pub diam: *const f64,
    /// Node of each instance (`count` entries; padded like the fields). Artificial cells have no
    /// node: their entries are 0.
    pub node: *const u32,
    /// Per-instance columns, one pointer per field of the mechanism.
    pub fields: *const *mut f64,
    /// Mechanism-wide values (GLOBAL parameters and assigned globals, table storage).
    pub globals: *mut f64,
    /// One entry per ion the mechanism uses, in [`MechanismMeta::ions`] order.
    pub ions: *const IonColumns,
    /// Runtime services (events, random numbers).
    pub services: *const Services,
    /// Extra per-instance integers (reserved; the runtime passes null).
    pub reserved: *mut c_void,
}

/// A kernel entry point over all instances of one mechanism.
pub type KernelFn = unsafe extern "C" fn(args: *const KernelArgs);

/// NET_RECEIVE: deliver one event to one instance. `weights` points to the NetCon's weight vector
/// (NET_RECEIVE arguments; assignable and persistent per connection); `flag` is 0 for a network
/// event and the `net_send` flag for a self-event.
pub type NetReceiveFn =
    unsafe extern "C" fn(args: *const KernelArgs, instance: u64, weights: *mut f64, flag: f64);

/// The kernels of one mechanism. Entry points a mechanism does not need are `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Kernels {
    /// INITIAL: set states (after the runtime has set every state to its `name0` start value).
    pub init: Option<KernelFn>,
    /// BREAKPOINT currents: add current to `i` and conductance to `g` (and to ion columns).
    pub compute_currents: Option<KernelFn>,
    /// SOLVE blocks: advance states from t to t + dt with the new voltage.
    pub advance_state: Option<KernelFn>,
    /// Copy written ion concentrations / reversal potentials out to the ion columns.
    pub write_ions: Option<KernelFn>,
    /// NET_RECEIVE.
    pub net_receive: Option<NetReceiveFn>,
    /// NET_RECEIVE's INITIAL block, run once per connection at initialisation.
    pub net_receive_init: Option<NetReceiveFn>,
    /// Per-step hook for WATCH conditions, called once per step where NEURON checks thresholds
    /// and WATCH conditions (`NetCvode::check_thresh`): at the start of the step, after the
    /// previous step's state update and event delivery, with `t` the step's start time. A
    /// condition that became true sends its self-event with `net_send`; NEURON delivers it at
    /// `t + 1e-10` (its `teps`), i.e. within the same step's event delivery.
    pub post_event: Option<KernelFn>,
}

// SAFETY: kernels are plain functions without captured state.
unsafe impl Send for Kernels {}
unsafe impl Sync for Kernels {}

/// How a mechanism sits on the membrane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MechanismKind {
    /// SUFFIX: one instance per segment, per-area currents.
    Density,
    /// POINT_PROCESS: placed at locations, absolute currents (nA).
    Point,
    /// ARTIFICIAL_CELL: events only, no membrane current.
    Artificial,
}

/// What a field of a mechanism holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRole {
    /// A RANGE parameter, settable per instance.
    Parameter,
    /// A STATE variable.
    State,
    /// A RANGE assigned variable (computed; recordable).
    Assigned,
    /// Internal storage the compiler needs per instance (not user-visible).
    Internal,
}

/// One per-instance column. Array variables are expanded by the compiler into one field per
/// element, named `x[0]`, `x[1]`, ….
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldMeta {
    /// Name as written in the .mod file (e.g. `gnabar`, `m`).
    pub name: String,
    /// Role.
    pub role: FieldRole,
    /// Default value (PARAMETER value, or the `name0` start value of a state).
    pub default: f64,
    /// Unit text as written (may be empty).
    pub units: String,
}

/// One mechanism-wide value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GlobalMeta {
    /// Name.
    pub name: String,
    /// Default value.
    pub default: f64,
    /// Unit text.
    pub units: String,
    /// True when the user may set it (a GLOBAL parameter).
    pub settable: bool,
}

/// Use of one ion by a mechanism.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IonUse {
    /// Ion name (`na`, `k`, `ca`, …).
    pub ion: String,
    /// Valence given with VALENCE, if any.
    pub valence: Option<f64>,
    /// Reads `<ion>i`.
    pub reads_conc_in: bool,
    /// Reads `<ion>o`.
    pub reads_conc_out: bool,
    /// Reads `e<ion>`.
    pub reads_erev: bool,
    /// Reads `i<ion>`.
    pub reads_current: bool,
    /// Writes `i<ion>`.
    pub writes_current: bool,
    /// Writes `<ion>i`.
    pub writes_conc_in: bool,
    /// Writes `<ion>o`.
    pub writes_conc_out: bool,
    /// Writes `e<ion>`.
    pub writes_erev: bool,
}

/// Everything the runtime needs to know about a compiled mechanism.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MechanismMeta {
    /// Mechanism name (SUFFIX / POINT_PROCESS / ARTIFICIAL_CELL name).
    pub name: String,
    /// Kind.
    pub kind: MechanismKind,
    /// Per-instance columns, in the order the kernels expect them in [`KernelArgs::fields`].
    pub fields: Vec<FieldMeta>,
    /// Mechanism-wide values, in the order of [`KernelArgs::globals`].
    pub globals: Vec<GlobalMeta>,
    /// Ions used, in the order of [`KernelArgs::ions`].
    pub ions: Vec<IonUse>,
    /// Number of NET_RECEIVE arguments (weight vector length), 0 without NET_RECEIVE.
    pub net_receive_args: u32,
    /// True if the mechanism adds to the membrane current.
    pub writes_current: bool,
    /// True for ELECTRODE_CURRENT mechanisms (current enters with the opposite sign).
    pub electrode_current: bool,
    /// Fingerprint of the normalised IR, compiler version and target (keys the compile cache).
    pub fingerprint: String,
    /// True when `compute_currents` and `advance_state` touch only their own instances' fields
    /// and nodes (no services, no mechanism-wide writes), so that disjoint instance ranges may
    /// run on different threads.
    #[serde(default)]
    pub parallel_safe: bool,
}

impl MechanismMeta {
    /// Index of the field with this name, if any.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// Index of the global with this name, if any.
    pub fn global_index(&self, name: &str) -> Option<usize> {
        self.globals.iter().position(|g| g.name == name)
    }
}
