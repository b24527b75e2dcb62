//! Mechanism IR (MIR): what a mechanism computes, per ABI entry point, independent of NMODL's
//! surface syntax and of the code generator.
//!
//! Expressions live in an arena ([`Arena`]) and are referred to by [`ExprId`]; constants and pure
//! sub-expressions built by the lowering and the symbolic core are shared (a DAG). Statements
//! ([`Stmt`]) are structured (if/while), so the interpreter and the Cranelift code generator walk
//! the same tree. Each entry point body runs once per instance with `node` = the instance's node.
//!
//! Values live in [`Place`]s: per-instance fields (structure-of-arrays columns), mechanism-wide
//! globals, per-iteration locals, the compartment's voltage, area and diameter, ion columns at the
//! instance's node, NET_RECEIVE weights, and simulation scalars (t, dt, celsius).

mod dump;
pub mod exp;
mod exp_table;
pub mod lower;
mod validate;
pub mod verbatim;

pub use dump::dump_mechanism;
pub use validate::validate;

use crate::nmodl::sema::IonVarKind;
use myelin_runtime::abi::MechanismMeta;

/// Index of an expression in the arena.
pub type ExprId = u32;

/// Where a value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// Per-instance column `fields[k][instance]`.
    Field(u32),
    /// Mechanism-wide value `globals[k]`.
    Global(u32),
    /// A temporary of the current body (reset for each instance).
    Local(u32),
    /// Membrane potential at the node (read-only).
    V,
    /// Time.
    T,
    /// Time step.
    Dt,
    /// Temperature.
    Celsius,
    /// Segment area at the node.
    Area,
    /// Segment diameter at the node.
    Diam,
    /// `secondorder`.
    SecondOrder,
    /// An ion column at the instance's node: `(ion index, which)`.
    Ion(u32, IonVarKind),
    /// Ion current accumulator `ions[k].cur[node]` (written by compute_currents).
    IonCurrentSum(u32),
    /// Ion conductance accumulator `ions[k].didv[node]`.
    IonDidvSum(u32),
    /// Membrane current accumulator `i[node]`.
    CurrentSum,
    /// Membrane conductance accumulator `g[node]`.
    ConductanceSum,
    /// NET_RECEIVE weight `weights[k]`.
    Weight(u32),
    /// NET_RECEIVE flag.
    Flag,
    /// Element of a per-instance array known only at run time: fields `base..base + len`, at the
    /// index held by local `index` (truncated and clamped into the array).
    FieldAt(u32, u32, u32),
    /// Element of a mechanism-wide array at a run-time index (globals `base..base + len`).
    GlobalAt(u32, u32, u32),
}

/// The array element a run-time index selects: `trunc(x)` clamped into `0..len` (C leaves an
/// out-of-range index undefined; Myelin never reads outside the array).
pub fn element_index(x: f64, len: u32) -> u32 {
    let k = if x.is_nan() { 0.0 } else { x.trunc() };
    k.clamp(0.0, (len.max(1) - 1) as f64) as u32
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Un {
    /// `-x`
    Neg,
    /// `!x` (1 if x == 0 else 0)
    Not,
}

/// Binary operators. Comparisons and logic give 0.0 / 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bin {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^` (C `pow`)
    Pow,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `&&` (both evaluated; operands are pure)
    And,
    /// `||`
    Or,
}

/// Math functions the generated code may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MathFn {
    /// NEURON's `hoc_Exp`: 0 below -700, exp(700) above 700.
    Exp,
    /// Natural log.
    Log,
    /// Base-10 log.
    Log10,
    /// Square root.
    Sqrt,
    /// Absolute value.
    Fabs,
    /// Floor.
    Floor,
    /// Ceiling.
    Ceil,
    /// Truncation towards zero (`INT()`).
    Trunc,
    /// `pow(a, b)`.
    Pow,
    /// `fmod(a, b)`.
    Fmod,
    /// `sin`.
    Sin,
    /// `cos`.
    Cos,
    /// `tan`.
    Tan,
    /// `asin`.
    Asin,
    /// `acos`.
    Acos,
    /// `atan`.
    Atan,
    /// `atan2(a, b)`.
    Atan2,
    /// `sinh`.
    Sinh,
    /// `cosh`.
    Cosh,
    /// `tanh`.
    Tanh,
    /// `erf`.
    Erf,
    /// `erfc`.
    Erfc,
}

impl MathFn {
    /// Name as in C / NMODL.
    pub fn name(self) -> &'static str {
        match self {
            MathFn::Exp => "exp",
            MathFn::Log => "log",
            MathFn::Log10 => "log10",
            MathFn::Sqrt => "sqrt",
            MathFn::Fabs => "fabs",
            MathFn::Floor => "floor",
            MathFn::Ceil => "ceil",
            MathFn::Trunc => "trunc",
            MathFn::Pow => "pow",
            MathFn::Fmod => "fmod",
            MathFn::Sin => "sin",
            MathFn::Cos => "cos",
            MathFn::Tan => "tan",
            MathFn::Asin => "asin",
            MathFn::Acos => "acos",
            MathFn::Atan => "atan",
            MathFn::Atan2 => "atan2",
            MathFn::Sinh => "sinh",
            MathFn::Cosh => "cosh",
            MathFn::Tanh => "tanh",
            MathFn::Erf => "erf",
            MathFn::Erfc => "erfc",
        }
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        match self {
            MathFn::Pow | MathFn::Fmod | MathFn::Atan2 => 2,
            _ => 1,
        }
    }

    /// Looks up an NMODL built-in by name.
    pub fn from_name(name: &str) -> Option<MathFn> {
        Some(match name {
            "exp" => MathFn::Exp,
            "log" => MathFn::Log,
            "log10" => MathFn::Log10,
            "sqrt" => MathFn::Sqrt,
            "fabs" => MathFn::Fabs,
            "floor" => MathFn::Floor,
            "ceil" => MathFn::Ceil,
            "pow" => MathFn::Pow,
            "fmod" => MathFn::Fmod,
            "sin" => MathFn::Sin,
            "cos" => MathFn::Cos,
            "tan" => MathFn::Tan,
            "asin" => MathFn::Asin,
            "acos" => MathFn::Acos,
            "atan" => MathFn::Atan,
            "atan2" => MathFn::Atan2,
            "sinh" => MathFn::Sinh,
            "cosh" => MathFn::Cosh,
            "tanh" => MathFn::Tanh,
            "erf" => MathFn::Erf,
            "erfc" => MathFn::Erfc,
            _ => return None,
        })
    }

    /// Evaluates the function exactly as the generated code does (the interpreter's definition).
    pub fn eval(self, a: f64, b: f64) -> f64 {
        match self {
            MathFn::Exp => neuron_exp(a),
            MathFn::Log => a.ln(),
            MathFn::Log10 => a.log10(),
            MathFn::Sqrt => a.sqrt(),
            MathFn::Fabs => a.abs(),
            MathFn::Floor => a.floor(),
            MathFn::Ceil => a.ceil(),
            MathFn::Trunc => a.trunc(),
            MathFn::Pow => a.powf(b),
            MathFn::Fmod => a % b,
            MathFn::Sin => a.sin(),
            MathFn::Cos => a.cos(),
            MathFn::Tan => a.tan(),
            MathFn::Asin => a.asin(),
            MathFn::Acos => a.acos(),
            MathFn::Atan => a.atan(),
            MathFn::Atan2 => a.atan2(b),
            MathFn::Sinh => a.sinh(),
            MathFn::Cosh => a.cosh(),
            MathFn::Tanh => a.tanh(),
            MathFn::Erf => libm_erf(a),
            MathFn::Erfc => libm::erfc(a),
        }
    }
}

/// NEURON's `hoc_Exp`: exactly 0 for x < -700, exp(700) for x > 700, else exp(x) — Myelin's
/// inline exponential ([`exp::exp`]: the C library's algorithm, equal to it bit for bit on
/// machines with FMA), which generated code uses by default. (`CodegenOptions::libm_exp` calls
/// the C library instead.)
pub fn neuron_exp(x: f64) -> f64 {
    exp::exp(x)
}

/// The error function (the `libm` crate's port of the C library's implementation).
pub fn libm_erf(x: f64) -> f64 {
    libm::erf(x)
}

/// An expression node.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A constant.
    Const(f64),
    /// The current value of a place.
    Read(Place),
    /// Unary operation.
    Unary(Un, ExprId),
    /// Binary operation.
    Binary(Bin, ExprId, ExprId),
    /// Math function call.
    Call(MathFn, Vec<ExprId>),
    /// `if c then a else b` (all operands pure; used by TABLE lookups and the symbolic core).
    Select(ExprId, ExprId, ExprId),
    /// Table lookup with NEURON's interpolation: `table(global base, n, tmin, mfac, x)`.
    TableLookup {
        /// First global slot of the table (n + 1 values).
        base: u32,
        /// Number of intervals.
        n: u32,
        /// Global slot holding `tmin`.
        tmin: u32,
        /// Global slot holding `mfac = 1/dx`.
        mfac: u32,
        /// Argument.
        x: ExprId,
    },
}

/// The expression arena of one mechanism.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arena {
    /// Nodes; an [`ExprId`] indexes this vector.
    pub nodes: Vec<Node>,
    /// Constant value bits → node, for sharing.
    consts: std::collections::HashMap<u64, ExprId>,
}

impl Arena {
    /// Adds a node. Operations on constants are folded with the same arithmetic the generated
    /// code and the interpreter use (so folding never changes a result), and identical constants
    /// are shared.
    pub fn add(&mut self, n: Node) -> ExprId {
        let n = match n {
            Node::Unary(op, a) => match self.as_const(a) {
                Some(x) => Node::Const(crate::interp::un(op, x)),
                None => n,
            },
            Node::Binary(op, a, b) => match (self.as_const(a), self.as_const(b)) {
                (Some(x), Some(y)) => Node::Const(crate::interp::bin(op, x, y)),
                _ => n,
            },
            Node::Call(f, ref args) => {
                let vals: Option<Vec<f64>> = args.iter().map(|a| self.as_const(*a)).collect();
                match vals {
                    Some(v) => Node::Const(f.eval(v[0], v.get(1).copied().unwrap_or(0.0))),
                    None => n,
                }
            }
            Node::Select(c, a, b) => match self.as_const(c) {
                Some(x) => return if x != 0.0 { a } else { b },
                None => n,
            },
            n => n,
        };
        if let Node::Const(c) = n {
            // Share identical constants (bitwise) so that the DAG stays small.
            if let Some(&i) = self.consts.get(&c.to_bits()) {
                return i;
            }
            self.nodes.push(n);
            let id = (self.nodes.len() - 1) as ExprId;
            self.consts.insert(c.to_bits(), id);
            return id;
        }
        self.nodes.push(n);
        (self.nodes.len() - 1) as ExprId
    }

    /// Drops every node from `len` on (undoing a trial lowering).
    pub fn truncate(&mut self, len: usize) {
        self.nodes.truncate(len);
        self.consts.retain(|_, id| (*id as usize) < len);
    }

    /// A constant.
    pub fn c(&mut self, v: f64) -> ExprId {
        self.add(Node::Const(v))
    }

    /// Reads a place.
    pub fn read(&mut self, p: Place) -> ExprId {
        self.add(Node::Read(p))
    }

    /// A binary node.
    pub fn bin(&mut self, op: Bin, a: ExprId, b: ExprId) -> ExprId {
        self.add(Node::Binary(op, a, b))
    }

    /// The node of an id.
    pub fn get(&self, id: ExprId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The constant value of an expression, if it is a constant.
    pub fn as_const(&self, id: ExprId) -> Option<f64> {
        match self.get(id) {
            Node::Const(c) => Some(*c),
            _ => None,
        }
    }
}

/// A statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `place = expr`.
    Assign(Place, ExprId),
    /// `if (cond != 0) { then } else { els }`.
    If(ExprId, Vec<Stmt>, Vec<Stmt>),
    /// `while (cond != 0) { body }` (bounded at run time by the iteration limit of NEURON's
    /// semantics? no: NMODL while loops are plain C loops).
    While(ExprId, Vec<Stmt>),
    /// Solve an implicit system (derivimplicit, sparse, steady state, LINEAR/NONLINEAR) by Newton's
    /// method; the system's unknowns are updated in place.
    Implicit(u32),
    /// Rebuild the TABLE with this index (init entry only).
    BuildTable(u32),
    /// `net_send(delay, flag)`.
    NetSend(ExprId, ExprId),
    /// `net_move(t)`.
    NetMove(ExprId),
    /// `net_event(t)`.
    NetEvent(ExprId),
    /// Draw a uniform random number in [0, 1) from the instance's stream into a place.
    Uniform(Place),
}

/// An implicit system `F(x) = 0` solved per instance by Newton's method.
#[derive(Debug, Clone, PartialEq)]
pub struct ImplicitSystem {
    /// The unknowns (state places), read into `x` before and written back after the solve.
    pub unknowns: Vec<Place>,
    /// Local slots that hold the unknowns while `body` runs.
    pub x_locals: Vec<u32>,
    /// Local slots that hold the values of the unknowns at the start of the step (`x_old`).
    pub old_locals: Vec<u32>,
    /// Statements computing the residuals.
    pub body: Vec<Stmt>,
    /// Residual expressions, one per unknown (evaluated after `body`).
    pub residuals: Vec<ExprId>,
    /// Number of locals the residual function needs.
    pub n_locals: u32,
    /// Human-readable origin (`DERIVATIVE states derivimplicit`).
    pub origin: String,
}

/// A TABLE: a one-argument FUNCTION or PROCEDURE tabulated over `[lo, hi]` in `n` intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Origin name (function or procedure).
    pub name: String,
    /// Lower bound expression (evaluated at build time).
    pub lo: ExprId,
    /// Upper bound expression.
    pub hi: ExprId,
    /// Number of intervals.
    pub n: u32,
    /// Global slot of `tmin`.
    pub tmin_slot: u32,
    /// Global slot of `mfac`.
    pub mfac_slot: u32,
    /// Local slot holding the argument `x` while the body runs at build time.
    pub x_local: u32,
    /// Statements evaluating the body at `x`.
    pub body: Vec<Stmt>,
    /// For each tabulated value: the expression to store and its table's first global slot.
    pub columns: Vec<(ExprId, u32)>,
    /// Number of locals the build loop needs.
    pub n_locals: u32,
}

/// One entry point body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    /// Statements run once per instance.
    pub stmts: Vec<Stmt>,
    /// Statements run once per call before the instance loop (table builds).
    pub prologue: Vec<Stmt>,
    /// Number of local slots.
    pub n_locals: u32,
}

/// A lowered mechanism: metadata for the runtime plus one body per entry point.
#[derive(Debug, Clone, PartialEq)]
pub struct Mechanism {
    /// What the runtime needs to know.
    pub meta: MechanismMeta,
    /// Number of global slots (named globals first, then tables and module-wide locals).
    pub n_globals: u32,
    /// Expression arena shared by all bodies.
    pub arena: Arena,
    /// INITIAL.
    pub init: Body,
    /// BREAKPOINT currents.
    pub compute_currents: Option<Body>,
    /// SOLVE blocks.
    pub advance_state: Option<Body>,
    /// NET_RECEIVE (`Weight(k)` and `Flag` are its arguments).
    pub net_receive: Option<Body>,
    /// NET_RECEIVE's INITIAL block.
    pub net_receive_init: Option<Body>,
    /// WATCH conditions, checked after every step.
    pub post_event: Option<Body>,
    /// Implicit systems referred to by [`Stmt::Implicit`].
    pub systems: Vec<ImplicitSystem>,
    /// Tables referred to by [`Stmt::BuildTable`] and [`Node::TableLookup`].
    pub tables: Vec<Table>,
}

impl Mechanism {
    /// The entry points that exist, with their names.
    pub fn bodies(&self) -> Vec<(&'static str, &Body)> {
        let mut v = vec![("init", &self.init)];
        if let Some(b) = &self.compute_currents {
            v.push(("compute_currents", b));
        }
        if let Some(b) = &self.advance_state {
            v.push(("advance_state", b));
        }
        if let Some(b) = &self.net_receive {
            v.push(("net_receive", b));
        }
        if let Some(b) = &self.net_receive_init {
            v.push(("net_receive_init", b));
        }
        if let Some(b) = &self.post_event {
            v.push(("post_event", b));
        }
        v
    }
}
