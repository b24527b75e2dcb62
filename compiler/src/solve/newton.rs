//! Newton's method for the implicit systems of derivimplicit, sparse (KINETIC), STEADYSTATE and
//! LINEAR/NONLINEAR blocks, solved per instance.
//!
//! The Jacobian is formed by central differences as NEURON's scopmath `newton` does for
//! derivimplicit (perturbation max(|0.02·x|, 1e-6)); KINETIC systems use a small relative
//! perturbation (their equations are mass-action polynomials, for which central differences are
//! exact up to rounding when linear). The linear solves use Gaussian elimination with partial
//! pivoting. Generated code calls [`myelin_newton`]; the interpreter calls [`solve`].

use myelin_runtime::abi::KernelArgs;

/// Residual function generated for an implicit system:
/// `f = F(x)` for the instance, given the unknowns `x` and their values `x_old` at the start.
pub type ResidualFn = unsafe extern "C" fn(
    args: *const KernelArgs,
    instance: u64,
    x: *const f64,
    x_old: *const f64,
    f: *mut f64,
);

/// Newton parameters per kind of system.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Relative perturbation of the finite-difference Jacobian.
    pub h_rel: f64,
    /// Smallest perturbation.
    pub h_min: f64,
    /// Convergence: max |Δx| / max(|x|, 1e-8) below this.
    pub tol: f64,
    /// Iteration limit.
    pub max_iter: u32,
}

/// derivimplicit (scopmath newton): 2 % perturbation, relative change 1e-6, 50 iterations.
pub const DERIVIMPLICIT: Params = Params { h_rel: 0.02, h_min: 1e-6, tol: 1e-6, max_iter: 50 };
/// sparse / steady state / equations: NEURON iterates until Σ|Δ| ≤ 1e-6, at most 20 times; a
/// tighter test costs one more iteration and keeps results within rounding of an exact solve.
pub const SPARSE: Params = Params { h_rel: 1e-7, h_min: 1e-12, tol: 1e-12, max_iter: 20 };

/// Workspace size in doubles for `n` unknowns.
pub fn work_len(n: usize) -> usize {
    n * n + 4 * n
}

/// Solves F(x) = 0 starting from `x` (updated in place). Returns the number of iterations, or
/// None when it did not converge (x then holds the last iterate).
pub fn solve(
    n: usize,
    x: &mut [f64],
    work: &mut [f64],
    p: Params,
    residual: &mut dyn FnMut(&[f64], &mut [f64]),
) -> Option<u32> {
    let (jac, rest) = work.split_at_mut(n * n);
    let (f, rest) = rest.split_at_mut(n);
    let (fp, rest) = rest.split_at_mut(n);
    let (dx, rest) = rest.split_at_mut(n);
    let xt = &mut rest[..n];
    for it in 0..p.max_iter {
        for j in 0..n {
            let h = (p.h_rel * x[j].abs()).max(p.h_min);
            xt.copy_from_slice(x);
            xt[j] = x[j] + h;
            residual(xt, fp);
            xt[j] = x[j] - h;
            residual(xt, dx);
            for i in 0..n {
                jac[i * n + j] = (fp[i] - dx[i]) / (2.0 * h);
            }
        }
        // The residual at x itself comes last: a block's assignments (e.g. a pump current
        // computed from f_flux inside KINETIC) must keep the values of this evaluation, as in
        // NEURON, whose solvers evaluate the block once per iteration at the iterate, not
        // those of a perturbed one.
        residual(x, f);
        for i in 0..n {
            dx[i] = -f[i];
        }
        if !gauss_solve(n, jac, dx) {
            return None;
        }
        let mut change: f64 = 0.0;
        for i in 0..n {
            x[i] += dx[i];
            change = change.max(dx[i].abs() / x[i].abs().max(1e-8));
        }
        if change <= p.tol {
            return Some(it + 1);
        }
    }
    None
}

/// Solves `a·y = b` in place (b becomes y) by Gaussian elimination with partial pivoting.
/// Returns false for a singular matrix.
pub fn gauss_solve(n: usize, a: &mut [f64], b: &mut [f64]) -> bool {
    for col in 0..n {
        let mut piv = col;
        for r in col + 1..n {
            if a[r * n + col].abs() > a[piv * n + col].abs() {
                piv = r;
            }
        }
        if a[piv * n + col] == 0.0 {
            return false;
        }
        if piv != col {
            for c in 0..n {
                a.swap(piv * n + c, col * n + c);
            }
            b.swap(piv, col);
        }
        let d = a[col * n + col];
        for r in col + 1..n {
            let factor = a[r * n + col] / d;
            if factor != 0.0 {
                for c in col..n {
                    a[r * n + c] -= factor * a[col * n + c];
                }
                b[r] -= factor * b[col];
            }
        }
    }
    for r in (0..n).rev() {
        let mut s = b[r];
        for c in r + 1..n {
            s -= a[r * n + c] * b[c];
        }
        b[r] = s / a[r * n + r];
    }
    true
}

/// Entry point for generated code. `kind` 0 = derivimplicit parameters, 1 = sparse.
///
/// # Safety
/// `x` and `x_old` hold `n` doubles, `work` holds [`work_len`]`(n)`; `residual` and `args` are
/// valid for the call.
pub unsafe extern "C" fn myelin_newton(
    residual: ResidualFn,
    args: *const KernelArgs,
    instance: u64,
    n: u64,
    x: *mut f64,
    x_old: *const f64,
    work: *mut f64,
    kind: u32,
) -> i32 {
    let n = n as usize;
    // SAFETY: the caller guarantees the sizes (generated code reserves stack slots for them).
    let (xs, work) =
        unsafe { (std::slice::from_raw_parts_mut(x, n), std::slice::from_raw_parts_mut(work, work_len(n))) };
    let params = if kind == 0 { DERIVIMPLICIT } else { SPARSE };
    let mut f = |xv: &[f64], out: &mut [f64]| {
        // SAFETY: residual writes n doubles to out and reads n from xv and x_old.
        unsafe { residual(args, instance, xv.as_ptr(), x_old, out.as_mut_ptr()) }
    };
    match solve(n, xs, work, params, &mut f) {
        Some(_) => 0,
        None => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_linear_system_exactly() {
        // 2x + y = 5, x - 3y = -8  →  x = 1, y = 3
        let mut x = [0.0, 0.0];
        let mut w = vec![0.0; work_len(2)];
        let it = solve(2, &mut x, &mut w, SPARSE, &mut |x, f| {
            f[0] = 2.0 * x[0] + x[1] - 5.0;
            f[1] = x[0] - 3.0 * x[1] + 8.0;
        });
        assert!(it.is_some());
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 3.0).abs() < 1e-12, "{x:?}");
    }

    #[test]
    fn backward_euler_of_logistic_step() {
        // x' = x(1-x), BE: x - x0 - dt*x(1-x) = 0 has a closed-form root.
        let (x0, dt) = (0.2_f64, 0.5_f64);
        let mut x = [x0];
        let mut w = vec![0.0; work_len(1)];
        solve(1, &mut x, &mut w, DERIVIMPLICIT, &mut |x, f| f[0] = x[0] * (1.0 - x[0]) - (x[0] - x0) / dt)
            .expect("converges");
        // dt x² + (1 - dt) x - x0 = 0
        let exact = (-(1.0 - dt) + ((1.0 - dt) * (1.0 - dt) + 4.0 * dt * x0).sqrt()) / (2.0 * dt);
        assert!((x[0] - exact).abs() < 1e-9 * exact, "{} vs {exact}", x[0]);
    }

    #[test]
    fn singular_system_is_reported() {
        let mut a = [1.0, 2.0, 2.0, 4.0];
        let mut b = [1.0, 2.0];
        assert!(!gauss_solve(2, &mut a, &mut b));
    }
}
