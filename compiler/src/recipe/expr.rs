//! Checked numeric expressions ([`Term`]): units are resolved (every number is in the unit its
//! use expects), names are bound to parameters, per-segment geometry or searched currents, and
//! distributions are inlined. Terms that depend on a segment are compiled ([`super::codegen`]);
//! the others are evaluated once per run with [`Term::eval`], using the same arithmetic as the
//! compiled code (C library `exp`, `pow`, … through Rust's `f64` methods).

use std::fmt;

/// Per-segment geometric quantities a parameter value may use (the order of the geometry array
/// passed to compiled code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeomVar {
    /// Path distance from the centre of the soma (µm), NEURON's `h.distance(soma(0.5), seg)`.
    Distance = 0,
    /// Position of the segment centre in its section (0..1).
    X = 1,
    /// Segment diameter (µm).
    Diam = 2,
    /// Segment membrane area (µm²).
    Area = 3,
    /// Length of the segment's section (µm).
    Length = 4,
}

impl GeomVar {
    /// All, in array order.
    pub const ALL: [GeomVar; 5] =
        [GeomVar::Distance, GeomVar::X, GeomVar::Diam, GeomVar::Area, GeomVar::Length];

    /// Name in recipes.
    pub fn name(self) -> &'static str {
        match self {
            GeomVar::Distance => "distance",
            GeomVar::X => "x",
            GeomVar::Diam => "diam",
            GeomVar::Area => "area",
            GeomVar::Length => "length",
        }
    }

    /// Unit of the value.
    pub fn unit(self) -> &'static str {
        match self {
            GeomVar::X => "",
            GeomVar::Area => "um2",
            _ => "um",
        }
    }

    /// Looks up a name.
    pub fn from_name(name: &str) -> Option<GeomVar> {
        GeomVar::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// Currents found by the searches of threshold-based protocols (nA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CurrentVar {
    /// The holding current: the current that holds the cell at the target voltage.
    Holding,
    /// The threshold current: the smallest step above the holding current that fires.
    Threshold,
}

impl CurrentVar {
    /// Name in recipes.
    pub fn name(self) -> &'static str {
        match self {
            CurrentVar::Holding => "holding_current",
            CurrentVar::Threshold => "threshold_current",
        }
    }
}

/// Operators of terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// +
    Add,
    /// -
    Sub,
    /// *
    Mul,
    /// /
    Div,
    /// power
    Pow,
    /// < (1 or 0)
    Lt,
    /// <=
    Le,
    /// >
    Gt,
    /// >=
    Ge,
    /// ==
    Eq,
    /// !=
    Ne,
    /// min
    Min,
    /// max
    Max,
}

/// One-argument functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// e^x (C `exp`)
    Exp,
    /// natural logarithm
    Log,
    /// base-10 logarithm
    Log10,
    /// square root
    Sqrt,
    /// absolute value
    Abs,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// tangent
    Tan,
    /// hyperbolic sine
    Sinh,
    /// hyperbolic cosine
    Cosh,
    /// hyperbolic tangent
    Tanh,
    /// round down
    Floor,
    /// round up
    Ceil,
}

impl Func {
    /// All, with their names.
    pub const ALL: [(Func, &'static str); 13] = [
        (Func::Exp, "exp"),
        (Func::Log, "log"),
        (Func::Log10, "log10"),
        (Func::Sqrt, "sqrt"),
        (Func::Abs, "abs"),
        (Func::Sin, "sin"),
        (Func::Cos, "cos"),
        (Func::Tan, "tan"),
        (Func::Sinh, "sinh"),
        (Func::Cosh, "cosh"),
        (Func::Tanh, "tanh"),
        (Func::Floor, "floor"),
        (Func::Ceil, "ceil"),
    ];

    /// Name in recipes.
    pub fn name(self) -> &'static str {
        Func::ALL.iter().find(|(f, _)| *f == self).map(|(_, n)| *n).unwrap_or("?")
    }

    /// Looks up a name.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// The value (the functions the compiled code calls compute exactly this).
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Func::Exp => x.exp(),
            Func::Log => x.ln(),
            Func::Log10 => x.log10(),
            Func::Sqrt => x.sqrt(),
            Func::Abs => x.abs(),
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Sinh => x.sinh(),
            Func::Cosh => x.cosh(),
            Func::Tanh => x.tanh(),
            Func::Floor => x.floor(),
            Func::Ceil => x.ceil(),
        }
    }
}

impl Op {
    /// The value of `a op b`.
    pub fn apply(self, a: f64, b: f64) -> f64 {
        let flag = |c: bool| if c { 1.0 } else { 0.0 };
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            Op::Pow => a.powf(b),
            Op::Lt => flag(a < b),
            Op::Le => flag(a <= b),
            Op::Gt => flag(a > b),
            Op::Ge => flag(a >= b),
            Op::Eq => flag(a == b),
            Op::Ne => flag(a != b),
            Op::Min => {
                if b < a {
                    b
                } else {
                    a
                }
            }
            Op::Max => {
                if b > a {
                    b
                } else {
                    a
                }
            }
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Pow => "^",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Min => "min",
            Op::Max => "max",
        }
    }
}

/// A checked numeric expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A number (already in the expected unit where it stands alone).
    Const(f64),
    /// The value of recipe parameter `i` (in the parameter's own unit).
    Param(usize),
    /// A per-segment quantity.
    Geom(GeomVar),
    /// A searched current (nA).
    Current(CurrentVar),
    /// `-a`.
    Neg(Box<Term>),
    /// `a op b`.
    Bin(Op, Box<Term>, Box<Term>),
    /// `f(a)`.
    Call(Func, Box<Term>),
}

/// What a term may read when it is evaluated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// Values of all recipe parameters, by index.
    pub params: &'a [f64],
    /// The segment's geometry, in [`GeomVar`] order.
    pub geometry: Option<[f64; 5]>,
    /// Holding current (nA), when found.
    pub holding: Option<f64>,
    /// Threshold current (nA), when found.
    pub threshold: Option<f64>,
}

impl Term {
    /// A binary term.
    pub fn bin(op: Op, a: Term, b: Term) -> Term {
        Term::Bin(op, Box::new(a), Box::new(b))
    }

    /// `self × factor`, leaving the term alone when the factor is 1 up to rounding.
    pub fn scaled(self, factor: f64) -> Term {
        if super::quantity::same_scale(factor, 1.0) {
            self
        } else {
            Term::bin(Op::Mul, self, Term::Const(factor)).folded()
        }
    }

    /// Evaluates; a missing input gives NaN (the checker makes sure inputs are there).
    pub fn eval(&self, inp: &Inputs<'_>) -> f64 {
        match self {
            Term::Const(v) => *v,
            Term::Param(i) => inp.params.get(*i).copied().unwrap_or(f64::NAN),
            Term::Geom(g) => inp.geometry.map(|a| a[*g as usize]).unwrap_or(f64::NAN),
            Term::Current(CurrentVar::Holding) => inp.holding.unwrap_or(f64::NAN),
            Term::Current(CurrentVar::Threshold) => inp.threshold.unwrap_or(f64::NAN),
            Term::Neg(a) => -a.eval(inp),
            Term::Bin(op, a, b) => op.apply(a.eval(inp), b.eval(inp)),
            Term::Call(f, a) => f.apply(a.eval(inp)),
        }
    }

    /// Folds constant sub-terms (with the arithmetic of [`Term::eval`]).
    pub fn folded(self) -> Term {
        match self {
            Term::Neg(a) => match a.folded() {
                Term::Const(v) => Term::Const(-v),
                a => Term::Neg(Box::new(a)),
            },
            Term::Bin(op, a, b) => match (a.folded(), b.folded()) {
                (Term::Const(x), Term::Const(y)) => Term::Const(op.apply(x, y)),
                (a, b) => Term::bin(op, a, b),
            },
            Term::Call(f, a) => match a.folded() {
                Term::Const(v) => Term::Const(f.apply(v)),
                a => Term::Call(f, Box::new(a)),
            },
            t => t,
        }
    }

    /// The constant value, if the term is a constant.
    pub fn constant(&self) -> Option<f64> {
        match self {
            Term::Const(v) => Some(*v),
            _ => None,
        }
    }

    /// True when the term reads the segment's geometry.
    pub fn uses_geometry(&self) -> bool {
        self.any(&|t| matches!(t, Term::Geom(_)))
    }

    /// True when the term reads a searched current.
    pub fn uses_current(&self, c: CurrentVar) -> bool {
        self.any(&|t| matches!(t, Term::Current(x) if *x == c))
    }

    /// Indices of the parameters the term reads.
    pub fn params(&self, out: &mut Vec<usize>) {
        match self {
            Term::Param(i) if !out.contains(i) => out.push(*i),
            Term::Neg(a) | Term::Call(_, a) => a.params(out),
            Term::Bin(_, a, b) => {
                a.params(out);
                b.params(out);
            }
            _ => {}
        }
    }

    fn any(&self, f: &dyn Fn(&Term) -> bool) -> bool {
        if f(self) {
            return true;
        }
        match self {
            Term::Neg(a) | Term::Call(_, a) => a.any(f),
            Term::Bin(_, a, b) => a.any(f) || b.any(f),
            _ => false,
        }
    }
}

impl fmt::Display for Term {
    /// A canonical text: fully parenthesised, numbers in shortest round-trip form, parameters as
    /// `$i`. Used as the key of compiled code (equal texts compute equal functions).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Const(v) => write!(f, "{v:?}"),
            Term::Param(i) => write!(f, "${i}"),
            Term::Geom(g) => f.write_str(g.name()),
            Term::Current(c) => f.write_str(c.name()),
            Term::Neg(a) => write!(f, "(-{a})"),
            Term::Bin(op @ (Op::Min | Op::Max), a, b) => write!(f, "{}({a}, {b})", op.symbol()),
            Term::Bin(op, a, b) => write!(f, "({a} {} {b})", op.symbol()),
            Term::Call(func, a) => write!(f, "{}({a})", func.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_prints() {
        let t = Term::bin(Op::Mul, Term::Const(2.0), Term::bin(Op::Add, Term::Const(1.0), Term::Const(2.0)));
        assert_eq!(t.folded(), Term::Const(6.0));
        let t = Term::bin(
            Op::Mul,
            Term::Param(0),
            Term::Call(Func::Exp, Box::new(Term::Geom(GeomVar::Distance))),
        );
        assert_eq!(t.to_string(), "($0 * exp(distance))");
        let v = t.eval(&Inputs { params: &[2.0], geometry: Some([0.0; 5]), ..Default::default() });
        assert_eq!(v, 2.0);
        assert!(t.uses_geometry());
        assert_eq!(Op::Lt.apply(1.0, 2.0), 1.0);
        assert_eq!(Term::Const(0.1).scaled(1.0000000000000002), Term::Const(0.1));
    }
}
