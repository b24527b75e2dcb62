//! Readable text form of MIR (`myelin dump --mir`, snapshots).

use super::*;
use std::fmt::Write;

/// Renders a whole mechanism: metadata, globals, each entry body, implicit systems and tables.
pub fn dump_mechanism(m: &Mechanism) -> String {
    let mut s = String::new();
    let meta = &m.meta;
    let _ = writeln!(s, "mechanism {} ({:?})", meta.name, meta.kind);
    for (k, f) in meta.fields.iter().enumerate() {
        let _ = writeln!(s, "  field f{k} {} {:?} = {} ({})", f.name, f.role, f.default, f.units);
    }
    for (k, g) in meta.globals.iter().enumerate() {
        if g.settable || !g.name.starts_with("_scratch") {
            let _ = writeln!(s, "  global g{k} {} = {}", g.name, g.default);
        }
    }
    if m.n_globals as usize > meta.globals.iter().filter(|g| !g.name.starts_with("_scratch")).count() {
        let named = meta.globals.iter().filter(|g| !g.name.starts_with("_scratch")).count();
        let _ = writeln!(s, "  scratch g{}..g{}", named, m.n_globals);
    }
    for (k, i) in meta.ions.iter().enumerate() {
        let _ = writeln!(s, "  ion {k} {} valence {:?}", i.ion, i.valence);
    }
    for (name, b) in m.bodies() {
        let _ = writeln!(s, "\n{name} (locals {}):", b.n_locals);
        if !b.prologue.is_empty() {
            let _ = writeln!(s, "  prologue:");
            stmts(&mut s, &m.arena, &b.prologue, 2);
        }
        stmts(&mut s, &m.arena, &b.stmts, 1);
    }
    for (k, sys) in m.systems.iter().enumerate() {
        let _ = writeln!(s, "\nsystem {k} ({}) locals {}:", sys.origin, sys.n_locals);
        for (i, u) in sys.unknowns.iter().enumerate() {
            let _ =
                writeln!(s, "  unknown {} in l{} (old l{})", place(*u), sys.x_locals[i], sys.old_locals[i]);
        }
        stmts(&mut s, &m.arena, &sys.body, 1);
        for (i, r) in sys.residuals.iter().enumerate() {
            let _ = writeln!(s, "  F{i} = {}", expr(&m.arena, *r));
        }
    }
    for (k, t) in m.tables.iter().enumerate() {
        let _ = writeln!(
            s,
            "\ntable {k} {} x=l{} from {} to {} with {} (tmin g{}, mfac g{}):",
            t.name,
            t.x_local,
            expr(&m.arena, t.lo),
            expr(&m.arena, t.hi),
            t.n,
            t.tmin_slot,
            t.mfac_slot
        );
        stmts(&mut s, &m.arena, &t.body, 1);
        for (e, base) in &t.columns {
            let _ = writeln!(s, "  g{base}[k] = {}", expr(&m.arena, *e));
        }
    }
    s
}

fn place(p: Place) -> String {
    match p {
        Place::Field(k) => format!("f{k}"),
        Place::Global(k) => format!("g{k}"),
        Place::Local(k) => format!("l{k}"),
        Place::V => "v".into(),
        Place::T => "t".into(),
        Place::Dt => "dt".into(),
        Place::Celsius => "celsius".into(),
        Place::Area => "area".into(),
        Place::Diam => "diam".into(),
        Place::SecondOrder => "secondorder".into(),
        Place::Ion(k, kind) => format!("ion{k}.{kind:?}"),
        Place::IonCurrentSum(k) => format!("ion{k}.cur"),
        Place::IonDidvSum(k) => format!("ion{k}.didv"),
        Place::CurrentSum => "i".into(),
        Place::ConductanceSum => "g".into(),
        Place::Weight(k) => format!("w{k}"),
        Place::Flag => "flag".into(),
        Place::FieldAt(b, n, l) => format!("f{b}..f{}[l{l}]", b + n),
        Place::GlobalAt(b, n, l) => format!("g{b}..g{}[l{l}]", b + n),
    }
}

fn bin(op: Bin) -> &'static str {
    match op {
        Bin::Add => "+",
        Bin::Sub => "-",
        Bin::Mul => "*",
        Bin::Div => "/",
        Bin::Pow => "^",
        Bin::Lt => "<",
        Bin::Le => "<=",
        Bin::Gt => ">",
        Bin::Ge => ">=",
        Bin::Eq => "==",
        Bin::Ne => "!=",
        Bin::And => "&&",
        Bin::Or => "||",
    }
}

/// Renders one expression (fully parenthesised).
pub fn expr(a: &Arena, e: ExprId) -> String {
    match a.get(e) {
        Node::Const(c) => format!("{c:?}"),
        Node::Read(p) => place(*p),
        Node::Unary(Un::Neg, x) => format!("-{}", expr(a, *x)),
        Node::Unary(Un::Not, x) => format!("!{}", expr(a, *x)),
        Node::Binary(op, x, y) => format!("({} {} {})", expr(a, *x), bin(*op), expr(a, *y)),
        Node::Call(f, args) => {
            format!("{}({})", f.name(), args.iter().map(|x| expr(a, *x)).collect::<Vec<_>>().join(", "))
        }
        Node::Select(c, x, y) => format!("select({}, {}, {})", expr(a, *c), expr(a, *x), expr(a, *y)),
        Node::TableLookup { base, n, x, .. } => format!("table(g{base}, {n}, {})", expr(a, *x)),
    }
}

fn stmts(s: &mut String, a: &Arena, v: &[Stmt], depth: usize) {
    let pad = "  ".repeat(depth);
    for st in v {
        match st {
            Stmt::Assign(p, e) => {
                let _ = writeln!(s, "{pad}{} = {}", place(*p), expr(a, *e));
            }
            Stmt::If(c, t, e) => {
                let _ = writeln!(s, "{pad}if {} {{", expr(a, *c));
                stmts(s, a, t, depth + 1);
                if !e.is_empty() {
                    let _ = writeln!(s, "{pad}}} else {{");
                    stmts(s, a, e, depth + 1);
                }
                let _ = writeln!(s, "{pad}}}");
            }
            Stmt::While(c, b) => {
                let _ = writeln!(s, "{pad}while {} {{", expr(a, *c));
                stmts(s, a, b, depth + 1);
                let _ = writeln!(s, "{pad}}}");
            }
            Stmt::Implicit(k) => {
                let _ = writeln!(s, "{pad}solve system {k}");
            }
            Stmt::BuildTable(k) => {
                let _ = writeln!(s, "{pad}build table {k}");
            }
            Stmt::NetSend(d, f) => {
                let _ = writeln!(s, "{pad}net_send({}, {})", expr(a, *d), expr(a, *f));
            }
            Stmt::NetMove(t) => {
                let _ = writeln!(s, "{pad}net_move({})", expr(a, *t));
            }
            Stmt::NetEvent(t) => {
                let _ = writeln!(s, "{pad}net_event({})", expr(a, *t));
            }
            Stmt::Uniform(p) => {
                let _ = writeln!(s, "{pad}{} = uniform()", place(*p));
            }
        }
    }
}
