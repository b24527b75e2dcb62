//! Events and electrode currents through the mechanism ABI, with mechanisms defined here:
//! NET_RECEIVE with a two-slot weight vector and its INITIAL block, `net_send` from INITIAL and
//! NET_RECEIVE, `net_move`, NEURON's delivery rule (`t_event ≤ t + dt/2` before a step, `≤ t`
//! after it), and an ELECTRODE_CURRENT point process against the native IClamp.

mod support;
use myelin_runtime::abi::*;
use myelin_runtime::spec::SimulationSpec;
use myelin_runtime::{Catalogue, Simulation};
use serde_json::json;
use support::*;

const COUNT: usize = 0;
const LAST_T: usize = 1;
const LAST_FLAG: usize = 2;
const T_MOVED: usize = 3;
const T_INIT_EVENT: usize = 4;

unsafe fn field(a: &KernelArgs, k: usize, i: usize) -> *mut f64 {
    unsafe { (*a.fields.add(k)).add(i) }
}

unsafe extern "C" fn rec_init(p: *const KernelArgs) {
    let a = unsafe { &*p };
    let s = unsafe { &*a.services };
    for i in 0..a.count as usize {
        unsafe { *field(a, COUNT, i) = 0.0 };
        (s.net_send)(s.ctx, a.mech_id, i as u64, std::ptr::null_mut(), 0.3, 5.0);
    }
}

unsafe extern "C" fn rec_receive_init(_p: *const KernelArgs, _i: u64, w: *mut f64, _flag: f64) {
    unsafe { *w.add(1) = 100.0 };
}

unsafe extern "C" fn rec_receive(p: *const KernelArgs, i: u64, w: *mut f64, flag: f64) {
    let a = unsafe { &*p };
    let s = unsafe { &*a.services };
    let i = i as usize;
    unsafe {
        *field(a, COUNT, i) += 1.0;
        *field(a, LAST_T, i) = a.t;
        *field(a, LAST_FLAG, i) = flag;
    }
    if flag == 5.0 {
        unsafe { *field(a, T_INIT_EVENT, i) = a.t };
    }
    if flag == 0.0 {
        unsafe { *w.add(1) += 1.0 };
        if unsafe { *w } > 1.0 {
            (s.net_send)(s.ctx, a.mech_id, i as u64, w, 2.0, 7.0);
            (s.net_move)(s.ctx, a.mech_id, i as u64, a.t + 0.5);
        }
    }
    if flag == 7.0 {
        unsafe { *field(a, T_MOVED, i) = a.t };
        // The self-event carries the connection's weights.
        assert!(!w.is_null() && unsafe { *w } > 1.0);
    }
}

unsafe extern "C" fn inj_cur(p: *const KernelArgs) {
    let a = unsafe { &*p };
    for i in 0..a.count as usize {
        let nd = unsafe { *a.node.add(i) } as usize;
        let amp = unsafe { *field(a, 0, i) };
        let on = a.t >= 1.0 && a.t < 3.0;
        let cur = if on { amp } else { 0.0 };
        unsafe {
            *field(a, 1, i) = cur;
            *a.i.add(nd) += cur * (1e2 / *a.area.add(nd));
        }
    }
}

// A WATCH (v > -20) 2 in the style of NMODL: armed while `armed` is 1; when the condition
// becomes true the kernel sends a flag-2 self-event at t + teps and disarms until v falls back.
unsafe extern "C" fn watch_check(p: *const KernelArgs) {
    let a = unsafe { &*p };
    let s = unsafe { &*a.services };
    for i in 0..a.count as usize {
        let nd = unsafe { *a.node.add(i) } as usize;
        let v = unsafe { *a.v.add(nd) };
        let armed = unsafe { field(a, 0, i) };
        if v > -20.0 {
            if unsafe { *armed } == 1.0 {
                unsafe { *armed = 0.0 };
                (s.net_send)(s.ctx, a.mech_id, i as u64, std::ptr::null_mut(), 1e-10, 2.0);
            }
        } else {
            unsafe { *armed = 1.0 };
        }
    }
}

unsafe extern "C" fn watch_receive(p: *const KernelArgs, i: u64, _w: *mut f64, flag: f64) {
    let a = unsafe { &*p };
    if flag == 2.0 {
        let i = i as usize;
        let n = unsafe { *field(a, 1, i) } as usize;
        if n < 8 {
            unsafe { *field(a, 2 + n, i) = a.t };
        }
        unsafe { *field(a, 1, i) += 1.0 };
    }
}

fn f(name: &str, role: FieldRole) -> FieldMeta {
    FieldMeta { name: name.into(), role, default: 0.0, units: String::new() }
}

fn catalogue() -> Catalogue {
    let mut c = myelin_runtime::testing::catalogue();
    let rec = MechanismMeta {
        name: "Recorder".into(),
        kind: MechanismKind::Point,
        fields: vec![
            f("count", FieldRole::Assigned),
            f("last_t", FieldRole::Assigned),
            f("last_flag", FieldRole::Assigned),
            f("t_moved", FieldRole::Assigned),
            f("t_init_event", FieldRole::Assigned),
        ],
        globals: vec![],
        ions: vec![],
        net_receive_args: 2,
        writes_current: false,
        electrode_current: false,
        fingerprint: String::new(),
        parallel_safe: false,
    };
    c.register(
        rec,
        Kernels {
            init: Some(rec_init),
            net_receive: Some(rec_receive),
            net_receive_init: Some(rec_receive_init),
            ..Kernels::default()
        },
    )
    .unwrap();
    let inj = MechanismMeta {
        name: "Inj".into(),
        kind: MechanismKind::Point,
        fields: vec![f("amp", FieldRole::Parameter), f("i", FieldRole::Assigned)],
        globals: vec![],
        ions: vec![],
        net_receive_args: 0,
        writes_current: true,
        electrode_current: true,
        fingerprint: String::new(),
        parallel_safe: false,
    };
    c.register(inj, Kernels { compute_currents: Some(inj_cur), ..Kernels::default() }).unwrap();
    let mut fields = vec![f("armed", FieldRole::Assigned), f("n", FieldRole::Assigned)];
    fields.extend((0..8).map(|k| f(&format!("t{k}"), FieldRole::Assigned)));
    let watch = MechanismMeta {
        name: "Watch".into(),
        kind: MechanismKind::Point,
        fields,
        globals: vec![],
        ions: vec![],
        net_receive_args: 1,
        writes_current: false,
        electrode_current: false,
        fingerprint: String::new(),
        parallel_safe: false,
    };
    c.register(
        watch,
        Kernels { post_event: Some(watch_check), net_receive: Some(watch_receive), ..Kernels::default() },
    )
    .unwrap();
    c
}

fn sim(spec: serde_json::Value) -> Simulation {
    let spec: SimulationSpec = serde_json::from_value(spec).unwrap();
    let mut s = Simulation::new(&spec, &catalogue()).unwrap_or_else(|e| panic!("{e}"));
    s.run().unwrap();
    s
}

#[test]
fn net_receive_weights_self_events_and_delivery_times() {
    let s = sim(json!({
        "cells": [{"name": "c", "morphology": cylinder("soma", 10.0, 10.0, 1),
                   "mechanisms": [{"mechanism": "pas"}],
                   "point_processes": [{"id": "r", "mechanism": "Recorder", "location": {"section": "soma"}}]}],
        "spike_sources": [{"id": "a", "times": [1.0]}, {"id": "b", "times": [1.01]}, {"id": "c", "times": [2.0]}],
        "connections": [
            {"source": {"spike_source": "a"}, "target": "r", "weight": 0.5, "delay": 0.0},
            {"source": {"spike_source": "b"}, "target": "r", "weight": [0.25], "delay": 0.0},
            {"source": {"spike_source": "c"}, "target": "r", "weight": [2.0, 0.0], "delay": 0.0}
        ],
        "probes": [{"kind": "point_process", "name": "count", "id": "r", "field": "count"},
                   {"kind": "point_process", "name": "last_t", "id": "r", "field": "last_t"}],
        "run": {"tstop": 5.0, "dt": 0.025}
    }));
    let t = s.sample_times().to_vec();
    let count = values(&s, "count");
    let last_t = values(&s, "last_t");
    let at = |x: f64| t.iter().position(|&y| (y - x).abs() < 1e-9).unwrap();
    // The INITIAL self-event (t = 0.3, flag 5) arrives in the step from 0.275 (0.3 ≤ 0.2875 is
    // false) ... at the end of the step ending at 0.3, after that sample was taken.
    assert_eq!(count[at(0.3)], 0.0);
    assert_eq!(count[at(0.325)], 1.0);
    // t = 1.0 is delivered at the end of the step ending at 1.0 (after the sample),
    // t = 1.01 at the start of the step from 1.0 (1.01 ≤ 1.0125).
    assert_eq!(count[at(1.0)], 1.0);
    assert_eq!(count[at(1.025)], 3.0);
    assert_eq!(last_t[at(1.025)], 1.01);
    // Weight 2 sends a self-event at t + 2 and moves it to t + 0.5: delivered at 2.5, not 4.
    let mech = s.mechanisms().iter().find(|m| m.meta.name == "Recorder").unwrap();
    assert_eq!(mech.get(T_INIT_EVENT, 0), 0.3);
    assert_eq!(mech.get(T_MOVED, 0), 2.5);
    assert_eq!(mech.get(COUNT, 0), 5.0);
    assert_eq!(mech.get(LAST_FLAG, 0), 7.0);
    // NET_RECEIVE INITIAL set slot 1 to 100 for every connection; each delivery added one.
    let w = &s.events().weights;
    assert_eq!(w, &vec![0.5, 101.0, 0.25, 101.0, 2.0, 101.0]);
}

#[test]
fn electrode_current_mechanism_equals_iclamp_and_is_not_membrane_current() {
    let base = |pp: serde_json::Value, stim: serde_json::Value| {
        json!({
            "cells": [{"name": "c", "morphology": cylinder("soma", 10.0, 10.0, 1), "cm": 1.0,
                       "mechanisms": [{"mechanism": "pas", "parameters": {"g": 1e-3, "e": -65.0}}],
                       "point_processes": pp}],
            "stimuli": stim,
            "probes": [{"kind": "v", "name": "v", "location": {"cell": "c", "section": "soma"}},
                       {"kind": "i_membrane", "name": "imem", "location": {"cell": "c", "section": "soma"}}],
            "run": {"tstop": 3.0, "dt": 0.025}
        })
    };
    let a = sim(base(
        json!([{"id": "inj", "mechanism": "Inj", "location": {"section": "soma"}, "parameters": {"amp": 0.05}}]),
        json!([]),
    ));
    let b = sim(base(
        json!([]),
        json!([{"type": "iclamp", "location": {"cell": "c", "section": "soma"}, "delay": 1.0, "duration": 2.0, "amplitude": 0.05}]),
    ));
    assert_eq!(values(&a, "v"), values(&b, "v"));
    assert!(values(&a, "v").last().unwrap() > &-60.0, "the injected current depolarises");
    // i_membrane_ excludes electrode currents: in a single compartment it balances them.
    let imem = values(&a, "imem");
    let v = values(&a, "v");
    let area = std::f64::consts::PI * 100.0;
    let k = imem.len() - 1;
    let dvdt = (v[k] - v[k - 1]) / 0.025;
    let expect = (1e-3 * (v[k] + 65.0) + 1e-3 * dvdt) * area * 0.01; // ionic + capacitive, nA
    assert!((imem[k] - expect).abs() < 1e-3 * expect.abs(), "{} vs {expect}", imem[k]);
    assert!((imem[k] - 0.05).abs() < 0.02);
}

#[test]
fn watch_conditions_fire_when_thresholds_do() {
    let s = sim(json!({
        "cells": [{"name": "c", "morphology": cylinder("soma", 20.0, 20.0, 1), "mechanisms": [{"mechanism": "hh"}],
                   "point_processes": [{"id": "w", "mechanism": "Watch", "location": {"section": "soma"}}],
                   "spike_detector": {"threshold": -20.0}}],
        "stimuli": [{"type": "iclamp", "location": {"cell": "c", "section": "soma"}, "delay": 2.0, "duration": 30.0, "amplitude": 0.3}],
        "run": {"tstop": 40.0, "dt": 0.025}
    }));
    let spikes = s.spikes();
    let detected = spikes.iter().find(|t| t.source == "c").unwrap().times;
    let m = s.mechanisms().iter().find(|m| m.meta.name == "Watch").unwrap();
    let n = m.get(1, 0) as usize;
    assert!(n >= 2, "watch fired {n} times");
    assert_eq!(n, detected.len());
    for k in 0..n.min(8) {
        // Both are NEURON's check at the start of the step plus teps.
        assert_eq!(m.get(2 + k, 0), detected[k]);
    }
}
