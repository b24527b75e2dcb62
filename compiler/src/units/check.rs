//! The units pass over a parsed module: UNITS-block aliases and factor definitions, unknown
//! units, and the dimensional check of expressions and assignments where UNITSON applies.
//!
//! What is checked (everything else is left alone):
//! * every unit text in the file must be readable (E0201 otherwise, with the closest known name);
//! * UNITS-block aliases extend the table in order; redefinitions are errors, as in nocmodl;
//!   factor definitions are evaluated exactly as nocmodl does and returned in [`UnitsReport`];
//! * where units are on (the default; `UNITSOFF` … `UNITSON` toggles it in text order, as
//!   modlunit does), `+ - < > <= >= == !=`, assignments, `~` equations and arguments of
//!   FUNCTIONs whose parameters declare units need operands of the same dimension, and `exp`,
//!   `log`, … need dimensionless arguments.
//!
//! Units are known only for certain: from declarations (PARAMETER, ASSIGNED, STATE, CONSTANT,
//! INDEPENDENT, factor definitions, FUNCTION results, formal parameters), the units NEURON implies
//! for `v t dt celsius area diam`, numbers written with units, and `x'` (x per ms). A variable
//! declared without units, a LOCAL, a call of a function without declared units, or a non-integer
//! power has unknown units, and nothing that depends on it is checked. A bare number adopts the
//! units of the other operand (as in modlunit).
//!
//! Severity: modlunit rejects more than half of the real files NEURON compiles, so a mismatch is
//! a warning (W0202) unless it is certain and unambiguous (E0202): both operands are plain
//! declared quantities or numbers with explicit units (no arithmetic hiding a missing factor),
//! in an explicit assignment or sum. Calibrated on the public corpus (see `docs/nmodl.md`).

use super::suggest::{case_variant, closest_unit};
use super::{codes, Origin, Unit, UnitError, UnitErrorKind, UnitTable};
use crate::diag::{Diagnostic, FileId, Severity, Span};
use crate::nmodl::ast::*;
use std::collections::{BTreeMap, HashMap};

/// A named constant from a UNITS-block factor definition.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorConst {
    /// Constant name (`FARADAY`).
    pub name: String,
    /// Value, exactly as nocmodl computes it.
    pub value: f64,
    /// Units of the constant (the target unit of a ratio, or the unit written after a value).
    pub unit: Option<Unit>,
    /// The definition.
    pub span: Span,
}

/// What the units pass hands on to the rest of the compiler.
#[derive(Debug, Clone)]
pub struct UnitsReport {
    /// Factor definitions in source order.
    pub factors: Vec<FactorConst>,
    /// Units of declared variables (PARAMETER, ASSIGNED, STATE, CONSTANT, INDEPENDENT) that
    /// have readable units.
    pub variables: BTreeMap<String, Unit>,
    /// The unit table after the file's UNITS-block aliases.
    pub table: UnitTable,
}

impl UnitsReport {
    /// Value of a factor constant (the last definition if it is defined twice).
    pub fn factor(&self, name: &str) -> Option<f64> {
        self.factors.iter().rev().find(|f| f.name == name).map(|f| f.value)
    }
}

/// Runs the units pass on `module` (and the modules it INCLUDEs), appending diagnostics.
///
/// `file` is the module's own file; spans inside INCLUDEd modules carry their own file ids.
pub fn check_module(module: &Module, file: FileId, diags: &mut Vec<Diagnostic>) -> UnitsReport {
    let _ = file;
    let mut cx = Checker::new(diags);
    cx.unit_definitions(module);
    cx.declarations(module);
    cx.bodies(module);
    UnitsReport { factors: cx.factors, variables: cx.variables, table: cx.table }
}

/// Units NEURON gives its special variables, whatever a file declares.
const IMPLIED: &[(&str, &str)] =
    &[("v", "mV"), ("t", "ms"), ("dt", "ms"), ("celsius", "degC"), ("area", "um2"), ("diam", "um")];

/// Functions whose arguments must be dimensionless (and whose result is).
const DIMENSIONLESS_FUNCS: &[&str] =
    &["exp", "log", "log10", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "erf"];

/// The units of a value in an expression.
#[derive(Debug, Clone)]
struct Val {
    unit: Unit,
    /// A bare number: adopts the units of whatever it is combined with.
    num: bool,
    /// Plain: a declared quantity or a number with explicit units (not the result of arithmetic).
    plain: bool,
    /// Multiplied by a bare number somewhere, which may be a conversion factor written out
    /// (`(1e-3)*v`): a scale difference is then not reported.
    scaled: bool,
    /// How to show the units to the user (as written where possible).
    text: String,
}

impl Val {
    fn num() -> Val {
        Val { unit: Unit::ONE, num: true, plain: true, scaled: false, text: "1".into() }
    }

    fn declared(unit: Unit, text: &str) -> Val {
        let t = text.trim();
        Val {
            unit,
            num: false,
            plain: true,
            scaled: false,
            text: if t.is_empty() { "1".into() } else { t.into() },
        }
    }

    fn derived(unit: Unit, num: bool, scaled: bool, text: String) -> Val {
        Val { unit, num, plain: false, scaled, text }
    }
}

/// A FUNCTION's declared units.
#[derive(Debug, Clone, Default)]
struct Signature {
    result: Option<Val>,
    params: Vec<(String, Option<Val>)>,
}

/// Where two units are required to agree.
enum Ctx<'a> {
    Assign(&'a str),
    Operands(&'a str),
    Argument(&'a str, &'a str),
    Equation,
}

struct Checker<'d> {
    table: UnitTable,
    implied: HashMap<&'static str, Val>,
    globals: HashMap<String, Option<Val>>,
    functions: HashMap<String, Signature>,
    scopes: Vec<HashMap<String, Option<Val>>>,
    current_fn: Option<(String, Option<Val>)>,
    units_on: bool,
    factors: Vec<FactorConst>,
    variables: BTreeMap<String, Unit>,
    diags: &'d mut Vec<Diagnostic>,
}

fn wrap(t: &str) -> String {
    if t.contains(['/', '·', '-', ' ', '^']) {
        format!("({t})")
    } else {
        t.to_string()
    }
}

/// An integer literal exponent (`2`, `-1`, `(3)`), as modlunit accepts for `^`.
fn int_literal(e: &Expr) -> Option<i32> {
    match &e.kind {
        ExprKind::Num { num, units: None } if num.value.fract() == 0.0 && num.value.abs() <= 64.0 => {
            Some(num.value as i32)
        }
        ExprKind::Paren(x) => int_literal(x),
        ExprKind::Unary(UnOp::Neg, x) => int_literal(x).map(|n| -n),
        _ => None,
    }
}

/// How NEURON spells a Myelin-only unit name, for the "declare it" hint.
fn neuron_spelling(name: &str) -> Option<String> {
    const BASES: &[(&str, &str)] = &[
        ("V", "volt"),
        ("A", "amp"),
        ("C", "coulomb"),
        ("S", "siemens"),
        ("F", "farad"),
        ("m", "meter"),
        ("s", "sec"),
        ("g", "gram"),
        ("L", "liter"),
        ("M", "/liter"),
        ("mol", "mole"),
        ("ohm", "ohm"),
        ("Ohm", "ohm"),
        ("mho", "mho"),
        ("molar", "/liter"),
        ("deg", "degC"),
    ];
    const LONG: &[(&str, &str)] = &[
        ("T", "tera"),
        ("G", "giga"),
        ("M", "mega"),
        ("k", "kilo"),
        ("d", "deci"),
        ("c", "centi"),
        ("m", "milli"),
        ("u", "micro"),
        ("n", "nano"),
        ("p", "pico"),
        ("f", "femto"),
    ];
    if let Some((_, b)) = BASES.iter().find(|(n, _)| *n == name) {
        return Some((*b).to_string());
    }
    for (p, long) in LONG {
        if let Some(rest) = name.strip_prefix(p) {
            if let Some((_, b)) = BASES.iter().find(|(n, _)| *n == rest) {
                return Some(match b.strip_prefix('/') {
                    Some(den) => format!("{long}/{den}"),
                    None => format!("{long}{b}"),
                });
            }
        }
    }
    None
}

impl<'d> Checker<'d> {
    fn new(diags: &'d mut Vec<Diagnostic>) -> Checker<'d> {
        let table = UnitTable::neuron_default();
        let implied = IMPLIED
            .iter()
            .filter_map(|(n, u)| table.parse(u).ok().map(|unit| (*n, Val::declared(unit, u))))
            .collect();
        Checker {
            table,
            implied,
            globals: HashMap::new(),
            functions: HashMap::new(),
            scopes: Vec::new(),
            current_fn: None,
            units_on: true,
            factors: Vec::new(),
            variables: BTreeMap::new(),
            diags,
        }
    }

    // ---------------------------------------------------------------------------------------
    // Reading unit texts

    /// Span of `range` inside the text of `u` (which excludes the parentheses).
    fn inner_span(u: &Units, range: std::ops::Range<usize>) -> Span {
        let base = u.span.start as usize + 1;
        let end = (base + range.end).min(u.span.end.saturating_sub(1) as usize).max(base + range.start);
        Span::new(u.span.file, base + range.start, end.max(base + range.start + 1))
    }

    fn report_unit_error(&mut self, u: &Units, err: &UnitError) {
        let span = Self::inner_span(u, err.range.clone());
        let d = match &err.kind {
            UnitErrorKind::UnknownName { name } => {
                let mut d = Diagnostic::error(codes::UNKNOWN_UNIT, format!("unknown unit `{name}`"))
                    .with_primary(span, "not a unit NEURON or Myelin knows");
                if let Some(s) = closest_unit(name, &self.table) {
                    d = d.with_hint(format!(
                        "did you mean `{s}`? Otherwise define it in the UNITS block, e.g. `({name}) = (…)`"
                    ));
                } else {
                    d = d.with_hint(format!("define it in the UNITS block, e.g. `({name}) = (…)`"));
                }
                d
            }
            UnitErrorKind::OutOfRange => Diagnostic::error(
                codes::OUT_OF_RANGE,
                format!("the scale of unit `{}` is out of range", u.text),
            )
            .with_primary(u.span, "overflows or underflows a double"),
            UnitErrorKind::Redefinition { name, origin } => {
                let what = match origin {
                    Origin::Alias => "an earlier definition in this file",
                    _ => "NEURON's units database",
                };
                Diagnostic::error(codes::REDEFINITION, format!("unit `{name}` is already defined"))
                    .with_primary(u.span, format!("`{name}` is defined by {what}"))
                    .with_note("NEURON rejects a UNITS-block definition of an existing unit (\"Units redefinition\")")
                    .with_hint("remove this definition, or give the new unit another name")
            }
        };
        self.diags.push(d);
    }

    /// Reads a unit text, reporting an unknown unit; None when unreadable.
    ///
    /// A name that is known in another letter case (`mv`) is read as that spelling with a
    /// warning: NEURON ignores unit texts outside the UNITS block, so such files are valid.
    fn read_units(&mut self, u: &Units) -> Option<Unit> {
        let first = match self.table.parse(&u.text) {
            Ok(unit) => return Some(unit),
            Err(e) => e,
        };
        let mut text = u.text.clone();
        let mut fixes: Vec<(std::ops::Range<usize>, String, String)> = Vec::new();
        let mut err = first.clone();
        // Each round fixes one name; a unit text has only a few.
        for _ in 0..8 {
            let UnitErrorKind::UnknownName { name } = &err.kind else { break };
            let Some(fixed) = case_variant(name, &self.table) else { break };
            // Offsets in `text` shift only after the fixed name, and case changes keep lengths.
            text.replace_range(err.range.clone(), &fixed);
            fixes.push((err.range.clone(), name.clone(), fixed));
            match self.table.parse(&text) {
                Ok(unit) => {
                    for (range, name, fixed) in fixes {
                        self.diags.push(
                            Diagnostic::warning(codes::CASE, format!("unit `{name}` read as `{fixed}`"))
                                .with_primary(
                                    Self::inner_span(u, range),
                                    format!("`{name}` is not a unit; `{fixed}` is"),
                                )
                                .with_hint(format!("write `{fixed}`: unit names are case sensitive")),
                        );
                    }
                    return Some(unit);
                }
                Err(e) => err = e,
            }
        }
        self.report_unit_error(u, &first);
        None
    }

    /// Like [`read_units`], and in the UNITS block also warns when NEURON would not know it.
    fn read_units_block_unit(&mut self, u: &Units) -> Option<Unit> {
        let unit = self.read_units(u)?;
        if let Err(e) = self.table.parse_neuron(&u.text) {
            if let UnitErrorKind::UnknownName { name } = &e.kind {
                let span = Self::inner_span(u, e.range.clone());
                let mut d = Diagnostic::warning(
                    codes::NOT_IN_NEURON,
                    format!("NEURON's units database does not know `{name}`"),
                )
                .with_primary(span, "Myelin reads this, nocmodl stops with \"Cannot recognize the units\"");
                if let Some(s) = neuron_spelling(name) {
                    d = d.with_hint(format!("define it first for NEURON: `({name}) = ({s})`"));
                }
                self.diags.push(d);
            }
        }
        Some(unit)
    }

    fn units_val(&mut self, u: &Option<Units>) -> Option<Val> {
        let u = u.as_ref()?;
        let unit = self.read_units(u)?;
        Some(Val::declared(unit, &u.text))
    }

    // ---------------------------------------------------------------------------------------
    // Pass 1: UNITS blocks

    fn unit_definitions(&mut self, m: &Module) {
        for item in &m.items {
            match &item.kind {
                ItemKind::Units(defs) => {
                    for d in defs {
                        self.unit_def(d);
                    }
                }
                ItemKind::Include { module: Some(inc), .. } => self.unit_definitions(inc),
                _ => {}
            }
        }
    }

    fn unit_def(&mut self, d: &UnitDef) {
        match &d.kind {
            UnitDefKind::Alias { new, old } => {
                if self.read_units_block_unit(old).is_none() {
                    return;
                }
                let name = new.text.trim();
                if let Err(e) = self.table.add_alias(name, &old.text) {
                    self.report_unit_error(new, &e);
                }
            }
            UnitDefKind::FactorValue { name, negative, value, units } => {
                let v = if *negative { -value.value } else { value.value };
                let unit = match units {
                    Some(u) => self.read_units(u),
                    None => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_FACTOR,
                                format!("factor definition `{}` has no units", name.name),
                            )
                            .with_primary(d.span, "a value needs its units here")
                            .with_note("nocmodl accepts `name = number (units)` or `name = (units) (units)`")
                            .with_hint(format!("write e.g. `{} = {} (coulomb)`", name.name, value.text)),
                        );
                        None
                    }
                };
                self.add_factor(name, v, unit, units.as_ref().map(|u| u.text.as_str()).unwrap_or(""), d.span);
            }
            UnitDefKind::FactorRatio { name, from, to, .. } => {
                let a = self.read_units_block_unit(from);
                let b = self.read_units_block_unit(to);
                if let (Some(a), Some(b)) = (a, b) {
                    // nocmodl: the magnitude of `from` in `to`, with no conformability check.
                    let value = a.scale / b.scale;
                    if !value.is_finite() || value == 0.0 {
                        self.diags.push(
                            Diagnostic::error(
                                codes::OUT_OF_RANGE,
                                format!("factor `{}` is out of range", name.name),
                            )
                            .with_primary(d.span, format!("evaluates to {value}")),
                        );
                        return;
                    }
                    self.add_factor(name, value, Some(b), &to.text, d.span);
                }
            }
        }
    }

    fn add_factor(&mut self, name: &Ident, value: f64, unit: Option<Unit>, text: &str, span: Span) {
        self.factors.push(FactorConst { name: name.name.clone(), value, unit, span });
        self.globals.insert(name.name.clone(), unit.map(|u| Val::declared(u, text)));
    }

    // ---------------------------------------------------------------------------------------
    // Pass 2: declarations and signatures

    fn declare(&mut self, name: &Ident, units: &Option<Units>) {
        let v = self.units_val(units);
        if let Some(v) = &v {
            self.variables.insert(name.name.clone(), v.unit);
        }
        self.globals.insert(name.name.clone(), v);
    }

    fn declarations(&mut self, m: &Module) {
        for item in &m.items {
            match &item.kind {
                ItemKind::Parameter(ds) => ds.iter().for_each(|d| self.declare(&d.name, &d.units)),
                ItemKind::Constant(ds) => ds.iter().for_each(|d| self.declare(&d.name, &d.units)),
                ItemKind::Assigned(ds) | ItemKind::State(ds) => {
                    ds.iter().for_each(|d| self.declare(&d.name, &d.units))
                }
                ItemKind::Independent(ds) => ds.iter().for_each(|d| self.declare(&d.name, &d.units)),
                ItemKind::Local(vars) => {
                    for v in vars {
                        self.globals.insert(v.name.name.clone(), None);
                    }
                }
                ItemKind::Function(c) | ItemKind::Procedure(c) => {
                    let sig = self.signature(&c.params, &c.units);
                    self.functions.insert(c.name.name.clone(), sig);
                }
                ItemKind::FunctionTable { name, params, units } => {
                    let sig = self.signature(params, units);
                    self.functions.insert(name.name.clone(), sig);
                }
                ItemKind::Include { module: Some(inc), .. } => self.declarations(inc),
                _ => {}
            }
        }
    }

    fn signature(&mut self, params: &[Formal], units: &Option<Units>) -> Signature {
        // Declared result units are often approximate in real files: not "plain".
        let result = self.units_val(units).map(|v| Val { plain: false, ..v });
        let params = params.iter().map(|f| (f.name.name.clone(), self.units_val(&f.units))).collect();
        Signature { result, params }
    }

    // ---------------------------------------------------------------------------------------
    // Pass 3: bodies

    fn bodies(&mut self, m: &Module) {
        for item in &m.items {
            match &item.kind {
                ItemKind::UnitsOn => self.units_on = true,
                ItemKind::UnitsOff => self.units_on = false,
                ItemKind::Neuron(stmts) => {
                    for s in stmts {
                        match s.kind {
                            NeuronStmtKind::UnitsOn => self.units_on = true,
                            NeuronStmtKind::UnitsOff => self.units_on = false,
                            _ => {}
                        }
                    }
                }
                ItemKind::Include { module: Some(inc), .. } => self.bodies(inc),
                ItemKind::Initial(b)
                | ItemKind::Breakpoint(b)
                | ItemKind::Constructor(b)
                | ItemKind::Destructor(b)
                | ItemKind::BeforeAfter { body: b, .. }
                | ItemKind::Derivative { body: b, .. }
                | ItemKind::Kinetic { body: b, .. }
                | ItemKind::Linear { body: b, .. }
                | ItemKind::NonLinear { body: b, .. }
                | ItemKind::Discrete { body: b, .. } => self.block(b),
                ItemKind::Function(c) | ItemKind::Procedure(c) => {
                    let sig = self.functions.get(&c.name.name).cloned().unwrap_or_default();
                    let scope: HashMap<String, Option<Val>> = sig.params.into_iter().collect();
                    let own =
                        matches!(item.kind, ItemKind::Function(_)).then(|| (c.name.name.clone(), sig.result));
                    self.current_fn = own;
                    self.scopes.push(scope);
                    self.block(&c.body);
                    self.scopes.pop();
                    self.current_fn = None;
                }
                ItemKind::NetReceive { params, body } => {
                    let mut scope: HashMap<String, Option<Val>> = HashMap::new();
                    for f in params.iter().flatten() {
                        let v = self.units_val(&f.units);
                        scope.insert(f.name.name.clone(), v);
                    }
                    scope.insert("flag".into(), None);
                    self.scopes.push(scope);
                    self.block(body);
                    self.scopes.pop();
                }
                _ => {}
            }
        }
    }

    fn block(&mut self, b: &Block) {
        self.scopes.push(HashMap::new());
        for s in &b.stmts {
            self.stmt(s);
        }
        self.scopes.pop();
    }

    fn declare_local(&mut self, name: &str) {
        if let Some(s) = self.scopes.last_mut() {
            s.insert(name.to_string(), None);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Local(vars) => {
                for v in vars {
                    self.declare_local(&v.name.name);
                }
            }
            StmtKind::Assign { lhs, rhs } | StmtKind::Protect { lhs, rhs } => {
                if let Some(ix) = &lhs.index {
                    self.expr(ix);
                }
                let l = self.lvalue_val(lhs);
                let r = self.expr(rhs);
                if let (Some(l), Some(r)) = (l, r) {
                    if !r.num {
                        let name = format!("{}{}", lhs.name.name, "'".repeat(lhs.name.primes as usize));
                        self.compare(Ctx::Assign(&name), lhs.span, &l, rhs.span, &r);
                    }
                }
            }
            StmtKind::Call(c) => {
                self.call(c);
            }
            StmtKind::If { cond, then, els } => {
                self.expr(cond);
                self.block(then);
                if let Some(e) = els {
                    self.stmt(e);
                }
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            StmtKind::From { var, lo, hi, by, body } => {
                self.expr(lo);
                self.expr(hi);
                if let Some(b) = by {
                    self.expr(b);
                }
                self.scopes.push(HashMap::from([(var.name.clone(), None)]));
                self.block(body);
                self.scopes.pop();
            }
            StmtKind::Block(b) | StmtKind::Initial(b) => self.block(b),
            StmtKind::Table { from, to, with, .. } => {
                self.expr(from);
                self.expr(to);
                self.expr(with);
            }
            StmtKind::UnitsOn => self.units_on = true,
            StmtKind::UnitsOff => self.units_on = false,
            StmtKind::Reaction { lhs, kind } => {
                // Rates of kinetic schemes have units that depend on COMPARTMENT and the
                // stoichiometry; only the expressions themselves are checked.
                for t in lhs {
                    self.react_term(t);
                }
                match kind {
                    ReactionKind::Reversible { rhs, kf, kb } => {
                        for t in rhs {
                            self.react_term(t);
                        }
                        self.expr(kf);
                        self.expr(kb);
                    }
                    ReactionKind::Forward { k } => {
                        self.expr(k);
                    }
                    ReactionKind::Flux { flux } => {
                        self.expr(flux);
                    }
                }
            }
            StmtKind::Equation { lhs, rhs, .. } => {
                let a = self.expr(lhs);
                let b = self.expr(rhs);
                if let (Some(a), Some(b)) = (a, b) {
                    if !a.num && !b.num {
                        self.compare(Ctx::Equation, lhs.span, &a, rhs.span, &b);
                    }
                }
            }
            StmtKind::Conserve { lhs, rhs } => {
                for t in lhs {
                    self.react_term(t);
                }
                self.expr(rhs);
            }
            StmtKind::Compartment { index, volume: e, .. }
            | StmtKind::LongitudinalDiffusion { index, expr: e, .. } => {
                self.scopes.push(HashMap::new());
                if let Some(i) = index {
                    self.declare_local(&i.name);
                }
                self.expr(e);
                self.scopes.pop();
            }
            StmtKind::Watch(items) => {
                for w in items {
                    self.expr(&w.cond);
                    self.expr(&w.flag);
                }
            }
            StmtKind::ForNetcons { params, body } => {
                let mut scope: HashMap<String, Option<Val>> = HashMap::new();
                for f in params {
                    let v = self.units_val(&f.units);
                    scope.insert(f.name.name.clone(), v);
                }
                self.scopes.push(scope);
                self.block(body);
                self.scopes.pop();
            }
            StmtKind::Solve { .. }
            | StmtKind::Conductance { .. }
            | StmtKind::Verbatim(_)
            | StmtKind::MutexLock
            | StmtKind::MutexUnlock
            | StmtKind::Lag { .. }
            | StmtKind::Semicolon => {}
        }
    }

    fn react_term(&mut self, t: &ReactTerm) {
        if let Some(ix) = &t.var.index {
            self.expr(ix);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Expressions

    /// Units of a name (primes aside): locals and formals, the enclosing FUNCTION's own name,
    /// NEURON's special variables, then declarations.
    fn name_val(&self, name: &str) -> Option<Val> {
        for s in self.scopes.iter().rev() {
            if let Some(v) = s.get(name) {
                return v.clone();
            }
        }
        if let Some((f, v)) = &self.current_fn {
            if f == name {
                return v.clone();
            }
        }
        if let Some(v) = self.implied.get(name) {
            return Some(v.clone());
        }
        self.globals.get(name).cloned().flatten()
    }

    /// Units of `name` with `primes` derivatives with respect to t (ms).
    fn ident_val(&self, id: &Ident) -> Option<Val> {
        let v = self.name_val(&id.name)?;
        if id.primes == 0 {
            return Some(v);
        }
        let ms = self.implied.get("t")?.unit.powi(i32::from(id.primes))?;
        let text = if id.primes == 1 {
            format!("{}/ms", wrap(&v.text))
        } else {
            format!("{}/ms{}", wrap(&v.text), id.primes)
        };
        Some(Val { unit: v.unit / ms, num: false, plain: v.plain, scaled: v.scaled, text })
    }

    fn lvalue_val(&self, lv: &LValue) -> Option<Val> {
        self.ident_val(&lv.name)
    }

    fn expr(&mut self, e: &Expr) -> Option<Val> {
        match &e.kind {
            ExprKind::Num { units: None, .. } => Some(Val::num()),
            ExprKind::Num { units: Some(u), .. } => {
                let unit = self.read_units(u)?;
                Some(Val::declared(unit, &u.text))
            }
            ExprKind::Var(lv) => {
                if let Some(ix) = &lv.index {
                    self.expr(ix);
                }
                self.lvalue_val(lv)
            }
            ExprKind::Call(c) => self.call(c),
            ExprKind::Int(x) => self.expr(x).map(|v| Val { plain: false, ..v }),
            ExprKind::Str(_) => None,
            ExprKind::Paren(x) => self.expr(x),
            ExprKind::Unary(UnOp::Neg, x) => self.expr(x),
            ExprKind::Unary(UnOp::Not, x) => {
                self.expr(x);
                Some(Val::num())
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b),
        }
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr) -> Option<Val> {
        let va = self.expr(a);
        match op {
            BinOp::Pow => {
                let vb = self.expr(b);
                return self.power(va, b, vb);
            }
            BinOp::And | BinOp::Or => {
                self.expr(b);
                return Some(Val::num());
            }
            _ => {}
        }
        let vb = self.expr(b);
        match op {
            BinOp::Add | BinOp::Sub => self.same_units(op.symbol(), a, va, b, vb),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => {
                self.same_units(op.symbol(), a, va, b, vb);
                Some(Val::num())
            }
            BinOp::Mul | BinOp::Div => {
                let (x, y) = (va?, vb?);
                // A bare number times something dimensionless may stand for any units
                // (`tau = 2*exp(-v/10)` means 2 ms): it stays a bare number.
                if (x.num && y.unit.dim.is_none()) || (y.num && x.unit.dim.is_none()) {
                    return Some(Val::num());
                }
                let unit = if op == BinOp::Mul { x.unit * y.unit } else { x.unit / y.unit };
                let text = match (x.num, y.num, op) {
                    (_, true, _) => x.text.clone(),
                    (true, false, BinOp::Mul) => y.text.clone(),
                    (true, false, _) => format!("/{}", wrap(&y.text)),
                    (false, false, BinOp::Mul) => format!("{}·{}", wrap(&x.text), wrap(&y.text)),
                    (false, false, _) => format!("{}/{}", wrap(&x.text), wrap(&y.text)),
                };
                let scaled = x.scaled || y.scaled || x.num != y.num;
                Some(Val::derived(unit, x.num && y.num, scaled, text))
            }
            _ => None,
        }
    }

    /// `a + b`, `a < b` …: both must have the same units; a bare number adopts the other's.
    fn same_units(&mut self, op: &str, a: &Expr, va: Option<Val>, b: &Expr, vb: Option<Val>) -> Option<Val> {
        let (x, y) = (va?, vb?);
        if x.num && y.num {
            return Some(Val::num());
        }
        if x.num {
            return Some(Val { plain: false, ..y });
        }
        if y.num {
            return Some(Val { plain: false, ..x });
        }
        self.compare(Ctx::Operands(op), a.span, &x, b.span, &y);
        if x.unit.conformable(&y.unit) {
            Some(Val { plain: false, scaled: x.scaled || y.scaled, ..x })
        } else {
            None
        }
    }

    /// `base ^ exp` where `ve` is the (already evaluated) units of the exponent.
    fn power(&mut self, base: Option<Val>, exp: &Expr, ve: Option<Val>) -> Option<Val> {
        if let Some(v) = &ve {
            self.require_dimensionless("the exponent", exp.span, v);
        }
        let x = base?;
        if let Some(n) = int_literal(exp) {
            let unit = x.unit.powi(n)?;
            let text = if x.num { "1".to_string() } else { format!("{}^{n}", wrap(&x.text)) };
            return Some(Val::derived(unit, x.num, x.scaled, text));
        }
        if x.num {
            return Some(Val::num());
        }
        if x.unit.dim.is_none() && x.unit.scale == 1.0 {
            return Some(Val::derived(Unit::ONE, false, false, "1".into()));
        }
        None
    }

    fn require_dimensionless(&mut self, what: &str, span: Span, v: &Val) {
        if !self.units_on || v.num || v.unit.dim.is_none() {
            return;
        }
        self.diags.push(
            Diagnostic::warning(codes::NOT_DIMENSIONLESS, format!("{what} is not dimensionless"))
                .with_primary(span, format!("this is {}", v.text))
                .with_note(format!("{} is {}", v.text, v.unit))
                .with_hint("divide by a quantity with the same units (e.g. `(v - vhalf)/k` with k in mV)"),
        );
    }

    fn call(&mut self, c: &Call) -> Option<Val> {
        let args: Vec<Option<Val>> = c.args.iter().map(|a| self.expr(a)).collect();
        let name = c.name.name.as_str();
        if DIMENSIONLESS_FUNCS.contains(&name) {
            let mut all_num = true;
            for (a, v) in c.args.iter().zip(&args) {
                if let Some(v) = v {
                    all_num &= v.num;
                    self.require_dimensionless(&format!("the argument of `{name}`"), a.span, v);
                } else {
                    all_num = false;
                }
            }
            return Some(if all_num {
                Val::num()
            } else {
                Val::derived(Unit::ONE, false, false, "1".into())
            });
        }
        match name {
            "fabs" | "floor" | "ceil" | "fmod" => {
                return args.into_iter().next().flatten().map(|v| Val { plain: false, ..v });
            }
            "sqrt" => {
                let x = args.into_iter().next().flatten()?;
                if x.num {
                    return Some(Val::num());
                }
                let dim = x.unit.dim.sqrt()?;
                return Some(Val::derived(
                    Unit { scale: x.unit.scale.sqrt(), dim },
                    false,
                    x.scaled,
                    format!("sqrt({})", x.text),
                ));
            }
            "pow" if c.args.len() == 2 => {
                let mut it = args.into_iter();
                let base = it.next().flatten();
                let ve = it.next().flatten();
                return self.power(base, &c.args[1], ve);
            }
            _ => {}
        }
        let sig = self.functions.get(name).cloned()?;
        if sig.params.len() == c.args.len() {
            for ((pname, pv), (a, av)) in sig.params.iter().zip(c.args.iter().zip(&args)) {
                if let (Some(p), Some(v)) = (pv, av) {
                    if !v.num {
                        self.compare(Ctx::Argument(name, pname), a.span, p, a.span, v);
                    }
                }
            }
        }
        sig.result
    }

    /// Reports units that should agree and do not (when units are on).
    fn compare(&mut self, ctx: Ctx<'_>, sa: Span, a: &Val, sb: Span, b: &Val) {
        if !self.units_on {
            return;
        }
        if !a.unit.conformable(&b.unit) {
            let certain = a.plain && b.plain && matches!(ctx, Ctx::Assign(_) | Ctx::Operands("+" | "-"));
            let (code, sev) = if certain {
                (codes::MISMATCH, Severity::Error)
            } else {
                (codes::MISMATCH_WARNING, Severity::Warning)
            };
            let msg = match &ctx {
                Ctx::Assign(name) => format!("`{name}` has units {} but is assigned {}", a.text, b.text),
                Ctx::Operands(op) => {
                    format!("the operands of `{op}` have different units: {} and {}", a.text, b.text)
                }
                Ctx::Argument(f, p) => {
                    format!("argument `{p}` of `{f}` expects {} but is given {}", a.text, b.text)
                }
                Ctx::Equation => {
                    format!("the sides of the equation have different units: {} and {}", a.text, b.text)
                }
            };
            let mut d = Diagnostic { severity: sev, code, message: msg, labels: vec![], notes: vec![] };
            if matches!(ctx, Ctx::Argument(..)) {
                d = d.with_primary(sb, format!("this is {}", b.text));
            } else {
                d = d
                    .with_primary(sb, format!("this is {}", b.text))
                    .with_secondary(sa, format!("this is {}", a.text));
            }
            d = d.with_note(format!("{} is {}; {} is {}", a.text, a.unit, b.text, b.unit)).with_hint(
                "NEURON never converts units: fix the declared units, or write the conversion \
                     (UNITSOFF … UNITSON turns this check off)",
            );
            self.diags.push(d);
        } else if !a.unit.same_scale(&b.unit) && !a.scaled && !b.scaled {
            let factor = b.unit.scale / a.unit.scale;
            let what = match &ctx {
                Ctx::Assign(name) => format!("assigning {} to `{name}` ({})", b.text, a.text),
                Ctx::Operands(op) => format!("`{op}` of {} and {}", a.text, b.text),
                Ctx::Argument(f, p) => format!("argument `{p}` of `{f}` ({}) given {}", a.text, b.text),
                Ctx::Equation => format!("equation sides {} and {}", a.text, b.text),
            };
            let mut d =
                Diagnostic::warning(codes::MISSING_FACTOR, format!("missing conversion factor: {what}"))
                    .with_primary(sb, format!("this is {}", b.text));
            if !matches!(ctx, Ctx::Argument(..)) {
                d = d.with_secondary(sa, format!("this is {}", a.text));
            }
            self.diags.push(d.with_hint(format!(
                "{} is {} times {}: multiply by ({}) to convert",
                b.text, factor, a.text, factor
            )));
        }
    }
}
