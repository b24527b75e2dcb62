//! The symbolic core: construction with simplification, dependence, differentiation and
//! linearity analysis over MIR expressions.
//!
//! `cnexp` needs exactly nocmodl's analysis (spec/NMODL.md §7.3): the Jacobian ∂f/∂x is *invalid*
//! when x occurs in a divisor or inside any call argument (including `^`, which is `pow`), and
//! `f = A·x + B` is available only when x is not multiplied by an x-dependent factor.

use crate::mir::{Arena, Bin, ExprId, MathFn, Node, Place, Un};

/// Builds `a + b`, folding constants and zeros.
pub fn add(ar: &mut Arena, a: ExprId, b: ExprId) -> ExprId {
    match (ar.as_const(a), ar.as_const(b)) {
        (Some(x), Some(y)) => ar.c(x + y),
        (Some(x), _) if is_zero(x) => b,
        (_, Some(y)) if is_zero(y) => a,
        _ => ar.bin(Bin::Add, a, b),
    }
}

/// Builds `a - b`.
pub fn sub(ar: &mut Arena, a: ExprId, b: ExprId) -> ExprId {
    match (ar.as_const(a), ar.as_const(b)) {
        (Some(x), Some(y)) => ar.c(x - y),
        (_, Some(y)) if is_zero(y) => a,
        (Some(x), _) if is_zero(x) => neg(ar, b),
        _ => ar.bin(Bin::Sub, a, b),
    }
}

/// Builds `a * b`.
pub fn mul(ar: &mut Arena, a: ExprId, b: ExprId) -> ExprId {
    match (ar.as_const(a), ar.as_const(b)) {
        (Some(x), Some(y)) => ar.c(x * y),
        (Some(x), _) if is_zero(x) => ar.c(0.0),
        (_, Some(y)) if is_zero(y) => ar.c(0.0),
        (Some(x), _) if is_one(x) => b,
        (_, Some(y)) if is_one(y) => a,
        _ => ar.bin(Bin::Mul, a, b),
    }
}

/// Builds `a / b`.
pub fn div(ar: &mut Arena, a: ExprId, b: ExprId) -> ExprId {
    match (ar.as_const(a), ar.as_const(b)) {
        (Some(x), Some(y)) if y != 0.0 => ar.c(x / y),
        (Some(x), _) if is_zero(x) => ar.c(0.0),
        (_, Some(y)) if is_one(y) => a,
        _ => ar.bin(Bin::Div, a, b),
    }
}

/// Builds `-a`.
pub fn neg(ar: &mut Arena, a: ExprId) -> ExprId {
    match ar.as_const(a) {
        Some(x) => ar.c(-x),
        None => ar.add(Node::Unary(Un::Neg, a)),
    }
}

/// Builds a math call.
pub fn call(ar: &mut Arena, f: MathFn, args: Vec<ExprId>) -> ExprId {
    ar.add(Node::Call(f, args))
}

/// True when `e` reads place `x` anywhere.
pub fn depends_on(ar: &Arena, e: ExprId, x: Place) -> bool {
    match ar.get(e) {
        Node::Const(_) => false,
        Node::Read(p) => *p == x,
        Node::Unary(_, a) => depends_on(ar, *a, x),
        Node::Binary(_, a, b) => depends_on(ar, *a, x) || depends_on(ar, *b, x),
        Node::Call(_, args) => args.iter().any(|a| depends_on(ar, *a, x)),
        Node::Select(c, a, b) => depends_on(ar, *c, x) || depends_on(ar, *a, x) || depends_on(ar, *b, x),
        Node::TableLookup { x: a, .. } => depends_on(ar, *a, x),
    }
}

/// Replaces every read of `from` by `to` (a new expression; shared subtrees untouched).
pub fn substitute(ar: &mut Arena, e: ExprId, from: Place, to: ExprId) -> ExprId {
    if !depends_on(ar, e, from) {
        return e;
    }
    match ar.get(e).clone() {
        Node::Read(p) if p == from => to,
        Node::Unary(op, a) => {
            let a = substitute(ar, a, from, to);
            ar.add(Node::Unary(op, a))
        }
        Node::Binary(op, a, b) => {
            let a = substitute(ar, a, from, to);
            let b = substitute(ar, b, from, to);
            ar.bin(op, a, b)
        }
        Node::Call(f, args) => {
            let args = args.into_iter().map(|a| substitute(ar, a, from, to)).collect();
            ar.add(Node::Call(f, args))
        }
        Node::Select(c, a, b) => {
            let c = substitute(ar, c, from, to);
            let a = substitute(ar, a, from, to);
            let b = substitute(ar, b, from, to);
            ar.add(Node::Select(c, a, b))
        }
        Node::TableLookup { base, n, tmin, mfac, x } => {
            let x = substitute(ar, x, from, to);
            ar.add(Node::TableLookup { base, n, tmin, mfac, x })
        }
        n => ar.add(n),
    }
}

/// The outcome of nocmodl's cnexp analysis of `x' = f`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cnexp {
    /// x occurs in a divisor or a call argument: the block falls back to derivimplicit.
    Invalid,
    /// f does not depend on x: `x = x + dt*f`.
    Independent,
    /// `f = A·x + B` with A, B free of x: exact exponential update.
    Linear {
        /// ∂f/∂x.
        a: ExprId,
        /// f at x = 0.
        b: ExprId,
    },
    /// J is valid but f is not affine in x: nocmodl's approximation `x = x·exp(dt·J)`.
    NonAffine {
        /// ∂f/∂x.
        j: ExprId,
    },
}

/// nocmodl's analysis of `x' = f`.
pub fn cnexp(ar: &mut Arena, f: ExprId, x: Place) -> Cnexp {
    if !depends_on(ar, f, x) {
        return Cnexp::Independent;
    }
    if !jacobian_valid(ar, f, x) {
        return Cnexp::Invalid;
    }
    match affine(ar, f, x) {
        Some((a, b)) => Cnexp::Linear { a, b },
        None => match diff(ar, f, x) {
            Some(j) => Cnexp::NonAffine { j },
            None => Cnexp::Invalid,
        },
    }
}

/// nocmodl's validity rule: x may not occur inside a call argument or a divisor.
fn jacobian_valid(ar: &Arena, e: ExprId, x: Place) -> bool {
    match ar.get(e) {
        Node::Const(_) | Node::Read(_) => true,
        Node::Unary(_, a) => jacobian_valid(ar, *a, x),
        Node::Binary(Bin::Div, a, b) => jacobian_valid(ar, *a, x) && !depends_on(ar, *b, x),
        Node::Binary(Bin::Pow, a, b) => !depends_on(ar, *a, x) && !depends_on(ar, *b, x),
        Node::Binary(Bin::Add | Bin::Sub | Bin::Mul, a, b) => {
            jacobian_valid(ar, *a, x) && jacobian_valid(ar, *b, x)
        }
        Node::Binary(_, a, b) => !depends_on(ar, *a, x) && !depends_on(ar, *b, x),
        Node::Call(_, args) => args.iter().all(|a| !depends_on(ar, *a, x)),
        Node::Select(..) | Node::TableLookup { .. } => !depends_on(ar, e, x),
    }
}

/// Decomposes `e = A·x + B` when `e` is affine in x (A and B free of x).
pub fn affine(ar: &mut Arena, e: ExprId, x: Place) -> Option<(ExprId, ExprId)> {
    if !depends_on(ar, e, x) {
        let z = ar.c(0.0);
        return Some((z, e));
    }
    match ar.get(e).clone() {
        Node::Read(p) if p == x => {
            let one = ar.c(1.0);
            let z = ar.c(0.0);
            Some((one, z))
        }
        Node::Unary(Un::Neg, a) => {
            let (a1, b1) = affine(ar, a, x)?;
            Some((neg(ar, a1), neg(ar, b1)))
        }
        Node::Binary(Bin::Add, a, b) | Node::Binary(Bin::Sub, a, b) => {
            let is_add = matches!(ar.get(e), Node::Binary(Bin::Add, ..));
            let (a1, b1) = affine(ar, a, x)?;
            let (a2, b2) = affine(ar, b, x)?;
            if is_add {
                Some((add(ar, a1, a2), add(ar, b1, b2)))
            } else {
                Some((sub(ar, a1, a2), sub(ar, b1, b2)))
            }
        }
        Node::Binary(Bin::Mul, a, b) => {
            let da = depends_on(ar, a, x);
            let db = depends_on(ar, b, x);
            if da && db {
                return None;
            }
            if da {
                let (a1, b1) = affine(ar, a, x)?;
                Some((mul(ar, a1, b), mul(ar, b1, b)))
            } else {
                let (a2, b2) = affine(ar, b, x)?;
                Some((mul(ar, a, a2), mul(ar, a, b2)))
            }
        }
        Node::Binary(Bin::Div, a, b) => {
            if depends_on(ar, b, x) {
                return None;
            }
            let (a1, b1) = affine(ar, a, x)?;
            Some((div(ar, a1, b), div(ar, b1, b)))
        }
        _ => None,
    }
}

/// ∂e/∂x, or None where the expression is not differentiable symbolically (comparisons,
/// tables, selects depending on x).
pub fn diff(ar: &mut Arena, e: ExprId, x: Place) -> Option<ExprId> {
    if !depends_on(ar, e, x) {
        return Some(ar.c(0.0));
    }
    Some(match ar.get(e).clone() {
        Node::Read(_) => ar.c(1.0),
        Node::Unary(Un::Neg, a) => {
            let d = diff(ar, a, x)?;
            neg(ar, d)
        }
        Node::Binary(Bin::Add, a, b) => {
            let (da, db) = (diff(ar, a, x)?, diff(ar, b, x)?);
            add(ar, da, db)
        }
        Node::Binary(Bin::Sub, a, b) => {
            let (da, db) = (diff(ar, a, x)?, diff(ar, b, x)?);
            sub(ar, da, db)
        }
        Node::Binary(Bin::Mul, a, b) => {
            let (da, db) = (diff(ar, a, x)?, diff(ar, b, x)?);
            let t1 = mul(ar, da, b);
            let t2 = mul(ar, a, db);
            add(ar, t1, t2)
        }
        Node::Binary(Bin::Div, a, b) => {
            // (a'b - ab') / b²
            let (da, db) = (diff(ar, a, x)?, diff(ar, b, x)?);
            let t1 = mul(ar, da, b);
            let t2 = mul(ar, a, db);
            let num = sub(ar, t1, t2);
            let den = mul(ar, b, b);
            div(ar, num, den)
        }
        Node::Binary(Bin::Pow, ..) | Node::Call(MathFn::Pow, _)
            if !depends_on(ar, pow_exponent(ar, e), x) =>
        {
            // d(a^c) = c·a^(c-1)·a'
            let base = pow_base(ar, e);
            let c = pow_exponent(ar, e);
            let da = diff(ar, base, x)?;
            let one = ar.c(1.0);
            let cm1 = sub(ar, c, one);
            let p = ar.bin(Bin::Pow, base, cm1);
            let t = mul(ar, c, p);
            mul(ar, t, da)
        }
        Node::Call(MathFn::Exp, args) => {
            let d = diff(ar, args[0], x)?;
            mul(ar, e, d)
        }
        Node::Call(MathFn::Log, args) => {
            let d = diff(ar, args[0], x)?;
            div(ar, d, args[0])
        }
        Node::Call(MathFn::Sqrt, args) => {
            let d = diff(ar, args[0], x)?;
            let two = ar.c(2.0);
            let den = mul(ar, two, e);
            div(ar, d, den)
        }
        Node::Call(MathFn::Sin, args) => {
            let d = diff(ar, args[0], x)?;
            let c = call(ar, MathFn::Cos, args.clone());
            mul(ar, c, d)
        }
        Node::Call(MathFn::Cos, args) => {
            let d = diff(ar, args[0], x)?;
            let s = call(ar, MathFn::Sin, args.clone());
            let ns = neg(ar, s);
            mul(ar, ns, d)
        }
        Node::Call(MathFn::Tanh, args) => {
            let d = diff(ar, args[0], x)?;
            let one = ar.c(1.0);
            let sq = mul(ar, e, e);
            let t = sub(ar, one, sq);
            mul(ar, t, d)
        }
        _ => return None,
    })
}

fn pow_base(ar: &Arena, e: ExprId) -> ExprId {
    match ar.get(e) {
        Node::Binary(Bin::Pow, a, _) => *a,
        Node::Call(MathFn::Pow, args) => args[0],
        _ => e,
    }
}

fn pow_exponent(ar: &Arena, e: ExprId) -> ExprId {
    match ar.get(e) {
        Node::Binary(Bin::Pow, _, b) => *b,
        Node::Call(MathFn::Pow, args) => args[1],
        _ => e,
    }
}

/// True when `e` is linear in every place of `xs` jointly (for LINEAR blocks): affine in each,
/// and no product of two of them.
pub fn is_linear_in(ar: &mut Arena, e: ExprId, xs: &[Place]) -> bool {
    xs.iter().all(|x| affine(ar, e, *x).is_some())
}

fn is_zero(x: f64) -> bool {
    x == 0.0
}

fn is_one(x: f64) -> bool {
    x == 1.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::eval_pure;

    fn setup() -> (Arena, Place, ExprId) {
        let mut ar = Arena::default();
        let x = Place::Local(0);
        let rx = ar.read(x);
        (ar, x, rx)
    }

    #[test]
    fn affine_of_relaxation_equation() {
        // (minf - m) / mtau  =  (-1/mtau)·m + minf/mtau
        let (mut ar, x, m) = setup();
        let minf = ar.read(Place::Local(1));
        let tau = ar.read(Place::Local(2));
        let num = sub(&mut ar, minf, m);
        let f = div(&mut ar, num, tau);
        let Cnexp::Linear { a, b } = cnexp(&mut ar, f, x) else { panic!("expected linear") };
        let vals = [0.3, 0.8, 2.0];
        let ea = eval_pure(&ar, a, &vals);
        let eb = eval_pure(&ar, b, &vals);
        assert!((ea - (-1.0 / 2.0)).abs() < 1e-15);
        assert!((eb - 0.8 / 2.0).abs() < 1e-15);
    }

    #[test]
    fn state_in_divisor_or_call_is_invalid() {
        let (mut ar, x, m) = setup();
        let one = ar.c(1.0);
        let f = div(&mut ar, one, m);
        assert_eq!(cnexp(&mut ar, f, x), Cnexp::Invalid);
        let g = call(&mut ar, MathFn::Exp, vec![m]);
        assert_eq!(cnexp(&mut ar, g, x), Cnexp::Invalid);
        let two = ar.c(2.0);
        let p = ar.bin(Bin::Pow, m, two);
        assert_eq!(cnexp(&mut ar, p, x), Cnexp::Invalid);
    }

    #[test]
    fn square_is_non_affine_with_valid_jacobian() {
        // c' = -c*c: nocmodl keeps cnexp with J = -2c (the documented quirk).
        let (mut ar, x, c) = setup();
        let cc = mul(&mut ar, c, c);
        let f = neg(&mut ar, cc);
        let Cnexp::NonAffine { j } = cnexp(&mut ar, f, x) else { panic!("expected non-affine") };
        assert!((eval_pure(&ar, j, &[3.0]) - (-6.0)).abs() < 1e-15);
    }

    #[test]
    fn derivative_matches_finite_difference() {
        let (mut ar, x, v) = setup();
        // f = exp(v/10) * v^3 / (1 + v)
        let ten = ar.c(10.0);
        let vt = div(&mut ar, v, ten);
        let e = call(&mut ar, MathFn::Exp, vec![vt]);
        let three = ar.c(3.0);
        let p = ar.bin(Bin::Pow, v, three);
        let num = mul(&mut ar, e, p);
        let one = ar.c(1.0);
        let den = add(&mut ar, one, v);
        let f = div(&mut ar, num, den);
        let d = diff(&mut ar, f, x).expect("differentiable");
        for v0 in [0.5, 1.7, 4.0] {
            let h = 1e-6;
            let fd = (eval_pure(&ar, f, &[v0 + h]) - eval_pure(&ar, f, &[v0 - h])) / (2.0 * h);
            let an = eval_pure(&ar, d, &[v0]);
            assert!((fd - an).abs() < 1e-6 * an.abs().max(1.0), "{fd} vs {an}");
        }
    }
}
