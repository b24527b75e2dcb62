//! Parameter expressions: a parameter painted on a region may be a function of the segment's
//! position, written as text such as `(-0.8696 + 2.087*exp(distance*0.0031))*0.0002`.
//!
//! Variables: `distance` (path distance in µm from the centre of the root section, as
//! `h.distance(soma(0.5), seg)` gives it in NEURON and BluePyOpt uses it) and `x` (the segment's
//! position 0..1 in its section). BluePyOpt's braces are accepted: `{distance}` is `distance`.
//! Operators `+ - * / ^` with the usual precedence (`^` binds tightest and is right associative),
//! unary minus, parentheses, and the functions `exp log log10 sqrt abs sin cos tanh` (one argument)
//! and `pow min max` (two).

use std::fmt;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number.
    Num(f64),
    /// A variable.
    Var(Var),
    /// Negation.
    Neg(Box<Expr>),
    /// A binary operation.
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// A call of a built-in function.
    Call(Func, Vec<Expr>),
}

/// Variables an expression may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// Path distance from the centre of the root section (µm).
    Distance,
    /// Position of the segment centre in its section (0..1).
    X,
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
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// e^x
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
    /// hyperbolic tangent
    Tanh,
    /// pow(a, b)
    Pow,
    /// min(a, b)
    Min,
    /// max(a, b)
    Max,
}

impl Func {
    fn from_name(s: &str) -> Option<(Func, usize)> {
        Some(match s {
            "exp" => (Func::Exp, 1),
            "log" => (Func::Log, 1),
            "log10" => (Func::Log10, 1),
            "sqrt" => (Func::Sqrt, 1),
            "abs" | "fabs" => (Func::Abs, 1),
            "sin" => (Func::Sin, 1),
            "cos" => (Func::Cos, 1),
            "tanh" => (Func::Tanh, 1),
            "pow" => (Func::Pow, 2),
            "min" => (Func::Min, 2),
            "max" => (Func::Max, 2),
            _ => return None,
        })
    }
}

/// A syntax error in an expression, with the byte column where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// Byte offset in the expression text.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at column {}: {}", self.column + 1, self.message)
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, ExprError> {
        Err(ExprError { column: self.pos, message: message.into() })
    }

    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && (self.s[self.pos] as char).is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Expr, ExprError> {
        let mut lhs = self.term()?;
        loop {
            let op = match self.peek() {
                Some(b'+') => BinOp::Add,
                Some(b'-') => BinOp::Sub,
                _ => return Ok(lhs),
            };
            self.pos += 1;
            let rhs = self.term()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn term(&mut self) -> Result<Expr, ExprError> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(b'*') => BinOp::Mul,
                Some(b'/') => BinOp::Div,
                _ => return Ok(lhs),
            };
            self.pos += 1;
            let rhs = self.unary()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.eat(b'-') {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat(b'+') {
            return self.unary();
        }
        let base = self.atom()?;
        if self.eat(b'^') {
            // Right associative, and binds tighter than unary minus on its left: -2^2 = -4.
            let exponent = self.unary()?;
            return Ok(Expr::Bin(BinOp::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        match self.peek() {
            None => self.err("unexpected end of expression"),
            Some(b'(') => {
                self.pos += 1;
                let e = self.expr()?;
                if !self.eat(b')') {
                    return self.err("expected `)`");
                }
                Ok(e)
            }
            Some(b'{') => {
                self.pos += 1;
                let name = self.ident();
                if !self.eat(b'}') {
                    return self.err("expected `}` after the variable name");
                }
                self.var(&name)
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.pos;
                let name = self.ident();
                if self.eat(b'(') {
                    let Some((func, arity)) = Func::from_name(&name) else {
                        self.pos = start;
                        return self.err(format!(
                            "unknown function `{name}` (known: exp log log10 sqrt abs sin cos tanh pow min max)"
                        ));
                    };
                    let mut args = vec![self.expr()?];
                    while self.eat(b',') {
                        args.push(self.expr()?);
                    }
                    if !self.eat(b')') {
                        return self.err("expected `)` or `,` in the argument list");
                    }
                    if args.len() != arity {
                        self.pos = start;
                        return self.err(format!("`{name}` takes {arity} argument(s), got {}", args.len()));
                    }
                    Ok(Expr::Call(func, args))
                } else {
                    self.pos = start;
                    self.ident();
                    self.var(&name).map_err(|e| ExprError { column: start, ..e })
                }
            }
            Some(c) => self.err(format!("unexpected character `{}`", c as char)),
        }
    }

    fn var(&self, name: &str) -> Result<Expr, ExprError> {
        match name {
            "distance" => Ok(Expr::Var(Var::Distance)),
            "x" => Ok(Expr::Var(Var::X)),
            _ => self.err(format!("unknown variable `{name}` (known: distance, x)")),
        }
    }

    fn ident(&mut self) -> String {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
        {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }

    fn number(&mut self) -> Result<Expr, ExprError> {
        let start = self.pos;
        let s = self.s;
        let mut i = self.pos;
        while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'.') {
            i += 1;
        }
        if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
            let mut j = i + 1;
            if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
                j += 1;
            }
            if j < s.len() && s[j].is_ascii_digit() {
                while j < s.len() && s[j].is_ascii_digit() {
                    j += 1;
                }
                i = j;
            }
        }
        let text = std::str::from_utf8(&s[start..i]).unwrap_or("");
        match text.parse::<f64>() {
            Ok(v) => {
                self.pos = i;
                Ok(Expr::Num(v))
            }
            Err(_) => self.err(format!("malformed number `{text}`")),
        }
    }
}

impl Expr {
    /// Parses an expression.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let mut p = Parser { s: text.as_bytes(), pos: 0 };
        let e = p.expr()?;
        if p.peek().is_some() {
            return p.err("unexpected text after the expression");
        }
        Ok(e)
    }

    /// Evaluates the expression at a segment.
    pub fn eval(&self, distance: f64, x: f64) -> f64 {
        match self {
            Expr::Num(v) => *v,
            Expr::Var(Var::Distance) => distance,
            Expr::Var(Var::X) => x,
            Expr::Neg(a) => -a.eval(distance, x),
            Expr::Bin(op, a, b) => {
                let (a, b) = (a.eval(distance, x), b.eval(distance, x));
                match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    BinOp::Pow => a.powf(b),
                }
            }
            Expr::Call(f, args) => {
                let a = args[0].eval(distance, x);
                let b = || args[1].eval(distance, x);
                match f {
                    Func::Exp => a.exp(),
                    Func::Log => a.ln(),
                    Func::Log10 => a.log10(),
                    Func::Sqrt => a.sqrt(),
                    Func::Abs => a.abs(),
                    Func::Sin => a.sin(),
                    Func::Cos => a.cos(),
                    Func::Tanh => a.tanh(),
                    Func::Pow => a.powf(b()),
                    Func::Min => a.min(b()),
                    Func::Max => a.max(b()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_evaluates_bluepyopt_style() {
        let e = Expr::parse("(-0.8696 + 2.087*exp(({distance})*0.0031))*0.0002").unwrap();
        let d: f64 = 150.0;
        let want = (-0.8696 + 2.087 * (d * 0.0031).exp()) * 0.0002;
        assert_eq!(e.eval(d, 0.5), want);
        assert_eq!(Expr::parse("-2^2").unwrap().eval(0.0, 0.0), -4.0);
        assert_eq!(Expr::parse("2^3^2").unwrap().eval(0.0, 0.0), 512.0);
        assert_eq!(Expr::parse("1 - 2 - 3").unwrap().eval(0.0, 0.0), -4.0);
        assert_eq!(Expr::parse("max(x, 0.25) * 1e-3").unwrap().eval(0.0, 0.1), 0.25e-3);
        assert_eq!(Expr::parse("8/4/2").unwrap().eval(0.0, 0.0), 1.0);
    }

    #[test]
    fn reports_errors_with_columns() {
        let e = Expr::parse("1 + foo").unwrap_err();
        assert_eq!(e.column, 4);
        assert!(e.message.contains("unknown variable"));
        assert!(Expr::parse("exp(1, 2)").unwrap_err().message.contains("takes 1"));
        assert!(Expr::parse("(1 + 2").unwrap_err().message.contains("expected `)`"));
        assert!(Expr::parse("1 2").is_err());
        assert!(Expr::parse("").is_err());
        assert!(Expr::parse("frob(2)").unwrap_err().message.contains("unknown function"));
    }
}
