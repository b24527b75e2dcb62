//! Typing numeric expressions: every sub-expression gets a unit (scale and dimension, from the
//! units database), operands are converted to each other's units, and the result is converted
//! to the unit its use expects. Names resolve to distribution arguments, parameters, per-segment
//! geometry, searched currents, `pi`, or unit names (`um` alone is one micrometre).

use super::Checker;
use crate::diag::{Diagnostic, Span};
use crate::recipe::ast::{Arg, BinOp, Expr, ExprKind};
use crate::recipe::codes;
use crate::recipe::expr::{CurrentVar, Func, GeomVar, Op, Term};
use crate::recipe::quantity::{self, dimension_name, same_scale};
use crate::units::{parse_unit, Dim, Unit};

/// What names an expression may use.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scope {
    /// Recipe parameters.
    pub params: bool,
    /// Per-segment geometry (`distance`, `x`, `diam`, `area`, `length`).
    pub geometry: bool,
    /// Searched currents (`holding_current`, `threshold_current`).
    pub currents: bool,
}

impl Scope {
    /// Numbers and units only.
    pub const CONST: Scope = Scope { params: false, geometry: false, currents: false };
    /// Parameters allowed.
    pub const PARAMS: Scope = Scope { params: true, geometry: false, currents: false };
    /// Mechanism parameter values.
    pub const SEGMENT: Scope = Scope { params: true, geometry: true, currents: false };
    /// Stimulus values.
    pub const STIMULUS: Scope = Scope { params: true, geometry: false, currents: true };
}

/// A typed expression: `term` is the value in `unit`.
#[derive(Debug, Clone)]
pub(crate) struct Typed {
    pub term: Term,
    pub unit: Unit,
    /// True when no unit was written anywhere in it (a bare number).
    pub bare: bool,
    /// The unit as written, when the expression is a single quantity.
    pub text: Option<String>,
}

/// The unit a use expects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expect<'a> {
    /// Unit text in the units database's notation (`nA`, `ohm-cm`, `S/cm2`); empty when
    /// dimensionless.
    pub unit: &'a str,
    /// What is being given (for messages), e.g. "`amplitude`".
    pub what: &'a str,
}

/// Most distribution calls expanded in one recipe.
const MAX_EXPANSIONS: usize = 5000;

/// Arguments of the distribution being inlined.
pub(crate) type Bindings = Vec<(String, Typed)>;

fn unit_of(text: &str) -> Unit {
    if text.is_empty() {
        Unit::ONE
    } else {
        parse_unit(text).unwrap_or(Unit::ONE)
    }
}

/// How a unit is written in messages: the given text, or a description of its dimension.
pub(crate) fn describe(t: &Typed) -> String {
    match &t.text {
        Some(u) if !u.is_empty() => format!("`{u}`, {}", dimension_name(t.unit.dim)),
        _ if t.unit.dim.is_none() => "dimensionless".to_string(),
        _ => format!("{} ({})", dimension_name(t.unit.dim), t.unit.dim),
    }
}

fn expected_text(unit: &str) -> String {
    if unit.is_empty() {
        "dimensionless".into()
    } else {
        let u = unit_of(unit);
        format!("{} in `{}`", dimension_name(u.dim), unit.replace("ohm-cm", "ohm*cm"))
    }
}

impl Checker<'_> {
    /// Types `e` and converts it to the expected unit.
    pub(crate) fn quantity(&mut self, e: &Expr, expect: Expect<'_>, scope: Scope) -> Option<Term> {
        let t = self.typed(e, scope, &mut Vec::new(), 0)?;
        if let ExprKind::Name(n) = &e.kind {
            // A bare name read as a unit (`ampp` is ampere·picometre… as a unit) that does not
            // fit, and is close to a name in scope, is a misspelt name.
            if t.text.as_deref() == Some(n.as_str())
                && self.param_index(n).is_none()
                && t.unit.dim != unit_of(expect.unit).dim
            {
                let cands = self.scope_names(scope, &[]);
                if let Some(c) = crate::recipe::suggest::closest(n, cands.iter().map(String::as_str)) {
                    self.diag(
                        Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{n}`"))
                            .with_primary(
                                e.span,
                                format!("not a name in scope (as a unit: {})", describe(&t)),
                            )
                            .with_hint(format!("did you mean `{c}`?")),
                    );
                    return None;
                }
            }
        }
        self.convert(t, e.span, expect)
    }

    /// A constant (numbers and units only) in the expected unit.
    pub(crate) fn constant(&mut self, e: &Expr, expect: Expect<'_>) -> Option<f64> {
        let t = self.quantity(e, expect, Scope::CONST)?;
        t.constant()
    }

    /// Converts a typed value to the expected unit (E1011/E1012 on a dimension mismatch).
    pub(crate) fn convert(&mut self, t: Typed, span: Span, expect: Expect<'_>) -> Option<Term> {
        let want = unit_of(expect.unit);
        if t.unit.dim != want.dim {
            let d = if t.bare && !want.dim.is_none() {
                Diagnostic::error(codes::MISSING_UNIT, format!("{} needs a unit", expect.what))
                    .with_primary(span, format!("expected {}", expected_text(expect.unit)))
                    .with_hint(format!(
                        "write the unit after the number, e.g. `{} {}`",
                        t.term.constant().map(|v| format!("{v}")).unwrap_or_else(|| "1".into()),
                        expect.unit.replace("ohm-cm", "ohm*cm")
                    ))
            } else {
                Diagnostic::error(
                    codes::UNIT_MISMATCH,
                    format!(
                        "{} must be {}, not {}",
                        expect.what,
                        match expect.unit {
                            "" => "dimensionless".to_string(),
                            _ => dimension_name(want.dim),
                        },
                        describe(&t)
                    ),
                )
                .with_primary(span, format!("this is {}", describe(&t)))
                .with_hint(format!("expected {}", expected_text(expect.unit)))
            };
            self.diag(d);
            return None;
        }
        Some(t.term.scaled(t.unit.scale / want.scale).folded())
    }

    fn err(&mut self, code: &'static str, span: Span, msg: impl Into<String>, label: &str) -> Option<Typed> {
        self.diag(Diagnostic::error(code, msg).with_primary(span, label));
        None
    }

    /// Types an expression. `stack` holds the distributions being inlined (recursion guard).
    pub(crate) fn typed(
        &mut self,
        e: &Expr,
        scope: Scope,
        stack: &mut Vec<(String, Bindings)>,
        depth: u32,
    ) -> Option<Typed> {
        if depth > 200 {
            return self.err(codes::TOO_DEEP, e.span, "expression is too deep", "here");
        }
        match &e.kind {
            ExprKind::Number { value, unit } => {
                let (u, text) = match unit {
                    None => (Unit::ONE, None),
                    Some((text, span)) => match quantity::parse(text) {
                        Ok(u) => (u, Some(text.clone())),
                        Err(err) => {
                            let at = Span::new(
                                span.file,
                                span.start as usize + err.range.start,
                                span.start as usize + err.range.end,
                            );
                            let mut d = Diagnostic::error(
                                codes::UNKNOWN_UNIT,
                                format!("unknown unit `{}`", err.name),
                            )
                            .with_primary(at, "not a unit");
                            if self.is_name_in_scope(&err.name, scope, stack) {
                                d = d.with_hint(format!(
                                    "a name after a number is read as its unit; to multiply, write `{value} * {}`",
                                    err.name
                                ));
                            } else if let Some(s) = crate::units::suggest::closest_unit(
                                &err.name,
                                &crate::units::UnitTable::neuron_default(),
                            ) {
                                d = d.with_hint(format!("did you mean `{s}`?"));
                            } else {
                                d = d.with_hint("units are written as in .mod files: mV, nA, ms, um, uF/cm2, S/cm2, ohm*cm, degC, mM, Hz, %");
                            }
                            self.diag(d);
                            return None;
                        }
                    },
                };
                let bare = text.is_none();
                Some(Typed { term: Term::Const(*value), unit: u, bare, text })
            }
            ExprKind::Name(n) => self.name(n, e.span, scope, stack),
            ExprKind::Neg(a) => {
                let t = self.typed(a, scope, stack, depth + 1)?;
                Some(Typed { term: Term::Neg(Box::new(t.term)).folded(), ..t })
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, e.span, scope, stack, depth),
            ExprKind::Call(f, args) => self.call(f, args, e.span, scope, stack, depth),
            ExprKind::Str(_) => {
                self.err(codes::WRONG_KIND, e.span, "expected a number, found a string", "a string")
            }
            ExprKind::List(_) => {
                self.err(codes::WRONG_KIND, e.span, "expected a number, found a list", "a list")
            }
            ExprKind::Index(..) | ExprKind::Field(..) => self.err(
                codes::WRONG_KIND,
                e.span,
                "expected a number, found a section or field reference",
                "not a number",
            ),
        }
    }

    /// The names an expression may use in `scope` (for "did you mean").
    fn scope_names(&self, scope: Scope, stack: &[(String, Bindings)]) -> Vec<String> {
        let mut cands: Vec<String> = self.params.iter().map(|p| p.name.clone()).collect();
        if scope.geometry {
            cands.extend(GeomVar::ALL.iter().map(|g| g.name().to_string()));
        }
        if scope.currents {
            cands.extend(["holding_current".to_string(), "threshold_current".to_string()]);
        }
        if let Some((_, b)) = stack.last() {
            cands.extend(b.iter().map(|(a, _)| a.clone()));
        }
        cands
    }

    fn is_name_in_scope(&self, n: &str, scope: Scope, stack: &[(String, Bindings)]) -> bool {
        stack.last().is_some_and(|(_, b)| b.iter().any(|(a, _)| a == n))
            || (scope.params && self.param_index(n).is_some())
            || GeomVar::from_name(n).is_some()
            || n == "holding_current"
            || n == "threshold_current"
    }

    fn name(&mut self, n: &str, span: Span, scope: Scope, stack: &mut [(String, Bindings)]) -> Option<Typed> {
        if let Some((_, b)) = stack.last() {
            if let Some((_, t)) = b.iter().find(|(a, _)| a == n) {
                return Some(t.clone());
            }
        }
        if let Some(i) = self.param_index(n) {
            if !scope.params {
                return self.err(
                    codes::WRONG_KIND,
                    span,
                    format!("parameter `{n}` cannot be used here"),
                    "a value that must be known when the recipe is checked",
                );
            }
            self.used_params.insert(i);
            let p = &self.params[i];
            let text = (!p.unit_text.is_empty()).then(|| p.unit_text.clone());
            let bare = text.is_none() && p.unit.dim.is_none() && same_scale(p.unit.scale, 1.0);
            return Some(Typed { term: Term::Param(i), unit: p.unit, bare, text });
        }
        if let Some(g) = GeomVar::from_name(n) {
            if !scope.geometry {
                self.diag(
                    Diagnostic::error(codes::SEGMENT_VARIABLE, format!("`{n}` is only defined per segment"))
                        .with_primary(span, "no segment here")
                        .with_hint("distance, x, diam, area and length can be used in the parameter values of `insert`"),
                );
                return None;
            }
            let unit = unit_of(g.unit());
            return Some(Typed { term: Term::Geom(g), unit, bare: false, text: Some(g.unit().to_string()) });
        }
        let current = match n {
            "holding_current" => Some(CurrentVar::Holding),
            "threshold_current" => Some(CurrentVar::Threshold),
            _ => None,
        };
        if let Some(c) = current {
            if !scope.currents {
                self.diag(
                    Diagnostic::error(codes::WRONG_KIND, format!("`{n}` can only be used in stimuli"))
                        .with_primary(span, "not known here")
                        .with_hint("the searched currents are known when a protocol runs: use them in stimulus amplitudes"),
                );
                return None;
            }
            return Some(Typed {
                term: Term::Current(c),
                unit: unit_of("nA"),
                bare: false,
                text: Some("nA".into()),
            });
        }
        if n == "pi" {
            return Some(Typed {
                term: Term::Const(std::f64::consts::PI),
                unit: Unit::ONE,
                bare: true,
                text: None,
            });
        }
        // A parameter dropped for its own errors (already reported) is not read as a unit: `g`
        // is a parameter that failed, not the acceleration of gravity.
        if self.broken("param", n) {
            return None;
        }
        if let Ok(u) = quantity::parse(n) {
            return Some(Typed { term: Term::Const(1.0), unit: u, bare: false, text: Some(n.to_string()) });
        }
        let cands = self.scope_names(scope, stack);
        let hint = crate::recipe::suggest::hint(n, "names in scope", cands.iter().map(String::as_str));
        self.diag(
            Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{n}`"))
                .with_primary(span, "not a parameter, variable or unit")
                .with_hint(hint),
        );
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn binary(
        &mut self,
        op: BinOp,
        a: &Expr,
        b: &Expr,
        span: Span,
        scope: Scope,
        stack: &mut Vec<(String, Bindings)>,
        depth: u32,
    ) -> Option<Typed> {
        if matches!(op, BinOp::Union | BinOp::Intersect) {
            return self.err(
                codes::WRONG_KIND,
                span,
                format!("`{}` combines regions, not numbers", op.symbol()),
                "expected a number",
            );
        }
        let ta = self.typed(a, scope, stack, depth + 1);
        let tb = self.typed(b, scope, stack, depth + 1);
        let (ta, tb) = (ta?, tb?);
        let bare = ta.bare && tb.bare;
        match op {
            BinOp::Add
            | BinOp::Sub
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::Eq
            | BinOp::Ne => {
                if ta.unit.dim != tb.unit.dim {
                    self.diag(
                        Diagnostic::error(
                            codes::UNIT_MISMATCH,
                            format!("`{}` of quantities with different dimensions", op.symbol()),
                        )
                        .with_primary(b.span, format!("this is {}", describe(&tb)))
                        .with_secondary(a.span, format!("this is {}", describe(&ta)))
                        .with_hint("both sides must have the same dimension"),
                    );
                    return None;
                }
                let rhs = tb.term.scaled(tb.unit.scale / ta.unit.scale);
                let top = match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    BinOp::Lt => Op::Lt,
                    BinOp::Le => Op::Le,
                    BinOp::Gt => Op::Gt,
                    BinOp::Ge => Op::Ge,
                    BinOp::Eq => Op::Eq,
                    _ => Op::Ne,
                };
                let term = Term::bin(top, ta.term, rhs).folded();
                if matches!(op, BinOp::Add | BinOp::Sub) {
                    // The result is in the left operand's unit.
                    let text = ta.text;
                    Some(Typed { term, unit: ta.unit, bare, text })
                } else {
                    Some(Typed { term, unit: Unit::ONE, bare: true, text: None })
                }
            }
            BinOp::Mul | BinOp::Div => {
                let (unit, o) = if op == BinOp::Mul {
                    (ta.unit * tb.unit, Op::Mul)
                } else {
                    (ta.unit / tb.unit, Op::Div)
                };
                let plain =
                    |t: &Typed| t.text.is_none() && t.unit.dim.is_none() && same_scale(t.unit.scale, 1.0);
                let text = match op {
                    BinOp::Mul if plain(&ta) => tb.text.clone(),
                    BinOp::Div if plain(&ta) => tb.text.as_ref().map(|t| format!("1/{t}")),
                    _ if plain(&tb) => ta.text.clone(),
                    _ => None,
                };
                Some(Typed { term: Term::bin(o, ta.term, tb.term).folded(), unit, bare, text })
            }
            _ => self.power(ta, tb, a.span, b.span),
        }
    }

    fn dimensionless(&mut self, t: Typed, span: Span, what: &str) -> Option<Term> {
        if !t.unit.dim.is_none() {
            self.diag(
                Diagnostic::error(
                    codes::UNIT_MISMATCH,
                    format!("{what} must be dimensionless, not {}", describe(&t)),
                )
                .with_primary(span, format!("this is {}", describe(&t)))
                .with_hint("divide by a quantity of the same dimension, e.g. `distance / 100 um`"),
            );
            return None;
        }
        Some(t.term.scaled(t.unit.scale))
    }

    fn power(&mut self, ta: Typed, tb: Typed, sa: Span, sb: Span) -> Option<Typed> {
        let exp = self.dimensionless(tb, sb, "an exponent")?;
        if ta.unit.dim.is_none() {
            let base = ta.term.scaled(ta.unit.scale);
            return Some(Typed {
                term: Term::bin(Op::Pow, base, exp).folded(),
                unit: Unit::ONE,
                bare: ta.bare,
                text: None,
            });
        }
        let n = match exp.constant() {
            Some(n) if n.fract() == 0.0 && n.abs() <= 16.0 => n as i32,
            _ => {
                self.diag(
                    Diagnostic::error(
                        codes::UNIT_MISMATCH,
                        format!(
                            "a quantity with a unit ({}) can only be raised to a constant whole power",
                            describe(&ta)
                        ),
                    )
                    .with_primary(sb, "not a constant whole number")
                    .with_secondary(sa, "has a unit"),
                );
                return None;
            }
        };
        let unit = ta.unit.powi(n)?;
        Some(Typed {
            term: Term::bin(Op::Pow, ta.term, Term::Const(n as f64)).folded(),
            unit,
            bare: false,
            text: None,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        f: &Expr,
        args: &[Arg],
        span: Span,
        scope: Scope,
        stack: &mut Vec<(String, Bindings)>,
        depth: u32,
    ) -> Option<Typed> {
        let Some(name) = f.as_name() else {
            return self.err(
                codes::BAD_CALL,
                f.span,
                "only functions and distributions can be called",
                "not a function",
            );
        };
        if let Some(a) = args.iter().find(|a| a.name.is_some()) {
            if self.distributions.iter().all(|d| d.name != name) || Func::from_name(name).is_some() {
                let an = a.name.as_ref().map(|n| n.span).unwrap_or(span);
                return self.err(
                    codes::BAD_CALL,
                    an,
                    format!("`{name}` takes positional arguments"),
                    "named argument",
                );
            }
        }
        let arity = |me: &mut Checker<'_>, n: usize| -> bool {
            if args.len() != n {
                me.diag(
                    Diagnostic::error(
                        codes::BAD_CALL,
                        format!(
                            "`{name}` takes {n} argument{}, got {}",
                            if n == 1 { "" } else { "s" },
                            args.len()
                        ),
                    )
                    .with_primary(span, "here"),
                );
                false
            } else {
                true
            }
        };
        if let Some(func) = Func::from_name(name) {
            if !arity(self, 1) {
                return None;
            }
            let t = self.typed(&args[0].value, scope, stack, depth + 1)?;
            if matches!(func, Func::Abs) {
                return Some(Typed { term: Term::Call(func, Box::new(t.term)).folded(), ..t });
            }
            if func == Func::Sqrt && !t.unit.dim.is_none() {
                let Some(dim) = t.unit.dim.sqrt() else {
                    return self.err(
                        codes::UNIT_MISMATCH,
                        args[0].value.span,
                        format!("the square root of {} has no unit", describe(&t)),
                        "odd powers in its unit",
                    );
                };
                let unit = Unit { scale: t.unit.scale.sqrt(), dim };
                return Some(Typed {
                    term: Term::Call(func, Box::new(t.term)).folded(),
                    unit,
                    bare: false,
                    text: None,
                });
            }
            let arg = self.dimensionless(t, args[0].value.span, &format!("the argument of `{name}`"))?;
            return Some(Typed {
                term: Term::Call(func, Box::new(arg)).folded(),
                unit: Unit::ONE,
                bare: true,
                text: None,
            });
        }
        if matches!(name, "min" | "max" | "pow") {
            if !arity(self, 2) {
                return None;
            }
            let ta = self.typed(&args[0].value, scope, stack, depth + 1);
            let tb = self.typed(&args[1].value, scope, stack, depth + 1);
            let (ta, tb) = (ta?, tb?);
            if name == "pow" {
                return self.power(ta, tb, args[0].value.span, args[1].value.span);
            }
            if ta.unit.dim != tb.unit.dim {
                return self.err(
                    codes::UNIT_MISMATCH,
                    args[1].value.span,
                    format!(
                        "`{name}` of quantities with different dimensions: {} and {}",
                        describe(&ta),
                        describe(&tb)
                    ),
                    "different dimension",
                );
            }
            let rhs = tb.term.scaled(tb.unit.scale / ta.unit.scale);
            let op = if name == "min" { Op::Min } else { Op::Max };
            return Some(Typed {
                term: Term::bin(op, ta.term, rhs).folded(),
                bare: ta.bare && tb.bare,
                ..ta
            });
        }
        if let Some(k) = self.distributions.iter().position(|d| d.name == name) {
            if stack.iter().any(|(s, _)| s == name) || stack.len() > 16 {
                return self.err(
                    codes::RECURSION,
                    span,
                    format!("distribution `{name}` calls itself"),
                    "recursive call",
                );
            }
            self.expansions += 1;
            if self.expansions > MAX_EXPANSIONS {
                if self.expansions == MAX_EXPANSIONS + 1 {
                    self.err(
                        codes::TOO_DEEP,
                        span,
                        format!("distributions expand to more than {MAX_EXPANSIONS} calls"),
                        "expanding this call",
                    );
                }
                return None;
            }
            let (dargs, body) = (self.distributions[k].args.clone(), self.distributions[k].body.clone());
            if !arity(self, dargs.len()) {
                return None;
            }
            let mut bind = Vec::new();
            for (a, arg) in dargs.iter().zip(args) {
                bind.push((a.clone(), self.typed(&arg.value, scope, stack, depth + 1)?));
            }
            stack.push((name.to_string(), bind));
            let n_before = self.diags.len();
            let r = self.typed(&body, scope, stack, depth + 1);
            stack.pop();
            // Errors inside the body point there; show where it was called from too.
            for d in &mut self.diags[n_before..] {
                d.labels.push(crate::diag::Label {
                    span,
                    message: format!("in this use of `{name}`"),
                    primary: false,
                });
            }
            return r;
        }
        if self.broken("distribution", name) {
            return None;
        }
        let mut known: Vec<&str> = Func::ALL.iter().map(|(_, n)| *n).collect();
        known.extend(["min", "max", "pow"]);
        let dnames: Vec<String> = self.distributions.iter().map(|d| d.name.clone()).collect();
        known.extend(dnames.iter().map(String::as_str));
        let hint = crate::recipe::suggest::hint(name, "functions", known.iter().copied());
        self.diag(
            Diagnostic::error(codes::BAD_CALL, format!("unknown function `{name}`"))
                .with_primary(f.span, "not a function or distribution")
                .with_hint(hint),
        );
        None
    }
}

/// Dimension of a unit text (for tables of expected units).
pub(crate) fn dim_of(text: &str) -> Dim {
    unit_of(text).dim
}
