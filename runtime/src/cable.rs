//! The cable matrix: NEURON's tree-structured linear system in structure-of-arrays form and its
//! Hines solution (`solve.cpp: triang, bksub`).
//!
//! Row `i` of the system reads `d[i]·x[i] + b[i]·x[parent(i)] + Σ_children a[c]·x[c] = rhs[i]`,
//! where `x` is the voltage change of the step. Because every parent has a smaller index than its
//! children, Gaussian elimination from the last node to the first needs no fill-in and the solve is
//! O(n) with two sweeps.

use crate::layout::Layout;

/// Matrix storage of all nodes.
///
/// Invariant (checked on construction): every node at index ≥ `n_roots` has a parent with a
/// smaller index, and all columns have one entry per node.
#[derive(Debug, Clone)]
pub struct Cable {
    n_roots: usize,
    parent: Vec<u32>,
    a: Vec<f64>,
    b: Vec<f64>,
    d: Vec<f64>,
    rhs: Vec<f64>,
    /// Order of the elimination steps (non-root nodes), interleaved: see [`interleaved_orders`].
    eliminate: Vec<u32>,
    /// Order of the back-substitution steps (non-root nodes), interleaved likewise.
    substitute: Vec<u32>,
    /// Children of each node (for the axial terms each row pulls in).
    kids: ChildLists,
}

/// Independent steps placed side by side in the solve's orders: enough for the processor to
/// overlap that many dependency chains (each step's division has a latency of ~13 cycles).
const INTERLEAVE: usize = 8;

/// Orders of the two sweeps in which consecutive steps are independent, so that the processor
/// overlaps the dependency chains of different branches; NEURON goes through the nodes one
/// branch after another, and each node waits for the one before. Results are bit-identical to
/// NEURON's order: every step computes the same operations on the same values, because a step
/// comes after every step it depends on. An elimination step (node `i` into its parent `p`)
/// depends on the steps of `i`'s children, which complete `i`'s row, and on the step of the
/// sibling that NEURON eliminates into `p` just before `i` (the next larger index), which keeps
/// the order of the subtractions from `p`'s row. A substitution step depends on its parent's.
fn interleaved_orders(n_roots: usize, parent: &[u32], kids: &ChildLists) -> (Vec<u32>, Vec<u32>) {
    let n = parent.len();
    // For each node: the steps it still waits for (its children's, and its next larger
    // sibling's), and the smaller sibling that waits for it.
    let mut pending = vec![0u32; n];
    let mut waits_for_me = vec![u32::MAX; n];
    for p in 0..n {
        let c = kids.of(p);
        pending[p] += c.len() as u32;
        for w in c.windows(2) {
            waits_for_me[w[1] as usize] = w[0];
            pending[w[0] as usize] += 1;
        }
    }
    let mut eliminate = Vec::with_capacity(n - n_roots);
    let mut ready: std::collections::BinaryHeap<u32> =
        (n_roots..n).filter(|&i| pending[i] == 0).map(|i| i as u32).collect();
    let mut round = Vec::with_capacity(INTERLEAVE);
    while !ready.is_empty() {
        // A round of independent steps, largest indices first (close to NEURON's order); the
        // steps they release wait for the next round.
        round.clear();
        while round.len() < INTERLEAVE {
            match ready.pop() {
                Some(i) => round.push(i),
                None => break,
            }
        }
        eliminate.extend_from_slice(&round);
        for &i in &round {
            for w in [parent[i as usize], waits_for_me[i as usize]] {
                let w = w as usize;
                if w < n {
                    pending[w] -= 1;
                    if pending[w] == 0 && w >= n_roots {
                        ready.push(w as u32);
                    }
                }
            }
        }
    }
    let mut substitute = Vec::with_capacity(n - n_roots);
    let mut ready: std::collections::VecDeque<u32> =
        (0..n_roots).flat_map(|r| kids.of(r).iter().copied()).collect();
    while !ready.is_empty() {
        for _ in 0..ready.len().min(INTERLEAVE) {
            let i = ready.pop_front().expect("at most len steps");
            substitute.push(i);
            ready.extend(kids.of(i as usize).iter().copied());
        }
    }
    (eliminate, substitute)
}

/// The children of every node, by increasing index (compressed rows).
#[derive(Debug, Clone)]
struct ChildLists {
    /// `list[start[i]..start[i + 1]]` are node `i`'s children.
    start: Vec<u32>,
    list: Vec<u32>,
}

impl ChildLists {
    fn new(n_roots: usize, parent: &[u32]) -> ChildLists {
        let n = parent.len();
        let mut start = vec![0u32; n + 1];
        for &p in &parent[n_roots..] {
            start[p as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut list = vec![0u32; n - n_roots];
        for (i, &p) in parent.iter().enumerate().skip(n_roots) {
            list[next[p as usize] as usize] = i as u32;
            next[p as usize] += 1;
        }
        ChildLists { start, list }
    }

    fn of(&self, i: usize) -> &[u32] {
        &self.list[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

impl Cable {
    /// A matrix with the topology and coefficients of a layout.
    pub fn new(layout: &Layout) -> Cable {
        Cable::from_parts(layout.n_cells, layout.parent.clone(), layout.a.clone(), layout.b.clone())
    }

    /// A matrix from its parts. Panics if the invariant does not hold (a bug in the caller: the
    /// layout always produces valid parts).
    pub fn from_parts(n_roots: usize, parent: Vec<u32>, a: Vec<f64>, b: Vec<f64>) -> Cable {
        let n = parent.len();
        assert!(n_roots <= n && a.len() == n && b.len() == n, "cable columns of different lengths");
        assert!(
            parent[n_roots..].iter().enumerate().all(|(k, &p)| (p as usize) < n_roots + k),
            "every parent must precede its children"
        );
        let kids = ChildLists::new(n_roots, &parent);
        let (eliminate, substitute) = interleaved_orders(n_roots, &parent, &kids);
        Cable { n_roots, parent, a, b, d: vec![0.0; n], rhs: vec![0.0; n], eliminate, substitute, kids }
    }

    /// Right-hand side; holds the solution (the voltage change) after [`Cable::solve`].
    pub fn rhs(&self) -> &[f64] {
        &self.rhs
    }

    /// Mutable right-hand side.
    pub fn rhs_mut(&mut self) -> &mut [f64] {
        &mut self.rhs
    }

    /// Mutable diagonal.
    pub fn d_mut(&mut self) -> &mut [f64] {
        &mut self.d
    }

    /// Diagonal and right-hand side together (for assembly).
    pub fn d_rhs_mut(&mut self) -> (&mut [f64], &mut [f64]) {
        (&mut self.d, &mut self.rhs)
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True when there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// Adds the axial currents `a·(v_parent − v)` to the right-hand side (treeset.cpp: nrn_rhs)
    /// and the axial conductances to the diagonal (nrn_lhs).
    ///
    /// NEURON pushes each node's terms into its own row and its parent's, node by node; a row
    /// thus receives its own term first, then its children's by increasing index. Here each row
    /// pulls its terms in that same order, so the sums are bit-identical, but rows no longer wait
    /// for each other through memory and each is stored once.
    pub fn add_axial(&mut self, v: &[f64]) {
        let n = self.parent.len();
        assert_eq!(v.len(), n);
        let (parent, a, b, v) = (self.parent.as_ptr(), self.a.as_ptr(), self.b.as_ptr(), v.as_ptr());
        let (start, children) = (self.kids.start.as_ptr(), self.kids.list.as_ptr());
        let (d, rhs) = (self.d.as_mut_ptr(), self.rhs.as_mut_ptr());
        // SAFETY: every index is below n (struct invariant, the length check above, and the
        // child lists built from the parents).
        unsafe {
            for i in 0..n {
                let (mut r, mut dd) = (*rhs.add(i), *d.add(i));
                let vi = *v.add(i);
                if i >= self.n_roots {
                    let dv = *v.add(*parent.add(i) as usize) - vi;
                    r -= *b.add(i) * dv;
                    dd -= *b.add(i);
                }
                for k in *start.add(i)..*start.add(i + 1) {
                    let c = *children.add(k as usize) as usize;
                    let dv = vi - *v.add(c);
                    r += *a.add(c) * dv;
                    dd -= *a.add(c);
                }
                *rhs.add(i) = r;
                *d.add(i) = dd;
            }
        }
    }

    /// Solves the system in place: afterwards `rhs` holds the solution.
    pub fn solve(&mut self) {
        let r = self.n_roots;
        let (parent, a, b) = (self.parent.as_ptr(), self.a.as_ptr(), self.b.as_ptr());
        let (d, rhs) = (self.d.as_mut_ptr(), self.rhs.as_mut_ptr());
        // SAFETY: all arrays have one entry per node, the orders hold non-root nodes, and every
        // parent index is below its child's (struct invariant), so every access is in bounds.
        unsafe {
            // Eliminate children into parents, leaves first.
            for &i in &self.eliminate {
                let i = i as usize;
                let p = *parent.add(i) as usize;
                let f = *a.add(i) / *d.add(i);
                *d.add(p) -= f * *b.add(i);
                *rhs.add(p) -= f * *rhs.add(i);
            }
            for i in 0..r {
                *rhs.add(i) /= *d.add(i);
            }
            for &i in &self.substitute {
                let i = i as usize;
                let p = *parent.add(i) as usize;
                *rhs.add(i) = (*rhs.add(i) - *b.add(i) * *rhs.add(p)) / *d.add(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform numbers in [0, 1) from a xorshift generator (reproducible test trees).
    fn uniform(mut s: u64) -> impl FnMut() -> f64 {
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Parents of a random forest of `n_roots` trees and up to `most` more nodes: sections as
    /// chains, branching at random earlier nodes (some nodes get many children).
    fn random_tree(rand: &mut impl FnMut() -> f64, n_roots: usize, most: usize) -> Vec<u32> {
        let n = n_roots + (rand() * most as f64) as usize;
        (0..n)
            .map(|i| {
                if i < n_roots {
                    u32::MAX
                } else if rand() < 0.8 && i > n_roots {
                    (i - 1) as u32
                } else {
                    (rand() * i as f64) as u32
                }
            })
            .collect()
    }

    /// NEURON's `triang` and `bksub`, node by node in index order.
    fn solve_in_neuron_order(
        n_roots: usize,
        parent: &[u32],
        a: &[f64],
        b: &[f64],
        d: &mut [f64],
        rhs: &mut [f64],
    ) {
        for i in (n_roots..parent.len()).rev() {
            let p = parent[i] as usize;
            let f = a[i] / d[i];
            d[p] -= f * b[i];
            rhs[p] -= f * rhs[i];
        }
        for i in 0..n_roots {
            rhs[i] /= d[i];
        }
        for i in n_roots..parent.len() {
            let p = parent[i] as usize;
            rhs[i] -= b[i] * rhs[p];
            rhs[i] /= d[i];
        }
    }

    #[test]
    fn interleaved_solve_is_bit_identical_to_neuron_order() {
        let mut rand = uniform(0x2545_F491_4F6C_DD1D);
        for case in 0..200 {
            let parent = random_tree(&mut rand, 1 + case % 3, 300);
            let (n_roots, n) = (1 + case % 3, parent.len());
            let a: Vec<f64> = (0..n).map(|_| -rand() - 0.1).collect();
            let b: Vec<f64> = (0..n).map(|_| -rand() - 0.1).collect();
            let d0: Vec<f64> = (0..n).map(|_| 4.0 + 3.0 * rand()).collect();
            let r0: Vec<f64> = (0..n).map(|_| rand() - 0.5).collect();
            let mut c = Cable::from_parts(n_roots, parent.clone(), a.clone(), b.clone());
            c.d_mut().copy_from_slice(&d0);
            c.rhs_mut().copy_from_slice(&r0);
            c.solve();
            let (mut d, mut rhs) = (d0.clone(), r0.clone());
            solve_in_neuron_order(n_roots, &parent, &a, &b, &mut d, &mut rhs);
            for i in 0..n {
                assert_eq!(c.rhs()[i].to_bits(), rhs[i].to_bits(), "case {case}, node {i}");
                assert_eq!(c.d[i].to_bits(), d[i].to_bits(), "case {case}, node {i} (diagonal)");
            }
        }
    }

    #[test]
    fn axial_terms_are_bit_identical_to_neuron_order() {
        let mut rand = uniform(0x9E37_79B9_7F4A_7C15);
        for case in 0..100 {
            let parent = random_tree(&mut rand, 1 + case % 2, 200);
            let (n_roots, n) = (1 + case % 2, parent.len());
            let a: Vec<f64> = (0..n).map(|_| -rand()).collect();
            let b: Vec<f64> = (0..n).map(|_| -rand()).collect();
            let v: Vec<f64> = (0..n).map(|_| -70.0 + 30.0 * rand()).collect();
            let d0: Vec<f64> = (0..n).map(|_| rand()).collect();
            let r0: Vec<f64> = (0..n).map(|_| rand() - 0.5).collect();
            let mut c = Cable::from_parts(n_roots, parent.clone(), a.clone(), b.clone());
            c.d_mut().copy_from_slice(&d0);
            c.rhs_mut().copy_from_slice(&r0);
            c.add_axial(&v);
            // treeset.cpp's nrn_rhs and nrn_lhs, node by node.
            let (mut d, mut rhs) = (d0, r0);
            for i in n_roots..n {
                let p = parent[i] as usize;
                let dv = v[p] - v[i];
                rhs[i] -= b[i] * dv;
                rhs[p] += a[i] * dv;
                d[i] -= b[i];
                d[p] -= a[i];
            }
            for i in 0..n {
                assert_eq!(c.rhs()[i].to_bits(), rhs[i].to_bits(), "case {case}, node {i}");
                assert_eq!(c.d[i].to_bits(), d[i].to_bits(), "case {case}, node {i} (diagonal)");
            }
        }
    }

    #[test]
    fn orders_hold_every_non_root_node_once() {
        let parent = vec![u32::MAX, 0, 1, 1, 0, 4, 4, 4, 2];
        let (e, s) = interleaved_orders(1, &parent, &ChildLists::new(1, &parent));
        for order in [e, s] {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (1..parent.len() as u32).collect::<Vec<_>>());
        }
    }

    #[test]
    fn solves_a_small_tree_exactly() {
        // Tree: 0 root; 1,2 children of 0; 3 child of 1.
        let mut c = Cable::from_parts(
            1,
            vec![u32::MAX, 0, 0, 1],
            vec![0.0, -1.0, -0.5, -2.0],
            vec![0.0, -1.5, -0.25, -0.75],
        );
        c.d_mut().copy_from_slice(&[4.0, 5.0, 3.0, 6.0]);
        c.rhs_mut().copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
        // Dense matrix for checking.
        let mut m = [[0.0f64; 4]; 4];
        for i in 0..4 {
            m[i][i] = [4.0, 5.0, 3.0, 6.0][i];
        }
        for i in 1..4 {
            let p = [0, 0, 0, 1][i];
            m[p][i] = [0.0, -1.0, -0.5, -2.0][i];
            m[i][p] = [0.0, -1.5, -0.25, -0.75][i];
        }
        let rhs0 = c.rhs().to_vec();
        c.solve();
        for i in 0..4 {
            let s: f64 = (0..4).map(|j| m[i][j] * c.rhs()[j]).sum();
            assert!((s - rhs0[i]).abs() < 1e-14, "row {i}: {s} vs {}", rhs0[i]);
        }
    }
}
