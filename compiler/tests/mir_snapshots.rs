//! Snapshots of the mechanism IR of representative mechanisms: hh-like (cnexp, TABLE, ions),
//! KINETIC (sparse, CONSERVE, STEADYSTATE), TABLE'd FUNCTION with derivimplicit and euler, a
//! synapse with NET_RECEIVE, and a concentration writer. A changed snapshot means the compiler's
//! semantics changed: review it with `cargo insta review` and say why in the commit.

use myelin_compiler::diag::SourceMap;
use myelin_compiler::driver;
use myelin_compiler::mir::{self, lower::LowerOptions};
use std::path::Path;

fn mir_of(path: &Path) -> String {
    let mut sources = SourceMap::new();
    let l = driver::lower_file(&mut sources, path, &[], LowerOptions::default()).expect("read");
    match l.mir {
        Some(m) => mir::dump_mechanism(&m),
        None => panic!("{}", sources.render(&l.diagnostics)),
    }
}

fn here(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn mir_hh() {
    insta::assert_snapshot!(mir_of(&here("../mechanisms/hh.mod")));
}

#[test]
fn mir_kinetic() {
    insta::assert_snapshot!(mir_of(&here("tests/mods/kin3.mod")));
}

#[test]
fn mir_table_derivimplicit_euler() {
    insta::assert_snapshot!(mir_of(&here("tests/mods/mix.mod")));
}

#[test]
fn mir_net_receive() {
    insta::assert_snapshot!(mir_of(&here("tests/mods/syn.mod")));
}

#[test]
fn mir_concentration_writer() {
    insta::assert_snapshot!(mir_of(&here("tests/mods/cad.mod")));
}
