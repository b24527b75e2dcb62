//! In-process compilation with `cranelift-jit` (`myelin run`).

use super::{define_mechanism_with, helpers, CodegenError, CodegenOptions};
use crate::mir::Mechanism;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use myelin_runtime::abi::{KernelFn, Kernels, MechanismMeta, NetReceiveFn};

/// A mechanism compiled in this process. The machine code lives as long as this value's module
/// (it is never freed: kernels may be held by the runtime until the process ends).
pub struct JitMechanism {
    /// Metadata for the runtime.
    pub meta: MechanismMeta,
    /// Entry points.
    pub kernels: Kernels,
    _module: JITModule,
}

impl std::fmt::Debug for JitMechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitMechanism").field("meta", &self.meta.name).finish()
    }
}

/// The target ISA of this machine with Myelin's settings (speed-optimised, non-PIC).
pub fn native_isa() -> Result<std::sync::Arc<dyn cranelift_codegen::isa::TargetIsa>, CodegenError> {
    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k: &str, v: &str| {
        f.set(k, v).map_err(|e| CodegenError(format!("{k}: {e}")))
    };
    set(&mut flags, "opt_level", "speed")?;
    set(&mut flags, "use_colocated_libcalls", "false")?;
    set(&mut flags, "is_pic", "false")?;
    let isa = cranelift_native::builder().map_err(|e| CodegenError(e.to_string()))?;
    isa.finish(settings::Flags::new(flags)).map_err(|e| CodegenError(e.to_string()))
}

/// Compiles a mechanism to native code in memory with the default options.
pub fn compile(m: &Mechanism) -> Result<JitMechanism, CodegenError> {
    compile_with(m, CodegenOptions::default())
}

/// Compiles a mechanism to native code in memory.
pub fn compile_with(m: &Mechanism, opts: CodegenOptions) -> Result<JitMechanism, CodegenError> {
    let isa = native_isa()?;
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    for (name, ptr) in helpers::symbol_table() {
        builder.symbol(name, ptr);
    }
    let mut module = JITModule::new(builder);
    let ids = define_mechanism_with(&mut module, m, &sanitize(&m.meta.name), opts)?;
    module.finalize_definitions()?;
    let kernel = |id: Option<cranelift_module::FuncId>| -> Option<KernelFn> {
        // SAFETY: the function was defined with the kernel signature.
        id.map(|id| unsafe { std::mem::transmute::<*const u8, KernelFn>(module.get_finalized_function(id)) })
    };
    let event = |id: Option<cranelift_module::FuncId>| -> Option<NetReceiveFn> {
        // SAFETY: the function was defined with the NET_RECEIVE signature.
        id.map(|id| unsafe {
            std::mem::transmute::<*const u8, NetReceiveFn>(module.get_finalized_function(id))
        })
    };
    let kernels = Kernels {
        init: kernel(ids.init),
        compute_currents: kernel(ids.compute_currents),
        advance_state: kernel(ids.advance_state),
        write_ions: None,
        net_receive: event(ids.net_receive),
        net_receive_init: event(ids.net_receive_init),
        post_event: kernel(ids.post_event),
    };
    Ok(JitMechanism { meta: m.meta.clone(), kernels, _module: module })
}

/// A symbol-safe version of a mechanism name.
pub fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}
