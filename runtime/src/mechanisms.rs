//! Mechanism storage: the instances of one mechanism as structure-of-arrays columns, and the
//! construction of the kernel argument block.
//!
//! Columns are allocated once, padded to a multiple of 8 instances, and never resized, so kernel
//! calls do not allocate. Pointers handed to kernels are taken afresh at every call from the
//! owning vectors.

use crate::abi::{
    FieldRole, IonColumns, KernelArgs, KernelFn, Kernels, MechanismMeta, NetReceiveFn, Services,
};
use std::ptr;

/// Instances are padded to a multiple of this many.
pub const PAD: usize = 8;

fn padded(n: usize) -> usize {
    n.div_ceil(PAD).max(1) * PAD
}

/// The per-call environment of a kernel: what changes between calls.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    /// Time passed to the kernel (ms).
    pub t: f64,
    /// Time step (ms).
    pub dt: f64,
    /// Temperature (°C).
    pub celsius: f64,
    /// 1 for Crank–Nicolson.
    pub secondorder: u32,
    /// Node voltages.
    pub v: *const f64,
    /// Current accumulator.
    pub i: *mut f64,
    /// Conductance accumulator.
    pub g: *mut f64,
    /// Node areas.
    pub area: *const f64,
    /// Node diameters.
    pub diam: *const f64,
    /// Runtime services.
    pub services: *const Services,
}

/// All instances of one mechanism.
#[derive(Debug)]
pub struct MechanismInstances {
    /// Mechanism id (index in the simulation's mechanism list, passed to kernels and services).
    pub id: u32,
    /// Metadata.
    pub meta: MechanismMeta,
    /// Kernels.
    pub kernels: Kernels,
    /// Number of instances.
    pub count: usize,
    /// Node of each instance (padded by repeating the last node).
    pub node: Vec<u32>,
    /// Mechanism-wide values in `meta.globals` order.
    pub globals: Vec<f64>,
    /// Index into the simulation's ion list of each ion in `meta.ions` order.
    pub ion_index: Vec<usize>,
    /// Name of each instance (point processes and artificial cells: their id; density: empty).
    pub labels: Vec<String>,
    columns: Vec<Vec<f64>>,
    field_ptrs: Vec<*mut f64>,
    ion_cols: Vec<IonColumns>,
}

impl MechanismInstances {
    /// Instances at `nodes` with every field at its default value.
    pub fn new(id: u32, meta: MechanismMeta, kernels: Kernels, nodes: Vec<u32>, labels: Vec<String>) -> Self {
        let count = nodes.len();
        let cap = padded(count);
        let mut node = nodes;
        let last = node.last().copied().unwrap_or(0);
        node.resize(cap, last);
        let columns: Vec<Vec<f64>> = meta
            .fields
            .iter()
            .map(|f| {
                let mut c = vec![f.default; cap];
                c[count..].fill(0.0);
                c
            })
            .collect();
        let globals = meta.globals.iter().map(|g| g.default).collect();
        let nf = columns.len();
        MechanismInstances {
            id,
            meta,
            kernels,
            count,
            node,
            globals,
            ion_index: Vec::new(),
            labels,
            columns,
            field_ptrs: vec![ptr::null_mut(); nf],
            ion_cols: Vec::new(),
        }
    }

    /// Value of a field of an instance.
    pub fn get(&self, field: usize, instance: usize) -> f64 {
        self.columns[field][instance]
    }

    /// Sets a field of an instance.
    pub fn set(&mut self, field: usize, instance: usize, value: f64) {
        self.columns[field][instance] = value;
    }

    /// One whole column (`count` entries).
    pub fn column(&self, field: usize) -> &[f64] {
        &self.columns[field][..self.count]
    }

    /// Puts every STATE back to its start value (`name0`), as finitialize does before INITIAL.
    pub fn reset_states(&mut self) {
        for (f, c) in self.meta.fields.iter().zip(self.columns.iter_mut()) {
            if f.role == FieldRole::State {
                c[..self.count].fill(f.default);
            }
        }
    }

    /// Builds the argument block for one call. `ions` are the simulation's ion columns.
    pub fn args(&mut self, env: &Env, ions: &[IonColumns]) -> KernelArgs {
        for (p, c) in self.field_ptrs.iter_mut().zip(self.columns.iter_mut()) {
            *p = c.as_mut_ptr();
        }
        self.ion_cols.clear();
        self.ion_cols.extend(self.ion_index.iter().map(|&k| ions[k]));
        KernelArgs {
            count: self.count as u64,
            mech_id: self.id,
            secondorder: env.secondorder,
            t: env.t,
            dt: env.dt,
            celsius: env.celsius,
            v: env.v,
            i: env.i,
            g: env.g,
            area: env.area,
            diam: env.diam,
            node: self.node.as_ptr(),
            fields: self.field_ptrs.as_ptr(),
            globals: self.globals.as_mut_ptr(),
            ions: if self.ion_cols.is_empty() { ptr::null() } else { self.ion_cols.as_ptr() },
            services: env.services,
            reserved: ptr::null_mut(),
        }
    }

    /// Argument blocks for instances `..at` and `at..` (two threads): the second block's node
    /// and field pointers start at instance `at`; `upper_fields` holds its field pointer table
    /// (reused across calls, so no allocation after the first).
    pub fn split_args(
        &mut self,
        env: &Env,
        ions: &[IonColumns],
        at: usize,
        upper_fields: &mut Vec<*mut f64>,
    ) -> (KernelArgs, KernelArgs) {
        let full = self.args(env, ions);
        let at = at.min(self.count);
        let mut lo = full;
        lo.count = at as u64;
        upper_fields.clear();
        // SAFETY: every column holds at least `count ≥ at` values.
        upper_fields.extend(self.field_ptrs.iter().map(|p| unsafe { p.add(at) }));
        let mut hi = full;
        hi.count = (self.count - at) as u64;
        // SAFETY: `node` holds at least `count ≥ at` entries.
        hi.node = unsafe { self.node.as_ptr().add(at) };
        hi.fields = upper_fields.as_ptr();
        (lo, hi)
    }

    /// Calls a kernel over all instances.
    pub fn call(&mut self, kernel: KernelFn, env: &Env, ions: &[IonColumns]) {
        if self.count == 0 {
            return;
        }
        let args = self.args(env, ions);
        // SAFETY: the argument block points to live columns of the right length (padded), node
        // columns of the whole simulation, and the services; the kernel follows the ABI.
        unsafe { kernel(&args) };
    }

    /// Calls the NET_RECEIVE kernel (or its INITIAL) for one instance.
    ///
    /// # Safety
    /// `weights` must point to a weight vector with the mechanism's NET_RECEIVE argument count
    /// that stays valid during the call, or be null (self-events sent from INITIAL).
    pub unsafe fn call_receive(
        &mut self,
        kernel: NetReceiveFn,
        env: &Env,
        ions: &[IonColumns],
        instance: usize,
        weights: *mut f64,
        flag: f64,
    ) {
        let args = self.args(env, ions);
        // SAFETY: as in `call`; `weights` is valid by this function's contract.
        unsafe { kernel(&args, instance as u64, weights, flag) };
    }

    /// Reserves ion column slots (called once the ion indices are known).
    pub fn set_ions(&mut self, ion_index: Vec<usize>) {
        self.ion_cols = Vec::with_capacity(ion_index.len());
        self.ion_index = ion_index;
    }
}
