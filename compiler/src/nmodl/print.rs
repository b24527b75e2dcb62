//! Writes an [`ast::Module`] back as NMODL text in a canonical layout (`myelin fmt`).
//!
//! Parentheses, number spellings and unit texts are printed as written, so parsing the output
//! gives the same tree. `:` comments between statements are trivia and are not kept; COMMENT,
//! TITLE and VERBATIM items are.

use super::ast::*;
use std::fmt::Write;

/// Prints a module.
pub fn print_module(m: &Module) -> String {
    let mut p = Printer { out: String::new(), indent: 0 };
    let mut prev_was_block = false;
    for (i, item) in m.items.iter().enumerate() {
        let is_block = !matches!(
            item.kind,
            ItemKind::Title(_)
                | ItemKind::Define { .. }
                | ItemKind::Include { .. }
                | ItemKind::UnitsOn
                | ItemKind::UnitsOff
                | ItemKind::Local(_)
        );
        if i > 0 && (is_block || prev_was_block) {
            p.out.push('\n');
        }
        p.item(item);
        prev_was_block = is_block;
    }
    p.out
}

struct Printer {
    out: String,
    indent: usize,
}

fn signed(s: &SignedNum) -> String {
    let v = match &s.value {
        NumOrName::Num(n) => n.text.clone(),
        NumOrName::Name(i) => i.name.clone(),
    };
    if s.negative {
        format!("-{v}")
    } else {
        v
    }
}

fn units(u: &Option<Units>) -> String {
    match u {
        Some(u) => format!(" ({})", u.text),
        None => String::new(),
    }
}

fn size(s: &Option<ArraySize>) -> String {
    match s {
        Some(ArraySize::Int(n)) => format!("[{}]", n.text),
        Some(ArraySize::Name(i)) => format!("[{}]", i.name),
        None => String::new(),
    }
}

fn names(v: &[Ident]) -> String {
    v.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn formals(v: &[Formal]) -> String {
    v.iter().map(|f| format!("{}{}", f.name.name, units(&f.units))).collect::<Vec<_>>().join(", ")
}

fn ident(i: &Ident) -> String {
    format!("{}{}", i.name, "'".repeat(i.primes as usize))
}

impl Printer {
    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn raw_block(&mut self, keyword: &str, end: &str, text: &str) {
        self.line(keyword);
        // Verbatim, including trailing empty lines (`lines()` would drop the last one). The
        // reader drops one line break before the end line: after a lone `\r`, a `\n` alone
        // would join it into one `\r\n` break, so give it a break of its own.
        self.out.push_str(text);
        self.out.push_str(if text.ends_with('\r') { "\r\n" } else { "\n" });
        self.line(end);
    }

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Title(t) => self.line(&format!("TITLE {t}")),
            ItemKind::Comment(t) => self.raw_block("COMMENT", "ENDCOMMENT", t),
            ItemKind::Verbatim(t) => self.raw_block("VERBATIM", "ENDVERBATIM", t),
            ItemKind::Define { name, value } => self.line(&format!("DEFINE {} {}", name.name, signed(value))),
            ItemKind::Include { path, .. } => self.line(&format!("INCLUDE \"{path}\"")),
            ItemKind::UnitsOn => self.line("UNITSON"),
            ItemKind::UnitsOff => self.line("UNITSOFF"),
            ItemKind::Local(v) => self.line(&format!("LOCAL {}", locals(v))),
            ItemKind::Neuron(stmts) => {
                self.line("NEURON {");
                self.indent += 1;
                for s in stmts {
                    self.neuron_stmt(s);
                }
                self.indent -= 1;
                self.line("}");
            }
            ItemKind::Units(defs) => {
                self.line("UNITS {");
                self.indent += 1;
                for d in defs {
                    let s = match &d.kind {
                        UnitDefKind::Alias { new, old } => format!("({}) = ({})", new.text, old.text),
                        UnitDefKind::FactorValue { name, negative, value, units: u } => format!(
                            "{} = {}{}{}",
                            name.name,
                            if *negative { "-" } else { "" },
                            value.text,
                            units(u)
                        ),
                        UnitDefKind::FactorRatio { name, from, to, arrow } => format!(
                            "{} = ({}){}({})",
                            name.name,
                            from.text,
                            if *arrow { " -> " } else { " " },
                            to.text
                        ),
                    };
                    self.line(&s);
                }
                self.indent -= 1;
                self.line("}");
            }
            ItemKind::Parameter(decls) => {
                self.line("PARAMETER {");
                self.indent += 1;
                for d in decls {
                    let mut s = format!("{}{}", d.name.name, size(&d.size));
                    if let Some(v) = &d.value {
                        let _ = write!(s, " = {}", signed(v));
                    }
                    s.push_str(&units(&d.units));
                    if let Some((lo, hi)) = &d.limits {
                        let _ = write!(s, " <{}, {}>", signed(lo), signed(hi));
                    }
                    self.line(&s);
                }
                self.indent -= 1;
                self.line("}");
            }
            ItemKind::Constant(decls) => {
                self.line("CONSTANT {");
                self.indent += 1;
                for d in decls {
                    self.line(&format!("{} = {}{}", d.name.name, signed(&d.value), units(&d.units)));
                }
                self.indent -= 1;
                self.line("}");
            }
            ItemKind::Assigned(decls) => self.var_decls("ASSIGNED", decls),
            ItemKind::State(decls) => self.var_decls("STATE", decls),
            ItemKind::Independent(decls) => {
                self.line("INDEPENDENT {");
                self.indent += 1;
                for d in decls {
                    let mut s = String::new();
                    if d.sweep {
                        s.push_str("SWEEP ");
                    }
                    let _ = write!(
                        s,
                        "{} FROM {} TO {} WITH {}",
                        d.name.name,
                        signed(&d.from),
                        signed(&d.to),
                        d.with.text
                    );
                    if let Some(st) = &d.start {
                        let _ = write!(s, " START {}", signed(st));
                    }
                    s.push_str(&units(&d.units));
                    self.line(&s);
                }
                self.indent -= 1;
                self.line("}");
            }
            ItemKind::Initial(b) => self.block_item("INITIAL", b),
            ItemKind::Breakpoint(b) => self.block_item("BREAKPOINT", b),
            ItemKind::Derivative { name, body } => {
                self.block_item(&format!("DERIVATIVE {}", name.name), body)
            }
            ItemKind::Discrete { name, body } => self.block_item(&format!("DISCRETE {}", name.name), body),
            ItemKind::Kinetic { name, solvefor, body } => {
                self.block_item(&format!("KINETIC {}{}", name.name, solvefor_text(solvefor)), body)
            }
            ItemKind::Linear { name, solvefor, body } => {
                self.block_item(&format!("LINEAR {}{}", name.name, solvefor_text(solvefor)), body)
            }
            ItemKind::NonLinear { name, solvefor, body } => {
                self.block_item(&format!("NONLINEAR {}{}", name.name, solvefor_text(solvefor)), body)
            }
            ItemKind::Procedure(c) => self.block_item(
                &format!("PROCEDURE {}({}){}", c.name.name, formals(&c.params), units(&c.units)),
                &c.body,
            ),
            ItemKind::Function(c) => self.block_item(
                &format!("FUNCTION {}({}){}", c.name.name, formals(&c.params), units(&c.units)),
                &c.body,
            ),
            ItemKind::FunctionTable { name, params, units: u } => {
                self.line(&format!("FUNCTION_TABLE {}({}){}", name.name, formals(params), units(u)))
            }
            ItemKind::NetReceive { params, body } => {
                let head = match params {
                    Some(p) => format!("NET_RECEIVE({})", formals(p)),
                    None => "NET_RECEIVE".to_string(),
                };
                self.block_item(&head, body)
            }
            ItemKind::BeforeAfter { before, phase, body } => {
                self.block_item(&format!("{} {}", if *before { "BEFORE" } else { "AFTER" }, phase), body)
            }
            ItemKind::Constructor(b) => self.block_item("CONSTRUCTOR", b),
            ItemKind::Destructor(b) => self.block_item("DESTRUCTOR", b),
        }
    }

    fn var_decls(&mut self, kw: &str, decls: &[VarDecl]) {
        self.line(&format!("{kw} {{"));
        self.indent += 1;
        for d in decls {
            let mut s = format!("{}{}", d.name.name, size(&d.size));
            if let Some((lo, hi)) = &d.from_to {
                let _ = write!(s, " FROM {} TO {}", signed(lo), signed(hi));
            }
            if let Some(st) = &d.start {
                let _ = write!(s, " START {}", signed(st));
            }
            s.push_str(&units(&d.units));
            if let Some(t) = &d.abstol {
                let _ = write!(s, " <{}>", signed(t));
            }
            self.line(&s);
        }
        self.indent -= 1;
        self.line("}");
    }

    fn neuron_stmt(&mut self, s: &NeuronStmt) {
        let text = match &s.kind {
            NeuronStmtKind::Suffix { kind, name } => {
                let kw = match kind {
                    SuffixKind::Suffix => "SUFFIX",
                    SuffixKind::PointProcess => "POINT_PROCESS",
                    SuffixKind::ArtificialCell => "ARTIFICIAL_CELL",
                };
                format!("{kw} {}", name.name)
            }
            NeuronStmtKind::UseIon { ion, read, write, valence, represents } => {
                let mut t = format!("USEION {}", ion.name);
                if !read.is_empty() {
                    let _ = write!(t, " READ {}", names(read));
                }
                if !write.is_empty() {
                    let _ = write!(t, " WRITE {}", names(write));
                }
                if let Some((_, txt, _)) = valence {
                    let _ = write!(t, " VALENCE {txt}");
                }
                if let Some(r) = represents {
                    let _ = write!(t, " REPRESENTS {r}");
                }
                t
            }
            NeuronStmtKind::Nonspecific(v) => format!("NONSPECIFIC_CURRENT {}", names(v)),
            NeuronStmtKind::Electrode(v) => format!("ELECTRODE_CURRENT {}", names(v)),
            NeuronStmtKind::Range(v) => format!("RANGE {}", names(v)),
            NeuronStmtKind::Global(v) => format!("GLOBAL {}", names(v)),
            NeuronStmtKind::Pointer(v) => format!("POINTER {}", names(v)),
            NeuronStmtKind::BbcorePointer(v) => format!("BBCOREPOINTER {}", names(v)),
            NeuronStmtKind::External(v) => format!("EXTERNAL {}", names(v)),
            NeuronStmtKind::Random(v) => format!("RANDOM {}", names(v)),
            NeuronStmtKind::ThreadSafe(v) if v.is_empty() => "THREADSAFE".to_string(),
            NeuronStmtKind::ThreadSafe(v) => format!("THREADSAFE {}", names(v)),
            NeuronStmtKind::Represents(r) => format!("REPRESENTS {r}"),
            NeuronStmtKind::Verbatim(t) => {
                self.raw_block("VERBATIM", "ENDVERBATIM", t);
                return;
            }
            NeuronStmtKind::UnitsOn => "UNITSON".to_string(),
            NeuronStmtKind::UnitsOff => "UNITSOFF".to_string(),
        };
        self.line(&text);
    }

    fn block_item(&mut self, head: &str, b: &Block) {
        self.line(&format!("{head} {{"));
        self.stmts(b);
        self.line("}");
    }

    fn stmts(&mut self, b: &Block) {
        self.indent += 1;
        for s in &b.stmts {
            self.stmt(s);
        }
        self.indent -= 1;
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Local(v) => self.line(&format!("LOCAL {}", locals(v))),
            StmtKind::Assign { lhs, rhs } => self.line(&format!("{} = {}", lvalue(lhs), expr(rhs))),
            StmtKind::Protect { lhs, rhs } => self.line(&format!("PROTECT {} = {}", lvalue(lhs), expr(rhs))),
            StmtKind::Call(c) => self.line(&call(c)),
            StmtKind::If { .. } => {
                let mut head = String::new();
                self.if_chain(s, &mut head);
            }
            StmtKind::While { cond, body } => {
                self.line(&format!("while ({}) {{", expr(cond)));
                self.stmts(body);
                self.line("}");
            }
            StmtKind::From { var, lo, hi, by, body } => {
                let by = by.as_ref().map(|b| format!(" BY {}", expr(b))).unwrap_or_default();
                self.line(&format!("FROM {} = {} TO {}{} {{", var.name, expr(lo), expr(hi), by));
                self.stmts(body);
                self.line("}");
            }
            StmtKind::Block(b) => {
                self.line("{");
                self.stmts(b);
                self.line("}");
            }
            StmtKind::Solve { name, method } => {
                let m = match method {
                    Some(SolveMethod::Method(m)) => format!(" METHOD {}", m.name),
                    Some(SolveMethod::SteadyState(m)) => format!(" STEADYSTATE {}", m.name),
                    None => String::new(),
                };
                self.line(&format!("SOLVE {}{}", name.name, m));
            }
            StmtKind::Table { vars, depend, from, to, with } => {
                let mut t = "TABLE".to_string();
                if !vars.is_empty() {
                    let _ = write!(t, " {}", names(vars));
                }
                if !depend.is_empty() {
                    let _ = write!(t, " DEPEND {}", names(depend));
                }
                let _ = write!(t, " FROM {} TO {} WITH {}", expr(from), expr(to), expr(with));
                self.line(&t);
            }
            StmtKind::Conductance { name, ion } => {
                let ion = ion.as_ref().map(|i| format!(" USEION {}", i.name)).unwrap_or_default();
                self.line(&format!("CONDUCTANCE {}{}", name.name, ion));
            }
            StmtKind::Verbatim(t) => self.raw_block("VERBATIM", "ENDVERBATIM", t),
            StmtKind::UnitsOn => self.line("UNITSON"),
            StmtKind::UnitsOff => self.line("UNITSOFF"),
            StmtKind::MutexLock => self.line("MUTEXLOCK"),
            StmtKind::MutexUnlock => self.line("MUTEXUNLOCK"),
            StmtKind::Reaction { lhs, kind } => {
                let l = react(lhs);
                let t = match kind {
                    ReactionKind::Reversible { rhs, kf, kb } => {
                        format!("~ {} <-> {} ({}, {})", l, react(rhs), expr(kf), expr(kb))
                    }
                    ReactionKind::Forward { k } => format!("~ {} -> ({})", l, expr(k)),
                    ReactionKind::Flux { flux } => format!("~ {} << ({})", l, expr(flux)),
                };
                self.line(&t);
            }
            StmtKind::Equation { addition, lhs, rhs } => {
                self.line(&format!("{} {} = {}", if *addition { "~+" } else { "~" }, expr(lhs), expr(rhs)))
            }
            StmtKind::Conserve { lhs, rhs } => self.line(&format!("CONSERVE {} = {}", react(lhs), expr(rhs))),
            StmtKind::Compartment { index, volume, states } => {
                let i = index.as_ref().map(|i| format!("{}, ", i.name)).unwrap_or_default();
                let st = states.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(" ");
                self.line(&format!("COMPARTMENT {}{} {{{}}}", i, expr(volume), st));
            }
            StmtKind::LongitudinalDiffusion { index, expr: e, states } => {
                let i = index.as_ref().map(|i| format!("{}, ", i.name)).unwrap_or_default();
                let st = states.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(" ");
                self.line(&format!("LONGITUDINAL_DIFFUSION {}{} {{{}}}", i, expr(e), st));
            }
            StmtKind::Watch(items) => {
                let parts: Vec<String> =
                    items.iter().map(|w| format!("({}) {}", expr(&w.cond), expr(&w.flag))).collect();
                self.line(&format!("WATCH {}", parts.join(", ")));
            }
            StmtKind::ForNetcons { params, body } => {
                self.line(&format!("FOR_NETCONS({}) {{", formals(params)));
                self.stmts(body);
                self.line("}");
            }
            StmtKind::Initial(b) => {
                self.line("INITIAL {");
                self.stmts(b);
                self.line("}");
            }
            StmtKind::Lag { name, by } => self.line(&format!("LAG {} BY {}", name.name, by.name)),
            StmtKind::Semicolon => self.line(";"),
        }
    }

    fn if_chain(&mut self, s: &Stmt, prefix: &mut String) {
        if let StmtKind::If { cond, then, els } = &s.kind {
            let head = format!("{}if ({}) {{", prefix, expr(cond));
            self.line(&head);
            self.stmts(then);
            match els.as_deref() {
                Some(e @ Stmt { kind: StmtKind::If { .. }, .. }) => {
                    let mut p = "} else ".to_string();
                    self.if_chain(e, &mut p);
                }
                Some(Stmt { kind: StmtKind::Block(b), .. }) => {
                    self.line("} else {");
                    self.stmts(b);
                    self.line("}");
                }
                _ => self.line("}"),
            }
        }
    }
}

fn solvefor_text(v: &[Ident]) -> String {
    if v.is_empty() {
        String::new()
    } else {
        format!(" SOLVEFOR {}", names(v))
    }
}

fn locals(v: &[LocalVar]) -> String {
    v.iter().map(|l| format!("{}{}", l.name.name, size(&l.size))).collect::<Vec<_>>().join(", ")
}

fn react(v: &[ReactTerm]) -> String {
    v.iter()
        .map(|t| if t.coef_written { format!("{} {}", t.coef, lvalue(&t.var)) } else { lvalue(&t.var) })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Prints an lvalue.
pub fn lvalue(l: &LValue) -> String {
    let mut s = ident(&l.name);
    if let Some(n) = &l.lag {
        let _ = write!(s, "@{}", n.text);
    }
    if let Some(i) = &l.index {
        let _ = write!(s, "[{}]", expr(i));
    }
    s
}

fn call(c: &Call) -> String {
    format!("{}({})", c.name.name, c.args.iter().map(expr).collect::<Vec<_>>().join(", "))
}

/// Prints an expression. Parentheses are those of the tree (`Paren` nodes); operators whose
/// operands would otherwise re-associate differently get parentheses added, so that the printed
/// text parses back to the same tree.
pub fn expr(e: &Expr) -> String {
    expr_prec(e, 0)
}

fn expr_prec(e: &Expr, min: u8) -> String {
    match &e.kind {
        ExprKind::Num { num, units } => match units {
            Some(u) => format!("{} ({})", num.text, u.text),
            None => num.text.clone(),
        },
        ExprKind::Var(l) => lvalue(l),
        ExprKind::Call(c) => call(c),
        ExprKind::Int(x) => format!("INT({})", expr(x)),
        ExprKind::Str(s) => format!("\"{s}\""),
        ExprKind::Paren(x) => format!("({})", expr(x)),
        ExprKind::Unary(op, x) => {
            let o = match op {
                UnOp::Neg => "-",
                UnOp::Not => "!",
            };
            // Prefix operators parse wherever an operand may start, so they never need parentheses
            // of their own; their operand binds at least as tightly as `^`.
            format!("{}{}", o, expr_prec(x, UNARY_PRECEDENCE + 1))
        }
        ExprKind::Binary(op, l, r) => {
            let p = op.precedence();
            let (lmin, rmin) = if *op == BinOp::Pow { (p + 1, p) } else { (p, p + 1) };
            let s = format!("{} {} {}", expr_prec(l, lmin), op.symbol(), expr_prec(r, rmin));
            wrap(s, p, min)
        }
    }
}

fn wrap(s: String, p: u8, min: u8) -> String {
    if p < min {
        format!("({s})")
    } else {
        s
    }
}
