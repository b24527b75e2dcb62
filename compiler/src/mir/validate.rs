//! Structural checks of MIR: every id in range, locals within the body's count, places legal
//! for their entry point. The lowering runs it before handing MIR to a back end.

use super::*;

/// Returns a description of every problem found (empty when the mechanism is well formed).
pub fn validate(m: &Mechanism) -> Vec<String> {
    let mut v = Vec::new();
    let n_nodes = m.arena.nodes.len() as u32;
    for (i, n) in m.arena.nodes.iter().enumerate() {
        let ids: Vec<ExprId> = match n {
            Node::Const(_) | Node::Read(_) => vec![],
            Node::Unary(_, a) => vec![*a],
            Node::Binary(_, a, b) => vec![*a, *b],
            Node::Call(f, args) => {
                if args.len() != f.arity() {
                    v.push(format!(
                        "node {i}: {} takes {} arguments, has {}",
                        f.name(),
                        f.arity(),
                        args.len()
                    ));
                }
                args.clone()
            }
            Node::Select(a, b, c) => vec![*a, *b, *c],
            Node::TableLookup { x, base, n, tmin, mfac } => {
                for s in [*base + *n, *tmin, *mfac] {
                    if s >= m.n_globals {
                        v.push(format!("node {i}: table slot g{s} out of range"));
                    }
                }
                vec![*x]
            }
        };
        for id in ids {
            if id >= i as u32 || id >= n_nodes {
                v.push(format!("node {i}: operand {id} is not an earlier node"));
            }
        }
        if let Node::Read(p) = n {
            check_place(m, *p, u32::MAX, &mut v, &format!("node {i}"));
        }
    }
    for (name, b) in m.bodies() {
        check_stmts(m, &b.stmts, b.n_locals, &mut v, name);
    }
    for (k, s) in m.systems.iter().enumerate() {
        check_stmts(m, &s.body, s.n_locals, &mut v, &format!("system {k}"));
        if s.residuals.len() != s.unknowns.len() || s.x_locals.len() != s.unknowns.len() {
            v.push(format!("system {k}: {} unknowns, {} residuals", s.unknowns.len(), s.residuals.len()));
        }
    }
    for (k, t) in m.tables.iter().enumerate() {
        check_stmts(m, &t.body, t.n_locals, &mut v, &format!("table {k}"));
        for (_, base) in &t.columns {
            if base + t.n >= m.n_globals {
                v.push(format!("table {k}: column g{base} out of range"));
            }
        }
    }
    v
}

fn check_place(m: &Mechanism, p: Place, n_locals: u32, v: &mut Vec<String>, at: &str) {
    match p {
        Place::Field(k) if k as usize >= m.meta.fields.len() => {
            v.push(format!("{at}: field f{k} out of range"))
        }
        Place::Global(k) if k >= m.n_globals => v.push(format!("{at}: global g{k} out of range")),
        Place::Local(k) if k >= n_locals => v.push(format!("{at}: local l{k} out of range ({n_locals})")),
        Place::Ion(k, _) | Place::IonCurrentSum(k) | Place::IonDidvSum(k)
            if k as usize >= m.meta.ions.len() =>
        {
            v.push(format!("{at}: ion {k} out of range"))
        }
        Place::Weight(k) if k >= m.meta.net_receive_args => v.push(format!("{at}: weight w{k} out of range")),
        Place::FieldAt(b, n, l) => {
            if (b + n) as usize > m.meta.fields.len() {
                v.push(format!("{at}: field array f{b}+{n} out of range"));
            }
            check_place(m, Place::Local(l), n_locals, v, at);
        }
        Place::GlobalAt(b, n, l) => {
            if b + n > m.n_globals {
                v.push(format!("{at}: global array g{b}+{n} out of range"));
            }
            check_place(m, Place::Local(l), n_locals, v, at);
        }
        _ => {}
    }
}

fn check_stmts(m: &Mechanism, stmts: &[Stmt], n_locals: u32, v: &mut Vec<String>, at: &str) {
    let n_nodes = m.arena.nodes.len() as u32;
    let check_expr = |e: ExprId, v: &mut Vec<String>| {
        if e >= n_nodes {
            v.push(format!("{at}: expression {e} out of range"));
        } else {
            // Locals read by the expression tree must exist in this body.
            let mut stack = vec![e];
            while let Some(x) = stack.pop() {
                match m.arena.get(x) {
                    Node::Read(p) => check_place(m, *p, n_locals, v, at),
                    Node::Unary(_, a) => stack.push(*a),
                    Node::Binary(_, a, b) => stack.extend([*a, *b]),
                    Node::Call(_, args) => stack.extend(args.iter().copied()),
                    Node::Select(a, b, c) => stack.extend([*a, *b, *c]),
                    Node::TableLookup { x, .. } => stack.push(*x),
                    Node::Const(_) => {}
                }
            }
        }
    };
    for s in stmts {
        match s {
            Stmt::Assign(p, e) => {
                check_place(m, *p, n_locals, v, at);
                if matches!(p, Place::T | Place::Dt | Place::Celsius | Place::Area | Place::Diam) {
                    v.push(format!("{at}: assignment to read-only {p:?}"));
                }
                check_expr(*e, v);
            }
            Stmt::If(c, a, b) => {
                check_expr(*c, v);
                check_stmts(m, a, n_locals, v, at);
                check_stmts(m, b, n_locals, v, at);
            }
            Stmt::While(c, a) => {
                check_expr(*c, v);
                check_stmts(m, a, n_locals, v, at);
            }
            Stmt::Implicit(k) if *k as usize >= m.systems.len() => {
                v.push(format!("{at}: system {k} missing"))
            }
            Stmt::BuildTable(k) if *k as usize >= m.tables.len() => {
                v.push(format!("{at}: table {k} missing"))
            }
            Stmt::NetSend(a, b) => {
                check_expr(*a, v);
                check_expr(*b, v);
            }
            Stmt::NetMove(a) | Stmt::NetEvent(a) => check_expr(*a, v),
            Stmt::Uniform(p) => check_place(m, *p, n_locals, v, at),
            _ => {}
        }
    }
}
