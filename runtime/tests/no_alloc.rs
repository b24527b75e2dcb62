//! The step loop allocates nothing: a counting global allocator checks that 2000 steps of a
//! branched hh/pas cell with a synapse, spike input, stimuli and probes make no allocation, on one
//! thread and on two.
//!
//! This test has no libtest harness (`harness = false` in Cargo.toml): libtest's own main thread
//! allocates when it first blocks waiting for the test thread, and on a slow machine that happens
//! inside the counted window (CI once saw 4 such allocations). Here the only threads are ours.

mod support;
use serde_json::json;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use support::*;

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by 2000 steps of the test cell run on `threads` threads.
fn allocations_in_2000_steps(threads: usize) -> usize {
    let loc = |s: &str, x: f64| json!({"cell": "c", "section": s, "x": x});
    let mut sim = build(json!({
        "cells": [{"name": "c", "morphology": {"sections": [
            {"name": "soma", "kind": "soma", "length": 20.0, "diam": 20.0},
            {"name": "d1", "parent": "soma", "nseg": 9, "pts": [[10, 0, 0, 2], [200, 0, 0, 1]]},
            {"name": "d2", "parent": "d1", "parent_x": 0.5, "nseg": 5, "length": 100.0, "diam": 1.0}]},
            "ra": 100.0,
            "mechanisms": [{"mechanism": "hh"}, {"mechanism": "pas", "region": "basal", "parameters": {"g": 1e-4}}],
            "point_processes": [{"id": "syn", "mechanism": "Exp2Syn", "location": {"section": "d1", "x": 0.7}}]}],
        "spike_sources": [{"id": "in", "times": [2.0, 5.0, 9.0, 14.0, 20.0, 27.0, 35.0]}],
        "connections": [{"source": {"spike_source": "in"}, "target": "syn", "weight": 0.01, "delay": 1.0}],
        "stimuli": [{"type": "iclamp", "location": loc("soma", 0.5), "delay": 1.0, "duration": 40.0, "amplitude": 0.1},
                    {"type": "noise", "location": loc("d2", 0.5), "delay": 0.0, "duration": 50.0, "mean": 0.0, "std": 0.01, "seed": 1},
                    {"type": "seclamp", "location": loc("d2", 1.0), "rs": 10.0, "durations": [20.0, 0.0, 0.0], "amplitudes": [-60.0, 0.0, 0.0]}],
        "probes": [{"kind": "v", "name": "v", "location": loc("soma", 0.5)},
                   {"kind": "i_membrane", "name": "im", "location": loc("d1", 0.5)},
                   {"kind": "ion", "name": "ina", "ion": "na", "field": "current", "location": loc("d1", 0.5)}],
        "run": {"tstop": 50.0, "dt": 0.025, "method": "crank_nicolson"}
    }));
    sim.set_threads(threads).expect("worker thread");
    sim.finitialize();
    let before = ALLOCS.load(Ordering::Relaxed);
    sim.advance(2000).unwrap();
    let after = ALLOCS.load(Ordering::Relaxed);
    assert_eq!(values(&sim, "v").len(), 2001);
    after - before
}

fn main() {
    let mut failed = false;
    for threads in [1, 2] {
        let n = allocations_in_2000_steps(threads);
        let verdict = if n == 0 { "ok" } else { "FAILED" };
        println!(
            "steps_do_not_allocate, {threads} thread(s): {n} allocations during 2000 steps ... {verdict}"
        );
        failed |= n != 0;
    }
    if failed {
        std::process::exit(1);
    }
}
