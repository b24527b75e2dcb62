//! The cable matrix: NEURON's tree-structured linear system in structure-of-arrays form and its
//! Hines solution (`solve.cpp: triang, bksub`).
//!
//! Row `i` of the system reads `d[i]·x[i] + b[i]·x[parent(i)] + Σ_children a[c]·x[c] = rhs[i]`,
//! where `x` is the voltage change of the step. Because every parent has a smaller index than its
//! children, Gaussian elimination from the last node to the first needs no fill-in and the solve is
//! O(n) with two sweeps.

use crate::layout::Layout;

/// Matrix storage of all nodes.
#[derive(Debug, Clone)]
pub struct Cable {
    /// Number of root nodes (they come first and have no parent).
    pub n_roots: usize,
    /// Parent of every node (valid for indices ≥ `n_roots`).
    pub parent: Vec<u32>,
    /// Off-diagonal: coefficient of node i in its parent's row.
    pub a: Vec<f64>,
    /// Off-diagonal: coefficient of the parent in node i's row.
    pub b: Vec<f64>,
    /// Diagonal.
    pub d: Vec<f64>,
    /// Right-hand side; holds the solution after [`Cable::solve`].
    pub rhs: Vec<f64>,
}

impl Cable {
    /// A matrix with the topology and coefficients of a layout.
    pub fn new(layout: &Layout) -> Cable {
        let n = layout.n_nodes();
        Cable {
            n_roots: layout.n_cells,
            parent: layout.parent.clone(),
            a: layout.a.clone(),
            b: layout.b.clone(),
            d: vec![0.0; n],
            rhs: vec![0.0; n],
        }
    }

    /// Adds the axial currents `a·(v_parent − v)` to the right-hand side (treeset.cpp: nrn_rhs).
    pub fn add_axial_rhs(&mut self, v: &[f64]) {
        let (parent, a, b, rhs) = (&self.parent, &self.a, &self.b, &mut self.rhs);
        for i in self.n_roots..parent.len() {
            let p = parent[i] as usize;
            let dv = v[p] - v[i];
            rhs[i] -= b[i] * dv;
            rhs[p] += a[i] * dv;
        }
    }

    /// Adds the axial conductances to the diagonal (treeset.cpp: nrn_lhs).
    pub fn add_axial_d(&mut self) {
        let (parent, a, b, d) = (&self.parent, &self.a, &self.b, &mut self.d);
        for i in self.n_roots..parent.len() {
            d[i] -= b[i];
            d[parent[i] as usize] -= a[i];
        }
    }

    /// Solves the system in place: afterwards `rhs` holds the solution.
    pub fn solve(&mut self) {
        let (parent, a, b, d, rhs) = (&self.parent, &self.a, &self.b, &mut self.d, &mut self.rhs);
        let n = parent.len();
        // Eliminate children into parents, leaves first.
        for i in (self.n_roots..n).rev() {
            let p = parent[i] as usize;
            let f = a[i] / d[i];
            d[p] -= f * b[i];
            rhs[p] -= f * rhs[i];
        }
        for i in 0..self.n_roots {
            rhs[i] /= d[i];
        }
        for i in self.n_roots..n {
            let p = parent[i] as usize;
            rhs[i] -= b[i] * rhs[p];
            rhs[i] /= d[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_small_tree_exactly() {
        // Tree: 0 root; 1,2 children of 0; 3 child of 1.
        let mut c = Cable {
            n_roots: 1,
            parent: vec![u32::MAX, 0, 0, 1],
            a: vec![0.0, -1.0, -0.5, -2.0],
            b: vec![0.0, -1.5, -0.25, -0.75],
            d: vec![4.0, 5.0, 3.0, 6.0],
            rhs: vec![1.0, 2.0, 3.0, 4.0],
        };
        // Dense matrix for checking.
        let mut m = [[0.0f64; 4]; 4];
        for i in 0..4 {
            m[i][i] = c.d[i];
        }
        for i in 1..4 {
            let p = c.parent[i] as usize;
            m[p][i] = c.a[i];
            m[i][p] = c.b[i];
        }
        let rhs0 = c.rhs.clone();
        c.solve();
        for i in 0..4 {
            let s: f64 = (0..4).map(|j| m[i][j] * c.rhs[j]).sum();
            assert!((s - rhs0[i]).abs() < 1e-14, "row {i}: {s} vs {}", rhs0[i]);
        }
    }
}
