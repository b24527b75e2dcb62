//! VERBATIM idioms with an unambiguous meaning without NEURON's C runtime.
//!
//! VERBATIM blocks are C code copied into NEURON's generated C++; Myelin has no C compiler, so a
//! block it cannot interpret is an error naming the block (E0306). Two idioms, common in
//! published models (and in PyNN's and NEURON's own files), are recognised:
//!
//! 1. **Random stream with an NMODL fallback** — a FUNCTION or PROCEDURE body of the form
//!    ```text
//!    VERBATIM  double value; if (_p_rng) { value = nrn_random_pick(_p_rng); return value; } else {  ENDVERBATIM
//!        value = scop_random()        : NMODL statements: the fallback
//!    VERBATIM  }  ENDVERBATIM
//!    ```
//!    The C code picks from a hoc `Random` object when one was attached with `setRNG` from hoc,
//!    and otherwise runs the NMODL statements. Myelin has no hoc objects, so the fallback runs
//!    (drawing from Myelin's per-instance streams); `double x;` declarations become locals.
//! 2. **Stream attachment** — a body that is only VERBATIM calling `nrn_random_arg` (the
//!    `setRNG()` procedure that attaches a hoc `Random` object) does nothing.
//!
//! Anything else keeps the E0306 error.

use crate::nmodl::ast::{Stmt, StmtKind};
use std::ops::Range;

/// What a block's VERBATIM statements amount to.
#[derive(Debug, Clone, PartialEq)]
pub enum Idiom {
    /// Not an idiom: lower the block as written.
    None,
    /// The block does nothing in Myelin.
    NoOp,
    /// Lower only the statements in `ranges` (the NMODL fallback, then the statements after the
    /// C code), with these C doubles as locals.
    Fallback {
        /// Statements to lower.
        ranges: Vec<Range<usize>>,
        /// `double name;` declarations of the C code.
        doubles: Vec<String>,
    },
}

fn text(s: &Stmt) -> Option<&str> {
    match &s.kind {
        StmtKind::Verbatim(t) => Some(t),
        _ => None,
    }
}

/// Removes C comments.
fn strip_comments(c: &str) -> String {
    let mut out = String::new();
    let mut rest = c;
    while let Some(p) = rest.find("/*") {
        out.push_str(&rest[..p]);
        rest = match rest[p..].find("*/") {
            Some(e) => &rest[p + e + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Recognises the idioms in a block's statements.
pub fn recognise(stmts: &[Stmt]) -> Idiom {
    let verb: Vec<usize> =
        stmts.iter().enumerate().filter(|(_, s)| text(s).is_some()).map(|(i, _)| i).collect();
    if verb.is_empty() {
        return Idiom::None;
    }
    // 2. Stream attachment: only VERBATIM, calling nrn_random_arg.
    if verb.len() == stmts.len() && stmts.iter().filter_map(text).any(|t| t.contains("nrn_random_arg")) {
        return Idiom::NoOp;
    }
    // 1. Random stream with a fallback: VERBATIM … else { ; NMODL ; VERBATIM } (possibly followed
    //    by NMODL statements that use the result).
    if verb.len() == 2 {
        let (a, b) = (verb[0], verb[1]);
        let first = strip_comments(text(&stmts[a]).unwrap_or(""));
        let second = strip_comments(text(&stmts[b]).unwrap_or(""));
        let first_t = first.trim_end();
        let picks = first.contains("nrn_random_pick") || first.contains("_p_");
        let opens_else =
            first_t.ends_with("else {") || first_t.ends_with("else{") || first_t.ends_with("}else{");
        let closes = second.trim() == "}";
        if a + 1 < b && picks && opens_else && closes {
            let doubles = first
                .split(';')
                .filter_map(|d| d.trim().strip_prefix("double "))
                .flat_map(|names| names.split(',').map(|n| n.trim().to_string()))
                .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .collect();
            // The fallback must start the block, and no further C code may follow.
            let tail = &stmts[b + 1..];
            if a == 0 && !tail.iter().any(|s| text(s).is_some()) {
                return Idiom::Fallback { ranges: vec![a + 1..b, b + 1..stmts.len()], doubles };
            }
        }
    }
    Idiom::None
}
