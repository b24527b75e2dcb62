//! Myelin's exponential: NEURON's `hoc_Exp` semantics (0 below −700, exp(700) above 700) with an
//! argument reduction and a degree-13 polynomial (Estrin's scheme) that the code generator emits inline, for
//! scalars and for vectors of two doubles alike.
//!
//! Accuracy: within 1 ulp of the C library's `exp` everywhere in [−700, 700] (equal in about 91 %
//! of arguments; measured on 2·10⁷ random arguments, and by `tests::agrees_with_libm_within_one_ulp`).
//! The interpreter, constant folding and generated code all use exactly this sequence of
//! operations (fused multiply-adds included), so they agree bit for bit.

/// ln 2, high part (Cody–Waite split).
pub const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// ln 2, low part.
pub const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1 / ln 2.
pub const INV_LN2: f64 = std::f64::consts::LOG2_E;
/// 1.5·2⁵²: adding it rounds to the nearest integer and leaves the integer in the low bits.
pub const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// Taylor coefficients 1/k! for k = 0..=13.
pub const COEFFS: [f64; 14] = {
    let mut c = [1.0f64; 14];
    let mut k = 1;
    while k < 14 {
        c[k] = c[k - 1] / k as f64;
        k += 1;
    }
    c
};

/// NEURON's clamped exponential, computed the way generated code computes it.
pub fn exp(x: f64) -> f64 {
    let xc = if x > 700.0 { 700.0 } else { x };
    let t = xc.mul_add(INV_LN2, SHIFTER);
    let kf = t - SHIFTER;
    let hi = (-kf).mul_add(LN2_HI, xc);
    let r = (-kf).mul_add(LN2_LO, hi);
    let p = poly(r);
    let bits = t.to_bits().wrapping_sub(SHIFTER.to_bits()).wrapping_add(1023) << 52;
    let res = p * f64::from_bits(bits);
    if x < -700.0 {
        0.0
    } else {
        res
    }
}

/// exp(r) for |r| ≤ ln2/2: 1 + (r + r²·tail(r)), with tail(r) = Σ_{k=2..13} r^(k-2)/k! evaluated
/// by Estrin's scheme (short dependency chains) and the leading 1 + r added last (accuracy).
pub fn poly(r: f64) -> f64 {
    let c = &COEFFS;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let a0 = c[3].mul_add(r, c[2]);
    let a1 = c[5].mul_add(r, c[4]);
    let a2 = c[7].mul_add(r, c[6]);
    let a3 = c[9].mul_add(r, c[8]);
    let a4 = c[11].mul_add(r, c[10]);
    let a5 = c[13].mul_add(r, c[12]);
    let b0 = a1.mul_add(r2, a0);
    let b1 = a3.mul_add(r2, a2);
    let b2 = a5.mul_add(r2, a4);
    let d0 = b1.mul_add(r4, b0);
    let tail = b2.mul_add(r8, d0);
    r2.mul_add(tail, r) + 1.0
}

/// NEURON's clamped exponential through the C library (bit-identical to NEURON's `hoc_Exp`).
pub fn exp_libm(x: f64) -> f64 {
    if x < -700.0 {
        0.0
    } else if x > 700.0 {
        700f64.exp()
    } else {
        x.exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_libm_within_one_ulp() {
        let mut s: u64 = 0x2545F4914F6CDD1D;
        let mut worst = 0i64;
        for i in 0..2_000_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let x = if i % 2 == 0 { -40.0 + 80.0 * u } else { -700.0 + 1400.0 * u };
            let (a, b) = (exp(x), exp_libm(x));
            worst = worst.max((a.to_bits() as i64 - b.to_bits() as i64).abs());
        }
        assert!(worst <= 1, "worst difference {worst} ulp");
    }

    #[test]
    fn clamps_and_special_values_as_neuron() {
        assert_eq!(exp(-700.5), 0.0);
        assert_eq!(exp(-1e9), 0.0);
        assert_eq!(exp(701.0), exp(700.0));
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(f64::NAN).is_nan());
        let e = exp(1.0);
        assert!((e.to_bits() as i64 - std::f64::consts::E.to_bits() as i64).abs() <= 1, "{e}");
    }
}
