//! Functions generated code calls: NEURON's math (the same functions the interpreter uses, so
//! both agree bit for bit) and the Newton solver. JIT modules register them by address; the
//! ahead-of-time loader resolves object relocations against [`symbol_table`].

use crate::mir::MathFn;
use crate::solve::newton;

/// Math functions generated code calls (the others are Cranelift instructions).
pub const CALLED_MATH: &[MathFn] = &[
    MathFn::Exp,
    MathFn::Log,
    MathFn::Log10,
    MathFn::Pow,
    MathFn::Fmod,
    MathFn::Sin,
    MathFn::Cos,
    MathFn::Tan,
    MathFn::Asin,
    MathFn::Acos,
    MathFn::Atan,
    MathFn::Atan2,
    MathFn::Sinh,
    MathFn::Cosh,
    MathFn::Tanh,
    MathFn::Erf,
    MathFn::Erfc,
];

/// Symbol of the Newton solver.
pub const NEWTON_SYMBOL: &str = "myelin_newton";

/// Symbol under which generated code calls the C library's `exp` directly (NEURON's clamp of
/// the argument is done inline around the call).
pub const LIBM_EXP_SYMBOL: &str = "myelin_libm_exp";

/// Symbol of the exponential's table ([`crate::mir::exp::TABLE`]), which generated code reads.
pub const EXP_TABLE_SYMBOL: &str = "myelin_exp_table";

unsafe extern "C" {
    /// The C library's exp: what NEURON's compiled mechanisms call, and what `f64::exp` calls.
    #[link_name = "exp"]
    fn c_exp(x: f64) -> f64;
}

/// Symbol name of a math helper.
pub fn symbol_of(f: MathFn) -> &'static str {
    match f {
        MathFn::Exp => "myelin_exp",
        MathFn::Log => "myelin_log",
        MathFn::Log10 => "myelin_log10",
        MathFn::Pow => "myelin_pow",
        MathFn::Fmod => "myelin_fmod",
        MathFn::Sin => "myelin_sin",
        MathFn::Cos => "myelin_cos",
        MathFn::Tan => "myelin_tan",
        MathFn::Asin => "myelin_asin",
        MathFn::Acos => "myelin_acos",
        MathFn::Atan => "myelin_atan",
        MathFn::Atan2 => "myelin_atan2",
        MathFn::Sinh => "myelin_sinh",
        MathFn::Cosh => "myelin_cosh",
        MathFn::Tanh => "myelin_tanh",
        MathFn::Erf => "myelin_erf",
        MathFn::Erfc => "myelin_erfc",
        MathFn::Sqrt => "myelin_sqrt",
        MathFn::Fabs => "myelin_fabs",
        MathFn::Floor => "myelin_floor",
        MathFn::Ceil => "myelin_ceil",
        MathFn::Trunc => "myelin_trunc",
    }
}

macro_rules! unary_helper {
    ($name:ident, $f:expr) => {
        extern "C" fn $name(x: f64) -> f64 {
            $f.eval(x, 0.0)
        }
    };
}
macro_rules! binary_helper {
    ($name:ident, $f:expr) => {
        extern "C" fn $name(x: f64, y: f64) -> f64 {
            $f.eval(x, y)
        }
    };
}

unary_helper!(h_exp, MathFn::Exp);
unary_helper!(h_log, MathFn::Log);
unary_helper!(h_log10, MathFn::Log10);
binary_helper!(h_pow, MathFn::Pow);
binary_helper!(h_fmod, MathFn::Fmod);
unary_helper!(h_sin, MathFn::Sin);
unary_helper!(h_cos, MathFn::Cos);
unary_helper!(h_tan, MathFn::Tan);
unary_helper!(h_asin, MathFn::Asin);
unary_helper!(h_acos, MathFn::Acos);
unary_helper!(h_atan, MathFn::Atan);
binary_helper!(h_atan2, MathFn::Atan2);
unary_helper!(h_sinh, MathFn::Sinh);
unary_helper!(h_cosh, MathFn::Cosh);
unary_helper!(h_tanh, MathFn::Tanh);
unary_helper!(h_erf, MathFn::Erf);
unary_helper!(h_erfc, MathFn::Erfc);

/// Every helper symbol with its address.
pub fn symbol_table() -> Vec<(&'static str, *const u8)> {
    let un: &[(MathFn, extern "C" fn(f64) -> f64)] = &[
        (MathFn::Exp, h_exp),
        (MathFn::Log, h_log),
        (MathFn::Log10, h_log10),
        (MathFn::Sin, h_sin),
        (MathFn::Cos, h_cos),
        (MathFn::Tan, h_tan),
        (MathFn::Asin, h_asin),
        (MathFn::Acos, h_acos),
        (MathFn::Atan, h_atan),
        (MathFn::Sinh, h_sinh),
        (MathFn::Cosh, h_cosh),
        (MathFn::Tanh, h_tanh),
        (MathFn::Erf, h_erf),
        (MathFn::Erfc, h_erfc),
    ];
    let bin: &[(MathFn, extern "C" fn(f64, f64) -> f64)] =
        &[(MathFn::Pow, h_pow), (MathFn::Fmod, h_fmod), (MathFn::Atan2, h_atan2)];
    let mut v: Vec<(&'static str, *const u8)> =
        un.iter().map(|(f, p)| (symbol_of(*f), *p as *const u8)).collect();
    v.extend(bin.iter().map(|(f, p)| (symbol_of(*f), *p as *const u8)));
    v.push((NEWTON_SYMBOL, newton::myelin_newton as *const u8));
    v.push((LIBM_EXP_SYMBOL, c_exp as *const u8));
    v.push((EXP_TABLE_SYMBOL, crate::mir::exp::TABLE.as_ptr() as *const u8));
    v
}
