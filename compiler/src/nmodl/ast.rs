//! The typed NMODL syntax tree. Every node carries the [`Span`] of the text it came from.
//!
//! The tree is close to the source: it keeps parentheses, number spellings and unit texts so that
//! the printer can write the file back (parse → print → parse gives the same tree, spans aside).
//! Meaning (which names are states, what a SOLVE refers to) is established later by `sema`.

use crate::diag::Span;

/// A name as written, e.g. `gnabar`, or `m'` (then `primes == 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The name without primes.
    pub name: String,
    /// Number of `'` marks (derivative order) following the name.
    pub primes: u8,
    /// Where.
    pub span: Span,
}

/// A unit in parentheses, kept as raw text (`mA/cm2`, `/ms`, `1`, ``).
#[derive(Debug, Clone, PartialEq)]
pub struct Units {
    /// Text between the parentheses, as written.
    pub text: String,
    /// Where (including the parentheses).
    pub span: Span,
}

/// A numeric literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    /// Value.
    pub value: f64,
    /// Spelling as written (for printing).
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A literal in a declaration: an optionally negated number, or a DEFINEd name.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedNum {
    /// True when written with a leading `-`.
    pub negative: bool,
    /// The number or the DEFINE name.
    pub value: NumOrName,
    /// Where.
    pub span: Span,
}

/// A number or a DEFINE name standing for one.
#[derive(Debug, Clone, PartialEq)]
pub enum NumOrName {
    /// A literal.
    Num(Number),
    /// A name (resolved against DEFINE by sema).
    Name(Ident),
}

/// An array size in a declaration: an integer or a DEFINE name.
#[derive(Debug, Clone, PartialEq)]
pub enum ArraySize {
    /// A literal size.
    Int(Number),
    /// A DEFINE name.
    Name(Ident),
}

/// One parsed file (or an INCLUDEd fragment).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// A top-level item with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// Where.
    pub span: Span,
}

/// Every kind of top-level item.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `TITLE text` (rest of the line).
    Title(String),
    /// `COMMENT … ENDCOMMENT` (text between, raw).
    Comment(String),
    /// `VERBATIM … ENDVERBATIM` (raw C).
    Verbatim(String),
    /// `DEFINE NAME value`.
    Define {
        /// Name.
        name: Ident,
        /// Value.
        value: SignedNum,
    },
    /// `INCLUDE "file"`, with the parsed contents of the file when it was found.
    Include {
        /// The path as written.
        path: String,
        /// Span of the string literal.
        path_span: Span,
        /// Parsed contents (None when the file could not be read or parsed).
        module: Option<Box<Module>>,
    },
    /// `UNITSON`.
    UnitsOn,
    /// `UNITSOFF`.
    UnitsOff,
    /// Top-level `LOCAL a, b[3]` (module-wide variables).
    Local(Vec<LocalVar>),
    /// `NEURON { … }`.
    Neuron(Vec<NeuronStmt>),
    /// `UNITS { … }`.
    Units(Vec<UnitDef>),
    /// `PARAMETER { … }`.
    Parameter(Vec<ParamDecl>),
    /// `CONSTANT { … }`.
    Constant(Vec<ConstDecl>),
    /// `ASSIGNED { … }`.
    Assigned(Vec<VarDecl>),
    /// `STATE { … }`.
    State(Vec<VarDecl>),
    /// `INDEPENDENT { … }`.
    Independent(Vec<IndepDecl>),
    /// `INITIAL { … }`.
    Initial(Block),
    /// `BREAKPOINT { … }`.
    Breakpoint(Block),
    /// `DERIVATIVE name { … }`.
    Derivative {
        /// Block name.
        name: Ident,
        /// Body.
        body: Block,
    },
    /// `KINETIC name [SOLVEFOR …] { … }`.
    Kinetic {
        /// Block name.
        name: Ident,
        /// SOLVEFOR list.
        solvefor: Vec<Ident>,
        /// Body.
        body: Block,
    },
    /// `LINEAR name [SOLVEFOR …] { … }`.
    Linear {
        /// Block name.
        name: Ident,
        /// SOLVEFOR list.
        solvefor: Vec<Ident>,
        /// Body.
        body: Block,
    },
    /// `NONLINEAR name [SOLVEFOR …] { … }`.
    NonLinear {
        /// Block name.
        name: Ident,
        /// SOLVEFOR list.
        solvefor: Vec<Ident>,
        /// Body.
        body: Block,
    },
    /// `DISCRETE name { … }` (legacy).
    Discrete {
        /// Block name.
        name: Ident,
        /// Body.
        body: Block,
    },
    /// `PROCEDURE name(args) { … }`.
    Procedure(Callable),
    /// `FUNCTION name(args) [units] { … }`.
    Function(Callable),
    /// `FUNCTION_TABLE name(args) [units]` (no body).
    FunctionTable {
        /// Name.
        name: Ident,
        /// Formal parameters.
        params: Vec<Formal>,
        /// Result units.
        units: Option<Units>,
    },
    /// `NET_RECEIVE (args) { … }`.
    NetReceive {
        /// Weight-vector arguments (None when written without parentheses).
        params: Option<Vec<Formal>>,
        /// Body.
        body: Block,
    },
    /// `BEFORE/AFTER BREAKPOINT|SOLVE|INITIAL|STEP { … }`.
    BeforeAfter {
        /// True for BEFORE, false for AFTER.
        before: bool,
        /// The phase (`BREAKPOINT`, `SOLVE`, `INITIAL`, `STEP`).
        phase: String,
        /// Body.
        body: Block,
    },
    /// `CONSTRUCTOR { … }`.
    Constructor(Block),
    /// `DESTRUCTOR { … }`.
    Destructor(Block),
}

/// A PROCEDURE or FUNCTION.
#[derive(Debug, Clone, PartialEq)]
pub struct Callable {
    /// Name.
    pub name: Ident,
    /// Formal parameters.
    pub params: Vec<Formal>,
    /// Result units (FUNCTION) or declared units.
    pub units: Option<Units>,
    /// Body.
    pub body: Block,
}

/// A formal parameter `x (mV)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Formal {
    /// Name.
    pub name: Ident,
    /// Units.
    pub units: Option<Units>,
}

/// One `LOCAL` variable.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalVar {
    /// Name.
    pub name: Ident,
    /// Array size, if an array.
    pub size: Option<ArraySize>,
}

/// Statements of the NEURON block.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronStmt {
    /// What it is.
    pub kind: NeuronStmtKind,
    /// Where.
    pub span: Span,
}

/// The mechanism kind keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuffixKind {
    /// `SUFFIX`.
    Suffix,
    /// `POINT_PROCESS`.
    PointProcess,
    /// `ARTIFICIAL_CELL`.
    ArtificialCell,
}

/// Kinds of NEURON-block statements.
#[derive(Debug, Clone, PartialEq)]
pub enum NeuronStmtKind {
    /// `SUFFIX name`, `POINT_PROCESS name`, `ARTIFICIAL_CELL name`.
    Suffix {
        /// Which keyword.
        kind: SuffixKind,
        /// Mechanism name.
        name: Ident,
    },
    /// `USEION ion READ … WRITE … VALENCE z`.
    UseIon {
        /// Ion name.
        ion: Ident,
        /// READ list.
        read: Vec<Ident>,
        /// WRITE list.
        write: Vec<Ident>,
        /// VALENCE (signed).
        valence: Option<(f64, String, Span)>,
        /// REPRESENTS id.
        represents: Option<String>,
    },
    /// `NONSPECIFIC_CURRENT list`.
    Nonspecific(Vec<Ident>),
    /// `ELECTRODE_CURRENT list`.
    Electrode(Vec<Ident>),
    /// `RANGE list`.
    Range(Vec<Ident>),
    /// `GLOBAL list`.
    Global(Vec<Ident>),
    /// `POINTER list`.
    Pointer(Vec<Ident>),
    /// `BBCOREPOINTER list`.
    BbcorePointer(Vec<Ident>),
    /// `EXTERNAL list`.
    External(Vec<Ident>),
    /// `RANDOM list`.
    Random(Vec<Ident>),
    /// `THREADSAFE [list]`.
    ThreadSafe(Vec<Ident>),
    /// `REPRESENTS id`.
    Represents(String),
    /// VERBATIM inside NEURON.
    Verbatim(String),
    /// UNITSON inside NEURON.
    UnitsOn,
    /// UNITSOFF inside NEURON.
    UnitsOff,
}

/// A definition in the UNITS block.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitDef {
    /// What it is.
    pub kind: UnitDefKind,
    /// Where.
    pub span: Span,
}

/// Kinds of UNITS-block definitions.
#[derive(Debug, Clone, PartialEq)]
pub enum UnitDefKind {
    /// `(mV) = (millivolt)`: a new unit name.
    Alias {
        /// The unit being defined.
        new: Units,
        /// Its definition.
        old: Units,
    },
    /// `F = 96520 (coul)`: a named constant with units.
    FactorValue {
        /// Constant name.
        name: Ident,
        /// Negative sign.
        negative: bool,
        /// Value.
        value: Number,
        /// Units.
        units: Option<Units>,
    },
    /// `F = (faraday) (coulomb)` or `x = (u1) -> (u2)`: the magnitude of u1 in u2.
    FactorRatio {
        /// Constant name.
        name: Ident,
        /// Numerator unit.
        from: Units,
        /// Target unit.
        to: Units,
        /// Written with `->`.
        arrow: bool,
    },
}

/// `name [= value] [(units)] [<lo, hi>]` in PARAMETER.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// Name.
    pub name: Ident,
    /// Array size.
    pub size: Option<ArraySize>,
    /// Value.
    pub value: Option<SignedNum>,
    /// Units.
    pub units: Option<Units>,
    /// `<lo, hi>`.
    pub limits: Option<(SignedNum, SignedNum)>,
    /// Where.
    pub span: Span,
}

/// `name = value (units)` in CONSTANT.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstDecl {
    /// Name.
    pub name: Ident,
    /// Value.
    pub value: SignedNum,
    /// Units.
    pub units: Option<Units>,
    /// Where.
    pub span: Span,
}

/// A declaration in ASSIGNED or STATE.
#[derive(Debug, Clone, PartialEq)]
pub struct VarDecl {
    /// Name.
    pub name: Ident,
    /// Array size.
    pub size: Option<ArraySize>,
    /// `FROM lo TO hi`.
    pub from_to: Option<(SignedNum, SignedNum)>,
    /// `START value`.
    pub start: Option<SignedNum>,
    /// Units.
    pub units: Option<Units>,
    /// `<abstol>`.
    pub abstol: Option<SignedNum>,
    /// Where.
    pub span: Span,
}

/// `[SWEEP] t FROM 0 TO 1 WITH 1 [START x] (ms)` in INDEPENDENT.
#[derive(Debug, Clone, PartialEq)]
pub struct IndepDecl {
    /// SWEEP prefix.
    pub sweep: bool,
    /// Name (must be `t`).
    pub name: Ident,
    /// From.
    pub from: SignedNum,
    /// To.
    pub to: SignedNum,
    /// WITH count.
    pub with: Number,
    /// START.
    pub start: Option<SignedNum>,
    /// Units.
    pub units: Option<Units>,
    /// Where.
    pub span: Span,
}

/// `{ stmts }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Statements.
    pub stmts: Vec<Stmt>,
    /// Where (braces included).
    pub span: Span,
}

/// A statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What it is.
    pub kind: StmtKind,
    /// Where.
    pub span: Span,
}

/// A variable reference on the left of `=` or in a reaction.
#[derive(Debug, Clone, PartialEq)]
pub struct LValue {
    /// Name (with primes for derivatives).
    pub name: Ident,
    /// Array index.
    pub index: Option<Box<Expr>>,
    /// `@n` lag (DISCRETE).
    pub lag: Option<Number>,
    /// Where.
    pub span: Span,
}

/// How a SOLVE names its method.
#[derive(Debug, Clone, PartialEq)]
pub enum SolveMethod {
    /// `METHOD m`.
    Method(Ident),
    /// `STEADYSTATE m`.
    SteadyState(Ident),
}

/// One term of a reaction side: `2 ca`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactTerm {
    /// Stoichiometric coefficient (1 when omitted).
    pub coef: u32,
    /// True when the coefficient was written.
    pub coef_written: bool,
    /// Species.
    pub var: LValue,
}

/// What follows the left side of a reaction.
#[derive(Debug, Clone, PartialEq)]
pub enum ReactionKind {
    /// `<-> rhs (kf, kb)`.
    Reversible {
        /// Right side.
        rhs: Vec<ReactTerm>,
        /// Forward rate.
        kf: Expr,
        /// Backward rate.
        kb: Expr,
    },
    /// `-> (k)`.
    Forward {
        /// Rate.
        k: Expr,
    },
    /// `<< (flux)`.
    Flux {
        /// Flux expression.
        flux: Expr,
    },
}

/// `WATCH (lhs > rhs) flag`.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchItem {
    /// Condition (a comparison).
    pub cond: Expr,
    /// Flag delivered when it becomes true.
    pub flag: Expr,
    /// Where.
    pub span: Span,
}

/// Statement kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `LOCAL a, b[2]`.
    Local(Vec<LocalVar>),
    /// `lhs = rhs` (including `x' = f`).
    Assign {
        /// Target.
        lhs: LValue,
        /// Value.
        rhs: Expr,
    },
    /// `PROTECT lhs = rhs`.
    Protect {
        /// Target.
        lhs: LValue,
        /// Value.
        rhs: Expr,
    },
    /// A call used as a statement.
    Call(Call),
    /// `if (c) {…} [else …]`.
    If {
        /// Condition.
        cond: Expr,
        /// Then branch.
        then: Block,
        /// Else branch: a block, or another `if` statement.
        els: Option<Box<Stmt>>,
    },
    /// `while (c) {…}`.
    While {
        /// Condition.
        cond: Expr,
        /// Body.
        body: Block,
    },
    /// `FROM i = lo TO hi [BY step] {…}`.
    From {
        /// Loop variable.
        var: Ident,
        /// Start.
        lo: Expr,
        /// End (inclusive).
        hi: Expr,
        /// Step.
        by: Option<Expr>,
        /// Body.
        body: Block,
    },
    /// A nested `{ … }`.
    Block(Block),
    /// `SOLVE name [METHOD m | STEADYSTATE m]`.
    Solve {
        /// Target block.
        name: Ident,
        /// Method.
        method: Option<SolveMethod>,
    },
    /// `TABLE vars DEPEND deps FROM lo TO hi WITH n`.
    Table {
        /// Tabulated variables (PROCEDURE) — empty for a FUNCTION.
        vars: Vec<Ident>,
        /// DEPEND list.
        depend: Vec<Ident>,
        /// Lower bound.
        from: Expr,
        /// Upper bound.
        to: Expr,
        /// Number of intervals.
        with: Expr,
    },
    /// `CONDUCTANCE g [USEION ion]`.
    Conductance {
        /// Conductance variable.
        name: Ident,
        /// Ion.
        ion: Option<Ident>,
    },
    /// VERBATIM text.
    Verbatim(String),
    /// UNITSON.
    UnitsOn,
    /// UNITSOFF.
    UnitsOff,
    /// MUTEXLOCK.
    MutexLock,
    /// MUTEXUNLOCK.
    MutexUnlock,
    /// `~ lhs <-> rhs (kf, kb)` and friends.
    Reaction {
        /// Left side.
        lhs: Vec<ReactTerm>,
        /// The rest.
        kind: ReactionKind,
    },
    /// `~ lhs = rhs` (or `~+`).
    Equation {
        /// `~+` (adds to the previous equation).
        addition: bool,
        /// Left side.
        lhs: Expr,
        /// Right side.
        rhs: Expr,
    },
    /// `CONSERVE a + b = expr`.
    Conserve {
        /// Species.
        lhs: Vec<ReactTerm>,
        /// Total.
        rhs: Expr,
    },
    /// `COMPARTMENT [i,] volume { states }`.
    Compartment {
        /// Index variable for arrays.
        index: Option<Ident>,
        /// Volume expression.
        volume: Expr,
        /// States.
        states: Vec<Ident>,
    },
    /// `LONGITUDINAL_DIFFUSION [i,] expr { states }`.
    LongitudinalDiffusion {
        /// Index variable.
        index: Option<Ident>,
        /// Diffusion constant × area.
        expr: Expr,
        /// States.
        states: Vec<Ident>,
    },
    /// `WATCH (cond) flag, …`.
    Watch(Vec<WatchItem>),
    /// `FOR_NETCONS(args) { … }`.
    ForNetcons {
        /// Arguments.
        params: Vec<Formal>,
        /// Body.
        body: Block,
    },
    /// `INITIAL { … }` inside NET_RECEIVE.
    Initial(Block),
    /// `LAG name BY name`.
    Lag {
        /// Variable.
        name: Ident,
        /// Delay variable.
        by: Ident,
    },
    /// A stray `;` (NMODL has no statement separators).
    Semicolon,
}

/// A call `name(args)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Callee.
    pub name: Ident,
    /// Arguments.
    pub args: Vec<Expr>,
    /// Where.
    pub span: Span,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`.
    Neg,
    /// `!x`.
    Not,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
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
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }

    /// Binding strength (higher binds tighter), NEURON's precedence table.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div => 5,
            BinOp::Pow => 7,
        }
    }

    /// True for comparisons (`<`, `==`, …).
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne)
    }
}

/// Precedence of unary operators: above `*` and `/`, below `^`.
pub const UNARY_PRECEDENCE: u8 = 6;

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Expression kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number with optional units.
    Num {
        /// The literal.
        num: Number,
        /// Units written after it.
        units: Option<Units>,
    },
    /// A variable (possibly indexed or lagged).
    Var(LValue),
    /// A call.
    Call(Call),
    /// `INT(x)`: truncation towards zero.
    Int(Box<Expr>),
    /// A string literal (only as a call argument).
    Str(String),
    /// `( e )`, kept for printing.
    Paren(Box<Expr>),
    /// Unary operation.
    Unary(UnOp, Box<Expr>),
    /// Binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
}
