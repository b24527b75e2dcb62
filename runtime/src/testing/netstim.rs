//! NEURON's `NetStim` artificial cell: `number` spikes every `interval` ms from `start`, with
//! optional exponential jitter of fraction `noise` (random numbers from the runtime's
//! per-instance stream; bit-exact agreement with NEURON is only expected for `noise = 0`).
//!
//! Fields: interval (10 ms), number (10), start (50 ms), noise (0); event, on, ispike.
//! Self-event flags: 3 from INITIAL, 1 for the next spike. An external event with weight > 0
//! starts a sequence, with weight < 0 stops it.

use super::util::{field, Args};
use crate::abi::{FieldRole::*, KernelArgs, Kernels, MechanismKind, MechanismMeta};

const INTERVAL: usize = 0;
const NUMBER: usize = 1;
const START: usize = 2;
const NOISE: usize = 3;
const EVENT: usize = 4;
const ON: usize = 5;
const ISPIKE: usize = 6;

fn erand(a: &Args, i: usize) -> f64 {
    // SAFETY: services are valid for the duration of the call.
    let s = unsafe { &*a.a.services };
    let u = (s.random_uniform)(s.ctx, a.a.mech_id, i as u64);
    -(1.0 - u).ln()
}

fn invl(a: &Args, i: usize, mean: f64) -> f64 {
    let mean = if mean <= 0.0 { 0.01 } else { mean };
    let noise = a.get(NOISE, i);
    if noise == 0.0 {
        mean
    } else {
        (1.0 - noise) * mean + noise * mean * erand(a, i)
    }
}

fn net_send(a: &Args, i: usize, w: *mut f64, delay: f64, flag: f64) {
    // SAFETY: services are valid for the duration of the call.
    let s = unsafe { &*a.a.services };
    (s.net_send)(s.ctx, a.a.mech_id, i as u64, w, delay, flag);
}

fn init_sequence(a: &Args, i: usize) {
    if a.get(NUMBER, i) > 0.0 {
        a.set(ON, i, 1.0);
        a.set(EVENT, i, 0.0);
        a.set(ISPIKE, i, 0.0);
    }
}

fn next_invl(a: &Args, i: usize) {
    if a.get(NUMBER, i) > 0.0 {
        a.set(EVENT, i, invl(a, i, a.get(INTERVAL, i)));
    }
    if a.get(ISPIKE, i) >= a.get(NUMBER, i) {
        a.set(ON, i, 0.0);
    }
}

unsafe extern "C" fn init(p: *const KernelArgs) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    for i in 0..a.count() {
        a.set(ON, i, 0.0);
        a.set(ISPIKE, i, 0.0);
        let noise = a.get(NOISE, i).clamp(0.0, 1.0);
        a.set(NOISE, i, noise);
        if a.get(START, i) >= 0.0 && a.get(NUMBER, i) > 0.0 {
            a.set(ON, i, 1.0);
            let interval = a.get(INTERVAL, i);
            let mut event = a.get(START, i) + invl(&a, i, interval) - interval * (1.0 - noise);
            if event < 0.0 {
                event = 0.0;
            }
            a.set(EVENT, i, event);
            net_send(&a, i, std::ptr::null_mut(), event, 3.0);
        }
    }
}

unsafe extern "C" fn receive(p: *const KernelArgs, instance: u64, w: *mut f64, flag: f64) {
    // SAFETY: valid block from the engine.
    let a = unsafe { Args::new(p) };
    let i = instance as usize;
    let t = a.a.t;
    if flag == 0.0 {
        // SAFETY: external events carry the connection's weight vector.
        let weight = unsafe { *w };
        if weight > 0.0 && a.get(ON, i) == 0.0 {
            init_sequence(&a, i);
            next_invl(&a, i);
            let event = a.get(EVENT, i) - a.get(INTERVAL, i) * (1.0 - a.get(NOISE, i));
            a.set(EVENT, i, event);
            net_send(&a, i, w, event, 1.0);
        } else if weight < 0.0 {
            a.set(ON, i, 0.0);
        }
    }
    if flag == 3.0 && a.get(ON, i) == 1.0 {
        init_sequence(&a, i);
        net_send(&a, i, w, 0.0, 1.0);
    }
    if flag == 1.0 && a.get(ON, i) == 1.0 {
        a.set(ISPIKE, i, a.get(ISPIKE, i) + 1.0);
        // SAFETY: services are valid for the duration of the call.
        let s = unsafe { &*a.a.services };
        (s.net_event)(s.ctx, a.a.mech_id, i as u64, t);
        next_invl(&a, i);
        if a.get(ON, i) == 1.0 {
            net_send(&a, i, w, a.get(EVENT, i), 1.0);
        }
    }
}

/// Metadata and kernels of `NetStim`.
pub fn mechanism() -> (MechanismMeta, Kernels) {
    let meta = MechanismMeta {
        name: "NetStim".into(),
        kind: MechanismKind::Artificial,
        fields: vec![
            field("interval", Parameter, 10.0, "ms"),
            field("number", Parameter, 10.0, ""),
            field("start", Parameter, 50.0, "ms"),
            field("noise", Parameter, 0.0, ""),
            field("event", Assigned, 0.0, "ms"),
            field("on", Assigned, 0.0, ""),
            field("ispike", Assigned, 0.0, ""),
        ],
        globals: vec![],
        ions: vec![],
        net_receive_args: 1,
        writes_current: false,
        electrode_current: false,
        fingerprint: "testing:NetStim".into(),
        parallel_safe: false,
    };
    (meta, Kernels { init: Some(init), net_receive: Some(receive), ..Kernels::default() })
}
