//! Lowering a checked NMODL mechanism to MIR, with NEURON's semantics for every entry point:
//!
//! - `init`: states set to their start values (`name0`; ion-concentration states are taken from
//!   the ion instead, as nocmodl does), READ ion variables copied in, INITIAL, written
//!   concentrations / reversal potentials copied out. Tables are (re)built first.
//! - `compute_currents`: BREAKPOINT without its SOLVEs, evaluated at v + 0.001 and at v; the
//!   conductance is the one-sided difference quotient; written ion currents and their
//!   derivatives are added to the ion columns; point processes are scaled by 100/area.
//! - `advance_state`: the SOLVEd blocks in BREAKPOINT order with the new v (cnexp, euler,
//!   derivimplicit, sparse, PROCEDURE), and the whole BREAKPOINT when the mechanism writes no
//!   current.
//! - `net_receive` / `net_receive_init`: NET_RECEIVE and its INITIAL block.
//!
//! PROCEDUREs and FUNCTIONs are inlined at each call (recursion is reported).

use super::verbatim;
use super::*;
use crate::diag::{Diagnostic, Span};
use crate::nmodl::ast::{self, ExprKind, StmtKind};
use crate::nmodl::sema::{self, BlockKind, IonVarKind, Kind, Special, SymbolKind};
use crate::solve::symbolic as sym;
use myelin_runtime::abi::{FieldMeta, FieldRole, GlobalMeta, IonUse, MechanismKind};
use std::collections::HashMap;

/// NEURON's voltage step for the finite-difference conductance (mV).
pub const DV: f64 = 0.001;

/// Options of the lowering.
#[derive(Debug, Clone, Copy, Default)]
pub struct LowerOptions {
    /// Ignore TABLE statements (evaluate exactly, as Arbor does) instead of NEURON's tables.
    pub exact_tables: bool,
    /// dI/dv by symbolic differentiation (as NMODL and Arbor do) instead of NEURON's
    /// finite difference at v + 0.001 mV; BREAKPOINTs with control flow keep the difference.
    pub symbolic_conductance: bool,
}

/// Which entry point a body is being built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Init,
    Currents,
    State,
    NetReceive,
}

/// Lowers a checked mechanism. Returns None (with diagnostics) when a construct cannot be
/// compiled.
pub fn lower(m: &sema::Mechanism<'_>, opts: LowerOptions, diags: &mut Vec<Diagnostic>) -> Option<Mechanism> {
    let mut l = Lowerer::new(m, opts, diags);
    l.layout();
    let mut init = l.init_body();
    let compute_currents = if m.writes_current() { Some(l.currents_body()) } else { None };
    let advance_state = l.state_body();
    let (net_receive, net_receive_init) = l.net_receive_bodies();
    let post_event = l.post_event_body();
    if l.failed {
        return None;
    }
    // Every table is built at initialisation, as NEURON checks all of them before INITIAL:
    // tables are created as their functions are first met, which may be after INITIAL.
    init.prologue = (0..l.tables.len() as u32).map(Stmt::BuildTable).collect();
    let meta = l.meta();
    let named = l.globals.len() as u32;
    let mut mech = Mechanism {
        meta,
        n_globals: named + l.scratch_count,
        arena: l.arena,
        init,
        compute_currents,
        advance_state,
        net_receive,
        net_receive_init,
        post_event,
        systems: l.systems,
        tables: l.tables,
    };
    finalize_globals(&mut mech, named);
    mech.meta.parallel_safe = parallel_safe(&mech);
    let problems = validate(&mech);
    if !problems.is_empty() {
        for p in problems {
            l.diags.push(Diagnostic::error("E0399", format!("internal error in the mechanism IR: {p}")));
        }
        return None;
    }
    Some(mech)
}

/// A name resolved for reading.
#[derive(Debug, Clone, Copy)]
enum Value {
    Place(Place),
    Const(f64),
}

struct Callee<'a> {
    callable: &'a ast::Callable,
    is_function: bool,
}

struct Lowerer<'m, 'a, 'd> {
    m: &'m sema::Mechanism<'a>,
    opts: LowerOptions,
    diags: &'d mut Vec<Diagnostic>,
    failed: bool,
    arena: Arena,
    fields: Vec<FieldMeta>,
    field_of: HashMap<String, u32>,
    globals: Vec<GlobalMeta>,
    global_of: HashMap<String, u32>,
    /// Number of unnamed global slots (tables, module LOCALs), numbered from SCRATCH_BASE.
    scratch_count: u32,
    systems: Vec<ImplicitSystem>,
    tables: Vec<Table>,
    /// Table index by callable name.
    table_of: HashMap<String, u32>,
    // Per-body state.
    entry: Entry,
    n_locals: u32,
    scopes: Vec<HashMap<String, Place>>,
    v_override: Option<Place>,
    inline_stack: Vec<String>,
    fn_return: Vec<(String, Place)>,
    /// Locals holding READ-only ion values in the current body.
    ion_locals: HashMap<String, Place>,
    /// While lowering an implicit system: state place → local slot.
    state_subst: HashMap<Place, Place>,
    /// Derivative accumulators of a KINETIC block being lowered: state place → local.
    kinetic_acc: Option<HashMap<Place, Place>>,
    kinetic_volumes: HashMap<Place, Place>,
    kinetic_conserve: Vec<(Place, ExprId)>,
    last_fluxes: Option<(Place, Place)>,
    /// WATCH conditions: (condition, armed field, state field, flag field).
    watches: Vec<(ast::Expr, u32, u32, u32)>,
    /// v copies of enclosing bodies while an implicit system is lowered.
    saved_v_override: Vec<Option<Place>>,
    /// The enclosing bodies' ion locals while an implicit system's residual body is lowered.
    saved_ion_locals: Vec<HashMap<String, Place>>,
    /// Loop variables of unrolled FROM loops, with their value in the current copy.
    const_vars: HashMap<String, f64>,
}

impl<'m, 'a, 'd> Lowerer<'m, 'a, 'd> {
    fn new(m: &'m sema::Mechanism<'a>, opts: LowerOptions, diags: &'d mut Vec<Diagnostic>) -> Self {
        Lowerer {
            m,
            opts,
            diags,
            failed: false,
            arena: Arena::default(),
            fields: vec![],
            field_of: HashMap::new(),
            globals: vec![],
            global_of: HashMap::new(),
            scratch_count: 0,
            systems: vec![],
            tables: vec![],
            table_of: HashMap::new(),
            entry: Entry::Init,
            n_locals: 0,
            scopes: vec![],
            v_override: None,
            inline_stack: vec![],
            fn_return: vec![],
            ion_locals: HashMap::new(),
            state_subst: HashMap::new(),
            kinetic_acc: None,
            kinetic_volumes: HashMap::new(),
            kinetic_conserve: vec![],
            last_fluxes: None,
            watches: vec![],
            saved_v_override: vec![],
            saved_ion_locals: vec![],
            const_vars: HashMap::new(),
        }
    }

    fn error(&mut self, code: &'static str, span: Span, msg: impl Into<String>, hint: &str) {
        self.failed = true;
        let mut d = Diagnostic::error(code, msg).with_primary(span, "here");
        if !hint.is_empty() {
            d = d.with_hint(hint);
        }
        self.diags.push(d);
    }

    // ------------------------------------------------------------------------------------------
    // Storage layout

    /// Decides where every variable lives: fields (per instance), globals, constants.
    fn layout(&mut self) {
        let order = self.m.order.clone();
        for name in &order {
            let s = self.m.symbols[name].clone();
            // Arrays are laid out element by element, named `x[k]` (the ABI's convention); an
            // indexed access resolves to its element at compile time (see `element_name`).
            let elements: Vec<String> = match s.array {
                Some(n) => (0..n).map(|k| format!("{name}[{k}]")).collect(),
                None => vec![name.clone()],
            };
            for name in &elements {
                self.layout_symbol(name, &s);
            }
        }
        self.layout_usetable();
    }

    fn layout_symbol(&mut self, name: &str, s: &sema::Symbol) {
        {
            let units = s.units.clone().unwrap_or_default();
            match &s.kind {
                SymbolKind::Parameter { value, range: true } => {
                    self.add_field(name, FieldRole::Parameter, *value, units)
                }
                SymbolKind::Parameter { value, range: false } => self.add_global(name, *value, units, true),
                SymbolKind::Pointer => self.add_field(name, FieldRole::Parameter, 0.0, units),
                SymbolKind::State { start } => {
                    self.add_field(name, FieldRole::State, *start, units);
                }
                SymbolKind::Assigned { .. } => {
                    // READ-only ion variables live in locals of each body (copied from the ion).
                    if s.ion.is_some() && !self.ion_written(name) {
                        return;
                    }
                    self.add_field(name, FieldRole::Assigned, 0.0, units)
                }
                SymbolKind::ModuleLocal => {
                    let slot = self.scratch_global(1);
                    self.global_of.insert(name.to_string(), slot);
                }
                _ => {}
            }
        }
    }

    fn layout_usetable(&mut self) {
        // usetable_<suffix>: NEURON's switch for TABLE (1 = use tables).
        if !self.opts.exact_tables && self.has_tables() {
            let g = self.globals.len() as u32;
            self.globals.push(GlobalMeta {
                name: "usetable".into(),
                default: 1.0,
                units: String::new(),
                settable: true,
            });
            self.global_of.insert(format!("usetable_{}", self.m.name), g);
            self.global_of.insert("usetable".into(), g);
        }
    }

    fn has_tables(&self) -> bool {
        self.m.items.iter().any(|i| match &i.kind {
            ast::ItemKind::Function(c) | ast::ItemKind::Procedure(c) => {
                c.body.stmts.iter().any(|s| matches!(s.kind, StmtKind::Table { .. }))
            }
            _ => false,
        })
    }

    fn ion_written(&self, name: &str) -> bool {
        self.m.ions.iter().any(|i| i.write.iter().any(|(n, _)| n == name))
    }

    fn add_field(&mut self, name: &str, role: FieldRole, default: f64, units: String) {
        let k = self.fields.len() as u32;
        self.fields.push(FieldMeta { name: name.to_string(), role, default, units });
        self.field_of.insert(name.to_string(), k);
    }

    fn add_global(&mut self, name: &str, default: f64, units: String, settable: bool) {
        let k = self.globals.len() as u32;
        self.globals.push(GlobalMeta { name: name.to_string(), default, units, settable });
        self.global_of.insert(name.to_string(), k);
    }

    /// Reserves `n` unnamed global slots after the named ones (offsets fixed up in `layout`).
    /// Scratch slots are numbered from a high base and remapped: simpler to count and place them
    /// after all named globals, which are all known before any scratch is requested except
    /// `usetable`; we therefore index scratch from `SCRATCH_BASE` and translate in `global_slot`.
    fn scratch_global(&mut self, n: u32) -> u32 {
        let k = SCRATCH_BASE + self.scratch_count;
        self.scratch_count += n;
        k
    }

    fn meta(&self) -> MechanismMeta {
        let ions = self
            .m
            .ions
            .iter()
            .map(|i| {
                let has =
                    |list: &Vec<(String, IonVarKind)>, k: IonVarKind| list.iter().any(|(_, kk)| *kk == k);
                IonUse {
                    ion: i.name.clone(),
                    valence: i.valence,
                    reads_conc_in: has(&i.read, IonVarKind::ConcIn),
                    reads_conc_out: has(&i.read, IonVarKind::ConcOut),
                    reads_erev: has(&i.read, IonVarKind::Erev),
                    reads_current: has(&i.read, IonVarKind::Current),
                    writes_current: has(&i.write, IonVarKind::Current),
                    writes_conc_in: has(&i.write, IonVarKind::ConcIn),
                    writes_conc_out: has(&i.write, IonVarKind::ConcOut),
                    writes_erev: has(&i.write, IonVarKind::Erev),
                }
            })
            .collect();
        let mut globals = self.globals.clone();
        // Scratch slots (tables, module LOCALs) follow the named globals.
        for k in 0..self.scratch_count {
            globals.push(GlobalMeta {
                name: format!("_scratch{k}"),
                default: 0.0,
                units: String::new(),
                settable: false,
            });
        }
        MechanismMeta {
            name: self.m.name.clone(),
            kind: match self.m.kind {
                Kind::Density => MechanismKind::Density,
                Kind::Point => MechanismKind::Point,
                Kind::Artificial => MechanismKind::Artificial,
            },
            fields: self.fields.clone(),
            globals,
            ions,
            net_receive_args: self.m.net_receive().map(|(p, _)| p.len() as u32).unwrap_or(0),
            writes_current: self.m.writes_current(),
            electrode_current: !self.m.electrode.is_empty(),
            fingerprint: String::new(),
            parallel_safe: false,
        }
    }

    // ------------------------------------------------------------------------------------------
    // Bodies

    fn begin_body(&mut self, entry: Entry) {
        self.entry = entry;
        self.n_locals = 0;
        self.scopes = vec![HashMap::new()];
        self.v_override = None;
        self.ion_locals.clear();
    }

    /// NEURON gives each entry point a per-instance copy of `v` (`v = _v` on entry), which
    /// mechanisms may modify (e.g. `v = v + 0.0001` to avoid 0/0 in rate functions) without
    /// touching the membrane potential.
    fn local_v_copy(&mut self, out: &mut Vec<Stmt>) {
        let vl = self.new_local();
        let v = self.arena.read(Place::V);
        out.push(Stmt::Assign(vl, v));
        self.v_override = Some(vl);
    }

    fn new_local(&mut self) -> Place {
        let p = Place::Local(self.n_locals);
        self.n_locals += 1;
        p
    }

    fn finish_body(&mut self, stmts: Vec<Stmt>, prologue: Vec<Stmt>) -> Body {
        Body { stmts, prologue, n_locals: self.n_locals }
    }

    /// `x = ion value` for every READ ion variable (into locals) and written concentrations and
    /// reversal potentials (into their fields), as nocmodl copies them in before each block.
    fn copy_in_ions(&mut self, out: &mut Vec<Stmt>) {
        self.copy_in_ion_values(out, true);
    }

    /// The copy-in of [`Lowerer::copy_in_ions`]; `fields` false leaves out the values kept in
    /// fields (an implicit system's residual body re-reads only what the caller held in locals,
    /// since its locals are its own).
    fn copy_in_ion_values(&mut self, out: &mut Vec<Stmt>, fields: bool) {
        for (idx, ion) in self.m.ions.iter().enumerate() {
            let mut vars: Vec<(String, IonVarKind)> = ion.read.clone();
            for (n, k) in &ion.write {
                if *k != IonVarKind::Current && !vars.iter().any(|(m, _)| m == n) {
                    vars.push((n.clone(), *k));
                }
            }
            for (name, kind) in vars {
                let src = self.arena.read(Place::Ion(idx as u32, kind));
                match self.field_of.get(&name) {
                    Some(&f) if (kind != IonVarKind::Current) => {
                        if fields {
                            out.push(Stmt::Assign(Place::Field(f), src))
                        }
                    }
                    Some(&f) => {
                        // A current both read and written: the field holds this mechanism's
                        // contribution; reading gives the ion total.
                        let _ = f;
                        let l = self.new_local();
                        out.push(Stmt::Assign(l, src));
                        self.ion_locals.insert(format!("{name}@total"), l);
                    }
                    None => {
                        let l = self.new_local();
                        out.push(Stmt::Assign(l, src));
                        self.ion_locals.insert(name, l);
                    }
                }
            }
        }
    }

    /// Writes written concentrations and reversal potentials back to the ion columns.
    fn copy_out_ions(&mut self, out: &mut Vec<Stmt>) {
        for (idx, ion) in self.m.ions.iter().enumerate() {
            for (name, kind) in &ion.write {
                if *kind == IonVarKind::Current {
                    continue;
                }
                if let Some(&f) = self.field_of.get(name) {
                    let v = self.arena.read(Place::Field(f));
                    out.push(Stmt::Assign(Place::Ion(idx as u32, *kind), v));
                }
            }
        }
    }

    fn init_body(&mut self) -> Body {
        self.begin_body(Entry::Init);
        let mut out = Vec::new();
        self.local_v_copy(&mut out);
        // States start at name0 (START value, else 0); ion-concentration states come from the ion.
        for s in self.m.states() {
            if s.ion.is_some() {
                continue;
            }
            if let (SymbolKind::State { start }, Some(&f)) = (&s.kind, self.field_of.get(&s.name)) {
                let c = self.arena.c(*start);
                out.push(Stmt::Assign(Place::Field(f), c));
            }
        }
        self.copy_in_ions(&mut out);
        let blocks: Vec<&ast::Block> = self.m.initial_blocks().collect();
        for b in blocks {
            self.lower_block(b, &mut out);
        }
        self.copy_out_ions(&mut out);
        // The table builds are added once every body is lowered (see `lower`).
        self.finish_body(out, Vec::new())
    }

    fn currents_body(&mut self) -> Body {
        self.begin_body(Entry::Currents);
        let mut out = Vec::new();
        self.copy_in_ions(&mut out);
        let vv = self.new_local();
        self.v_override = Some(vv);
        let hints = self.conductance_hints();
        let symbolic = if hints.is_empty() && self.opts.symbolic_conductance {
            self.currents_symbolic(vv, &mut out)
        } else {
            None
        };
        let (rhs, g_sum, ion_didv) = if let Some(x) = symbolic {
            x
        } else if hints.is_empty() {
            self.currents_by_difference(vv, &mut out)
        } else {
            self.currents_by_hints(vv, &hints, &mut out)
        };
        // Point processes: nA → mA/cm² and µS → S/cm² with 100/area.
        let scale = if self.m.kind == Kind::Point {
            let hundred = self.arena.c(1e2);
            let area = self.arena.read(Place::Area);
            Some(sym::div(&mut self.arena, hundred, area))
        } else {
            None
        };
        for (ion, f, didv) in ion_didv {
            let mut didv = self.arena.read(didv);
            let mut c = match f {
                Some(f) => self.arena.read(Place::Field(f)),
                None => self.arena.c(0.0),
            };
            if let Some(s) = scale {
                didv = sym::mul(&mut self.arena, didv, s);
                c = sym::mul(&mut self.arena, c, s);
            }
            let acc = self.arena.read(Place::IonDidvSum(ion));
            let e = sym::add(&mut self.arena, acc, didv);
            out.push(Stmt::Assign(Place::IonDidvSum(ion), e));
            if f.is_some() {
                let acc = self.arena.read(Place::IonCurrentSum(ion));
                let e = sym::add(&mut self.arena, acc, c);
                out.push(Stmt::Assign(Place::IonCurrentSum(ion), e));
            }
        }
        let mut gval = self.arena.read(g_sum);
        let mut ival = self.arena.read(rhs);
        if let Some(s) = scale {
            gval = sym::mul(&mut self.arena, gval, s);
            ival = sym::mul(&mut self.arena, ival, s);
        }
        // ELECTRODE_CURRENT mechanisms add their current as computed too: the runtime passes them
        // a separate accumulator and enters it with NEURON's opposite sign (rhs += i, d -= g).
        let acc_i = self.arena.read(Place::CurrentSum);
        let acc_g = self.arena.read(Place::ConductanceSum);
        let (ni, ng) = (sym::add(&mut self.arena, acc_i, ival), sym::add(&mut self.arena, acc_g, gval));
        out.push(Stmt::Assign(Place::CurrentSum, ni));
        out.push(Stmt::Assign(Place::ConductanceSum, ng));
        self.v_override = None;
        self.finish_body(out, vec![])
    }

    /// `CONDUCTANCE g [USEION ion]` statements of BREAKPOINT: (conductance name, ion index).
    fn conductance_hints(&self) -> Vec<(String, Option<u32>)> {
        let Some(bp) = self.m.breakpoint() else { return vec![] };
        bp.stmts
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::Conductance { name, ion } => Some((
                    name.name.clone(),
                    ion.as_ref()
                        .and_then(|i| self.m.ions.iter().position(|x| x.name == i.name).map(|k| k as u32)),
                )),
                _ => None,
            })
            .collect()
    }

    /// NEURON's default: BREAKPOINT at v + 0.001 and at v; the conductances are the one-sided
    /// difference quotients. Returns (current local, conductance local, per written ion current:
    /// (ion, current field, didv local)).
    #[allow(clippy::type_complexity)]
    fn currents_by_difference(
        &mut self,
        vv: Place,
        out: &mut Vec<Stmt>,
    ) -> (Place, Place, Vec<(u32, Option<u32>, Place)>) {
        let bp = self.m.breakpoint();
        let v = self.arena.read(Place::V);
        let dv = self.arena.c(DV);
        let vp = sym::add(&mut self.arena, v, dv);
        // First evaluation at v + 0.001.
        out.push(Stmt::Assign(vv, vp));
        if let Some(b) = bp {
            self.lower_breakpoint_currents(b, out);
        }
        let g_sum = self.new_local();
        let e = self.current_sum();
        out.push(Stmt::Assign(g_sum, e));
        let ion_currents = self.written_ion_currents();
        let mut saved = Vec::new();
        for (_, f) in &ion_currents {
            let l = self.new_local();
            let r = self.arena.read(Place::Field(*f));
            out.push(Stmt::Assign(l, r));
            saved.push(l);
        }
        // Second evaluation at v.
        out.push(Stmt::Assign(vv, v));
        if let Some(b) = bp {
            self.lower_breakpoint_currents(b, out);
        }
        let rhs = self.new_local();
        let e = self.current_sum();
        out.push(Stmt::Assign(rhs, e));
        // g = (g - rhs) / 0.001
        let gr = self.arena.read(g_sum);
        let rr = self.arena.read(rhs);
        let diff = sym::sub(&mut self.arena, gr, rr);
        let gq = sym::div(&mut self.arena, diff, dv);
        out.push(Stmt::Assign(g_sum, gq));
        let mut ions = Vec::new();
        for ((ion, f), l) in ion_currents.iter().zip(&saved) {
            // _ion_di/dv += (_di - i)/0.001
            let cur = self.arena.read(Place::Field(*f));
            let sl = self.arena.read(*l);
            let d = sym::sub(&mut self.arena, sl, cur);
            let didv = sym::div(&mut self.arena, d, dv);
            out.push(Stmt::Assign(*l, didv));
            ions.push((*ion, Some(*f), *l));
        }
        (rhs, g_sum, ions)
    }

    /// The symbolic option: BREAKPOINT evaluated once at v; each current is expanded into an
    /// expression of v by forward substitution through the (straight-line) body and
    /// differentiated. Returns None (nothing emitted) when the body has control flow.
    #[allow(clippy::type_complexity)]
    fn currents_symbolic(
        &mut self,
        vv: Place,
        out: &mut Vec<Stmt>,
    ) -> Option<(Place, Place, Vec<(u32, Option<u32>, Place)>)> {
        let bp = self.m.breakpoint()?;
        let mut trial = Vec::new();
        let v = self.arena.read(Place::V);
        trial.push(Stmt::Assign(vv, v));
        let (locals_before, arena_before) = (self.n_locals, self.arena.nodes.len());
        self.lower_breakpoint_currents(bp, &mut trial);
        // Forward substitution: the value of every place as an expression of the inputs.
        let mut env: HashMap<Place, ExprId> = HashMap::new();
        let mut straight = true;
        for st in &trial[1..] {
            match st {
                Stmt::Assign(p, e) => {
                    let mut x = *e;
                    for (q, val) in env.clone() {
                        x = sym::substitute(&mut self.arena, x, q, val);
                    }
                    env.insert(*p, x);
                }
                _ => straight = false,
            }
        }
        let currents = self.written_current_fields();
        let mut derivs = Vec::new();
        if straight {
            for (_, f) in &currents {
                let e = env.get(&Place::Field(*f)).copied();
                match e.and_then(|e| sym::diff(&mut self.arena, e, vv)) {
                    Some(d) => derivs.push(d),
                    None => {
                        straight = false;
                        break;
                    }
                }
            }
        }
        if !straight {
            self.n_locals = locals_before;
            self.arena.truncate(arena_before);
            return None;
        }
        out.extend(trial);
        let rhs = self.new_local();
        let e = self.current_sum();
        out.push(Stmt::Assign(rhs, e));
        let g_sum = self.new_local();
        let mut g = self.arena.c(0.0);
        let mut ions = Vec::new();
        for ((ion, f), d) in currents.iter().zip(derivs) {
            g = sym::add(&mut self.arena, g, d);
            if let Some(k) = ion {
                let l = self.new_local();
                out.push(Stmt::Assign(l, d));
                ions.push((*k, Some(*f), l));
            }
        }
        out.push(Stmt::Assign(g_sum, g));
        Some((rhs, g_sum, ions))
    }

    /// Every current field the mechanism writes, with its ion (None for NONSPECIFIC/ELECTRODE).
    fn written_current_fields(&self) -> Vec<(Option<u32>, u32)> {
        let mut v: Vec<(Option<u32>, u32)> =
            self.written_ion_currents().into_iter().map(|(i, f)| (Some(i), f)).collect();
        for n in self.m.nonspecific.iter().chain(&self.m.electrode) {
            if let Some(&f) = self.field_of.get(n) {
                v.push((None, f));
            }
        }
        v
    }

    /// With CONDUCTANCE hints NEURON evaluates BREAKPOINT once, at v, and takes the hinted
    /// conductances as dI/dv (those with USEION also as the ion's di/dv).
    #[allow(clippy::type_complexity)]
    fn currents_by_hints(
        &mut self,
        vv: Place,
        hints: &[(String, Option<u32>)],
        out: &mut Vec<Stmt>,
    ) -> (Place, Place, Vec<(u32, Option<u32>, Place)>) {
        let v = self.arena.read(Place::V);
        out.push(Stmt::Assign(vv, v));
        if let Some(b) = self.m.breakpoint() {
            self.lower_breakpoint_currents(b, out);
        }
        let rhs = self.new_local();
        let e = self.current_sum();
        out.push(Stmt::Assign(rhs, e));
        let g_sum = self.new_local();
        let mut g = self.arena.c(0.0);
        let mut ions: Vec<(u32, Option<u32>, Place)> = Vec::new();
        for (name, ion) in hints {
            let gv = match self.var_place(name) {
                Some(Value::Place(p)) => self.arena.read(p),
                Some(Value::Const(c)) => self.arena.c(c),
                None => continue,
            };
            g = sym::add(&mut self.arena, g, gv);
            if let Some(k) = ion {
                let l = self.new_local();
                out.push(Stmt::Assign(l, gv));
                ions.push((*k, None, l));
            }
        }
        out.push(Stmt::Assign(g_sum, g));
        // Written ion currents still add to the ion totals.
        for (ion, f) in self.written_ion_currents() {
            let z = self.new_local();
            let zero = self.arena.c(0.0);
            out.push(Stmt::Assign(z, zero));
            ions.push((ion, Some(f), z));
        }
        (rhs, g_sum, ions)
    }

    /// Written ion currents: (ion index, field).
    fn written_ion_currents(&self) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for (idx, ion) in self.m.ions.iter().enumerate() {
            for (name, k) in &ion.write {
                if *k == IonVarKind::Current {
                    if let Some(&f) = self.field_of.get(name) {
                        v.push((idx as u32, f));
                    }
                }
            }
        }
        v
    }

    /// Sum of all currents the mechanism writes, in nocmodl's order (ion currents in USEION
    /// order, then NONSPECIFIC, then ELECTRODE).
    fn current_sum(&mut self) -> ExprId {
        let mut names: Vec<String> = Vec::new();
        for ion in &self.m.ions {
            for (n, k) in &ion.write {
                if *k == IonVarKind::Current {
                    names.push(n.clone());
                }
            }
        }
        names.extend(self.m.nonspecific.iter().cloned());
        names.extend(self.m.electrode.iter().cloned());
        let mut acc = self.arena.c(0.0);
        for n in names {
            if let Some(&f) = self.field_of.get(&n) {
                let r = self.arena.read(Place::Field(f));
                acc = sym::add(&mut self.arena, acc, r);
            }
        }
        acc
    }

    fn lower_breakpoint_currents(&mut self, b: &ast::Block, out: &mut Vec<Stmt>) {
        self.scopes.push(HashMap::new());
        for s in &b.stmts {
            if matches!(s.kind, StmtKind::Solve { .. }) {
                continue;
            }
            self.lower_stmt(s, out);
        }
        self.scopes.pop();
    }

    fn state_body(&mut self) -> Option<Body> {
        let bp = self.m.breakpoint()?;
        let writes_current = self.m.writes_current();
        let has_solve = bp.stmts.iter().any(|s| matches!(s.kind, StmtKind::Solve { .. }));
        if !has_solve && writes_current {
            return None;
        }
        self.begin_body(Entry::State);
        let mut out = Vec::new();
        self.local_v_copy(&mut out);
        self.copy_in_ions(&mut out);
        self.scopes.push(HashMap::new());
        for s in &bp.stmts {
            match &s.kind {
                StmtKind::Solve { name, method } => {
                    self.lower_solve(name, method.as_ref(), s.span, false, &mut out)
                }
                StmtKind::Local(_) if !writes_current => self.lower_stmt(s, &mut out),
                _ if !writes_current => self.lower_stmt(s, &mut out),
                _ => {}
            }
        }
        self.scopes.pop();
        self.copy_out_ions(&mut out);
        Some(self.finish_body(out, vec![]))
    }

    fn net_receive_bodies(&mut self) -> (Option<Body>, Option<Body>) {
        let Some((params, body)) = self.m.net_receive() else { return (None, None) };
        self.begin_body(Entry::NetReceive);
        let mut frame = HashMap::new();
        for (k, p) in params.iter().enumerate() {
            frame.insert(p.name.name.clone(), Place::Weight(k as u32));
        }
        frame.insert("flag".to_string(), Place::Flag);
        self.scopes.push(frame.clone());
        let mut out = Vec::new();
        self.copy_in_ions(&mut out);
        let mut init_block = None;
        let mut rest = Vec::new();
        for s in &body.stmts {
            match &s.kind {
                StmtKind::Initial(b) => init_block = Some(b),
                _ => rest.push(s.clone()),
            }
        }
        let b = ast::Block { stmts: rest, span: body.span };
        self.lower_block(&b, &mut out);
        self.copy_out_ions(&mut out);
        let nr = self.finish_body(out, vec![]);
        let nri = init_block.map(|ib| {
            self.begin_body(Entry::NetReceive);
            self.scopes.push(frame);
            let mut out = Vec::new();
            self.lower_block(ib, &mut out);
            self.finish_body(out, vec![])
        });
        (Some(nr), nri)
    }

    /// `WATCH (cond) flag, …` in NET_RECEIVE: disarms the instance's watches and arms these.
    /// Each watch remembers whether its condition held when last checked; `post_event` delivers
    /// a self-event with the flag when it turns from false to true (NEURON's transition rule).
    fn lower_watch(&mut self, items: &[ast::WatchItem], span: Span, out: &mut Vec<Stmt>) {
        if self.entry != Entry::NetReceive {
            self.error("E0309", span, "WATCH is only allowed in NET_RECEIVE", "");
            return;
        }
        let zero = self.arena.c(0.0);
        for (_, armed, _, _) in self.watches.clone() {
            out.push(Stmt::Assign(Place::Field(armed), zero));
        }
        for w in items {
            let k = self.watches.len();
            let names = [format!("_watch{k}_armed"), format!("_watch{k}_state"), format!("_watch{k}_flag")];
            for n in &names {
                self.add_field(n, FieldRole::Internal, 0.0, String::new());
            }
            let (armed, state, flag) =
                (self.field_of[&names[0]], self.field_of[&names[1]], self.field_of[&names[2]]);
            let c = self.lower_expr(&w.cond, out);
            let f = self.lower_expr(&w.flag, out);
            let one = self.arena.c(1.0);
            let zero = self.arena.c(0.0);
            let truth = self.arena.bin(Bin::Ne, c, zero);
            out.push(Stmt::Assign(Place::Field(armed), one));
            out.push(Stmt::Assign(Place::Field(state), truth));
            out.push(Stmt::Assign(Place::Field(flag), f));
            self.watches.push((w.cond.clone(), armed, state, flag));
        }
    }

    fn post_event_body(&mut self) -> Option<Body> {
        if self.watches.is_empty() {
            return None;
        }
        self.begin_body(Entry::NetReceive);
        let mut out = Vec::new();
        self.copy_in_ions(&mut out);
        for (cond, armed, state, flag) in self.watches.clone() {
            let mut inner = Vec::new();
            let c = self.lower_expr(&cond, &mut inner);
            let zero = self.arena.c(0.0);
            let now = self.new_local();
            let truth = self.arena.bin(Bin::Ne, c, zero);
            inner.push(Stmt::Assign(now, truth));
            let was = self.arena.read(Place::Field(state));
            let nowr = self.arena.read(now);
            let was_false = self.arena.add(Node::Unary(Un::Not, was));
            let rising = self.arena.bin(Bin::And, nowr, was_false);
            let fl = self.arena.read(Place::Field(flag));
            inner.push(Stmt::If(rising, vec![Stmt::NetSend(zero, fl)], vec![]));
            inner.push(Stmt::Assign(Place::Field(state), nowr));
            let a = self.arena.read(Place::Field(armed));
            out.push(Stmt::If(a, inner, vec![]));
        }
        Some(self.finish_body(out, vec![]))
    }

    // ------------------------------------------------------------------------------------------
    // SOLVE

    fn lower_solve(
        &mut self,
        name: &ast::Ident,
        method: Option<&ast::SolveMethod>,
        span: Span,
        in_initial: bool,
        out: &mut Vec<Stmt>,
    ) {
        let (method_name, steady) = match method {
            Some(ast::SolveMethod::Method(m)) => (Some(m.name.as_str()), false),
            Some(ast::SolveMethod::SteadyState(m)) => (Some(m.name.as_str()), true),
            None => (None, false),
        };
        if let Some((callable, _)) = self.m.callable(&name.name) {
            // SOLVE of a PROCEDURE: called every step.
            self.inline_call(callable, false, &[], span, out);
            return;
        }
        let Some((kind, block, solvefor)) = self.m.named_block(&name.name) else {
            self.error("E0302", span, format!("cannot SOLVE `{}`", name.name), "");
            return;
        };
        let _ = in_initial;
        match kind {
            BlockKind::Derivative => {
                let method = method_name.unwrap_or("derivimplicit");
                if steady {
                    self.derivative_implicit(block, span, true, out);
                    return;
                }
                match method {
                    "cnexp" => {
                        if !self.derivative_cnexp(block, out) {
                            self.derivative_implicit(block, span, false, out);
                        }
                    }
                    "derivimplicit" => self.derivative_implicit(block, span, false, out),
                    "euler" => self.derivative_euler(block, out),
                    "runge" => self.derivative_runge(block, out),
                    other => self.error(
                        "E0303",
                        span,
                        format!("METHOD {other} is not supported for DERIVATIVE blocks"),
                        "use cnexp, derivimplicit, euler or runge",
                    ),
                }
            }
            BlockKind::Kinetic => {
                let method = method_name.unwrap_or("_advance");
                match method {
                    "sparse" | "_advance" => self.kinetic_implicit(block, solvefor, span, steady, out),
                    "euler" => self.kinetic_euler(block, solvefor, span, out),
                    other => self.error(
                        "E0303",
                        span,
                        format!("METHOD {other} is not supported for KINETIC blocks"),
                        "use sparse",
                    ),
                }
            }
            BlockKind::Linear | BlockKind::NonLinear => self.equations_implicit(block, solvefor, span, out),
            BlockKind::Discrete => self.error(
                "E0304",
                span,
                "DISCRETE blocks are not supported",
                "DISCRETE is legacy SCoP syntax that NEURON's NMODL also rejects",
            ),
        }
    }

    /// The state places with `x' = …` equations in a DERIVATIVE block, in order.
    fn derivative_states(&mut self, block: &ast::Block) -> Vec<(String, Place)> {
        let mut names: Vec<String> = Vec::new();
        collect_primes(block, &mut |name: &ast::Ident| {
            if !names.contains(&name.name) {
                names.push(name.name.clone());
            }
        });
        self.elements(names)
            .into_iter()
            .filter_map(|n| match self.var_place(&n) {
                Some(Value::Place(p)) => Some((n, p)),
                _ => None,
            })
            .collect()
    }

    /// Names with arrays replaced by their elements `x[0]`, `x[1]`, ….
    fn elements(&self, names: Vec<String>) -> Vec<String> {
        names
            .into_iter()
            .flat_map(|n| match self.m.symbol(&n).and_then(|s| s.array) {
                Some(len) => (0..len).map(|k| format!("{n}[{k}]")).collect(),
                None => vec![n],
            })
            .collect()
    }

    /// cnexp: each `x' = f` becomes the exact exponential update when nocmodl's analysis allows;
    /// returns false (nothing emitted) when the block must fall back to derivimplicit.
    fn derivative_cnexp(&mut self, block: &ast::Block, out: &mut Vec<Stmt>) -> bool {
        // First a dry run over all equations: any invalid Jacobian → whole-block fallback.
        let mut trial = Vec::new();
        let saved_locals = self.n_locals;
        let arena_len = self.arena.nodes.len();
        let ok = self.cnexp_pass(block, &mut trial);
        if !ok {
            self.n_locals = saved_locals;
            self.arena.truncate(arena_len);
            return false;
        }
        out.extend(trial);
        true
    }

    fn cnexp_pass(&mut self, block: &ast::Block, out: &mut Vec<Stmt>) -> bool {
        self.scopes.push(HashMap::new());
        let mut ok = true;
        for s in &block.stmts {
            match &s.kind {
                StmtKind::Assign { lhs, rhs } if lhs.name.primes == 1 => {
                    let Some(target) = self.element_ident(lhs) else {
                        ok = false;
                        break;
                    };
                    let Some(Value::Place(x)) = self.var_place(&target.name) else {
                        ok = false;
                        break;
                    };
                    let f = self.lower_expr(rhs, out);
                    let dt = self.arena.read(Place::Dt);
                    let xr = self.arena.read(x);
                    let update = match sym::cnexp(&mut self.arena, f, x) {
                        sym::Cnexp::Invalid => {
                            ok = false;
                            break;
                        }
                        sym::Cnexp::Independent => {
                            // x = x - dt*(-f)  (nocmodl's form; equal to x + dt*f)
                            let nf = sym::neg(&mut self.arena, f);
                            let t = sym::mul(&mut self.arena, dt, nf);
                            sym::sub(&mut self.arena, xr, t)
                        }
                        sym::Cnexp::Linear { a, b } => {
                            // x = x + (1 - exp(dt*J))*(-(B/J) - x)
                            let dtj = self.arena.bin(Bin::Mul, dt, a);
                            let e = sym::call(&mut self.arena, MathFn::Exp, vec![dtj]);
                            let one = self.arena.c(1.0);
                            let fac = self.arena.bin(Bin::Sub, one, e);
                            let bj = self.arena.bin(Bin::Div, b, a);
                            let nbj = self.arena.add(Node::Unary(Un::Neg, bj));
                            let inner = self.arena.bin(Bin::Sub, nbj, xr);
                            let t = self.arena.bin(Bin::Mul, fac, inner);
                            self.arena.bin(Bin::Add, xr, t)
                        }
                        sym::Cnexp::NonAffine { j } => {
                            let dtj = self.arena.bin(Bin::Mul, dt, j);
                            let e = sym::call(&mut self.arena, MathFn::Exp, vec![dtj]);
                            let one = self.arena.c(1.0);
                            let fac = self.arena.bin(Bin::Sub, one, e);
                            let z = self.arena.c(0.0);
                            let inner = self.arena.bin(Bin::Sub, z, xr);
                            let t = self.arena.bin(Bin::Mul, fac, inner);
                            self.arena.bin(Bin::Add, xr, t)
                        }
                    };
                    out.push(Stmt::Assign(x, update));
                }
                StmtKind::Equation { .. } => {
                    ok = false;
                    break;
                }
                _ => self.lower_stmt(s, out),
            }
        }
        self.scopes.pop();
        ok
    }

    /// euler: all derivatives from the old states, then `x += dt*f`.
    fn derivative_euler(&mut self, block: &ast::Block, out: &mut Vec<Stmt>) {
        let mut updates = Vec::new();
        self.scopes.push(HashMap::new());
        for s in &block.stmts {
            match &s.kind {
                StmtKind::Assign { lhs, rhs } if lhs.name.primes == 1 => {
                    let Some(target) = self.element_ident(lhs) else { continue };
                    let Some(Value::Place(x)) = self.var_place(&target.name) else { continue };
                    let f = self.lower_expr(rhs, out);
                    let d = self.new_local();
                    out.push(Stmt::Assign(d, f));
                    updates.push((x, d));
                }
                _ => self.lower_stmt(s, out),
            }
        }
        self.scopes.pop();
        for (x, d) in updates {
            let xr = self.arena.read(x);
            let dr = self.arena.read(d);
            let dt = self.arena.read(Place::Dt);
            let t = self.arena.bin(Bin::Mul, dt, dr);
            let e = self.arena.bin(Bin::Add, xr, t);
            out.push(Stmt::Assign(x, e));
        }
    }

    /// runge: classical 4th-order Runge–Kutta over the block's derivative function.
    fn derivative_runge(&mut self, block: &ast::Block, out: &mut Vec<Stmt>) {
        let states = self.derivative_states(block);
        let n = states.len();
        let x0: Vec<Place> = (0..n).map(|_| self.new_local()).collect();
        for (i, (_, p)) in states.iter().enumerate() {
            let r = self.arena.read(*p);
            out.push(Stmt::Assign(x0[i], r));
        }
        let mut ks: Vec<Vec<Place>> = Vec::new();
        let coeffs = [0.0, 0.5, 0.5, 1.0];
        for stage in 0..4 {
            // x = x0 + c*dt*k_prev
            if stage > 0 {
                for (i, (_, p)) in states.iter().enumerate() {
                    let a = self.arena.read(x0[i]);
                    let k = self.arena.read(ks[stage - 1][i]);
                    let dt = self.arena.read(Place::Dt);
                    let c = self.arena.c(coeffs[stage]);
                    let cdt = self.arena.bin(Bin::Mul, c, dt);
                    let t = self.arena.bin(Bin::Mul, cdt, k);
                    let e = self.arena.bin(Bin::Add, a, t);
                    out.push(Stmt::Assign(*p, e));
                }
            }
            let k: Vec<Place> = (0..n).map(|_| self.new_local()).collect();
            self.scopes.push(HashMap::new());
            for s in &block.stmts {
                match &s.kind {
                    StmtKind::Assign { lhs, rhs } if lhs.name.primes == 1 => {
                        let target = self.element_ident(lhs).map(|t| t.name).unwrap_or_default();
                        if let Some(i) = states.iter().position(|(nm, _)| *nm == target) {
                            let f = self.lower_expr(rhs, out);
                            out.push(Stmt::Assign(k[i], f));
                        }
                    }
                    _ => self.lower_stmt(s, out),
                }
            }
            self.scopes.pop();
            ks.push(k);
        }
        for (i, (_, p)) in states.iter().enumerate() {
            let a = self.arena.read(x0[i]);
            let k1 = self.arena.read(ks[0][i]);
            let k2 = self.arena.read(ks[1][i]);
            let k3 = self.arena.read(ks[2][i]);
            let k4 = self.arena.read(ks[3][i]);
            let two = self.arena.c(2.0);
            let t2 = self.arena.bin(Bin::Mul, two, k2);
            let t3 = self.arena.bin(Bin::Mul, two, k3);
            let s1 = self.arena.bin(Bin::Add, k1, t2);
            let s2 = self.arena.bin(Bin::Add, s1, t3);
            let s3 = self.arena.bin(Bin::Add, s2, k4);
            let dt = self.arena.read(Place::Dt);
            let six = self.arena.c(6.0);
            let h = self.arena.bin(Bin::Div, dt, six);
            let t = self.arena.bin(Bin::Mul, h, s3);
            let e = self.arena.bin(Bin::Add, a, t);
            out.push(Stmt::Assign(*p, e));
        }
    }

    /// Starts an implicit system over `states`: returns (x locals, old locals) and installs the
    /// substitution state → x local for the body.
    fn begin_system(&mut self, states: &[Place]) -> (Vec<u32>, Vec<u32>, u32, HashMap<Place, Place>) {
        let saved_locals = self.n_locals;
        let x_locals: Vec<u32> = (0..states.len()).map(|i| saved_locals + i as u32).collect();
        let old_locals: Vec<u32> =
            (0..states.len()).map(|i| saved_locals + (states.len() + i) as u32).collect();
        self.n_locals += 2 * states.len() as u32;
        // The residual function has its own local space: its copies of v and of the ion values
        // the caller held in locals are made by `system_copies`.
        self.saved_v_override.push(self.v_override.take());
        let outer_ions = std::mem::take(&mut self.ion_locals);
        self.saved_ion_locals.push(outer_ions);
        let saved_subst = std::mem::take(&mut self.state_subst);
        for (i, p) in states.iter().enumerate() {
            self.state_subst.insert(*p, Place::Local(x_locals[i]));
        }
        (x_locals, old_locals, saved_locals, saved_subst)
    }

    /// The residual function's own copies of v (when the enclosing body had one) and of the READ
    /// ion values: the caller's are locals of another local space.
    fn system_copies(&mut self, body: &mut Vec<Stmt>) {
        if self.saved_v_override.last().is_some_and(|v| v.is_some()) {
            self.local_v_copy(body);
        }
        if self.saved_ion_locals.last().is_some_and(|l| !l.is_empty()) {
            self.copy_in_ion_values(body, false);
        }
    }

    /// Back to the enclosing body after an implicit system: its copy of v and its ion locals.
    fn end_system(&mut self) {
        let outer_v = self.saved_v_override.pop();
        self.v_override = outer_v.flatten();
        self.ion_locals = self.saved_ion_locals.pop().unwrap_or_default();
    }

    /// derivimplicit (or STEADYSTATE of a DERIVATIVE block): backward Euler solved by Newton.
    fn derivative_implicit(&mut self, block: &ast::Block, span: Span, steady: bool, out: &mut Vec<Stmt>) {
        let states: Vec<Place> = self.derivative_states(block).into_iter().map(|(_, p)| p).collect();
        if states.is_empty() {
            return;
        }
        // The residual function is a separate body with its own locals: lower with a fresh
        // counter, then restore.
        let outer_locals = self.n_locals;
        self.n_locals = 0;
        let (x_locals, old_locals, _, saved_subst) = self.begin_system(&states);
        let mut body = Vec::new();
        self.system_copies(&mut body);
        let mut ders: Vec<Option<ExprId>> = vec![None; states.len()];
        self.scopes.push(HashMap::new());
        for s in &block.stmts {
            match &s.kind {
                StmtKind::Assign { lhs, rhs } if lhs.name.primes == 1 => {
                    let target = self.element_ident(lhs).map(|t| t.name).unwrap_or_default();
                    if let Some(Value::Place(p)) = self.var_place_raw(&target) {
                        if let Some(i) = states.iter().position(|q| *q == p) {
                            let f = self.lower_expr(rhs, &mut body);
                            let l = self.new_local();
                            body.push(Stmt::Assign(l, f));
                            ders[i] = Some(self.arena.read(l));
                        }
                    }
                }
                _ => self.lower_stmt(s, &mut body),
            }
        }
        self.scopes.pop();
        let dt = if steady { self.arena.c(1e9) } else { self.arena.read(Place::Dt) };
        // F_i = f_i(x) - (x_i - x_old_i)/dt
        let residuals = (0..states.len())
            .map(|i| {
                let f = ders[i].unwrap_or_else(|| self.arena.c(0.0));
                let x = self.arena.read(Place::Local(x_locals[i]));
                let xo = self.arena.read(Place::Local(old_locals[i]));
                let d = self.arena.bin(Bin::Sub, x, xo);
                let q = self.arena.bin(Bin::Div, d, dt);
                self.arena.bin(Bin::Sub, f, q)
            })
            .collect();
        let n_locals = self.n_locals;
        self.state_subst = saved_subst;
        self.n_locals = outer_locals;
        self.end_system();
        let origin = format!(
            "{} at {}:{}",
            if steady { "STEADYSTATE derivimplicit" } else { "derivimplicit" },
            span.start,
            span.end
        );
        self.systems.push(ImplicitSystem {
            unknowns: states,
            x_locals,
            old_locals,
            body,
            residuals,
            n_locals,
            origin,
        });
        out.push(Stmt::Implicit(self.systems.len() as u32 - 1));
    }

    /// Species of a KINETIC block: SOLVEFOR, else every STATE appearing in a reaction.
    fn kinetic_states(&mut self, block: &ast::Block, solvefor: &[ast::Ident]) -> Vec<Place> {
        let mut names: Vec<String> = solvefor.iter().map(|i| i.name.clone()).collect();
        if names.is_empty() {
            collect_species(block, &mut |n: &str| {
                if !names.iter().any(|m| m == n) {
                    names.push(n.to_string());
                }
            });
        }
        let names: Vec<String> = names
            .into_iter()
            .filter(|n| matches!(self.m.symbol(n).map(|s| &s.kind), Some(SymbolKind::State { .. })))
            .collect();
        self.elements(names)
            .into_iter()
            .filter_map(|n| match self.var_place(&n) {
                Some(Value::Place(p)) => Some(p),
                _ => None,
            })
            .collect()
    }

    /// Lowers a KINETIC block's statements with reactions accumulating d(state)/dt into locals.
    fn kinetic_body(&mut self, block: &ast::Block, states: &[Place], body: &mut Vec<Stmt>) -> Vec<ExprId> {
        let mut acc = HashMap::new();
        for p in states {
            let l = self.new_local();
            let z = self.arena.c(0.0);
            body.push(Stmt::Assign(l, z));
            acc.insert(*p, l);
        }
        self.kinetic_acc = Some(acc.clone());
        self.kinetic_volumes.clear();
        self.kinetic_conserve.clear();
        self.lower_block(block, body);
        self.kinetic_acc = None;
        states.iter().map(|p| self.arena.read(acc[p])).collect()
    }

    /// sparse: backward Euler on the mass-action ODEs (COMPARTMENT volumes, CONSERVE rows)
    /// solved by Newton; STEADYSTATE uses dt = 1e9 as NEURON does.
    fn kinetic_implicit(
        &mut self,
        block: &ast::Block,
        solvefor: &[ast::Ident],
        span: Span,
        steady: bool,
        out: &mut Vec<Stmt>,
    ) {
        let states = self.kinetic_states(block, solvefor);
        if states.is_empty() {
            return;
        }
        let outer_locals = self.n_locals;
        self.n_locals = 0;
        let (x_locals, old_locals, _, saved_subst) = self.begin_system(&states);
        let mut body = Vec::new();
        self.system_copies(&mut body);
        let ders = self.kinetic_body(block, &states, &mut body);
        let dt = if steady { self.arena.c(1e9) } else { self.arena.read(Place::Dt) };
        let mut residuals: Vec<ExprId> = (0..states.len())
            .map(|i| {
                // vol*(x - x_old)/dt - Σ fluxes
                let x = self.arena.read(Place::Local(x_locals[i]));
                let xo = self.arena.read(Place::Local(old_locals[i]));
                let d = self.arena.bin(Bin::Sub, x, xo);
                let d = match self.kinetic_volumes.get(&states[i]) {
                    Some(v) => {
                        let vr = self.arena.read(*v);
                        self.arena.bin(Bin::Mul, vr, d)
                    }
                    None => d,
                };
                let q = self.arena.bin(Bin::Div, d, dt);
                self.arena.bin(Bin::Sub, q, ders[i])
            })
            .collect();
        // CONSERVE replaces the equation of its last state.
        for (p, e) in std::mem::take(&mut self.kinetic_conserve) {
            if let Some(i) = states.iter().position(|q| *q == p) {
                residuals[i] = e;
            }
        }
        let n_locals = self.n_locals;
        self.state_subst = saved_subst;
        self.n_locals = outer_locals;
        self.end_system();
        let origin =
            format!("KINETIC {} at {}", if steady { "STEADYSTATE sparse" } else { "sparse" }, span.start);
        self.systems.push(ImplicitSystem {
            unknowns: states,
            x_locals,
            old_locals,
            body,
            residuals,
            n_locals,
            origin,
        });
        out.push(Stmt::Implicit(self.systems.len() as u32 - 1));
    }

    /// euler for KINETIC: the derivative form, CONSERVE ignored (as NEURON does).
    fn kinetic_euler(
        &mut self,
        block: &ast::Block,
        solvefor: &[ast::Ident],
        _span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let states = self.kinetic_states(block, solvefor);
        let ders = self.kinetic_body(block, &states, out);
        self.kinetic_conserve.clear();
        for (i, p) in states.iter().enumerate() {
            let x = self.arena.read(*p);
            let dt = self.arena.read(Place::Dt);
            let mut d = ders[i];
            if let Some(v) = self.kinetic_volumes.get(p) {
                let vr = self.arena.read(*v);
                d = self.arena.bin(Bin::Div, d, vr);
            }
            let t = self.arena.bin(Bin::Mul, dt, d);
            let e = self.arena.bin(Bin::Add, x, t);
            out.push(Stmt::Assign(*p, e));
        }
    }

    /// LINEAR / NONLINEAR: `~ lhs = rhs` equations solved for the states by Newton's method
    /// (exact in one step for LINEAR).
    fn equations_implicit(
        &mut self,
        block: &ast::Block,
        solvefor: &[ast::Ident],
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let mut states: Vec<Place> = Vec::new();
        let names: Vec<String> = if solvefor.is_empty() {
            self.m.states().iter().map(|s| s.name.clone()).collect()
        } else {
            solvefor.iter().map(|i| i.name.clone()).collect()
        };
        for n in names {
            if let Some(Value::Place(p)) = self.var_place(&n) {
                states.push(p);
            }
        }
        let outer_locals = self.n_locals;
        self.n_locals = 0;
        let (x_locals, old_locals, _, saved_subst) = self.begin_system(&states);
        let mut body = Vec::new();
        self.system_copies(&mut body);
        let mut eqs: Vec<ExprId> = Vec::new();
        self.scopes.push(HashMap::new());
        for s in &block.stmts {
            match &s.kind {
                StmtKind::Equation { addition, lhs, rhs } => {
                    let l = self.lower_expr(lhs, &mut body);
                    let r = self.lower_expr(rhs, &mut body);
                    let d = self.arena.bin(Bin::Sub, l, r);
                    let loc = self.new_local();
                    body.push(Stmt::Assign(loc, d));
                    let rd = self.arena.read(loc);
                    if *addition && !eqs.is_empty() {
                        let last = eqs.pop().expect("nonempty");
                        let e = self.arena.bin(Bin::Add, last, rd);
                        eqs.push(e);
                    } else {
                        eqs.push(rd);
                    }
                }
                _ => self.lower_stmt(s, &mut body),
            }
        }
        self.scopes.pop();
        if eqs.len() != states.len() {
            self.error(
                "E0305",
                span,
                format!("{} equations for {} unknowns", eqs.len(), states.len()),
                "give one `~` equation per STATE solved (or list the unknowns with SOLVEFOR)",
            );
        }
        let n_locals = self.n_locals;
        self.state_subst = saved_subst;
        self.n_locals = outer_locals;
        self.end_system();
        eqs.resize(states.len(), self.arena.c(0.0));
        let origin = format!("equations at {}", span.start);
        self.systems.push(ImplicitSystem {
            unknowns: states,
            x_locals,
            old_locals,
            body,
            residuals: eqs,
            n_locals,
            origin,
        });
        out.push(Stmt::Implicit(self.systems.len() as u32 - 1));
    }

    // ------------------------------------------------------------------------------------------
    // Statements

    fn lower_block(&mut self, b: &ast::Block, out: &mut Vec<Stmt>) {
        self.scopes.push(HashMap::new());
        let ranges: Vec<std::ops::Range<usize>> = match verbatim::recognise(&b.stmts) {
            verbatim::Idiom::None => std::iter::once(0..b.stmts.len()).collect(),
            verbatim::Idiom::NoOp => vec![],
            verbatim::Idiom::Fallback { ranges, doubles } => {
                // The C code only chooses between a hoc-provided stream and the NMODL fallback;
                // without hoc the fallback runs. C locals it declares become locals.
                for name in doubles {
                    let l = self.new_local();
                    let z = self.arena.c(0.0);
                    out.push(Stmt::Assign(l, z));
                    self.scopes.last_mut().expect("scope").insert(name, l);
                }
                ranges
            }
        };
        for r in ranges {
            for s in &b.stmts[r] {
                self.lower_stmt(s, out);
            }
        }
        self.scopes.pop();
    }

    fn lower_stmt(&mut self, s: &ast::Stmt, out: &mut Vec<Stmt>) {
        match &s.kind {
            StmtKind::Local(vars) => {
                for v in vars {
                    let len = match &v.size {
                        None => None,
                        Some(ast::ArraySize::Int(n)) => Some(n.value as u32),
                        Some(ast::ArraySize::Name(i)) => match self.m.symbol(&i.name).map(|s| &s.kind) {
                            Some(SymbolKind::Define(n)) => Some(*n as u32),
                            _ => {
                                self.error("E0301", i.span, "LOCAL array size must be a number or DEFINE", "");
                                continue;
                            }
                        },
                    };
                    let names: Vec<String> = match len {
                        Some(n) => (0..n).map(|k| format!("{}[{k}]", v.name.name)).collect(),
                        None => vec![v.name.name.clone()],
                    };
                    for name in names {
                        let l = self.new_local();
                        // NEURON's locals are C doubles; start them at 0 for determinism.
                        let z = self.arena.c(0.0);
                        out.push(Stmt::Assign(l, z));
                        self.scopes.last_mut().expect("scope").insert(name, l);
                    }
                }
            }
            StmtKind::Assign { lhs, rhs } | StmtKind::Protect { lhs, rhs } => {
                if lhs.name.primes > 0 {
                    // x' = f outside a SOLVEd context (e.g. DERIVATIVE used by INITIAL): evaluate
                    // the derivative into a scratch local (NEURON computes Dx).
                    let e = self.lower_expr(rhs, out);
                    let l = self.new_local();
                    out.push(Stmt::Assign(l, e));
                    return;
                }
                if lhs.lag.is_some() {
                    self.error("E0304", lhs.span, "lagged variables (DISCRETE) are not supported", "");
                    return;
                }
                let e = self.lower_expr(rhs, out);
                match self.element(lhs, Some(out)) {
                    Some(Element::Named(target)) => {
                        if let Some(p) = self.assign_place(&target) {
                            out.push(Stmt::Assign(p, e));
                        }
                    }
                    Some(Element::At(p)) => out.push(Stmt::Assign(p, e)),
                    None => {}
                }
            }
            StmtKind::Call(c) => {
                let _ = self.lower_call(c, out, true);
            }
            StmtKind::If { cond, then, els } => {
                let c = self.lower_expr(cond, out);
                let mut t = Vec::new();
                self.lower_block(then, &mut t);
                let mut e = Vec::new();
                if let Some(es) = els {
                    match &es.kind {
                        StmtKind::Block(b) => self.lower_block(b, &mut e),
                        _ => self.lower_stmt(es, &mut e),
                    }
                }
                out.push(Stmt::If(c, t, e));
            }
            StmtKind::While { cond, body } => {
                let mut pre = Vec::new();
                let c = self.lower_expr(cond, &mut pre);
                let mut b = Vec::new();
                self.lower_block(body, &mut b);
                b.extend(pre.iter().cloned());
                out.extend(pre);
                out.push(Stmt::While(c, b));
            }
            StmtKind::From { var, lo, hi, by, body } => {
                // FROM i = lo TO hi BY step { } — inclusive integer loop. With bounds known when
                // compiling (numbers, DEFINEs, constants), the loop is unrolled and `i` is a
                // constant in each copy, so that array indices resolve to elements.
                let mut pre = Vec::new();
                let lo_e = self.lower_expr(lo, &mut pre);
                let hi_e = self.lower_expr(hi, &mut pre);
                let step_e = match by {
                    Some(b) => self.lower_expr(b, &mut pre),
                    None => self.arena.c(1.0),
                };
                let bounds = (self.arena.as_const(lo_e), self.arena.as_const(hi_e), self.arena.as_const(step_e));
                if let (Some(a), Some(b), Some(st)) = bounds {
                    let (a, b, st) = (a.trunc(), b.trunc(), st.trunc());
                    let count = if st > 0.0 { ((b - a) / st).floor() + 1.0 } else { 0.0 };
                    if pre.is_empty() && (0.0..=4096.0).contains(&count) {
                        for k in 0..count as i64 {
                            let saved = self.const_vars.insert(var.name.clone(), a + k as f64 * st);
                            self.lower_block(body, out);
                            match saved {
                                Some(v) => self.const_vars.insert(var.name.clone(), v),
                                None => self.const_vars.remove(&var.name),
                            };
                        }
                        return;
                    }
                }
                out.extend(pre);
                let i = self.new_local();
                let hi_l = self.new_local();
                let tlo = sym::call(&mut self.arena, MathFn::Trunc, vec![lo_e]);
                out.push(Stmt::Assign(i, tlo));
                out.push(Stmt::Assign(hi_l, hi_e));
                self.scopes.push(HashMap::from([(var.name.clone(), i)]));
                let mut b = Vec::new();
                self.lower_block(body, &mut b);
                self.scopes.pop();
                let ir = self.arena.read(i);
                let inc = self.arena.bin(Bin::Add, ir, step_e);
                b.push(Stmt::Assign(i, inc));
                let hr = self.arena.read(hi_l);
                let cond = self.arena.bin(Bin::Le, ir, hr);
                out.push(Stmt::While(cond, b));
            }
            StmtKind::Block(b) => self.lower_block(b, out),
            StmtKind::Solve { name, method } => self.lower_solve(name, method.as_ref(), s.span, self.entry == Entry::Init, out),
            StmtKind::Table { .. } => {} // handled when the callable is inlined
            StmtKind::Conductance { .. } => {}
            StmtKind::Verbatim(_) => self.error(
                "E0306",
                s.span,
                "VERBATIM C code cannot be compiled by Myelin",
                "rewrite the block in NMODL; Myelin JIT-compiles NMODL and has no C compiler",
            ),
            StmtKind::UnitsOn | StmtKind::UnitsOff | StmtKind::MutexLock | StmtKind::MutexUnlock => {}
            StmtKind::Reaction { lhs, kind } => self.lower_reaction(lhs, kind, s.span, out),
            StmtKind::Equation { .. } => self.error(
                "E0307",
                s.span,
                "`~` equations are only supported in LINEAR and NONLINEAR blocks",
                "",
            ),
            StmtKind::Conserve { lhs, rhs } => {
                if self.kinetic_acc.is_none() {
                    return; // ignored by euler, as in NEURON
                }
                let total = self.lower_expr(rhs, out);
                let mut sum = self.arena.c(0.0);
                let mut last = None;
                for t in lhs {
                    let Some(id) = self.element_ident(&t.var) else { continue };
                    let Some(Value::Place(p)) = self.var_place_raw(&id.name) else { continue };
                    let x = self.read_place(p);
                    let c = self.arena.c(t.coef as f64);
                    let mut term = sym::mul(&mut self.arena, c, x);
                    if let Some(v) = self.kinetic_volumes.get(&p) {
                        let vr = self.arena.read(*v);
                        term = self.arena.bin(Bin::Mul, vr, term);
                    }
                    sum = sym::add(&mut self.arena, sum, term);
                    last = Some(p);
                }
                if let Some(p) = last {
                    let e = self.arena.bin(Bin::Sub, sum, total);
                    self.kinetic_conserve.push((p, e));
                }
            }
            StmtKind::Compartment { index, volume, states } => {
                // `COMPARTMENT vol {s}`, or `COMPARTMENT i, vol(i) {a}` giving element k of each array
                // state the volume evaluated at i = k.
                let len = states.iter().filter_map(|st| self.m.symbol(&st.name).and_then(|s| s.array)).max();
                let copies: Vec<Option<f64>> = match (index, len) {
                    (Some(_), Some(n)) => (0..n).map(|k| Some(k as f64)).collect(),
                    _ => vec![None],
                };
                for k in copies {
                    let saved = match (index, k) {
                        (Some(i), Some(k)) => Some((i.name.clone(), self.const_vars.insert(i.name.clone(), k))),
                        _ => None,
                    };
                    let v = self.lower_expr(volume, out);
                    let l = self.new_local();
                    out.push(Stmt::Assign(l, v));
                    for st in states {
                        let name = match (self.m.symbol(&st.name).and_then(|s| s.array), k) {
                            (Some(_), Some(k)) => format!("{}[{k}]", st.name),
                            (Some(n), None) => {
                                // The same volume for every element.
                                for e in 0..n {
                                    if let Some(Value::Place(p)) = self.var_place_raw(&format!("{}[{e}]", st.name)) {
                                        self.kinetic_volumes.insert(p, l);
                                    }
                                }
                                continue;
                            }
                            _ => st.name.clone(),
                        };
                        if let Some(Value::Place(p)) = self.var_place_raw(&name) {
                            self.kinetic_volumes.insert(p, l);
                        }
                    }
                    if let Some((name, prev)) = saved {
                        match prev {
                            Some(v) => self.const_vars.insert(name, v),
                            None => self.const_vars.remove(&name),
                        };
                    }
                }
            }
            StmtKind::LongitudinalDiffusion { .. } => self.error(
                "E0308",
                s.span,
                "LONGITUDINAL_DIFFUSION is not supported",
                "diffusion between segments needs the runtime's diffusion machinery, which Myelin does not have yet",
            ),
            StmtKind::Watch(items) => self.lower_watch(items, s.span, out),
            StmtKind::ForNetcons { .. } => self.error("E0310", s.span, "FOR_NETCONS is not supported yet", ""),
            StmtKind::Initial(_) => {}
            StmtKind::Lag { .. } => self.error("E0304", s.span, "LAG is not supported", ""),
            StmtKind::Semicolon => {}
        }
    }

    fn lower_reaction(
        &mut self,
        lhs: &[ast::ReactTerm],
        kind: &ast::ReactionKind,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let Some(acc) = self.kinetic_acc.clone() else {
            self.error("E0311", span, "reaction outside a SOLVEd KINETIC block", "");
            return;
        };
        let l = self.species(lhs);
        let product = |me: &mut Self, terms: &[(u32, Option<Place>, ExprId)], k: ExprId| -> ExprId {
            let mut e = k;
            for (c, _, v) in terms {
                for _ in 0..*c {
                    e = me.arena.bin(Bin::Mul, e, *v);
                }
            }
            e
        };
        let add_to = |me: &mut Self, p: Option<Place>, coef: f64, flux: ExprId, out: &mut Vec<Stmt>| {
            let Some(p) = p else { return };
            let Some(a) = acc.get(&p) else { return };
            let cur = me.arena.read(*a);
            let c = me.arena.c(coef);
            let t = sym::mul(&mut me.arena, c, flux);
            let e = me.arena.bin(Bin::Add, cur, t);
            out.push(Stmt::Assign(*a, e));
        };
        match kind {
            ast::ReactionKind::Reversible { rhs, kf, kb } => {
                let r = self.species(rhs);
                let kf = self.lower_expr(kf, out);
                let kb = self.lower_expr(kb, out);
                let f = product(self, &l, kf);
                let b = product(self, &r, kb);
                let ff = self.new_local();
                let bf = self.new_local();
                out.push(Stmt::Assign(ff, f));
                out.push(Stmt::Assign(bf, b));
                self.last_fluxes = Some((ff, bf));
                let fr = self.arena.read(ff);
                let br = self.arena.read(bf);
                let net = self.arena.bin(Bin::Sub, fr, br);
                for (c, p, _) in &l {
                    add_to(self, *p, -(*c as f64), net, out);
                }
                for (c, p, _) in &r {
                    add_to(self, *p, *c as f64, net, out);
                }
            }
            ast::ReactionKind::Forward { k } => {
                let k = self.lower_expr(k, out);
                let f = product(self, &l, k);
                let ff = self.new_local();
                out.push(Stmt::Assign(ff, f));
                let z = self.new_local();
                let zero = self.arena.c(0.0);
                out.push(Stmt::Assign(z, zero));
                self.last_fluxes = Some((ff, z));
                let fr = self.arena.read(ff);
                for (c, p, _) in &l {
                    add_to(self, *p, -(*c as f64), fr, out);
                }
            }
            ast::ReactionKind::Flux { flux } => {
                let f = self.lower_expr(flux, out);
                let ff = self.new_local();
                out.push(Stmt::Assign(ff, f));
                let fr = self.arena.read(ff);
                if let Some((_, p, _)) = l.first() {
                    add_to(self, *p, 1.0, fr, out);
                }
            }
        }
    }

    /// Species of a reaction side: (coefficient, state place if any, value).
    fn species(&mut self, terms: &[ast::ReactTerm]) -> Vec<(u32, Option<Place>, ExprId)> {
        let mut scratch = Vec::new();
        let v = terms
            .iter()
            .map(|t| {
                let id = self.element_ident(&t.var).unwrap_or_else(|| t.var.name.clone());
                let place = match self.var_place_raw(&id.name) {
                    Some(Value::Place(p)) => Some(p),
                    _ => None,
                };
                let val = self.lower_var_read(&id, &mut scratch);
                (t.coef, place, val)
            })
            .collect();
        debug_assert!(scratch.is_empty(), "species reads emit no statements");
        v
    }

    // ------------------------------------------------------------------------------------------
    // Names

    /// Resolves a name for reading, ignoring implicit-system substitution.
    fn var_place_raw(&mut self, name: &str) -> Option<Value> {
        for frame in self.scopes.iter().rev() {
            if let Some(p) = frame.get(name) {
                return Some(Value::Place(*p));
            }
        }
        if let Some(c) = self.const_vars.get(name) {
            return Some(Value::Const(*c));
        }
        if let Some((_, p)) = self.fn_return.iter().rev().find(|(n, _)| n == name) {
            return Some(Value::Place(*p));
        }
        if let Some(p) = self.ion_locals.get(name) {
            return Some(Value::Place(*p));
        }
        if let Some(&f) = self.field_of.get(name) {
            return Some(Value::Place(Place::Field(f)));
        }
        if let Some(&g) = self.global_of.get(name) {
            return Some(Value::Place(Place::Global(g)));
        }
        if name == "pi" && self.m.symbol("pi").is_none() {
            return Some(Value::Const(std::f64::consts::PI));
        }
        let sym = self.m.symbol(name).cloned();
        match sym.map(|s| s.kind) {
            Some(SymbolKind::Constant(v)) | Some(SymbolKind::Define(v)) => Some(Value::Const(v)),
            Some(SymbolKind::UnitFactor(Some(v))) => Some(Value::Const(v)),
            Some(SymbolKind::Special(sp)) => Some(Value::Place(self.special_place(sp))),
            _ => match name {
                "v" => Some(Value::Place(self.special_place(Special::V))),
                "t" => Some(Value::Place(Place::T)),
                "dt" => Some(Value::Place(Place::Dt)),
                "celsius" => Some(Value::Place(Place::Celsius)),
                "area" => Some(Value::Place(Place::Area)),
                "diam" => Some(Value::Place(Place::Diam)),
                "secondorder" => Some(Value::Place(Place::SecondOrder)),
                _ => None,
            },
        }
    }

    fn special_place(&self, sp: Special) -> Place {
        match sp {
            Special::V => self.v_override.unwrap_or(Place::V),
            Special::T => Place::T,
            Special::Dt => Place::Dt,
            Special::Celsius => Place::Celsius,
            Special::Area => Place::Area,
            Special::Diam => Place::Diam,
            Special::SecondOrder => Place::SecondOrder,
            Special::Pi => Place::T,
        }
    }

    /// Resolves a name for reading, applying the implicit-system substitution.
    fn var_place(&mut self, name: &str) -> Option<Value> {
        let v = self.var_place_raw(name)?;
        Some(match v {
            Value::Place(p) => Value::Place(self.state_subst.get(&p).copied().unwrap_or(p)),
            c => c,
        })
    }

    fn read_place(&mut self, p: Place) -> ExprId {
        let p = self.state_subst.get(&p).copied().unwrap_or(p);
        self.arena.read(p)
    }

    fn assign_place(&mut self, name: &ast::Ident) -> Option<Place> {
        // A READ-only ion variable assigned in the block: it is a local copy in NEURON too.
        match self.var_place(&name.name) {
            Some(Value::Place(p)) => match p {
                // NET_RECEIVE may reset the membrane potential (integrate-and-fire models).
                Place::V if self.entry == Entry::NetReceive => Some(Place::V),
                Place::V | Place::T | Place::Dt | Place::Celsius | Place::Area | Place::Diam => {
                    self.error("E0312", name.span, format!("`{}` cannot be assigned", name.name), "");
                    None
                }
                p => Some(p),
            },
            Some(Value::Const(_)) => {
                self.error("E0312", name.span, format!("`{}` is a constant", name.name), "");
                None
            }
            None => {
                if self.m.symbol(&name.name).is_some_and(|s| s.array.is_some()) {
                    self.failed = true;
                } else {
                    self.error("E0313", name.span, format!("cannot resolve `{}`", name.name), "");
                }
                None
            }
        }
    }

    /// The variable an lvalue names: itself, or for `x[i]` the element `x[k]`, with `i` known when
    /// compiling (a number, a DEFINE, or the variable of an unrolled FROM loop).
    fn element_ident(&mut self, lv: &ast::LValue) -> Option<ast::Ident> {
        match self.element(lv, None)? {
            Element::Named(id) => Some(id),
            Element::At(_) => None,
        }
    }

    /// Like [`Self::element_ident`], but an index known only at run time (a ring buffer of spike
    /// times indexed by a counter) gives the element place `FieldAt`/`GlobalAt`; its index is
    /// computed into a local by statements appended to `out`.
    fn element(&mut self, lv: &ast::LValue, out: Option<&mut Vec<Stmt>>) -> Option<Element> {
        let Some(index) = &lv.index else { return Some(Element::Named(lv.name.clone())) };
        let mut scratch = Vec::new();
        let e = self.lower_expr(index, &mut scratch);
        let k = match self.arena.as_const(e) {
            Some(k) if scratch.is_empty() && k >= 0.0 && k.fract() == 0.0 => k as u32,
            Some(k) if scratch.is_empty() => {
                self.error("E0320", index.span, format!("array index {k} is not a non-negative integer"), "");
                return None;
            }
            _ if out.is_some() => {
                let out = out.expect("statements");
                let len = self.m.symbol(&lv.name.name).and_then(|s| s.array).unwrap_or(0);
                let first = format!("{}[0]", lv.name.name);
                let base = match self.var_place_raw(&first) {
                    Some(Value::Place(Place::Field(b))) => Some((true, b)),
                    Some(Value::Place(Place::Global(b))) => Some((false, b)),
                    _ => None,
                };
                if let (Some((field, b)), true) = (base, len > 0) {
                    out.extend(scratch);
                    let l = self.new_local();
                    out.push(Stmt::Assign(l, e));
                    let Place::Local(li) = l else { unreachable!("locals are Place::Local") };
                    return Some(Element::At(if field {
                        Place::FieldAt(b, len, li)
                    } else {
                        Place::GlobalAt(b, len, li)
                    }));
                }
                self.error(
                    "E0301",
                    index.span,
                    "LOCAL array indexed at run time",
                    "Myelin keeps LOCAL arrays in registers: index them with numbers, DEFINEs or the variable of \
                     a FROM loop with constant bounds, or make the array ASSIGNED",
                );
                return None;
            }
            _ => {
                self.error(
                    "E0301",
                    index.span,
                    "array index not known when compiling",
                    "Myelin resolves array elements at compile time: use numbers, DEFINEs, or the variable of \
                     a FROM loop with constant bounds",
                );
                return None;
            }
        };
        let len = self.m.symbol(&lv.name.name).and_then(|s| s.array);
        if let Some(n) = len {
            if k >= n {
                self.error("E0320", index.span, format!("index {k} is outside `{}[{n}]`", lv.name.name), "");
                return None;
            }
        }
        Some(Element::Named(ast::Ident {
            name: format!("{}[{k}]", lv.name.name),
            primes: lv.name.primes,
            span: lv.name.span,
        }))
    }

    fn lower_var_read(&mut self, name: &ast::Ident, _out: &mut Vec<Stmt>) -> ExprId {
        if let Some(acc) = &self.kinetic_acc {
            let _ = acc;
            if name.name == "f_flux" || name.name == "b_flux" {
                if let Some((f, b)) = self.last_fluxes {
                    return self.arena.read(if name.name == "f_flux" { f } else { b });
                }
            }
        }
        // Reading a current this mechanism both reads and writes gives the ion's total.
        if let Some(p) = self.ion_locals.get(&format!("{}@total", name.name)).copied() {
            if self.entry != Entry::Currents {
                return self.arena.read(p);
            }
        }
        match self.var_place(&name.name) {
            Some(Value::Place(p)) => self.arena.read(p),
            Some(Value::Const(c)) => self.arena.c(c),
            None => {
                if self.m.symbol(&name.name).is_some_and(|s| s.array.is_some()) {
                    // Arrays are reported once where they are declared (E0301).
                    self.failed = true;
                    return self.arena.c(0.0);
                }
                if let Some(sema::Symbol { kind: SymbolKind::UnitFactor(None), .. }) =
                    self.m.symbol(&name.name)
                {
                    self.error(
                        "E0314",
                        name.span,
                        format!("the value of unit factor `{}` is unknown", name.name),
                        "its units could not be converted; check the UNITS block",
                    );
                } else {
                    self.error("E0313", name.span, format!("cannot resolve `{}`", name.name), "");
                }
                self.arena.c(0.0)
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Expressions

    fn lower_expr(&mut self, e: &ast::Expr, out: &mut Vec<Stmt>) -> ExprId {
        match &e.kind {
            ExprKind::Num { num, .. } => self.arena.c(num.value),
            ExprKind::Var(lv) => {
                if lv.lag.is_some() {
                    self.error("E0304", lv.span, "lagged variables (DISCRETE) are not supported", "");
                    return self.arena.c(0.0);
                }
                match self.element(lv, Some(out)) {
                    Some(Element::Named(id)) => self.lower_var_read(&id, out),
                    Some(Element::At(p)) => self.arena.read(p),
                    None => self.arena.c(0.0),
                }
            }
            ExprKind::Call(c) => self.lower_call(c, out, false).unwrap_or_else(|| self.arena.c(0.0)),
            ExprKind::Int(x) => {
                let a = self.lower_expr(x, out);
                sym::call(&mut self.arena, MathFn::Trunc, vec![a])
            }
            ExprKind::Str(_) => {
                self.error("E0315", e.span, "a string is only allowed as an argument of printf", "");
                self.arena.c(0.0)
            }
            ExprKind::Paren(x) => self.lower_expr(x, out),
            ExprKind::Unary(op, x) => {
                let a = self.lower_expr(x, out);
                let op = match op {
                    ast::UnOp::Neg => Un::Neg,
                    ast::UnOp::Not => Un::Not,
                };
                self.arena.add(Node::Unary(op, a))
            }
            ExprKind::Binary(op, a, b) => {
                let x = self.lower_expr(a, out);
                let y = self.lower_expr(b, out);
                let op = match op {
                    ast::BinOp::Or => Bin::Or,
                    ast::BinOp::And => Bin::And,
                    ast::BinOp::Lt => Bin::Lt,
                    ast::BinOp::Le => Bin::Le,
                    ast::BinOp::Gt => Bin::Gt,
                    ast::BinOp::Ge => Bin::Ge,
                    ast::BinOp::Eq => Bin::Eq,
                    ast::BinOp::Ne => Bin::Ne,
                    ast::BinOp::Add => Bin::Add,
                    ast::BinOp::Sub => Bin::Sub,
                    ast::BinOp::Mul => Bin::Mul,
                    ast::BinOp::Div => Bin::Div,
                    ast::BinOp::Pow => Bin::Pow,
                };
                self.arena.bin(op, x, y)
            }
        }
    }

    /// Lowers a call; returns the value for FUNCTIONs and built-ins.
    fn lower_call(&mut self, c: &ast::Call, out: &mut Vec<Stmt>, as_stmt: bool) -> Option<ExprId> {
        let name = c.name.name.as_str();
        if let Some(f) = MathFn::from_name(name) {
            if c.args.len() != f.arity() {
                self.error("E0316", c.span, format!("`{name}` takes {} argument(s)", f.arity()), "");
                return None;
            }
            let args: Vec<ExprId> = c.args.iter().map(|a| self.lower_expr(a, out)).collect();
            return Some(sym::call(&mut self.arena, f, args));
        }
        if let Some((callable, is_function)) = self.m.callable(name) {
            let callee = Callee { callable, is_function };
            let args: Vec<ExprId> = c.args.iter().map(|a| self.lower_expr(a, out)).collect();
            return self.inline_call(callee.callable, callee.is_function, &args, c.span, out);
        }
        // Arity of the runtime functions whose arguments are used below.
        let needed = match name {
            "net_send" | "normrand" | "state_discontinuity" => 2,
            "net_move" | "net_event" => 1,
            _ => 0,
        };
        if c.args.len() < needed {
            self.error(
                "E0316",
                c.span,
                format!("`{name}` takes {needed} argument(s), {} given", c.args.len()),
                "",
            );
            return None;
        }
        match name {
            "net_send" => {
                let d = self.lower_expr(&c.args[0], out);
                let f = self.lower_expr(&c.args[1], out);
                out.push(Stmt::NetSend(d, f));
                None
            }
            "net_move" => {
                let t = self.lower_expr(&c.args[0], out);
                out.push(Stmt::NetMove(t));
                None
            }
            "net_event" => {
                let t = self.lower_expr(&c.args[0], out);
                out.push(Stmt::NetEvent(t));
                None
            }
            "scop_random" | "random_uniform" => {
                let u = self.new_local();
                out.push(Stmt::Uniform(u));
                Some(self.arena.read(u))
            }
            "exprand" | "random_negexp" => {
                // Exponential with the given mean (1 for random_negexp): -mean·ln(1 - u).
                let mean = if name == "exprand" && !c.args.is_empty() {
                    self.lower_expr(&c.args[0], out)
                } else {
                    self.arena.c(1.0)
                };
                let u = self.new_local();
                out.push(Stmt::Uniform(u));
                let one = self.arena.c(1.0);
                let ur = self.arena.read(u);
                let q = self.arena.bin(Bin::Sub, one, ur);
                let l = sym::call(&mut self.arena, MathFn::Log, vec![q]);
                let t = self.arena.bin(Bin::Mul, mean, l);
                Some(self.arena.add(Node::Unary(Un::Neg, t)))
            }
            "normrand" | "random_normal" => {
                // Box–Muller: mean + sd·sqrt(-2 ln(1 - u1))·cos(2π u2).
                let (mean, sd) = if name == "normrand" && c.args.len() == 2 {
                    (self.lower_expr(&c.args[0], out), self.lower_expr(&c.args[1], out))
                } else {
                    (self.arena.c(0.0), self.arena.c(1.0))
                };
                let (u1, u2) = (self.new_local(), self.new_local());
                out.push(Stmt::Uniform(u1));
                out.push(Stmt::Uniform(u2));
                let one = self.arena.c(1.0);
                let r1 = self.arena.read(u1);
                let q = self.arena.bin(Bin::Sub, one, r1);
                let l = sym::call(&mut self.arena, MathFn::Log, vec![q]);
                let m2 = self.arena.c(-2.0);
                let rad = self.arena.bin(Bin::Mul, m2, l);
                let r = sym::call(&mut self.arena, MathFn::Sqrt, vec![rad]);
                let tau = self.arena.c(2.0 * std::f64::consts::PI);
                let r2 = self.arena.read(u2);
                let ang = self.arena.bin(Bin::Mul, tau, r2);
                let cs = sym::call(&mut self.arena, MathFn::Cos, vec![ang]);
                let z = self.arena.bin(Bin::Mul, r, cs);
                let sz = self.arena.bin(Bin::Mul, sd, z);
                Some(self.arena.bin(Bin::Add, mean, sz))
            }
            "set_seed" | "setseed" | "random_setseq" | "random_setids" => Some(self.arena.c(0.0)),
            "printf" | "fprintf" => None,
            "at_time" | "state_discontinuity" => {
                // Fixed-step semantics: at_time only informs variable-step integrators.
                if name == "state_discontinuity" && c.args.len() == 2 {
                    if let ExprKind::Var(lv) = &c.args[0].kind {
                        let v = self.lower_expr(&c.args[1], out);
                        if let Some(p) = self.assign_place(&lv.name) {
                            out.push(Stmt::Assign(p, v));
                        }
                    }
                }
                Some(self.arena.c(0.0))
            }
            _ => {
                let _ = as_stmt;
                self.error(
                    "E0317",
                    c.span,
                    format!("`{name}` cannot be compiled by Myelin"),
                    "this NEURON/SCoP function has no Myelin implementation",
                );
                None
            }
        }
    }

    /// Inlines a FUNCTION or PROCEDURE call; returns the FUNCTION's value.
    fn inline_call(
        &mut self,
        callable: &ast::Callable,
        is_function: bool,
        args: &[ExprId],
        span: Span,
        out: &mut Vec<Stmt>,
    ) -> Option<ExprId> {
        let name = callable.name.name.clone();
        if self.inline_stack.contains(&name) || self.inline_stack.len() > 32 {
            self.error(
                "E0318",
                span,
                format!("recursive call of `{name}` cannot be inlined"),
                "Myelin inlines FUNCTIONs and PROCEDUREs; rewrite the recursion as a loop",
            );
            return None;
        }
        if args.len() != callable.params.len() {
            self.error("E0316", span, format!("`{name}` takes {} argument(s)", callable.params.len()), "");
            return None;
        }
        let table = if self.opts.exact_tables { None } else { self.table_for(callable) };
        // Bind formals.
        let mut frame = HashMap::new();
        for (p, a) in callable.params.iter().zip(args) {
            let l = self.new_local();
            out.push(Stmt::Assign(l, *a));
            frame.insert(p.name.name.clone(), l);
        }
        let ret = if is_function {
            let l = self.new_local();
            let z = self.arena.c(0.0);
            out.push(Stmt::Assign(l, z));
            Some(l)
        } else {
            None
        };
        let saved_scopes = std::mem::replace(&mut self.scopes, vec![frame.clone()]);
        let saved_consts = std::mem::take(&mut self.const_vars);
        self.inline_stack.push(name.clone());
        if let Some(r) = ret {
            self.fn_return.push((name.clone(), r));
        }
        let mut body_stmts = Vec::new();
        self.lower_block(&callable.body, &mut body_stmts);
        if let Some(tid) = table {
            // if (usetable) { lookups } else { body }
            let x = self.arena.read(frame[&callable.params[0].name.name]);
            let mut lookups = Vec::new();
            let tab = self.tables[tid as usize].clone();
            let targets = if is_function { Vec::new() } else { self.table_targets(&table_vars(callable)) };
            for (k, (_, base)) in tab.columns.iter().enumerate() {
                let look = self.arena.add(Node::TableLookup {
                    base: *base,
                    n: tab.n,
                    tmin: tab.tmin_slot,
                    mfac: tab.mfac_slot,
                    x,
                });
                let target = if is_function {
                    ret.expect("function return")
                } else {
                    match targets.get(k) {
                        Some(p) => *p,
                        None => continue,
                    }
                };
                lookups.push(Stmt::Assign(target, look));
            }
            let flag = self.arena.read(Place::Global(self.global_of["usetable"]));
            out.push(Stmt::If(flag, lookups, body_stmts));
        } else {
            out.extend(body_stmts);
        }
        if ret.is_some() {
            self.fn_return.pop();
        }
        self.inline_stack.pop();
        self.scopes = saved_scopes;
        self.const_vars = saved_consts;
        ret.map(|r| self.arena.read(r))
    }

    /// The places a PROCEDURE's TABLE fills, one column each, in NEURON's order: the variables as
    /// listed, an array element by element (nocmodl tabulates every element of an array).
    fn table_targets(&mut self, vars: &[String]) -> Vec<Place> {
        let mut places = Vec::new();
        for v in vars {
            let names = match self.m.symbol(v).and_then(|s| s.array) {
                Some(len) => (0..len).map(|k| format!("{v}[{k}]")).collect(),
                None => vec![v.clone()],
            };
            for name in names {
                if let Some(Value::Place(p)) = self.var_place(&name) {
                    places.push(p);
                }
            }
        }
        places
    }

    /// Creates (once) the table of a callable with a TABLE statement.
    fn table_for(&mut self, callable: &ast::Callable) -> Option<u32> {
        let name = callable.name.name.clone();
        if let Some(&t) = self.table_of.get(&name) {
            return Some(t);
        }
        let (vars, from, to, with) = callable.body.stmts.iter().find_map(|s| match &s.kind {
            StmtKind::Table { vars, from, to, with, .. } => Some((vars.clone(), from, to, with)),
            _ => None,
        })?;
        if callable.params.len() != 1 {
            self.error(
                "E0319",
                callable.name.span,
                "TABLE needs a FUNCTION or PROCEDURE with exactly one argument",
                "",
            );
            return None;
        }
        let is_function = matches!(self.m.symbol(&name).map(|s| &s.kind), Some(SymbolKind::Function(_)));
        let n = match &with.kind {
            ExprKind::Num { num, .. } => num.value as u32,
            _ => {
                self.error("E0319", with.span, "TABLE … WITH needs an integer", "");
                return None;
            }
        };
        // The table is built in init's prologue with its own locals: lower the body in a fresh
        // local space, then restore the caller's.
        let saved_locals = self.n_locals;
        let saved_scopes = std::mem::take(&mut self.scopes);
        let saved_ion = std::mem::take(&mut self.ion_locals);
        let saved_v = self.v_override.take();
        self.n_locals = 0;
        self.scopes = vec![HashMap::new()];
        let mut pre = Vec::new();
        let lo = self.lower_expr(from, &mut pre);
        let hi = self.lower_expr(to, &mut pre);
        let x_local = self.new_local();
        let mut frame = HashMap::new();
        frame.insert(callable.params[0].name.name.clone(), x_local);
        self.scopes = vec![frame];
        let ret = if is_function { Some(self.new_local()) } else { None };
        if let Some(r) = ret {
            self.fn_return.push((name.clone(), r));
        }
        self.inline_stack.push(name.clone());
        let mut body = pre;
        self.lower_block(&callable.body, &mut body);
        self.inline_stack.pop();
        if ret.is_some() {
            self.fn_return.pop();
        }
        let tmin_slot = self.scratch_global(1);
        let mfac_slot = self.scratch_global(1);
        let mut columns = Vec::new();
        if let Some(r) = ret {
            let base = self.scratch_global(n + 1);
            columns.push((self.arena.read(r), base));
        } else {
            let names: Vec<String> = vars.iter().map(|v| v.name.clone()).collect();
            for p in self.table_targets(&names) {
                let e = self.arena.read(p);
                let base = self.scratch_global(n + 1);
                columns.push((e, base));
            }
        }
        let table_locals = self.n_locals;
        self.n_locals = saved_locals;
        self.scopes = saved_scopes;
        self.ion_locals = saved_ion;
        self.v_override = saved_v;
        self.tables.push(Table {
            name: name.clone(),
            lo,
            hi,
            n,
            tmin_slot,
            mfac_slot,
            x_local: x_local_index(x_local),
            body,
            columns,
            n_locals: table_locals,
        });
        let id = self.tables.len() as u32 - 1;
        self.table_of.insert(name, id);
        Some(id)
    }
}

/// What an lvalue names after index resolution.
enum Element {
    /// A variable (or an array element known when compiling).
    Named(ast::Ident),
    /// An array element selected at run time.
    At(Place),
}

/// Scratch globals are numbered from this base during lowering and mapped after the named
/// globals by the validator-facing fix-up in [`finalize_globals`].
pub const SCRATCH_BASE: u32 = 1 << 20;

fn x_local_index(p: Place) -> u32 {
    match p {
        Place::Local(i) => i,
        _ => 0,
    }
}

fn table_vars(c: &ast::Callable) -> Vec<String> {
    c.body
        .stmts
        .iter()
        .find_map(|s| match &s.kind {
            StmtKind::Table { vars, .. } => Some(vars.iter().map(|v| v.name.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default()
}

fn collect_primes(b: &ast::Block, f: &mut dyn FnMut(&ast::Ident)) {
    for s in &b.stmts {
        match &s.kind {
            StmtKind::Assign { lhs, .. } if lhs.name.primes > 0 => f(&lhs.name),
            StmtKind::Block(b) => collect_primes(b, f),
            StmtKind::If { then, els, .. } => {
                collect_primes(then, f);
                if let Some(e) = els {
                    collect_primes(&ast::Block { stmts: vec![(**e).clone()], span: e.span }, f);
                }
            }
            _ => {}
        }
    }
}

fn collect_species(b: &ast::Block, f: &mut dyn FnMut(&str)) {
    for s in &b.stmts {
        match &s.kind {
            StmtKind::Reaction { lhs, kind } => {
                for t in lhs {
                    f(&t.var.name.name);
                }
                if let ast::ReactionKind::Reversible { rhs, .. } = kind {
                    for t in rhs {
                        f(&t.var.name.name);
                    }
                }
            }
            StmtKind::Block(b) => collect_species(b, f),
            _ => {}
        }
    }
}

/// Moves scratch globals (numbered from [`SCRATCH_BASE`]) after the `named` globals.
fn finalize_globals(m: &mut Mechanism, named: u32) {
    let fix = |k: &mut u32| {
        if *k >= SCRATCH_BASE {
            *k = named + (*k - SCRATCH_BASE);
        }
    };
    fn stmts(v: &mut [Stmt], fix: &dyn Fn(&mut u32)) {
        for s in v {
            match s {
                Stmt::Assign(Place::Global(k), _) => fix(k),
                Stmt::If(_, a, b) => {
                    stmts(a, fix);
                    stmts(b, fix);
                }
                Stmt::While(_, a) => stmts(a, fix),
                _ => {}
            }
        }
    }
    for n in &mut m.arena.nodes {
        match n {
            Node::Read(Place::Global(k)) => fix(k),
            Node::TableLookup { base, tmin, mfac, .. } => {
                fix(base);
                fix(tmin);
                fix(mfac);
            }
            _ => {}
        }
    }
    for b in [
        Some(&mut m.init),
        m.compute_currents.as_mut(),
        m.advance_state.as_mut(),
        m.net_receive.as_mut(),
        m.net_receive_init.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        stmts(&mut b.stmts, &fix);
        stmts(&mut b.prologue, &fix);
    }
    for sys in &mut m.systems {
        stmts(&mut sys.body, &fix);
    }
    for t in &mut m.tables {
        fix(&mut t.tmin_slot);
        fix(&mut t.mfac_slot);
        for (_, base) in &mut t.columns {
            fix(base);
        }
        stmts(&mut t.body, &fix);
    }
}

/// True when compute_currents and advance_state only touch their instance's fields, locals and
/// node columns: no runtime services (random numbers, events), no writes of mechanism-wide
/// values, so that disjoint instance ranges can run on different threads.
fn parallel_safe(m: &Mechanism) -> bool {
    fn ok(v: &[Stmt], m: &Mechanism) -> bool {
        v.iter().all(|s| match s {
            Stmt::Assign(Place::Global(_), _) => false,
            Stmt::Assign(..) => true,
            Stmt::If(_, a, b) => ok(a, m) && ok(b, m),
            Stmt::While(_, a) => ok(a, m),
            Stmt::Implicit(k) => ok(&m.systems[*k as usize].body, m),
            Stmt::BuildTable(_)
            | Stmt::NetSend(..)
            | Stmt::NetMove(_)
            | Stmt::NetEvent(_)
            | Stmt::Uniform(_) => false,
        })
    }
    [m.compute_currents.as_ref(), m.advance_state.as_ref()]
        .into_iter()
        .flatten()
        .all(|b| b.prologue.is_empty() && ok(&b.stmts, m))
}
