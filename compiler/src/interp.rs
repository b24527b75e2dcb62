//! The MIR interpreter: the oracle the JIT is tested against.
//!
//! It runs an entry point over the same [`KernelArgs`] memory a compiled kernel receives, with
//! the same math functions, so that JIT and interpreter results can be compared value by value.

use crate::mir::{Arena, Bin, Body, ExprId, Mechanism, Node, Place, Stmt, Un};
use crate::nmodl::sema::IonVarKind;
use crate::solve::newton;
use myelin_runtime::abi::KernelArgs;

/// Which body to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPoint {
    /// INITIAL.
    Init,
    /// BREAKPOINT currents.
    ComputeCurrents,
    /// SOLVE blocks.
    AdvanceState,
    /// WATCH checks.
    PostEvent,
}

/// Runs an entry point over all instances.
///
/// # Safety
/// `args` must describe valid memory for this mechanism (the same contract as a kernel call).
pub unsafe fn run(m: &Mechanism, entry: EntryPoint, args: &KernelArgs) {
    let body = match entry {
        EntryPoint::Init => Some(&m.init),
        EntryPoint::ComputeCurrents => m.compute_currents.as_ref(),
        EntryPoint::AdvanceState => m.advance_state.as_ref(),
        EntryPoint::PostEvent => m.post_event.as_ref(),
    };
    let Some(body) = body else { return };
    if args.count > 0 {
        let mut ctx = Ctx {
            m,
            args,
            instance: 0,
            locals: vec![0.0; body.n_locals as usize],
            weights: std::ptr::null_mut(),
            flag: 0.0,
        };
        ctx.stmts(&body.prologue);
    }
    for i in 0..args.count {
        let mut ctx = Ctx {
            m,
            args,
            instance: i,
            locals: vec![0.0; body.n_locals as usize],
            weights: std::ptr::null_mut(),
            flag: 0.0,
        };
        ctx.stmts(&body.stmts);
    }
}

/// Delivers one event through NET_RECEIVE (or its INITIAL block when `initial`).
///
/// # Safety
/// As for [`run`]; `weights` holds `net_receive_args` doubles.
pub unsafe fn net_receive(
    m: &Mechanism,
    args: &KernelArgs,
    instance: u64,
    weights: *mut f64,
    flag: f64,
    initial: bool,
) {
    let body: Option<&Body> = if initial { m.net_receive_init.as_ref() } else { m.net_receive.as_ref() };
    let Some(body) = body else { return };
    let mut ctx = Ctx { m, args, instance, locals: vec![0.0; body.n_locals as usize], weights, flag };
    ctx.stmts(&body.stmts);
}

/// Evaluates an expression that reads only locals (tests of the symbolic core).
pub fn eval_pure(a: &Arena, e: ExprId, locals: &[f64]) -> f64 {
    match a.get(e) {
        Node::Const(c) => *c,
        Node::Read(Place::Local(k)) => locals[*k as usize],
        Node::Read(_) => f64::NAN,
        Node::Unary(op, x) => un(*op, eval_pure(a, *x, locals)),
        Node::Binary(op, x, y) => bin(*op, eval_pure(a, *x, locals), eval_pure(a, *y, locals)),
        Node::Call(f, args) => {
            let x = eval_pure(a, args[0], locals);
            let y = args.get(1).map(|b| eval_pure(a, *b, locals)).unwrap_or(0.0);
            f.eval(x, y)
        }
        Node::Select(c, x, y) => {
            if eval_pure(a, *c, locals) != 0.0 {
                eval_pure(a, *x, locals)
            } else {
                eval_pure(a, *y, locals)
            }
        }
        Node::TableLookup { .. } => f64::NAN,
    }
}

/// Unary operators with C semantics.
pub fn un(op: Un, x: f64) -> f64 {
    match op {
        Un::Neg => -x,
        Un::Not => f64::from(x == 0.0),
    }
}

/// Binary operators with C semantics (comparisons give 0/1).
pub fn bin(op: Bin, x: f64, y: f64) -> f64 {
    match op {
        Bin::Add => x + y,
        Bin::Sub => x - y,
        Bin::Mul => x * y,
        Bin::Div => x / y,
        Bin::Pow => x.powf(y),
        Bin::Lt => f64::from(x < y),
        Bin::Le => f64::from(x <= y),
        Bin::Gt => f64::from(x > y),
        Bin::Ge => f64::from(x >= y),
        Bin::Eq => f64::from(x == y),
        Bin::Ne => f64::from(x != y),
        Bin::And => f64::from(x != 0.0 && y != 0.0),
        Bin::Or => f64::from(x != 0.0 || y != 0.0),
    }
}

/// NEURON's table interpolation (nocmodl's generated `_n_<name>`).
pub fn table_lookup(table: &[f64], n: u32, tmin: f64, mfac: f64, x: f64) -> f64 {
    let xi = mfac * (x - tmin);
    if xi.is_nan() {
        return xi;
    }
    if xi <= 0.0 {
        return table[0];
    }
    if xi >= n as f64 {
        return table[n as usize];
    }
    let i = xi as usize;
    let theta = xi - i as f64;
    table[i] + theta * (table[i + 1] - table[i])
}

struct Ctx<'a> {
    m: &'a Mechanism,
    args: &'a KernelArgs,
    instance: u64,
    locals: Vec<f64>,
    weights: *mut f64,
    flag: f64,
}

impl Ctx<'_> {
    fn node(&self) -> usize {
        // SAFETY: node has `count` entries (kernel contract).
        unsafe { *self.args.node.add(self.instance as usize) as usize }
    }

    fn ion_ptr(&self, k: u32, kind: IonVarKind) -> *mut f64 {
        // SAFETY: ions has one entry per ion of the mechanism.
        let ion = unsafe { &*self.args.ions.add(k as usize) };
        let col = match kind {
            IonVarKind::Current => ion.cur,
            IonVarKind::Erev => ion.erev,
            IonVarKind::ConcIn => ion.conc_in,
            IonVarKind::ConcOut => ion.conc_out,
        };
        // SAFETY: ion columns are per node.
        unsafe { col.add(self.node()) }
    }

    fn ptr(&mut self, p: Place) -> *mut f64 {
        let a = self.args;
        // SAFETY: every pointer below is valid per the kernel contract.
        unsafe {
            match p {
                Place::Field(k) => (*a.fields.add(k as usize)).add(self.instance as usize),
                Place::Global(k) => a.globals.add(k as usize),
                Place::Local(k) => &mut self.locals[k as usize] as *mut f64,
                Place::V => a.v.add(self.node()) as *mut f64,
                Place::Area => a.area.add(self.node()) as *mut f64,
                Place::Diam => a.diam.add(self.node()) as *mut f64,
                Place::Ion(k, kind) => self.ion_ptr(k, kind),
                Place::IonCurrentSum(k) => self.ion_ptr(k, IonVarKind::Current),
                Place::IonDidvSum(k) => (*a.ions.add(k as usize)).didv.add(self.node()),
                Place::CurrentSum => a.i.add(self.node()),
                Place::ConductanceSum => a.g.add(self.node()),
                Place::Weight(k) => self.weights.add(k as usize),
                Place::FieldAt(b, n, l) => {
                    let k = crate::mir::element_index(self.locals[l as usize], n);
                    (*a.fields.add((b + k) as usize)).add(self.instance as usize)
                }
                Place::GlobalAt(b, n, l) => {
                    let k = crate::mir::element_index(self.locals[l as usize], n);
                    a.globals.add((b + k) as usize)
                }
                Place::T | Place::Dt | Place::Celsius | Place::SecondOrder | Place::Flag => {
                    std::ptr::null_mut()
                }
            }
        }
    }

    fn read(&mut self, p: Place) -> f64 {
        match p {
            Place::T => self.args.t,
            Place::Dt => self.args.dt,
            Place::Celsius => self.args.celsius,
            Place::SecondOrder => f64::from(self.args.secondorder),
            Place::Flag => self.flag,
            Place::Local(k) => self.locals[k as usize],
            // SAFETY: pointer valid per kernel contract.
            _ => unsafe { *self.ptr(p) },
        }
    }

    fn write(&mut self, p: Place, v: f64) {
        match p {
            Place::Local(k) => self.locals[k as usize] = v,
            Place::T | Place::Dt | Place::Celsius | Place::SecondOrder | Place::Flag => {}
            // SAFETY: pointer valid per kernel contract.
            _ => unsafe { *self.ptr(p) = v },
        }
    }

    fn eval(&mut self, e: ExprId) -> f64 {
        match self.m.arena.get(e).clone() {
            Node::Const(c) => c,
            Node::Read(p) => self.read(p),
            Node::Unary(op, x) => un(op, self.eval(x)),
            Node::Binary(op, x, y) => {
                let a = self.eval(x);
                let b = self.eval(y);
                bin(op, a, b)
            }
            Node::Call(f, args) => {
                let a = self.eval(args[0]);
                let b = if args.len() > 1 { self.eval(args[1]) } else { 0.0 };
                f.eval(a, b)
            }
            Node::Select(c, x, y) => {
                if self.eval(c) != 0.0 {
                    self.eval(x)
                } else {
                    self.eval(y)
                }
            }
            Node::TableLookup { base, n, tmin, mfac, x } => {
                let xv = self.eval(x);
                // SAFETY: the table occupies n + 1 global slots.
                let table = unsafe {
                    std::slice::from_raw_parts(self.args.globals.add(base as usize), n as usize + 1)
                };
                let g = |k: u32| unsafe { *self.args.globals.add(k as usize) };
                table_lookup(table, n, g(tmin), g(mfac), xv)
            }
        }
    }

    fn stmts(&mut self, v: &[Stmt]) {
        for s in v {
            match s {
                Stmt::Assign(p, e) => {
                    let x = self.eval(*e);
                    self.write(*p, x);
                }
                Stmt::If(c, a, b) => {
                    if self.eval(*c) != 0.0 {
                        self.stmts(a)
                    } else {
                        self.stmts(b)
                    }
                }
                Stmt::While(c, b) => {
                    while self.eval(*c) != 0.0 {
                        self.stmts(b);
                    }
                }
                Stmt::Implicit(k) => self.implicit(*k as usize),
                Stmt::BuildTable(k) => self.build_table(*k as usize),
                Stmt::NetSend(d, f) => {
                    let (d, f) = (self.eval(*d), self.eval(*f));
                    // SAFETY: services valid per kernel contract.
                    let sv = unsafe { &*self.args.services };
                    (sv.net_send)(sv.ctx, self.args.mech_id, self.instance, self.weights, d, f);
                }
                Stmt::NetMove(t) => {
                    let t = self.eval(*t);
                    let sv = unsafe { &*self.args.services };
                    (sv.net_move)(sv.ctx, self.args.mech_id, self.instance, t);
                }
                Stmt::Uniform(p) => {
                    // SAFETY: services valid per kernel contract.
                    let sv = unsafe { &*self.args.services };
                    let u = (sv.random_uniform)(sv.ctx, self.args.mech_id, self.instance);
                    self.write(*p, u);
                }
                Stmt::NetEvent(t) => {
                    let t = self.eval(*t);
                    let sv = unsafe { &*self.args.services };
                    (sv.net_event)(sv.ctx, self.args.mech_id, self.instance, t);
                }
            }
        }
    }

    fn implicit(&mut self, k: usize) {
        let sys = &self.m.systems[k];
        let n = sys.unknowns.len();
        let mut x: Vec<f64> = sys.unknowns.iter().map(|p| self.read(*p)).collect();
        let x_old = x.clone();
        let mut work = vec![0.0; newton::work_len(n)];
        let params = if sys.origin.starts_with("derivimplicit")
            || sys.origin.starts_with("STEADYSTATE derivimplicit")
        {
            newton::DERIVIMPLICIT
        } else {
            newton::SPARSE
        };
        let (m, args, instance, weights, flag) = (self.m, self.args, self.instance, self.weights, self.flag);
        let mut f = |xv: &[f64], out: &mut [f64]| {
            let mut c = Ctx { m, args, instance, locals: vec![0.0; sys.n_locals as usize], weights, flag };
            for i in 0..n {
                c.locals[sys.x_locals[i] as usize] = xv[i];
                c.locals[sys.old_locals[i] as usize] = x_old[i];
            }
            c.stmts(&sys.body);
            for (i, r) in sys.residuals.iter().enumerate() {
                out[i] = c.eval(*r);
            }
        };
        let _ = newton::solve(n, &mut x, &mut work, params, &mut f);
        for (p, v) in sys.unknowns.iter().zip(x) {
            self.write(*p, v);
        }
    }

    fn build_table(&mut self, k: usize) {
        let t = &self.m.tables[k];
        let mut c = Ctx {
            m: self.m,
            args: self.args,
            instance: self.instance,
            locals: vec![0.0; t.n_locals as usize],
            weights: self.weights,
            flag: self.flag,
        };
        // nocmodl: _dx = (tmax - tmin)/n; _mfac = 1/_dx; for (i = 0, x = tmin; i < n+1; x += _dx, i++)
        let tmin = c.eval(t.lo);
        let tmax = c.eval(t.hi);
        let dx = (tmax - tmin) / t.n as f64;
        c.write(Place::Global(t.tmin_slot), tmin);
        c.write(Place::Global(t.mfac_slot), 1.0 / dx);
        let mut x = tmin;
        for i in 0..=t.n {
            c.locals.iter_mut().for_each(|l| *l = 0.0);
            c.locals[t.x_local as usize] = x;
            c.stmts(&t.body);
            for (e, base) in &t.columns {
                let v = c.eval(*e);
                c.write(Place::Global(base + i), v);
            }
            x += dx;
        }
    }
}
