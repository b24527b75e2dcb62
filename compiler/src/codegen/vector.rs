//! Two instances per iteration with `f64x2` vectors.
//!
//! A body is vectorised when every instance runs the same straight-line code: `if`s are
//! if-converted (both branches are computed, each assigned value picks its lane with a
//! bit-select), which is possible when branches only assign locals and fields. Values that live
//! per node (v, area, ion columns, current accumulators) are gathered and scattered lane by lane,
//! since consecutive instances need not sit on consecutive nodes; fields are contiguous columns
//! and load as vectors. Math calls without a vector form are made lane by lane; exp is inline for
//! both forms.
//!
//! Each lane computes exactly what the scalar code computes for that instance: same operations in
//! the same order, so vector, scalar and interpreter results are identical.

use super::{Emitter, ExprId};
use crate::mir::{Body, Mechanism, Place, Stmt};
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{types, Endianness, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::Variable;
use cranelift_module::Module;
use myelin_runtime::abi::MechanismKind;
use std::collections::{BTreeSet, HashMap};

/// True when `body` can run two instances per iteration (and gains from it).
pub fn vectorizable(m: &Mechanism, body: &Body) -> bool {
    // Point processes may share a node: scattering two lanes to one node would lose an update.
    // Table lookups are gathers lane by lane: measured slower than scalar code (hh: 3x).
    m.meta.kind == MechanismKind::Density
        && body.prologue.is_empty()
        && stmts_ok(&body.stmts, false)
        && !m.arena.nodes.iter().any(|n| {
            matches!(
                n,
                crate::mir::Node::TableLookup { .. }
                    | crate::mir::Node::Read(Place::FieldAt(..) | Place::GlobalAt(..))
            )
        })
}

fn stmts_ok(v: &[Stmt], in_branch: bool) -> bool {
    v.iter().all(|s| match s {
        Stmt::Assign(p, _) => match p {
            Place::Local(_) | Place::Field(_) => true,
            Place::Ion(..)
            | Place::IonCurrentSum(_)
            | Place::IonDidvSum(_)
            | Place::CurrentSum
            | Place::ConductanceSum => !in_branch,
            _ => false,
        },
        Stmt::If(_, a, b) => stmts_ok(a, true) && stmts_ok(b, true),
        _ => false,
    })
}

impl<M: Module> Emitter<'_, '_, M> {
    /// Memory flags for vector accesses (columns need not be 16-byte aligned).
    pub(super) fn vflags(&self) -> MemFlagsData {
        MemFlagsData::new().with_notrap()
    }

    /// A constant in the current lane width.
    pub(super) fn fconst(&mut self, c: f64) -> Value {
        let s = self.b.ins().f64const(c);
        self.widen(s)
    }

    /// A scalar broadcast to the current lane width.
    pub(super) fn widen(&mut self, s: Value) -> Value {
        if self.lanes == 2 {
            self.b.ins().splat(types::F64X2, s)
        } else {
            s
        }
    }

    /// The float type of values in the current mode.
    pub(super) fn fty(&self) -> types::Type {
        if self.lanes == 2 {
            types::F64X2
        } else {
            types::F64
        }
    }

    /// A comparison result (scalar i8 or i64x2 mask) as 0.0 / 1.0 in the current width.
    pub(super) fn truth(&mut self, c: Value) -> Value {
        let one = self.fconst(1.0);
        if self.lanes == 2 {
            let mask = self.b.ins().bitcast(
                types::F64X2,
                MemFlagsData::new().with_endianness(Endianness::Little),
                c,
            );
            self.b.ins().band(mask, one)
        } else {
            let z = self.b.ins().f64const(0.0);
            self.b.ins().select(c, one, z)
        }
    }

    /// `c != 0 ? a : b` in the current width.
    pub(super) fn choose(&mut self, c: Value, a: Value, b: Value) -> Value {
        let z = self.fconst(0.0);
        let cond = self.b.ins().fcmp(FloatCC::NotEqual, c, z);
        self.choose_mask(cond, a, b)
    }

    /// Selects by a comparison result (scalar i8 or i64x2 mask).
    pub(super) fn choose_mask(&mut self, cond: Value, a: Value, b: Value) -> Value {
        if self.lanes == 2 {
            let mask = self.b.ins().bitcast(
                types::F64X2,
                MemFlagsData::new().with_endianness(Endianness::Little),
                cond,
            );
            self.b.ins().bitselect(mask, a, b)
        } else {
            self.b.ins().select(cond, a, b)
        }
    }

    /// Applies a scalar computation to each lane of `args` (lane-wise calls).
    pub(super) fn per_lane(
        &mut self,
        args: &[Value],
        f: &mut dyn FnMut(&mut Self, &[Value]) -> Value,
    ) -> Value {
        if self.lanes == 1 {
            return f(self, args);
        }
        let mut out: Option<Value> = None;
        for lane in 0..2u8 {
            let scalars: Vec<Value> = args.iter().map(|a| self.b.ins().extractlane(*a, lane)).collect();
            self.lanes = 1;
            let r = f(self, &scalars);
            self.lanes = 2;
            out = Some(match out {
                None => self.b.ins().scalar_to_vector(types::F64X2, r),
                Some(v) => self.b.ins().insertlane(v, r, 1u8),
            });
        }
        out.expect("two lanes")
    }

    /// Gathers a per-node column at the instances' nodes.
    pub(super) fn gather(&mut self, base: Value, off: i32) -> Value {
        let (n0, n1) = self.vnodes.expect("vector nodes");
        let a0 = self.elem_addr(base, n0);
        let a1 = self.elem_addr(base, n1);
        let x0 = self.b.ins().load(types::F64, self.flags, a0, off);
        let x1 = self.b.ins().load(types::F64, self.flags, a1, off);
        let v = self.b.ins().scalar_to_vector(types::F64X2, x0);
        self.b.ins().insertlane(v, x1, 1u8)
    }

    /// Scatters a vector to a per-node column at the instances' nodes.
    pub(super) fn scatter(&mut self, base: Value, v: Value) {
        let (n0, n1) = self.vnodes.expect("vector nodes");
        for (lane, n) in [(0u8, n0), (1u8, n1)] {
            let x = self.b.ins().extractlane(v, lane);
            let a = self.elem_addr(base, n);
            self.b.ins().store(self.flags, x, a, 0);
        }
    }

    /// Per-instance setup of a vector iteration over instances `i` and `i + 1`.
    pub(super) fn enter_pair(&mut self, i: Value, stmts: &[Stmt]) {
        self.instance = i;
        let node_base = self.base_ptr("node");
        let off = self.b.ins().imul_imm_s(i, 4);
        let addr = self.b.ins().iadd(node_base, off);
        let n0 = self.b.ins().load(types::I32, self.flags, addr, 0);
        let n1 = self.b.ins().load(types::I32, self.flags, addr, 4);
        let n0 = self.b.ins().uextend(types::I64, n0);
        let n1 = self.b.ins().uextend(types::I64, n1);
        self.vnodes = Some((n0, n1));
        self.node = Some(n0);
        let mut places = BTreeSet::new();
        super::collect_places_stmts(self.m, stmts, &mut places);
        self.node_vals.clear();
        for (p, name) in [(Place::V, "v"), (Place::Area, "area"), (Place::Diam, "diam")] {
            if places.contains(&p) {
                let base = self.base_ptr(name);
                let val = self.gather(base, 0);
                let var = self.b.declare_var(types::F64X2);
                self.b.def_var(var, val);
                self.node_vals.insert(name, var);
            }
        }
        self.field_vars.clear();
        self.dirty.clear();
        for p in places {
            if let Place::Field(k) = p {
                let var = self.b.declare_var(types::F64X2);
                self.field_vars.insert(k, var);
            }
        }
        let live = super::fields_live_on_entry(self.m, &[stmts], &[]);
        let fields: Vec<(u32, Variable)> = self.field_vars.iter().map(|(k, v)| (*k, *v)).collect();
        for (k, var) in fields {
            if !live.contains(&k) {
                continue;
            }
            let col = self.field_cols[&k];
            let a = self.elem_addr(col, i);
            let fl = self.vflags();
            let val = self.b.ins().load(types::F64X2, fl, a, 0);
            self.b.def_var(var, val);
        }
    }

    /// Stores the fields a vector iteration wrote.
    pub(super) fn flush_pair(&mut self) {
        let dirty: Vec<u32> = self.dirty.iter().copied().collect();
        for k in dirty {
            let val = self.b.use_var(self.field_vars[&k]);
            let col = self.field_cols[&k];
            let a = self.elem_addr(col, self.instance);
            let fl = self.vflags();
            self.b.ins().store(fl, val, a, 0);
        }
    }

    /// Reads a place in vector mode.
    pub(super) fn vread(&mut self, p: Place) -> Value {
        match p {
            Place::Local(k) => self.b.use_var(self.locals[k as usize]),
            Place::Field(k) => self.b.use_var(self.field_vars[&k]),
            Place::V | Place::Area | Place::Diam => {
                let name = super::node_name(p);
                match self.node_vals.get(name).copied() {
                    Some(var) => self.b.use_var(var),
                    None => {
                        let base = self.base_ptr(name);
                        self.gather(base, 0)
                    }
                }
            }
            Place::Global(k) => {
                let g = self.base_ptr("globals");
                let s = self.b.ins().load(types::F64, self.flags, g, (k * 8) as i32);
                self.widen(s)
            }
            Place::T | Place::Dt | Place::Celsius | Place::SecondOrder => {
                self.lanes = 1;
                let s = self.read(p);
                self.lanes = 2;
                self.widen(s)
            }
            _ => {
                let base = self.node_column(p);
                self.gather(base, 0)
            }
        }
    }

    /// Writes a place in vector mode.
    pub(super) fn vwrite(&mut self, p: Place, v: Value) {
        match p {
            Place::Local(k) => self.b.def_var(self.locals[k as usize], v),
            Place::Field(k) => {
                self.b.def_var(self.field_vars[&k], v);
                self.dirty.insert(k);
            }
            _ => {
                let base = self.node_column(p);
                self.scatter(base, v);
            }
        }
    }

    /// The per-node column behind a place.
    fn node_column(&mut self, p: Place) -> Value {
        match p {
            Place::Ion(k, kind) => self.ion_cols[&(k, super::ion_slot(kind))],
            Place::IonCurrentSum(k) => self.ion_cols[&(k, 0)],
            Place::IonDidvSum(k) => self.ion_cols[&(k, 1)],
            Place::CurrentSum => self.base_ptr("i"),
            Place::ConductanceSum => self.base_ptr("g"),
            _ => unreachable!("not a per-node column: {p:?}"),
        }
    }

    /// If-conversion: both branches run; every local and field either assigns picks its lane.
    pub(super) fn vif(&mut self, c: ExprId, then: &[Stmt], els: &[Stmt]) {
        let cv = self.expr(c);
        let z = self.fconst(0.0);
        let cond = self.b.ins().fcmp(FloatCC::NotEqual, cv, z);
        let mut assigned = BTreeSet::new();
        assigned_places(then, &mut assigned);
        assigned_places(els, &mut assigned);
        let before: HashMap<Place, Value> = assigned.iter().map(|p| (*p, self.vread(*p))).collect();
        self.stmts(then);
        let after_then: HashMap<Place, Value> = assigned.iter().map(|p| (*p, self.vread(*p))).collect();
        for (p, v) in &before {
            self.vwrite(*p, *v);
        }
        self.stmts(els);
        for p in &assigned {
            let e = self.vread(*p);
            let t = after_then[p];
            let merged = self.choose_mask(cond, t, e);
            self.vwrite(*p, merged);
        }
    }

    /// NEURON's clamped exponential, inline (scalar or vector): see `mir::exp`.
    pub(super) fn inline_exp(&mut self, x: Value) -> Value {
        use crate::mir::exp::{COEFFS, INV_LN2, LN2_HI, LN2_LO, SHIFTER};
        let (fty, ity) =
            if self.lanes == 2 { (types::F64X2, types::I64X2) } else { (types::F64, types::I64) };
        let hi_lim = self.fconst(700.0);
        let big = self.b.ins().fcmp(FloatCC::GreaterThan, x, hi_lim);
        let xc = self.choose_mask(big, hi_lim, x);
        let inv = self.fconst(INV_LN2);
        let sh = self.fconst(SHIFTER);
        let t = self.b.ins().fma(xc, inv, sh);
        let kf = self.b.ins().fsub(t, sh);
        let nk = self.b.ins().fneg(kf);
        let l2h = self.fconst(LN2_HI);
        let l2l = self.fconst(LN2_LO);
        let hi = self.b.ins().fma(nk, l2h, xc);
        let r = self.b.ins().fma(nk, l2l, hi);
        // Estrin's scheme, exactly as `mir::exp::poly`.
        let c: Vec<Value> = COEFFS.iter().map(|k| self.fconst(*k)).collect();
        let r2 = self.b.ins().fmul(r, r);
        let r4 = self.b.ins().fmul(r2, r2);
        let r8 = self.b.ins().fmul(r4, r4);
        let a: Vec<Value> = (0..6).map(|j| self.b.ins().fma(c[2 * j + 3], r, c[2 * j + 2])).collect();
        let b0 = self.b.ins().fma(a[1], r2, a[0]);
        let b1 = self.b.ins().fma(a[3], r2, a[2]);
        let b2 = self.b.ins().fma(a[5], r2, a[4]);
        let d0 = self.b.ins().fma(b1, r4, b0);
        let tail = self.b.ins().fma(b2, r8, d0);
        let q = self.b.ins().fma(r2, tail, r);
        let p = self.b.ins().fadd(q, c[0]);
        let le = MemFlagsData::new().with_endianness(Endianness::Little);
        let tb = if self.lanes == 2 {
            self.b.ins().bitcast(ity, le, t)
        } else {
            self.b.ins().bitcast(ity, MemFlagsData::new(), t)
        };
        let sub = self.b.ins().iconst(types::I64, (SHIFTER.to_bits() as i64).wrapping_sub(1023));
        let sub = if self.lanes == 2 { self.b.ins().splat(types::I64X2, sub) } else { sub };
        let e = self.b.ins().isub(tb, sub);
        let e = self.b.ins().ishl_imm_u(e, 52);
        let scale = if self.lanes == 2 {
            self.b.ins().bitcast(fty, le, e)
        } else {
            self.b.ins().bitcast(fty, MemFlagsData::new(), e)
        };
        let res = self.b.ins().fmul(p, scale);
        let lo_lim = self.fconst(-700.0);
        let small = self.b.ins().fcmp(FloatCC::LessThan, x, lo_lim);
        let zero = self.fconst(0.0);
        self.choose_mask(small, zero, res)
    }
}

/// Places assigned by statements (recursively).
fn assigned_places(v: &[Stmt], out: &mut BTreeSet<Place>) {
    for s in v {
        match s {
            Stmt::Assign(p, _) => {
                out.insert(*p);
            }
            Stmt::If(_, a, b) => {
                assigned_places(a, out);
                assigned_places(b, out);
            }
            _ => {}
        }
    }
}
