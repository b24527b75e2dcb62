//! Discrete events: the event queue, connections (NetCons), spike sources (PreSyns) and the
//! services kernels call (`net_send`, `net_move`, `net_event`, random numbers).
//!
//! Semantics follow NEURON's fixed-step method (`netcvode.cpp`):
//! - threshold detection at the start of each step: a source fires when `v − threshold > 0` and
//!   its flag was clear; the spike time is the current time (the end of the step in which v
//!   crossed) plus NEURON's `teps` = 1e-10 ms, with no interpolation; the flag clears when v
//!   falls to or below threshold;
//! - a spike at time `ts` reaches each connection's target at `ts + delay`;
//! - events are delivered when `t_event ≤ t + dt/2` before the step, and `t_event ≤ t` after
//!   it, in time order (ties in the order they were queued); during delivery the kernels see
//!   `t = t_event`.

use crate::abi::Services;
use crate::rng::Rng;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ffi::c_void;

/// NEURON's threshold-event offset (`teps`), added to the detection time.
pub const THRESHOLD_TEPS: f64 = 1e-10;

/// What an event does when it is delivered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventKind {
    /// A spike arriving through a connection (index into [`EventSystem::netcons`]).
    NetCon(u32),
    /// A self-event from `net_send`.
    SelfEvent {
        /// Mechanism id.
        mech: u32,
        /// Instance.
        instance: u32,
        /// The `flag` argument of `net_send`.
        flag: f64,
        /// Weight vector to pass to NET_RECEIVE (null from INITIAL).
        weights: *mut f64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Queued {
    t: f64,
    seq: u64,
    kind: EventKind,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    // Reversed: BinaryHeap is a max-heap and the earliest event must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.t.total_cmp(&self.t).then(other.seq.cmp(&self.seq))
    }
}

/// A connection from a spike source to a target instance.
#[derive(Debug, Clone, PartialEq)]
pub struct NetCon {
    /// Source (index into [`EventSystem::presyns`]).
    pub source: u32,
    /// Target mechanism id.
    pub target_mech: u32,
    /// Target instance.
    pub target_instance: u32,
    /// Delay (ms).
    pub delay: f64,
    /// Offset of the weight vector in [`EventSystem::weights`].
    pub weight_offset: usize,
    /// Length of the weight vector.
    pub weight_len: usize,
    /// Inactive connections deliver nothing.
    pub active: bool,
}

/// Where a spike source's spikes come from.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// Threshold crossing of the voltage at a node.
    Threshold {
        /// Node.
        node: u32,
        /// Threshold (mV).
        threshold: f64,
    },
    /// `net_event` of a mechanism instance (artificial cell or point process).
    Mechanism {
        /// Mechanism id.
        mech: u32,
        /// Instance.
        instance: u32,
    },
    /// Spikes at given times.
    Times(Vec<f64>),
}

/// A spike source (NEURON's PreSyn).
#[derive(Debug, Clone, PartialEq)]
pub struct PreSyn {
    /// Name used in outputs (cell name, instance id, …).
    pub label: String,
    /// Kind.
    pub kind: SourceKind,
    /// Outgoing connections.
    pub netcons: Vec<u32>,
    /// Spike times emitted during the run.
    pub spikes: Vec<f64>,
    /// Whether spikes are recorded in `spikes`.
    pub record: bool,
    flag: bool,
}

impl PreSyn {
    /// A source without connections.
    pub fn new(label: String, kind: SourceKind, record: bool) -> PreSyn {
        PreSyn { label, kind, netcons: Vec::new(), spikes: Vec::new(), record, flag: false }
    }
}

#[derive(Debug, Clone, Copy)]
struct PendingSelf {
    seq: u64,
    flag: f64,
    weights: *mut f64,
}

/// The event state of a simulation. Kernels reach it through [`Services`] with a pointer to it as
/// context, so the engine keeps it at a fixed address.
#[derive(Debug)]
pub struct EventSystem {
    /// Time of the event being delivered (or of the INITIAL block being run).
    pub t_now: f64,
    /// Connections.
    pub netcons: Vec<NetCon>,
    /// Weight vectors of all connections.
    pub weights: Vec<f64>,
    /// Spike sources.
    pub presyns: Vec<PreSyn>,
    /// First error raised inside a service (reported by the engine after the call).
    pub error: Option<String>,
    queue: BinaryHeap<Queued>,
    seq: u64,
    threshold_sources: Vec<u32>,
    presyn_of: Vec<Vec<u32>>,
    last_self: Vec<Vec<Option<PendingSelf>>>,
    cancelled: Vec<u64>,
    rngs: Vec<Vec<Rng>>,
    seed: u64,
}

impl EventSystem {
    /// An event system for mechanisms with the given instance counts.
    pub fn new(instance_counts: &[usize], seed: u64) -> EventSystem {
        EventSystem {
            t_now: 0.0,
            netcons: Vec::new(),
            weights: Vec::new(),
            presyns: Vec::new(),
            error: None,
            queue: BinaryHeap::with_capacity(1024),
            seq: 0,
            threshold_sources: Vec::new(),
            presyn_of: instance_counts.iter().map(|&n| vec![u32::MAX; n]).collect(),
            last_self: instance_counts.iter().map(|&n| vec![None; n]).collect(),
            cancelled: Vec::new(),
            rngs: instance_counts
                .iter()
                .enumerate()
                .map(|(m, &n)| (0..n).map(|i| Rng::stream(seed, ((m as u64) << 32) | i as u64)).collect())
                .collect(),
            seed,
        }
    }

    /// Adds a spike source; returns its index.
    pub fn add_presyn(&mut self, p: PreSyn) -> u32 {
        let idx = self.presyns.len() as u32;
        match &p.kind {
            SourceKind::Threshold { .. } => self.threshold_sources.push(idx),
            SourceKind::Mechanism { mech, instance } => {
                self.presyn_of[*mech as usize][*instance as usize] = idx;
            }
            SourceKind::Times(_) => {}
        }
        self.presyns.push(p);
        idx
    }

    /// The source of a mechanism instance, if one exists.
    pub fn presyn_of(&self, mech: u32, instance: u32) -> Option<u32> {
        let p = self.presyn_of[mech as usize][instance as usize];
        (p != u32::MAX).then_some(p)
    }

    /// Adds a connection with its initial weight vector; returns its index.
    pub fn add_netcon(&mut self, mut nc: NetCon, weights: &[f64]) -> u32 {
        nc.weight_offset = self.weights.len();
        nc.weight_len = weights.len();
        self.weights.extend_from_slice(weights);
        let idx = self.netcons.len() as u32;
        self.presyns[nc.source as usize].netcons.push(idx);
        self.netcons.push(nc);
        idx
    }

    /// Pointer to a connection's weight vector.
    pub fn weights_ptr(&mut self, netcon: u32) -> *mut f64 {
        let off = self.netcons[netcon as usize].weight_offset;
        // SAFETY: offset is within the vector (checked when the connection was added).
        unsafe { self.weights.as_mut_ptr().add(off) }
    }

    /// Empties the queue and resets sources (finitialize).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.cancelled.clear();
        self.t_now = 0.0;
        self.error = None;
        for p in &mut self.presyns {
            p.flag = false;
            p.spikes.clear();
        }
        for l in &mut self.last_self {
            l.fill(None);
        }
        for (m, rs) in self.rngs.iter_mut().enumerate() {
            for (i, r) in rs.iter_mut().enumerate() {
                *r = Rng::stream(self.seed, ((m as u64) << 32) | i as u64);
            }
        }
    }

    /// Queues an event; returns its sequence number.
    pub fn push(&mut self, t: f64, kind: EventKind) -> u64 {
        let seq = self.seq;
        self.seq += 1;
        self.queue.push(Queued { t, seq, kind });
        seq
    }

    /// Queues the spikes of every explicit-time source (finitialize).
    pub fn schedule_times(&mut self) {
        for p in 0..self.presyns.len() {
            if let SourceKind::Times(times) = &self.presyns[p].kind {
                let times = times.clone();
                for ts in times {
                    self.emit(p as u32, ts);
                }
            }
        }
    }

    /// A spike of source `p` at time `t`: record it and queue its deliveries.
    pub fn emit(&mut self, p: u32, t: f64) {
        let ps = &mut self.presyns[p as usize];
        if ps.record {
            ps.spikes.push(t);
        }
        // NEURON walks the connection list backwards; keep its order for ties.
        for k in (0..self.presyns[p as usize].netcons.len()).rev() {
            let nc = self.presyns[p as usize].netcons[k];
            let c = &self.netcons[nc as usize];
            if c.active {
                let te = t + c.delay;
                self.push(te, EventKind::NetCon(nc));
            }
        }
    }

    /// Threshold detection at time `t` (start of a step) on voltages `v`.
    pub fn check_thresholds(&mut self, t: f64, v: &[f64]) {
        for k in 0..self.threshold_sources.len() {
            let p = self.threshold_sources[k];
            let ps = &mut self.presyns[p as usize];
            if let SourceKind::Threshold { node, threshold } = ps.kind {
                if v[node as usize] - threshold > 0.0 {
                    if !ps.flag {
                        ps.flag = true;
                        self.emit(p, t + THRESHOLD_TEPS);
                    }
                } else {
                    ps.flag = false;
                }
            }
        }
    }

    /// Removes and returns the earliest event with `t_event ≤ tm`, skipping moved self-events.
    pub fn pop_due(&mut self, tm: f64) -> Option<(f64, EventKind)> {
        loop {
            let top = self.queue.peek()?;
            if top.t > tm {
                return None;
            }
            let q = self.queue.pop()?;
            if !self.cancelled.is_empty() {
                if let Some(pos) = self.cancelled.iter().position(|&s| s == q.seq) {
                    self.cancelled.swap_remove(pos);
                    continue;
                }
            }
            if let EventKind::SelfEvent { mech, instance, .. } = q.kind {
                let slot = &mut self.last_self[mech as usize][instance as usize];
                if slot.map(|s| s.seq) == Some(q.seq) {
                    *slot = None;
                }
            }
            return Some((q.t, q.kind));
        }
    }

    /// Number of queued events (including moved ones not yet discarded).
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The [`Services`] table with this system as context.
    pub fn services(this: *mut EventSystem) -> Services {
        Services {
            ctx: this as *mut c_void,
            net_send: svc_net_send,
            net_move: svc_net_move,
            net_event: svc_net_event,
            random_uniform: svc_random_uniform,
        }
    }

    fn set_error(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }
}

fn system<'a>(ctx: *mut c_void) -> &'a mut EventSystem {
    // SAFETY: `ctx` is the pointer the engine put in `Services::ctx`; the engine holds no other
    // reference to the event system while a kernel runs.
    unsafe { &mut *(ctx as *mut EventSystem) }
}

extern "C" fn svc_net_send(
    ctx: *mut c_void,
    mech: u32,
    instance: u64,
    weights: *mut f64,
    delay: f64,
    flag: f64,
) {
    let es = system(ctx);
    if !(delay >= 0.0) {
        es.set_error(format!("net_send with negative or undefined delay {delay} at t = {}", es.t_now));
        return;
    }
    let t = es.t_now + delay;
    let instance = instance as u32;
    let seq = es.push(t, EventKind::SelfEvent { mech, instance, flag, weights });
    if let Some(slot) = es.last_self.get_mut(mech as usize).and_then(|v| v.get_mut(instance as usize)) {
        *slot = Some(PendingSelf { seq, flag, weights });
    }
}

extern "C" fn svc_net_move(ctx: *mut c_void, mech: u32, instance: u64, tnew: f64) {
    let es = system(ctx);
    let instance = instance as u32;
    let Some(pending) =
        es.last_self.get(mech as usize).and_then(|v| v.get(instance as usize)).copied().flatten()
    else {
        es.set_error(format!("net_move at t = {} without a pending self-event", es.t_now));
        return;
    };
    if tnew < es.t_now {
        es.set_error(format!("net_move to {tnew}, earlier than the current time {}", es.t_now));
        return;
    }
    es.cancelled.push(pending.seq);
    let seq =
        es.push(tnew, EventKind::SelfEvent { mech, instance, flag: pending.flag, weights: pending.weights });
    es.last_self[mech as usize][instance as usize] = Some(PendingSelf { seq, ..pending });
}

extern "C" fn svc_net_event(ctx: *mut c_void, mech: u32, instance: u64, t: f64) {
    let es = system(ctx);
    if let Some(p) = es.presyn_of.get(mech as usize).and_then(|v| v.get(instance as usize)).copied() {
        if p != u32::MAX {
            es.emit(p, t);
        }
    }
}

extern "C" fn svc_random_uniform(ctx: *mut c_void, mech: u32, instance: u64) -> f64 {
    let es = system(ctx);
    match es.rngs.get_mut(mech as usize).and_then(|v| v.get_mut(instance as usize)) {
        Some(r) => r.uniform(),
        None => {
            es.set_error(format!(
                "random number requested for unknown instance {instance} of mechanism {mech}"
            ));
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_order_delivery_window_and_thresholds() {
        let mut es = EventSystem::new(&[2], 1);
        let src =
            es.add_presyn(PreSyn::new("c".into(), SourceKind::Threshold { node: 0, threshold: -10.0 }, true));
        es.add_netcon(
            NetCon {
                source: src,
                target_mech: 0,
                target_instance: 1,
                delay: 2.0,
                weight_offset: 0,
                weight_len: 0,
                active: true,
            },
            &[0.5],
        );
        es.check_thresholds(1.0, &[-20.0]);
        es.check_thresholds(1.025, &[5.0]);
        es.check_thresholds(1.05, &[6.0]); // still above: no second spike
        assert_eq!(es.presyns[0].spikes, vec![1.025 + THRESHOLD_TEPS]);
        es.push(0.5, EventKind::SelfEvent { mech: 0, instance: 0, flag: 1.0, weights: std::ptr::null_mut() });
        assert!(es.pop_due(0.4).is_none());
        assert!(matches!(es.pop_due(0.5), Some((t, EventKind::SelfEvent { .. })) if t == 0.5));
        assert!(es.pop_due(3.0).is_none());
        let (t, k) = es.pop_due(3.0251).unwrap();
        assert_eq!(t, 1.025 + THRESHOLD_TEPS + 2.0);
        assert_eq!(k, EventKind::NetCon(0));
        es.check_thresholds(1.1, &[-10.0]); // at threshold: flag clears
        es.check_thresholds(1.2, &[0.0]);
        assert_eq!(es.presyns[0].spikes.len(), 2);
    }

    #[test]
    fn services_send_move_and_event() {
        let mut es = Box::new(EventSystem::new(&[1], 1));
        let p = es.add_presyn(PreSyn::new("a".into(), SourceKind::Mechanism { mech: 0, instance: 0 }, true));
        assert_eq!(es.presyn_of(0, 0), Some(p));
        let ptr: *mut EventSystem = &mut *es;
        let s = EventSystem::services(ptr);
        es.t_now = 1.0;
        (s.net_send)(s.ctx, 0, 0, std::ptr::null_mut(), 2.0, 7.0);
        (s.net_move)(s.ctx, 0, 0, 5.0);
        (s.net_event)(s.ctx, 0, 0, 1.5);
        let u = (s.random_uniform)(s.ctx, 0, 0);
        assert!((0.0..1.0).contains(&u));
        assert!(es.pop_due(4.0).is_none());
        let (t, k) = es.pop_due(5.0).unwrap();
        assert_eq!(t, 5.0);
        assert!(matches!(k, EventKind::SelfEvent { flag, .. } if flag == 7.0));
        assert_eq!(es.presyns[0].spikes, vec![1.5]);
        (s.net_move)(s.ctx, 0, 0, 6.0);
        assert!(es.error.as_deref().unwrap_or("").contains("without a pending"));
    }
}
