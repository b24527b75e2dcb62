//! Myelin's exponential: NEURON's `hoc_Exp` semantics (0 below −700, exp(700) above 700), computed
//! so that the result is the C library's `exp` bit for bit, and cheap enough to inline in every
//! kernel, for scalars and for vectors of two doubles alike.
//!
//! The algorithm is the table-driven one published with ARM's optimized-routines and used by
//! glibc (since 2.28): x = (k + j/128)·ln2 + r with |r| ≤ ln2/256, exp(x) = 2^k · 2^(j/128) ·
//! exp(r), 2^(j/128) from a 128-entry table (computed by `tools/exp/gen_table.py`), exp(r) − 1 by
//! a degree-5 polynomial whose coefficients are the published minimax ones, and the final scaling
//! by an integer add to the exponent bits. The operations, and which of them are fused
//! multiply-adds, are those of glibc's FMA build (what x86-64 machines with FMA run), so that the
//! result equals the library's on every argument: `tests::equals_libm` checks 3·10⁶ arguments
//! here, and a run over 5·10⁷ found no difference. Arguments with |x| ≥ 512 or |x| < 2⁻⁵⁴ (and
//! NaN) take a slower path with the library's special-case scaling; generated code branches to a
//! call of [`exp`] for those.
//!
//! The interpreter, constant folding and generated code all use exactly this sequence of
//! operations, so they agree bit for bit — with each other and with NEURON.

use super::exp_table::EXP_TABLE;

/// Table size (2^7 entries).
pub const TABLE_BITS: u32 = 7;
/// 128 / ln 2.
pub const INV_LN2_N: f64 = f64::from_bits(0x3ff7_1547_652b_82fe) * 128.0;
/// −ln 2 / 128, high part (the low 21 bits are zero, so k·NEG_LN2_HI_N is exact).
pub const NEG_LN2_HI_N: f64 = -f64::from_bits(0x3f76_2e42_fefa_0000);
/// −ln 2 / 128, low part.
pub const NEG_LN2_LO_N: f64 = -f64::from_bits(0x3d0c_f79a_bc9e_3b3a);
/// 1.5·2⁵²: adding it rounds to the nearest integer and leaves the integer in the low bits.
pub const SHIFT: f64 = 6_755_399_441_055_744.0;
/// Polynomial coefficients of exp(r) − 1 − r ≈ r²·(C2 + r·C3) + r⁴·(C4 + r·C5).
pub const C2: f64 = f64::from_bits(0x3fdf_ffff_ffff_fdbd);
/// See [`C2`].
pub const C3: f64 = f64::from_bits(0x3fc5_5555_5555_543c);
/// See [`C2`].
pub const C4: f64 = f64::from_bits(0x3fa5_5555_cf17_2b91);
/// See [`C2`].
pub const C5: f64 = f64::from_bits(0x3f81_1111_67a4_d017);
/// Arguments with |x| below this take the special path (exp(x) = 1 + x there).
pub const FAST_MIN: f64 = f64::from_bits(0x3c90_0000_0000_0000); // 2^-54
/// Arguments with |x| at or above this take the special path (the scale would overflow).
pub const FAST_MAX: f64 = 512.0;

/// The table: pairs (bits of T, bits of H − k·2^45) with 2^(k/128) = H·(1 + T).
pub const TABLE: &[u64; 256] = &EXP_TABLE;

/// NEURON's clamped exponential, computed the way generated code computes it.
pub fn exp(x: f64) -> f64 {
    if x < -700.0 {
        0.0
    } else if x > 700.0 {
        unclamped(700.0)
    } else {
        unclamped(x)
    }
}

/// The C library's exp (for finite arguments of magnitude up to about 708).
pub fn unclamped(x: f64) -> f64 {
    let kd = x.mul_add(INV_LN2_N, SHIFT);
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r = kd.mul_add(NEG_LN2_LO_N, kd.mul_add(NEG_LN2_HI_N, x));
    let idx = 2 * (ki % 128) as usize;
    let top = ki << (52 - TABLE_BITS);
    let tail = f64::from_bits(TABLE[idx]);
    let sbits = TABLE[idx + 1].wrapping_add(top);
    let tmp = poly(r, tail);
    let ax = x.abs();
    if (FAST_MIN..FAST_MAX).contains(&ax) {
        let scale = f64::from_bits(sbits);
        return scale.mul_add(tmp, scale);
    }
    if x.is_nan() {
        return x;
    }
    if ax < FAST_MIN {
        return 1.0 + x;
    }
    // The scale 2^k would leave the double range: scale by 2^±(a part of k) first.
    if ki & 0x8000_0000 == 0 {
        let scale = f64::from_bits(sbits.wrapping_sub(1009u64 << 52));
        f64::from_bits(0x7f00_0000_0000_0000) * scale.mul_add(tmp, scale) // 2^1009
    } else {
        let scale = f64::from_bits(sbits.wrapping_add(1022u64 << 52));
        // Not fused, as in the library (results above 2^-1022 only: NEURON's clamp keeps
        // arguments above −700).
        let y = scale + scale * tmp;
        f64::from_bits(0x0010_0000_0000_0000) * y // 2^-1022
    }
}

/// tail + exp(r) − 1, in the library's order of operations.
pub fn poly(r: f64, tail: f64) -> f64 {
    let r2 = r * r;
    let t1 = tail + r;
    let t2 = r2.mul_add(r.mul_add(C3, C2), t1);
    (r2 * r2).mul_add(r.mul_add(C5, C4), t2)
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

    fn fma_machine() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("fma")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            true
        }
    }

    #[test]
    fn equals_libm() {
        // glibc runs its FMA build on machines with FMA; elsewhere its results may differ from
        // the fused form by an ulp.
        let tolerance = if fma_machine() { 0 } else { 1 };
        let mut s: u64 = 0x2545F4914F6CDD1D;
        let mut worst = 0i64;
        for i in 0..3_000_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let x = match i % 4 {
                0 => -40.0 + 80.0 * u,
                1 => -700.0 + 1400.0 * u,
                2 => (u - 0.5) * 1e-3,
                _ => (u - 0.5) * 1e-15,
            };
            let (a, b) = (exp(x), exp_libm(x));
            worst = worst.max((a.to_bits() as i64 - b.to_bits() as i64).abs());
        }
        assert!(worst <= tolerance, "worst difference {worst} ulp");
    }

    #[test]
    fn table_reconstructs_powers_of_two() {
        for k in 0..128u64 {
            let h = f64::from_bits(TABLE[2 * k as usize + 1].wrapping_add(k << 45));
            let t = f64::from_bits(TABLE[2 * k as usize]);
            let exact = (k as f64 / 128.0).exp2();
            assert!(((h - exact) / exact).abs() <= f64::EPSILON / 2.0, "H[{k}]");
            assert!(t.abs() <= f64::EPSILON, "T[{k}] = {t}");
        }
    }

    #[test]
    fn clamps_and_special_values_as_neuron() {
        assert_eq!(exp(-700.5), 0.0);
        assert_eq!(exp(-1e9), 0.0);
        assert_eq!(exp(701.0), exp(700.0));
        assert_eq!(exp(700.0), 700f64.exp());
        assert_eq!(exp(-699.9), (-699.9f64).exp());
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1e-300), 1.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(1.0), std::f64::consts::E);
        assert_eq!(exp(600.0), 600f64.exp());
        assert_eq!(exp(-600.0), (-600f64).exp());
    }
}
