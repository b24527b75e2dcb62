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

    /// NEURON's clamped exponential, inline (scalar or vector), exactly as `mir::exp::unclamped`:
    /// the common case (2⁻⁵⁴ ≤ |x| < 512) is computed in line with a table lookup per lane; when
    /// any lane is outside it (NEURON's clamp, the library's special scalings, NaN), a cold block
    /// calls the exponential helper for every lane.
    pub(super) fn inline_exp(&mut self, x: Value) -> Value {
        use crate::mir::exp::{
            C2, C3, C4, C5, FAST_MAX, FAST_MIN, INV_LN2_N, NEG_LN2_HI_N, NEG_LN2_LO_N, SHIFT, TABLE_BITS,
        };
        let vector = self.lanes == 2;
        let (fty, ity) = if vector { (types::F64X2, types::I64X2) } else { (types::F64, types::I64) };
        let bits_flags = if vector {
            MemFlagsData::new().with_endianness(Endianness::Little)
        } else {
            MemFlagsData::new()
        };
        let inv = self.fconst(INV_LN2_N);
        let sh = self.fconst(SHIFT);
        let kd = self.b.ins().fma(x, inv, sh);
        let ki = self.b.ins().bitcast(ity, bits_flags, kd);
        let kd = self.b.ins().fsub(kd, sh);
        let l2h = self.fconst(NEG_LN2_HI_N);
        let l2l = self.fconst(NEG_LN2_LO_N);
        let hi = self.b.ins().fma(kd, l2h, x);
        let r = self.b.ins().fma(kd, l2l, hi);
        // 2^(j/128) = H·(1 + tail), j = k mod 128, looked up per lane.
        let (tail, hbits) = if vector {
            let k0 = self.b.ins().extractlane(ki, 0u8);
            let k1 = self.b.ins().extractlane(ki, 1u8);
            let (t0, h0) = self.exp_table_entry(k0);
            let (t1, h1) = self.exp_table_entry(k1);
            let t = self.b.ins().scalar_to_vector(types::F64X2, t0);
            let t = self.b.ins().insertlane(t, t1, 1u8);
            let h = self.b.ins().scalar_to_vector(types::I64X2, h0);
            let h = self.b.ins().insertlane(h, h1, 1u8);
            (t, h)
        } else {
            self.exp_table_entry(ki)
        };
        let top = self.b.ins().ishl_imm_u(ki, i64::from(52 - TABLE_BITS));
        let sbits = self.b.ins().iadd(hbits, top);
        let scale = self.b.ins().bitcast(fty, bits_flags, sbits);
        // tail + exp(r) − 1, as `mir::exp::poly`.
        let (c2, c3, c4, c5) = (self.fconst(C2), self.fconst(C3), self.fconst(C4), self.fconst(C5));
        let r2 = self.b.ins().fmul(r, r);
        let t1 = self.b.ins().fadd(tail, r);
        let p23 = self.b.ins().fma(r, c3, c2);
        let t2 = self.b.ins().fma(r2, p23, t1);
        let r4 = self.b.ins().fmul(r2, r2);
        let p45 = self.b.ins().fma(r, c5, c4);
        let tmp = self.b.ins().fma(r4, p45, t2);
        let fast = self.b.ins().fma(scale, tmp, scale);
        // Lanes outside the common range go through the helper.
        let ax = self.b.ins().fabs(x);
        let (lo, hi) = (self.fconst(FAST_MIN), self.fconst(FAST_MAX));
        let below = self.b.ins().fcmp(FloatCC::LessThan, ax, hi);
        let above = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, ax, lo);
        let ok = self.b.ins().band(below, above);
        let all_ok = if vector { self.b.ins().vall_true(ok) } else { ok };
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.append_block_param(join, fty);
        self.b.set_cold_block(slow);
        self.b.ins().brif(all_ok, join, &[fast.into()], slow, &[]);
        self.b.switch_to_block(slow);
        self.b.seal_block(slow);
        let exact = self.call_math(crate::mir::MathFn::Exp, &[x]);
        self.b.ins().jump(join, &[exact.into()]);
        self.b.switch_to_block(join);
        self.b.seal_block(join);
        self.b.block_params(join)[0]
    }

    /// The table entry of a reduced exponent `k` (its low bits select 2^(j/128)): (T, bits of H
    /// minus j·2^45).
    fn exp_table_entry(&mut self, k: Value) -> (Value, Value) {
        let table = self.exp_table;
        let j = self.b.ins().band_imm_u(k, 127);
        let off = self.b.ins().ishl_imm_u(j, 4);
        let addr = self.b.ins().iadd(table, off);
        let fl = MemFlagsData::trusted().with_readonly().with_can_move();
        let t = self.b.ins().load(types::F64, fl, addr, 0);
        let h = self.b.ins().load(types::I64, fl, addr, 8);
        (t, h)
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
