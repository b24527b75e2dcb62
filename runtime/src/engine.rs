//! The simulation and its time step loop: NEURON's fixed step (`fadvance.cpp`), backward Euler
//! by default and Crank–Nicolson (`secondorder = 2`) as an option, with `finitialize` semantics.
//!
//! One step from t to t + dt (NEURON's `nrn_fixed_step_thread` and `nrn_fixed_step_lastpart`):
//! 1. threshold detection at t, then delivery of events with `t_event ≤ t + dt/2`;
//! 2. `t += dt/2`; currents and conductances of every mechanism at the old voltage (ion
//!    accumulators zeroed first, Nernst potentials of state concentrations updated), electrode
//!    stimuli, capacitance `cm·cj/1000` and axial terms assembled; the tree solved for ΔV;
//!    Crank–Nicolson corrects ion currents to mid-step; `v += ΔV` (`2ΔV` for Crank–Nicolson);
//! 3. `t += dt/2`; every mechanism advances its states with the new voltage; probes sample;
//!    events with `t_event ≤ t` are delivered.
//!
//! The loop allocates nothing and dispatches nothing per compartment: every mechanism kernel is
//! called once per phase over all of its instances.

use crate::abi::{IonColumns, Services};
use crate::cable::Cable;
use crate::error::RunError;
use crate::events::{EventKind, EventSystem};
use crate::ions::Ion;
use crate::layout::Layout;
use crate::mechanisms::{Env, MechanismInstances};
use crate::parallel::{split_index, Job, Worker};
use crate::probes::{Probe, ProbeSource, SpikeTrain, Trace};
use crate::spec::IonField;
use crate::stimuli::Stimuli;
use std::collections::HashMap;
use std::time::Instant;

/// Profile slots that are not mechanism kernels (see [`Simulation::enable_profile`]).
const SLOT_EVENTS: usize = 0;
const SLOT_IONS: usize = 1;
const SLOT_MATRIX: usize = 2;
const SLOT_SOLVE: usize = 3;
const SLOT_UPDATE: usize = 4;
const SLOT_PROBES: usize = 5;
const FIXED_SLOTS: [&str; 6] = [
    "events (threshold checks, WATCH, delivery)",
    "ions (accumulators, Nernst potentials)",
    "matrix (fill, electrodes, axial terms)",
    "Hines solve",
    "voltage update",
    "probes (sampling)",
];

/// Where the time of a run went, per phase and per mechanism kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileEntry {
    /// What (`Hines solve`, `advance_state NaTs2_t`, …).
    pub name: String,
    /// Wall-clock seconds spent in it.
    pub seconds: f64,
    /// How many times it ran.
    pub calls: u64,
}

/// Names of the things in a simulation, for lookups by callers.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Cell name → cell index.
    pub cells: HashMap<String, usize>,
    /// Per cell: section name → section index.
    pub sections: Vec<HashMap<String, usize>>,
    /// Point process / artificial cell id → (mechanism id, instance).
    pub instances: HashMap<String, (u32, u32)>,
}

/// A built simulation.
pub struct Simulation {
    pub(crate) layout: Layout,
    pub(crate) cable: Cable,
    pub(crate) v: Vec<f64>,
    pub(crate) v_init: Vec<f64>,
    pub(crate) i_mem: Vec<f64>,
    pub(crate) g_mem: Vec<f64>,
    pub(crate) i_elec: Vec<f64>,
    pub(crate) g_elec: Vec<f64>,
    pub(crate) sav_d: Vec<f64>,
    pub(crate) imem: Vec<f64>,
    pub(crate) want_imem: bool,
    pub(crate) mechs: Vec<MechanismInstances>,
    pub(crate) init_order: Vec<usize>,
    pub(crate) conc_writes: Vec<Vec<usize>>,
    pub(crate) ions: Vec<Ion>,
    pub(crate) ion_cols: Vec<IonColumns>,
    pub(crate) stimuli: Stimuli,
    pub(crate) events: *mut EventSystem,
    pub(crate) services: Box<Services>,
    pub(crate) t: f64,
    pub(crate) dt: f64,
    pub(crate) celsius: f64,
    pub(crate) secondorder: bool,
    pub(crate) nsteps: usize,
    pub(crate) record_every: usize,
    pub(crate) step_index: usize,
    pub(crate) probes: Vec<Probe>,
    pub(crate) sample_t: Vec<f64>,
    pub(crate) names: Names,
    pub(crate) error: Option<RunError>,
    pub(crate) initialized: bool,
    /// Per-slot (seconds, calls) when profiling; slots are `FIXED_SLOTS` then
    /// compute_currents / advance_state of each mechanism.
    pub(crate) prof: Option<Vec<(f64, u64)>>,
    /// Second thread for the mechanism phases (see [`Simulation::set_threads`]).
    pub(crate) par: Option<Parallel>,
}

/// State of two-thread execution: the worker, each mechanism's split instance, job lists, the
/// field tables of the upper instance ranges, and the load balance.
pub(crate) struct Parallel {
    worker: Worker,
    split: Vec<Option<usize>>,
    jobs: [Vec<Job>; 2],
    upper_fields: Vec<Vec<*mut f64>>,
    /// Cumulated instance counts over the nodes (`prefix[i]` = instances on nodes `< i`).
    prefix: Vec<f64>,
    /// Share of the instances given to the calling thread (the lower nodes).
    lower_share: f64,
    /// Accumulated chain times (calling thread, worker) and phases since the last rebalance.
    timed: (f64, f64, u32),
    /// Phase counter within the current trial period.
    phase: u32,
    /// A threaded phase longer than this is a stall: [`STALL`] times the mean one-thread trial
    /// phase of this period (infinite before that trial is over).
    stall_limit: f64,
    /// Whether the threaded form is currently the faster one.
    threads_win: bool,
    /// Phase times of the trials: one thread at even and odd phases, then two threads.
    trial_times: [Vec<f64>; 4],
    /// Phases left on one thread after a stall, the next rest, and the stalls of this period.
    resting: u32,
    backoff: u32,
    period_stalls: u32,
    /// Whether this period has trials (else it runs on one thread), lost periods in a row, and
    /// periods still to run without a trial.
    trying: bool,
    losses: u32,
    skip: u32,
    /// How the mechanism phases ran.
    usage: ThreadUsage,
}

/// How the mechanism phases that could be split ran, with [`Simulation::set_threads`] at 2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadUsage {
    /// Phases split between the two threads.
    pub two_threads: u64,
    /// Phases given to the worker that the calling thread ran itself (the worker had not picked
    /// them up when the calling thread finished its half).
    pub worker_missed: u64,
    /// Phases run on the calling thread alone (one-thread trials, and while one thread measured
    /// faster).
    pub one_thread: u64,
}

/// Phases per trial period, and phases of each of the two trials at its start.
const PERIOD: u32 = 4096;
const TRIAL: u32 = 128;
/// A threaded phase this many times longer than the mean one-thread phase is a stall.
const STALL: f64 = 8.0;
/// Phases on one thread after a first stall; each further stall in a row doubles it (up to a period).
const REST: u32 = 256;

/// The median of some phase times (infinite for none); reorders them.
fn median(times: &mut [f64]) -> f64 {
    if times.is_empty() {
        return f64::INFINITY;
    }
    let mid = times.len() / 2;
    *times.select_nth_unstable_by(mid, f64::total_cmp).1
}

impl Parallel {
    /// Two-thread state with a started worker, before the first split.
    fn new(worker: Worker, prefix: Vec<f64>, upper_fields: Vec<Vec<*mut f64>>, jobs: usize) -> Parallel {
        Parallel {
            worker,
            split: Vec::new(),
            jobs: [Vec::with_capacity(jobs), Vec::with_capacity(jobs)],
            upper_fields,
            prefix,
            lower_share: 0.5,
            timed: (0.0, 0.0, 0),
            phase: 0,
            stall_limit: f64::INFINITY,
            threads_win: true,
            trial_times: std::array::from_fn(|_| Vec::with_capacity(TRIAL as usize)),
            resting: 0,
            backoff: REST,
            period_stalls: 0,
            trying: true,
            losses: 0,
            skip: 0,
            usage: ThreadUsage::default(),
        }
    }

    /// Whether this phase should use the worker. Each period starts with two short trials, one
    /// on the calling thread alone and one with the worker; the rest of the period uses whichever
    /// measured faster. On an idle machine that is the worker. A phase that stalls because the
    /// worker was preempted (see [`Parallel::record`]) puts the worker to rest for a while: briefly
    /// at first, twice as long after each further stall, so that a worker preempted now and then
    /// costs little and one that competes with other processes all the time is left alone.
    fn use_worker(&mut self) -> bool {
        self.phase = (self.phase + 1) % PERIOD;
        if self.phase == 0 {
            self.start_period();
        }
        if !self.trying || self.phase < TRIAL {
            return false;
        }
        if self.phase == 2 * TRIAL {
            // Medians, not means: a phase delayed by an interrupt must not decide the period.
            // Phases alternate between computing currents and advancing states, which differ
            // several-fold in cost, so each kind has its own median.
            let [s0, s1, t0, t1] = &mut self.trial_times;
            let single = median(s0) + median(s1);
            let threaded = median(t0) + median(t1);
            self.threads_win = threaded <= single;
            if !self.threads_win {
                self.worker.rest();
            }
        }
        if self.resting > 0 {
            self.resting -= 1;
            return false;
        }
        self.phase < 2 * TRIAL || self.threads_win
    }

    /// Starts a period. A period in which one thread won its trial, or in which the worker
    /// stalled again and again, counts as lost; after k lost periods in a row the next 2^k − 1
    /// (at most 15) periods run on one thread without a trial, so that a process competing with
    /// others for all processors does not keep waking its worker.
    fn start_period(&mut self) {
        if self.trying {
            if !self.threads_win || self.period_stalls >= 3 {
                self.losses = (self.losses + 1).min(4);
                self.skip = (1 << self.losses) - 1;
            } else {
                self.losses = 0;
            }
        }
        self.stall_limit = f64::INFINITY;
        self.trial_times.iter_mut().for_each(Vec::clear);
        if self.period_stalls == 0 {
            self.backoff = REST;
        }
        self.period_stalls = 0;
        self.resting = 0;
        self.trying = self.skip == 0;
        if self.trying {
            self.threads_win = true;
        } else {
            self.skip -= 1;
            self.worker.rest();
        }
    }

    /// Records the wall time of a phase. Trial phases are accumulated; a threaded phase that
    /// takes many times a one-thread phase means the worker was preempted (another process wanted
    /// the processor), and the worker rests.
    fn record(&mut self, threaded: bool, secs: f64) {
        if self.phase == TRIAL {
            let (sum, n) =
                self.trial_times[..2].iter().flatten().fold((0.0, 0usize), |(sum, n), t| (sum + t, n + 1));
            if n > 0 {
                self.stall_limit = STALL * sum / n as f64;
            }
            // The first threaded phase after the one-thread trial may include waking the worker.
            return;
        }
        if threaded && secs > self.stall_limit {
            self.resting = self.backoff;
            self.backoff = (2 * self.backoff).min(PERIOD);
            self.period_stalls += 1;
            self.worker.rest();
            return;
        }
        if self.phase >= 2 * TRIAL {
            return;
        }
        let list = 2 * usize::from(threaded) + (self.phase % 2) as usize;
        let times = &mut self.trial_times[list];
        if times.len() < times.capacity() {
            times.push(secs);
        }
    }

    /// Places the split node where `lower_share` of the instances lie below, and finds each
    /// mechanism's split instance.
    fn resplit(&mut self, mechs: &[MechanismInstances]) {
        let total = *self.prefix.last().unwrap_or(&0.0);
        let target = self.lower_share * total;
        let split_node = self.prefix.partition_point(|&c| c < target).saturating_sub(1);
        // Refilled in place: a rebalance happens during the run, where nothing may allocate.
        self.split.clear();
        self.split.extend(mechs.iter().map(|m| {
            if m.meta.parallel_safe {
                split_index(&m.node[..m.count], split_node as u32)
            } else {
                None
            }
        }));
    }

    /// Moves the split so that both threads take the same time: instances differ in cost
    /// (dendritic sodium channels against a leak), which counts cannot know.
    fn balance(&mut self, lo: f64, hi: f64, mechs: &[MechanismInstances]) {
        self.timed.0 += lo;
        self.timed.1 += hi;
        self.timed.2 += 1;
        if self.timed.2 < 512 {
            return;
        }
        let (lo, hi, _) = self.timed;
        self.timed = (0.0, 0.0, 0);
        if lo + hi <= 0.0 {
            return;
        }
        // Cost per instance on each side, then the share that equalises the two sides.
        let s = self.lower_share;
        let (c_lo, c_hi) = (lo / s.max(1e-6), hi / (1.0 - s).max(1e-6));
        let ideal = c_hi / (c_lo + c_hi);
        let next = (0.5 * s + 0.5 * ideal).clamp(0.05, 0.95);
        if (next - s).abs() > 0.005 {
            self.lower_share = next;
            self.resplit(mechs);
        }
    }
}

// SAFETY: every raw pointer inside a `Simulation` points into memory the simulation owns (its
// event system, weight vectors, columns) or to static kernel code; nothing is shared with another
// simulation, so moving the whole simulation to another thread is sound.
unsafe impl Send for Simulation {}

impl Drop for Simulation {
    fn drop(&mut self) {
        // SAFETY: `events` came from `Box::into_raw` in the builder and is freed only here.
        unsafe { drop(Box::from_raw(self.events)) };
    }
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("nodes", &self.v.len())
            .field("mechanisms", &self.mechs.iter().map(|m| m.meta.name.as_str()).collect::<Vec<_>>())
            .field("t", &self.t)
            .finish()
    }
}

impl Simulation {
    fn ev(&mut self) -> &mut EventSystem {
        // SAFETY: owned pointer (see Drop); no kernel is running while the engine uses it.
        unsafe { &mut *self.events }
    }

    /// The event system (connections, sources, recorded spikes).
    pub fn events(&self) -> &EventSystem {
        // SAFETY: as in `ev`.
        unsafe { &*self.events }
    }

    #[inline]
    fn tick(&self) -> Option<Instant> {
        self.prof.as_ref().map(|_| Instant::now())
    }

    #[inline]
    fn tock(&mut self, slot: usize, t0: Option<Instant>) {
        if let (Some(p), Some(t0)) = (self.prof.as_mut(), t0) {
            let e = &mut p[slot];
            e.0 += t0.elapsed().as_secs_f64();
            e.1 += 1;
        }
    }

    /// Starts accounting where the time of the following steps goes (a clock read around every
    /// phase and every kernel call, about 1 µs per step).
    pub fn enable_profile(&mut self) {
        self.prof = Some(vec![(0.0, 0); FIXED_SLOTS.len() + 2 * self.mechs.len()]);
    }

    /// The time per phase and per kernel since [`Simulation::enable_profile`], largest first.
    pub fn profile(&self) -> Option<Vec<ProfileEntry>> {
        let p = self.prof.as_ref()?;
        let mut out: Vec<ProfileEntry> = p
            .iter()
            .enumerate()
            .filter(|(_, e)| e.1 > 0)
            .map(|(i, &(seconds, calls))| {
                let name = if i < FIXED_SLOTS.len() {
                    FIXED_SLOTS[i].to_string()
                } else {
                    let k = (i - FIXED_SLOTS.len()) / 2;
                    let what = if (i - FIXED_SLOTS.len()).is_multiple_of(2) {
                        "compute_currents"
                    } else {
                        "advance_state"
                    };
                    format!("{what} {} ({} instances)", self.mechs[k].meta.name, self.mechs[k].count)
                };
                ProfileEntry { name, seconds, calls }
            })
            .collect();
        out.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
        Some(out)
    }

    fn refresh_ion_cols(&mut self) {
        for (c, ion) in self.ion_cols.iter_mut().zip(self.ions.iter_mut()) {
            *c = ion.columns();
        }
    }

    fn env(&mut self, t: f64, electrode: bool) -> Env {
        let (i, g) = if electrode {
            (self.i_elec.as_mut_ptr(), self.g_elec.as_mut_ptr())
        } else {
            (self.i_mem.as_mut_ptr(), self.g_mem.as_mut_ptr())
        };
        Env {
            t,
            dt: self.dt,
            celsius: self.celsius,
            secondorder: self.secondorder as u32,
            v: self.v.as_ptr(),
            i,
            g,
            area: self.layout.area.as_ptr(),
            diam: self.layout.diam.as_ptr(),
            services: &*self.services,
        }
    }

    fn cj(&self) -> f64 {
        if self.secondorder {
            2.0 / self.dt
        } else {
            1.0 / self.dt
        }
    }

    fn take_service_error(&mut self) {
        let t = self.t;
        if let Some(e) = self.ev().error.take() {
            if self.error.is_none() {
                self.error = Some(RunError { t, message: e });
            }
        }
    }

    /// NEURON's `finitialize(v_init)`: voltages, states, ions, INITIAL blocks, connection
    /// initialisation, events at t = 0, currents at t = 0 and the first sample.
    pub fn finitialize(&mut self) {
        self.t = 0.0;
        self.step_index = 0;
        self.error = None;
        self.ev().clear();
        self.v.copy_from_slice(&self.v_init);
        for m in &mut self.mechs {
            m.reset_states();
        }
        let celsius = self.celsius;
        for ion in &mut self.ions {
            ion.initialize(celsius);
        }
        self.stimuli.initialize();
        self.ev().t_now = 0.0;
        for oi in 0..self.init_order.len() {
            let k = self.init_order[oi];
            self.refresh_ion_cols();
            let env = self.env(0.0, self.mechs[k].meta.electrode_current);
            let m = &mut self.mechs[k];
            if let Some(f) = m.kernels.init {
                m.call(f, &env, &self.ion_cols);
            }
            if let Some(f) = m.kernels.write_ions {
                m.call(f, &env, &self.ion_cols);
            }
            for &ion in &self.conc_writes[k] {
                self.ions[ion].nernst_at_einit(celsius);
            }
        }
        self.init_net_events();
        self.ev().schedule_times();
        self.deliver(0.0);
        self.setup_tree_matrix(0.0);
        if self.want_imem {
            for i in 0..self.v.len() {
                self.imem[i] = (self.cable.rhs()[i] + self.i_mem[i]) * self.layout.area[i] * 0.01;
            }
        }
        for p in &mut self.probes {
            p.values.clear();
        }
        self.sample_t.clear();
        self.sample();
        self.deliver(0.0);
        self.take_service_error();
        self.initialized = true;
    }

    fn init_net_events(&mut self) {
        let n = self.events().netcons.len();
        for nc in 0..n {
            let (mech, inst, len) = {
                let c = &self.events().netcons[nc];
                (c.target_mech as usize, c.target_instance as usize, c.weight_len)
            };
            let w = self.ev().weights_ptr(nc as u32);
            match self.mechs[mech].kernels.net_receive_init {
                Some(f) => {
                    self.refresh_ion_cols();
                    let env = self.env(0.0, false);
                    self.ev().t_now = 0.0;
                    // SAFETY: `w` is this connection's weight vector.
                    unsafe { self.mechs[mech].call_receive(f, &env, &self.ion_cols, inst, w, 0.0) };
                }
                None => {
                    // NEURON zeroes the extra weight-vector slots when there is no INITIAL.
                    for j in 1..len {
                        // SAFETY: `w` points to `len` weights of this connection.
                        unsafe { *w.add(j) = 0.0 };
                    }
                }
            }
        }
    }

    /// WATCH conditions: every mechanism's `post_event` kernel at time `t`.
    fn check_watches(&mut self, t: f64) {
        for k in 0..self.mechs.len() {
            if let Some(f) = self.mechs[k].kernels.post_event {
                self.ev().t_now = t;
                self.refresh_ion_cols();
                let env = self.env(t, self.mechs[k].meta.electrode_current);
                self.mechs[k].call(f, &env, &self.ion_cols);
            }
        }
        self.take_service_error();
    }

    /// Delivers every queued event with `t_event ≤ tm`.
    fn deliver(&mut self, tm: f64) {
        while let Some((te, kind)) = self.ev().pop_due(tm) {
            self.ev().t_now = te;
            let (mech, inst, weights, flag) = match kind {
                EventKind::NetCon(nc) => {
                    let (m, i) = {
                        let c = &self.events().netcons[nc as usize];
                        (c.target_mech, c.target_instance)
                    };
                    (m, i, self.ev().weights_ptr(nc), 0.0)
                }
                EventKind::SelfEvent { mech, instance, flag, weights } => (mech, instance, weights, flag),
            };
            let m = mech as usize;
            if let Some(f) = self.mechs[m].kernels.net_receive {
                self.refresh_ion_cols();
                let env = self.env(te, false);
                // SAFETY: `weights` is the connection's weight vector, or what `net_send` passed on
                // (a weight vector or null), as NEURON does.
                unsafe { self.mechs[m].call_receive(f, &env, &self.ion_cols, inst as usize, weights, flag) };
            }
            self.take_service_error();
        }
    }

    /// Currents, conductances and the cable matrix at time `t` (NEURON's `setup_tree_matrix`).
    fn setup_tree_matrix(&mut self, t: f64) {
        let p0 = self.tick();
        self.i_mem.fill(0.0);
        self.g_mem.fill(0.0);
        self.i_elec.fill(0.0);
        self.g_elec.fill(0.0);
        let celsius = self.celsius;
        for ion in &mut self.ions {
            ion.begin_currents(celsius);
        }
        self.refresh_ion_cols();
        self.tock(SLOT_IONS, p0);
        if self.par.is_some() && self.prof.is_none() {
            self.parallel_phase(t, |m| m.kernels.compute_currents);
        } else {
            for k in 0..self.mechs.len() {
                if let Some(f) = self.mechs[k].kernels.compute_currents {
                    let p1 = self.tick();
                    let env = self.env(t, self.mechs[k].meta.electrode_current);
                    self.mechs[k].call(f, &env, &self.ion_cols);
                    self.tock(FIXED_SLOTS.len() + 2 * k, p1);
                }
            }
        }
        let p2 = self.tick();
        self.stimuli.add_currents(t, &self.v, &mut self.i_elec, &mut self.g_elec);
        let cfac = 0.001 * self.cj();
        let n = self.v.len();
        let (d, rhs) = self.cable.d_rhs_mut();
        let (i_mem, i_elec, g_mem, g_elec) =
            (&self.i_mem[..n], &self.i_elec[..n], &self.g_mem[..n], &self.g_elec[..n]);
        let (cm, sav_d) = (&self.layout.cm[..n], &mut self.sav_d[..n]);
        for i in 0..n {
            // noccout.cpp: membrane currents rhs -= i, d += g; electrode currents rhs += i, d -= g.
            rhs[i] = -i_mem[i] + i_elec[i];
            sav_d[i] = g_mem[i] + cfac * cm[i];
            d[i] = sav_d[i] - g_elec[i];
        }
        self.cable.add_axial(&self.v);
        self.tock(SLOT_MATRIX, p2);
    }

    /// Runs the mechanism phases of each step on `n` threads (1 or 2; more are treated as 2).
    ///
    /// The nodes are split in two halves holding about the same number of mechanism instances;
    /// each thread runs every mechanism, in order, over the instances of its half. Mechanisms
    /// whose kernels use runtime services or write mechanism-wide values (see
    /// `MechanismMeta::parallel_safe`), and those whose instances are not in node order, run
    /// whole on the calling thread. Results are identical to one thread: every instance computes
    /// the same thing, and per node the mechanisms still run in the same order.
    pub fn set_threads(&mut self, n: usize) -> std::io::Result<()> {
        if n < 2 {
            self.par = None;
            return Ok(());
        }
        // Instances per node (of mechanisms that may be split), cumulated over the nodes.
        let nodes = self.v.len();
        let mut prefix = vec![0.0f64; nodes + 1];
        for m in &self.mechs {
            if m.meta.parallel_safe {
                for &nd in &m.node[..m.count] {
                    prefix[nd as usize + 1] += 1.0;
                }
            }
        }
        for i in 0..nodes {
            prefix[i + 1] += prefix[i];
        }
        let upper_fields = self.mechs.iter().map(|m| Vec::with_capacity(m.meta.fields.len())).collect();
        let cap = 2 * self.mechs.len();
        let mut par = Parallel::new(Worker::new(cap)?, prefix, upper_fields, cap);
        par.resplit(&self.mechs);
        self.par = Some(par);
        Ok(())
    }

    /// How the mechanism phases ran on two threads (None with one thread).
    pub fn thread_usage(&self) -> Option<ThreadUsage> {
        self.par.as_ref().map(|p| p.usage)
    }

    /// One mechanism phase on two threads (kernel chosen by `pick`).
    fn parallel_phase(&mut self, t: f64, pick: fn(&MechanismInstances) -> Option<crate::abi::KernelFn>) {
        let Some(mut par) = self.par.take() else { return };
        par.jobs[0].clear();
        par.jobs[1].clear();
        for k in 0..self.mechs.len() {
            let Some(f) = pick(&self.mechs[k]) else { continue };
            if self.mechs[k].count == 0 {
                continue;
            }
            let env = self.env(t, self.mechs[k].meta.electrode_current);
            match par.split[k] {
                Some(at) => {
                    let (lo, hi) =
                        self.mechs[k].split_args(&env, &self.ion_cols, at, &mut par.upper_fields[k]);
                    if lo.count > 0 {
                        par.jobs[0].push(Job { kernel: f, args: lo });
                    }
                    if hi.count > 0 {
                        par.jobs[1].push(Job { kernel: f, args: hi });
                    }
                }
                None => {
                    let args = self.mechs[k].args(&env, &self.ion_cols);
                    par.jobs[0].push(Job { kernel: f, args });
                }
            }
        }
        let start = Instant::now();
        // Only phases with work for the worker take part in the one-thread/two-thread comparison
        // (a phase with nothing to split, such as writing ions, would make one thread look free).
        let eligible = !par.jobs[1].is_empty();
        if eligible && par.use_worker() {
            if let Some((lo, hi)) = par.worker.run(&par.jobs[0], &par.jobs[1]) {
                par.balance(lo, hi, &self.mechs);
                par.usage.two_threads += 1;
            } else {
                par.usage.worker_missed += 1;
            }
            par.record(true, start.elapsed().as_secs_f64());
        } else {
            par.usage.one_thread += u64::from(eligible);
            for j in par.jobs[0].iter().chain(&par.jobs[1]) {
                // SAFETY: as in `MechanismInstances::call`.
                unsafe { (j.kernel)(&j.args) };
            }
            if eligible {
                par.record(false, start.elapsed().as_secs_f64());
            }
        }
        self.par = Some(par);
    }

    /// Advances one time step.
    pub fn step(&mut self) {
        if !self.initialized {
            self.finitialize();
        }
        let dt = self.dt;
        let t0 = self.t;
        let p0 = self.tick();
        {
            let v = std::mem::take(&mut self.v);
            self.ev().check_thresholds(t0, &v);
            self.v = v;
        }
        self.check_watches(t0);
        self.deliver(t0 + 0.5 * dt);
        self.tock(SLOT_EVENTS, p0);
        self.t += 0.5 * dt;
        let tmid = self.t;
        self.setup_tree_matrix(tmid);
        let p1 = self.tick();
        self.cable.solve();
        self.tock(SLOT_SOLVE, p1);
        let p1 = self.tick();
        if self.secondorder {
            for ion in &mut self.ions {
                ion.second_order_correction(self.cable.rhs());
            }
        }
        let rhs = self.cable.rhs();
        if self.secondorder {
            for (v, x) in self.v.iter_mut().zip(rhs) {
                *v += 2.0 * x;
            }
        } else {
            for (v, x) in self.v.iter_mut().zip(rhs) {
                *v += x;
            }
        }
        if self.want_imem {
            let area = &self.layout.area;
            for i in 0..self.v.len() {
                self.imem[i] = (self.sav_d[i] * rhs[i] + self.i_mem[i]) * area[i] * 0.01;
            }
        }
        self.t += 0.5 * dt;
        let t1 = self.t;
        // A breakdown anywhere in a cell reaches its root node through the elimination within
        // this step (or the next, when it starts in a state variable): watching the roots stops
        // the run where it happened, for a few comparisons per step.
        if self.error.is_none() && self.v[..self.layout.n_cells].iter().any(|v| !v.is_finite()) {
            self.error = Some(self.breakdown());
        }
        self.refresh_ion_cols();
        self.tock(SLOT_UPDATE, p1);
        let parallel = self.par.is_some() && self.prof.is_none();
        if parallel {
            self.parallel_phase(t1, |m| m.kernels.advance_state);
            self.parallel_phase(t1, |m| m.kernels.write_ions);
        }
        for k in 0..self.mechs.len() {
            let (adv, wr) = (self.mechs[k].kernels.advance_state, self.mechs[k].kernels.write_ions);
            if parallel || (adv.is_none() && wr.is_none()) {
                continue;
            }
            let p2 = self.tick();
            let env = self.env(t1, self.mechs[k].meta.electrode_current);
            if let Some(f) = adv {
                self.mechs[k].call(f, &env, &self.ion_cols);
            }
            if let Some(f) = wr {
                self.mechs[k].call(f, &env, &self.ion_cols);
            }
            self.tock(FIXED_SLOTS.len() + 2 * k + 1, p2);
        }
        let p3 = self.tick();
        self.stimuli.after_solve(&self.v);
        self.step_index += 1;
        if self.step_index.is_multiple_of(self.record_every) {
            self.sample();
        }
        self.tock(SLOT_PROBES, p3);
        let p4 = self.tick();
        self.deliver(t1);
        self.take_service_error();
        self.tock(SLOT_EVENTS, p4);
    }

    fn sample(&mut self) {
        self.sample_t.push(self.t);
        for p in &mut self.probes {
            let x = match p.source {
                ProbeSource::V(n) => self.v[n as usize],
                ProbeSource::IMembrane(n) => self.imem[n as usize],
                ProbeSource::Field { mech, field, instance } => {
                    self.mechs[mech as usize].get(field as usize, instance as usize)
                }
                ProbeSource::Ion { ion, field, node } => {
                    let s = &self.ions[ion as usize];
                    let n = node as usize;
                    match field {
                        IonField::Erev => s.erev[n],
                        IonField::ConcIn => s.conc_in[n],
                        IonField::ConcOut => s.conc_out[n],
                        IonField::Current => s.cur[n],
                    }
                }
                ProbeSource::IClamp(k) => self.stimuli.iclamp.i[k as usize],
                ProbeSource::Waveform(k) => self.stimuli.waveform.i[k as usize],
                ProbeSource::Noise(k) => self.stimuli.noise.i[k as usize],
                ProbeSource::SEClampI(k) => self.stimuli.seclamp.i[k as usize],
                ProbeSource::SEClampVc(k) => self.stimuli.seclamp.vc[k as usize],
            };
            p.values.push(x);
        }
    }

    /// Runs from `finitialize` to `tstop` (`round(tstop/dt)` steps). Stops at the first error
    /// raised through the runtime services or at the first non-finite voltage.
    pub fn run(&mut self) -> Result<(), RunError> {
        self.finitialize();
        if let Some(e) = self.error.clone() {
            return Err(e);
        }
        for _ in 0..self.nsteps {
            self.step();
            if let Some(e) = self.error.clone() {
                return Err(e);
            }
        }
        if self.v.iter().any(|v| !v.is_finite()) {
            return Err(self.breakdown());
        }
        Ok(())
    }

    /// The error of a non-finite membrane potential, naming the first such node.
    fn breakdown(&self) -> RunError {
        let i = self.v.iter().position(|v| !v.is_finite()).unwrap_or(0);
        RunError {
            t: self.t,
            message: format!("the membrane potential of node {i} is not finite (numerical breakdown)"),
        }
    }

    /// Continues for `n` steps after `finitialize` (or a previous run).
    pub fn advance(&mut self, n: usize) -> Result<(), RunError> {
        for _ in 0..n {
            self.step();
            if let Some(e) = self.error.clone() {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Current time (ms).
    pub fn time(&self) -> f64 {
        self.t
    }

    /// Time step (ms).
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Number of steps `run` takes.
    pub fn steps(&self) -> usize {
        self.nsteps
    }

    /// Node voltages (mV).
    pub fn voltages(&self) -> &[f64] {
        &self.v
    }

    /// Transmembrane current per node (nA), when some probe asked for it.
    pub fn membrane_currents(&self) -> Option<&[f64]> {
        self.want_imem.then_some(&self.imem[..])
    }

    /// The node layout (topology, areas, coefficients).
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Names of cells, sections and instances.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The node at `section(x)` of a named cell.
    pub fn node(&self, cell: &str, section: &str, x: f64) -> Option<u32> {
        let c = *self.names.cells.get(cell)?;
        let s = *self.names.sections[c].get(section)?;
        Some(self.layout.node_at(c, s, x))
    }

    /// Sample times (ms).
    pub fn sample_times(&self) -> &[f64] {
        &self.sample_t
    }

    /// All recorded traces, in probe order.
    pub fn traces(&self) -> Vec<Trace<'_>> {
        self.probes
            .iter()
            .map(|p| Trace { name: &p.name, var: &p.var, t: &self.sample_t, values: &p.values })
            .collect()
    }

    /// The trace of a probe by name.
    pub fn trace(&self, name: &str) -> Option<Trace<'_>> {
        self.traces().into_iter().find(|t| t.name == name)
    }

    /// Spikes of every recorded source.
    pub fn spikes(&self) -> Vec<SpikeTrain<'_>> {
        self.events()
            .presyns
            .iter()
            .filter(|p| p.record)
            .map(|p| SpikeTrain { source: &p.label, times: &p.spikes })
            .collect()
    }

    /// The mechanisms of the simulation (id = index).
    pub fn mechanisms(&self) -> &[MechanismInstances] {
        &self.mechs
    }

    /// Mutable access to a mechanism's instances (e.g. to change parameters between runs).
    pub fn mechanism_mut(&mut self, name: &str) -> Option<&mut MechanismInstances> {
        self.mechs.iter_mut().find(|m| m.meta.name == name)
    }

    /// The ion species of the simulation.
    pub fn ions(&self) -> &[Ion] {
        &self.ions
    }

    /// The native stimuli (mutable, e.g. to change amplitudes between runs).
    pub fn stimuli_mut(&mut self) -> &mut Stimuli {
        &mut self.stimuli
    }
}

#[cfg(test)]
mod thread_policy_tests {
    use super::*;

    fn policy() -> Parallel {
        Parallel::new(Worker::new(0).expect("worker"), vec![0.0], Vec::new(), 0)
    }

    /// Runs one period in which a phase takes `one` seconds on one thread and `two` on two (and
    /// a hundred times `one` at the threaded phases listed in `stalls`); returns how many phases
    /// used the worker.
    fn period(p: &mut Parallel, one: f64, two: f64, stalls: &[u32]) -> u32 {
        let mut used = 0;
        for k in 0..PERIOD {
            let w = p.use_worker();
            used += u32::from(w);
            let secs = match (w, stalls.contains(&k)) {
                (true, true) => 100.0 * one,
                (true, false) => two,
                (false, _) => one,
            };
            p.record(w, secs);
        }
        used
    }

    #[test]
    fn two_threads_run_when_faster() {
        let mut p = policy();
        for _ in 0..3 {
            let used = period(&mut p, 16e-6, 10e-6, &[]);
            assert_eq!(used, PERIOD - TRIAL);
        }
    }

    #[test]
    fn one_thread_runs_when_two_are_slower_and_trials_thin_out() {
        let mut p = policy();
        // Lost periods in a row skip 1, 3, 7 … periods without a trial.
        let used: Vec<u32> = (0..12).map(|_| period(&mut p, 16e-6, 20e-6, &[])).collect();
        assert_eq!(used, [TRIAL, 0, TRIAL, 0, 0, 0, TRIAL, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn an_occasional_stall_rests_the_worker_briefly() {
        let mut p = policy();
        let used = period(&mut p, 16e-6, 10e-6, &[1000]);
        assert_eq!(used, PERIOD - TRIAL - REST);
        // The next period is a normal one.
        assert_eq!(period(&mut p, 16e-6, 10e-6, &[]), PERIOD - TRIAL);
    }

    #[test]
    fn repeated_stalls_back_off_and_skip_periods() {
        let mut p = policy();
        let used = period(&mut p, 16e-6, 10e-6, &[1000, 1500, 2500]);
        // Rests of 256, 512 and 1024 phases after the three stalls.
        assert_eq!(used, PERIOD - TRIAL - (REST + 2 * REST + 4 * REST));
        assert_eq!(period(&mut p, 16e-6, 10e-6, &[]), 0, "a period is skipped");
        assert_eq!(period(&mut p, 16e-6, 10e-6, &[]), PERIOD - TRIAL, "then the worker is tried again");
    }
}
