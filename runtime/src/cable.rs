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
        Cable { n_roots, parent, a, b, d: vec![0.0; n], rhs: vec![0.0; n] }
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
    pub fn add_axial(&mut self, v: &[f64]) {
        let n = self.parent.len();
        assert_eq!(v.len(), n);
        let (parent, a, b) = (self.parent.as_ptr(), self.a.as_ptr(), self.b.as_ptr());
        let (d, rhs, v) = (self.d.as_mut_ptr(), self.rhs.as_mut_ptr(), v.as_ptr());
        // SAFETY: every index is below n (struct invariant and the length check above).
        unsafe {
            for i in self.n_roots..n {
                let p = *parent.add(i) as usize;
                let dv = *v.add(p) - *v.add(i);
                *rhs.add(i) -= *b.add(i) * dv;
                *rhs.add(p) += *a.add(i) * dv;
                *d.add(i) -= *b.add(i);
                *d.add(p) -= *a.add(i);
            }
        }
    }

    /// Solves the system in place: afterwards `rhs` holds the solution.
    pub fn solve(&mut self) {
        let n = self.parent.len();
        let r = self.n_roots;
        let (parent, a, b) = (self.parent.as_ptr(), self.a.as_ptr(), self.b.as_ptr());
        let (d, rhs) = (self.d.as_mut_ptr(), self.rhs.as_mut_ptr());
        // SAFETY: all arrays have n entries and every parent index is below its child's (struct
        // invariant), so every access is in bounds.
        //
        // The sweeps are serial dependency chains (within a section each node's parent is the node
        // before it). The value just computed for the parent is kept in a register and reused when
        // the next node is that parent, instead of being reloaded right after its store: the same
        // numbers, without the store-to-load latency on the chain.
        unsafe {
            // Eliminate children into parents, leaves first.
            let (mut held, mut held_d, mut held_rhs) = (usize::MAX, 0.0, 0.0);
            for i in (r..n).rev() {
                let (di, ri) = if held == i { (held_d, held_rhs) } else { (*d.add(i), *rhs.add(i)) };
                let p = *parent.add(i) as usize;
                let f = *a.add(i) / di;
                let dp = *d.add(p) - f * *b.add(i);
                let rp = *rhs.add(p) - f * ri;
                *d.add(p) = dp;
                *rhs.add(p) = rp;
                (held, held_d, held_rhs) = (p, dp, rp);
            }
            for i in 0..r {
                *rhs.add(i) /= *d.add(i);
            }
            let (mut held, mut held_x) = (usize::MAX, 0.0);
            for i in r..n {
                let p = *parent.add(i) as usize;
                let xp = if held == p { held_x } else { *rhs.add(p) };
                let x = (*rhs.add(i) - *b.add(i) * xp) / *d.add(i);
                *rhs.add(i) = x;
                (held, held_x) = (i, x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
