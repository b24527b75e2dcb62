//! Ahead-of-time objects with `cranelift-object` (`myelin build`).

use super::{define_mechanism, jit::native_isa, jit::sanitize, CodegenError};
use crate::mir::Mechanism;
use cranelift_object::{ObjectBuilder, ObjectModule};

/// Compiles mechanisms into one relocatable object (ELF on Linux); returns its bytes and the
/// symbol prefix used for each mechanism.
pub fn compile(mechs: &[&Mechanism], name: &str) -> Result<(Vec<u8>, Vec<String>), CodegenError> {
    let isa = native_isa()?;
    let builder = ObjectBuilder::new(isa, name, cranelift_module::default_libcall_names())?;
    let mut module = ObjectModule::new(builder);
    let mut prefixes = Vec::new();
    for (k, m) in mechs.iter().enumerate() {
        let prefix = format!("{}_{k}", sanitize(&m.meta.name));
        define_mechanism(&mut module, m, &prefix)?;
        prefixes.push(prefix);
    }
    let product = module.finish();
    let bytes = product.emit().map_err(|e| CodegenError(e.to_string()))?;
    Ok((bytes, prefixes))
}
