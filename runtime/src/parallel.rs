//! A second thread for the mechanism phases of a step.
//!
//! Mechanism kernels are the bulk of a step's work, and instances on different nodes are
//! independent. The simulation splits the nodes in two halves; each kernel call over a mechanism's
//! instances becomes two calls over instance ranges, one per thread, and each thread processes
//! its half of the nodes for every mechanism in NEURON's order (so that a mechanism still sees
//! what an earlier one wrote at the same node in the same phase).
//!
//! Synchronisation is two atomics per phase: a step has two parallel phases and lasts tens of
//! microseconds, far too short for an OS wait, so the worker spins while a run is in progress and
//! parks itself after 20 ms without work.

use crate::abi::{KernelArgs, KernelFn};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};

/// One kernel call over a range of instances.
#[derive(Clone, Copy)]
pub struct Job {
    /// The kernel.
    pub kernel: KernelFn,
    /// Its argument block (count and pointers restricted to the range).
    pub args: KernelArgs,
}

impl Job {
    fn run(&self) {
        // SAFETY: the job's argument block describes live memory of a mechanism's instance range
        // (the simulation keeps it alive until both threads finished the phase).
        unsafe { (self.kernel)(&self.args) }
    }
}

struct Shared {
    epoch: AtomicU64,
    /// Epoch whose second job list has been taken (by the worker or by the owner).
    claimed: AtomicU64,
    done: AtomicU64,
    /// Nanoseconds the worker spent on its last chain.
    worker_nanos: AtomicU64,
    stop: AtomicBool,
    sleeping: AtomicBool,
    /// Park at once instead of spinning: the owner will not need the worker for a while.
    rest: AtomicBool,
    jobs: UnsafeCell<Vec<Job>>,
}

// SAFETY: `jobs` is written by the owning thread only while the worker is idle (it finished the
// previous epoch's chain, or the owner claimed that chain itself) and read by the worker only after
// it claimed the current epoch's chain; the Release/Acquire pairs on `epoch`, `claimed` and `done`
// order these accesses.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

/// The helper thread.
pub struct Worker {
    shared: Arc<Shared>,
    thread: Thread,
    handle: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").finish()
    }
}

/// How long the worker waits for work, spinning, before it parks itself: longer than the
/// one-thread trials of the engine (a few milliseconds), so that a worker the engine is about to
/// use again is awake (waking a parked thread takes tens of microseconds, the time of a phase).
const SPIN_BEFORE_PARK: std::time::Duration = std::time::Duration::from_millis(20);

impl Worker {
    /// Starts the helper thread, with room for `jobs` jobs per phase, and returns once it runs:
    /// a thread allocates while it starts (its name, its stack guard), and that must not fall
    /// into the first steps, which allocate nothing.
    pub fn new(jobs: usize) -> std::io::Result<Worker> {
        let shared = Arc::new(Shared {
            epoch: AtomicU64::new(0),
            claimed: AtomicU64::new(0),
            done: AtomicU64::new(0),
            worker_nanos: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            rest: AtomicBool::new(false),
            jobs: UnsafeCell::new(Vec::with_capacity(jobs)),
        });
        let s = shared.clone();
        let started = Arc::new(std::sync::Barrier::new(2));
        let on_start = started.clone();
        let handle = std::thread::Builder::new().name("myelin-worker".into()).spawn(move || {
            on_start.wait();
            drop(on_start);
            work(&s)
        })?;
        started.wait();
        let thread = handle.thread().clone();
        Ok(Worker { shared, thread, handle: Some(handle) })
    }

    /// Runs `mine` and `theirs` (each a chain of jobs that must run in order): `mine` on the
    /// calling thread, `theirs` on the worker — or on the calling thread too when the worker has
    /// not picked it up by the time `mine` is done (the worker may be descheduled on a busy
    /// machine; then nobody waits for it). Returns when both chains are done, with the seconds
    /// each thread spent on its chain when the worker ran one (for load balancing).
    pub fn run(&self, mine: &[Job], theirs: &[Job]) -> Option<(f64, f64)> {
        let s = &*self.shared;
        // SAFETY: the worker is idle (it stored `done` for the previous epoch, or never claimed
        // it), so nothing reads `jobs` now.
        unsafe {
            let jobs = &mut *s.jobs.get();
            jobs.clear();
            jobs.extend_from_slice(theirs);
        }
        s.rest.store(false, Ordering::Release);
        let epoch = s.epoch.fetch_add(1, Ordering::AcqRel) + 1;
        if s.sleeping.load(Ordering::Acquire) {
            self.thread.unpark();
        }
        let start = std::time::Instant::now();
        for j in mine {
            j.run();
        }
        let mine_secs = start.elapsed().as_secs_f64();
        if s.claimed.compare_exchange(epoch - 1, epoch, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            for j in theirs {
                j.run();
            }
            return None;
        }
        // The worker is running our second chain: wait, and give the processor away when it takes
        // long (the worker may have been preempted by another process on a busy machine).
        let mut spins = 0u32;
        while s.done.load(Ordering::Acquire) != epoch {
            spins += 1;
            if spins < 4096 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        Some((mine_secs, s.worker_nanos.load(Ordering::Acquire) as f64 * 1e-9))
    }
}

impl Worker {
    /// Tells the worker that it will not be needed for a while: it parks at once rather than
    /// spinning (a spinning worker takes a processor that another process, or the calling thread,
    /// could use). The next [`Worker::run`] wakes it.
    pub fn rest(&self) {
        self.shared.rest.store(true, Ordering::Release);
    }
}

fn work(s: &Shared) {
    let mut seen = 0u64;
    loop {
        let mut spins = 0u32;
        let mut idle_since = std::time::Instant::now();
        let epoch = loop {
            let e = s.epoch.load(Ordering::Acquire);
            if e != seen {
                break e;
            }
            spins = spins.wrapping_add(1);
            // Look at the clock only now and then: it costs more than a spin.
            if !spins.is_multiple_of(1024)
                || (idle_since.elapsed() < SPIN_BEFORE_PARK && !s.rest.load(Ordering::Acquire))
            {
                std::hint::spin_loop();
            } else {
                s.sleeping.store(true, Ordering::Release);
                if s.epoch.load(Ordering::Acquire) == seen {
                    std::thread::park();
                }
                s.sleeping.store(false, Ordering::Release);
                idle_since = std::time::Instant::now();
            }
        };
        if s.stop.load(Ordering::Acquire) {
            return;
        }
        seen = epoch;
        if s.claimed.compare_exchange(epoch - 1, epoch, Ordering::AcqRel, Ordering::Acquire).is_err() {
            // The owner ran the chain itself.
            continue;
        }
        // SAFETY: the owner filled `jobs` before publishing this epoch and does not touch it
        // until `done` reaches it.
        let jobs = unsafe { &*s.jobs.get() };
        let start = std::time::Instant::now();
        for j in jobs {
            j.run();
        }
        s.worker_nanos.store(start.elapsed().as_nanos() as u64, Ordering::Release);
        s.done.store(epoch, Ordering::Release);
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.epoch.fetch_add(1, Ordering::Release);
        self.thread.unpark();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Splits instances at `split_node`: the index of the first instance on a node ≥ `split_node`,
/// or None when the nodes are not in increasing order (then the mechanism runs whole on one
/// thread).
pub fn split_index(nodes: &[u32], split_node: u32) -> Option<usize> {
    if nodes.windows(2).any(|w| w[0] > w[1]) {
        return None;
    }
    Some(nodes.partition_point(|&n| n < split_node))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points() {
        assert_eq!(split_index(&[0, 1, 2, 5, 9], 3), Some(3));
        assert_eq!(split_index(&[0, 1, 2], 0), Some(0));
        assert_eq!(split_index(&[4, 5], 9), Some(2));
        assert_eq!(split_index(&[3, 1], 2), None);
    }
}
