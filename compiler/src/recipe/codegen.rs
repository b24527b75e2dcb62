//! Per-segment parameter values (distributions) compiled with Cranelift, so that the runtime
//! calls native code for every segment at instantiation instead of interpreting an expression.
//!
//! Each [`Term`] becomes one function `f(geometry, params) -> f64` ([`SegmentFn`]): `geometry`
//! points at the segment's `[distance, x, diam, area, length]`, `params` at the values of every
//! recipe parameter. The same code generator serves the JIT ([`jit`]) and ahead-of-time objects
//! ([`object`], loaded by [`crate::aot::load_terms`]). Math functions call the helpers of
//! [`crate::codegen::helpers`] (the C library's `exp`, `log`, `pow`, …), the same functions
//! [`Term::eval`] uses, so compiled and evaluated values agree bit for bit.

use super::expr::{Func, Op, Term};
use crate::codegen::{helpers, jit::native_isa, CodegenError};
use crate::mir::MathFn;
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, MemFlagsData, Signature, Value};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule};
pub use myelin_runtime::instantiate::SegmentFn;

/// Symbol of the function of term `k` in an object.
pub fn symbol(k: usize) -> String {
    format!("myelin_recipe_term_{k}")
}

fn signature(ptr: types::Type, cc: CallConv) -> Signature {
    let mut s = Signature::new(cc);
    s.params.push(AbiParam::new(ptr));
    s.params.push(AbiParam::new(ptr));
    s.returns.push(AbiParam::new(types::F64));
    s
}

/// Declares and defines the function of `term` in `module` under `name`.
pub fn define<M: Module>(
    module: &mut M,
    term: &Term,
    name: &str,
    linkage: Linkage,
) -> Result<FuncId, CodegenError> {
    let ptr = module.target_config().pointer_type();
    let cc = module.target_config().default_call_conv;
    let sig = signature(ptr, cc);
    let id = module.declare_function(name, linkage, &sig)?;
    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    let mut fctx = FunctionBuilderContext::new();
    let config = module.target_config();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let geometry = b.block_params(entry)[0];
        let params = b.block_params(entry)[1];
        let mut e = Emitter { module: &mut *module, b: &mut b, geometry, params, cc };
        let v = e.emit(term)?;
        e.b.ins().return_(&[v]);
        b.finalize(config);
    }
    module.define_function(id, &mut ctx).map_err(|e| CodegenError(format!("{name}: {e:?}")))?;
    module.clear_context(&mut ctx);
    Ok(id)
}

struct Emitter<'m, 'b, 'f, M: Module> {
    module: &'m mut M,
    b: &'b mut FunctionBuilder<'f>,
    geometry: Value,
    params: Value,
    cc: CallConv,
}

impl<M: Module> Emitter<'_, '_, '_, M> {
    fn call(&mut self, symbol: &str, args: &[Value]) -> Result<Value, CodegenError> {
        let mut s = Signature::new(self.cc);
        for _ in args {
            s.params.push(AbiParam::new(types::F64));
        }
        s.returns.push(AbiParam::new(types::F64));
        let id = self.module.declare_function(symbol, Linkage::Import, &s)?;
        let r = self.module.declare_func_in_func(id, self.b.func);
        let call = self.b.ins().call(r, args);
        Ok(self.b.inst_results(call)[0])
    }

    fn emit(&mut self, t: &Term) -> Result<Value, CodegenError> {
        let flags = MemFlagsData::trusted();
        Ok(match t {
            Term::Const(v) => self.b.ins().f64const(*v),
            Term::Param(i) => self.b.ins().load(types::F64, flags, self.params, (*i * 8) as i32),
            Term::Geom(g) => self.b.ins().load(types::F64, flags, self.geometry, (*g as usize * 8) as i32),
            Term::Current(_) => {
                return Err(CodegenError("a searched current in a per-segment value".into()));
            }
            Term::Neg(a) => {
                let a = self.emit(a)?;
                self.b.ins().fneg(a)
            }
            Term::Bin(op, a, b) => {
                let (a, b) = (self.emit(a)?, self.emit(b)?);
                let one = |e: &mut Self, cc: FloatCC| {
                    let c = e.b.ins().fcmp(cc, a, b);
                    let (x, y) = (e.b.ins().f64const(1.0), e.b.ins().f64const(0.0));
                    e.b.ins().select(c, x, y)
                };
                match op {
                    Op::Add => self.b.ins().fadd(a, b),
                    Op::Sub => self.b.ins().fsub(a, b),
                    Op::Mul => self.b.ins().fmul(a, b),
                    Op::Div => self.b.ins().fdiv(a, b),
                    Op::Pow => self.call(helpers::symbol_of(MathFn::Pow), &[a, b])?,
                    Op::Lt => one(self, FloatCC::LessThan),
                    Op::Le => one(self, FloatCC::LessThanOrEqual),
                    Op::Gt => one(self, FloatCC::GreaterThan),
                    Op::Ge => one(self, FloatCC::GreaterThanOrEqual),
                    Op::Eq => one(self, FloatCC::Equal),
                    Op::Ne => one(self, FloatCC::NotEqual),
                    // As Op::apply: `if b < a { b } else { a }` (NaN handling included).
                    Op::Min => {
                        let c = self.b.ins().fcmp(FloatCC::LessThan, b, a);
                        self.b.ins().select(c, b, a)
                    }
                    Op::Max => {
                        let c = self.b.ins().fcmp(FloatCC::GreaterThan, b, a);
                        self.b.ins().select(c, b, a)
                    }
                }
            }
            Term::Call(f, a) => {
                let a = self.emit(a)?;
                match f {
                    Func::Sqrt => self.b.ins().sqrt(a),
                    Func::Abs => self.b.ins().fabs(a),
                    Func::Floor => self.b.ins().floor(a),
                    Func::Ceil => self.b.ins().ceil(a),
                    Func::Exp => self.call(helpers::LIBM_EXP_SYMBOL, &[a])?,
                    Func::Log => self.call(helpers::symbol_of(MathFn::Log), &[a])?,
                    Func::Log10 => self.call(helpers::symbol_of(MathFn::Log10), &[a])?,
                    Func::Sin => self.call(helpers::symbol_of(MathFn::Sin), &[a])?,
                    Func::Cos => self.call(helpers::symbol_of(MathFn::Cos), &[a])?,
                    Func::Tan => self.call(helpers::symbol_of(MathFn::Tan), &[a])?,
                    Func::Sinh => self.call(helpers::symbol_of(MathFn::Sinh), &[a])?,
                    Func::Cosh => self.call(helpers::symbol_of(MathFn::Cosh), &[a])?,
                    Func::Tanh => self.call(helpers::symbol_of(MathFn::Tanh), &[a])?,
                }
            }
        })
    }
}

/// Terms compiled in this process. The code lives as long as this value.
pub struct CompiledTerms {
    /// One function per term, in order.
    pub functions: Vec<SegmentFn>,
    _module: JITModule,
}

impl std::fmt::Debug for CompiledTerms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledTerms").field("functions", &self.functions.len()).finish()
    }
}

/// Compiles terms in memory.
pub fn jit(terms: &[Term]) -> Result<CompiledTerms, CodegenError> {
    let isa = native_isa()?;
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    for (name, ptr) in helpers::symbol_table() {
        builder.symbol(name, ptr);
    }
    let mut module = JITModule::new(builder);
    let mut ids = Vec::new();
    for (k, t) in terms.iter().enumerate() {
        ids.push(define(&mut module, t, &symbol(k), Linkage::Local)?);
    }
    module.finalize_definitions()?;
    let functions = ids
        .into_iter()
        // SAFETY: each function was defined with the SegmentFn signature.
        .map(|id| unsafe { std::mem::transmute::<*const u8, SegmentFn>(module.get_finalized_function(id)) })
        .collect();
    Ok(CompiledTerms { functions, _module: module })
}

/// Compiles terms into one relocatable object; term `k` is exported as [`symbol`]`(k)`.
pub fn object(terms: &[Term], name: &str) -> Result<Vec<u8>, CodegenError> {
    let isa = native_isa()?;
    let builder = ObjectBuilder::new(isa, name, cranelift_module::default_libcall_names())?;
    let mut module = ObjectModule::new(builder);
    for (k, t) in terms.iter().enumerate() {
        define(&mut module, t, &symbol(k), Linkage::Export)?;
    }
    module.finish().emit().map_err(|e| CodegenError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::expr::{GeomVar, Inputs};

    #[test]
    fn compiled_terms_equal_evaluated_terms() {
        let d = || Box::new(Term::Geom(GeomVar::Distance));
        let terms = vec![
            // (-0.8696 + 2.087 * exp(distance * 0.0031)) * $0
            Term::bin(
                Op::Mul,
                Term::bin(
                    Op::Add,
                    Term::Const(-0.8696),
                    Term::bin(
                        Op::Mul,
                        Term::Const(2.087),
                        Term::Call(
                            Func::Exp,
                            Box::new(Term::bin(Op::Mul, Term::Geom(GeomVar::Distance), Term::Const(0.0031))),
                        ),
                    ),
                ),
                Term::Param(0),
            ),
            Term::bin(
                Op::Mul,
                Term::bin(Op::Gt, Term::Geom(GeomVar::Distance), Term::Const(300.0)),
                Term::Param(1),
            ),
            Term::bin(
                Op::Min,
                Term::Call(Func::Sqrt, d()),
                Term::bin(Op::Pow, Term::Geom(GeomVar::Diam), Term::Const(1.5)),
            ),
            Term::Call(
                Func::Log,
                Box::new(Term::bin(Op::Add, Term::Geom(GeomVar::Area), Term::Geom(GeomVar::X))),
            ),
            Term::Neg(Box::new(Term::Call(Func::Tanh, Box::new(Term::Geom(GeomVar::Length))))),
        ];
        let c = jit(&terms).unwrap();
        let params = [2e-4, 0.5];
        for dist in [0.0, 12.5, 299.0, 301.0, 1234.5] {
            let g = [dist, 0.3, 1.7, 45.0, 200.0];
            for (t, f) in terms.iter().zip(&c.functions) {
                let want = t.eval(&Inputs { params: &params, geometry: Some(g), ..Default::default() });
                // SAFETY: compiled with this signature; the arrays outlive the call.
                let got = unsafe { f(g.as_ptr(), params.as_ptr()) };
                assert_eq!(got.to_bits(), want.to_bits(), "{t} at {dist}");
            }
        }
        let bytes = object(&terms, "t").unwrap();
        assert!(bytes.len() > 100);
    }
}
