//! Helpers shared by the test mechanisms: raw access to the argument block, NEURON's `exp`.

use crate::abi::{FieldMeta, FieldRole, GlobalMeta, IonColumns, IonUse, KernelArgs};

/// NEURON's `hoc_Exp`: 0 below −700, clamped at e^700 above 700.
pub fn hoc_exp(x: f64) -> f64 {
    if x < -700.0 {
        0.0
    } else if x > 700.0 {
        700f64.exp()
    } else {
        x.exp()
    }
}

/// Read/write access to an argument block inside a kernel.
pub struct Args<'a> {
    /// The block.
    pub a: &'a KernelArgs,
}

impl<'a> Args<'a> {
    /// # Safety
    /// `p` must be a valid argument block for the duration of the kernel call.
    pub unsafe fn new(p: *const KernelArgs) -> Args<'a> {
        // SAFETY: guaranteed by the caller.
        Args { a: unsafe { &*p } }
    }

    pub fn count(&self) -> usize {
        self.a.count as usize
    }

    /// The column of field `k` (hoisted out of loops by callers).
    pub fn col(&self, k: usize) -> Col {
        // SAFETY: one column pointer per field.
        Col(unsafe { *self.a.fields.add(k) })
    }

    /// Field `k` of instance `i`.
    pub fn get(&self, k: usize, i: usize) -> f64 {
        // SAFETY: the engine passes one column per field with at least `count` entries.
        unsafe { *(*self.a.fields.add(k)).add(i) }
    }

    pub fn set(&self, k: usize, i: usize, x: f64) {
        // SAFETY: as in `get`; columns are writable.
        unsafe { *(*self.a.fields.add(k)).add(i) = x }
    }

    pub fn node(&self, i: usize) -> usize {
        // SAFETY: `node` has `count` entries.
        unsafe { *self.a.node.add(i) as usize }
    }

    pub fn v(&self, node: usize) -> f64 {
        // SAFETY: node indices are valid for the node columns.
        unsafe { *self.a.v.add(node) }
    }

    pub fn area(&self, node: usize) -> f64 {
        // SAFETY: as in `v`.
        unsafe { *self.a.area.add(node) }
    }

    /// Adds current and conductance at a node.
    pub fn add(&self, node: usize, i: f64, g: f64) {
        // SAFETY: as in `v`; accumulators are writable.
        unsafe {
            *self.a.i.add(node) += i;
            *self.a.g.add(node) += g;
        }
    }

    pub fn ion(&self, k: usize) -> &IonColumns {
        // SAFETY: one entry per ion the mechanism declares.
        unsafe { &*self.a.ions.add(k) }
    }

    pub fn global(&self, k: usize) -> f64 {
        // SAFETY: one entry per declared global.
        unsafe { *self.a.globals.add(k) }
    }

    pub fn set_global(&self, k: usize, x: f64) {
        // SAFETY: as in `global`.
        unsafe { *self.a.globals.add(k) = x }
    }
}

/// One per-instance column.
#[derive(Clone, Copy)]
pub struct Col(*mut f64);

impl Col {
    pub fn get(self, i: usize) -> f64 {
        // SAFETY: callers index instances below `count`.
        unsafe { *self.0.add(i) }
    }

    pub fn set(self, i: usize, x: f64) {
        // SAFETY: as in `get`.
        unsafe { *self.0.add(i) = x }
    }
}

/// Reads a per-node ion column.
pub fn ion_get(col: *mut f64, node: usize) -> f64 {
    // SAFETY: ion columns have one entry per node.
    unsafe { *col.add(node) }
}

/// Adds to a per-node ion column.
pub fn ion_add(col: *mut f64, node: usize, x: f64) {
    // SAFETY: as in `ion_get`.
    unsafe { *col.add(node) += x }
}

/// Writes a per-node ion column.
pub fn ion_set(col: *mut f64, node: usize, x: f64) {
    // SAFETY: as in `ion_get`.
    unsafe { *col.add(node) = x }
}

pub fn field(name: &str, role: FieldRole, default: f64, units: &str) -> FieldMeta {
    FieldMeta { name: name.into(), role, default, units: units.into() }
}

pub fn global(name: &str, default: f64, settable: bool) -> GlobalMeta {
    GlobalMeta { name: name.into(), default, units: String::new(), settable }
}

/// An ion use with the given reads and writes.
pub fn ion_use(ion: &str, reads: &[&str], writes: &[&str]) -> IonUse {
    let r = |s: &str| reads.contains(&s);
    let w = |s: &str| writes.contains(&s);
    IonUse {
        ion: ion.into(),
        valence: None,
        reads_conc_in: r("in"),
        reads_conc_out: r("out"),
        reads_erev: r("e"),
        reads_current: r("i"),
        writes_current: w("i"),
        writes_conc_in: w("in"),
        writes_conc_out: w("out"),
        writes_erev: w("e"),
    }
}
