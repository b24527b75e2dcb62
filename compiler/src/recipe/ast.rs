//! The syntax tree of a recipe, with spans. Expressions are untyped here: the same expression
//! grammar writes quantities, regions, locations and calls, and the checker gives each its
//! meaning from where it appears.

use crate::diag::Span;

/// A whole recipe: the items that parsed, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recipe {
    /// Top-level items.
    pub items: Vec<Item>,
    /// `(keyword, name)` of items that did not parse (already reported): the checker does not
    /// report their names as unknown.
    pub broken: Vec<(String, String)>,
}

impl Recipe {
    /// True when an item `keyword name` failed to parse.
    pub fn is_broken(&self, keyword: &str, name: &str) -> bool {
        self.broken.iter().any(|(k, n)| k == keyword && n == name)
    }
}

/// A name with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// One top-level item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// The whole item.
    pub span: Span,
}

/// A source of mechanisms.
#[derive(Debug, Clone, PartialEq)]
pub enum MechSource {
    /// Myelin's own catalogue (`builtin`).
    Builtin(Span),
    /// A .mod file or a directory of them (`mod "path"`).
    Mod(Str),
    /// An ahead-of-time artifact directory (`aot "path"`).
    Aot(Str),
}

/// A string literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Str {
    /// The value (escapes resolved).
    pub value: String,
    /// Where (including the quotes).
    pub span: Span,
}

/// `key = value` (optionally `key = mean +- std`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: Ident,
    /// The value.
    pub value: Expr,
    /// The spread after `+-`, if written.
    pub std: Option<Expr>,
    /// The whole entry.
    pub span: Span,
}

/// The kinds of top-level items.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemKind {
    /// `mechanisms { … }`.
    Mechanisms(Vec<MechSource>),
    /// `morphology NAME = SOURCE { options }`.
    Morphology {
        /// Name.
        name: Ident,
        /// A file name (string) or a built-in shape (call).
        source: Expr,
        /// Options (`axon = …`).
        options: Vec<Entry>,
    },
    /// `cell NAME { … }`.
    Cell {
        /// Name.
        name: Ident,
        /// Body.
        body: Vec<CellEntry>,
    },
    /// `param NAME = VALUE in [LO, HI]`.
    Param {
        /// Name.
        name: Ident,
        /// Value, if given.
        value: Option<Expr>,
        /// Bounds (free parameter), if given.
        bounds: Option<(Expr, Expr)>,
    },
    /// `distribution NAME(ARGS) = EXPR`.
    Distribution {
        /// Name.
        name: Ident,
        /// Argument names.
        args: Vec<Ident>,
        /// Body.
        body: Expr,
    },
    /// `protocol NAME [for CELL] { … }`.
    Protocol {
        /// Name.
        name: Ident,
        /// The cell it runs on, if named.
        cell: Option<Ident>,
        /// Body.
        body: Vec<ProtocolEntry>,
    },
    /// `search KIND [at LOCATION] { … }`.
    Search {
        /// `holding_current` or `threshold_current`.
        kind: Ident,
        /// Where the search injects current.
        at: Option<Expr>,
        /// Settings.
        body: Vec<Entry>,
    },
    /// `global MECHANISM { NAME = VALUE … }`: mechanism-wide values.
    Global {
        /// Mechanism.
        mechanism: Ident,
        /// Values.
        entries: Vec<Entry>,
    },
    /// `settings { … }`.
    Settings {
        /// Entries.
        entries: Vec<Entry>,
        /// `efel { … }` blocks.
        efel: Vec<Vec<Entry>>,
    },
    /// `simulate`, `evaluate` or `sweep`.
    Statement(Statement),
    /// A statement of the planned pipeline (`optimise`, `validate`, …), not yet available.
    Planned {
        /// The keyword.
        keyword: Ident,
    },
}

/// An entry of a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellEntry {
    /// `region NAME = REGION`.
    Region {
        /// Name.
        name: Ident,
        /// Definition.
        value: Expr,
    },
    /// `location NAME = LOCATION`.
    Location {
        /// Name.
        name: Ident,
        /// Definition.
        value: Expr,
    },
    /// `insert MECH [on REGION] { PARAM = VALUE … }`.
    Insert {
        /// Mechanism.
        mechanism: Ident,
        /// Region (all when absent).
        region: Option<Expr>,
        /// Parameter values.
        params: Vec<Entry>,
        /// The whole entry.
        span: Span,
    },
    /// `set NAME = VALUE [on REGION]`.
    Set {
        /// Property (`cm`, `Ra`, `ena`, `cai`, …).
        name: Ident,
        /// Value.
        value: Expr,
        /// Region (all when absent).
        region: Option<Expr>,
    },
    /// `ion NAME { … }`.
    Ion {
        /// Ion.
        name: Ident,
        /// Settings.
        entries: Vec<Entry>,
    },
    /// `key = value` (`morphology`, `nseg`, `cm`, `Ra`, `v_init`).
    Entry(Entry),
}

/// An entry of a protocol.
#[derive(Debug, Clone, PartialEq)]
pub enum ProtocolEntry {
    /// `stimulus KIND at LOCATION { … }`.
    Stimulus {
        /// Kind (`step`, `holding`, `ramp`, …).
        kind: Ident,
        /// Where.
        at: Expr,
        /// Settings.
        entries: Vec<Entry>,
        /// The whole entry.
        span: Span,
    },
    /// `record NAME = VARIABLE at LOCATION`.
    Record {
        /// Name.
        name: Ident,
        /// Variable.
        variable: Expr,
        /// Where.
        at: Expr,
    },
    /// `feature RECORDING NAME = MEAN +- STD { settings }`.
    Feature {
        /// Recording.
        recording: Ident,
        /// eFEL feature name.
        feature: Ident,
        /// Target mean.
        mean: Expr,
        /// Target standard deviation.
        std: Expr,
        /// eFEL settings of this feature (and `weight`).
        settings: Vec<Entry>,
        /// The whole entry.
        span: Span,
    },
    /// `efel { … }`: eFEL settings of the protocol's features.
    Efel(Vec<Entry>),
    /// `key = value` (`duration`, `dt`).
    Entry(Entry),
}

/// A statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `simulate P, Q`.
    Simulate {
        /// Protocols.
        protocols: Vec<Ident>,
        /// Where.
        span: Span,
    },
    /// `evaluate [P, Q]`.
    Evaluate {
        /// Protocols (all with features when empty).
        protocols: Vec<Ident>,
        /// Where.
        span: Span,
    },
    /// `sweep PARAM in LIST { … }` or `sweep PARAM from A to B by S { … }`.
    Sweep {
        /// The parameter swept.
        param: Ident,
        /// The values.
        values: Box<SweepValues>,
        /// The statements run for every value.
        body: Vec<Statement>,
        /// Where.
        span: Span,
    },
}

/// The values of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepValues {
    /// `in [a, b, c]`.
    List(Expr),
    /// `from a to b by s`.
    Range {
        /// First value.
        from: Expr,
        /// Last value (included when reached).
        to: Expr,
        /// Increment.
        by: Expr,
    },
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
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
    /// `|` (region union)
    Union,
    /// `&` (region intersection)
    Intersect,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Union => "|",
            BinOp::Intersect => "&",
        }
    }
}

/// A call argument, positional or named.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The name, for `name = value`.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
}

/// The kinds of expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number with an optional unit (`0.1 nA`, `3`).
    Number {
        /// The number as written.
        value: f64,
        /// The unit text and its span.
        unit: Option<(String, Span)>,
    },
    /// A string.
    Str(String),
    /// A name.
    Name(String),
    /// `[a, b, …]`.
    List(Vec<Expr>),
    /// `-a`.
    Neg(Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `f(args)`.
    Call(Box<Expr>, Vec<Arg>),
    /// `a[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `a.b`.
    Field(Box<Expr>, Ident),
}

impl Expr {
    /// The name, if the expression is a plain name.
    pub fn as_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Name(n) => Some(n),
            _ => None,
        }
    }
}
